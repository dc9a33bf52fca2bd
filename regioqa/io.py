"""Atomic file and folder output, resumable JSONL outputs, file checksums: nothing already written is
lost when a run crashes, and a rerun repairs what failed.

>>> import tempfile, pathlib
>>> p = pathlib.Path(tempfile.mkdtemp()) / "x.json"
>>> atomic_write_json(p, {"a": 1}); read_json(p)
{'a': 1}

Files and folders are created with the user's umask (like other tools), not 0600/0700.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from .errors import InputError


@contextmanager
def atomic_open(path: str | os.PathLike[str], mode: str = "w",
                encoding: str | None = "utf-8") -> Iterator[IO[Any]]:
    """Write to a temporary file beside ``path`` and rename it over ``path`` only on success."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, mode, encoding=None if "b" in mode else encoding) as f:  # closes fd always
            try:  # mkstemp makes 0600: keep the mode of the file replaced, else what the umask gives
                perm = path.stat().st_mode & 0o7777
            except FileNotFoundError:
                perm = 0o666 & ~current_umask()
            os.fchmod(f.fileno(), perm)
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def atomic_write_text(path: str | os.PathLike[str], text: str) -> None:
    with atomic_open(path, "w") as f:
        f.write(text)


def atomic_write_json(path: str | os.PathLike[str], obj: Any, indent: int | None = 2) -> None:
    with atomic_open(path, "w") as f:
        json.dump(obj, f, ensure_ascii=False, indent=indent)
        f.write("\n")


def read_json(path: str | os.PathLike[str]) -> Any:
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except json.JSONDecodeError as e:
        raise InputError(f"{path}: line {e.lineno}: invalid JSON ({e.msg})") from e


class JsonlAppender:
    """Append records to a JSONL file, one whole line per ``os.write`` + fsync.

    A crash can at worst leave a partial *last* line, which :func:`read_jsonl_tolerant`
    drops (with a warning) and the next append cuts off, so no complete record is lost.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._truncate_partial_tail()
        self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o666)  # umask applies

    def _truncate_partial_tail(self) -> None:
        if not self.path.exists() or self.path.stat().st_size == 0:
            return
        with open(self.path, "rb+") as f:
            data = f.read()
            if data.endswith(b"\n"):
                return
            cut = data.rfind(b"\n") + 1
            f.truncate(cut)

    def write(self, record: dict[str, Any]) -> None:
        line = (json.dumps(record, ensure_ascii=False) + "\n").encode("utf-8")
        os.write(self._fd, line)
        os.fsync(self._fd)

    def close(self) -> None:
        os.close(self._fd)

    def __enter__(self) -> JsonlAppender:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def read_jsonl_tolerant(path: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """Read complete JSONL records; a broken final line (a crash mid-write) is skipped."""
    out: list[dict[str, Any]] = []
    path = Path(path)
    if not path.exists():
        return out
    lines = path.read_text(encoding="utf-8").split("\n")
    for i, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
        except json.JSONDecodeError as e:
            if i >= len(lines) - 1:  # last (partial) line
                continue
            raise InputError(f"{path}: line {i}: invalid JSON ({e.msg})") from e
        if not isinstance(rec, dict):
            raise InputError(f"{path}: line {i}: expected a JSON object (a record), got {type(rec).__name__}")
        out.append(rec)
    return out


@dataclass
class Resume:
    """What a JSONL output already holds: ids ``done`` (good records, skipped by a rerun) and ids
    ``retry`` (their error records were dropped from the file, so the rerun does them again)."""

    done: set[str] = field(default_factory=set)
    retry: set[str] = field(default_factory=set)


def resume_jsonl(path: str | os.PathLike[str], wanted: Iterable[str] | None = None, key: str = "id",
                 failed: Callable[[dict[str, Any]], bool] = lambda r: bool(r.get("error"))) -> Resume:
    """Prepare the JSONL output ``path`` for a rerun: its error records (``failed``) for the ids in
    ``wanted`` (default: all) are removed (the file is rewritten atomically, a partial last line
    dropped) so that the rerun writes each of them again, exactly once; returns the ids done and the
    ids to retry. The one place where reruns of summarize (local and Ray) and ask --questions resume.

    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "out.jsonl"
    >>> _ = p.write_text('{"id": 1}\\n{"id": 2, "error": "too long"}\\n{"id": 3', encoding="utf-8")
    >>> r = resume_jsonl(p); sorted(r.done), sorted(r.retry), p.read_text(encoding="utf-8")
    (['1'], ['2'], '{"id": 1}\\n')
    """
    recs = read_jsonl_tolerant(path)
    want = None if wanted is None else {str(w) for w in wanted}

    def dropped(r: dict[str, Any]) -> bool:
        return failed(r) and (want is None or str(r.get(key)) in want)

    good = [r for r in recs if not dropped(r)]
    res = Resume({str(r[key]) for r in good if key in r and not failed(r)})
    res.retry = {str(r[key]) for r in recs if dropped(r) and key in r} - res.done
    if len(good) != len(recs):
        with atomic_open(path) as f:
            f.writelines(json.dumps(r, ensure_ascii=False) + "\n" for r in good)
    return res


def file_sha256(path: str | os.PathLike[str]) -> str:
    """sha256 of a whole file, read in 4 MiB blocks."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 22), b""):
            h.update(block)
    return h.hexdigest()


def file_signature(path: Path, full: bool = False, samples: int = 0) -> str:
    """Cheap content signature: size + sha256 of the whole file (small, or ``full``) or of its first and
    last MiB and ``samples`` 64 KiB blocks spread evenly between them."""
    size = path.stat().st_size
    h = hashlib.sha256(str(size).encode())
    with path.open("rb") as fh:
        if full or size <= (2 << 20):
            h.update(fh.read())
        else:
            h.update(fh.read(1 << 20))
            for i in range(1, samples + 1):
                fh.seek((1 << 20) + (size - (2 << 20)) * i // (samples + 1))
                h.update(fh.read(1 << 16))
            fh.seek(size - (1 << 20))
            h.update(fh.read(1 << 20))
    return h.hexdigest()


def update_with_files(h: Any, folder: Path, names: Iterable[str]) -> None:
    """Feed hash ``h`` the name and :func:`file_signature` of each of ``names`` present in ``folder``
    (files under 4 MiB hashed whole): what a model folder's derived data depends on."""
    for name in names:
        f = folder / name
        if f.is_file():
            h.update(name.encode())
            h.update(file_signature(f, full=f.stat().st_size < (1 << 22)).encode())


# ---------------------------------------------------------------------------------------------- folders
COMPLETE_MARKER = "complete"


def current_umask() -> int:
    """The process umask: read from /proc where there is one (changing it, even for a moment, would
    race with other threads creating files), else set and restored."""
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def is_complete(path: str | os.PathLike[str]) -> bool:
    """A folder built with :func:`atomic_dir` is usable when its ``complete`` marker exists."""
    return (Path(path) / COMPLETE_MARKER).is_file()


def write_marker(folder: Path, info: dict[str, Any]) -> None:
    """Write the ``complete`` marker (JSON ``info``): the last step inside an :func:`atomic_dir` block."""
    atomic_write_json(folder / COMPLETE_MARKER, info)


def read_marker(folder: Path) -> dict[str, Any] | None:
    """The ``complete`` marker's JSON, or None when absent or unreadable."""
    try:
        info = json.loads((folder / COMPLETE_MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return info if isinstance(info, dict) else None


def temp_siblings(out: Path) -> list[Path]:
    """The temporary folders :func:`atomic_dir` makes beside ``out`` (``.<name>.tmp-*``)."""
    return sorted(out.parent.glob(f".{out.name}.tmp-*"))


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_stale_temps(out: Path, every: bool = False) -> int:
    """Remove the temporary folders a killed run left beside ``out``: those whose process is gone, or
    all of them with ``every`` (for a caller that holds the lock on ``out``). Returns how many."""
    n = 0
    for t in temp_siblings(out):
        pid = t.name[len(out.name) + 6:].split("-", 1)[0]
        if every or not pid.isdigit() or not _pid_alive(int(pid)):
            shutil.rmtree(t, ignore_errors=True)
            n += 1
    return n


def recover_dir(out: Path, marker: str = COMPLETE_MARKER) -> None:
    """If a crash hit between the two renames of a swap (``out`` gone, ``.<name>.old-*`` holding a
    complete folder with ``marker``), put the previous folder back."""
    if out.exists():
        return
    olds = sorted(out.parent.glob(f".{out.name}.old-*"), key=lambda p: p.stat().st_mtime)
    if olds and (olds[-1] / marker).exists():
        os.rename(olds[-1], out)


def swap_in(tmp: Path, out: Path) -> None:
    """Replace ``out`` by the folder ``tmp``. ``out`` is absent only between two renames, which
    :func:`recover_dir` repairs."""
    if out.exists():
        old = out.parent / f".{out.name}.old-{os.getpid()}-{time.time_ns()}"
        os.rename(out, old)
        os.rename(tmp, out)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.rename(tmp, out)
    for stale in out.parent.glob(f".{out.name}.old-*"):
        shutil.rmtree(stale, ignore_errors=True)


def _umask_modes(folder: Path) -> None:
    """Give ``folder`` and everything in it the modes the user's umask gives new files and folders."""
    mask = current_umask()
    for p in [folder, *folder.rglob("*")]:
        if p.is_symlink():
            continue
        if p.is_dir():
            p.chmod(0o777 & ~mask)
        else:
            p.chmod((0o777 if p.stat().st_mode & 0o100 else 0o666) & ~mask)


@contextmanager
def atomic_dir(out: str | os.PathLike[str], replace: bool = True,
               marker: str = COMPLETE_MARKER) -> Iterator[Path]:
    """Yield a temporary sibling folder of ``out`` to build in; on success it replaces ``out`` (with
    ``replace=False`` an ``out`` that appeared meanwhile is kept and the new one dropped), on any error
    it is removed. Write the ``marker`` file (:func:`write_marker`) last, inside the block.
    Temporary folders of killed runs are removed first; modes follow the umask.

    >>> import tempfile, pathlib
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "model"
    >>> with atomic_dir(out) as tmp:
    ...     _ = (tmp / "w.bin").write_bytes(b"1"); write_marker(tmp, {"v": 1})
    >>> is_complete(out), read_marker(out), temp_siblings(out)
    (True, {'v': 1}, [])
    """
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    recover_dir(out, marker)
    remove_stale_temps(out)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-{os.getpid()}-", dir=out.parent))
    try:
        yield tmp
        _umask_modes(tmp)
        if replace or not out.exists():
            swap_in(tmp, out)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
