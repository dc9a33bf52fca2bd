"""QA part of the gold evaluation (retrieve + read), and the reader scored on SQuAD-format files."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tqdm import tqdm

from ..config import Config
from ..embed import Embedder
from ..errors import InputError
from ..index import Index
from ..pipeline import RegioQA, confidence
from ..reader import Reader, question_lang
from ..types import Answer, Article
from . import metrics as M
from .components import Components
from .evaluator import REPORT_KIND, Evaluator, by_lang, finite, git_commit, top_answer
from .gold import Gold, QAItem
from .squad import SquadQuestion, questions_from, read_squad, traditional_share


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
    for lang, rs in sorted(by_lang(rows, lambda r: r.get("lang", "?")).items()):
        out[lang] = agg([r for r in rs if r["answerable"]])
        out[f"{lang}_with_unanswerable"] = agg(rs)
    out["by_type"] = {
        t: agg([r for r in rs if r["answerable"]])
        for t, rs in sorted(by_lang(rows, lambda r: r.get("type", "?")).items())
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


def declined_rates(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """How many answerable and unanswerable questions the reader declined (abstained on), and the rates.

    >>> declined_rates([{"answerable": True, "abstained": True}, {"answerable": True, "abstained": False},
    ...                 {"answerable": False, "abstained": True}])["answerable"]
    {'n': 2, 'declined': 1, 'rate': 0.5}
    """
    out = {}
    for name, want in (("answerable", True), ("unanswerable", False)):
        rs = [r for r in rows if r["answerable"] is want]
        d = sum(bool(r["abstained"]) for r in rs)
        out[name] = {"n": len(rs), "declined": d, "rate": round(d / len(rs), 4) if rs else None}
    return out


def qa_row(q: QAItem, answers: Sequence[Answer], seconds: float) -> dict[str, Any]:
    top = top_answer(answers)
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
        "score": None if top is None else finite(top.score),
        "no_answer_score": None if top is None else finite(top.no_answer_score),
        "margin": None if top is None else finite(top.margin),
        "article_id": None if top is None else top.article_id or None,
        "span_overlaps_gold": span_ok,
        "em": em,
        "f1": round(f1, 4),
        "seconds": round(seconds, 3),
    }


class QAEvaluator(Evaluator):
    """End-to-end QA (retrieve + read) on every gold question, answerable or not."""

    name = "qa"
    primary_metric = "answerable.f1"

    def __call__(self, gold: Gold, comp: Components, cfg: Config) -> dict[str, Any]:
        limit = self.limit
        ask = comp.get_qa(cfg)
        rows = []
        for q in gold.qa[:limit]:
            t0 = time.perf_counter()
            answers = ask(q.question)
            rows.append(qa_row(q, answers, time.perf_counter() - t0))
        return {"metrics": score_qa_rows(rows), "items": rows}


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
    questions: str | Path | None = None,
) -> dict[str, Any]:
    """Score a reader on a SQuAD-format file.

    ``context="gold"``: each question is read against its own paragraph (``Reader.predict``).
    ``context="retrieve"``: every paragraph of the file is indexed, each question retrieves ``top_k``
    chunks and the reader answers from them (``Reader.run``); retrieval recall is reported too.
    ``script``: ``"t2s"`` converts traditional to simplified with OpenCC (DRCD), ``"none"`` keeps the
    text, ``"auto"`` converts when more than 5% of the file's Han characters are traditional.
    ``questions``: another SQuAD file whose questions replace those of ``path`` by id (English questions
    over Chinese paragraphs); the paragraphs and answers stay ``path``'s.
    A question reaches the reader as ``ask`` gives it (``reader.english_question``), with its language
    ("zh" or "en"), so the per-language no-answer threshold applies; the report adds the declined rate
    on answerable and unanswerable questions, overall and per question language.
    """
    if context not in ("gold", "retrieve"):
        raise InputError(f"--context must be 'gold' or 'retrieve', got {context!r}")
    if script not in ("auto", "t2s", "none"):
        raise InputError(f"script must be auto, t2s or none, got {script!r}")
    cfg = config or Config()
    contexts, qs = read_squad(path)
    dropped = 0
    if questions is not None:
        qs, dropped = questions_from(qs, questions)
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
        reader = Reader(config=cfg.reader)

    asker = RegioQA(None, reader=reader, config=cfg)  # for reader_question: English as `ask` gives it
    any_impossible = any(not q.answerable for q in qs)
    rows: list[dict[str, Any]] = []
    t0 = time.perf_counter()
    bar = tqdm(total=len(qs), desc=f"eval qa ({context})", disable=not progress, unit="q")
    retrieval_hits: list[int | None] = []
    if context == "gold":
        for b in range(0, len(qs), batch_size):
            batch = qs[b : b + batch_size]
            # every form of each question (two for an English one under "both"), one batched pass
            flat = [(q, f) for q in batch for f in asker.reader_questions(q.question)]
            preds = reader.predict(
                [(f, contexts[q.context_index]) for q, f in flat],
                allow_abstain=any_impossible,
                langs=[question_lang(q.question) for q, _ in flat],
            )
            readings: dict[int, list[list[Answer]]] = {}
            for (q, _), a in zip(flat, preds, strict=True):
                readings.setdefault(id(q), []).append([a])
            for q in batch:
                rows.append(_squad_row(q, max(readings[id(q)], key=confidence)))
            bar.update(len(batch))
    else:
        # retrieve over all the file's paragraphs (the distractors matter), not only the questions' own
        arts = [Article(id=f"p{i}", title="", text=c) for i, c in enumerate(contexts)]
        if index_builder is None:
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
            answers = asker.read(q.question, hits, index.articles)
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
        "declined": declined_rates(rows),
        "by_lang": {
            lang: {**m.get(lang, {}), "declined": declined_rates(rs)}
            for lang, rs in sorted(by_lang(rows, lambda r: r["lang"]).items())
        },
    }
    if context == "retrieve" and rows:
        found = [r for r in retrieval_hits if r is not None]
        metrics["retrieval_recall@k"] = round(len(found) / len(rows), 4)
    return {
        "kind": REPORT_KIND,
        "suite": "squad",
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "commit": git_commit(),
        "file": str(path),
        "context": context,
        "questions_from": None if questions is None else str(questions),
        "questions_dropped": dropped,
        "converted_t2s": convert,
        "traditional_share": round(share, 4),
        "config": cfg.to_dict(),
        "parts": {"qa": {"status": "ok", "metrics": metrics, "items": rows, "seconds": round(seconds, 2)}},
    }


def _squad_row(
    q: SquadQuestion, answers: Sequence[Answer], rank: int | None = None, retrieved: bool = False
) -> dict[str, Any]:
    top = top_answer(answers)
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
        "score": None if top is None else finite(top.score),
        "margin": None if top is None else finite(top.margin),
        "em": em,
        "f1": round(f1, 4),
        "lang": question_lang(q.question),
        "type": "squad",
    }
    if retrieved:
        row["retrieval_rank"] = rank
    return row
