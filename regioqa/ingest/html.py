"""Saved news pages (``.html``/``.htm``): main text, title, date, source and URL through ``trafilatura``.

The page is decoded with the charset it declares (GB2312/GBK read as GB18030, its superset; no
declaration: UTF-8, then GB18030); trafilatura keeps the main text and drops navigation, related-link
blocks and footers. Of the paragraphs it keeps, these stay out of the body: the headline repeated,
info lines (``发布时间：… 来源：…``), editor lines (``（责任编辑：刘芳）``, ``编辑：… 审核：…``) and photo
captions (``… 张三摄``, ``… 供图``: kept in ``Article.captions``).

>>> from regioqa.paths import REPO_DIR
>>> col = Collector(strict=False)
>>> a = read_html_page(REPO_DIR / "tests/data/html/article.html", "article", col)
>>> a.title, a.date, a.source, a.url
('青山市科技创新指数升至全国第28位', '2024-03-05', '青山新闻网', 'https://news.qingshan.example/2024/03/05/keji.html')
>>> "责任编辑" in a.text, len(a.paragraphs)
(False, 4)
"""

from __future__ import annotations

import codecs
import re
from pathlib import Path

from ..types import Article
from .common import Collector, assemble, normalize_date
from .pagedump import CAPTION

__all__ = ["read_html_page", "decode_page", "clean_lines", "HTML_SUFFIXES"]

HTML_SUFFIXES = (".html", ".htm")

_CHARSET = re.compile(  # <meta charset=...>, <meta http-equiv ... charset=...>, <?xml ... encoding=...?>
    rb"""(?:<meta[^>]{0,200}?charset|<\?xml[^>]{0,100}?encoding)\s*=\s*["']?\s*([-\w.:]+)""", re.I)
_GB = {"gb2312", "gbk", "x-gbk", "gb_2312-80", "gb18030", "cp936", "euc-cn"}
_META_LINE = re.compile(
    r"^[（(【\[]?\s*(?:责任编辑|本文编辑|编辑|审核|审校|校对|监制|签发|发布时间|发布日期|时间|日期|来源|稿源|"
    r"作者|点击数|浏览次数|阅读数)\s*[：:]"
)
_DATE_START = re.compile(r"^\s*\d{4}\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2}")
_SENTENCE = re.compile(r"\w\S{3,}[。！？；!?.](?:\s|$|[”」』）)])")
_SOURCE = re.compile(r"(?:来源|稿源)\s*[：:]\s*(?:<[^>]{0,200}>\s*)*([^<>\s　|｜]{2,30})")


def decode_page(data: bytes) -> tuple[str | None, str | None]:
    """``(text, None)``, or ``(None, reason)`` when the bytes are not in the declared (or a likely) charset.

    >>> decode_page('<meta charset="gbk"><p>中文</p>'.encode("gbk"))[0][-9:]
    '<p>中文</p>'
    >>> decode_page(b"<p>\\xff\\xfe\\xfa</p>")[1]
    'undecodable bytes (no charset declared; tried utf-8, gb18030) at byte 3: the page is skipped'
    """
    if data.startswith(codecs.BOM_UTF8):
        data, declared = data[3:], "utf-8"
    else:
        m = _CHARSET.search(data[:4096])
        declared = m.group(1).decode("ascii", "replace").lower() if m else None
    if declared in _GB:
        declared = "gb18030"
    try:
        if declared:
            codecs.lookup(declared)
    except LookupError:
        declared = None
    tries = [declared, "utf-8"] if declared and declared != "utf-8" else ["utf-8"] if declared else [
        "utf-8", "gb18030"]
    first: UnicodeDecodeError | None = None
    for enc in tries:
        try:
            return data.decode(enc), None
        except UnicodeDecodeError as e:
            first = first or e
    assert first is not None
    what = f"declared {declared}" if declared else "no charset declared"
    return None, (f"undecodable bytes ({what}; tried {', '.join(tries)}) at byte {first.start}: "
                  "the page is skipped")


def clean_lines(lines: list[str], title: str = "") -> tuple[list[str], list[str]]:
    """Body paragraphs and captions of extracted text lines (headline, info and editor lines dropped).

    >>> clean_lines(["标题", "来源：某报", "正文。", "图为会场。 张三摄", "（责任编辑：李四）"], "标题")
    (['正文。'], ['图为会场。 张三摄'])
    """
    paras: list[str] = []
    captions: list[str] = []
    for s in (ln.strip() for ln in lines):
        if not s or (not paras and s == title):
            continue
        if len(s) <= 80 and (_META_LINE.match(s) or (_DATE_START.match(s) and len(s) <= 40)):
            continue
        if len(s) <= 120 and CAPTION.match(s):
            captions.append(s)
            continue
        paras.append(s)
    return paras, captions


def read_html_page(path: Path, art_id: str, col: Collector) -> Article | None:
    """The article of one saved page, or None (the reason goes to ``col``)."""
    import trafilatura

    html, err = decode_page(path.read_bytes())
    if html is None:
        col.add(path, None, err or "undecodable")
        return None
    doc = trafilatura.bare_extraction(
        html, with_metadata=True, include_comments=False, include_tables=False, include_images=False,
        favor_precision=True, date_extraction_params={"extensive_search": False, "original_date": True})
    text = getattr(doc, "text", None) or ""
    title = (getattr(doc, "title", None) or "").strip()
    paras, captions = clean_lines(text.split("\n"), title)
    if not paras or not any(_SENTENCE.search(p) for p in paras):  # a menu or link list is no article
        col.add(path, None, "no main text found (navigation or an empty page?); skipped")
        return None
    body, spans = assemble(paras)
    date = normalize_date(getattr(doc, "date", None))
    if date is None:
        date = normalize_date(re.sub(r"<[^>]{0,400}>", " ", html[:20000]))
    m = _SOURCE.search(html)
    source = getattr(doc, "sitename", None) or (m.group(1) if m else None) or getattr(doc, "hostname", None)
    author = getattr(doc, "author", None)
    names = author.split(";") if author else []
    byline = [re.sub(r"^(?:作者|记者|文)\s*[：:/]\s*", "", a.strip()) for a in names]
    if not title:
        title = paras[0][:30]
        col.add(path, None, "no headline found; using the first words of the body", level="warn")
    return Article(id=art_id, title=title, text=body, byline=[b for b in byline if b], paragraphs=spans,
                   captions=captions, date=date, source=source, url=getattr(doc, "url", None),
                   meta={"file": path.name})
