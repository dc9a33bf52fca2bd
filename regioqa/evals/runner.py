"""Run the gold evaluation (retrieval, QA, translation, summaries) and SQuAD-format reader evaluation.

Every part runs when its component exists; a missing component (module not there yet, model not
prepared) makes that part ``{"status": "not available", "reason": ...}`` instead of a crash, and an
exception inside a part is caught and reported as ``{"status": "error", ...}`` so the other parts
still run. Components are built on first use and can be injected (tests use small fakes); each part
reports its evaluator's primary metric:

>>> from regioqa.evals.runner import Components, run_gold
>>> class Echo:  # a "translator" that copies its input
...     def translate(self, texts): return list(texts)
>>> part = run_gold(parts=["translation"], components=Components(translator=Echo()))["parts"]["translation"]
>>> part["status"], part["primary"]["metric"], part["primary"]["value"] < 10
('ok', 'chrf', True)

``run_gold`` returns the report dict; :func:`regioqa.evals.report.write_report` writes report.json,
report.md and the plots. ``regioqa eval gold`` does both.
"""

from __future__ import annotations

import logging
import time
import traceback
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

from ..config import Config
from ..errors import InputError
from .components import NA_ERRORS, Components
from .evaluator import REPORT_KIND, Evaluator, git_commit
from .gold import Gold, load_gold, verify
from .qa_eval import QAEvaluator, eval_squad
from .retrieval_eval import RetrievalEvaluator
from .summary_eval import SummaryEvaluator
from .translation_eval import TranslationEvaluator

__all__ = ["EVALUATORS", "PARTS", "Components", "eval_squad", "headline", "run_gold", "run_part"]

log = logging.getLogger(__name__)

EVALUATORS: dict[str, type[Evaluator]] = {
    e.name: e for e in (RetrievalEvaluator, QAEvaluator, TranslationEvaluator, SummaryEvaluator)
}
PARTS = tuple(EVALUATORS)


def run_part(
    name: str, gold: Gold, comp: Components, cfg: Config, limit: int | None = None
) -> dict[str, Any]:
    """One part, timed; never raises for a missing component or a failure inside the part."""
    t0 = time.perf_counter()
    try:
        ev = EVALUATORS[name](limit)
        res = ev(gold, comp, cfg)
        res = {"status": "ok", "primary": {"metric": ev.primary_metric, "value": ev.primary(res),
                                           "greater_is_better": ev.greater_is_better}, **res}
    except NA_ERRORS as e:
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
        "commit": git_commit(),
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
    except NA_ERRORS as e:
        problems = [f"corpus not available: {e}"]
    report["gold"]["offset_problems"] = problems[:20]
    for name in wanted:
        if progress:
            progress(name)
        report["parts"][name] = run_part(name, gold, comp, cfg, limit)
    report["seconds"] = round(time.perf_counter() - t0, 2)
    return report


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
