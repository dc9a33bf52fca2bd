"""Reader speed: warm ``RegioQA.ask`` latency over the corpus (k=5) and reader throughput in windows/s,
batched (length-sorted batches) against a naive one-window-at-a-time loop, in the same run, interleaved.

The index is built over the corpus with the converted e5 (or loaded with ``--index``); the reader is
the prepared offline reader (``regioqa models prepare``) or ``--reader DIR``. Questions are the gold
set's (Chinese and English). Medians are what to quote: timings here vary +-30% run to run.

    OMP_NUM_THREADS=2 nice -n 10 .venv/bin/python benchmarks/bench_reader.py
    .venv/bin/python benchmarks/bench_reader.py --repeats 1 --json benchmarks/results/reader.json
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from regioqa.io import atomic_write_json  # noqa: E402
from regioqa.paths import GOLD_DIR  # noqa: E402


def percentile(xs: list[float], p: float) -> float:
    s = sorted(xs)
    return s[min(len(s) - 1, max(0, round(p / 100 * (len(s) - 1))))]


def main(argv: list[str] | None = None) -> dict[str, object]:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--index", type=Path, default=None, help="index directory (default: build one)")
    ap.add_argument("--reader", type=Path, default=None, help="reader model directory")
    ap.add_argument("-k", type=int, default=5)
    ap.add_argument("--questions", type=int, default=0, help="use the first N gold questions (0: all)")
    ap.add_argument("--repeats", type=int, default=3, help="batched/naive throughput rounds")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--json", type=Path, default=None)
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                    help="config override, e.g. reader.quantize=int8 (repeatable)")
    args = ap.parse_args(argv)

    import torch

    torch.set_num_threads(args.threads)
    from regioqa.config import Config
    from regioqa.index import Index
    from regioqa.pipeline import RegioQA
    from regioqa.reader import Reader, _Passage
    from regioqa.registry import ensure

    cfg = Config().override_strings(args.set)
    t = time.perf_counter()
    if args.index:
        index = Index.load(args.index, config=cfg)
    else:
        from regioqa.corpus import load_articles, read_articles_jsonl
        from regioqa.embed import Embedder

        jsonl = REPO / "corpus" / "articles.jsonl"
        arts = read_articles_jsonl(jsonl) if jsonl.is_file() else load_articles([REPO / "corpus"])
        index = Index.build(arts, Embedder(config=cfg.embed), cfg, show_progress=False)
    index_s = time.perf_counter() - t
    reader = Reader(args.reader or ensure("reader").path, cfg.reader)
    t = time.perf_counter()
    reader.warm_up()
    load_s = time.perf_counter() - t
    qa = RegioQA(index, reader, config=index.config)

    gold = [json.loads(x) for x in (GOLD_DIR / "qa.jsonl").read_text(encoding="utf-8")
            .splitlines() if x.strip()]
    questions = [g["question"] for g in gold if g["lang"] == "zh"][: args.questions or None]
    english = [g["question"] for g in gold if g["lang"] == "en"][: args.questions or None]
    qa.ask(questions[0], k=args.k)  # warm-up: embedder, dictionary, translator, first forward
    qa.ask(english[0], k=args.k)
    lat, read, lat_en, hits_read, hits_read_en = [], [], [], [], []
    read_en, translate_en = [], []
    for q in questions:
        t = time.perf_counter()
        qa.ask(q, k=args.k)
        lat.append(time.perf_counter() - t)
        read.append(qa.last_timings["read_s"])
        hits_read.append(qa.last_read)  # fewer than k after an early exit (reader.early_exit_margin)
    for q in english:  # English questions: read in each form reader.english_question gives (two for "both")
        t = time.perf_counter()
        qa.ask(q, k=args.k)
        lat_en.append(time.perf_counter() - t)
        hits_read_en.append(qa.last_read)
        read_en.append(qa.last_timings["read_s"])
        translate_en.append(qa.last_timings["translate_s"])  # the answer and its sentence into English

    # throughput: the windows of every retrieved hit (all k, early exit or not), batched vs one at a time
    passages = []
    for q in questions:
        for h in index.search(q, k=args.k):
            passages.append(_Passage(qa.reader_question(q), h.chunk.text, h.chunk.start, h.chunk.article_id,
                                     "", h.chunk.chunk_id))
    windows = reader.windows(passages)
    batched, naive = [], []
    for _ in range(args.repeats):
        t = time.perf_counter()
        reader.forward(windows)
        batched.append(len(windows) / (time.perf_counter() - t))
        t = time.perf_counter()
        reader.forward(windows, batch_size=1)
        naive.append(len(windows) / (time.perf_counter() - t))
    res = {
        "questions": len(questions), "k": args.k, "threads": args.threads, "chunks": len(index.chunks),
        "index_s": round(index_s, 2), "reader_load_s": round(load_s, 2),
        "ask_p50_s": round(statistics.median(lat), 3), "ask_p95_s": round(percentile(lat, 95), 3),
        "read_p50_s": round(statistics.median(read), 3),
        "ask_en_p50_s": round(statistics.median(lat_en), 3), "english_questions": len(english),
        "read_en_p50_s": round(statistics.median(read_en), 3),
        "translate_en_p50_s": round(statistics.median(translate_en), 3),
        "hits_read_mean": round(statistics.mean(hits_read), 2),
        "hits_read_mean_en": round(statistics.mean(hits_read_en), 2),
        "windows": len(windows),
        "mean_window_tokens": round(statistics.mean(len(w.input_ids) for w in windows)),
        "batch_size": cfg.reader.batch_size,
        "batched_windows_per_s": round(statistics.median(batched), 1),
        "naive_windows_per_s": round(statistics.median(naive), 1),
    }
    res["speedup"] = round(res["batched_windows_per_s"] / res["naive_windows_per_s"], 2)  # type: ignore[operator]
    print(json.dumps(res, indent=2))
    if args.json:
        atomic_write_json(args.json, res)
    return res


if __name__ == "__main__":
    main()
