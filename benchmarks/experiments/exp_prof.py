# ruff: noqa: E402  (one-off experiment: sys.path is set up before the imports)
import sys

import torch

REPO = __import__("pathlib").Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))
from bench_embed import drcd_paragraphs

from regioqa.config import EmbedConfig
from regioqa.embed import Embedder

torch.set_num_threads(2)
texts = drcd_paragraphs(400)[200:232]
e = Embedder(config=EmbedConfig(cache=False, dtype="bfloat16"))
e._load()
e._compute(texts[:4], False)
from torch.profiler import ProfilerActivity, profile

with profile(activities=[ProfilerActivity.CPU]) as prof:
    e._compute(texts, False)
print(prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=14))
