"""Train the extractive QA reader: a span head on the converted multilingual e5-small encoder.

Data: DRCD dev+test (traditional Chinese, converted to simplified with OpenCC t2s) minus a held-out
10% of DRCD *articles* (validation; never trained on), and the CMRC 2018 trial set held out as a second,
natively simplified validation set. Windows are SQuAD-style (fast-tokenizer offset mappings, a stride);
windows without the answer are labelled at the first token (the no-answer score); a seeded fraction of
them is kept.

Only the top ``--train-layers`` encoder layers and the QA head are trained; the embeddings and lower
layers stay frozen, so the artifact holds just those tensors (fp16 safetensors, < 25 MB) plus
``reader_settings.json``. ``regioqa models prepare`` (regioqa.reader_artifact) rebuilds a full model.

The run is seeded, logged, checkpointed every ``--ckpt-minutes`` and resumable (``--resume`` continues
from the last checkpoint with the same data order).

Example (measure a few steps, then the real run in the background)::

    OMP_NUM_THREADS=2 .venv/bin/python models/train_reader.py --measure 3
    nohup nice -n 5 .venv/bin/python models/train_reader.py --steps 700 > models/train_reader.log 2>&1 &
    .venv/bin/python models/train_reader.py --eval-only --eval-n 0   # full validation of the artifact
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

sys.path.insert(0, str(Path(__file__).resolve().parent))

import reader_calibration  # noqa: E402
import reader_data  # noqa: E402
from reader_loop import LoopConfig, LoopState, amp_dtype, log, pad_batch, train_loop, trainable, trained_state  # noqa: E402
from reader_squad import augment, featurize, keyword_question, load_squad, repeat_source, splits  # noqa: E402, F401

from regioqa.paths import ARTIFACTS_DIR, models_dir, xquad_dir  # noqa: E402

ARTIFACT = ARTIFACTS_DIR / "reader-e5-small-zh"


WORK = models_dir() / "reader-train"
NEVER_ABSTAIN = -1e9  # a no-answer threshold no margin reaches (the config refuses infinities)


# ----------------------------------------------------------------------------- model
def build_model(base: Path, train_layers: int):
    from transformers import AutoModelForQuestionAnswering

    model = AutoModelForQuestionAnswering.from_pretrained(str(base), dtype=torch.float32)
    n_layers = model.config.num_hidden_layers
    keep = {f"encoder.layer.{i}." for i in range(n_layers - train_layers, n_layers)}
    for name, p in model.named_parameters():
        p.requires_grad = name.startswith("qa_outputs.") or any(k in name for k in keep)
    return model


@torch.inference_mode()
def evaluate(model, tok, examples: list[dict[str, Any]], max_len: int, stride: int, batch: int,
             bf16: bool | None, max_answer_chars: int = 64) -> dict[str, float]:
    from regioqa.evals.metrics import cmrc_em, cmrc_f1
    from regioqa.spans import best_spans

    feats = featurize(tok, examples, max_len, stride, train=False)
    best: dict[str, tuple[float, str]] = {}
    ctx = {e["id"]: e["context"] for e in examples}
    model.eval()
    for b in range(0, len(feats), batch):
        fb = feats[b:b + batch]
        dev = next(model.parameters()).device
        inp = {k: v.to(dev) for k, v in pad_batch(fb, tok.pad_token_id).items()}
        dt = amp_dtype(dev, bf16)
        with torch.autocast(dev.type, dtype=dt or torch.float32, enabled=dt is not None):
            out = model(**inp)
        sl = out.start_logits.float().cpu().numpy()
        el = out.end_logits.float().cpu().numpy()
        for i, f in enumerate(fb):
            n = len(f["ids"])
            cands = best_spans(sl[i, :n], el[i, :n], f["offsets"], max_answer_chars, top_n=1)
            if cands:
                score, cs, ce = cands[0]
                if f["ex"] not in best or score > best[f["ex"]][0]:
                    best[f["ex"]] = (score, ctx[f["ex"]][cs:ce])
    f1 = em = 0.0
    for e in examples:  # character-level F1 and EM as in the CMRC 2018 script
        pred, refs = best.get(e["id"], (0.0, ""))[1], [a["text"] for a in e["answers"]]
        f1 += cmrc_f1(pred, refs)
        em += cmrc_em(pred, refs)
    model.train()
    return {"f1": 100 * f1 / len(examples), "em": 100 * em / len(examples), "n": len(examples)}


def save_artifact(model, args: argparse.Namespace, extra: dict[str, Any]) -> None:
    from safetensors.torch import save_file

    from regioqa.io import atomic_write_json

    ARTIFACT.mkdir(parents=True, exist_ok=True)
    state = {n: t.to(torch.float16).contiguous() for n, t in trained_state(model).items()}
    tmp = ARTIFACT / "trained.safetensors.tmp"
    save_file(state, str(tmp), metadata={"format": "pt"})
    tmp.replace(ARTIFACT / "trained.safetensors")
    settings = {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()}
    atomic_write_json(ARTIFACT / "reader_settings.json", {
        "base": "e5-small", "task": "extractive-qa", "max_seq_len": args.max_len, "stride": args.stride,
        "trained_tensors": sorted(state), "train_settings": settings, **carried_rank_penalty(args), **extra})
    log(f"artifact saved: {ARTIFACT} ({sum(t.numel() for t in state.values()) / 1e6:.1f}M params)")


def carried_rank_penalty(args: argparse.Namespace) -> dict[str, Any]:
    """A warm start's tuned ``rank_penalty`` (held-out DRCD), kept until ``--calibrate`` tunes it again:
    without it a Reader over the new weights would read with no rank penalty at all. The per-language
    no-answer thresholds are not carried: they belong to the old weights' scores."""
    path = args.init_from / "reader_settings.json" if args.init_from else None
    if path is None or not path.exists():
        return {}
    prev = json.loads(path.read_text(encoding="utf-8"))
    if prev.get("rank_penalty") is None:
        return {}
    return {"rank_penalty": prev["rank_penalty"], "rank_penalty_from": str(args.init_from)}


_PREPARED: set[Path] = set()


def artifact_reader(args: argparse.Namespace, **config: Any):
    """A Reader over the committed artifact as shipped: rebuilt by reader_artifact.prepare into
    ``WORK/eval-model-NAME-HASH`` (once per run; the hash of the artifact's path keeps two artifacts
    that share a folder name apart), with ``ReaderConfig(batch_size=32, **config)``."""
    from regioqa.config import ReaderConfig
    from regioqa.reader import Reader
    from regioqa.reader_artifact import prepare

    tag = hashlib.sha1(str(ARTIFACT.resolve()).encode()).hexdigest()[:8]
    out = WORK / f"eval-model-{ARTIFACT.name}-{tag}"
    if out not in _PREPARED:
        prepare(out, args.base, ARTIFACT)
        _PREPARED.add(out)
    return Reader(out, ReaderConfig(batch_size=32, **config))


def update_settings(values: dict[str, Any]) -> None:
    """Merge ``values`` into the artifact's reader_settings.json (atomically)."""
    from regioqa.io import atomic_write_json

    path = ARTIFACT / "reader_settings.json"
    settings = json.loads(path.read_text(encoding="utf-8"))
    settings.update(values)
    atomic_write_json(path, settings)
    log(f"updated {path}: {sorted(values)}")


def eval_artifact(data: dict[str, Any], args: argparse.Namespace) -> dict[str, dict[str, float]]:
    """Score the committed artifact as shipped: rebuilt by reader_artifact.prepare, read by
    regioqa.reader.Reader with its default settings (``reader.dtype``, ``max_seq_len``, ``stride``)."""
    from regioqa.evals.metrics import cmrc_em, cmrc_f1

    reader = artifact_reader(args)
    n = args.eval_n or None
    res = {}
    for name in ("val", "cmrc"):
        t = time.time()
        exs = [e for e in data[name][:n] if e["question"].strip()]  # CMRC trial has an empty question
        preds = reader.predict([(e["question"], e["context"]) for e in exs])
        f1 = sum(cmrc_f1(p.text, [a["text"] for a in e["answers"]]) for p, e in zip(preds, exs, strict=True))
        em = sum(cmrc_em(p.text, [a["text"] for a in e["answers"]]) for p, e in zip(preds, exs, strict=True))
        res[name] = {"f1": round(100 * f1 / len(exs), 2), "em": round(100 * em / len(exs), 2), "n": len(exs)}
        log(f"eval {name} (Reader, max_seq_len {reader.config.max_seq_len}): F1 {res[name]['f1']:.2f} "
            f"EM {res[name]['em']:.2f} n={len(exs)} ({time.time() - t:.0f}s)")
    return res


def calibrate(data: dict[str, Any], args: argparse.Namespace) -> dict[str, Any]:
    """Per-language no-answer thresholds of the artifact, open-domain on held-out data, never on the
    gold set (see reader_calibration); written into ``reader_settings.json``."""
    from regioqa.config import Config

    cfg = Config().override({"reader.no_answer_threshold": NEVER_ABSTAIN} | (
        {"reader.english_question": args.english_question} if args.english_question else {}))
    reader = artifact_reader(args, no_answer_threshold=NEVER_ABSTAIN)
    res = reader_calibration.calibrate_by_language(
        reader, data, reader_data.xquad_split(xquad_dir()), cfg, args.split_seed,
        {"zh": args.max_declined_zh, "en": args.max_declined_en})
    update_settings(res)
    return res


def tune_rank_penalty(data: dict[str, Any], args: argparse.Namespace, n: int = 300,
                      grid: tuple[float, ...] = (0.0, 1.0, 2.0, 3.0, 4.0, 6.0, 8.0, 12.0, 20.0)
                      ) -> dict[str, Any]:
    """Choose the artifact's ``rank_penalty`` on held-out DRCD with retrieval, never on the gold set.

    Every paragraph of the validation articles is indexed (the default hybrid retriever, k =
    ``retrieve.top_k``); a seeded sample of ``n`` validation questions retrieve and are read; the
    penalty per rank in ``grid`` with the best mean F1 wins (ties: the smaller). The reader's logits
    are computed once (memoised) and reused across the grid. Written into ``reader_settings.json``.
    """
    from regioqa.config import Config
    from regioqa.embed import Embedder
    from regioqa.evals.metrics import cmrc_f1
    from regioqa.index import Index
    from regioqa.types import Article

    reader = artifact_reader(args, no_answer_threshold=NEVER_ABSTAIN)
    memo: dict[tuple[tuple[int, ...], ...], Any] = {}
    forward = reader.forward

    def memo_forward(windows: Any, batch_size: int | None = None) -> Any:
        key = tuple(tuple(w.input_ids) for w in windows)
        if key not in memo:
            memo[key] = forward(windows, batch_size)
        return memo[key]

    reader.forward = memo_forward  # type: ignore[method-assign]
    cfg = Config()
    ctxs = list(dict.fromkeys(e["context"] for e in data["val"]))
    arts = [Article(id=f"p{i}", title="", text=c) for i, c in enumerate(ctxs)]
    t0 = time.time()
    index = Index.build(arts, Embedder(config=cfg.embed), cfg, show_progress=False)
    exs = random.Random(args.split_seed + 11).sample(data["val"], min(n, len(data["val"])))
    hits = [index.search(e["question"]) for e in exs]
    own = [ctxs.index(e["context"]) for e in exs]
    recall = sum(any(h.chunk.article_id == f"p{o}" for h in hs) for hs, o in zip(hits, own, strict=True))
    scores: dict[float, float] = {}
    for g in grid:
        reader.config.rank_penalty = g
        f1 = 0.0
        for e, hs in zip(exs, hits, strict=True):
            a = reader.run(e["question"], hs, index.articles)[0]
            f1 += cmrc_f1(a.text, [x["text"] for x in e["answers"]])
        scores[g] = round(100 * f1 / len(exs), 2)
        log(f"rank_penalty {g}: F1 {scores[g]:.2f} (retrieval, k={cfg.retrieve.top_k}, n={len(exs)})")
    best = max(grid, key=lambda g: (scores[g], -g))
    res = {"rank_penalty": best,
           "rank_penalty_tuning": {"questions": len(exs), "paragraphs": len(arts), "k": cfg.retrieve.top_k,
                                   "retrieval_recall": round(recall / len(exs), 4),
                                   "f1_by_penalty": {str(g): v for g, v in scores.items()},
                                   "seconds": round(time.time() - t0)}}
    log(f"rank penalty: {res}")
    update_settings(res)
    return res


# ----------------------------------------------------------------------------- training
def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--base", type=Path, default=models_dir() / "e5-small")
    ap.add_argument("--max-len", type=int, default=256)
    ap.add_argument("--stride", type=int, default=96, help="overlap between windows, in tokens")
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--steps", type=int, default=600)
    ap.add_argument("--lr", type=float, default=1e-4)
    ap.add_argument("--head-lr", type=float, default=5e-4)
    ap.add_argument("--warmup", type=float, default=0.08)
    ap.add_argument("--train-layers", type=int, default=6)
    ap.add_argument("--neg-frac", type=float, default=0.3, help="fraction of no-answer windows kept")
    ap.add_argument("--val-frac", type=float, default=0.1)
    ap.add_argument("--cmrc-train-frac", type=float, default=0.7,
                    help="share of CMRC trial articles trained on; the rest is held out")
    ap.add_argument("--hard-neg-frac", type=float, default=0.0,
                    help="share of questions also paired with another paragraph (no answer)")
    ap.add_argument("--keyword-frac", type=float, default=0.0,
                    help="share of questions also trained in key-term form (see keyword_question)")
    ap.add_argument("--init-from", type=Path, default=None,
                    help="start from a saved artifact's trained tensors (a warm start)")
    ap.add_argument("--seed", type=int, default=13, help="training randomness (order, augmentation)")
    ap.add_argument("--split-seed", type=int, default=13,
                    help="which DRCD/CMRC articles are held out, and the calibration samples: keep 13, or "
                         "the held-out figures are not comparable (and may have been trained on)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--bf16", action=argparse.BooleanOptionalAction, default=None,
                    help="bf16 autocast on the CPU (default: only where the CPU multiplies bf16 natively; "
                         "emulated bf16 on an AVX2-only CPU ran a step in 80 s against 7.5 s in fp32)")
    ap.add_argument("--ckpt-minutes", type=float, default=10.0)
    ap.add_argument("--eval-n", type=int, default=200, help="validation questions at checkpoints")
    ap.add_argument("--resume", action="store_true", help="continue from the last checkpoint")
    ap.add_argument("--device", default="auto", help="cuda | cpu | auto (CUDA when available)")
    ap.add_argument("--round3", action=argparse.BooleanOptionalAction, default=False,
                    help="add English/mixed renderings, near-miss unanswerables and XQuAD train articles")
    ap.add_argument("--en-frac", type=float, default=0.5, help="round 3: share rendered in English")
    ap.add_argument("--mixed-frac", type=float, default=0.15, help="round 3: share as mixed-language")
    ap.add_argument("--near-miss-frac", type=float, default=0.3,
                    help="round 3: share of questions tried for a near-miss unanswerable copy")
    ap.add_argument("--xquad-repeat", type=int, default=3, help="round 3: copies of XQuAD train articles")
    ap.add_argument("--cmrc-repeat", type=int, default=1,
                    help="copies of the CMRC trial training questions (their long, sentence-like answers)")
    ap.add_argument("--stop-at", default=None, help="UTC HH:MM: stop training then (still saves, evals)")
    ap.add_argument("--measure", type=int, default=0, help="time this many steps and exit")
    ap.add_argument("--eval-only", action="store_true", help="evaluate the committed artifact")
    ap.add_argument("--calibrate", action="store_true",
                    help="tune the artifact's rank penalty (held-out DRCD) and per-language no-answer "
                         "thresholds (held-out DRCD, XQuAD calibration articles; see calibrate)")
    ap.add_argument("--tune-n", type=int, default=300, help="validation questions for the rank penalty")
    ap.add_argument("--no-tune-rank-penalty", action="store_true", help="--calibrate: thresholds only")
    ap.add_argument("--max-declined-zh", type=float, default=0.05,
                    help="--calibrate: most Chinese answerable calibration questions a threshold may decline")
    ap.add_argument("--max-declined-en", type=float, default=0.12,
                    help="--calibrate: most English answerable calibration questions a threshold may decline")
    ap.add_argument("--english-question", default=None,
                    help="--calibrate: reader.english_question while calibrating (default: the config's)")
    ap.add_argument("--xquad-ids", type=Path, default=None,
                    help="write the XQuAD question ids of each part (train/calib/measure.txt) there and exit")
    ap.add_argument("--artifact", type=Path, default=None,
                    help="the artifact folder to write, evaluate or calibrate (default: the committed one)")
    args = ap.parse_args(argv)
    if args.artifact:
        global ARTIFACT
        ARTIFACT = args.artifact
    if args.xquad_ids:
        args.xquad_ids.mkdir(parents=True, exist_ok=True)
        for part, exs in reader_data.xquad_split(xquad_dir()).items():
            ids = sorted({e["id"].rsplit("#", 1)[0] for e in exs})
            (args.xquad_ids / f"{part}.txt").write_text("\n".join(ids) + "\n", encoding="utf-8")
            log(f"{args.xquad_ids / f'{part}.txt'}: {len(ids)} questions, articles "
                f"{reader_data.xquad_articles()[part]}")
        return

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    from transformers import AutoTokenizer

    if not (args.base / "config.json").exists():
        raise SystemExit(f"base model not found: {args.base} (run `regioqa models prepare`)")
    tok = AutoTokenizer.from_pretrained(str(args.base))
    data = splits(args.split_seed, args.val_frac, args.cmrc_train_frac)
    log(f"train {len(data['train'])} questions; val {len(data['val'])} "
        f"({len(data['val_articles'])} articles); cmrc-trial {len(data['cmrc'])}")

    if args.eval_only or args.calibrate:
        if args.calibrate:
            if not args.no_tune_rank_penalty:
                tune_rank_penalty(data, args, n=args.tune_n)
            calibrate(data, args)
        if args.eval_only:
            eval_artifact(data, args)
        return

    examples = augment(data["train"], args.seed, args.hard_neg_frac, args.keyword_frac)
    extras = reader_data.round3_extras(data["train"], args.seed, args.en_frac, args.mixed_frac,
                                       args.near_miss_frac) if args.round3 else []
    xq = reader_data.xquad_split(xquad_dir())["train"] * args.xquad_repeat if args.round3 else []
    cmrc = repeat_source(data["train"], "cmrc-trial", args.cmrc_repeat)
    examples += extras + xq + cmrc
    mix = {k: sum(e["id"].endswith(k) or f"{k}-" in e["id"] for e in examples)
           for k in ("#neg", "#kw", "#en", "#mix", "#nm")}
    mix.update(xquad=len(xq), cmrc_extra_copies=len(cmrc), chinese_questions=len(data["train"]),
               total=len(examples))
    log(f"train examples with extras: {mix}")
    feats = featurize(tok, examples, args.max_len, args.stride, train=True)
    rng = random.Random(args.seed)
    no_answer = {e["id"] for e in examples if not e["answers"]}
    pos = [f for f in feats if f["start"] > 0]
    hard = [f for f in feats if f["start"] == 0 and f["ex"] in no_answer]
    neg = [f for f in feats if f["start"] == 0 and f["ex"] not in no_answer]
    neg = rng.sample(neg, int(len(neg) * args.neg_frac)) + hard
    train = pos + neg
    lens = [len(f["ids"]) for f in train]
    log(f"windows: {len(feats)} ({len(pos)} with the answer, {len(neg)} no-answer kept, "
        f"{len(hard)} of them unanswerable pairs); "
        f"mean len {np.mean(lens):.0f}; epoch = {len(train) / args.batch:.0f} steps")

    model = build_model(args.base, args.train_layers)
    if args.init_from:
        from safetensors.torch import load_file

        init = {k: v.float() for k, v in load_file(str(args.init_from / "trained.safetensors")).items()}
        missing = set(init) - set(dict(model.named_parameters()))
        if missing:
            raise SystemExit(f"--init-from {args.init_from}: tensors not in the model: {sorted(missing)[:3]}")
        model.load_state_dict(init, strict=False)
        log(f"warm start from {args.init_from} ({len(init)} tensors)")
    body, head = trainable(model)
    log(f"trainable: {sum(p.numel() for p in body + head) / 1e6:.2f}M params")
    cfg = LoopConfig(steps=args.steps, batch=args.batch, lr=args.lr, head_lr=args.head_lr, warmup=args.warmup,
                     seed=args.seed, device=args.device, bf16=args.bf16, ckpt_minutes=args.ckpt_minutes,
                     stop_at=args.stop_at, max_steps_this_run=args.measure or None,
                     log_every=1 if args.measure else 10)
    WORK.mkdir(parents=True, exist_ok=True)
    ckpt = WORK / ("measure.pt" if args.measure else "checkpoint.pt")
    val_small = data["val"][: args.eval_n]

    def on_checkpoint(st: LoopState) -> None:
        r = evaluate(model, tok, val_small, args.max_len, args.stride, 32, args.bf16)
        log(f"checkpoint step {st.step}: val[:{args.eval_n}] F1 {r['f1']:.2f} EM {r['em']:.2f}")
        save_artifact(model, args, {"step": st.step, "partial": True, "device": st.device})

    t0 = time.time()
    st = train_loop(model, train, tok.pad_token_id, cfg, ckpt, resume=args.resume and not args.measure,
                    on_checkpoint=on_checkpoint)
    if args.measure:
        log(f"measured {st.step} steps: {(time.time() - t0) / max(1, st.step):.2f} s/step on {st.device}")
        ckpt.unlink(missing_ok=True)
        return
    train_min = st.seconds / 60
    log(f"training done: {st.step} steps, {train_min:.1f} min of training on {st.device}")
    done = {"step": st.step, "partial": st.step < args.steps, "train_minutes": round(train_min, 1),
            "device": st.device, "device_name": device_name(st.device)}
    save_artifact(model, args, done)
    res = {}
    for name in ("val", "cmrc"):
        t = time.time()
        r = evaluate(model, tok, data[name], args.max_len, args.stride, 32, args.bf16)
        res[name] = r
        log(f"final eval {name}: F1 {r['f1']:.2f} EM {r['em']:.2f} n={r['n']} ({time.time() - t:.0f}s)")
    save_artifact(model, args, {**done, "validation": res, "train_questions": len(examples),
                                "train_windows": len(train), "mix": mix})


def device_name(device: str) -> str:
    """A readable name of the training device (GPU model, or the CPU's)."""
    if device.startswith("cuda"):
        return torch.cuda.get_device_name(0)
    import platform

    return f"{platform.processor() or platform.machine()} CPU, {torch.get_num_threads()} threads"


if __name__ == "__main__":
    main()
