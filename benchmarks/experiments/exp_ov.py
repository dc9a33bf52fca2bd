# ruff: noqa: E402  (one-off experiment: sys.path is set up before the imports)
"""OpenVINO vs PyTorch embedding, 2 threads, 3 interleaved rounds, medians; ratios to plain fp32 PyTorch
batched (16 per batch) and the minimum cosine to it."""
import sys
import time

import numpy as np
import torch

REPO = __import__("pathlib").Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))
from bench_embed import corpus_chunks, drcd_paragraphs

from regioqa.config import EmbedConfig
from regioqa.embed import Embedder

torch.set_num_threads(2)
sets = {"drcd": drcd_paragraphs(400)[200:296], "corpus": corpus_chunks(None)}
variants = {
    "torch fp32 16/batch": EmbedConfig(cache=False, backend="torch", dtype="float32", batch_size=16,
                                       batch_tokens=None),
    "torch bf16 budget": EmbedConfig(cache=False, backend="torch", dtype="bfloat16"),
    "openvino fp32 budget": EmbedConfig(cache=False, backend="openvino", dtype="float32", threads=2),
    "openvino bf16 budget": EmbedConfig(cache=False, backend="openvino", dtype="bfloat16", threads=2),
    "openvino bf16 16/batch": EmbedConfig(cache=False, backend="openvino", dtype="bfloat16", threads=2,
                                          batch_size=16, batch_tokens=None),
}
embs = {k: Embedder(config=c) for k, c in variants.items()}
for e in embs.values():
    e._load()
    e._compute(["热身"], False)
base = next(iter(embs))
for name, texts in sets.items():
    ts: dict[str, list[float]] = {k: [] for k in embs}
    vs = {}
    for _r in range(3):
        for k, e in embs.items():
            t = time.perf_counter()
            vs[k] = e._compute(texts, False)
            ts[k].append(time.perf_counter() - t)
    for k in ts:
        print(f"{name} ({len(texts)} texts) {k:<24} {np.median(ts[k]):6.2f} s  "
              f"ratio {np.median(ts[base]) / np.median(ts[k]):.2f}  "
              f"cos min {(vs[k] * vs[base]).sum(1).min():.5f}", flush=True)
