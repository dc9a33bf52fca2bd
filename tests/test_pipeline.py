"""RegioQA facade and ``regioqa ask``: a real index (HashingEmbedder, BM25) over the corpus page, the
tiny random reader from regioqa.testing, fake translators; plus ``model`` tests with the trained reader."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import pytest

from regioqa.config import Config, ReaderConfig
from regioqa.errors import IndexError_, InputError
from regioqa.index import Index
from regioqa.pipeline import RegioQA, confidence, is_english
from regioqa.reader import Reader
from regioqa.testing import HashingEmbedder, tiny_reader_dir
from regioqa.types import NO_TRANSLATOR, Answer, Article


class UpperTranslator:
    """A stand-in translator that records what it was asked."""

    name = "fake"
    lexical = True

    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    def translate(self, texts: list[str]) -> list[str]:
        self.calls.append(list(texts))
        return [f"EN<{t}>" for t in texts]


@pytest.fixture(scope="module")
def articles(page_path: Path) -> list[Article]:
    from regioqa.corpus import load_articles

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return load_articles([page_path])


@pytest.fixture(scope="module")
def index_dir(articles: list[Article], tmp_path_factory: pytest.TempPathFactory) -> Path:
    idx = Index.build(articles, HashingEmbedder(), show_progress=False)
    return idx.save(tmp_path_factory.mktemp("idx") / "index")


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tiny_reader_dir(tmp_path_factory.mktemp("tiny"))


def _cfg(tiny: Path, **reader: object) -> Config:
    cfg = Config().override({"retrieve.mode": "bm25", "reader.model": str(tiny), "reader.max_seq_len": 128,
                             "reader.stride": 32, "reader.no_answer_threshold": -1e9, "reader.top_k": 2})
    return cfg.override({f"reader.{k}": v for k, v in reader.items()})


def _qa(index_dir: Path, tiny: Path, translator: object | None = None, **reader: object) -> RegioQA:
    cfg = _cfg(tiny, **reader)
    return RegioQA.load(index_dir, config=cfg, translator=translator)


def test_ask_chinese_answers_point_into_the_articles(index_dir: Path, tiny: Path) -> None:
    tr = UpperTranslator()
    qa = _qa(index_dir, tiny, tr)
    answers = qa.ask("国家乳业技术创新中心吸纳了多少家成员单位？", k=3)
    assert 1 <= len(answers) <= 2
    hit_ids = {h.chunk.chunk_id for h in qa.index.search("国家乳业技术创新中心吸纳了多少家成员单位？", k=3)}
    for a in answers:
        art = qa.index.articles[a.article_id]
        assert art.text[a.start:a.end] == a.text and a.chunk_id in hit_ids
        assert a.article_title == art.title and a.sentence is not None
        assert a.text_en is None and a.sentence_en is None  # Chinese question: not translated
    assert tr.calls == []
    assert qa.last_timings["passages"] == 3 and qa.last_timings["read_s"] > 0
    forced = qa.ask("国家乳业技术创新中心吸纳了多少家成员单位？", k=3, translate=True)
    assert forced[0].text_en == f"EN<{forced[0].text}>"
    assert forced[0].sentence_en == f"EN<{forced[0].sentence.text}>"


def test_english_question_gets_translations_and_dictionary_terms(index_dir: Path, tiny: Path) -> None:
    tr = UpperTranslator()
    qa = _qa(index_dir, tiny, tr)
    q = "How many member units does the dairy technology innovation centre in Hohhot have?"
    assert is_english(q) and not is_english("呼和浩特 dairy") and not is_english("2023？")
    rq = qa.reader_question(q)  # default "zh": Chinese key terms in order + a Chinese question word
    assert rq.endswith("多少？") and "呼和浩特" in rq and not any(c.isascii() and c.isalpha() for c in rq)
    assert qa.reader.question_fits(rq)
    both = _qa(index_dir, tiny, tr, english_question="zh+en").reader_question(q)
    assert both == f"{rq} {q}"
    appended = _qa(index_dir, tiny, tr, english_question="append").reader_question(q)
    assert appended.startswith(q) and "呼和浩特" in appended[len(q):]
    assert _qa(index_dir, tiny, tr, english_question="en").reader_question(q) == q
    assert qa.reader_question("Who heads the bureau?").endswith("谁？")
    with pytest.raises(InputError, match="english_question"):
        _qa(index_dir, tiny, tr, english_question="fr").reader_question(q)
    assert qa.reader_question("呼和浩特有多少家成员单位？") == "呼和浩特有多少家成员单位？"
    answers = qa.ask(q, k=2)
    assert answers and all(a.text_en == f"EN<{a.text}>" for a in answers)
    assert len(tr.calls) == 1


def test_both_mode_reads_each_form_and_keeps_the_more_confident_reading(index_dir: Path, tiny: Path) -> None:
    q = "How many member units does the dairy technology innovation centre in Hohhot have?"
    qa = _qa(index_dir, tiny, None, english_question="both")
    forms = qa.reader_questions(q)
    assert forms == [_qa(index_dir, tiny, None, english_question="zh").reader_question(q), q]
    assert qa.reader_questions("呼和浩特有多少家成员单位？") == ["呼和浩特有多少家成员单位？"]
    assert _qa(index_dir, tiny, None, english_question="en").reader_questions(q) == [q]
    hits = qa.index.search(q, k=2)
    read_forms = qa.reader_questions(q, [h.chunk.text for h in hits])  # terms as the passages spell them
    runs = [qa.reader.run(f, hits, qa.index.articles, lang="en") for f in read_forms]
    got = qa.read(q, hits, qa.index.articles)
    assert [(a.text, a.start) for a in got] == [(a.text, a.start) for a in max(runs, key=confidence)]
    assert got[0].margin == max(r[0].margin for r in runs)
    assert [(a.text, a.start) for a in qa.ask(q, k=2)] == [(a.text, a.start) for a in got]


def test_early_exit_reads_the_first_hits_and_stops_only_when_sure(index_dir: Path, tiny: Path) -> None:
    q = "国家乳业技术创新中心吸纳了多少家成员单位？"
    full = _qa(index_dir, tiny, None, top_k=1, read_first=0)
    hits = full.index.search(q, k=4)
    everything = full.read(q, hits, full.index.articles)
    assert full.last_read == 4  # read_first=0: no early exit
    first = full.read(q, hits[:2], full.index.articles)
    margin = first[0].margin
    # a bar the first two hits' answer clears: they alone are read, and their answer is kept
    sure = _qa(index_dir, tiny, None, top_k=1, read_first=2, early_exit_margin=margin - 1e-3)
    got = sure.read(q, hits, sure.index.articles)
    assert sure.last_read == 2 and [(a.text, a.start) for a in got] == [(a.text, a.start) for a in first]
    # a bar it misses: every hit is read, and the answer is the one reading them all gives
    unsure = _qa(index_dir, tiny, None, top_k=1, read_first=2, early_exit_margin=margin + 1e-3)
    got = unsure.read(q, hits, unsure.index.articles)
    assert unsure.last_read == 4
    assert [(a.text, a.start) for a in got] == [(a.text, a.start) for a in everything]
    # several answers asked for: every hit is read
    assert len(sure.ask(q, k=4, n=2)) >= 1 and sure.last_read == 4
    assert sure.ask(q, k=4)[0].text == first[0].text and sure.last_timings["passages_read"] == 2
    with pytest.raises(InputError, match="read_first"):
        Config().override({"reader.read_first": -1})


def test_staged_reading_reads_each_passage_once(index_dir: Path, tiny: Path) -> None:
    q = "How many member units did the dairy centre attract?"
    full = _qa(index_dir, tiny, None, top_k=1, read_first=0)
    hits = full.index.search(q, k=4)
    staged = _qa(index_dir, tiny, None, top_k=1, read_first=1, early_exit_margin=1e9)  # never sure
    calls: list[tuple[list[str], int]] = []
    windows: dict[str, int] = {"full": 0, "staged": 0}
    for name, qa in (("full", full), ("staged", staged)):
        run_many, forward = qa.reader.run_many, qa.reader.forward

        def counted(ws: list, *a: object, _f: object = forward, _n: str = name, **kw: object) -> object:
            windows[_n] += len(ws)
            return _f(ws, *a, **kw)  # type: ignore[operator]

        def logged(forms: list[str], hs: list, *a: object, _r: object = run_many, _n: str = name,
                   **kw: object) -> object:
            calls.append((list(forms), len(hs))) if _n == "staged" else None
            return _r(forms, hs, *a, **kw)  # type: ignore[operator]

        qa.reader.forward, qa.reader.run_many = counted, logged  # type: ignore[method-assign]
    everything = full.read(q, hits, full.index.articles)
    got = staged.read(q, hits, staged.index.articles)
    forms = staged.reader_questions(q, [h.chunk.text for h in hits])
    assert len(forms) == 2 and staged.last_read == 4
    assert calls == [(forms, 1), (forms, 2), (forms, 4)]  # the top 1, 2, then all 4 hits
    assert windows["staged"] == windows["full"] > 0  # no passage read twice
    assert [(a.text, a.start) for a in got] == [(a.text, a.start) for a in everything]


def test_english_terms_take_the_rendering_the_passages_use(index_dir: Path, tiny: Path) -> None:
    qa = _qa(index_dir, tiny, None, english_question="zh")
    q = "How many people are in the team?"
    alone = qa.reader_question(q)  # no passages: each term's first dictionary rendering
    team = dict(qa._dictionary.expand_english(q, per_term=4))["team"]
    other = next(t for t in team[1:] if t not in alone)
    seen = qa.reader_question(q, [f"这个{other}有十个人。"])
    assert other in seen and team[0] not in seen and seen.endswith("多少？")
    assert qa.reader_question(q, ["与此无关的段落。"]) == alone  # none occurs: the first rendering


def test_confidence_puts_an_answer_before_an_abstention() -> None:
    answered = [Answer("30位", 2.0, "a", "", 0, 3, no_answer_score=1.5)]
    declined = [Answer.abstain(score=9.0, no_answer_score=1.0, best_guess="x")]
    assert confidence(answered) > confidence(declined) and answered[0].margin == 0.5
    assert max([declined, answered], key=confidence) is answered


def test_no_translator_gives_the_marker_not_invented_text(index_dir: Path, tiny: Path,
                                                          tmp_path: Path) -> None:
    cfg = _cfg(tiny).override({"translate.model": str(tmp_path / "no-such-translator")})
    qa = RegioQA.load(index_dir, config=cfg)
    answers = qa.ask("How many academicians are on the dairy centre's team?", k=2)
    assert answers and all(a.text_en == NO_TRANSLATOR and a.sentence_en == NO_TRANSLATOR for a in answers)
    assert qa.translator is None


def test_bad_input(index_dir: Path, tiny: Path, tmp_path: Path) -> None:
    qa = _qa(index_dir, tiny, max_question_chars=30)
    with pytest.raises(InputError, match="empty question"):
        qa.ask("  \n")
    with pytest.raises(InputError, match="the limit is 30"):
        qa.ask("呼" * 31)
    with pytest.raises(IndexError_, match="index directory not found"):
        RegioQA.load(tmp_path / "missing")
    bare = tiny_reader_dir(tmp_path, qa_head=False)
    with pytest.raises(InputError, match="no trained QA head"):
        RegioQA.load(index_dir, config=_cfg(bare)).ask("呼和浩特排名第几？")
    # a question of punctuation only retrieves nothing: an abstention, not an error
    assert _qa(index_dir, tiny).ask("？？")[0].is_no_answer


def test_cli_ask_single_and_batch_with_resume(index_dir: Path, tiny: Path, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from regioqa.cli import app

    sets = ["--set", "retrieve.mode=bm25", "--set", f"reader.model={tiny}", "--set", "reader.max_seq_len=64",
            "--set", "reader.stride=16", "--set", "reader.no_answer_threshold=-1e9"]
    runner = CliRunner()
    res = runner.invoke(app, ["ask", "呼和浩特排名第几？", "--index", str(index_dir), "-k", "2", "--json",
                              *sets])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert doc["question"] == "呼和浩特排名第几？" and doc["answers"][0]["text"]
    qfile = tmp_path / "q.jsonl"
    qfile.write_text('{"id": "a", "question": "呼和浩特排名第几？"}\n{"id": 7, "question": " "}\n',
                     encoding="utf-8")
    out = tmp_path / "answers.jsonl"
    res = runner.invoke(app, ["ask", "--questions", str(qfile), "--index", str(index_dir), "--out", str(out),
                              *sets])
    assert res.exit_code == 1, res.output  # one question failed
    assert "1 answered, 0 declined (no answer in the articles), 1 failed" in res.stdout
    rows = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in rows] == ["a", 7]
    assert rows[0]["answers"][0]["text"] and "empty question" in rows[1]["error"]
    res = runner.invoke(app, ["ask", "--questions", str(qfile), "--index", str(index_dir), "--out", str(out),
                              *sets])  # the failed one is asked again (and fails again)
    assert res.exit_code == 1 and "0 answered, 0 declined" in res.stdout and "1 failed" in res.stdout
    assert "1 already there, 1 retried" in res.stdout
    ids = sorted(str(json.loads(x)["id"]) for x in out.read_text(encoding="utf-8").splitlines())
    assert ids == ["7", "a"]
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": 1, "question": "x"}\n{oops\n', encoding="utf-8")
    res = runner.invoke(app, ["ask", "--questions", str(bad), "--index", str(index_dir), "--out", str(out)])
    assert res.exit_code != 0 and "line 2: invalid JSON" in str(res.exception)
    res = runner.invoke(app, ["ask", "x", "--index", str(tmp_path / "none")])
    assert res.exit_code != 0 and "index directory not found" in str(res.exception)
    # an abstention says so and why (margin below the threshold), with exit status 0
    res = runner.invoke(app, ["ask", "呼和浩特排名第几？", "--index", str(index_dir), *sets,
                              "--set", "reader.no_answer_threshold=1e9"])
    assert res.exit_code == 0 and "the articles do not answer this" in res.stdout
    assert "below reader.no_answer_threshold" in res.stdout
    res = runner.invoke(app, ["ask", "呼和浩特排名第几？", "--index", str(index_dir), *sets, "--json",
                              "--set", "reader.no_answer_threshold=1e9"])
    top = json.loads(res.stdout)["answers"][0]  # the best guess and its score stay available
    assert top["is_no_answer"] and top["text"] == "" and top["best_guess"] and top["score"] is not None


# ---------------------------------------------------------------- trained reader, converted e5
@pytest.mark.model
def test_end_to_end_with_the_trained_reader(articles: list[Article], e5_dir: Path) -> None:
    from regioqa.embed import Embedder
    from regioqa.registry import ensure

    idx = Index.build(articles, Embedder(e5_dir), show_progress=False)
    qa = RegioQA(idx, Reader(ensure("reader").path, ReaderConfig()), UpperTranslator())
    a = qa.ask("2023年呼和浩特市科技创新发展指数在全国地级及以上城市中排名第几？")[0]
    assert not a.is_no_answer and "30" in a.text
    a = qa.ask("How many member units has the National Dairy Technology Innovation Center attracted?")[0]
    assert not a.is_no_answer and "100" in a.text and a.text_en == f"EN<{a.text}>"


def test_cli_batch_ask_refuses_to_resume_answers_asked_with_other_options(index_dir: Path, tiny: Path,
                                                                          tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from regioqa.cli import app

    sets = ["--set", "retrieve.mode=bm25", "--set", f"reader.model={tiny}", "--set", "reader.max_seq_len=64",
            "--set", "reader.stride=16"]
    qfile = tmp_path / "q.jsonl"
    qfile.write_text('{"id": "a", "question": "呼和浩特排名第几？"}\n', encoding="utf-8")
    out = tmp_path / "answers.jsonl"
    ask = ["ask", "--questions", str(qfile), "--index", str(index_dir), "--out", str(out), *sets]
    runner = CliRunner()
    assert runner.invoke(app, ask).exit_code == 0
    before = out.read_bytes()
    res = runner.invoke(app, [*ask, "-k", "1"])
    assert res.exit_code != 0 and "asked with other options" in str(res.exception)
    assert out.read_bytes() == before  # nothing rewritten
    assert runner.invoke(app, ask).exit_code == 0  # the same options resume it
