"""Model registry: resolution order, errors that name every place tried, prepare (no real models)."""

from __future__ import annotations

import json
import sys
import types
from pathlib import Path

import pytest

from regioqa import registry
from regioqa.errors import InputError, ModelNotFoundError


@pytest.fixture()
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Empty models dir and empty Hugging Face cache."""
    import huggingface_hub.constants as hc

    models = tmp_path / "models"
    monkeypatch.setenv("REGIOQA_MODELS_DIR", str(models))
    monkeypatch.setattr(hc, "HF_HUB_CACHE", str(tmp_path / "hf"))
    return tmp_path


def _fake_hf(root: Path, repo: str) -> Path:
    base = root / "hf" / f"models--{repo.replace('/', '--')}"
    snap = base / "snapshots" / "abc123"
    snap.mkdir(parents=True)
    (snap / "config.json").write_text("{}")
    (base / "refs").mkdir()
    (base / "refs" / "main").write_text("abc123")
    return snap


def _fake_dir(path: Path, complete: bool = True) -> Path:
    path.mkdir(parents=True)
    (path / "config.json").write_text("{}")
    if complete:
        (path / "complete").write_text("{}")
    return path


def test_builtin_defaults(env: Path) -> None:
    assert registry.resolve("translator") == registry.ResolvedModel("translator", "lexical", None, "builtin")
    assert registry.resolve("summarizer").source == "builtin"
    assert registry.resolve("summarizer", "extractive").name == "extractive"


def test_missing_embedder_lists_every_place_and_the_fix(env: Path) -> None:
    with pytest.raises(ModelNotFoundError) as e:
        registry.resolve("embedder")
    msg = str(e.value)
    assert str(env / "models" / "e5-small") in msg
    assert "Hugging Face cache for intfloat/multilingual-e5-small" in msg
    assert "regioqa models prepare --role embedder" in msg


def test_order_prepared_then_hf_cache(env: Path) -> None:
    snap = _fake_hf(env, "intfloat/multilingual-e5-small")
    assert registry.resolve("embedder") == registry.ResolvedModel(
        "embedder", "intfloat/multilingual-e5-small", snap, "hf-cache")
    prepared = _fake_dir(env / "models" / "e5-small")
    r = registry.resolve("embedder")
    assert r == registry.ResolvedModel("embedder", "e5-small", prepared, "prepared")


def test_hf_cache_beats_builtin(env: Path) -> None:
    snap = _fake_hf(env, "Helsinki-NLP/opus-mt-zh-en")
    r = registry.resolve("translator")
    assert (r.source, r.path) == ("hf-cache", snap)


def test_explicit_directory_is_used_as_is(env: Path, tmp_path: Path) -> None:
    d = _fake_dir(tmp_path / "mine", complete=False)
    assert registry.resolve("reader", d) == registry.ResolvedModel("reader", "mine", d.resolve(), "explicit")


def test_explicit_hub_id_resolves_from_the_local_cache(env: Path) -> None:
    snap = _fake_hf(env, "org/model")
    assert registry.resolve("reader", "org/model") == registry.ResolvedModel("reader", "org/model", snap,
                                                                              "hf-cache")


def test_explicit_name_resolves_in_the_prepared_dir(env: Path) -> None:
    _fake_dir(env / "models" / "reader-v2")
    assert registry.resolve("reader", "reader-v2").source == "prepared"


def test_explicit_missing_path_names_the_path(env: Path, tmp_path: Path) -> None:
    with pytest.raises(ModelNotFoundError, match=r"explicit path .*nothere.*does not exist"):
        registry.resolve("reader", str(tmp_path / "nothere"))


def test_explicit_uncached_hub_id_says_the_network_is_not_used(env: Path) -> None:
    with pytest.raises(ModelNotFoundError, match="org/absent.*not cached"):
        registry.resolve("embedder", "org/absent")


def test_unknown_role(env: Path) -> None:
    with pytest.raises(InputError, match="unknown model role 'ranker'"):
        registry.resolve("ranker")
    with pytest.raises(InputError, match="unknown model role"):
        registry.prepare(["ranker"])


def _fake_e5(out_dir: Path, base_dir: Path | None = None, force: bool = False, progress: bool = True) -> None:
    if not (out_dir / "complete").exists():
        _fake_dir(out_dir)


def test_ensure_builds_the_embedder(env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[Path] = []
    monkeypatch.setattr(registry, "prepare_e5", lambda out, **kw: (calls.append(out), _fake_e5(out)))
    r = registry.ensure("embedder")
    assert r.source == "prepared" and calls == [env / "models" / "e5-small"]
    with pytest.raises(ModelNotFoundError):
        registry.ensure("reader")  # training is never started implicitly


def _reader_module(monkeypatch: pytest.MonkeyPatch, fn) -> None:
    mod = types.ModuleType("fake_reader_artifact")
    mod.prepare = fn  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "fake_reader_artifact", mod)
    spec = registry.ROLES["reader"]
    monkeypatch.setitem(registry.ROLES, "reader", registry.RoleSpec(
        "reader", spec.hub, spec.offline, False, "fake_reader_artifact:prepare", spec.description))
    monkeypatch.setattr(registry, "prepare_e5", lambda out, **kw: _fake_e5(out))


def test_prepare_reader_missing_module(env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    spec = registry.ROLES["reader"]
    monkeypatch.setitem(registry.ROLES, "reader", registry.RoleSpec(
        "reader", spec.hub, spec.offline, False, "regioqa.no_such_artifact:prepare", spec.description))
    monkeypatch.setattr(registry, "prepare_e5", lambda out, **kw: _fake_e5(out))
    with pytest.raises(ModelNotFoundError, match="reader not trained/prepared"):
        registry.prepare(["reader"])


def test_prepare_reader_without_artifact_leaves_nothing(env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def prep(out_dir: Path, base_dir: Path) -> None:
        (out_dir / "config.json").write_text("{}")
        raise FileNotFoundError("models/artifacts/reader.safetensors")

    _reader_module(monkeypatch, prep)
    with pytest.raises(ModelNotFoundError, match="not trained/prepared.*reader.safetensors"):
        registry.prepare(["reader"])
    assert sorted(p.name for p in (env / "models").iterdir()) == ["e5-small"]


def test_prepare_reader_atomic_and_idempotent(env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[Path, Path]] = []

    def prep(out_dir: Path, base_dir: Path) -> None:
        calls.append((out_dir, base_dir))
        assert (base_dir / "complete").is_file()  # the embedder was prepared first
        (out_dir / "config.json").write_text(json.dumps({"model_type": "bert"}))

    _reader_module(monkeypatch, prep)
    res = registry.prepare(["reader"])
    out = env / "models" / "reader-e5-small-zh"
    assert res == {"reader": registry.ResolvedModel("reader", "reader-e5-small-zh", out, "prepared")}
    assert (out / "complete").is_file() and calls[0][1] == env / "models" / "e5-small"
    assert calls[0][0] != out  # built elsewhere, renamed into place
    registry.prepare(["reader"])
    assert len(calls) == 1
    registry.prepare(["reader"], force=True)
    assert len(calls) == 2
    assert registry.resolve("reader").path == out


def test_cli_list_and_prepare(env: Path) -> None:
    from typer.testing import CliRunner

    from regioqa.cli import app

    runner = CliRunner()
    res = runner.invoke(app, ["models", "list"])
    assert res.exit_code == 0
    lines = {ln.split()[0]: ln for ln in res.output.splitlines() if ln.strip()}
    assert "builtin" in lines["translator"] and "lexical" in lines["translator"]
    assert "regioqa models prepare --role embedder" in lines["embedder"]
    res = runner.invoke(app, ["models", "prepare", "--role", "summarizer"])
    assert res.exit_code == 0 and "summarizer: extractive (builtin)" in res.output


def test_prepared_reader_rebuilt_when_its_source_changes(env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """New trained weights (a new source signature) make `models prepare` rebuild; the same ones don't."""
    calls: list[Path] = []

    def prep(out_dir: Path, base_dir: Path) -> None:
        calls.append(out_dir)
        (out_dir / "config.json").write_text("{}")

    _reader_module(monkeypatch, prep)
    sig = {"value": "weights-v1"}
    sys.modules["fake_reader_artifact"].source_signature = lambda: sig["value"]  # type: ignore[attr-defined]
    registry.prepare(["reader"])
    registry.prepare(["reader"])
    assert len(calls) == 1
    sig["value"] = "weights-v2"
    registry.prepare(["reader"])
    assert len(calls) == 2
    marker = json.loads((env / "models" / "reader-e5-small-zh" / "complete").read_text())
    assert marker["source"] == "weights-v2"


def test_a_prepared_reader_built_from_other_weights_is_rebuilt(tmp_path: Path, monkeypatch) -> None:
    """New trained weights in the package (another source signature) must not be shadowed by the reader
    prepared from the old ones: ``ensure`` rebuilds it; an up-to-date one is used as is."""
    from regioqa.io import write_marker

    monkeypatch.setenv("REGIOQA_MODELS_DIR", str(tmp_path))
    out = tmp_path / registry.ROLES["reader"].offline
    out.mkdir()
    (out / "config.json").write_text("{}", encoding="utf-8")
    write_marker(out, {"source": "old-weights"})
    monkeypatch.setattr(registry, "_source_signature", lambda preparer: "new-weights")
    assert registry.stale("reader") and not registry.stale("embedder")
    calls: list[list[str]] = []

    def fake_prepare(roles, progress=False):
        calls.append(list(roles))
        write_marker(out, {"source": "new-weights"})

    monkeypatch.setattr(registry, "prepare", fake_prepare)
    assert registry.ensure("reader").path == out and calls == [["reader"]]
    assert not registry.stale("reader")
    registry.ensure("reader")
    assert calls == [["reader"]]  # up to date: not rebuilt again
