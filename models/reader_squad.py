"""SQuAD-format training data for models/train_reader.py: loading (OpenCC t2s for DRCD, answers
re-anchored), the DRCD/CMRC splits by article, augmentation (hard negatives, key-term questions, repeats)
and SQuAD-style windows with answer token positions.

Examples are dicts ``{"id", "article", "question", "context", "answers": [{"text", "start"}]}``
(``answers == []``: no answer).
"""

from __future__ import annotations

import json
import random
import re
from pathlib import Path
from typing import Any

from reader_loop import log

from regioqa.paths import qa_train_dir


def load_squad(path: Path, t2s: bool, source: str) -> list[dict[str, Any]]:
    """Flatten a SQuAD json into examples; with ``t2s`` convert to simplified and re-anchor answers."""
    conv = None
    if t2s:
        import opencc

        conv = opencc.OpenCC("t2s").convert
    data = json.loads(path.read_text(encoding="utf-8"))["data"]
    out: list[dict[str, Any]] = []
    dropped = 0
    for art in data:
        art_id = f"{source}:{art.get('id') or art.get('title')}"
        for para in art["paragraphs"]:
            ctx0 = para["context"]
            ctx = conv(ctx0) if conv else ctx0
            for qa in para["qas"]:
                answers = []
                for a in qa["answers"]:
                    text = conv(a["text"]) if conv else a["text"]
                    start = int(a["answer_start"])
                    if ctx[start:start + len(text)] != text:
                        # length-changing conversion or an off anchor: nearest occurrence
                        hits = [m.start() for m in re.finditer(re.escape(text), ctx)] if text else []
                        if not hits:
                            continue
                        start = min(hits, key=lambda h: abs(h - start))
                    answers.append({"text": text, "start": start})
                if not answers:
                    dropped += 1
                    continue
                q = conv(qa["question"]) if conv else qa["question"]
                out.append({"id": qa["id"], "article": art_id, "question": q.strip(), "context": ctx,
                            "answers": answers})
    log(f"{path.name}: {len(out)} questions ({dropped} dropped: answer not found after conversion)")
    return out


def splits(seed: int, val_frac: float, cmrc_train_frac: float = 0.0) -> dict[str, list[dict[str, Any]]]:
    """DRCD split by article into train/val; the CMRC trial set split by article too: a seeded
    ``cmrc_train_frac`` of its articles joins training, the rest stays held out as "cmrc"."""
    d = qa_train_dir()
    drcd = load_squad(d / "DRCD_dev.json", True, "drcd-dev") + load_squad(d / "DRCD_test.json", True,
                                                                           "drcd-test")
    arts = sorted({e["article"] for e in drcd})
    rng = random.Random(seed)
    val_arts = set(rng.sample(arts, max(1, round(len(arts) * val_frac))))
    cmrc = load_squad(d / "cmrc2018_trial.json", False, "cmrc-trial")
    c_arts = sorted({e["article"] for e in cmrc})
    c_train = set(random.Random(seed + 1).sample(c_arts, round(len(c_arts) * cmrc_train_frac)))
    return {"train": [e for e in drcd if e["article"] not in val_arts]
            + [e for e in cmrc if e["article"] in c_train],
            "val": [e for e in drcd if e["article"] in val_arts],
            "cmrc": [e for e in cmrc if e["article"] not in c_train],
            "val_articles": sorted(val_arts)}  # type: ignore[dict-item]


_KEEP_POS = ("n", "v", "m", "q", "a", "t", "s", "f", "j", "l", "i", "x", "eng")
_ZH_WH = [("多少", "多少"), ("几", "多少"), ("哪一年", "哪一年"), ("哪年", "哪一年"), ("何时", "什么时候"),
          ("什么时候", "什么时候"), ("谁", "谁"), ("哪里", "哪里"), ("哪个", "哪个"), ("哪", "哪个"),
          ("为什么", "为什么")]


def repeat_source(examples: list[dict[str, Any]], source: str, times: int) -> list[dict[str, Any]]:
    """``times - 1`` extra copies (ids ``#<source>K``) of the examples from ``source``'s articles."""
    return [{**e, "id": f"{e['id']}#{source}{k}"} for k in range(1, times)
            for e in examples if e["article"].startswith(f"{source}:")]


def keyword_question(question: str, rng: random.Random) -> str | None:
    """The question as key terms plus a question word, the shape an English question reaches the reader
    in (``reader.english_question="zh"``: dictionary terms in English word order, so sometimes
    shuffled). None when fewer than two terms survive."""
    import jieba.posseg as pseg

    wh = next((w for k, w in _ZH_WH if k in question), "什么")
    terms = [w for w, flag in pseg.cut(question)
             if flag.startswith(_KEEP_POS) and not any(k in w for k, _ in _ZH_WH)
             and w not in {"是", "有", "在", "为", "于"} and w.strip("？?，。、 ")]
    if len(terms) < 2:
        return None
    if rng.random() < 0.5:
        rng.shuffle(terms)
    return "".join(dict.fromkeys(terms)) + wh + "？"


def augment(examples: list[dict[str, Any]], seed: int, hard_neg_frac: float, keyword_frac: float
            ) -> list[dict[str, Any]]:
    """Training extras: SQuAD-2-style hard negatives (a question paired with another paragraph of the
    same article that lacks its answer; no answer) and keyword-shaped copies of questions."""
    rng = random.Random(seed + 2)
    by_art: dict[str, list[str]] = {}
    for e in examples:
        ctxs = by_art.setdefault(e["article"], [])
        if e["context"] not in ctxs:
            ctxs.append(e["context"])
    extra: list[dict[str, Any]] = []
    for e in examples:
        if rng.random() < hard_neg_frac:
            others = [c for c in by_art[e["article"]]
                      if c != e["context"] and not any(a["text"] in c for a in e["answers"])]
            if others:
                extra.append({**e, "id": e["id"] + "#neg", "context": rng.choice(others), "answers": []})
        if rng.random() < keyword_frac:
            kq = keyword_question(e["question"], rng)
            if kq:
                extra.append({**e, "id": e["id"] + "#kw", "question": kq})
    return examples + extra


def featurize(tok, examples: list[dict[str, Any]], max_len: int, stride: int, train: bool
              ) -> list[dict[str, Any]]:
    """SQuAD windows: input ids, the answer's token start/end (0 = no answer in this window)."""
    feats: list[dict[str, Any]] = []
    bs = 256
    for b in range(0, len(examples), bs):
        ex = examples[b:b + bs]
        enc = tok([e["question"] for e in ex], [e["context"] for e in ex], truncation="only_second",
                  max_length=max_len, stride=stride, return_overflowing_tokens=True,
                  return_offsets_mapping=True, padding=False)
        for i in range(len(enc["input_ids"])):
            e = ex[enc["overflow_to_sample_mapping"][i]]
            seq = enc.sequence_ids(i)
            offs = enc["offset_mapping"][i]
            ctx_tok = [j for j, s in enumerate(seq) if s == 1]
            f = {"ex": e["id"], "ids": enc["input_ids"][i],
                 "offsets": [tuple(o) if s == 1 else None for o, s in zip(offs, seq, strict=True)]}
            if train:
                sp = ep = 0
                a = e["answers"][0] if e["answers"] else {"start": -1, "text": ""}
                cs, ce = a["start"], a["start"] + len(a["text"])
                if cs >= 0 and offs[ctx_tok[0]][0] <= cs and offs[ctx_tok[-1]][1] >= ce:
                    sp = max(j for j in ctx_tok if offs[j][0] <= cs)  # a lone "▁" shares offsets
                    ep = next(j for j in reversed(ctx_tok) if offs[j][0] < ce)
                    if ep < sp:
                        sp = ep = 0
                f["start"], f["end"] = sp, ep
            feats.append(f)
    return feats
