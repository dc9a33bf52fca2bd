"""Offline means offline: ``ask``, ``index build``, ``summarize`` and ``models prepare`` (the real CLI, as
subprocesses) resolve no host name, open no non-loopback connection and write nothing under ~/intel.

Every Python process of a run loads a guard (``sitecustomize.py`` on PYTHONPATH, written below) that
records and refuses any host-name lookup and any connect/sendto to a non-loopback address; where
``strace`` is installed, ``ask``'s system calls are checked as well (which also sees C libraries).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

GUARD = r'''"""Loaded at start-up by every Python process whose PYTHONPATH holds this folder:
records, and refuses, every host-name lookup and every connect/sendto to a non-loopback address.
Records go to the file named by REGIOQA_NET_LOG, one block per attempt with a short stack."""

from __future__ import annotations

import os
import socket
import traceback

_LOG = os.environ.get("REGIOQA_NET_LOG")
_LOCAL = {None, "", "localhost", "0.0.0.0", "::", "::1", "ip6-localhost"}


def _local(host: object) -> bool:
    if isinstance(host, bytes):
        host = host.decode(errors="replace")
    return host in _LOCAL or (isinstance(host, str) and (host.startswith("127.") or host == "::1"))


def _refuse(what: str, target: object) -> None:
    if _LOG:
        with open(_LOG, "a", encoding="utf-8") as f:
            f.write(f"pid {os.getpid()}: {what} {target!r}\n{''.join(traceback.format_stack(limit=12))}\n")
    raise OSError(f"network use refused by the test guard: {what} {target!r}")


def _wrap_lookup(name: str) -> None:
    orig = getattr(socket, name)

    def lookup(host, *args, **kwargs):  # type: ignore[no-untyped-def]
        if not _local(host):
            _refuse(name, host)
        return orig(host, *args, **kwargs)

    setattr(socket, name, lookup)


for _name in ("getaddrinfo", "gethostbyname", "gethostbyname_ex", "gethostbyaddr"):
    _wrap_lookup(_name)


def _check_address(sock: socket.socket, address: object, what: str) -> None:
    if sock.family in (socket.AF_INET, socket.AF_INET6) and isinstance(address, tuple) \
            and not _local(address[0]):
        _refuse(what, address)


_connect, _connect_ex, _sendto = socket.socket.connect, socket.socket.connect_ex, socket.socket.sendto


def connect(self, address):  # type: ignore[no-untyped-def]
    _check_address(self, address, "connect")
    return _connect(self, address)


def connect_ex(self, address):  # type: ignore[no-untyped-def]
    _check_address(self, address, "connect")
    return _connect_ex(self, address)


def sendto(self, data, *args):  # type: ignore[no-untyped-def]
    _check_address(self, args[-1], "sendto")
    return _sendto(self, data, *args)


socket.socket.connect, socket.socket.connect_ex, socket.socket.sendto = connect, connect_ex, sendto
if _LOG:
    with open(_LOG + ".loaded", "a", encoding="utf-8") as _f:
        _f.write(f"{os.getpid()}\n")
'''


@pytest.fixture(scope="module")
def ov_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One OpenVINO cache for this module's runs: ``models prepare`` (first) fills it, the others read it."""
    return tmp_path_factory.mktemp("ov-cache")


@pytest.fixture()
def guarded(tmp_path: Path, ov_cache: Path) -> dict[str, object]:
    """Environment for a guarded run: the guard on PYTHONPATH, an empty HOME, temporary caches."""
    g = tmp_path / "guard"
    g.mkdir()
    (g / "sitecustomize.py").write_text(GUARD, encoding="utf-8")
    home = tmp_path / "home"
    home.mkdir()
    log = tmp_path / "net.log"
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("HF_", "TRANSFORMERS_", "RAY_", "DO_NOT_TRACK"))}  # regioqa must set them
    env.update(PYTHONPATH=os.pathsep.join([str(g), str(REPO)]), HOME=str(home), REGIOQA_NET_LOG=str(log),
               REGIOQA_OV_CACHE=str(ov_cache), XDG_CACHE_HOME=str(tmp_path / "cache"))
    return {"env": env, "home": home, "log": log, "tmp": tmp_path}


def run(g: dict[str, object], *args: str, prefix: tuple[str, ...] = ()) -> subprocess.CompletedProcess[str]:
    cmd = [*prefix, sys.executable, "-c", "from regioqa.cli import main; main()", *args]
    r = subprocess.run(cmd, env=g["env"], capture_output=True, text=True, timeout=600, cwd=REPO)
    assert r.returncode == 0, r.stderr[-2000:]
    return r


def assert_offline(g: dict[str, object]) -> None:
    log, home = Path(g["log"]), Path(g["home"])
    assert Path(str(log) + ".loaded").is_file(), "the guard did not load: the test would prove nothing"
    assert not log.exists(), log.read_text(encoding="utf-8")[:3000]
    assert not (home / "intel").exists(), "OpenVINO telemetry wrote under ~/intel"


def test_guard_catches_a_lookup(guarded: dict[str, object]) -> None:
    """The guard works: a plain lookup is recorded and refused (so the tests below can fail)."""
    r = subprocess.run([sys.executable, "-c", "import socket; socket.getaddrinfo('example.org', 443)"],
                       env=guarded["env"], capture_output=True, text=True, timeout=60)
    assert r.returncode != 0 and "refused by the test guard" in r.stderr
    assert "example.org" in Path(guarded["log"]).read_text(encoding="utf-8")


@pytest.mark.slow
@pytest.mark.model
def test_models_prepare_stays_offline(guarded: dict[str, object]) -> None:
    """``models prepare`` checks the prepared models and converts them for OpenVINO (into an empty
    cache), offline."""
    r = run(guarded, "models", "prepare")
    assert "embedder" in r.stdout and "reader" in r.stdout
    assert any(Path(guarded["env"]["REGIOQA_OV_CACHE"]).rglob("model.xml"))  # OpenVINO really ran
    assert_offline(guarded)


@pytest.mark.slow
@pytest.mark.model
def test_index_build_ask_and_summarize_stay_offline(guarded: dict[str, object]) -> None:
    tmp = Path(guarded["tmp"])
    corpus = str(REPO / "corpus" / "articles.jsonl")
    run(guarded, "index", "build", corpus, "--out", str(tmp / "idx"))
    # where strace is installed, this run's system calls are checked too (C libraries bypass Python)
    strace, trace = shutil.which("strace"), tmp / "strace.txt"
    prefix = (strace, "-f", "-qq", "-e", "trace=connect,sendto,sendmmsg", "-o", str(trace)) if strace else ()
    r = run(guarded, "ask", "呼和浩特科技创新发展指数排名第几？", "--index", str(tmp / "idx"), prefix=prefix)
    assert "30" in r.stdout
    run(guarded, "ask", "How many member units does the dairy centre have?", "--index", str(tmp / "idx"))
    run(guarded, "summarize", corpus, "--out", str(tmp / "s.md"), "--format", "md")
    assert (tmp / "s.md").is_file()
    assert_offline(guarded)
    if strace:
        inet = [ln for ln in trace.read_text(encoding="utf-8").splitlines()
                if re.search(r"AF_INET6?\b", ln) and not re.search(r'127\.0\.0\.|"::1"|::ffff:127', ln)]
        assert not inet, inet[:5]
