"""The transformers seq2seq translator (a hub model in a local directory, used when one is prepared).

:class:`Seq2SeqTranslator`: Marian (opus-mt-zh-en), M2M100/NLLB (language codes via
``forced_bos_token_id``), mBART-50 and mT5-style models through ``model.generate``; batched, long
input split at sentence boundaries and joined again, beam size and length limits from
:class:`~regioqa.config.TranslateConfig`. torch and transformers are imported on first use.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from .config import TranslateConfig
from .embed import check_texts
from .errors import InputError, ModelNotFoundError
from .text import split_sentences

_LANG_TOKEN = re.compile(r"^\s*(?:__[a-z]{2,3}(?:_[A-Za-z]+)?__|[a-z]{3}_[A-Z][a-z]{3})\s*")
_LANG_CODES = {  # family -> (zh, en)
    "m2m_100": ("zh", "en"),
    "nllb": ("zho_Hans", "eng_Latn"),
    "mbart": ("zh_CN", "en_XX"),
}


class Seq2SeqTranslator:
    """A transformers encoder-decoder model in a local directory (lazy-loaded).

    Example (needs a local model)::

        Seq2SeqTranslator("models/prepared/opus-mt-zh-en").translate(["你好。"])
    """

    lexical = False

    def __init__(self, model_dir: str | Path, config: TranslateConfig | None = None,
                 device: str | None = None, prefix: str | None = None) -> None:
        self.model_dir = Path(model_dir)
        if not self.model_dir.is_dir() or not (self.model_dir / "config.json").exists():
            raise ModelNotFoundError(
                f"translation model dir {self.model_dir} not found or has no config.json")
        self.config = config or TranslateConfig()
        self.device = device
        self.prefix = prefix
        self.name = f"seq2seq:{self.model_dir.name}"
        self._model: Any = None
        self._tok: Any = None
        self.family = ""
        self._gen_kwargs: dict[str, Any] = {}

    def warm_up(self) -> Seq2SeqTranslator:
        """Load the tokenizer and model now (otherwise the first text does); returns self."""
        self._load()
        return self

    def _load(self) -> None:
        if self._model is not None:
            return
        import torch
        from transformers import AutoModelForSeq2SeqLM, AutoTokenizer

        try:
            tok = AutoTokenizer.from_pretrained(self.model_dir)
            model = AutoModelForSeq2SeqLM.from_pretrained(self.model_dir)
        except (OSError, ValueError) as e:
            raise ModelNotFoundError(f"cannot load translation model from {self.model_dir}: {e}") from e
        model.eval()
        dev = self.device or ("cuda" if torch.cuda.is_available() else "cpu")
        model.to(dev)
        self.device = dev
        mtype = model.config.model_type
        tname = type(tok).__name__.lower()
        family = "nllb" if "nllb" in tname else mtype
        if family in ("t5", "mt5", "umt5"):
            family = "t5"
            if self.prefix is None:
                self.prefix = "translate Chinese to English: "
        self.family = family
        src = self.config.src_lang
        tgt = self.config.tgt_lang
        if family in _LANG_CODES:
            zh, en = _LANG_CODES[family]
            src = zh if src == "zh" else src
            tgt = en if tgt == "en" else tgt
            tok.src_lang = src
            if hasattr(tok, "tgt_lang"):
                tok.tgt_lang = tgt
            try:
                bos = tok.get_lang_id(tgt) if family == "m2m_100" else tok.convert_tokens_to_ids(tgt)
            except KeyError:
                bos = None
            if bos is None or bos == tok.unk_token_id:
                raise InputError(f"{self.model_dir}: tokenizer has no language code {tgt!r}")
            self._gen_kwargs["forced_bos_token_id"] = bos
        self._tok, self._model = tok, model

    def count_tokens(self, texts: list[str]) -> list[int]:
        self._load()
        enc = self._tok(list(texts), add_special_tokens=True)
        return [len(x) for x in enc["input_ids"]]

    def _prefix_tokens(self) -> int:
        if not self.prefix:
            return 0
        return len(self._tok(self.prefix, add_special_tokens=False)["input_ids"])

    def segments(self, text: str) -> list[str]:
        """Split ``text`` at sentence boundaries into pieces of at most ``max_input_tokens`` tokens
        (task prefix included; a sentence longer than that is cut at commas, then halved)."""
        self._load()
        limit = self.config.max_input_tokens - self._prefix_tokens()  # the task prefix goes once per segment
        if limit < 4:
            raise InputError(f"translate.max_input_tokens={self.config.max_input_tokens} leaves no room "
                             f"after the prefix {self.prefix!r}")
        sents = [text[s.start:s.end] for s in split_sentences(text)]
        if not sents:
            return []
        counts = self.count_tokens(sents)
        units: list[tuple[str, int]] = []
        for s, c in zip(sents, counts, strict=True):
            if c <= limit:
                units.append((s, c))
            else:
                units.extend(self._cut(s, limit))
        segs: list[str] = []
        cur, cur_n = "", 0
        for s, c in units:
            if cur and cur_n + c > limit:
                segs.append(cur)
                cur, cur_n = "", 0
            cur += s
            cur_n += c
        if cur:
            segs.append(cur)
        return segs

    def _cut(self, sent: str, limit: int) -> list[tuple[str, int]]:
        """Cut an over-long sentence at commas, then halve pieces until each fits ``limit``."""
        parts = [p for p in re.split(r"(?<=[，,、：:；;])", sent) if p]

        def fit(p: str, c: int) -> list[tuple[str, int]]:
            if c <= limit or len(p) <= 1:
                return [(p, c)]
            mid = len(p) // 2
            a, b = p[:mid], p[mid:]
            ca, cb = self.count_tokens([a, b])
            return fit(a, ca) + fit(b, cb)

        out: list[tuple[str, int]] = []
        for p, c in zip(parts, self.count_tokens(parts), strict=True):
            out.extend(fit(p, c))
        return out

    def translate(self, texts: list[str]) -> list[str]:
        """Translate texts; long ones are split at sentence boundaries and the outputs joined."""
        texts = check_texts(texts)
        if not texts:
            return []
        self._load()
        import torch

        owners: list[int] = []
        segs: list[str] = []
        for i, t in enumerate(texts):
            for s in self.segments(t):
                owners.append(i)
                segs.append(s)
        order = sorted(range(len(segs)), key=lambda j: len(segs[j]))
        outs: list[str] = [""] * len(segs)
        bs = max(1, self.config.batch_size)
        for b in range(0, len(order), bs):
            idx = order[b:b + bs]
            batch = [(self.prefix or "") + segs[j] for j in idx]
            enc = self._tok(batch, return_tensors="pt", padding=True, truncation=True,
                            max_length=self.config.max_input_tokens)
            enc = {k: v.to(self.device) for k, v in enc.items()}
            with torch.inference_mode():
                gen = self._model.generate(**enc, num_beams=self.config.beam_size,
                                           max_new_tokens=self.config.max_new_tokens, do_sample=False,
                                           **self._gen_kwargs)
            dec = self._tok.batch_decode(gen, skip_special_tokens=True)
            for j, d in zip(idx, dec, strict=True):
                outs[j] = _LANG_TOKEN.sub("", d).strip()
        joined: list[list[str]] = [[] for _ in texts]
        for j, i in enumerate(owners):
            if outs[j]:
                joined[i].append(outs[j])
        return [" ".join(x) for x in joined]

