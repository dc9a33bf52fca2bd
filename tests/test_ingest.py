"""Saved HTML pages, RSS/Atom feeds and Parquet/CSV/JSONL tables in; bad input reported one line each."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from regioqa.corpus import Columns, load_corpus
from regioqa.errors import InputError

DATA = Path(__file__).parent / "data"
NAV_WORDS = ("首页", "登录", "版权所有", "相关新闻", "热点排行", "分享到", "责任编辑", "编辑：", "来源：")


@pytest.fixture(scope="module")
def pages() -> dict[str, object]:
    arts, report = load_corpus([DATA / "html"])
    assert report.problems == []
    return {a.id: a for a in arts}


def test_html_pages_main_text_and_metadata(pages: dict) -> None:
    assert sorted(pages) == ["article", "captions", "gbk", "related"]
    a = pages["article"]
    assert (a.title, a.date, a.source, a.url) == (
        "青山市科技创新指数升至全国第28位", "2024-03-05", "青山新闻网",
        "https://news.qingshan.example/2024/03/05/keji.html")
    assert a.byline == ["王晓明"]
    assert a.text.startswith("3月4日，记者从青山市科学技术局获悉")
    assert a.text.endswith("技术合同成交额突破40亿元。")
    assert len(a.paragraphs) == 4
    assert all(a.text[p.start:p.end] == a.text[p.start:p.end].strip() != "" for p in a.paragraphs)
    for art in pages.values():
        assert not any(w in art.text for w in NAV_WORDS), (art.id, art.text)
        assert art.title not in art.text.split("\n")


def test_captions_stay_out_of_the_body(pages: dict) -> None:
    a = pages["captions"]
    assert (a.date, a.source) == ("2024-04-02", "河川日报")
    assert "摄" not in a.text and "供图" not in a.text
    assert a.captions == ["图为技术人员在田间查看墒情。 通讯员 孙丽供图"]
    assert a.text.split("\n")[1].startswith("今年全县计划种植粮食作物45万亩")  # the caption cut nothing


def test_related_links_and_gbk_page(pages: dict) -> None:
    r = pages["related"]
    assert (r.date, r.source, len(r.paragraphs)) == ("2023-11-20", "东湖发布", 3)
    assert "东湖区召开教育工作会议" not in r.text
    g = pages["gbk"]
    assert g.title == "北坡县牛奶产量创新高"
    assert "鲜奶产量预计突破16万吨" in g.text  # decoded from GBK bytes
    assert (g.date, g.source) == ("2022-12-28", "北坡在线")


def test_bad_pages_are_reported_one_line_each(tmp_path: Path) -> None:
    shutil.copy(DATA / "html" / "article.html", tmp_path / "good.html")
    (tmp_path / "nav.html").write_text(
        "<html><body><nav><a href='/'>首页</a><a href='/x'>要闻</a></nav></body></html>", encoding="utf-8")
    (tmp_path / "bad.htm").write_bytes('<meta charset="utf-8"><p>正文'.encode() + b"\xff\xfe\xfa</p>")
    arts, report = load_corpus([tmp_path])
    assert [a.id for a in arts] == ["good"]
    msgs = sorted(str(p) for p in report.skipped)
    assert msgs == [
        f"{tmp_path / 'bad.htm'}: undecodable bytes (declared utf-8; tried utf-8) at byte 31: the page is "
        "skipped",
        f"{tmp_path / 'nav.html'}: no main text found (navigation or an empty page?); skipped"]
    assert report.summary().startswith("read 3 file(s), 1 article(s); skipped 2 item(s)")
    with pytest.raises(InputError, match="nav.html: no main text"):
        load_corpus([tmp_path / "nav.html"], strict=True)


def test_feeds(tmp_path: Path) -> None:
    arts, report = load_corpus([DATA / "feeds"])
    by = {a.id: a for a in arts}
    assert sorted(by) == ["news-1", "news-2", "updates-1"]
    a = by["news-1"]
    assert (a.title, a.date, a.source, a.url, a.byline) == (
        "草原市乳业产值突破百亿元", "2024-05-06", "草原晚报", "https://caoyuan.example/2024/05/06/ruye.html",
        ["李红"])
    assert a.captions == ["图为牧场工人在挤奶车间作业。 本报记者 王刚摄"] and "责任编辑" not in a.text
    assert len(a.paragraphs) == 3
    assert by["news-2"].text.count("\n") == 2  # full text in <description>
    assert (by["updates-1"].date, by["updates-1"].source) == ("2023-11-21", "东湖发布")
    assert sorted(p.message.split(":")[0] for p in report.skipped) == [
        "entry 2 ('东湖区召开安全生产会议')", "entry 3 ('图集：春日草原')"]
    assert all("not fetched (no network)" in p.message for p in report.skipped)
    (tmp_path / "x.xml").write_text("<html><body>not a feed</body></html>", encoding="utf-8")
    _, rep = load_corpus([tmp_path])
    assert [p.message[:25] for p in rep.skipped] == ["no feed entries (not an R"]


def test_parquet_with_named_columns(tmp_path: Path) -> None:
    import datetime as dt

    import pyarrow as pa
    import pyarrow.parquet as pq

    t = pa.table({"headline": ["甲", "乙", "丙"], "content": ["第一篇正文。", None, "第三篇。\n第二段。"],
                  "published": [dt.datetime(2024, 1, 2, 8), dt.datetime(2024, 2, 3), None],
                  "site": ["甲报", "乙报", "丙报"], "extra": [1, 2, 3]})
    pq.write_table(t, tmp_path / "news.parquet")
    cols = Columns.parse(["title=headline", "text=content", "date=published", "source=site"])
    arts, report = load_corpus([tmp_path / "news.parquet"], columns=cols)
    assert [(a.id, a.title, a.date, a.source, a.meta.get("extra"), a.meta["table_row"]) for a in arts] == [
        ("news-1", "甲", "2024-01-02", "甲报", 1, 1), ("news-3", "丙", None, "丙报", 3, 3)]
    assert len(arts[1].paragraphs) == 2
    assert [str(p) for p in report.skipped] == [f"{tmp_path / 'news.parquet'}: row 2: missing 'content' "
                                                "(the text column)"]
    # without the column names the file is skipped with one line naming the missing column
    arts, report = load_corpus([tmp_path / "news.parquet"])
    assert arts == [] and len(report.skipped) == 1
    assert "no column 'text' for the article text (columns: headline, content" in report.skipped[0].message


def test_csv_and_jsonl_columns_and_the_rest_goes_on(tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_text("title,body\n标题一,正文一。\n", encoding="utf-8")
    (tmp_path / "b.csv").write_text("title,text\n标题二,正文二。\n标题三,\n", encoding="utf-8")
    rec = {"title": "标题四", "body": "正文四。", "day": "2024年5月6日"}
    (tmp_path / "c.jsonl").write_text(json.dumps(rec, ensure_ascii=False) + "\n", encoding="utf-8")
    arts, report = load_corpus([tmp_path])
    assert [a.id for a in arts] == ["b-1"]
    assert [(Path(p.file).name, p.message[:22]) for p in report.skipped] == [
        ("a.csv", "no column 'text' for t"), ("b.csv", "row 2: missing 'text' "),
        ("c.jsonl", "missing 'text'")]
    arts, report = load_corpus([tmp_path], columns=Columns(text="body", date="day"))
    assert [(a.id, a.date) for a in arts] == [("a-1", None), ("c-1", "2024-05-06")]
    with pytest.raises(InputError, match="FIELD=COLUMN"):
        Columns.parse(["body"])


def test_duplicate_ids_across_tables_and_records(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "a" / "news.csv").write_text("text\n一。\n二。\n", encoding="utf-8")
    (tmp_path / "b" / "news.csv").write_text("text\n三。\n四。\n五。\n", encoding="utf-8")
    (tmp_path / "c.jsonl").write_text('{"id": "news-2", "title": "", "text": "六。"}\n'
                                      '{"id": "news-9", "title": "", "text": "七。"}\n', encoding="utf-8")
    arts, report = load_corpus([tmp_path / "a", tmp_path / "b", tmp_path / "c.jsonl"])
    assert [(a.id, a.text) for a in arts] == [("news-1", "一。"), ("news-2", "二。"), ("news-3", "五。"),
                                              ("news-9", "七。")]
    a_csv = tmp_path / "a" / "news.csv"
    assert [p.message for p in report.skipped] == [
        f"duplicate id 'news-1' (first at {a_csv} row 1); skipped",
        f"duplicate id 'news-2' (first at {a_csv} row 2); skipped",
        f"duplicate id 'news-2' (first at {a_csv} row 2); skipped"]


def test_gbk_feed_and_declared_xml_encoding(tmp_path: Path) -> None:
    rss = (DATA / "feeds" / "news.rss").read_text(encoding="utf-8")
    rss = rss.replace('encoding="UTF-8"', 'encoding="GBK"')
    (tmp_path / "gbk.rss").write_bytes(rss.encode("gbk"))
    arts, report = load_corpus([tmp_path])
    assert [a.title for a in arts] == ["草原市乳业产值突破百亿元", "全市中小学将增设劳动课"]
    assert len(report.skipped) == 1


def test_a_table_that_breaks_part_way_keeps_the_rows_read_and_says_where(tmp_path: Path) -> None:
    rows = "".join(f"第{i}篇。\n" for i in range(1, 12001))  # datasets reads CSV 10,000 rows at a time
    (tmp_path / "t.csv").write_text("text\n" + rows + '"未闭合的引号\n', encoding="utf-8")
    arts, report = load_corpus([tmp_path / "t.csv"])
    assert len(arts) >= 10_000 and arts[0].text == "第1篇。"
    assert len(report.skipped) == 1 and "onward: not readable" in report.skipped[0].message
