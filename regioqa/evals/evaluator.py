"""The evaluator protocol of the gold evaluation, in the manner of sentence-transformers' evaluators:
one :class:`Evaluator` per part (retrieval, qa, translation, summaries), called on the gold set and the
components, returning ``{"metrics": ..., "items": [...]}``, with one primary metric to compare runs by.
Shared helpers for the evaluators and the report's provenance (:func:`git_commit`) live here too.
"""

from __future__ import annotations

import subprocess
from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import Any, ClassVar

from ..config import Config
from ..paths import REPO_DIR
from ..types import Answer
from .components import Components
from .gold import Gold

REPORT_KIND = "regioqa-eval"


class Evaluator:
    """One part of the gold evaluation.

    ``evaluator(gold, components, config)`` returns ``{"metrics": {...}, "items": [...], ...}`` (the
    first ``limit`` gold items); ``primary_metric`` is the dotted path of the one number that ranks
    runs (``greater_is_better`` its direction), read by :meth:`primary`.

    >>> class Count(Evaluator):
    ...     name, primary_metric = "count", "all.n"
    ...     def __call__(self, gold, components, config):
    ...         return {"metrics": {"all": {"n": 3}}, "items": []}
    >>> Count().primary(Count()(None, None, None))
    3
    """

    name: ClassVar[str] = ""
    primary_metric: ClassVar[str] = ""
    greater_is_better: ClassVar[bool] = True

    def __init__(self, limit: int | None = None) -> None:
        self.limit = limit

    def __call__(self, gold: Gold, components: Components, config: Config) -> dict[str, Any]:
        raise NotImplementedError

    def primary(self, result: dict[str, Any]) -> Any:
        """The primary metric's value in ``result`` (None when the part has no such figure)."""
        value: Any = result.get("metrics", {})
        for key in self.primary_metric.split("."):
            if not isinstance(value, dict) or key not in value:
                return None
            value = value[key]
        return value


def by_lang(items: Sequence[Any], key: Callable[[Any], str]) -> dict[str, list[Any]]:
    """Group ``items`` by ``key(item)`` (a language, a type), in first-seen order."""
    groups: dict[str, list[Any]] = defaultdict(list)
    for it in items:
        groups[key(it)].append(it)
    return dict(groups)


def top_answer(answers: Sequence[Answer]) -> Answer | None:
    return answers[0] if answers else None


def finite(x: float | None) -> float | None:
    """``x`` rounded to 4 places, or None for None, NaN and infinities (JSON-safe)."""
    if x is None:
        return None
    x = float(x)
    return round(x, 4) if x == x and abs(x) != float("inf") else None


def git_commit() -> str | None:
    """The short commit hash of the checkout (None outside git)."""
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
