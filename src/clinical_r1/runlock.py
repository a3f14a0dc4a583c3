"""One process per run folder: an exclusive lock that names the process holding it.

Two `synthesize` runs on one folder each send every unfinished record to the teacher (paying twice),
and two `eval` runs append the same items to one journal. `RunLock(folder)` takes an exclusive
`flock` on `folder/.clinical-r1.lock` and writes its pid, start time and command line into it; a second
run on the folder fails at once with `RunLockedError` saying which pid holds it.

The kernel drops a flock when its process dies (even by SIGKILL), so a lock file left by a killed run
is not a lock: the next run takes it over (and says whose it was). The file's text is only the
label; `fcntl.flock` is the lock. The `filelock` library locks the same way but keeps no holder, which
the error message needs, so this is the few lines of fcntl it would wrap. POSIX only (Linux, macOS).
"""

from __future__ import annotations

import fcntl
import os
import sys
import time
from pathlib import Path
from types import TracebackType

from clinical_r1.safe_io import file_mode, make_dirs, storage_error

LOCK_NAME = ".clinical-r1.lock"


class RunLockedError(RuntimeError):
    """Another process is using the run folder."""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _holder(text: str) -> dict[str, str]:
    fields = dict(line.split("=", 1) for line in text.splitlines() if "=" in line)
    return {k.strip(): v.strip() for k, v in fields.items()}


class RunLock:
    """`with RunLock(folder): ...`: the folder is this process's until the block ends."""

    def __init__(self, folder: str | Path):
        self.folder = Path(folder)
        self.path = self.folder / LOCK_NAME
        self._fd: int | None = None
        self.took_over: int | None = None  # the pid of a dead run whose lock file was left behind

    def acquire(self) -> RunLock:
        make_dirs(self.folder)
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, file_mode())
        except OSError as exc:
            raise (storage_error(exc, self.path) or exc) from exc
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _holder(os.pread(fd, 4096, 0).decode("utf-8", "replace"))
            os.close(fd)
            pid = holder.get("pid", "unknown")
            since = f" since {holder['started']}" if "started" in holder else ""
            command = f" ({holder['command']})" if "command" in holder else ""
            raise RunLockedError(
                f"{self.folder} is in use by another run: pid {pid}{since}{command}. Wait for it to "
                f"finish or stop it (kill {pid}), or use another output folder; two runs on one folder "
                "would do the same work twice and mix their files."
            ) from None
        previous = _holder(os.pread(fd, 4096, 0).decode("utf-8", "replace"))
        if previous.get("pid", "").isdigit() and int(previous["pid"]) != os.getpid():
            old = int(previous["pid"])
            self.took_over = old if not _alive(old) else None
        label = (
            f"pid={os.getpid()}\nstarted={time.strftime('%Y-%m-%dT%H:%M:%S%z')}\n"
            f"command={' '.join(os.path.basename(a) if i == 0 else a for i, a in enumerate(sys.argv))}\n"
        )
        try:
            os.ftruncate(fd, 0)
            os.pwrite(fd, label.encode("utf-8"), 0)
        except OSError:
            pass  # a full disk must not stop the run here: the flock alone is the lock
        self._fd = fd
        return self

    @property
    def held(self) -> bool:
        """Whether this object holds the lock now (acquired and not yet released)."""
        return self._fd is not None

    def release(self) -> None:
        if self._fd is None:
            return
        try:
            os.ftruncate(self._fd, 0)  # an empty file: nobody holds it (and folder hashes stay stable)
        except OSError:
            pass
        fcntl.flock(self._fd, fcntl.LOCK_UN)
        os.close(self._fd)
        self._fd = None

    def __enter__(self) -> RunLock:
        return self.acquire()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.release()
