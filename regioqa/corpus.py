"""Read articles: a folder of ``.txt`` files, ``.jsonl`` records, and newspaper page dumps.

Formats
-------
* **Plain ``.txt``**: the first non-empty line is the title (leading ``#`` stripped), the rest the
  body. Paragraphs are blank-line separated blocks, or single lines when the file has no blank lines.
* **``.jsonl``**: one JSON object a line with ``title`` and ``text`` (required), optional ``id``,
  ``date``, ``source``, ``url``; other keys go to ``meta``. Records written by
  :func:`write_articles_jsonl` (with ``paragraphs``, ``sections``...) read back unchanged.
* **Page dump** (a ``.txt`` with ``## `` heading lines and ``◎`` bylines): a newspaper page laid out
  as Markdown-ish blocks. Headlines can stand before or after their article, photo captions and
  column breaks can cut a paragraph, column names sit among headlines; see :func:`parse_page_dump`.

Bad input never disappears silently: every skipped file or record, and every repair, is a
:class:`Problem` naming file and line, collected in a :class:`LoadReport`. With ``strict=True``
the first problem raises :class:`~regioqa.errors.InputError` instead.

>>> import tempfile, pathlib
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> _ = (d / "a.txt").write_text("标题\\n\\n第一段。\\n\\n第二段。", encoding="utf-8")
>>> arts, report = load_corpus([d])
>>> arts[0].id, arts[0].title, arts[0].text, report.n_articles
('a', '标题', '第一段。\\n第二段。', 1)
"""

from __future__ import annotations

import json
import re
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import InputError
from .io import atomic_open
from .types import Article, Section, Span

__all__ = [
    "Problem", "LoadReport", "CorpusWarning", "load_corpus", "load_articles", "read_articles_jsonl",
    "write_articles_jsonl", "parse_page_dump", "parse_plain_text", "is_page_dump",
]

SUFFIXES = (".txt", ".jsonl")


class CorpusWarning(UserWarning):
    """A corpus problem that was worked around (record skipped, paragraph repaired...)."""


@dataclass(frozen=True)
class Problem:
    """One thing about the input: ``level`` is "skip" (something left out), "warn" (worked around)
    or "note" (a layout repair in a page dump: expected, reported for transparency)."""

    file: str
    line: int | None
    message: str
    level: str = "skip"

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line is not None else self.file
        return f"{where}: {self.message}"


@dataclass
class LoadReport:
    """What :func:`load_corpus` read, produced and skipped."""

    files: dict[str, int] = field(default_factory=dict)  # file -> number of articles read from it
    problems: list[Problem] = field(default_factory=list)

    @property
    def n_articles(self) -> int:
        return sum(self.files.values())

    @property
    def skipped(self) -> list[Problem]:
        return [p for p in self.problems if p.level == "skip"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.level == "warn"]

    @property
    def notes(self) -> list[Problem]:
        return [p for p in self.problems if p.level == "note"]

    def summary(self) -> str:
        """One-paragraph human summary.

        >>> LoadReport({"a.txt": 2}, [Problem("b.jsonl", 3, "missing text")]).summary()
        'read 1 file(s), 2 article(s); skipped 1 item(s), 0 warning(s), 0 layout repair(s)'
        """
        return (f"read {len(self.files)} file(s), {self.n_articles} article(s); "
                f"skipped {len(self.skipped)} item(s), {len(self.warnings)} warning(s), "
                f"{len(self.notes)} layout repair(s)")


class _Collector:
    def __init__(self, strict: bool) -> None:
        self.strict = strict
        self.report = LoadReport()

    def add(self, file: Path | str, line: int | None, message: str, level: str = "skip") -> None:
        p = Problem(str(file), line, message, level)
        if self.strict and level != "note":
            raise InputError(str(p))
        self.report.problems.append(p)


# ---------------------------------------------------------------------------------------------
# shared text helpers

_CJK = r"\u3000-\u303f\u3400-\u9fff\uf900-\ufaff\uff00-\uffef"
_CLOSING = "”’\"'」』）)】》]"
_SENTENCE_END = "。！？!?…⋯.；;：:"


# an unmarked, numbered in-body subheading ("一、加强基础研究", "（二）…", "3. …"): never continued
_SUBHEAD = re.compile(r"^(?:[一二三四五六七八九十]+、|\d{1,2}[、．]|\d{1,2}\.(?!\d)"
                      r"|[（(][一二三四五六七八九十\d]{1,3}[)）])[^。！？；!?;]{1,30}$")


def _ends_sentence(s: str) -> bool:
    s = s.rstrip().rstrip(_CLOSING)
    return bool(s) and s[-1] in _SENTENCE_END


def _glue(a: str, b: str) -> str:
    """Join two pieces of one paragraph: no separator between CJK, one space between Latin words."""
    if a and b and a[-1].isascii() and a[-1].isalnum() and b[0].isascii() and b[0].isalnum():
        return f"{a} {b}"
    return a + b


def _assemble(paras: Sequence[str]) -> tuple[str, list[Span]]:
    """Join paragraphs with ``\\n``; return body text and paragraph spans."""
    spans: list[Span] = []
    pos = 0
    for p in paras:
        spans.append(Span(pos, pos + len(p)))
        pos += len(p) + 1
    return "\n".join(paras), spans


def _paragraphs_of(text: str) -> list[Span]:
    """Spans of the non-empty, whitespace-trimmed lines of ``text``."""
    return [Span(m.start(), m.end()) for m in re.finditer(r"[^\s](?:[^\n]*[^\s])?", text)]


# ---------------------------------------------------------------------------------------------
# page dumps

_HEADING = re.compile(r"^#{1,6}\s+(.*\S)\s*$")
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
_CAPTION = re.compile(
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
        m = _HEADING.match(s)
        if m:
            items.append(_Item("heading", m.group(1).strip(), no))
        elif s.startswith(_BYLINE_MARK):
            items.append(_Item("byline", s, no))
        elif items and items[-1].kind == "byline" and _BYLINE_CONT.match(s):
            items[-1].text += " " + s
        elif _AUTHOR_INFO.match(s):
            items.append(_Item("author_info", s, no))
        elif _CAPTION.match(s):
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
                    problems: _Collector | None = None) -> list[Article]:
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
    col = problems or _Collector(strict=False)
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


def _finish(d: _Draft, art_id: str, file: str, col: _Collector) -> Article:
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
                paras[-1] = _glue(paras[-1], it.text)
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
    text, spans = _assemble(paras)
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


# ---------------------------------------------------------------------------------------------
# plain text and jsonl


def parse_plain_text(text: str, art_id: str) -> Article:
    """First non-empty line is the title; the rest is the body (blank-line blocks or lines are paragraphs).

    Markdown heading lines (``## 小标题``) in the body become :class:`~regioqa.types.Section` entries.

    >>> a = parse_plain_text("# 标题\\n第一段。\\n## 小标题\\n第二段。\\n", "x")
    >>> a.title, a.text, a.paragraphs
    ('标题', '第一段。\\n第二段。', [Span(start=0, end=4), Span(start=5, end=9)])
    >>> a.sections
    [Section(heading='小标题', start=5)]
    """
    lines = text.split("\n")
    i = next((k for k, s in enumerate(lines) if s.strip()), len(lines))
    title = lines[i].strip().lstrip("#").strip() if i < len(lines) else ""
    rest = lines[i + 1:]
    block_mode = bool(re.search(r"\S\s*\n\s*\n\s*\S", "\n".join(rest)))  # blank-line separated paragraphs
    paras: list[str] = []
    heads: list[tuple[str, int]] = []
    current = ""
    for line in rest + [""]:
        s = line.strip()
        m = _HEADING.match(s)
        if current and (not s or m or not block_mode):
            paras.append(current)
            current = ""
        if m:
            heads.append((m.group(1).strip(), len(paras)))
        elif s:
            current = _glue(current, s) if current else s
    body, spans = _assemble(paras)
    sections = [Section(h, spans[k].start if k < len(spans) else len(body)) for h, k in heads]
    return Article(id=art_id, title=title, text=body, paragraphs=spans, sections=sections)


_STR_FIELDS = ("date", "source", "url")


def _article_from_record(rec: Any, default_id: str, file: Path, line: int, col: _Collector) -> Article | None:
    if not isinstance(rec, dict):
        col.add(file, line, f"expected a JSON object, got {type(rec).__name__}")
        return None
    text = rec.get("text")
    if not isinstance(text, str) or not text.strip():
        what = "missing 'text'" if text is None else f"'text' must be a non-empty string, got {text!r:.40}"
        col.add(file, line, what)
        return None
    rec = dict(rec)
    rid = rec.get("id", default_id)
    if not isinstance(rid, str | int) or isinstance(rid, bool) or str(rid).strip() == "":
        col.add(file, line, f"bad 'id' {rid!r}; expected a string")
        return None
    rec["id"] = str(rid)
    title = rec.get("title")
    if not isinstance(title, str):
        col.add(file, line, f"missing or non-string 'title' ({title!r:.40}); using ''", level="warn")
        rec["title"] = ""
    for k in _STR_FIELDS:
        if rec.get(k) is not None and not isinstance(rec[k], str):
            col.add(file, line, f"'{k}' should be a string, got {rec[k]!r:.40}; stored as text", level="warn")
            rec[k] = str(rec[k])
    if "paragraphs" in rec:  # a record written by write_articles_jsonl
        try:
            art = Article.from_dict(rec)
        except (TypeError, ValueError) as e:
            col.add(file, line, f"bad article record ({e})")
            return None
        if any(p.end > len(art.text) for p in art.paragraphs) or any(
                s.start > len(art.text) for s in art.sections):
            col.add(file, line, f"{art.id}: paragraph/section offsets beyond the text; recomputed",
                    level="warn")
            art.paragraphs = _paragraphs_of(art.text)
            art.sections = [s for s in art.sections if s.start <= len(art.text)]
        return art
    norm = text.replace("\r\n", "\n").replace("\r", "\n").strip()
    rec["text"] = norm
    rec["paragraphs"] = [{"start": p.start, "end": p.end} for p in _paragraphs_of(norm)]
    try:
        return Article.from_dict(rec)
    except (TypeError, ValueError) as e:
        col.add(file, line, f"bad article record ({e})")
        return None


def _read_text(path: Path, col: _Collector) -> str | None:
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = data[:e.start].count(b"\n") + 1
        bad = data[e.start:e.start + 4]
        col.add(path, line, f"undecodable bytes (not UTF-8) at byte {e.start}: {bad!r}; "
                "file skipped (re-save it as UTF-8)")
        return None
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        col.add(path, None, "empty file; skipped")
        return None
    return text


def _load_file(path: Path, col: _Collector) -> list[tuple[Article, int | None]]:
    """Articles of one file, each with the line it starts on (jsonl) or None."""
    text = _read_text(path, col)
    if text is None:
        return []
    if path.suffix == ".jsonl":
        out: list[tuple[Article, int | None]] = []
        for no, line in enumerate(text.split("\n"), 1):
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
            except json.JSONDecodeError as e:
                col.add(path, no, f"invalid JSON ({e.msg} at column {e.colno})")
                continue
            art = _article_from_record(rec, f"{path.stem}-{no}", path, no, col)
            if art is not None:
                out.append((art, no))
        if not out:
            col.add(path, None, "no usable records", level="warn")
        return out
    if is_page_dump(text):
        return [(a, None) for a in parse_page_dump(text, path.stem, str(path), col)]
    art = parse_plain_text(text, path.stem)
    if not art.text:
        col.add(path, 1, "title line but no body text; skipped")
        return []
    return [(art, None)]


def _expand(paths: Iterable[str | Path], col: _Collector) -> list[Path]:
    files: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            for f in sorted(p.rglob("*")):
                if f.is_file() and not any(part.startswith(".") for part in f.relative_to(p).parts):
                    if f.suffix in SUFFIXES:
                        files.append(f)
                    else:
                        col.add(f, None, f"not a corpus file (expected {', '.join(SUFFIXES)}); skipped")
        elif p.is_file():
            if p.suffix not in SUFFIXES:
                raise InputError(f"{p}: unsupported file type {p.suffix!r}; expected {', '.join(SUFFIXES)} "
                                 "or a folder of them")
            files.append(p)
        else:
            raise InputError(f"{p}: no such file or folder")
    return files


def load_corpus(paths: Iterable[str | Path], strict: bool = False) -> tuple[list[Article], LoadReport]:
    """Load articles from files and folders; return them with a report of what was read and skipped.

    Duplicate ids: the first article wins, later ones are skipped and reported with both places.
    ``strict=True`` raises :class:`InputError` on the first problem.
    """
    col = _Collector(strict)
    seen: dict[str, str] = {}
    out: list[Article] = []
    for f in _expand(paths, col):
        arts = _load_file(f, col)
        kept = 0
        for a, line in arts:
            where = f"{f}:{line}" if line else str(f)
            if a.id in seen:
                col.add(f, line, f"duplicate id {a.id!r} (first at {seen[a.id]}); skipped")
                continue
            seen[a.id] = where
            out.append(a)
            kept += 1
        col.report.files[str(f)] = kept
    return out, col.report


def load_articles(paths: str | Path | Iterable[str | Path], strict: bool = False) -> list[Article]:
    """Load articles; each problem is issued as a :class:`CorpusWarning` (see :func:`load_corpus`)."""
    if isinstance(paths, str | Path):
        paths = [paths]
    arts, report = load_corpus(paths, strict=strict)
    for p in report.skipped + report.warnings:
        warnings.warn(str(p), CorpusWarning, stacklevel=2)
    return arts


def write_articles_jsonl(articles: Iterable[Article], path: str | Path) -> int:
    """Write articles atomically, one JSON object a line; return how many were written."""
    n = 0
    with atomic_open(path, "w") as f:
        for a in articles:
            f.write(json.dumps(a.to_dict(), ensure_ascii=False) + "\n")
            n += 1
    return n


def read_articles_jsonl(path: str | Path) -> list[Article]:
    """Read a built corpus (``corpus/articles.jsonl``); any problem raises :class:`InputError`.

    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "a.jsonl"
    >>> _ = write_articles_jsonl([Article(id="x", title="t", text="正文。")], p)
    >>> read_articles_jsonl(p)[0].text
    '正文。'
    """
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: corpus file not found (build it with `regioqa corpus build`)")
    arts, _ = load_corpus([path], strict=True)
    return arts
