"""Average two reader artifacts' trained tensors (a weight-space ensemble, "model soup"):
``(1 - alpha) * A + alpha * B``, tensor by tensor; ``reader_settings.json`` is A's, with the average
recorded under ``"average"`` (recalibrate before use: ``train_reader.py --artifact OUT --calibrate``).

    .venv/bin/python models/average_readers.py A_DIR B_DIR OUT_DIR --alpha 0.5
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from safetensors.torch import load_file, save

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from regioqa.io import atomic_open, atomic_write_json  # noqa: E402

TENSORS = "trained.safetensors"
SETTINGS = "reader_settings.json"


def average(a: Path, b: Path, out: Path, alpha: float) -> Path:
    """Write the average of artifacts ``a`` and ``b`` into ``out``; both must hold the same tensors."""
    if not 0.0 <= alpha <= 1.0:
        raise SystemExit(f"--alpha {alpha}: must be within [0, 1]")
    for d in (a, b):
        if not (d / TENSORS).is_file():
            raise SystemExit(f"{d}: no {TENSORS} (a reader artifact, as models/train_reader.py writes)")
    ta, tb = load_file(str(a / TENSORS)), load_file(str(b / TENSORS))
    if ta.keys() != tb.keys():
        raise SystemExit(f"{a} and {b} hold different tensors: {sorted(ta.keys() ^ tb.keys())[:3]}")
    mix = {k: ((1 - alpha) * ta[k].float() + alpha * tb[k].float()).to(ta[k].dtype).contiguous() for k in ta}
    with atomic_open(out / TENSORS, "wb") as f:
        f.write(save(mix, metadata={"format": "pt"}))
    settings = json.loads((a / SETTINGS).read_text(encoding="utf-8"))
    settings["average"] = {"a": str(a), "b": str(b), "alpha": alpha}
    atomic_write_json(out / SETTINGS, settings)
    return out


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("a", type=Path)
    ap.add_argument("b", type=Path)
    ap.add_argument("out", type=Path)
    ap.add_argument("--alpha", type=float, default=0.5, help="weight of B")
    args = ap.parse_args(argv)
    print(f"wrote {average(args.a, args.b, args.out, args.alpha)}")


if __name__ == "__main__":
    main()
