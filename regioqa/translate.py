"""Chinese -> English translation: a lexical offline default and transformers seq2seq models.

Every translator has ``.translate(texts) -> list[str]``, ``.name`` and ``.lexical``.

* :class:`LexicalTranslator` (offline default): jieba segmentation, the domain glossary first, numbers
  and units rendered by :mod:`regioqa.numbers`, person names in pinyin, then CC-CEDICT with a sense
  choice (cross-lingual embedding similarity when an embedder is injected, else a filtered frequency
  ranking). Word order stays Chinese; it is a gloss, not a fluent translation, and says so
  (``lexical = True``).
* :class:`Seq2SeqTranslator`: Marian (opus-mt-zh-en), M2M100/NLLB (language codes via
  ``forced_bos_token_id``), mBART-50 and mT5-style models through ``model.generate``; batched, long
  input split at sentence boundaries and joined again, beam size and length limits from
  :class:`~regioqa.config.TranslateConfig`.

>>> t = LexicalTranslator()
>>> out = t.translate(["2023年，呼和浩特市科技创新发展指数排名第30位。"])[0]
>>> "2023" in out and "Hohhot" in out and "30th" in out
True
>>> check_translation("培育32家科技领军企业", out).ok
False
"""

from __future__ import annotations

import functools
import logging
import re
import unicodedata
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np

from .config import TranslateConfig
from .dictionary import Dictionary, get_dictionary, load_glossary
from .embed import check_texts
from .errors import InputError, ModelNotFoundError
from .numbers import _DATE, ZH_NUMBER, NumberCheck, check_numbers, render_number_match, render_number_zh
from .text import has_chinese  # the one home of "has Chinese" (re-exported: summarize imports it here)

log = logging.getLogger(__name__)

LEXICAL_NAME = "lexical-cedict"
_HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")

__all__ = ["Translator", "LexicalTranslator", "Seq2SeqTranslator", "load_translator", "check_translation",
           "has_chinese", "LEXICAL_NAME"]


@runtime_checkable
class Translator(Protocol):
    """Anything that turns Chinese texts into English texts, one output per input."""

    name: str
    lexical: bool

    def translate(self, texts: list[str]) -> list[str]: ...


def check_translation(zh: str, en: str) -> NumberCheck:
    """The number-consistency check (see :func:`regioqa.numbers.check_numbers`)."""
    return check_numbers(zh, en)


def _validate(texts: Any) -> list[str]:
    return check_texts(texts)  # a list of str, else InputError naming the item


# --------------------------------------------------------------------------------------------------
# Lexical translator
# --------------------------------------------------------------------------------------------------

# Function words and news-register senses that CC-CEDICT's first sense gets wrong ("" drops the word).
# Keys may be "word" or "word/flag" (jieba POS flag prefix) for flag-specific choices.
FUNCTION_WORDS: dict[str, str] = {
    "的": "", "地/u": "", "得/u": "", "了": "", "着": "", "过/u": "", "之": "of", "所": "", "把": "",
    "被": "by", "们": "", "啊": "", "吗": "", "呢": "", "吧": "", "就": "", "便": "", "则": "",
    "和": "and", "与": "and", "及": "and", "以及": "and", "并": "and", "而": "and", "跟": "and", "同": "with",
    "或": "or", "或者": "or", "在": "in", "于": "in", "从": "from", "向": "to", "往": "to", "对": "to",
    "对于": "for", "为/p": "for", "为": "as", "为了": "in order to", "将/d": "will", "将": "will", "是": "is",
    "有": "have", "没有": "no", "不": "not", "也": "also", "还": "also", "都": "all", "已": "already",
    "已经": "already", "正在": "", "等": "etc.", "等等": "etc.", "中/f": "in", "里/f": "in", "上/f": "on",
    "以": "with", "通过": "through", "由": "by", "其": "its", "该": "the", "此": "this", "这": "this",
    "这些": "these", "这个": "this", "那": "that", "我们": "we", "他们": "they", "他": "he", "她": "she",
    "它": "it", "我": "I", "你": "you", "更": "more", "最": "most", "很": "very", "非常": "very",
    "要": "must", "应": "should", "应该": "should", "可": "can", "可以": "can", "能": "can", "能够": "can",
    "会": "will", "才": "only", "又": "also", "再": "again", "但": "but", "但是": "but", "因为": "because",
    "所以": "so", "如果": "if", "即": "namely", "及其": "and its", "之一": "one of", "说": "said",
    "表示": "said", "介绍": "said", "告诉": "told", "据悉": "reportedly", "目前": "currently",
    "今年": "this year", "去年": "last year", "明年": "next year", "近年来": "in recent years",
    "同时": "at the same time", "此外": "in addition", "其中": "among them",
    "进行": "carry out", "近": "nearly", "约": "about", "超过": "more than", "超": "over", "逾": "over",
    "达": "reached", "达到": "reached", "占": "accounting for", "共": "a total of", "累计": "cumulatively",
    "全面": "comprehensively", "积极": "actively", "不断": "continuously", "充分": "fully",
    "大力": "vigorously", "加快": "accelerate", "推进": "advance", "推动": "promote", "加强": "strengthen",
    "提升": "improve", "提高": "improve", "实现": "achieve", "打造": "build", "建设": "construction",
    "构建": "build", "培育": "cultivate", "开展": "carry out", "实施": "implement", "发挥": "give play to",
    "作用": "role", "坚持": "adhere to", "强化": "strengthen", "深化": "deepen", "促进": "promote",
    "支持": "support", "引领": "lead", "助力": "help", "聚焦": "focus on", "围绕": "around",
    "依托": "relying on", "针对": "targeting", "对接": "connect", "落地": "be implemented",
    "转化": "transformation", "成果": "achievements", "突破": "breakthrough", "领域": "fields",
    "体系": "system", "机制": "mechanism", "企业": "enterprises", "项目": "projects", "团队": "team",
    "人才": "talent", "研发": "R&D", "科研": "scientific research", "高校": "universities",
    "产业": "industry", "区域": "regional", "重点": "key", "关键": "key", "核心": "core",
    "国家": "national", "首位": "first place", "排名": "ranked", "居": "ranking", "之首": "top",
    "成立": "established", "吸纳": "attracted", "专家": "experts", "单位": "units", "成员": "member",
    "创新": "innovation", "发展": "development", "一": "one", "二": "two", "各": "each", "每": "every",
    "新": "new", "高": "high", "大": "large", "多": "many", "少": "few", "好": "good", "一批": "a number of",
    "一系列": "a series of", "一些": "some", "多项": "multiple", "各类": "various", "相关": "relevant",
    "自身": "own", "取得": "achieved", "获得": "obtained", "成功": "successfully",
    "首次": "for the first time", "记者": "reporter", "近日": "recently", "下一步": "next", "未来": "future",
    "继续": "continue", "着力": "focus on", "把握": "grasp", "构筑": "build", "赋能": "empower",
    "谋划": "plan", "据": "according to", "该市": "the city", "市级": "municipal", "市": "city",
    "工程": "project",
    "要求": "requirements", "部署": "deployment", "行业": "industry", "顶尖": "top", "力量": "forces",
    "最高": "highest", "优势": "advantages", "模式": "model", "资源": "resources", "水平": "level",
    "先进": "advanced", "合作": "cooperation", "交流": "exchange", "服务": "services", "政策": "policy",
    "老师": "teacher", "公司": "company", "研究": "research", "管理": "management", "组建": "set up",
    "建立": "established", "引进": "introduced", "利用": "use", "应用": "application", "品种": "varieties",
    "生产": "production", "主体": "main body", "地位": "status", "升级": "upgrading", "载体": "carriers",
    "新增": "added", "总数": "total", "培养": "train", "人员": "personnel", "工作人员": "staff",
    "机构": "institutions", "国内": "domestic", "国际": "international", "省": "province",
    "◎": "", "摄": "photo", "我院": "our institute", "我市": "our city", "我省": "our province",
    "我区": "our region", "我校": "our university", "我所": "our institute", "更多": "more",
    "线上线下": "online and offline",
    # postpositions become prepositions: "\x03" moves the word before the token it follows
    "以来": "\x03since", "之后": "\x03after", "以后": "\x03after", "之前": "\x03before",
    "以前": "\x03before", "期间": "\x03during",
    "供图": "photo", "受访者": "interviewee",
    "了解": "learned", "工作": "work", "方面": "aspects", "一方面": "on the one hand",
    "另一方面": "on the other hand", "以上": "above", "以下": "below", "左右": "about", "相信": "believe",
    "作为": "as", "由于": "because of", "根据": "according to", "按照": "in accordance with",
    "当前": "currently", "首先": "first", "其次": "second", "最终": "eventually", "刚刚": "just",
    "正": "", "正式": "formally", "提出": "proposed", "强调": "stressed", "明确": "clearly",
    "指出": "pointed out", "认为": "believes", "主要": "main", "重要": "important", "重大": "major",
}
_COMPLEMENTS = frozenset({"出", "来", "起", "起来", "下去", "出来"})
_LOCALISERS = frozenset({"中", "里", "上", "内", "之中", "当中", "之内", "方面"})
_POSSESSIVE = {"我们": "our", "他们": "their", "我": "my", "他": "his", "她": "her", "它": "its",
               "你": "your", "你们": "your", "它们": "their"}
_SENT_END = "\x02"  # marks a Chinese full stop so only real sentence ends get a capital after them
_PUNCT = {"，": ",", "。": _SENT_END + ".", "、": ",", "；": ";", "：": ":", "？": "?", "！": "!", "“": '"',
          "”": '"', "‘": "'", "’": "'", "（": "(", "）": ")", "《": '"', "》": '"', "【": "[",
          "】": "]", "—": "–", "——": "–", "…": "...", "……": "...", "·": " ", "「": '"',
          "」": '"', "『": '"', "』": '"', "～": "-", "〔": "(", "〕": ")", "．": "."}
_NO_SPACE_BEFORE = set(",.;:?!)]%")


class LexicalTranslator:
    """Word-by-word Chinese -> English gloss (offline default). Outputs are marked ``lexical = True``.

    ``embedder`` (optional, a :class:`regioqa.embed.Embedder`): choose among CC-CEDICT senses by
    cosine similarity of each sense to the source sentence (multilingual embeddings); otherwise the
    first sense left after filtering (CC-CEDICT lists common senses first) is used.
    """

    name = LEXICAL_NAME
    lexical = True

    def __init__(self, glossary: str | Path | None = None, dictionary: Dictionary | None = None,
                 embedder: Any | None = None, max_senses: int = 4) -> None:
        self.glossary = {k: v.en for k, v in load_glossary(glossary).items()}
        self._gl_max = max((len(k) for k in self.glossary), default=0)
        self._dict = dictionary
        self.embedder = embedder
        self.max_senses = max_senses
        self._sense_cache: dict[str, np.ndarray] = {}
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

    def translate(self, texts: list[str]) -> list[str]:
        """Translate each text (any length; sentences are handled one by one)."""
        return [self.translate_one(t) for t in _validate(texts)]

    def translate_one(self, text: str) -> str:
        text = unicodedata.normalize("NFKC", text).replace("\u3000", " ")
        if not text.strip():
            return ""
        text = _t2s().convert(text)  # traditional input (DRCD, Taiwan, Hong Kong) -> simplified
        sent_vec = self._embed_sentence(text) if self.embedder is not None else None
        tokens: list[str] = []
        self._pending_in = False
        for kind, piece in self._pieces(text):
            if kind == "plain":
                tokens.extend(self._translate_plain(piece, sent_vec))
            else:
                tokens.append(piece)
        for i, t in enumerate(tokens):  # 2022年以来 -> since 2022
            if t.startswith("\x03"):
                if i > 0 and tokens[i - 1][:1].isalnum():
                    tokens[i - 1], tokens[i] = t[1:], tokens[i - 1]
                else:
                    tokens[i] = t[1:]
        return _join(tokens)

    # segmentation: glossary and number expressions first, jieba for the rest
    def _pieces(self, text: str) -> list[tuple[str, str]]:
        out: list[tuple[str, str]] = []
        buf: list[str] = []
        i, n = 0, len(text)
        dates = {m.start(): m for m in _DATE.finditer(text)}

        def flush() -> None:
            if buf:
                out.append(("plain", "".join(buf)))
                buf.clear()

        while i < n:
            hit = None
            for L in range(min(self._gl_max, n - i), 0, -1):
                if text[i:i + L] in self.glossary:
                    hit = (L, self.glossary[text[i:i + L]])
                    break
            if hit is None and i in dates:
                m = dates[i]
                hit = (m.end() - m.start(), render_number_zh(m.group(0)))
            if hit is None and (text[i].isdigit() or text[i] in "零〇一二两三四五六七八九十百千第百"):
                m = ZH_NUMBER.match(text, i)
                if m and m.end() > i:
                    r = render_number_match(m)
                    if r is not None:
                        hit = (m.end() - i, r)
            if hit is None:
                buf.append(text[i])
                i += 1
                continue
            flush()
            out.append(("fixed", hit[1]))
            i += hit[0]
        flush()
        return out

    def _translate_plain(self, text: str, sent_vec: np.ndarray | None) -> list[str]:
        out: list[str] = []
        toks = [(w, f) for w, f in self._posseg().lcut(text, HMM=True)]
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
                out.append(_POSSESSIVE[word])  # 我们的 -> our
                i += 2
                continue
            if word in _COMPLEMENTS and i > 0 and toks[i - 1][1].startswith("v"):
                i += 1  # directional complement: 研发出 -> develop (not "develop go out")
                continue
            name, used = self._name_at(toks, i)
            if name:
                out.append(name)
                i += used
                continue
            out.extend(self._word(word, flag, sent_vec))
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
        return None, 0

    def _is_surname(self, s: str) -> bool:
        return any("surname " in x for e in self.dictionary.entries.get(s, []) for x in e.senses)

    def _word(self, word: str, flag: str, sent_vec: np.ndarray | None) -> list[str]:
        if not word.strip():
            return []
        if word in _PUNCT:
            return [_PUNCT[word]]
        if not _HAN.search(word):
            return [_PUNCT.get(c, c) for c in word] if all(c in _PUNCT for c in word) else [word.strip()]
        if word in self.glossary:
            return [self.glossary[word]]
        for key in (f"{word}/{flag[:1]}", f"{word}/{flag}", word):
            if key in FUNCTION_WORDS:
                return [FUNCTION_WORDS[key]] if FUNCTION_WORDS[key] else []
        d = self.dictionary
        senses = d.senses(word, pos=flag)
        if senses:
            return [self._choose(word, senses, sent_vec)]
        # unknown word: longest dictionary pieces, pinyin for what is left
        out: list[str] = []
        i = 0
        while i < len(word):
            L = d.longest_prefix(word, i)
            if L:
                piece = word[i:i + L]
                fw = FUNCTION_WORDS.get(piece)
                s = d.senses(piece)
                if fw is not None:
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

    def _choose(self, word: str, senses: list[str], sent_vec: np.ndarray | None) -> str:
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


def _join(tokens: list[str]) -> str:
    """Join English tokens with sensible spacing; capitalise sentence starts; drop stutters."""
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
    s = s.replace(_SENT_END, "")
    s = re.sub(r"([,;:])\1+", r"\1", s)
    s = re.sub(r"(\d) ?([+/×]) ?(\d)", r"\1\2\3", s)  # "4+1"
    s = re.sub(r"(?<!\.)\.{2}(?!\.)", ".", s).replace(",.", ".")
    return s[:1].upper() + s[1:]


# --------------------------------------------------------------------------------------------------
# Seq2seq translator
# --------------------------------------------------------------------------------------------------

_LANG_TOKEN = re.compile(r"^\s*(?:__[a-z]{2,3}(?:_[A-Za-z]+)?__|[a-z]{3}_[A-Z][a-z]{3})\s*")
_LANG_CODES = {  # family -> (zh, en)
    "m2m_100": ("zh", "en"),
    "nllb": ("zho_Hans", "eng_Latn"),
    "mbart": ("zh_CN", "en_XX"),
}


class Seq2SeqTranslator:
    """A transformers encoder-decoder model in a local directory (lazy-loaded).

    Example (needs a local model)::

        Seq2SeqTranslator("models/prepared/opus-mt-zh-en").translate(["你好。"])
    """

    lexical = False

    def __init__(self, model_dir: str | Path, config: TranslateConfig | None = None,
                 device: str | None = None, prefix: str | None = None) -> None:
        self.model_dir = Path(model_dir)
        if not self.model_dir.is_dir() or not (self.model_dir / "config.json").exists():
            raise ModelNotFoundError(
                f"translation model dir {self.model_dir} not found or has no config.json")
        self.config = config or TranslateConfig()
        if self.config.beam_size < 1 or self.config.max_new_tokens < 1 or self.config.max_input_tokens < 8:
            raise InputError(f"translate config out of range: beam_size={self.config.beam_size}, "
                             f"max_new_tokens={self.config.max_new_tokens}, "
                             f"max_input_tokens={self.config.max_input_tokens} (needs >= 8)")
        self.device = device
        self.prefix = prefix
        self.name = f"seq2seq:{self.model_dir.name}"
        self._model: Any = None
        self._tok: Any = None
        self.family = ""
        self._gen_kwargs: dict[str, Any] = {}

    def _load(self) -> None:
        if self._model is not None:
            return
        import torch
        from transformers import AutoModelForSeq2SeqLM, AutoTokenizer

        try:
            tok = AutoTokenizer.from_pretrained(self.model_dir)
            model = AutoModelForSeq2SeqLM.from_pretrained(self.model_dir)
        except (OSError, ValueError) as e:
            raise ModelNotFoundError(f"cannot load translation model from {self.model_dir}: {e}") from e
        model.eval()
        dev = self.device or ("cuda" if torch.cuda.is_available() else "cpu")
        model.to(dev)
        self.device = dev
        mtype = model.config.model_type
        tname = type(tok).__name__.lower()
        family = "nllb" if "nllb" in tname else mtype
        if family in ("t5", "mt5", "umt5"):
            family = "t5"
            if self.prefix is None:
                self.prefix = "translate Chinese to English: "
        self.family = family
        src = self.config.src_lang
        tgt = self.config.tgt_lang
        if family in _LANG_CODES:
            zh, en = _LANG_CODES[family]
            src = zh if src == "zh" else src
            tgt = en if tgt == "en" else tgt
            tok.src_lang = src
            if hasattr(tok, "tgt_lang"):
                tok.tgt_lang = tgt
            try:
                bos = tok.get_lang_id(tgt) if family == "m2m_100" else tok.convert_tokens_to_ids(tgt)
            except KeyError:
                bos = None
            if bos is None or bos == tok.unk_token_id:
                raise InputError(f"{self.model_dir}: tokenizer has no language code {tgt!r}")
            self._gen_kwargs["forced_bos_token_id"] = bos
        self._tok, self._model = tok, model

    def count_tokens(self, texts: list[str]) -> list[int]:
        self._load()
        enc = self._tok(list(texts), add_special_tokens=True)
        return [len(x) for x in enc["input_ids"]]

    def _prefix_tokens(self) -> int:
        if not self.prefix:
            return 0
        return len(self._tok(self.prefix, add_special_tokens=False)["input_ids"])

    def segments(self, text: str) -> list[str]:
        """Split ``text`` at sentence boundaries into pieces of at most ``max_input_tokens`` tokens
        (task prefix included; a sentence longer than that is cut at commas, then halved)."""
        from .text import split_sentences

        self._load()
        limit = self.config.max_input_tokens - self._prefix_tokens()  # the task prefix goes once per segment
        if limit < 4:
            raise InputError(f"translate.max_input_tokens={self.config.max_input_tokens} leaves no room "
                             f"after the prefix {self.prefix!r}")
        sents = [text[s.start:s.end] for s in split_sentences(text)]
        if not sents:
            return []
        counts = self.count_tokens(sents)
        units: list[tuple[str, int]] = []
        for s, c in zip(sents, counts, strict=True):
            if c <= limit:
                units.append((s, c))
            else:
                units.extend(self._cut(s, limit))
        segs: list[str] = []
        cur, cur_n = "", 0
        for s, c in units:
            if cur and cur_n + c > limit:
                segs.append(cur)
                cur, cur_n = "", 0
            cur += s
            cur_n += c
        if cur:
            segs.append(cur)
        return segs

    def _cut(self, sent: str, limit: int) -> list[tuple[str, int]]:
        """Cut an over-long sentence at commas, then halve pieces until each fits ``limit``."""
        parts = [p for p in re.split(r"(?<=[，,、：:；;])", sent) if p]

        def fit(p: str, c: int) -> list[tuple[str, int]]:
            if c <= limit or len(p) <= 1:
                return [(p, c)]
            mid = len(p) // 2
            a, b = p[:mid], p[mid:]
            ca, cb = self.count_tokens([a, b])
            return fit(a, ca) + fit(b, cb)

        out: list[tuple[str, int]] = []
        for p, c in zip(parts, self.count_tokens(parts), strict=True):
            out.extend(fit(p, c))
        return out

    def translate(self, texts: list[str]) -> list[str]:
        """Translate texts; long ones are split at sentence boundaries and the outputs joined."""
        texts = _validate(texts)
        if not texts:
            return []
        self._load()
        import torch

        owners: list[int] = []
        segs: list[str] = []
        for i, t in enumerate(texts):
            for s in self.segments(t):
                owners.append(i)
                segs.append(s)
        order = sorted(range(len(segs)), key=lambda j: len(segs[j]))
        outs: list[str] = [""] * len(segs)
        bs = max(1, self.config.batch_size)
        for b in range(0, len(order), bs):
            idx = order[b:b + bs]
            batch = [(self.prefix or "") + segs[j] for j in idx]
            enc = self._tok(batch, return_tensors="pt", padding=True, truncation=True,
                            max_length=self.config.max_input_tokens)
            enc = {k: v.to(self.device) for k, v in enc.items()}
            with torch.inference_mode():
                gen = self._model.generate(**enc, num_beams=self.config.beam_size,
                                           max_new_tokens=self.config.max_new_tokens, do_sample=False,
                                           **self._gen_kwargs)
            dec = self._tok.batch_decode(gen, skip_special_tokens=True)
            for j, d in zip(idx, dec, strict=True):
                outs[j] = _LANG_TOKEN.sub("", d).strip()
        joined: list[list[str]] = [[] for _ in texts]
        for j, i in enumerate(owners):
            if outs[j]:
                joined[i].append(outs[j])
        return [" ".join(x) for x in joined]


# --------------------------------------------------------------------------------------------------


def load_translator(config: TranslateConfig | None = None, embedder: Any | None = None) -> Translator:
    """The translator the configuration asks for.

    ``config.model``: None -> the registry's default for the "translator" role (a prepared seq2seq
    model if one exists, else lexical); ``"lexical"`` -> :class:`LexicalTranslator`; a path or name
    -> resolved through :func:`regioqa.registry.resolve` and loaded as a seq2seq model.

    >>> load_translator(TranslateConfig(model="lexical")).lexical
    True
    """
    cfg = config or TranslateConfig()
    if cfg.model in ("lexical", LEXICAL_NAME):
        return LexicalTranslator(embedder=embedder)
    path = _resolve_translator_path(cfg.model)
    if path is None:
        return LexicalTranslator(embedder=embedder)
    return Seq2SeqTranslator(path, cfg)


def _resolve_translator_path(explicit: str | None) -> Path | None:
    if explicit is not None and Path(explicit).is_dir():
        return Path(explicit)
    try:
        from .registry import resolve
    except ImportError:  # registry not available: only explicit directories work
        if explicit is not None:
            raise ModelNotFoundError(f"translator model {explicit!r}: not a directory") from None
        return None
    try:
        rm = resolve("translator", explicit)
    except ModelNotFoundError:
        if explicit is not None:
            raise
        return None
    return _resolved_path(rm)


def _resolved_path(rm: Any) -> Path | None:
    for attr in ("path", "model_dir", "dir"):
        p = getattr(rm, attr, None)
        if p is not None and Path(p).is_dir() and (Path(p) / "config.json").exists():
            return Path(p)
    return None


@functools.lru_cache(maxsize=1)
def _t2s() -> Any:
    import opencc

    return opencc.OpenCC("t2s")


@functools.lru_cache(maxsize=1)
def default_lexical() -> LexicalTranslator:
    """A shared lexical translator (its jieba tokenizer and dictionary load once)."""
    return LexicalTranslator()


def translate_sentences(translator: Translator, sentences: Sequence[str]) -> list[tuple[str, NumberCheck]]:
    """Translate and run the number check on each result."""
    outs = translator.translate(list(sentences))
    return [(o, check_numbers(s, o)) for s, o in zip(sentences, outs, strict=True)]
