"""The index folder on disk: its manifest, the checks on load, one writer at a time, crash recovery.

A folder holds ``manifest.json`` (written last: format version, embedder fingerprint, chunker and
retrieval settings, corpus checksum, library version, and for every file its size, sha256 and a cheap
signature), ``articles.jsonl``, ``chunks.jsonl``, ``vectors.npy``, ``dense.faiss`` (approximate indexes
only) and ``bm25/``. Guarantees:

- Writes go to a temporary sibling folder swapped in by renames (:func:`regioqa.io.atomic_dir`): a
  crash leaves the previous index intact; temporary folders a killed run left are removed by the next
  write.
- One writer per folder: :func:`index_lock` (``filelock``) says which process holds it.
- An ``--out`` that is a file or a folder that is not an index is refused before any work
  (:func:`check_out_dir`).
- Load refuses a manifest that lacks an entry for any file of the folder or any file the index needs,
  a file whose size differs, and (``verify``) whose sha256 differs; without ``verify`` the vectors are
  still checked cheaply (header shape and a sampled signature).
"""

from __future__ import annotations

import json
import os
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from .errors import IndexError_
from .io import atomic_write_json, file_sha256, file_signature, recover_dir
from .types import Article, Chunk

FORMAT = "regioqa-index"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
CORE_FILES = ("articles.jsonl", "chunks.jsonl", "vectors.npy", "bm25/lexical.json")
SAMPLES = 64  # blocks hashed, spread over a large vectors file, for its cheap signature

_held: dict[tuple[Path, int], int] = {}  # (folder, thread) pairs holding the lock (re-entrant per thread)
_held_guard = threading.Lock()


def lock_paths(d: Path) -> tuple[Path, Path]:
    """The lock file of index folder ``d`` and the file naming its holder (both beside ``d``)."""
    return d.parent / f".{d.name}.lock", d.parent / f".{d.name}.lock.owner"


@contextmanager
def index_lock(directory: str | Path) -> Iterator[None]:
    """Hold the write lock of an index folder (re-entrant within a process); another holder makes
    this raise at once, naming its process and host."""
    from filelock import FileLock, Timeout  # here, not at the top: it imports asyncio (~15 ms at start-up)

    d = Path(directory).absolute()
    key = (d, threading.get_ident())  # nested in the same thread only: another thread takes the lock
    with _held_guard:
        if key in _held:
            _held[key] += 1
            nested = True
        else:
            nested = False
    if nested:
        try:
            yield
        finally:
            with _held_guard:
                _held[key] -= 1
        return
    d.parent.mkdir(parents=True, exist_ok=True)
    lock_file, owner_file = lock_paths(d)
    lock = FileLock(str(lock_file))
    try:
        lock.acquire(timeout=0)
    except Timeout:
        try:
            who = json.loads(owner_file.read_text(encoding="utf-8"))
            holder = f"process {who['pid']} on {who['host']} since {who['since']}"
        except (OSError, ValueError, KeyError, TypeError):
            holder = "another process"
        raise IndexError_(f"{d} is being written by {holder}; wait for it to finish "
                          f"(lock: {lock_file})") from None
    try:
        atomic_write_json(owner_file, {"pid": os.getpid(), "host": socket.gethostname(),
                                       "since": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())})
        with _held_guard:
            _held[key] = 1
        yield
    finally:
        with _held_guard:
            _held.pop(key, None)
        try:
            owner_file.unlink()
        except OSError:
            pass
        lock.release()


def check_out_dir(d: Path) -> None:
    """Refuse, before any work, an output that is a file or a non-empty folder that is not an index."""
    recover_dir(d, MANIFEST)
    if d.exists() and not d.is_dir():
        raise IndexError_(f"{d} is a file, not an index folder; choose another --out")
    if d.is_dir() and not (d / MANIFEST).exists() and any(d.iterdir()):
        raise IndexError_(f"{d} exists and is not a regioqa index (no {MANIFEST}); refusing to replace it")


def write_files(tmp: Path, articles: dict[str, Article], chunks: list[Chunk], dense: Any, lexical: Any,
                manifest: dict[str, Any]) -> dict[str, Any]:
    """Write an index into the empty folder ``tmp``, the manifest last; return the manifest written."""
    with open(tmp / "articles.jsonl", "w", encoding="utf-8") as f:
        for a in articles.values():
            f.write(json.dumps(a.to_dict(), ensure_ascii=False) + "\n")
    with open(tmp / "chunks.jsonl", "w", encoding="utf-8") as f:
        for c in chunks:
            f.write(json.dumps({"article_id": c.article_id, "chunk_id": c.chunk_id, "index": c.index,
                                "start": c.start, "end": c.end}, ensure_ascii=False) + "\n")
    dense.save(tmp)
    lexical.save(tmp / "bm25")
    files = {}
    for p in sorted(tmp.rglob("*")):
        if p.is_file():
            _fsync(p)
            files[p.relative_to(tmp).as_posix()] = {"bytes": p.stat().st_size, "sha256": file_sha256(p),
                                                    "signature": file_signature(p, samples=SAMPLES)}
    manifest = dict(manifest, files=files, created=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))
    with open(tmp / MANIFEST, "w", encoding="utf-8") as f:
        json.dump(manifest, f, ensure_ascii=False, indent=2)
        f.flush()
        os.fsync(f.fileno())
    return manifest


def read_manifest(directory: str | Path) -> dict[str, Any]:
    """The manifest of the index at ``directory``, checked for format and version."""
    d = Path(directory)
    recover_dir(d, MANIFEST)
    if d.exists() and not d.is_dir():
        raise IndexError_(f"{d} is a file, not an index folder (build one with `regioqa index build`)")
    p = d / MANIFEST
    if not p.is_file():
        raise IndexError_(f"no index at {d} ({MANIFEST} missing); build one with `regioqa index build`")
    try:
        m = json.loads(p.read_text(encoding="utf-8"))
    except (ValueError, OSError) as e:
        raise IndexError_(f"{p}: unreadable manifest ({e})") from e
    if not isinstance(m, dict) or m.get("format") != FORMAT:
        raise IndexError_(f"{p}: not a regioqa index manifest")
    if m.get("format_version") != FORMAT_VERSION:
        raise IndexError_(
            f"{p}: index format version {m.get('format_version')}, this library reads "
            f"{FORMAT_VERSION}; rebuild the index"
        )
    for key in ("files", "embedder", "dense", "lexical", "counts", "chunker"):
        if key not in m:
            raise IndexError_(f"{p}: manifest lacks {key!r}")
    if not isinstance(m["files"], dict):
        raise IndexError_(f"{p}: manifest 'files' is not a table")
    for key, sub in (("lexical", ("scheme", "k1", "b")), ("dense", ("kind",))):
        missing = [k for k in sub if not isinstance(m[key], dict) or k not in m[key]]
        if missing:
            raise IndexError_(f"{p}: manifest {key!r} lacks {missing}")
    if not isinstance(m["chunker"], dict):
        raise IndexError_(f"{p}: manifest 'chunker' is not a table")
    return m


def check_files(d: Path, manifest: dict[str, Any], verify: bool) -> None:
    """Every file the index needs and every file in the folder has a manifest entry, and each file
    has the recorded size; ``verify`` compares sha256, else the vectors' cheap signature and shape."""
    files = manifest["files"]
    needed = set(CORE_FILES) | ({"dense.faiss"} if manifest["dense"].get("kind", "flat") != "flat" else set())
    present = {p.relative_to(d).as_posix() for p in d.rglob("*") if p.is_file()} - {MANIFEST}
    unlisted = sorted((needed | present) - set(files))
    if unlisted:
        raise IndexError_(f"{d / MANIFEST}: no entry for {', '.join(unlisted)} (manifest incomplete or "
                          "edited); rebuild the index")
    for name, info in files.items():
        p = d / name
        if not p.is_file():
            raise IndexError_(f"{p}: missing (index incomplete); rebuild with `regioqa index build`")
        size = p.stat().st_size
        if size != info.get("bytes"):
            raise IndexError_(f"{p}: {size} bytes, the manifest says {info.get('bytes')} (truncated or "
                              "modified); rebuild the index")
        if verify:
            if file_sha256(p) != info.get("sha256"):
                raise IndexError_(f"{p}: checksum mismatch (corrupted or modified); rebuild the index")
        elif name == "vectors.npy" and "signature" in info \
                and file_signature(p, samples=SAMPLES) != info["signature"]:
            raise IndexError_(f"{p}: content differs from the manifest (corrupted or modified); "
                              "rebuild the index")
    check_vectors_header(d / "vectors.npy", manifest)


def check_vectors_header(p: Path, manifest: dict[str, Any]) -> None:
    """The vectors file is a float32 array of (chunks, dimension) as the manifest says."""
    try:
        v = np.load(p, mmap_mode="r")
    except (OSError, ValueError) as e:
        raise IndexError_(f"{p}: unreadable ({e}); rebuild the index") from e
    want = (manifest["counts"].get("chunks"), manifest["embedder"].get("dim"))
    if v.dtype != np.float32 or v.shape != want:
        raise IndexError_(f"{p}: {v.dtype} array of shape {v.shape}, the manifest says float32 {want}; "
                          "rebuild the index")


def read_records(d: Path) -> tuple[dict[str, Article], list[Chunk]]:
    """The articles and chunks of the index folder ``d``."""
    try:
        articles = {}
        with open(d / "articles.jsonl", encoding="utf-8") as f:
            for line in f:
                a = Article.from_dict(json.loads(line))
                articles[a.id] = a
        chunks = []
        with open(d / "chunks.jsonl", encoding="utf-8") as f:
            for n, line in enumerate(f, 1):
                r = json.loads(line)
                a = articles[r["article_id"]]
                if not 0 <= r["start"] <= r["end"] <= len(a.text):
                    raise IndexError_(f"{d / 'chunks.jsonl'}: line {n}: span outside article {a.id}")
                chunks.append(Chunk(r["article_id"], r["chunk_id"], r["index"], r["start"], r["end"],
                                    a.text[r["start"]:r["end"]]))
    except (ValueError, KeyError, TypeError) as e:
        raise IndexError_(f"{d}: unreadable articles/chunks ({e!r})") from e
    return articles, chunks


def _fsync(p: Path) -> None:
    fd = os.open(p, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
