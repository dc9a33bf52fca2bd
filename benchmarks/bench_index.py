"""Index benchmark on synthetic data: dense (exact vs HNSW vs IVF) and BM25 at 10k / 100k / 1M chunks.

Dense vectors are a Gaussian mixture in 384 dimensions, L2-normalised, shaped like sentence
embeddings (a shared mean direction, clusters, variation in a low-rank subspace plus isotropic
noise); queries are fresh draws from the same mixture. Uniform random vectors would be unrealistic
(no neighbourhood structure, which ANN indexes exploit). Texts for BM25 are random Chinese
sentences drawn (Zipf) from the corpus's own jieba words plus generated two-character words.

Reported per size: build time, memory (RSS growth while building, and the structure's own size),
single-query latency p50/p95 for top-10 (one thread, as on a shared 2-core box), and recall@10 of
the approximate index against exact search.

    OMP_NUM_THREADS=1 nice -n 10 .venv/bin/python benchmarks/bench_index.py --sizes 10k,100k
    nice -n 10 .venv/bin/python benchmarks/bench_index.py --sizes 1m --out benchmarks/results/index-1m.json

``run(sizes)`` returns the same figures as a dict (for the benchmark harness).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

DIM = 384


def rss_mb() -> float:
    import psutil

    return psutil.Process().memory_info().rss / 2**20


def parse_size(s: str) -> int:
    s = s.strip().lower()
    mult = {"k": 1_000, "m": 1_000_000}.get(s[-1], 1)
    return int(float(s[:-1] if s[-1] in "km" else s) * mult)


def mixture(n: int, n_queries: int, dim: int = DIM, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(database [n, dim], queries [n_queries, dim]), float32, L2-normalised, generated in blocks."""
    rng = np.random.default_rng(seed)
    n_clusters = max(16, int(np.sqrt(n) * 2))
    mean = rng.normal(size=dim).astype(np.float32)
    mean *= 1.6 / np.linalg.norm(mean)  # shared direction: e5-like cosines are mostly positive
    centres = rng.normal(size=(n_clusters, dim)).astype(np.float32)
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    basis = rng.normal(size=(48, dim)).astype(np.float32) / np.sqrt(48 * dim)  # low-rank variation
    spread = rng.uniform(0.5, 1.0, n_clusters).astype(np.float32)
    weights = 1.0 / np.arange(1, n_clusters + 1) ** 1.0  # uneven cluster sizes
    weights /= weights.sum()

    def draw(m: int) -> np.ndarray:
        out = np.empty((m, dim), dtype=np.float32)
        for s in range(0, m, 50_000):
            e = min(m, s + 50_000)
            c = rng.choice(n_clusters, e - s, p=weights)
            x = mean + centres[c]
            x += spread[c, None] * (rng.standard_normal((e - s, 48), dtype=np.float32) @ basis)
            x += 0.5 * rng.standard_normal((e - s, dim), dtype=np.float32) / np.sqrt(dim)
            x /= np.linalg.norm(x, axis=1, keepdims=True)
            out[s:e] = x
        return out

    return draw(n), draw(n_queries)


def synthetic_texts(n: int, seed: int = 0, words_per_text: tuple[int, int] = (15, 45)) -> list[str]:
    """Random Chinese 'sentences' from corpus words and generated words, Zipf-distributed."""
    import jieba

    jieba.setLogLevel(60)
    from regioqa.lexical import TOKEN_RE

    corpus = Path(__file__).resolve().parents[1] / "corpus"
    text = "".join(p.read_text(encoding="utf-8") for p in sorted(corpus.glob("*.txt")))
    vocab = sorted({w for w in jieba.lcut(text) if TOKEN_RE.fullmatch(w)})
    rng = np.random.default_rng(seed)
    han = np.array(sorted({c for c in text if "\u4e00" <= c <= "\u9fff"}))
    extra = ["".join(rng.choice(han, 2)) for _ in range(30_000)]
    vocab = np.array(vocab + extra)
    rng.shuffle(vocab)
    p = 1.0 / np.arange(1, len(vocab) + 1) ** 1.05
    p /= p.sum()
    lens = rng.integers(*words_per_text, n)
    flat = rng.choice(len(vocab), int(lens.sum()), p=p)
    out, pos = [], 0
    for length in lens:
        out.append("".join(vocab[flat[pos : pos + length]]) + "。")
        pos += length
    return out


def _latency(fn, queries: list[Any]) -> tuple[float, float, float]:
    """(wall p50, wall p95, CPU-time p50) in ms. On a busy shared machine the wall figures include
    waiting for a core; CPU time (single-threaded search) is what a query costs on an idle one."""
    wall, cpu = [], []
    for q in queries:
        c, t = time.thread_time(), time.perf_counter()
        fn(q)
        wall.append((time.perf_counter() - t) * 1000)
        cpu.append((time.thread_time() - c) * 1000)
    return float(np.percentile(wall, 50)), float(np.percentile(wall, 95)), float(np.percentile(cpu, 50))


def bench_dense(
    n: int,
    kinds: list[str],
    n_queries: int = 200,
    k: int = 10,
    seed: int = 0,
    ef_search: list[int] | None = None,
    nprobe: list[int] | None = None,
) -> dict[str, Any]:
    import faiss

    from regioqa.dense import DenseIndex

    faiss.omp_set_num_threads(int(os.environ.get("BENCH_BUILD_THREADS", "2")))
    t = time.perf_counter()
    x, q = mixture(n, n_queries, seed=seed)
    res: dict[str, Any] = {
        "n": n,
        "dim": DIM,
        "generate_s": round(time.perf_counter() - t, 2),
        "vectors_mb": round(x.nbytes / 2**20, 1),
    }
    exact = DenseIndex.build(x, kind="flat")
    t = time.perf_counter()
    _, truth = exact.search(q, k)  # batch: ground truth
    res["exact_batch_s"] = round(time.perf_counter() - t, 3)
    faiss.omp_set_num_threads(1)
    p50, p95, cpu50 = _latency(lambda v, e=exact: e.search(v[None, :], k), list(q[:50]))
    res["flat"] = {
        "p50_ms": round(p50, 3),
        "p95_ms": round(p95, 3),
        "cpu_p50_ms": round(cpu50, 3),
        "recall@10": 1.0,
        "index_mb": round(x.nbytes / 2**20, 1),
    }
    del exact
    gc.collect()
    for kind in kinds:
        faiss.omp_set_num_threads(int(os.environ.get("BENCH_BUILD_THREADS", "2")))
        before = rss_mb()
        t, c = time.perf_counter(), time.process_time()
        ann = DenseIndex.build(
            x, kind=kind, ivf_nprobe=(nprobe or [32])[0], hnsw_ef_search=(ef_search or [128])[0]
        )
        build_s, build_cpu = time.perf_counter() - t, time.process_time() - c
        grown = rss_mb() - before
        size_mb = len(faiss.serialize_index(ann.index)) / 2**20
        faiss.omp_set_num_threads(1)
        entry: dict[str, Any] = {
            "build_s": round(build_s, 2),
            "build_cpu_s": round(build_cpu, 2),
            "rss_growth_mb": round(grown, 1),
            "index_mb": round(size_mb, 1),
            "params": dict(ann.params),
            "sweep": [],
        }
        settings = (ef_search or [32, 64, 128, 256]) if kind == "hnsw" else (nprobe or [8, 16, 32, 64])
        for s in settings:
            ann.set_search_params(ef_search=s, nprobe=s)
            _, got = ann.search(q, k)
            recall = float(np.mean([len(set(truth[i]) & set(got[i])) / k for i in range(len(q))]))
            p50, p95, cpu50 = _latency(lambda v, a=ann: a.search(v[None, :], k), list(q))
            entry["sweep"].append(
                {
                    "ef_search" if kind == "hnsw" else "nprobe": s,
                    "recall@10": round(recall, 4),
                    "p50_ms": round(p50, 3),
                    "p95_ms": round(p95, 3),
                    "cpu_p50_ms": round(cpu50, 3),
                }
            )
        res[kind] = entry
        print(f"[dense] n={n:,} {kind}: {json.dumps(entry)}", file=sys.stderr, flush=True)
        del ann
        gc.collect()
    res["peak_rss_mb"] = round(rss_mb(), 1)
    return res


def bench_bm25(n: int, n_queries: int = 200, k: int = 10, seed: int = 0) -> dict[str, Any]:
    from regioqa.lexical import LexicalIndex, tokenize

    texts = synthetic_texts(n, seed=seed)
    rng = np.random.default_rng(seed + 1)
    queries = [texts[i][: int(rng.integers(8, 20))] for i in rng.choice(n, n_queries)]
    before = rss_mb()
    t = time.perf_counter()
    toks = [tokenize(s) for s in texts]
    tok_s = time.perf_counter() - t
    del texts
    t = time.perf_counter()
    lex = LexicalIndex.build([], tokens=toks)
    index_s = time.perf_counter() - t
    del toks
    gc.collect()
    grown = rss_mb() - before
    sc = lex.bm25.scores
    size_mb = sum(sc[key].nbytes for key in ("data", "indices", "indptr")) / 2**20
    p50, p95, cpu50 = _latency(lambda s: lex.search(s, k), queries)
    return {
        "n": n,
        "tokenize_s": round(tok_s, 2),
        "index_s": round(index_s, 2),
        "rss_growth_mb": round(grown, 1),
        "matrix_mb": round(size_mb, 1),
        "vocab": len(lex.bm25.vocab_dict),
        "p50_ms": round(p50, 3),
        "p95_ms": round(p95, 3),
        "cpu_p50_ms": round(cpu50, 3),
    }


def run(
    sizes: list[int],
    kinds: list[str] | None = None,
    bm25: bool = True,
    n_queries: int = 200,
    ef_search: list[int] | None = None,
    nprobe: list[int] | None = None,
    dense: bool = True,
) -> dict[str, Any]:
    """All figures for ``sizes`` (numbers of chunks)."""
    kinds = kinds or ["hnsw", "ivf"]
    out: dict[str, Any] = {"dense": [], "bm25": []}
    for n in sizes:
        if dense:
            print(f"[dense] n={n:,} ...", file=sys.stderr, flush=True)
            out["dense"].append(bench_dense(n, kinds, n_queries, ef_search=ef_search, nprobe=nprobe))
            print(json.dumps(out["dense"][-1]), file=sys.stderr, flush=True)
            gc.collect()
        if bm25:
            print(f"[bm25] n={n:,} ...", file=sys.stderr, flush=True)
            out["bm25"].append(bench_bm25(n, n_queries))
            print(json.dumps(out["bm25"][-1]), file=sys.stderr, flush=True)
            gc.collect()
    return out


def markdown(res: dict[str, Any]) -> str:
    lines = [
        "| n | index | build s (CPU s) | memory MB | setting | recall@10 | p50 ms | p95 ms | CPU p50 ms |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in res["dense"]:
        f = r["flat"]
        lines.append(
            f"| {r['n']:,} | flat (exact) | - | {f['index_mb']} | - | 1.0 | {f['p50_ms']} | {f['p95_ms']} | "
            f"{f['cpu_p50_ms']} |"
        )
        for kind in ("hnsw", "ivf"):
            if kind not in r:
                continue
            e = r[kind]
            for s in e["sweep"]:
                key = "ef_search" if kind == "hnsw" else "nprobe"
                lines.append(
                    f"| {r['n']:,} | {kind} | {e['build_s']} ({e['build_cpu_s']}) | {e['index_mb']} | "
                    f"{key}={s[key]} | "
                    f"{s['recall@10']} | {s['p50_ms']} | {s['p95_ms']} | {s['cpu_p50_ms']} |"
                )
    if res["bm25"]:
        lines += [
            "",
            "| n | BM25 tokenize s | index s | matrix MB | RSS growth MB | vocab | p50 ms | p95 ms "
            "| CPU p50 ms |",
            "|---|---|---|---|---|---|---|---|---|",
        ]
        for b in res["bm25"]:
            lines.append(
                f"| {b['n']:,} | {b['tokenize_s']} | {b['index_s']} | {b['matrix_mb']} | "
                f"{b['rss_growth_mb']} | {b['vocab']} | {b['p50_ms']} | {b['p95_ms']} | {b['cpu_p50_ms']} |"
            )
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="10k,100k", help="comma-separated, e.g. 10k,100k,1m")
    ap.add_argument("--kinds", default="hnsw,ivf")
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--ef-search", default=None, help="HNSW efSearch values to sweep, e.g. 32,64,128")
    ap.add_argument("--nprobe", default=None, help="IVF nprobe values to sweep, e.g. 8,16,32")
    ap.add_argument("--no-bm25", action="store_true")
    ap.add_argument("--no-dense", action="store_true")
    ap.add_argument("--out", type=Path, default=None, help="write the figures as JSON here")
    a = ap.parse_args()

    def ints(s: str | None) -> list[int] | None:
        return [int(v) for v in s.split(",")] if s else None

    res = run(
        [parse_size(s) for s in a.sizes.split(",")],
        a.kinds.split(","),
        not a.no_bm25,
        a.queries,
        ints(a.ef_search),
        ints(a.nprobe),
        not a.no_dense,
    )
    res["peak_rss_mb"] = round(rss_mb(), 1)
    if a.out:
        a.out.parent.mkdir(parents=True, exist_ok=True)
        a.out.write_text(json.dumps(res, indent=2) + "\n", encoding="utf-8")
    print(markdown(res))


if __name__ == "__main__":
    main()
