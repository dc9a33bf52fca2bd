"""Where things live: the package data, the prepared-models directory, the source checkout, the shared data.

Everything the library needs at run time ships inside the package (``regioqa/data/``): the trained reader
tensors (``reader-e5-small-zh/``), the gold evaluation set with the corpus its offsets index into
(``gold/``) and the translation glossary. The source checkout (``REPO_DIR``, when regioqa runs from one)
adds the benchmark harness, the corpus folder and the training scripts.

Override with environment variables: ``REGIOQA_MODELS_DIR`` (prepared models; default
``<checkout>/models/prepared``, or ``~/.cache/regioqa/models`` when installed without a checkout),
``REGIOQA_SHARED`` (the folder holding ``data/qa-train``; default ``../shared`` beside the checkout).
"""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
DATA_DIR = PACKAGE_DIR / "data"
ARTIFACTS_DIR = DATA_DIR  # small trained weights, committed: <ARTIFACTS_DIR>/reader-e5-small-zh
GOLD_DIR = DATA_DIR / "gold"

REPO_DIR = PACKAGE_DIR.parent
IN_CHECKOUT = (REPO_DIR / "pyproject.toml").is_file() and (REPO_DIR / "benchmarks").is_dir()
"""True when regioqa runs from its source checkout (not from an installed wheel)."""
CORPUS_DIR = REPO_DIR / "corpus" if IN_CHECKOUT else GOLD_DIR
"""The built corpus folder (``articles.jsonl``): the checkout's ``corpus/``; installed without a checkout,
the gold set's copy of the same corpus (the gold evaluation reads it; :func:`regioqa.evals.gold.load_articles`
gives those articles directly)."""


def models_dir() -> Path:
    """Prepared (rebuilt, not committed) models: ``$REGIOQA_MODELS_DIR``, else ``<checkout>/models/prepared``,
    else ``$XDG_CACHE_HOME/regioqa/models`` (``~/.cache/regioqa/models``)."""
    env = os.environ.get("REGIOQA_MODELS_DIR")
    if env:
        return Path(env)
    if IN_CHECKOUT:
        return REPO_DIR / "models" / "prepared"
    cache = os.environ.get("XDG_CACHE_HOME")
    return (Path(cache) if cache else Path.home() / ".cache") / "regioqa" / "models"


def shared_dir() -> Path:
    env = os.environ.get("REGIOQA_SHARED")
    return Path(env) if env else REPO_DIR.parent / "shared"


def qa_train_dir() -> Path:
    return shared_dir() / "data" / "qa-train"


def xquad_dir(shared: Path | None = None) -> Path:
    """XQuAD's odd articles (English and Chinese questions over Chinese paragraphs) in the shared folder
    (``shared``, else :func:`shared_dir`)."""
    return (shared or shared_dir()) / "data" / "qa-dev" / "xquad-odd-articles"
