"""Retrieval runs and their fusion: the BM25 run (with en->zh dictionary expansion for English
questions), weighted reciprocal rank fusion, and the :class:`~regioqa.types.Hit` list built from them.
"""

from __future__ import annotations

from typing import Any

from .config import RetrieveConfig
from .filters import ArticleFilter
from .lexical import LexicalIndex, expand_english, has_han, tokenize
from .types import Article, Chunk, Hit

Run = list[tuple[int, float]]  # (chunk row, score), best first


def rrf(runs: dict[str, Run], weights: dict[str, float], k: int = 60) -> Run:
    """Weighted reciprocal rank fusion: score(d) = sum_r w_r / (k + rank_r(d)), ranks from 1.

    >>> rrf({"a": [(1, 9.0), (2, 5.0)], "b": [(2, 0.9)]}, {"a": 1.0, "b": 1.0}, k=60)[0][0]
    2
    """
    fused: dict[int, float] = {}
    for name, run in runs.items():
        w = weights.get(name, 1.0)
        for rank, (i, _s) in enumerate(run, 1):
            fused[i] = fused.get(i, 0.0) + w / (k + rank)
    return sorted(fused.items(), key=lambda t: (-t[1], t[0]))


def bm25_run(lexical: LexicalIndex, q: str, depth: int, rc: RetrieveConfig) -> tuple[Run, float]:
    """The BM25 run for query ``q`` and its fusion weight. An English question (no Han characters)
    also searches the Chinese terms of the en->zh dictionary (``retrieve.expand_english``), weighted
    by ``retrieve.expansion_weight``."""
    tokens = tokenize(q, lexical.scheme)
    if has_han(q) or not rc.expand_english:
        return lexical.search_tokens(tokens, depth), rc.bm25_weight
    expansion = {t: w for t, w in expand_english(q).items() if t not in tokens}
    return (lexical.search_tokens(tokens + list(expansion), depth, expansion or None),
            rc.bm25_weight * rc.expansion_weight)


def fuse(runs: dict[str, Run], weights: dict[str, float], mode: str, rrf_k: int, depth: int,
         chunks: list[Chunk], articles: dict[str, Any], where: ArticleFilter | None = None) -> list[Hit]:
    """Hits for ``mode`` ("hybrid": RRF of the runs; else the one run), best first, each with every
    run's score and rank in ``scores``; only chunks of articles that pass ``where`` (all when None)."""
    fused = rrf(runs, weights, rrf_k) if mode == "hybrid" else runs[mode]
    fused = where.keep(fused, chunks, articles) if where else fused
    per = {name: {i: (rank, s) for rank, (i, s) in enumerate(run, 1)} for name, run in runs.items()}
    hits = []
    for rank, (i, score) in enumerate(fused[:depth], 1):
        sc: dict[str, float] = {}
        for name, table in per.items():
            if i in table:
                sc[name] = table[i][1]
                sc[f"{name}_rank"] = float(table[i][0])
        c = chunks[i]
        a: Article | None = articles.get(c.article_id)
        hits.append(Hit(chunk=c, score=float(score), retriever=mode, rank=rank,
                        article_title=a.title if a else "", scores=sc))
    return hits
