"""Where things live: the repository, the prepared-models directory, the shared data folder.

Override with environment variables: ``REGIOQA_MODELS_DIR`` (prepared models),
``REGIOQA_SHARED`` (the folder holding ``data/qa-train``; default ``../shared`` beside the repo).
"""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
REPO_DIR = PACKAGE_DIR.parent
ARTIFACTS_DIR = REPO_DIR / "models" / "artifacts"  # small trained weights, committed
GOLD_DIR = REPO_DIR / "evals" / "gold"
CORPUS_DIR = REPO_DIR / "corpus"


def models_dir() -> Path:
    """Prepared (rebuilt, not committed) models: ``$REGIOQA_MODELS_DIR`` or ``<repo>/models/prepared``."""
    env = os.environ.get("REGIOQA_MODELS_DIR")
    return Path(env) if env else REPO_DIR / "models" / "prepared"


def shared_dir() -> Path:
    env = os.environ.get("REGIOQA_SHARED")
    return Path(env) if env else REPO_DIR.parent / "shared"


def qa_train_dir() -> Path:
    return shared_dir() / "data" / "qa-train"
