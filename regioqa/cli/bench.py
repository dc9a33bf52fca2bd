"""``regioqa bench``: run the benchmark harness (benchmarks/run.py) and write results.json + results.md.

    regioqa bench --quick                       # < 3 minutes on 2 idle cores; writes out/bench/results.*
    regioqa bench --full --accuracy --out benchmarks/results.json    # refresh the committed figures
    regioqa bench --only embed,reader --threads 1

The harness lives in the source checkout (benchmarks/ is not installed with the package): an installed
regioqa without the checkout says so and exits with status 2.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from ..errors import InputError
from ..paths import REPO_DIR

HARNESS = REPO_DIR / "benchmarks" / "run.py"
DEFAULT_OUT = Path("out") / "bench" / "results.json"  # relative to the working directory


def load_harness(path: Path = HARNESS) -> Any:
    """Import benchmarks/run.py as a module; a clear error when the checkout does not have it."""
    if not path.is_file():
        raise InputError(f"benchmark harness not found at {path}: `regioqa bench` runs from a source "
                         "checkout of regioqa (benchmarks/ is not part of the installed package)")
    spec = importlib.util.spec_from_file_location("_regioqa_bench_run", path)
    if spec is None or spec.loader is None:
        raise InputError(f"cannot import {path}")
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod
    spec.loader.exec_module(mod)
    return mod


def register(app: typer.Typer) -> None:
    """Add ``regioqa bench`` to app."""

    @app.command("bench")
    def bench(
        quick: Annotated[bool, typer.Option("--quick", help="small sizes, < 3 minutes (default)")] = False,
        full: Annotated[bool, typer.Option("--full", help="every size and data set (long)")] = False,
        out: Annotated[Path, typer.Option("--out", help="results JSON; the Markdown table goes beside it "
                                          "(.md); benchmarks/results.json holds the committed figures")
                       ] = DEFAULT_OUT,
        only: Annotated[str | None, typer.Option("--only", help="comma list of sections "
                                                 "(embed,reader,index,summarize,text,ray,accuracy)")] = None,
        accuracy: Annotated[bool, typer.Option("--accuracy", help="also measure the accuracy cost of int8")
                            ] = False,
        threads: Annotated[int, typer.Option("--threads", min=1, help="torch/faiss threads")] = 2,
        note: Annotated[str, typer.Option("--note", help="free text stored with the results")] = "",
    ) -> None:
        """Run every benchmark in one process; speed figures next to their baselines, peak memory."""
        if quick and full:
            raise InputError("choose one of --quick and --full")
        argv = ["--full" if full else "--quick", "--out", str(out), "--threads", str(threads)]
        if only:
            argv += ["--only", only]
        if accuracy:
            argv.append("--accuracy")
        if note:
            argv += ["--note", note]
        load_harness().main(argv)
