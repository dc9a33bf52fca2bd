"""Benchmark: ingest generated saved news pages and a large Parquet table.

1. ``--pages`` HTML pages (default 10,000; target: under 2 minutes), written from the shapes of the test
   pages in tests/data/html (article page, photo captions in the body, related-links block, GBK page)
   with varied text, read through :func:`regioqa.corpus.iter_corpus` (trafilatura), as
   ``regioqa corpus build`` does.
2. ``--rows`` rows of Parquet (default 1,000,000; target: flat memory), streamed through ``datasets``
   with named columns; the resident memory is sampled every 50,000 rows.

Prints time, pages/s or rows/s and peak RSS (this process, after generation).

    nice -n 10 .venv/bin/python benchmarks/bench_ingest.py [--pages 10000] [--rows 1000000]
"""

from __future__ import annotations

import argparse
import multiprocessing
import random
import resource
import shutil
import tempfile
import time
from pathlib import Path

import psutil

from regioqa.corpus import Columns, LoadReport, iter_corpus

HTML = Path(__file__).resolve().parents[1] / "tests" / "data" / "html"
SENTENCES = ["全市全社会研发经费投入达到{n}亿元，同比增长{p}%。", "今年全县计划种植粮食作物{n}万亩。",
             "记者从市教育局获悉，全市新建幼儿园{n}所，新增学位{m}个。",
             "该县鲜奶产量预计突破{n}万吨，创历史新高。",
             "市有关负责人表示，下一步将布局建设{n}个重点实验室。",
             "据介绍，去年共组织实施重大科技专项{n}项。"]


def _sentence(rng: random.Random) -> str:
    return rng.choice(SENTENCES).format(n=rng.randint(2, 999), m=rng.randint(10, 9999), p=rng.randint(1, 30))


def _rss_mb() -> float:
    return psutil.Process().memory_info().rss / 2**20


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def make_pages(d: Path, n: int, seed: int = 0) -> int:
    """``n`` pages in ``d`` (100 per sub-folder); returns their total size in bytes."""
    rng = random.Random(seed)
    templates = {f.name: f.read_bytes() for f in sorted(HTML.glob("*.html"))}
    size = 0
    for i in range(n):
        name, raw = list(templates.items())[i % len(templates)]
        enc = "gb18030" if name == "gbk.html" else "utf-8"
        page = raw.decode(enc)
        extra = "".join(f"<p>{_sentence(rng)}{_sentence(rng)}</p>" for _ in range(rng.randint(2, 8)))
        page = page.replace("</p>\n", f"</p>\n{extra}\n", 1).replace("<title>", f"<title>第{i}期 ", 1)
        sub = d / f"{i // 100:03d}"
        sub.mkdir(exist_ok=True)
        data = page.encode(enc)
        (sub / f"p{i:05d}-{name}").write_bytes(data)
        size += len(data)
    return size


def bench_pages(n: int) -> None:
    d = Path(tempfile.mkdtemp(prefix="bench-pages-"))
    try:
        mb = make_pages(d, n) / 2**20
        report = LoadReport()
        rss0 = _rss_mb()
        t = time.perf_counter()
        count = chars = 0
        for a in iter_corpus([d], report):
            count += 1
            chars += len(a.text)
        dt = time.perf_counter() - t
        print(f"html pages: {n} pages ({mb:.1f} MB) -> {count} articles, {chars / 1e6:.1f} M chars in "
              f"{dt:.1f} s = {n / dt:.0f} pages/s; problems {len(report.problems)}; RSS {rss0:.0f} -> "
              f"{_rss_mb():.0f} MB, peak {_peak_mb():.0f} MB")
    finally:
        shutil.rmtree(d, ignore_errors=True)


def make_parquet(path: Path, rows: int, batch: int = 50_000, seed: int = 0) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = random.Random(seed)
    writer = None
    for start in range(0, rows, batch):
        k = min(batch, rows - start)
        body = ["".join(_sentence(rng) for _ in range(rng.randint(3, 9))) for _ in range(k)]
        t = pa.table({"headline": [f"第{start + j}条新闻" for j in range(k)], "content": body,
                      "published": [f"2024-{1 + (start + j) % 12:02d}-{1 + (start + j) % 28:02d}"
                                    for j in range(k)],
                      "site": [f"站点{(start + j) % 50}" for j in range(k)]})
        writer = writer or pq.ParquetWriter(path, t.schema)
        writer.write_table(t, row_group_size=10_000)
    assert writer is not None
    writer.close()


def bench_parquet(rows: int) -> None:
    d = Path(tempfile.mkdtemp(prefix="bench-parquet-"))
    try:
        path = d / "archive.parquet"
        t = time.perf_counter()
        gen = multiprocessing.get_context("spawn").Process(target=make_parquet, args=(path, rows))
        gen.start()  # in another process: its memory does not count here
        gen.join()
        print(f"parquet: wrote {rows} rows ({path.stat().st_size / 2**20:.0f} MB) in "
              f"{time.perf_counter() - t:.1f} s (another process); RSS before reading {_rss_mb():.0f} MB")
        cols = Columns(text="content", title="headline", date="published", source="site")
        report = LoadReport()
        samples: list[tuple[int, float]] = []
        t = time.perf_counter()
        n = 0
        for _ in iter_corpus([path], report, columns=cols):
            n += 1
            if n % 50_000 == 0:
                samples.append((n, _rss_mb()))
        dt = time.perf_counter() - t
        first, last = samples[0][1], samples[-1][1]
        print(f"parquet: streamed {n} articles in {dt:.1f} s = {n / dt:.0f} rows/s; "
              f"problems {len(report.problems)}")
        print("parquet: RSS (MB) at rows " + ", ".join(f"{k // 1000}k: {v:.0f}" for k, v in samples[::4]))
        print(f"parquet: RSS {first:.0f} MB at 50k rows -> {last:.0f} MB at {samples[-1][0] // 1000}k rows "
              f"(+{(last - first) * 2**20 / max(1, samples[-1][0] - 50_000):.0f} bytes/row); "
              f"peak {_peak_mb():.0f} MB")
    finally:
        shutil.rmtree(d, ignore_errors=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--pages", type=int, default=10_000)
    ap.add_argument("--rows", type=int, default=1_000_000)
    args = ap.parse_args()
    if args.pages:
        bench_pages(args.pages)
    if args.rows:
        bench_parquet(args.rows)


if __name__ == "__main__":
    main()
