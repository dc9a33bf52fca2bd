"""The learned lexical-choice table: learning, choosing, files, and its effect on held-out WMT22 lines."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from regioqa.config import TranslateConfig
from regioqa.errors import InputError, ModelNotFoundError
from regioqa.evals.wmt import read_wmt22, wmt_scores
from regioqa.learned_lexicon import LEXICON_PATH, LearnedLexicon, content_lemmas, packaged_lexicon
from regioqa.numbers import check_numbers
from regioqa.paths import shared_dir
from regioqa.translate import LexicalTranslator, load_translator


def test_learn_prefers_the_sense_the_references_use() -> None:
    trace = [("任务", ("mission", "task", "assignment"))]
    lex = LearnedLexicon.learn([trace] * 3, ["The task is done.", "A new task", "tasks and missions"])
    assert lex.seen["任务"] == 3
    assert lex.choose("任务", ["mission", "task", "assignment"]) == "task"  # 3 lines against 1
    assert lex.choose("任务", ["task", "mission"]) is None  # already the first choice
    assert lex.choose("其他", ["other"]) is None  # a word never seen


def test_learn_keeps_the_first_choice_without_a_clear_margin() -> None:
    trace = [("会议", ("meeting", "conference"))]
    lex = LearnedLexicon.learn([trace] * 2, ["the meeting", "the conference"])
    assert lex.choose("会议", ["meeting", "conference"]) is None


def test_partial_credit_for_multiword_glosses() -> None:
    trace = [("研究所", ("graduate studies", "research institute"))]
    lex = LearnedLexicon.learn([trace] * 3, ["the institute said", "an institute", "the research institute"])
    hits = dict(lex.hits["研究所"])
    assert hits["research institute"] == pytest.approx(2.0)  # 0.5 + 0.5 + 1
    assert "graduate studies" not in hits
    assert lex.choose("研究所", ["graduate studies", "research institute"]) == "research institute"


def test_no_gloss_supported_keeps_the_first_choice() -> None:
    # only dictionary senses are ever chosen: a name in the references next to an unknown word
    # ("Diming" beside 智能手机) is not learned as its translation
    trace = [("智能手机", ("smartphone",))]
    lex = LearnedLexicon.learn([trace] * 3, ["a Diming phone", "Diming said", "the Diming store"])
    assert "智能手机" not in lex.hits and lex.choose("智能手机", ["smartphone"]) is None


def test_part_of_speech_counts_once_seen_enough_else_the_bare_word() -> None:
    traces = [[("给/p", ("to", "give"))], [("给/v", ("give", "to"))], [("给/v", ("give", "to"))]]
    lex = LearnedLexicon.learn(traces, ["say it to me", "give it", "they gave"])
    assert lex.seen == {"给": 3, "给/p": 1, "给/v": 2}
    assert lex.choose("给/p", ["to", "give"]) is None  # a function-word gloss is never overridden
    assert lex.choose("给/v", ["hand over", "give"]) == "give"  # its own counts: seen twice
    assert lex.choose("给/d", ["hand over", "give"]) == "give"  # an unseen class: the bare word's counts
    lex.hits["给/p"] = [("hand over", 9.0)]  # seen once: its own counts are not used yet
    assert lex.choose("给/p", ["hand over", "give"]) == "give"


def test_content_lemmas_drop_function_words_and_inflection() -> None:
    assert content_lemmas("The studies were carried out") == {"study", "carry", "out"}


def test_round_trip_and_file_errors(tmp_path: Path) -> None:
    lex = LearnedLexicon.learn([[("给", ("to", "give"))]] * 2, ["give it", "gave them"])
    p = tmp_path / "lex.json"
    lex.save(p)
    assert LearnedLexicon.load(p) == lex
    with pytest.raises(ModelNotFoundError, match="missing.json.*train_lexicon"):
        LearnedLexicon.load(tmp_path / "missing.json")
    p.write_text(json.dumps({"format": "other/9"}), encoding="utf-8")
    with pytest.raises(InputError, match="format 'other/9'"):
        LearnedLexicon.load(p)
    with pytest.raises(InputError, match="2 traced lines but 1 references"):
        LearnedLexicon.learn([[], []], ["x"])


def test_translator_uses_the_injected_table_and_can_go_without() -> None:
    plain = LexicalTranslator(lexicon=None)
    key, cands = next((w, c) for w, c in plain.trace("这项任务很重要。") if w.startswith("任务"))
    assert key == "任务/n"  # the word and jieba's part-of-speech class
    other = cands[1]
    lex = LearnedLexicon(hits={"任务": [(other, 5.0)]}, seen={"任务": 5})  # the bare word's counts serve
    assert other in LexicalTranslator(lexicon=lex).translate_one("这项任务很重要。")
    assert other not in plain.translate_one("这项任务很重要。")
    assert load_translator(TranslateConfig(model="lexical", learned_lexicon=False)).lexicon is None
    assert load_translator(TranslateConfig(model="lexical")).lexicon is packaged_lexicon()
    with pytest.raises(InputError, match="lexicon"):
        LexicalTranslator(lexicon="nonsense")


@pytest.mark.slow
def test_table_learned_without_a_slice_improves_that_slice() -> None:
    """Learned on WMT22 lines 0-999 except every 5th, it must raise chrF on those held-out lines
    (against both references) and keep every number."""
    wmt = read_wmt22(limit=1000)
    src, refs = wmt.src, wmt.refs
    held = wmt.held_out()
    train = sorted(set(range(1000)) - set(held))
    plain = LexicalTranslator(lexicon=None)
    lex = LearnedLexicon.learn([plain.trace(src[i]) for i in train],
                               [(refs["A"][i], refs["B"][i]) for i in train])
    before = plain.translate([src[i] for i in held])
    after = LexicalTranslator(lexicon=lex).translate([src[i] for i in held])
    held_refs = {k: [r[i] for i in held] for k, r in refs.items()}
    b, a = wmt_scores(before, held_refs), wmt_scores(after, held_refs)
    for k in ("A", "B"):
        assert a[f"chrF {k}"] > b[f"chrF {k}"] + 0.5
    assert all(check_numbers(src[i], e).ok for i, e in zip(held, after, strict=True))


@pytest.mark.slow
def test_packaged_table_is_reproduced_by_the_training_script(tmp_path: Path, repo_dir: Path) -> None:
    out = tmp_path / "lex.json"
    script = repo_dir / "models" / "train_lexicon.py"
    subprocess.run([sys.executable, str(script), "--no-cv", "--out", str(out), "--shared", str(shared_dir())],
                   check=True, capture_output=True, cwd=repo_dir)
    fresh, shipped = LearnedLexicon.load(out), LearnedLexicon.load(LEXICON_PATH)
    fresh.meta.pop("learned"), shipped.meta.pop("learned")
    assert fresh == shipped
