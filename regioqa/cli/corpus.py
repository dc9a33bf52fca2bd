"""``regioqa corpus``: build the article corpus from page dumps, .txt folders and .jsonl files.

    regioqa corpus build corpus/000_925fbcf3af44d05b.txt --out corpus/articles.jsonl
    regioqa corpus show corpus/articles.jsonl
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..corpus import load_corpus, read_articles_jsonl, write_articles_jsonl
from ..errors import InputError

corpus_app = typer.Typer(no_args_is_help=True, help="Build and inspect the article corpus.")


@corpus_app.command("build")
def build(
    sources: Annotated[list[Path], typer.Argument(help="Files (.txt, .jsonl) or folders of them")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Output JSONL")] = Path("corpus/articles.jsonl"),
    strict: Annotated[bool, typer.Option("--strict", help="Fail on the first bad file or record")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print only the summary and problems")] = False,
) -> None:
    """Read SOURCES, report what was read and skipped (file:line), write one article per line."""
    articles, report = load_corpus(sources, strict=strict)
    for p in report.problems:
        label = {"skip": "skipped", "warn": "warning", "note": "repaired"}[p.level]
        typer.secho(f"{label}: {p}", err=True, fg="yellow" if p.level != "note" else None)
    if not quiet:
        for f, n in report.files.items():
            typer.echo(f"{f}: {n} article(s)")
        for a in articles:
            typer.echo(f"  {a.id}\t{a.title}\t{len(a.text)} chars, {len(a.paragraphs)} paragraphs, "
                       f"{len(a.sections)} sections, {len(a.captions)} captions")
    if not articles:
        raise InputError(f"no articles found in {', '.join(map(str, sources))}; nothing written")
    n = write_articles_jsonl(articles, out)
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
