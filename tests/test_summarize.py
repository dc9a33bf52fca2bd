"""Summaries: extractive selection, translation with offsets and number checks, digest, batch, CLI."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from regioqa.config import Config, SummarizeConfig
from regioqa.errors import InputError
from regioqa.io import read_jsonl_tolerant
from regioqa.summarize import (
    Summarizer,
    mmr_select,
    render_markdown,
    summarize_corpus,
)
from regioqa.testing import build_tiny_marian
from regioqa.types import Article, Summary

HAN = re.compile(r"[\u3400-\u9fff]")


@pytest.fixture(scope="module")
def articles(page_path: Path) -> list[Article]:
    from regioqa.corpus import load_articles

    arts = load_articles(page_path)
    assert len(arts) == 3
    return arts


@pytest.fixture(scope="module")
def summarizer() -> Summarizer:
    return Summarizer()


def test_seed_corpus_summaries(articles: list[Article], summarizer: Summarizer) -> None:
    cfg = summarizer.config
    for a, s in zip(articles, summarizer.run_batch(articles), strict=True):
        assert s.error is None and s.article_id == a.id and s.method == "extractive+lexical"
        assert 1 <= len(s.sentences) <= cfg.max_sentences
        assert sum(len(x.zh) for x in s.sentences) <= cfg.max_chars
        starts = [x.start for x in s.sentences]
        assert starts == sorted(starts)  # article order
        for x in s.sentences:
            assert a.text[x.start:x.end] == x.zh  # offsets point at the Chinese source sentence
            assert x.en and not HAN.search(x.en)
            assert x.numbers_ok
        assert s.title_en and not HAN.search(s.title_en)
        assert s.text_en == " ".join(x.en for x in s.sentences)
    assert "Hohhot" in summarizer.run(articles[0]).title_en


def test_full_lead_bias_picks_the_first_sentences(articles: list[Article]) -> None:
    from regioqa.text import sentences

    a = articles[0]
    lead = Summarizer(config=SummarizeConfig(lead_bias=1.0, mmr_lambda=1.0, max_sentences=2,
                                             max_chars=10_000))
    s = lead.run(a)
    first = [x for x in sentences(a) if len(x.text) >= 8][:2]
    assert [x.start for x in s.sentences] == [x.start for x in first]


def test_character_budget_caps_the_summary(articles: list[Article]) -> None:
    tight = Summarizer(config=SummarizeConfig(max_sentences=10, max_chars=120)).run(articles[0])
    assert len(tight.sentences) >= 2 and sum(len(x.zh) for x in tight.sentences) <= 120


def test_first_sentence_is_kept_even_over_the_budget(articles: list[Article]) -> None:
    s = Summarizer(config=SummarizeConfig(max_sentences=10, max_chars=30)).run(articles[0])
    assert len(s.sentences) == 1 and len(s.sentences[0].zh) > 30


def test_redundancy_removed() -> None:
    dup = "国家乳业技术创新中心吸纳了100多家成员单位。"
    rest = "甘肃省马铃薯播种面积达862万亩。今天天气很好。"
    a = Article(id="d", title="国家乳业技术创新中心", text=dup * 3 + rest)
    s = Summarizer(config=SummarizeConfig(max_sentences=3)).run(a)
    zh = [x.zh for x in s.sentences]
    assert zh.count(dup) == 1 and len(zh) >= 2


def test_mmr_prefers_diverse_items() -> None:
    sims = np.array([[1, 0.95, 0], [0.95, 1, 0], [0, 0, 1]], dtype=np.float32)
    assert mmr_select(np.array([1.0, 0.99, 0.5]), sims, [5, 5, 5], 2, 100, 0.5) == [0, 2]
    assert mmr_select(np.array([1.0, 0.99, 0.5]), sims, [5, 5, 5], 3, 100, 1.0) == [0, 2]  # 1 is a dup
    eye = np.eye(3, dtype=np.float32)
    assert mmr_select(np.array([1.0, 0.99, 0.5]), eye, [50, 5, 60], 3, 60, 1.0) == [0, 1]  # budget


class CountingEmbedder:
    """Bigram-hash stand-in for e5 that records how it is called."""

    def __init__(self) -> None:
        self.batches: list[int] = []

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        from regioqa.summarize import _bigram_vectors

        self.batches.append(len(texts))
        return _bigram_vectors(texts)


def test_injected_embedder_is_used(articles: list[Article]) -> None:
    emb = CountingEmbedder()
    s = Summarizer(embedder=emb).run(articles[2])
    assert s.error is None and emb.batches and emb.batches[0] > 5


def test_bad_articles_become_errors(summarizer: Summarizer, articles: list[Article]) -> None:
    bad = [Article(id="e", title="空", text="   "), Article(id="en", title="x", text="Only English here."),
           Article(id="long", title="长", text="很长的句子。" * 30_000)]
    out = summarizer.run_batch(bad + [articles[1]])
    assert [s.error is not None for s in out] == [True, True, True, False]
    assert out[0].error == "empty article" and out[1].error == "no Chinese text"
    assert out[2].error.startswith("too long") and out[3].sentences


def test_config_validation() -> None:
    with pytest.raises(InputError, match="max_sentences"):
        Summarizer(config=SummarizeConfig(max_sentences=0))
    with pytest.raises(InputError, match="lead_bias"):
        Summarizer(config=Config().override({"summarize.lead_bias": 1.5}))


def test_digest(articles: list[Article], summarizer: Summarizer) -> None:
    sums = summarizer.run_batch(articles)
    d, src = summarizer.digest_with_sources(summaries=sums)
    assert d.article_id == "*" and d.error is None and d.method.startswith("digest:")
    assert 1 <= len(d.sentences) <= summarizer.config.digest_sentences
    assert len(src) == len(d.sentences) and len(set(src)) == len(src)  # at most one per article
    by_id = {a.id: a for a in articles}
    for x, aid in zip(d.sentences, src, strict=True):
        assert by_id[aid].text[x.start:x.end] == x.zh
    assert summarizer.digest(articles).text_en == d.text_en
    empty = summarizer.digest([Article(id="e", title="", text="")])
    assert empty.error and not empty.sentences


def test_record_roundtrip_and_markdown(articles: list[Article], summarizer: Summarizer) -> None:
    sums = summarizer.run_batch(articles[:2] + [Article(id="bad", title="坏", text="")])
    recs = [s.to_dict() for s in sums]
    assert [Summary.from_dict(r) for r in recs] == sums
    assert recs[2] == {"id": "bad", "title": "坏", "error": "empty article"}
    d, src = summarizer.digest_with_sources(summaries=sums)
    md = render_markdown(sums, d, src)
    assert "## Digest" in md and "## Failed articles" in md and "lexical" in md
    assert md.count("| 1 |") == 2 and f"`{articles[0].id}`" in md


def test_batch_resumes_and_records_errors(articles: list[Article], summarizer: Summarizer,
                                          tmp_path: Path) -> None:
    out = tmp_path / "s.jsonl"
    corpus = articles + [Article(id="empty", title="空", text=""), articles[0]]  # a duplicate id too
    rep = summarize_corpus(corpus[:2], out, summarizer, batch_size=1, progress=False)
    assert (rep.done, rep.errors, rep.skipped) == (2, 0, 0)
    # simulate a crash mid-write: a partial last line
    with open(out, "a", encoding="utf-8") as f:
        f.write('{"id": "000_925fbcf3af44d05b-a3", "tit')
    rep = summarize_corpus(corpus, out, summarizer, batch_size=2, progress=False)
    assert (rep.done, rep.errors, rep.skipped) == (2, 1, 3)
    assert rep.error_reasons == {"empty": "empty article"}
    recs = read_jsonl_tolerant(out)
    assert [r["id"] for r in recs] == [a.id for a in articles] + ["empty"]
    assert all(r["error"] is None and r["sentences"] and r["numbers_ok"] for r in recs[:3])
    assert all(out.read_text(encoding="utf-8").splitlines())  # no broken line left
    # a rerun retries the error record (only it), and every id stays in the file exactly once
    rep = summarize_corpus(corpus, out, summarizer, progress=False)
    assert (rep.done, rep.retried, rep.errors, rep.skipped) == (1, 1, 1, len(corpus) - 1)
    assert "1 retried" in str(rep)
    assert sorted(r["id"] for r in read_jsonl_tolerant(out)) == sorted([a.id for a in articles] + ["empty"])


def test_cli_summarize_and_translate(page_path: Path, tmp_path: Path) -> None:
    from regioqa.cli import app

    runner = CliRunner()
    out = tmp_path / "s.jsonl"
    r = runner.invoke(app, ["summarize", str(page_path), "--out", str(out), "--similarity", "lexical",
                            "--no-progress"])
    assert r.exit_code == 0, r.output
    recs = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    keys = {"id", "title", "title_en", "summary_en", "sentences"}
    assert len(recs) == 3 and all(set(x) >= keys for x in recs)
    md = tmp_path / "d.md"
    r = runner.invoke(app, ["summarize", str(page_path), "--out", str(md), "--format", "md",
                            "--similarity", "lexical", "--no-progress"])
    assert r.exit_code == 0, r.output
    assert md.read_text(encoding="utf-8").startswith("# English summaries")
    r = runner.invoke(app, ["translate", "呼和浩特市科技创新发展指数排名第30位。", "--json"])
    assert r.exit_code == 0, r.output
    rec = json.loads(r.stdout[r.stdout.index("{"):r.stdout.rindex("}") + 1])
    assert rec["numbers_ok"] and "30th" in rec["en"] and rec["lexical"] is True
    src = tmp_path / "in.txt"
    src.write_text("第一行有14吨。\n\n第二行有50%。\n", encoding="utf-8")
    r = runner.invoke(app, ["translate", "--file", str(src)])
    assert r.exit_code == 0 and "14 tonnes" in r.stdout and "50%" in r.stdout
    r = runner.invoke(app, ["translate"])
    assert isinstance(r.exception, InputError)
    r = runner.invoke(app, ["summarize", str(page_path), "--out", str(out), "--format", "pdf"])
    assert isinstance(r.exception, InputError) and "--format" in str(r.exception)


def test_cli_summarize_takes_the_format_from_the_out_suffix(page_path: Path, tmp_path: Path) -> None:
    from regioqa.cli import app

    page = tmp_path / "digest.html"
    r = CliRunner().invoke(app, ["summarize", str(page_path), "--out", str(page), "--similarity", "lexical",
                                 "--no-progress"])
    assert r.exit_code == 0, r.output
    assert page.read_text(encoding="utf-8").lstrip().lower().startswith("<!doctype html")
    assert (tmp_path / "digest.html.jsonl").is_file()  # the records beside it, as with --format html


@pytest.mark.model
def test_abstractive_model_plugs_in(articles: list[Article], page_path: Path,
                                    tmp_path_factory: pytest.TempPathFactory) -> None:
    d = build_tiny_marian(page_path, tmp_path_factory.mktemp("abs"))
    cfg = Config().override({"summarize.abstractive_model": str(d), "translate.max_new_tokens": 6,
                             "translate.model": "lexical"})
    s = Summarizer(config=cfg).run(articles[0])
    assert s.error is None and s.method == f"extractive+abstractive:{d.name}"
    assert len(s.sentences) == 1 and s.sentences[0].en and not HAN.search(s.sentences[0].en)
    x = s.sentences[0]
    assert articles[0].text[x.start:x.end].startswith(x.zh[:10])
