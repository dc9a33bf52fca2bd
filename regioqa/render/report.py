"""``report.html`` of ``regioqa eval gold --out DIR``: the run, each part's status and metrics, and the
plots embedded as base64 PNGs (one file to send around; nothing fetched).

>>> rep = {"suite": "gold", "parts": {"qa": {"status": "ok", "seconds": 1.5},
...        "translation": {"status": "not available", "reason": "no model <x>"}}}
>>> page = render_report_html(rep, {"qa.all.f1": 62.5}, {"qa.png": b"\\x89PNG"})
>>> "62.5" in page, "no model &lt;x&gt;" in page, 'src="data:image/png;base64,iVBORw==' in page
(True, True, True)
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Any

from .page import document, esc

__all__ = ["render_report_html"]


def _fmt(v: float) -> str:
    return f"{v:.4g}"


def render_report_html(report: Mapping[str, Any], metrics: Mapping[str, float],
                       plots: Mapping[str, bytes]) -> str:
    """``metrics``: ``{"part.path.metric": value}`` (flattened); ``plots``: PNG bytes by file name."""
    title = f"regioqa evaluation: {report.get('suite', '?')}"
    run = [f"<span>{esc(k)}: {esc(report[k])}</span>" for k in ("created", "commit", "seconds", "file")
           if report.get(k)]
    body = [f"<h1>{esc(title)}</h1>", f'<p class="meta">{"".join(run)}</p>' if run else ""]
    toc = [f'<li><a href="#part-{esc(n)}">{esc(n)}</a> <span class="meta">{esc(p.get("status"))}</span></li>'
           for n, p in report.get("parts", {}).items()]
    if plots:
        toc.append('<li><a href="#plots">plots</a></li>')
    body.append(f'<nav class="toc" aria-label="Contents"><h2>Contents</h2><ol>{"".join(toc)}</ol></nav>')
    for name, part in report.get("parts", {}).items():
        body.append(f'<section class="qa" id="part-{esc(name)}"><h2>{esc(name)}</h2>'
                    f'<p class="meta"><span>status: {esc(part.get("status"))}</span>'
                    f'<span>{esc(part.get("seconds", "?"))} s</span></p>')
        if part.get("status") != "ok":
            body.append(f'<p class="declined">{esc(part.get("reason"))}</p></section>')
            continue
        rows = [(k[len(name) + 1:], v) for k, v in metrics.items() if k.startswith(name + ".")]
        body.append('<table><thead><tr><th scope="col">metric</th><th scope="col">value</th></tr></thead>'
                    "<tbody>" + "".join(f"<tr><td>{esc(k)}</td><td>{_fmt(v)}</td></tr>" for k, v in rows)
                    + "</tbody></table></section>")
    if plots:
        body.append('<section class="qa" id="plots"><h2>Plots</h2>')
        for fname, png in plots.items():
            data = base64.b64encode(png).decode("ascii")
            body.append(f'<figure><img src="data:image/png;base64,{data}" alt="{esc(fname)}">'
                        f"<figcaption>{esc(fname)}</figcaption></figure>")
        body.append("</section>")
    return document(title, "\n".join(body), lang="en")
