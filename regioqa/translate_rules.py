"""Rules that turn a word-by-word gloss into more English-like order, and the final English clean-up.

The lexical translator (:mod:`regioqa.translate_lexical`) glosses each Chinese word into a
:class:`Unit`; :func:`apply_rules` then drops classifiers after numbers and demonstratives
(这项发明 -> this invention), puts counts before their noun (经纪人974名 -> 974 brokers), turns
``X 的 Y`` into ``the Y of X`` when both sides are short noun phrases, puts ``the`` before bare common
nouns after a preposition or verb, "and" before the last item of an enumeration, "to" after control
verbs, a copula before predicate adjectives, past tense and plurals (lemminflect), moves 在-phrases
after their verb and postpositions before what they follow (2022年以来 -> since 2022);
:func:`join_tokens` joins the English with sensible spacing and capitals.

>>> units = [Unit("浙江", "ns", ["Zhejiang"]), Unit("的", "uj", []), Unit("经济", "n", ["economy"])]
>>> join_tokens(apply_rules(units))
'The economy of Zhejiang'
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field

from lemminflect import getAllLemmas, getInflection, getLemma

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
DETERMINED = ("a", "an", "the", "this", "that", "these", "those", "every", "each", "our", "their", "my",
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
    units = _postposed_counts(units)
    units = _de_phrases(units)
    _articles(units)
    _enumerations(units)
    _verb_chains(units)
    _inflect(units)
    _copula(units)
    units = _move_place_phrases(units)
    tokens: list[str] = []
    for u in units:
        tokens.extend(u.en)
    for i in range(len(tokens) - 1):  # "also will" -> "will also"
        if tokens[i] in _ADVERBS and tokens[i + 1] in _MODALS:
            modal = "are" if tokens[i] == "all" and tokens[i + 1] == "is" else tokens[i + 1]  # 都是
            tokens[i], tokens[i + 1] = modal, tokens[i]
    for i, t in enumerate(tokens):  # 2022年以来 -> since 2022
        if t.startswith(POST):
            if i > 0 and tokens[i - 1][:1].isalnum():
                tokens[i - 1], tokens[i] = t[1:], tokens[i - 1]
            else:
                tokens[i] = t[1:]
    return tokens


PP_OBJECT = 4
PP_HEADS = frozenset({"在", "于"})
DEGREE = frozenset({"很", "非常", "十分", "特别", "比较", "太", "挺", "更", "最", "相当", "极"})
PLURAL_SUBJECTS = frozenset({"we", "they", "you", "these", "those"})


def is_plural(word: str) -> bool:
    """An English plural by its ending ("brokers", not "business")."""
    return word.endswith("s") and not word.endswith("ss")


def be_form(subject: Unit) -> str:
    """am/is/are for ``subject`` (its last English word; nouns by their ending, pronouns by person)."""
    last = subject.en[-1].lower()
    if last == "i":
        return "am"
    return "are" if last in PLURAL_SUBJECTS or (is_plural(last) and subject.flag[:1] == "n") else "is"


def _copula(units: list[Unit]) -> None:
    """Noun + degree adverb + adjective (价格很高) -> "price is high": Chinese needs no copula (without
    the adverb: :func:`regioqa.translate_grammar._predicate_adjectives`)."""
    for i in range(1, len(units) - 1):
        prev, u, nxt = units[i - 1], units[i], units[i + 1]
        if u.zh in DEGREE and nxt.flag[:1] == "a" and prev.en and prev.flag[:1] in "nr":
            u.en = [be_form(prev)] + u.en



def _move_place_phrases(units: list[Unit]) -> list[Unit]:
    """在 + place/time + verb -> verb + "in" place (拜登在闭幕词中说 -> Biden said in the closing speech)."""
    out = list(units)
    i = 0
    while i < len(out):
        u = out[i]
        if u.zh in PP_HEADS and u.flag.startswith("p"):
            j = i + 1
            while j < len(out) and j - i <= 6 and not out[j].flag.startswith(("v", "x", "p", "c", "u", "d")) \
                    and out[j].zh not in CLAUSE_END and out[j].zh != "、":
                j += 1
            verb = out[j] if j < len(out) else None
            if j > i + 1 and verb is not None and verb.flag.startswith("v") and verb.flag != "vn" and verb.en:
                k = j + 1  # the verb's object: a short noun phrase closing the clause
                while k < len(out) and k - j <= PP_OBJECT and (out[k].nounish() or out[k].flag in ("gl", "m")
                                                                or not out[k].en):
                    k += 1
                if k >= len(out) or out[k].zh in CLAUSE_END:
                    out[i:k] = out[j:k] + out[i:j]
                    i = k
                    continue
        i += 1
    return out


_ADVERBS = frozenset({"also", "all", "still", "only", "just", "already"})
_MODALS = frozenset({"is", "are", "was", "were", "will", "can", "should", "must", "may", "would", "could"})


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


APPROX = frozenset({"近", "约", "超过", "逾", "超", "达", "共", "累计", "将近", "大约"})


def _postposed_counts(units: list[Unit]) -> list[Unit]:
    """Noun + number + classifier closing a clause (培养技术经纪人974名) -> number + plural noun
    ("974 technology brokers")."""
    out: list[Unit] = []
    for i, u in enumerate(units):
        nxt = units[i + 1] if i + 1 < len(units) else None
        if (u.flag == "m" and len(u.zh) > 1 and u.zh[-1] in CLASSIFIERS and any(c.isdigit() for c in u.zh)
                and (nxt is None or nxt.zh in CLAUSE_END or nxt.zh == "、")):
            approx = out.pop() if out and out[-1].zh in APPROX else None  # 近300项: "nearly" moves along
            n = 0
            while n < 3 and n < len(out) and (out[-1 - n].nounish() and out[-1 - n].flag != "vn"
                                              or out[-1 - n].flag in ("gl", "b")):
                n += 1
            if n and (out[-1].nounish() or out[-1].flag == "gl"):
                head = out[-1]
                if float(re.sub(r"[^\d.]", "", u.zh) or 0) > 1:
                    head.en = head.en[:-1] + [inflect(head.en[-1], "NNS")]
                out[len(out) - n:len(out) - n] = [approx, u] if approx else [u]
                continue
            if approx:
                out.append(approx)
        out.append(u)
    return out


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
                head = [] if y[0].en and y[0].en[0].lower() in DETERMINED else ["the"]
                out.append(Unit("".join(v.zh for v in y), "n", head + [t for v in y for t in v.en]))
                of_the = ["of", "the"] if x[0].nounish() and x[0].en and x[0].en[0][:1].islower() and \
                    x[0].en[0].lower() not in DETERMINED else ["of"]
                out.append(Unit("的", "uj", of_the + [t for v in x for t in v.en]))
                i += 1 + right
                continue
        out.append(u)
        i += 1
    return out


def _articles(units: list[Unit]) -> None:
    """``the`` before a bare common noun that follows a preposition or a verb."""
    for i in range(1, len(units)):
        u, prev = units[i], units[i - 1]
        if not u.nounish() or u.flag == "vn" or not prev.en or prev.flag[:1] not in ARTICLE_AFTER:
            continue
        first = u.en[0]
        if first.lower() in DETERMINED or first.lower() in _NO_ARTICLE or not first[:1].islower() \
                or first.split(" ")[0] in _PREPOSITIONS \
                or prev.en[-1].endswith(_NOUN_ENDINGS) or prev.en[-1].lower() in _NO_ARTICLE \
                or (u.en[-1].endswith("s") and not u.en[-1].endswith("ss")):  # bare plurals
            continue
        u.en = ["the"] + u.en


ARTICLE_AFTER = "pv"
_PREPOSITIONS = frozenset({"of", "to", "in", "on", "at", "for", "with", "by", "from", "a", "an", "the"})
_NO_ARTICLE = frozenset({"when", "what", "who", "where", "how", "why", "no", "not", "etc.", "than", "have",
                         "has"})
_NOUN_ENDINGS = ("ion", "ment", "ship", "ity", "ness", "ance", "ence", "ism")


def _enumerations(units: list[Unit]) -> None:
    """A、B、C -> A, B and C (the last enumeration comma of a clause becomes "and")."""
    last = -1
    for i, u in enumerate(units + [Unit("。", "x", [])]):
        if u.zh == "、":
            last = i
        elif u.zh in CLAUSE_END:
            if last >= 0:
                units[last].en = ["and"]
            last = -1


_NOT_ON = frozenset({"电", "专电", "至", "到", "起", "以来", "前", "后", "之前", "之后"})  # dateline, ranges
_ORDINAL = re.compile(r"(\d+(st|nd|rd|th)|first|second|third|[a-z]+th)$")
_YEAR_DATE = re.compile(r"([A-Z][a-z]+ )?\d{4}$")
_PERIOD_EDGE = {"底": "the end of", "末": "the end of", "初": "the beginning of"}
OPENS_CLAUSE = frozenset("，。；！？,;!?")
_DAY_DATE = re.compile(r"[A-Z][a-z]+ \d{1,2}(, \d{4})?$")
CLAUSE_END = frozenset("，。；：！？,;:!?()（）“”\"")
CONTROL_VERBS = frozenset("需要 想 希望 开始 继续 计划 决定 努力 帮助 准备 打算 愿意 喜欢 试图 尝试 "
                          "拒绝 同意 承诺 选择 学习 学会 争取 致力于 用于 用来 旨在 邀请 鼓励 要求 "
                          "允许 帮".split())


def _verb_chains(units: list[Unit]) -> None:
    """需要 + verb -> "need to" + verb; 有 opening a clause -> "there is"."""
    for i, u in enumerate(units):
        nxt = units[i + 1] if i + 1 < len(units) else None
        if u.zh in CONTROL_VERBS and u.en and nxt is not None and nxt.flag.startswith("v") and nxt.en:
            u.en = u.en + ["to"]
        if u.zh in OBJECT_FORMS and i and units[i - 1].flag[:1] in "pv":
            u.en = [OBJECT_FORMS[u.zh]]  # 给我 -> to me
        if u.flag == "m" and u.zh[-1:] == "年" and nxt is not None and nxt.zh == "来" and u.en \
                and u.en[-1].endswith(("year", "years")):  # (近)三年来 -> over the past three years
            u.en = ["over the past"] + (["year"] if u.en == ["one year"] else u.en)
            nxt.en = []
            if i and units[i - 1].zh == "近":
                units[i - 1].en = []
        elif u.zh in ("来", "去") and nxt is not None and nxt.flag.startswith("v") \
                and u.flag.startswith("v") and not (i and units[i - 1].flag == "m"):
            u.en = ["to"]  # 来增强 -> to enhance
        if u.zh == "到" and i and units[i - 1].flag.startswith("v") and units[i - 1].flag != "vn":
            # 了解到， -> learned, 送到 -> deliver to
            u.en = [] if nxt is None or nxt.zh in CLAUSE_END else ["to"]
        if (u.flag == "m" and _DAY_DATE.match(" ".join(u.en)) and (i == 0 or units[i - 1].flag[:1] != "p")
                and (nxt is None or nxt.zh not in _NOT_ON)):
            u.en = ["on"] + u.en  # 12月10日落幕 -> closed on December 10
        elif u.flag == "m" and u.en and _YEAR_DATE.match(" ".join(u.en)) and u.zh[-1:] in "年月" and nxt:
            opens = i == 0 or units[i - 1].zh in OPENS_CLAUSE
            if nxt.zh in _PERIOD_EDGE:  # 2023年底 -> (at) the end of 2023
                u.en = (["at"] if opens else []) + [_PERIOD_EDGE[nxt.zh]] + u.en
                nxt.en = []
            elif opens and nxt.zh not in _NOT_ON and nxt.zh not in ("是", "为") and not (
                    nxt.en and nxt.en[0].startswith(POST)):
                u.en = ["in"] + u.en  # 2023年，... -> In 2023, ...
        if u.flag == "m" and u.en and _ORDINAL.match(u.en[0]) and "第" in u.zh and (
                i == 0 or not units[i - 1].en or units[i - 1].en[-1].lower() not in DETERMINED):
            u.en = ["the"] + u.en  # 第44届 -> the 44th session
        if u.zh in ("等", "等等") and u.flag.startswith("u"):  # A、B等国家 -> A, B and other countries
            listed = [v for v in units[max(0, i - 12):i] if v.zh == "、"]  # A、B、C等 -> A, B, C, etc.
            u.en = ["and other"] if nxt is not None and (nxt.nounish() or nxt.flag == "gl") else (
                [",", "etc."] if listed else ["etc."])
            if listed and u.en[-1] == "etc.":
                listed[-1].en = [","]
        if u.zh == "突破" and nxt is not None and nxt.flag == "m":
            u.en = ["exceeded"]  # 总数突破1000名
        if u.zh in ("电", "专电") and i and units[i - 1].flag == "m":
            u.en = []  # the dateline: 新华社北京12月11日电
        if u.zh in ("有", "没有") and (i == 0 or units[i - 1].zh in CLAUSE_END):
            u.en = ["there is"] if u.zh == "有" else ["there is no"]


OBJECT_FORMS = {"我": "me", "他": "him", "她": "her", "我们": "us", "他们": "them", "她们": "them"}


PAST_BEFORE = frozenset({"已", "已经", "曾", "曾经"})
PLURAL_AFTER = frozenset({"many", "several", "various", "multiple", "a number of", "these", "those", "some",
                          "numerous", "a series of", "a batch of", "both", "all", "more", "most", "other"})


def _inflect(units: list[Unit]) -> None:
    """Past tense for a verb marked by 了 or 已经, a past participle after 被 (被认可 -> is recognised),
    plural nouns after a number above one or "many", "several", ..."""
    for i, u in enumerate(units):
        if not u.en:
            continue
        prev = units[i - 1] if i else None
        nxt = units[i + 1] if i + 1 < len(units) else None
        counter = next((v for v in reversed(units[:i]) if v.en), None)  # skips a dropped classifier
        if u.flag.startswith("v") and u.flag != "vn":
            if prev is not None and prev.zh == "被":
                prev.en = ["is"]
                u.en = [inflect(u.en[0], "VBN")] + u.en[1:]
            elif (nxt is not None and nxt.zh == "了") or (prev is not None and prev.zh in PAST_BEFORE):
                u.en = [inflect(u.en[0], "VBD")] + u.en[1:]
        elif u.nounish() and counter is not None and _counts_many(counter) and not (nxt and nxt.nounish()):
            u.en = u.en[:-1] + [inflect(u.en[-1], "NNS")]


def _counts_many(u: Unit) -> bool:
    text = " ".join(u.en).lower()
    if text in PLURAL_AFTER:
        return True
    if u.flag != "m":
        return False
    m = re.search(r"(\d[\d,]*(?:\.\d+)?)(?: (million|billion|thousand))?$", text)
    if m is None:
        return text.split(" ")[-1] in ("million", "billion", "thousand") or text in _NUMBER_WORDS
    return bool(m.group(2)) or float(m.group(1).replace(",", "")) > 1


_NUMBER_WORDS = frozenset("two three four five six seven eight nine ten eleven twelve twenty thirty forty "
                          "fifty hundred".split())


@functools.lru_cache(maxsize=20_000)
def inflect(word: str, tag: str) -> str:
    """``word`` inflected by lemminflect (Penn tag VBD, VBN or NNS); unchanged when it is not a plain
    lower-case word, or a plural already.

    >>> inflect("obtain", "VBD"), inflect("product", "NNS"), inflect("products", "NNS"), inflect("go", "VBN")
    ('obtained', 'products', 'products', 'gone')
    >>> inflect("technology broker", "NNS"), inflect("carry out", "VBD"), inflect("accounting for", "VBD")
    ('technology brokers', 'carried out', 'accounted for')
    >>> inflect("held", "VBN"), inflect("found", "VBD"), inflect("invention", "VBD")
    ('held', 'found', 'invention')
    """
    if " " in word:  # a phrase: the head noun is last, the verb first
        words = word.split(" ")
        k = len(words) - 1 if tag == "NNS" else 0
        return " ".join(words[:k] + [inflect(words[k], tag)] + words[k + 1:])
    if not word.isalpha() or not word.islower() or word.endswith("s" if tag == "NNS" else "ed") \
            or word in ("can", "cannot", "will", "must", "should", "may"):
        return word
    if tag != "NNS" and word.endswith("ing") and len(word) > 5:  # "accounting (for)" -> "accounted"
        word = (getLemma(word, upos="VERB") or (word,))[0]
    if tag != "NNS":  # not a verb ("invention"), or inflected already ("held"): unchanged
        lemma = (getLemma(word, upos="VERB") or (word,))[0]
        if "VERB" not in getAllLemmas(word) or (lemma != word and word in getInflection(lemma, tag=tag)):
            return word
    forms = getInflection(word, tag=tag)
    return forms[0] if forms else word


def _run_back(units: list[Unit], most: int = 3) -> int:
    n = 0
    while n < most and n < len(units) and (units[-1 - n].nounish() or units[-1 - n].flag.startswith(_NAME)):
        n += 1
    return n


def _run_fwd(units: list[Unit], start: int, most: int = 3) -> int:
    n = 0
    while n < most and start + n < len(units) and units[start + n].nounish():
        n += 1
    if start + n < len(units) and (units[start + n].nounish() or units[start + n].flag == "gl"):
        return 0  # a longer noun run: its head is further on, leave it
    return n


def join_tokens(tokens: list[str]) -> str:
    """Join English tokens with sensible spacing; capitalise sentence starts; drop stutters.

    >>> join_tokens(["this", "is", "is", "a", "test", ",", "ok", SENT_END + "."])
    'This is a test, ok.'
    >>> join_tokens(["go", "to", "to the", "the", "market", "of", "the", "of", "Asia", SENT_END + "."])
    'Go to the market of Asia.'
    """
    out: list[str] = []
    open_q = {'"': False, "'": False}
    for t in tokens:
        t = t.strip()
        if not t:
            continue
        if out and t.lower() == out[-1].strip().lower() and t.replace(" ", "").isalpha():
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
    s = re.sub(r"\b(a|an|the) (?=(?:a|an|the|of|our|their|its|his|my|your|this|these|those)\b)",
               "", s)  # "a the" -> "the", "the of" -> "of", "the our" -> "our"
    s = re.sub(r"\b(the|a|an|of|to|in|and) \1\b", r"\1", s, flags=re.IGNORECASE)  # "to to", "the the"
    s = re.sub(r"\b([Aa]) (?=[aeio](?!ne\b|nce\b)\w)", r"\1n ", s)  # "a article" -> "an article"
    s = re.sub(r"(\d) ?([+/×]) ?(\d)", r"\1\2\3", s)  # "4+1"
    s = re.sub(r"\b(\d{1,2}): (\d\d)\b", r"\1:\2", s)  # clock times: 18：40 -> 18:40
    s = re.sub(r"(?<!\.)\.{2}(?!\.)", ".", s).replace(",.", ".")
    return s[:1].upper() + s[1:]
