"""Shared fixtures. Model-heavy fixtures prepare what they need once per machine (cached)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session", autouse=True)
def _openvino_cache(tmp_path_factory: pytest.TempPathFactory) -> None:
    """OpenVINO IRs converted by the tests go to a temporary folder, not the user's models dir."""
    if "REGIOQA_OV_CACHE" not in os.environ:
        os.environ["REGIOQA_OV_CACHE"] = str(tmp_path_factory.mktemp("openvino-cache"))


@pytest.fixture(scope="session")
def repo_dir() -> Path:
    return REPO


@pytest.fixture(scope="session")
def page_path() -> Path:
    return REPO / "corpus" / "000_925fbcf3af44d05b.txt"


@pytest.fixture(scope="session")
def qa_train_dir() -> Path:
    from regioqa.paths import qa_train_dir

    d = qa_train_dir()
    if not d.exists():
        pytest.fail(f"QA data not found at {d}; set REGIOQA_SHARED to the folder holding data/qa-train")
    return d


@pytest.fixture(scope="session")
def e5_dir() -> Path:
    """The converted e5 (transformers dir) in models_dir()/e5-small; built once, reused when complete."""
    from regioqa.registry import prepare

    path = prepare(["embedder"], progress=False)["embedder"].path
    assert path is not None and (path / "complete").is_file()
    return path
