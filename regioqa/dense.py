"""The dense side of retrieval: a faiss inner-product index over L2-normalised vectors.

Small collections use exact search (``IndexFlatIP``); above ``ann_threshold`` vectors (or when
configured) an approximate index: HNSW (``IndexHNSWFlat``) or IVF (``IndexIVFFlat``). Vectors are
always kept (``vectors.npy``) so that an incremental rebuild can reuse them; the approximate
structure is saved with ``faiss.write_index``.

>>> from regioqa.testing import HashingEmbedder
>>> emb = HashingEmbedder(dim=64)
>>> dense = DenseIndex.build(emb.embed_passages(["科技创新", "文旅融合", "能源转型"]))
>>> scores, ids = dense.search(emb.embed_queries(["科技创新"]), k=2)
>>> int(ids[0][0]), dense.kind
(0, 'flat')
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .errors import IndexError_, InputError

DENSE_KINDS = ("auto", "flat", "hnsw", "ivf")


class DenseIndex:
    """faiss index + the vectors it was built from (row i = chunk i)."""

    def __init__(self, index, kind: str, vectors: np.ndarray, params: dict | None = None) -> None:
        self.index = index  # faiss.Index
        self.kind = kind
        self.vectors = vectors
        self.params = dict(params or {})

    @property
    def ntotal(self) -> int:
        return int(self.vectors.shape[0])

    @property
    def dim(self) -> int:
        return int(self.vectors.shape[1])

    @classmethod
    def build(
        cls,
        vectors: np.ndarray,
        kind: str = "auto",
        ann_threshold: int = 50_000,
        ann: str = "ivf",
        hnsw_m: int = 32,
        hnsw_ef_construction: int = 80,
        hnsw_ef_search: int = 128,
        ivf_nlist: int | None = None,
        ivf_nprobe: int = 32,
        seed: int = 0,
    ) -> DenseIndex:
        """Build over ``vectors`` (float32 [n, dim], L2-normalised).

        ``kind="auto"``: exact when ``n <= ann_threshold``, else ``ann`` ("hnsw" or "ivf").
        """
        import faiss

        if kind not in DENSE_KINDS:
            raise InputError(f"unknown dense index kind {kind!r}; expected one of {DENSE_KINDS}")
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        if vectors.ndim != 2:
            raise InputError(f"vectors must be 2-d [n, dim], got shape {vectors.shape}")
        n, d = vectors.shape
        if kind == "auto":
            kind = "flat" if n <= ann_threshold else ann
        if kind in ("hnsw", "ivf") and n < 2:
            kind = "flat"
        params: dict = {}
        if kind == "flat":
            index = faiss.IndexFlatIP(d)
            index.add(vectors)
        elif kind == "hnsw":
            index = faiss.IndexHNSWFlat(d, hnsw_m, faiss.METRIC_INNER_PRODUCT)
            index.hnsw.efConstruction = hnsw_ef_construction
            index.hnsw.efSearch = hnsw_ef_search
            index.add(vectors)
            params = {"m": hnsw_m, "ef_construction": hnsw_ef_construction, "ef_search": hnsw_ef_search}
        elif kind == "ivf":
            nlist = ivf_nlist or max(1, min(int(2 * np.sqrt(n)), n // 39))
            quantizer = faiss.IndexFlatIP(d)
            index = faiss.IndexIVFFlat(quantizer, d, nlist, faiss.METRIC_INNER_PRODUCT)
            rng = np.random.default_rng(seed)
            sample = vectors if n <= 40 * nlist else vectors[rng.choice(n, 40 * nlist, replace=False)]
            index.cp.seed = seed
            index.cp.niter = 10
            index.train(sample)
            index.add(vectors)
            index.nprobe = min(ivf_nprobe, nlist)
            params = {"nlist": nlist, "nprobe": index.nprobe}
        else:  # pragma: no cover - guarded above
            raise InputError(kind)
        return cls(index, kind, vectors, params)

    def set_search_params(self, ef_search: int | None = None, nprobe: int | None = None) -> None:
        """Trade speed for recall on an approximate index (no effect on exact search)."""
        if self.kind == "hnsw" and ef_search:
            self.index.hnsw.efSearch = ef_search
            self.params["ef_search"] = ef_search
        if self.kind == "ivf" and nprobe:
            self.index.nprobe = nprobe
            self.params["nprobe"] = nprobe

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """(scores, ids), each [nq, k']; k' = min(k, ntotal); missing results have id -1."""
        q = np.ascontiguousarray(queries, dtype=np.float32)
        if q.ndim == 1:
            q = q[None, :]
        if q.shape[1] != self.dim:
            raise IndexError_(f"query vectors have dimension {q.shape[1]}, the index has {self.dim}")
        k = min(k, self.ntotal)
        if k <= 0:
            return np.zeros((q.shape[0], 0), np.float32), np.zeros((q.shape[0], 0), np.int64)
        return self.index.search(q, k)

    def files(self) -> list[str]:
        return ["vectors.npy"] + ([] if self.kind == "flat" else ["dense.faiss"])

    def save(self, directory: str | Path) -> None:
        import faiss

        d = Path(directory)
        np.save(d / "vectors.npy", np.asarray(self.vectors, dtype=np.float32))
        if self.kind != "flat":
            faiss.write_index(self.index, str(d / "dense.faiss"))

    @classmethod
    def load(cls, directory: str | Path, kind: str, params: dict | None = None) -> DenseIndex:
        import faiss

        d = Path(directory)
        try:
            vectors = np.load(d / "vectors.npy", mmap_mode="r")
        except (OSError, ValueError) as e:
            raise IndexError_(f"{d / 'vectors.npy'}: unreadable ({e})") from e
        if kind == "flat":
            index = faiss.IndexFlatIP(vectors.shape[1])
            index.add(np.ascontiguousarray(vectors, dtype=np.float32))
        else:
            try:
                index = faiss.read_index(str(d / "dense.faiss"))
            except RuntimeError as e:
                raise IndexError_(f"{d / 'dense.faiss'}: unreadable faiss index ({e})") from e
            if index.ntotal != vectors.shape[0] or index.d != vectors.shape[1]:
                raise IndexError_(
                    f"{d}: faiss index holds {index.ntotal}x{index.d}, vectors.npy "
                    f"{vectors.shape[0]}x{vectors.shape[1]}"
                )
        dense = cls(index, kind, vectors, params)
        dense.set_search_params(
            ef_search=(params or {}).get("ef_search"), nprobe=(params or {}).get("nprobe")
        )
        return dense
