"""Write evaluation reports (JSON, Markdown, PNG plots) and compare two runs.

>>> from regioqa.evals.report import compare
>>> a = {"parts": {"qa": {"status": "ok", "metrics": {"all": {"f1": 50.0}}, "items": []}}}
>>> b = {"parts": {"qa": {"status": "ok", "metrics": {"all": {"f1": 62.5}}, "items": []}}}
>>> compare(a, b)["metrics"]["better"]
[{'metric': 'qa.all.f1', 'a': 50.0, 'b': 62.5, 'delta': 12.5}]
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ..errors import InputError
from ..io import atomic_open, atomic_write_json, atomic_write_text, read_json
from ..render.report import render_report_html

__all__ = [
    "write_report",
    "render_markdown",
    "make_plots",
    "compare",
    "render_compare",
    "load_report",
    "flatten_metrics",
]

# metrics where a smaller value is better (everything else: larger is better)
LOWER_IS_BETTER = ("seconds",)
# metrics that describe the run, not its quality (abstaining more or less is neither by itself)
NEUTRAL = ("n", "unanswerable", "abstained", "threshold", "summary_sentences", "questions_per_second",
           "n_chunks")


def load_report(path: str | Path) -> dict[str, Any]:
    p = Path(path)
    if not p.exists():
        raise InputError(f"report not found: {p}")
    rep = read_json(p)
    if not isinstance(rep, dict) or "parts" not in rep:
        raise InputError(f"{p}: not a regioqa evaluation report (no 'parts')")
    return rep


# ------------------------------------------------------------------------------------------ markdown


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.4g}"
    if v is None:
        return "-"
    return str(v)


def _cut(s: Any, n: int = 60) -> str:
    s = str(s if s is not None else "").replace("\n", " ").replace("|", "\\|")
    return s if len(s) <= n else s[: n - 1] + "…"


def _table(headers: list[str], rows: Iterable[list[Any]]) -> list[str]:
    out = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    out += ["| " + " | ".join(_cut(_fmt(x), 80) for x in r) + " |" for r in rows]
    return out


def _md_retrieval(part: dict[str, Any]) -> list[str]:
    m = part["metrics"]
    cols = ["recall@1", "recall@5", "recall@10", "mrr@10", "ndcg@10", "n"]
    rows = [[mode, lang] + [m[mode][lang].get(c) for c in cols] for mode in m for lang in m[mode]]
    out = _table(["mode", "questions"] + cols, rows)
    fails = [it for it in part.get("items", []) if not it.get("ok")]
    out += ["", f"Failures (answer chunk not in hybrid top 5): {len(fails)}", ""]
    if fails:
        out += _table(
            ["id", "lang", "question", "rank dense", "rank bm25", "rank hybrid", "relevant", "top hybrid"],
            [
                [
                    f["id"],
                    f["lang"],
                    f["question"],
                    f.get("rank_dense"),
                    f.get("rank_bm25"),
                    f.get("rank_hybrid"),
                    ",".join(f["relevant"]),
                    ",".join(f.get("top_hybrid", [])),
                ]
                for f in fails
            ],
        )
    return out


def _md_qa(part: dict[str, Any]) -> list[str]:
    m = part["metrics"]
    out: list[str] = []
    if "all" in m:
        groups = [k for k in m if isinstance(m[k], dict) and "n" in m[k]]
        out += _table(
            ["group", "n", "EM", "F1"], [[g, m[g]["n"], m[g].get("em"), m[g].get("f1")] for g in groups]
        )
        out += ["", "By question type (answerable):", ""]
        out += _table(
            ["type", "n", "EM", "F1"],
            [[t, v["n"], v.get("em"), v.get("f1")] for t, v in m.get("by_type", {}).items()],
        )
    else:
        out += _table(["n", "EM", "F1"], [[m.get("n"), m.get("em"), m.get("f1")]])
        if "retrieval_recall@k" in m:
            out += ["", f"Retrieval recall@k of the question's own paragraph: {m['retrieval_recall@k']}"]
    ab = m.get("abstention")
    if ab:
        out += ["", "Abstention (no answer): " + ", ".join(f"{k} {_fmt(v)}" for k, v in ab.items())]
    ot = m.get("oracle_threshold")
    if ot:
        out += [
            "",
            f"Oracle no-answer threshold on the answer score (tuned on these questions, a diagnostic): "
            f"{_fmt(ot['threshold'])} -> F1 {_fmt(ot['f1'])}",
        ]
    fails = [it for it in part.get("items", []) if it.get("f1", 0) < 1.0]
    out += ["", f"Failures (F1 < 1): {len(fails)}", ""]
    if fails:
        out += _table(
            ["id", "question", "gold", "prediction", "score", "EM", "F1"],
            [
                [
                    f["id"],
                    f["question"],
                    f["gold"] or "(no answer)",
                    f["prediction"] or "(abstained)",
                    f.get("score"),
                    f["em"],
                    f["f1"],
                ]
                for f in fails[:200]
            ],
        )
    return out


def _md_translation(part: dict[str, Any]) -> list[str]:
    m = part["metrics"]
    out = [f"Translator: {part.get('translator')} (lexical: {part.get('lexical')})", ""]
    out += _table(list(m), [list(m.values())])
    items = sorted(part.get("items", []), key=lambda r: r["chrf"])
    bad = [r for r in items if not r["numbers_ok"]] + [r for r in items[:10] if r["numbers_ok"]]
    out += ["", "Failures (number check failed, then the 10 lowest chrF):", ""]
    out += _table(
        ["id", "chrF", "numbers missing", "hypothesis", "reference"],
        [[r["id"], r["chrf"], r["numbers_missing"] or "", r["hypothesis"], r["reference"]] for r in bad],
    )
    return out


def _md_summaries(part: dict[str, Any]) -> list[str]:
    m = part["metrics"]
    out = _table(list(m), [list(m.values())])
    out += ["", "Per article:", ""]
    out += _table(
        ["id", "method", "chrF", "ROUGE-L", "facts", "numbers", "missed facts"],
        [
            [
                r["id"],
                r["method"],
                r["chrf"],
                r["rouge_l"],
                r["fact_coverage"],
                r["number_consistency"],
                "; ".join(r["facts_missed"]),
            ]
            for r in part.get("items", [])
        ],
    )
    for r in part.get("items", []):
        out += ["", f"**{r['id']}** {r.get('title_en') or ''}", "", f"> {r['hypothesis']}"]
    return out


_MD = {"retrieval": _md_retrieval, "qa": _md_qa, "translation": _md_translation, "summaries": _md_summaries}


def render_markdown(report: dict[str, Any], plots: Iterable[str] = ()) -> str:
    """Human-readable report: headline tables per part, then per-item rows for the failures."""
    lines = [f"# regioqa evaluation: {report.get('suite', '?')}", ""]
    meta = {k: report.get(k) for k in ("created", "commit", "seconds", "file", "context") if report.get(k)}
    lines += [", ".join(f"{k}: {v}" for k, v in meta.items()), ""]
    gold = report.get("gold")
    if gold:
        lines += [
            f"Gold set: {gold.get('qa')} questions, {gold.get('translations')} translation references, "
            f"{gold.get('summaries')} summaries."
        ]
        if gold.get("offset_problems"):
            lines += [
                "",
                "**Gold offsets do not match the corpus:** " + "; ".join(gold["offset_problems"][:5]),
            ]
        lines.append("")
    for name, part in report.get("parts", {}).items():
        lines += [f"## {name}", "", f"status: **{part.get('status')}** ({part.get('seconds', '?')} s)", ""]
        if part.get("status") != "ok":
            lines += [f"reason: {part.get('reason')}", ""]
            continue
        render = _MD.get(name, _md_qa)
        lines += render(part) + [""]
    for p in plots:
        lines += [f"![{p}]({p})", ""]
    return "\n".join(lines)


# --------------------------------------------------------------------------------------------- plots


def _save_png(fig: Any, path: Path) -> None:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    with atomic_open(path, "wb") as f:
        f.write(buf.getvalue())


def make_plots(report: dict[str, Any], out_dir: str | Path) -> list[str]:
    """Write the PNG plots the report's data allows; returns their file names (always at least one)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out = Path(out_dir)
    names: list[str] = []
    parts = report.get("parts", {})
    qa = parts.get("qa", {})
    rows = [r for r in qa.get("items", []) if r.get("score") is not None] if qa.get("status") == "ok" else []
    if rows:
        fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4))
        groups = {
            "correct (F1>=0.5)": [r["score"] for r in rows if r["answerable"] and r["f1"] >= 0.5],
            "wrong (F1<0.5)": [r["score"] for r in rows if r["answerable"] and r["f1"] < 0.5],
            "unanswerable": [r["score"] for r in rows if not r["answerable"]],
        }
        ax1.hist([v for v in groups.values()], bins=15, label=list(groups), stacked=False)
        ax1.set_xlabel("answer score")
        ax1.set_ylabel("questions")
        ax1.set_title("QA answer-score distribution")
        ax1.legend()
        # calibration: share of "good outcome" (right answer, or abstention on unanswerable) per score bin
        srt = sorted(rows, key=lambda r: r["score"])
        nb = max(1, min(8, len(srt) // 5))
        xs, ys, ns = [], [], []
        for b in range(nb):
            chunk = srt[b * len(srt) // nb : (b + 1) * len(srt) // nb]
            if chunk:
                xs.append(sum(r["score"] for r in chunk) / len(chunk))
                ys.append(sum(r["f1"] for r in chunk) / len(chunk))
                ns.append(len(chunk))
        ax2.plot(xs, ys, "o-")
        for x, y, n in zip(xs, ys, ns, strict=True):
            ax2.annotate(str(n), (x, y), textcoords="offset points", xytext=(0, 6), fontsize=8)
        ax2.set_ylim(-0.05, 1.05)
        ax2.set_xlabel("mean answer score in bin (equal-count bins)")
        ax2.set_ylabel("mean F1")
        ax2.set_title("Answer-score calibration")
        _save_png(fig, out / "qa_scores.png")
        plt.close(fig)
        names.append("qa_scores.png")
    ret = parts.get("retrieval", {})
    if ret.get("status") == "ok":
        m = ret["metrics"]
        langs = [lang for lang in next(iter(m.values())) if lang != "all"] + ["all"]
        fig, axes = plt.subplots(1, len(langs), figsize=(4 * len(langs), 3.6), sharey=True)
        axes = axes if len(langs) > 1 else [axes]
        for ax, lang in zip(axes, langs, strict=True):
            for mode in m:
                ax.plot(
                    [1, 5, 10], [m[mode][lang].get(f"recall@{k}", 0) for k in (1, 5, 10)], "o-", label=mode
                )
            ax.set_title(f"retrieval recall@k ({lang}, n={m['hybrid'][lang].get('n')})")
            ax.set_xlabel("k")
            ax.set_ylim(0, 1.02)
        axes[0].set_ylabel("recall")
        axes[0].legend()
        _save_png(fig, out / "retrieval_recall.png")
        plt.close(fig)
        names.append("retrieval_recall.png")
    # overview: always there, even when no part ran
    fig, ax = plt.subplots(figsize=(7, 3.4))
    labels, values = [], []
    for name, part in parts.items():
        if part.get("status") != "ok":
            labels.append(f"{name}\n({part.get('status')})")
            values.append(0.0)
            continue
        mm = part["metrics"]
        if name == "retrieval":
            labels.append("retrieval\nhybrid R@5")
            values.append(mm["hybrid"]["all"].get("recall@5", 0.0))
        elif name == "qa":
            labels.append("QA F1")
            values.append((mm.get("all", mm).get("f1") or 0.0) / 100)
        else:
            labels.append(f"{name}\nchrF")
            values.append((mm.get("chrf") or 0.0) / 100)
    ax.bar(range(len(values)), values, color="#4c72b0")
    ax.set_xticks(range(len(values)), labels, fontsize=8)
    ax.set_ylim(0, 1)
    ax.set_title("headline metrics (0-1)")
    _save_png(fig, out / "overview.png")
    plt.close(fig)
    names.append("overview.png")
    return names


def write_report(report: dict[str, Any], out_dir: str | Path, plots: bool = True) -> dict[str, Path]:
    """Write ``report.json``, ``report.md``, the plots and ``report.html`` (plots embedded) into
    ``out_dir``, each file atomically."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    names = make_plots(report, out) if plots else []
    report = {**report, "plots": names}
    atomic_write_json(out / "report.json", report)
    atomic_write_text(out / "report.md", render_markdown(report, names))
    pngs = {n: (out / n).read_bytes() for n in names}
    atomic_write_text(out / "report.html", render_report_html(report, flatten_metrics(report), pngs))
    return {"json": out / "report.json", "md": out / "report.md", "html": out / "report.html",
            **{n: out / n for n in names}}


# ------------------------------------------------------------------------------------------- compare


def flatten_metrics(report: dict[str, Any]) -> dict[str, float]:
    """``{"part.path.to.metric": value}`` for every numeric metric of every part that ran."""
    flat: dict[str, float] = {}

    def walk(prefix: str, obj: Any) -> None:
        if isinstance(obj, dict):
            for k, v in obj.items():
                walk(f"{prefix}.{k}", v)
        elif isinstance(obj, int | float) and not isinstance(obj, bool):
            flat[prefix] = float(obj)

    for name, part in report.get("parts", {}).items():
        if part.get("status") == "ok":
            walk(name, part.get("metrics", {}))
    return flat


def _item_score(part: str, it: dict[str, Any]) -> float | None:
    if part == "retrieval":
        r = it.get("rank_hybrid")
        return 0.0 if r is None else 1.0 / r
    for key in ("f1", "chrf", "fact_coverage"):
        if isinstance(it.get(key), int | float):
            return float(it[key])
    return None


def compare(a: dict[str, Any], b: dict[str, Any], tol: float = 1e-9) -> dict[str, Any]:
    """What got better and worse from report ``a`` to report ``b``: metrics and per-item scores."""
    fa, fb = flatten_metrics(a), flatten_metrics(b)
    better, worse, same = [], [], 0
    for key in sorted(set(fa) & set(fb)):
        leaf = key.rsplit(".", 1)[-1]
        if leaf in NEUTRAL:
            continue
        d = fb[key] - fa[key]
        if abs(d) <= tol:
            same += 1
            continue
        sign = -1 if leaf in LOWER_IS_BETTER else 1
        row = {"metric": key, "a": fa[key], "b": fb[key], "delta": round(d, 6)}
        (better if d * sign > 0 else worse).append(row)
    status = {}
    for name in sorted(set(a.get("parts", {})) | set(b.get("parts", {}))):
        sa = a.get("parts", {}).get(name, {}).get("status")
        sb = b.get("parts", {}).get(name, {}).get("status")
        if sa != sb:
            status[name] = {"a": sa, "b": sb}
    items: dict[str, Any] = {}
    for name in set(a.get("parts", {})) & set(b.get("parts", {})):
        ia = {it["id"]: it for it in a["parts"][name].get("items", []) if "id" in it}
        ib = {it["id"]: it for it in b["parts"][name].get("items", []) if "id" in it}
        up, down = [], []
        for i in sorted(set(ia) & set(ib)):
            sa_, sb_ = _item_score(name, ia[i]), _item_score(name, ib[i])
            if sa_ is None or sb_ is None or abs(sb_ - sa_) <= tol:
                continue
            row = {
                "id": i,
                "a": sa_,
                "b": sb_,
                "a_pred": ia[i].get("prediction", ia[i].get("hypothesis")),
                "b_pred": ib[i].get("prediction", ib[i].get("hypothesis")),
            }
            (up if sb_ > sa_ else down).append(row)
        if up or down:
            items[name] = {"better": up, "worse": down}
    return {
        "metrics": {"better": better, "worse": worse, "unchanged": same},
        "status": status,
        "items": items,
    }


def render_compare(diff: dict[str, Any], max_items: int = 15) -> str:
    """Plain-text rendering of :func:`compare` for the terminal."""
    lines = []
    for name, st in diff["status"].items():
        lines.append(f"status {name}: {st['a']} -> {st['b']}")
    for label in ("better", "worse"):
        rows = diff["metrics"][label]
        lines.append(f"{label.upper()} ({len(rows)} metrics)")
        for r in sorted(rows, key=lambda r: -abs(r["delta"])):
            lines.append(f"  {r['metric']}: {r['a']:.4g} -> {r['b']:.4g} ({r['delta']:+.4g})")
    lines.append(f"unchanged metrics: {diff['metrics']['unchanged']}")
    for name, ch in diff["items"].items():
        lines.append(f"{name}: {len(ch['better'])} items better, {len(ch['worse'])} worse")
        for label in ("worse", "better"):
            for r in ch[label][:max_items]:
                lines.append(
                    f"  {label} {r['id']}: {r['a']:.3g} -> "
                    f"{r['b']:.3g}  {json.dumps(r['a_pred'], ensure_ascii=False)} -> "
                    f"{json.dumps(r['b_pred'], ensure_ascii=False)}"
                )
    return "\n".join(lines)
