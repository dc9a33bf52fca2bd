"""``regioqa eval gold|qa|compare``: the gold evaluation, SQuAD-format reader scoring, run comparison.

regioqa eval gold --out out/eval-gold                      # every part that exists; report.json/.md + PNGs
regioqa eval gold --parts retrieval,qa --index index/     # some parts, against a saved index
regioqa eval qa --squad ../shared/data/qa-train/cmrc2018_trial.json --limit 200 --out cmrc.json
regioqa eval qa --squad DRCD_dev.json --script t2s --context retrieve --limit 100 --out drcd.json
regioqa eval qa --squad xquad.zh.json --questions-from xquad.en.json --context retrieve --out en.json
regioqa eval compare out/old/report.json out/eval-gold/report.json
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from ..errors import InputError
from ..evals.components import Components
from ..evals.gold import load_gold
from ..evals.qa_eval import eval_squad
from ..evals.report import compare, load_report, render_compare, render_markdown, write_report
from ..evals.runner import headline, run_gold
from ..evals.squad import read_ids
from ..io import atomic_write_json, atomic_write_text
from ..reader import Reader
from .common import ConfigOpt, SetOpt, load_config


def _rate(d: dict) -> str:
    return "-" if not d["n"] else f"{d['declined']}/{d['n']} ({100 * d['rate']:.1f}%)"


def register(app: typer.Typer) -> None:
    """Add the ``eval`` command group to ``app``."""
    eval_app = typer.Typer(no_args_is_help=True, help="Evaluate retrieval, QA, translation and summaries.")

    @eval_app.command("gold")
    def gold(
        out: Annotated[Path, typer.Option("--out", "-o", help="Report directory")] = Path("out/eval-gold"),
        parts: Annotated[
            str | None, typer.Option("--parts", help="Comma-separated: retrieval,qa,translation,summaries")
        ] = None,
        index: Annotated[
            Path | None, typer.Option("--index", help="Use this saved index (default: build one, cached)")
        ] = None,
        limit: Annotated[int | None, typer.Option("--limit", help="Only the first N items per part")] = None,
        gold_dir: Annotated[Path | None, typer.Option("--gold", help="Gold set folder")] = None,
        config: Path | None = ConfigOpt,
        sets: list[str] | None = SetOpt,
    ) -> None:
        """Run every available part on the gold set; write report.json, report.md, plots and report.html
        (plots embedded) to OUT."""
        cfg = load_config(config, sets)
        wanted = [p.strip() for p in parts.split(",") if p.strip()] if parts else None
        if index is not None and not index.exists():
            raise InputError(f"--index {index} does not exist")
        if limit is not None and limit <= 0:
            raise InputError(f"--limit must be a positive integer, got {limit}")
        comp = Components(index_dir=index, cache_index=index is None, gold_dir=gold_dir)
        report = run_gold(
            wanted,
            comp,
            cfg,
            gold=load_gold(gold_dir),
            limit=limit,
            progress=lambda name: typer.echo(f"eval: {name} ...", err=True),
        )
        files = write_report(report, out)
        for name, part in report["parts"].items():
            p = part.get("primary") or {}
            extra = (f" ({p['metric']} {p['value']})" if p.get("value") is not None else ""
                     ) if part["status"] == "ok" else f" ({part.get('reason')})"
            typer.echo(f"{name}: {part['status']}{extra} [{part['seconds']} s]")
        typer.echo(json.dumps(headline(report), ensure_ascii=False))
        typer.echo(f"total {report['seconds']} s; wrote {files['json']}, {files['md']}")

    @eval_app.command("qa")
    def qa(
        squad: Annotated[Path, typer.Option("--squad", help="SQuAD-format JSON file (paragraphs, answers)")],
        out: Annotated[Path, typer.Option("--out", "-o", help="Report JSON file")],
        context: Annotated[
            str, typer.Option("--context", help="gold: each question's own paragraph; retrieve: search all")
        ] = "gold",
        ids: Annotated[Path | None, typer.Option("--ids", help="File of question ids to keep")] = None,
        questions_from: Annotated[Path | None, typer.Option(
            "--questions-from", help="SQuAD file whose questions (matched by id) replace --squad's")] = None,
        limit: Annotated[int | None, typer.Option("--limit", help="Only the first N questions")] = None,
        script: Annotated[
            str, typer.Option("--script", help="auto | t2s (OpenCC traditional->simplified) | none")
        ] = "auto",
        reader_model: Annotated[
            str | None, typer.Option("--reader", help="Reader model dir (default: registry)")
        ] = None,
        config: Path | None = ConfigOpt,
        sets: list[str] | None = SetOpt,
    ) -> None:
        """Score the reader on a SQuAD-format file; prints F1 and EM and writes the report."""
        cfg = load_config(config, sets)
        reader = Reader(reader_model, cfg.reader)
        report = eval_squad(
            squad,
            reader=reader,
            context=context,
            ids=read_ids(ids) if ids else None,
            limit=limit,
            script=script,
            config=cfg,
            questions=questions_from,
        )
        if out.suffix.lower() == ".json":  # a report file (+ .md beside it)
            atomic_write_json(out, report)
            atomic_write_text(out.with_suffix(".md"), render_markdown(report))
        else:  # a report directory with plots
            write_report(report, out)
        m = report["parts"]["qa"]["metrics"]
        typer.echo(
            f"F1 {m['f1']:.2f}  EM {m['em']:.2f}  (n={m['n']}, context={context}, "
            f"t2s={report['converted_t2s']})"
        )
        for lang, lm in m["by_lang"].items():
            d = lm["declined"]
            typer.echo(f"  {lang}: F1 {lm.get('f1', 0.0):.2f}  EM {lm.get('em', 0.0):.2f}  "
                       f"(answerable n={lm['n']}; declined {_rate(d['answerable'])} of answerable, "
                       f"{_rate(d['unanswerable'])} of unanswerable)")
        d = m["declined"]
        typer.echo(f"declined: {_rate(d['answerable'])} of answerable, "
                   f"{_rate(d['unanswerable'])} of unanswerable")
        typer.echo(f"wrote {out}")

    @eval_app.command("compare")
    def compare_cmd(
        a: Annotated[Path, typer.Argument(help="Earlier report.json")],
        b: Annotated[Path, typer.Argument(help="Later report.json")],
        as_json: Annotated[bool, typer.Option("--json", help="Print the comparison as JSON")] = False,
    ) -> None:
        """What got better and worse from report A to report B."""
        diff = compare(load_report(a), load_report(b))
        typer.echo(json.dumps(diff, ensure_ascii=False, indent=1) if as_json else render_compare(diff))

    app.add_typer(eval_app, name="eval")
