"""The bilingual digest page (``regioqa summarize ... --format html``).

A contents list (English title, date, source), then per article its English title, the English summary
and the Chinese article beside it. Each English sentence is a focusable button bound to the span of the
Chinese body it was made from (``SummarySentence.start/end``): hovering, tapping or focusing it
highlights that span. Numbers are marked on both sides; a sentence whose numbers do not match its source
says so; a note says when the English is a lexical gloss.

>>> from regioqa.types import Article, Summary, SummarySentence
>>> a = Article(id="a1", title="标题<b>", text="第一句12人。第二句。", date="2024-03-05", source="某报")
>>> s = Summary("a1", a.title, "Title", [SummarySentence("第一句12人。", "First 12 people.", 0, 7)],
...             "extractive+lexical")
>>> page = render_digest([s], {"a1": a})
>>> '<span class="src" data-src="a1-1-s1">第一句<span class="num">12人</span>。</span>' in page
True
>>> "标题&lt;b&gt;" in page and "lexical" in page
True
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from ..io import atomic_write_text
from ..types import Article, Span, Summary
from .page import document, esc, mark_numbers

__all__ = ["render_digest", "write_digest_html", "meta_line", "meta_bits", "safe_url", "LEXICAL_NOTE"]

LEXICAL_NOTE = ("<strong>The English on this page is a lexical gloss</strong>: dictionary words in Chinese "
                "word order, not a fluent translation. Check it against the Chinese beside it.")
HOW_TO = ("Hover, tap or focus (Tab) an English sentence to highlight the Chinese sentence it comes from; "
          "numbers are marked in blue on both sides.")


def safe_url(url: str | None) -> str | None:
    """``url`` when it is http(s), else None (no ``javascript:`` links).

    >>> safe_url("https://x.example/a"), safe_url("javascript:alert(1)")
    ('https://x.example/a', None)
    """
    return url if url and url.lower().startswith(("http://", "https://")) else None


def meta_bits(article: Article | None) -> list[str]:
    """``<span>`` s with the article's date, source and a link to the original page."""
    if article is None:
        return []
    bits = [f"<span>{esc(v)}</span>" for v in (article.date, article.source) if v]
    url = safe_url(article.url)
    if url:
        bits.append(f'<span><a href="{esc(url)}" rel="noreferrer noopener">original page</a></span>')
    return bits


def meta_line(article: Article | None, extra: Sequence[str] = ()) -> str:
    """``<p class="meta">`` with :func:`meta_bits` and ``extra`` texts."""
    bits = meta_bits(article) + [f"<span>{esc(x)}</span>" for x in extra if x]
    return f'<p class="meta">{"".join(bits)}</p>' if bits else ""


def _zh_body(article: Article, marks: list[tuple[int, int, str]]) -> str:
    text = article.text
    paras = article.paragraphs or [Span(0, len(text))]
    heads = {s.start: s.heading for s in article.sections}
    out: list[str] = []
    for p in paras:
        if p.start in heads:
            out.append(f'<p class="sec">{esc(heads[p.start])}</p>')
        pieces: list[str] = []
        pos = p.start
        for s, e, key in marks:
            s2, e2 = max(s, pos), min(e, p.end)
            if s2 >= e2:
                continue
            pieces.append(mark_numbers(text[pos:s2], "zh"))
            pieces.append(f'<span class="src" data-src="{esc(key)}">{mark_numbers(text[s2:e2], "zh")}</span>')
            pos = e2
        pieces.append(mark_numbers(text[pos:p.end], "zh"))
        out.append(f"<p>{''.join(pieces)}</p>")
    if article.captions:
        out.append('<p class="captions">Captions: ' + " / ".join(esc(c) for c in article.captions) + "</p>")
    return "\n".join(out)


def _article_html(n: int, s: Summary, a: Article | None) -> str:
    key = f"{s.article_id}-{n}"
    marks: list[tuple[int, int, str]] = []
    items: list[str] = []
    for k, x in enumerate(s.sentences, 1):
        sid = f"{key}-s{k}"
        ok = a is not None and a.text[x.start:x.end] == x.zh
        if ok and all(x.end <= m[0] or x.start >= m[1] for m in marks):
            marks.append((x.start, x.end, sid))
        warn = "" if x.numbers_ok else '<span class="mismatch">(numbers differ from the Chinese)</span>'
        if ok:
            items.append(f'<li><span class="sent" tabindex="0" role="button" data-src="{esc(sid)}" '
                         f'title="Chinese source: characters {x.start}-{x.end}">{mark_numbers(x.en, "en")}'
                         f"</span>{warn}</li>")
        else:  # the article changed since it was summarised: show the source sentence inline instead
            items.append(f'<li>{mark_numbers(x.en, "en")}{warn} <span lang="zh">（{esc(x.zh)}）</span></li>')
    marks.sort()
    lexical = ' <span class="badge warn">lexical English</span>' if "lexical" in s.method else ""
    zh = _zh_body(a, marks) if a is not None else f"<p>{esc(' '.join(x.zh for x in s.sentences))}</p>"
    return (f'<article class="item" id="art-{n}" aria-labelledby="h-{n}">\n'
            f'<h2 id="h-{n}" lang="en">{esc(s.title_en or s.title)}{lexical}</h2>\n'
            f'<p class="zh-title" lang="zh-Hans">{esc(s.title)}</p>\n'
            f"{meta_line(a, [s.article_id])}\n"
            '<div class="cols">\n'
            f'<section class="en" lang="en" aria-label="English summary"><h3>English summary</h3>\n'
            f'<ol>{"".join(items)}</ol></section>\n'
            f'<section class="zh" lang="zh-Hans" aria-label="Chinese article" tabindex="0">'
            f"<h3>Chinese article · 中文原文</h3>\n{zh}</section>\n</div>\n</article>")


def render_digest(summaries: Sequence[Summary], articles: Mapping[str, Article],
                  title: str = "English digest") -> str:
    """The whole page (see the module docstring); failed summaries are listed at the end."""
    good = [s for s in summaries if s.error is None]
    bad = [s for s in summaries if s.error is not None]
    lexical = any("lexical" in s.method for s in good)
    toc = []
    for n, s in enumerate(good, 1):
        a = articles.get(s.article_id)
        meta = " · ".join(esc(v) for v in ((a.date, a.source) if a else ()) if v)
        toc.append(f'<li><a href="#art-{n}">{esc(s.title_en or s.title)}</a>'
                   + (f' <span class="meta">{meta}</span>' if meta else "") + "</li>")
    body = [f"<h1>{esc(title)}</h1>",
            f'<p class="lede">{len(good)} article(s) summarised in English'
            + (f", {len(bad)} failed" if bad else "") + f". {HOW_TO}</p>"]
    if lexical:
        body.append(f'<p class="note" role="note">{LEXICAL_NOTE}</p>')
    body.append(f'<nav class="toc" aria-label="Contents"><h2>Contents</h2><ol>{"".join(toc)}</ol></nav>')
    body += [_article_html(n, s, articles.get(s.article_id)) for n, s in enumerate(good, 1)]
    if bad:
        body.append('<section class="qa"><h2>Not summarised</h2><ul>' + "".join(
            f"<li>{esc(s.article_id)} {esc(s.title)}: {esc(s.error)}</li>" for s in bad) + "</ul></section>")
    body.append('<footer>Made offline by regioqa. Nothing on this page is fetched from the network.</footer>')
    return document(title, "\n".join(body), lang="en", script=True)


def write_digest_html(path: str | Path, summaries: Sequence[Summary], articles: Mapping[str, Article],
                      title: str = "English digest") -> None:
    """Write :func:`render_digest` atomically."""
    atomic_write_text(path, render_digest(summaries, articles, title))
