"""A lexical-choice table learned from parallel text, for the offline translator.

CC-CEDICT lists a word's senses, not which one English news uses. :class:`LearnedLexicon` counts, over
Chinese lines with English references, in how many lines each candidate gloss's content words (lemmas)
appear in the reference, and picks the best-supported gloss when it beats the translator's own first
choice. (Free word associations, Dice over lines, were tried and dropped: under document-blocked
cross-validation they gained nothing and they learned names from neighbouring lines, 智能手机 -> "Diming".)
It is a trained artifact (``regioqa/data/learned_lexicon.json``, learned by ``models/train_lexicon.py``
on WMT22 zh->en and XQuAD's parallel paragraphs; card: ``learned_lexicon.md``).

>>> lex = LearnedLexicon.learn([[("银行", ("bank", "shore"))], [("银行", ("bank", "shore"))]],
...                            ["The shore was quiet.", "Along the shore."])
>>> lex.choose("银行", ["bank", "shore"])
'shore'
>>> LearnedLexicon.from_dict(lex.to_dict()) == lex
True
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from lemminflect import getAllLemmas

from .errors import InputError, ModelNotFoundError
from .io import atomic_write_json, read_json
from .paths import DATA_DIR

LEXICON_PATH = DATA_DIR / "learned_lexicon.json"
MIN_SEEN = 2  # occurrences before a word's POS-specific counts are used
CANDIDATES = 8  # how many of the translator's ranked glosses the table may choose among
FORMAT = "regioqa-learned-lexicon/2"

Trace = Sequence[tuple[str, Sequence[str]]]
"""One line's lexical choices as the translator met them: ``(key, ranked candidate glosses)``, the key
being the Chinese word with jieba's part-of-speech class (``"给/p"``) or the bare word."""

_STOP = frozenset("a an the of to in on at for and or be is are was were by with as from that this it its"
                  .split())
_WORD = re.compile(r"[A-Za-z]+")


@lru_cache(maxsize=65536)
def lemma(word: str) -> str:
    """A word's lemma (lower case; the alphabetically first when lemminflect gives several)."""
    w = word.lower()
    found = {x for v in getAllLemmas(w).values() for x in v}
    return min(found) if found else w


def content_lemmas(text: str) -> frozenset[str]:
    """The lemmas of ``text``'s content words (function words left out).

    >>> sorted(content_lemmas("The banks were closed"))
    ['bank', 'close']
    """
    return frozenset(lemma(w) for w in _WORD.findall(text) if w.lower() not in _STOP)


@dataclass
class LearnedLexicon:
    """Per-word sense support (see the module docstring).

    ``hits``: word -> ``[(gloss, support), ...]``, most first, where support counts the lines whose
    reference holds the gloss's content words (a multi-word gloss with half or more of them earns that
    share); ``seen``: word -> occurrences; ``margin``: lines a gloss must win by over the translator's
    first choice.
    """

    hits: dict[str, list[tuple[str, float]]] = field(default_factory=dict)
    seen: dict[str, int] = field(default_factory=dict)
    margin: float = 1.0
    meta: dict[str, Any] = field(default_factory=dict)

    def choose(self, word: str, candidates: Sequence[str]) -> str | None:
        """The learned choice for ``word`` among ``candidates`` (ranked, best first), or None to keep
        the translator's first candidate. ``word`` may carry a part-of-speech class (``"给/p"``): its
        own counts are used once seen ``MIN_SEEN`` times, else those of the bare word."""
        base, _, pos = word.partition("/")
        if pos and self.seen.get(word, 0) < MIN_SEEN:
            word = base
        hits = self.hits.get(word, ())
        if not hits or len(candidates) < 2 or not content_lemmas(candidates[0]):
            return None  # a function-word gloss ("to", "at") can never be seen supported: keep it
        best, k = hits[0]
        first = dict(hits).get(candidates[0], 0)
        if best != candidates[0] and best in candidates[:CANDIDATES] and k >= first + self.margin:
            return best
        return None

    @classmethod
    def learn(cls, traces: Sequence[Trace], references: Sequence[str | Sequence[str]], margin: float = 1.0,
              meta: dict[str, Any] | None = None) -> LearnedLexicon:
        """Learn from ``traces`` (one per source line, see :data:`Trace`) and each line's English
        reference(s)."""
        if len(traces) != len(references):
            raise InputError(f"learned lexicon: {len(traces)} traced lines but {len(references)} references")
        hits: dict[str, Counter[str]] = defaultdict(Counter)  # float counts (partial credit)
        seen: Counter[str] = Counter()
        for trace, ref in zip(traces, references, strict=True):
            have = content_lemmas(ref if isinstance(ref, str) else " ".join(ref))
            for key, cands in trace:
                support: dict[str, float] = {}
                for g in cands[:CANDIDATES]:
                    need = content_lemmas(g)
                    if need:  # a multi-word gloss earns the share of its content words present, from half up
                        part = len(need & have) / len(need)
                        if part >= 0.5:
                            support[g] = part
                for word in dict.fromkeys((key, key.partition("/")[0])):  # with and without its POS class
                    seen[word] += 1
                    if support:
                        hits[word].update(support)
        return cls(hits={w: [(g, round(k, 3)) for g, k in c.most_common()] for w, c in sorted(hits.items())},
                   seen=dict(sorted(seen.items())),
                   margin=margin, meta={**(meta or {}), "lines": len(traces)})

    def to_dict(self) -> dict[str, Any]:
        return {"format": FORMAT, "meta": self.meta, "margin": self.margin, "seen": self.seen,
                "hits": {w: [list(x) for x in h] for w, h in self.hits.items()}}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> LearnedLexicon:
        if d.get("format") != FORMAT:
            raise InputError(f"learned lexicon: format {d.get('format')!r}, expected {FORMAT!r}")
        return cls(hits={w: [(g, float(k)) for g, k in h] for w, h in d["hits"].items()},
                   seen={w: int(k) for w, k in d["seen"].items()},
                   margin=float(d["margin"]), meta=dict(d.get("meta", {})))

    def save(self, path: str | Path = LEXICON_PATH) -> None:
        """Write the table (atomically; compact JSON)."""
        atomic_write_json(path, self.to_dict(), indent=None)

    @classmethod
    def load(cls, path: str | Path = LEXICON_PATH) -> LearnedLexicon:
        p = Path(path)
        if not p.is_file():
            raise ModelNotFoundError(f"learned lexicon not found: {p} "
                                     "(learn it with `python models/train_lexicon.py`)")
        return cls.from_dict(read_json(p))


@lru_cache(maxsize=1)
def packaged_lexicon() -> LearnedLexicon | None:
    """The table shipped in the package, or None when it is absent (the translator then keeps its own
    ranking)."""
    return LearnedLexicon.load(LEXICON_PATH) if LEXICON_PATH.is_file() else None


def iter_choices(lex: LearnedLexicon, traces: Iterable[Trace]) -> Iterable[tuple[str, str, str]]:
    """``(word, first candidate, learned choice)`` for each choice the table changes in ``traces``."""
    for trace in traces:
        for word, cands in trace:
            got = lex.choose(word, list(cands))
            if got is not None and cands and got != cands[0]:
                yield word, cands[0], got
