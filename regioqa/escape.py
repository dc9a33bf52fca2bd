r"""Text from articles made harmless where it is shown: on a terminal (control codes such as ANSI
escapes and bidi overrides are shown as visible escapes) and in a Markdown file (HTML and Markdown
specials escaped, one line).

>>> for_terminal("标题\x1b[31m红\x1b[0m")
'标题\\x1b[31m红\\x1b[0m'
>>> for_markdown("<b>x</b> | *y* & z\nnext")
'&lt;b&gt;x&lt;/b&gt; \\| \\*y\\* &amp; z next'
>>> md_code("a`b")
"`a'b`"
"""

from __future__ import annotations

import re

# C0/C1 controls except tab and newline, DEL, and the bidirectional-text controls
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+!|~])")
_HTML = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}


def _visible(m: re.Match[str]) -> str:
    c = ord(m.group())
    return f"\\x{c:02x}" if c < 0x100 else f"\\u{c:04x}"


def for_terminal(text: str) -> str:
    """``text`` with terminal control codes shown as ``\\xNN``/``\\uNNNN`` instead of acted on."""
    return _CONTROL.sub(_visible, text)


def for_markdown(text: str) -> str:
    """``text`` as one line of Markdown that shows exactly the text: controls made visible, HTML
    specials as entities, Markdown specials backslash-escaped, newlines as spaces."""
    text = for_terminal(text.replace("\r\n", " ").replace("\n", " ").replace("\r", " "))
    text = _MD_SPECIAL.sub(r"\\\1", text)
    return "".join(_HTML.get(c, c) for c in text)


def md_code(text: str) -> str:
    """``text`` as a Markdown code span (backticks inside become ``'``; controls made visible)."""
    return "`" + for_terminal(text.replace("`", "'").replace("\n", " ")) + "`"
