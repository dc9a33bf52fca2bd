"""Question constraints (year, role, unit) checked against the answer's passage, and the pipeline's use."""

from __future__ import annotations

from pathlib import Path

import pytest

from regioqa.cli.ask import _lines
from regioqa.config import Config
from regioqa.constraints import load_constraints, unmet
from regioqa.errors import InputError
from regioqa.pipeline import RegioQA
from regioqa.types import Answer, Chunk, Hit

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
    out = RegioQA.check("2021年基地年产苜蓿多少吨？", [bad, good], hits)
    assert len(out) == 1 and out[0].is_no_answer and out[0].best_guess == "3万吨"
    assert out[0].unmet == ["2021"] and out[0].score == 10.0
    assert "does not state 2021" in _lines(out[0])
    declined = [Answer.abstain(score=1.0, no_answer_score=2.0)]
    assert RegioQA.check("2021年产量？", declined, hits) is declined
    assert Answer.from_dict(out[0].to_dict()) == out[0]


def test_the_check_can_be_switched_off() -> None:
    assert Config().reader.check_constraints is True
    assert Config().override({"reader.check_constraints": "false"}).reader.check_constraints is False
