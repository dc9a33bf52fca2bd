"""Execution engines for batch work. The single-machine path (``local``) lives with each stage;
:mod:`regioqa.engines.ray_engine` runs the same work on Ray and needs the optional extra
``pip install 'regioqa[ray]'``; Ray itself is imported only when a run asks for it (``--engine ray``).

The CLI options shared by ``regioqa summarize`` and ``regioqa index build`` are defined here:

>>> ray_options("local", None, None) is None
True
>>> ray_options("ray", "auto", 4).num_workers
4
"""

from __future__ import annotations

import typer

from ..errors import InputError
from .ray_engine import RayOptions

ENGINES = ("local", "ray")
DEFAULT_RAY_WORKERS = 2

EngineOpt = typer.Option("local", "--engine", help="local (this process) or ray (a Ray cluster, or a "
                         "local Ray instance; needs the optional Ray extra)")
AddressOpt = typer.Option(None, "--address", help="Ray cluster address (auto, ray://head:10001); "
                          "default: start a local Ray instance")
NumWorkersOpt = typer.Option(None, "--num-workers", help=f"Ray actors, each holding its own models "
                             f"(default {DEFAULT_RAY_WORKERS})")


def ray_options(engine: str, address: str | None, num_workers: int | None) -> RayOptions | None:
    """Check the engine options; return :class:`RayOptions` for ``ray``, ``None`` for ``local``."""
    if engine not in ENGINES:
        raise InputError(f"--engine must be one of {', '.join(ENGINES)}, got {engine!r}")
    if engine == "local":
        if address is not None or num_workers is not None:
            raise InputError("--address and --num-workers apply only with --engine ray")
        return None
    workers = DEFAULT_RAY_WORKERS if num_workers is None else num_workers
    return RayOptions(address=address, num_workers=workers)
