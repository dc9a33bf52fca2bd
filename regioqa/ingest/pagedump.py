"""Newspaper page dumps: a ``.txt`` with ``## `` heading lines and ``◎`` bylines, a page laid out as
Markdown-ish blocks. Headlines can stand before or after their article, photo captions and column breaks
can cut a paragraph, column names sit among headlines; see :func:`parse_page_dump`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..types import Article, Section
from .common import Collector, assemble, glue

__all__ = ["parse_page_dump", "is_page_dump", "HEADING", "CAPTION"]

_CJK = r"\u3000-\u303f\u3400-\u9fff\uf900-\ufaff\uff00-\uffef"
_CLOSING = "”’\"'」』）)】》]"
_SENTENCE_END = "。！？!?…⋯.；;：:"


# an unmarked, numbered in-body subheading ("一、加强基础研究", "（二）…", "3. …"): never continued
_SUBHEAD = re.compile(r"^(?:[一二三四五六七八九十]+、|\d{1,2}[、．]|\d{1,2}\.(?!\d)"
                      r"|[（(][一二三四五六七八九十\d]{1,3}[)）])[^。！？；!?;]{1,30}$")


def _ends_sentence(s: str) -> bool:
    s = s.rstrip().rstrip(_CLOSING)
    return bool(s) and s[-1] in _SENTENCE_END



# ---------------------------------------------------------------------------------------------
# page dumps

HEADING = re.compile(r"^#{1,6}\s+(.*\S)\s*$")
_BYLINE_MARK = "◎"
_ROLE_WORDS = ("本报记者", "特约记者", "见习记者", "实习记者", "记者", "通讯员", "实习生", "作者",
               "文/", "图/")
_ROLE_NAMES = {"本报记者": "reporter", "特约记者": "reporter", "见习记者": "reporter", "实习记者": "reporter",
               "记者": "reporter", "通讯员": "correspondent", "实习生": "intern", "作者": "author",
               "文/": "author", "图/": "photographer"}
_BYLINE_CONT = re.compile(rf"^(?:{'|'.join(map(re.escape, _ROLE_WORDS))})\s*\S[^。！？]{{0,40}}$")
_AUTHOR_INFO = re.compile(r"^[（(]\s*(?:本文)?作者(?:系|为|是)?[^)）]*[)）]$")
_CREDIT = r"(?:摄|供图|摄影|制图|绘图|图片)"
# a photo caption: text, then (after whitespace) a short credit "武子喧摄" / "新华社记者 张三 摄" /
# "受访者供图", or a bracketed credit "（资料图片）"
CAPTION = re.compile(
    rf"^(?:.{{2,200}}?\s+(?:\S{{1,12}}\s+){{0,2}}\S{{0,12}}{_CREDIT}"
    rf"|.{{2,200}}?[（(][^)）]{{0,30}}{_CREDIT}[)）])$"
)


def is_page_dump(text: str) -> bool:
    """A page dump has ``## `` heading lines and at least one ``◎`` byline.

    >>> is_page_dump("## 标题\\n\\n◎本报记者 张三\\n\\n正文。"), is_page_dump("标题\\n正文。")
    (True, False)
    """
    return bool(re.search(r"(?m)^#{1,6}\s+\S", text)) and bool(re.search(rf"(?m)^\s*{_BYLINE_MARK}", text))


@dataclass
class _Item:
    kind: str  # heading | byline | caption | author_info | para
    text: str
    line: int


def _items(text: str) -> list[_Item]:
    """Classify each non-empty line of a page dump (paragraphs cut by wrapping are joined later)."""
    items: list[_Item] = []
    for no, line in enumerate(text.split("\n"), 1):
        s = line.strip()
        if not s:
            continue
        m = HEADING.match(s)
        if m:
            items.append(_Item("heading", m.group(1).strip(), no))
        elif s.startswith(_BYLINE_MARK):
            items.append(_Item("byline", s, no))
        elif items and items[-1].kind == "byline" and _BYLINE_CONT.match(s):
            items[-1].text += " " + s
        elif _AUTHOR_INFO.match(s):
            items.append(_Item("author_info", s, no))
        elif CAPTION.match(s):
            items.append(_Item("caption", s, no))
        else:
            items.append(_Item("para", s, no))
    return items


def _parse_byline(raw: str) -> list[dict[str, str]]:
    """``"◎杨卫东 本报记者 张景阳 通讯员 武子喧"`` -> names with roles (unlabelled leading names: author)."""
    s = raw.lstrip(_BYLINE_MARK).strip()
    role = "author"
    out: list[dict[str, str]] = []
    words = sorted(_ROLE_WORDS, key=len, reverse=True)
    for tok in s.split():
        while tok:
            hit = next((w for w in words if tok.startswith(w)), None)
            if hit is None:
                out.append({"name": tok, "role": role})
                break
            role = _ROLE_NAMES[hit]
            tok = tok[len(hit):]
    return out


def _bigrams(s: str) -> set[str]:
    s = re.sub(rf"[^0-9A-Za-z{_CJK}]|[\u3000-\u303f\uff00-\uff0f\uff1a-\uff20]", "", s)
    return {s[i:i + 2] for i in range(len(s) - 1)} or ({s} if s else set())


def _affinity(heading: str, body: str) -> float:
    """Share of the heading's character bigrams found in ``body`` (1.0 when it appears verbatim)."""
    grams = _bigrams(heading)
    if not grams:
        return 0.0
    return sum(g in body for g in grams) / len(grams)


@dataclass
class _Draft:
    byline: _Item | None
    before: list[_Item] = field(default_factory=list)  # headings in front of the byline (kicker, title)
    after: list[_Item] = field(default_factory=list)  # headings floated after the body
    body: list[_Item] = field(default_factory=list)  # paragraphs, section headings, captions, author info

    def body_text(self) -> str:
        return "".join(i.text for i in self.body if i.kind == "para")


def parse_page_dump(text: str, stem: str, file: str = "<page>",
                    problems: Collector | None = None) -> list[Article]:
    """Parse a newspaper page dump into articles with ids ``f"{stem}-a{k}"`` (k from 1).

    Rules (general, not tied to one page):

    * a ``◎`` block is a byline and starts an article; the headings right before it are its
      kicker(s) and title (the last one); a heading run between two articles is split between the
      previous article (a headline standing after its body) and the next one, by which article body
      the headings share most wording with; of a floated headline and the heading before the byline,
      the one closer to the body is the title, the other a column name (``meta["column"]``);
    * headings followed by paragraphs inside an article are section headings;
    * a single-line block ending with a photo credit (``XXX摄``, ``受访者供图``) is a caption;
      ``（作者系……）`` is author information; both are kept out of the body;
    * a paragraph that does not end a sentence is continued by the next paragraph (skipping captions):
      the layout cut it with a photo or a column break; a short numbered line (an unmarked
      subheading like ``一、加强基础研究``) is not continued.

    >>> page = "\\n\\n".join(["## 引题", "## 大标题", "◎本报记者 张三", "第一段没有", "图片说明。 李四摄",
    ...                        "写完。", "## 小标题", "第二段。"])
    >>> a, = parse_page_dump(page, "p")
    >>> a.title, a.text, a.byline, a.captions, a.meta["kicker"]
    ('大标题', '第一段没有写完。\\n第二段。', ['张三'], ['图片说明。 李四摄'], '引题')
    >>> a.sections
    [Section(heading='小标题', start=9)]
    """
    col = problems or Collector(strict=False)
    items = _items(text)
    drafts: list[_Draft] = []
    pending: list[_Item] = []  # headings (and stray items) not yet assigned
    lead: list[_Item] = []  # anything before the first heading run in front of a byline
    for it in items:
        if it.kind == "byline":
            # the run of headings directly in front of the byline belongs (mostly) to the new article
            k = len(pending)
            while k > 0 and pending[k - 1].kind == "heading":
                k -= 1
            run, rest = pending[k:], pending[:k]
            if drafts:
                drafts[-1].body.extend(rest)
            else:
                lead.extend(rest)
            new = _Draft(byline=it)
            if drafts and len(run) > 1:
                prev = drafts[-1]
                # choose the split of run[:-1] into (previous article | next article) by affinity
                cands = run[:-1]
                pbody, nbody = prev.body_text(), _peek_body(items, it)
                best, best_score = len(cands), -1.0
                for p in range(len(cands) + 1):
                    score = sum(_affinity(h.text, pbody) for h in cands[:p]) + sum(
                        _affinity(h.text, nbody) for h in cands[p:])
                    if score > best_score + 1e-9:
                        best, best_score = p, score
                prev.after.extend(cands[:best])
                new.before.extend(cands[best:] + run[-1:])
            else:
                new.before.extend(run)
            drafts.append(new)
            pending = []
        else:
            pending.append(it)
    if not drafts:  # no bylines: the whole page is one article
        drafts.append(_Draft(byline=None))
        k = 0
        while k < len(pending) and pending[k].kind == "heading":
            k += 1
        drafts[0].before = pending[:k]
        pending = pending[k:]
    # the tail: trailing headings after the last body are floated headlines of the last article
    k = len(pending)
    while k > 0 and pending[k - 1].kind == "heading":
        k -= 1
    drafts[-1].body.extend(pending[:k])
    drafts[-1].after.extend(pending[k:])

    articles = [_finish(d, f"{stem}-a{n}", file, col) for n, d in enumerate(drafts, 1)]
    if lead:
        articles[0].meta["page_labels"] = [i.text for i in lead]
        col.add(file, lead[0].line, f"{len(lead)} block(s) before the first article kept as page labels "
                f"of {articles[0].id}", level="warn")
    for d, a in zip(drafts, articles, strict=True):
        if not a.text:
            line = d.byline.line if d.byline else None
            col.add(file, line, f"{a.id} ({a.title!r}) has no body text; skipped")
    return [a for a in articles if a.text]


def _peek_body(items: list[_Item], byline: _Item) -> str:
    """Paragraph text after ``byline`` up to the next byline (used to place floating headings)."""
    i = items.index(byline)
    out = []
    for it in items[i + 1:]:
        if it.kind == "byline":
            break
        if it.kind == "para":
            out.append(it.text)
    return "".join(out)


def _finish(d: _Draft, art_id: str, file: str, col: Collector) -> Article:
    paras: list[str] = []
    para_lines: list[int] = []
    sections: list[tuple[str, int]] = []  # heading, paragraph index it starts
    captions: list[str] = []
    meta: dict[str, Any] = {}
    open_para = False  # last paragraph does not end a sentence
    last_line = 0
    for it in d.body:
        if it.kind == "para":
            if open_para and paras:
                paras[-1] = glue(paras[-1], it.text)
                if it.line != last_line + 1:  # not a plain line wrap: a caption or column break cut it
                    col.add(file, it.line, f"{art_id}: joined paragraph cut by the layout "
                            f"(continues line {last_line})", level="note")
            else:
                paras.append(it.text)
                para_lines.append(it.line)
            open_para = not _ends_sentence(paras[-1]) and not _SUBHEAD.match(paras[-1])
            last_line = it.line
        elif it.kind == "heading":
            sections.append((it.text, len(paras)))
            open_para = False
        elif it.kind == "caption":
            captions.append(it.text)
        elif it.kind == "author_info":
            meta["author_info"] = it.text.strip("（）() ")
            open_para = False
        elif it.kind == "byline":  # a second byline inside an article: keep it, not in the body
            meta.setdefault("extra_bylines", []).append(it.text)
    text, spans = assemble(paras)
    secs = [Section(h, spans[i].start if i < len(spans) else len(text)) for h, i in sections]

    title = ""
    before = [h.text for h in d.before]
    if before:
        title = before[-1]
    if d.after:
        # a headline standing after its body: the heading closest to the body wins the title
        cands = [h.text for h in d.after] + ([title] if title else [])
        best = max(cands, key=lambda h: (_affinity(h, text), -cands.index(h)))
        if best != title:
            if title:
                meta["column"] = title
                before = before[:-1]
            title = best
        meta_after = [h for h in (x.text for x in d.after) if h != title]
        if meta_after:
            meta.setdefault("page_labels", []).extend(meta_after)
    elif before:
        before = before[:-1]
    if before:
        meta["kicker"] = before[-1]
        if len(before) > 1:
            meta.setdefault("page_labels", []).extend(before[:-1])
    if not title:
        title = text[:30].split("\n")[0]
        line = d.byline.line if d.byline else (para_lines[0] if para_lines else None)
        col.add(file, line, f"{art_id}: no headline found; using the first words of the body", level="warn")

    byline: list[str] = []
    if d.byline is not None:
        people = _parse_byline(d.byline.text)
        byline = [p["name"] for p in people]
        meta["byline"] = people
        meta["byline_raw"] = d.byline.text
    meta["source_lines"] = para_lines
    return Article(id=art_id, title=title, text=text, byline=byline, sections=secs, paragraphs=spans,
                   captions=captions, source=Path(file).name, meta=meta)

