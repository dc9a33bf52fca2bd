"""The ``--since/--until/--source`` options of ``regioqa search`` and ``regioqa ask``, and how a hit or
answer shows its article's date and source."""

from __future__ import annotations

import typer

from ..filters import ArticleFilter
from ..types import Article

SinceOpt = typer.Option(None, "--since", help="Only articles dated on or after this day (2024-03-05)")
UntilOpt = typer.Option(None, "--until", help="Only articles dated on or before this day")
SourceOpt = typer.Option(None, "--source", help="Only articles whose source or URL host contains this "
                         "(case-insensitive; repeat for any of several)")


def article_filter(since: str | None, until: str | None, sources: list[str] | None) -> ArticleFilter:
    """The filter the options ask for (InputError, exit status 2, for a bad date)."""
    return ArticleFilter.parse(since, until, sources)


def dated(article: Article | None) -> str:
    """``" (2024-03-05, 青山新闻网)"`` for an article with a date and/or source, else ``""``.

    >>> dated(Article(id="a", title="t", text="x", date="2024-03-05", source="青山新闻网"))
    ' (2024-03-05, 青山新闻网)'
    """
    bits = [b for b in ((article.date, article.source) if article else ()) if b]
    return f" ({', '.join(bits)})" if bits else ""
