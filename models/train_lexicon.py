"""Learn the offline translator's lexical-choice table (``regioqa/data/learned_lexicon.json``).

Parallel data, read where it lies (``../shared``; nothing copied):
- WMT22 general test zh->en (1,875 lines; references A and B, both used for learning);
- XQuAD's parallel Chinese/English paragraphs (``data/qa-dev/xquad-odd-articles``, 120 paragraphs).

First a document-blocked 5-fold cross-validation on WMT22 (fold k = the k-th contiguous fifth of the
file, so a document's lines stay together; each line is translated with a table learned without its
fifth, XQuAD always in), printing chrF/BLEU (sacrebleu defaults) against both references, for all lines
and for the held-out slice the benchmark reports (every 5th line); then the table learned from all the
data is written (atomically). The cross-validated figure is the fair one: the shipped table has seen
every WMT22 line, so ``benchmarks/bench_translate.py`` scores it in-sample. (Folds by line number mod 5,
used until 2026-12-01, leak a document's words across folds and read about 0.65 chrF too high.)

    python models/train_lexicon.py [--shared ../shared] [--out regioqa/data/learned_lexicon.json] [--no-cv]
"""

from __future__ import annotations

import argparse
import json
import time
from collections import Counter
from pathlib import Path

from tqdm import tqdm

from regioqa.evals.wmt import read_wmt22, wmt_scores
from regioqa.learned_lexicon import LEXICON_PATH, LearnedLexicon, iter_choices
from regioqa.paths import shared_dir, xquad_dir
from regioqa.translate_lexical import LexicalTranslator

FOLDS = 5
WMT = Path("data/mt-dev/wmt22-zhen")


def xquad_paragraphs(folder: Path) -> tuple[list[str], list[str]]:
    """Parallel (Chinese, English) paragraphs, matched by article and paragraph position."""
    zh = json.loads((folder / "xquad.zh.json").read_text(encoding="utf-8"))["data"]
    en = json.loads((folder / "xquad.en.json").read_text(encoding="utf-8"))["data"]
    pz = [p["context"] for a in zh for p in a["paragraphs"]]
    pe = [p["context"] for a in en for p in a["paragraphs"]]
    if len(pz) != len(pe):
        raise SystemExit(f"{folder}: {len(pz)} Chinese but {len(pe)} English paragraphs")
    return pz, pe


def scores(hyp: list[str], refs: dict[str, list[str]], idx: list[int]) -> str:
    return "  ".join(f"{k} {v:5.2f}" for k, v in wmt_scores(hyp, refs, idx).items())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", type=Path, default=shared_dir())
    ap.add_argument("--out", type=Path, default=LEXICON_PATH)
    ap.add_argument("--no-cv", action="store_true", help="skip the cross-validation")
    args = ap.parse_args()
    wmt = read_wmt22(args.shared / WMT)
    src, refs = wmt.src, wmt.refs
    xz, xe = xquad_paragraphs(xquad_dir(args.shared))
    plain = LexicalTranslator(lexicon=None).warm_up()
    t0 = time.time()
    traces = [plain.trace(s) for s in tqdm(src, desc="trace WMT22", unit="line")]
    x_traces = [plain.trace(s) for s in tqdm(xz, desc="trace XQuAD", unit="para")]
    both = [(a, b) for a, b in zip(refs["A"], refs["B"], strict=True)]
    print(f"traced {len(src)} WMT22 lines and {len(xz)} XQuAD paragraphs in {time.time() - t0:.0f} s")
    every = list(range(len(src)))
    held = wmt.held_out(FOLDS)
    if not args.no_cv:
        base = plain.translate(src)
        cv = [""] * len(src)
        fold = [i * FOLDS // len(src) for i in every]  # contiguous fifths: documents stay whole
        for f in tqdm(range(FOLDS), desc="cross-validation", unit="fold"):
            train = [i for i in every if fold[i] != f]
            lex = LearnedLexicon.learn([traces[i] for i in train] + x_traces,
                                       [both[i] for i in train] + xe)
            tr = LexicalTranslator(lexicon=lex)
            for i in every:
                if fold[i] == f:
                    cv[i] = tr.translate_one(src[i])
        print(f"no table          all:      {scores(base, refs, every)}")
        print(f"blocked 5-fold CV all:      {scores(cv, refs, every)}")
        print(f"no table          held-out: {scores(base, refs, held)}")
        print(f"blocked 5-fold CV held-out: {scores(cv, refs, held)}")
    lex = LearnedLexicon.learn(traces + x_traces, both + xe, meta={
        "data": ["WMT22 general test zh-en (src, ref A, ref B), WMT shared-task terms",
                 "XQuAD odd articles zh/en paragraphs, CC BY-SA 4.0"],
        "learned": time.strftime("%Y-%m-%d")})
    lex.save(args.out)
    changed = Counter(iter_choices(lex, traces))
    print(f"wrote {args.out}: {len(lex.seen)} words, {len(lex.hits)} with supported glosses; "
          f"{sum(changed.values())} WMT22 choices changed, e.g.:")
    for (word, was, now), k in changed.most_common(12):
        print(f"  {word}: {was} -> {now} ({k}x)")


if __name__ == "__main__":
    main()
