"""Summary part of the gold evaluation: per-article English summaries against the references."""

from __future__ import annotations

from typing import Any

from ..config import Config
from ..errors import InputError
from . import metrics as M
from .components import Components
from .evaluator import Evaluator
from .gold import Gold


class SummaryEvaluator(Evaluator):
    """BLEU, chrF, ROUGE-L, fact coverage and number consistency of per-article English summaries."""

    name = "summaries"
    primary_metric = "fact_coverage"

    def __call__(self, gold: Gold, comp: Components, cfg: Config) -> dict[str, Any]:
        limit = self.limit
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
