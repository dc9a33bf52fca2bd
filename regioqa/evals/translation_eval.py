"""Translation part of the gold evaluation: sentence translations against the references."""

from __future__ import annotations

from typing import Any

from ..config import Config
from ..errors import RegioQAError
from . import metrics as M
from .components import Components
from .evaluator import Evaluator
from .gold import Gold


class TranslationEvaluator(Evaluator):
    """BLEU, chrF, ROUGE-L and number consistency of sentence translations against the references."""

    name = "translation"
    primary_metric = "chrf"

    def __call__(self, gold: Gold, comp: Components, cfg: Config) -> dict[str, Any]:
        limit = self.limit
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
