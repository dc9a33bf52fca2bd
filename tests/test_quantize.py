"""int8 dynamic quantisation (regioqa.quantize) and its use by the embedder and the reader."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from regioqa.config import EmbedConfig, ReaderConfig
from regioqa.errors import InputError
from regioqa.quantize import HEADS, check_mode, is_quantized, quantize_model


def _tiny_bert(qa: bool = False, vocab: int = 1000) -> torch.nn.Module:
    from transformers import BertConfig, BertForQuestionAnswering, BertModel

    torch.manual_seed(0)
    cfg = BertConfig(vocab_size=vocab, hidden_size=64, num_hidden_layers=2, num_attention_heads=4,
                     intermediate_size=128, max_position_embeddings=128)
    return (BertForQuestionAnswering(cfg) if qa else BertModel(cfg, add_pooling_layer=False)).eval()


def test_modes() -> None:
    assert check_mode(None) is None and check_mode("") is None and check_mode("None") is None
    assert check_mode(" INT8 ") == "int8"
    with pytest.raises(InputError, match="reader.quantize"):
        check_mode("int4", "reader.quantize")
    net = torch.nn.Linear(4, 4)
    assert quantize_model(net, None) is net
    with pytest.raises(InputError, match="no Linear"):
        quantize_model(torch.nn.Sequential(torch.nn.ReLU()), "int8")


def test_quantized_encoder_close_to_fp32() -> None:
    model = _tiny_bert()
    q = quantize_model(model, "int8", inplace=False)
    assert is_quantized(q) and not is_quantized(model)  # the original is left alone
    linears = [n for n, m in model.named_modules() if isinstance(m, torch.nn.Linear)]
    from torch.ao.nn.quantized.dynamic import Linear as DynLinear

    dyn = [n for n, m in q.named_modules() if isinstance(m, DynLinear)]
    ffn_out = [n for n in linears if n.endswith(".output.dense") and ".attention." not in n]
    assert len(ffn_out) == 2 and sorted(dyn) == sorted(set(linears) - set(ffn_out))
    assert len(dyn) == 10  # per layer: q, k, v, attention output, FFN intermediate
    ids = torch.randint(5, 1000, (3, 20))
    mask = torch.ones_like(ids)
    mask[1, 12:] = 0
    with torch.inference_mode():
        a = model(input_ids=ids, attention_mask=mask).last_hidden_state
        b = q(input_ids=ids, attention_mask=mask).last_hidden_state
    cos = torch.nn.functional.cosine_similarity(a.mean(1), b.mean(1), dim=-1)
    assert float(cos.min()) > 0.98
    assert not torch.equal(a, b)  # it really runs int8 kernels


def test_qa_head_stays_fp32() -> None:
    model = _tiny_bert(qa=True)
    q = quantize_model(model, "int8")
    assert q is model  # in place by default: no second copy of the weights
    assert type(q.qa_outputs) is torch.nn.Linear
    assert is_quantized(q.bert.encoder)
    everything = quantize_model(_tiny_bert(qa=True), "int8", keep_fp32=None)
    assert type(everything.qa_outputs) is not torch.nn.Linear
    body = quantize_model(_tiny_bert(qa=True), "int8", keep_fp32=HEADS)
    assert type(body.qa_outputs) is torch.nn.Linear
    assert type(body.bert.encoder.layer[0].output.dense) is not torch.nn.Linear


@pytest.mark.model
@pytest.mark.slow
def test_embedder_int8(e5_dir: Path, tmp_path: Path) -> None:
    from regioqa.embed import Embedder

    texts = ["呼和浩特聚力实现科技突围", "甘肃建设新型电力系统", "Shanxi raised coal output by 5%"]
    fp = Embedder(e5_dir, EmbedConfig(cache=False, backend="torch"))
    i8 = Embedder(e5_dir, EmbedConfig(cache=False, quantize="int8"))
    a, b = fp.embed_passages(texts), i8.embed_passages(texts)
    assert is_quantized(i8._model) and not is_quantized(fp._model)
    assert np.allclose(np.linalg.norm(b, axis=1), 1, atol=1e-5)
    cos = (a * b).sum(1)
    assert cos.min() > 0.95 and not np.allclose(a, b)
    assert fp.fingerprint != i8.fingerprint  # int8 vectors never mix with fp32 ones in the cache
    q = i8.embed_queries(["甘肃的电网建设"])[0]
    assert int(np.argmax(b @ q)) == 1


@pytest.mark.model
def test_reader_int8(e5_dir: Path, tmp_path: Path) -> None:
    from transformers import AutoTokenizer

    from regioqa.reader import Reader

    tok = AutoTokenizer.from_pretrained(e5_dir, local_files_only=True)
    model = _tiny_bert(qa=True, vocab=len(tok))
    model.save_pretrained(tmp_path)
    tok.save_pretrained(tmp_path)
    r = Reader(tmp_path, ReaderConfig(quantize="int8", max_seq_len=64, stride=16)).warm_up()
    assert is_quantized(r.model) and type(r.model.qa_outputs) is torch.nn.Linear
    ctx = "甘肃省新能源装机达到6000万千瓦，占全省电力装机的六成以上。"
    ans = r.predict([("甘肃新能源装机多少？", ctx)])[0]
    assert ans.text and ctx[ans.start:ans.end] == ans.text
    with pytest.raises(InputError, match="reader.quantize"):
        Reader(tmp_path, ReaderConfig(quantize="int4")).warm_up()
