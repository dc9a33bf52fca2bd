"""models/train_reader.py data helpers: SQuAD-2-style hard negatives and key-term questions."""

from __future__ import annotations

import importlib.util
import random
import re
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


def test_repeat_source_copies_only_that_source_with_new_ids(tr) -> None:
    exs = [{"id": "c1", "article": "cmrc-trial:A", "question": "q"}, {"id": "d1", "article": "drcd:B"}]
    extra = tr.repeat_source(exs, "cmrc-trial", 3)
    assert [e["id"] for e in extra] == ["c1#cmrc-trial1", "c1#cmrc-trial2"]
    assert all(e["question"] == "q" for e in extra) and tr.repeat_source(exs, "cmrc-trial", 1) == []


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


def _module(name: str):
    sys.path.insert(0, str(REPO / "models"))
    spec = importlib.util.spec_from_file_location(f"{name}_t", REPO / "models" / f"{name}.py")
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    sys.modules[f"{name}_t"] = mod  # dataclasses look their module up
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def rd():
    return _module("reader_data")


@pytest.fixture(scope="module")
def loop():
    return _module("reader_loop")


@pytest.mark.parametrize("question,kind", [
    ("领新科技的董事长是谁？", "role"),
    ("呼和浩特2023年新建了几个实验室？", "year"),
    ("呼和浩特的人口是多少？", "attribute"),
])
def test_near_miss_swaps_a_key_term_for_one_the_passage_lacks(rd, question, kind) -> None:
    ctx = "领新科技的董事长是郭晋宁。呼和浩特2023年新建实验室八个，人口三百万。"
    if kind == "attribute":
        ctx = ctx.replace("，人口三百万", "")
    e = {"id": "q", "article": "A", "question": question, "context": ctx,
         "answers": [{"text": "x", "start": 0}]}
    out = rd.near_miss(e, random.Random(0), "zh")
    assert out is not None and out["kind"] == kind and out["answers"] == [] and out["question"] != question
    table = {"role": rd.ROLES, "attribute": rd.ATTRIBUTES}.get(kind)
    if table:  # the new term is one of the same kind and not in the passage
        new = [zh for zh, _ in table if zh in out["question"] and zh not in question]
        assert new and all(n not in ctx for n in new)
    else:
        year = out["question"][len("呼和浩特"):len("呼和浩特") + 4]
        assert year.isdigit() and year != "2023" and year not in ctx
    assert rd.near_miss({**e, "question": "实验室有几个？"}, random.Random(0), "zh") is None


def test_english_near_miss_checks_absence_in_the_chinese_passage(rd) -> None:
    e = {"id": "q", "article": "A", "question": "Who is the chairman of Lingxin?",
         "context": "领新科技的董事长是郭晋宁，总经理是王五。", "answers": [{"text": "郭晋宁", "start": 9}]}
    out = rd.near_miss(e, random.Random(1), "en")
    assert out["kind"] == "role" and "chairman" not in out["question"]
    assert "general manager" not in out["question"]  # 总经理 is in the passage


def test_renderer_gives_english_and_mixed_renderings(rd) -> None:
    """Round 3 and the calibration render Chinese questions with the project's translator."""
    r = rd.Renderer()
    en = r.english(["呼和浩特市有多少家科技企业？"])[0]
    assert "Hohhot" in en and en.endswith("?") and not re.search(r"[\u4e00-\u9fff]", en)
    mixed = r.mixed("呼和浩特市有多少家科技企业？", random.Random(0))
    assert mixed != "呼和浩特市有多少家科技企业？"


def test_calibration_never_abstain_threshold_passes_config_validation(tr) -> None:
    from regioqa.config import Config

    cfg = Config().override({"reader.no_answer_threshold": tr.NEVER_ABSTAIN})
    assert cfg.reader.no_answer_threshold == tr.NEVER_ABSTAIN


def _tiny_qa(seed: int):
    import torch
    from transformers import BertConfig, BertForQuestionAnswering

    torch.manual_seed(seed)
    cfg = BertConfig(vocab_size=40, hidden_size=16, num_hidden_layers=2, num_attention_heads=2,
                     intermediate_size=32, max_position_embeddings=32, hidden_dropout_prob=0.2)
    return BertForQuestionAnswering(cfg)


def _feats(n: int = 24) -> list[dict]:
    rng = random.Random(5)
    out = []
    for i in range(n):
        length = rng.randint(6, 12)
        s = rng.randint(0, length - 1)
        out.append({"ex": f"e{i}", "ids": [rng.randint(1, 39) for _ in range(length)], "start": s,
                    "end": rng.randint(s, length - 1)})
    return out


def test_training_stopped_and_resumed_matches_an_uninterrupted_run(loop, tmp_path) -> None:
    import torch

    cfg = dict(steps=4, batch=4, lr=1e-2, head_lr=1e-2, warmup=0.25, device="cpu", bf16=False,
               progress=False, log_every=0)
    full = _tiny_qa(0)
    st = loop.train_loop(full, _feats(), 0, loop.LoopConfig(**cfg), tmp_path / "a.pt")
    assert st.step == 4 and st.resumed_from is None

    part = _tiny_qa(0)
    st1 = loop.train_loop(part, _feats(), 0, loop.LoopConfig(**cfg, max_steps_this_run=2), tmp_path / "b.pt")
    assert st1.step == 2 and (tmp_path / "b.pt").exists()
    saved = torch.load(tmp_path / "b.pt", weights_only=False)
    assert saved["step"] == 2 and saved["sched"]["last_epoch"] == 2
    assert all(int(s["step"]) == 2 for s in saved["opt"]["state"].values())

    resumed = _tiny_qa(1)  # other initial weights: the checkpoint must replace them
    st2 = loop.train_loop(resumed, _feats(), 0, loop.LoopConfig(**cfg), tmp_path / "b.pt", resume=True)
    assert st2.resumed_from == 2 and st2.step == 4 and len(st2.losses) == 4
    assert st2.losses[:2] == st1.losses
    final = torch.load(tmp_path / "b.pt", weights_only=False)
    assert all(int(s["step"]) == 4 for s in final["opt"]["state"].values())
    for (name, a), b in zip(full.named_parameters(), resumed.parameters(), strict=True):
        assert torch.equal(a, b), name
    assert not torch.equal(next(_tiny_qa(0).parameters()), next(full.parameters()))  # it did train


def test_device_choice(loop) -> None:
    import torch

    assert loop.resolve_device("cpu").type == "cpu"
    assert loop.resolve_device("auto").type == ("cuda" if torch.cuda.is_available() else "cpu")
    with pytest.raises(SystemExit):
        loop.resolve_device("tpu")
    assert loop.amp_dtype(torch.device("cpu"), True) == torch.bfloat16
    assert loop.amp_dtype(torch.device("cpu"), False) is None


def test_choose_threshold_respects_the_cap_on_declined_answerable_questions() -> None:
    rc = _module("reader_calibration")
    margins = [9.0, 6.0, 3.0, 1.0, 2.5, -1.0, 0.5]
    answerable = [True, True, True, True, False, False, False]
    f1 = [1.0, 1.0, 0.5, 0.0, 0.0, 0.0, 0.0]
    t, score = rc.choose_threshold(margins, f1, answerable, max_declined=0.25)
    declined_ans = sum(m < t for m, a in zip(margins, answerable, strict=True) if a)
    assert t == 3.0 and declined_ans == 1  # declines 1.0 (answerable, F1 0) and all three unanswerable
    assert score == pytest.approx((1 + 1 + 0.5 + 0 + 3) / 7)
    # no answerable question may be declined: decline only below 1.0 (-1.0 and 0.5, unanswerable)
    assert rc.choose_threshold(margins, f1, answerable, max_declined=0.0) == (1.0, pytest.approx(4.5 / 7))
    assert rc.choose_threshold([1.0], [1.0], [True], 0.0) == (None, 1.0)  # nothing to gain by declining


def test_bf16_autocast_on_the_cpu_only_where_it_is_native_unless_asked(tr) -> None:
    import torch

    from regioqa.quantize import native_bf16

    cpu = torch.device("cpu")
    assert tr.amp_dtype(cpu, None) == (torch.bfloat16 if native_bf16() else None)
    assert tr.amp_dtype(cpu, True) == torch.bfloat16
    assert tr.amp_dtype(cpu, False) is None


def test_average_readers_mixes_tensors_and_keeps_the_first_settings(tmp_path: Path) -> None:
    import json

    import torch
    from safetensors.torch import load_file, save_file

    spec = importlib.util.spec_from_file_location("average_readers_t", REPO / "models" / "average_readers.py")
    assert spec and spec.loader
    avg = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(avg)
    a, b = tmp_path / "a", tmp_path / "b"
    for d, v in ((a, 1.0), (b, 3.0)):
        d.mkdir()
        save_file({"w": torch.full((2, 2), v, dtype=torch.float16)}, str(d / "trained.safetensors"))
        (d / "reader_settings.json").write_text(json.dumps({"rank_penalty": v}), encoding="utf-8")
    out = avg.average(a, b, tmp_path / "out", alpha=0.25)
    w = load_file(str(out / "trained.safetensors"))["w"]
    assert w.dtype == torch.float16 and torch.allclose(w.float(), torch.full((2, 2), 1.5))
    settings = json.loads((out / "reader_settings.json").read_text(encoding="utf-8"))
    assert settings["rank_penalty"] == 1.0 and settings["average"]["alpha"] == 0.25
    save_file({"v": torch.zeros(1)}, str(b / "trained.safetensors"))
    with pytest.raises(SystemExit, match="different tensors"):
        avg.average(a, b, tmp_path / "bad", alpha=0.5)


def test_a_warm_start_carries_its_rank_penalty_but_not_its_thresholds(tr, tmp_path: Path) -> None:
    import argparse
    import json

    init = tmp_path / "round3"
    init.mkdir()
    (init / "reader_settings.json").write_text(json.dumps(
        {"rank_penalty": 1.0, "no_answer_thresholds": {"zh": -2.6, "en": -2.1}}), encoding="utf-8")
    carried = tr.carried_rank_penalty(argparse.Namespace(init_from=init))
    assert carried == {"rank_penalty": 1.0, "rank_penalty_from": str(init)}
    assert tr.carried_rank_penalty(argparse.Namespace(init_from=None)) == {}
    assert tr.carried_rank_penalty(argparse.Namespace(init_from=tmp_path / "absent")) == {}


def test_relevance_calibration_separates_and_respects_the_declined_cap(tr) -> None:
    """models/calibrate_relevance.py: weights that keep well-covered confident answers and drop
    uncovered weak ones, cut where at most the given share of answerable questions is declined."""
    import random

    path = REPO / "models" / "calibrate_relevance.py"
    spec = importlib.util.spec_from_file_location("calibrate_relevance_t", path)
    assert spec and spec.loader
    cal = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(cal)
    rng = random.Random(0)
    rows = [{"answerable": True, "declined": False, "margin": rng.uniform(0, 8),
             "coverage": rng.uniform(0.4, 1), "similarity": rng.uniform(0.75, 0.85), "f1": 1.0}
            for _ in range(100)]
    rows += [{"answerable": False, "declined": False, "margin": rng.uniform(-2, 4),
              "coverage": rng.uniform(0, 0.5), "similarity": rng.uniform(0.7, 0.8)} for _ in range(100)]
    rows += [{"answerable": False, "declined": True}] * 10
    rel = cal.calibrate(rows, max_declined=0.05)
    from regioqa.constraints import relevant

    kept_ans = sum(relevant(r["margin"], r["coverage"], r["similarity"], rel) for r in rows[:100])
    kept_off = sum(relevant(r["margin"], r["coverage"], r["similarity"], rel) for r in rows[100:200])
    assert kept_ans >= 95 and kept_off < 50
    c = rel["calibration"]
    assert c["answerable_declined"]["after"] <= 0.05 and c["off_topic_declined"]["after"] > 0.5
    assert c["off_topic_declined"]["before"] == round(10 / 110, 4)
