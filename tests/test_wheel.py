"""The built wheel works without the source checkout: installed into a folder of its own and run from
another directory, it prepares its models, builds an index, answers a question and runs the gold
evaluation (everything it reads ships as package data)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
MAIN = "import sys; from regioqa.cli import main; sys.argv[0] = 'regioqa'; main()"


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Build the wheel from a copy of the sources (nothing written into the checkout), install it with
    ``pip --target`` (its dependencies are this interpreter's)."""
    root = tmp_path_factory.mktemp("wheel")
    src = root / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(REPO / name, src / name)
    shutil.copytree(REPO / "regioqa", src / "regioqa", ignore=shutil.ignore_patterns("__pycache__"))
    pip = [sys.executable, "-m", "pip", "-q", "--disable-pip-version-check", "--no-input"]
    subprocess.run([*pip, "wheel", "--no-deps", "--no-build-isolation", "-w", str(root / "dist"), str(src)],
                   check=True, capture_output=True, timeout=300)
    wheel = next((root / "dist").glob("regioqa-*.whl"))
    subprocess.run([*pip, "install", "--no-deps", "--target", str(root / "site"), str(wheel)], check=True,
                   capture_output=True, timeout=300)
    run = root / "run"
    run.mkdir()
    return {"site": root / "site", "run": run, "models": root / "models"}


def regioqa(installed: dict[str, Path], *args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "REGIOQA_SHARED")}
    env.update(PYTHONPATH=str(installed["site"]), REGIOQA_MODELS_DIR=str(installed["models"]),
               HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1")
    return subprocess.run([sys.executable, "-c", MAIN, *args], cwd=installed["run"], env=env,
                          capture_output=True, text=True, timeout=timeout)


@pytest.mark.slow
@pytest.mark.model
def test_installed_wheel_runs_outside_the_checkout(installed: dict[str, Path]) -> None:
    env = {**os.environ, "PYTHONPATH": str(installed["site"])}
    code = "import regioqa.paths as p; print(p.PACKAGE_DIR, p.IN_CHECKOUT)"
    probe = subprocess.run([sys.executable, "-c", code], cwd=installed["run"], env=env, capture_output=True,
                           text=True, check=True)
    assert probe.stdout.split() == [str(installed["site"] / "regioqa"), "False"]

    r = regioqa(installed, "models", "prepare")
    assert r.returncode == 0, r.stderr
    assert (installed["models"] / "reader-e5-small-zh" / "complete").is_file()

    page = REPO / "corpus" / "000_925fbcf3af44d05b.txt"
    r = regioqa(installed, "index", "build", str(page), "--out", "idx")
    assert r.returncode == 0, r.stderr
    assert (installed["run"] / "idx" / "manifest.json").is_file()

    r = regioqa(installed, "ask", "国家乳业技术创新中心吸纳了多少家成员单位？", "--index", "idx", "--json")
    assert r.returncode == 0, r.stderr
    answers = json.loads(r.stdout)["answers"]
    assert answers and not answers[0]["is_no_answer"] and answers[0]["article_id"].endswith("-a1")

    r = regioqa(installed, "eval", "gold", "--out", "ev", "--limit", "10")
    assert r.returncode == 0, r.stderr
    report = json.loads((installed["run"] / "ev" / "report.json").read_text(encoding="utf-8"))
    assert {name: part["status"] for name, part in report["parts"].items()} == {
        "retrieval": "ok", "qa": "ok", "translation": "ok", "summaries": "ok"}


@pytest.mark.slow
def test_bench_without_the_checkout_fails_clearly(installed: dict[str, Path]) -> None:
    r = regioqa(installed, "bench", "--quick", timeout=120)
    assert r.returncode == 2 and "source checkout" in r.stderr
    assert not (installed["run"] / "out").exists()
