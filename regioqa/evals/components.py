"""What the gold evaluation runs against: the corpus articles, an index, a QA function, a translator and a
summarizer, each loaded lazily from the project's real components unless injected (tests use fakes).
A missing component raises :class:`NotAvailable` (or ImportError / ModelNotFoundError), which makes its
part "not available" rather than a crash (see :mod:`regioqa.evals.runner`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..config import Config
from ..embed import Embedder
from ..errors import IndexError_, ModelNotFoundError, RegioQAError
from ..index import Index
from ..paths import GOLD_DIR, models_dir
from ..pipeline import RegioQA
from ..reader import Reader
from ..summarize import Summarizer
from ..translate import load_translator
from ..types import Answer, Article
from .gold import ARTICLES as GOLD_ARTICLES
from .gold import load_articles

log = logging.getLogger(__name__)


class NotAvailable(Exception):
    """A component the part needs is missing (not an error of the part itself)."""


NA_ERRORS: tuple[type[BaseException], ...] = (ImportError, ModelNotFoundError, NotAvailable)

QAFn = Callable[[str], list[Answer]]


@dataclass
class Components:
    """What the evaluation runs against. Leave a field ``None`` to load the real component lazily.

    ``qa`` is ``question -> answers`` (best first; an abstention is ``Answer.is_no_answer`` or an
    empty list). ``index`` needs ``search(query, k, mode)`` and ``chunks``; ``translator`` needs
    ``translate(texts)``; ``summarizer`` needs ``run(article) -> Summary``.
    """

    articles: dict[str, Article] | None = None
    index: Any = None
    qa: QAFn | None = None
    translator: Any = None
    summarizer: Any = None
    index_dir: Path | None = None
    cache_index: bool = False  # keep the built gold index in models_dir()/"gold-index" for the next run
    gold_dir: Path | None = None  # the gold set whose articles (articles.jsonl beside it) are indexed

    # ------------------------------------------------------------------ lazy loaders
    def get_articles(self) -> dict[str, Article]:
        if self.articles is None:
            path = Path(self.gold_dir or GOLD_DIR) / GOLD_ARTICLES
            if not path.exists():
                raise NotAvailable(f"{path} not found (the articles the gold set was built against)")
            self.articles = load_articles(path.parent)
        return self.articles

    def get_index(self, cfg: Config) -> Any:
        if self.index is None:
            if self.index_dir is not None:
                self.index = Index.load(self.index_dir, config=cfg)
            else:
                embedder = Embedder(config=cfg.embed)
                cache = models_dir() / "gold-index" if self.cache_index else None
                previous = cache if cache is not None and cache.exists() else None
                try:
                    self.index = Index.build(
                        list(self.get_articles().values()),
                        embedder,
                        cfg,
                        previous=previous,
                        show_progress=False,
                    )
                except IndexError_:  # an unusable cached index: build from scratch
                    self.index = Index.build(
                        list(self.get_articles().values()), embedder, cfg, show_progress=False
                    )
                if cache is not None:
                    try:
                        self.index.save(cache)
                    except (OSError, RegioQAError) as e:
                        log.warning("could not cache the gold index in %s: %s", cache, e)
        return self.index

    def get_qa(self, cfg: Config) -> QAFn:
        if self.qa is None:
            index = self.get_index(cfg)
            k = cfg.retrieve.top_k
            reader = Reader(config=cfg.reader).warm_up()
            rqa = RegioQA(index, reader=reader, config=cfg)
            self.qa = lambda q: rqa.ask(q, k=k, translate=False)  # spans are scored in Chinese
        return self.qa

    def get_translator(self, cfg: Config) -> Any:
        if self.translator is None:
            self.translator = load_translator(cfg.translate)
        return self.translator

    def get_summarizer(self, cfg: Config) -> Any:
        if self.summarizer is None:
            embedder = None
            try:
                embedder = getattr(self.get_index(cfg), "embedder", None)
            except NA_ERRORS + (RegioQAError,):
                embedder = None
            self.summarizer = Summarizer(embedder=embedder, translator=self.get_translator(cfg), config=cfg)
        return self.summarizer
