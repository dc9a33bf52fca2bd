"""Errors regioqa raises on purpose. Each message names the file, line or setting at fault."""

from __future__ import annotations


class RegioQAError(Exception):
    """Base class: an error with a message meant for the user (the CLI prints it without a traceback)."""


class InputError(RegioQAError, ValueError):
    """Bad input: a file, a line of it, a question, a parameter."""


class ModelNotFoundError(RegioQAError, FileNotFoundError):
    """No model could be resolved for a role; the message lists every place tried and the fix."""


class IndexError_(RegioQAError):
    """A missing, corrupted or incompatible index."""
