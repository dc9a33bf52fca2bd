"""Options shared by CLI commands: ``--config`` and ``--set``."""

from __future__ import annotations

from pathlib import Path

import typer

from ..config import Config

ConfigOpt = typer.Option(None, "--config", help="TOML configuration file", exists=False)
SetOpt = typer.Option(None, "--set", help="Override a setting: section.key=value (repeatable)")


def load_config(config: Path | None, sets: list[str] | None) -> Config:
    cfg = Config.load(config)
    return cfg.override_strings(sets or [])
