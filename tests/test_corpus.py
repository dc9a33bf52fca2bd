"""Corpus loading: the news-page dump, user .txt folders and .jsonl files, error reporting, the CLI."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from regioqa.corpus import (
    SUFFIXES,
    CorpusWarning,
    load_articles,
    load_corpus,
    parse_page_dump,
    read_articles_jsonl,
    write_articles_jsonl,
)
from regioqa.errors import InputError
from regioqa.types import Article

STEM = "000_925fbcf3af44d05b"


@pytest.fixture(scope="module")
def page(page_path: Path) -> dict[str, Article]:
    arts, report = load_corpus([page_path])
    assert report.skipped == [] and report.warnings == []
    return {a.id: a for a in arts}


# -- the news page -------------------------------------------------------------------------------

def test_three_articles_with_titles(page: dict[str, Article]) -> None:
    assert list(page) == [f"{STEM}-a1", f"{STEM}-a2", f"{STEM}-a3"]
    a1, a2, a3 = page.values()
    assert a1.title == "呼和浩特聚力实现科技“突围”"
    assert a1.meta["kicker"] == "重点培育六大集群 抢占未来产业赛道"
    assert a2.title == "构筑山西特色的区域科技创新体系"  # the headline that stands after its body
    assert a2.meta["column"] == "区域创新大家谈"
    assert a3.title == "甘肃：密织合作网络 培育创新硕果"
    assert a1.text.startswith("在今年内蒙古自治区经济工作会议上")
    assert a2.text.startswith("创新作为引领发展的第一动力")
    assert a3.text.startswith("记者近日了解到")
    assert a1.text.endswith("并转化为生产力。")
    assert a2.text.endswith("创造动力竞相迸发。")
    assert a3.text.endswith("正在飞驰前行。")


def test_cut_paragraphs_are_joined(page: dict[str, Article]) -> None:
    a1, a3 = page[f"{STEM}-a1"], page[f"{STEM}-a3"]
    assert "企业是创新的主体。2023年，呼和浩特市着力强化企业创新主体地位，建立科技型中小企业" in a1.text
    assert "立足甘肃省马铃薯区域优势，2019年在甘肃省科技厅的支持下，甘肃省农科院马铃薯研究所" in a3.text
    joined = [a.text[p.start:p.end] for a in (a1, a3) for p in a.paragraphs]
    assert any(p.startswith("企业是创新的主体。") and p.endswith("推动研发活动全覆盖。") for p in joined)


def test_no_captions_labels_bylines_in_bodies(page: dict[str, Article]) -> None:
    for a in page.values():
        assert "摄" not in a.text and "供图" not in a.text
        assert "区域创新大家谈" not in a.text
        assert "◎" not in a.text and "本报记者" not in a.text and "通讯员" not in a.text
        assert "作者系" not in a.text and "##" not in a.text
        for p in a.paragraphs:
            para = a.text[p.start:p.end]
            assert para not in ("以全球化视野谋划科技创新", "构筑山西特色的区域科技创新体系", a.title)
            assert para == para.strip() and para
        assert [s.heading for s in a.sections if "以全球化" in s.heading or "区域创新" in s.heading] == []
    # the Gansu piece does use the page label's words in a sentence of its own
    assert "以全球化视野谋划科技创新是近年来甘肃国际科技合作的创新“密码”" in page[f"{STEM}-a3"].text


def test_captions_bylines_author_info(page: dict[str, Article]) -> None:
    a1, a2, a3 = page.values()
    assert a1.captions == ["呼和浩特市科拓生物现代化的益生菌制剂生产工厂。 武子喧摄"]
    assert a2.captions == []
    assert a3.captions == ["俄罗斯沃罗涅日国立农业大学工作人员参观甘肃省农科院马铃薯种质资源离体保存库。"
                           " 受访者供图"]
    assert a1.byline == ["杨卫东", "张景阳", "武子喧"]
    assert [p["role"] for p in a1.meta["byline"]] == ["author", "reporter", "correspondent"]
    assert a2.byline == ["刘俊义"] and a2.meta["byline"][0]["role"] == "author"
    assert a2.meta["author_info"] == "作者系山西省科技厅党组书记、厅长"
    assert a3.byline == ["邸金", "顾满斌", "陈逸凡"]  # the byline runs over two lines
    assert [p["role"] for p in a3.meta["byline"]] == ["author", "reporter", "correspondent"]


def test_sections_and_paragraph_offsets(page: dict[str, Article], page_path: Path) -> None:
    a1, a2, a3 = page.values()
    assert [s.heading for s in a1.sections] == ["打造高能级科创平台 汇聚强大攻坚力量",
                                                "强化企业创新主体地位 助力传统产业升级",
                                                "探索人才培养新模式 加速科技成果转化"]
    assert a2.sections == []
    assert [s.heading for s in a3.sections] == ["横跨万里，洮河与莱茵河因科技“联姻”",
                                                "引进种质资源，为马铃薯编修“族谱”"]
    assert a1.text[a1.sections[0].start:].startswith("国家乳业技术创新中心在呼和浩特成立")
    assert a1.text[a1.sections[1].start:].startswith("企业是创新的主体。")
    assert a3.text[a3.sections[1].start:].startswith("马铃薯是甘肃省“牛羊菜果薯药”")
    lines = {s.strip() for s in page_path.read_text(encoding="utf-8").splitlines() if s.strip()}
    for a in page.values():
        assert a.text == "\n".join(a.text[p.start:p.end] for p in a.paragraphs)
        assert {s.start for s in a.sections} <= {p.start for p in a.paragraphs}
        unjoined = [a.text[p.start:p.end] for p in a.paragraphs if a.text[p.start:p.end] in lines]
        assert len(unjoined) >= len(a.paragraphs) - 1  # all but the one repaired paragraph are source lines


def test_nothing_dropped(page: dict[str, Article], page_path: Path) -> None:
    """Every non-empty source line ends up in a body, title, kicker/column, section, caption or byline."""
    kept = []
    for a in page.values():
        kept += [a.text, a.title, a.meta.get("kicker", ""), a.meta.get("column", ""), a.meta["byline_raw"],
                 a.meta.get("author_info", "")] + a.captions + [s.heading for s in a.sections]
    blob = "\n".join(kept)
    for line in page_path.read_text(encoding="utf-8").splitlines():
        s = re.sub(r"^#+\s*", "", line.strip()).strip("()（） ")
        assert s in blob, line


def test_built_corpus_matches_parser(page: dict[str, Article], repo_dir: Path) -> None:
    built = read_articles_jsonl(repo_dir / "corpus" / "articles.jsonl")
    assert [a.to_dict() for a in built] == [a.to_dict() for a in page.values()]


# -- the page-dump rules on other pages -----------------------------------------------------------

def _page(*blocks: str) -> str:
    return "\n\n".join(blocks) + "\n"


def test_dump_rules_generalise() -> None:
    text = _page(
        "## 本版导读", "## 引题一", "## 第一篇标题", "◎本报记者 王五 李六",
        "第一篇第一段。", "## 小节", "第一篇第二段被图片", "一张照片的说明。 新华社记者 赵七 摄", "截断了。",
        "## 专栏名称", "◎张三", "一、讲道理", "评论正文讲改革创新的道理。", "评论第二段。",
        "（作者系某省某厅厅长）", "## 评论讲改革创新的道理", "## 第三篇标题", "◎本报记者 周八",
        "通讯员 吴九", "第三篇正文。", "（资料图片）图为某地的景色（资料图片）",
    )
    arts = parse_page_dump(text, "p")
    assert [a.id for a in arts] == ["p-a1", "p-a2", "p-a3"]
    a, b, c = arts
    assert (a.title, a.meta["kicker"], a.meta["page_labels"]) == ("第一篇标题", "引题一", ["本版导读"])
    assert a.text == "第一篇第一段。\n第一篇第二段被图片截断了。"
    assert a.captions == ["一张照片的说明。 新华社记者 赵七 摄"]
    assert a.byline == ["王五", "李六"] and a.sections[0].heading == "小节"
    assert (b.title, b.meta["column"]) == ("评论讲改革创新的道理", "专栏名称")
    assert b.meta["author_info"] == "作者系某省某厅厅长"
    assert b.text == "一、讲道理\n评论正文讲改革创新的道理。\n评论第二段。"  # unmarked subheading: not joined
    assert c.title == "第三篇标题" and c.byline == ["周八", "吴九"]
    assert c.text == "第三篇正文。" and c.captions == ["（资料图片）图为某地的景色（资料图片）"]


def test_dump_without_bylines_is_one_article() -> None:
    arts = parse_page_dump(_page("## 标题", "正文一。", "## 小节", "正文二。"), "q")
    assert len(arts) == 1 and arts[0].title == "标题" and arts[0].text == "正文一。\n正文二。"


# -- user formats --------------------------------------------------------------------------------

def test_txt_folder(tmp_path: Path) -> None:
    (tmp_path / "b.txt").write_text("第二篇标题\n\n第一段。\n\n第二段\n还是第二段。\n", encoding="utf-8")
    (tmp_path / "a.txt").write_text("# First title\nLine one.\nLine two.\n", encoding="utf-8")
    (tmp_path / "notes.md").write_text("ignored", encoding="utf-8")
    (tmp_path / ".hidden.txt").write_text("x\ny", encoding="utf-8")
    arts, report = load_corpus([tmp_path])
    assert [(a.id, a.title, a.text) for a in arts] == [
        ("a", "First title", "Line one.\nLine two."), ("b", "第二篇标题", "第一段。\n第二段还是第二段。")]
    assert [str(p) for p in report.skipped] == [f"{tmp_path / 'notes.md'}: not a corpus file "
                                                f"(expected {', '.join(SUFFIXES)}); skipped"]
    assert report.n_articles == 2


def test_jsonl_records_and_problems(tmp_path: Path) -> None:
    f = tmp_path / "news.jsonl"
    lines = [
        {"id": "n1", "title": "标题一", "text": "正文一。\r\n第二段。", "date": "2024-03-01", "url": "http://x"},
        "{not json",
        {"id": "n2", "title": "无正文"},
        {"title": "没有编号", "text": "正文三。", "lang": "zh"},
        {"id": "n1", "title": "重复", "text": "重复的正文。"},
        {"id": "n4", "text": "没有标题。"},
        ["not", "an", "object"],
    ]
    body = "\n".join(x if isinstance(x, str) else json.dumps(x, ensure_ascii=False) for x in lines)
    f.write_text(body + "\n", encoding="utf-8")
    arts, report = load_corpus([f])
    assert [a.id for a in arts] == ["n1", "news-4", "n4"]
    n1 = arts[0]
    assert (n1.text, n1.date, n1.url) == ("正文一。\n第二段。", "2024-03-01", "http://x")
    assert n1.paragraphs[1].start == 5
    assert arts[1].meta["lang"] == "zh"
    msgs = [str(p) for p in report.problems]
    assert any(m.startswith(f"{f}:2: invalid JSON") for m in msgs)
    assert f"{f}:3: missing 'text'" in msgs
    assert any(m.startswith(f"{f}:5: duplicate id 'n1' (first at {f}:1)") for m in msgs)
    assert any(m.startswith(f"{f}:6: missing or non-string 'title'") for m in msgs)
    assert any(m.startswith(f"{f}:7: expected a JSON object") for m in msgs)
    assert len(report.skipped) == 4 and len(report.warnings) == 1
    with pytest.raises(InputError, match=rf"{re.escape(str(f))}:2: invalid JSON"):
        load_corpus([f], strict=True)


def test_empty_and_undecodable_files(tmp_path: Path) -> None:
    (tmp_path / "empty.txt").write_text("  \n\n", encoding="utf-8")
    (tmp_path / "gbk.txt").write_bytes("标题\n正文\n".encode() + "第三行".encode("gbk"))
    (tmp_path / "ok.jsonl").write_text(json.dumps({"title": "t", "text": "好。"}) + "\n", encoding="utf-8")
    arts, report = load_corpus([tmp_path])
    assert [a.id for a in arts] == ["ok-1"]
    msgs = [str(p) for p in report.skipped]
    assert f"{tmp_path / 'empty.txt'}: empty file; skipped" in msgs
    assert any(m.startswith(f"{tmp_path / 'gbk.txt'}:3: undecodable bytes") for m in msgs)
    assert report.files == {str(tmp_path / "empty.txt"): 0, str(tmp_path / "gbk.txt"): 0,
                            str(tmp_path / "ok.jsonl"): 1}


def test_duplicate_ids_across_files(tmp_path: Path) -> None:
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "same.txt").write_text("A\n正文。", encoding="utf-8")
    (tmp_path / "same.txt").write_text("B\n正文。", encoding="utf-8")
    with pytest.warns(CorpusWarning, match="duplicate id 'same'"):
        arts = load_articles([tmp_path / "same.txt", tmp_path / "x"])
    assert [a.title for a in arts] == ["B"]


def test_bad_paths(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        load_corpus([tmp_path / "missing"])
    (tmp_path / "x.doc").write_text("a", encoding="utf-8")
    with pytest.raises(InputError, match="unsupported file type '.doc'"):
        load_corpus([tmp_path / "x.doc"])
    with pytest.raises(InputError, match="not found"):
        read_articles_jsonl(tmp_path / "nope.jsonl")


def test_roundtrip(tmp_path: Path, page: dict[str, Article]) -> None:
    out = tmp_path / "c.jsonl"
    assert write_articles_jsonl(page.values(), out) == 3
    back = read_articles_jsonl(out)
    assert [a.to_dict() for a in back] == [a.to_dict() for a in page.values()]
    assert load_articles(out)[1].sections == page[f"{STEM}-a2"].sections


# -- CLI -----------------------------------------------------------------------------------------

def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    return subprocess.run([sys.executable, "-c", "from regioqa.cli import main; main()", *args],
                          capture_output=True, text=True, cwd=cwd, env=env, timeout=120)


def test_cli_build(tmp_path: Path, page_path: Path) -> None:
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "a.txt").write_text("我的标题\n我的正文。", encoding="utf-8")
    (tmp_path / "mine" / "b.jsonl").write_text('{"title": "x"}\n', encoding="utf-8")
    r = _cli("corpus", "build", str(page_path), str(tmp_path / "mine"), "--out", "out.jsonl", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "read 3 file(s), 4 article(s); skipped 1 item(s)" in r.stdout
    assert f"{tmp_path / 'mine' / 'b.jsonl'}:1: missing 'text'" in r.stderr
    assert [a.id for a in read_articles_jsonl(tmp_path / "out.jsonl")][-1] == "a"
    r = _cli("corpus", "build", str(tmp_path / "mine" / "b.jsonl"), "--strict", cwd=tmp_path)
    assert r.returncode == 2 and "b.jsonl:1: missing 'text'" in r.stderr


def test_txt_markdown_sections(tmp_path: Path) -> None:
    doc = "标题\n\n## 第一节\n\n第一段。\n\n## 第二节\n\n第二段\n续。\n"
    (tmp_path / "s.txt").write_text(doc, encoding="utf-8")
    (a,), _ = load_corpus([tmp_path])
    assert a.text == "第一段。\n第二段续。"
    assert [(s.heading, a.text[s.start:s.start + 3]) for s in a.sections] == [
        ("第一节", "第一段"), ("第二节", "第二段")]


def test_byline_without_body_is_reported() -> None:
    from regioqa.ingest.common import Collector

    col = Collector(strict=False)
    page = _page("## 空文章", "◎本报记者 甲", "## 正常文章", "◎本报记者 乙", "正文。")
    arts = parse_page_dump(page, "e", "e.txt", col)
    assert [a.id for a in arts] == ["e-a2"]
    assert [str(p) for p in col.report.skipped] == ["e.txt:3: e-a1 ('空文章') has no body text; skipped"]


BLOCKS = st.sampled_from(["## 标题甲", "## 区域专栏", "◎本报记者 张三", "◎李四", "通讯员 王五", "正文一句。",
                          "没有结尾的段落", "接着写完。", "图片说明。 赵六摄", "（作者系某厅厅长）", "  ",
                          "abc."])


@given(st.lists(BLOCKS, max_size=25), st.sampled_from(["\n\n", "\n"]))
@settings(max_examples=200, deadline=None)
def test_page_dump_parser_invariants(blocks: list[str], sep: str) -> None:
    from regioqa.ingest.common import Collector

    col = Collector(strict=False)
    arts = parse_page_dump(sep.join(blocks), "h", "h.txt", col)
    ids = [a.id for a in arts]
    assert len(set(ids)) == len(ids) and all(re.fullmatch(r"h-a\d+", i) for i in ids)
    for a in arts:
        assert a.text and a.text == "\n".join(a.text[p.start:p.end] for p in a.paragraphs)
        assert all(a.text[p.start:p.end] == a.text[p.start:p.end].strip() for p in a.paragraphs)
        assert {s.start for s in a.sections} <= {p.start for p in a.paragraphs} | {len(a.text)}
        assert "赵六摄" not in a.text and "◎" not in a.text and "作者系" not in a.text
    n_bylines = sum(b.startswith("◎") for b in blocks)
    if n_bylines:  # one article per byline, or a report saying why it was left out
        assert len(arts) + len(col.report.skipped) == n_bylines
    else:
        assert len(arts) + len(col.report.skipped) <= 1


@pytest.mark.model
def test_chunks_fit_the_e5_token_budget(e5_dir: Path, page: dict[str, Article]) -> None:
    from regioqa.config import ChunkConfig
    from regioqa.embed import Embedder
    from regioqa.text import Chunker

    emb = Embedder(e5_dir)
    for budget in (64, 200):
        for a in page.values():
            cfg = ChunkConfig(max_tokens=budget, overlap_sentences=1)
            chunks = Chunker(cfg, count_tokens=emb.count_tokens).run(a)
            counts = emb.count_tokens([c.text for c in chunks])
            assert max(counts) <= budget and all(c.text == a.text[c.start:c.end] for c in chunks)
            assert sum(counts) > 0.6 * budget * (len(chunks) - 1)  # packed, not halved
