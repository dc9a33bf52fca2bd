"""Ray engine throughput: the local engine against Ray with 1 and 2 workers, on generated articles.

Articles are generated from the corpus's own sentences (a seeded shuffle: 6-16 sentences each, so
they chunk and summarise like news). Each run is timed end to end from a connected Ray (actor
start-up and model loading included, ``ray.init`` excluded and reported on its own), so the figures
are what a user of ``--engine ray`` sees. On this 2-core machine, shared with other jobs, two
workers cannot beat one by much; on a cluster each worker brings its own cores.

    OMP_NUM_THREADS=1 nice -n 10 .venv/bin/python benchmarks/bench_ray.py --n 1000
    nice -n 10 .venv/bin/python benchmarks/bench_ray.py --task index --embedder e5 --n 50

``--embedder hashing`` (default) is a model-free stand-in, so the index figures measure the
engine and chunking; ``e5`` loads the prepared e5-small model in every worker.
"""

from __future__ import annotations

import argparse
import functools
import os
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from regioqa.config import Config  # noqa: E402
from regioqa.io import atomic_write_json  # noqa: E402
from regioqa.types import Article  # noqa: E402

REPO = Path(__file__).resolve().parents[1]


def generate_articles(n: int, seed: int = 0) -> list[Article]:
    """``n`` articles of 6-16 corpus sentences each (seeded), paragraphs of 2-4 sentences."""
    from regioqa.corpus import read_articles_jsonl
    from regioqa.text import sentences

    pool = [s.text for a in read_articles_jsonl(REPO / "corpus" / "articles.jsonl") for s in sentences(a)]
    pool = [s for s in pool if len(s) >= 8]
    rng = random.Random(seed)
    out = []
    for i in range(n):
        sents = rng.sample(pool, rng.randint(6, 16))
        paras, k = [], 0
        while k < len(sents):
            step = rng.randint(2, 4)
            paras.append("".join(sents[k:k + step]))
            k += step
        out.append(Article(id=f"gen-{i:05d}", title=sents[0][:20], text="\n".join(paras)))
    return out


def make_embedder_factory(kind: str, cfg: Config) -> Any:
    if kind == "hashing":
        from regioqa.testing import HashingEmbedder

        return functools.partial(HashingEmbedder, dim=384)
    from regioqa.embed import Embedder

    return functools.partial(Embedder, cfg.embed.model, cfg.embed)


def run_index(articles: list[Article], engine: str, workers: int, make_embedder: Any, cfg: Config) -> None:
    from regioqa.index import Index

    if engine == "local":
        Index.build(articles, make_embedder(), cfg, show_progress=False)
    else:
        from regioqa.engines.ray_engine import RayOptions, build_index_ray

        build_index_ray(articles, make_embedder, cfg, RayOptions(num_workers=workers, progress=False))


def run_summarize(articles: list[Article], engine: str, workers: int, out: Path) -> None:
    from regioqa.engines.ray_engine import RayOptions, summarize_ray
    from regioqa.summarize import summarize_corpus

    if engine == "local":
        summarize_corpus(articles, out, progress=False)
    else:
        summarize_ray(articles, out, options=RayOptions(num_workers=workers, progress=False))


def main(argv: list[str] | None = None) -> dict[str, Any]:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1000, help="generated articles")
    ap.add_argument("--task", choices=["index", "summarize", "both"], default="both")
    ap.add_argument("--embedder", choices=["hashing", "e5"], default="hashing")
    ap.add_argument("--workers", default="1,2", help="Ray worker counts to try")
    ap.add_argument("--no-local", action="store_true", help="skip the single-process baseline")
    ap.add_argument("--out", type=Path, help="write the figures as JSON")
    args = ap.parse_args(argv)
    os.environ.setdefault("OMP_NUM_THREADS", "1")

    from regioqa.engines.ray_engine import RayOptions, ray_session

    cfg = Config()
    articles = generate_articles(args.n)
    chars = sum(len(a.text) for a in articles)
    print(f"{len(articles)} generated articles, {chars / len(articles):.0f} characters on average; "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    engines = ([] if args.no_local else [("local", 1)]) + [("ray", int(w)) for w in args.workers.split(",")]
    tasks = ["index", "summarize"] if args.task == "both" else [args.task]
    results: dict[str, Any] = {"n_articles": len(articles), "embedder": args.embedder, "runs": [],
                               "cpus": os.cpu_count(), "load_average_start": round(os.getloadavg()[0], 1)}
    t0 = time.perf_counter()
    with ray_session(RayOptions(num_workers=max(w for _, w in engines))):
        results["ray_init_s"] = round(time.perf_counter() - t0, 2)
        print(f"ray.init: {results['ray_init_s']:.1f} s (not counted below)")
        print(f"{'task':<10} {'engine':<8} {'workers':>7} {'seconds':>8} {'articles/s':>11}")
        for task in tasks:
            for engine, workers in engines:
                with tempfile.TemporaryDirectory() as tmp:
                    t = time.perf_counter()
                    if task == "index":
                        run_index(articles, engine, workers, make_embedder_factory(args.embedder, cfg), cfg)
                    else:
                        run_summarize(articles, engine, workers, Path(tmp) / "summaries.jsonl")
                    dt = time.perf_counter() - t
                row = {"task": task, "engine": engine, "workers": workers, "seconds": round(dt, 2),
                       "articles_per_s": round(len(articles) / dt, 1)}
                results["runs"].append(row)
                print(f"{task:<10} {engine:<8} {workers:>7} {dt:>8.1f} {row['articles_per_s']:>11.1f}",
                      flush=True)
    results["load_average_end"] = round(os.getloadavg()[0], 1)
    print(f"load average at the end: {results['load_average_end']:.1f}")
    if args.out:
        atomic_write_json(args.out, results)
    return results


if __name__ == "__main__":
    main()
