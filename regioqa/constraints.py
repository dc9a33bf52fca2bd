"""Answer checks against what a question restricts: a year, a role, a unit, an attribute.

An extractive reader answers "who is the general manager?" with the chairman's name and "in 2022?"
with the 2023 figure when the passage states only those: the span looks right and scores high. A
question's constraints (a year; a role, unit or attribute from ``regioqa/data/question_constraints.tsv``)
must appear in the passage the answer was read from; :func:`unmet` lists those that do not, and the
pipeline then declines (``reader.check_constraints``). Chinese and English questions; Chinese passages.

>>> unmet("2022年呼和浩特市科技创新发展指数排名第几？", "2023年，呼和浩特市科技创新发展指数排名第30位。")
['2022']
>>> unmet("Who is the general manager of Lingxin?", "领新科技的董事长是郭晋宁。")
['总经理']
>>> unmet("领新科技的董事长是谁？", "领新科技的董事长是郭晋宁。")
[]
>>> unmet("Who is the general manager?", "副总经理李伟说。"), unmet("副总经理是谁？", "副总经理李伟说。")
(['总经理'], [])

A question about something the article never names is off-topic however well a span scores:
:func:`absent_names` gives the question's proper names when the text mentions none of them.

>>> absent_names("What is the capital of France?", "呼和浩特市是内蒙古自治区首府。")
['France']
>>> absent_names("法国的首都是哪里？", "呼和浩特市是首府。"), absent_names("Who leads Hohhot?", "呼和浩特市")
(['法国'], [])

An English question's answer is also weighed by how many of the question's key terms its passage
states (:func:`term_coverage`), with its score margin and the retriever's similarity of question and
passage (:func:`relevant`): a confident span in a passage about something else is still about something
else.

>>> term_coverage("How many brokers did Hohhot train?", "呼和浩特市培训技术经纪人。")
(1.0, [])
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from .dictionary import get_dictionary
from .errors import InputError
from .paths import DATA_DIR
from .text import HAN_CHARS, has_chinese

TABLE = DATA_DIR / "question_constraints.tsv"
KINDS = ("role", "unit", "attribute")
_DEPUTY_EN = r"(?<!deputy )(?<!vice )(?<!vice-)"  # "deputy general manager" does not ask for the GM
_YEAR_ZH = re.compile(r"(1[5-9]\d\d|20\d\d)\s*年")
_HAN_WORD = re.compile(f"[{HAN_CHARS}]{{2,}}")
_YEAR_EN = re.compile(r"\b(?:in|of|since|during|for|by|after|before)\s+(1[5-9]\d\d|20\d\d)\b", re.I)


@dataclass(frozen=True)
class Constraint:
    """One row of the table: ``zh`` forms (any satisfies a passage), ``en`` forms (match a question)."""

    kind: str
    zh: tuple[str, ...]
    en: tuple[str, ...]


@lru_cache(maxsize=4)
def load_constraints(path: str | Path = TABLE) -> tuple[tuple[Constraint, ...], tuple[re.Pattern[str], ...]]:
    """The table's rows and, for each, one regex of its English forms (whole words, any case)."""
    rows: list[Constraint] = []
    for n, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        parts = line.split("\t")
        if len(parts) != 3 or parts[0] not in KINDS or not parts[1]:
            raise InputError(f"{path}:{n}: expected kind (role|unit|attribute), Chinese forms, English "
                             f"forms; got {line!r}")
        en = tuple(f for f in parts[2].split("|") if f)
        rows.append(Constraint(parts[0], tuple(parts[1].split("|")), en))
    return tuple(rows), tuple(_english_pattern(r) for r in rows)


def _english_pattern(row: Constraint) -> re.Pattern[str]:
    """The row's English forms as whole words, any case; a role not after "deputy"/"vice"; a row
    without English forms matches nothing."""
    if not row.en:
        return re.compile(r"(?!x)x")
    deputy = _DEPUTY_EN if row.kind == "role" and not row.zh[0].startswith("副") else ""
    return re.compile(deputy + r"(?<![\w-])(?:" + "|".join(map(re.escape, row.en)) + r")(?![\w-])", re.I)


def unmet(question: str, passage: str) -> list[str]:
    """The constraints of ``question`` that ``passage`` does not state (years as digits, roles and
    units by their first Chinese form); empty when it states them all."""
    rows, pats = load_constraints()
    zh = has_chinese(question)
    out: list[str] = []
    for year in (_YEAR_ZH if zh else _YEAR_EN).findall(question):
        if year not in passage and year not in out:
            out.append(year)
    for row, pat in zip(rows, pats, strict=True):
        if zh:  # named as the question names it
            label = next((f for f in row.zh if _states(question, f, row.kind)), None)
        else:
            label = row.zh[0] if pat.search(question) else None
        if label and label not in out and not any(_states(passage, f, row.kind) for f in row.zh):
            out.append(label)
    return out


def _states(text: str, form: str, kind: str) -> bool:
    """Whether ``text`` names ``form``; a role only where it is not the deputy's (副院长 is no 院长)."""
    if kind != "role" or form.startswith("副"):
        return form in text
    return re.search(f"(?<!副){re.escape(form)}", text) is not None


def question_names(question: str) -> list[tuple[str, tuple[str, ...]]]:
    """The proper names ``question`` asks about, each with the forms that show a Chinese text names it.

    Chinese: jieba words that CC-CEDICT gives as proper nouns (法国). English: capitalised phrases after
    the first word whose dictionary renderings are all proper nouns, with those of two or more characters
    (France -> 法国, 法兰西), those of three or more also without their last character (Normans -> 诺曼人,
    诺曼; Persian -> 波斯语, 波斯), and the phrase itself. A phrase that is also a common noun (Church ->
    教堂), an acronym (UK) or a phrase without rendering is left out: it cannot be checked.
    """
    d = get_dictionary()
    if has_chinese(question):
        import jieba

        words = dict.fromkeys(w for w in jieba.lcut(question) if _HAN_WORD.fullmatch(w))
        return [(w, (w,)) for w in words if any(e.is_proper for e in d.lookup(w))]
    first = re.match(r"\W*[\w'-]+", question)
    rest = question[first.end():] if first else question
    out: list[tuple[str, tuple[str, ...]]] = []
    for phrase, _ in d.expand_english(rest, per_term=1):
        zh = d.to_chinese(phrase, k=8) + d.to_chinese(phrase + "s", k=4)  # Methodist(s) -> 卫理公会
        if (not phrase[:1].isupper() or phrase.isupper()  # acronyms: CC-CEDICT has UK -> 腐国 only
                or not all(any(e.is_proper for e in d.lookup(z)) for z in zh)):
            continue  # "Church" is also 教堂: a common noun, not a name the article must contain
        forms = [z for z in zh if _HAN_WORD.fullmatch(z)]
        forms += [z[:-1] for z in forms if len(z) > 2]  # Persian -> 波斯语, 波斯猫: 波斯
        if forms:
            out.append((phrase, tuple(dict.fromkeys([*forms, phrase]))))
    return out


def absent_names(question: str, texts: str | Iterable[str],
                 names: list[tuple[str, tuple[str, ...]]] | None = None) -> list[str]:
    """The proper names of ``question`` (``names``, else :func:`question_names`) when ``texts`` (one
    text or several) name none of them; empty when one does, or the question names nothing checkable."""
    names = question_names(question) if names is None else names
    if not names or any(f in t for t in ([texts] if isinstance(texts, str) else texts)
                        for _, forms in names for f in forms):
        return []
    return [name for name, _ in names]


COVERAGE_RENDERINGS = 8  # dictionary renderings of an English term looked for in the passage
# renderings that make a term a question word ("How many" -> 多少): no passage states it
_QUESTION_WORDS = frozenset("多少 几 什么 谁 哪 哪里 哪个 何时 为什么 为何 怎样 如何 怎么".split())


def question_terms(question: str) -> list[tuple[str, tuple[str, ...]]]:
    """An English question's dictionary key terms, each with its Chinese renderings (none for a
    Chinese question: its words are the passage's own)."""
    if has_chinese(question):
        return []
    terms = get_dictionary().expand_english(question, per_term=COVERAGE_RENDERINGS)
    return [(t, tuple(zh)) for t, zh in terms if zh and not _QUESTION_WORDS.intersection(zh)]


def term_coverage(question: str, passage: str, terms: list[tuple[str, tuple[str, ...]]] | None = None
                  ) -> tuple[float, list[str]]:
    """The share of ``question``'s key terms (``terms``, else :func:`question_terms`) that ``passage``
    states in one of their renderings, and the terms it does not state; ``(1.0, [])`` without terms."""
    terms = question_terms(question) if terms is None else terms
    missing = [t for t, zh in terms if not any(z in passage for z in zh)]
    return (1.0 - len(missing) / len(terms), missing) if terms else (1.0, [])


def relevant(margin: float, coverage: float, similarity: float, weights: dict[str, float]) -> bool:
    """Whether an answer is kept, given its score ``margin`` (over the no-answer score), its passage's
    ``coverage`` of the question's terms and the retriever's dense ``similarity`` of question and
    passage: ``w_margin*m + w_coverage*c + w_product*m*c + w_similarity*s + bias >= 0``, with the weights
    calibrated for the reader (``english_relevance`` in its settings; models/calibrate_relevance.py).

    >>> w = {"margin": 1.0, "coverage": 4.0, "product": 0.0, "similarity": 10.0, "bias": -10.5}
    >>> relevant(2.0, 0.5, 0.8, w), relevant(0.5, 0.25, 0.8, w)
    (True, False)
    """
    m = max(-20.0, min(20.0, margin))
    return (weights["margin"] * m + weights["coverage"] * coverage + weights["product"] * m * coverage
            + weights["similarity"] * similarity + weights["bias"]) >= 0
