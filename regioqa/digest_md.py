"""The Markdown digest of a summarize run: the corpus digest, each article's English summary beside its
Chinese source sentences, the articles that failed. Article text is escaped (:mod:`regioqa.escape`):
titles with HTML or terminal codes show as text.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .escape import for_markdown, md_code
from .io import atomic_write_text
from .types import Summary


def render_markdown(summaries: Sequence[Summary], digest: Summary | None = None,
                    digest_sources: Sequence[str] = ()) -> str:
    """A Markdown digest: the corpus digest, then each article's English summary beside its Chinese
    source sentences (with offsets), then the articles that failed."""
    lines = ["# English summaries", ""]
    good = [s for s in summaries if s.error is None]
    bad = [s for s in summaries if s.error is not None]
    methods = sorted({s.method for s in good})
    if any("lexical" in m for m in methods):
        lines += ["> Translations are **lexical** (dictionary glosses in Chinese word order), not fluent "
                  "English; check them against the Chinese source shown beside each sentence.", ""]
    lines += [f"{len(good)} articles summarised, {len(bad)} failed. Method: {', '.join(methods) or '-'}.", ""]
    if digest is not None and digest.sentences:
        lines += ["## Digest", ""]
        for i, s in enumerate(digest.sentences):
            src = f" ({md_code(digest_sources[i])})" if i < len(digest_sources) else ""
            lines.append(f"- {for_markdown(s.en)}{src}")
        lines.append("")
    for s in good:
        lines += [f"## {for_markdown(s.title_en)}", "",
                  f"*{for_markdown(s.title)}* — {md_code(s.article_id)}", "",
                  for_markdown(s.text_en), "", "| # | Chinese | English | offsets | numbers |",
                  "|---|---|---|---|---|"]
        for i, x in enumerate(s.sentences, 1):
            lines.append(f"| {i} | {for_markdown(x.zh)} | {for_markdown(x.en)} | {x.start}-{x.end} | "
                         f"{'ok' if x.numbers_ok else 'MISMATCH'} |")
        lines.append("")
    if bad:
        lines += ["## Failed articles", ""]
        lines += [f"- {md_code(b.article_id)} {for_markdown(b.title)}: {for_markdown(b.error or '')}"
                  for b in bad]
        lines.append("")
    return "\n".join(lines)


def write_markdown(path: str | Path, summaries: Sequence[Summary], summarizer: Any) -> None:
    """Render the Markdown digest for ``summaries`` and write it atomically."""
    digest, src = summarizer.digest_with_sources(summaries=summaries)
    atomic_write_text(path, render_markdown(summaries, digest, src))
