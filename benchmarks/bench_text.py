"""Benchmark: split and chunk ~10 MB (UTF-8) of Chinese news text.

The text is the built corpus (corpus/articles.jsonl) repeated as many articles as it takes.
Prints seconds and MB/s for sentence splitting alone and for split + chunk, in character mode
and, when the prepared e5 tokenizer exists (models/prepared/e5-small), with its fast tokenizer
as the token counter. Target: character mode under 10 s.

    OMP_NUM_THREADS=1 nice -n 10 .venv/bin/python benchmarks/bench_text.py [--mb 10]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from regioqa.config import ChunkConfig
from regioqa.corpus import read_articles_jsonl
from regioqa.paths import CORPUS_DIR, models_dir
from regioqa.text import Chunker, split_sentences
from regioqa.types import Article


def make_articles(mb: float) -> list[Article]:
    base = read_articles_jsonl(CORPUS_DIR / "articles.jsonl")
    target = int(mb * 1_000_000)
    out: list[Article] = []
    size = 0
    k = 0
    while size < target:
        a = base[k % len(base)]
        out.append(Article(id=f"{a.id}-{k}", title=a.title, text=a.text))
        size += len(a.text.encode("utf-8"))
        k += 1
    return out


def e5_counter():  # noqa: ANN201 - returns a batch token counter or None
    d = models_dir() / "e5-small"
    if not (d / "tokenizer.json").exists():
        return None, f"no tokenizer at {d}"
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(d / "tokenizer.json"))
    tok.no_truncation()
    tok.no_padding()

    def count(texts: list[str]) -> list[int]:
        return [len(e.ids) for e in tok.encode_batch(["passage: " + t for t in texts])]

    return count, str(d / "tokenizer.json")


def run(articles: list[Article], chunker: Chunker) -> tuple[float, int]:
    t0 = time.perf_counter()
    n = sum(len(chunker.run(a)) for a in articles)
    return time.perf_counter() - t0, n


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--mb", type=float, default=10.0, help="megabytes of UTF-8 text (default 10)")
    ap.add_argument("--max-tokens", type=int, default=256)
    args = ap.parse_args()
    arts = make_articles(args.mb)
    nbytes = sum(len(a.text.encode("utf-8")) for a in arts)
    nchars = sum(len(a.text) for a in arts)
    mb = nbytes / 1e6
    print(f"text: {len(arts)} articles, {nchars:,} characters, {mb:.2f} MB UTF-8")

    t0 = time.perf_counter()
    n_sent = sum(len(split_sentences(a.text)) for a in arts)
    dt = time.perf_counter() - t0
    print(f"split only        : {dt:6.2f} s  {mb / dt:6.2f} MB/s  ({n_sent:,} sentences)")

    cfg = ChunkConfig(max_tokens=args.max_tokens, overlap_sentences=1)
    dt, n = run(arts, Chunker(cfg))
    verdict = "OK" if dt < 10 else "SLOW (target < 10 s)"
    print(f"split+chunk chars : {dt:6.2f} s  {mb / dt:6.2f} MB/s  ({n:,} chunks, max {cfg.max_tokens} chars) "
          f"{verdict}")

    counter, where = e5_counter()
    if counter is None:
        print(f"split+chunk tokens: skipped ({where})")
        return
    dt, n = run(arts, Chunker(cfg, count_tokens=counter))
    print(f"split+chunk tokens: {dt:6.2f} s  {mb / dt:6.2f} MB/s  ({n:,} chunks, max {cfg.max_tokens} tokens,"
          f" {Path(where).parent.name} fast tokenizer)")


if __name__ == "__main__":
    main()
