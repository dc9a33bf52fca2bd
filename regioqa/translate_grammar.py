"""Clause-level English grammar on the lexical gloss, run before :func:`regioqa.translate_rules.apply_rules`:
subject-verb agreement (我是 -> I am, 这种灯有 -> this lamp has), "the" on a bare noun opening a clause
(记者了解到 -> The reporter learned), comparatives (更多 -> more, 更低 -> lower), a copula before a
predicate adjective (需求很大 -> demand is large), light verbs dropped (进行救援 -> rescue) and
participle relative clauses (举办的活动 -> the activities held).

>>> from regioqa.translate_rules import Unit
>>> units = [Unit("我", "r", ["I"]), Unit("是", "v", ["is"]), Unit("老师", "n", ["teacher"])]
>>> [u.en for u in grammar_rules(units)]
[['I'], ['am'], ['teacher']]
"""

from __future__ import annotations

from lemminflect import getInflection

from .translate_rules import (
    CLAUSE_END,
    DETERMINED,
    OPENS_CLAUSE,
    PLURAL_AFTER,
    PLURAL_SUBJECTS,
    Unit,
    be_form,
    inflect,
    is_plural,
)

_SINGULAR_PRONOUNS = frozenset({"he", "she", "it", "this", "that"})
_SKIP = frozenset("也 还 都 就 又 才 已 已经 仍 仍然 还是 只 只有 一直 确实 真 真的 总是 均 皆 却".split())
_NAMES = ("nr", "ns", "nt")


def grammar_rules(units: list[Unit]) -> list[Unit]:
    """The rules of this module, in order (see the module docstring)."""
    _nominal_verbs(units)
    _agreement(units)
    _indefinite(units)
    _all(units)
    _subject_articles(units)
    _comparatives(units)
    _predicate_adjectives(units)
    _light_verbs(units)
    _localisers(units)
    return _relative_clauses(units)


def _subject_articles(units: list[Unit]) -> None:
    """A bare common noun opening a sentence or clause takes "the": 记者了解到 -> The reporter learned."""
    for i, u in enumerate(units):
        if not (i == 0 or units[i - 1].zh in OPENS_CLAUSE) or not (u.nounish() or u.flag == "gl"):
            continue
        first = u.en[0]
        if not first[:1].islower() or first.lower() in DETERMINED or is_plural(u.en[-1]):
            continue
        nxt = units[i + 1] if i + 1 < len(units) else None
        if nxt is None or nxt.zh in CLAUSE_END:
            continue  # a heading or a one-word line
        u.en = ["the"] + u.en


def _subject(units: list[Unit], i: int) -> int | None:
    """The position of the unit before ``units[i]`` (adverbs such as 也/还/都 skipped) when it can be its
    subject."""
    k = i - 1
    while k >= 0 and units[k].zh in _SKIP:
        k -= 1
    if k < 0 or not units[k].en or units[k].zh in CLAUSE_END:
        return None
    return k


def _agreement(units: list[Unit]) -> None:
    """is/have agree with the subject before them: 我是 -> I am, 我们是 -> we are, 他有 -> he has,
    这种灯有四个灯盘 -> this lamp has four lamp panels."""
    for i, u in enumerate(units):
        if u.en not in (["is"], ["have"]):
            continue
        k = _subject(units, i)
        if k is None:
            continue
        subj, last = units[k], units[k].en[-1].lower()
        counted = k > 0 and " ".join(units[k - 1].en) in PLURAL_AFTER
        plural = subj.flag[:1] == "n" and (is_plural(last) or counted)
        if u.en == ["is"]:
            if last == "i":
                u.en = ["am"]
            elif last in PLURAL_SUBJECTS or plural:  # 这些材料是 -> these materials are
                u.en = ["are"]
        elif last in _SINGULAR_PRONOUNS or (subj.flag[:1] == "n" and subj.flag != "vn" and last.isalpha()
                                            and not last.endswith("s") and not plural):
            u.en = ["has"]


_COMPARED = {"多": "", "少": "less", "好": "better"}


def _comparatives(units: list[Unit]) -> None:
    """更/越来越 + 多/少/好 -> "more", "less", "better" (更多 -> more, not "more many"); 更/最 + a short
    adjective -> its -er/-est form (更低 -> lower, 最高 -> the highest, 越来越高 -> higher and higher)."""
    for i in range(1, len(units)):
        u, prev = units[i], units[i - 1]
        degree = prev.en[-1] if prev.en else ""
        if degree not in ("more", "most", "more and more") or not u.en:
            continue
        twice = degree == "more and more"
        if u.zh in _COMPARED and degree != "most":
            if _COMPARED[u.zh]:
                prev.en = ([_COMPARED[u.zh], "and"] if twice else []) + [_COMPARED[u.zh]]
            u.en = []
        elif u.flag[:1] == "a" and len(u.en) == 1 and _short_adjective(u.en[0]):
            form = getInflection(u.en[0], "JJS" if degree == "most" else "JJR")[0]
            if twice:
                prev.en, u.en = [], [form, "and", form]
            else:
                prev.en, u.en = prev.en[:-1] + (["the"] if degree == "most" else []), [form]


def _short_adjective(word: str) -> bool:
    return word.isalpha() and word.islower() and (len(word) <= 5 or (word.endswith("y") and len(word) <= 6))


_LIGHT_VERBS = frozenset({"进行", "加以", "予以", "给予", "作出", "做出"})


def _light_verbs(units: list[Unit]) -> None:
    """进行/加以 + verbal noun: the noun carries the verb (进行救援 -> rescue, not "carry out rescue")."""
    for i in range(len(units) - 1):
        u, nxt = units[i], units[i + 1]
        if u.zh in _LIGHT_VERBS and nxt.flag in ("vn", "v") and nxt.en:
            u.en = []


def _relative_clauses(units: list[Unit]) -> list[Unit]:
    """A verb opening a clause + 的 + noun -> "the" noun + past participle (举办的活动 -> the activities
    held, 压缩出的空气 -> the air compressed)."""
    out = list(units)
    for i in range(1, len(out) - 1):
        if out[i].zh != "的" or out[i].en:
            continue
        v = out[i - 1]
        n = 0
        while i + 1 + n < len(out) and n < 2 and out[i + 1 + n].nounish():
            n += 1
        nxt = out[i + 1 + n] if i + 1 + n < len(out) else None
        if not n or not v.flag.startswith("v") or v.flag == "vn" or not v.en or (nxt and nxt.nounish()):
            continue
        head = out[i + 1:i + 1 + n]
        if head[0].en[0].lower() not in DETERMINED:
            head[0].en = ["the"] + head[0].en
        if i > 1 and out[i - 2].en and out[i - 2].zh not in OPENS_CLAUSE and out[i - 2].flag[:1] not in "pdc":
            continue  # a subject or an object inside the clause: the order stays
        v.en = [inflect(v.en[0], "VBN")] + v.en[1:]
        out[i - 1:i + 1 + n] = head + [v, Unit("的", "uj", [])]
    return out


def _predicate_adjectives(units: list[Unit]) -> None:
    """Noun + adjective closing a clause -> noun + is/are + adjective (效果明显。 -> the effect is
    obvious): Chinese needs no copula (with a degree adverb, 价格很高: translate_rules._copula)."""
    for i in range(1, len(units)):
        u, prev = units[i], units[i - 1]
        nxt = units[i + 1] if i + 1 < len(units) else None
        if u.flag != "a" or not u.en or not prev.en or (nxt is not None and nxt.zh not in CLAUSE_END):
            continue
        if prev.flag == "vn" or not (prev.nounish() or prev.flag.startswith(("r", "gl", *_NAMES))):
            continue
        last = prev.en[-1].lower()
        if prev.flag == "r" and last not in _SINGULAR_PRONOUNS | PLURAL_SUBJECTS | {"i"}:
            continue
        u.en = [be_form(prev)] + u.en


def _nominal_verbs(units: list[Unit]) -> None:
    """A verb between 的 and the end of a clause (or 是) is a noun: 手术灯的缺陷， -> the defect of the
    operation lamp; 莲子的作用是 -> the role of the lotus seed is."""
    for i in range(1, len(units) - 1):
        u = units[i]
        if u.flag == "v" and units[i - 1].zh == "的" and (units[i + 1].zh in CLAUSE_END | {"是"}):
            u.flag = "vn"


def _indefinite(units: list[Unit]) -> None:
    """一 + a singular noun -> "a" (一女孩 -> a girl, not "one girl")."""
    for i in range(len(units) - 1):
        u, nxt = units[i], units[i + 1]
        if u.zh == "一" and u.en == ["one"] and nxt.nounish() and not is_plural(nxt.en[-1]) \
                and nxt.en[0][:1].islower():
            u.en = ["a"]



def _all(units: list[Unit]) -> None:
    """都 reads "all" only after a plural subject (我们都 -> we all); elsewhere it is emphasis and is
    dropped (每天都 -> every day, 他都 -> he)."""
    for i, u in enumerate(units):
        if u.zh == "都" and u.en == ["all"]:
            k = _subject(units, i)
            subj = units[k] if k is not None else Unit("", "x", [""])
            last = subj.en[-1].lower()
            if not (last in PLURAL_SUBJECTS or (subj.flag[:1] == "n" and is_plural(last))):
                u.en = []


_LOCALISERS = {"中": "in", "里": "in", "内": "in", "上": "on"}
_TERMS = ("gl", *_NAMES)


def _localisers(units: list[Unit]) -> None:
    """Noun phrase + localiser (中/里/上, no 在 before it) -> preposition + "the" + noun phrase
    (手术室里也用 -> in the operating room also use, 市场上 -> on the market)."""
    for i in range(1, len(units)):
        u = units[i]
        if u.zh not in _LOCALISERS or u.flag != "f" or not u.en:
            continue
        k = i
        while k > 0 and i - k < 3 and (units[k - 1].nounish() or units[k - 1].flag.startswith(_TERMS)):
            k -= 1
        if k == i:
            continue
        j = k - 1
        while j >= 0 and units[j].zh not in CLAUSE_END and units[j].flag[:1] != "p":
            j -= 1
        if j >= 0 and units[j].flag[:1] == "p":
            u.en = []  # 从气体中 -> from the gas: the preposition is there already
            continue
        first = units[k]
        det = [] if not first.en[0][:1].islower() or first.en[0].lower() in DETERMINED else ["the"]
        first.en = [_LOCALISERS[u.zh]] + det + first.en
        u.en = []
