"""The Ray engine gives what the single-machine path gives, survives dying workers and resumes.

One local two-CPU Ray instance serves the whole module (``ray_local``); fakes defined here are
shipped to the workers by value.
"""

from __future__ import annotations

import builtins
import dataclasses
import functools
import json
import os
import sys
from pathlib import Path

import numpy as np
import pytest
import ray  # the dev extra installs ray[data]: these tests run in CI, never skipped

from regioqa.config import Config
from regioqa.engines import ray_engine as re_
from regioqa.errors import RegioQAError
from regioqa.types import Article

# test-local fakes must reach the workers by value (the workers cannot import this test module)
ray.cloudpickle.register_pickle_by_value(sys.modules[__name__])

# Ray Data's own deprecation notices (raised inside Ray, not by regioqa)
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:ray.*")

OPTS = re_.RayOptions(num_workers=2, batch_size=1, max_retries=2, progress=False)


@pytest.fixture(scope="module")
def ray_local():
    with re_.ray_session(re_.RayOptions(num_workers=2)) as r:
        yield r


@pytest.fixture(scope="module")
def corpus_articles(repo_dir: Path) -> list[Article]:
    from regioqa.corpus import read_articles_jsonl

    arts = read_articles_jsonl(repo_dir / "corpus" / "articles.jsonl")
    assert len(arts) >= 3
    return arts


# ------------------------------------------------------------------------------ no Ray needed
def test_missing_extra_says_how_to_install(monkeypatch):
    real_import = builtins.__import__

    def no_ray(name, *args, **kwargs):
        if name == "ray" or name.startswith("ray."):
            raise ImportError(f"No module named {name!r}")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_ray)
    with pytest.raises(RegioQAError, match=r"pip install 'regioqa\[ray\]'"):
        re_.import_ray()


def test_base_package_does_not_import_ray():
    import subprocess

    code = ("import sys, regioqa, regioqa.cli, regioqa.engines, regioqa.index, regioqa.config; "
            "print('ray' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


@pytest.mark.parametrize("field,value", [("num_workers", 0), ("batch_size", 0), ("max_retries", -1)])
def test_bad_options(field, value):
    with pytest.raises(RegioQAError, match=field.split("_")[0]):
        re_.RayOptions(**{field: value})


def test_vector_encoding_round_trips_exactly():
    v = np.random.default_rng(0).standard_normal((5, 7)).astype(np.float32)
    assert np.array_equal(re_.decode_vectors(re_.encode_vectors(v)), v)


# ------------------------------------------------------------------------------ index building
def _index_files(d: Path) -> dict[str, bytes]:
    return {p.relative_to(d).as_posix(): p.read_bytes() for p in sorted(d.rglob("*"))
            if p.is_file() and p.name != "manifest.json"}


@pytest.mark.slow
def test_index_on_ray_equals_local_build(ray_local, corpus_articles, tmp_path):
    from regioqa.index import Index, read_manifest
    from regioqa.testing import HashingEmbedder

    cfg = Config().override({"chunk.max_tokens": 120})
    make = functools.partial(HashingEmbedder, dim=64)
    local = Index.build(corpus_articles, make(), cfg, show_progress=False)
    remote = re_.build_index_ray(corpus_articles, make, cfg, OPTS)
    assert len(local.chunks) > len(corpus_articles)  # several chunks per article, spread over workers
    assert remote.chunks == local.chunks
    assert np.array_equal(remote.dense.vectors, local.dense.vectors)
    assert remote.build_stats.embedded == local.build_stats.embedded == len(local.chunks)
    for q in ("呼和浩特科技创新发展指数排名第几", "甘肃文旅"):
        assert [(h.chunk.chunk_id, h.score) for h in remote.search(q, k=5)] == \
               [(h.chunk.chunk_id, h.score) for h in local.search(q, k=5)]
    # saved through the same persistence code: identical files, loadable, same manifest content
    local.save(tmp_path / "local")
    remote.save(tmp_path / "ray")
    assert _index_files(tmp_path / "ray") == _index_files(tmp_path / "local")
    strip = lambda m: {k: v for k, v in m.items() if k != "created"}  # noqa: E731
    assert strip(read_manifest(tmp_path / "ray")) == strip(read_manifest(tmp_path / "local"))
    loaded = Index.load(tmp_path / "ray", embedder=make())
    assert loaded.chunks == local.chunks


def refusing_embedder(refuse: str):
    """A hashing embedder whose worker copy fails on any text containing ``refuse``."""
    from regioqa.testing import HashingEmbedder

    class Refusing(HashingEmbedder):
        def count_tokens(self, texts):
            if any(refuse in t for t in texts):
                raise AssertionError("an unchanged article was sent to a worker")
            return super().count_tokens(texts)

    return Refusing(dim=64)


@pytest.mark.slow
def test_incremental_index_on_ray_sends_only_new_and_changed_articles(ray_local, corpus_articles, tmp_path):
    from regioqa.index import Index
    from regioqa.testing import HashingEmbedder

    cfg = Config().override({"chunk.max_tokens": 120})
    make = functools.partial(HashingEmbedder, dim=64)
    Index.build(corpus_articles[:2], make(), cfg, show_progress=False).save(tmp_path / "idx")
    edited = dataclasses.replace(corpus_articles[0], text=corpus_articles[0].text + "\n新增一段测试文字。")
    arts = [edited, *corpus_articles[1:]]  # changed, unchanged, new
    unchanged = corpus_articles[1].text[:40]
    assert all(unchanged not in a.text for a in (edited, *corpus_articles[2:]))
    local = Index.build(arts, make(), cfg, previous=tmp_path / "idx", show_progress=False)
    remote = re_.build_index_ray(arts, functools.partial(refusing_embedder, unchanged), cfg, OPTS,
                                 previous=tmp_path / "idx")
    assert dataclasses.asdict(remote.build_stats) | {"seconds": 0} == \
           dataclasses.asdict(local.build_stats) | {"seconds": 0}
    assert (remote.build_stats.new, remote.build_stats.changed, remote.build_stats.unchanged) == (1, 1, 1)
    assert 0 < remote.build_stats.reused < len(remote.chunks)
    assert remote.chunks == local.chunks
    assert np.array_equal(remote.dense.vectors, local.dense.vectors)


# ------------------------------------------------------------------------------ summaries
class NumbersTranslator:
    """A cheap stand-in translator (the lexical one takes seconds to load in every worker): keeps
    each number, so the number check passes, and marks the rest."""

    name = "numbers-only"
    lexical = False

    def translate(self, texts: list[str]) -> list[str]:
        import re

        return [f"<{len(t)} chars> " + " ".join(re.findall(r"\d+(?:\.\d+)?", t)) for t in texts]


def make_summarizer(config: Config, victim: str | None = None, marker: str | None = None,
                    always: bool = False):
    """The single path's Summarizer with the stand-in translator; optionally its worker dies
    (``os._exit``) on ``victim``: once (``marker`` records it) or every time (``always``)."""
    from regioqa.summarize import Summarizer

    inner = Summarizer(translator=NumbersTranslator(), config=config)
    if victim is None:
        return inner

    class Dying:
        config = inner.config

        def run_batch(self, articles):
            for a in articles:
                if a.id == victim and (always or not os.path.exists(marker)):
                    Path(marker).touch()
                    os._exit(1)
            return inner.run_batch(articles)

        def run(self, article):
            return self.run_batch([article])[0]

    return Dying()


@pytest.fixture(scope="module")
def summary_inputs(corpus_articles, tmp_path_factory):
    """The corpus, articles that must become error records, a repeated id; and the local path's
    output for them (the reference)."""
    from regioqa.summarize import summarize_corpus

    cfg = Config().override({"summarize.max_article_chars": 3000, "summarize.max_sentences": 3})
    long_text = "。".join(["呼和浩特科技创新发展指数排名第30位"] * 200) + "。"
    extra = [Article(id="bad-empty", title="空", text=""),
             Article(id="bad-english", title="English", text="Only English text, no Chinese at all."),
             Article(id="bad-long", title="很长", text=long_text)]
    arts = corpus_articles[:2] + extra + corpus_articles[2:] + corpus_articles[:1]
    ref = tmp_path_factory.mktemp("local") / "summaries.jsonl"
    report = summarize_corpus(arts, ref, make_summarizer(cfg), batch_size=2, progress=False)
    assert report.errors == 3 and report.skipped == 1
    return arts, cfg, ref


def _ids(path: Path) -> list[str]:
    from regioqa.io import read_jsonl_tolerant

    return [r["id"] for r in read_jsonl_tolerant(path)]


@pytest.mark.slow
def test_summaries_on_ray_equal_local_output(ray_local, summary_inputs, tmp_path):
    arts, cfg, ref = summary_inputs
    out = tmp_path / "summaries.jsonl"
    opts = dataclasses.replace(OPTS, batch_size=2)
    report = re_.summarize_ray(arts, out, functools.partial(make_summarizer, cfg), opts, cfg)
    assert out.read_bytes() == ref.read_bytes()  # same records, same order, same bytes
    assert (report.done, report.errors, report.skipped) == (len(arts) - 1, 3, 1)
    assert set(report.error_reasons) == {"bad-empty", "bad-english", "bad-long"}
    # a rerun retries the 3 error records (they fail again) and keeps the others: each id once
    again = re_.summarize_ray(arts, out, functools.partial(make_summarizer, cfg), opts, cfg)
    assert (again.done, again.retried, again.errors, again.skipped) == (3, 3, 3, len(arts) - 3)

    def by_id(p):
        return sorted(p.read_text(encoding="utf-8").splitlines(), key=lambda x: json.loads(x)["id"])

    assert by_id(out) == by_id(ref)


@pytest.mark.slow
def test_dead_worker_is_restarted_and_its_batch_retried(ray_local, summary_inputs, tmp_path):
    arts, cfg, ref = summary_inputs
    marker = tmp_path / "died"
    out = tmp_path / "summaries.jsonl"
    factory = functools.partial(make_summarizer, cfg, arts[1].id, str(marker))
    re_.summarize_ray(arts, out, factory, OPTS, cfg)
    assert marker.exists()  # the worker really died mid-run
    assert out.read_bytes() == ref.read_bytes()


@pytest.mark.slow
def test_rerun_after_crash_resumes_without_duplicates_or_losses(ray_local, summary_inputs, tmp_path):
    arts, cfg, ref = summary_inputs
    out = tmp_path / "summaries.jsonl"
    victim = arts[4].id  # its worker dies, with no retry allowed: the run fails partway
    factory = functools.partial(make_summarizer, cfg, victim, str(tmp_path / "died"), True)
    with pytest.raises(RegioQAError, match=r"Ray run failed: .+; the \d+ records written are kept"):
        re_.summarize_ray(arts, out, factory, dataclasses.replace(OPTS, max_retries=0), cfg)
    first = _ids(out)
    assert victim not in first and len(first) == len(set(first)) < len(set(_ids(ref)))
    from regioqa.io import read_jsonl_tolerant

    failed_first = sum(1 for r in read_jsonl_tolerant(out) if r.get("error"))  # retried by the rerun
    report = re_.summarize_ray(arts, out, functools.partial(make_summarizer, cfg), OPTS, cfg)
    assert report.skipped == len(first) - failed_first + 1  # + the repeated id
    assert report.retried == failed_first
    ids = _ids(out)
    assert sorted(ids) == sorted(_ids(ref))  # each article exactly once
    by_id = {r["id"]: r for r in read_jsonl_tolerant(out)}
    assert by_id == {r["id"]: r for r in read_jsonl_tolerant(ref)}


# ------------------------------------------------------------------------------ command line
@pytest.mark.parametrize("args,message", [
    (["--engine", "spark"], "--engine must be one of local, ray"),
    (["--num-workers", "2"], "only with --engine ray"),
    (["--engine", "ray", "--num-workers", "0"], "--num-workers must be >= 1"),
])
def test_cli_engine_options_are_checked(args, message, tmp_path, repo_dir):
    from typer.testing import CliRunner

    from regioqa.cli import app

    for cmd in (["summarize"], ["index", "build"]):
        res = CliRunner().invoke(app, [*cmd, str(repo_dir / "corpus" / "articles.jsonl"),
                                       "--out", str(tmp_path / "out"), *args])
        assert isinstance(res.exception, RegioQAError), res.output
        assert message in str(res.exception)
        assert not (tmp_path / "out").exists()


@pytest.mark.slow
def test_cli_summarize_engine_ray_writes_what_local_writes(ray_local, tmp_path, repo_dir):
    from typer.testing import CliRunner

    from regioqa.cli import app

    corpus = str(repo_dir / "corpus" / "articles.jsonl")
    common = ["--similarity", "lexical", "--no-progress"]  # one batch: one worker loads the translator
    for engine in ("local", "ray"):
        res = CliRunner().invoke(app, ["summarize", corpus, "--out", str(tmp_path / f"{engine}.jsonl"),
                                       "--engine", engine, *common])
        assert res.exit_code == 0, res.output
    assert (tmp_path / "ray.jsonl").read_bytes() == (tmp_path / "local.jsonl").read_bytes()
    assert len(_ids(tmp_path / "ray.jsonl")) == 3


def test_index_input_errors_come_before_any_ray_work(corpus_articles, monkeypatch):
    from regioqa.errors import InputError
    from regioqa.testing import HashingEmbedder

    def no_ray(*a, **k):
        raise AssertionError("Ray was started for bad input")

    monkeypatch.setattr(re_, "ray_session", no_ray)

    with pytest.raises(InputError, match="duplicate article id"):
        re_.build_index_ray([corpus_articles[0], corpus_articles[0]], HashingEmbedder, options=OPTS)
    with pytest.raises(InputError, match="no articles"):
        re_.build_index_ray([], HashingEmbedder, options=OPTS)


def embedder_missing_on_workers(driver_pid: int):
    """The driver has the model, the workers' node does not (a half-prepared cluster)."""
    from regioqa.errors import ModelNotFoundError
    from regioqa.testing import HashingEmbedder

    if os.getpid() != driver_pid:
        raise ModelNotFoundError("no model for role 'embedder' on this node")
    return HashingEmbedder(dim=64)


@pytest.mark.slow
def test_worker_without_models_fails_with_the_workers_error(ray_local, corpus_articles, tmp_path):
    factory = functools.partial(embedder_missing_on_workers, os.getpid())
    with pytest.raises(RegioQAError, match=r"ModelNotFoundError: no model .* on this node; no index"):
        re_.build_index_ray(corpus_articles, factory, options=OPTS)
