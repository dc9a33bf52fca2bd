"""The ``regioqa`` command line. Each subcommand lives in its own module with a ``register(app)``.

Errors meant for the user (:class:`regioqa.errors.RegioQAError`) print as one line and exit 2.
"""

from __future__ import annotations

import sys

import click
import typer

from ..errors import RegioQAError
from . import ask, bench, corpus, evaluate, index, models, summarize

app = typer.Typer(no_args_is_help=True, add_completion=False, help="Question answering and English "
                  "summaries over Chinese news, fully offline.")

for _mod in (corpus, models, index, ask, summarize, evaluate, bench):
    _mod.register(app)


def main() -> None:
    try:
        app(standalone_mode=False)
    except RegioQAError as e:
        typer.secho(f"error: {e}", fg="red", err=True)
        sys.exit(2)
    except typer.Exit as e:
        sys.exit(e.exit_code)
    except typer.Abort:
        sys.exit(130)
    except Exception as e:  # click usage errors
        if isinstance(e, click.ClickException):
            e.show()
            sys.exit(e.exit_code)
        raise
