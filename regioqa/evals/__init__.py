"""Evaluation: the gold set (:mod:`.gold`), metrics (:mod:`.metrics`), the runner (:mod:`.runner`)
and reports (:mod:`.report`).

>>> from regioqa.evals import load_gold
>>> len(load_gold().translations) >= 40
True
"""

from .gold import as_dataset, load_gold

__all__ = ["load_gold", "as_dataset"]
