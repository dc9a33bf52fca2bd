"""Held-out unanswerable questions for the abstention target, built from XQuAD's *measurement* articles
(2, 5, ..., 23: never trained or calibrated on), in both languages, as SQuAD 2.0 files for
``regioqa eval qa --context retrieve``:

- ``near-miss.{zh,en}.json``: every paragraph of ``xquad.zh.json`` (the index ``eval qa`` builds is the
  one the answerable measurement uses), with near-miss copies of the measurement questions (a year,
  role, unit or attribute swapped for one their paragraph lacks: ``models/reader_data.near_miss``, the
  rule the calibration sets use, applied here to articles calibration never saw);
- ``off-topic.{zh,en}.json``: the paragraphs of the *other* 16 articles only, with every measurement
  question: real questions about topics the indexed text does not cover.

Nothing is committed: the files are derived from ``../shared`` and written under ``--out``.

    python evals/xquad_unanswerable.py --shared ../shared --out out/xquad-unans
    for f in out/xquad-unans/*.json; do
        regioqa eval qa --squad $f --context retrieve --out ${f%.json}.report.json; done

>>> doc = squad_doc(["段落一。"], [{"id": "q#nm", "question": "谁？", "paragraph": 0}])
>>> doc["data"][0]["paragraphs"][0]["qas"][0]["is_impossible"]
True
"""

from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "models"))
sys.path.insert(0, str(REPO))

from regioqa.io import atomic_write_json  # noqa: E402
from regioqa.paths import xquad_dir  # noqa: E402


def squad_doc(contexts: list[str], questions: list[dict[str, Any]]) -> dict[str, Any]:
    """A SQuAD 2.0 document: one paragraph per context, each question unanswerable, filed under the
    paragraph numbered ``paragraph``."""
    paras: list[dict[str, Any]] = [{"context": c, "qas": []} for c in contexts]
    for q in questions:
        paras[q["paragraph"]]["qas"].append({"id": q["id"], "question": q["question"], "answers": [],
                                             "is_impossible": True})
    return {"version": "v2.0", "data": [{"title": "xquad-unanswerable", "paragraphs": paras}]}


def build(folder: Path, seed: int = 0) -> dict[str, dict[str, Any]]:
    """``{file name: SQuAD document}`` for the four files (see the module docstring)."""
    import reader_data

    split = reader_data.xquad_split(folder)
    parts = reader_data.xquad_contexts(folder)
    contexts = [c for _, c in parts]
    where = {c: i for i, c in enumerate(contexts)}
    other = [c for part, c in parts if part != "measure"]
    rng = random.Random(seed)
    out = {}
    for lang in ("zh", "en"):
        qs = [e for e in split["measure"] if e["lang"] == lang]
        nm = [x for e in qs if (x := reader_data.near_miss(e, rng, lang))]
        near = [{"id": x["id"], "question": x["question"], "paragraph": where[x["context"]]} for x in nm]
        out[f"near-miss.{lang}.json"] = squad_doc(contexts, near)
        out[f"off-topic.{lang}.json"] = squad_doc(
            other, [{"id": e["id"] + "#off", "question": e["question"], "paragraph": 0} for e in qs])
    return out


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--shared", type=Path, default=REPO.parent / "shared", help="the shared data folder")
    ap.add_argument("--out", type=Path, default=REPO / "out" / "xquad-unans")
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args(argv)
    folder = xquad_dir(a.shared)
    if not (folder / "xquad.zh.json").is_file():
        sys.exit(f"error: {folder / 'xquad.zh.json'} not found; pass --shared (the folder holding data/)")
    for name, doc in build(folder, a.seed).items():
        atomic_write_json(a.out / name, doc)
        n = sum(len(p["qas"]) for p in doc["data"][0]["paragraphs"])
        paras = len(doc["data"][0]["paragraphs"])
        print(f"{a.out / name}: {n} unanswerable questions over {paras} paragraphs")


if __name__ == "__main__":
    main()
