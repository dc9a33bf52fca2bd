"""Read articles from files and folders of any supported kind; write and read the built corpus.

Formats (by file suffix; the readers live in :mod:`regioqa.ingest`)
-------------------------------------------------------------------
* **``.txt``**: a plain article (first line the title) or a newspaper page dump
  (:mod:`regioqa.ingest.pagedump`, recognised by ``## `` headings and ``◎`` bylines).
* **``.jsonl``**: one article record a line (:mod:`regioqa.ingest.records`), read line by line.
* **``.html``/``.htm``**: saved news pages through trafilatura (:mod:`regioqa.ingest.html`).
* **``.xml``/``.rss``/``.atom``**: RSS/Atom feeds through feedparser (:mod:`regioqa.ingest.feeds`).
* **``.parquet``/``.csv``**: article tables streamed through ``datasets`` (:mod:`regioqa.ingest.tables`).

Column names other than ``text``/``title``/``id``/``date``/``source``/``url`` (tables and ``.jsonl``):
:class:`~regioqa.ingest.tables.Columns`. Bad input never disappears silently: every skipped file, page,
entry, row or record, and every repair, is a :class:`Problem` naming the file and line (or entry/row),
collected in a :class:`LoadReport`; the rest of the batch goes on. With ``strict=True`` the first
problem raises :class:`~regioqa.errors.InputError` instead.

>>> import tempfile, pathlib
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> _ = (d / "a.txt").write_text("标题\\n\\n第一段。\\n\\n第二段。", encoding="utf-8")
>>> arts, report = load_corpus([d])
>>> arts[0].id, arts[0].title, arts[0].text, report.n_articles
('a', '标题', '第一段。\\n第二段。', 1)
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterable, Iterator
from pathlib import Path

from tqdm import tqdm

from .errors import InputError
from .ingest.common import Collector, CorpusWarning, LoadReport, Problem
from .ingest.feeds import FEED_SUFFIXES, read_feed
from .ingest.html import HTML_SUFFIXES, read_html_page
from .ingest.pagedump import is_page_dump, parse_page_dump
from .ingest.records import article_from_record, parse_plain_text
from .ingest.tables import TABLE_SUFFIXES, Columns, read_table
from .io import atomic_open
from .types import Article

__all__ = [
    "Problem", "LoadReport", "CorpusWarning", "Columns", "load_corpus", "iter_corpus", "load_articles",
    "read_articles_jsonl", "write_articles_jsonl", "parse_page_dump", "parse_plain_text", "is_page_dump",
    "SUFFIXES",
]

SUFFIXES = (".txt", ".jsonl") + HTML_SUFFIXES + FEED_SUFFIXES + TABLE_SUFFIXES


def _read_text(path: Path, col: Collector) -> str | None:
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


def _read_jsonl(path: Path, col: Collector, columns: Columns) -> Iterator[tuple[Article, int | None]]:
    n_ok = n_lines = 0
    with open(path, "rb") as f:
        for no, raw in enumerate(f, 1):
            try:
                line = raw.decode("utf-8-sig" if no == 1 else "utf-8")
            except UnicodeDecodeError as e:
                col.add(path, no, f"undecodable bytes (not UTF-8) at column {e.start + 1}; line skipped")
                continue
            if not line.strip():
                continue
            n_lines += 1
            try:
                rec = json.loads(line)
            except json.JSONDecodeError as e:
                col.add(path, no, f"invalid JSON ({e.msg} at column {e.colno})")
                continue
            if isinstance(rec, dict):
                rec = columns.rename(rec)
            art = article_from_record(rec, f"{path.stem}-{no}", path, no, col)
            if art is not None:
                n_ok += 1
                yield art, no
    if not n_lines:
        col.add(path, None, "empty file; skipped")
    elif not n_ok:
        col.add(path, None, "no usable records", level="warn")


def _load_file(path: Path, col: Collector, columns: Columns) -> Iterator[tuple[Article, int | None]]:
    """Articles of one file, each with the line it starts on (jsonl) or None."""
    suffix = path.suffix.lower()
    if suffix == ".jsonl":
        yield from _read_jsonl(path, col, columns)
        return
    if suffix in HTML_SUFFIXES:
        art = read_html_page(path, path.stem, col)
        if art is not None:
            yield art, None
        return
    if suffix in FEED_SUFFIXES:
        yield from ((a, None) for a in read_feed(path, col))
        return
    if suffix in TABLE_SUFFIXES:
        yield from ((a, None) for a in read_table(path, col, columns))
        return
    text = _read_text(path, col)
    if text is None:
        return
    if is_page_dump(text):
        yield from ((a, None) for a in parse_page_dump(text, path.stem, str(path), col))
        return
    art = parse_plain_text(text, path.stem)
    if not art.text:
        col.add(path, 1, "title line but no body text; skipped")
        return
    yield art, None


def _expand(paths: Iterable[str | Path], col: Collector) -> list[Path]:
    files: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            for f in sorted(p.rglob("*")):
                if f.is_file() and not any(part.startswith(".") for part in f.relative_to(p).parts):
                    if f.suffix.lower() in SUFFIXES:
                        files.append(f)
                    else:
                        col.add(f, None, f"not a corpus file (expected {', '.join(SUFFIXES)}); skipped")
        elif p.is_file():
            if p.suffix.lower() not in SUFFIXES:
                raise InputError(f"{p}: unsupported file type {p.suffix!r}; expected {', '.join(SUFFIXES)} "
                                 "or a folder of them")
            files.append(p)
        else:
            raise InputError(f"{p}: no such file or folder")
    return files


class _SeenIds:
    """The ids read so far. Table rows with generated ids (``{stem}-{row}``) are kept as one row count
    per table file, not one entry per row, so a million-row table adds no memory."""

    def __init__(self) -> None:
        self.ids: dict[str, str] = {}
        self.tables: dict[str, dict[str, int]] = {}  # stem -> {file: last generated row}, in reading order

    def add(self, a: Article, file: Path, line: int | None) -> str | None:
        """Record ``a``; the place of an earlier article with its id (then ``a`` is a duplicate), or None."""
        if a.id in self.ids:
            return self.ids[a.id]
        stem, _, num = a.id.rpartition("-")
        row = a.meta.get("table_row")
        if num.isdigit():
            for other, last in self.tables.get(stem, {}).items():
                if other != str(file) and 0 < int(num) <= last:
                    return f"{other} row {num}"
        if row is not None and a.id == f"{file.stem}-{row}":
            self.tables.setdefault(file.stem, {})[str(file)] = row
        else:
            self.ids[a.id] = f"{file}:{line}" if line else str(file)
        return None


def iter_corpus(paths: Iterable[str | Path], report: LoadReport | None = None, strict: bool = False,
                columns: Columns | None = None, progress: bool = False) -> Iterator[Article]:
    """Stream the articles of files and folders; problems and per-file counts go into ``report``.

    Duplicate ids: the first article wins, later ones are skipped and reported with both places (the
    ids seen so far are the only thing kept in memory, and not even them for table rows without an id
    column). ``progress`` shows a tqdm bar over files.
    """
    col = Collector(strict)
    if report is not None:
        col.report = report
    columns = columns or Columns()
    seen = _SeenIds()
    files = _expand(paths, col)
    if progress:
        files = tqdm(files, desc="read", unit="file", disable=len(files) < 2)
    for f in files:
        kept = 0
        for a, line in _load_file(f, col, columns):
            first = seen.add(a, f, line)
            if first is not None:
                col.add(f, line, f"duplicate id {a.id!r} (first at {first}); skipped")
                continue
            kept += 1
            yield a
        col.report.files[str(f)] = kept


def load_corpus(paths: Iterable[str | Path], strict: bool = False,
                columns: Columns | None = None) -> tuple[list[Article], LoadReport]:
    """Load articles from files and folders; return them with a report of what was read and skipped
    (see :func:`iter_corpus`)."""
    report = LoadReport()
    return list(iter_corpus(paths, report, strict=strict, columns=columns)), report


def load_articles(paths: str | Path | Iterable[str | Path], strict: bool = False,
                  columns: Columns | None = None) -> list[Article]:
    """Load articles; each problem is issued as a :class:`CorpusWarning` (see :func:`load_corpus`)."""
    if isinstance(paths, str | Path):
        paths = [paths]
    arts, report = load_corpus(paths, strict=strict, columns=columns)
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
