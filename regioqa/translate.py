"""Chinese -> English translation: the translator protocol, the choice of translator, the number check.

Every translator has ``.translate(texts) -> list[str]``, ``.name`` and ``.lexical``:

* :class:`~regioqa.translate_lexical.LexicalTranslator` (offline default, a gloss: ``lexical = True``);
* :class:`~regioqa.translate_seq2seq.Seq2SeqTranslator` (a Marian/NLLB/M2M100/mBART/mT5 model in a
  local directory, chosen when the registry has a prepared translator or ``translate.model`` names one).

Both are importable from here.

>>> t = load_translator(TranslateConfig(model="lexical"))
>>> out = t.translate(["2023年，呼和浩特市科技创新发展指数排名第30位。"])[0]
>>> check_translation("培育32家科技领军企业", out).ok
False
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .config import TranslateConfig
from .errors import ModelNotFoundError
from .numbers import NumberCheck, check_numbers
from .registry import resolve
from .text import has_chinese  # the one home; re-exported here
from .translate_lexical import LEXICAL_NAME, LexicalTranslator
from .translate_seq2seq import Seq2SeqTranslator
from .types import Translator

__all__ = ["Translator", "LexicalTranslator", "Seq2SeqTranslator", "load_translator", "check_translation",
           "has_chinese", "LEXICAL_NAME"]


def check_translation(zh: str, en: str) -> NumberCheck:
    """The number-consistency check (see :func:`regioqa.numbers.check_numbers`)."""
    return check_numbers(zh, en)


def load_translator(config: TranslateConfig | None = None, embedder: Any | None = None) -> Translator:
    """The translator the configuration asks for.

    ``config.model``: None -> the registry's default for the "translator" role (a prepared seq2seq
    model if one exists, else lexical); ``"lexical"`` -> :class:`LexicalTranslator`; a path or name
    -> resolved through :func:`regioqa.registry.resolve` and loaded as a seq2seq model.

    >>> load_translator(TranslateConfig(model="lexical")).lexical
    True
    """
    cfg = config or TranslateConfig()
    lexicon = "packaged" if cfg.learned_lexicon else None
    if cfg.model in ("lexical", LEXICAL_NAME):
        return LexicalTranslator(embedder=embedder, lexicon=lexicon)
    path = _resolve_translator_path(cfg.model)
    if path is None:
        return LexicalTranslator(embedder=embedder, lexicon=lexicon)
    return Seq2SeqTranslator(path, cfg)


def _resolve_translator_path(explicit: str | None) -> Path | None:
    if explicit is not None and Path(explicit).is_dir():
        return Path(explicit)
    try:
        rm = resolve("translator", explicit)
    except ModelNotFoundError:
        if explicit is not None:
            raise
        return None
    return _resolved_path(rm)


def _resolved_path(rm: Any) -> Path | None:
    for attr in ("path", "model_dir", "dir"):
        p = getattr(rm, attr, None)
        if p is not None and Path(p).is_dir() and (Path(p) / "config.json").exists():
            return Path(p)
    return None
