"""English word forms for looking English up in a Chinese dictionary: normalised keys, US spelling
(CC-CEDICT glosses in it) and the base forms of inflected words (CC-CEDICT glosses base forms).

>>> base_forms("companies"), base_forms("planting"), base_forms("founded")
(['company', 'companie', 'compani'], ['plant', 'plante'], ['found', 'founde'])
>>> american_spelling("research centre")
'research center'
"""

from __future__ import annotations

import re

STOPWORDS = frozenset(
    "a an the of to in on at for by with and or is are was were be been what which who whom whose when where "
    "why how does do did has have had this that these those it its from as into than then there their they "
    "he she his her i you we our your can could would should will shall may might much many most more".split()
)

_BRITISH = ((re.compile(r"(?<=[a-z]{2})tre(s?)\b"), r"ter\1"),
            (re.compile(r"(?<=[a-z]{3})our(s?)\b"), r"or\1"),
            (re.compile(r"(?<=[a-z]{2})is(e|es|ed|ing|ation|ations)\b"), r"iz\1"),
            (re.compile(r"\bprogramme(s?)\b"), r"program\1"), (re.compile(r"\bdefence\b"), "defense"))
_DOUBLED = re.compile(r"([bdfgklmnprtz])\1$")  # planned -> plann -> plan


def american_spelling(s: str) -> str:
    """US spelling of a British-spelt (lower-case) phrase, as CC-CEDICT glosses it.

    >>> american_spelling("research centre"), american_spelling("labour"), american_spelling("organisation")
    ('research center', 'labor', 'organization')
    """
    for pattern, us in _BRITISH:
        s = pattern.sub(us, s)
    return s


def normalize_english(s: str) -> str:
    """The lookup key of an English phrase: lower case, single spaces, no surrounding punctuation."""
    return re.sub(r"\s+", " ", s.strip().lower().strip(".,;:!?\"'"))


def base_forms(word: str) -> list[str]:
    """Candidate base forms of an inflected English word (plural, -ing, -ed), most likely first; empty
    for short or uninflected words. Candidates need not be words: the caller keeps those it finds.

    >>> base_forms("bases"), base_forms("planned"), base_forms("studies"), base_forms("Swiss")
    (['base', 'bas'], ['plann', 'planne', 'plan'], ['study', 'studie', 'studi'], [])
    """
    w = word.lower()
    out: list[str] = []
    if len(w) > 4 and w.endswith("ies"):
        out.append(w[:-3] + "y")
    if len(w) > 3 and w.endswith("s") and not w.endswith(("ss", "us", "is")):
        out.append(w[:-1])
    if len(w) > 4 and w.endswith("es"):
        out.append(w[:-2])
    for suffix, alt in (("ing", "e"), ("ied", "y"), ("ed", "e")):
        if len(w) > len(suffix) + 2 and w.endswith(suffix):
            stem = w[: -len(suffix)]
            if suffix == "ied":
                out.append(stem + alt)
                break
            out += [stem, stem + alt] + ([stem[:-1]] if _DOUBLED.search(stem) else [])
            break
    return list(dict.fromkeys(f for f in out if f != w))
