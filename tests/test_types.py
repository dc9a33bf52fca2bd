"""The typed objects round-trip through to_dict/from_dict (and through JSON)."""

from __future__ import annotations

import json

import pytest

from regioqa.types import (
    Answer,
    Article,
    Chunk,
    Component,
    Hit,
    Section,
    Sentence,
    Span,
    Summary,
    SummarySentence,
    Translator,
)

CHUNK = Chunk("a1", "a1#0", 0, 0, 8, "第一句。第二句。")
SENT = Sentence("a1", 4, 8, "第二句。")


def _json(d: dict) -> dict:
    return json.loads(json.dumps(d, ensure_ascii=False))


@pytest.mark.parametrize("obj", [
    CHUNK,
    SENT,
    Hit(CHUNK, 0.75, "hybrid", 1, "标题", {"dense": 0.5, "bm25": 2.0}),
    Answer("第二句", 3.5, "a1", "标题", 4, 7, sentence=SENT, chunk_id="a1#0", text_en="Second",
           sentence_en="Second sentence.", no_answer_score=-1.0),
    Answer.abstain(-2.0, no_answer_score=1.5),
    SummarySentence("第一句。", "First.", 0, 4, numbers_ok=False),
    Summary("a1", "标题", "Title", [SummarySentence("第一句。", "First.", 0, 4)], "extractive"),
    Summary("a1", "标题", "", [], "error", error="empty body"),
    Article("a1", "标题", "第一句。第二句。", byline=["记者 张三"], sections=[Section("一", 0)],
            paragraphs=[Span(0, 8)], date="2024-01-02", meta={"k": 1}),
], ids=lambda o: type(o).__name__)
def test_round_trip_through_json(obj):
    assert type(obj).from_dict(_json(obj.to_dict())) == obj


def test_hit_from_dict_gives_a_chunk_object():
    h = Hit.from_dict(_json(Hit(CHUNK, 1.0, "dense", 1).to_dict()))
    assert isinstance(h.chunk, Chunk) and h.article_id == "a1"


def test_answer_from_dict_gives_a_sentence_object():
    a = Answer.from_dict(_json(Answer("第二句", 1.0, "a1", "t", 4, 7, sentence=SENT).to_dict()))
    assert isinstance(a.sentence, Sentence)


def test_answer_from_dict_ignores_unknown_keys():
    d = {**Answer("x", 1.0, "a1", "t", 0, 1).to_dict(), "margin": 1.0}
    assert Answer.from_dict(d).text == "x"


def test_summary_record_schema():
    sents = [SummarySentence("一。", "One.", 0, 2), SummarySentence("二。", "Two.", 2, 4, numbers_ok=False)]
    s = Summary("a1", "标题", "Title", sents, "extractive")
    d = s.to_dict()
    assert list(d) == ["id", "title", "title_en", "summary_en", "method", "numbers_ok", "sentences", "error"]
    assert d["summary_en"] == "One. Two." and d["numbers_ok"] is False


def test_summary_error_record_has_only_id_title_error():
    d = Summary("a1", "标题", "", [], "error", error="boom").to_dict()
    assert d == {"id": "a1", "title": "标题", "error": "boom"}


def test_lexical_translator_is_a_translator():
    from regioqa.translate import LexicalTranslator

    assert isinstance(LexicalTranslator(), Translator)


def test_an_object_without_warm_up_is_not_a_component():
    assert not isinstance(object(), Component)


class _Warmable:
    """A part that counts its ``warm_up()`` calls (stands for a lazily loaded model)."""

    name, lexical = "fake", True

    def __init__(self) -> None:
        self.warmed = 0

    def warm_up(self) -> _Warmable:
        self.warmed += 1
        return self

    def translate(self, texts: list[str]) -> list[str]:
        return list(texts)


def test_summarizer_warm_up_warms_its_translator_and_embedder():
    from regioqa.config import SummarizeConfig
    from regioqa.summarize import Summarizer

    tr, emb = _Warmable(), _Warmable()
    s = Summarizer(embedder=emb, translator=tr, config=SummarizeConfig(abstractive_model="extractive"))
    assert isinstance(s, Component) and s.warm_up() is s
    assert (tr.warmed, emb.warmed) == (1, 1)


def test_index_warm_up_warms_its_query_embedder():
    from regioqa.index import Index
    from regioqa.testing import HashingEmbedder

    class WarmHashing(HashingEmbedder):
        warmed = 0

        def warm_up(self) -> WarmHashing:
            self.warmed += 1
            return self

    emb = WarmHashing(dim=32)
    idx = Index.build([Article(id="a1", title="标题", text="第一句。第二句。")], emb, show_progress=False)
    assert isinstance(idx, Component) and idx.warm_up() is idx and emb.warmed == 1


def test_regioqa_warm_up_warms_index_and_reader():
    from regioqa.pipeline import RegioQA

    index, reader = _Warmable(), _Warmable()
    qa = RegioQA(index, reader=reader)  # type: ignore[arg-type]
    assert isinstance(qa, Component) and qa.warm_up() is qa
    assert (index.warmed, reader.warmed) == (1, 1)
