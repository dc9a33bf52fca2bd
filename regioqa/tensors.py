"""Batching token ids for a transformer forward pass (torch is imported on first use): which inputs go
together (:func:`token_batches`) and padding them (:func:`pad_ids`).

>>> ids, mask = pad_ids([[5, 6, 7], [8]], pad_id=1)
>>> ids.tolist(), mask.tolist()
([[5, 6, 7], [8, 1, 1]], [[1, 1, 1], [1, 0, 0]])
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def pad_ids(seqs: Sequence[Sequence[int]], pad_id: int) -> tuple[Any, Any]:
    """Right-pad token id lists to the longest: ``(input_ids, attention_mask)``, both ``torch.long``
    of shape ``[len(seqs), longest]``; the mask is 1 on real tokens."""
    import torch

    n = max((len(s) for s in seqs), default=0)
    ids = torch.full((len(seqs), n), pad_id, dtype=torch.long)
    mask = torch.zeros((len(seqs), n), dtype=torch.long)
    for r, s in enumerate(seqs):
        ids[r, :len(s)] = torch.tensor(list(s), dtype=torch.long)
        mask[r, :len(s)] = 1
    return ids, mask


def token_batches(lengths: Sequence[int], batch_size: int, batch_tokens: int | None = None,
                  slack: float | None = None) -> list[list[int]]:
    """Split positions ``0..n-1`` (lengths sorted longest first) into batches of at most ``batch_size``
    items; with ``batch_tokens``, at most that many padded tokens (long texts go in small batches,
    short ones in big ones; a single text over the budget is a batch of its own); with ``slack``, no
    item shorter than its batch's longest divided by ``slack`` (padding costs as much as real tokens on
    a CPU, where batching gains little).

    >>> token_batches([500, 400, 100, 90, 20, 10], 4, 1000)
    [[0, 1], [2, 3, 4, 5]]
    >>> token_batches([256, 250, 120, 100], 16, slack=1.25)
    [[0, 1], [2, 3]]
    """
    out: list[list[int]] = []
    bs = max(int(batch_size), 1)
    i = 0
    while i < len(lengths):
        n = bs if not batch_tokens else max(1, min(bs, int(batch_tokens) // max(lengths[i], 1)))
        j = min(i + n, len(lengths))
        if slack:
            j = next((k for k in range(i + 1, j) if lengths[k] * slack < lengths[i]), j)
        out.append(list(range(i, j)))
        i = j
    return out
