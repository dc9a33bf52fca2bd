# ruff: noqa: E402  (one-off experiment: sys.path is set up before the imports)
import multiprocessing as mp
import os
import sys
import time

REPO = __import__("pathlib").Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))


def work(texts, threads, dtype, q, barrier):
    os.environ["OMP_NUM_THREADS"] = str(threads)
    import torch

    torch.set_num_threads(threads)
    from regioqa.config import EmbedConfig
    from regioqa.embed import Embedder

    e = Embedder(config=EmbedConfig(cache=False, dtype=dtype))
    e._load()
    e._compute(["热身"], False)
    barrier.wait()
    t = time.perf_counter()
    e._compute(texts, False)
    q.put(time.perf_counter() - t)


if __name__ == "__main__":
    from bench_embed import drcd_paragraphs

    texts = drcd_paragraphs(400)[200:296]
    ctx = mp.get_context("spawn")
    for dtype in ("bfloat16",):
        for n, th in ((1, 2), (2, 1), (1, 2), (2, 1)):
            q = ctx.Queue()
            bar = ctx.Barrier(n)
            parts = [texts[i::n] for i in range(n)]
            ps = [ctx.Process(target=work, args=(p, th, dtype, q, bar)) for p in parts]
            [p.start() for p in ps]
            ts = [q.get() for _ in ps]
            [p.join() for p in ps]
            print(
                dtype,
                f"{n} proc x {th} threads: wall {max(ts):.2f}s -> {len(texts) / max(ts):.1f} passages/s",
                flush=True,
            )
