# ruff: noqa: E402  (one-off experiment: sys.path is set up before the imports)
import sys
import time

import torch

REPO = __import__("pathlib").Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))
from bench_embed import drcd_paragraphs

from regioqa.config import EmbedConfig
from regioqa.embed import Embedder

torch.set_num_threads(2)
texts = drcd_paragraphs(400)[200:296]
a = Embedder(config=EmbedConfig(cache=False, dtype="bfloat16", batch_size=64, batch_tokens=4096))
b = Embedder(config=EmbedConfig(cache=False, dtype="bfloat16", batch_size=64, batch_tokens=4096))
a._load()
b._load()
t = time.perf_counter()
b._model = torch.compile(b._model, dynamic=True)
b._compute(texts[:40], False)
print("compile+first", time.perf_counter() - t, flush=True)
for _r in range(2):
    for k, e in (("eager", a), ("compiled", b)):
        t = time.perf_counter()
        v = e._compute(texts, False)
        print(k, f"{time.perf_counter() - t:.2f}", flush=True)
