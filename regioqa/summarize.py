"""English summaries of Chinese articles: extractive selection, then translation; batch generation.

Selection: sentences are scored by centrality (cosine to the article centroid and to the title, over
sentence embeddings from an injected :class:`~regioqa.embed.Embedder`, or over hashed character-bigram
TF-IDF vectors when none is given), blended with a lead bias (news puts the key facts first), then
picked by MMR (redundancy removal) under a sentence and character budget and put back in article
order. The chosen sentences and the title are translated; each :class:`SummarySentence` keeps the
offsets of its Chinese source sentence and the result of the number-consistency check.

>>> from regioqa.types import Article
>>> a = Article(id="x", title="呼和浩特科技创新", text="呼和浩特市科技创新指数排名第30位。今天天气很好。"
...             "国家乳业技术创新中心吸纳了100多家成员单位。")
>>> s = Summarizer(config=SummarizeConfig(max_sentences=2)).run(a)
>>> s.method, [x.start for x in s.sentences], all(x.numbers_ok for x in s.sentences)
('extractive+lexical', [0, 25], True)
>>> a.text[s.sentences[1].start:s.sentences[1].end] == s.sentences[1].zh
True
"""

from __future__ import annotations

import json
import logging
import time
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .config import Config, SummarizeConfig, TranslateConfig
from .digest_md import render_markdown  # noqa: F401  (part of this module's API, see __all__)
from .errors import InputError, ModelNotFoundError
from .io import JsonlAppender, resume_jsonl
from .numbers import check_numbers, extract_zh_numbers
from .registry import resolve
from .text import has_chinese, sentences
from .translate import Seq2SeqTranslator, Translator, load_translator
from .types import Article, Sentence, Summary, SummarySentence

log = logging.getLogger(__name__)

__all__ = ["Summarizer", "summarize_corpus", "BatchReport", "plan_batch", "render_markdown"]

_HASH_DIM = 4096
_TERMINAL = "。！？；!?.…”」』)）"


def _bigram_vectors(texts: Sequence[str]) -> np.ndarray:
    """L2-normalised hashed character-bigram TF-IDF vectors (IDF over ``texts``); a lexical stand-in
    for sentence embeddings."""
    n = len(texts)
    rows: list[dict[int, float]] = []
    df = np.zeros(_HASH_DIM, dtype=np.float32)
    for t in texts:
        counts: dict[int, float] = {}
        t = "".join(ch for ch in t if not ch.isspace())
        for i in range(len(t) - 1):
            h = zlib.crc32(t[i:i + 2].encode("utf-8")) % _HASH_DIM
            counts[h] = counts.get(h, 0.0) + 1.0
        rows.append(counts)
        for h in counts:
            df[h] += 1
    idf = np.log((1 + n) / (1 + df)) + 1.0
    m = np.zeros((n, _HASH_DIM), dtype=np.float32)
    for r, counts in enumerate(rows):
        for h, c in counts.items():
            m[r, h] = (1 + np.log(c)) * idf[h]
    norms = np.linalg.norm(m, axis=1, keepdims=True)
    return m / np.maximum(norms, 1e-9)


def _minmax(x: np.ndarray) -> np.ndarray:
    if x.size == 0:
        return x
    lo, hi = float(x.min()), float(x.max())
    return np.full_like(x, 0.5) if hi - lo < 1e-9 else (x - lo) / (hi - lo)


def mmr_select(scores: np.ndarray, sims: np.ndarray, lengths: Sequence[int], max_items: int,
               max_chars: int, lam: float, dup_threshold: float = 0.9) -> list[int]:
    """Maximal marginal relevance under an item and character budget; near-duplicates are skipped.

    The first pick is always taken, even when it alone exceeds ``max_chars``.

    >>> mmr_select(np.array([1.0, 0.9, 0.1]), np.eye(3), [10, 10, 10], 2, 100, 0.7)
    [0, 1]
    """
    chosen: list[int] = []
    used = 0
    cand = set(range(len(scores)))
    while cand and len(chosen) < max_items:
        best, best_v = -1, -np.inf
        for i in cand:
            red = max((float(sims[i, j]) for j in chosen), default=0.0)
            if chosen and red >= dup_threshold:
                continue
            v = lam * float(scores[i]) - (1 - lam) * red
            if v > best_v:
                best, best_v = i, v
        if best < 0:
            break
        cand.discard(best)
        if chosen and used + lengths[best] > max_chars:
            continue
        chosen.append(best)
        used += lengths[best]
    return chosen


class Summarizer:
    """Per-article English summaries and a corpus digest.

    ``embedder``: a :class:`regioqa.embed.Embedder` (or anything with ``embed_passages``) for
    sentence similarity; None uses hashed bigram TF-IDF. ``translator``: any
    :class:`~regioqa.translate.Translator`; None loads the configured one (offline: lexical).
    ``config``: a full :class:`Config` or just its :class:`SummarizeConfig`.
    """

    def __init__(self, embedder: Any | None = None, translator: Translator | None = None,
                 config: Config | SummarizeConfig | None = None) -> None:
        if isinstance(config, Config):
            self.config, tcfg = config.summarize, config.translate
        else:
            self.config, tcfg = config or SummarizeConfig(), TranslateConfig()
        self.embedder = embedder
        self._translator = translator
        self._tcfg = tcfg
        self._abstractive: Any = None
        self._abstractive_checked = False

    @property
    def translator(self) -> Translator:
        if self._translator is None:
            self._translator = load_translator(self._tcfg)
        return self._translator

    def warm_up(self) -> Summarizer:
        """Load the translator, the abstractive model (when one is found) and the embedder now;
        otherwise the first article does. Idempotent; returns the summarizer."""
        for part in (self.translator, self._abstractive_model(), self.embedder):
            if callable(warm := getattr(part, "warm_up", None)):
                warm()
        return self

    @property
    def method(self) -> str:
        t = self.translator
        return "extractive+lexical" if getattr(t, "lexical", False) else f"extractive+{t.name}"

    # selection -------------------------------------------------------------------------------

    def _vectors(self, texts: Sequence[str]) -> np.ndarray:
        if self.embedder is not None:
            try:
                return np.asarray(self.embedder.embed_passages(list(texts)), dtype=np.float32)
            except ModelNotFoundError as e:
                log.warning("embedder unavailable (%s); using lexical similarity", e)
                self.embedder = None
        return _bigram_vectors(texts)

    def problem(self, article: Article) -> str | None:
        """Why ``article`` cannot be summarised (None when it can)."""
        if not article.text or not article.text.strip():
            return "empty article"
        if not has_chinese(article.text):
            return "no Chinese text"
        if len(article.text) > self.config.max_article_chars:
            return (f"too long: {len(article.text)} characters > summarize.max_article_chars="
                    f"{self.config.max_article_chars}")
        return None

    def select(self, article: Article) -> list[Sentence]:
        """The key sentences of ``article`` in article order (empty when it has none)."""
        c = self.config
        sents = [s for s in sentences(article) if len(s.text) >= c.min_sentence_chars and has_chinese(s.text)]
        if not sents:
            sents = [s for s in sentences(article) if has_chinese(s.text)]
        if not sents:
            return []
        texts = [s.text for s in sents]
        vecs = self._vectors(texts + ([article.title] if article.title else []))
        sv, tv = vecs[: len(sents)], (vecs[len(sents)] if article.title else None)
        centroid = sv.mean(axis=0)
        centroid /= max(float(np.linalg.norm(centroid)), 1e-9)
        rel = sv @ centroid
        if tv is not None:
            rel = 0.5 * rel + 0.5 * (sv @ tv)
        n = len(sents)
        lead = 1.0 / np.sqrt(1.0 + np.arange(n, dtype=np.float32))
        score = (1 - c.lead_bias) * _minmax(rel) + c.lead_bias * _minmax(lead) if n > 1 else np.ones(1)
        complete = np.array([1.0 if s.text.rstrip()[-1:] in _TERMINAL else 0.6 for s in sents])
        facts = np.array([min(1.5, 0.75 * len(extract_zh_numbers(t))) for t in texts], np.float32)
        score = (score + c.fact_bonus * facts) * complete
        picked = mmr_select(score, sv @ sv.T, [len(t) for t in texts], c.max_sentences, c.max_chars,
                            c.mmr_lambda)
        return [sents[i] for i in sorted(picked)]

    # summaries -------------------------------------------------------------------------------

    def run(self, article: Article) -> Summary:
        """Summarise one article. A bad article gives a Summary with ``error`` set (no exception)."""
        return self.run_batch([article])[0]

    def run_batch(self, articles: Sequence[Article]) -> list[Summary]:
        """Summarise several articles with one translator call (efficient for seq2seq models)."""
        plans: list[tuple[Article, list[Sentence] | None, str | None]] = []
        texts: list[str] = []
        for a in articles:
            prob = self.problem(a)
            sel = None if prob else self.select(a)
            if sel == []:
                prob = "no sentence with Chinese text"
            plans.append((a, sel, prob))
            if sel:
                texts.append(a.title or "")
                texts.extend(s.text for s in sel)
        abstr = self._abstractive_model()
        outs = self.translator.translate(texts) if texts else []
        out: list[Summary] = []
        k = 0
        for a, sel, prob in plans:
            if prob is not None or not sel:
                out.append(Summary(a.id, a.title, "", [], "error", error=prob))
                continue
            title_en = outs[k]
            ens = outs[k + 1:k + 1 + len(sel)]
            k += 1 + len(sel)
            if abstr is not None:
                out.append(self._abstract(a, sel, title_en, abstr))
                continue
            ss = [SummarySentence(s.text, e, s.start, s.end, check_numbers(s.text, e).ok)
                  for s, e in zip(sel, ens, strict=True)]
            out.append(Summary(a.id, a.title, title_en, ss, self.method))
        return out

    def _abstractive_model(self) -> Any:
        """A local seq2seq summariser resolved through the registry role "summarizer": the model
        ``summarize.abstractive_model`` names, or (when it is None) the role's default if a copy is
        prepared or in the local HF cache. ``"extractive"`` or nothing found -> None (extractive)."""
        if self._abstractive_checked:
            return self._abstractive
        self._abstractive_checked = True
        name = self.config.abstractive_model
        if name == "extractive":
            return None
        try:
            rm = resolve("summarizer", name)
        except ModelNotFoundError:
            if name:
                raise
            return None
        if rm.path is None:
            return None
        self._abstractive = Seq2SeqTranslator(rm.path, self._tcfg, prefix="")
        self._abstractive.name = f"abstractive:{rm.name}"
        return self._abstractive

    def _abstract(self, a: Article, sel: list[Sentence], title_en: str, model: Any) -> Summary:
        """Abstractive summary of the extractive selection; Chinese output is translated after."""
        src = "".join(s.text for s in sel)
        gen = model.translate([src])[0]
        en = self.translator.translate([gen])[0] if has_chinese(gen) else gen
        ss = [SummarySentence(src, en, sel[0].start, sel[-1].end, check_numbers(src, en).ok)]
        return Summary(a.id, a.title, title_en, ss, f"extractive+{model.name}")

    # digest ----------------------------------------------------------------------------------

    def digest(self, articles: Sequence[Article], summaries: Sequence[Summary] | None = None) -> Summary:
        """One summary across a corpus (``article_id == "*"``): at most one sentence per article,
        the most central and least redundant ones, in corpus order. See :meth:`digest_with_sources`."""
        return self.digest_with_sources(articles, summaries)[0]

    def digest_with_sources(self, articles: Sequence[Article] | None = None,
                            summaries: Sequence[Summary] | None = None) -> tuple[Summary, list[str]]:
        """The digest and, for each of its sentences, the id of the article it comes from
        (its ``start``/``end`` index into that article's text)."""
        if summaries is None:
            if articles is None:
                raise InputError("digest needs articles or summaries")
            summaries = self.run_batch(list(articles))
        good = [s for s in summaries if s.error is None and s.sentences]
        n_all = len(summaries)
        if not good:
            return Summary("*", f"{n_all}篇文章摘要", f"Digest of {n_all} articles", [], "digest",
                           error="no article could be summarised"), []
        # candidate: each article's first selected sentence (lead) -- its highest-value fact
        cands = [(s.article_id, s.sentences[0]) for s in good]
        vecs = self._vectors([c.zh for _, c in cands])
        centroid = vecs.mean(axis=0)
        centroid /= max(float(np.linalg.norm(centroid)), 1e-9)
        rel = _minmax(vecs @ centroid) if len(cands) > 1 else np.ones(1)
        k = min(self.config.digest_sentences, len(cands))
        picked = mmr_select(rel, vecs @ vecs.T, [len(c.zh) for _, c in cands], k, 10**9,
                            self.config.mmr_lambda)
        picked.sort()
        method = good[0].method
        sents = [cands[i][1] for i in picked]
        src = [cands[i][0] for i in picked]
        return Summary("*", f"{n_all}篇文章摘要", f"Digest of {n_all} articles", sents,
                       f"digest:{method}"), src


# ------------------------------------------------------------------------------------------------
# records and batch generation
# ------------------------------------------------------------------------------------------------


@dataclass
class BatchReport:
    """What a :func:`summarize_corpus` run did."""

    out: Path
    done: int = 0
    skipped: int = 0
    errors: int = 0
    retried: int = 0  # articles whose earlier error record was dropped and summarised again
    seconds: float = 0.0
    error_reasons: dict[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        rate = self.done / self.seconds if self.seconds > 0 else 0.0
        return (f"{self.done} summarised ({self.errors} errors, {self.retried} retried after an earlier "
                f"error), {self.skipped} already in {self.out}; {self.seconds:.1f} s ({rate:.1f} articles/s)")


def plan_batch(articles: Iterable[Article], out: str | Path) -> tuple[list[Article], BatchReport]:
    """What a (re)run must summarise into the JSONL file ``out``: each article once, except those
    already there; earlier error records of these articles are dropped from ``out`` and done again
    (``report.retried``). Shared by :func:`summarize_corpus` and the Ray engine."""
    articles = list(articles)
    res = resume_jsonl(out, wanted=[a.id for a in articles])
    report = BatchReport(Path(out))
    todo: list[Article] = []
    seen: set[str] = set()
    for a in articles:
        if a.id in res.done or a.id in seen:
            report.skipped += 1
            continue
        seen.add(a.id)
        todo.append(a)
        report.retried += a.id in res.retry
    return todo, report


def summarize_corpus(articles: Iterable[Article], out: str | Path, summarizer: Summarizer | None = None,
                     batch_size: int | None = None, progress: bool = True) -> BatchReport:
    """Summarise ``articles`` into the JSONL file ``out``: one line per article, appended atomically.

    Resumable (:func:`plan_batch`): ids already in ``out`` are skipped, earlier error records retried.
    A failing article gets an error record with the reason and the others go on. Built on ``datasets``
    (batched ``map``), so it streams from ten articles to millions; ``map`` shows a tqdm progress bar.
    """
    import datasets

    summarizer = summarizer or Summarizer()
    t0 = time.perf_counter()
    todo, report = plan_batch(articles, out)
    rows = [{"id": a.id, "article": json.dumps(a.to_dict(), ensure_ascii=False)} for a in todo]
    if not rows:
        report.seconds = time.perf_counter() - t0
        return report
    ds = datasets.Dataset.from_list(rows)
    bs = batch_size or summarizer.config.batch_size
    if not progress:
        datasets.disable_progress_bars()
    try:
        with JsonlAppender(report.out) as app:
            def work(batch: dict[str, list[Any]]) -> dict[str, list[Any]]:
                arts = [Article.from_dict(json.loads(j)) for j in batch["article"]]
                try:
                    sums = summarizer.run_batch(arts)
                except Exception as e:  # one bad article must not sink the batch: retry one by one
                    log.warning("batch failed (%s); summarising its articles one by one", e)
                    sums = [summarize_or_error(summarizer, a) for a in arts]
                errs: list[str] = []
                for s in sums:
                    app.write(s.to_dict())
                    errs.append(s.error or "")
                return {"id": [s.article_id for s in sums], "error": errs}

            res = ds.map(work, batched=True, batch_size=bs, remove_columns=ds.column_names,
                         new_fingerprint=f"summarize-{time.time_ns()}", desc="summarize",
                         load_from_cache_file=False)
    finally:
        if not progress:
            datasets.enable_progress_bars()
    for i, e in zip(res["id"], res["error"], strict=True):
        report.done += 1
        if e:
            report.errors += 1
            report.error_reasons[i] = e
    report.seconds = time.perf_counter() - t0
    return report


def summarize_or_error(summarizer: Summarizer, a: Article) -> Summary:
    """``summarizer.run(a)``, or a Summary with status "error" naming the failure (a batch goes on)."""
    try:
        return summarizer.run(a)
    except Exception as e:
        return Summary(a.id, a.title, "", [], "error", error=f"{type(e).__name__}: {e}")
