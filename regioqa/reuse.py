"""What a rebuild reuses from the previous index: article and chunk checksums, the unchanged articles'
chunks and the vectors of unchanged chunk texts, and the counts of what it did (:class:`BuildStats`).

>>> same, changed = Article("a1", "t", "正文"), Article("a1", "t", "改")
>>> article_checksum(same) == article_checksum(Article("a1", "t", "正文")) != article_checksum(changed)
True
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Iterable
from typing import Any

import numpy as np

from . import __version__
from .config import Config
from .errors import InputError
from .types import Article, Chunk


@dataclasses.dataclass
class BuildStats:
    """What a (re)build did: article changes against the previous index and embedding work."""

    articles: int = 0
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    removed: int = 0
    chunks: int = 0
    embedded: int = 0
    reused: int = 0
    seconds: float = 0.0

    def __str__(self) -> str:
        return (
            f"{self.articles} articles ({self.new} new, {self.changed} changed, {self.unchanged} unchanged, "
            f"{self.removed} removed); {self.chunks} chunks ({self.embedded} embedded, {self.reused} reused) "
            f"in {self.seconds:.1f}s"
        )


def text_sha256(s: str) -> str:
    """sha256 of a text (UTF-8): what decides whether a chunk's vector can be reused."""
    return hashlib.sha256(s.encode("utf-8")).hexdigest()


def article_checksum(a: Article) -> str:
    """Checksum of what indexing depends on: id, title and body."""
    return text_sha256(f"{a.id}\x00{a.title}\x00{a.text}")


def corpus_checksum(articles: Iterable[Article]) -> str:
    h = hashlib.sha256()
    for c in sorted(article_checksum(a) for a in articles):
        h.update(c.encode())
    return h.hexdigest()


def check_articles(articles: Iterable[Article]) -> dict[str, Article]:
    """Articles by id; InputError on a non-Article, a repeated id or no articles at all."""
    out: dict[str, Article] = {}
    for a in articles:
        if not isinstance(a, Article):
            raise InputError(f"expected Article objects, got {type(a).__name__}")
        if a.id in out:
            raise InputError(f"duplicate article id {a.id!r}")
        out[a.id] = a
    if not out:
        raise InputError("no articles to index")
    return out


def unchanged_chunks(previous: Any | None, articles: Iterable[Article], config: Config,
                     fingerprint: str) -> dict[str, list[Chunk]]:
    """Chunks of the ``previous`` index for the articles it holds unchanged, when chunking would come
    out the same (same chunker settings, embedder and library version): these are not chunked again.
    ``Index.build`` and the Ray engine both decide with this."""
    if previous is None:
        return {}
    m = previous.manifest
    if (m.get("chunker") != dataclasses.asdict(config.chunk) or m.get("library_version") != __version__
            or m.get("embedder", {}).get("fingerprint") != fingerprint):
        return {}
    old: dict[str, list[Chunk]] = {}
    for c in previous.chunks:
        old.setdefault(c.article_id, []).append(c)
    return {a.id: old.get(a.id, []) for a in articles
            if a.id in previous.articles and article_checksum(previous.articles[a.id]) == article_checksum(a)}


def previous_vectors(
    previous: Any | None, fingerprint: str
) -> tuple[dict[str, int], np.ndarray | None, dict[str, str] | None]:
    """(chunk text sha256 -> row, vectors, article id -> checksum) from a previous (loaded) index, if
    usable."""
    if previous is None:
        return {}, None, None
    sums = {a.id: article_checksum(a) for a in previous.articles.values()}
    if previous.manifest["embedder"]["fingerprint"] != fingerprint:
        return {}, None, sums
    rows = {text_sha256(c.text): i for i, c in enumerate(previous.chunks)}
    return rows, previous.dense.vectors, sums
