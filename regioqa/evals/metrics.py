"""Evaluation metrics: extractive QA, retrieval, abstention, translation and summaries.

QA, Chinese (CMRC 2018 style): text is lower-cased and split into single CJK characters, while runs of
other characters are split into whole tokens (numbers such as ``31.5`` and Latin words stay one token,
as nltk's ``word_tokenize`` does in the official script); punctuation and whitespace are dropped. F1 is
computed from the longest common *substring* of the two token lists (as the CMRC script's ``find_lcs``),
EM compares the token lists, and both take the maximum over the references.

Where this differs from the official CMRC 2018 script, and why:

- the official punctuation list is a fixed set of 31 symbols; here every Unicode punctuation character
  (category ``P*``) and the symbols of that list (``+ = ^ ` ~ |`` ...) are dropped, so ASCII ``( ) , .
  "`` and ``%`` no longer count as tokens (``"50%"`` equals ``"50"``; the page writes ``(集团)`` with
  ASCII brackets that the official list would keep);
- text is NFKC-normalised first, so full-width digits and letters match their ASCII forms;
- CJK means the CJK Unified Ideographs blocks (incl. extension A and compatibility), not only
  ``\\u4e00-\\u9fa5``;
- EM compares the token lists, so whitespace between Chinese characters does not count (the official
  EM compares strings after removing its punctuation list, keeping inner spaces);
- non-CJK runs are tokenised with a small regex instead of nltk (numbers with inner ``.``/``,`` and
  words with inner apostrophes are single tokens), so no nltk download is needed offline.

QA, English: SQuAD 1.1/2.0 ``normalize_answer`` (lower case, drop punctuation and articles, collapse
whitespace) with bag-of-tokens F1. :func:`qa_em_f1` picks the Chinese metric when any reference holds
CJK text. An unanswerable gold question scores 1 for an abstention and 0 for any answer (SQuAD 2.0).

>>> qa_em_f1("第30位", ["第30位", "30"])
(1.0, 1.0)
>>> round(cmrc_f1("呼和浩特市", ["呼和浩特"]), 3)
0.889
>>> recall_at_k(["c3", "c1"], {"c1"}, 1), mrr_at_k(["c3", "c1"], {"c1"}, 10)
(0.0, 0.5)
"""

from __future__ import annotations

import math
import re
import string
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

from ..numbers import check_numbers
from ..text import has_chinese as has_cjk

__all__ = [
    "cmrc_tokens", "cmrc_em", "cmrc_f1", "squad_normalize", "squad_em", "squad_f1", "has_cjk",
    "qa_em_f1", "qa_item_scores", "best_threshold", "recall_at_k", "mrr_at_k", "ndcg_at_k",
    "retrieval_metrics", "abstention_metrics", "corpus_bleu", "corpus_chrf", "sentence_chrf",
    "sentence_bleu", "rouge_tokens", "lcs_length", "rouge_l", "fact_covered", "fact_coverage",
    "number_consistency",
]

# ---------------------------------------------------------------------------------------------- QA

_CMRC_SP = set("-:_*^/\\~`+=，。：？！“”；’《》·、「」（）－～『』…|")
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ffff]")
_OTHER_TOKEN = re.compile(r"\d+(?:[.,]\d+)+|[^\W_]+(?:'[^\W_]+)*|\S", re.UNICODE)


def _is_punct(tok: str) -> bool:
    return all(ch in _CMRC_SP or unicodedata.category(ch).startswith("P") for ch in tok)


def cmrc_tokens(text: str) -> list[str]:
    """CMRC-style mixed segmentation without punctuation: CJK characters one by one, other runs as tokens.

    >>> cmrc_tokens("节水超30%，提升产量31.5%")
    ['节', '水', '超', '30', '提', '升', '产', '量', '31.5']
    >>> cmrc_tokens("Belt and Road “一带一路”")
    ['belt', 'and', 'road', '一', '带', '一', '路']
    """
    text = unicodedata.normalize("NFKC", str(text)).lower().strip()
    out: list[str] = []
    buf: list[str] = []

    def flush() -> None:
        if buf:
            out.extend(t for t in _OTHER_TOKEN.findall("".join(buf)) if not _is_punct(t))
            buf.clear()

    for ch in text:
        if _CJK.match(ch):
            flush()
            out.append(ch)
        elif ch in _CMRC_SP:
            flush()
        else:
            buf.append(ch)
    flush()
    return out


def _longest_common_substring(a: Sequence[str], b: Sequence[str]) -> int:
    best = 0
    prev = [0] * (len(b) + 1)
    for x in a:
        cur = [0] * (len(b) + 1)
        for j, y in enumerate(b, 1):
            if x == y:
                cur[j] = prev[j - 1] + 1
                if cur[j] > best:
                    best = cur[j]
        prev = cur
    return best


def cmrc_em(prediction: str, references: Iterable[str]) -> float:
    """1.0 when the normalised prediction equals any normalised reference."""
    p = cmrc_tokens(prediction)
    return float(any(cmrc_tokens(r) == p for r in references))


def cmrc_f1(prediction: str, references: Iterable[str]) -> float:
    """CMRC 2018 F1: longest-common-substring precision/recall over tokens, maximum over references.

    >>> cmrc_f1("科技局长李孔燕", ["李孔燕"])  # 3 of 7 predicted tokens, all 3 reference tokens
    0.6
    """
    p = cmrc_tokens(prediction)
    best = 0.0
    for ref in references:
        r = cmrc_tokens(ref)
        if not p or not r:
            best = max(best, float(p == r))
            continue
        lcs = _longest_common_substring(r, p)
        if lcs:
            prec, rec = lcs / len(p), lcs / len(r)
            best = max(best, 2 * prec * rec / (prec + rec))
    return best


_ARTICLES = re.compile(r"\b(a|an|the)\b")
_PUNCT = set(string.punctuation)


def squad_normalize(text: str) -> str:
    """SQuAD ``normalize_answer``: lower case, no punctuation, no articles, single spaces.

    >>> squad_normalize("The  Belt and Road!")
    'belt and road'
    """
    text = "".join(ch for ch in str(text).lower() if ch not in _PUNCT)
    return " ".join(_ARTICLES.sub(" ", text).split())


def squad_em(prediction: str, references: Iterable[str]) -> float:
    p = squad_normalize(prediction)
    return float(any(squad_normalize(r) == p for r in references))


def squad_f1(prediction: str, references: Iterable[str]) -> float:
    """SQuAD token F1 (bag of tokens), maximum over references.

    >>> squad_f1("the Rhine commission", ["International Commission for the Protection of the Rhine"])
    0.5
    """
    p = squad_normalize(prediction).split()
    best = 0.0
    for ref in references:
        r = squad_normalize(ref).split()
        if not p or not r:
            best = max(best, float(p == r))
            continue
        same = sum((Counter(p) & Counter(r)).values())
        if same:
            prec, rec = same / len(p), same / len(r)
            best = max(best, 2 * prec * rec / (prec + rec))
    return best


def qa_em_f1(prediction: str, references: Sequence[str]) -> tuple[float, float]:
    """``(EM, F1)`` of one answer: CMRC style when any reference has CJK text, else SQuAD style."""
    refs = list(references)
    if not refs:
        raise ValueError("qa_em_f1 needs at least one reference (use qa_item_scores for unanswerable)")
    if any(has_cjk(r) for r in refs):
        return cmrc_em(prediction, refs), cmrc_f1(prediction, refs)
    return squad_em(prediction, refs), squad_f1(prediction, refs)


def qa_item_scores(prediction: str | None, references: Sequence[str]) -> tuple[float, float]:
    """SQuAD 2.0 scoring with abstention: ``prediction`` None or "" means "no answer".

    >>> qa_item_scores(None, []), qa_item_scores("北京", []), qa_item_scores(None, ["北京"])
    ((1.0, 1.0), (0.0, 0.0), (0.0, 0.0))
    """
    abstained = not prediction
    if not references:
        return (1.0, 1.0) if abstained else (0.0, 0.0)
    if abstained:
        return 0.0, 0.0
    return qa_em_f1(prediction or "", references)


def best_threshold(
    scores: Sequence[float], f1_if_answered: Sequence[float], f1_if_abstained: Sequence[float]
) -> tuple[float, float]:
    """The no-answer threshold that maximises mean F1 (SQuAD 2.0's ``best_f1_thresh``) and that F1.

    A question is answered when its score is ``>= threshold``, else abstained. Returns
    ``(threshold, mean_f1)``; ``-inf`` means "answer everything". Tuned on the evaluated questions
    themselves, so it is an oracle figure: a diagnostic, not a held-out result.

    >>> best_threshold([0.9, 0.2, 0.5], [1.0, 0.0, 0.0], [0.0, 1.0, 1.0])  # abstain below 0.9
    (0.9, 1.0)
    """
    n = len(scores)
    if not (n == len(f1_if_answered) == len(f1_if_abstained)):
        raise ValueError("best_threshold: sequences differ in length")
    if n == 0:
        return float("-inf"), 0.0
    order = sorted(range(n), key=lambda i: scores[i])
    total = sum(f1_if_answered)  # threshold -inf: everything answered
    best_t, best = float("-inf"), total
    for j, i in enumerate(order):  # abstain on order[: j + 1]
        total += f1_if_abstained[i] - f1_if_answered[i]
        nxt = order[j + 1] if j + 1 < n else None
        if nxt is not None and scores[nxt] == scores[i]:
            continue  # a threshold cannot separate equal scores
        if total > best:
            best, best_t = total, (scores[nxt] if nxt is not None else float("inf"))
    return best_t, best / n


# ---------------------------------------------------------------------------------------- retrieval


def recall_at_k(ranked: Sequence[str], relevant: set[str], k: int) -> float:
    """Fraction of the relevant ids found in the top ``k`` (1.0/0.0 for a single relevant id)."""
    if not relevant:
        raise ValueError("recall_at_k needs at least one relevant id")
    return len(set(ranked[:k]) & relevant) / len(relevant)


def mrr_at_k(ranked: Sequence[str], relevant: set[str], k: int = 10) -> float:
    """Reciprocal rank of the first relevant id within the top ``k`` (0 when none)."""
    for i, x in enumerate(ranked[:k], 1):
        if x in relevant:
            return 1.0 / i
    return 0.0


def ndcg_at_k(ranked: Sequence[str], relevant: set[str], k: int = 10) -> float:
    """Binary-gain nDCG@k: ``sum 1/log2(rank+1)`` over relevant hits, over the ideal ranking's sum.

    >>> round(ndcg_at_k(["x", "a"], {"a"}, 10), 4)
    0.6309
    """
    if not relevant:
        raise ValueError("ndcg_at_k needs at least one relevant id")
    seen: set[str] = set()
    dcg = 0.0
    for i, x in enumerate(ranked[:k], 1):
        if x in relevant and x not in seen:
            dcg += 1.0 / math.log2(i + 1)
            seen.add(x)
    ideal = sum(1.0 / math.log2(i + 1) for i in range(1, min(len(relevant), k) + 1))
    return dcg / ideal


def retrieval_metrics(
    runs: Sequence[tuple[Sequence[str], set[str]]], ks: Sequence[int] = (1, 5, 10), alternatives: bool = True
) -> dict[str, float]:
    """Mean recall@k (each k), MRR@10 and nDCG@10 over ``(ranked ids, relevant ids)`` pairs.

    With ``alternatives`` (the default, and what the gold set needs) the relevant ids are
    interchangeable: each one alone holds the answer (e.g. two overlapping chunks that both contain
    it), so one is enough: recall@k is the hit rate (any relevant id in the top k) and nDCG@10 has a
    single ideal hit, ``1/log2(first rank + 1)``. With ``alternatives=False`` all relevant ids are
    needed: standard set recall and nDCG over every relevant id.

    >>> retrieval_metrics([(["a", "b"], {"a"}), (["b", "a"], {"a"})], ks=(1,))
    {'n': 2, 'recall@1': 0.5, 'mrr@10': 0.75, 'ndcg@10': 0.8155}
    >>> retrieval_metrics([(["x", "b", "a"], {"a", "b"})], ks=(2,), alternatives=False)["recall@2"]
    0.5
    """
    out: dict[str, Any] = {"n": len(runs)}
    if not runs:
        return out
    if alternatives:

        def rec(r: Sequence[str], rel: set[str], k: int) -> float:
            return float(bool(set(r[:k]) & rel))

        def ndcg(r: Sequence[str], rel: set[str], k: int) -> float:
            m = mrr_at_k(r, rel, k)
            return 1.0 / math.log2(1 / m + 1) if m else 0.0
    else:
        rec, ndcg = recall_at_k, ndcg_at_k
    for k in ks:
        out[f"recall@{k}"] = round(sum(rec(r, rel, k) for r, rel in runs) / len(runs), 4)
    out["mrr@10"] = round(sum(mrr_at_k(r, rel, 10) for r, rel in runs) / len(runs), 4)
    out["ndcg@10"] = round(sum(ndcg(r, rel, 10) for r, rel in runs) / len(runs), 4)
    return out


def abstention_metrics(abstained: Sequence[bool], unanswerable: Sequence[bool]) -> dict[str, float | int]:
    """Precision and recall of "no answer": precision = abstentions on truly unanswerable questions /
    all abstentions; recall = abstentions on unanswerable questions / all unanswerable questions.
    An undefined ratio (no abstentions, no unanswerable questions) is reported as 0.0.

    >>> abstention_metrics([True, True, False, False], [True, False, True, False])
    {'abstained': 2, 'unanswerable': 2, 'precision': 0.5, 'recall': 0.5, 'f1': 0.5}
    """
    if len(abstained) != len(unanswerable):
        raise ValueError("abstained and unanswerable differ in length")
    tp = sum(a and u for a, u in zip(abstained, unanswerable, strict=True))
    n_abs, n_un = sum(abstained), sum(unanswerable)
    p = tp / n_abs if n_abs else 0.0
    r = tp / n_un if n_un else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {
        "abstained": n_abs,
        "unanswerable": n_un,
        "precision": round(p, 4),
        "recall": round(r, 4),
        "f1": round(f, 4),
    }


# ----------------------------------------------------------------------------- translation / summary


def corpus_bleu(hypotheses: Sequence[str], references: Sequence[str]) -> float:
    """sacrebleu corpus BLEU (13a tokenizer, one reference per segment), 0-100."""
    import sacrebleu

    return float(sacrebleu.corpus_bleu(list(hypotheses), [list(references)]).score)


def corpus_chrf(hypotheses: Sequence[str], references: Sequence[str]) -> float:
    """sacrebleu corpus chrF (character 6-grams, beta 2), 0-100."""
    import sacrebleu

    return float(sacrebleu.corpus_chrf(list(hypotheses), [list(references)]).score)


def sentence_bleu(hypothesis: str, reference: str) -> float:
    import sacrebleu

    return float(sacrebleu.sentence_bleu(hypothesis, [reference]).score)


def sentence_chrf(hypothesis: str, reference: str) -> float:
    import sacrebleu

    return float(sacrebleu.sentence_chrf(hypothesis, [reference]).score)


_ROUGE_TOKEN = re.compile(r"\d+(?:[.,]\d+)+|[^\W_]+(?:'[^\W_]+)*", re.UNICODE)


def rouge_tokens(text: str) -> list[str]:
    """ROUGE tokens for Chinese and English alike: each CJK character, each word or number (lower case).

    >>> rouge_tokens("Hohhot ranked 30th，呼和浩特 31.5%")
    ['hohhot', 'ranked', '30th', '呼', '和', '浩', '特', '31.5']
    """
    text = unicodedata.normalize("NFKC", str(text)).lower()
    out: list[str] = []
    for piece in re.split(f"({_CJK.pattern})", text):
        if not piece:
            continue
        if _CJK.fullmatch(piece):
            out.append(piece)
        else:
            out.extend(_ROUGE_TOKEN.findall(piece))
    return out


def lcs_length(a: Sequence[str], b: Sequence[str]) -> int:
    """Length of the longest common subsequence (not substring) of two token lists."""
    if len(a) < len(b):
        a, b = b, a
    prev = [0] * (len(b) + 1)
    for x in a:
        cur = [0]
        for j, y in enumerate(b, 1):
            cur.append(prev[j - 1] + 1 if x == y else max(prev[j], cur[j - 1]))
        prev = cur
    return prev[-1]


def rouge_l(hypothesis: str, reference: str) -> dict[str, float]:
    """ROUGE-L precision, recall and F1 (beta 1) over :func:`rouge_tokens`.

    >>> rouge_l("Hohhot ranked 30th", "In 2023 Hohhot ranked 30th")
    {'precision': 1.0, 'recall': 0.6, 'f1': 0.75}
    """
    h, r = rouge_tokens(hypothesis), rouge_tokens(reference)
    lcs = lcs_length(h, r)
    if not lcs:
        return {"precision": 0.0, "recall": 0.0, "f1": 0.0}
    p, rc = lcs / len(h), lcs / len(r)
    return {"precision": round(p, 4), "recall": round(rc, 4), "f1": round(2 * p * rc / (p + rc), 4)}


def _key_pattern(key: str) -> re.Pattern[str]:
    k = re.escape(unicodedata.normalize("NFKC", key).lower())
    # a numeric key must not sit inside a longer number ("30" not in "300" or "1.30"); a word key must
    # start at a word boundary (so "Tao" does not match "potato") but may carry a suffix ("academicians").
    if key[:1].isdigit():
        return re.compile(rf"(?<![\d.,]){k}(?![\d]|[.,]\d)")
    return re.compile(rf"(?<![^\W_]){k}")


def fact_covered(text: str, keys: Sequence[Sequence[str]]) -> bool:
    """True when, for every key group, at least one alternative appears in ``text`` (case-insensitive).

    >>> fact_covered("Hohhot ranked 30th among 288 cities", [["30th", "30"], ["288"]])
    True
    >>> fact_covered("ranked 300th among 288 cities", [["30"], ["288"]])
    False
    """
    norm = unicodedata.normalize("NFKC", text).lower()
    return all(any(_key_pattern(k).search(norm) for k in group) for group in keys)


def fact_coverage(text: str, facts: Sequence[dict[str, Any]]) -> tuple[float, list[bool]]:
    """Fraction of ``facts`` (``{"fact": str, "keys": [[alt, ...], ...]}``) covered by ``text``."""
    hits = [fact_covered(text, f["keys"]) for f in facts]
    return (sum(hits) / len(hits) if hits else 0.0), hits


def _num(v: float) -> float | int:
    return int(v) if float(v).is_integer() else v


def number_consistency(pairs: Sequence[tuple[str, str]]) -> dict[str, Any]:
    """Share of ``(chinese, english)`` pairs whose numbers all survive, using :mod:`regioqa.numbers`.

    Returns ``{"n", "consistent", "rate", "failures": [{"index", "zh", "en", "detail"}]}``.
    """
    check = check_numbers
    fails = []
    ok = 0
    for i, (zh, en) in enumerate(pairs):
        res = check(zh, en)
        ok += res.ok
        if not res.ok:
            fails.append({"index": i, "zh": zh, "en": en, "missing": [_num(v) for v in res.missing]})
    n = len(pairs)
    return {"n": n, "consistent": ok, "rate": round(ok / n, 4) if n else 1.0, "failures": fails}
