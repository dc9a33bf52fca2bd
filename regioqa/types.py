"""The small typed objects that flow through regioqa.

Data flows one way: ``Article -> Chunk -> Hit -> Answer`` and ``Article -> Summary``.
Every object carries its article id and character offsets into ``Article.text`` (the body),
so ``article.text[x.start:x.end] == x.text`` holds for chunks, sentences and answers.

>>> a = Article(id="a1", title="标题", text="第一句。第二句。")
>>> s = Span(0, 4)
>>> a.text[s.start:s.end]
'第一句。'

Objects that cross the API or land in files (``Article``, ``Hit``, ``Answer``, ``Summary`` and their
parts) have ``to_dict()`` / ``from_dict()``; ``X.from_dict(x.to_dict()) == x``. The component
protocols (:class:`EmbedderLike`, :class:`ChunkerLike`, :class:`Translator`, :class:`Component`)
live here too, so modules can depend on an interface rather than on each other.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    import numpy as np


def _known(cls: type, d: dict[str, Any]) -> dict[str, Any]:
    """The items of ``d`` that are fields of dataclass ``cls`` (extra keys, e.g. derived ones, dropped)."""
    names = {f.name for f in fields(cls)}
    return {k: v for k, v in d.items() if k in names}


class _Record:
    """``to_dict``/``from_dict`` for a flat dataclass (fields only; unknown keys are ignored on reading)."""

    __slots__ = ()

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)  # type: ignore[call-overload]

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Any:
        return cls(**_known(cls, d))


@dataclass(frozen=True, slots=True)
class Span:
    """A half-open character range ``[start, end)`` into an article's body text."""

    start: int
    end: int

    def __post_init__(self) -> None:
        if not (0 <= self.start <= self.end):
            raise ValueError(f"bad span [{self.start}, {self.end})")

    def __len__(self) -> int:
        return self.end - self.start


@dataclass(frozen=True, slots=True)
class Section:
    """A section heading inside an article; ``start`` is the body offset where its text begins."""

    heading: str
    start: int


@dataclass(slots=True)
class Article:
    """One news article. ``text`` is the body; offsets everywhere index into it."""

    id: str
    title: str
    text: str
    byline: list[str] = field(default_factory=list)
    sections: list[Section] = field(default_factory=list)
    paragraphs: list[Span] = field(default_factory=list)
    captions: list[str] = field(default_factory=list)
    date: str | None = None
    source: str | None = None
    url: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Article:
        d = dict(d)
        d["sections"] = [Section(**s) for s in d.get("sections") or []]
        d["paragraphs"] = [Span(**p) for p in d.get("paragraphs") or []]
        known = {f for f in cls.__dataclass_fields__}
        extra = {k: d.pop(k) for k in list(d) if k not in known}
        if extra:
            d.setdefault("meta", {}).update(extra)
        return cls(**d)


@dataclass(frozen=True, slots=True)
class Sentence(_Record):
    """A sentence of an article body."""

    article_id: str
    start: int
    end: int
    text: str



@dataclass(frozen=True, slots=True)
class Chunk(_Record):
    """A retrieval unit: whole sentences packed under a token budget.

    ``chunk_id`` is ``f"{article_id}#{index}"``.
    """

    article_id: str
    chunk_id: str
    index: int
    start: int
    end: int
    text: str



@dataclass(frozen=True, slots=True)
class Hit(_Record):
    """A retrieved chunk with its score and the retriever that found it.

    ``retriever`` is ``"dense"``, ``"bm25"`` or ``"hybrid"``; ``scores`` keeps each
    retriever's own score (or rank) for inspection.
    """

    chunk: Chunk
    score: float
    retriever: str
    rank: int
    article_title: str = ""
    scores: dict[str, float] = field(default_factory=dict)

    @property
    def article_id(self) -> str:
        return self.chunk.article_id

    @property
    def start(self) -> int:
        return self.chunk.start

    @property
    def end(self) -> int:
        return self.chunk.end

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Hit:
        """Read :meth:`to_dict`'s record (all fields, ``chunk`` as a dict)."""
        d = _known(cls, d)
        d["chunk"] = Chunk.from_dict(d["chunk"])
        d["scores"] = dict(d.get("scores") or {})
        return cls(**d)


NO_TRANSLATOR = "[no translator]"
"""Marker used in English fields when no translator is configured; never invented text."""


@dataclass(slots=True)
class Answer(_Record):
    """An extracted answer span. ``article.text[start:end] == text``.

    An abstention ("the articles do not answer this") is :meth:`Answer.abstain`:
    ``is_no_answer`` is true and ``text`` is empty.
    """

    text: str
    score: float
    article_id: str
    article_title: str
    start: int
    end: int
    sentence: Sentence | None = None
    chunk_id: str | None = None
    text_en: str | None = None
    sentence_en: str | None = None
    is_no_answer: bool = False
    no_answer_score: float | None = None
    best_guess: str | None = None  # an abstention's best span (scored ``score``), not an answer
    unmet: list[str] | None = None  # an abstention's question terms its passage/article does not state

    @classmethod
    def abstain(cls, score: float, no_answer_score: float | None = None, best_guess: str | None = None,
                unmet: list[str] | None = None) -> Answer:
        return cls(text="", score=score, article_id="", article_title="", start=0, end=0,
                   is_no_answer=True, no_answer_score=no_answer_score, best_guess=best_guess, unmet=unmet)

    @property
    def margin(self) -> float:
        """How far the span's score clears the no-answer score (the span score when there is none);
        the reader abstains when this falls below ``reader.no_answer_threshold``."""
        return self.score - (self.no_answer_score if self.no_answer_score is not None else 0.0)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Answer:
        """Read :meth:`to_dict`'s record: all fields, ``sentence`` a dict or None (the CLI's JSON answer)."""
        d = _known(cls, d)
        if d.get("sentence") is not None:
            d["sentence"] = Sentence.from_dict(d["sentence"])
        return cls(**d)


@dataclass(frozen=True, slots=True)
class SummarySentence(_Record):
    """One English summary sentence aligned with its Chinese source sentence."""

    zh: str
    en: str
    start: int
    end: int
    numbers_ok: bool = True


@dataclass(slots=True)
class Summary:
    """An English summary of one article (or a digest, with ``article_id == "*"``)."""

    article_id: str
    title: str
    title_en: str
    sentences: list[SummarySentence]
    method: str
    error: str | None = None

    @property
    def text_en(self) -> str:
        return " ".join(s.en for s in self.sentences)

    def to_dict(self) -> dict[str, Any]:
        """The summaries JSONL record: ``id, title, title_en, summary_en, method, numbers_ok, sentences,
        error`` (only ``id, title, error`` when ``error`` is set).

        >>> s = Summary("a1", "标题", "Title", [SummarySentence("第一句。", "First.", 0, 4)], "extractive")
        >>> d = s.to_dict()
        >>> d["summary_en"], d["numbers_ok"], Summary.from_dict(d) == s
        ('First.', True, True)
        """
        if self.error is not None:
            return {"id": self.article_id, "title": self.title, "error": self.error}
        return {
            "id": self.article_id, "title": self.title, "title_en": self.title_en, "summary_en": self.text_en,
            "method": self.method, "numbers_ok": all(x.numbers_ok for x in self.sentences),
            "sentences": [x.to_dict() for x in self.sentences],
            "error": None,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Summary:
        """Read a record written by :meth:`to_dict` (an error record gives ``method == "error"``)."""
        sents = [SummarySentence.from_dict(x) for x in d.get("sentences") or []]
        return cls(d["id"], d.get("title", ""), d.get("title_en", ""), sents, d.get("method", "error"),
                   error=d.get("error"))


# --------------------------------------------------------------------------------------------------
# Component protocols: what the index, pipeline and summarizer need from their parts
# --------------------------------------------------------------------------------------------------


@runtime_checkable
class Component(Protocol):
    """A component: configuration in ``__init__``, heavy models loaded by ``warm_up()`` (or on first use).

    ``warm_up()`` is idempotent and returns the component, so ``Reader().warm_up().run(...)`` works.
    """

    def warm_up(self) -> Any: ...


class EmbedderLike(Protocol):
    """What an index needs from an embedder (:class:`regioqa.embed.Embedder`,
    :class:`regioqa.testing.HashingEmbedder`)."""

    fingerprint: str
    dim: int

    def embed_queries(self, texts: list[str]) -> np.ndarray: ...
    def embed_passages(self, texts: list[str]) -> np.ndarray: ...
    def count_tokens(self, texts: list[str]) -> list[int]: ...


class ChunkerLike(Protocol):
    """Splits an article into retrieval chunks (:class:`regioqa.text.Chunker`)."""

    def run(self, article: Article) -> list[Chunk]: ...


@runtime_checkable
class Translator(Protocol):
    """Anything that turns Chinese texts into English texts, one output per input."""

    name: str
    lexical: bool

    def translate(self, texts: list[str]) -> list[str]: ...
