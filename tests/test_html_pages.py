"""Date/source filters in search and ask, the HTML outputs of the command line, report.html, escaping.
(The pages' behaviour in a browser: tests/test_html_browser.py.)"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from regioqa.cli import app
from regioqa.corpus import load_corpus
from regioqa.errors import InputError
from regioqa.filters import ArticleFilter
from regioqa.index import Index
from regioqa.render.digest import render_digest
from regioqa.testing import HashingEmbedder
from regioqa.types import Article, Summary, SummarySentence

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    arts, _ = load_corpus([DATA / "html", DATA / "feeds"])
    d = tmp_path_factory.mktemp("idx") / "index"
    Index.build(arts, HashingEmbedder(), show_progress=False).save(d)
    return d


@pytest.mark.parametrize("mode", ["bm25", "dense", "hybrid"])
def test_search_filters_by_date_and_source(index_dir: Path, mode: str) -> None:
    idx = Index.load(index_dir, embedder=HashingEmbedder())
    every = idx.search("全市 投入 增长", k=50, mode=mode)
    assert len({h.article_id for h in every}) >= 5
    for where in (ArticleFilter.parse(since="2024-01-01"), ArticleFilter.parse(until="2023-12-31"),
                  ArticleFilter.parse(sources=["东湖"]), ArticleFilter.parse("2024-04-01", "2024-05-31"),
                  ArticleFilter.parse(sources=["qingshan.example"])):
        hits = idx.search("全市 投入 增长", k=50, mode=mode, where=where)
        want = {h.article_id for h in every if where.matches(idx.articles[h.article_id])}
        assert {h.article_id for h in hits} == want and (want or mode == "bm25"), where
        assert [h.rank for h in hits] == list(range(1, len(hits) + 1))
    # the filter is applied before the cut: k=1 still finds the one 2022 article
    (hit,) = idx.search("奶牛 投入", k=1, mode=mode, where=ArticleFilter.parse(until="2022-12-31"))
    assert hit.article_id == "gbk"


def test_filter_options_are_checked() -> None:
    with pytest.raises(InputError, match="--since 'last week': expected a date"):
        ArticleFilter.parse(since="last week")
    with pytest.raises(InputError, match="is after --until"):
        ArticleFilter.parse(since="2024-02-01", until="2024-01-01")
    assert not ArticleFilter.parse(sources=[" "])


def test_cli_search_shows_date_and_source(index_dir: Path) -> None:
    r = CliRunner().invoke(app, ["search", "投入", "--index", str(index_dir), "--mode", "bm25", "-k", "9",
                                 "--source", "青山新闻网", "--since", "2024-03-05", "--until", "2024-03-05"])
    assert r.exit_code == 0, r.output
    lines = [ln for ln in r.output.splitlines() if re.match(r"\d+\. ", ln)]
    assert lines and all("(2024-03-05, 青山新闻网)" in ln for ln in lines)
    r = CliRunner().invoke(app, ["search", "投入", "--index", str(index_dir), "--mode", "bm25", "--json",
                                 "--until", "2023-12-31"])
    rows = json.loads(r.output)
    assert rows and all(x["date"] <= "2023-12-31" for x in rows)
    r = CliRunner().invoke(app, ["search", "投入", "--index", str(index_dir), "--since", "yesterday"])
    assert r.exit_code != 0 and "expected a date" in str(r.exception)


def test_cli_summarize_html_and_corpus_build_report_problems(tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    for f in (DATA / "html").iterdir():
        (tmp_path / "in" / f.name).write_bytes(f.read_bytes())
    nav = "<html><body><a href='/'>首页</a></body></html>"
    (tmp_path / "in" / "nav.html").write_text(nav, encoding="utf-8")
    out = tmp_path / "digest.html"
    r = CliRunner().invoke(app, ["summarize", str(tmp_path / "in"), str(DATA / "feeds"), "--format", "html",
                                 "--out", str(out), "--no-progress"])
    assert r.exit_code == 0, r.output
    assert re.search(r"skipped: .*nav.html: no main text found", r.output)
    assert "read 7 file(s), 7 article(s); skipped 3 item(s)" in r.output
    page = out.read_text(encoding="utf-8")
    assert page.count('<li><a href="#art-') == 7 and page.count('class="item"') == 7
    assert "lexical gloss" in page and "2024-05-06" in page and "草原晚报" in page
    assert not re.search(r"""(?:src|href)=["'](?:https?:)?//""", page.replace('href="https://', ""))
    r = CliRunner().invoke(app, ["corpus", "build", str(tmp_path / "in"), "--out", str(tmp_path / "c.jsonl"),
                                 "-q"])
    assert r.exit_code == 0 and "read 5 file(s), 4 article(s); skipped 1 item(s)" in r.output
    rec = json.loads((tmp_path / "c.jsonl").read_text(encoding="utf-8").splitlines()[0])
    assert (rec["date"], rec["source"]) == ("2024-03-05", "青山新闻网")


def test_report_html_embeds_the_plots(tmp_path: Path) -> None:
    from regioqa.evals.report import write_report

    rep = {"suite": "gold", "parts": {
        "qa": {"status": "ok", "seconds": 1.0, "metrics": {"all": {"f1": 50.0, "n": 2}},
               "items": [{"id": f"q{i}", "question": "？", "gold": g, "prediction": p, "score": sc,
                          "answerable": bool(g), "em": f1, "f1": f1}
                         for i, (g, p, sc, f1) in enumerate([("1", "1", 2.0, 1.0), ("", "2", 0.5, 0.0)])]},
        "translation": {"status": "not available", "reason": "no <model>"}}}
    files = write_report(rep, tmp_path)
    page = files["html"].read_text(encoding="utf-8")
    pngs = [p for p in files if str(p).endswith(".png")]
    assert pngs and page.count('<img src="data:image/png;base64,') == len(pngs)
    assert "no &lt;model&gt;" in page and "<td>all.f1</td><td>50</td>" in page
    assert not re.search(r"""src=["'](?!data:)""", page)


def test_digest_escapes_everything() -> None:
    a = Article(id='x"><b>', title="<script>alert(1)</script>", text="\x1b[2J第一句。<i>第二句</i>。",
                source="<img src=x>", url="javascript:alert(1)", date="2024-01-01")
    s = Summary(a.id, a.title, "\x1b[31mred</title>", [SummarySentence("第一句。", "<b>One</b>.", 4, 8)],
                "extractive+opus")
    page = render_digest([s], {a.id: a})
    body = page[page.index("<body>"):page.index("<script>\n")]
    assert "<script" not in body and "<img" not in body and "<b>" not in body and "<i>" not in body
    assert "\x1b" not in page and "\\x1b[31mred&lt;/title&gt;" in body and "javascript:" not in page
    assert "lexical gloss" not in page  # a fluent translator: no lexical note
    assert '<span class="src" data-src="x&quot;&gt;&lt;b&gt;-1-s1">第一句。</span>' in body
