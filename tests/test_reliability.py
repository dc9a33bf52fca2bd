"""Every bad input gets a clear error; reruns repair what failed; index writes are safe.

- ``test_bad_input``: a table of bad inputs through the real CLI entry point (``regioqa.cli.main``):
  each exits with status 2, prints one line (no traceback) and leaves the files as they were.
- Kill-and-rerun: ``summarize``, ``ask --questions`` and ``index build`` killed (SIGKILL) mid-run and
  while writing, then run again: every record exactly once, the previous index intact, no temporary
  folder left after the next successful run.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from regioqa.cli import main
from regioqa.index import Index
from regioqa.io import read_jsonl_tolerant
from regioqa.testing import HashingEmbedder
from regioqa.types import Article

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO / "corpus" / "articles.jsonl"


def _articles() -> list[Article]:
    return [Article.from_dict(json.loads(x)) for x in CORPUS.read_text(encoding="utf-8").splitlines()]


@pytest.fixture(scope="module")
def place(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with a small index (hashing embedder), questions, and things that are not what they
    claim to be."""
    d = tmp_path_factory.mktemp("bad-inputs")
    Index.build(_articles(), HashingEmbedder(), show_progress=False).save(d / "idx")
    (d / "q.jsonl").write_text('{"id": 1, "question": "呼和浩特排名第几？"}\n', encoding="utf-8")
    (d / "q_bad.jsonl").write_text('{"id": 1, "question": "x"}\n{oops\n', encoding="utf-8")
    (d / "q_dup.jsonl").write_text('{"id": 1, "question": "x"}\n{"id": 1, "question": "y"}\n',
                                   encoding="utf-8")
    (d / "q_noq.jsonl").write_text('{"id": 1, "text": "x"}\n', encoding="utf-8")
    (d / "q_empty.jsonl").write_text("\n", encoding="utf-8")
    (d / "a_file").write_text("not a folder\n", encoding="utf-8")
    (d / "not_index").mkdir()
    (d / "not_index" / "notes.txt").write_text("mine\n", encoding="utf-8")
    (d / "empty_dir").mkdir()
    (d / "bad.toml").write_text("[reader\nx = 1\n", encoding="utf-8")
    (d / "bad_value.toml").write_text('[reader]\nno_answer_threshold = "high"\n', encoding="utf-8")
    (d / "flat.toml").write_text("top_k = 3\n", encoding="utf-8")
    (d / "latin1.txt").write_bytes("caf\xe9".encode("latin-1"))
    (d / "answers_dir").mkdir()
    return d


I = "{d}/idx"  # noqa: E741
ASK = ["ask", "呼和浩特排名第几？", "--index", I]
BUILD = ["index", "build", str(CORPUS), "--out", "{d}/new_idx"]
SUMM = ["summarize", str(CORPUS), "--out", "{d}/s.jsonl"]
SEARCH = ["search", "呼和浩特", "--index", I, "--mode", "bm25"]


def batch(questions: str, out: str = "{d}/a.jsonl") -> list[str]:
    return ["ask", "--index", I, "--questions", "{d}/" + questions, "--out", out]


# (case, argv with {d} for the folder, text the one-line message must hold)
BAD: list[tuple[str, list[str], str]] = [
    # configuration: checked before any work
    ("threshold not a number", [*ASK, "--set", "reader.no_answer_threshold=high"],
     "reader.no_answer_threshold = 'high'"),
    ("rank penalty not a number", [*ASK, "--set", "reader.rank_penalty=lots"],
     "reader.rank_penalty = 'lots'"),
    ("threads not an integer", [*BUILD, "--set", "embed.threads=abc"], "embed.threads = 'abc'"),
    ("chunk size zero", [*BUILD, "--set", "chunk.max_tokens=0"], "greater than or equal to 1"),
    ("lead bias out of range", [*SUMM, "--set", "summarize.lead_bias=2"], "summarize.lead_bias"),
    ("unknown retrieval mode", [*SEARCH, "--set", "retrieve.mode=fast"], "'dense', 'bm25' or 'hybrid'"),
    ("unknown section", [*ASK, "--set", "nope.x=1"], "unknown config section"),
    ("unknown key", [*ASK, "--set", "chunk.size=1"], "unknown config key"),
    ("--set without =", [*ASK, "--set", "chunk.max_tokens"], "section.key=value"),
    ("config file missing", [*ASK, "--config", "{d}/none.toml"], "config file not found"),
    ("config not TOML", [*ASK, "--config", "{d}/bad.toml"], "invalid TOML"),
    ("config bad value", [*ASK, "--config", "{d}/bad_value.toml"], "reader.no_answer_threshold = 'high'"),
    ("config key outside a section", [*ASK, "--config", "{d}/flat.toml"], "must be sections"),
    # indexes
    ("index missing", ["ask", "x", "--index", "{d}/none"], "index directory not found"),
    ("index is a file", ["ask", "x", "--index", "{d}/a_file"], "is a file, not an index folder"),
    ("search: index is a file", ["search", "x", "--index", "{d}/a_file"], "is a file, not an index folder"),
    ("search: folder not an index", ["search", "x", "--index", "{d}/not_index"], "no index at"),
    ("build into a file", ["index", "build", str(CORPUS), "--out", "{d}/a_file"], "is a file"),
    ("build into a foreign folder", ["index", "build", str(CORPUS), "--out", "{d}/not_index"],
     "not a regioqa index"),
    ("build: corpus missing", ["index", "build", "{d}/no_corpus.jsonl", "--out", "{d}/new_idx"], "no_corpus"),
    ("build: unknown engine", [*BUILD, "--engine", "spark"], "--engine must be one of"),
    ("build: workers without ray", [*BUILD, "--num-workers", "2"], "only with --engine ray"),
    ("build: no corpus argument", ["index", "build", "--out", "{d}/new_idx"], "Missing argument"),
    # ask
    ("ask: no question", ["ask", "--index", I], "either a QUESTION or --questions"),
    ("ask: both", [*ASK, "--questions", "{d}/q.jsonl", "--out", "{d}/a.jsonl"], "not both"),
    ("ask: --questions without --out", ["ask", "--index", I, "--questions", "{d}/q.jsonl"], "needs --out"),
    ("ask: -k 0", [*ASK, "-k", "0"], "-k must be a positive integer"),
    ("ask: -n 0", [*ASK, "-n", "0"], "-n must be a positive integer"),
    ("ask: -k not a number", [*ASK, "-k", "abc"], "Invalid value for '-k'"),
    ("ask: unknown option", [*ASK, "--fast"], "No such option"),
    ("ask: questions missing", batch("none.jsonl"),
     "questions file not found"),
    ("ask: questions bad JSON", batch("q_bad.jsonl"),
     "line 2: invalid JSON"),
    ("ask: duplicate id", batch("q_dup.jsonl"),
     "duplicate id"),
    ("ask: no question field", batch("q_noq.jsonl"),
     "string \"question\""),
    ("ask: empty questions", batch("q_empty.jsonl"),
     "no questions"),
    ("ask: --out is a folder", batch("q.jsonl", "{d}/answers_dir"),
     "is a folder"),
    ("ask: question too long", ["ask", "长" * 300, "--index", I, "--set", "retrieve.mode=bm25"],
     "reader.max_question_chars"),
    # summarize / translate
    ("summarize: unknown format", [*SUMM, "--format", "xml"], "--format must be jsonl, md or html"),
    ("summarize: unknown similarity", [*SUMM, "--similarity", "magic"], "--similarity must be"),
    ("summarize: empty corpus folder", ["summarize", "{d}/empty_dir", "--out", "{d}/s.jsonl"], "no articles"),
    ("summarize: corpus missing", ["summarize", "{d}/none", "--out", "{d}/s.jsonl"], "none"),
    ("translate: text and file", ["translate", "你好", "--file", "{d}/latin1.txt"], "either TEXT or --file"),
    ("translate: file missing", ["translate", "--file", "{d}/none.txt"], "file not found"),
    ("translate: not UTF-8", ["translate", "--file", "{d}/latin1.txt"], "not UTF-8"),
]


def _tree(d: Path) -> dict[str, tuple[int, int]]:
    """Every file under ``d`` (lock files aside) with its size and modification time."""
    return {p.relative_to(d).as_posix(): (p.stat().st_size, p.stat().st_mtime_ns)
            for p in d.rglob("*") if not p.name.endswith((".lock", ".lock.owner"))}


def run_cli(argv: list[str], capfd: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
            ) -> tuple[int, str, str]:
    """Run ``regioqa ARGV`` in this process through the console entry point; (status, stdout, stderr)."""
    monkeypatch.setattr(sys, "argv", ["regioqa", *argv])
    code: int | str | None = 0
    try:
        main()
    except SystemExit as e:
        code = e.code
    out, err = capfd.readouterr()
    return int(code or 0), out, err


@pytest.mark.parametrize(("case", "argv", "says"), BAD, ids=[c[0] for c in BAD])
def test_bad_input(case: str, argv: list[str], says: str, place: Path, capfd: pytest.CaptureFixture[str],
                   monkeypatch: pytest.MonkeyPatch) -> None:
    before = _tree(place)
    code, out, err = run_cli([a.replace("{d}", str(place)) for a in argv], capfd, monkeypatch)
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert code == 2, (case, code, err[-1500:])
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    assert says in lines[0], lines[0]
    assert "Traceback" not in err + out
    assert _tree(place) == before, "a failed command changed files"


def test_the_table_is_big_enough() -> None:
    assert len(BAD) >= 30


def test_index_locked_by_another_process(place: Path, capfd: pytest.CaptureFixture[str],
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """A second build into the same --out stops at once and names the holder."""
    out = place / "locked_idx"
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time\nfrom regioqa.index_store import index_lock\n"
         f"with index_lock({str(out)!r}):\n    print('held', flush=True)\n    time.sleep(60)\n"],
        stdout=subprocess.PIPE, text=True, env=dict(os.environ, PYTHONPATH=str(REPO)))
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        code, _, err = run_cli([*[a.replace("{d}", str(place)) for a in BUILD[:3]], "--out", str(out)],
                               capfd, monkeypatch)
        assert code == 2 and f"process {holder.pid} on " in err and "is being written by" in err
        assert not out.exists()
    finally:
        holder.kill()
        holder.wait()


# ------------------------------------------------------------------------------------ kill and rerun
def _spawn(argv: list[str], **env: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-c", "from regioqa.cli import main; main()", *argv],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=dict(os.environ, PYTHONPATH=str(REPO), **env), cwd=REPO)


def _kill_when(p: subprocess.Popen[str], ready: Callable[[], bool], timeout: float = 300,
               strict: bool = True) -> None:
    """SIGKILL ``p`` as soon as ``ready()`` (``strict``: fails if it ends first)."""
    t0 = time.monotonic()
    while not ready():
        if p.poll() is not None:
            assert not strict, f"finished before the kill: {p.communicate()[1][-1500:]}"
            return
        assert time.monotonic() - t0 < timeout, "timed out waiting to kill"
        time.sleep(0.05)
    p.send_signal(signal.SIGKILL)
    p.wait()


def _lines(path: Path) -> int:
    return len(path.read_text(encoding="utf-8").splitlines()) if path.exists() else 0


def _many_articles(tmp: Path, n: int) -> tuple[Path, list[str]]:
    base = _articles()
    arts = [Article(f"{base[i % len(base)].id}-{i}", base[i % len(base)].title, base[i % len(base)].text)
            for i in range(n)]
    path = tmp / "many.jsonl"
    path.write_text("".join(json.dumps(a.to_dict(), ensure_ascii=False) + "\n" for a in arts),
                    encoding="utf-8")
    return path, [a.id for a in arts]


@pytest.mark.slow
def test_summarize_killed_then_rerun_writes_each_record_once(tmp_path: Path) -> None:
    corpus, ids = _many_articles(tmp_path, 80)
    out = tmp_path / "s.jsonl"
    argv = ["summarize", str(corpus), "--out", str(out), "--batch-size", "2", "--no-progress"]
    _kill_when(_spawn(argv), lambda: _lines(out) >= 4)
    done_before = _lines(out)
    assert 4 <= done_before < len(ids)
    with open(out, "a", encoding="utf-8") as f:  # as if killed in the middle of a line
        f.write('{"id": "half a rec')
    r = _spawn(argv)
    _, err = r.communicate(timeout=600)
    assert r.returncode == 0, err[-1500:]
    recs = read_jsonl_tolerant(out)
    assert sorted(x["id"] for x in recs) == sorted(ids)  # each exactly once
    assert all(x["error"] is None for x in recs)
    assert f"{len(ids) - done_before} summarised" in err


def test_summarize_rerun_retries_error_records(tmp_path: Path) -> None:
    """An article that failed (too long) is retried once the limit is raised: "1 retried", one record."""
    out = tmp_path / "s.jsonl"
    argv = ["summarize", str(CORPUS), "--out", str(out), "--no-progress"]
    r = _spawn([*argv, "--set", "summarize.max_article_chars=1000"])
    _, err = r.communicate(timeout=300)
    assert r.returncode == 0, err
    failed = [x["id"] for x in read_jsonl_tolerant(out) if x["error"]]
    assert failed and "too long" in err
    r = _spawn(argv)
    _, err = r.communicate(timeout=300)
    assert r.returncode == 0 and f"{len(failed)} summarised (0 errors, {len(failed)} retried" in err, err
    recs = read_jsonl_tolerant(out)
    assert sorted(x["id"] for x in recs) == sorted(a.id for a in _articles())
    assert all(x["error"] is None for x in recs)


@pytest.mark.slow
@pytest.mark.model
def test_ask_batch_killed_then_rerun_answers_each_once(tmp_path: Path) -> None:
    idx = tmp_path / "idx"
    r = _spawn(["index", "build", str(CORPUS), "--out", str(idx)])
    assert r.wait(timeout=600) == 0, r.communicate()[1][-1500:]
    qs = tmp_path / "q.jsonl"
    base = ["呼和浩特科技创新发展指数排名第几？", "国家乳业技术创新中心吸纳了多少家成员单位？"]
    lines = [{"id": i, "question": base[i % 2]} for i in range(16)] + [{"id": "long", "question": "长" * 300}]
    qs.write_text("".join(json.dumps(x, ensure_ascii=False) + "\n" for x in lines), encoding="utf-8")
    out = tmp_path / "a.jsonl"
    argv = ["ask", "--questions", str(qs), "--index", str(idx), "--out", str(out)]
    _kill_when(_spawn(argv), lambda: _lines(out) >= 2)
    first = _lines(out)
    assert first < len(lines)
    r = _spawn(argv)
    so, err = r.communicate(timeout=600)
    assert r.returncode == 1, err[-1500:]  # the over-long question failed
    assert f"{len(lines) - first - 1} answered, 0 declined" in so and "1 failed" in so
    recs = read_jsonl_tolerant(out)
    assert sorted(str(x["id"]) for x in recs) == sorted(str(x["id"]) for x in lines)
    assert [x["id"] for x in recs if x.get("error")] == ["long"]
    r = _spawn(argv)  # again: only the failed one is retried, and it still fails
    so, _ = r.communicate(timeout=600)
    assert r.returncode == 1 and "1 retried" in so and _lines(out) == len(lines)


KILL_IN_SAVE = """
import os, signal, sys
from regioqa.lexical import LexicalIndex
def die(self, directory):
    os.kill(os.getpid(), signal.SIGKILL)  # killed while writing the new index
LexicalIndex.save = die
from regioqa.cli import main
sys.argv = ["regioqa", *sys.argv[1:]]
main()
"""


@pytest.mark.slow
@pytest.mark.model
def test_index_build_killed_keeps_previous_index_and_cleans_up(tmp_path: Path) -> None:
    idx = tmp_path / "idx"
    build = ["index", "build", str(CORPUS), "--out", str(idx)]
    r = _spawn(build)
    assert r.wait(timeout=600) == 0, r.communicate()[1][-1500:]
    before = (idx / "manifest.json").read_text(encoding="utf-8")
    hits = Index.load(idx).search("呼和浩特", k=3, mode="bm25")
    # killed while writing (after articles, chunks and vectors are in the temporary folder)
    p = subprocess.run([sys.executable, "-c", KILL_IN_SAVE, *build, "--full"], capture_output=True, text=True,
                       env=dict(os.environ, PYTHONPATH=str(REPO)), cwd=REPO, timeout=600)
    assert p.returncode == -signal.SIGKILL
    left = list(tmp_path.glob(".idx.tmp-*"))
    assert left and (left[0] / "vectors.npy").is_file()
    assert (idx / "manifest.json").read_text(encoding="utf-8") == before  # previous index intact
    again = Index.load(idx)
    assert [h.chunk.chunk_id for h in again.search("呼和浩特", k=3, mode="bm25")] == \
        [h.chunk.chunk_id for h in hits]
    # killed at some moment of the work (loading, chunking or embedding)
    t0 = time.monotonic()
    _kill_when(_spawn([*build, "--full"]), lambda: time.monotonic() - t0 > 2, strict=False)
    # the next successful run removes what the killed ones left, and reuses the vectors
    r = _spawn(build)
    so, err = r.communicate(timeout=600)
    assert r.returncode == 0, err[-1500:]
    assert "removed 1 temporary folder" in err or not left[0].exists()
    assert not list(tmp_path.glob(".idx.tmp-*")) and not list(tmp_path.glob(".idx.old-*"))
    assert "0 embedded" in so
    np.testing.assert_array_equal(Index.load(idx).dense.vectors, again.dense.vectors)


# ------------------------------------------------------------------------------------ output hygiene
def test_output_hygiene(tmp_path: Path, capfd: pytest.CaptureFixture[str],
                        monkeypatch: pytest.MonkeyPatch) -> None:
    """Terminal control codes and HTML in titles reach neither the terminal nor the .md digest raw;
    files and folders follow the umask."""
    base = _articles()[0]
    evil = Article("evil", "\x1b[2J\x1b[31m<script>alert(1)</script>|**x**\u202e", base.text)
    corpus = tmp_path / "evil.jsonl"
    corpus.write_text(json.dumps(evil.to_dict(), ensure_ascii=False) + "\n", encoding="utf-8")
    old = os.umask(0o027)
    try:
        code, _, err = run_cli(["summarize", str(corpus), "--out", str(tmp_path / "d.md"), "--format", "md",
                                "--no-progress"], capfd, monkeypatch)
        assert code == 0, err
        Index.build([evil], HashingEmbedder(), show_progress=False).save(tmp_path / "idx")
        code, out, err = run_cli(["search", "呼和浩特", "--index", str(tmp_path / "idx"), "--mode", "bm25"],
                                 capfd, monkeypatch)
        assert code == 0, err
    finally:
        os.umask(old)
    md = (tmp_path / "d.md").read_text(encoding="utf-8")
    for raw in ("\x1b", "\u202e", "<script>", "|**x**"):
        assert raw not in md
    assert "\x1b" not in out and "\u202e" not in out  # the terminal shows codes, does not run them
    assert "&lt;script&gt;" in md and "\\x1b[31m" in out and "\\u202e" in out
    assert (tmp_path / "d.md").stat().st_mode & 0o777 == 0o640
    assert (tmp_path / "d.md.jsonl").stat().st_mode & 0o777 == 0o640
    assert (tmp_path / "idx").stat().st_mode & 0o777 == 0o750
    assert (tmp_path / "idx" / "manifest.json").stat().st_mode & 0o777 == 0o640
