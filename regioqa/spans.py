"""Span scoring for extractive readers: the best answer spans of one window from its start and end
logits, and trimming a span to its content. Pure numpy; used by :mod:`regioqa.reader` and the training
script's evaluation."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

_TRIM = set(" \t\r\n\u3000\u00a0，,。.；;：:、！!？?")


def best_spans(start_logits: np.ndarray, end_logits: np.ndarray, offsets: Sequence[tuple[int, int] | None],
               max_answer_chars: int, top_n: int = 5, candidates: int = 20
               ) -> list[tuple[float, int, int]]:
    """Best spans of one window as ``(score, char_start, char_end)``, best first.

    ``offsets[i]`` is token ``i``'s character range in the context, or ``None`` for question and
    special tokens (never part of an answer). ``score = start + end - (start[0] + end[0])``: the span
    logit minus the window's null (no-answer) logit at the first token. Spans longer than
    ``max_answer_chars`` characters or ending before they start are not considered.

    >>> s = np.array([0., 0., 5., 1.]); e = np.array([0., 0., 1., 4.])
    >>> best_spans(s, e, [None, None, (0, 1), (1, 3)], max_answer_chars=10, top_n=1)
    [(9.0, 0, 3)]
    """
    idx = np.array([i for i, o in enumerate(offsets) if o is not None and o[1] > o[0]], dtype=np.int64)
    if idx.size == 0:
        return []
    null = float(start_logits[0] + end_logits[0])
    s = np.asarray(start_logits, dtype=np.float64)[idx]
    e = np.asarray(end_logits, dtype=np.float64)[idx]
    cs = np.array([offsets[i][0] for i in idx])  # type: ignore[index]
    ce = np.array([offsets[i][1] for i in idx])  # type: ignore[index]
    k = min(candidates, idx.size)
    si = np.argpartition(-s, k - 1)[:k]
    ei = np.argpartition(-e, k - 1)[:k]
    scores = s[si][:, None] + e[ei][None, :]
    valid = (ei[None, :] >= si[:, None]) & (ce[ei][None, :] - cs[si][:, None] <= max_answer_chars)
    scores = np.where(valid, scores, -np.inf)
    flat = np.argsort(-scores, axis=None)[:top_n]
    out = []
    for f in flat:
        a, b = np.unravel_index(f, scores.shape)
        if not np.isfinite(scores[a, b]):
            break
        out.append((float(scores[a, b]) - null, int(cs[si[a]]), int(ce[ei[b]])))
    return out


def trim_span(text: str, start: int, end: int) -> tuple[int, int]:
    """Shrink ``[start, end)`` past surrounding whitespace and sentence punctuation."""
    while start < end and text[start] in _TRIM:
        start += 1
    while end > start and text[end - 1] in _TRIM:
        end -= 1
    return start, end
