"""Options shared by CLI commands: ``--config`` and ``--set``."""

from __future__ import annotations

from pathlib import Path

import typer

from ..config import Config

ConfigOpt = typer.Option(None, "--config", help="TOML configuration file", exists=False)
SetOpt = typer.Option(None, "--set", help="Override a setting: section.key=value (repeatable)")


def load_config(config: Path | None, sets: list[str] | None) -> Config:
    """Defaults, then ``--config FILE``, then ``REGIOQA_<SECTION>__<KEY>`` variables, then ``--set``; every
    value is checked here, before any work."""
    cfg = Config.load(config).override_env()
    return cfg.override_strings(sets or [])
