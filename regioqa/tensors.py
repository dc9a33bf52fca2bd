"""Batching token ids for a transformer forward pass (torch is imported on first use).

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
