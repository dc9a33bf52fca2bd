"""``regioqa ask``: answer one question, or a JSONL file of questions, from an index.

regioqa ask "呼和浩特科技创新发展指数排名第几？" --index index/ -k 5
regioqa ask "How many member units does the dairy centre have?" --index index/ --json
regioqa ask --questions questions.jsonl --index index/ --out answers.jsonl

Batch input lines are ``{"id": ..., "question": ...}``; each output line keeps the id and adds
``answers`` (best first; an abstention has ``is_no_answer: true``). An existing ``--out`` is resumed:
ids already answered there are skipped.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from ..errors import InputError
from .common import ConfigOpt, SetOpt, load_config


def read_questions(path: Path) -> list[dict[str, Any]]:
    """Read ``{"id", "question"}`` lines; errors name the file and line."""
    if not path.is_file():
        raise InputError(f"questions file not found: {path}")
    out: list[dict[str, Any]] = []
    seen: set[str] = set()
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
        except json.JSONDecodeError as e:
            raise InputError(f"{path}: line {n}: invalid JSON ({e.msg})") from e
        if not isinstance(rec, dict) or "id" not in rec or not isinstance(rec.get("question"), str):
            raise InputError(f"{path}: line {n}: expected an object with \"id\" and a string \"question\"")
        rid = str(rec["id"])
        if rid in seen:
            raise InputError(f"{path}: line {n}: duplicate id {rid!r}")
        seen.add(rid)
        out.append(rec)
    if not out:
        raise InputError(f"{path}: no questions")
    return out


def _show(answer: Any) -> str:
    if answer.is_no_answer:
        if answer.no_answer_score is None:
            return "the articles do not answer this (nothing to read)"
        return (f"the articles do not answer this (best guess {answer.best_guess or '-'!r}: score "
                f"{answer.score:.2f}, margin {answer.margin:.2f} over the no-answer score is below "
                "reader.no_answer_threshold; --json has it)")
    lines = [f"{answer.text}    [score {answer.score:.2f}; {answer.article_title or answer.article_id} "
             f"@{answer.start}-{answer.end}]"]
    if answer.text_en is not None:
        lines.append(f"  en: {answer.text_en}")
    if answer.sentence is not None:
        lines.append(f"  sentence: {answer.sentence.text}")
    if answer.sentence_en is not None:
        lines.append(f"  sentence (en): {answer.sentence_en}")
    return "\n".join(lines)


def register(app: typer.Typer) -> None:
    """Add ``ask`` to ``app``."""

    @app.command("ask")
    def ask(
        question: Annotated[str | None, typer.Argument(help="The question (Chinese or English)")] = None,
        index: Annotated[Path | None, typer.Option("--index", "-i", help="Index directory")] = None,
        k: Annotated[int | None, typer.Option("-k", "--top-k", help="Passages to read (default: config)")
                     ] = None,
        as_json: Annotated[bool, typer.Option("--json", help="Print answers as JSON")] = False,
        questions: Annotated[Path | None, typer.Option("--questions", help="JSONL file of questions")
                             ] = None,
        out: Annotated[Path | None, typer.Option("--out", "-o", help="Answers JSONL (with --questions)")
                       ] = None,
        translate: Annotated[bool | None, typer.Option(
            "--translate/--no-translate", help="English renderings (default: for English questions)")] = None,
        config: Path | None = ConfigOpt,
        sets: list[str] | None = SetOpt,
    ) -> None:
        """Answer QUESTION (or every line of --questions) from the articles in --index."""
        from ..pipeline import RegioQA

        if index is None:
            raise InputError("--index is required (an index directory from `regioqa index build`)")
        if (question is None) == (questions is None):
            raise InputError("give either a QUESTION or --questions FILE.jsonl (not both)")
        if questions is not None and out is None:
            raise InputError("--questions needs --out answers.jsonl")
        if k is not None and k <= 0:
            raise InputError(f"-k must be a positive integer, got {k}")
        cfg = load_config(config, sets)
        qa = RegioQA.load(index, config=cfg)
        if question is not None:
            answers = qa.ask(question, k=k, translate=translate)
            if as_json:
                typer.echo(json.dumps({"question": question, "answers": [a.to_dict() for a in answers]},
                                      ensure_ascii=False, indent=2))
            else:
                typer.echo("\n".join(_show(a) for a in answers))
            return
        assert questions is not None and out is not None
        recs = read_questions(questions)
        from tqdm import tqdm

        from ..io import JsonlAppender, read_jsonl_tolerant

        done = {str(r.get("id")) for r in read_jsonl_tolerant(out)}
        todo = [r for r in recs if str(r["id"]) not in done]
        with JsonlAppender(out) as w:
            for r in tqdm(todo, desc="ask", unit="q", disable=not todo):
                try:
                    answers = qa.ask(r["question"], k=k, translate=translate)
                    w.write({**r, "answers": [a.to_dict() for a in answers]})
                except InputError as e:  # one bad question does not stop the batch
                    w.write({**r, "answers": [], "error": str(e)})
        typer.echo(f"wrote {out} ({len(todo)} answered, {len(done & {str(r['id']) for r in recs})} "
                   "already there)")
