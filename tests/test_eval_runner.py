"""The evaluation runner, reports, compare and CLI, driven by small fakes with known outcomes.

The fakes answer the real gold questions in fixed ways (Chinese right, English wrong, ...) so every
metric the runner reports can be predicted from the gold set's own counts.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from regioqa.config import Config
from regioqa.corpus import read_articles_jsonl
from regioqa.errors import InputError
from regioqa.evals.components import Components
from regioqa.evals.gold import Gold, answer_chunks, load_gold
from regioqa.evals.qa_eval import eval_squad
from regioqa.evals.report import compare, load_report, render_compare, render_markdown, write_report
from regioqa.evals.runner import run_gold
from regioqa.evals.squad import read_ids, read_squad
from regioqa.text import Chunker
from regioqa.types import Answer, Article, Hit, Summary, SummarySentence

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def gold() -> Gold:
    return load_gold()


@pytest.fixture(scope="module")
def articles() -> dict[str, Article]:
    return {a.id: a for a in read_articles_jsonl(REPO / "corpus" / "articles.jsonl")}


class FakeIndex:
    """Puts a chunk holding the answer at a fixed rank: zh always first; en 3rd (dense), 2nd (hybrid),
    never (bm25)."""

    EN_POS = {"dense": 2, "hybrid": 1, "bm25": None}

    def __init__(self, articles: dict[str, Article], gold: Gold) -> None:
        self.articles = articles
        self.chunks = [c for a in articles.values() for c in Chunker().run(a)]
        self.by_q = {q.question: q for q in gold.qa}

    def search(self, query: str, k: int | None = None, mode: str | None = None) -> list[Hit]:
        q = self.by_q[query]
        rel = answer_chunks(q, self.chunks)
        others = [c for c in self.chunks if c.chunk_id not in rel]
        pos = 0 if q.lang == "zh" else self.EN_POS[mode or "hybrid"]
        ranked = list(others)
        if pos is not None:
            ranked.insert(pos, next(c for c in self.chunks if c.chunk_id in rel))
        return [Hit(c, 1.0 / (i + 1), mode or "hybrid", i + 1) for i, c in enumerate(ranked[: k or 5])]


def fake_qa(gold: Gold, en_right: bool = False):
    by_q = {q.question: q for q in gold.qa}

    def ask(question: str) -> list[Answer]:
        q = by_q[question]
        if not q.answerable:
            if q.lang == "zh":
                return [Answer.abstain(score=-1.0)]
            return [Answer("北京", 0.2, "x", "", 0, 2)]
        if q.lang == "zh" or en_right:
            return [Answer(q.answer, 0.9, q.article_id, "", q.start, q.end)]
        return [Answer("错误答案", 0.4, q.article_id, "", 0, 4)]

    return ask


class FakeTranslator:
    name, lexical = "fake", False

    def __init__(self, gold: Gold, broken: bool = False) -> None:
        self.ref = {t.zh: t.en for t in gold.translations}
        self.broken = broken

    def translate(self, texts: list[str]) -> list[str]:
        if self.broken:
            raise RuntimeError("translator exploded")
        out = [self.ref[t] for t in texts]
        out[0] = "Something without the numbers."
        return out


class FakeSummarizer:
    """Returns the gold summary for the first article and an empty-ish one elsewhere."""

    def __init__(self, gold: Gold) -> None:
        self.ref = {s.article_id: s.summary for s in gold.summaries}
        self.first = gold.summaries[0].article_id

    def run(self, article: Article) -> Summary:
        en = self.ref[article.id] if article.id == self.first else "Nothing to see."
        zh = article.text[:10]
        return Summary(article.id, article.title, "t", [SummarySentence(zh, en, 0, 10)], "fake")


def components(gold: Gold, articles: dict[str, Article], **kw) -> Components:
    base = dict(articles=articles, index=FakeIndex(articles, gold), qa=fake_qa(gold),
                translator=FakeTranslator(gold), summarizer=FakeSummarizer(gold))
    base.update(kw)
    return Components(**base)


@pytest.fixture(scope="module")
def report(gold, articles) -> dict:
    return run_gold(components=components(gold, articles), gold=gold)


def test_retrieval_metrics_follow_the_fake_ranks(report, gold):
    part = report["parts"]["retrieval"]
    assert part["status"] == "ok"
    m = part["metrics"]
    n_zh = sum(q.answerable and q.lang == "zh" for q in gold.qa)
    n_en = sum(q.answerable and q.lang == "en" for q in gold.qa)
    assert m["hybrid"]["zh"] == {"n": n_zh, "recall@1": 1.0, "recall@5": 1.0, "recall@10": 1.0,
                                 "mrr@10": 1.0, "ndcg@10": 1.0}
    assert m["dense"]["en"]["n"] == n_en
    assert (m["dense"]["en"]["recall@1"], m["dense"]["en"]["recall@5"]) == (0.0, 1.0)
    assert m["dense"]["en"]["mrr@10"] == pytest.approx(1 / 3, abs=1e-4)
    assert m["hybrid"]["en"]["mrr@10"] == 0.5
    assert m["bm25"]["en"]["recall@10"] == 0.0 and m["bm25"]["en"]["ndcg@10"] == 0.0
    assert m["hybrid"]["all"]["n"] == n_zh + n_en
    assert m["hybrid"]["all"]["mrr@10"] == pytest.approx((n_zh + 0.5 * n_en) / (n_zh + n_en), abs=1e-4)
    ranks = {it["id"]: it["rank_hybrid"] for it in part["items"]}
    assert all(ranks[q.id] == (1 if q.lang == "zh" else 2) for q in gold.qa if q.answerable)


def test_qa_metrics_and_abstention(report, gold):
    part = report["parts"]["qa"]
    assert part["status"] == "ok"
    m = part["metrics"]
    assert (m["zh"]["em"], m["zh"]["f1"]) == (100.0, 100.0)
    assert (m["en"]["em"], m["en"]["f1"]) == (0.0, 0.0)
    un_zh = sum(not q.answerable and q.lang == "zh" for q in gold.qa)
    un = sum(not q.answerable for q in gold.qa)
    assert m["abstention"]["abstained"] == un_zh
    assert m["abstention"]["precision"] == 1.0
    assert m["abstention"]["recall"] == pytest.approx(un_zh / un, abs=1e-4)
    # SQuAD 2.0 style overall: right on zh answerable + zh unanswerable
    right = sum(q.lang == "zh" for q in gold.qa)
    assert m["all"]["f1"] == pytest.approx(100 * right / len(gold.qa), abs=0.01)
    # oracle threshold: abstaining below 0.4 turns the en unanswerable answers (score 0.2) right; the
    # wrong en answers (0.4) score 0 either way, so the lowest threshold with the best F1 is 0.4
    un_en = un - un_zh
    assert m["oracle_threshold"]["threshold"] == 0.4
    assert m["oracle_threshold"]["f1"] == pytest.approx(100 * (right + un_en) / len(gold.qa), abs=0.01)
    rows = {r["id"]: r for r in part["items"]}
    en_q = next(q for q in gold.qa if q.lang == "en" and q.answerable)
    assert rows[en_q.id]["prediction"] == "错误答案" and rows[en_q.id]["f1"] == 0.0
    zh_q = next(q for q in gold.qa if q.lang == "zh" and q.answerable)
    assert rows[zh_q.id]["span_overlaps_gold"] is True


def test_translation_and_summary_metrics(report, gold):
    tr = report["parts"]["translation"]
    assert tr["status"] == "ok"
    n = len(gold.translations)
    assert tr["metrics"]["number_consistency"] == pytest.approx((n - 1) / n, abs=1e-4)
    bad = [r for r in tr["items"] if not r["numbers_ok"]]
    assert [r["id"] for r in bad] == [gold.translations[0].id] and bad[0]["numbers_missing"]
    assert 50 < tr["metrics"]["chrf"] < 100
    assert all(r["chrf"] == pytest.approx(100.0) for r in tr["items"][1:])
    su = report["parts"]["summaries"]
    assert su["status"] == "ok"
    total = sum(len(s.facts) for s in gold.summaries)
    assert su["metrics"]["fact_coverage"] == pytest.approx(len(gold.summaries[0].facts) / total, abs=1e-4)
    assert su["items"][0]["fact_coverage"] == 1.0 and su["items"][1]["facts_missed"]


def test_missing_component_is_not_available_and_a_crash_is_contained(gold, articles):
    class NoTranslator(Components):
        def get_translator(self, cfg):
            raise ImportError("No module named 'regioqa.translate'")

    comp = NoTranslator(articles=articles, index=FakeIndex(articles, gold), qa=fake_qa(gold),
                        summarizer=FakeSummarizer(gold))
    rep = run_gold(["translation", "qa"], comp, gold=gold)
    assert rep["parts"]["translation"]["status"] == "not available"
    assert "regioqa.translate" in rep["parts"]["translation"]["reason"]
    assert rep["parts"]["qa"]["status"] == "ok"
    rep = run_gold(["translation", "summaries"],
                   components(gold, articles, translator=FakeTranslator(gold, broken=True)), gold=gold)
    assert rep["parts"]["translation"]["status"] == "error"
    assert "exploded" in rep["parts"]["translation"]["reason"]
    assert rep["parts"]["summaries"]["status"] == "ok"
    with pytest.raises(InputError, match="unknown eval part"):
        run_gold(["nonsense"], comp, gold=gold)


def test_limit_cuts_every_part(gold, articles):
    rep = run_gold(["qa", "translation"], components(gold, articles), gold=gold, limit=3)
    assert len(rep["parts"]["qa"]["items"]) == 3 and len(rep["parts"]["translation"]["items"]) == 3


def test_write_report_json_markdown_and_plots(report, gold, tmp_path):
    files = write_report(report, tmp_path)
    rep = json.loads(files["json"].read_text(encoding="utf-8"))
    assert rep["parts"]["qa"]["status"] == "ok" and rep["plots"]
    pngs = list(tmp_path.glob("*.png"))
    assert {"qa_scores.png", "retrieval_recall.png", "overview.png"} <= {p.name for p in pngs}
    for p in pngs:
        assert p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    md = files["md"].read_text(encoding="utf-8")
    en_wrong = next(q for q in gold.qa if q.lang == "en" and q.answerable)
    zh_right = next(q for q in gold.qa if q.lang == "zh" and q.answerable)
    assert f"| {en_wrong.id} |" in md  # a failure row
    assert f"| {zh_right.id} |" not in md.split("## qa")[1].split("## translation")[0]  # no row for a success
    assert "not available" not in md
    assert not list(tmp_path.glob("*.tmp"))


def test_report_with_nothing_available_still_writes(tmp_path, gold):
    class Nothing(Components):
        def get_articles(self):
            raise ImportError("no corpus")

        def get_index(self, cfg):
            raise ImportError("no index")

        def get_translator(self, cfg):
            raise ImportError("no translator")

    rep = run_gold(["retrieval", "qa", "translation", "summaries"], Nothing(), gold=gold)
    assert {p["status"] for p in rep["parts"].values()} == {"not available"}
    write_report(rep, tmp_path)
    assert (tmp_path / "overview.png").exists()
    assert "not available" in (tmp_path / "report.md").read_text(encoding="utf-8")


def test_compare_finds_better_and_worse(report, gold, articles, tmp_path):
    better = run_gold(["qa"], components(gold, articles, qa=fake_qa(gold, en_right=True)), gold=gold)
    diff = compare(report, better)
    improved = {r["metric"] for r in diff["metrics"]["better"]}
    assert {"qa.en.f1", "qa.en.em", "qa.answerable.f1"} <= improved
    assert not any(r["metric"].startswith("qa.zh.") for r in diff["metrics"]["worse"])
    changed = {r["metric"] for r in diff["metrics"]["better"] + diff["metrics"]["worse"]}
    assert "qa.abstention.abstained" not in changed and "qa.oracle_threshold.threshold" not in changed
    en_ids = {q.id for q in gold.qa if q.lang == "en" and q.answerable}
    assert {r["id"] for r in diff["items"]["qa"]["better"]} == en_ids
    assert diff["items"]["qa"]["worse"] == []
    assert diff["status"]["retrieval"] == {"a": "ok", "b": None}
    text = render_compare(diff)
    assert "BETTER" in text and "qa.en.f1" in text
    back = compare(better, report)
    assert {r["id"] for r in back["items"]["qa"]["worse"]} == en_ids


def test_load_report_rejects_other_json(tmp_path):
    p = tmp_path / "x.json"
    p.write_text('{"a": 1}', encoding="utf-8")
    with pytest.raises(InputError, match="not a regioqa evaluation report"):
        load_report(p)
    with pytest.raises(InputError, match="not found"):
        load_report(tmp_path / "missing.json")


# -------------------------------------------------------------------------------- SQuAD-format files

TRAD = {
    "version": "v2.0",
    "data": [{"title": "t", "paragraphs": [
        {"context": "國家乳業技術創新中心在呼和浩特成立，吸納了100多家成員單位。",
         "qas": [{"id": "a", "question": "國家乳業技術創新中心在哪裡成立？",
                  "answers": [{"text": "呼和浩特", "answer_start": 11}]},
                 {"id": "b", "question": "中心吸納了多少家成員單位？",
                  "answers": [{"text": "100多家", "answer_start": 21}]}]},
        {"context": "甘肅省科技廳已爭取國際合作項目近300項。",
         "qas": [{"id": "c", "question": "甘肅省科技廳爭取了多少項目？",
                  "answers": [{"text": "近300項", "answer_start": 15}]},
                 {"id": "d", "question": "誰是甘肅省省長？", "answers": [], "is_impossible": True}]}]}],
}


class FakeReader:
    """Answers from a lookup keyed on the *simplified* question; records what it was shown."""

    ANSWERS = {"国家乳业技术创新中心在哪里成立？": "呼和浩特",
               "中心吸纳了多少家成员单位？": "100多家成员单位",
               "甘肃省科技厅争取了多少项目？": "300项",
               "Where was the centre founded?": "呼和浩特"}

    def __init__(self) -> None:
        self.seen: list[str] = []
        self.langs: list[str | None] = []

    def question_fits(self, question: str) -> bool:
        return True

    def no_answer_threshold_for(self, lang: str) -> float | None:
        return None

    def relevance_weights(self) -> dict[str, float] | None:
        return None

    def _one(self, q: str) -> Answer:
        self.seen.append(q)
        text = self.ANSWERS.get(q)
        return Answer(text, 1.0, "ctx", "", 0, len(text)) if text else Answer.abstain(score=0.0)

    def predict(self, pairs, allow_abstain=False, langs=None):
        pairs = list(pairs)
        self.langs += list(langs or [None] * len(pairs))
        return [self._one(q) for q, _ctx in pairs]

    def run(self, question, hits, articles, top_k=None, lang=None):
        assert hits and all(h.chunk.article_id in articles for h in hits)
        self.langs.append(lang)
        return [self._one(question)]

    def run_many(self, questions, hits, articles, top_k=None, lang=None, scored=None):
        return [self.run(q, hits, articles, top_k, lang) for q in questions]


@pytest.fixture()
def squad_file(tmp_path) -> Path:
    p = tmp_path / "trad.json"
    p.write_text(json.dumps(TRAD, ensure_ascii=False), encoding="utf-8")
    return p


def test_eval_squad_gold_context_converts_traditional_and_scores(squad_file):
    reader = FakeReader()
    rep = eval_squad(squad_file, reader=reader, progress=False)
    assert rep["converted_t2s"] is True and all("國" not in q for q in reader.seen)
    m = rep["parts"]["qa"]["metrics"]
    # a: EM1 F1 1;
    # b: pred 100多家成员单位 [100,多,家,成,员,单,位] vs 100多家 [100,多,家] -> P 3/7, R 1 -> 0.6;
    # c: pred [300,项] vs [近,300,项] -> P 1, R 2/3 -> 0.8; d: abstained on unanswerable -> 1
    assert m["n"] == 4
    assert m["em"] == pytest.approx(100 * 2 / 4)
    assert m["f1"] == pytest.approx(100 * (1 + 0.6 + 0.8 + 1) / 4, abs=0.01)
    assert m["abstention"]["precision"] == 1.0 and m["abstention"]["recall"] == 1.0
    kept = eval_squad(squad_file, reader=FakeReader(), script="none", progress=False)
    # unconverted questions miss the lookup: all abstain, so only the unanswerable one scores
    assert kept["converted_t2s"] is False and kept["parts"]["qa"]["metrics"]["em"] == 25.0


def test_eval_squad_ids_limit_and_errors(squad_file, tmp_path):
    ids = tmp_path / "ids.txt"
    ids.write_text("c\n{\"id\": \"a\"}\n", encoding="utf-8")
    assert read_ids(ids) == ["c", "a"]
    rep = eval_squad(squad_file, reader=FakeReader(), ids=read_ids(ids), progress=False)
    assert [r["id"] for r in rep["parts"]["qa"]["items"]] == ["a", "c"]
    rep = eval_squad(squad_file, reader=FakeReader(), limit=1, progress=False)
    assert rep["parts"]["qa"]["metrics"]["n"] == 1
    with pytest.raises(InputError, match="not in"):
        eval_squad(squad_file, reader=FakeReader(), ids=["zzz"], progress=False)
    with pytest.raises(InputError, match="--context"):
        eval_squad(squad_file, reader=FakeReader(), context="web", progress=False)
    bad = tmp_path / "bad.json"
    bad.write_text('{"data": [{"paragraphs": [{"context": "x", "qas": [{"id": "1", "question": "?", '
                   '"answers": []}]}]}]}', encoding="utf-8")
    with pytest.raises(InputError, match="no answers and is not marked is_impossible"):
        read_squad(bad)
    bad.write_text("{nope", encoding="utf-8")
    with pytest.raises(InputError, match="line 1"):
        read_squad(bad)


def test_eval_squad_retrieve_context_with_a_real_small_index(squad_file):
    from regioqa.index import Index
    from regioqa.testing import HashingEmbedder

    cfg = Config().override({"retrieve.top_k": 1})
    def build(arts):
        return Index.build(arts, HashingEmbedder(), cfg, show_progress=False)

    rep = eval_squad(squad_file, reader=FakeReader(), context="retrieve", config=cfg, progress=False,
                     index_builder=build)
    part = rep["parts"]["qa"]
    assert part["metrics"]["n"] == 4 and 0.0 <= part["metrics"]["retrieval_recall@k"] <= 1.0
    assert all("retrieval_rank" in r for r in part["items"])
    assert part["metrics"]["f1"] == pytest.approx(100 * (1 + 0.6 + 0.8 + 1) / 4, abs=0.01)


def test_eval_squad_questions_from_another_file_by_id_with_declined_rates_per_language(squad_file, tmp_path):
    en = {"data": [{"title": "t", "paragraphs": [
        {"context": "The centre was founded in Hohhot.",
         "qas": [{"id": "a", "question": "Where was the centre founded?",
                  "answers": [{"text": "Hohhot", "answer_start": 26}]},
                 {"id": "d", "question": "Who is the governor of Gansu?", "answers": [],
                  "is_impossible": True},
                 {"id": "x", "question": "Not in the other file?", "answers": [], "is_impossible": True}]}]}]}
    en_file = tmp_path / "en.json"
    en_file.write_text(json.dumps(en), encoding="utf-8")
    cfg = Config().override({"reader.english_question": "en"})
    for context in ("gold", "retrieve"):
        reader = FakeReader()
        rep = eval_squad(squad_file, reader=reader, questions=en_file, config=cfg, progress=False,
                         context=context, index_builder=_hash_index(cfg))
        assert rep["questions_dropped"] == 2 and reader.langs == ["en", "en"]
        m = rep["parts"]["qa"]["metrics"]
        items = {r["id"]: r for r in rep["parts"]["qa"]["items"]}
        assert items["a"]["question"] == "Where was the centre founded?" and items["a"]["gold"] == "呼和浩特"
        assert items["a"]["f1"] == 1.0 and items["d"]["abstained"]
        assert m["declined"] == {"answerable": {"n": 1, "declined": 0, "rate": 0.0},
                                 "unanswerable": {"n": 1, "declined": 1, "rate": 1.0}}
        assert list(m["by_lang"]) == ["en"] and m["by_lang"]["en"]["f1"] == 100.0
    for context in ("gold", "retrieve"):  # "both": each form read, the answered one kept
        reader = FakeReader()
        both = cfg.override({"reader.english_question": "both"})
        rep = eval_squad(squad_file, reader=reader, questions=en_file, progress=False, context=context,
                         config=both, index_builder=_hash_index(cfg))
        items = {r["id"]: r for r in rep["parts"]["qa"]["items"]}
        assert "Where was the centre founded?" in reader.seen and any(not q.isascii() for q in reader.seen)
        assert items["a"]["f1"] == 1.0 and items["d"]["abstained"]
    en["data"][0]["paragraphs"][0]["qas"] = en["data"][0]["paragraphs"][0]["qas"][2:]
    en_file.write_text(json.dumps(en), encoding="utf-8")
    with pytest.raises(InputError, match="none of its question ids"):
        eval_squad(squad_file, reader=FakeReader(), questions=en_file, progress=False)


def _hash_index(cfg):
    from regioqa.index import Index
    from regioqa.testing import HashingEmbedder

    return lambda arts: Index.build(arts, HashingEmbedder(), cfg, show_progress=False)


# ------------------------------------------------------------------------------------------------ CLI


def test_cli_compare_and_errors(report, gold, articles, tmp_path):
    from typer.testing import CliRunner

    from regioqa.cli import app

    better = run_gold(["qa"], components(gold, articles, qa=fake_qa(gold, en_right=True)), gold=gold)
    a, b = write_report(report, tmp_path / "a")["json"], write_report(better, tmp_path / "b")["json"]
    res = CliRunner().invoke(app, ["eval", "compare", str(a), str(b)])
    assert res.exit_code == 0, res.output
    assert "qa.en.f1" in res.output and "BETTER" in res.output
    res = CliRunner().invoke(app, ["eval", "compare", str(a), str(tmp_path / "nope.json")])
    assert isinstance(res.exception, InputError)
    res = CliRunner().invoke(app, ["eval", "gold", "--index", str(tmp_path / "no-index")])
    assert isinstance(res.exception, InputError) and "does not exist" in str(res.exception)


def test_markdown_renders_a_squad_report(squad_file):
    rep = eval_squad(squad_file, reader=FakeReader(), progress=False)
    md = render_markdown(rep)
    assert "## qa" in md and "| b |" in md and "| a |" not in md


@pytest.fixture(scope="module")
def real_gold(e5_dir):
    """Retrieval and end-to-end QA on the whole gold set with the real models (what `eval gold` reports)."""
    from regioqa.registry import prepare

    prepare(["reader"], progress=False)  # rebuilds from the committed artifact; never trains
    rep = run_gold(["retrieval", "qa"], Components(), Config())
    for name, part in rep["parts"].items():
        assert part["status"] == "ok", (name, part.get("reason"))
    return rep


# Floors a little under the figures measured at 23dbd22 (README "Results"): a regression of two or three
# questions fails. Gold: 66 answerable Chinese and 26 English questions (one English question = 3.8 points).
RETRIEVAL_FLOORS = [  # (mode, lang, metric, floor): measured value in the comment
    ("hybrid", "zh", "recall@1", 0.93),  # 0.970
    ("hybrid", "zh", "mrr@10", 0.95),  # 0.985
    ("hybrid", "en", "recall@1", 0.65),  # 0.731
    ("hybrid", "en", "mrr@10", 0.78),  # 0.838
    ("dense", "zh", "mrr@10", 0.85),  # 0.889
    ("dense", "en", "mrr@10", 0.60),  # 0.672
    ("bm25", "zh", "recall@1", 0.97),  # 1.000
]


@pytest.mark.model
@pytest.mark.slow
@pytest.mark.parametrize(("mode", "lang", "metric", "floor"), RETRIEVAL_FLOORS,
                         ids=["-".join(map(str, f[:3])) for f in RETRIEVAL_FLOORS])
def test_real_retrieval_on_the_gold_set_stays_above_its_floor(real_gold, mode, lang, metric, floor):
    assert real_gold["parts"]["retrieval"]["metrics"][mode][lang][metric] >= floor


@pytest.mark.model
@pytest.mark.slow
# measured F1 81.25 / 61.7 (round-3 weights, english_question "both"; English was 68.9 with round 2 and
# "zh", traded for +16 F1 on XQuAD's held-out English questions: see test_real_xquad_english_*)
@pytest.mark.parametrize(("lang", "floor"), [("zh", 78.0), ("en", 57.0)])
def test_real_end_to_end_qa_on_the_gold_set_stays_above_its_floor(real_gold, lang, floor):
    assert real_gold["parts"]["qa"]["metrics"][lang]["f1"] >= floor


@pytest.mark.model
@pytest.mark.slow
def test_real_xquad_english_questions_on_held_out_articles_stay_above_their_floor(e5_dir):
    """The English-question benchmark of issue #14: XQuAD's English questions over its Chinese paragraphs,
    open-domain over all 120, on the articles the reader never trained or calibrated on (2, 5, ..., 23).
    Measured F1 46.0 with 7.6% of the (all answerable) questions declined (round 3); round 6 with the
    relevance check: F1 55.9, 14.6% declined. Floors a few questions lower."""
    from regioqa.paths import shared_dir
    from regioqa.registry import prepare

    prepare(["reader"], progress=False)
    x = shared_dir() / "data" / "qa-dev" / "xquad-odd-articles"
    zh = json.loads((x / "xquad.zh.json").read_text(encoding="utf-8"))["data"]
    ids = [q["id"] for i, a in enumerate(zh) if i % 3 == 2 for p in a["paragraphs"] for q in p["qas"]]
    assert len(ids) == 198
    rep = eval_squad(x / "xquad.zh.json", questions=x / "xquad.en.json", context="retrieve", ids=ids,
                     config=Config(), progress=False)
    m = rep["parts"]["qa"]["metrics"]
    assert m["n"] == 198 and m["by_lang"]["en"]["f1"] >= 42.0
    # measured 14.6% with the relevance check (its declines were wrong answers: F1 55.9 against 56.4
    # without it); the bound leaves 4 questions for other CPUs' rounding (the target is 15%)
    assert m["declined"]["answerable"]["rate"] <= 0.17


@pytest.mark.model
@pytest.mark.slow
@pytest.mark.parametrize(("lang", "floor"), [("zh", 0.83), ("en", 0.85)])
def test_real_xquad_off_topic_questions_on_held_out_articles_are_declined(e5_dir, tmp_path, lang, floor):
    """Held-out unanswerable questions (evals/xquad_unanswerable.py): the measurement articles' questions
    asked over the other articles' paragraphs only. Measured 2026-12-02: 88.4% declined (Chinese), 89.9%
    (English, with the relevance check; 40.9% without it); floors a few questions lower."""
    import importlib.util

    from regioqa.io import atomic_write_json
    from regioqa.paths import shared_dir
    from regioqa.registry import prepare

    prepare(["reader"], progress=False)
    script = Path(__file__).resolve().parents[1] / "evals" / "xquad_unanswerable.py"
    spec = importlib.util.spec_from_file_location("xquad_unanswerable_t", script)
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    docs = mod.build(shared_dir() / "data" / "qa-dev" / "xquad-odd-articles")
    path = tmp_path / f"off-topic.{lang}.json"
    atomic_write_json(path, docs[path.name])
    rep = eval_squad(path, context="retrieve", config=Config(), progress=False)
    m = rep["parts"]["qa"]["metrics"]
    assert m["n"] == 198 and m["declined"]["unanswerable"]["rate"] >= floor


@pytest.mark.model
@pytest.mark.slow
def test_real_gold_report_has_its_plots(real_gold, tmp_path):
    write_report(real_gold, tmp_path)
    assert (tmp_path / "retrieval_recall.png").exists() and (tmp_path / "qa_scores.png").exists()
