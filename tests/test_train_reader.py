"""models/train_reader.py data helpers: SQuAD-2-style hard negatives and key-term questions."""

from __future__ import annotations

import importlib.util
import random
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def tr():
    spec = importlib.util.spec_from_file_location("train_reader_t", REPO / "models" / "train_reader.py")
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    sys.modules["train_reader_t"] = mod
    spec.loader.exec_module(mod)
    return mod


def _ex(i: int, art: str, ctx: str, q: str, ans: str) -> dict:
    return {"id": f"q{i}", "article": art, "question": q, "context": ctx,
            "answers": [{"text": ans, "start": ctx.index(ans)}]}


EXAMPLES = [
    _ex(1, "A", "呼和浩特新建实验室八个。", "呼和浩特新建了几个实验室？", "八个"),
    _ex(2, "A", "山西培育高新技术企业三千家。", "山西培育了多少家高新技术企业？", "三千家"),
    _ex(3, "A", "甘肃引进专家一百名，新建实验室八个。", "甘肃引进了多少名专家？", "一百名"),
    _ex(4, "B", "领新科技的董事长是郭晋宁。", "领新科技的董事长是谁？", "郭晋宁"),
]


def test_hard_negatives_pair_a_question_with_another_paragraph_lacking_its_answer(tr) -> None:
    out = tr.augment(EXAMPLES, seed=1, hard_neg_frac=1.0, keyword_frac=0.0)
    assert out[:4] == EXAMPLES
    negs = [e for e in out if e["id"].endswith("#neg")]
    by_id = {e["id"]: e for e in EXAMPLES}
    # q1's answer 八个 is also in q3's paragraph, so q1 can only be paired with q2's; article B has one
    assert {e["id"] for e in negs} == {"q1#neg", "q2#neg", "q3#neg"}
    for n in negs:
        src = by_id[n["id"].removesuffix("#neg")]
        assert n["answers"] == [] and n["context"] != src["context"] and n["article"] == src["article"]
        assert all(a["text"] not in n["context"] for a in src["answers"])
    assert not tr.augment(EXAMPLES, seed=1, hard_neg_frac=0.0, keyword_frac=0.0)[4:]


def test_keyword_questions_keep_terms_and_a_question_word(tr) -> None:
    q = tr.keyword_question("国家乳业技术创新中心的总经理叫什么名字？", random.Random(0))
    assert q is not None and q.endswith("什么？")
    assert "总经理" in q and "的" not in q
    assert tr.keyword_question("领新科技的董事长是谁？", random.Random(3)).endswith("谁？")
    assert tr.keyword_question("谁？", random.Random(0)) is None
    out = tr.augment(EXAMPLES, seed=2, hard_neg_frac=0.0, keyword_frac=1.0)
    kws = [e for e in out if e["id"].endswith("#kw")]
    assert kws and all(e["answers"] == next(x for x in EXAMPLES if x["id"] == e["id"][:-3])["answers"]
                       for e in kws)
