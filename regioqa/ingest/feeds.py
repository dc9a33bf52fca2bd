"""RSS and Atom feeds (``.xml``, ``.rss``, ``.atom``) through ``feedparser``; nothing is fetched.

An entry becomes an article when it carries its text: a ``content`` element (``content:encoded`` in
RSS, ``<content>`` in Atom), or a ``description``/``summary`` of at least ``min_chars`` characters.
An entry with only a link or a teaser is reported (file and entry number) and left out: following
the link would need the network. The feed's title is each article's ``source``.

>>> from regioqa.paths import REPO_DIR
>>> col = Collector(strict=False)
>>> arts = list(read_feed(REPO_DIR / "tests/data/feeds/news.rss", col))
>>> [(a.id, a.date, a.source) for a in arts][:1]
[('news-1', '2024-05-06', '草原晚报')]
>>> [p.message for p in col.report.skipped]
["entry 3 ('图集：春日草原'): only a link or a teaser (7 chars), not fetched (no network); skipped"]
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from pathlib import Path

from ..types import Article
from .common import Collector, assemble, normalize_date
from .html import clean_lines, decode_page

__all__ = ["read_feed", "fragment_lines", "FEED_SUFFIXES"]

FEED_SUFFIXES = (".xml", ".rss", ".atom")
MIN_CHARS = 120

_BLOCK_END = re.compile(r"(?i)<br\s*/?>|</(?:p|div|li|h[1-6]|blockquote|tr|section|article|figure)\s*>")
_TAG = re.compile(r"<[^>]*>")


def fragment_lines(fragment: str) -> list[str]:
    """Text lines of an HTML fragment: one per block element, tags removed, entities decoded.

    >>> fragment_lines("<p>第一段&amp;。</p><p>第二<b>段</b>。<br>第三段。</p>")
    ['第一段&。', '第二段。', '第三段。']
    """
    text = _TAG.sub("", _BLOCK_END.sub("\n", fragment))
    return [s for s in (html.unescape(ln).strip() for ln in text.split("\n")) if s]


def read_feed(path: Path, col: Collector, min_chars: int = MIN_CHARS) -> Iterator[Article]:
    """The articles of one feed file, ids ``f"{stem}-{n}"`` (n: the entry's number from 1)."""
    import feedparser

    text, err = decode_page(path.read_bytes())
    if text is None:
        col.add(path, None, err or "undecodable")
        return
    feed = feedparser.parse(text)
    if not feed.entries:
        why = f" ({feed.get('bozo_exception')})" if feed.get("bozo") else ""
        col.add(path, None, f"no feed entries (not an RSS/Atom feed?){why}; skipped")
        return
    source = (feed.feed.get("title") or "").strip() or None
    for n, e in enumerate(feed.entries, 1):
        title = html.unescape(_TAG.sub("", e.get("title") or "")).strip()
        contents = [c.get("value", "") for c in e.get("content") or []]
        body = max(contents, key=len) if contents else ""
        summary = e.get("summary") or ""
        if not body.strip() and len("".join(fragment_lines(summary))) >= min_chars:
            body = summary  # RSS that carries the whole article in <description>
        paras, captions = clean_lines(fragment_lines(body), title)
        if not paras:
            size = len("".join(fragment_lines(summary)))
            col.add(path, None, f"entry {n} ({title[:30]!r}): only a link or a teaser ({size} chars), "
                    "not fetched (no network); skipped")
            continue
        text_, spans = assemble(paras)
        date = normalize_date(e.get("published_parsed") or e.get("updated_parsed")) or normalize_date(
            e.get("published") or e.get("updated"))
        author = (e.get("author") or "").strip()
        yield Article(id=f"{path.stem}-{n}", title=title or paras[0][:30], text=text_,
                      byline=[author] if author else [], paragraphs=spans, captions=captions, date=date,
                      source=source, url=e.get("link"), meta={"file": path.name, "entry": n,
                                                              "guid": e.get("id")})
