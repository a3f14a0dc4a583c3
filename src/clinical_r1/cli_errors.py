"""How the run commands end on a problem the user can fix: one located message and exit code 2.

Bad configs and input lines (`ConfigError`, `RecordError`), a model that cannot be used (`LLMError`),
an output path that cannot be one (under a file, too long), a full disk or read-only folder
(`StorageError`, also when an OSError or SQLite error stands for one) and a run folder in use
(`RunLockedError`) are all the user's to fix, so they print without a traceback. Anything else is a
bug and keeps its traceback. (The private umask every command runs under is applied once, by the
`clinical-r1` entry point: cli.py.)
"""

from __future__ import annotations

import errno
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

import typer
from rich.console import Console
from rich.markup import escape

from clinical_r1.config import ConfigError
from clinical_r1.llm.base import LLMError
from clinical_r1.records import RecordError
from clinical_r1.runlock import RunLockedError
from clinical_r1.safe_io import StorageError, storage_error

EXPECTED = (ConfigError, RecordError, LLMError, StorageError, RunLockedError)
# A path the user gave that cannot be one (a file where a folder must be, a name too long, ...).
_PATH_ERRORS = {errno.ENOTDIR, errno.EISDIR, errno.ENOENT, errno.ENAMETOOLONG, errno.ELOOP}


def fail(console: Console, message: str, label: str = "error:") -> typer.Exit:
    console.print(f"[red]{label}[/red] {escape(message)}", soft_wrap=True)
    return typer.Exit(2)


@contextmanager
def user_errors(console: Console, label: str = "error:") -> Iterator[None]:
    """Expected problems inside the block print one message and exit 2."""
    try:
        yield
    except EXPECTED as exc:
        raise fail(console, str(exc), label) from exc
    except (OSError, sqlite3.Error) as exc:
        if (wrapped := storage_error(exc)) is not None:
            raise fail(console, str(wrapped), label) from exc
        if isinstance(exc, OSError) and exc.errno in _PATH_ERRORS and exc.filename:
            raise fail(console, f"{exc.filename}: {exc.strerror}", label) from exc  # e.g. --out under a file
        raise
