"""``regioqa index build|info`` and ``regioqa search``.

regioqa index build corpus/ --out index/
regioqa search "呼和浩特科技创新发展指数排名第几？" --index index/ -k 5
regioqa search "How many member units does the dairy centre have?" --index index/ --json
"""

from __future__ import annotations

import json
from functools import partial
from pathlib import Path
from typing import Annotated

import typer

from ..embed import Embedder
from ..engines import AddressOpt, EngineOpt, NumWorkersOpt, ray_options
from ..engines.ray_engine import build_index_ray
from ..escape import for_terminal
from ..index import Index, read_manifest
from ..index_store import check_out_dir, index_lock
from ..io import remove_stale_temps
from .common import ConfigOpt, SetOpt, load_config
from .corpus import read_corpus
from .filters import SinceOpt, SourceOpt, UntilOpt, article_filter, dated


def register(app: typer.Typer) -> None:
    """Add ``index build``, ``index info`` and ``search`` to ``app``."""
    index_app = typer.Typer(no_args_is_help=True, help="Build and inspect the retrieval index.")

    @index_app.command("build")
    def build(
        corpus: Annotated[
            list[Path], typer.Argument(help="Corpus files or folders (.txt, .jsonl, page dumps)")
        ],
        out: Annotated[Path, typer.Option("--out", "-o", help="Index directory (replaced atomically)")],
        full: Annotated[
            bool, typer.Option("--full", help="Re-embed everything (ignore the existing index)")
        ] = False,
        config: Path | None = ConfigOpt,
        sets: list[str] | None = SetOpt,
        engine: str = EngineOpt,
        address: str | None = AddressOpt,
        num_workers: int | None = NumWorkersOpt,
    ) -> None:
        """Chunk, embed and index CORPUS into OUT; unchanged chunks reuse the vectors already in OUT.

        OUT is replaced atomically and locked while building (a second build into it stops at once);
        an OUT that is a file or a folder that is not an index is refused before any work."""
        ray_opts = ray_options(engine, address, num_workers)
        cfg = load_config(config, sets)
        check_out_dir(out)  # before reading anything or taking the lock (which writes beside OUT)
        articles = read_corpus(corpus)  # bad input fails here, before anything is written
        with index_lock(out):  # Index.save checks OUT again under this (re-entrant) lock
            if removed := remove_stale_temps(out, every=True):
                typer.echo(f"removed {removed} temporary folder(s) an interrupted build left beside {out}",
                           err=True)
            if ray_opts is not None:
                make_embedder = partial(Embedder, cfg.embed.model, cfg.embed)
                idx = build_index_ray(articles, make_embedder, cfg, ray_opts, previous=None if full else out)
            else:
                embedder = Embedder(cfg.embed.model, cfg.embed)
                idx = Index.build(articles, embedder, cfg, previous=None if full else out)
            idx.save(out)
        typer.echo(f"index: {idx.build_stats}")
        typer.echo(f"wrote {out} ({idx.dense.kind} dense index, {idx.lexical.scheme} BM25)")

    @index_app.command("info")
    def info(index: Annotated[Path, typer.Argument(help="Index directory")]) -> None:
        """Print an index's manifest (without the file list)."""
        m = read_manifest(index)
        m = {k: v for k, v in m.items() if k != "files"}
        typer.echo(json.dumps(m, ensure_ascii=False, indent=2))

    app.add_typer(index_app, name="index")

    @app.command("search")
    def search(
        query: Annotated[str, typer.Argument(help="Question or keywords (Chinese or English)")],
        index: Annotated[Path, typer.Option("--index", "-i", help="Index directory")],
        k: Annotated[int, typer.Option("-k", "--top-k", help="Number of chunks to return")] = 5,
        mode: Annotated[
            str | None, typer.Option("--mode", "-m", help="dense, bm25 or hybrid (default: config)")
        ] = None,
        as_json: Annotated[bool, typer.Option("--json", help="Print hits as JSON")] = False,
        since: str | None = SinceOpt,
        until: str | None = UntilOpt,
        source: list[str] | None = SourceOpt,
        verify: Annotated[
            bool,
            typer.Option("--verify/--no-verify", help="Check every file's sha256 (sizes are always checked)"),
        ] = True,
        config: Path | None = ConfigOpt,
        sets: list[str] | None = SetOpt,
    ) -> None:
        """Search an index built with ``regioqa index build``."""
        cfg = load_config(config, sets)
        idx = Index.load(index, config=cfg, verify=verify)
        hits = idx.search(query, k=k, mode=mode, where=article_filter(since, until, source))
        if as_json:
            # Hit.to_dict() (read back with Hit.from_dict) plus the article's id, date and source
            rows = [{**h.to_dict(), "article_id": h.article_id,
                     **{f: getattr(idx.articles.get(h.article_id), f, None) for f in ("date", "source")}}
                    for h in hits]
            typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
            return
        if not hits:
            typer.echo("no results")
        for h in hits:
            snippet = h.chunk.text.replace("\n", " ")
            snippet = snippet[:120] + ("…" if len(snippet) > 120 else "")
            typer.echo(for_terminal(
                f"{h.rank}. [{h.score:.4f}] {h.article_title}{dated(idx.articles.get(h.article_id))} "
                f"({h.chunk.chunk_id} {h.start}-{h.end})\n"
                f"   {snippet}"
            ))
