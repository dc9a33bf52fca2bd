"""The question-answering facade: retrieve chunks from an index, read answers out of them, and give
English renderings when the question is English (or when asked).

>>> from regioqa.pipeline import RegioQA
>>> qa = RegioQA.load("out/index")                                   # doctest: +SKIP
>>> a = qa.ask("国家乳业技术创新中心吸纳了多少家成员单位？")[0]        # doctest: +SKIP
>>> a.text, a.article_id, qa.index.articles[a.article_id].text[a.start:a.end] == a.text  # doctest: +SKIP
('100多家', '000_925fbcf3af44d05b-a1', True)

English questions are answered with Chinese spans (the reader is trained on Chinese); ``text_en`` and
``sentence_en`` then carry the translator's rendering, or :data:`regioqa.types.NO_TRANSLATOR` when no
translator can be loaded (never invented text). The reader sees a Chinese rendering of an English
question built from dictionary key terms (``reader.english_question``; see :meth:`RegioQA.reader_question`).
"""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .config import Config
from .constraints import absent_names, question_names, question_terms, relevant, term_coverage, unmet
from .dictionary import get_dictionary
from .errors import IndexError_, InputError, RegioQAError
from .filters import ArticleFilter
from .index import Index
from .reader import Reader, ScoreCache, question_lang
from .text import has_chinese
from .translate import load_translator
from .types import NO_TRANSLATOR, Answer, Article, Hit

_LATIN = re.compile(r"[A-Za-z]")


_EN_MODES = ("zh", "zh+en", "append", "en", "both")
TERM_CANDIDATES = 4  # dictionary renderings of an English term tried against the passages read
# English question words -> Chinese ones, most specific first
_WH = [
    (r"\bhow many\b|\bhow much\b|\bby how much\b|\bwhat (?:share|percentage|proportion)\b", "多少"),
    (r"\bwhat rank\b|\bwhich (?:place|session|round)\b|\bwhat position\b", "第几"),
    (r"\b(?:in )?(?:which|what) year\b", "哪一年"),
    (r"\bhow (?:large|big)\b", "多大"),
    (r"\bwhen\b", "什么时候"),
    (r"\bwho\b|\bwhom\b", "谁"),
    (r"\bwhere\b", "哪里"),
    (r"\bwhy\b", "为什么"),
    (r"\bwhich\b", "哪个"),
    (r"\bwhat\b", "什么"),
]


def confidence(answers: list[Answer]) -> tuple[bool, float]:
    """How sure a reading is: answered before abstained, then the best answer's margin over the
    no-answer score (:attr:`Answer.margin`)."""
    return (not answers[0].is_no_answer, answers[0].margin) if answers else (False, float("-inf"))


def read_stages(first: int, k: int) -> list[int]:
    """How many of ``k`` hits each early-exit stage has read: ``first``, then twice as many each time,
    then all (``first`` 0: all at once).

    >>> read_stages(1, 5), read_stages(2, 5), read_stages(0, 5), read_stages(3, 2)
    ([1, 2, 4, 5], [2, 4, 5], [5], [2])
    """
    stages = []
    n = first
    while 0 < n < k:
        stages.append(n)
        n *= 2
    return stages + [k]


def is_english(question: str) -> bool:
    """A question with Latin letters and no Chinese characters."""
    return bool(_LATIN.search(question)) and not has_chinese(question)


def dense_similarity(hits: Sequence[Hit]) -> dict[str, float]:
    """Each hit's dense (embedding) similarity to the question, by chunk id: its ``scores["dense"]``, or
    for a hit the dense run did not rank that deep, the lowest one seen (its own is lower still).
    Empty when no hit has one (BM25 retrieval)."""
    seen = [h.scores["dense"] for h in hits if "dense" in h.scores]
    if not seen:
        return {}
    return {h.chunk.chunk_id: h.scores.get("dense", min(seen)) for h in hits}


class RegioQA:
    """Index + reader + translator. ``ask(q, k=5, n=3)`` returns the best 3 answers read from the top 5
    passages, best first (or one abstention)."""

    def __init__(self, index: Any, reader: Reader | None = None, translator: Any | None = None,
                 config: Config | None = None) -> None:
        self.index = index
        self.config = config or getattr(index, "config", None) or Config()
        self.reader = reader or Reader(config=self.config.reader)
        self._translator = translator
        self._translator_error: str | None = None
        self._dictionary: Any = None
        self.last_timings: dict[str, float] = {}
        self.last_read = 0  # hits the last read() looked at (fewer than retrieved after an early exit)

    @classmethod
    def load(cls, index_dir: str | Path, config: Config | None = None, reader: Reader | None = None,
             translator: Any | None = None) -> RegioQA:
        """Load the index at ``index_dir`` (raises IndexError_ naming the directory when absent)."""
        d = Path(index_dir)
        if d.exists() and not d.is_dir():
            raise IndexError_(f"{d} is a file, not an index folder (build one with `regioqa index build`)")
        if not d.is_dir() and not any(d.parent.glob(f".{d.name}.old-*")):
            raise IndexError_(f"index directory not found: {d} (build one with `regioqa index build`)")
        index = Index.load(d, config=config)
        return cls(index, reader, translator, index.config)

    def warm_up(self) -> RegioQA:
        """Load the index's query embedder and the reader now (the translator stays lazy: only English
        questions or ``translate=True`` need it); otherwise the first question does. Returns ``self``."""
        if callable(warm := getattr(self.index, "warm_up", None)):
            warm()
        self.reader.warm_up()
        return self

    # ------------------------------------------------------------------ translation
    @property
    def translator(self) -> Any | None:
        """The configured translator, loaded on first use; None when it cannot be loaded."""
        if self._translator is None and self._translator_error is None:
            try:
                self._translator = load_translator(self.config.translate)
            except (RegioQAError, ImportError) as e:
                self._translator_error = str(e)
        return self._translator

    def _translate(self, answers: list[Answer]) -> None:
        todo = [a for a in answers if not a.is_no_answer]
        if not todo:
            return
        tr = self.translator
        if tr is None:
            for a in todo:
                a.text_en = a.sentence_en = NO_TRANSLATOR
            return
        texts = [a.text for a in todo] + [a.sentence.text if a.sentence else a.text for a in todo]
        out = tr.translate(texts)
        for i, a in enumerate(todo):
            a.text_en, a.sentence_en = out[i], out[len(todo) + i]

    def reader_question(self, question: str, passages: Sequence[str] = ()) -> str:
        """The question as the reader sees it (``reader.english_question``; Chinese questions as is).

        The reader is trained on Chinese only: for an English question, "zh" gives it the question's
        dictionary-translated Chinese key terms in order plus a Chinese question word (``"总经理国家乳业
        技术创新中心谁？"``), which beat the English question with or without appended terms on the
        gold set's English questions (F1 52 vs 14 and 27, 26 questions). Falls back to the English
        question when no term is found or the result exceeds the reader's token budget. ("both" gives
        the "zh" form here; :meth:`reader_questions` gives both forms.) With ``passages`` (the texts
        about to be read), each English term takes the first of its dictionary renderings that occurs
        in them (centre -> 中心 rather than 基点), else its first rendering.
        """
        mode = self.config.reader.english_question
        if mode not in _EN_MODES:
            raise InputError(f"reader.english_question must be one of {_EN_MODES}, got {mode!r}")
        if mode == "both":
            mode = "zh"
        if mode == "en" or not is_english(question):
            return question
        if self._dictionary is None:
            self._dictionary = get_dictionary()
        terms: list[str] = []
        for _, zh in self._dictionary.expand_english(question, per_term=TERM_CANDIDATES if passages else 1):
            seen = [t for t in zh if any(t in p for p in passages)]
            t = (seen or zh)[0]
            if t not in terms:
                terms.append(t)
        if not terms:
            return question
        low = question.lower()
        wh = next((w for pattern, w in _WH if re.search(pattern, low)), "什么")
        zh_q = "".join(terms) + wh + "？"
        candidates = {"zh": [zh_q, question], "zh+en": [f"{zh_q} {question}", zh_q, question],
                      "append": [f"{question} {' '.join(terms)}", question]}[mode]
        limit = self.config.reader.max_question_chars
        return next((c for c in candidates if len(c) <= limit and self.reader.question_fits(c)), question)

    def reader_questions(self, question: str, passages: Sequence[str] = ()) -> list[str]:
        """Every form of ``question`` the reader reads: one (:meth:`reader_question`), or with
        ``reader.english_question = "both"`` and an English question, the dictionary key-term form and
        the English question itself (see :meth:`read`)."""
        first = self.reader_question(question, passages)
        if self.config.reader.english_question == "both" and first != question:
            return [first, question]
        return [first]

    def read(self, question: str, hits: list[Hit], articles: dict[str, Article], top_k: int | None = None
             ) -> list[Answer]:
        """The reader's answers to ``question`` from ``hits`` (each of :meth:`reader_questions` read;
        the reading whose best answer clears its no-answer score by most is kept, an answer before an
        abstention).

        Early exit (``reader.read_first`` above 0, one answer wanted): the top ``reader.read_first``
        hits are read first (half as many, at least 1, for an English question read in two forms),
        then twice as many, and so on (:func:`read_stages`); reading stops at the
        first stage whose best answer passes the answer check and clears its no-answer score by at
        least ``reader.early_exit_margin``, or when every hit is read. A stage reads only the hits the
        ones before it did not (their scores are kept), so reading in stages costs no more than reading
        everything at once. ``last_read`` records how many hits were read.
        """
        lang = question_lang(question)
        forms = self.reader_questions(question, [h.chunk.text for h in hits])
        cfg = self.config.reader
        # the first stage reads ``read_first`` passages in all: fewer hits when each is read in two forms
        first = max(1, cfg.read_first // len(forms)) if cfg.read_first and (top_k or cfg.top_k) == 1 else 0
        stages = read_stages(first, len(hits))
        scored: ScoreCache = {}  # passages read in one stage are not read again in the next
        for n in stages:
            answers = self._read_forms(question, forms, hits[:n], articles, top_k, lang, scored)
            if n == len(hits) or (answers and not answers[0].is_no_answer
                                  and answers[0].margin >= cfg.early_exit_margin):
                break
        self.last_read = n
        return answers

    def _read_forms(self, question: str, forms: list[str], hits: list[Hit], articles: dict[str, Article],
                    top_k: int | None, lang: str, scored: ScoreCache | None = None) -> list[Answer]:
        cfg = self.config.reader
        want = top_k or cfg.top_k
        spare = cfg.check_fallback if cfg.check_constraints else 0
        runs = self.reader.run_many(forms, hits, articles, top_k=want + spare, lang=lang, scored=scored)
        best = max(runs, key=confidence)
        if cfg.check_constraints:
            best = self.check(question, best, hits, articles if cfg.check_names else None,
                              self.reader.no_answer_threshold_for(lang),
                              self.reader.relevance_weights() if cfg.check_relevance else None)
        return best[:want]

    @staticmethod
    def check(question: str, answers: list[Answer], hits: list[Hit],
              articles: dict[str, Article] | None = None, threshold: float | None = None,
              relevance: dict[str, float] | None = None) -> list[Answer]:
        """Keep the answers whose passage states every year, role and unit ``question`` names
        (:func:`regioqa.constraints.unmet`) and, given ``articles``, whose article names one of the
        question's proper names (:func:`regioqa.constraints.absent_names`: "the capital of France" is not
        in an article about Hohhot; an English question's names, rendered by the dictionary, only count as
        absent when no article names them) and, given ``relevance`` weights, whose passage states enough
        of an English question's key terms for its score margin and dense similarity
        (:func:`regioqa.constraints.relevant`; not weighed without a dense score).
        When the best is dropped, the next kept one must clear its no-answer score by ``threshold`` (when
        given). None left -> an abstention carrying the best guess and ``unmet`` (what its passage or
        article lacks)."""
        if not answers or answers[0].is_no_answer:
            return answers
        passages = {h.chunk.chunk_id: h.chunk.text for h in hits}
        names = question_names(question) if articles else []  # once per question, not per answer
        # an English question's names are dictionary guesses (America -> 美洲, the article says 美国):
        # they must be missing from every article; a Chinese question's from the answer's
        english = bool(names) and is_english(question)
        everywhere = absent_names(question, (t.text for t in articles.values()), names) if english else []

        def absent(a: Answer) -> list[str]:
            if not names or a.article_id not in articles:
                return []
            return everywhere if english else absent_names(question, articles[a.article_id].text, names)

        terms = question_terms(question) if relevance else []
        similarity = dense_similarity(hits) if terms else {}

        def off_topic(a: Answer, passage: str) -> list[str]:
            s = similarity.get(a.chunk_id or "")
            if relevance is None or s is None:  # no dense score (BM25 alone): nothing to weigh
                return []
            share, lacking = term_coverage(question, passage, terms)
            return [] if relevant(a.margin, share, s, relevance) else (lacking or ["enough of the question"])

        missing = [unmet(question, p := passages.get(a.chunk_id or "", "")) or absent(a) or off_topic(a, p)
                   for a in answers]
        kept = [a for a, m in zip(answers, missing, strict=True) if not m]
        if kept and (kept[0] is answers[0] or threshold is None or kept[0].margin >= threshold):
            return kept
        top = answers[0]
        return [Answer.abstain(score=top.score, no_answer_score=top.no_answer_score, best_guess=top.text,
                               unmet=missing[0])]

    # ------------------------------------------------------------------ asking
    def ask(self, question: str, k: int | None = None, translate: bool | None = None,
            n: int | None = None, where: ArticleFilter | None = None) -> list[Answer]:
        """The best ``n`` answers to ``question`` (default ``reader.top_k``, 1), best first, read from
        the top ``k`` retrieved passages (default ``retrieve.top_k``) of the articles that pass ``where``
        (all when None); or a single abstention (``is_no_answer``) when the passages hold no answer.
        Fewer than ``n`` when fewer distinct spans are found.

        ``translate``: None -> only for English questions. Raises InputError for an empty or
        over-long question (limit: ``reader.max_question_chars``) or a ``k``/``n`` below 1.
        """
        for name, v in (("k", k), ("n", n)):
            if v is not None and (isinstance(v, bool) or not isinstance(v, int) or v < 1):
                raise InputError(f"{name} must be a positive integer, got {v!r}")
        q = self.reader.check_question(question)
        t0 = time.perf_counter()
        hits = self.index.search(q, k=k or self.config.retrieve.top_k, where=where)
        t1 = time.perf_counter()
        answers = self.read(q, hits, self.index.articles, top_k=n)
        t2 = time.perf_counter()
        if translate or (translate is None and is_english(q)):
            self._translate(answers)
        self.last_timings = {"retrieve_s": t1 - t0, "read_s": t2 - t1,
                             "translate_s": time.perf_counter() - t2, "passages": float(len(hits)),
                             "passages_read": float(self.last_read)}
        return answers
