"""Sentence splitting and chunking: examples plus property-based invariants (hypothesis)."""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from regioqa.config import ChunkConfig
from regioqa.text import Chunker, sentences, split_sentences
from regioqa.types import Article


def texts(t: str) -> list[str]:
    return [t[s.start:s.end] for s in split_sentences(t)]


# -- sentence splitter: examples -----------------------------------------------------------------

@pytest.mark.parametrize(("text", "expected"), [
    ("第一句。第二句！第三句？第四句；第五句……第六句",
     ["第一句。", "第二句！", "第三句？", "第四句；", "第五句……", "第六句"]),
    ("他说：“我们成功了。”大家鼓掌。", ["他说：“我们成功了。”", "大家鼓掌。"]),
    ("（见附件。）下一句。", ["（见附件。）", "下一句。"]),
    ("真的吗？！”她问。", ["真的吗？！”", "她问。"]),
    ("提升产量31.5%。节水超30%。", ["提升产量31.5%。", "节水超30%。"]),
    ("It grew 3.5 percent. Then it fell!", ["It grew 3.5 percent.", "Then it fell!"]),
    ("Ask Dr. Smith, e.g. about the U.S. economy. Done?",
     ["Ask Dr. Smith, e.g. about the U.S. economy.", "Done?"]),
    ("Wait... really? Yes.", ["Wait...", "really?", "Yes."]),
    ("see example.com today. OK", ["see example.com today.", "OK"]),
    ("中文句子。English sentence. 再来一句", ["中文句子。", "English sentence.", "再来一句"]),
    ("第一段没有标点\n第二段", ["第一段没有标点", "第二段"]),
    ("  前后有空白。  \n\n  ", ["前后有空白。"]),
    ("实现苜蓿育种4.0。", ["实现苜蓿育种4.0。"]),
    ("见 http://x.cn/?a=1&b=2!好的", ["见 http://x.cn/?a=1&b=2!", "好的"]),
    ("真的?对!“好.”走", ["真的?", "对!", "“好.”", "走"]),
    ("J. K. Rowling wrote it. Mr. Li agreed.", ["J. K. Rowling wrote it.", "Mr. Li agreed."]),
])
def test_split_examples(text: str, expected: list[str]) -> None:
    assert texts(text) == expected


def test_empty_and_whitespace() -> None:
    assert split_sentences("") == []
    assert split_sentences(" \n\t\u3000 ") == []


def test_sentences_carry_article_id_and_offsets() -> None:
    a = Article(id="x1", title="t", text="  甲乙。丙丁！")
    out = sentences(a)
    assert [(s.article_id, s.start, s.end, s.text) for s in out] == [
        ("x1", 2, 5, "甲乙。"), ("x1", 5, 8, "丙丁！")]


def test_corpus_sentences_are_whole(repo_dir) -> None:
    from regioqa.corpus import read_articles_jsonl

    for a in read_articles_jsonl(repo_dir / "corpus" / "articles.jsonl"):
        for s in sentences(a):
            assert a.text[s.start:s.end] == s.text
            # every sentence ends at a terminator (+ closers) or at the end of its paragraph
            para_ends = {p.end for p in a.paragraphs}
            assert re.search(r"[。！？；…][”’」』）)]*$", s.text) or s.end in para_ends, s.text


# -- sentence splitter: properties ---------------------------------------------------------------

PIECES = list("甲乙丙丁abc XYZ 3.5。！？；…“”‘’（）()\n\t.!?,，、U.S") + ["e.g.", "U.S."]
RICH = st.lists(st.sampled_from(PIECES), max_size=200).map("".join)
ANY = st.text(max_size=300)


def _check_spans(t: str) -> None:
    spans = split_sentences(t)
    pos = 0
    for s in spans:
        assert pos <= s.start < s.end <= len(t)
        seg = t[s.start:s.end]
        assert seg == seg.strip() and seg
        assert t[pos:s.start].strip() == ""  # only whitespace between sentences
        pos = s.end
    assert t[pos:].strip() == ""


@given(st.one_of(RICH, ANY))
@settings(max_examples=300, deadline=None)
def test_split_properties(t: str) -> None:
    _check_spans(t)


# -- chunker -------------------------------------------------------------------------------------

def fake_tokens(texts_: list[str]) -> list[int]:
    """Stand-in tokenizer: a token per CJK char, latin word, number or symbol, plus 2 specials."""
    return [len(re.findall(r"[A-Za-z0-9]+|[^\sA-Za-z0-9]", t)) + 2 for t in texts_]


def _check_chunks(a: Article, chunks, budget: int, counter=None) -> None:
    t = a.text
    covered = bytearray(len(t))
    prev_start, prev_end = -1, -1
    for k, c in enumerate(chunks):
        assert c.article_id == a.id and c.index == k and c.chunk_id == f"{a.id}#{k}"
        assert c.text == t[c.start:c.end]
        assert c.text and c.text == c.text.strip()
        assert c.start > prev_start and c.end > prev_end  # progress, no duplicate chunks
        prev_start, prev_end = c.start, c.end
        n = len(c.text) if counter is None else counter([c.text])[0]
        assert n <= budget or (counter is not None and len(c.text) == 1)
        covered[c.start:c.end] = b"\x01" * (c.end - c.start)
    missing = "".join(ch for ch, cov in zip(t, covered, strict=True) if not cov)
    assert missing.strip() == ""  # every non-whitespace character is in some chunk


@given(st.one_of(RICH, ANY), st.integers(1, 40), st.integers(0, 3))
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_chunker_invariants_chars(t: str, budget: int, overlap: int) -> None:
    a = Article(id="p", title="", text=t)
    chunks = Chunker(ChunkConfig(max_tokens=budget, overlap_sentences=overlap)).run(a)
    _check_chunks(a, chunks, budget)


@given(st.one_of(RICH, ANY), st.integers(3, 40), st.integers(0, 2))
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_chunker_invariants_tokens(t: str, budget: int, overlap: int) -> None:
    a = Article(id="q", title="", text=t)
    cfg = ChunkConfig(max_tokens=budget, overlap_sentences=overlap)
    chunks = Chunker(cfg, count_tokens=fake_tokens).run(a)
    _check_chunks(a, chunks, budget, counter=fake_tokens)


@pytest.mark.parametrize("text", ["", "   ", "\n\n\t\u3000"])
def test_chunker_empty(text: str) -> None:
    assert Chunker().run(Article(id="e", title="", text=text)) == []


def test_chunker_one_huge_sentence() -> None:
    t = ("科技创新引领产业发展" * 10_000)  # 100,000 characters, no punctuation
    a = Article(id="h", title="", text=t)
    chunks = Chunker(ChunkConfig(max_tokens=256, overlap_sentences=1)).run(a)
    _check_chunks(a, chunks, 256)
    assert len(chunks) >= 100_000 // 256
    chunks = Chunker(ChunkConfig(max_tokens=256), count_tokens=fake_tokens).run(a)
    _check_chunks(a, chunks, 256, counter=fake_tokens)


def test_chunker_huge_sentence_breaks_at_commas() -> None:
    t = "，".join(["呼和浩特市科技创新发展指数"] * 200) + "。"
    chunks = Chunker(ChunkConfig(max_tokens=100, overlap_sentences=0)).run(Article(id="c", title="", text=t))
    assert all(c.text.endswith(("，", "。")) for c in chunks)


def test_overlap_repeats_whole_sentences() -> None:
    t = "".join(f"这是第{i}句话。" for i in range(10))  # each 7 chars
    a = Article(id="o", title="", text=t)
    no = Chunker(ChunkConfig(max_tokens=21, overlap_sentences=0)).run(a)
    one = Chunker(ChunkConfig(max_tokens=21, overlap_sentences=1)).run(a)
    assert [c.text for c in no][:2] == ["这是第0句话。这是第1句话。这是第2句话。",
                                        "这是第3句话。这是第4句话。这是第5句话。"]
    assert one[1].text.startswith("这是第2句话。")  # last sentence of chunk 0 repeated
    for x, y in zip(one, one[1:], strict=False):
        assert split_sentences(x.text)[-1] and x.text.endswith(y.text[:7])


def test_token_budget_uses_counter() -> None:
    t = "".join(f"句子{i}号。" for i in range(50))
    a = Article(id="t", title="", text=t)
    calls: list[int] = []

    def counter(xs: list[str]) -> list[int]:
        calls.append(len(xs))
        return fake_tokens(xs)

    chunks = Chunker(ChunkConfig(max_tokens=30, overlap_sentences=0), count_tokens=counter).run(a)
    assert all(fake_tokens([c.text])[0] <= 30 for c in chunks)
    assert calls[0] == 50  # one batch call for all sentences
    # the 2 special tokens are paid once per chunk: 5 sentences of 5 content tokens fit in 30 (27)
    assert len(split_sentences(chunks[0].text)) == 5 and fake_tokens([chunks[0].text]) == [27]
    # character mode packs differently (budget in characters)
    assert [c.text for c in Chunker(ChunkConfig(max_tokens=30, overlap_sentences=0)).run(a)] != [
        c.text for c in chunks]


def test_bad_counter_is_reported() -> None:
    with pytest.raises(ValueError, match="counts for"):
        Chunker(count_tokens=lambda xs: [1]).run(Article(id="b", title="", text="一。二。"))


def test_min_chars_merges_short_tail() -> None:
    a = Article(id="m", title="", text="这是一个比较长的句子。短。")
    merged = Chunker(ChunkConfig(max_tokens=13, overlap_sentences=0, min_chars=3)).run(a)
    assert [c.text for c in merged] == ["这是一个比较长的句子。短。"]
    apart = Chunker(ChunkConfig(max_tokens=11, overlap_sentences=0, min_chars=3)).run(a)
    assert [c.text for c in apart] == ["这是一个比较长的句子。", "短。"]  # merging would exceed the budget


def test_corpus_chunks(repo_dir) -> None:
    from regioqa.corpus import read_articles_jsonl

    for a in read_articles_jsonl(repo_dir / "corpus" / "articles.jsonl"):
        chunks = Chunker(ChunkConfig(max_tokens=200, overlap_sentences=1)).run(a)
        _check_chunks(a, chunks, 200)
        assert len(chunks) >= len(a.text) // 200
