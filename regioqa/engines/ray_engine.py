"""Batch summaries and index building on Ray: the same work as the single-machine path, spread over
model-holding actors.

Ray Data holds the article records; ``map_batches`` with a callable class runs them through a pool of
``num_workers`` actors, each of which builds its models once (through the same factory the
single-machine path uses) and then handles batch after batch. The driver receives the results in
corpus order and writes them exactly as the single-machine path does: summaries go through the same
:class:`regioqa.io.JsonlAppender` with the same record format (articles already in the output are
skipped, so a rerun after a crash resumes; bad articles become error records), and an index is
assembled and saved by :class:`regioqa.index.Index` itself. A worker that dies mid-run is restarted
and its batch retried (``max_restarts`` / ``max_task_retries``).

Ray is an optional extra (``pip install 'regioqa[ray]'``). With no ``address`` a local Ray instance is
started (and shut down afterwards); ``address="auto"`` (or ``"HOST:6379"``) joins a cluster.
Runs start Ray, so the example is not a doctest::

    import functools
    from regioqa.corpus import read_articles_jsonl
    from regioqa.testing import HashingEmbedder
    articles = read_articles_jsonl("corpus/articles.jsonl")
    index = build_index_ray(articles, functools.partial(HashingEmbedder, dim=64),
                            options=RayOptions(num_workers=2))
    report = summarize_ray(articles, "/tmp/summaries.jsonl", options=RayOptions(num_workers=2))
"""

from __future__ import annotations

import base64
import dataclasses
import functools
import json
import logging
import math
import os
import re
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from ..config import Config
from ..errors import InputError, RegioQAError
from ..index import Index, load_previous
from ..io import JsonlAppender
from ..offline import ENV as OFFLINE_ENV
from ..reuse import check_articles, previous_vectors, text_sha256, unchanged_chunks
from ..summarize import Summarizer, plan_batch, summarize_or_error
from ..text import Chunker
from ..types import Article, Chunk

INSTALL_HINT = "pip install 'regioqa[ray]'"

DEFAULT_BATCH_SIZE = 8

# A factory builds, inside each worker, the function that turns a batch of articles into one
# JSON-able result per article. It must be picklable (a module-level function or a functools.partial).
ProcessorFactory = Callable[[], Callable[[list[Article]], list[dict[str, Any]]]]


def import_ray() -> Any:
    """Import Ray (with Ray Data), or raise a :class:`RegioQAError` that says how to install it."""
    try:
        import ray
        import ray.data  # noqa: F401
    except ImportError as e:
        raise RegioQAError(f"the Ray engine needs the optional extra, which is not installed ({e}); "
                           f"install it with: {INSTALL_HINT}") from e
    return ray


class RayRunError(RegioQAError):
    """A Ray run that failed (a batch kept failing or killing its worker, the cluster went away)."""


@dataclass
class RayOptions:
    """How to run on Ray.

    ``address``: None starts a local instance with ``max(2, num_workers)`` CPUs; otherwise a cluster
    address (``"auto"``, ``"ray://host:10001"``). ``num_workers``: actors, each holding its own models
    and one CPU. ``batch_size``: articles per batch (and per Ray Data block, the unit of retry).
    ``max_retries``: restarts of a dead actor and retries of its batch before the run fails.
    ``batch_size=None`` takes the stage's own setting (``summarize.batch_size``; 8 for indexing).
    """

    address: str | None = None
    num_workers: int = 2
    batch_size: int | None = None
    max_retries: int = 3
    progress: bool = True

    def __post_init__(self) -> None:
        if self.num_workers < 1:
            raise InputError(f"--num-workers must be >= 1, got {self.num_workers}")
        if self.batch_size is not None and self.batch_size < 1:
            raise InputError(f"batch size must be >= 1, got {self.batch_size}")
        if self.max_retries < 0:
            raise InputError(f"max_retries must be >= 0, got {self.max_retries}")


@contextmanager
def ray_session(options: RayOptions | None = None) -> Iterator[Any]:
    """Yield the ``ray`` module, connected. Reuses a connection that is already up; otherwise connects
    (or starts a local instance) and shuts down on exit only what it started."""
    options = options or RayOptions()
    ray = import_ray()
    started = False
    # workers run offline too (no usage statistics, no hub): see regioqa/offline.py
    runtime_env = {"env_vars": dict(OFFLINE_ENV)}
    if not ray.is_initialized():
        if options.address:
            try:
                ray.init(address=options.address, log_to_driver=False, logging_level=logging.WARNING,
                         runtime_env=runtime_env)
            except (ConnectionError, RuntimeError, ValueError) as e:
                hint = ("" if os.environ.get("RAY_AUTH_MODE") else
                        " (a cluster with token authentication needs RAY_AUTH_MODE=token and its token)")
                raise RegioQAError(f"cannot connect to the Ray cluster at {options.address!r}: {e}{hint}"
                                   ) from e
        else:
            # "local": a new instance even where another cluster runs (or left its address file behind);
            # workers get the driver's sys.path from Ray, so a source checkout works as an install does
            ray.init(address="local", num_cpus=max(2, options.num_workers), include_dashboard=False,
                     log_to_driver=False, logging_level=logging.WARNING, runtime_env=runtime_env)
        started = True
    try:
        yield ray
    finally:
        if started:
            ray.shutdown()


class _ArticleWorker:
    """The Ray Data callable class: builds its processor (loads its models) once per actor."""

    def __init__(self, factory: ProcessorFactory) -> None:
        self._process = factory()

    def __call__(self, batch: dict[str, Any]) -> dict[str, list[str]]:
        articles = [Article.from_dict(json.loads(s)) for s in batch["article"]]
        results = self._process(articles)
        if len(results) != len(articles):
            raise RuntimeError(f"processor returned {len(results)} results for {len(articles)} articles")
        return {"id": [str(i) for i in batch["id"]],
                "result": [json.dumps(r, ensure_ascii=False) for r in results]}


def map_articles(articles: Sequence[Article], factory: ProcessorFactory,
                 options: RayOptions | None = None) -> Iterator[tuple[str, dict[str, Any]]]:
    """Run ``factory()``'s processor over ``articles`` on Ray; yield ``(article_id, result)`` in input
    order as results arrive. Must run inside :func:`ray_session`."""
    options = options or RayOptions()
    if options.batch_size is None:
        options = dataclasses.replace(options, batch_size=DEFAULT_BATCH_SIZE)
    if not articles:
        return
    import ray
    import ray.data

    items = [{"id": a.id, "article": json.dumps(a.to_dict(), ensure_ascii=False)} for a in articles]
    ctx = ray.data.DataContext.get_current()
    saved = (ctx.execution_options.preserve_order, ctx.enable_progress_bars, ctx.print_on_execution_start)
    ctx.execution_options.preserve_order = True  # records come back in corpus order, like the local path
    ctx.enable_progress_bars = False  # the driver shows its own tqdm bar
    ctx.print_on_execution_start = False
    try:
        n_blocks = math.ceil(len(items) / options.batch_size)
        ds = ray.data.from_items(items, override_num_blocks=n_blocks)
        ds = _map_with_retries(ds, factory, options, min(options.num_workers, n_blocks))
        for row in ds.iter_rows():
            yield str(row["id"]), json.loads(row["result"])
    except ray.exceptions.RayError as e:
        raise RayRunError(f"the Ray run failed: {_cause_line(e)}") from e
    finally:
        ctx.execution_options.preserve_order, ctx.enable_progress_bars, ctx.print_on_execution_start = saved


def _map_with_retries(ds: Any, factory: ProcessorFactory, options: RayOptions, workers: int) -> Any:
    """``map_batches`` over an actor pool whose dead actors are restarted and their batches retried,
    at most ``options.max_retries`` times (Ray Data's own default retries forever)."""
    import ray.data

    kwargs: dict[str, Any] = dict(fn_constructor_args=(factory,), batch_size=options.batch_size,
                                  batch_format="numpy", num_cpus=1,
                                  compute=ray.data.ActorPoolStrategy(size=workers))
    retries = {"max_restarts": options.max_retries, "max_task_retries": options.max_retries}
    with warnings.catch_warnings():
        # Ray >= 2.60 flags extra remote args as deprecated, yet documents them as the way to bound
        # actor restarts; where they are gone, Ray Data's unbounded restarts apply.
        warnings.simplefilter("ignore", DeprecationWarning)
        try:
            return ds.map_batches(_ArticleWorker, **kwargs, **retries)
        except TypeError:
            return ds.map_batches(_ArticleWorker, **kwargs)


_EXC_LINE = re.compile(r"^([A-Za-z_][\w.]*(?:Error|Exception|Exit|Interrupt)): \S")
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _explained(results: Iterator[tuple[str, dict[str, Any]]], what_now: Callable[[], str]
               ) -> Iterator[tuple[str, dict[str, Any]]]:
    """Pass ``results`` through; a failed run's error also says what state it left."""
    try:
        yield from results
    except RayRunError as e:
        raise RayRunError(f"{e}; {what_now()}") from e.__cause__


def _cause_line(e: BaseException) -> str:
    """The line of a Ray error that says what went wrong: the worker's own exception when there is
    one (``AssertionError: ...``), else Ray's last line; without Ray's traceback."""
    lines = [_ANSI.sub("", ln).strip() for ln in str(e).splitlines()]
    lines = [ln for ln in lines if ln]
    causes = [ln for ln in lines if (m := _EXC_LINE.match(ln)) and not m.group(1).startswith("ray.")]
    line = causes[-1] if causes else (lines[-1] if lines else type(e).__name__)
    return line if len(line) <= 240 else line[:240] + "…"


def encode_vectors(v: np.ndarray) -> dict[str, Any]:
    """float32 array -> JSON-able dict (exact round trip through :func:`decode_vectors`)."""
    v = np.ascontiguousarray(v, dtype=np.float32)
    return {"shape": list(v.shape), "b64": base64.b64encode(v.tobytes()).decode("ascii")}


def decode_vectors(d: dict[str, Any]) -> np.ndarray:
    return np.frombuffer(base64.b64decode(d["b64"]), dtype=np.float32).reshape(d["shape"]).copy()


# -- summaries -------------------------------------------------------------------------------------
def _summary_processor(make_summarizer: Callable[[], Any]) -> Callable[[list[Article]], list[dict[str, Any]]]:
    """Worker side of :func:`summarize_ray`: one summarizer per actor, records as the local path
    makes them (a failing batch is redone article by article, so a bad article only costs itself)."""
    summarizer = make_summarizer()

    def run(articles: list[Article]) -> list[dict[str, Any]]:
        try:
            summaries = summarizer.run_batch(articles)
        except Exception:
            summaries = [summarize_or_error(summarizer, a) for a in articles]
        return [s.to_dict() for s in summaries]

    return run


def summarize_ray(articles: Sequence[Article], out: str | Path,
                  make_summarizer: Callable[[], Any] | None = None, options: RayOptions | None = None,
                  config: Any = None) -> Any:
    """Summarise ``articles`` into the JSONL file ``out`` on Ray; returns the local path's
    :class:`regioqa.summarize.BatchReport`.

    Records, file and resumability are those of :func:`regioqa.summarize.summarize_corpus`
    (:func:`regioqa.summarize.plan_batch`): ids already in ``out`` (or repeated in the input) are
    skipped, earlier error records retried, every record is one atomic line written
    by the driver through :class:`regioqa.io.JsonlAppender` in corpus order, and bad articles become
    error records. ``make_summarizer`` is a picklable factory called once per actor; the default
    builds ``Summarizer(config=config)`` (the offline defaults).
    """
    t0 = time.perf_counter()
    config = config or Config()
    options = options or RayOptions()
    if options.batch_size is None:
        options = dataclasses.replace(options, batch_size=config.summarize.batch_size)
    make_summarizer = make_summarizer or functools.partial(Summarizer, None, None, config)
    out = Path(out)
    import_ray()  # a missing extra fails here, before plan_batch rewrites OUT's error records
    todo, report = plan_batch(articles, out)
    if todo:
        factory = functools.partial(_summary_processor, make_summarizer)
        with ray_session(options), JsonlAppender(out) as app, \
                tqdm(total=len(todo), desc="summarize (ray)", unit="article",
                     disable=not options.progress) as bar:
            records = map_articles(todo, factory, options)
            for article_id, record in _explained(records, lambda: f"the {report.done} records written "
                                                 f"are kept in {out}; run again to resume"):
                app.write(record)
                report.done += 1
                if record.get("error"):
                    report.errors += 1
                    report.error_reasons[article_id] = record["error"]
                bar.update()
    report.seconds = time.perf_counter() - t0
    return report


# -- index building ----------------------------------------------------------------------------------
def _index_processor(make_embedder: Callable[[], Any], chunk_config: Any, reusable: frozenset[str]
                     ) -> Callable[[list[Article]], list[dict[str, Any]]]:
    """Worker side of :func:`build_index_ray`: chunk each article exactly as ``Index.build`` does
    and embed, in one call per batch, the chunks whose vectors the previous index cannot lend."""
    embedder = make_embedder()
    chunker = Chunker(chunk_config, count_tokens=embedder.count_tokens)

    def run(articles: list[Article]) -> list[dict[str, Any]]:
        per_article = [chunker.run(a) for a in articles]
        todo = [[c.text for c in chunks if text_sha256(c.text) not in reusable] for chunks in per_article]
        texts = [t for ts in todo for t in ts]
        vectors = np.asarray(embedder.embed_passages(texts), np.float32) if texts else None
        out, i = [], 0
        for chunks, ts in zip(per_article, todo, strict=True):
            v = vectors[i:i + len(ts)] if vectors is not None else np.zeros((0, 0), np.float32)
            out.append({"chunks": [dataclasses.asdict(c) for c in chunks], "texts": ts,
                        "vectors": encode_vectors(v)})
            i += len(ts)
        return out

    return run


class _Precomputed:
    """Chunks and vectors computed by the Ray workers, handed to ``Index.build`` as its chunker and
    embedder, so the driver assembles (and later saves) the index with the single-machine code.
    Anything the workers did not compute (queries, a text no worker embedded) goes to the wrapped
    local embedder, which loads lazily; ``misses`` counts such texts."""

    def __init__(self, embedder: Any) -> None:
        self._embedder = embedder
        self._chunks: dict[str, list[Chunk]] = {}
        self._vectors: dict[str, np.ndarray] = {}
        self.misses = 0

    def add(self, article_id: str, result: dict[str, Any]) -> None:
        self.set_chunks(article_id, [Chunk(**c) for c in result["chunks"]])
        if result["texts"]:
            self._vectors.update(zip(result["texts"], decode_vectors(result["vectors"]), strict=True))

    def set_chunks(self, article_id: str, chunks: list[Chunk]) -> None:
        self._chunks[article_id] = chunks

    def has_chunks(self, article_id: str) -> bool:
        return article_id in self._chunks

    # ChunkerLike
    def run(self, article: Article) -> list[Chunk]:
        return self._chunks[article.id]

    # EmbedderLike
    def __getattr__(self, name: str) -> Any:  # fingerprint, dim, embed_queries, count_tokens ...
        if name.startswith("__"):
            raise AttributeError(name)
        return getattr(self._embedder, name)

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        missing = list(dict.fromkeys(t for t in texts if t not in self._vectors))
        if missing:
            self.misses += len(missing)
            self._vectors.update(zip(missing, self._embedder.embed_passages(missing), strict=True))
        if not texts:
            return np.zeros((0, self._embedder.dim), dtype=np.float32)
        return np.stack([self._vectors[t] for t in texts]).astype(np.float32, copy=False)


def build_index_ray(articles: Sequence[Article], make_embedder: Callable[[], Any], config: Any = None,
                    options: RayOptions | None = None, *, previous: Any = None) -> Any:
    """Build a :class:`regioqa.index.Index` with chunking and embedding done by Ray actors.

    ``make_embedder`` is a picklable factory for the embedder the single-machine path uses
    (``functools.partial(Embedder, cfg.embed.model, cfg.embed)``); each actor calls it once.
    ``previous`` (an index or its directory) lends, as in ``Index.build``, the vectors of unchanged
    chunks; articles it holds unchanged keep their chunks and are not sent to the workers at all.
    The driver then runs ``Index.build`` itself over the workers' chunks and vectors, so the result
    (chunks, vectors, manifest, ``build_stats``) and its ``save`` are those of the local engine.
    """
    t0 = time.perf_counter()
    config = config or Config()
    options = options or RayOptions()
    articles = list(check_articles(articles).values())  # bad input fails before any Ray work
    pre = _Precomputed(make_embedder())
    previous = load_previous(previous)  # loaded once, lent to Index.build below
    reusable, _, _ = previous_vectors(previous, pre.fingerprint)
    for article_id, chunks in unchanged_chunks(previous, articles, config, pre.fingerprint).items():
        pre.set_chunks(article_id, chunks)
    todo = [a for a in articles if not pre.has_chunks(a.id)]
    if todo:
        factory = functools.partial(_index_processor, make_embedder, config.chunk, frozenset(reusable))
        with ray_session(options), tqdm(total=len(todo), desc="chunk+embed (ray)", unit="article",
                                        disable=not options.progress) as bar:
            results = map_articles(todo, factory, options)
            for article_id, result in _explained(results, lambda: "no index was written"):
                pre.add(article_id, result)
                bar.update()
    index = Index.build(articles, pre, config, previous=previous, chunker=pre, show_progress=False)
    if index.build_stats is not None:
        index.build_stats.seconds = time.perf_counter() - t0
    return index
