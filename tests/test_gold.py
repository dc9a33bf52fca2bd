"""The gold set: sizes and mix, offsets against the built corpus, labels, and the build script."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from regioqa.corpus import read_articles_jsonl
from regioqa.errors import InputError
from regioqa.evals import gold as G
from regioqa.evals.metrics import fact_coverage, has_cjk, number_consistency
from regioqa.paths import GOLD_DIR
from regioqa.text import Chunker

REPO = Path(__file__).resolve().parents[1]
BUILD_DIR = REPO / "evals" / "gold"  # build.py and the hand-written sources; the built set is GOLD_DIR


@pytest.fixture(scope="module")
def gold() -> G.Gold:
    return G.load_gold()


@pytest.fixture(scope="module")
def articles() -> dict:
    return {a.id: a for a in read_articles_jsonl(REPO / "corpus" / "articles.jsonl")}


def test_sizes_and_mix(gold):
    qa = gold.qa
    langs = Counter(q.lang for q in qa)
    assert len(qa) >= 64 and langs["zh"] >= 42 and langs["en"] >= 22
    assert sum(not q.answerable for q in qa) >= 10
    assert {"number", "name", "organisation", "place", "date", "reason"} <= {q.type for q in qa}
    assert len(gold.translations) >= 40 and len(gold.summaries) == 3


def test_ids_are_unique_and_cover_the_three_articles(gold):
    assert len({q.id for q in gold.qa}) == len(gold.qa)
    assert {q.article_id for q in gold.qa} == {f"000_925fbcf3af44d05b-a{k}" for k in (1, 2, 3)}


def test_question_language_matches_its_script(gold):
    wrong = [q.id for q in gold.qa if has_cjk(q.question) != (q.lang == "zh")]
    assert wrong == []


def test_the_packaged_corpus_is_the_checkout_corpus():
    """The gold set ships the corpus its offsets index into (for an installed wheel); same bytes."""
    assert (GOLD_DIR / "articles.jsonl").read_bytes() == (REPO / "corpus" / "articles.jsonl").read_bytes()


def test_every_answer_span_matches_the_corpus(gold, articles):
    for q in gold.qa:
        if not q.answerable:
            assert q.start is None and q.end is None and q.answers == [] and q.answer == "", q.id
            continue
        text = articles[q.article_id].text
        assert text[q.start:q.end] == q.answer, q.id
        assert q.answers[0] == q.answer and len(q.answer) <= 40, q.id
        assert q.context and q.answer in q.context and text.count(q.context) == 1, q.id
    assert G.verify(gold, articles) == []


def test_verify_reports_a_shifted_corpus(gold, articles):
    art = articles["000_925fbcf3af44d05b-a1"]
    shifted = dict(articles)
    shifted[art.id] = type(art)(id=art.id, title=art.title, text="X" + art.text)
    problems = G.verify(gold, shifted)
    assert problems and any("text[" in p for p in problems)


def test_paragraph_labels_hold_the_answer(gold, articles):
    for q in gold.qa:
        if not q.answerable:
            continue
        paras = articles[q.article_id].paragraphs
        assert q.paragraphs, q.id
        for i in q.paragraphs:
            assert paras[i].start < q.end and q.start < paras[i].end, q.id
        assert any(paras[i].start <= q.start and q.end <= paras[i].end for i in q.paragraphs), q.id


@pytest.mark.parametrize("max_tokens", [64, 256])
def test_chunk_labels_derive_from_offsets(gold, articles, max_tokens):
    from regioqa.config import ChunkConfig

    chunker = Chunker(ChunkConfig(max_tokens=max_tokens))
    chunks = [c for a in articles.values() for c in chunker.run(a)]
    for q in gold.qa:
        labels = G.answer_chunks(q, chunks)
        if not q.answerable:
            assert labels == set()
            continue
        assert labels, q.id
        mine = [c for c in chunks if c.article_id == q.article_id]
        whole = {c.chunk_id for c in mine if c.start <= q.start and q.end <= c.end}
        overlap = {c.chunk_id for c in mine if c.start < q.end and q.start < c.end}
        # chunks holding the whole answer; only when a split sentence cuts it, the chunks sharing part of it
        assert labels == (whole or overlap), q.id


def test_translations_are_corpus_sentences_with_consistent_numbers(gold, articles):
    for t in gold.translations:
        assert articles[t.article_id].text[t.start:t.end] == t.zh, t.id
        assert t.en.strip() and not has_cjk(t.en), t.id
    # the references themselves pass the number-consistency check the translator is held to
    res = number_consistency([(t.zh, t.en) for t in gold.translations])
    assert res["rate"] == 1.0, res["failures"]


def test_summaries_have_3_to_5_sentences_and_cover_their_own_facts(gold, articles):
    for s in gold.summaries:
        assert s.article_id in articles and s.title == articles[s.article_id].title
        n_sent = len(re.findall(r"[.!?](?:\s|$)", s.summary))
        assert 3 <= n_sent <= 5, (s.id, n_sent)
        assert len(s.facts) >= 5
        cov, hits = fact_coverage(s.summary, s.facts)
        assert cov == 1.0, [f["fact"] for f, h in zip(s.facts, hits, strict=True) if not h]


def test_built_files_are_up_to_date(tmp_path):
    """Rebuilding from the sources gives exactly the committed files (offsets are never hand-edited)."""
    r = subprocess.run([sys.executable, str(BUILD_DIR / "build.py"), "--out", str(tmp_path)],
                       capture_output=True, text=True, cwd=REPO)
    assert r.returncode == 0, r.stderr
    for name in ("qa.jsonl", "translations.jsonl", "summaries.jsonl", "qa_squad.json", "manifest.json",
                 "articles.jsonl"):
        built, committed = (tmp_path / name).read_text("utf-8"), (GOLD_DIR / name).read_text("utf-8")
        assert built == committed, f"{name} is stale: run python evals/gold/build.py"


def test_build_rejects_an_ambiguous_or_wrong_snippet(tmp_path):
    sys.path.insert(0, str(BUILD_DIR))
    try:
        import build as gold_build
    finally:
        sys.path.remove(str(BUILD_DIR))
    src = tmp_path / "src"
    shutil.copytree(BUILD_DIR / "source", src)
    lines = (src / "qa.jsonl").read_text(encoding="utf-8").splitlines()
    rec = json.loads(lines[0])
    rec["context"] = "呼和浩特"  # occurs many times
    (src / "qa.jsonl").write_text("\n".join([json.dumps(rec, ensure_ascii=False)] + lines[1:]) + "\n",
                                  encoding="utf-8")
    with pytest.raises(InputError, match=r"qa.jsonl:1 .*occurs \d+ times"):
        gold_build.build(REPO / "corpus" / "articles.jsonl", tmp_path / "out", src)
    rec["context"], rec["answer"] = "科技创新发展指数排名第30位", "第31位"
    (src / "qa.jsonl").write_text("\n".join([json.dumps(rec, ensure_ascii=False)] + lines[1:]) + "\n",
                                  encoding="utf-8")
    with pytest.raises(InputError, match="not inside its context"):
        gold_build.build(REPO / "corpus" / "articles.jsonl", tmp_path / "out", src)


def test_squad_view_matches_items(gold, articles):
    from regioqa.evals.squad import read_squad

    contexts, qs = read_squad(GOLD_DIR / "qa_squad.json")
    assert len(qs) == len(gold.qa)
    by_id = {q.id: q for q in gold.qa}
    for q in qs:
        g = by_id[q.id]
        assert q.answerable == g.answerable
        assert contexts[q.context_index] == articles[g.article_id].text
        assert q.answers == ([g.answer] if g.answerable else [])


def test_loadable_with_datasets(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_DATASETS_CACHE", str(tmp_path))
    ds = G.as_dataset("qa")
    assert len(ds) == len(G.load_qa())
    row = ds[0]
    assert set(row) >= {"id", "question", "article_id", "start", "end", "answers", "paragraphs"}
    tr = G.as_dataset("translations")
    assert tr[0]["zh"] == G.load_translations()[0].zh
    assert G.as_dataset("summaries")[0]["facts"][0]["keys"]
    with pytest.raises(InputError, match="unknown gold part"):
        G.as_dataset("nope")


def test_missing_or_broken_gold_dir_gives_clear_errors(tmp_path):
    with pytest.raises(InputError, match="build.py"):
        G.load_qa(tmp_path)
    (tmp_path / "qa.jsonl").write_text('{"id": "x"}\n{broken\n', encoding="utf-8")
    with pytest.raises(InputError, match=r"qa.jsonl:2"):
        G.load_qa(tmp_path)


def test_the_shipped_articles_match_every_gold_offset(gold):
    assert G.verify(gold, G.load_articles()) == []
