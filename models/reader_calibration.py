"""Per-language no-answer thresholds for the reader, calibrated open-domain on held-out data.

Never the gold set. For each question language ("zh", "en") a calibration set is built at run time
from ``../shared`` (:func:`calibration_sets`):

- answerable: the held-out DRCD validation questions (Chinese; English renderings of a seeded sample
  by the project's lexical translator) and the XQuAD *calibration* articles' questions (real English
  and Chinese questions; see ``reader_data.xquad_split``);
- near-miss unanswerable: those questions with a year, role, unit or attribute swapped for one their
  passage lacks (``reader_data.near_miss``);
- off-topic unanswerable: held-out CMRC trial questions (their paragraphs are not in the index) and
  the hand-written ``OFF_TOPIC_*`` questions about other places and topics.

The paragraphs of these questions (DRCD validation, XQuAD calibration articles) are indexed (the
default hybrid retriever); each question is asked as ``regioqa ask`` would (``reader_question``, top
``retrieve.top_k`` passages, the rank penalty) and the margin of its best span over the no-answer score
is recorded. :func:`choose_threshold` then picks, per language, the threshold with the best mean F1
(declining scores 1 on an unanswerable question, 0 on an answerable one) among those declining at
most ``max_declined`` of the answerable questions.
"""

from __future__ import annotations

import random
import time
from collections.abc import Sequence
from typing import Any

import reader_data
from reader_loop import log


def choose_threshold(margins: Sequence[float], f1_answered: Sequence[float], answerable: Sequence[bool],
                     max_declined: float) -> tuple[float | None, float]:
    """The threshold (decline when margin < t; None: never decline) maximising mean F1 among those that
    decline at most ``max_declined`` of the answerable questions; returns ``(t, mean F1)``.

    >>> choose_threshold([5.0, 1.0, -2.0, 0.5], [1.0, 1.0, 0.0, 0.0], [True, True, False, False], 0.0)
    (1.0, 1.0)
    >>> m, f1, ans = [5.0, 1.0, -2.0, 0.5], [1.0, 1.0, 0.0, 0.0], [True, True, True, False]
    >>> choose_threshold(m, f1, ans, 0.0), choose_threshold(m, f1, ans, 0.34)  # may decline -2.0 or not
    ((None, 0.5), (1.0, 0.75))
    """
    n = len(margins)
    n_ans = max(1, sum(answerable))
    cands = sorted(set(margins))
    best_t: float | None = None
    best = sum(f for f, a in zip(f1_answered, answerable, strict=True) if a) / n if n else 0.0
    for t in cands:
        declined = [m < t for m in margins]
        if sum(d and a for d, a in zip(declined, answerable, strict=True)) / n_ans > max_declined:
            break  # thresholds only grow from here
        score = sum((0.0 if a else 1.0) if d else (f if a else 0.0)
                    for d, f, a in zip(declined, f1_answered, answerable, strict=True)) / n
        if score > best:
            best_t, best = t, score
    return best_t, best


def calibration_sets(data: dict[str, Any], xquad: dict[str, list[dict[str, Any]]], seed: int,
                     n_val: int = 300, n_render: int = 150, n_ans: int = 120, n_nm: int = 70,
                     n_off: int = 40) -> dict[str, list[dict[str, Any]]]:
    """Per-language calibration questions (see the module docstring): from a seeded ``n_val`` of the DRCD
    validation questions and ``n_render`` English renderings, at most ``n_ans`` answerable, ``n_nm``
    near-miss and ``n_off`` off-topic questions per language (seeded samples). Each has ``kind``
    ("answerable", "year", "role", "unit", "attribute", "off-topic") and ``context`` (its paragraph, or
    None for off-topic questions)."""
    rng = random.Random(seed + 21)
    r = reader_data.Renderer()
    val = [{**e, "lang": "zh"} for e in rng.sample(data["val"], min(n_val, len(data["val"])))]
    xq = xquad["calib"]
    zh_ans = val + [e for e in xq if e["lang"] == "zh"]
    sample = rng.sample(val, min(n_render, len(val)))
    en_val = [{**e, "id": e["id"] + "#en", "question": q, "lang": "en"}
              for e, q in zip(sample, r.english([e["question"] for e in sample]), strict=True)]
    en_ans = [e for e in xq if e["lang"] == "en"] + en_val
    zh_nm = [x for e in zh_ans if (x := reader_data.near_miss(e, rng, "zh"))]
    en_nm = [x for e in xq if e["lang"] == "en" if (x := reader_data.near_miss(e, rng, "en"))]
    nm_src = rng.sample(zh_nm, min(n_render, len(zh_nm)))
    en_nm += [{**x, "id": x["id"] + "-en", "question": q, "lang": "en"}
              for x, q in zip(nm_src, r.english([x["question"] for x in nm_src]), strict=True)]
    cmrc = [e for e in data["cmrc"] if e["question"].strip()]
    off = rng.sample(cmrc, min(n_render, len(cmrc)))
    zh_off = [{"id": e["id"] + "#off", "question": e["question"], "lang": "zh"} for e in off]
    zh_off += [{"id": f"off-zh-{i}", "question": q, "lang": "zh"}
               for i, q in enumerate(reader_data.OFF_TOPIC_ZH)]
    en_off = [{**x, "id": x["id"] + "-en", "question": q, "lang": "en"}
              for x, q in zip(zh_off, r.english([x["question"] for x in zh_off]), strict=True)]
    en_off += [{"id": f"off-en-{i}", "question": q, "lang": "en"}
               for i, q in enumerate(reader_data.OFF_TOPIC_EN)]

    def tag(items: list[dict[str, Any]], kind: str | None) -> list[dict[str, Any]]:
        return [{**e, "kind": kind or e.get("kind", "answerable"), "answers": e.get("answers", []),
                 "context": e.get("context")} for e in items]

    def cap(items: list[dict[str, Any]], n: int) -> list[dict[str, Any]]:
        return rng.sample(items, n) if len(items) > n else items

    return {lang: tag(cap(ans, n_ans), "answerable") + tag(cap(nm, n_nm), None)
            + tag(cap(off, n_off), "off-topic")
            for lang, ans, nm, off in (("zh", zh_ans, zh_nm, zh_off), ("en", en_ans, en_nm, en_off))}


def open_domain_margins(reader: Any, sets: dict[str, list[dict[str, Any]]], config: Any
                        ) -> dict[str, list[dict[str, Any]]]:
    """Ask every calibration question open-domain (an index of all calibration paragraphs) as ``ask``
    does, with abstention off; rows with ``margin``, ``f1`` (if answered) and ``answerable``."""
    from regioqa.embed import Embedder
    from regioqa.evals.metrics import cmrc_f1
    from regioqa.index import Index
    from regioqa.pipeline import RegioQA
    from regioqa.types import Article

    ctxs = list(dict.fromkeys(e["context"] for s in sets.values() for e in s if e["context"]))
    arts = [Article(id=f"p{i}", title="", text=c) for i, c in enumerate(ctxs)]
    t0 = time.time()
    index = Index.build(arts, Embedder(config=config.embed), config, show_progress=False)
    asker = RegioQA(index, reader=reader, config=config)
    log(f"calibration index: {len(arts)} paragraphs ({time.time() - t0:.0f}s)")
    out: dict[str, list[dict[str, Any]]] = {}
    for lang, items in sets.items():
        rows = []
        t0 = time.time()
        for e in items:
            a = asker.ask(e["question"], translate=False)[0]
            refs = [x["text"] for x in e["answers"]]
            rows.append({"id": e["id"], "kind": e["kind"], "answerable": bool(refs),
                         "margin": float("-inf") if a.is_no_answer else a.margin,
                         "f1": cmrc_f1(a.text, refs) if refs else 0.0})
        out[lang] = rows
        log(f"calibration {lang}: {len(rows)} questions read open-domain ({time.time() - t0:.0f}s)")
    return out


def calibrate_by_language(reader: Any, data: dict[str, Any], xquad: dict[str, list[dict[str, Any]]],
                          config: Any, seed: int, max_declined: dict[str, float]) -> dict[str, Any]:
    """``{"no_answer_thresholds": {lang: t}, "no_answer_threshold": zh's t, "calibration": {...}}``."""
    sets = calibration_sets(data, xquad, seed)
    rows = open_domain_margins(reader, sets, config)
    res: dict[str, Any] = {"no_answer_thresholds": {}, "calibration": {}}
    for lang, rs in rows.items():
        t, f1 = choose_threshold([r["margin"] for r in rs], [r["f1"] for r in rs],
                                 [r["answerable"] for r in rs], max_declined[lang])
        declined = [t is not None and r["margin"] < t for r in rs]
        kinds: dict[str, dict[str, int]] = {}
        for r, d in zip(rs, declined, strict=True):
            k = kinds.setdefault(r["kind"], {"n": 0, "declined": 0})
            k["n"] += 1
            k["declined"] += int(d)
        ans = [r for r in rs if r["answerable"]]
        res["no_answer_thresholds"][lang] = None if t is None else round(t, 4)
        res["calibration"][lang] = {
            "max_answerable_declined": max_declined[lang], "mean_f1": round(100 * f1, 2),
            "answerable_f1_never_declining": round(100 * sum(r["f1"] for r in ans) / max(1, len(ans)), 2),
            "by_kind": kinds}
        log(f"threshold {lang}: {t} mean F1 {100 * f1:.2f}; {kinds}")
    res["no_answer_threshold"] = res["no_answer_thresholds"].get("zh")
    return res
