"""Faster CPU inference for a loaded transformers model: its precision (bfloat16 where the CPU has native
bf16; ``embed.dtype``/``reader.dtype``, default ``"auto"``) and int8 dynamic quantisation of its Linear
layers (``embed.quantize``/``reader.quantize``).

``embed.quantize = "int8"`` and ``reader.quantize = "int8"`` route here. Weights are quantised per
output channel (symmetric int8), activations per batch at run time (``torch.ao`` dynamic quantisation,
fbgemm/oneDNN kernels with AVX-512 VNNI where the CPU has it). Kept in float32 (:data:`KEEP_FP32`):
task heads (``qa_outputs``, ``classifier``: tiny, and their logits are what the reader compares) and
each layer's FFN output projection (``layer.N.output.dense``), whose GELU inputs have outliers that a
per-tensor activation scale cannot hold: quantising it costs retrieval recall.

Measured on this machine (2 cores shared with a training job, AVX-512 VNNI; converted e5-small,
1 thread, interleaved repetitions, medians; speed relative to fp32 PyTorch; recall@5 of the gold set,
92 answerable questions, 26 in English, fp32: dense 0.967 (en 0.923), hybrid 1.000):

=================================  =====  ===============  ====================================
variant                            speed  cos mean / min   gold recall@5 dense (en) / hybrid
=================================  =====  ===============  ====================================
int8, FFN output fp32 (``int8``)   1.40x  0.997 / 0.995    0.957 (0.846) / 1.000
int8, every Linear, per channel    1.83x  0.987 / 0.980    0.946 (0.808) / 0.978
int8, every Linear, per tensor     1.89x  0.977 / 0.964    --
ONNX Runtime fp32                  0.90x  1.000            --
ONNX Runtime int8 (dynamic)        1.47x  0.987 / 0.982    --
=================================  =====  ===============  ====================================

ONNX Runtime (without transformer graph fusion) is slower than torch int8 here and needs a 470 MB
export per model, so it is not used. The default backend is OpenVINO in bf16 (:mod:`regioqa.ov_runtime`:
2.1x fp32 PyTorch, as accurate as fp32); this module serves the ``"torch"`` backend.
``quantize_model(m, "int8", keep_fp32=HEADS)`` gives the faster,
less accurate variant. More figures: benchmarks/README.md.

>>> import torch
>>> from regioqa.quantize import quantize_model, is_quantized
>>> net = torch.nn.Sequential(torch.nn.Linear(16, 16), torch.nn.ReLU(), torch.nn.Linear(16, 4))
>>> q = quantize_model(net, "int8", inplace=False)
>>> is_quantized(q), is_quantized(net)
(True, False)
>>> bool((q(torch.ones(2, 16)) - net(torch.ones(2, 16))).abs().max() < 0.05)
True
>>> quantize_model(net, None) is net
True
"""

from __future__ import annotations

import re
import warnings
from typing import Any

from .errors import InputError

MODES: tuple[str | None, ...] = (None, "int8")
HEADS = r"(^|\.)(qa_outputs|classifier|score)$"  # task heads: cheap, logit-sensitive
FFN_OUT = r"(^|\.)layer\.\d+\.output\.dense$"  # BERT/XLM-R FFN output projection (outlier inputs)
KEEP_FP32 = f"{HEADS}|{FFN_OUT}"  # modules (by qualified name) left in float32 by default


DTYPES = {"float32": "float32", "fp32": "float32", "bfloat16": "bfloat16", "bf16": "bfloat16",
          "float16": "float16", "fp16": "float16", "auto": "auto"}


def native_bf16() -> bool:
    """Whether this CPU multiplies bfloat16 natively (AVX512-BF16 or AMX; oneDNN's own check)."""
    import torch

    try:
        return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):
        return False


def resolve_dtype(name: str, quantize: str | None = None, setting: str = "dtype") -> str:
    """The torch dtype name a model runs in: ``"auto"`` is ``"bfloat16"`` where the CPU has native
    bf16 (:func:`native_bf16`), else ``"float32"``; int8 quantisation always runs on float32.

    >>> resolve_dtype("fp32"), resolve_dtype("auto", quantize="int8")
    ('float32', 'float32')
    """
    if name not in DTYPES:
        raise InputError(f"{setting} must be one of {sorted(DTYPES)}, got {name!r}")
    prefix = setting.rpartition(".")[0]
    if check_mode(quantize, f"{prefix}.quantize" if prefix else "quantize") is not None:
        return "float32"
    if DTYPES[name] == "auto":
        return "bfloat16" if native_bf16() else "float32"
    return DTYPES[name]


def check_mode(mode: str | None, setting: str = "quantize") -> str | None:
    """Normalise a quantisation setting (``None``, ``""``, ``"none"`` -> None); raise on unknown ones.

    >>> check_mode("none"), check_mode("INT8")
    (None, 'int8')
    """
    if mode is None or (isinstance(mode, str) and mode.strip().lower() in ("", "none", "fp32", "float32")):
        return None
    if isinstance(mode, str) and mode.strip().lower() in MODES:
        return mode.strip().lower()
    raise InputError(f"{setting} must be one of {[m for m in MODES if m] + [None]}, got {mode!r}")


def quantize_model(model: Any, mode: str | None, keep_fp32: str | None = KEEP_FP32,
                   setting: str = "quantize", inplace: bool = True) -> Any:
    """Return ``model`` quantised per ``mode`` (the same object when ``mode`` is None).

    ``keep_fp32``: regex over module names left in float32 (None quantises every Linear). The model
    is converted to float32 first (dynamic quantisation needs it) and put in eval mode; inference
    only (no gradients through quantised layers). ``setting`` names the option in error messages.
    ``inplace``: swap the layers inside ``model`` (no second copy of the weights in memory: the
    e5 embedding matrix alone is 380 MB); ``inplace=False`` leaves ``model`` untouched.
    """
    mode = check_mode(mode, setting)
    if mode is None:
        return model
    import torch
    from torch.ao.quantization import per_channel_dynamic_qconfig, quantize_dynamic

    model = model.float().eval()
    pattern = re.compile(keep_fp32) if keep_fp32 else None
    spec = {name: per_channel_dynamic_qconfig for name, mod in model.named_modules()
            if isinstance(mod, torch.nn.Linear) and not (pattern and pattern.search(name))}
    if not spec:
        raise InputError(f"{setting}={mode!r}: {type(model).__name__} has no Linear layers to quantise")
    engines = torch.backends.quantized.supported_engines
    if torch.backends.quantized.engine not in ("x86", "fbgemm", "onednn") and "x86" in engines:
        torch.backends.quantized.engine = "x86"
    with warnings.catch_warnings():  # torch.ao's deprecation notice and per-tensor quantisation chatter
        warnings.simplefilter("ignore")
        return quantize_dynamic(model, spec, dtype=torch.qint8, inplace=inplace)


def is_quantized(model: Any) -> bool:
    """True when any submodule is a dynamically quantised Linear."""
    from torch.ao.nn.quantized.dynamic import Linear as DynLinear

    return any(isinstance(m, DynLinear) for m in model.modules())
