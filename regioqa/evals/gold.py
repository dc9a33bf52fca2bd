"""Load the gold evaluation set and derive retrieval labels from its offsets.

The files live in ``regioqa/data/gold/`` (package data, with the corpus they index into) and are built by
``evals/gold/build.py`` from hand-written sources (see ``evals/gold/datasheet.md``).
Every answerable QA item carries ``article_id`` and ``start``/``end`` into that article's body;
chunk labels are computed here at eval time, so any chunking configuration can be scored.

>>> from regioqa.evals.gold import load_gold
>>> gold = load_gold()
>>> len(gold.qa) >= 64, {q.lang for q in gold.qa} == {"zh", "en"}
(True, True)
>>> item = next(q for q in gold.qa if q.answerable)
>>> item.answers[0] == item.answer
True
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..corpus import read_articles_jsonl
from ..errors import InputError
from ..paths import GOLD_DIR
from ..types import Article, Chunk

__all__ = [
    "QAItem",
    "TranslationItem",
    "SummaryItem",
    "Gold",
    "load_gold",
    "load_articles",
    "load_qa",
    "load_translations",
    "load_summaries",
    "answer_chunks",
    "verify",
    "as_dataset",
    "PARTS",
]

PARTS = {"qa": "qa.jsonl", "translations": "translations.jsonl", "summaries": "summaries.jsonl"}
ARTICLES = "articles.jsonl"  # the corpus the gold offsets index into, shipped with the set


@dataclass(frozen=True, slots=True)
class QAItem:
    """A gold question. Unanswerable items have ``answerable=False``, ``answers == []``, no offsets."""

    id: str
    lang: str
    type: str
    question: str
    article_id: str
    answerable: bool
    answer: str
    start: int | None
    end: int | None
    answers: list[str] = field(default_factory=list)
    paragraphs: list[int] = field(default_factory=list)
    context: str | None = None


@dataclass(frozen=True, slots=True)
class TranslationItem:
    """A corpus sentence (``zh == article.text[start:end]``) and its reference English translation."""

    id: str
    article_id: str
    start: int
    end: int
    zh: str
    en: str


@dataclass(frozen=True, slots=True)
class SummaryItem:
    """An English reference summary of one article and the facts a good summary carries.

    Each fact is ``{"fact": str, "keys": [[alternative, ...], ...]}``: covered when every key group
    has one alternative in the summary (see :func:`regioqa.evals.metrics.fact_covered`).
    """

    id: str
    article_id: str
    title: str
    summary: str
    facts: list[dict[str, Any]]


@dataclass(slots=True)
class Gold:
    qa: list[QAItem]
    translations: list[TranslationItem]
    summaries: list[SummaryItem]
    manifest: dict[str, Any]
    directory: Path


def _read(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        raise InputError(f"gold file {path} not found; run `python evals/gold/build.py`")
    rows = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.strip():
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as e:
                raise InputError(f"{path}:{n}: invalid JSON ({e.msg})") from e
    return rows


def _make(cls: type, path: Path, rows: list[dict[str, Any]]) -> list[Any]:
    names = set(cls.__dataclass_fields__)
    out = []
    for n, r in enumerate(rows, 1):
        try:
            out.append(cls(**{k: v for k, v in r.items() if k in names}))
        except TypeError as e:
            raise InputError(f"{path}: record {n} ({r.get('id')}): {e}") from e
    return out


def load_qa(gold_dir: str | Path | None = None) -> list[QAItem]:
    d = Path(gold_dir or GOLD_DIR)
    return _make(QAItem, d / PARTS["qa"], _read(d / PARTS["qa"]))


def load_translations(gold_dir: str | Path | None = None) -> list[TranslationItem]:
    d = Path(gold_dir or GOLD_DIR)
    return _make(TranslationItem, d / PARTS["translations"], _read(d / PARTS["translations"]))


def load_summaries(gold_dir: str | Path | None = None) -> list[SummaryItem]:
    d = Path(gold_dir or GOLD_DIR)
    return _make(SummaryItem, d / PARTS["summaries"], _read(d / PARTS["summaries"]))


def load_gold(gold_dir: str | Path | None = None) -> Gold:
    """Load all parts of the gold set (default :data:`regioqa.paths.GOLD_DIR`, ``regioqa/data/gold``)."""
    d = Path(gold_dir or GOLD_DIR)
    man = d / "manifest.json"
    manifest = json.loads(man.read_text(encoding="utf-8")) if man.exists() else {}
    return Gold(load_qa(d), load_translations(d), load_summaries(d), manifest, d)


def load_articles(gold_dir: str | Path | None = None) -> dict[str, Article]:
    """The articles the gold set was built against (``articles.jsonl`` beside it), by id.

    >>> sorted(load_articles())[0]
    '000_925fbcf3af44d05b-a1'
    """
    return {a.id: a for a in read_articles_jsonl(Path(gold_dir or GOLD_DIR) / ARTICLES)}


def verify(gold: Gold, articles: dict[str, Article] | Iterable[Article]) -> list[str]:
    """Problems between the gold offsets and ``articles`` (empty list when every span matches).

    Run ``python evals/gold/build.py`` again when the corpus body text has changed.
    """
    arts = articles if isinstance(articles, dict) else {a.id: a for a in articles}
    problems = []
    for q in gold.qa:
        if not q.answerable:
            continue
        a = arts.get(q.article_id)
        if a is None:
            problems.append(f"{q.id}: article {q.article_id} not in the corpus")
        elif a.text[q.start : q.end] != q.answer:
            problems.append(
                f"{q.id}: text[{q.start}:{q.end}] is {a.text[q.start : q.end]!r}, not {q.answer!r}"
            )
    for t in gold.translations:
        a = arts.get(t.article_id)
        if a is None or a.text[t.start : t.end] != t.zh:
            problems.append(f"{t.id}: sentence not found at [{t.start}:{t.end}] of {t.article_id}")
    return problems


def answer_chunks(item: QAItem, chunks: Sequence[Chunk]) -> set[str]:
    """Chunk ids that hold the item's answer span: chunks containing it whole, else any that overlap it.

    >>> from regioqa.types import Chunk
    >>> q = QAItem("q", "zh", "name", "?", "a", True, "乙", 5, 6, ["乙"])
    >>> cs = [Chunk("a", "a#0", 0, 0, 6, "甲甲甲甲甲乙"), Chunk("a", "a#1", 1, 4, 9, "甲乙丙丙丙")]
    >>> sorted(answer_chunks(q, cs))
    ['a#0', 'a#1']
    """
    if not item.answerable or item.start is None or item.end is None:
        return set()
    mine = [c for c in chunks if c.article_id == item.article_id]
    whole = {c.chunk_id for c in mine if c.start <= item.start and item.end <= c.end}
    if whole:
        return whole
    return {c.chunk_id for c in mine if c.start < item.end and item.start < c.end}


def as_dataset(part: str = "qa", gold_dir: str | Path | None = None) -> Any:
    """The part (``qa``, ``translations`` or ``summaries``) as a ``datasets.Dataset``.

    >>> as_dataset("translations").column_names[:3]
    ['id', 'article_id', 'start']
    """
    if part not in PARTS:
        raise InputError(f"unknown gold part {part!r}; choose from {sorted(PARTS)}")
    import datasets

    path = Path(gold_dir or GOLD_DIR) / PARTS[part]
    if not path.exists():
        raise InputError(f"gold file {path} not found; run `python evals/gold/build.py`")
    return datasets.load_dataset("json", data_files=str(path), split="train")
