"""The reader's training loop: any device, mixed precision, checkpoints every N minutes, ``--resume``.

A checkpoint holds the trained tensors, optimizer, scheduler, the step (which is also the data position:
the batch order is a fixed function of the seed), the torch/CUDA/Python/NumPy RNG states and the wall
time spent so far, so a resumed run continues exactly where the last checkpoint left it.
"""

from __future__ import annotations

import random
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from regioqa.quantize import native_bf16
from regioqa.tensors import pad_ids


def log(msg: str) -> None:
    print(time.strftime("%H:%M:%S"), msg, flush=True)


def resolve_device(name: str) -> torch.device:
    """``"auto"``: CUDA when available, else CPU; ``"cuda"`` without a GPU is an error."""
    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "cpu"
    if name == "cuda" and not torch.cuda.is_available():
        raise SystemExit("--device cuda: no CUDA GPU is available (use --device cpu or auto)")
    if name not in ("cuda", "cpu"):
        raise SystemExit(f"--device must be cuda, cpu or auto, got {name!r}")
    return torch.device(name)


def amp_dtype(device: torch.device, bf16: bool | None) -> torch.dtype | None:
    """Autocast dtype: bf16 where the device supports it, fp16 on older GPUs; on the CPU bf16 when
    asked (``--bf16``) or, by default (None), where the CPU multiplies bf16 natively, else None (fp32).

    >>> amp_dtype(torch.device("cpu"), False) is None
    True
    """
    if device.type == "cuda":
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    if bf16 is None:
        bf16 = native_bf16()
    return torch.bfloat16 if bf16 else None


def pad_batch(feats: list[dict[str, Any]], pad_id: int) -> dict[str, torch.Tensor]:
    ids, mask = pad_ids([f["ids"] for f in feats], pad_id)
    return {"input_ids": ids, "attention_mask": mask}


def batch_order(n_items: int, steps: int, batch: int, seed: int) -> list[int]:
    """Item indices for ``steps`` batches: seeded shuffles of all items, epoch after epoch."""
    order: list[int] = []
    ep = 0
    while len(order) < steps * batch:
        idx = list(range(n_items))
        random.Random(seed * 1000 + ep).shuffle(idx)
        order += idx
        ep += 1
    return order


@dataclass
class LoopConfig:
    steps: int
    batch: int = 16
    lr: float = 1e-4
    head_lr: float = 5e-4
    warmup: float = 0.08
    seed: int = 13
    device: str = "auto"
    bf16: bool | None = None  # None: bf16 where the CPU has it natively (amp_dtype)
    ckpt_minutes: float = 10.0
    stop_at: str | None = None  # UTC HH:MM
    max_steps_this_run: int | None = None  # stop (after a checkpoint) after this many steps
    log_every: int = 10
    progress: bool = True


@dataclass
class LoopState:
    step: int = 0
    seconds: float = 0.0  # training wall time over all runs
    losses: list[float] = field(default_factory=list)
    device: str = "cpu"
    resumed_from: int | None = None


def trainable(model: Any) -> tuple[list[torch.nn.Parameter], list[torch.nn.Parameter]]:
    head = [p for n, p in model.named_parameters() if p.requires_grad and n.startswith("qa_outputs.")]
    body = [p for n, p in model.named_parameters() if p.requires_grad and not n.startswith("qa_outputs.")]
    return body, head


def trained_state(model: Any) -> dict[str, torch.Tensor]:
    return {n: p.detach() for n, p in model.named_parameters() if p.requires_grad}


def train_loop(model: Any, feats: list[dict[str, Any]], pad_id: int, cfg: LoopConfig, ckpt: Path,
               resume: bool = False, on_checkpoint: Callable[[LoopState], None] | None = None) -> LoopState:
    """Train ``model`` (its ``requires_grad`` parameters) on windows ``feats`` (``ids``, ``start``,
    ``end``) for ``cfg.steps`` steps, checkpointing to ``ckpt`` every ``cfg.ckpt_minutes`` and at the end;
    with ``resume`` continue from ``ckpt`` when it exists. Returns the final state."""
    from tqdm import tqdm

    device = resolve_device(cfg.device)
    dt = amp_dtype(device, cfg.bf16)
    model.to(device)
    body, head = trainable(model)
    opt = torch.optim.AdamW([{"params": body, "lr": cfg.lr}, {"params": head, "lr": cfg.head_lr}],
                            weight_decay=0.01)
    warm = max(1, int(cfg.warmup * cfg.steps))

    def lr_lambda(step: int) -> float:
        if step < warm:
            return (step + 1) / warm
        return max(0.0, (cfg.steps - step) / max(1, cfg.steps - warm))

    sched = torch.optim.lr_scheduler.LambdaLR(opt, lr_lambda)
    scaler = torch.amp.GradScaler("cuda", enabled=dt == torch.float16)
    state = LoopState(device=str(device))
    torch.manual_seed(cfg.seed)
    if resume and ckpt.exists():
        st = torch.load(ckpt, weights_only=False, map_location=device)
        model.load_state_dict(st["model"], strict=False)
        opt.load_state_dict(st["opt"])
        sched.load_state_dict(st["sched"])
        if "scaler" in st:
            scaler.load_state_dict(st["scaler"])
        state.step, state.seconds, state.losses = st["step"], st.get("seconds", 0.0), st.get("losses", [])
        state.resumed_from = state.step
        torch.set_rng_state(st["torch_rng"])
        random.setstate(st["py_rng"])
        np.random.set_state(st["np_rng"])
        if device.type == "cuda" and st.get("cuda_rng") is not None:
            torch.cuda.set_rng_state(st["cuda_rng"])
        log(f"resumed from {ckpt} at step {state.step} ({state.seconds / 60:.1f} min trained before)")

    def save() -> None:
        ckpt.parent.mkdir(parents=True, exist_ok=True)
        tmp = ckpt.with_suffix(".tmp")
        torch.save({"model": {k: v.cpu() for k, v in trained_state(model).items()}, "opt": opt.state_dict(),
                    "sched": sched.state_dict(), "scaler": scaler.state_dict(), "step": state.step,
                    "seconds": state.seconds, "losses": state.losses, "torch_rng": torch.get_rng_state(),
                    "py_rng": random.getstate(), "np_rng": np.random.get_state(),
                    "cuda_rng": torch.cuda.get_rng_state() if device.type == "cuda" else None}, tmp)
        tmp.replace(ckpt)

    order = batch_order(len(feats), cfg.steps, cfg.batch, cfg.seed)
    model.train()
    t_last = time.time()
    last_ckpt = time.time()
    start_step = state.step
    bar = tqdm(total=cfg.steps, initial=state.step, desc="train", unit="step", disable=not cfg.progress,
               mininterval=30, file=sys.stderr)
    while state.step < cfg.steps:
        if cfg.stop_at and time.strftime("%H:%M", time.gmtime()) >= cfg.stop_at:
            log(f"--stop-at {cfg.stop_at} reached at step {state.step}: stopping early")
            break
        if cfg.max_steps_this_run is not None and state.step - start_step >= cfg.max_steps_this_run:
            break
        fb = [feats[i] for i in order[state.step * cfg.batch:(state.step + 1) * cfg.batch]]
        inp = {k: v.to(device) for k, v in pad_batch(fb, pad_id).items()}
        sp = torch.tensor([f["start"] for f in fb], device=device)
        ep = torch.tensor([f["end"] for f in fb], device=device)
        with torch.autocast(device.type, dtype=dt or torch.float32, enabled=dt is not None):
            out = model(**inp, start_positions=sp, end_positions=ep)
        scaler.scale(out.loss).backward()
        scaler.unscale_(opt)
        torch.nn.utils.clip_grad_norm_(body + head, 1.0)
        scaler.step(opt)
        scaler.update()
        sched.step()
        opt.zero_grad(set_to_none=True)
        state.step += 1
        state.losses.append(float(out.loss.item()))
        now = time.time()
        state.seconds += now - t_last
        t_last = now
        bar.update(1)
        if cfg.log_every and state.step % cfg.log_every == 0:
            log(f"step {state.step}/{cfg.steps} loss {np.mean(state.losses[-cfg.log_every:]):.3f} "
                f"lr {sched.get_last_lr()[0]:.2e} {state.seconds / 60:.1f} min trained")
        if now - last_ckpt > cfg.ckpt_minutes * 60 and state.step < cfg.steps:
            save()
            if on_checkpoint:
                on_checkpoint(state)
            last_ckpt = t_last = time.time()
    bar.close()
    save()
    return state
