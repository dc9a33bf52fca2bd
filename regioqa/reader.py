"""Extractive question answering over retrieved chunks, with any ``AutoModelForQuestionAnswering``.

transformers 5.x has no question-answering pipeline, so this module does the whole job: it cuts each
retrieved chunk into overlapping token windows (fast-tokenizer offset mappings), runs them through the
model in length-sorted batches, scores every span of every window as ``start + end - null`` (the
window's own no-answer score at the first token, so scores compare across windows and passages),
maps the best spans back to character offsets in the *original article* and returns
:class:`~regioqa.types.Answer` objects, or an abstention when no span beats the no-answer threshold.
There are no word-alignment heuristics: spans are whatever tokens the model picks, trimmed of
surrounding whitespace and punctuation, so unsegmented Chinese works as is.

>>> from regioqa.reader import Reader
>>> reader = Reader()                                   # doctest: +SKIP  (registry's trained reader)
>>> reader.predict([("谁发明了电话？", "电话由贝尔发明。")])[0].text  # doctest: +SKIP
'贝尔'
"""

from __future__ import annotations

import re
import threading
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from . import ov_runtime, registry
from .config import ReaderConfig
from .errors import InputError, ModelNotFoundError
from .quantize import quantize_model, resolve_dtype
from .spans import best_spans, trim_span
from .tensors import pad_ids, token_batches
from .text import has_chinese, sentences
from .types import Answer, Article, Chunk, Hit, Sentence

# questions whose answers are clauses (why, how, what is, which ones): CMRC-style descriptive answers
OPEN_QUESTION = re.compile(r"为什么|为何|怎么|怎样|如何|什么是|是什么|哪些|什么样|有何"
                           r"|原因|作用|意义|特点|影响"
                           r"|\b(?:why|how)\b(?! (?:many|much|large|big|long|old|far|often)\b)",
                           re.IGNORECASE)


def question_lang(question: str) -> str:
    """The language whose no-answer threshold applies: "zh" when the question has a Chinese character,
    else "en".

    >>> question_lang("郭晋宁是谁？"), question_lang("Who is 郭晋宁?"), question_lang("Who is the CEO?")
    ('zh', 'zh', 'en')
    """
    return "zh" if has_chinese(question) else "en"


# (question form, chunk id, chunk offset, rank prior) -> the passage's candidates (score, start, end, null)
ScoreCache = dict[tuple[str, str | None, int, float], list[tuple[float, int, int, float]]]


@dataclass(slots=True)
class Window:
    """One model input: a question with a slice of one chunk; offsets are into the article body."""

    input_ids: list[int]
    offsets: list[tuple[int, int] | None]
    passage: int  # index into the passages of this call


@dataclass(slots=True)
class _Passage:
    question: str
    text: str  # the chunk text
    base: int  # article offset of text[0]
    article_id: str
    title: str
    chunk_id: str | None
    prior: float = 0.0  # added to the passage's span scores (the retrieval rank penalty)


class Reader:
    """Span-extraction reader. Loads lazily; thread-safe loading; CPU inference.

    ``model``: a model directory, a registry name, or None for the registry's default reader.
    """

    def __init__(self, model: str | Path | None = None, config: ReaderConfig | None = None) -> None:
        self.config = config or ReaderConfig()
        self.backend = ov_runtime.resolve_backend(self.config.backend, self.config.quantize, "reader.backend")
        self.dtype = resolve_dtype(self.config.dtype, self.config.quantize, setting="reader.dtype")
        self._model_arg = model if model is not None else self.config.model
        self._model: Any = None
        self._tok: Any = None
        self._lock = threading.Lock()
        self.model_path: Path | None = None
        self._sentences: dict[str, list[Sentence]] = {}

    # ------------------------------------------------------------------ loading
    def _resolve(self) -> Path:
        arg = self._model_arg
        if arg is not None and Path(arg).is_dir():
            return Path(arg)
        return Path(registry.ensure("reader", None if arg is None else str(arg)).path)

    def warm_up(self) -> Reader:
        """Load model and tokenizer now (otherwise the first call does); idempotent, thread-safe."""
        with self._lock:
            if self._model is not None:
                return self
            import torch
            from transformers import AutoModelForQuestionAnswering, AutoTokenizer

            path = self._resolve()
            if not (path / "config.json").exists():
                raise ModelNotFoundError(f"reader model directory {path} has no config.json")

            def load_torch(dtype: str = self.dtype) -> Any:
                try:
                    model, info = AutoModelForQuestionAnswering.from_pretrained(
                        str(path), output_loading_info=True, dtype=getattr(torch, dtype))
                except ValueError as e:  # an architecture without a QA class
                    raise InputError(f"reader model {path} cannot do extractive QA: {e}") from e
                missing = [k for k in info.get("missing_keys", []) if "qa_outputs" in k]
                if missing:
                    raise InputError(f"reader model {path} has no trained QA head (missing {missing}); "
                                     "use a question-answering model (`regioqa models prepare` builds one)")
                return model.eval()

            tok = AutoTokenizer.from_pretrained(str(path))
            if not getattr(tok, "is_fast", False):
                raise InputError(f"reader model {path}: a fast tokenizer is needed (offset mappings)")
            tok.padding_side = "right"
            if self.backend == "openvino":
                model = ov_runtime.load(path, ("start_logits", "end_logits"), lambda: load_torch("float32"),
                                        dtype=self.dtype)
            else:
                # no-op when reader.quantize is None
                model = quantize_model(load_torch(), self.config.quantize, setting="reader.quantize")
            self._tok, self._model, self.model_path = tok, model, path
        return self

    @property
    def tokenizer(self) -> Any:
        return self.warm_up()._tok

    @property
    def model(self) -> Any:
        return self.warm_up()._model

    # ------------------------------------------------------------------ public API
    def check_question(self, question: str) -> str:
        """Strip and validate a question; raises InputError when empty or over the limit."""
        if not isinstance(question, str):
            raise InputError(f"question must be a string, got {type(question).__name__}")
        q = question.strip()
        if not q:
            raise InputError("empty question")
        limit = self.config.max_question_chars
        if len(q) > limit:
            raise InputError(f"question is {len(q)} characters; the limit is {limit} "
                             "(reader.max_question_chars)")
        return q

    def run(self, question: str, hits: Sequence[Hit], articles: dict[str, Article],
            top_k: int | None = None, lang: str | None = None) -> list[Answer]:
        """Answer ``question`` from the retrieved ``hits``; best first, or ``[Answer.abstain(...)]``.

        ``articles`` maps article id to :class:`Article` (for offsets, titles and sentences). ``lang``:
        the language of the user's question ("zh"/"en"; default: :func:`question_lang` of ``question``)
        picks the no-answer threshold (an English question may reach the reader in Chinese).
        """
        return self.run_many([question], hits, articles, top_k=top_k, lang=lang)[0]

    def run_many(self, questions: Sequence[str], hits: Sequence[Hit], articles: dict[str, Article],
                 top_k: int | None = None, lang: str | None = None, scored: ScoreCache | None = None
                 ) -> list[list[Answer]]:
        """:meth:`run` for each of ``questions`` (say, two forms of one question) over the same ``hits``,
        with every window scored in one batched forward pass.

        ``scored``: a dict the caller keeps across calls for one question; passages (question form,
        chunk, rank) already scored there are not read again (an early exit's second stage reads
        only what its first did not).
        """
        qs = [self.check_question(q) for q in questions]
        penalty = self.rank_penalty if hits else 0.0
        passages: list[_Passage] = []
        spans: list[tuple[int, int]] = []
        for q in qs:
            first = len(passages)
            for i, h in enumerate(hits):
                p = self._passage(q, h.chunk, articles.get(h.chunk.article_id), h.article_title)
                p.prior = -penalty * i
                passages.append(p)
            spans.append((first, len(passages)))
        if not passages:
            return [[Answer.abstain(score=float("-inf"))] for _ in qs]
        cands = self._score_cached(passages, {} if scored is None else scored)
        return [self._finish([c for c in cands if a <= c[1] < b], passages, articles,
                             top_k or self.config.top_k, True, lang or question_lang(q))
                for q, (a, b) in zip(qs, spans, strict=True)]

    def predict(self, pairs: Iterable[tuple[str, str]], allow_abstain: bool = False,
                langs: Sequence[str] | None = None) -> list[Answer]:
        """SQuAD-style: the best answer for each ``(question, context)``; offsets are into the context.

        Article ids are ``"ctx{i}"``. With ``allow_abstain`` a pair may yield an abstention (``langs``:
        each question's language, as in :meth:`run`).
        """
        passages = [_Passage(self.check_question(q), context, 0, f"ctx{i}", "", None)
                    for i, (q, context) in enumerate(pairs)]
        by_passage: list[list[tuple[float, int, int, int, float]]] = [[] for _ in passages]
        for c in self._score(self.windows(passages), passages):
            by_passage[c[1]].append(c)
        langs = list(langs) if langs is not None else [question_lang(p.question) for p in passages]
        return [self._finish(c, passages, {}, 1, allow_abstain, lang)[0]
                for c, lang in zip(by_passage, langs, strict=True)]

    # ------------------------------------------------------------------ internals
    def _passage(self, q: str, chunk: Chunk, art: Article | None, title: str) -> _Passage:
        if art is not None:
            if art.text[chunk.start:chunk.end] != chunk.text:
                raise InputError(f"chunk {chunk.chunk_id} does not match article {art.id} text at "
                                 f"[{chunk.start}, {chunk.end}); rebuild the index")
            title = title or art.title
        return _Passage(q, chunk.text, chunk.start, chunk.article_id, title, chunk.chunk_id)

    def question_fits(self, question: str) -> bool:
        """Whether ``question`` is within the token budget (half of ``reader.max_seq_len``)."""
        n = len(self.tokenizer(question, add_special_tokens=False)["input_ids"])
        return n <= self.config.max_seq_len // 2

    def windows(self, passages: Sequence[_Passage]) -> list[Window]:
        """Tokenize passages into windows, in passage order: a passage whose question, text and special
        tokens fit in ``reader.whole_passage_len`` tokens is one window; a longer one is cut into
        overlapping windows of ``reader.max_seq_len`` tokens sharing ``reader.stride``."""
        if not passages:
            return []
        tok = self.tokenizer
        max_len, stride = self.config.max_seq_len, self.config.stride
        q_budget = max_len // 2
        for q in dict.fromkeys(p.question for p in passages):
            n_q = len(tok(q, add_special_tokens=False)["input_ids"])
            if n_q > q_budget:
                raise InputError(f"question is {n_q} tokens; the limit is {q_budget} "
                                 f"(half of reader.max_seq_len={max_len})")
        if stride >= max_len - q_budget - 4:
            raise InputError(f"reader.stride={stride} must be well below reader.max_seq_len={max_len}")
        whole = max(max_len, self.config.whole_passage_len)
        limit = getattr(self.model.config, "max_position_embeddings", None)
        if whole > max_len and limit is not None and whole > limit - 2:  # XLM-R's position ids start at 2
            raise InputError(f"reader.whole_passage_len={whole} exceeds what the reader model takes "
                             f"({limit - 2} tokens); use at most {limit - 2}")
        out = self._encode(passages, range(len(passages)), whole)
        if whole > max_len:  # passages cut at the whole length are cut again at the trained length
            n = Counter(w.passage for w in out)
            cut = sorted(i for i, c in n.items() if c > 1)
            if cut:
                out = [w for w in out if n[w.passage] == 1]
                out += self._encode([passages[i] for i in cut], cut, max_len)
                out.sort(key=lambda w: w.passage)  # stable: a passage's windows stay in text order
        return out

    def _encode(self, passages: Sequence[_Passage], index: Sequence[int], max_len: int) -> list[Window]:
        """Windows of at most ``max_len`` tokens; ``index[i]`` is ``passages[i]``'s number in the call."""
        enc = self.tokenizer([p.question for p in passages], [p.text for p in passages],
                             truncation="only_second", max_length=max_len, stride=self.config.stride,
                             return_overflowing_tokens=True, return_offsets_mapping=True, padding=False)
        out = []
        for i, ids in enumerate(enc["input_ids"]):
            pi = enc["overflow_to_sample_mapping"][i]
            base = passages[pi].base
            seq = enc.sequence_ids(i)
            offs = [(a + base, b + base) if s == 1 else None
                    for (a, b), s in zip(enc["offset_mapping"][i], seq, strict=True)]
            out.append(Window(list(ids), offs, index[pi]))
        return out

    def forward(self, windows: Sequence[Window], batch_size: int | None = None
                ) -> list[tuple[np.ndarray, np.ndarray]]:
        """Start and end logits for each window, in input order; batches of windows of similar length."""
        import torch

        model, tok = self.model, self.tokenizer
        bs = max(1, batch_size or self.config.batch_size)
        order = sorted(range(len(windows)), key=lambda i: -len(windows[i].input_ids))
        res: list[tuple[np.ndarray, np.ndarray]] = [None] * len(windows)  # type: ignore[list-item]
        pad = tok.pad_token_id if tok.pad_token_id is not None else 0
        # a short window is not padded to a long one's length: padding costs as much as real tokens
        batches = token_batches([len(windows[i].input_ids) for i in order], bs, slack=1.25)
        with torch.inference_mode():
            for batch in batches:
                idx = [order[b] for b in batch]
                ids, mask = pad_ids([windows[i].input_ids for i in idx], pad)
                out = model(input_ids=ids, attention_mask=mask)
                sl, el = out.start_logits.float().numpy(), out.end_logits.float().numpy()
                for r, i in enumerate(idx):
                    m = len(windows[i].input_ids)
                    res[i] = (sl[r, :m], el[r, :m])
        return res

    def _score(self, windows: Sequence[Window], passages: Sequence[_Passage]
               ) -> list[tuple[float, int, int, int, float]]:
        """Candidates ``(score, passage, start, end, null)`` over all windows (article offsets).
        ``score`` is the span's start+end logit plus its passage's ``prior`` (a rank penalty: the
        retriever's order is evidence too); ``null`` is the passage's no-answer score, the lowest over
        its windows (SQuAD 2 convention), without the prior."""
        logits = self.forward(windows)
        null: dict[int, float] = {}
        for w, (sl, el) in zip(windows, logits, strict=True):
            null[w.passage] = min(null.get(w.passage, float("inf")), float(sl[0] + el[0]))
        cands = []
        for w, (sl, el) in zip(windows, logits, strict=True):
            prior = passages[w.passage].prior
            for score, a, b in best_spans(sl, el, w.offsets, self.answer_cap(passages[w.passage].question),
                                          top_n=5):
                cands.append((score + prior, w.passage, a, b, null[w.passage]))
        return cands

    def _score_cached(self, passages: Sequence[_Passage], scored: ScoreCache
                      ) -> list[tuple[float, int, int, int, float]]:
        """:meth:`_score` for the passages not in ``scored`` (which it fills), the rest from it."""
        keys = [(p.question, p.chunk_id, p.base, p.prior) for p in passages]
        todo = [i for i, k in enumerate(keys) if k not in scored]
        fresh = [passages[i] for i in todo]
        for i in todo:
            scored[keys[i]] = []
        for score, pi, a, b, null in self._score(self.windows(fresh), fresh):
            scored[keys[todo[pi]]].append((score, a, b, null))
        return [(score, i, a, b, null) for i, k in enumerate(keys) for score, a, b, null in scored[k]]

    def answer_cap(self, question: str) -> int:
        """The longest answer, in characters, for ``question``: ``max_answer_len``, or
        ``max_answer_len_open`` for a why/how/what-is question (:data:`OPEN_QUESTION`).

        >>> r = Reader("unused")
        >>> r.answer_cap("何剑是谁？"), r.answer_cap("为什么建孵化机制？"), r.answer_cap("How many?")
        (30, 80, 30)
        """
        c = self.config
        return max(c.max_answer_len, c.max_answer_len_open) if OPEN_QUESTION.search(question) \
            else c.max_answer_len

    def _tuned(self, name: str) -> float | None:
        """A setting tuned for the model (its config's ``regioqa_reader``; models/train_reader.py)."""
        meta = getattr(self.model.config, "regioqa_reader", None) or {}
        v = meta.get(name) if isinstance(meta, dict) else None
        return None if v is None else float(v)

    @property
    def no_answer_threshold(self) -> float | None:
        """The no-answer threshold for Chinese questions (see :meth:`no_answer_threshold_for`)."""
        return self.no_answer_threshold_for("zh")

    def no_answer_threshold_for(self, lang: str) -> float | None:
        """Abstain when the best span's score minus the no-answer score is below this (None: never).
        ``reader.no_answer_threshold`` (for every language), else the value calibrated for the model
        and question language ``lang`` (``no_answer_thresholds`` written by models/train_reader.py
        --calibrate on held-out data of each language), else its single ``no_answer_threshold``."""
        if self.config.no_answer_threshold is not None:
            return float(self.config.no_answer_threshold)
        meta = getattr(self.model.config, "regioqa_reader", None) or {}
        by_lang = meta.get("no_answer_thresholds") if isinstance(meta, dict) else None
        if isinstance(by_lang, dict) and by_lang.get(lang) is not None:
            return float(by_lang[lang])
        return self._tuned("no_answer_threshold")

    def relevance_weights(self) -> dict[str, float] | None:
        """The weights of :func:`regioqa.constraints.relevant` calibrated for the model
        (``english_relevance`` in its settings), or None (no such check)."""
        meta = getattr(self.model.config, "regioqa_reader", None) or {}
        w = meta.get("english_relevance") if isinstance(meta, dict) else None
        keys = ("margin", "coverage", "product", "similarity", "bias")
        return {k: float(w[k]) for k in keys} if isinstance(w, dict) and all(k in w for k in keys) else None

    @property
    def rank_penalty(self) -> float:
        """Score taken off per retrieval rank: ``reader.rank_penalty``, else the tuned value, or 0."""
        if self.config.rank_penalty is not None:
            return float(self.config.rank_penalty)
        return self._tuned("rank_penalty") or 0.0

    def _finish(self, cands: list[tuple[float, int, int, int, float]], passages: Sequence[_Passage],
                articles: dict[str, Article], top_k: int, allow_abstain: bool, lang: str = "zh"
                ) -> list[Answer]:
        best: dict[tuple[str, int, int], Answer] = {}
        null = min((c[4] for c in cands), default=float("inf"))  # most answerable passage's no-answer
        for score, pi, a, b, _ in sorted(cands, key=lambda c: -c[0]):
            p = passages[pi]
            ta, tb = trim_span(p.text, a - p.base, b - p.base)
            if ta >= tb:
                continue
            key = (p.article_id, ta + p.base, tb + p.base)
            if key in best:
                continue
            art = articles.get(p.article_id)
            best[key] = Answer(text=p.text[ta:tb], score=score, article_id=p.article_id,
                               article_title=p.title, start=key[1], end=key[2],
                               sentence=self._sentence(art, key[1], key[2]) if art else None,
                               chunk_id=p.chunk_id, no_answer_score=null)
            if len(best) >= top_k:
                break
        answers = list(best.values())
        if not answers:
            return [Answer.abstain(score=float("-inf"))]
        t = self.no_answer_threshold_for(lang) if allow_abstain else None
        if t is not None and answers[0].margin < t:
            return [Answer.abstain(score=answers[0].score, no_answer_score=null, best_guess=answers[0].text)]
        return answers

    def _sentence(self, art: Article, start: int, end: int) -> Sentence | None:
        """The sentence holding ``[start, end)`` (merged when the span crosses a boundary)."""
        sents = self._sentences.get(art.id)
        if sents is None:
            sents = self._sentences[art.id] = sentences(art)
        hit = [s for s in sents if s.start < end and s.end > start]
        if not hit:
            return None
        a, b = hit[0].start, hit[-1].end
        return Sentence(art.id, a, b, art.text[a:b])
