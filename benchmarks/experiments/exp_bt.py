# ruff: noqa: E402  (one-off experiment: sys.path is set up before the imports)
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
    "fp32": dict(dtype="float32"),
    "bf16-b16": dict(dtype="bfloat16"),
    "bf16-t2048": dict(dtype="bfloat16", batch_size=64, batch_tokens=2048),
    "bf16-t4096": dict(dtype="bfloat16", batch_size=64, batch_tokens=4096),
    "fp32-t2048": dict(dtype="float32", batch_size=64, batch_tokens=2048),
}
embs = {k: Embedder(config=EmbedConfig(cache=False, **v)) for k, v in variants.items()}
for e in embs.values():
    e._load()
    e._compute(["热身"], False)
for name, texts in sets.items():
    times = {k: [] for k in embs}
    vecs = {}
    for _rep in range(3):
        for k, e in embs.items():
            t = time.perf_counter()
            vecs[k] = e._compute(texts, False)
            times[k].append(time.perf_counter() - t)
    base = np.median(times["fp32"])
    for k in embs:
        cos = (vecs[k] * vecs["fp32"]).sum(1)
        print(
            name,
            len(texts),
            k,
            f"{np.median(times[k]):.2f}s {len(texts) / np.median(times[k]):.1f}/s",
            f"speedup {base / np.median(times[k]):.2f}x cos min {cos.min():.5f}",
            flush=True,
        )
