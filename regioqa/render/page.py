"""The shell every regioqa HTML page shares: escaping, number marking, one self-contained document.

Pages carry their CSS and script inline (``regioqa/data/render/``) and a Content-Security-Policy that
forbids fetching anything (``default-src 'none'``; images only as ``data:`` URLs), so a page opened
offline looks the same as online and never calls home.

>>> esc('<script>alert(1)</script>\\x1b[31m')
'&lt;script&gt;alert(1)&lt;/script&gt;\\\\x1b[31m'
>>> mark_numbers("增长12.5%，达86.4亿元", "zh")
'增长<span class="num">12.5%</span>，达<span class="num">86.4亿元</span>'
>>> mark_numbers("the first rise, up 12.5%, to 8.64 billion", "en")
'the first rise, up <span class="num">12.5%</span>, to <span class="num">8.64 billion</span>'
"""

from __future__ import annotations

import html
import re
from functools import cache
from pathlib import Path

from ..escape import for_terminal
from ..numbers import extract_en_numbers, extract_zh_numbers

__all__ = ["esc", "mark_numbers", "document", "asset", "CSP"]

ASSETS = Path(__file__).resolve().parent.parent / "data" / "render"
CSP = "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:"
_FIGURE = re.compile(r"[\d０-９]|[万亿]|million|billion|trillion")


def esc(s: object) -> str:
    """HTML-escaped text; control characters (terminal escapes, bidi overrides, line separators) shown
    as ``\\xNN``/``\\uNNNN`` text (:func:`regioqa.escape.for_terminal`)."""
    return html.escape(for_terminal("" if s is None else str(s)), quote=True)


def mark_numbers(text: str, lang: str) -> str:
    """``text`` escaped, with each figure (and its unit) in ``<span class="num">``."""
    found = [m for m in (extract_zh_numbers(text) if lang == "zh" else extract_en_numbers(text))
             if _FIGURE.search(m.text)]  # figures, not words like "first" / "第一"
    out: list[str] = []
    pos = 0
    for m in found:
        end = m.start + len(m.text.rstrip(",.;:"))
        end += text[end:end + 1] in ("%", "％")  # "12.5%": the English side leaves the sign out
        if m.start < pos or end <= m.start:
            continue
        out += [esc(text[pos:m.start]), f'<span class="num">{esc(text[m.start:end])}</span>']
        pos = end
    out.append(esc(text[pos:]))
    return "".join(out)


@cache
def asset(name: str) -> str:
    """The text of a bundled CSS/JS file."""
    return (ASSETS / name).read_text(encoding="utf-8")


def document(title: str, body: str, lang: str = "en", script: bool = False) -> str:
    """A complete HTML document: ``body`` (already HTML) inside ``<main>``, inline style and script."""
    js = f"\n<script>\n{asset('page.js')}</script>" if script else ""
    return (f'<!DOCTYPE html>\n<html lang="{esc(lang)}">\n<head>\n<meta charset="utf-8">\n'
            f'<meta http-equiv="Content-Security-Policy" content="{CSP}">\n'
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f'<meta name="referrer" content="no-referrer">\n<title>{esc(title)}</title>\n'
            f"<style>\n{asset('page.css')}</style>\n</head>\n<body>\n"
            '<a class="skip" href="#main">Skip to content</a>\n'
            f'<main id="main">\n{body}\n</main>{js}\n</body>\n</html>\n')
