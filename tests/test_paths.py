"""Where regioqa looks for things, in a checkout and installed without one."""

from __future__ import annotations

from pathlib import Path

import pytest

from regioqa import paths


def test_the_models_dir_follows_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("REGIOQA_MODELS_DIR", str(tmp_path))
    assert paths.models_dir() == tmp_path


def test_in_a_checkout_models_are_prepared_beside_the_code(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("REGIOQA_MODELS_DIR", raising=False)
    assert paths.IN_CHECKOUT and paths.models_dir() == paths.REPO_DIR / "models" / "prepared"


def test_installed_without_a_checkout_models_go_to_the_user_cache(monkeypatch: pytest.MonkeyPatch,
                                                                   tmp_path: Path) -> None:
    monkeypatch.delenv("REGIOQA_MODELS_DIR", raising=False)
    monkeypatch.setattr(paths, "IN_CHECKOUT", False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert paths.models_dir() == tmp_path / "regioqa" / "models"


def test_what_the_library_reads_is_inside_the_package() -> None:
    for p in (paths.GOLD_DIR / "qa.jsonl", paths.GOLD_DIR / "articles.jsonl",
              paths.ARTIFACTS_DIR / "reader-e5-small-zh" / "trained.safetensors"):
        assert p.is_file() and paths.PACKAGE_DIR in p.parents
