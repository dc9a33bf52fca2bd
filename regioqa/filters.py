"""Restrict search and answers to articles by date and source (``--since``/``--until``/``--source``).

>>> from regioqa.types import Article
>>> f = ArticleFilter.parse(since="2024-01-01", sources=["晚报"])
>>> f.matches(Article(id="a", title="", text="x", date="2024-03-05", source="草原晚报"))
True
>>> f.matches(Article(id="b", title="", text="x", date="2023-12-31", source="草原晚报"))
False
>>> f.matches(Article(id="c", title="", text="x", source="草原晚报"))  # no date: left out by a date bound
False
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from .errors import InputError
from .ingest.common import normalize_date
from .types import Article, Chunk

__all__ = ["ArticleFilter"]

_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


@dataclass(frozen=True)
class ArticleFilter:
    """Dates are inclusive ISO days; ``sources``: any of them, case-insensitive, found in the article's
    source or its URL's host. An article without a date never passes a date bound."""

    since: str | None = None
    until: str | None = None
    sources: tuple[str, ...] = ()

    @classmethod
    def parse(cls, since: str | None = None, until: str | None = None,
              sources: Sequence[str] | None = None) -> ArticleFilter:
        """Validate the command-line values (``2024-03-05``, ``2024/3/5``, ``2024年3月5日``).

        >>> ArticleFilter.parse(until="2024年3月5日").until
        '2024-03-05'
        """
        bounds = []
        for name, v in (("--since", since), ("--until", until)):
            iso = normalize_date(v) if v else None
            if v and iso is None:
                raise InputError(f"{name} {v!r}: expected a date like 2024-03-05")
            bounds.append(iso)
        if bounds[0] and bounds[1] and bounds[0] > bounds[1]:
            raise InputError(f"--since {bounds[0]} is after --until {bounds[1]}: no article can match")
        return cls(bounds[0], bounds[1], tuple(s.strip().lower() for s in sources or () if s.strip()))

    def __bool__(self) -> bool:
        return bool(self.since or self.until or self.sources)

    def matches(self, a: Article) -> bool:
        if self.since or self.until:
            d = (a.date or "")[:10]
            if not _ISO_DAY.fullmatch(d):  # undated, or a date that could not be read: fails a date filter
                return False
            if (self.since and d < self.since) or (self.until and d > self.until):
                return False
        if self.sources:
            hay = f"{a.source or ''} {_host(a.url)}".lower()
            return any(s in hay for s in self.sources)
        return True

    def allowed(self, articles: Mapping[str, Article]) -> set[str]:
        """Ids of the articles that pass."""
        return {i for i, a in articles.items() if self.matches(a)}

    def keep(self, ranked: Iterable[tuple[int, float]], chunks: Sequence[Chunk],
             articles: Mapping[str, Article]) -> list[tuple[int, float]]:
        """The ``(chunk index, score)`` candidates whose article passes, order kept."""
        allowed = self.allowed(articles)
        return [(i, s) for i, s in ranked if chunks[i].article_id in allowed]


def _host(url: str | None) -> str:
    """The host of ``url`` ("" when none); a malformed URL is matched as written."""
    if not url:
        return ""
    try:
        return urlsplit(url).netloc
    except ValueError:  # e.g. "http://[bad/x" (an unclosed IPv6 bracket)
        return url
