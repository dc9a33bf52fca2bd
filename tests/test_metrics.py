"""Each metric pinned on small cases computed by hand (the arithmetic is in the comments)."""

from __future__ import annotations

import math

import pytest

from regioqa.evals import metrics as M

# ----------------------------------------------------------------------------- Chinese QA (CMRC 2018)


def test_cmrc_tokens_split_cjk_chars_keep_other_tokens_whole_and_drop_punctuation():
    assert M.cmrc_tokens("“蒙科聚”平台") == ["蒙", "科", "聚", "平", "台"]
    assert M.cmrc_tokens("AI相关技术") == ["ai", "相", "关", "技", "术"]
    assert M.cmrc_tokens("提升产量31.5%。") == ["提", "升", "产", "量", "31.5"]
    assert M.cmrc_tokens("蒙草生态环境(集团)") == list("蒙草生态环境集团")
    assert M.cmrc_tokens("  ，。 ") == []
    # full-width digits (NFKC) match ASCII ones
    assert M.cmrc_tokens("３０") == ["30"]


def test_cmrc_em_ignores_punctuation_and_whitespace_and_takes_max_over_references():
    assert M.cmrc_em("“晋创谷”", ["晋创谷"]) == 1.0
    assert M.cmrc_em("腾讯 、抖音", ["腾讯、抖音"]) == 1.0
    assert M.cmrc_em("第30位", ["30", "第30位"]) == 1.0
    assert M.cmrc_em("第30", ["第30位"]) == 0.0
    assert M.cmrc_em("31.5%", ["31.5"]) == 1.0
    assert M.cmrc_em("315", ["31.5"]) == 0.0  # the decimal point is not punctuation inside a number


def test_cmrc_f1_uses_longest_common_substring():
    # pred 国家乳业技术创新中心 (10 chars), ref 乳业技术创新中心 (8): substring 8 -> P 0.8, R 1 -> F1 8/9
    assert M.cmrc_f1("国家乳业技术创新中心", ["乳业技术创新中心"]) == pytest.approx(16 / 18)
    # pred 甲乙X丙丁 vs ref 甲乙丙丁: longest common *substring* is 2 (a subsequence would be 4)
    # P = 2/5, R = 2/4 -> F1 = 2*0.4*0.5/0.9 = 4/9
    assert M.cmrc_f1("甲乙x丙丁", ["甲乙丙丁"]) == pytest.approx(4 / 9)
    # max over references: 0 against the first, 1 against the second
    assert M.cmrc_f1("何剑", ["范峰", "何剑"]) == 1.0
    assert M.cmrc_f1("何剑", ["范峰"]) == 0.0
    # a number token counts as one token: pred [14, 吨] vs ref [14] -> P 1/2, R 1 -> 2/3
    assert M.cmrc_f1("14吨", ["14"]) == pytest.approx(2 / 3)
    # empty prediction
    assert M.cmrc_f1("", ["何剑"]) == 0.0


# ---------------------------------------------------------------------------------------- SQuAD


def test_squad_normalisation_and_scores():
    assert M.squad_normalize("The Rhine, and an ETH!") == "rhine and eth"
    assert M.squad_em("The Cat!", ["cat"]) == 1.0
    # pred [cat, sat] vs ref [cat, sat, down]: overlap 2 -> P 1, R 2/3 -> F1 0.8
    assert M.squad_f1("the cat sat", ["a cat sat down"]) == pytest.approx(0.8)
    # bag of tokens, not order: [b, a] vs [a, b] -> 1
    assert M.squad_f1("b a", ["a b"]) == 1.0
    assert M.squad_f1("dog", ["cat"]) == 0.0


def test_qa_em_f1_dispatches_on_script_and_item_scores_handle_abstention():
    assert M.qa_em_f1("cat sat", ["a cat sat down"]) == (0.0, pytest.approx(0.8))  # SQuAD path
    # CJK in a reference -> CMRC path: pred 3 chars, ref 5, common substring 3 -> P 1, R 0.6 -> F1 0.75
    assert M.qa_em_f1("李孔燕", ["局长李孔燕"]) == (0.0, pytest.approx(2 * 1 * 0.6 / 1.6))
    assert M.qa_item_scores(None, []) == (1.0, 1.0)
    assert M.qa_item_scores("", []) == (1.0, 1.0)
    assert M.qa_item_scores("北京", []) == (0.0, 0.0)
    assert M.qa_item_scores(None, ["北京"]) == (0.0, 0.0)
    assert M.qa_item_scores("北京", ["北京"]) == (1.0, 1.0)
    with pytest.raises(ValueError):
        M.qa_em_f1("x", [])


def test_best_threshold_by_hand():
    # scores 0.2 (wrong answer to an unanswerable q), 0.5 (right), 0.9 (right)
    # t=-inf: answer all -> (0+1+1)/3; t=0.5: abstain on 0.2 -> (1+1+1)/3 = 1; t=0.9: (1+0+1)/3
    assert M.best_threshold([0.5, 0.2, 0.9], [1.0, 0.0, 1.0], [0.0, 1.0, 0.0]) == (0.5, 1.0)
    # nothing gains from abstaining -> answer everything
    assert M.best_threshold([0.1, 0.2], [1.0, 0.5], [0.0, 0.0]) == (float("-inf"), 0.75)
    # equal scores cannot be split: abstain on both (2 unanswerable-ish rows + 1 answered) or none
    t, f1 = M.best_threshold([0.3, 0.3, 0.8], [0.0, 1.0, 1.0], [1.0, 0.0, 0.0])
    assert (t, f1) == (float("-inf"), pytest.approx(2 / 3))
    # abstaining on everything: threshold above the top score
    assert M.best_threshold([0.3], [0.0], [1.0]) == (float("inf"), 1.0)
    assert M.best_threshold([], [], []) == (float("-inf"), 0.0)


# ------------------------------------------------------------------------------------ retrieval


def test_recall_mrr_ndcg_by_hand():
    ranked, rel = ["x", "a", "y", "b"], {"a", "b"}
    assert M.recall_at_k(ranked, rel, 1) == 0.0
    assert M.recall_at_k(ranked, rel, 2) == 0.5
    assert M.recall_at_k(ranked, rel, 4) == 1.0
    assert M.mrr_at_k(ranked, rel, 10) == 0.5
    assert M.mrr_at_k(ranked, rel, 1) == 0.0
    # DCG = 1/log2(3) + 1/log2(5); IDCG = 1 + 1/log2(3)
    dcg = 1 / math.log2(3) + 1 / math.log2(5)
    assert M.ndcg_at_k(ranked, rel, 10) == pytest.approx(dcg / (1 + 1 / math.log2(3)))
    assert M.ndcg_at_k(["a"], {"a"}, 10) == 1.0
    with pytest.raises(ValueError):
        M.recall_at_k(ranked, set(), 5)


def test_retrieval_metrics_alternatives_vs_all_relevant():
    runs = [(["x", "b", "a"], {"a", "b"}), (["a"], {"a"}), (["x", "y"], {"a"})]
    alt = M.retrieval_metrics(runs, ks=(1, 2))
    # hit@1: 0, 1, 0 -> 1/3; hit@2: 1, 1, 0 -> 2/3; MRR: 1/2, 1, 0 -> 0.5
    assert alt["recall@1"] == pytest.approx(1 / 3, abs=1e-4)
    assert alt["recall@2"] == pytest.approx(2 / 3, abs=1e-4)
    assert alt["mrr@10"] == 0.5
    # nDCG with one ideal hit: 1/log2(3), 1, 0
    assert alt["ndcg@10"] == pytest.approx((1 / math.log2(3) + 1) / 3, abs=1e-4)
    every = M.retrieval_metrics(runs, ks=(2,), alternatives=False)
    # set recall@2: 1/2, 1, 0 -> 0.5
    assert every["recall@2"] == 0.5
    assert M.retrieval_metrics([]) == {"n": 0}


def test_abstention_precision_recall():
    # abstained on q1 (unanswerable), q2 (answerable); q3 unanswerable answered
    m = M.abstention_metrics([True, True, False, False], [True, False, True, False])
    assert (m["precision"], m["recall"], m["f1"]) == (0.5, 0.5, 0.5)
    m = M.abstention_metrics([True, False, False], [True, True, True])
    assert (m["precision"], m["recall"]) == (1.0, pytest.approx(1 / 3, abs=1e-4))
    m = M.abstention_metrics([False, False], [False, True])
    assert (m["precision"], m["recall"], m["f1"]) == (0.0, 0.0, 0.0)
    with pytest.raises(ValueError):
        M.abstention_metrics([True], [True, False])


# ------------------------------------------------------------------------ translation / summaries


def test_bleu_and_chrf_bounds_and_order():
    ref = ["Hohhot ranked 30th among 288 cities in 2023."]
    assert M.corpus_bleu(ref, ref) == pytest.approx(100.0)
    assert M.corpus_chrf(ref, ref) == pytest.approx(100.0)
    assert M.corpus_bleu(["zzz qqq"], ref) == pytest.approx(0.0)
    close = M.corpus_chrf(["Hohhot ranked 30th among 288 cities."], ref)
    far = M.corpus_chrf(["The weather was fine."], ref)
    assert 0 < far < close < 100
    assert M.sentence_chrf(ref[0], ref[0]) == pytest.approx(100.0)


def test_rouge_tokens_and_rouge_l_by_hand():
    assert M.rouge_tokens("Hohhot 30th，呼和浩特 31.5%") == ["hohhot", "30th", "呼", "和", "浩", "特", "31.5"]
    # LCS(a b c d, a c b d) = 3 (a c d or a b d): P = R = F = 0.75
    assert M.rouge_l("a b c d", "a c b d") == {"precision": 0.75, "recall": 0.75, "f1": 0.75}
    # 呼和浩特市 vs 呼和浩特: LCS 4, P 4/5, R 1 -> F 8/9
    r = M.rouge_l("呼和浩特市", "呼和浩特")
    assert (r["precision"], r["recall"], r["f1"]) == (0.8, 1.0, round(8 / 9, 4))
    assert M.rouge_l("", "x")["f1"] == 0.0
    assert M.lcs_length(list("甲乙x丙丁"), list("甲乙丙丁")) == 4  # subsequence, unlike CMRC's substring


def test_fact_coverage_keys_respect_number_and_word_boundaries():
    assert M.fact_covered("Hohhot ranked 30th of 288", [["30th", "30"], ["288"]])
    assert not M.fact_covered("ranked 300th of 288", [["30"], ["288"]])  # 30 inside 300
    assert not M.fact_covered("ranked 1.30 of 288", [["30"], ["288"]])  # 30 inside 1.30
    assert M.fact_covered("10 ACADEMICIANS", [["academician"], ["10", "ten"]])  # case + suffix
    assert not M.fact_covered("potato fields", [["Tao"]])  # word start required
    assert M.fact_covered("8.62 million mu", [["8.62 million", "862"]])
    cov, hits = M.fact_coverage("Beijing and 974 brokers", [{"fact": "a", "keys": [["Beijing"]]},
                                                             {"fact": "b", "keys": [["974"]]},
                                                             {"fact": "c", "keys": [["Rhine"]]}])
    assert cov == pytest.approx(2 / 3) and hits == [True, True, False]


def test_number_consistency_uses_the_shared_number_check():
    res = M.number_consistency([("培育32家科技领军企业", "cultivated 32 leading firms"),
                                ("播种面积达862万亩", "planted on 8.62 million mu"),
                                ("培育32家企业", "cultivated 23 enterprises")])
    assert (res["n"], res["consistent"]) == (3, 2)
    assert res["rate"] == pytest.approx(0.6667, abs=1e-4)
    assert res["failures"][0]["index"] == 2 and res["failures"][0]["missing"] == [32]
    assert M.number_consistency([])["rate"] == 1.0
