"""Rules that turn a word-by-word gloss into more English-like order, and the final English clean-up.

The lexical translator (:mod:`regioqa.translate_lexical`) glosses each Chinese word into a
:class:`Unit`; :func:`apply_rules` then drops classifiers after numbers and demonstratives
(这项发明 -> this invention), turns ``X 的 Y`` into ``the Y of X`` when both sides are short noun
phrases, moves postpositions before what they follow (2022年以来 -> since 2022) and puts ``the``
before bare common nouns after a preposition; :func:`join_tokens` joins the English with
sensible spacing and capitals.

>>> units = [Unit("浙江", "ns", ["Zhejiang"]), Unit("的", "uj", []), Unit("经济", "n", ["economy"])]
>>> join_tokens(apply_rules(units))
'The economy of Zhejiang'
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

POST = "\x03"  # marks a postposition: it moves before the unit it follows
SENT_END = "\x02"  # marks a Chinese full stop so only real sentence ends get a capital after them
PUNCT = {"，": ",", "。": SENT_END + ".", "、": ",", "；": ";", "：": ":", "？": "?", "！": "!", "“": '"',
         "”": '"', "‘": "'", "’": "'", "（": "(", "）": ")", "《": '"', "》": '"', "【": "[",
         "】": "]", "—": "–", "——": "–", "…": "...", "……": "...", "·": " ", "「": '"',
         "」": '"', "『": '"', "』": '"', "～": "-", "〔": "(", "〕": ")", "．": "."}
_NO_SPACE_BEFORE = set(",.;:?!)]%")

CLASSIFIERS = frozenset("个种项位名家件条套款批次场座所张台部支只头本篇份间类枚辆架道层群对双片块段")
DEMONSTRATIVES = {"这": "this", "那": "that", "每": "every", "一": "a", "各": "each", "该": "the",
                  "某": "a certain", "哪": "which", "几": "several", "多": "many", "整": "the whole"}
_NOUN = ("n", "vn", "ng", "nz", "gl", "an")
_NAME = ("nr", "ns", "nt", "gl")
_DETERMINED = ("a", "an", "the", "this", "that", "these", "those", "every", "each", "our", "their", "my",
               "his", "her", "its", "your", "some", "many", "several", "all", "any", "no", "a certain")


@dataclass(slots=True)
class Unit:
    """One Chinese word (``zh``, jieba POS ``flag``; "m" for rendered numbers, "gl" for glossary terms)
    and its English tokens (empty: the word is dropped)."""

    zh: str
    flag: str
    en: list[str] = field(default_factory=list)

    def nounish(self) -> bool:
        return bool(self.en) and self.flag.startswith(_NOUN) and not self.flag.startswith(_NAME)


def apply_rules(units: list[Unit]) -> list[str]:
    """The English tokens of ``units`` after the reordering rules (see the module docstring)."""
    units = [u for u in units if u.zh.strip() or u.en]
    _classifiers(units)
    units = _de_phrases(units)
    tokens: list[str] = []
    for u in units:
        tokens.extend(u.en)
    for i, t in enumerate(tokens):  # 2022年以来 -> since 2022
        if t.startswith(POST):
            if i > 0 and tokens[i - 1][:1].isalnum():
                tokens[i - 1], tokens[i] = t[1:], tokens[i - 1]
            else:
                tokens[i] = t[1:]
    return tokens


def _classifiers(units: list[Unit]) -> None:
    """这/每/一 + classifier -> this/every/a; a classifier after a number is dropped."""
    for i, u in enumerate(units):
        zh = u.zh
        if len(zh) == 2 and zh[0] in DEMONSTRATIVES and zh[1] in CLASSIFIERS and u.flag[:1] in "mrq":
            u.en = [DEMONSTRATIVES[zh[0]]]
        elif i > 0 and (zh in CLASSIFIERS or u.flag == "q") and len(zh) == 1:
            prev = units[i - 1]
            if prev.zh in DEMONSTRATIVES:
                prev.en = [DEMONSTRATIVES[prev.zh]]
                u.en = []
            elif prev.flag == "m":
                u.en = []


def _de_phrases(units: list[Unit]) -> list[Unit]:
    """``X 的 Y`` -> ``the Y of X`` when X and Y are runs of one or two nouns."""
    out: list[Unit] = []
    i = 0
    while i < len(units):
        u = units[i]
        if u.zh == "的" and out and i + 1 < len(units):
            left = _run_back(out)
            right = _run_fwd(units, i + 1)
            if left and right:
                x = out[-left:]
                del out[-left:]
                y = units[i + 1:i + 1 + right]
                head = [] if y[0].en and y[0].en[0].lower() in _DETERMINED else ["the"]
                out.append(Unit("".join(v.zh for v in y), "n", head + [t for v in y for t in v.en]))
                out.append(Unit("的", "uj", ["of"] + [t for v in x for t in v.en]))
                i += 1 + right
                continue
        out.append(u)
        i += 1
    return out


def _run_back(units: list[Unit], most: int = 2) -> int:
    n = 0
    while n < most and n < len(units) and (units[-1 - n].nounish() or units[-1 - n].flag.startswith(_NAME)):
        n += 1
    return n


def _run_fwd(units: list[Unit], start: int, most: int = 2) -> int:
    n = 0
    while n < most and start + n < len(units) and units[start + n].nounish():
        n += 1
    if start + n < len(units) and units[start + n].nounish():
        return 0  # a longer noun run: its head is further on, leave it
    return n


def join_tokens(tokens: list[str]) -> str:
    """Join English tokens with sensible spacing; capitalise sentence starts; drop stutters.

    >>> join_tokens(["this", "is", "is", "a", "test", ",", "ok", SENT_END + "."])
    'This is a test, ok.'
    """
    out: list[str] = []
    open_q = {'"': False, "'": False}
    for t in tokens:
        t = t.strip()
        if not t:
            continue
        if out and t.lower() == out[-1].strip().lower() and t[0].isalpha():
            continue  # "and and"
        if t in open_q:
            out.append(t if open_q[t] or not out else f" {t}")
            open_q[t] = not open_q[t]
            continue
        prev = out[-1].strip() if out else ""
        if not out:
            out.append(t)
        elif t[0] in _NO_SPACE_BEFORE and not t.startswith("..."):
            out.append(t)
        elif prev.endswith(("(", "[")) or (prev in open_q and open_q[prev]):
            out.append(t)
        else:
            out.append(" " + t)
    s = "".join(out).strip()
    s = re.sub(r"\s+", " ", s)
    s = re.sub(r"([,;:])(?=[^\s\d\"'])", r"\1 ", s)
    s = re.sub(r"\s+([,.;:?!%\x02])", r"\1", s)
    s = re.sub(r"([\x02!?]\.?[\"']?\s*[\"']?)([a-z])", lambda m: m.group(1) + m.group(2).upper(), s)
    s = re.sub(r"((?:^|[:,] )[\"'])([a-z])", lambda m: m.group(1) + m.group(2).upper(), s)
    s = re.sub(r"\x02\.(?=[A-Za-z])", ". ", s)
    s = s.replace(SENT_END, "")
    s = re.sub(r"([,;:])\1+", r"\1", s)
    s = re.sub(r"(\d) ?([+/×]) ?(\d)", r"\1\2\3", s)  # "4+1"
    s = re.sub(r"(?<!\.)\.{2}(?!\.)", ".", s).replace(",.", ".")
    return s[:1].upper() + s[1:]
