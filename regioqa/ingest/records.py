"""Plain ``.txt`` articles and ``.jsonl`` article records.

* **Plain ``.txt``**: the first non-empty line is the title (leading ``#`` stripped), the rest the
  body. Paragraphs are blank-line separated blocks, or single lines when the file has no blank lines.
* **``.jsonl``**: one JSON object a line with ``title`` and ``text`` (required), optional ``id``,
  ``date``, ``source``, ``url``; other keys go to ``meta``. Records written by
  :func:`regioqa.corpus.write_articles_jsonl` (with ``paragraphs``, ``sections``...) read back unchanged.
  Other column names: :class:`~regioqa.ingest.tables.Columns`.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from ..types import Article, Section
from .common import Collector, assemble, glue, normalize_date, paragraphs_of
from .pagedump import HEADING

__all__ = ["parse_plain_text", "article_from_record"]

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
        m = HEADING.match(s)
        if current and (not s or m or not block_mode):
            paras.append(current)
            current = ""
        if m:
            heads.append((m.group(1).strip(), len(paras)))
        elif s:
            current = glue(current, s) if current else s
    body, spans = assemble(paras)
    sections = [Section(h, spans[k].start if k < len(spans) else len(body)) for h, k in heads]
    return Article(id=art_id, title=title, text=body, paragraphs=spans, sections=sections)


_STR_FIELDS = ("date", "source", "url")


def article_from_record(rec: Any, default_id: str, file: Path | str, line: int | None,
                        col: Collector) -> Article | None:
    """One article from a JSON object / table row (keys ``id``, ``title``, ``text``, ``date``, ``source``,
    ``url``; others go to ``meta``); None, with the problem in ``col``, when it has no usable text."""
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
    if rec.get("date") is not None and "paragraphs" not in rec:
        iso = normalize_date(rec["date"])
        if iso is None:
            col.add(file, line, f"date {rec['date']!r:.40} not understood; kept as text (--since/--until "
                    "will not match it)", level="warn")
        else:
            rec["date"] = iso
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
            art.paragraphs = paragraphs_of(art.text)
            art.sections = [s for s in art.sections if s.start <= len(art.text)]
        return art
    norm = text.replace("\r\n", "\n").replace("\r", "\n").strip()
    rec["text"] = norm
    rec["paragraphs"] = [{"start": p.start, "end": p.end} for p in paragraphs_of(norm)]
    try:
        return Article.from_dict(rec)
    except (TypeError, ValueError) as e:
        col.add(file, line, f"bad article record ({e})")
        return None

