"""Benchmark: summarisation throughput (articles/s) and peak memory on generated articles.

Articles are generated from the seed corpus's sentences (shuffled, numbers changed), so they look like
the real thing to the selector and translator. Also times the seed corpus warm.

    OMP_NUM_THREADS=1 nice -n 10 .venv/bin/python benchmarks/bench_summarize.py --n 1000
    .venv/bin/python benchmarks/bench_summarize.py --n 200 --embed   # e5 sentence similarity (slow on CPU)
"""

from __future__ import annotations

import argparse
import random
import re
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from regioqa.corpus import load_articles  # noqa: E402
from regioqa.paths import CORPUS_DIR  # noqa: E402
from regioqa.summarize import Summarizer, summarize_corpus  # noqa: E402
from regioqa.text import sentences  # noqa: E402
from regioqa.types import Article  # noqa: E402


def generate(seed_articles: list[Article], n: int, seed: int = 0) -> list[Article]:
    """``n`` synthetic articles of 10-40 corpus sentences each, with their numbers changed."""
    rng = random.Random(seed)
    pool = [s.text for a in seed_articles for s in sentences(a)]
    titles = [a.title for a in seed_articles] + [sec.heading for a in seed_articles for sec in a.sections]
    out = []
    for i in range(n):
        k = rng.randint(10, 40)
        body = "\n".join(re.sub(r"\d+", lambda m: str(rng.randint(1, 9999)), s) for s in rng.sample(pool, k))
        out.append(Article(id=f"gen-{i:06d}", title=rng.choice(titles), text=body))
    return out


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run(n: int = 1000, embed: bool = False, batch_size: int = 32, naive: int = 0) -> dict[str, Any]:
    """All figures as a dict (``benchmarks/run.py`` calls this). ``naive``: also time a plain
    one-article-at-a-time ``Summarizer.run`` loop over the first ``naive`` generated articles (the
    baseline for the batched figure)."""
    rss0 = peak_rss_mb()
    seed = load_articles(CORPUS_DIR / "000_925fbcf3af44d05b.txt")
    embedder = None
    if embed:
        from regioqa.embed import Embedder

        embedder = Embedder()
    summ = Summarizer(embedder=embedder)
    t = time.perf_counter()
    summ.run_batch(seed)
    cold = time.perf_counter() - t
    warm = []
    for _ in range(3):
        t = time.perf_counter()
        sums = summ.run_batch(seed)
        warm.append(time.perf_counter() - t)
    ok = sum(all(x.numbers_ok for x in s.sentences) for s in sums)
    arts = generate(seed, n)
    chars = sum(len(a.text) for a in arts)
    res: dict[str, Any] = {"seed_articles": len(seed), "seed_cold_s": round(cold, 3),
                           "seed_warm_s": round(sorted(warm)[1], 3), "seed_numbers_ok": ok, "n": n,
                           "chars_per_article": round(chars / max(n, 1)),
                           "similarity": "e5" if embed else "bigram tf-idf",
                           "translator": summ.translator.name}
    if naive:
        t = time.perf_counter()
        for a in arts[:naive]:
            summ.run(a)
        res["naive_articles_per_s"] = round(min(naive, n) / (time.perf_counter() - t), 2)
    with tempfile.TemporaryDirectory() as d:
        out = Path(d) / "s.jsonl"
        rep = summarize_corpus(arts, out, summ, batch_size=batch_size, progress=False)
        res["lines_written"] = sum(1 for _ in out.open(encoding="utf-8"))
        t = time.perf_counter()
        again = summarize_corpus(arts, out, summ, progress=False)
        res["resume_s"] = round(time.perf_counter() - t, 3)
        res["resume_skipped"] = again.skipped
    res.update(done=rep.done, errors=rep.errors, seconds=round(rep.seconds, 2),
               articles_per_s=round(rep.done / rep.seconds, 2), peak_rss_mb=round(peak_rss_mb()),
               start_rss_mb=round(rss0))
    return res


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1000, help="generated articles")
    ap.add_argument("--embed", action="store_true", help="use the e5 embedder for sentence similarity")
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--naive", type=int, default=0, help="also time a one-at-a-time loop over N articles")
    args = ap.parse_args()
    r = run(args.n, args.embed, args.batch_size, args.naive)
    print(f"seed corpus ({r['seed_articles']} articles): cold {r['seed_cold_s']:.2f} s, warm median "
          f"{r['seed_warm_s']:.3f} s, number check ok {r['seed_numbers_ok']}/{r['seed_articles']}")
    print(f"generated: {r['n']} articles, {r['chars_per_article']} chars each; similarity "
          f"{r['similarity']}; translator {r['translator']}")
    print(f"  {r['done']} summarised ({r['errors']} errors) in {r['seconds']:.1f} s = "
          f"{r['articles_per_s']:.1f} articles/s; {r['lines_written']} lines written")
    if "naive_articles_per_s" in r:
        print(f"  naive one-at-a-time loop: {r['naive_articles_per_s']:.1f} articles/s")
    print(f"  resume over a complete file: {r['resume_skipped']} skipped in {r['resume_s']:.2f} s")
    print(f"  peak RSS {r['peak_rss_mb']} MB (process start {r['start_rss_mb']} MB)")


if __name__ == "__main__":
    main()
