"""Calibrate the English relevance check (``constraints.relevant``) of the reader artifact, on held-out
data: XQuAD's *calibration* articles (1, 4, ..., 22), never its measurement articles or the gold set.

- answerable: the calibration articles' English questions, asked open-domain over all 120 paragraphs
  of ``xquad.zh.json`` (as ``regioqa eval qa --context retrieve`` does);
- off-topic: the same questions asked over the paragraphs of the *training* articles (0, 3, ..., 21)
  only, which do not hold their answers.

Each is asked as ``regioqa ask`` does with the relevance check off; for each answer not already
declined, its score margin ``m``, the share ``c`` of the question's key terms its passage states
(``constraints.term_coverage``) and the retriever's dense similarity ``s`` of question and passage
(``pipeline.dense_similarity``) are recorded. A logistic regression on ``(m, c, m*c, s)`` (answerable
against off-topic) gives the direction; the cut is then moved to the point with the best mean F1
(declining scores 1 on an off-topic question, 0 on an answerable one) among those declining at most
``--max-declined`` of the answerable questions (``reader_calibration.choose_threshold``), and then as
far down as ``ask`` itself, which falls back to the next candidate that passes, still declines at most
that share (:func:`refine_cut`, a bisection over the bias). The weights go
into the artifact's ``reader_settings.json`` as ``english_relevance``.

    python models/calibrate_relevance.py --shared ../shared        # then: regioqa models prepare
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "models"))

import reader_calibration  # noqa: E402
import reader_data  # noqa: E402
from reader_loop import log  # noqa: E402

from regioqa.io import atomic_write_json  # noqa: E402
from regioqa.paths import xquad_dir  # noqa: E402

FEATURES = ("margin", "coverage", "product", "similarity")


def features(margin: float, coverage: float, similarity: float) -> list[float]:
    """``(m, c, m*c, s)`` with ``m`` clipped as ``constraints.relevant`` clips it.

    >>> features(30.0, 0.5, 0.8)
    [20.0, 0.5, 10.0, 0.8]
    """
    m = max(-20.0, min(20.0, margin))
    return [m, coverage, m * coverage, similarity]


def fit_logistic(x: np.ndarray, y: np.ndarray, steps: int = 3000, lr: float = 0.5, l2: float = 1.0
                 ) -> tuple[np.ndarray, float]:
    """Raw-unit weights and bias of an L2-regularised logistic regression (gradient descent on
    standardised features; 3 features, a few hundred rows: no library needed).

    >>> w, b = fit_logistic(np.array([[0.0], [1.0], [2.0], [3.0]]), np.array([0, 0, 1, 1]))
    >>> bool(w[0] > 0) and bool(-b / w[0] > 1.0) and bool(-b / w[0] < 2.0)
    True
    """
    mu, sd = x.mean(0), x.std(0) + 1e-9
    z = (x - mu) / sd
    w, b = np.zeros(x.shape[1]), 0.0
    for _ in range(steps):
        p = 1 / (1 + np.exp(-(z @ w + b)))
        w -= lr * (z.T @ (p - y) + l2 * w) / len(y)
        b -= lr * float((p - y).mean())
    raw = w / sd
    return raw, float(b - raw @ mu)


def askers(folder: Path) -> tuple[list[dict[str, Any]], dict[bool, Any], Any]:
    """The calibration articles' English questions, a ``RegioQA`` per index (True: all paragraphs,
    False: the training articles' only) with the relevance check on, and their shared reader."""
    from regioqa.config import Config
    from regioqa.embed import Embedder
    from regioqa.index import Index
    from regioqa.pipeline import RegioQA
    from regioqa.reader import Reader
    from regioqa.registry import ensure
    from regioqa.types import Article

    questions = [e for e in reader_data.xquad_split(folder)["calib"] if e["lang"] == "en"]
    parts = reader_data.xquad_contexts(folder)
    every = [c for _, c in parts]
    train = [c for part, c in parts if part == "train"]
    cfg = Config()
    reader = Reader(ensure("reader").path, cfg.reader).warm_up()
    out = {}
    for answerable, ctxs in ((True, every), (False, train)):
        arts = [Article(id=f"p{i}", title="", text=c) for i, c in enumerate(ctxs)]
        out[answerable] = RegioQA(Index.build(arts, Embedder(config=cfg.embed), cfg, show_progress=False),
                                  reader=reader, config=cfg)
    return questions, out, reader


def ask_rows(questions: list[dict[str, Any]], by_index: dict[bool, Any], reader: Any
             ) -> list[dict[str, Any]]:
    """One row per (question, index) with the relevance check off: ``answerable``, ``declined``,
    ``margin``, ``coverage``, ``similarity``, ``f1``."""
    from regioqa.constraints import term_coverage
    from regioqa.evals.metrics import cmrc_f1
    from regioqa.pipeline import dense_similarity

    rows = []
    with weights(reader, None):
        for answerable, asker in by_index.items():
            text = {c.chunk_id: c.text for c in asker.index.chunks}
            for e in questions:
                a = asker.ask(e["question"], translate=False)[0]
                hits = asker.index.search(e["question"], k=asker.config.retrieve.top_k)  # what ask read
                row = {"id": e["id"], "answerable": answerable, "declined": a.is_no_answer}
                if not a.is_no_answer:
                    refs = [x["text"] for x in e["answers"]]
                    row |= {"margin": a.margin, "similarity": dense_similarity(hits)[a.chunk_id],
                            "coverage": term_coverage(e["question"], text[a.chunk_id])[0],
                            "f1": cmrc_f1(a.text, refs) if answerable else 0.0}
                rows.append(row)
            log(f"{'answerable' if answerable else 'off-topic'}: {len(questions)} questions asked")
    return rows


@contextlib.contextmanager
def weights(reader: Any, rel: dict[str, float] | None) -> Iterator[None]:
    """The reader's ``relevance_weights()`` give ``rel`` (None: no check) inside the block."""
    reader.relevance_weights = lambda: rel
    try:
        yield
    finally:
        del reader.relevance_weights


def declined_share(questions: list[dict[str, Any]], asker: Any, reader: Any, rel: dict[str, float]) -> float:
    """The share of ``questions`` that ``asker`` declines with relevance weights ``rel``, as ``ask`` does
    (the check, the fallback to the next candidate, early exit)."""
    with weights(reader, rel):
        declined = sum(asker.ask(e["question"], translate=False)[0].is_no_answer for e in questions)
    return declined / len(questions)


def refine_cut(questions: list[dict[str, Any]], by_index: dict[bool, Any], reader: Any, rel: dict[str, Any],
               max_declined: float, steps: int = 6) -> dict[str, Any]:
    """Move ``rel``'s bias down (stricter) as far as ``ask`` itself still declines at most
    ``max_declined`` of the answerable questions: the cut from :func:`calibrate` counts only the best
    answer, while ``ask`` falls back to the next candidate that passes, so it declines fewer."""
    lo, hi = rel["bias"] - 4.0, rel["bias"]
    if declined_share(questions, by_index[True], reader, rel | {"bias": lo}) <= max_declined:
        hi = lo
    else:
        for _ in range(steps):
            mid = (lo + hi) / 2
            if declined_share(questions, by_index[True], reader, rel | {"bias": mid}) <= max_declined:
                hi = mid
            else:
                lo = mid
    out = rel | {"bias": round(hi, 5)}
    out["calibration"] = rel["calibration"] | {"as_asked": {
        "bias_before": rel["bias"],
        "answerable_declined": round(declined_share(questions, by_index[True], reader, out), 4),
        "off_topic_declined": round(declined_share(questions, by_index[False], reader, out), 4)}}
    log(f"as asked: {out['calibration']['as_asked']}")
    return out


def calibrate(rows: list[dict[str, Any]], max_declined: float) -> dict[str, Any]:
    """``english_relevance`` (weights, bias and what they decline on the calibration rows)."""
    live = [r for r in rows if not r["declined"]]
    x = np.array([features(r["margin"], r["coverage"], r["similarity"]) for r in live])
    w, b = fit_logistic(x, np.array([float(r["answerable"]) for r in live]))
    z = [float(x_ @ w + b) for x_ in x]
    score = iter(z)
    scores = [float("-inf") if r["declined"] else next(score) for r in rows]
    t, f1 = reader_calibration.choose_threshold(scores, [r.get("f1", 0.0) for r in rows],
                                                [r["answerable"] for r in rows], max_declined)
    t = -1e9 if t is None else t
    kept = [s >= t for s in scores]

    def share(answerable: bool, before: bool = False) -> float:
        rs = [(r, k) for r, k in zip(rows, kept, strict=True) if r["answerable"] == answerable]
        return round(sum(r["declined"] if before else not k for r, k in rs) / len(rs), 4)

    out = dict(zip(FEATURES, (round(float(v), 5) for v in w), strict=True)) | {"bias": round(b - t, 5)}
    out["calibration"] = {
        "data": "XQuAD calibration articles' English questions: open-domain over all 120 paragraphs "
                "(answerable) and over the training articles' paragraphs only (off-topic)",
        "max_answerable_declined": max_declined, "mean_f1": round(100 * f1, 2),
        "answerable_declined": {"before": share(True, True), "after": share(True)},
        "off_topic_declined": {"before": share(False, True), "after": share(False)},
        "n": {"answerable": sum(r["answerable"] for r in rows),
              "off_topic": sum(not r["answerable"] for r in rows)}}
    return out


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--shared", type=Path, default=REPO.parent / "shared")
    ap.add_argument("--artifact", type=Path, default=REPO / "regioqa" / "data" / "reader-e5-small-zh")
    ap.add_argument("--max-declined", type=float, default=0.12,
                    help="most of the answerable calibration questions declined in all (default 0.12)")
    a = ap.parse_args(argv)
    folder = xquad_dir(a.shared)
    if not (folder / "xquad.zh.json").is_file():
        sys.exit(f"error: {folder / 'xquad.zh.json'} not found; pass --shared (the folder holding data/)")
    settings_path = a.artifact / "reader_settings.json"
    settings = json.loads(settings_path.read_text(encoding="utf-8"))
    questions, by_index, reader = askers(folder)
    rel = calibrate(ask_rows(questions, by_index, reader), a.max_declined)
    rel = refine_cut(questions, by_index, reader, rel, a.max_declined)
    log(f"english_relevance: {json.dumps(rel)}")
    atomic_write_json(settings_path, settings | {"english_relevance": rel})
    log(f"wrote {settings_path}; run `regioqa models prepare` to rebuild the prepared reader")


if __name__ == "__main__":
    main()
