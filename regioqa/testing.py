"""Test doubles and tiny models for tests and benchmarks (not used by the library itself).

:class:`HashingEmbedder` is a deterministic, model-free embedder (hashed character bigrams and words)
with the :class:`regioqa.types.EmbedderLike` interface; :func:`tiny_reader_dir` saves a random,
tiny extractive-QA model that :class:`regioqa.reader.Reader` loads in a second;
:func:`build_tiny_marian` a random 1-layer Marian translation model.

>>> e = HashingEmbedder(dim=32)
>>> v = e.embed_passages(["科技创新", "科技创新", "文旅融合"])
>>> bool(np.allclose(v[0], v[1])), v.shape
(True, (3, 32))
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import numpy as np

from .lexical import normalize, tokenize


class HashingEmbedder:
    """Deterministic model-free embedder: signed feature hashing of lexical tokens, L2-normalised.

    Same interface as :class:`regioqa.embed.Embedder`; texts sharing words get similar vectors.
    Meant for tests and benchmarks, not for cross-lingual search.
    """

    def __init__(self, dim: int = 64, salt: str = "") -> None:
        self.dim = dim
        self.salt = salt
        self.fingerprint = f"hashing-v1-dim{dim}" + (f"-{salt}" if salt else "")

    def _features(self, text: str) -> list[str]:
        norm = normalize(text)
        return tokenize(norm, "bigram", normalized=True) + [c for c in norm if not c.isspace()]

    def _embed(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, t in enumerate(texts):
            for f in self._features(t):
                h = int.from_bytes(
                    hashlib.blake2b((self.salt + f).encode(), digest_size=8).digest(), "little"
                )
                out[i, h % self.dim] += 1.0 if (h >> 32) & 1 else -1.0
            n = np.linalg.norm(out[i])
            if n > 0:
                out[i] /= n
            else:
                out[i, 0] = 1.0
        return out

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        return self._embed(list(texts))

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        return self._embed(list(texts))

    def count_tokens(self, texts: list[str]) -> list[int]:
        return [len(t) for t in texts]


READER_TEXT = ("呼和浩特市今年科技投入增长了百分之十二，新建实验室八个。"
               "山西省推进区域创新体系建设，培育高新技术企业三千家。"
               "甘肃省与二十多个国家开展国际科技合作，引进专家一百名。"
               "Hohhot plans 12 new labs in 2024.\n"
               "全市研发经费支出达到四十亿元，比上年增长百分之十五。") * 3


def tiny_reader_dir(root: Path, qa_head: bool = True) -> Path:
    """A random 2-layer BERT (QA head unless ``qa_head=False``) with a WordPiece vocabulary trained on
    :data:`READER_TEXT`, saved under ``root``: a fast stand-in for the trained reader."""
    import torch
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors, trainers
    from transformers import BertConfig, BertForQuestionAnswering, BertModel, PreTrainedTokenizerFast

    tok = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    tok.normalizer = normalizers.BertNormalizer(handle_chinese_chars=True, lowercase=True)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    tok.train_from_iterator([READER_TEXT, "谁 什么 多少 哪里 为什么 问题"] * 4,
                            trainers.WordPieceTrainer(vocab_size=400, special_tokens=specials))
    cls, sep = tok.token_to_id("[CLS]"), tok.token_to_id("[SEP]")
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B:1 [SEP]:1",
        special_tokens=[("[CLS]", cls), ("[SEP]", sep)])
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, pad_token="[PAD]", unk_token="[UNK]",
                                   cls_token="[CLS]", sep_token="[SEP]", mask_token="[MASK]")
    torch.manual_seed(0)
    cfg = BertConfig(vocab_size=tok.get_vocab_size(), hidden_size=32, num_hidden_layers=2,
                     num_attention_heads=2, intermediate_size=64, max_position_embeddings=256, pad_token_id=0)
    model = BertForQuestionAnswering(cfg) if qa_head else BertModel(cfg)
    d = root / ("qa" if qa_head else "bare")
    model.save_pretrained(d)
    fast.save_pretrained(d)
    return d


# -- tiny seq2seq models --------------------------------------------------------------------------


TINY = {"d_model": 16, "encoder_layers": 1, "decoder_layers": 1, "encoder_attention_heads": 2,
        "decoder_attention_heads": 2, "encoder_ffn_dim": 32, "decoder_ffn_dim": 32,
        "max_position_embeddings": 256}  # a 1-layer model: random weights, real code path


def save_random(d: Path, tok: object, model_cls: type, cfg: object) -> Path:
    """Save ``tok`` and a seeded randomly initialised ``model_cls(cfg)`` into ``d``."""
    import torch

    tok.save_pretrained(d)  # type: ignore[attr-defined]
    torch.manual_seed(0)
    model_cls(cfg).save_pretrained(d)
    return d


def train_spm(page_path: Path, out: Path) -> Path:
    """A SentencePiece unigram model trained on the page's lines (and some English): ``out/sp.model``."""
    import sentencepiece as spm

    lines = [ln.strip() for ln in page_path.read_text(encoding="utf-8").splitlines() if ln.strip()]
    lines += ["Hello world. This is English text for a tiny model."] * 5
    (out / "train.txt").write_text("\n".join(lines), encoding="utf-8")
    spm.SentencePieceTrainer.train(input=str(out / "train.txt"), model_prefix=str(out / "sp"),
                                   vocab_size=1200, model_type="unigram", character_coverage=1.0,
                                   hard_vocab_limit=False, bos_id=-1, eos_id=1, unk_id=2, pad_id=0,
                                   minloglevel=2, num_threads=1)
    return out / "sp.model"


def build_tiny_marian(page_path: Path, root: Path) -> Path:
    """A random 1-layer Marian model with a SentencePiece vocabulary trained on the corpus."""
    import sentencepiece as spm
    from transformers import MarianConfig, MarianMTModel, MarianTokenizer

    sp_model = train_spm(page_path, root)
    d = root / "tiny-marian"
    d.mkdir()
    sp = spm.SentencePieceProcessor(model_file=str(sp_model))
    vocab = {sp.id_to_piece(i): i for i in range(sp.get_piece_size())}
    for name in ("source.spm", "target.spm"):
        shutil.copy(sp_model, d / name)
    (d / "vocab.json").write_text(json.dumps(vocab, ensure_ascii=False), encoding="utf-8")
    tok = MarianTokenizer(str(d / "source.spm"), str(d / "target.spm"), str(d / "vocab.json"),
                          pad_token="<pad>", eos_token="</s>", unk_token="<unk>")
    cfg = MarianConfig(vocab_size=len(tok), pad_token_id=tok.pad_token_id, eos_token_id=tok.eos_token_id,
                       decoder_start_token_id=tok.pad_token_id, forced_eos_token_id=tok.eos_token_id, **TINY)
    return save_random(d, tok, MarianMTModel, cfg)
