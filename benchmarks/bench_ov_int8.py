"""OpenVINO int8 for the reader (NNCF post-training quantisation): windows/s and agreement with fp32.

Not a dependency of regioqa: ``pip install nncf`` first (3.4.0 measured). The reader, converted to
OpenVINO as ``regioqa/ov_runtime.py`` does, is quantised with ``nncf.quantize`` (transformer
preset: SmoothQuant, fast bias correction) on windows of DRCD *test* questions, then fp32 and int8 are
timed on the same windows of DRCD *dev* questions, interleaved, and their start/end argmax compared.

    .venv/bin/python benchmarks/bench_ov_int8.py --shared ../shared          # about 3 min on 2 cores

Measured 2026-12-01 on an AVX2-only EPYC (no VNNI): fp32 8.7 / 7.4 windows/s, int8 6.6 / 7.0 (slower),
both start and end argmax equal on 59% of windows: not adopted (see the reader's model card).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def _pairs(path: Path, n: int, seed: int) -> list[tuple[str, str]]:
    data = json.loads(path.read_text(encoding="utf-8"))["data"]
    pairs = [(q["question"], p["context"]) for a in data for p in a["paragraphs"] for q in p["qas"][:1]]
    random.Random(seed).shuffle(pairs)
    return pairs[:n]


def main(argv: list[str] | None = None) -> dict[str, Any]:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--shared", type=Path, default=REPO.parent / "shared", help="the ../shared folder")
    ap.add_argument("--calibration", type=int, default=150, help="DRCD test questions to calibrate on")
    ap.add_argument("--windows", type=int, default=64, help="DRCD dev windows to time and compare")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=2)
    args = ap.parse_args(argv)
    try:
        import nncf
    except ImportError:
        sys.exit("bench_ov_int8 needs nncf, which regioqa does not depend on: pip install nncf")
    import numpy as np
    import openvino as ov

    from regioqa import ov_runtime
    from regioqa.config import ReaderConfig
    from regioqa.reader import Reader, _Passage
    from regioqa.tensors import pad_ids

    reader = Reader(config=ReaderConfig(backend="torch")).warm_up()
    fp32_model = ov_runtime.convert(reader.model, ("start_logits", "end_logits"))
    pad = reader.tokenizer.pad_token_id

    def batch(ws: list[Any]) -> dict[str, Any]:
        ids, mask = pad_ids([w.input_ids for w in ws], pad)
        return {"input_ids": ids.numpy(), "attention_mask": mask.numpy()}
    qa = args.shared / "data" / "qa-train"

    def windows(path: Path, n: int, seed: int) -> list[Any]:
        return reader.windows([_Passage(q, c, 0, "x", "", None) for q, c in _pairs(path, n, seed)])

    cal = windows(qa / "DRCD_test.json", args.calibration, 0)
    t = time.perf_counter()
    int8_model = nncf.quantize(fp32_model, nncf.Dataset(cal, lambda w: batch([w])),
                               model_type=nncf.ModelType.TRANSFORMER, subset_size=len(cal))
    quantize_s = time.perf_counter() - t
    test = windows(qa / "DRCD_dev.json", args.windows, 1)[: args.windows]
    batches = [batch(test[i: i + 8]) for i in range(0, len(test), 8)]
    props = {"INFERENCE_PRECISION_HINT": "f32", "PERFORMANCE_HINT": "LATENCY",
             "INFERENCE_NUM_THREADS": args.threads}
    core = ov.Core()
    compiled = {"fp32": core.compile_model(fp32_model, "CPU", props),
                "int8": core.compile_model(int8_model, "CPU", props)}
    speed: dict[str, list[float]] = {k: [] for k in compiled}
    outs: dict[str, list[list[Any]]] = {}
    for _ in range(args.repeats):
        for name, c in compiled.items():
            req = c.create_infer_request()
            req.infer(batches[0])
            t = time.perf_counter()
            outs[name] = [[np.array(x) for x in req.infer(b).values()] for b in batches]
            speed[name].append(len(test) / (time.perf_counter() - t))
    same = sum(int(((s0.argmax(1) == s1.argmax(1)) & (e0.argmax(1) == e1.argmax(1))).sum())
               for (s0, e0), (s1, e1) in zip(outs["fp32"], outs["int8"], strict=True))
    res = {"calibration_windows": len(cal), "quantize_s": round(quantize_s, 1), "windows": len(test),
           "windows_per_s": {k: [round(x, 1) for x in v] for k, v in speed.items()},
           "argmax_agreement": round(same / len(test), 3)}
    print(json.dumps(res, indent=2))
    return res


if __name__ == "__main__":
    main()
