"""Benchmark: the offline lexical translator on WMT22 general test zh->en (the dev set).

Translates ``generaltest2022.zh-en.src.zh`` (1,875 news segments) and prints, for all lines and for
the held-out slice (every 5th line, never looked at while writing rules) and the rest (the tuning
slice): chrF and BLEU (sacrebleu defaults) against reference A and reference B, the share of lines
whose source numbers all appear in the output (:func:`regioqa.numbers.check_numbers`), and lines/s.
The two submitted systems' scores are printed beside ours for scale.

The packaged learned lexicon (``regioqa/data/learned_lexicon.json``) was learned from these very lines, so
with it the figures are in-sample; ``--no-lexicon`` scores the translator without it, and the fair figure
with it is the 5-fold cross-validation of ``python models/train_lexicon.py``.

    nice -n 10 python benchmarks/bench_translate.py [--data ../shared/data/mt-dev/wmt22-zhen] [--limit N]
        [--out out/wmt22.lexical.en] [--no-lexicon] [--embedder]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from regioqa.evals.wmt import WMT22_DIR, read_wmt22, wmt_scores
from regioqa.numbers import check_numbers
from regioqa.translate import LexicalTranslator


def fmt(d: dict[str, float]) -> str:
    return "  ".join(f"{k} {v:5.1f}" for k, v in d.items())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=WMT22_DIR)
    ap.add_argument("--limit", type=int, default=0, help="first N lines only (0: all)")
    ap.add_argument("--out", type=Path, default=None, help="write our translations here")
    ap.add_argument("--no-lexicon", action="store_true", help="without the learned lexicon")
    ap.add_argument("--embedder", action="store_true",
                    help="choose senses the table has no opinion on by e5 similarity to the sentence")
    args = ap.parse_args()
    wmt = read_wmt22(args.data, args.limit)
    src, refs = wmt.src, wmt.refs
    emb = None
    if args.embedder:
        from regioqa.embed import Embedder

        emb = Embedder().warm_up()
    tr = LexicalTranslator(lexicon=None if args.no_lexicon else "packaged", embedder=emb)
    tr.translate(["预热。"])  # load jieba, CC-CEDICT and the glossary outside the timed part
    t0 = time.perf_counter()
    hyp = tr.translate(src)
    dt = time.perf_counter() - t0
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text("\n".join(hyp) + "\n", encoding="utf-8")
    n = len(src)
    every = list(range(n))
    held = wmt.held_out()
    tune = sorted(set(every) - set(held))
    checks = [check_numbers(z, e) for z, e in zip(src, hyp, strict=True)]
    with_nums = [c for c in checks if c.source]
    kept = sum(c.ok for c in with_nums)
    n_vals = sum(len(c.source) for c in with_nums)
    n_missing = sum(len(c.missing) for c in checks)
    print(f"lexical translator ({tr.name}): {n} lines in {dt:.2f} s = {n / dt:.0f} lines/s")
    if tr.lexicon is not None:
        print("  (with the learned lexicon, which was learned from these lines: in-sample figures; "
              "the fair ones: `python models/train_lexicon.py`, 5-fold cross-validation)")
    print(f"  all      ({len(every):4d}): {fmt(wmt_scores(hyp, refs, every))}")
    print(f"  tune     ({len(tune):4d}): {fmt(wmt_scores(hyp, refs, tune))}")
    print(f"  held-out ({len(held):4d}): {fmt(wmt_scores(hyp, refs, held))}")
    print(f"  numbers kept: {kept}/{len(with_nums)} lines with numbers "
          f"({100 * kept / max(1, len(with_nums)):.1f}%), {n_vals - n_missing}/{n_vals} values")
    for sysname, sh in wmt.systems.items():
        print(f"  {sysname:17s} all: {fmt(wmt_scores(sh, refs, every))}")


if __name__ == "__main__":
    main()
