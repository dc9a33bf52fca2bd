"""Early-exit stopping rules simulated from per-question readings: each form of each question (the
key-term form 0 and, for English under ``english_question=both``, the English form 1) is read over the
top 1, 2 and 5 hits, and the rules below are replayed from those readings (F1, share of questions that
stop at the first stage, passages read per question). How the staged default of ``RegioQA.read`` was
chosen (README, "Early exit").

    .venv/bin/python benchmarks/early_exit_readings.py --questions gold-en        # gold English, ~2 min
    .venv/bin/python benchmarks/early_exit_readings.py --questions calib-en --shared ../shared  # ~7 min
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from regioqa.evals import metrics as M  # noqa: E402
from regioqa.io import atomic_write_json  # noqa: E402
from regioqa.pipeline import RegioQA, confidence, is_english  # noqa: E402
from regioqa.reader import question_lang  # noqa: E402

PREFIXES = (1, 2, 5)
# name -> stages (reading "form@hits", exit margin); the last stage always answers. Each passage is read
# once (the reader keeps scores between stages), so a question costs, per form, the most hits read in it
RULES = {
    "read all 5": [("all@5", 0)],
    "2 hits, then all (session 8)": [("all@2", 2), ("all@5", 0)],
    "1 hit, 2, then all": [("all@1", 2), ("all@2", 2), ("all@5", 0)],
    "1 hit, 2, then all; margin 1": [("all@1", 1), ("all@2", 1), ("all@5", 0)],
    "1 hit, 2, then all; margin 0": [("all@1", 0), ("all@2", 0), ("all@5", 0)],
    "key-term form over 2 hits first": [("0@2", 2), ("all@2", 2), ("all@5", 0)],
    "English form over 2 hits first": [("1@2", 2), ("all@2", 2), ("all@5", 0)],
}

def readings(qa: RegioQA, question: str, hits: list, articles: dict, refs: list[str]) -> dict:
    """``{"form@n": (answered, margin, f1)}`` for each form alone and for the best of them ("all")."""
    lang = question_lang(question)
    forms = qa.reader_questions(question, [h.chunk.text for h in hits])
    out = {}
    for n in PREFIXES:
        runs = qa.reader.run_many(forms, hits[:n], articles, lang=lang)
        for key, run in [(str(i), r) for i, r in enumerate(runs)] + [("all", max(runs, key=confidence))]:
            a = qa.check(question, run, hits[:n])[0]
            answered = not a.is_no_answer and bool(a.text)
            out[f"{key}@{n}"] = (answered, a.margin, M.qa_item_scores(a.text if answered else None, refs)[1])
    return out


def replay(rows: list[dict], stages: list) -> tuple[float, float, float]:
    """F1 on the answerable rows, share stopping at the first stage, passages read per question."""
    f1, first, cost = 0.0, 0, 0
    for r in rows:
        forms = 2 if "1@5" in r["readings"] else 1
        read = [0] * forms
        # a question read in one form skips the English-form stages
        usable = [(k, m) for k, m in stages if forms == 2 or not k.startswith("1@")]
        for i, (key, margin) in enumerate(usable):
            form, n = key.split("@")
            for f in range(forms) if form == "all" else [int(form)]:
                read[f] = max(read[f], int(n))
            got = r["readings"][key]
            if i == len(usable) - 1 or (got[0] and got[1] >= margin):
                first += i == 0
                break
        f1 += got[2] if r["answerable"] else 0.0
        cost += sum(read)
    return 100 * f1 / max(sum(r["answerable"] for r in rows), 1), first / len(rows), cost / len(rows)

def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--questions", required=True,
                    choices=["gold-en", "gold-zh", "calib-en", "calib-zh", "measure-en", "measure-zh"])
    ap.add_argument("--index", type=Path, default=REPO / "out" / "index", help="gold: the corpus index")
    ap.add_argument("--shared", type=Path, default=REPO.parent / "shared")
    ap.add_argument("--ids", type=Path, default=REPO / "out" / "xquad-ids",
                    help="XQuAD id lists (python models/train_reader.py --xquad-ids out/xquad-ids)")
    ap.add_argument("--json", type=Path, default=None, help="write the readings here")
    args = ap.parse_args()
    part, lang = args.questions.split("-")
    rows = []
    if part == "gold":
        from regioqa.evals.gold import load_qa

        qa = RegioQA.load(args.index)
        for it in (i for i in load_qa() if is_english(i.question) == (lang == "en")):
            hits = qa.index.search(it.question, k=5)
            rows.append({"id": it.id, "answerable": it.answerable,
                         "readings": readings(qa, it.question, hits, qa.index.articles, it.answers)})
    else:
        from regioqa.config import Config
        from regioqa.embed import Embedder
        from regioqa.evals.squad import questions_from, read_squad
        from regioqa.index import Index
        from regioqa.paths import xquad_dir
        from regioqa.types import Article

        x = xquad_dir(args.shared)
        cfg = Config()
        contexts, qs = read_squad(x / "xquad.zh.json")
        if lang == "en":
            qs, _ = questions_from(qs, x / "xquad.en.json")
        wanted = set((args.ids / f"{part}.txt").read_text().split())
        arts = [Article(id=f"p{i}", title="", text=c) for i, c in enumerate(contexts)]
        index = Index.build(arts, Embedder(config=cfg.embed), cfg, show_progress=False)
        qa = RegioQA(index, config=cfg)
        for q in (q for q in qs if q.id in wanted):
            hits = index.search(q.question, k=5)
            rows.append({"id": q.id, "answerable": q.answerable,
                         "readings": readings(qa, q.question, hits, index.articles, q.answers)})
    if args.json:
        atomic_write_json(args.json, rows)
    print(f"{args.questions}: {len(rows)} questions")
    print(f"{'rule':34} {'F1':>6} {'stop at 1st':>11} {'passages':>8}")
    for name, stages in RULES.items():
        f1, first, cost = replay(rows, stages)
        print(f"{name:34} {f1:6.2f} {first:11.2f} {cost:8.2f}")


if __name__ == "__main__":
    main()
