"""--since/--until/--source: which articles pass."""

from __future__ import annotations

from regioqa.filters import ArticleFilter
from regioqa.types import Article


def _art(**kw: object) -> Article:
    return Article(id="a", title="t", text="正文。", **kw)


def test_a_date_that_could_not_be_read_fails_a_date_filter() -> None:
    f = ArticleFilter.parse(since="2024-01-01")
    assert not f.matches(_art(date="last spring"))
    assert not f.matches(_art(date=None))
    assert f.matches(_art(date="2024-03-05"))


def test_a_malformed_url_is_matched_as_written_not_a_crash() -> None:
    f = ArticleFilter.parse(sources=["bad"])
    assert f.matches(_art(url="http://[bad/x"))
    assert not ArticleFilter.parse(sources=["other"]).matches(_art(url="http://[bad/x"))
