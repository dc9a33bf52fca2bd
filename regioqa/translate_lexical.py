"""The offline lexical Chinese -> English translator (the default when no seq2seq model is prepared).

:class:`LexicalTranslator`: jieba segmentation, the domain glossary first, numbers and units rendered
by :mod:`regioqa.numbers`, person names in pinyin, then CC-CEDICT with a sense choice (cross-lingual
embedding similarity when an embedder is injected, else a filtered frequency ranking). Word order stays
mostly Chinese; it is a gloss, not a fluent translation, and says so (``lexical = True``).

>>> t = LexicalTranslator()
>>> out = t.translate(["2023年，呼和浩特市科技创新发展指数排名第30位。"])[0]
>>> "2023" in out and "Hohhot" in out and "30th" in out
True
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path
from typing import Any

import numpy as np
from lemminflect import getAllLemmas
from wordfreq import zipf_frequency

from .dictionary import Dictionary, get_dictionary, load_function_words, load_glossary
from .embed import check_texts
from .errors import InputError
from .learned_lexicon import CANDIDATES, LearnedLexicon, Trace, packaged_lexicon
from .numbers import DATE, MONTH_RANGE, ZH_NUMBER, render_number_match, render_number_zh
from .text import HAN_RE, t2s
from .translate_grammar import grammar_rules
from .translate_rules import CLASSIFIERS, DEMONSTRATIVES, POST, PUNCT, Unit, apply_rules, join_tokens

LEXICAL_NAME = "lexical-cedict"
_HAN = HAN_RE

# Function words and news-register senses that CC-CEDICT's first sense gets wrong ("" drops the word).
# Keys may be "word" or "word/flag" (jieba POS flag prefix) for flag-specific choices.
FUNCTION_WORDS: dict[str, str] = {k: (POST + en if kind == "post" else en)
                                  for k, (en, kind) in load_function_words().items()}


_COMPLEMENTS = frozenset("出 来 起 起来 下去 出来 过来 下来 上来 进来 进去 上去".split())
POTENTIAL = re.compile(r"([\u4e00-\u9fff]{1,2})(不|得)"
                       r"(到|了|清楚|清|懂|见|出|起|下|完|动|住|开|上|过|明白|起来|出来|下去)")
PLACEHOLDER = re.compile(r"#[A-Z][A-Z_]*#")
_RESULT_COMPLEMENTS = frozenset({"好", "完"})  # 准备好 -> prepare, 做完 -> do (not "prepare good")
_MODALS = frozenset({"要", "想", "会", "得", "请", "让", "在", "正在", "需要", "必须", "可以", "能"})
_TITLES = {"先生": "Mr.", "女士": "Ms.", "小姐": "Miss"}
_LOCALISERS = frozenset({"中", "里", "上", "内", "之中", "当中", "之内", "方面"})
_POSSESSIVE = {"我们": "our", "他们": "their", "我": "my", "他": "his", "她": "her", "它": "its",
               "你": "your", "你们": "your", "它们": "their"}


class LexicalTranslator:
    """Word-by-word Chinese -> English gloss (offline default). Outputs are marked ``lexical = True``.

    ``lexicon``: the learned lexical-choice table (:class:`regioqa.learned_lexicon.LearnedLexicon`);
    ``"packaged"`` (default) loads the one shipped in the package, None uses none. Where it has no
    opinion, ``embedder`` (optional, a :class:`regioqa.embed.Embedder`) chooses among CC-CEDICT senses
    by cosine similarity of each sense to the source sentence (multilingual embeddings); otherwise the
    best-ranked sense (CC-CEDICT order traded against English frequency and part of speech) is used.
    """

    name = LEXICAL_NAME
    lexical = True

    def __init__(self, glossary: str | Path | None = None, dictionary: Dictionary | None = None,
                 embedder: Any | None = None, max_senses: int = 4,
                 lexicon: LearnedLexicon | str | None = "packaged") -> None:
        self.lexicon = packaged_lexicon() if lexicon == "packaged" else lexicon
        if isinstance(self.lexicon, str):
            raise InputError(f"lexicon: {lexicon!r} is not a LearnedLexicon, 'packaged' or None")
        self._trace: list[tuple[str, tuple[str, ...]]] | None = None
        self.glossary = {k: v.en for k, v in load_glossary(glossary).items()}
        self._gl_max = max((len(k) for k in self.glossary), default=0)
        self._dict = dictionary
        self.embedder = embedder
        self.max_senses = max_senses
        self._sense_cache: dict[str, np.ndarray] = {}
        self._rank_cache: dict[tuple[str, str], list[str]] = {}
        self._pseg: Any = None
        self._pending_in = False
        if embedder is not None:
            self.name = f"{LEXICAL_NAME}+emb"

    @property
    def dictionary(self) -> Dictionary:
        if self._dict is None:
            self._dict = get_dictionary()
        return self._dict

    def _posseg(self) -> Any:
        """A private jieba tokenizer (the global one, used for BM25 elsewhere, stays untouched)."""
        if self._pseg is None:
            import jieba
            import jieba.posseg

            tk = jieba.Tokenizer()
            for w in ("我院", "我市", "我省", "我区", "我校", "我所", "线上线下"):
                tk.add_word(w, freq=5_000)
            for w in self.glossary:
                if _HAN.search(w) and re.fullmatch(r"[\u3400-\u9fff]+", w):
                    tk.add_word(w, freq=10_000, tag="gl")
            self._pseg = jieba.posseg.POSTokenizer(tk)
        return self._pseg

    def warm_up(self) -> LexicalTranslator:
        """Load CC-CEDICT and the jieba tokenizer now (otherwise the first text does); returns self."""
        _ = self.dictionary
        self._posseg().lcut("预热")  # jieba builds its prefix dictionary on the first cut
        return self

    def translate(self, texts: list[str]) -> list[str]:
        """Translate each text (any length; sentences are handled one by one)."""
        return [self.translate_one(t) for t in check_texts(texts)]

    def trace(self, text: str) -> Trace:
        """The lexical choices translating ``text`` meets: ``(word, ranked candidate glosses)`` each
        (what :meth:`LearnedLexicon.learn` learns from).

        >>> LexicalTranslator(lexicon=None).trace("银行")[0][0]  # the word / jieba's POS class
        '银行/n'
        """
        self._trace = []
        try:
            self.translate_one(text)
            return self._trace
        finally:
            self._trace = None

    def translate_one(self, text: str) -> str:
        text = unicodedata.normalize("NFKC", text).replace("\u3000", " ")
        if not text.strip():
            return ""
        text = t2s().convert(text)  # traditional input (DRCD, Taiwan, Hong Kong) -> simplified
        sent_vec = self._embed_sentence(text) if self.embedder is not None else None
        units: list[Unit] = []
        self._pending_in = False
        for kind, zh, en in self._pieces(text):
            if kind == "plain":
                units.extend(self._plain_units(zh, sent_vec))
            else:
                units.append(Unit(zh, kind, [en]))
        return join_tokens(apply_rules(grammar_rules(units)))

    # segmentation: glossary and number expressions first, jieba for the rest
    def _pieces(self, text: str) -> list[tuple[str, str, str]]:
        """``(kind, chinese, english)``: kind "plain" (english empty), "gl" (glossary) or "m" (number)."""
        out: list[tuple[str, str, str]] = []
        buf: list[str] = []
        i, n = 0, len(text)
        dates = {m.start(): m for m in DATE.finditer(text)}
        dates.update({m.start(): m for m in MONTH_RANGE.finditer(text)})

        def flush() -> None:
            if buf:
                out.append(("plain", "".join(buf), ""))
                buf.clear()

        while i < n:
            hit = None
            for L in range(min(self._gl_max, n - i), 0, -1):
                if text[i:i + L] in self.glossary:
                    hit = (L, self.glossary[text[i:i + L]], "gl")
                    break
            if hit is None and text[i] == "#":
                m = PLACEHOLDER.match(text, i)  # anonymised spans (#NAME#, #PRS_ORG#) stay as they are
                if m:
                    hit = (m.end() - i, m.group(0), "x")
            if hit is None and i in dates:
                m = dates[i]
                hit = (m.end() - m.start(), render_number_zh(m.group(0)), "m")
            if hit is None and (text[i].isdigit() or text[i] in "零〇一二两三四五六七八九十百千第百"):
                m = ZH_NUMBER.match(text, i)
                if m and m.end() > i:
                    r = render_number_match(m)
                    if r is not None:
                        hit = (m.end() - i, r, "m")
            if hit is None:
                buf.append(text[i])
                i += 1
                continue
            flush()
            out.append((hit[2], text[i:i + hit[0]], hit[1]))
            i += hit[0]
        flush()
        return out

    def _plain_units(self, text: str, sent_vec: np.ndarray | None) -> list[Unit]:
        out: list[Unit] = []
        toks = when_clauses(self._merge([(w, f) for w, f in self._posseg().lcut(text, HMM=True)]))
        i = 0
        while i < len(toks):
            word, flag = toks[i]
            # 在/于 ... 中/里/上: the localiser closes the frame, and English needs only one "in"
            if word in ("在", "于") and flag.startswith("p"):
                self._pending_in = True
            elif self._pending_in and word in _LOCALISERS:
                self._pending_in = False
                i += 1
                continue
            elif word in "，。；：！？,.;:!?":
                self._pending_in = False
            if word in _POSSESSIVE and i + 1 < len(toks) and toks[i + 1][0] == "的":
                out.append(Unit(word + "的", "r", [_POSSESSIVE[word]]))  # 我们的 -> our
                i += 2
                continue
            if i > 0 and toks[i - 1][1].startswith("v") and (word in _COMPLEMENTS or (
                    word in _RESULT_COMPLEMENTS and toks[i - 1][0] not in ("是", "有"))):
                i += 1  # directional complement: 研发出 -> develop (not "develop go out")
                continue
            nxt = toks[i + 1] if i + 1 < len(toks) else ("", "")
            if word in ("没有", "没") and nxt[1][:1] == "v" and nxt[0] not in ("有", "是"):
                out.append(Unit(word, "d", ["did not"]))  # 没(有)收到 -> did not receive
                i += 1
                continue
            if word == "等" and i > 0 and (toks[i - 1][1][:1] == "d" or toks[i - 1][0] in _MODALS
                                              or toks[i - 1][0][-1] in "要再还"):
                out.append(Unit(word, "v", ["wait"]))  # 还要等 -> still have to wait (not "etc.")
                i += 1
                continue
            if flag[:1] == "v" and 1 < len(word) < 4 and word[-1] == "到" and not self._senses(word, flag) \
                    and self._senses(word[:-1], "v"):
                toks[i:i + 1] = [(word[:-1], "v"), ("到", "v")]  # 送到 -> 送 + 到 (deliver to)
                continue
            name, used = self._name_at(toks, i)
            if name:
                out.append(Unit("".join(w for w, _ in toks[i:i + used]), "nr", [name]))
                i += used
                continue
            out.append(Unit(word, flag, self._word(word, flag, sent_vec)))
            i += 1
        return out

    def _merge(self, toks: list[tuple[str, str]]) -> list[tuple[str, str]]:
        """Join runs of two or three jieba tokens that form a longer CC-CEDICT headword with a usable
        common-word sense (生物/传感器 -> 生物传感器 "biosensor")."""
        d = self.dictionary
        out: list[tuple[str, str]] = []
        i = 0
        while i < len(toks):
            for n in (3, 2):
                if i + n > len(toks):
                    continue
                if toks[i][1][:1] != "v" and any(f[:1] == "u" for _, f in toks[i + 1:i + n]):
                    continue  # not across a particle: 中/的 is not 中的 "hit the target" (是的 is "yes")
                cat = "".join(w for w, _ in toks[i:i + n])
                if len(cat) <= 6 and _HAN.fullmatch(cat[0]) and cat not in FUNCTION_WORDS and any(
                        not e.is_proper for e in d.entries.get(cat, ())) and d.senses(cat):
                    out.append((cat, toks[i + n - 1][1]))
                    i += n
                    break
            else:
                out.append(toks[i])
                i += 1
        return out

    def _name_at(self, toks: list[tuple[str, str]], i: int) -> tuple[str | None, int]:
        """Person names (jieba ``nr``) in pinyin. jieba often splits a name after the surname
        (郭/晋宁, 吕/和平, 陈/十一) or before the last character (欧阳明/高); those are rejoined."""
        word, flag = toks[i]
        if not flag.startswith("nr") or not _HAN.fullmatch(word[:1] or "x"):
            return None, 0
        d = self.dictionary
        nxt = toks[i + 1] if i + 1 < len(toks) else ("", "")
        if len(word) == 3 and word[1:] in _TITLES and self._is_surname(word[0]):
            return f"{_TITLES[word[1:]]} {d.name_pinyin(word[0])}", 1  # 李先生 -> Mr. Li
        if len(word) == 1 and nxt[0] in _TITLES and self._is_surname(word):
            return f"{_TITLES[nxt[0]]} {d.name_pinyin(word)}", 2
        if any(not s.startswith("surname") and s[:1].isupper() for s in d.senses(word)[:1]):
            return None, 0  # a proper noun with an English name: 双子座 -> Gemini
        if len(word) == 1 and self._is_surname(word):
            if 1 <= len(nxt[0]) <= 2 and _HAN.match(nxt[0]) and nxt[1][:2] in ("nr", "nz", "m", "ns", "nt"):
                return d.name_pinyin(word + nxt[0]), 2
            return d.name_pinyin(word), 1  # 郭老师 -> Guo teacher
        if len(word) == 3 and self._is_surname(word[:2]) and len(nxt[0]) == 1 and _HAN.match(nxt[0]) \
                and nxt[0] not in FUNCTION_WORDS:
            return d.name_pinyin(word + nxt[0]), 2
        if 2 <= len(word) <= 4 and self._is_name(word) and (self._is_surname(word[0])
                                                              or self._is_surname(word[:2])):
            return d.name_pinyin(word), 1
        if 2 <= len(word) <= 4 and not d.lookup(word) and word not in FUNCTION_WORDS and not any(
                word[k:k + 2] in d.entries for k in range(len(word) - 1)):
            return "".join(d.char_pinyin(c) or c for c in word).capitalize(), 1  # 莱希 -> Laixi
        return None, 0

    def _is_surname(self, s: str) -> bool:
        return any("surname " in x for e in self.dictionary.entries.get(s, []) for x in e.senses)

    def _word(self, word: str, flag: str, sent_vec: np.ndarray | None) -> list[str]:
        if not word.strip():
            return []
        if word in PUNCT:
            return [PUNCT[word]]
        if not _HAN.search(word):
            return [PUNCT.get(c, c) for c in word] if all(c in PUNCT for c in word) else [word.strip()]
        if word in self.glossary:
            return [self.glossary[word]]
        for key in (f"{word}/{flag}", f"{word}/{flag[:1]}", word):
            if key in FUNCTION_WORDS:
                return [FUNCTION_WORDS[key]] if FUNCTION_WORDS[key] else []
        d = self.dictionary
        senses = self._senses(word, flag)
        if senses:
            return [self._choose(word, senses, sent_vec, flag)]
        m = POTENTIAL.fullmatch(word)
        if m and d.senses(m.group(1)):  # 看不到 -> cannot see, 找得到 -> can find
            return ["cannot" if m.group(2) == "不" else "can", *self._word(m.group(1), "v", sent_vec)]
        # unknown word: longest dictionary pieces, pinyin for what is left
        out: list[str] = []
        i = 0
        while i < len(word):
            L = d.longest_prefix(word, i)
            if L:
                piece = word[i:i + L]
                fw = FUNCTION_WORDS.get(piece)
                if i + L == len(word) > 1 and L == 1 and "-" + piece in FUNCTION_WORDS:
                    fw = FUNCTION_WORDS["-" + piece]  # a suffix of an unknown compound: 酸度 -> acidity level
                s = self._senses(piece, "")
                if i and i + L == len(word) and piece in _COMPLEMENTS:
                    pass  # 救过来 -> rescue (not "rescue come over")
                elif L == 1 and piece in CLASSIFIERS and i and word[i - 1] in DEMONSTRATIVES and out:
                    out[-1] = DEMONSTRATIVES[word[i - 1]]  # 一张 -> a, 这款 -> this (not "one open up")
                elif fw is not None:
                    if fw:
                        out.append(fw)
                elif s:
                    out.append(self._choose(piece, s, sent_vec))
                else:
                    out.append(d.name_pinyin(piece).replace(" ", "").capitalize())
                i += L
            else:
                py = d.char_pinyin(word[i])
                out.append(py or word[i])
                i += 1
        return out

    def _is_name(self, word: str) -> bool:
        es = self.dictionary.lookup(word)
        return not es or all(e.is_proper for e in es)

    def _senses(self, word: str, flag: str) -> list[str]:
        """Candidate glosses, best first: CC-CEDICT order (POS-matched senses first) traded against
        how common the English gloss is (``wordfreq`` Zipf frequency; rare and long glosses lose)."""
        key = (word, flag)
        hit = self._rank_cache.get(key)
        if hit is None:
            hit = self._rank_cache[key] = rank_glosses(self.dictionary.glosses(word, pos=flag or None), flag)
        return hit

    def _choose(self, word: str, senses: list[str], sent_vec: np.ndarray | None, flag: str = "") -> str:
        key = f"{word}/{flag[:1]}" if flag[:1].isalpha() else word  # jieba's POS class: 给/p vs 给/v
        if self._trace is not None:
            self._trace.append((key, tuple(senses[:CANDIDATES])))
        learned = self.lexicon.choose(key, senses) if self.lexicon is not None else None
        if learned is not None:
            return learned
        cands = senses[: self.max_senses]
        if sent_vec is None or len(cands) == 1:
            return cands[0]
        vecs = self._sense_vectors(cands)
        sims = vecs @ sent_vec - 0.02 * np.arange(len(cands))  # slight prior for CC-CEDICT order
        return cands[int(np.argmax(sims))]

    def _embed_sentence(self, text: str) -> np.ndarray:
        return np.asarray(self.embedder.embed_passages([text])[0], dtype=np.float32)

    def _sense_vectors(self, senses: list[str]) -> np.ndarray:
        todo = [s for s in senses if s not in self._sense_cache]
        if todo:
            vecs = np.asarray(self.embedder.embed_passages(todo), dtype=np.float32)
            for s, v in zip(todo, vecs, strict=True):
                self._sense_cache[s] = v
        return np.stack([self._sense_cache[s] for s in senses])


def when_clauses(toks: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """``(在/当) X (的)时候/时 ，`` -> ``when X ,``: "when" opens the clause (not "in X of the when").

    >>> [w for w, _ in when_clauses([("在", "p"), ("定价", "v"), ("的", "uj"), ("时候", "n"), ("，", "x")])]
    ['当', '定价', '，']
    """
    out: list[tuple[str, str]] = []
    for w, f in toks:
        if w in ("时候", "时") and f[:1] == "n" and out:
            k = len(out)
            while k > 0 and out[k - 1][0] not in CLAUSE_MARKS:
                k -= 1
            opener = next((m for m in range(len(out) - 1, k - 1, -1) if out[m][0] in ("在", "当")), None)
            if out[-1][0] == "的" and len(out) - 1 > (k if opener is None else opener + 1):
                out.pop()
            if opener is not None:
                out[opener] = ("当", "t")
                continue
            if len(out) > k:
                out.insert(k, ("当", "t"))
                continue
        out.append((w, f))
    return out


CLAUSE_MARKS = frozenset("，。；：！？,;:!?“”\"（）()")
SENSE_PENALTY, GLOSS_PENALTY, WORD_PENALTY = 2.5, 1.0, 0.5


POS_BONUS = 1.0
_UPOS = {"n": "NOUN", "v": "VERB", "a": "ADJ", "d": "ADV", "b": "ADJ"}


def _pos_match(gloss: str, flag: str) -> bool:
    """Whether the gloss's head word can be the English part of speech of jieba's ``flag``."""
    want = "NOUN" if flag in ("vn", "an") else _UPOS.get(flag[:1])
    if not want:
        return False
    words = gloss.split(" ")
    head = words[-1] if want == "NOUN" else words[0]
    return want in getAllLemmas(head.lower())


def rank_glosses(glosses: list[tuple[str, int, int, bool]], flag: str = "") -> list[str]:
    """Order ``(gloss, sense_rank, gloss_rank, is_verb)`` candidates by English frequency minus a
    penalty for a later sense or gloss and for each extra word.

    >>> rank_glosses([("rate of work", 0, 0, False), ("power", 0, 1, False)])  # 功率
    ['power', 'rate of work']
    """
    def score(c: tuple[str, int, int, bool]) -> float:
        g, si, gi, _ = c
        return (zipf_frequency(g, "en", wordlist="best") - SENSE_PENALTY * si - GLOSS_PENALTY * gi
                - WORD_PENALTY * g.count(" ") + (POS_BONUS if flag and _pos_match(g, flag) else 0.0))

    return [c[0] for c in sorted(glosses, key=score, reverse=True)]
