"""Build the gold evaluation set from the hand-written sources and the built corpus.

The hand-written files in ``evals/gold/source/`` hold no offsets: each QA item has its answer text
and a short context snippet that occurs exactly once in its article body; each translation
reference has the exact Chinese sentence. This script finds them in ``corpus/articles.jsonl``
(ids ``f"{PAGE_STEM}-a{k}"``) and writes, into ``regioqa/data/gold/`` (package data, so that an
installed regioqa can run ``regioqa eval gold``):

- ``qa.jsonl``: one question per line with ``article_id``, ``start``/``end`` (``text[start:end] ==
  answer``), all acceptable ``answers`` and the ``paragraphs`` (indices into ``Article.paragraphs``)
  that hold the answer. Chunk labels are derived at eval time from the offsets.
- ``qa_squad.json``: the same questions in SQuAD 2.0 format (one context per article body), for
  ``regioqa eval qa --squad``.
- ``translations.jsonl``, ``summaries.jsonl`` and ``manifest.json`` (counts + corpus checksum);
- ``articles.jsonl``: the corpus the offsets index into, as read.

Any snippet that is missing, ambiguous or lacks its answer stops the build with the source line.

Run it whenever the corpus body text changes::

    .venv/bin/python evals/gold/build.py            # or: --articles other/articles.jsonl --out DIR
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from regioqa.errors import InputError  # noqa: E402
from regioqa.io import atomic_write_json, atomic_write_text  # noqa: E402
from regioqa.paths import GOLD_DIR  # noqa: E402
from regioqa.types import Article  # noqa: E402

PAGE_STEM = "000_925fbcf3af44d05b"
SOURCE_DIR = HERE / "source"


def article_id(k: int) -> str:
    """Article id of the k-th article of the page (1 Hohhot, 2 Shanxi, 3 Gansu)."""
    return f"{PAGE_STEM}-a{k}"


def corpus_checksum(articles: dict[str, Article]) -> str:
    """sha256 over the ids and bodies the offsets refer to (order-independent)."""
    h = hashlib.sha256()
    for aid in sorted(articles):
        h.update(aid.encode())
        h.update(b"\0")
        h.update(articles[aid].text.encode())
        h.update(b"\0")
    return h.hexdigest()


def read_source(path: Path) -> list[tuple[int, dict[str, Any]]]:
    out = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            out.append((n, json.loads(line)))
        except json.JSONDecodeError as e:
            raise InputError(f"{path}:{n}: invalid JSON ({e.msg})") from e
    return out


def records(src: Path, arts: dict[str, Article]) -> list[tuple[str, str, dict[str, Any]]]:
    """``(where, article_id, record)`` for each source line, checking that the article exists."""
    out = []
    for n, r in read_source(src):
        where = f"{src}:{n} ({r.get('id')})"
        aid = article_id(int(r["article"]))
        if aid not in arts:
            raise InputError(f"{where}: article {aid} not in the corpus")
        out.append((where, aid, r))
    return out


def load_corpus(path: Path) -> dict[str, Article]:
    if not path.exists():
        raise InputError(f"{path} not found; build the corpus first (regioqa corpus build)")
    try:
        from regioqa.corpus import read_articles_jsonl

        arts = read_articles_jsonl(path)
    except ImportError:  # corpus module not there: plain JSONL of Article dicts
        arts = [Article.from_dict(json.loads(x)) for x in path.read_text(encoding="utf-8").splitlines()
                if x.strip()]
    return {a.id: a for a in arts}


def locate(body: str, snippet: str, answer: str, where: str) -> tuple[int, int]:
    """Offsets of ``answer`` inside the unique occurrence of ``snippet`` in ``body``."""
    n = body.count(snippet)
    if n != 1:
        raise InputError(f"{where}: context {snippet!r} occurs {n} times in the article body "
                         "(need exactly 1)")
    i = body.index(snippet)
    j = snippet.find(answer)
    if j < 0:
        raise InputError(f"{where}: answer {answer!r} is not inside its context {snippet!r}")
    return i + j, i + j + len(answer)


def paragraphs_of(art: Article, start: int, end: int) -> list[int]:
    """Indices of the article paragraphs overlapping ``[start, end)``."""
    spans = art.paragraphs
    return [i for i, p in enumerate(spans) if p.start < end and start < p.end]


def build_qa(src: Path, arts: dict[str, Article]) -> list[dict[str, Any]]:
    out, seen = [], set()
    for where, aid, r in records(src, arts):
        if r["id"] in seen:
            raise InputError(f"{where}: duplicate id")
        seen.add(r["id"])
        art = arts[aid]
        rec: dict[str, Any] = {"id": r["id"], "lang": r["lang"], "type": r["type"], "question": r["question"],
                               "article_id": aid, "answerable": r["answer"] is not None}
        if r["answer"] is None:
            rec.update(answer="", start=None, end=None, answers=[], paragraphs=[], context=None)
        else:
            s, e = locate(art.text, r["context"], r["answer"], where)
            assert art.text[s:e] == r["answer"]
            answers = [r["answer"]] + [a for a in r.get("alternatives") or [] if a != r["answer"]]
            rec.update(answer=r["answer"], start=s, end=e, answers=answers,
                       paragraphs=paragraphs_of(art, s, e), context=r["context"])
        out.append(rec)
    return out


def build_translations(src: Path, arts: dict[str, Article]) -> list[dict[str, Any]]:
    out = []
    for where, aid, r in records(src, arts):
        s, e = locate(arts[aid].text, r["zh"], r["zh"], where)
        out.append({"id": r["id"], "article_id": aid, "start": s, "end": e, "zh": r["zh"], "en": r["en"]})
    return out


def build_summaries(src: Path, arts: dict[str, Article]) -> list[dict[str, Any]]:
    out = []
    for where, aid, r in records(src, arts):
        for f in r["facts"]:
            if not f["keys"] or not all(f["keys"]):
                raise InputError(f"{where}: fact {f['fact']!r} has an empty key group")
        out.append({"id": r["id"], "article_id": aid, "title": arts[aid].title, "summary": r["summary"],
                    "facts": r["facts"]})
    return out


def squad(qa: list[dict[str, Any]], arts: dict[str, Article]) -> dict[str, Any]:
    """SQuAD 2.0 view: one paragraph (the whole body) per article."""
    data = []
    for aid in sorted({q["article_id"] for q in qa}):
        art = arts[aid]
        qas = []
        for q in qa:
            if q["article_id"] != aid:
                continue
            ans = [{"text": q["answer"], "answer_start": q["start"]}] if q["answerable"] else []
            qas.append({"id": q["id"], "question": q["question"], "answers": ans,
                        "is_impossible": not q["answerable"]})
        data.append({"title": art.title, "paragraphs": [{"context": art.text, "qas": qas}]})
    return {"version": "v2.0", "data": data}


def write_jsonl(path: Path, rows: list[dict[str, Any]]) -> None:
    atomic_write_text(path, "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))


def build(articles_path: Path, out_dir: Path, source_dir: Path = SOURCE_DIR) -> dict[str, Any]:
    """Build every gold file into ``out_dir``; returns the manifest."""
    arts = load_corpus(articles_path)
    qa = build_qa(source_dir / "qa.jsonl", arts)
    tr = build_translations(source_dir / "translations.jsonl", arts)
    su = build_summaries(source_dir / "summaries.jsonl", arts)
    write_jsonl(out_dir / "qa.jsonl", qa)
    write_jsonl(out_dir / "translations.jsonl", tr)
    write_jsonl(out_dir / "summaries.jsonl", su)
    atomic_write_json(out_dir / "qa_squad.json", squad(qa, arts), indent=1)
    atomic_write_text(out_dir / "articles.jsonl", articles_path.read_text(encoding="utf-8"))
    used = {q["article_id"] for q in qa} | {t["article_id"] for t in tr} | {s["article_id"] for s in su}
    manifest = {
        "corpus": (str(articles_path.relative_to(REPO)) if articles_path.is_relative_to(REPO)
                   else str(articles_path)),
        "corpus_checksum": corpus_checksum({a: arts[a] for a in used}),
        "articles": sorted(used),
        "qa": {"total": len(qa), "by_lang": dict(Counter(q["lang"] for q in qa)),
               "unanswerable": sum(not q["answerable"] for q in qa),
               "by_type": dict(sorted(Counter(q["type"] for q in qa).items())),
               "by_article": dict(sorted(Counter(q["article_id"] for q in qa).items()))},
        "translations": len(tr),
        "summaries": len(su),
        "facts": sum(len(s["facts"]) for s in su),
    }
    atomic_write_json(out_dir / "manifest.json", manifest)
    return manifest


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--articles", type=Path, default=REPO / "corpus" / "articles.jsonl")
    ap.add_argument("--out", type=Path, default=GOLD_DIR)
    ap.add_argument("--source", type=Path, default=SOURCE_DIR)
    args = ap.parse_args(argv)
    try:
        manifest = build(args.articles, args.out, args.source)
    except InputError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(json.dumps(manifest, ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
