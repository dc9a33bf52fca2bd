"""SQuAD-format files for the reader evaluation: questions, contexts, answers; id lists."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ..errors import InputError
from . import metrics as M


@dataclass(frozen=True, slots=True)
class SquadQuestion:
    id: str
    question: str
    context_index: int
    answers: list[str]
    answerable: bool


def read_squad(path: str | Path) -> tuple[list[str], list[SquadQuestion]]:
    """Contexts and questions of a SQuAD 1.1/2.0 JSON file (``data[].paragraphs[].qas[]``)."""
    p = Path(path)
    if not p.exists():
        raise InputError(f"SQuAD file not found: {p}")
    try:
        doc = json.loads(p.read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        raise InputError(f"{p}: line {e.lineno}: invalid JSON ({e.msg})") from e
    if not isinstance(doc, dict) or not isinstance(doc.get("data"), list):
        raise InputError(f"{p}: not SQuAD format (expected an object with a 'data' list)")
    contexts: list[str] = []
    qs: list[SquadQuestion] = []
    for a_i, art in enumerate(doc["data"]):
        for p_i, para in enumerate(art.get("paragraphs") or []):
            ctx = para.get("context")
            if not isinstance(ctx, str) or not ctx.strip():
                raise InputError(f"{p}: data[{a_i}].paragraphs[{p_i}] has no context text")
            contexts.append(ctx)
            for q_i, qa in enumerate(para.get("qas") or []):
                if "question" not in qa or "id" not in qa:
                    raise InputError(
                        f"{p}: data[{a_i}].paragraphs[{p_i}].qas[{q_i}] lacks 'id' or 'question'"
                    )
                answers = [a["text"] for a in qa.get("answers") or [] if str(a.get("text", "")).strip()]
                impossible = bool(qa.get("is_impossible", False))
                if not answers and not impossible:
                    raise InputError(
                        f"{p}: question {qa['id']} has no answers and is not marked is_impossible"
                    )
                qs.append(
                    SquadQuestion(
                        str(qa["id"]),
                        qa["question"],
                        len(contexts) - 1,
                        [] if impossible else answers,
                        not impossible,
                    )
                )
    return contexts, qs


def read_ids(path: str | Path) -> list[str]:
    """Question ids, one per line, or JSONL lines with an ``id`` field."""
    p = Path(path)
    if not p.exists():
        raise InputError(f"ids file not found: {p}")
    out = []
    for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1):
        s = line.strip()
        if not s:
            continue
        if s.startswith("{"):
            try:
                s = str(json.loads(s)["id"])
            except (json.JSONDecodeError, KeyError) as e:
                raise InputError(f"{p}:{n}: expected a JSON object with an 'id'") from e
        out.append(s)
    return out


def traditional_share(texts: Sequence[str], sample: int = 50) -> float:
    """Share of characters OpenCC t2s changes in the first ``sample`` texts (about 0 for simplified)."""
    import opencc

    conv = opencc.OpenCC("t2s")
    text = "".join(texts[:sample])
    han = [c for c in text if M.has_cjk(c)]
    if not han:
        return 0.0
    converted = conv.convert("".join(han))
    return sum(a != b for a, b in zip(han, converted, strict=False)) / len(han)


def questions_from(qs: list[SquadQuestion], path: str | Path) -> tuple[list[SquadQuestion], int]:
    """``qs`` with each question's text taken from the question of the same id in SQuAD file ``path``
    (XQuAD: English questions from ``xquad.en.json``, paragraphs and answers from ``xquad.zh.json``).
    Questions without a counterpart are dropped; returns the kept ones and how many were dropped.

    >>> q = [SquadQuestion("a", "谁？", 0, ["贝尔"], True), SquadQuestion("b", "何时？", 0, ["1876"], True)]
    >>> import json, tempfile
    >>> f = tempfile.NamedTemporaryFile("w", suffix=".json", delete=False)
    >>> _ = f.write(json.dumps({"data": [{"paragraphs": [{"context": "Bell invented it.",
    ...     "qas": [{"id": "a", "question": "Who?", "answers": [{"text": "Bell", "answer_start": 0}]}]}]}]}))
    >>> f.close()
    >>> [(x.id, x.question, x.answers) for x in questions_from(q, f.name)[0]], questions_from(q, f.name)[1]
    ([('a', 'Who?', ['贝尔'])], 1)
    """
    _, other = read_squad(path)
    text = {o.id: o.question for o in other}
    kept = [SquadQuestion(q.id, text[q.id], q.context_index, q.answers, q.answerable)
            for q in qs if q.id in text]
    if not kept:
        raise InputError(f"--questions-from {path}: none of its question ids match the --squad file's")
    return kept, len(qs) - len(kept)
