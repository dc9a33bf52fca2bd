"""``regioqa corpus``: build the article corpus (page dumps, .txt, .jsonl, saved pages, feeds, tables).

    regioqa corpus build corpus/000_925fbcf3af44d05b.txt --out corpus/articles.jsonl
    regioqa corpus build saved-pages/ feeds/ --out corpus/articles.jsonl
    regioqa corpus build archive.parquet --column text=content --column title=headline -o articles.jsonl
    regioqa corpus show corpus/articles.jsonl
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from ..corpus import Columns, LoadReport, iter_corpus, load_corpus, read_articles_jsonl
from ..errors import InputError
from ..io import atomic_open
from ..types import Article

corpus_app = typer.Typer(no_args_is_help=True, help="Build and inspect the article corpus.")


ColumnOpt = typer.Option(None, "--column", "-c", help="FIELD=COLUMN: the column of a table (.parquet, .csv) "
                         "or .jsonl that holds an article field (text, title, id, date, source, url); repeat")


def echo_problems(report: LoadReport) -> None:
    """Each skipped item, warning and repair on one line of stderr, naming file and line (or row)."""
    for p in report.problems:
        label = {"skip": "skipped", "warn": "warning", "note": "repaired"}[p.level]
        typer.secho(f"{label}: {p}", err=True, fg="yellow" if p.level != "note" else None)


def read_corpus(paths: list[Path], columns: list[str] | None = None) -> list[Article]:
    """The articles a command works on; problems one line each, then the summary line (stderr). No
    articles at all is an :class:`InputError` (one line, with the summary)."""
    articles, report = load_corpus(paths, columns=Columns.parse(columns))
    echo_problems(report)
    if not articles:
        raise InputError(f"no articles found in {', '.join(map(str, paths))} ({report.summary()})")
    typer.echo(report.summary(), err=True)
    return articles


@corpus_app.command("build")
def build(
    sources: Annotated[list[Path], typer.Argument(
        help="Files or folders: .txt, .jsonl, .html/.htm pages, .xml/.rss/.atom feeds, .parquet/.csv")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Output JSONL")] = Path("corpus/articles.jsonl"),
    strict: Annotated[bool, typer.Option("--strict", help="Fail on the first bad file or record")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print only the summary and problems")] = False,
    column: list[str] | None = ColumnOpt,
) -> None:
    """Read SOURCES (streamed: a million-row table is never held whole), report what was read and skipped
    (file:line or row), write one article per line; OUT is replaced only when all went well."""
    columns = Columns.parse(column)
    report = LoadReport()
    n = 0
    with atomic_open(out) as f:
        for a in iter_corpus(sources, report, strict=strict, columns=columns, progress=not quiet):
            f.write(json.dumps(a.to_dict(), ensure_ascii=False) + "\n")
            n += 1
            if not quiet:
                typer.echo(f"  {a.id}\t{a.title}\t{len(a.text)} chars, {len(a.paragraphs)} paragraphs, "
                           f"{len(a.sections)} sections, {len(a.captions)} captions"
                           + "".join(f", {k} {v}" for k, v in (("date", a.date), ("source", a.source)) if v))
        echo_problems(report)
        if not n:
            raise InputError(f"no articles found in {', '.join(map(str, sources))}; nothing written")
    if not quiet:
        for name, k in report.files.items():
            typer.echo(f"{name}: {k} article(s)")
    typer.echo(f"{report.summary()}; wrote {n} article(s) to {out}")


@corpus_app.command("show")
def show(
    path: Annotated[Path, typer.Argument(help="A built corpus (.jsonl)")] = Path("corpus/articles.jsonl"),
    article_id: Annotated[str | None, typer.Option("--id", help="Print this article in full")] = None,
) -> None:
    """List the articles of a built corpus, or print one with its structure."""
    articles = read_articles_jsonl(path)
    if article_id is None:
        for a in articles:
            typer.echo(f"{a.id}\t{a.title}\t{len(a.text)} chars")
        return
    match = [a for a in articles if a.id == article_id]
    if not match:
        raise InputError(f"{path}: no article with id {article_id!r}; ids: {[a.id for a in articles]}")
    a = match[0]
    typer.echo(f"# {a.title}\nbyline: {', '.join(a.byline)}")
    typer.echo(f"date: {a.date or '-'}  source: {a.source or '-'}  url: {a.url or '-'}")
    starts = {s.start: s.heading for s in a.sections}
    for p in a.paragraphs:
        if p.start in starts:
            typer.echo(f"\n## {starts[p.start]}")
        typer.echo(f"[{p.start}:{p.end}] {a.text[p.start:p.end]}")
    for c in a.captions:
        typer.echo(f"(caption) {c}")


def register(app: typer.Typer) -> None:
    """Add ``regioqa corpus ...`` to the app."""
    app.add_typer(corpus_app, name="corpus")
