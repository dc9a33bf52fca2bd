"""``regioqa summarize`` (English summaries of a corpus) and ``regioqa translate`` (Chinese -> English).

regioqa summarize corpus/ --out summaries.jsonl
regioqa summarize corpus/ --out digest.md --format md
regioqa translate "呼和浩特市科技创新发展指数排名第30位。"
regioqa translate --file article.txt --json
"""

from __future__ import annotations

import json
import sys
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import Annotated

import typer

from ..config import Config
from ..digest_md import write_markdown
from ..embed import Embedder
from ..engines import AddressOpt, EngineOpt, NumWorkersOpt, ray_options
from ..engines.ray_engine import summarize_ray
from ..errors import InputError, ModelNotFoundError
from ..escape import for_terminal
from ..io import read_jsonl_tolerant
from ..numbers import check_numbers
from ..registry import resolve
from ..render.digest import write_digest_html
from ..summarize import Summarizer, summarize_corpus
from ..translate import load_translator
from ..types import Summary
from .common import ConfigOpt, SetOpt, load_config
from .corpus import read_corpus

SIMILARITIES = ("auto", "embed", "lexical")


def check_similarity(similarity: str) -> None:
    if similarity not in SIMILARITIES:
        raise InputError(f"--similarity must be auto, embed or lexical, got {similarity!r}")


def _embedder_for(similarity: str, cfg: Config) -> Embedder | None:
    """``embed``: the configured embedder; ``lexical``: none; ``auto``: embed when a local model exists."""
    check_similarity(similarity)
    if similarity == "lexical":
        return None
    if similarity == "auto":
        try:
            rm = resolve("embedder", cfg.embed.model)
        except ModelNotFoundError:
            return None
        if rm.path is None:
            return None
    return Embedder(cfg.embed.model, cfg.embed)


def make_summarizer(similarity: str, cfg: Config) -> Summarizer:
    """The summarizer this command uses; a picklable factory (with functools.partial) for Ray workers."""
    return Summarizer(embedder=_embedder_for(similarity, cfg), config=cfg)


def register(app: typer.Typer) -> None:
    """Add ``summarize`` and ``translate`` to ``app``."""

    @app.command("summarize")
    def summarize(
        corpus: Annotated[list[Path], typer.Argument(help="Corpus files or folders (.txt, .jsonl, dumps)")],
        out: Annotated[Path, typer.Option("--out", "-o", help="Output: .jsonl, .md or .html")],
        fmt: Annotated[str | None, typer.Option("--format", "-f", help="jsonl, md or html (default: from the "
                                                "--out suffix, .md or .html, else jsonl)")] = None,
        similarity: Annotated[str, typer.Option(
            "--similarity", help="Sentence similarity for selection: lexical (bigram TF-IDF, default), embed "
            "(e5; ~40x slower on CPU, not better on the gold summaries) or auto (embed when prepared)")
        ] = "lexical",
        batch_size: Annotated[int | None, typer.Option("--batch-size", help="Articles per batch")] = None,
        progress: Annotated[bool, typer.Option("--progress/--no-progress")] = True,
        config: Path | None = ConfigOpt,
        sets: list[str] | None = SetOpt,
        engine: str = EngineOpt,
        address: str | None = AddressOpt,
        num_workers: int | None = NumWorkersOpt,
    ) -> None:
        """Summarise every article of CORPUS in English.

        jsonl: one record per article (id, title, title_en, summary_en, aligned zh/en sentences with
        offsets and number checks, or an error). Resumable: ids already in OUT are skipped; articles that
        failed before are tried again (the run says how many).
        md: a Markdown digest written atomically (records are kept in OUT.jsonl beside it, resumable).
        html: one self-contained page, English summary beside the Chinese article (records as for md).
        """
        if fmt is None:
            fmt = {".md": "md", ".html": "html", ".htm": "html"}.get(out.suffix.lower(), "jsonl")
        if fmt not in ("jsonl", "md", "html"):
            raise InputError(f"--format must be jsonl, md or html, got {fmt!r}")
        check_similarity(similarity)
        ray_opts = ray_options(engine, address, num_workers)
        cfg = load_config(config, sets)
        articles = read_corpus(corpus)
        summarizer = Summarizer(embedder=_embedder_for(similarity, cfg), config=cfg)
        records_path = out if fmt == "jsonl" else out.with_name(out.name + ".jsonl")
        if ray_opts is not None:
            ray_opts = replace(ray_opts, batch_size=batch_size, progress=progress)
            factory = partial(make_summarizer, similarity, cfg)
            report = summarize_ray(articles, records_path, factory, ray_opts, cfg)
        else:
            report = summarize_corpus(articles, records_path, summarizer, batch_size=batch_size,
                                      progress=progress)
        typer.echo(str(report), err=True)
        for aid, reason in list(report.error_reasons.items())[:20]:
            typer.echo(f"  error {for_terminal(aid)}: {for_terminal(reason)}", err=True)
        if fmt == "md":
            wanted = {a.id for a in articles}
            recs = [r for r in read_jsonl_tolerant(records_path) if r.get("id") in wanted]
            write_markdown(out, [Summary.from_dict(r) for r in recs], summarizer)
            typer.echo(f"wrote {out} ({len(recs)} articles; records in {records_path})", err=True)
        if fmt == "html":
            by_id = {a.id: a for a in articles}
            recs = [r for r in read_jsonl_tolerant(records_path) if r.get("id") in by_id]
            write_digest_html(out, [Summary.from_dict(r) for r in recs], by_id)
            typer.echo(f"wrote {out} ({len(recs)} articles; records in {records_path})", err=True)

    @app.command("translate")
    def translate(
        text: Annotated[str | None, typer.Argument(help="Chinese text (or use --file)")] = None,
        file: Annotated[Path | None, typer.Option("--file", "-F", help="UTF-8 text file")] = None,
        as_json: Annotated[bool, typer.Option("--json", help="Print JSON with the number check")] = False,
        config: Path | None = ConfigOpt,
        sets: list[str] | None = SetOpt,
    ) -> None:
        """Translate Chinese text to English, one output line per input line; report the number check."""
        if (text is None) == (file is None):
            raise InputError("give either TEXT or --file FILE")
        if file is not None:
            try:
                src = file.read_text(encoding="utf-8")
            except FileNotFoundError as e:
                raise InputError(f"file not found: {file}") from e
            except UnicodeDecodeError as e:
                raise InputError(f"{file}: not UTF-8 text ({e.reason} at byte {e.start})") from e
        else:
            src = text or ""
        lines = [ln for ln in src.splitlines() if ln.strip()]
        if not lines:
            raise InputError("nothing to translate (empty input)")
        cfg = load_config(config, sets)
        tr = load_translator(cfg.translate)
        outs = tr.translate(lines)
        checks = [check_numbers(z, e) for z, e in zip(lines, outs, strict=True)]
        if as_json:
            recs = [{"zh": z, "en": e, "numbers_ok": c.ok, "missing_numbers": c.missing,
                     "translator": tr.name, "lexical": tr.lexical}
                    for z, e, c in zip(lines, outs, checks, strict=True)]
            typer.echo(json.dumps(recs if len(recs) > 1 else recs[0], ensure_ascii=False, indent=2))
        else:
            for e in outs:
                typer.echo(for_terminal(e))
        bad = [c for c in checks if not c.ok]
        note = " (lexical gloss, not a fluent translation)" if tr.lexical else ""
        typer.echo(f"[{tr.name}{note}] numbers: {len(checks) - len(bad)}/{len(checks)} lines consistent"
                   + (f"; missing {[m for c in bad for m in c.missing]}" if bad else ""), err=True)
        if bad:
            sys.exit(1)
