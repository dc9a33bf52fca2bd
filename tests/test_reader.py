"""Reader tests: a tiny random BertForQuestionAnswering and a WordPiece tokenizer trained on the spot
(no files, no hub), plus ``model``-marked tests of the trained offline reader."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from regioqa.config import ReaderConfig
from regioqa.errors import InputError, ModelNotFoundError
from regioqa.reader import Reader
from regioqa.spans import best_spans, trim_span
from regioqa.testing import READER_TEXT as TEXT
from regioqa.testing import tiny_reader_dir
from regioqa.types import Article, Chunk, Component, Hit


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tiny_reader_dir(tmp_path_factory.mktemp("tiny-reader"))


@pytest.fixture()
def article() -> Article:
    return Article(id="a1", title="科技新闻", text=TEXT)


def _hits(article: Article, spans: list[tuple[int, int]]) -> list[Hit]:
    return [Hit(chunk=Chunk(article.id, f"{article.id}#{i}", i, s, e, article.text[s:e]), score=1.0,
                retriever="bm25", rank=i + 1) for i, (s, e) in enumerate(spans)]


def _reader(tiny: Path, **kw: object) -> Reader:
    cfg = ReaderConfig(max_seq_len=48, stride=12, max_answer_len=16, top_k=3, no_answer_threshold=-1e9,
                       dtype="float32")
    for k, v in kw.items():
        setattr(cfg, k, v)
    return Reader(tiny, cfg)


# ---------------------------------------------------------------- span scoring (no model)
def test_best_spans_scores_against_the_null_and_respects_limits() -> None:
    s = np.array([3.0, 0.0, 1.0, 9.0, 2.0])
    e = np.array([1.0, 8.0, 2.0, 0.0, 5.0])
    offs = [None, None, (0, 2), (2, 3), (3, 9)]  # token 1 is question: never part of an answer
    got = best_spans(s, e, offs, max_answer_chars=100, top_n=10)
    assert got[0] == (9.0 + 5.0 - 4.0, 2, 9)
    assert all(a < b for _, a, b in got)
    assert [g[0] for g in got] == sorted((g[0] for g in got), reverse=True)
    # the 7-character span is now too long: best is token 3 alone or token 4 alone
    short = best_spans(s, e, offs, max_answer_chars=6, top_n=1)
    assert short[0][1:] in {(2, 3), (3, 9)} and short[0][2] - short[0][1] <= 6
    assert best_spans(s, e, [None] * 5, 10) == []


def test_answer_cap_is_longer_for_why_and_how_questions() -> None:
    r = Reader("unused", ReaderConfig(max_answer_len=30, max_answer_len_open=80))
    assert r.answer_cap("国家乳业技术创新中心有多少家成员单位？") == 30
    assert r.answer_cap("为什么要建立三维联动孵化机制？") == 80
    assert r.answer_cap("放线菌酮是怎样阻碍转译过程的？") == 80
    assert r.answer_cap("Why did Hohhot set up the mechanism?") == 80
    assert r.answer_cap("How many brokers did Hohhot train?") == 30  # a quantity, not a clause
    short_open = ReaderConfig(max_answer_len=50, max_answer_len_open=20)
    assert Reader("unused", short_open).answer_cap("为什么？") == 50  # never below the general cap


def test_trim_span_drops_whitespace_and_punctuation() -> None:
    t = " ，八个。 "
    a, b = trim_span(t, 0, len(t))
    assert t[a:b] == "八个"
    assert trim_span("。。", 0, 2)[0] == trim_span("。。", 0, 2)[1]


# ---------------------------------------------------------------- with a tiny random model
def test_windows_cover_the_chunk_with_overlap_and_article_offsets(tiny: Path, article: Article) -> None:
    r = _reader(tiny)
    start, end = 30, 200
    from regioqa.reader import _Passage

    ws = r.windows([_Passage("新建实验室多少个？", article.text[start:end], start, "a1", "", None)])
    assert len(ws) > 2
    covered: set[int] = set()
    prev_last = -1
    for w in ws:
        assert len(w.input_ids) <= 48
        spans = [o for o in w.offsets if o is not None]
        assert spans and all(start <= a < b <= end for a, b in spans)
        assert prev_last < 0 or spans[0][0] < prev_last, "consecutive windows overlap"
        prev_last = spans[-1][1]
        for a, b in spans:
            covered.update(range(a, b))
    assert covered >= {i for i in range(start, end) if not article.text[i].isspace()}


def test_a_passage_that_fits_whole_is_one_window_and_a_longer_one_is_cut(tiny: Path, article: Article
                                                                        ) -> None:
    from regioqa.reader import _Passage

    q = "新建实验室多少个？"
    short, long = article.text[30:90], article.text[0:400]
    cut = _reader(tiny).windows([_Passage(q, short, 30, "a1", "", None)])
    assert len(cut) > 1  # 48-token windows
    r = _reader(tiny, whole_passage_len=160)
    ws = r.windows([_Passage(q, long, 0, "a1", "", None), _Passage(q, short, 30, "a1", "", None)])
    one = [w for w in ws if w.passage == 1]
    assert len(one) == 1 and 48 < len(one[0].input_ids) <= 160
    spans = [o for o in one[0].offsets if o is not None]
    assert spans[0][0] == 30 and spans[-1][1] == 90 - (article.text[89].isspace())  # the whole passage
    many = [w for w in ws if w.passage == 0]
    assert len(many) > 3 and all(len(w.input_ids) <= 48 for w in many)  # too long: cut as trained
    assert [w.passage for w in ws] == sorted(w.passage for w in ws)
    with pytest.raises(InputError, match="whole_passage_len=300"):
        _reader(tiny, whole_passage_len=300).windows([_Passage(q, short, 30, "a1", "", None)])


def test_answers_index_the_original_article(tiny: Path, article: Article) -> None:
    r = _reader(tiny)
    hits = _hits(article, [(57, 150), (150, 260)])
    answers = r.run("全市研发经费支出达到多少？", hits, {article.id: article})
    assert 1 <= len(answers) <= 3
    for a in answers:
        assert not a.is_no_answer
        assert article.text[a.start:a.end] == a.text and a.text.strip() == a.text
        assert 57 <= a.start < a.end <= 260 and a.end - a.start <= 16
        assert a.article_id == "a1" and a.article_title == "科技新闻"
        assert a.chunk_id in {"a1#0", "a1#1"}
        assert a.sentence is not None and a.sentence.start <= a.start and a.end <= a.sentence.end
        assert article.text[a.sentence.start:a.sentence.end] == a.sentence.text
    assert [a.score for a in answers] == sorted((a.score for a in answers), reverse=True)
    assert len({(a.start, a.end) for a in answers}) == len(answers)


def test_scores_compare_across_passages(tiny: Path, article: Article) -> None:
    r = _reader(tiny, top_k=1)
    arts = {article.id: article}
    q = "甘肃省引进专家多少名？"
    h1, h2 = _hits(article, [(0, 120), (120, 300)])
    both = r.run(q, [h1, h2], arts)[0]
    alone = [r.run(q, [h], arts)[0] for h in (h1, h2)]
    best = max(alone, key=lambda a: a.score)
    assert (both.start, both.end) == (best.start, best.end)
    assert both.score == pytest.approx(best.score, abs=1e-4)


def test_batched_forward_matches_one_window_at_a_time(tiny: Path, article: Article) -> None:
    r = _reader(tiny)
    from regioqa.reader import _Passage

    ws = r.windows([_Passage("山西省培育多少家企业？", article.text[:300], 0, "a1", "", None)])
    assert len(ws) > 4 and len({len(w.input_ids) for w in ws}) > 1  # padding is exercised
    batched = r.forward(ws, batch_size=8)
    single = r.forward(ws, batch_size=1)
    for (s1, e1), (s2, e2) in zip(batched, single, strict=True):
        np.testing.assert_allclose(s1, s2, atol=1e-4)
        np.testing.assert_allclose(e1, e2, atol=1e-4)


def test_abstains_below_the_threshold(tiny: Path, article: Article) -> None:
    arts = {article.id: article}
    hits = _hits(article, [(0, 120)])
    answered = _reader(tiny).run("新建实验室多少个？", hits, arts)
    best = answered[0]
    assert best.no_answer_score is not None
    assert best.margin == pytest.approx(best.score - best.no_answer_score)
    q = "新建实验室多少个？"
    assert not _reader(tiny, no_answer_threshold=best.margin - 1e-3).run(q, hits, arts)[0].is_no_answer
    out = _reader(tiny, no_answer_threshold=best.margin + 1e-3).run(q, hits, arts)
    assert len(out) == 1 and out[0].is_no_answer and out[0].text == ""
    assert out[0].score == pytest.approx(best.score)
    assert out[0].no_answer_score == pytest.approx(best.no_answer_score)
    assert out[0].best_guess == best.text  # the span it would have given, for --json
    assert _reader(tiny).run("新建实验室多少个？", [], arts)[0].is_no_answer


def test_predict_offsets_are_into_each_context(tiny: Path) -> None:
    r = _reader(tiny)
    ctxs = [TEXT[:80], TEXT[40:200]]
    out = r.predict([("多少？", c) for c in ctxs])
    assert len(out) == 2
    for i, (a, c) in enumerate(zip(out, ctxs, strict=True)):
        assert a.article_id == f"ctx{i}" and c[a.start:a.end] == a.text and a.text


def test_bad_questions_are_clear_errors(tiny: Path, article: Article) -> None:
    r = _reader(tiny, max_question_chars=20)
    hits = _hits(article, [(0, 50)])
    with pytest.raises(InputError, match="empty question"):
        r.run("   ", hits, {article.id: article})
    with pytest.raises(InputError, match="limit is 20"):
        r.run("多" * 21, hits, {article.id: article})
    with pytest.raises(InputError, match="tokens; the limit is 24"):  # half of max_seq_len=48
        _reader(tiny).run("多 " * 40, hits, {article.id: article})


def test_chunk_not_matching_article_is_an_error(tiny: Path, article: Article) -> None:
    bad = Hit(chunk=Chunk("a1", "a1#0", 0, 0, 5, "不对的文本"), score=1.0, retriever="bm25", rank=1)
    with pytest.raises(InputError, match="does not match article a1"):
        _reader(tiny).run("多少？", [bad], {article.id: article})


def test_model_without_qa_head_or_missing_model(tmp_path: Path) -> None:
    bare = tiny_reader_dir(tmp_path, qa_head=False)
    with pytest.raises(InputError, match="no trained QA head"):
        Reader(bare).warm_up()
    with pytest.raises(ModelNotFoundError):
        Reader(tmp_path / "nowhere").warm_up()


# ---------------------------------------------------------------- the trained offline reader
@pytest.fixture(scope="session")
def trained_reader() -> Reader:
    from regioqa.registry import ensure

    return Reader(ensure("reader").path)


@pytest.mark.model
def test_trained_reader_answers_simple_chinese_questions(trained_reader: Reader) -> None:
    ctx = ("2023年，呼和浩特市全社会研发经费投入达到42.6亿元，同比增长15.3%。"
           "全市新认定高新技术企业312家，科技型中小企业入库数量达到1205家。"
           "内蒙古乳业技术创新中心由伊利集团牵头建设。")
    qs = [("2023年呼和浩特市研发经费投入达到多少？", "42.6亿元"),
          ("全市新认定高新技术企业多少家？", "312家"),
          ("内蒙古乳业技术创新中心由谁牵头建设？", "伊利集团")]
    out = trained_reader.predict(qs and [(q, ctx) for q, _ in qs])
    for (q, gold), a in zip(qs, out, strict=True):
        assert gold in a.text or a.text in gold and len(a.text) >= len(gold) - 1, (q, a.text)


@pytest.mark.model
def test_trained_reader_prefers_the_passage_with_the_answer(trained_reader: Reader) -> None:
    a1 = Article("x1", "山西", "山西省推进区域创新体系建设，全省培育国家级创新平台87个。太原是山西省会。")
    a2 = Article("x2", "甘肃", "甘肃省与40多个国家和地区开展科技合作，兰州大学参与其中。")
    hits = _hits(a1, [(0, len(a1.text))]) + _hits(a2, [(0, len(a2.text))])
    best = trained_reader.run("甘肃省与多少个国家和地区开展科技合作？", hits, {"x1": a1, "x2": a2})[0]
    assert best.article_id == "x2" and "40" in best.text


@pytest.mark.parametrize("backend", ["torch", "openvino"])
def test_bfloat16_reader_keeps_offsets_exact(tiny: Path, article: Article, backend: str) -> None:
    """reader.dtype=bfloat16 runs the model in bf16 and still maps spans back to exact offsets."""
    import torch

    arts = {article.id: article}
    hits = _hits(article, [(0, 120), (100, 260)])
    r = _reader(tiny, dtype="bfloat16", backend=backend)
    out = r.run("新建实验室多少个？", hits, arts)
    if backend == "torch":
        assert next(r.model.parameters()).dtype == torch.bfloat16
    else:
        assert r.model.dtype == "bfloat16"
    assert out and all(article.text[a.start:a.end] == a.text for a in out if not a.is_no_answer)
    with pytest.raises(InputError, match="reader.dtype"):
        Reader(tiny, ReaderConfig(dtype="int4"))


def test_rank_penalty_favours_higher_ranked_passages(tiny: Path, article: Article) -> None:
    """Without a penalty the best span may come from any hit; a large one keeps it in the first hit,
    whichever order the two hits come in; scores drop by the penalty per rank."""
    arts = {article.id: article}
    a, b = (0, 60), (60, 130)
    for first, second in ((a, b), (b, a)):
        hits = _hits(article, [first, second])
        top = _reader(tiny, rank_penalty=1e6).run("新建实验室多少个？", hits, arts)[0]
        assert first[0] <= top.start and top.end <= first[1]
    hits = _hits(article, [a, b])
    free = _reader(tiny, rank_penalty=0.0, top_k=10).run("新建实验室多少个？", hits, arts)
    pen = _reader(tiny, rank_penalty=2.5, top_k=10).run("新建实验室多少个？", hits, arts)
    by_span = {(x.start, x.end): x.score for x in free}
    for x in pen:
        if (x.start, x.end) in by_span:
            shift = 0.0 if x.end <= a[1] and x.start >= a[0] else 2.5
            assert x.score == pytest.approx(by_span[(x.start, x.end)] - shift, abs=1e-4)


def test_tuned_settings_come_from_the_model_config(tmp_path: Path, article: Article) -> None:
    """A model whose config carries regioqa_reader.no_answer_threshold / rank_penalty uses them unless
    the configuration sets its own."""
    import json

    d = tiny_reader_dir(tmp_path)
    cfg = json.loads((d / "config.json").read_text())
    cfg["regioqa_reader"] = {"no_answer_threshold": 1e9, "rank_penalty": 3.0}
    (d / "config.json").write_text(json.dumps(cfg))
    arts = {article.id: article}
    hits = _hits(article, [(0, 120)])
    tuned = Reader(d, ReaderConfig(max_seq_len=48, stride=12, dtype="float32"))
    assert tuned.no_answer_threshold == 1e9 and tuned.rank_penalty == 3.0
    assert tuned.run("新建实验室多少个？", hits, arts)[0].is_no_answer
    own = Reader(d, ReaderConfig(max_seq_len=48, stride=12, dtype="float32", no_answer_threshold=-1e9,
                                 rank_penalty=0.0))
    assert own.rank_penalty == 0.0 and not own.run("新建实验室多少个？", hits, arts)[0].is_no_answer
    assert not tuned.predict([("新建实验室多少个？", TEXT[:100])])[0].is_no_answer  # no abstaining asked


def test_reader_is_a_component_whose_warm_up_loads_once(tiny: Path) -> None:
    r = _reader(tiny)
    assert isinstance(r, Component) and r._model is None
    assert r.warm_up() is r and r._model is not None
    model = r._model
    assert r.warm_up()._model is model


def test_no_answer_threshold_per_question_language(tmp_path: Path, article: Article) -> None:
    """The model's ``no_answer_thresholds`` pick by the user's question language ("en" even when the
    reader sees a Chinese rendering); ``reader.no_answer_threshold`` overrides both."""
    import json

    from regioqa.reader import question_lang

    d = tiny_reader_dir(tmp_path)
    cfg = json.loads((d / "config.json").read_text())
    cfg["regioqa_reader"] = {"no_answer_threshold": 5.0, "no_answer_thresholds": {"zh": -1e9, "en": 1e9}}
    (d / "config.json").write_text(json.dumps(cfg))
    arts = {article.id: article}
    hits = _hits(article, [(0, 120)])
    r = Reader(d, ReaderConfig(max_seq_len=48, stride=12, dtype="float32"))
    assert (r.no_answer_threshold_for("zh"), r.no_answer_threshold_for("en")) == (-1e9, 1e9)
    assert r.no_answer_threshold == -1e9
    q = "新建实验室多少个？"
    assert not r.run(q, hits, arts)[0].is_no_answer  # detected as Chinese
    assert r.run(q, hits, arts, lang="en")[0].is_no_answer  # an English question rendered in Chinese
    assert [a.is_no_answer for a in r.predict([(q, TEXT[:100])] * 2, allow_abstain=True, langs=["zh", "en"])
            ] == [False, True]
    assert question_lang("How many labs?") == "en" and question_lang(q) == "zh"
    both = Reader(d, ReaderConfig(max_seq_len=48, stride=12, dtype="float32", no_answer_threshold=-1e9))
    assert not both.run(q, hits, arts, lang="en")[0].is_no_answer
    cfg["regioqa_reader"] = {"no_answer_threshold": 1e9}  # an older model: one value for both
    (d / "config.json").write_text(json.dumps(cfg))
    old = Reader(d, ReaderConfig(max_seq_len=48, stride=12, dtype="float32"))
    assert old.no_answer_threshold_for("en") == old.no_answer_threshold_for("zh") == 1e9
    assert old.relevance_weights() is None  # no english_relevance: no such check
    w = {"margin": 0.2, "coverage": 3.0, "product": 0.2, "similarity": 10.0, "bias": -9.2}
    cfg["regioqa_reader"] = {"english_relevance": {**w, "calibration": {"n": 1}}}
    (d / "config.json").write_text(json.dumps(cfg))
    assert Reader(d, ReaderConfig(max_seq_len=48, stride=12, dtype="float32")).relevance_weights() == w
