"""Retrieval part of the gold evaluation: where each answer's chunk ranks, per mode and language."""

from __future__ import annotations

from typing import Any

from ..config import Config
from ..errors import InputError
from . import metrics as M
from .components import Components
from .evaluator import Evaluator, by_lang
from .gold import Gold, answer_chunks

MODES = ("dense", "bm25", "hybrid")
KS = (1, 5, 10)


class RetrievalEvaluator(Evaluator):
    """Recall@1/5/10, MRR@10 and nDCG@10 of the chunks holding each answer, per mode and language."""

    name = "retrieval"
    primary_metric = "hybrid.all.recall@5"

    def __call__(self, gold: Gold, comp: Components, cfg: Config) -> dict[str, Any]:
        limit = self.limit
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
            for lang, rs in sorted(by_lang(rows, lambda r: r["lang"]).items()):
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
