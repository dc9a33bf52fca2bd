"""Question constraints (year, role, unit) checked against the answer's passage, and the pipeline's use."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from regioqa.cli.ask import _lines
from regioqa.config import Config
from regioqa.constraints import (
    absent_names,
    load_constraints,
    question_names,
    question_terms,
    term_coverage,
    unmet,
)
from regioqa.errors import InputError
from regioqa.pipeline import RegioQA, dense_similarity
from regioqa.types import Answer, Article, Chunk, Hit

PASSAGE = "2023年，领新科技的董事长郭晋宁介绍，基地年产苜蓿3万吨，节水30%。"


@pytest.mark.parametrize(("question", "missing"), [
    ("2023年领新科技的董事长是谁？", []),
    ("2022年领新科技的董事长是谁？", ["2022"]),
    ("领新科技的总经理是谁？", ["总经理"]),
    ("领新科技的副总经理是谁？", ["副总经理"]),  # a deputy role does not ask for the role itself
    ("基地年产苜蓿多少吨？", []),
    ("基地年产苜蓿多少公顷？", ["公顷"]),
    ("Who is the general manager of Lingxin?", ["总经理"]),
    ("Who is the chairman of Lingxin?", []),  # 董事长 is one of the Chinese forms of "chairman"
    ("How many tonnes of alfalfa did the base produce in 2022?", ["2022"]),
    ("How many hectares of alfalfa?", ["公顷"]),
    ("An 1821 painting: who owns it?", []),  # an English year counts only after in/since/by/...
    ("Who is the minister of the Lingxin base?", []),  # ambiguous English roles are not checked
    ("Who is the deputy general manager of Lingxin?", ["副总经理"]),
    ("What was Lingxin's revenue in 2023?", ["营业收入"]),
    ("领新科技有多少项专利？", ["专利"]),
])
def test_unmet_lists_what_the_passage_does_not_state(question: str, missing: list[str]) -> None:
    assert unmet(question, PASSAGE) == missing


def test_a_role_is_stated_only_where_it_is_not_the_deputys() -> None:
    deputy = "甘肃省水利科学研究院副院长马成祥说。"
    assert unmet("甘肃省水利科学研究院的院长是谁？", deputy) == ["院长"]
    assert unmet("甘肃省水利科学研究院副院长是谁？", deputy) == []
    assert unmet("Who is the president of the Gansu Academy?", deputy) == ["总统"]
    assert unmet("Who is the president of the Gansu Academy?", "院长马成祥说。") == []


def test_a_bad_table_row_names_the_file_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "c.tsv"
    bad.write_text("# comment\nrole\t总经理\tgeneral manager\ncolour\t红\tred\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"c\.tsv:3: expected kind"):
        load_constraints(bad)
    rows, _ = load_constraints()
    assert any(r.kind == "unit" for r in rows) and all(r.zh for r in rows)


def _hit(cid: str, text: str) -> Hit:
    return Hit(Chunk("a", cid, 0, 0, len(text), text), 1.0, "bm25", 1)


def test_pipeline_check_keeps_answers_whose_passage_states_the_constraints() -> None:
    hits = [_hit("a#0", PASSAGE), _hit("a#1", "2022年，基地年产苜蓿2万吨。")]
    good = Answer("2万吨", 9.0, "a", "", 0, 3, chunk_id="a#1", no_answer_score=1.0)
    bad = Answer("3万吨", 10.0, "a", "", 0, 3, chunk_id="a#0", no_answer_score=1.0)
    assert RegioQA.check("2022年基地年产苜蓿多少吨？", [bad, good], hits) == [good]
    # the next candidate stands in for the best only when it clears the no-answer threshold itself
    assert RegioQA.check("2022年基地年产苜蓿多少吨？", [bad, good], hits, threshold=8.0) == [good]
    weak = RegioQA.check("2022年基地年产苜蓿多少吨？", [bad, good], hits, threshold=8.5)
    assert weak[0].is_no_answer and weak[0].best_guess == "3万吨" and weak[0].unmet == ["2022"]
    assert RegioQA.check("2023年基地年产苜蓿多少吨？", [bad, good], hits, threshold=99.0) == [bad]
    out = RegioQA.check("2021年基地年产苜蓿多少吨？", [bad, good], hits)
    assert len(out) == 1 and out[0].is_no_answer and out[0].best_guess == "3万吨"
    assert out[0].unmet == ["2021"] and out[0].score == 10.0
    assert "does not state 2021" in _lines(out[0])
    declined = [Answer.abstain(score=1.0, no_answer_score=2.0)]
    assert RegioQA.check("2021年产量？", declined, hits) is declined
    assert Answer.from_dict(out[0].to_dict()) == out[0]


@pytest.mark.parametrize(("question", "text", "absent"), [
    ("What is the capital of France?", "呼和浩特市是内蒙古自治区首府。", ["France"]),
    ("What is the capital of France?", "法国总统访问呼和浩特。", []),
    ("Which Swiss university takes part?", "瑞士苏黎世联邦理工大学参与项目。", []),  # 瑞士人 -> 瑞士
    ("How much profit did Tesla make in 2023?", "领新科技2023年营收3亿元。", ["Tesla"]),
    ("How much profit did Tesla make in 2023?", "Tesla上海工厂2023年利润", []),  # the name as written
    ("法国的首都是哪里？", "呼和浩特市是内蒙古自治区首府。", ["法国"]),
    ("甘肃和法国合作了什么？", "甘肃省与法国开展合作。", []),
    ("Who is the general manager of the centre?", "领新科技", []),  # no proper name: nothing to check
    ("Hohhot leads which index?", "甘肃", []),  # the first word is not taken for a name
])
def test_absent_names(question: str, text: str, absent: list[str]) -> None:
    assert absent_names(question, text) == absent


def test_question_names_need_a_checkable_form() -> None:
    assert question_names("Who founded Xqzvbl Labs?") == []  # unknown to the dictionary: not checked
    assert dict(question_names("Who won the 2022 Australian Open?"))["Australian Open"][0] == "澳网"


def test_pipeline_check_declines_an_answer_from_an_article_that_never_names_the_place() -> None:
    text = "呼和浩特市是内蒙古自治区首府，按照自治区部署要求推进科技工作。"
    arts = {"a": Article("a", "t", text)}
    hits = [_hit("a#0", text)]
    guess = Answer("按照自治区部署要求", 6.8, "a", "", 14, 23, chunk_id="a#0", no_answer_score=1.0)
    out = RegioQA.check("What is the capital of France?", [guess], hits, arts)
    assert out[0].is_no_answer and out[0].unmet == ["France"] and out[0].best_guess == "按照自治区部署要求"
    assert RegioQA.check("What is the capital of Inner Mongolia?", [guess], hits, arts) == [guess]
    assert RegioQA.check("What is the capital of France?", [guess], hits) == [guess]  # no articles given
    # an English question's names count as absent only when no article names them (dictionary renderings
    # may miss the article's wording); a Chinese question's as written, in the answer's own article
    arts["b"] = Article("b", "t", "法国代表团访问甘肃。")
    assert RegioQA.check("What is the capital of France?", [guess], hits, arts) == [guess]
    assert RegioQA.check("法国的首都是哪里？", [guess], hits, arts)[0].unmet == ["法国"]


def test_the_check_can_be_switched_off() -> None:
    assert Config().reader.check_constraints is True
    assert Config().override({"reader.check_constraints": "false"}).reader.check_constraints is False


def test_term_coverage_counts_the_english_questions_terms_its_passage_states() -> None:
    text = "呼和浩特市培训技术经纪人120名。"
    assert term_coverage("How many brokers did Hohhot train?", text) == (1.0, [])
    share, missing = term_coverage("How many brokers did Hohhot train in Xinjiang?", text)
    assert missing == ["Xinjiang"] and share == pytest.approx(0.75)
    assert question_terms("呼和浩特培训了多少经纪人？") == []  # a Chinese question's words are the passage's


def test_pipeline_check_weighs_term_coverage_against_the_margin() -> None:
    w = {"margin": 0.2, "coverage": 3.0, "product": 0.2, "similarity": 10.0, "bias": -9.2}  # as calibrated
    near = "呼和浩特市培训技术经纪人120名。"
    far = "甘肃省水利科学研究院完成节水项目120个。"
    hits = [dataclasses.replace(_hit("a#0", far), scores={"dense": 0.8}),
            dataclasses.replace(_hit("a#1", near), scores={"dense": 0.8})]
    weak_far = Answer("120个", 2.0, "a", "", 16, 20, chunk_id="a#0", no_answer_score=1.0)  # margin 1
    weak_near = Answer("120名", 1.9, "a", "", 12, 16, chunk_id="a#1", no_answer_score=1.0)
    q = "How many brokers did Hohhot train?"
    assert RegioQA.check(q, [weak_far, weak_near], hits, relevance=w) == [weak_near]  # the next one stands in
    out = RegioQA.check(q, [weak_far], hits, relevance=w)
    assert out[0].is_no_answer and set(out[0].unmet) == {"brokers", "Hohhot", "train"}
    sure_far = Answer("120个", 12.0, "a", "", 16, 20, chunk_id="a#0", no_answer_score=1.0)  # margin 11
    assert RegioQA.check(q, [sure_far], hits, relevance=w) == [sure_far]
    closer = [dataclasses.replace(hits[0], scores={"dense": 0.95}), hits[1]]  # similarity counts too
    assert RegioQA.check(q, [weak_far], closer, relevance=w) == [weak_far]
    assert RegioQA.check(q, [weak_far], [_hit("a#0", far)], relevance=w) == [weak_far]  # no dense score
    assert RegioQA.check(q, [weak_far], hits) == [weak_far]  # no weights: no such check
    assert RegioQA.check("呼和浩特培训了多少经纪人？", [weak_far], hits, relevance=w) == [weak_far]
    assert Config().override({"reader.check_relevance": "false"}).reader.check_relevance is False


def test_dense_similarity_fills_a_hit_the_dense_run_did_not_reach_with_the_lowest_seen() -> None:
    hits = [dataclasses.replace(_hit("a#0", "x"), scores={"dense": 0.9, "bm25": 3.0}),
            dataclasses.replace(_hit("a#1", "y"), scores={"bm25": 2.0}),
            dataclasses.replace(_hit("a#2", "z"), scores={"dense": 0.7})]
    assert dense_similarity(hits) == {"a#0": 0.9, "a#1": 0.7, "a#2": 0.7}
    assert dense_similarity([_hit("a#0", "x")]) == {}
