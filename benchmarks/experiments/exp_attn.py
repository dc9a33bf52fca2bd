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
base = Embedder(config=EmbedConfig(cache=False, dtype="float32", batch_size=16, batch_tokens=None))
sd = Embedder(config=EmbedConfig(cache=False, dtype="bfloat16"))
eg = Embedder(config=EmbedConfig(cache=False, dtype="bfloat16"))
for e in (base, sd, eg):
    e._load()
eg._model.set_attn_implementation("eager")
print(eg._model.config._attn_implementation, sd._model.config._attn_implementation)
for name, texts in sets.items():
    ts = {"base": [], "sdpa": [], "eager": []}
    vs = {}
    for _r in range(3):
        for k, e in (("base", base), ("sdpa", sd), ("eager", eg)):
            t = time.perf_counter()
            vs[k] = e._compute(texts, False)
            ts[k].append(time.perf_counter() - t)
    for k in ts:
        print(
            name,
            k,
            f"{np.median(ts[k]):.2f}s ratio {np.median(ts['base']) / np.median(ts[k]):.2f}",
            f"cos {(vs[k] * vs['base']).sum(1).min():.5f}",
            flush=True,
        )
