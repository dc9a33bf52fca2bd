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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1000, help="generated articles")
    ap.add_argument("--embed", action="store_true", help="use the e5 embedder for sentence similarity")
    ap.add_argument("--batch-size", type=int, default=32)
    args = ap.parse_args()

    rss0 = peak_rss_mb()
    seed = load_articles(CORPUS_DIR / "000_925fbcf3af44d05b.txt")
    embedder = None
    if args.embed:
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
    print(f"seed corpus ({len(seed)} articles): cold {cold:.2f} s, warm median {sorted(warm)[1]:.3f} s, "
          f"number check ok {ok}/{len(sums)}")

    arts = generate(seed, args.n)
    chars = sum(len(a.text) for a in arts)
    with tempfile.TemporaryDirectory() as d:
        out = Path(d) / "s.jsonl"
        rep = summarize_corpus(arts, out, summ, batch_size=args.batch_size, progress=False)
        n_lines = sum(1 for _ in out.open(encoding="utf-8"))
        t = time.perf_counter()
        again = summarize_corpus(arts, out, summ, progress=False)
        resume_s = time.perf_counter() - t
    print(f"generated: {args.n} articles, {chars / args.n:.0f} chars each; similarity "
          f"{'e5' if args.embed else 'bigram tf-idf'}; translator {summ.translator.name}")
    print(f"  {rep.done} summarised ({rep.errors} errors) in {rep.seconds:.1f} s = "
          f"{rep.done / rep.seconds:.1f} articles/s ({chars / rep.seconds / 1000:.0f}k chars/s); "
          f"{n_lines} lines written")
    print(f"  resume over a complete file: {again.skipped} skipped in {resume_s:.2f} s")
    print(f"  peak RSS {peak_rss_mb():.0f} MB (process start {rss0:.0f} MB)")


if __name__ == "__main__":
    main()
