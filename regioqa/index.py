"""Hybrid cross-lingual retrieval over article chunks, with a persistent, verified index directory.

Dense search (:mod:`regioqa.dense`, faiss) and BM25 over script-normalised tokens
(:mod:`regioqa.lexical`, bm25s) are fused by weighted reciprocal rank fusion; an optional
re-ranker ``(query, hits) -> hits`` runs after fusion. Chinese questions use both sides; English
questions use the dense side plus BM25 over Chinese terms from the en->zh dictionary
(``retrieve.expand_english``, weighted by ``retrieve.expansion_weight``).

>>> from regioqa.testing import HashingEmbedder
>>> arts = [Article("a1", "呼和浩特", "呼和浩特科技创新发展指数排名第30位。"),
...         Article("a2", "甘肃", "甘肃文旅融合发展，游客数量持续增长。")]
>>> idx = Index.build(arts, HashingEmbedder(), show_progress=False)
>>> hits = idx.search("科技创新指数排名第几", k=1)
>>> hits[0].article_id, hits[0].retriever, hits[0].rank
('a1', 'hybrid', 1)

On disk (``index.save(dir)``, ``Index.load(dir)``): see :mod:`regioqa.index_store` (atomic, locked,
verified). Fusion: :mod:`regioqa.fusion`; incremental rebuilds: :mod:`regioqa.reuse`.

Measured (gold set, 92 answerable questions, 19 chunks of 256 tokens, e5-small; recall@1 / @5):
Chinese dense 0.80/0.98, BM25 1.00/1.00, hybrid 0.97/1.00; English dense 0.50/0.92, BM25 with
dictionary expansion 0.77/0.96 (without it 0.12/0.23), hybrid 0.73/1.00. With only 19 chunks,
recall@10 is 1.0 everywhere and not informative. On 1,000 DRCD dev questions over 1,000 traditional
paragraphs, BM25 recall@1/@5: bigrams 0.926/0.984, jieba 0.917/0.992, both 0.922/0.984, identical for
simplified questions (script normalisation). Hence the defaults: bigram BM25 and ``bm25_weight=2``.
"""

from __future__ import annotations

import dataclasses
import itertools
import os
import sys
import time
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from . import __version__
from .config import Config
from .dense import DenseIndex
from .embed import Embedder
from .errors import IndexError_, InputError, RegioQAError
from .filters import ArticleFilter
from .fusion import bm25_run, fuse, rrf  # noqa: F401  (rrf: part of this module's API)
from .index_store import (
    FORMAT,
    FORMAT_VERSION,
    MANIFEST,
    check_files,
    check_out_dir,
    index_lock,
    read_manifest,
    read_records,
    write_files,
)
from .io import atomic_dir, remove_stale_temps
from .lexical import LexicalIndex, tokenize
from .reuse import (
    BuildStats,
    article_checksum,
    check_articles,
    corpus_checksum,
    previous_vectors,
    text_sha256,
    unchanged_chunks,
)
from .text import Chunker
from .types import Article, Chunk, ChunkerLike, EmbedderLike, Hit

MODES = ("dense", "bm25", "hybrid")

Reranker = Callable[[str, list[Hit]], list[Hit]]


def _has_content(text: str) -> bool:
    """True when ``text`` holds a letter, digit or ideograph (not only punctuation, symbols, spaces)."""
    return any(unicodedata.category(c)[0] in "LN" for c in text)


def _embedder_model(embedder: Any) -> str | None:
    for attr in ("model_path", "model_dir", "path", "model"):
        v = getattr(embedder, attr, None)
        if isinstance(v, str | os.PathLike):
            return str(v)
    return None


class Index:
    """Chunks of articles, searchable by dense, BM25 or hybrid retrieval. See the module docstring."""

    def __init__(
        self,
        articles: dict[str, Article],
        chunks: list[Chunk],
        dense: DenseIndex,
        lexical: LexicalIndex,
        embedder: EmbedderLike | None,
        config: Config,
        manifest: dict[str, Any],
        reranker: Reranker | None = None,
    ) -> None:
        self.articles = articles
        self.chunks = chunks
        self.dense = dense
        self.lexical = lexical
        self._embedder = embedder
        self.config = config
        self.manifest = manifest
        self.reranker = reranker
        self.build_stats: BuildStats | None = None
        self.path: Path | None = None

    # ------------------------------------------------------------------ building
    @classmethod
    def build(
        cls,
        articles: Iterable[Article],
        embedder: EmbedderLike,
        config: Config | None = None,
        *,
        previous: Index | str | Path | None = None,
        chunker: ChunkerLike | None = None,
        reranker: Reranker | None = None,
        show_progress: bool = True,
    ) -> Index:
        """Chunk, embed and index ``articles``.

        ``previous`` (an index or its directory) lends the vectors of chunks whose text is unchanged,
        when it was built with the same embedder; ``index.build_stats`` counts what was reused.
        """
        t0 = time.perf_counter()
        cfg = config or Config()
        arts = check_articles(articles)
        prev = load_previous(previous)
        kept = unchanged_chunks(prev, arts.values(), cfg, embedder.fingerprint)
        chunks: list[Chunk] = []
        for a in _progress(arts.values(), show_progress, "chunking", len(arts)):
            if a.id in kept:
                chunks.extend(kept[a.id])
                continue
            if chunker is None:
                chunker = Chunker(cfg.chunk, count_tokens=embedder.count_tokens)
            for c in chunker.run(a):
                if a.text[c.start : c.end] != c.text or c.article_id != a.id:
                    raise IndexError_(
                        f"chunker returned chunk {c.chunk_id} whose text does not match "
                        f"article {a.id} [{c.start}:{c.end}]"
                    )
                chunks.append(c)
        if not chunks:
            raise InputError(f"nothing to index: the {len(arts)} article(s) have no text")

        stats = BuildStats(articles=len(arts), chunks=len(chunks))
        reuse_rows, reuse_vecs, prev_sums = previous_vectors(prev, embedder.fingerprint)
        if prev_sums is not None:
            for a in arts.values():
                old = prev_sums.get(a.id)
                if old is None:
                    stats.new += 1
                elif old == article_checksum(a):
                    stats.unchanged += 1
                else:
                    stats.changed += 1
            stats.removed = len(set(prev_sums) - set(arts))
        else:
            stats.new = len(arts)

        vectors = np.zeros((len(chunks), embedder.dim), dtype=np.float32)
        todo: list[int] = []
        for i, c in enumerate(chunks):
            row = reuse_rows.get(text_sha256(c.text))
            if row is not None and reuse_vecs is not None:
                vectors[i] = reuse_vecs[row]
                stats.reused += 1
            else:
                todo.append(i)
        stats.embedded = len(todo)
        batch = 64
        bar = _progress(None, show_progress and bool(todo), "embedding", len(todo), unit="chunk")
        for s in range(0, len(todo), batch):
            ids = todo[s : s + batch]
            emb = np.asarray(embedder.embed_passages([chunks[i].text for i in ids]), dtype=np.float32)
            if emb.shape != (len(ids), embedder.dim):
                raise IndexError_(
                    f"embedder returned shape {emb.shape}, expected ({len(ids)}, {embedder.dim})"
                )
            vectors[ids] = emb
            if bar is not None:
                bar.update(len(ids))
        if bar is not None:
            bar.close()
        index = cls.from_vectors(
            arts.values(), chunks, vectors, embedder, cfg, reranker=reranker, show_progress=show_progress
        )
        stats.seconds = time.perf_counter() - t0
        index.build_stats = stats
        return index

    @classmethod
    def from_vectors(
        cls,
        articles: Iterable[Article],
        chunks: Sequence[Chunk],
        vectors: np.ndarray,
        embedder: EmbedderLike,
        config: Config | None = None,
        *,
        reranker: Reranker | None = None,
        show_progress: bool = False,
    ) -> Index:
        """Assemble an index from chunks and their passage vectors (row i embeds chunk i).

        For callers that chunk and embed elsewhere (e.g. on a cluster).
        """
        cfg = config or Config()
        rc = cfg.retrieve
        arts = check_articles(articles)
        chunks = list(chunks)
        if len(chunks) != len(vectors):
            raise InputError(f"{len(chunks)} chunks but {len(vectors)} vectors")
        if vectors.ndim != 2 or vectors.shape[1] != embedder.dim:
            raise InputError(
                f"vectors have shape {vectors.shape}, the embedder's dimension is {embedder.dim}"
            )
        dense = DenseIndex.build(
            vectors,
            kind=rc.dense_index,
            ann_threshold=rc.ann_threshold,
            ann=rc.ann,
            hnsw_m=rc.hnsw_m,
            hnsw_ef_construction=rc.hnsw_ef_construction,
            hnsw_ef_search=rc.hnsw_ef_search,
            ivf_nlist=rc.ivf_nlist,
            ivf_nprobe=rc.ivf_nprobe,
        )
        toks = [
            tokenize(c.text, rc.bm25_tokens) for c in _progress(chunks, show_progress, "bm25", len(chunks))
        ]
        lexical = LexicalIndex.build([], scheme=rc.bm25_tokens, k1=rc.bm25_k1, b=rc.bm25_b, tokens=toks)
        manifest = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "library_version": __version__,
            "embedder": {
                "fingerprint": embedder.fingerprint,
                "dim": embedder.dim,
                "model": _embedder_model(embedder),
            },
            "chunker": dataclasses.asdict(cfg.chunk),
            "lexical": {
                "scheme": rc.bm25_tokens,
                "k1": rc.bm25_k1,
                "b": rc.bm25_b,
                "normalize": "nfkc+t2s+lower",
            },
            "dense": {"kind": dense.kind, "params": dense.params},
            "corpus_checksum": corpus_checksum(arts.values()),
            "counts": {"articles": len(arts), "chunks": len(chunks)},
        }
        return cls(arts, chunks, dense, lexical, embedder, cfg, manifest, reranker)

    # ------------------------------------------------------------------ persistence
    def save(self, directory: str | Path) -> Path:
        """Write the index to ``directory`` atomically (temporary sibling folder, then swap), holding
        its write lock; temporary folders of killed writes are removed. See :mod:`regioqa.index_store`."""
        d = Path(directory)
        with index_lock(d):
            check_out_dir(d)
            remove_stale_temps(d, every=True)
            with atomic_dir(d, marker=MANIFEST) as tmp:
                manifest = write_files(tmp, self.articles, self.chunks, self.dense, self.lexical,
                                       self.manifest)
        self.manifest = manifest
        self.path = d
        if self.dense.kind != "flat":  # the ANN structure holds its own copy: map ours from disk instead
            self.dense.vectors = np.load(d / "vectors.npy", mmap_mode="r")
        return d

    @classmethod
    def load(
        cls,
        directory: str | Path,
        embedder: EmbedderLike | None = None,
        config: Config | None = None,
        *,
        verify: bool = True,
        reranker: Reranker | None = None,
    ) -> Index:
        """Load and verify an index. ``embedder`` must match the one it was built with (checked by
        fingerprint); without one, the recorded model is loaded on the first dense search.
        ``verify`` checks every file's sha256 (sizes, manifest entries and the vectors' shape and sampled
        signature are always checked)."""
        d = Path(directory)
        manifest = read_manifest(d)
        if embedder is not None:
            _check_embedder(manifest, embedder, d)
        check_files(d, manifest, verify)
        cfg = config or Config()
        lex, chunk_keys = manifest["lexical"], {f.name for f in dataclasses.fields(cfg.chunk)}
        cfg = cfg.override({"retrieve.bm25_tokens": lex["scheme"], "retrieve.bm25_k1": lex["k1"],
                            "retrieve.bm25_b": lex["b"],
                            **{f"chunk.{k}": v for k, v in manifest["chunker"].items() if k in chunk_keys}},
                           source=str(d / MANIFEST))
        articles, chunks = read_records(d)
        dense = DenseIndex.load(d, manifest["dense"]["kind"], manifest["dense"].get("params"))
        # search-time settings come from the configuration in use, not from build time
        dense.set_search_params(ef_search=cfg.retrieve.hnsw_ef_search, nprobe=cfg.retrieve.ivf_nprobe)
        lexical = LexicalIndex.load(d / "bm25")
        if not (len(chunks) == dense.ntotal == lexical.n_docs == manifest["counts"]["chunks"]):
            raise IndexError_(
                f"{d}: inconsistent index ({len(chunks)} chunks, {dense.ntotal} vectors, "
                f"{lexical.n_docs} BM25 documents, manifest {manifest['counts']['chunks']})"
            )
        if dense.dim != manifest["embedder"]["dim"]:
            raise IndexError_(
                f"{d}: vectors have dimension {dense.dim}, manifest says {manifest['embedder']['dim']}"
            )
        idx = cls(articles, chunks, dense, lexical, embedder, cfg, manifest, reranker)
        idx.path = d
        return idx

    @property
    def embedder(self) -> EmbedderLike:
        """The query embedder (loaded from the manifest's model on first use when not given)."""
        if self._embedder is None:
            model = self.manifest["embedder"].get("model")
            path = model if model and Path(model).exists() else None
            emb = Embedder(path, self.config.embed)
            want = self.manifest["embedder"]["fingerprint"]
            ec = self.config.embed
            if emb.fingerprint != want and "auto" in (ec.dtype, ec.backend):
                # built with another precision or backend ("auto" differs by CPU and installed packages;
                # it was float32, then torch bf16, before OpenVINO): query the way the index was built
                dtypes = ("float32", "bfloat16") if ec.dtype == "auto" else (ec.dtype,)
                backends = ("openvino", "torch") if ec.backend == "auto" else (ec.backend,)
                for backend, dtype in itertools.product(backends, dtypes):
                    try:
                        alt = Embedder(path, dataclasses.replace(ec, dtype=dtype, backend=backend))
                    except RegioQAError:  # e.g. openvino not installed
                        continue
                    if alt.fingerprint == want:
                        emb = alt
                        break
            _check_embedder(self.manifest, emb, self.path)
            self._embedder = emb
        return self._embedder

    def warm_up(self) -> Index:
        """Load the query embedder (and its model) now; otherwise the first dense search does."""
        if callable(warm := getattr(self.embedder, "warm_up", None)):
            warm()
        return self

    # ------------------------------------------------------------------ search
    def search(self, query: str, k: int | None = None, mode: str | None = None,
               where: ArticleFilter | None = None) -> list[Hit]:
        """Top ``k`` chunks for ``query`` (``k`` defaults to ``retrieve.top_k``, is capped at the number
        of chunks; ``mode``: "dense", "bm25" or "hybrid", default ``retrieve.mode``; ``where``: only
        chunks of the articles that pass this filter, all chunks ranked).

        An empty query or ``k <= 0`` raises :class:`InputError`; a query with no letters, digits or
        ideographs (only punctuation) returns ``[]``, and so does BM25 when no query term is indexed.
        """
        rc = self.config.retrieve
        k = rc.top_k if k is None else k
        mode = rc.mode if mode is None else mode
        if not isinstance(query, str):
            raise InputError(f"query must be a string, got {type(query).__name__}")
        if isinstance(k, bool) or not isinstance(k, int | np.integer) or k <= 0:
            raise InputError(f"k must be a positive integer, got {k!r}")
        if mode not in MODES:
            raise InputError(f"unknown retrieval mode {mode!r}; expected one of {MODES}")
        q = query.strip()
        if not q:
            raise InputError("empty query")
        if not _has_content(q) or not self.chunks:
            return []
        k = min(int(k), len(self.chunks))
        cut = max(k, rc.candidates) if (mode == "hybrid" or self.reranker) else k
        depth = len(self.chunks) if where else cut  # a filter ranks every chunk, then keeps `cut` hits
        runs: dict[str, list[tuple[int, float]]] = {}
        weights: dict[str, float] = {}
        if mode in ("dense", "hybrid"):
            qv = np.asarray(self.embedder.embed_queries([q]), dtype=np.float32)
            scores, ids = self.dense.search(qv, depth)
            runs["dense"] = [(int(i), float(s)) for i, s in zip(ids[0], scores[0], strict=True) if i >= 0]
            weights["dense"] = rc.dense_weight
        if mode in ("bm25", "hybrid"):
            runs["bm25"], weights["bm25"] = bm25_run(self.lexical, q, depth, rc)
        hits = fuse(runs, weights, mode, rc.rrf_k, cut, self.chunks, self.articles, where)
        if self.reranker is not None and hits:
            hits = list(self.reranker(q, hits))
        return [dataclasses.replace(h, rank=r) for r, h in enumerate(hits[:k], 1)]

    def __len__(self) -> int:
        return len(self.chunks)

    def __repr__(self) -> str:
        return (
            f"Index({len(self.articles)} articles, {len(self.chunks)} chunks, dense={self.dense.kind}, "
            f"bm25={self.lexical.scheme})"
        )


def _check_embedder(manifest: dict[str, Any], embedder: EmbedderLike, d: Path | None) -> None:
    want = manifest["embedder"]["fingerprint"]
    if embedder.fingerprint != want:
        raise IndexError_(
            f"index {d} was built with embedder {want!r}, not {embedder.fingerprint!r} (the fingerprint "
            "covers the model files, prefixes, pooling, precision and backend: embed.dtype, embed.quantize, "
            "embed.backend); "
            "use that embedder or rebuild the index"
        )


def load_previous(previous: Index | str | Path | None) -> Index | None:
    """The previous index to reuse from, or None (absent or unusable: a note says why)."""
    if previous is None or isinstance(previous, Index):
        return previous
    d = Path(previous)
    if not (d / MANIFEST).exists() and not any(d.parent.glob(f".{d.name}.old-*")):
        return None
    try:
        return Index.load(d)
    except RegioQAError as e:  # damaged, older or built with other settings: build from scratch
        print(f"note: previous index at {d} not reused ({e})", file=sys.stderr)
        return None


def _progress(it, enabled: bool, desc: str, total: int | None = None, unit: str = "it"):
    if not enabled:
        return it
    if it is None:
        return tqdm(total=total, desc=desc, unit=unit, file=sys.stderr)
    return tqdm(it, total=total, desc=desc, unit=unit, file=sys.stderr)
