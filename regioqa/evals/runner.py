"""Run the gold evaluation (retrieval, QA, translation, summaries) and SQuAD-format reader evaluation.

Every part runs when its component exists; a missing component (module not there yet, model not
prepared) makes that part ``{"status": "not available", "reason": ...}`` instead of a crash, and an
exception inside a part is caught and reported as ``{"status": "error", ...}`` so the other parts
still run. Components are imported lazily and can be injected (tests use small fakes):

>>> from regioqa.evals.runner import Components, run_gold
>>> report = run_gold(parts=["translation"], components=Components(translator=None))  # doctest: +SKIP
>>> report["parts"]["translation"]["metrics"]["chrf"]                                # doctest: +SKIP
41.7

``run_gold`` returns the report dict; :func:`regioqa.evals.report.write_report` writes report.json,
report.md and the plots. ``regioqa eval gold`` does both.
"""

from __future__ import annotations

import json
import logging
import subprocess
import time
import traceback
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..config import Config
from ..errors import IndexError_, InputError, ModelNotFoundError, RegioQAError
from ..paths import CORPUS_DIR, REPO_DIR, models_dir
from ..types import Answer, Article
from . import metrics as M
from .gold import Gold, QAItem, answer_chunks, load_gold, verify

log = logging.getLogger(__name__)

PARTS = ("retrieval", "qa", "translation", "summaries")
MODES = ("dense", "bm25", "hybrid")
KS = (1, 5, 10)
REPORT_KIND = "regioqa-eval"


class NotAvailable(Exception):
    """A component the part needs is missing (not an error of the part itself)."""


_NA_ERRORS: tuple[type[BaseException], ...] = (ImportError, ModelNotFoundError, NotAvailable)

QAFn = Callable[[str], list[Answer]]


@dataclass
class Components:
    """What the evaluation runs against. Leave a field ``None`` to load the real component lazily.

    ``qa`` is ``question -> answers`` (best first; an abstention is ``Answer.is_no_answer`` or an
    empty list). ``index`` needs ``search(query, k, mode)`` and ``chunks``; ``translator`` needs
    ``translate(texts)``; ``summarizer`` needs ``run(article) -> Summary``.
    """

    articles: dict[str, Article] | None = None
    index: Any = None
    qa: QAFn | None = None
    translator: Any = None
    summarizer: Any = None
    index_dir: Path | None = None
    cache_index: bool = False  # keep the built gold index in models_dir()/"gold-index" for the next run

    # ------------------------------------------------------------------ lazy loaders
    def get_articles(self) -> dict[str, Article]:
        if self.articles is None:
            path = CORPUS_DIR / "articles.jsonl"
            if not path.exists():
                raise NotAvailable(f"{path} not found (run `regioqa corpus build`)")
            from ..corpus import read_articles_jsonl

            self.articles = {a.id: a for a in read_articles_jsonl(path)}
        return self.articles

    def get_index(self, cfg: Config) -> Any:
        if self.index is None:
            from ..index import Index

            if self.index_dir is not None:
                self.index = Index.load(self.index_dir, config=cfg)
            else:
                from ..embed import Embedder

                embedder = Embedder(config=cfg.embed)
                cache = models_dir() / "gold-index" if self.cache_index else None
                previous = cache if cache is not None and cache.exists() else None
                try:
                    self.index = Index.build(
                        list(self.get_articles().values()),
                        embedder,
                        cfg,
                        previous=previous,
                        show_progress=False,
                    )
                except IndexError_:  # an unusable cached index: build from scratch
                    self.index = Index.build(
                        list(self.get_articles().values()), embedder, cfg, show_progress=False
                    )
                if cache is not None:
                    try:
                        self.index.save(cache)
                    except (OSError, RegioQAError) as e:
                        log.warning("could not cache the gold index in %s: %s", cache, e)
        return self.index

    def get_qa(self, cfg: Config) -> QAFn:
        if self.qa is None:
            index = self.get_index(cfg)
            k = cfg.retrieve.top_k
            try:
                from ..pipeline import RegioQA
            except ImportError:
                from ..reader import Reader

                reader = Reader(config=cfg.reader)
                reader.load()
                self.qa = lambda q: reader.run(q, index.search(q, k=k), index.articles)
            else:
                from ..reader import Reader

                reader = Reader(config=cfg.reader)
                reader.load()
                rqa = RegioQA(index, reader=reader, config=cfg)
                self.qa = lambda q: rqa.ask(q, k=k, translate=False)  # spans are scored in Chinese
        return self.qa

    def get_translator(self, cfg: Config) -> Any:
        if self.translator is None:
            from ..translate import load_translator

            self.translator = load_translator(cfg.translate)
        return self.translator

    def get_summarizer(self, cfg: Config) -> Any:
        if self.summarizer is None:
            from ..summarize import Summarizer

            embedder = None
            try:
                embedder = getattr(self.get_index(cfg), "embedder", None)
            except _NA_ERRORS + (RegioQAError,):
                embedder = None
            self.summarizer = Summarizer(embedder=embedder, translator=self.get_translator(cfg), config=cfg)
        return self.summarizer


# ---------------------------------------------------------------------------------------- parts


def _by_lang(items: Sequence[Any], key: Callable[[Any], str]) -> dict[str, list[Any]]:
    groups: dict[str, list[Any]] = defaultdict(list)
    for it in items:
        groups[key(it)].append(it)
    return dict(groups)


def eval_retrieval(gold: Gold, comp: Components, cfg: Config, limit: int | None = None) -> dict[str, Any]:
    """Recall@1/5/10, MRR@10 and nDCG@10 of the chunks holding each answer, per mode and language."""
    index = comp.get_index(cfg)
    chunks = list(index.chunks)
    qs = [q for q in gold.qa if q.answerable][:limit]
    rows = []
    for q in qs:
        relevant = answer_chunks(q, chunks)
        if not relevant:
            raise InputError(
                f"gold {q.id}: no chunk holds [{q.start}:{q.end}] of {q.article_id}; "
                "is the index built from the same corpus?"
            )
        row: dict[str, Any] = {
            "id": q.id,
            "lang": q.lang,
            "question": q.question,
            "relevant": sorted(relevant),
        }
        for mode in MODES:
            ranked = [
                h.chunk.chunk_id for h in index.search(q.question, k=min(max(KS), len(chunks)), mode=mode)
            ]
            row[mode] = ranked
            rank = next((i for i, c in enumerate(ranked, 1) if c in relevant), None)
            row[f"rank_{mode}"] = rank
        rows.append(row)
    out_metrics: dict[str, Any] = {}
    for mode in MODES:
        per = {"all": M.retrieval_metrics([(r[mode], set(r["relevant"])) for r in rows], KS)}
        for lang, rs in sorted(_by_lang(rows, lambda r: r["lang"]).items()):
            per[lang] = M.retrieval_metrics([(r[mode], set(r["relevant"])) for r in rs], KS)
        out_metrics[mode] = per
    items = [
        {
            "id": r["id"],
            "lang": r["lang"],
            "question": r["question"],
            **{f"rank_{m}": r[f"rank_{m}"] for m in MODES},
            "relevant": r["relevant"],
            "top_hybrid": r["hybrid"][:3],
            "ok": r["rank_hybrid"] is not None and r["rank_hybrid"] <= 5,
        }
        for r in rows
    ]
    return {
        "metrics": out_metrics,
        "items": items,
        "n_chunks": len(chunks),
        "chunking": dict(vars(cfg.chunk)),
    }


def score_qa_rows(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Aggregate per-question rows (``em``, ``f1``, ``answerable``, ``abstained``, ``lang``, ``type``)."""

    def agg(rs: list[dict[str, Any]]) -> dict[str, Any]:
        if not rs:
            return {"n": 0}
        return {
            "n": len(rs),
            "em": round(100 * sum(r["em"] for r in rs) / len(rs), 2),
            "f1": round(100 * sum(r["f1"] for r in rs) / len(rs), 2),
        }

    out: dict[str, Any] = {"all": agg(rows), "answerable": agg([r for r in rows if r["answerable"]])}
    for lang, rs in sorted(_by_lang(rows, lambda r: r.get("lang", "?")).items()):
        out[lang] = agg([r for r in rs if r["answerable"]])
        out[f"{lang}_with_unanswerable"] = agg(rs)
    out["by_type"] = {
        t: agg([r for r in rs if r["answerable"]])
        for t, rs in sorted(_by_lang(rows, lambda r: r.get("type", "?")).items())
    }
    out["abstention"] = M.abstention_metrics(
        [r["abstained"] for r in rows], [not r["answerable"] for r in rows]
    )
    # oracle no-answer threshold on the answer's margin over the no-answer score (else its score);
    # a diagnostic: tuned on these very questions
    for r in rows:
        r.setdefault("margin", r.get("score"))
    is_tunable = [not r["abstained"] and r.get("margin") is not None for r in rows]
    tunable = [r for r, ok in zip(rows, is_tunable, strict=True) if ok]
    if tunable:
        fixed = sum(r["f1"] for r, ok in zip(rows, is_tunable, strict=True) if not ok)
        t, f1 = M.best_threshold(
            [r["margin"] for r in tunable],
            [r["f1"] for r in tunable],
            [0.0 if r["answerable"] else 1.0 for r in tunable],
        )
        best = (fixed + f1 * len(tunable)) / len(rows)
        out["oracle_threshold"] = {
            "threshold": t if abs(t) != float("inf") else str(t),
            "f1": round(100 * best, 2),
        }
    return out


def _top(answers: Sequence[Answer]) -> Answer | None:
    return answers[0] if answers else None


def qa_row(q: QAItem, answers: Sequence[Answer], seconds: float) -> dict[str, Any]:
    top = _top(answers)
    abstained = top is None or top.is_no_answer or not top.text
    pred = None if abstained or top is None else top.text
    em, f1 = M.qa_item_scores(pred, q.answers)
    span_ok = (
        top is not None
        and not abstained
        and q.answerable
        and top.article_id == q.article_id
        and top.start < (q.end or 0)
        and (q.start or 0) < top.end
    )
    return {
        "id": q.id,
        "lang": q.lang,
        "type": q.type,
        "question": q.question,
        "answerable": q.answerable,
        "gold": q.answer,
        "prediction": pred or "",
        "abstained": abstained,
        "score": None if top is None else _finite(top.score),
        "no_answer_score": None if top is None else _finite(top.no_answer_score),
        "margin": None if top is None else _finite(top.margin),
        "article_id": None if top is None else top.article_id or None,
        "span_overlaps_gold": span_ok,
        "em": em,
        "f1": round(f1, 4),
        "seconds": round(seconds, 3),
    }


def _finite(x: float | None) -> float | None:
    if x is None:
        return None
    x = float(x)
    return round(x, 4) if x == x and abs(x) != float("inf") else None


def eval_qa(gold: Gold, comp: Components, cfg: Config, limit: int | None = None) -> dict[str, Any]:
    """End-to-end QA (retrieve + read) on every gold question, answerable or not."""
    ask = comp.get_qa(cfg)
    rows = []
    for q in gold.qa[:limit]:
        t0 = time.perf_counter()
        answers = ask(q.question)
        rows.append(qa_row(q, answers, time.perf_counter() - t0))
    return {"metrics": score_qa_rows(rows), "items": rows}


def eval_translation(gold: Gold, comp: Components, cfg: Config, limit: int | None = None) -> dict[str, Any]:
    """BLEU, chrF, ROUGE-L and number consistency of sentence translations against the references."""
    tr = comp.get_translator(cfg)
    items = gold.translations[:limit]
    hyps = tr.translate([t.zh for t in items])
    if len(hyps) != len(items):
        raise RegioQAError(f"translator returned {len(hyps)} outputs for {len(items)} inputs")
    refs = [t.en for t in items]
    nums = M.number_consistency([(t.zh, h) for t, h in zip(items, hyps, strict=True)])
    bad_nums = {f["index"]: f["missing"] for f in nums["failures"]}
    rows = []
    for i, (t, h) in enumerate(zip(items, hyps, strict=True)):
        rows.append(
            {
                "id": t.id,
                "zh": t.zh,
                "reference": t.en,
                "hypothesis": h,
                "chrf": round(M.sentence_chrf(h, t.en), 2),
                "bleu": round(M.sentence_bleu(h, t.en), 2),
                "rouge_l": M.rouge_l(h, t.en)["f1"],
                "numbers_ok": i not in bad_nums,
                "numbers_missing": bad_nums.get(i, []),
            }
        )
    return {
        "translator": getattr(tr, "name", type(tr).__name__),
        "lexical": bool(getattr(tr, "lexical", False)),
        "metrics": {
            "n": len(rows),
            "bleu": round(M.corpus_bleu(hyps, refs), 2),
            "chrf": round(M.corpus_chrf(hyps, refs), 2),
            "rouge_l": round(sum(r["rouge_l"] for r in rows) / max(len(rows), 1), 4),
            "number_consistency": nums["rate"],
        },
        "items": rows,
    }


def eval_summaries(gold: Gold, comp: Components, cfg: Config, limit: int | None = None) -> dict[str, Any]:
    """BLEU, chrF, ROUGE-L, fact coverage and number consistency of per-article English summaries."""
    arts = comp.get_articles()
    summ = comp.get_summarizer(cfg)
    rows, hyps, refs, pairs = [], [], [], []
    for g in gold.summaries[:limit]:
        art = arts.get(g.article_id)
        if art is None:
            raise InputError(f"gold summary {g.id}: article {g.article_id} not in the corpus")
        s = summ.run(art)
        hyp = s.text_en
        cov, hits = M.fact_coverage(hyp, g.facts)
        my_pairs = [(x.zh, x.en) for x in s.sentences]
        nums = M.number_consistency(my_pairs)
        pairs.extend(my_pairs)
        hyps.append(hyp)
        refs.append(g.summary)
        rows.append(
            {
                "id": g.id,
                "article_id": g.article_id,
                "method": s.method,
                "error": s.error,
                "title_en": s.title_en,
                "hypothesis": hyp,
                "reference": g.summary,
                "chrf": round(M.sentence_chrf(hyp, g.summary), 2),
                "rouge_l": M.rouge_l(hyp, g.summary)["f1"],
                "fact_coverage": round(cov, 4),
                "facts_missed": [f["fact"] for f, h in zip(g.facts, hits, strict=True) if not h],
                "number_consistency": nums["rate"],
                "numbers_failures": nums["failures"],
                "sentences": len(s.sentences),
            }
        )
    nums_all = M.number_consistency(pairs)
    n_facts = sum(len(g.facts) for g in gold.summaries[:limit])
    covered = sum(
        len(g.facts) - len(r["facts_missed"]) for g, r in zip(gold.summaries[:limit], rows, strict=True)
    )
    return {
        "metrics": {
            "n": len(rows),
            "bleu": round(M.corpus_bleu(hyps, refs), 2),
            "chrf": round(M.corpus_chrf(hyps, refs), 2),
            "rouge_l": round(sum(r["rouge_l"] for r in rows) / max(len(rows), 1), 4),
            "fact_coverage": round(covered / n_facts, 4) if n_facts else 0.0,
            "number_consistency": nums_all["rate"],
            "summary_sentences": nums_all["n"],
        },
        "items": rows,
    }


PART_FUNCS: dict[str, Callable[[Gold, Components, Config, int | None], dict[str, Any]]] = {
    "retrieval": eval_retrieval,
    "qa": eval_qa,
    "translation": eval_translation,
    "summaries": eval_summaries,
}


def _git_commit() -> str | None:
    try:
        r = subprocess.run(
            ["git", "-C", str(REPO_DIR), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            timeout=5,
        )
        return r.stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        return None


def run_part(
    name: str, gold: Gold, comp: Components, cfg: Config, limit: int | None = None
) -> dict[str, Any]:
    """One part, timed; never raises for a missing component or a failure inside the part."""
    t0 = time.perf_counter()
    try:
        res = PART_FUNCS[name](gold, comp, cfg, limit)
        res = {"status": "ok", **res}
    except _NA_ERRORS as e:
        res = {"status": "not available", "reason": f"{type(e).__name__}: {e}"}
    except Exception as e:  # a failing component must not take the other parts down
        log.warning("part %s failed: %s", name, e)
        res = {
            "status": "error",
            "reason": f"{type(e).__name__}: {e}",
            "traceback": traceback.format_exc(limit=6),
        }
    res["seconds"] = round(time.perf_counter() - t0, 2)
    return res


def run_gold(
    parts: Iterable[str] | None = None,
    components: Components | None = None,
    config: Config | None = None,
    gold: Gold | None = None,
    limit: int | None = None,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Evaluate every requested part (default all) on the gold set; returns the report dict."""
    wanted = list(parts) if parts else list(PARTS)
    bad = [p for p in wanted if p not in PARTS]
    if bad:
        raise InputError(f"unknown eval part(s) {bad}; choose from {list(PARTS)}")
    cfg = config or Config()
    comp = components or Components()
    gold = gold or load_gold()
    t0 = time.perf_counter()
    report: dict[str, Any] = {
        "kind": REPORT_KIND,
        "suite": "gold",
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "commit": _git_commit(),
        "config": cfg.to_dict(),
        "gold": {
            "dir": str(gold.directory),
            "qa": len(gold.qa),
            "translations": len(gold.translations),
            "summaries": len(gold.summaries),
            "corpus_checksum": gold.manifest.get("corpus_checksum"),
        },
        "parts": {},
    }
    try:
        problems = verify(gold, comp.get_articles())
    except _NA_ERRORS as e:
        problems = [f"corpus not available: {e}"]
    report["gold"]["offset_problems"] = problems[:20]
    for name in wanted:
        if progress:
            progress(name)
        report["parts"][name] = run_part(name, gold, comp, cfg, limit)
    report["seconds"] = round(time.perf_counter() - t0, 2)
    return report


# ------------------------------------------------------------------------------ SQuAD-format files


@dataclass(frozen=True, slots=True)
class SquadQuestion:
    id: str
    question: str
    context_index: int
    answers: list[str]
    answerable: bool


def read_squad(path: str | Path) -> tuple[list[str], list[SquadQuestion]]:
    """Contexts and questions of a SQuAD 1.1/2.0 JSON file (``data[].paragraphs[].qas[]``)."""
    p = Path(path)
    if not p.exists():
        raise InputError(f"SQuAD file not found: {p}")
    try:
        doc = json.loads(p.read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        raise InputError(f"{p}: line {e.lineno}: invalid JSON ({e.msg})") from e
    if not isinstance(doc, dict) or not isinstance(doc.get("data"), list):
        raise InputError(f"{p}: not SQuAD format (expected an object with a 'data' list)")
    contexts: list[str] = []
    qs: list[SquadQuestion] = []
    for a_i, art in enumerate(doc["data"]):
        for p_i, para in enumerate(art.get("paragraphs") or []):
            ctx = para.get("context")
            if not isinstance(ctx, str) or not ctx.strip():
                raise InputError(f"{p}: data[{a_i}].paragraphs[{p_i}] has no context text")
            contexts.append(ctx)
            for q_i, qa in enumerate(para.get("qas") or []):
                if "question" not in qa or "id" not in qa:
                    raise InputError(
                        f"{p}: data[{a_i}].paragraphs[{p_i}].qas[{q_i}] lacks 'id' or 'question'"
                    )
                answers = [a["text"] for a in qa.get("answers") or [] if str(a.get("text", "")).strip()]
                impossible = bool(qa.get("is_impossible", False))
                if not answers and not impossible:
                    raise InputError(
                        f"{p}: question {qa['id']} has no answers and is not marked is_impossible"
                    )
                qs.append(
                    SquadQuestion(
                        str(qa["id"]),
                        qa["question"],
                        len(contexts) - 1,
                        [] if impossible else answers,
                        not impossible,
                    )
                )
    return contexts, qs


def read_ids(path: str | Path) -> list[str]:
    """Question ids, one per line, or JSONL lines with an ``id`` field."""
    p = Path(path)
    if not p.exists():
        raise InputError(f"ids file not found: {p}")
    out = []
    for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1):
        s = line.strip()
        if not s:
            continue
        if s.startswith("{"):
            try:
                s = str(json.loads(s)["id"])
            except (json.JSONDecodeError, KeyError) as e:
                raise InputError(f"{p}:{n}: expected a JSON object with an 'id'") from e
        out.append(s)
    return out


def traditional_share(texts: Sequence[str], sample: int = 50) -> float:
    """Share of characters OpenCC t2s changes in the first ``sample`` texts (about 0 for simplified)."""
    import opencc

    conv = opencc.OpenCC("t2s")
    text = "".join(texts[:sample])
    han = [c for c in text if M.has_cjk(c)]
    if not han:
        return 0.0
    converted = conv.convert("".join(han))
    return sum(a != b for a, b in zip(han, converted, strict=False)) / len(han)


def eval_squad(
    path: str | Path,
    reader: Any = None,
    context: str = "gold",
    ids: Sequence[str] | None = None,
    limit: int | None = None,
    script: str = "auto",
    config: Config | None = None,
    index_builder: Callable[[list[Article]], Any] | None = None,
    batch_size: int = 32,
    progress: bool = True,
) -> dict[str, Any]:
    """Score a reader on a SQuAD-format file.

    ``context="gold"``: each question is read against its own paragraph (``Reader.predict``).
    ``context="retrieve"``: every paragraph of the file is indexed, each question retrieves ``top_k``
    chunks and the reader answers from them (``Reader.run``); retrieval recall is reported too.
    ``script``: ``"t2s"`` converts traditional to simplified with OpenCC (DRCD), ``"none"`` keeps the
    text, ``"auto"`` converts when more than 5% of the file's Han characters are traditional.
    """
    if context not in ("gold", "retrieve"):
        raise InputError(f"--context must be 'gold' or 'retrieve', got {context!r}")
    if script not in ("auto", "t2s", "none"):
        raise InputError(f"script must be auto, t2s or none, got {script!r}")
    cfg = config or Config()
    contexts, qs = read_squad(path)
    if ids is not None:
        wanted = set(ids)
        unknown = wanted - {q.id for q in qs}
        if unknown:
            raise InputError(f"{len(unknown)} id(s) not in {path}, e.g. {sorted(unknown)[:3]}")
        qs = [q for q in qs if q.id in wanted]
    if limit is not None:
        if limit <= 0:
            raise InputError(f"--limit must be positive, got {limit}")
        qs = qs[:limit]
    share = traditional_share(contexts)
    convert = script == "t2s" or (script == "auto" and share > 0.05)
    if convert:
        import opencc

        conv = opencc.OpenCC("t2s")
        used = sorted({q.context_index for q in qs})
        cmap = {i: conv.convert(contexts[i]) for i in used}
        contexts = [cmap.get(i, c) for i, c in enumerate(contexts)]
        qs = [
            SquadQuestion(
                q.id,
                conv.convert(q.question),
                q.context_index,
                [conv.convert(a) for a in q.answers],
                q.answerable,
            )
            for q in qs
        ]
    if reader is None:
        from ..reader import Reader

        reader = Reader(config=cfg.reader)
    any_impossible = any(not q.answerable for q in qs)
    rows: list[dict[str, Any]] = []
    t0 = time.perf_counter()
    from tqdm import tqdm

    bar = tqdm(total=len(qs), desc=f"eval qa ({context})", disable=not progress, unit="q")
    retrieval_hits: list[int | None] = []
    if context == "gold":
        for b in range(0, len(qs), batch_size):
            batch = qs[b : b + batch_size]
            preds = reader.predict(
                [(q.question, contexts[q.context_index]) for q in batch], allow_abstain=any_impossible
            )
            for q, a in zip(batch, preds, strict=True):
                rows.append(_squad_row(q, [a]))
            bar.update(len(batch))
    else:
        # retrieve over all the file's paragraphs (the distractors matter), not only the questions' own
        arts = [Article(id=f"p{i}", title="", text=c) for i, c in enumerate(contexts)]
        if index_builder is None:
            from ..embed import Embedder
            from ..index import Index

            def index_builder(a: list[Article]) -> Any:
                return Index.build(a, Embedder(config=cfg.embed), cfg, show_progress=progress)

        index = index_builder(arts)
        k = cfg.retrieve.top_k
        for q in qs:
            hits = index.search(q.question, k=k)
            rank = next(
                (i for i, h in enumerate(hits, 1) if h.chunk.article_id == f"p{q.context_index}"), None
            )
            retrieval_hits.append(rank)
            answers = reader.run(q.question, hits, index.articles)
            rows.append(_squad_row(q, answers, rank, retrieved=True))
            bar.update(1)
    bar.close()
    seconds = time.perf_counter() - t0
    m = score_qa_rows(rows)
    metrics: dict[str, Any] = {
        "n": len(rows),
        "em": m["all"].get("em", 0.0),
        "f1": m["all"].get("f1", 0.0),
        "answerable": m["answerable"],
        "abstention": m["abstention"],
        "questions_per_second": round(len(rows) / seconds, 3) if seconds else None,
    }
    if context == "retrieve" and rows:
        found = [r for r in retrieval_hits if r is not None]
        metrics["retrieval_recall@k"] = round(len(found) / len(rows), 4)
    return {
        "kind": REPORT_KIND,
        "suite": "squad",
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "commit": _git_commit(),
        "file": str(path),
        "context": context,
        "converted_t2s": convert,
        "traditional_share": round(share, 4),
        "config": cfg.to_dict(),
        "parts": {"qa": {"status": "ok", "metrics": metrics, "items": rows, "seconds": round(seconds, 2)}},
    }


def _squad_row(
    q: SquadQuestion, answers: Sequence[Answer], rank: int | None = None, retrieved: bool = False
) -> dict[str, Any]:
    top = _top(answers)
    abstained = top is None or top.is_no_answer or not top.text
    pred = None if abstained or top is None else top.text
    em, f1 = M.qa_item_scores(pred, q.answers)
    row = {
        "id": q.id,
        "question": q.question,
        "answerable": q.answerable,
        "gold": q.answers[0] if q.answers else "",
        "prediction": pred or "",
        "abstained": abstained,
        "score": None if top is None else _finite(top.score),
        "margin": None if top is None else _finite(top.margin),
        "em": em,
        "f1": round(f1, 4),
        "lang": "zh" if M.has_cjk(q.question) else "en",
        "type": "squad",
    }
    if retrieved:
        row["retrieval_rank"] = rank
    return row


def headline(report: dict[str, Any]) -> dict[str, Any]:
    """The few numbers worth printing: one line per part."""
    out: dict[str, Any] = {}
    for name, part in report.get("parts", {}).items():
        if part.get("status") != "ok":
            out[name] = part.get("status")
            continue
        m = part["metrics"]
        if name == "retrieval":
            out[name] = {
                mode: {
                    lang: {k: v for k, v in m[mode][lang].items() if k in ("recall@5", "mrr@10")}
                    for lang in m[mode]
                }
                for mode in m
            }
        elif name == "qa":
            if "all" in m:
                out[name] = {
                    k: {"em": m[k].get("em"), "f1": m[k].get("f1")} for k in ("zh", "en", "all") if k in m
                }
                out[name]["abstention"] = m.get("abstention")
            else:
                out[name] = {"em": m.get("em"), "f1": m.get("f1"), "n": m.get("n")}
        else:
            out[name] = {k: v for k, v in m.items() if k != "n"}
    return out


def count_status(report: dict[str, Any]) -> Counter[str]:
    return Counter(p.get("status", "?") for p in report.get("parts", {}).values())
