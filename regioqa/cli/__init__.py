"""The ``regioqa`` command line. Each subcommand lives in its own module with a ``register(app)``.

Errors meant for the user (:class:`regioqa.errors.RegioQAError`), command-line usage errors and
files that cannot be read or written print as one line and exit 2.
"""

from __future__ import annotations

import sys

import typer

from ..errors import RegioQAError
from . import ask, bench, corpus, evaluate, index, models, summarize

app = typer.Typer(no_args_is_help=True, add_completion=False, help="Question answering and English "
                  "summaries over Chinese news, fully offline.")

for _mod in (corpus, models, index, ask, summarize, evaluate, bench):
    _mod.register(app)


def main() -> None:
    try:
        rc = app(standalone_mode=False)  # a command's typer.Exit(code) comes back as its return value
    except RegioQAError as e:
        typer.secho(f"error: {e}", fg="red", err=True)
        sys.exit(2)
    except typer.Exit as e:
        sys.exit(e.exit_code)
    except typer.Abort:
        sys.exit(130)
    except OSError as e:  # an unreadable input, an unwritable output, a full disk
        typer.secho(f"error: {e}", fg="red", err=True)
        sys.exit(2)
    except Exception as e:  # usage errors of typer's click: one line, with where to find help
        kinds = {c.__name__: c for c in typer.BadParameter.__mro__}
        if isinstance(e, kinds["UsageError"]) and type(e).__name__ != "NoArgsIsHelpError":
            ctx = getattr(e, "ctx", None)
            where = f" (see `{ctx.command_path} --help`)" if ctx is not None else ""
            typer.secho(f"error: {e.format_message()}{where}".replace("\n", " "), fg="red", err=True)
            sys.exit(2)
        if isinstance(e, kinds["ClickException"]):
            e.show()
            sys.exit(e.exit_code)
        raise
    if isinstance(rc, int) and rc:
        sys.exit(rc)
