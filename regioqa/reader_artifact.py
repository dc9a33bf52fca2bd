"""Rebuild the offline reader model from the converted e5 base plus the committed trained tensors.

``regioqa/data/reader-e5-small-zh/`` (package data) holds only what training changed (the top encoder
layers and the QA head, fp16 safetensors) and ``reader_settings.json``. :func:`prepare` merges them into
the base (``models_dir()/e5-small``) and writes a complete transformers ``BertForQuestionAnswering``
directory; the registry calls it as ``"regioqa.reader_artifact:prepare"``::

    from regioqa.paths import models_dir
    prepare(models_dir() / "reader-e5-small-zh", models_dir() / "e5-small")
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

from .errors import ModelNotFoundError
from .paths import ARTIFACTS_DIR

ARTIFACT_DIR = ARTIFACTS_DIR / "reader-e5-small-zh"
WEIGHTS = "trained.safetensors"
SETTINGS = "reader_settings.json"
_TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json")


def source_signature(artifact_dir: Path | None = None) -> str:
    """A digest of the trained artifact's files: a prepared reader built from other files is stale."""
    art = Path(artifact_dir) if artifact_dir else ARTIFACT_DIR
    h = hashlib.sha256()
    for name in (WEIGHTS, SETTINGS):
        if (art / name).is_file():
            h.update(name.encode())
            h.update((art / name).read_bytes())
    return h.hexdigest()[:16]


def prepare(out_dir: Path, base_dir: Path, artifact_dir: Path | None = None) -> None:
    """Write the full reader model into ``out_dir`` (the registry builds it in a temporary directory,
    marks it complete and renames it into place).

    Raises ModelNotFoundError when the base model or the trained artifact is missing or mismatched.
    """
    import torch
    from safetensors import safe_open
    from safetensors.torch import save_file

    out_dir, base_dir = Path(out_dir), Path(base_dir)
    art = Path(artifact_dir) if artifact_dir else ARTIFACT_DIR
    if not (base_dir / "model.safetensors").exists() or not (base_dir / "config.json").exists():
        raise ModelNotFoundError(f"reader base model not found at {base_dir} (expects config.json and "
                                 "model.safetensors): run `regioqa models prepare --role embedder` first")
    if not (art / WEIGHTS).exists():
        raise ModelNotFoundError(f"trained reader weights not found: {art / WEIGHTS} "
                                 "(train them with models/train_reader.py)")
    settings = json.loads((art / SETTINGS).read_text(encoding="utf-8")) if (art / SETTINGS).exists() else {}

    state: dict[str, torch.Tensor] = {}
    with safe_open(str(base_dir / "model.safetensors"), "pt") as f:
        for k in f.keys():  # noqa: SIM118 (safe_open is not a mapping)
            state[k if k.startswith("bert.") else f"bert.{k}"] = f.get_tensor(k).float()
    with safe_open(str(art / WEIGHTS), "pt") as f:
        trained = {k: f.get_tensor(k).float() for k in f.keys()}  # noqa: SIM118
    unknown = [k for k in trained if not k.startswith("qa_outputs.") and k not in state]
    if unknown:
        raise ModelNotFoundError(f"{art / WEIGHTS} has tensors the base model lacks: {unknown[:5]}; "
                                 f"was it trained on another base than {base_dir}?")
    for k, t in trained.items():
        if k in state and state[k].shape != t.shape:
            raise ModelNotFoundError(f"{art / WEIGHTS}: {k} has shape {tuple(t.shape)}, "
                                     f"base has {tuple(state[k].shape)}")
        state[k] = t
    if "qa_outputs.weight" not in state:
        raise ModelNotFoundError(f"{art / WEIGHTS} holds no QA head (qa_outputs.*)")

    config = json.loads((base_dir / "config.json").read_text(encoding="utf-8"))
    config["architectures"] = ["BertForQuestionAnswering"]
    config["regioqa_reader"] = {k: settings.get(k) for k in ("max_seq_len", "stride", "step", "validation",
                                                                "no_answer_threshold", "no_answer_thresholds",
                                                                "rank_penalty", "english_relevance")}

    out_dir.mkdir(parents=True, exist_ok=True)
    save_file({k: v.contiguous() for k, v in state.items()}, str(out_dir / "model.safetensors"),
              metadata={"format": "pt"})
    (out_dir / "config.json").write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")
    for name in _TOKENIZER_FILES:
        if (base_dir / name).exists():
            shutil.copy2(base_dir / name, out_dir / name)
    if (art / "README.md").exists():
        shutil.copy2(art / "README.md", out_dir / "README.md")
