"""What every reader of :mod:`regioqa.ingest` shares: problems and the load report, and the helpers that
turn paragraphs into an article body with offsets.

>>> col = Collector(strict=False)
>>> col.add("a.html", None, "no main text; skipped")
>>> col.report.summary()
'read 0 file(s), 0 article(s); skipped 1 item(s), 0 warning(s), 0 layout repair(s)'
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import InputError
from ..types import Span

__all__ = ["Problem", "LoadReport", "Collector", "CorpusWarning", "glue", "assemble", "paragraphs_of",
           "normalize_date"]


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
    """What :func:`regioqa.corpus.load_corpus` read, produced and skipped."""

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


class Collector:
    """Collects :class:`Problem` s into a :class:`LoadReport`; ``strict`` raises on the first one."""

    def __init__(self, strict: bool) -> None:
        self.strict = strict
        self.report = LoadReport()

    def add(self, file: Path | str, line: int | None, message: str, level: str = "skip") -> None:
        p = Problem(str(file), line, message, level)
        if self.strict and level != "note":
            raise InputError(str(p))
        self.report.problems.append(p)


def glue(a: str, b: str) -> str:
    """Join two pieces of one paragraph: no separator between CJK, one space between Latin words.

    >>> glue("没有", "写完"), glue("GDP", "grew")
    ('没有写完', 'GDP grew')
    """
    if a and b and a[-1].isascii() and a[-1].isalnum() and b[0].isascii() and b[0].isalnum():
        return f"{a} {b}"
    return a + b


def assemble(paras: Sequence[str]) -> tuple[str, list[Span]]:
    """Join paragraphs with ``\\n``; return body text and paragraph spans.

    >>> assemble(["甲。", "乙。"])
    ('甲。\\n乙。', [Span(start=0, end=2), Span(start=3, end=5)])
    """
    spans: list[Span] = []
    pos = 0
    for p in paras:
        spans.append(Span(pos, pos + len(p)))
        pos += len(p) + 1
    return "\n".join(paras), spans


def paragraphs_of(text: str) -> list[Span]:
    """Spans of the non-empty, whitespace-trimmed lines of ``text``."""
    return [Span(m.start(), m.end()) for m in re.finditer(r"[^\s](?:[^\n]*[^\s])?", text)]


_DATE_RE = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})")


def normalize_date(value: object) -> str | None:
    """An ISO ``YYYY-MM-DD`` for a date-like value (string, datetime, time tuple); None when none is found.

    >>> normalize_date("2024年3月5日 08:00"), normalize_date("2024-03-05T08:00:00Z"), normalize_date("soon")
    ('2024-03-05', '2024-03-05', None)
    >>> normalize_date("2024-02-31"), normalize_date((2023, 2, 29)), normalize_date("2024-02-29")
    (None, None, '2024-02-29')
    """
    if value is None:
        return None
    if hasattr(value, "strftime"):
        return value.strftime("%Y-%m-%d")  # type: ignore[union-attr]
    if isinstance(value, tuple | list) and len(value) >= 3 and all(isinstance(x, int) for x in value[:3]):
        y, mo, d = value[:3]
    else:
        m = _DATE_RE.search(str(value))
        if not m:
            return None
        y, mo, d = (int(x) for x in m.groups())
    try:  # a real calendar date: no 31 February, no 29 February outside leap years
        return datetime.date(y, mo, d).isoformat()
    except ValueError:
        return None
