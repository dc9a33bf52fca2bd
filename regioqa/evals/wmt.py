"""The WMT22 zh->en development set in ``../shared``: reading it, and chrF/BLEU on slices of it.

One home for what the translator's benchmark, the learned lexicon's training script and its tests share.

>>> s = wmt_scores(["the cat sat on the mat", "x"], {"A": ["the cat sat on the mat", "y"]}, idx=[0])
>>> round(s["chrF A"], 2), round(s["BLEU A"], 2)
(100.0, 100.0)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import InputError
from ..paths import shared_dir
from . import metrics as M

WMT22_DIR = shared_dir() / "data" / "mt-dev" / "wmt22-zhen"
PREFIX = "generaltest2022.zh-en."
REFERENCES = ("A", "B")
SYSTEMS = ("JDExploreAcademy", "Online-B")


@dataclass
class Wmt22:
    """Source lines, references by name ("A", "B") and the submitted systems' outputs found."""

    src: list[str]
    refs: dict[str, list[str]]
    systems: dict[str, list[str]] = field(default_factory=dict)

    def held_out(self, every: int = 5) -> list[int]:
        """The held-out slice: every ``every``-th line (4, 9, 14, ...)."""
        return [i for i in range(len(self.src)) if i % every == every - 1]


def _lines(p: Path) -> list[str]:
    if not p.is_file():
        raise InputError(f"WMT22 file not found: {p} (the set lives in ../shared/data/mt-dev/wmt22-zhen; "
                         "REGIOQA_SHARED points elsewhere)")
    return p.read_text(encoding="utf-8").rstrip("\n").split("\n")


def read_wmt22(folder: str | Path = WMT22_DIR, limit: int = 0) -> Wmt22:
    """The set in ``folder`` (its first ``limit`` lines when ``limit`` > 0)."""
    folder = Path(folder)
    cut = slice(None, limit or None)
    src = _lines(folder / f"{PREFIX}src.zh")[cut]
    refs = {k: _lines(folder / f"{PREFIX}ref.{k}.en")[cut] for k in REFERENCES}
    systems = {s: _lines(folder / f"{PREFIX}hyp.{s}.en")[cut] for s in SYSTEMS
               if (folder / f"{PREFIX}hyp.{s}.en").is_file()}
    return Wmt22(src, refs, systems)


def wmt_scores(hyp: Sequence[str], refs: dict[str, list[str]], idx: Sequence[int] | None = None
               ) -> dict[str, float]:
    """``{"chrF A": ..., "BLEU A": ..., "chrF B": ...}``: sacrebleu defaults, over the lines ``idx``
    (all when None)."""
    idx = range(len(hyp)) if idx is None else idx
    h = [hyp[i] for i in idx]
    out: dict[str, float] = {}
    for name, ref in refs.items():
        r = [ref[i] for i in idx]
        out[f"chrF {name}"] = M.corpus_chrf(h, r)
        out[f"BLEU {name}"] = M.corpus_bleu(h, r)
    return out
