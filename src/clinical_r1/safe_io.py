"""Writing run files safely: whole or not at all, private, and with a clear error when the disk says no.

Every artifact and state file a run writes (records, examples, stats, manifests, eval configs, reports)
goes through `atomic_write` / `atomic_open`: the content goes to a temporary file beside the target,
is flushed and fsync'ed, then renamed over the target (and the folder fsync'ed), so a kill or a full
disk leaves either the old file or the new one, never half of one.

Outputs hold patient text, so they are private by default: files 0600 in folders 0700, i.e. a umask of
077. `CLINICAL_R1_UMASK` (octal, e.g. `027` to let the group read) changes it; the CLI applies it to the
whole process (`private_umask`), and the helpers here apply it themselves when used as a library.

A write that fails because the disk is full or the folder is read-only becomes a `StorageError` naming
the file and what to do; what was finished before (journals, earlier files) is left as it was.
"""

from __future__ import annotations

import errno
import json
import os
import sqlite3
import tempfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from pydantic import BaseModel

from clinical_r1.config import ConfigError

UMASK_ENV = "CLINICAL_R1_UMASK"
DEFAULT_UMASK = 0o077

_FULL = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}
_READ_ONLY = {errno.EROFS, errno.EACCES, errno.EPERM}


class StorageError(RuntimeError):
    """A file could not be written: the disk is full, or the folder is read-only / not writable."""

    def __init__(self, path: str | Path | None, reason: str, detail: str):
        self.path, self.reason = str(path) if path is not None else None, reason
        where = f"{path}: " if path is not None else ""
        if reason == "disk full":
            advice = (
                "the disk is full. What was finished before is kept; free some space and rerun the same "
                "command to go on from there"
            )
        else:
            advice = (
                "the folder is read-only or not writable. What was finished before is kept; choose a "
                "writable output folder, or fix its permissions, and rerun"
            )
        super().__init__(f"{where}cannot write: {advice} ({detail})")


def configured_umask() -> int:
    """The umask for run outputs: CLINICAL_R1_UMASK (octal) or 077 (owner only)."""
    text = os.environ.get(UMASK_ENV, "").strip()
    if not text:
        return DEFAULT_UMASK
    try:
        value = int(text, 8)
    except ValueError:
        raise ValueError(f"{UMASK_ENV}={text!r} is not an octal umask (e.g. 077 or 027)") from None
    if not 0 <= value <= 0o777:
        raise ValueError(f"{UMASK_ENV}={text!r} is not an octal umask between 000 and 777")
    return value


def file_mode() -> int:
    return 0o666 & ~configured_umask()


def dir_mode() -> int:
    return 0o777 & ~configured_umask()


@contextmanager
def private_umask() -> Iterator[None]:
    """Everything the process creates inside the block gets the configured umask (077 by default)."""
    previous = os.umask(configured_umask())
    try:
        yield
    finally:
        os.umask(previous)


def storage_error(exc: BaseException, path: str | Path | None = None) -> StorageError | None:
    """The StorageError an exception stands for (disk full, read-only), or None for any other error.

    Knows OSError errnos and SQLite's own messages ("database or disk is full", "readonly database")."""
    if isinstance(exc, StorageError):
        return exc
    if isinstance(exc, OSError) and exc.errno is not None:
        where = path if path is not None else exc.filename
        if exc.errno in _FULL:
            return StorageError(where, "disk full", os.strerror(exc.errno))
        if exc.errno in _READ_ONLY:
            return StorageError(where, "read-only", os.strerror(exc.errno))
        return None
    if isinstance(exc, sqlite3.OperationalError):
        message = str(exc)
        if "disk is full" in message:
            return StorageError(path, "disk full", f"SQLite: {message}")
        if "readonly database" in message or "unable to open database" in message:
            return StorageError(path, "read-only", f"SQLite: {message}")
    return None


def make_dirs(path: str | Path) -> Path:
    """Create a folder and its missing parents with the private mode (0700); existing ones are kept."""
    path = Path(path)
    missing: list[Path] = []
    probe = path
    while not probe.exists():
        missing.append(probe)
        if probe.parent == probe:
            break
        probe = probe.parent
    if probe.exists() and not probe.is_dir():
        raise NotADirectoryError(errno.ENOTDIR, f"{probe} is a file, not a folder", str(probe))
    mode = dir_mode()
    for folder in reversed(missing):
        try:
            folder.mkdir(mode=mode)
            os.chmod(folder, mode)  # mkdir's mode is reduced by the process umask
        except FileExistsError:
            pass
        except OSError as exc:
            raise (storage_error(exc, folder) or exc) from exc
    return path


def create_private(path: str | Path) -> Path:
    """Create an empty file with the private mode unless it exists (e.g. before SQLite opens it, so the
    database and its -wal/-shm files, which SQLite gives the database's mode, are private too)."""
    path = Path(path)
    make_dirs(path.parent)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, file_mode())
    except FileExistsError:
        return path
    except OSError as exc:
        raise (storage_error(exc, path) or exc) from exc
    os.close(fd)
    return path


def open_sqlite(
    path: str | Path,
    setup: Callable[[sqlite3.Connection], object],
    what: str,
    fix: str,
    **connect: Any,
) -> sqlite3.Connection:
    """Open (creating it privately if missing) the SQLite state file `path` and run `setup` on it (pragmas,
    schema). `connect` goes to `sqlite3.connect`.

    A full disk or read-only folder raises StorageError; any other database error (a file that is not a
    database, a cut one) closes the connection and raises ConfigError "`path`: the `what` is damaged (...);
    `fix`"."""
    path = Path(path)
    create_private(path)  # 0600 before SQLite opens it: its -wal and -shm files inherit the mode
    conn = sqlite3.connect(path, **connect)
    try:
        setup(conn)
    except sqlite3.DatabaseError as exc:
        conn.close()
        if (wrapped := storage_error(exc, path)) is not None:
            raise wrapped from exc
        raise ConfigError(f"{path}: the {what} is damaged ({exc}); {fix}") from exc
    return conn


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # some filesystems cannot fsync a folder; the rename itself is still atomic
    finally:
        os.close(fd)


@contextmanager
def atomic_open(path: str | Path, binary: bool = False, encoding: str = "utf-8") -> Iterator[IO[Any]]:
    """A file handle whose content replaces `path` only if the block ends without an exception.

    Temporary file in the same folder, flush + fsync, rename over the target, fsync the folder. On any
    error the temporary file is removed and the target left as it was; a full disk or read-only folder
    raises StorageError naming the target."""
    path = Path(path)
    make_dirs(path.parent)
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise (storage_error(exc, path) or exc) from exc
    tmp = Path(tmp_name)
    try:
        os.fchmod(fd, file_mode())
        fh = os.fdopen(fd, "wb" if binary else "w", **({} if binary else {"encoding": encoding}))
        with fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException as exc:
        tmp.unlink(missing_ok=True)
        if (wrapped := storage_error(exc, path)) is not None and wrapped is not exc:
            raise wrapped from exc
        raise
    _fsync_dir(path.parent)


def atomic_write(path: str | Path, content: str | bytes, encoding: str = "utf-8") -> Path:
    """Replace `path` with `content`, atomically and privately."""
    with atomic_open(path, binary=isinstance(content, bytes), encoding=encoding) as fh:
        fh.write(content)
    return Path(path)


def atomic_write_json(path: str | Path, obj: Any, indent: int | None = 2) -> Path:
    text = json.dumps(obj, ensure_ascii=False, indent=indent, default=str)
    return atomic_write(path, text + "\n")


def atomic_write_jsonl(path: str | Path, items: Iterable[BaseModel | dict[str, Any]]) -> int:
    """JSON Lines (UTF-8, non-ASCII kept readable), atomically; returns the count written."""
    count = 0
    with atomic_open(path) as fh:
        for item in items:
            obj = item.model_dump(mode="json") if isinstance(item, BaseModel) else item
            fh.write(json.dumps(obj, ensure_ascii=False) + "\n")
            count += 1
    return count


def read_state_json(path: str | Path, what: str, fix: str) -> Any:
    """A JSON state file the run itself wrote; an empty or cut-off one is a ValueError naming the file,
    what it is, and `fix` (what the user can do about it)."""
    path = Path(path)
    raw = path.read_bytes()
    if not raw.strip():
        raise ValueError(f"{path}: the {what} is empty (a kill or a full disk while it was written); {fix}")
    try:
        return json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ValueError(f"{path}: the {what} is not valid JSON ({exc}); {fix}") from exc
