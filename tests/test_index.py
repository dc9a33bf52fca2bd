"""Tests for the retrieval index (regioqa.index, regioqa.dense, regioqa.lexical, regioqa.cli.index).

Fast tests use HashingEmbedder (model-free, deterministic); `model` tests use the converted e5.
"""

from __future__ import annotations

import json
import os
import shutil
import warnings
from pathlib import Path

import numpy as np
import pytest

from regioqa.config import Config
from regioqa.dense import DenseIndex
from regioqa.errors import IndexError_, InputError
from regioqa.index import Index, read_manifest, rrf
from regioqa.lexical import LexicalIndex, expand_english, normalize, tokenize
from regioqa.testing import HashingEmbedder
from regioqa.types import Article, Hit


class CountingEmbedder(HashingEmbedder):
    """HashingEmbedder that records how many passages it embedded."""

    def __init__(self, dim: int = 64, salt: str = "") -> None:
        super().__init__(dim, salt)
        self.passages = 0

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        self.passages += len(texts)
        return super().embed_passages(texts)


@pytest.fixture(scope="module")
def articles(page_path: Path) -> list[Article]:
    from regioqa.corpus import load_articles

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        arts = load_articles([page_path])
    assert len(arts) == 3
    return arts


@pytest.fixture(scope="module")
def index(articles: list[Article]) -> Index:
    return Index.build(articles, HashingEmbedder(), show_progress=False)


def _chunk_with(index: Index, needle: str) -> set[str]:
    return {c.chunk_id for c in index.chunks if needle in c.text}


# ---------------------------------------------------------------- lexical side


def test_tokenize_bigrams_numbers_and_script() -> None:
    assert tokenize("科技创新") == ["科技", "技创", "创新"]
    assert tokenize("臺灣2023年GDP增長4.0%") == ["台湾", "2023", "年", "gdp", "增长", "4.0"]
    assert tokenize("The growth of GDP") == ["growth", "gdp"]
    assert normalize("國家乳業") == "国家乳业"
    words = tokenize("国家乳业技术创新中心", "jieba")
    assert "乳业" in words and "技术" in words
    both = tokenize("国家乳业技术创新中心", "both")
    assert "技术创新" in both and "国家" in both
    with pytest.raises(InputError, match="token scheme"):
        tokenize("x", "words")


def test_bm25_traditional_query_finds_simplified_text() -> None:
    lex = LexicalIndex.build(["国家乳业技术创新中心吸纳了100多家成员单位", "甘肃文旅融合", "山西能源转型"])
    hits = lex.search("國家乳業技術創新中心有多少成員單位", k=3)
    assert hits[0][0] == 0
    assert all(s > 0 for _, s in hits)
    assert lex.search("完全无关的词语", k=3) == []


def test_top_k_matches_full_sort() -> None:
    from regioqa.lexical import top_k

    rng = np.random.default_rng(0)
    for n, k in [(1, 1), (10, 3), (1000, 50), (1000, 2000)]:
        s = np.where(rng.random(n) < 0.3, rng.integers(0, 5, n), 0).astype(np.float32)  # many ties and zeros
        got = top_k(s, k)
        scores = [sc for _, sc in got]
        assert scores == sorted((float(v) for v in s[s > 0]), reverse=True)[:k]
        assert all(v > 0 for v in scores)
        if len(set(scores)) == len(scores) or k >= n:
            expect = sorted((i for i in range(n) if s[i] > 0), key=lambda i: (-s[i], i))[:k]
            assert [i for i, _ in got] == expect


def test_expand_english_gives_chinese_tokens() -> None:
    weights = expand_english("dairy innovation")
    assert weights, "the en->zh dictionary gave nothing"
    assert "创新" in weights
    assert all(0 < w <= 1 for w in weights.values())


# ---------------------------------------------------------------- search


def test_search_modes_return_wellformed_hits(index: Index) -> None:
    q = "國家乳業技術創新中心吸納了多少家成員單位？"
    gold = _chunk_with(index, "吸纳了100多家成员单位")
    assert gold
    for mode in ("dense", "bm25", "hybrid"):
        hits = index.search(q, k=5, mode=mode)
        assert 1 <= len(hits) <= 5
        assert [h.rank for h in hits] == list(range(1, len(hits) + 1))
        assert all(isinstance(h, Hit) and h.retriever == mode for h in hits)
        assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
        for h in hits:
            a = index.articles[h.article_id]
            assert a.text[h.start : h.end] == h.chunk.text
            assert h.article_title == a.title
        if mode != "dense":
            assert gold & {h.chunk.chunk_id for h in hits}, mode
    hyb = index.search(q, k=5, mode="hybrid")
    assert any("dense" in h.scores and "bm25" in h.scores for h in hyb)
    top = hyb[0]
    w = index.config.retrieve
    expect = sum(
        (w.dense_weight if name == "dense" else w.bm25_weight) / (w.rrf_k + top.scores[f"{name}_rank"])
        for name in ("dense", "bm25")
        if name in top.scores
    )
    assert top.score == pytest.approx(expect)


def test_rrf_weights() -> None:
    runs = {"dense": [(1, 0.9), (2, 0.8)], "bm25": [(2, 5.0), (3, 4.0)]}
    assert [i for i, _ in rrf(runs, {"dense": 1, "bm25": 1})] == [2, 1, 3]
    assert [i for i, _ in rrf(runs, {"dense": 1, "bm25": 0})][:2] == [1, 2]


def test_bad_input(index: Index) -> None:
    with pytest.raises(InputError, match="empty query"):
        index.search("   ")
    for k in (0, -3):
        with pytest.raises(InputError, match="positive integer"):
            index.search("甘肃", k=k)
    with pytest.raises(InputError, match="mode"):
        index.search("甘肃", mode="fuzzy")
    with pytest.raises(InputError, match="string"):
        index.search(None)  # type: ignore[arg-type]
    for mode in ("dense", "bm25", "hybrid"):
        assert index.search("？！……。，", mode=mode) == []
    n = len(index.chunks)
    assert len(index.search("甘肃", k=n + 100, mode="dense")) == n
    assert index.search("Привет мир", mode="bm25") == []
    assert len(index.search("Привет мир", k=3, mode="hybrid")) == 3


def test_reranker_hook(articles: list[Article]) -> None:
    seen: list[int] = []

    def reverse(query: str, hits: list[Hit]) -> list[Hit]:
        seen.append(len(hits))
        return hits[::-1]

    idx = Index.build(articles, HashingEmbedder(), show_progress=False, reranker=reverse)
    plain = Index.build(articles, HashingEmbedder(), show_progress=False)
    got = idx.search("甘肃创新", k=3)
    full = plain.search("甘肃创新", k=idx.config.retrieve.candidates)
    assert seen and seen[0] == len(full)
    assert [h.chunk.chunk_id for h in got] == [h.chunk.chunk_id for h in full[::-1][:3]]
    assert [h.rank for h in got] == [1, 2, 3]


# ---------------------------------------------------------------- dense side


def _clustered(n: int, d: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(20, d))
    x = centres[rng.integers(0, 20, n)] + 0.5 * rng.normal(size=(n, d))
    x = x.astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


@pytest.mark.parametrize("kind", ["hnsw", "ivf"])
def test_ann_recall_against_exact(kind: str) -> None:
    x = _clustered(3000, 32)
    q = _clustered(50, 32, seed=1)
    exact = DenseIndex.build(x, kind="flat")
    ann = DenseIndex.build(x, kind=kind)
    assert ann.kind == kind
    _, e = exact.search(q, 10)
    _, a = ann.search(q, 10)
    recall = np.mean([len(set(e[i]) & set(a[i])) / 10 for i in range(len(q))])
    assert recall >= 0.9


def test_auto_kind_by_threshold() -> None:
    x = _clustered(300, 16)
    assert DenseIndex.build(x, ann_threshold=1000).kind == "flat"
    assert DenseIndex.build(x, ann_threshold=100, ann="hnsw").kind == "hnsw"
    with pytest.raises(InputError):
        DenseIndex.build(x, kind="lsh")


# ---------------------------------------------------------------- persistence


def test_save_load_roundtrip(index: Index, tmp_path: Path) -> None:
    d = index.save(tmp_path / "idx")
    m = read_manifest(d)
    assert m["embedder"]["fingerprint"] == HashingEmbedder().fingerprint
    assert m["counts"]["chunks"] == len(index.chunks)
    assert {"vectors.npy", "articles.jsonl", "chunks.jsonl"} <= set(m["files"])
    assert m["chunker"]["max_tokens"] == index.config.chunk.max_tokens
    loaded = Index.load(d, HashingEmbedder())
    for mode in ("dense", "bm25", "hybrid"):
        a = index.search("甘肃文旅融合", k=5, mode=mode)
        b = loaded.search("甘肃文旅融合", k=5, mode=mode)
        assert [(h.chunk, round(h.score, 5)) for h in a] == [(h.chunk, round(h.score, 5)) for h in b]


def test_load_rejects_other_embedder(index: Index, tmp_path: Path) -> None:
    d = index.save(tmp_path / "idx")
    with pytest.raises(IndexError_, match="built with embedder"):
        Index.load(d, HashingEmbedder(dim=32))


@pytest.mark.parametrize("damage", ["truncate", "flip", "delete", "manifest"])
def test_load_rejects_damaged_files(index: Index, tmp_path: Path, damage: str) -> None:
    d = index.save(tmp_path / "idx")
    vec = d / "vectors.npy"
    if damage == "truncate":
        data = vec.read_bytes()
        vec.write_bytes(data[: len(data) // 2])
        match = "truncated"
    elif damage == "flip":
        data = bytearray(vec.read_bytes())
        data[-5] ^= 0xFF
        vec.write_bytes(bytes(data))
        match = "checksum"
    elif damage == "delete":
        (d / "chunks.jsonl").unlink()
        match = "missing"
    else:
        (d / "manifest.json").write_text("{not json", encoding="utf-8")
        match = "manifest"
    with pytest.raises(IndexError_, match=match):
        Index.load(d, HashingEmbedder())


@pytest.mark.parametrize("how", ["lost entry", "unlisted file", "lost bm25 entry"])
def test_manifest_must_list_every_file(index: Index, tmp_path: Path, how: str) -> None:
    d = index.save(tmp_path / "idx")
    m = json.loads((d / "manifest.json").read_text(encoding="utf-8"))
    if how == "lost entry":
        del m["files"]["vectors.npy"]
    elif how == "lost bm25 entry":
        del m["files"][next(k for k in m["files"] if k.startswith("bm25/") and k != "bm25/lexical.json")]
    else:
        (d / "bm25" / "extra.npy").write_bytes(b"x")
    (d / "manifest.json").write_text(json.dumps(m), encoding="utf-8")
    for verify in (True, False):
        with pytest.raises(IndexError_, match="no entry for"):
            Index.load(d, HashingEmbedder(), verify=verify)


@pytest.mark.parametrize("damage", ["same size", "other shape"])
def test_no_verify_still_detects_damaged_vectors(index: Index, tmp_path: Path, damage: str) -> None:
    d = index.save(tmp_path / "idx")
    vec = d / "vectors.npy"
    v = np.load(vec)
    if damage == "same size":  # garbage of the same size: only the content tells
        data = bytearray(vec.read_bytes())
        data[len(data) // 2 : len(data) // 2 + 64] = bytes(64)
        vec.write_bytes(bytes(data))
        match = "content differs"
    else:  # a vectors file of another shape, with the manifest's size and checksum updated
        np.save(vec, v.reshape(v.shape[0] * 2, v.shape[1] // 2))
        m = json.loads((d / "manifest.json").read_text(encoding="utf-8"))
        from regioqa.io import file_sha256, file_signature

        m["files"]["vectors.npy"].update(bytes=vec.stat().st_size, sha256=file_sha256(vec),
                                         signature=file_signature(vec, samples=64))
        (d / "manifest.json").write_text(json.dumps(m), encoding="utf-8")
        match = "shape"
    with pytest.raises(IndexError_, match=match):
        Index.load(d, HashingEmbedder(), verify=False)


def test_large_vectors_signature_samples_the_middle(tmp_path: Path) -> None:
    from regioqa.io import file_signature

    p = tmp_path / "v.bin"
    data = bytearray(np.random.default_rng(0).integers(0, 256, 8 << 20, dtype=np.uint8).tobytes())
    p.write_bytes(bytes(data))
    before = file_signature(p, samples=64)
    data[(1 << 20) + (6 << 20) * 32 // 65 + 100] ^= 0xFF  # inside the 32nd sampled block
    p.write_bytes(bytes(data))
    assert file_signature(p, samples=64) != before
    assert file_signature(p) == file_signature(p, samples=0)  # the default is unchanged


def test_load_missing_dir(tmp_path: Path) -> None:
    with pytest.raises(IndexError_, match="no index"):
        Index.load(tmp_path / "nothing")


def test_save_refuses_foreign_directory(index: Index, tmp_path: Path) -> None:
    d = tmp_path / "mine"
    d.mkdir()
    (d / "notes.txt").write_text("keep me")
    with pytest.raises(IndexError_, match="not a regioqa index"):
        index.save(d)
    assert (d / "notes.txt").read_text() == "keep me"


def test_incremental_rebuild_embeds_only_changed(articles: list[Article], tmp_path: Path) -> None:
    d = tmp_path / "idx"
    emb = CountingEmbedder()
    first = Index.build(articles, emb, show_progress=False)
    first.save(d)
    assert emb.passages == len(first.chunks)

    changed = Article(
        articles[2].id, articles[2].title, articles[2].text + "\n甘肃新增一条消息，数字为12345。"
    )
    extra = Article("new-1", "新文章", "这是一篇新的文章。内容关于内蒙古乳业。")
    new_set = [articles[0], changed, extra]
    emb2 = CountingEmbedder()
    from regioqa.text import Chunker

    chunked: list[str] = []

    class RecordingChunker(Chunker):
        def run(self, article: Article):  # type: ignore[override]
            chunked.append(article.id)
            return super().run(article)

    chunker = RecordingChunker(Config().chunk, count_tokens=emb2.count_tokens)
    second = Index.build(new_set, emb2, previous=d, chunker=chunker, show_progress=False)
    assert sorted(chunked) == sorted([changed.id, extra.id])  # unchanged articles keep their chunks
    assert [c for c in second.chunks if c.article_id == articles[0].id] == [
        c for c in first.chunks if c.article_id == articles[0].id
    ]
    s = second.build_stats
    assert s is not None
    assert (s.new, s.changed, s.unchanged, s.removed) == (1, 1, 1, 1)
    # only chunks whose text is not in the previous index were embedded
    old_texts = {c.text for c in first.chunks}
    expect = sum(1 for c in second.chunks if c.text not in old_texts)
    assert 0 < emb2.passages == s.embedded == expect < len(second.chunks)
    assert s.reused == len(second.chunks) - expect
    full = Index.build(new_set, HashingEmbedder(), show_progress=False)
    np.testing.assert_allclose(second.dense.vectors, full.dense.vectors, atol=1e-6)

    # a different embedder reuses nothing
    emb3 = CountingEmbedder(salt="other")
    third = Index.build(new_set, emb3, previous=d, show_progress=False)
    assert third.build_stats is not None and third.build_stats.reused == 0
    assert emb3.passages == len(third.chunks)


def test_crash_mid_save_keeps_previous_index(
    index: Index, articles: list[Article], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    d = index.save(tmp_path / "idx")
    before = [h.chunk.chunk_id for h in Index.load(d, HashingEmbedder()).search("甘肃", k=3)]
    other = Index.build(articles[:1], HashingEmbedder(), show_progress=False)

    def boom(self: LexicalIndex, directory: object) -> None:
        raise OSError("disk full (simulated)")

    monkeypatch.setattr(LexicalIndex, "save", boom)
    with pytest.raises(OSError, match="simulated"):
        other.save(d)
    monkeypatch.undo()
    assert sorted(p.name for p in tmp_path.iterdir()) == [".idx.lock", "idx"]  # the lock file stays
    again = Index.load(d, HashingEmbedder())
    assert len(again.articles) == 3
    assert [h.chunk.chunk_id for h in again.search("甘肃", k=3)] == before


def test_crash_between_renames_is_recovered(index: Index, tmp_path: Path) -> None:
    d = index.save(tmp_path / "idx")
    os.rename(d, tmp_path / ".idx.old-1-2")  # state right after the first rename of a swap
    loaded = Index.load(d, HashingEmbedder())
    assert len(loaded.chunks) == len(index.chunks)
    assert d.is_dir()


def test_replacing_an_index(index: Index, articles: list[Article], tmp_path: Path) -> None:
    d = index.save(tmp_path / "idx")
    Index.build(articles[:1], HashingEmbedder(), show_progress=False).save(d)
    assert len(Index.load(d, HashingEmbedder()).articles) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == [".idx.lock", "idx"]  # the lock file stays


def test_build_bad_input() -> None:
    with pytest.raises(InputError, match="no articles"):
        Index.build([], HashingEmbedder(), show_progress=False)
    with pytest.raises(InputError, match="duplicate"):
        Index.build(
            [Article("x", "t", "一。"), Article("x", "t", "二。")], HashingEmbedder(), show_progress=False
        )
    with pytest.raises(InputError, match="nothing to index"):
        Index.build([Article("x", "t", "")], HashingEmbedder(), show_progress=False)


def test_ann_index_persists(articles: list[Article], tmp_path: Path) -> None:
    cfg = Config().override({"retrieve.dense_index": "hnsw", "retrieve.hnsw_ef_search": 64})
    idx = Index.build(articles, HashingEmbedder(), cfg, show_progress=False)
    assert idx.dense.kind == "hnsw"
    d = idx.save(tmp_path / "idx")
    assert (d / "dense.faiss").exists()
    loaded = Index.load(d, HashingEmbedder(), cfg)
    assert loaded.dense.kind == "hnsw" and loaded.dense.index.hnsw.efSearch == 64
    tuned = Index.load(d, HashingEmbedder(), cfg.override({"retrieve.hnsw_ef_search": 200}))
    assert tuned.dense.index.hnsw.efSearch == 200
    ivf = Index.build(
        articles, HashingEmbedder(), cfg.override({"retrieve.dense_index": "ivf"}), show_progress=False
    )
    d2 = ivf.save(tmp_path / "ivf")
    assert Index.load(d2, HashingEmbedder(), cfg.override({"retrieve.ivf_nprobe": 3})).dense.index.nprobe == 3
    a = [h.chunk.chunk_id for h in idx.search("乳业创新", k=5, mode="dense")]
    assert a == [h.chunk.chunk_id for h in loaded.search("乳业创新", k=5, mode="dense")]


# ---------------------------------------------------------------- CLI


def test_cli_search_json_bm25(index: Index, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from regioqa.cli import app

    d = index.save(tmp_path / "idx")
    runner = CliRunner()
    res = runner.invoke(
        app, ["search", "乳业技术创新中心", "--index", str(d), "-k", "3", "--mode", "bm25", "--json"]
    )
    assert res.exit_code == 0, res.output
    rows = json.loads(res.stdout)
    assert len(rows) == 3 and rows[0]["rank"] == 1 and rows[0]["retriever"] == "bm25"
    assert "乳业" in rows[0]["chunk"]["text"]
    assert [Hit.from_dict(r) for r in rows] == index.search("乳业技术创新中心", k=3, mode="bm25")
    res = runner.invoke(app, ["search", "乳业", "--index", str(d), "--mode", "bm25", "--no-verify"])
    assert res.exit_code == 0 and "1. [" in res.stdout
    res = runner.invoke(app, ["index", "info", str(d)])
    assert res.exit_code == 0 and json.loads(res.stdout)["counts"]["articles"] == 3


def test_cli_errors_are_one_line(tmp_path: Path) -> None:
    import subprocess
    import sys

    r = subprocess.run(
        [sys.executable, "-m", "regioqa.cli", "search", "x", "--index", str(tmp_path / "none")],
        capture_output=True,
        text=True,
    )
    if "No module named regioqa.cli.__main__" in r.stderr:
        r = subprocess.run(
            [
                sys.executable,
                "-c",
                "from regioqa.cli import main; main()",
                "search",
                "x",
                "--index",
                str(tmp_path / "none"),
            ],
            capture_output=True,
            text=True,
        )
    assert r.returncode == 2
    assert "no index" in r.stderr and "Traceback" not in r.stderr


# ---------------------------------------------------------------- real embedder


@pytest.fixture(scope="module")
def e5_index(request: pytest.FixtureRequest, articles: list[Article]) -> Index:
    e5_dir = request.getfixturevalue("e5_dir")
    from regioqa.embed import Embedder

    return Index.build(articles, Embedder(e5_dir), show_progress=False)


@pytest.mark.model
@pytest.mark.slow
def test_e5_chinese_and_english_questions(e5_index: Index) -> None:
    zh_gold = _chunk_with(e5_index, "吸纳了100多家成员单位")
    for mode in ("dense", "bm25", "hybrid"):
        hits = e5_index.search("国家乳业技术创新中心吸纳了多少家成员单位？", k=5, mode=mode)
        assert zh_gold & {h.chunk.chunk_id for h in hits}, mode
    en = e5_index.search(
        "How many member units has the National Dairy Technology Innovation Center attracted?",
        k=5,
        mode="dense",
    )
    assert zh_gold & {h.chunk.chunk_id for h in en}
    assert all(h.article_id.endswith("-a1") for h in en[:2])


@pytest.mark.model
@pytest.mark.slow
def test_e5_index_reload_uses_recorded_model(e5_index: Index, tmp_path: Path) -> None:
    d = e5_index.save(tmp_path / "idx")
    loaded = Index.load(d)  # no embedder: the manifest's model is loaded lazily and checked
    a = [h.chunk.chunk_id for h in e5_index.search("甘肃科技合作", k=5)]
    assert a == [h.chunk.chunk_id for h in loaded.search("甘肃科技合作", k=5)]
    shutil.rmtree(d)


@pytest.mark.model
@pytest.mark.slow
@pytest.mark.parametrize(("backend", "dtype"), [("torch", "float32"), ("torch", "bfloat16")])
def test_index_built_otherwise_is_queried_the_same_way(
    request: pytest.FixtureRequest, articles: list[Article], tmp_path: Path, backend: str, dtype: str
) -> None:
    """An index built with another backend or precision than the default (OpenVINO, "auto"): indexes from
    before OpenVINO or bf16 became the default, or built on a CPU without bf16, loads under the default
    and is queried as it was built; an explicit other precision is refused with a message naming it."""
    from regioqa.config import Config, EmbedConfig
    from regioqa.embed import Embedder

    e5_dir = request.getfixturevalue("e5_dir")
    emb = Embedder(e5_dir, EmbedConfig(dtype=dtype, backend=backend))
    built = Index.build(articles[:1], emb, show_progress=False)
    d = built.save(tmp_path / "old")
    loaded = Index.load(d)
    assert loaded.search("乳业创新中心", k=3, mode="dense")
    assert (loaded.embedder.dtype, loaded.embedder.backend) == (dtype, backend)
    strict = Config().override({"embed.dtype": "float16" if dtype == "bfloat16" else "bfloat16"})
    with pytest.raises(IndexError_, match="embed.dtype"):
        Index.load(d, config=strict).search("乳业创新中心", k=3, mode="dense")
