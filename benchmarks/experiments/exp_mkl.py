# ruff: noqa: E402  (one-off experiment: sys.path is set up before the imports)
import sys
import time

import numpy as np
import torch

REPO = __import__("pathlib").Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))
from bench_embed import drcd_paragraphs

from regioqa.config import EmbedConfig
from regioqa.embed import Embedder

torch.set_num_threads(2)
texts = drcd_paragraphs(400)[200:264]
base = Embedder(config=EmbedConfig(cache=False, dtype="float32", batch_size=16, batch_tokens=None))
a = Embedder(config=EmbedConfig(cache=False, dtype="bfloat16"))
b = Embedder(config=EmbedConfig(cache=False, dtype="float32"))
for e in (base, a, b):
    e._load()
import torch.utils.mkldnn as mk

b._model = mk.to_mkldnn(b._model, dtype=torch.bfloat16)
try:
    b._compute(texts[:2], False)
except Exception as ex:
    print("mkldnn failed", repr(ex)[:300])
    sys.exit()
ts = {"base": [], "bf16": [], "mkl": []}
vs = {}
for _r in range(2):
    for k, e in (("base", base), ("bf16", a), ("mkl", b)):
        t = time.perf_counter()
        vs[k] = e._compute(texts, False)
        ts[k].append(time.perf_counter() - t)
for k in ts:
    print(
        k,
        f"{np.median(ts[k]):.2f}s ratio {np.median(ts['base']) / np.median(ts[k]):.2f}",
        f"cos {(vs[k] * vs['base']).sum(1).min():.5f}",
    )
