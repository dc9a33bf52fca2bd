"""``regioqa ask``: answer one question, or a JSONL file of questions, from an index.

regioqa ask "呼和浩特科技创新发展指数排名第几？" --index index/ -k 5
regioqa ask "How many member units does the dairy centre have?" --index index/ --json
regioqa ask --questions questions.jsonl --index index/ --out answers.jsonl

Batch input lines are ``{"id": ..., "question": ...}``; each output line keeps the id and adds
``answers`` (best first; an abstention has ``is_no_answer: true``), or ``error`` for a question that
could not be asked. An existing ``--out`` is resumed: ids answered there are skipped, failed ones are
asked again. The run counts answered, declined (no answer in the articles) and failed questions and
exits with status 1 when any failed (:data:`EXIT_FAILED`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from tqdm import tqdm

from ..errors import InputError
from ..escape import for_terminal
from ..io import JsonlAppender, read_jsonl_tolerant, resume_jsonl
from ..pipeline import RegioQA
from ..render.answers import write_answers_html
from .common import ConfigOpt, SetOpt, load_config
from .filters import SinceOpt, SourceOpt, UntilOpt, article_filter, dated

EXIT_FAILED = 1  # batch: some questions failed (their records carry "error"); 2 is a bad command line


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


def _show(answer: Any, article: Any = None) -> str:
    """An answer as terminal lines (article text escaped: no control codes reach the terminal)."""
    return for_terminal(_lines(answer, article))


def _lines(answer: Any, article: Any = None) -> str:
    if answer.is_no_answer:
        if answer.no_answer_score is None:
            return "the articles do not answer this (nothing to read)"
        if answer.unmet:
            return (f"the articles do not answer this (best guess {answer.best_guess or '-'!r}, but its "
                    f"passage or article does not state {', '.join(answer.unmet)}; --json has it)")
        return (f"the articles do not answer this (best guess {answer.best_guess or '-'!r}: score "
                f"{answer.score:.2f}, margin {answer.margin:.2f} over the no-answer score is below "
                "reader.no_answer_threshold; --json has it)")
    lines = [f"{answer.text}    [score {answer.score:.2f}; {answer.article_title or answer.article_id}"
             f"{dated(article)} @{answer.start}-{answer.end}]"]
    if answer.text_en is not None:
        lines.append(f"  en: {answer.text_en}")
    if answer.sentence is not None:
        lines.append(f"  sentence: {answer.sentence.text}")
    if answer.sentence_en is not None:
        lines.append(f"  sentence (en): {answer.sentence_en}")
    return "\n".join(lines)


def _lexical(qa: Any, answers: list[dict[str, Any]]) -> bool:
    """Whether the answers carry English renderings from a lexical (word-by-word) translator."""
    return any(a.get("text_en") for a in answers) and bool(getattr(qa.translator, "lexical", False))


def register(app: typer.Typer) -> None:
    """Add ``ask`` to ``app``."""

    @app.command("ask")
    def ask(
        question: Annotated[str | None, typer.Argument(help="The question (Chinese or English)")] = None,
        index: Annotated[Path | None, typer.Option("--index", "-i", help="Index directory")] = None,
        k: Annotated[int | None, typer.Option("-k", "--top-k", help="Passages to read (default: config)")
                     ] = None,
        n: Annotated[int | None, typer.Option("-n", "--answers", help="Answers to give, best first "
                                              "(default: reader.top_k, 1)")] = None,
        as_json: Annotated[bool, typer.Option("--json", help="Print answers as JSON")] = False,
        questions: Annotated[Path | None, typer.Option("--questions", help="JSONL file of questions")
                             ] = None,
        out: Annotated[Path | None, typer.Option("--out", "-o", help="Answers JSONL (with --questions)")
                       ] = None,
        translate: Annotated[bool | None, typer.Option(
            "--translate/--no-translate", help="English renderings (default: for English questions)")] = None,
        since: str | None = SinceOpt,
        until: str | None = UntilOpt,
        source: list[str] | None = SourceOpt,
        html: Annotated[Path | None, typer.Option("--html", help="Also write the answers as one HTML page")
                        ] = None,
        config: Path | None = ConfigOpt,
        sets: list[str] | None = SetOpt,
    ) -> None:
        """Answer QUESTION (or every line of --questions) from the articles in --index.

        With --questions: resumes an existing --out (answered ids skipped, failed ones asked again),
        prints how many were answered, declined and failed, and exits with status 1 when any failed
        (status 2: a bad command line, file or setting; nothing is written then).
        """
        if index is None:
            raise InputError("--index is required (an index directory from `regioqa index build`)")
        if (question is None) == (questions is None):
            raise InputError("give either a QUESTION or --questions FILE.jsonl (not both)")
        if questions is not None and out is None:
            raise InputError("--questions needs --out answers.jsonl")
        if question is not None and out is not None:
            raise InputError("--out goes with --questions (a single QUESTION prints its answers)")
        for name, v in (("-k", k), ("-n", n)):
            if v is not None and v <= 0:
                raise InputError(f"{name} must be a positive integer, got {v}")
        if out is not None and out.is_dir():
            raise InputError(f"--out {out} is a folder; give a .jsonl file")
        if html is not None and (html.is_dir() or html == out):
            raise InputError(f"--html {html} is a folder or the --out file; give a new .html file")
        if questions is not None and as_json:
            raise InputError("--json goes with a single QUESTION (--questions writes JSON records to --out)")
        where = article_filter(since, until, source)
        cfg = load_config(config, sets)
        recs = read_questions(questions) if questions is not None else []
        asked_with = {"k": k, "n": n, "translate": translate, "since": where.since, "until": where.until,
                      "sources": list(where.sources)}
        if out is not None:
            _check_resumable(out, asked_with)
        qa = RegioQA.load(index, config=cfg)
        if question is not None:
            answers = qa.ask(question, k=k, n=n, translate=translate, where=where)
            if html is not None:
                rows = [a.to_dict() for a in answers]
                write_answers_html(html, [{"id": "1", "question": question, "answers": rows}],
                                   qa.index.articles, lexical=_lexical(qa, rows))
            if as_json:
                typer.echo(json.dumps({"question": question, "answers": [a.to_dict() for a in answers]},
                                      ensure_ascii=False, indent=2))
            else:
                typer.echo("\n".join(_show(a, qa.index.articles.get(a.article_id)) for a in answers))
            return
        assert out is not None
        _ask_batch(qa, recs, out, k, n, translate, where, html, asked_with)


def _check_resumable(out: Path, asked_with: dict[str, Any]) -> None:
    """Refuse to resume an --out whose answers were asked with other options (filters, -k, -n ...)."""
    for r in read_jsonl_tolerant(out):
        if "asked_with" in r and r["asked_with"] != asked_with:
            raise InputError(f"{out} holds answers asked with other options ({r['asked_with']}); "
                             "give a new --out, or the same options to resume it")


def _ask_batch(qa: Any, recs: list[dict[str, Any]], out: Path, k: int | None, n: int | None,
               translate: bool | None, where: Any = None, html: Path | None = None,
               asked_with: dict[str, Any] | None = None) -> None:
    """Answer ``recs`` into ``out`` (resumed, see the module docstring); exit 1 when any failed."""
    res = resume_jsonl(out, wanted=[str(r["id"]) for r in recs])
    todo = [r for r in recs if str(r["id"]) not in res.done]
    answered = declined = failed = 0
    with JsonlAppender(out) as w:
        for r in tqdm(todo, desc="ask", unit="q", disable=not todo):
            try:
                answers = qa.ask(r["question"], k=k, n=n, translate=translate, where=where)
            except InputError as e:  # one bad question does not stop the batch
                w.write({**r, "answers": [], "error": str(e), "asked_with": asked_with})
                failed += 1
                continue
            w.write({**r, "answers": [a.to_dict() for a in answers], "asked_with": asked_with})
            if answers and answers[0].is_no_answer:
                declined += 1
            else:
                answered += 1
    retried = len(res.retry & {str(r["id"]) for r in todo})
    typer.echo(f"wrote {out}: {answered} answered, {declined} declined (no answer in the articles), "
               f"{failed} failed; {len(recs) - len(todo)} already there, {retried} retried after an "
               "earlier failure")
    if html is not None:
        order = {str(r["id"]): i for i, r in enumerate(recs)}  # the page follows the questions file
        done = sorted((r for r in read_jsonl_tolerant(out) if str(r.get("id")) in order),
                      key=lambda r: order[str(r["id"])])
        write_answers_html(html, done, qa.index.articles,
                           lexical=_lexical(qa, [a for r in done for a in r.get("answers", [])]))
        typer.echo(f"wrote {html}")
    if failed:
        typer.echo(f"error: {failed} question(s) failed; see the \"error\" field of their records in {out}",
                   err=True)
        raise typer.Exit(EXIT_FAILED)
