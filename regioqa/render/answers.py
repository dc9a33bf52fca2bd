"""The answers page (``regioqa ask ... --html FILE``): each question with its answers, each answer marked
inside its Chinese sentence and paragraph, the English rendering, the article's date and source, and
"the articles do not answer this" when the reader declined.

Records are the JSON form of ``regioqa ask --questions`` output lines:
``{"id", "question", "answers": [Answer.to_dict(), ...], "error"?}``.

>>> from regioqa.types import Article
>>> a = Article(id="a", title="标题", text="全市人口为120万人。其他。", date="2024-01-02")
>>> rec = {"id": "q1", "question": "人口多少？", "answers": [{"text": "120万人", "score": 3.0,
...        "article_id": "a", "article_title": "标题", "start": 5, "end": 10,
...        "sentence": {"start": 0, "end": 11, "text": "全市人口为120万人。"}, "text_en": "1.2 million"}]}
>>> page = render_answers([rec], {"a": a})
>>> '<mark class="ans"><span class="num">120万人</span></mark>' in page, "2024-01-02" in page
(True, True)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from ..io import atomic_write_text
from ..types import NO_TRANSLATOR, Article
from .digest import LEXICAL_NOTE, meta_bits
from .page import document, esc, mark_numbers

__all__ = ["render_answers", "write_answers_html"]

DECLINED = "The articles do not answer this."


def _context(a: Article, ans: dict[str, Any]) -> str:
    """The answer's paragraph, its sentence shaded and the answer span marked."""
    start, end = int(ans["start"]), int(ans["end"])
    para = next((p for p in a.paragraphs if p.start <= start < p.end), None)
    ps, pe = (para.start, para.end) if para else (0, len(a.text))
    sent = ans.get("sentence") or {}
    ss, se = max(int(sent.get("start", start)), ps), min(int(sent.get("end", end)), pe)
    if not (ps <= ss <= start <= end <= se <= pe):
        ss, se = start, end
    t = a.text
    return (f'<p class="ctx" lang="zh-Hans">{mark_numbers(t[ps:ss], "zh")}<span class="sentence">'
            f'{mark_numbers(t[ss:start], "zh")}<mark class="ans">{mark_numbers(t[start:end], "zh")}</mark>'
            f'{mark_numbers(t[end:se], "zh")}</span>{mark_numbers(t[se:pe], "zh")}</p>')


def _answer(ans: dict[str, Any], articles: Mapping[str, Article]) -> str:
    if ans.get("is_no_answer"):
        return f'<div class="answer"><p class="declined">{DECLINED}</p></div>'
    a = articles.get(ans.get("article_id", ""))
    ok = a is not None and a.text[int(ans["start"]):int(ans["end"])] == ans.get("text")
    en = []
    for label, key in (("Answer in English", "text_en"), ("Sentence in English", "sentence_en")):
        v = ans.get(key)
        if v and v != NO_TRANSLATOR:
            en.append(f'<p class="en" lang="en"><strong>{label}:</strong> {mark_numbers(v, "en")}</p>')
    title = esc(ans.get("article_title") or (a.title if a else "") or ans.get("article_id"))
    ctx = _context(a, ans) if ok and a is not None else (
        f'<p class="ctx" lang="zh-Hans">{esc((ans.get("sentence") or {}).get("text", ""))}</p>')
    span = mark_numbers(ans.get("text", ""), "zh")
    return (f'<div class="answer"><p class="span" lang="zh-Hans">{span}</p>'
            f'{"".join(en)}<p class="meta"><span lang="zh-Hans">{title}</span>{"".join(meta_bits(a))}'
            f'<span>score {float(ans.get("score", 0.0)):.2f}</span></p>{ctx}</div>')


def render_answers(records: Iterable[dict[str, Any]], articles: Mapping[str, Article],
                   title: str = "Answers", lexical: bool = False) -> str:
    """The whole page, one section per question in the given order; ``lexical``: the English renderings
    are lexical glosses (a note says so)."""
    recs = list(records)
    body = [f"<h1>{esc(title)}</h1>",
            f'<p class="lede">{len(recs)} question(s). Each answer is the exact span of a Chinese article, '
            "marked inside its sentence and paragraph; numbers are marked in blue.</p>"]
    if lexical:
        body.append(f'<p class="note" role="note">{LEXICAL_NOTE}</p>')
    for n, r in enumerate(recs, 1):
        answers = r.get("answers") or []
        parts = [_answer(x, articles) for x in answers]
        if r.get("error"):
            parts.append(f'<p class="declined">Not answered: {esc(r["error"])}</p>')
        elif not answers:
            parts.append(f'<p class="declined">{DECLINED}</p>')
        body.append(f'<section class="qa" id="q-{n}" aria-labelledby="qh-{n}">'
                    f'<p class="question" id="qh-{n}">{esc(r.get("question", ""))}</p>'
                    f'<p class="meta"><span>question {esc(r.get("id", n))}</span></p>'
                    f'{"".join(parts)}</section>')
    body.append('<footer>Made offline by regioqa. Nothing on this page is fetched from the network.</footer>')
    return document(title, "\n".join(body), lang="en")


def write_answers_html(path: str | Path, records: Iterable[dict[str, Any]], articles: Mapping[str, Article],
                       title: str = "Answers", lexical: bool = False) -> None:
    """Write :func:`render_answers` atomically."""
    atomic_write_text(path, render_answers(records, articles, title, lexical))
