"""The benchmark harness (benchmarks/run.py via ``regioqa bench``): quick path, default output, headline."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from typer.testing import CliRunner

from regioqa.cli import app
from regioqa.cli.bench import load_harness
from regioqa.errors import InputError


@pytest.fixture(scope="module")
def harness():
    return load_harness()


@pytest.mark.slow
@pytest.mark.model
def test_quick_text_section_writes_results_under_out(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                     e5_dir: Path) -> None:
    """The quick path end to end (one small section): results.json + .md under ./out/bench by default."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("OMP_NUM_THREADS", "2")
    threads = torch.get_num_threads()
    try:
        r = CliRunner().invoke(app, ["bench", "--quick", "--only", "text", "--threads", "2"])
    finally:
        torch.set_num_threads(threads)
    assert r.exit_code == 0, r.output
    out = tmp_path / "out" / "bench" / "results.json"
    res = json.loads(out.read_text(encoding="utf-8"))
    text = res["sections"]["text"]
    assert text["status"] == "ok" and text["chars_mb_per_s"] > 0 and text["tokens_mb_per_s"] > 0
    assert "split+chunk" in out.with_suffix(".md").read_text(encoding="utf-8")


def test_missing_harness_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="source checkout"):
        load_harness(tmp_path / "run.py")


def test_headline_has_one_row_per_figure_with_its_baseline(harness) -> None:
    sections = {"text": {"mb": 1.0, "chars_mb_per_s": 4.0, "tokens_mb_per_s": 1.0, "tokens_vs_chars": 0.25},
                "summarize": {"n": 60, "articles_per_s": 3.0, "naive_articles_per_s": 1.0,
                              "batched_vs_naive": 3.0, "seed_warm_s": 25.0}}
    rows = {r["figure"]: r for r in harness.headline(sections)}
    assert set(rows) == {"split+chunk, token budget (1.0 MB)", "summaries (60 generated articles)",
                         "summaries, seed corpus warm"}
    assert rows["split+chunk, token budget (1.0 MB)"]["baseline"] == 4.0
    assert rows["summaries, seed corpus warm"]["met"] is False


def test_headline_of_a_failed_section_is_empty(harness) -> None:
    assert harness.headline({"text": {"status": "error"}, "reader": {}}) == []


def test_plain_pytorch_bf16_is_timed_only_where_the_cpu_has_it(harness, monkeypatch) -> None:
    import regioqa.quantize as q

    monkeypatch.setattr(q, "native_bf16", lambda: False)
    assert harness.variants_here() == [v for v in harness.PRECISIONS if v != "bf16"]
    monkeypatch.setattr(q, "native_bf16", lambda: True)
    assert harness.variants_here() == list(harness.PRECISIONS)
