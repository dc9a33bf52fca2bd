"""Round-3 data for models/train_reader.py: English and mixed-language questions over Chinese passages,
the XQuAD split, and near-miss / off-topic unanswerable questions. Everything is built at run time
from ``../shared`` (seeded); nothing derived is committed.

Examples are dicts ``{"id", "article", "question", "context", "answers": [{"text", "start"}]}``
(``answers == []``: no answer), the shape of ``reader_squad.load_squad``. Each carries ``"lang"``
("zh" or "en", the question's language) and, for unanswerables, ``"kind"``.

>>> near_miss_zh({"id": "q", "article": "A", "question": "领新科技的总经理是谁？",
...               "context": "领新科技的董事长是郭晋宁。", "answers": []}, random.Random(0))["kind"]
'role'
"""

from __future__ import annotations

import json
import random
import re
from pathlib import Path
from typing import Any

# (Chinese, English) terms a near-miss question swaps one for another of the same kind
ROLES = [("董事长", "chairman"), ("总经理", "general manager"), ("副总经理", "deputy general manager"),
         ("总裁", "president"), ("首席执行官", "chief executive"), ("秘书长", "secretary-general"),
         ("副主席", "vice-chairman"), ("市长", "mayor"), ("副市长", "deputy mayor"),
         ("书记", "party secretary"), ("校长", "principal"), ("院长", "dean"), ("部长", "minister"),
         ("总理", "prime minister"),
         ("国王", "king"), ("皇帝", "emperor"), ("教练", "coach"), ("队长", "captain"), ("创始人", "founder"),
         ("妻子", "wife"), ("父亲", "father"), ("儿子", "son"), ("老师", "teacher"), ("导演", "director")]
UNITS = [("吨", "tonnes"), ("平方公里", "square kilometres"), ("公里", "kilometres"), ("公斤", "kilograms"),
         ("亿元", "hundred million yuan"), ("美元", "US dollars"), ("英镑", "pounds"), ("小时", "hours"),
         ("公顷", "hectares"), ("立方米", "cubic metres"), ("千瓦", "kilowatts"),
         ("摄氏度", "degrees Celsius")]
ATTRIBUTES = [("人口", "population"), ("面积", "area"), ("员工", "employees"), ("人数", "number of people"),
              ("收入", "revenue"), ("产量", "output"), ("高度", "height"), ("长度", "length"),
              ("重量", "weight"), ("温度", "temperature"), ("年龄", "age"), ("首都", "capital"),
              ("总部", "headquarters"), ("价格", "price"), ("预算", "budget"), ("利润", "profit"),
              ("出生地", "birthplace"), ("面值", "face value"), ("票房", "box office"), ("销量", "sales")]
KINDS = {"role": ROLES, "unit": UNITS, "attribute": ATTRIBUTES}
_YEAR_ZH = re.compile(r"(1[5-9]\d\d|20[0-4]\d)(?=年)")
_YEAR_EN = re.compile(r"\b(1[5-9]\d\d|20[0-4]\d)\b")

# questions about other places and topics (open-domain off-topic calibration and gold-style probes)
OFF_TOPIC_EN = [
    "What is the capital of Argentina?", "Who won the 2018 FIFA World Cup?", "How tall is Mount Kilimanjaro?",
    "What was Apple's revenue in 2021?", "Who wrote the novel Don Quixote?", "When did the Titanic sink?",
    "How many moons does Jupiter have?", "What currency is used in Brazil?", "Who painted the Mona Lisa?",
    "What is the population of Canada?", "Which team won the 2010 NBA finals?",
    "What is the boiling point of ethanol?", "Who is the chief executive of Toyota?",
    "How long is the Danube river?", "When was the Eiffel Tower built?", "What language is spoken in Peru?",
    "How many players are on a cricket team?", "Who discovered penicillin?",
    "What is the speed of sound in water?", "Which company makes the PlayStation?",
]
OFF_TOPIC_ZH = [
    "阿根廷的首都是哪里？", "2018年世界杯冠军是哪支球队？", "乞力马扎罗山有多高？",
    "苹果公司2021年的营收是多少？", "《堂吉诃德》的作者是谁？", "泰坦尼克号是哪一年沉没的？",
    "木星有多少颗卫星？", "巴西使用什么货币？", "《蒙娜丽莎》是谁画的？",
    "加拿大的人口是多少？", "2010年NBA总冠军是哪支球队？", "乙醇的沸点是多少度？",
    "丰田汽车的首席执行官是谁？", "多瑙河有多长？", "埃菲尔铁塔是哪一年建成的？",
    "秘鲁人说什么语言？", "一支板球队有几名球员？", "青霉素是谁发现的？",
    "声音在水中的速度是多少？", "PlayStation是哪家公司生产的？",
]


XQUAD_PARTS = ("train", "calib", "measure")


def xquad_part(i: int) -> str:
    """The part of XQuAD article ``i`` (0-based order of ``data``; see :func:`xquad_split`)."""
    return XQUAD_PARTS[i % 3]


def xquad_contexts(folder: Path) -> list[tuple[str, str]]:
    """``(part, Chinese paragraph)`` for every paragraph of ``xquad.zh.json``, in file order."""
    zh = json.loads((folder / "xquad.zh.json").read_text(encoding="utf-8"))["data"]
    return [(xquad_part(i), p["context"]) for i, art in enumerate(zh) for p in art["paragraphs"]]


def xquad_split(folder: Path) -> dict[str, list[dict[str, Any]]]:
    """XQuAD's 24 odd articles by index ``i`` (0-based order of ``data``): ``i % 3 == 0`` train,
    ``1`` calibration, ``2`` measurement (never trained or calibrated on). Each question appears twice:
    the English one (``xquad.en.json``) and the Chinese one, both on the Chinese paragraph."""
    en = json.loads((folder / "xquad.en.json").read_text(encoding="utf-8"))["data"]
    zh = json.loads((folder / "xquad.zh.json").read_text(encoding="utf-8"))["data"]
    en_q = {qa["id"]: qa["question"] for art in en for p in art["paragraphs"] for qa in p["qas"]}
    out: dict[str, list[dict[str, Any]]] = {"train": [], "calib": [], "measure": []}
    for i, art in enumerate(zh):
        part = xquad_part(i)
        for p in art["paragraphs"]:
            for qa in p["qas"]:
                answers = [{"text": a["text"], "start": int(a["answer_start"])} for a in qa["answers"]]
                base = {"article": f"xquad:{art['title']}", "context": p["context"], "answers": answers}
                out[part].append({**base, "id": qa["id"] + "#zh", "question": qa["question"].strip(),
                                  "lang": "zh"})
                out[part].append({**base, "id": qa["id"] + "#en", "question": en_q[qa["id"]].strip(),
                                  "lang": "en"})
    return out


def xquad_articles() -> dict[str, list[int]]:
    """Article indices of each XQuAD part (see :func:`xquad_split`)."""
    return {p: [i for i in range(24) if xquad_part(i) == p] for p in XQUAD_PARTS}


def _swap(question: str, context: str, table: list[tuple[str, str]], col: int, rng: random.Random
          ) -> str | None:
    """Replace the first term of ``table`` found in ``question`` by another whose Chinese form is absent
    from ``context`` (so the perturbed question has no answer there)."""
    pat = (lambda t: re.escape(t)) if col == 0 else (lambda t: r"\b" + re.escape(t) + r"\b")
    for zh, en in sorted(table, key=lambda t: -len(t[col])):  # longest first: 副总经理 before 总经理
        term = (zh, en)[col]
        m = re.search(pat(term), question, flags=0 if col == 0 else re.I)
        if not m:
            continue
        others = [t for t in table if t[0] != zh and t[0] not in context and zh not in t[0]
                  and t[0] not in zh]
        if not others:
            return None
        new = rng.choice(others)[col]
        return question[:m.start()] + new + question[m.end():]
    return None


def _year_swap(question: str, context: str, pattern: re.Pattern[str], rng: random.Random) -> str | None:
    m = pattern.search(question)
    if not m:
        return None
    y = int(m.group(1))
    cands = [str(y + d) for d in (-3, -2, -1, 1, 2, 3) if str(y + d) not in context]
    if not cands:
        return None
    return question[:m.start(1)] + rng.choice(cands) + question[m.end(1):]


def near_miss(e: dict[str, Any], rng: random.Random, lang: str) -> dict[str, Any] | None:
    """A near-miss unanswerable copy of ``e`` (its question in ``lang``): a year, role, unit or attribute
    swapped for one its passage does not contain; None when no swap applies."""
    q, ctx = e["question"], e["context"]
    col = 0 if lang == "zh" else 1
    kinds = ["year", "role", "unit", "attribute"]
    rng.shuffle(kinds)
    for kind in kinds:
        if kind == "year":
            new = _year_swap(q, ctx, _YEAR_ZH if lang == "zh" else _YEAR_EN, rng)
        else:
            new = _swap(q, ctx, KINDS[kind], col, rng)
        if new and new != q:
            return {**e, "id": f"{e['id']}#nm-{kind}", "question": new, "answers": [], "kind": kind,
                    "lang": lang}
    return None


def near_miss_zh(e: dict[str, Any], rng: random.Random) -> dict[str, Any] | None:
    """:func:`near_miss` for a Chinese question."""
    return near_miss(e, rng, "zh")


def off_topic(examples: list[dict[str, Any]], rng: random.Random, n: int) -> list[dict[str, Any]]:
    """``n`` questions paired with a paragraph of another article (no answer; kind "off-topic")."""
    by_art: dict[str, list[str]] = {}
    for e in examples:
        by_art.setdefault(e["article"], [])
        if e["context"] not in by_art[e["article"]]:
            by_art[e["article"]].append(e["context"])
    arts = sorted(by_art)
    out = []
    for e in rng.sample(examples, min(n, len(examples))):
        other = rng.choice([a for a in arts if a != e["article"]] or arts)
        ctx = rng.choice(by_art[other])
        if any(a["text"] in ctx for a in e["answers"]):
            continue
        out.append({**e, "id": e["id"] + "#off", "context": ctx, "answers": [], "kind": "off-topic"})
    return out


class Renderer:
    """English and mixed-language renderings of Chinese questions by the project's lexical translator."""

    def __init__(self) -> None:
        from regioqa.translate import LexicalTranslator

        self.tr = LexicalTranslator()

    def english(self, questions: list[str]) -> list[str]:
        """Whole-question English renderings (``regioqa.translate``)."""
        return [re.sub(r"\?+$", "?", t.strip()) for t in self.tr.translate(questions)]

    def mixed(self, question: str, rng: random.Random) -> str:
        """A code-mixed question: jieba words, about half rendered in English, the rest kept Chinese."""
        import jieba

        out = []
        for w in jieba.cut(question):
            if w.strip() and rng.random() < 0.5 and re.search(r"[\u4e00-\u9fff]", w):
                out.append(" " + self.tr.translate_one(w).strip(" ?？") + " ")
            else:
                out.append(w)
        return re.sub(r"\s+", " ", "".join(out)).strip()


def round3_extras(train: list[dict[str, Any]], seed: int, en_frac: float, mixed_frac: float,
                  near_miss_frac: float) -> list[dict[str, Any]]:
    """English (``#en``) and mixed (``#mix``) renderings of a seeded share of the Chinese training
    questions, and near-miss unanswerables (Chinese, and English renderings of half of them)."""
    rng = random.Random(seed + 3)
    r = Renderer()
    pick_en = [e for e in train if rng.random() < en_frac]
    en = [{**e, "id": e["id"] + "#en", "question": q, "lang": "en"}
          for e, q in zip(pick_en, r.english([e["question"] for e in pick_en]), strict=True) if q]
    mix = [{**e, "id": e["id"] + "#mix", "question": r.mixed(e["question"], rng), "lang": "en"}
           for e in train if rng.random() < mixed_frac]
    nm = [x for e in train if rng.random() < near_miss_frac if (x := near_miss_zh(e, rng))]
    half = nm[::2]
    nm_en = [{**x, "id": x["id"] + "-en", "question": q, "lang": "en"}
             for x, q in zip(half, r.english([x["question"] for x in half]), strict=True)]
    return en + mix + nm + nm_en
