"""Translation: the lexical offline translator, CC-CEDICT access, and the seq2seq path on tiny random models.

The seq2seq tests build randomly initialised Marian, M2M100, NLLB-style and mT5 models on the spot, with
tokenizers made here from corpus text (SentencePiece trained in the test; character vocabularies for
NLLB and mT5), save them to a temp dir and drive the real load, tokenise, generate and decode path.
Their outputs are gibberish: the tests check shapes, determinism, batching, splitting and errors.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import numpy as np
import pytest

from regioqa.config import TranslateConfig
from regioqa.dictionary import get_dictionary, load_function_words, load_glossary
from regioqa.errors import InputError, ModelNotFoundError
from regioqa.evals.wmt import read_wmt22
from regioqa.numbers import check_numbers
from regioqa.paths import GOLD_DIR
from regioqa.testing import TINY, build_tiny_marian, save_random, train_spm
from regioqa.translate import LexicalTranslator, Seq2SeqTranslator, load_translator
from regioqa.translate_lexical import rank_glosses
from regioqa.translate_rules import Unit, apply_rules, join_tokens

HAN = re.compile(r"[\u3400-\u9fff]")
GOLD_TRANSLATIONS = GOLD_DIR / "translations.jsonl"


@pytest.fixture(scope="module")
def lexical() -> LexicalTranslator:
    return LexicalTranslator()


@pytest.fixture(scope="module")
def corpus_sentences(page_path: Path) -> list[str]:
    from regioqa.corpus import load_articles
    from regioqa.text import sentences

    arts = load_articles(page_path)
    return [s.text for a in arts for s in sentences(a)] + [a.title for a in arts]


# -- dictionary ----------------------------------------------------------------------------------


def test_dictionary_senses_skip_surname_variant_and_classifier() -> None:
    d = get_dictionary()
    for w in ("和", "张", "单"):
        for s in d.senses(w):
            assert not s.lower().startswith(("surname", "variant", "old variant", "cl:", "classifier"))
    assert d.senses("和")[0] == "and"
    assert d.senses("发展", pos="v")[0] == "develop" and d.senses("发展", pos="n")[0] == "development"
    assert d.senses("不存在的词语xyz") == []


def test_dictionary_names_and_reverse_lookup() -> None:
    d = get_dictionary()
    assert d.name_pinyin("何剑") == "He Jian"
    assert d.name_pinyin("欧阳明高") == "Ouyang Minggao"  # two-character surname
    assert d.name_pinyin("郭晋宁") == "Guo Jinning"
    assert "创新" in d.to_chinese("innovation")
    assert d.to_chinese("Hohhot")[0] == "呼和浩特"  # glossary first, base form
    # a proper noun glossed "Melbourne, Australia" is found by its name (before: only the slang 猫本)
    assert d.to_chinese("Melbourne")[0] == "墨尔本" and d.to_chinese("Kenya")[0] == "肯尼亚"
    assert "瑞士法郎" not in d.to_chinese("Swiss", k=8)  # "Swiss franc" is no name with a description
    exp = dict(d.expand_english("How many member units did the dairy industry centre attract in Hohhot?"))
    assert exp["Hohhot"][0] == "呼和浩特" and "成员" in exp["member"]
    assert "How" not in exp and "in" not in exp
    # British spelling and a possessive: "centre's" is looked up as "center" (CC-CEDICT's spelling)
    exp = dict(d.expand_english("the dairy centre's innovation team"))
    assert exp["centre"][0] == "中心" and "innovation" in exp
    assert d.to_chinese("labour")[:1] == d.to_chinese("labor")[:1] and d.to_chinese("labour")
    # inflected words by their base form, hyphenated ones by their parts, numbers as digits (years also
    # as 2023年): none of these was found before
    exp = dict(d.expand_english("Which China-Tajikistan companies opened in 2023 with 3.5 billion?"))
    assert exp["companies"] == d.to_chinese("company", k=2) and exp["companies"]
    assert exp["China"][0] == "中国" and exp["Tajikistan"][0] == "塔吉克斯坦"
    assert exp["2023"] == ["2023年", "2023"] and exp["3.5"] == ["3.5"]
    assert "opened" in exp and "open" not in exp  # the phrase keeps the question's own word


def test_glossary_bad_line_names_file_and_line(tmp_path: Path) -> None:
    p = tmp_path / "g.tsv"
    p.write_text("# comment\n呼和浩特\tHohhot\tplace\nbroken line without tab\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"g\.tsv: line 3"):
        load_glossary(p)


def test_function_word_table_loads_and_rejects_bad_lines(tmp_path: Path) -> None:
    fw = load_function_words()
    assert fw["的"] == ("", "word") and fw["以来"] == ("since", "post") and fw["中/f"] == ("in", "word")
    p = tmp_path / "fw.tsv"
    p.write_text("# c\n的\t\tword\n的\tof\tword\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"fw\.tsv: line 3: '的' is listed twice"):
        load_function_words(p)
    p.write_text("以来\tsince\tpostposition\n", encoding="utf-8")
    with pytest.raises(InputError, match="line 1"):
        load_function_words(p)


def test_dictionary_glosses_noise_and_literary_fallback() -> None:
    d = get_dictionary()
    assert [g for g, *_ in d.glosses("餐厅")] == ["dining hall", "dining room", "restaurant"]
    assert d.senses("给予")[0] == "give"  # its only sense is tagged "(literary)"
    assert d.senses("郑州") == ["Zhengzhou"]  # the description after the comma is dropped
    for w in ("让", "什么", "一轮"):
        for g in d.senses(w):
            assert not re.search(r"\b(sb|sth)\b|[?!]$| or ", g), (w, g)
    assert d.senses("教育", pos="vn")[0] == "education" and d.senses("教育", pos="v")[0] == "educate"


def test_rank_glosses_prefers_common_short_words() -> None:
    assert rank_glosses([("rate of work", 0, 0, False), ("power", 0, 1, False)])[0] == "power"
    assert rank_glosses([("market", 0, 0, False), ("rare-gloss-xyz", 0, 1, False)])[0] == "market"


# -- rules ---------------------------------------------------------------------------------------


def test_rules_de_phrase_classifiers_postpositions() -> None:
    u = [Unit("浙江", "ns", ["Zhejiang"]), Unit("的", "uj", []), Unit("经济", "n", ["economy"])]
    assert join_tokens(apply_rules(u)) == "The economy of Zhejiang"
    u = [Unit("这", "r", ["this"]), Unit("项", "q", ["item"]), Unit("发明", "n", ["invention"])]
    assert join_tokens(apply_rules(u)) == "This invention"
    u = [Unit("2022", "m", ["2022"]), Unit("以来", "f", ["\x03since"])]
    assert join_tokens(apply_rules(u)) == "Since 2022"
    u = [Unit("3", "m", ["3"]), Unit("家", "q", ["home"]), Unit("企业", "n", ["enterprise"])]
    assert join_tokens(apply_rules(u)) == "3 enterprises"  # classifier dropped, plural noun


def test_join_tokens_spacing_capitals_and_stutter() -> None:
    assert join_tokens(["a", "a", "test", ",", "ok", "\x02."]) == "A test, ok."
    # a repeated date is two dates, not a stutter
    assert join_tokens(["December 11", "December 11", ","]) == "December 11 December 11,"


def test_lexical_reordering_and_grammar(lexical: LexicalTranslator) -> None:
    out = lexical.translate([
        "橄榄油的价格是一个非常重要的指标。",
        "意大利、西班牙、希腊等国家。",
        "这项发明获得了银奖。",
        "或者你可以直接打电话给我。",
        "伊朗总统莱希说。",
        "拜登在闭幕词中说。",
        "价格很高，培养技术经纪人974名。",
    ])
    assert "the price of the olive oil" in out[0].lower()
    assert "Italy, Spain and Greece" in out[1]
    assert out[2].startswith("This invention") and "obtained" in out[2]
    assert out[3].endswith("to me.")
    assert "Laixi" in out[4]  # a transliterated name in pinyin, not character glosses
    assert out[5].startswith("Biden said in the")  # the 在-phrase follows its verb
    assert out[6].startswith("The price is high") and "974 technology brokers" in out[6]
    assert lexical.translate(["酸度"])[0] == "Sour level"  # unknown compound: its suffix from the table


def test_lexical_time_phrases_open_clauses_in_english_order(lexical: LexicalTranslator) -> None:
    out = lexical.translate([
        "2023年，呼和浩特培育企业32家。",
        "该公司成立于2019年，2023年3月被认定为高新技术企业。",
        "2023年以来，产量增长。",
        "2023年是关键一年。",
        "2023年底，总数达到44个。",
        "到2023年底，总数达到44个。",
        "近十年来，甘肃省实施项目近300项。",
        "马铃薯占了全省播种面积的36%。",
        "请通知他再送到我们公司。",
    ])
    assert out[0].startswith("In 2023, Hohhot")
    assert ", in March 2023 " in out[1]  # a date opening a later clause too
    assert out[2].startswith("Since 2023,")  # a postposition is not doubled
    assert out[3].startswith("2023 is")  # the year is the subject here
    assert out[4].startswith("At the end of 2023,") and "the end of 2023" in out[5]
    assert out[6].startswith("Over the past ten years,") and "nearly 300" in out[6]
    assert "accounted for" in out[7] and "accountinged" not in out[7]
    assert "deliver to" in out[8] and "arrive" not in out[8]
    assert lexical.translate(["经过工作站的政策辅导。"])[0].startswith("Through")  # 经过 as a preposition


# -- lexical translator --------------------------------------------------------------------------


def test_lexical_glossary_numbers_names(lexical: LexicalTranslator) -> None:
    out = lexical.translate([
        "2023年，在全国288个地级及以上城市中，呼和浩特市科技创新发展指数排名第30位。",
        "该中心总经理何剑表示，国家乳业技术创新中心就吸纳了100多家成员单位。",
        "2022年在甘肃省内播种面积达862万亩，占到了该省三大粮食作物总播种面积的36%。",
    ])
    assert lexical.lexical is True and lexical.name == "lexical-cedict"
    assert "2023" in out[0] and "288" in out[0] and "Hohhot" in out[0] and "30th" in out[0]
    assert "He Jian" in out[1] and "National Dairy Technology Innovation Center" in out[1]
    assert "more than 100" in out[1]
    assert "8.62 million mu" in out[2] and "36%" in out[2] and "Gansu" in out[2]
    assert all((o[0].isupper() or o[0].isdigit()) and not HAN.search(o) for o in out)


def test_lexical_whole_corpus_keeps_every_number(lexical: LexicalTranslator,
                                                 corpus_sentences: list[str]) -> None:
    out = lexical.translate(corpus_sentences)
    assert len(out) == len(corpus_sentences)
    bad = [(z, e, check_numbers(z, e).missing) for z, e in zip(corpus_sentences, out, strict=True)
           if not check_numbers(z, e).ok]
    assert bad == []
    assert not [e for e in out if HAN.search(e)]  # nothing left untranslated
    assert sum(bool(check_numbers(z, "").source) for z in corpus_sentences) > 30  # the check had work


def test_lexical_gold_translations_keep_every_number(lexical: LexicalTranslator) -> None:
    zh = [json.loads(line)["zh"] for line in GOLD_TRANSLATIONS.read_text(encoding="utf-8").splitlines()]
    out = lexical.translate(zh)
    assert [(z, e) for z, e in zip(zh, out, strict=True) if not check_numbers(z, e).ok] == []
    assert sum(bool(check_numbers(z, "").source) for z in zh) >= 20


def test_lexical_wmt22_keeps_every_number(lexical: LexicalTranslator) -> None:
    """The number-consistency check on real news (every 5th WMT22 source line, the held-out slice)."""
    wmt = read_wmt22()
    src = [wmt.src[i] for i in wmt.held_out()]
    assert len(src) == 375
    out = lexical.translate(src)
    assert [(z, e) for z, e in zip(src, out, strict=True) if not check_numbers(z, e).ok] == []
    assert sum(bool(check_numbers(z, "").source) for z in src) > 80
    assert not [e for e in out if HAN.search(e)]


def test_lexical_traditional_input_matches_simplified(lexical: LexicalTranslator) -> None:
    trad = "國家乳業技術創新中心吸納了100多家成員單位，數據6億多條。"
    simp = "国家乳业技术创新中心吸纳了100多家成员单位，数据6亿多条。"
    out = lexical.translate([trad, simp])
    assert out[0] == out[1] and "more than 600 million" in out[0]
    assert check_numbers(trad, out[0]).ok


def test_lexical_function_words_dropped_and_punctuation(lexical: LexicalTranslator) -> None:
    out = lexical.translate(["我们的团队和企业。“突围”！"])[0]
    assert out.startswith("Our team and enterprises.")  # 的 folded into the possessive, 和 -> and
    assert '"Breakthrough"!' in out  # quotes and a capital after the sentence end


def test_lexical_input_validation(lexical: LexicalTranslator) -> None:
    assert lexical.translate(["", "   "]) == ["", ""]
    assert lexical.translate([]) == []
    with pytest.raises(InputError, match="single string"):
        lexical.translate("你好")  # type: ignore[arg-type]
    with pytest.raises(InputError, match="text 1 is int"):
        lexical.translate(["你好", 3])  # type: ignore[list-item]


class KeywordEmbedder:
    """Fake embedder: texts containing ``key`` map to one direction, the rest to another."""

    def __init__(self, key: str) -> None:
        self.key = key
        self.calls = 0

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        self.calls += 1
        hit = [self.key in t or "平台" in t for t in texts]
        return np.array([[1.0, 0.0] if h else [0.0, 1.0] for h in hit], np.float32)


def test_lexical_sense_choice_follows_embedder() -> None:
    plain = LexicalTranslator().translate(["平台"])[0]
    emb = KeywordEmbedder("terrace")
    chosen = LexicalTranslator(embedder=emb).translate(["平台"])[0]
    assert plain.lower() == get_dictionary().senses("平台")[0]  # CC-CEDICT order without embedder
    assert chosen.lower() == "terrace" and emb.calls >= 2


def test_load_translator_defaults_to_lexical() -> None:
    assert load_translator(TranslateConfig(model="lexical")).lexical
    assert load_translator(None).lexical  # nothing prepared offline -> builtin lexical
    with pytest.raises(ModelNotFoundError):
        load_translator(TranslateConfig(model="/no/such/model/dir"))


# -- tiny seq2seq models -------------------------------------------------------------------------


def build_tiny_m2m(page_path: Path, root: Path) -> Path:
    """A random 1-layer M2M100 model (language codes via forced_bos_token_id)."""
    from transformers import M2M100Config, M2M100ForConditionalGeneration, M2M100Tokenizer

    sp_model = root / "sp.model"
    if not sp_model.exists():
        sp_model = train_spm(page_path, root)
    import sentencepiece as spm

    d = root / "tiny-m2m"
    d.mkdir()
    shutil.copy(sp_model, d / "sentencepiece.bpe.model")
    sp = spm.SentencePieceProcessor(model_file=str(sp_model))
    vocab = {"<s>": 0, "<pad>": 1, "</s>": 2, "<unk>": 3}
    for i in range(sp.get_piece_size()):
        vocab.setdefault(sp.id_to_piece(i), len(vocab))
    (d / "vocab.json").write_text(json.dumps(vocab, ensure_ascii=False), encoding="utf-8")
    tok = M2M100Tokenizer(str(d / "vocab.json"), str(d / "sentencepiece.bpe.model"), src_lang="zh",
                          tgt_lang="en")
    n = max(len(tok), max(tok.lang_token_to_id.values()) + 1)
    cfg = M2M100Config(vocab_size=n, pad_token_id=tok.pad_token_id, eos_token_id=tok.eos_token_id,
                       bos_token_id=tok.bos_token_id, decoder_start_token_id=tok.eos_token_id, **TINY)
    return save_random(d, tok, M2M100ForConditionalGeneration, cfg)


def build_tiny_nllb(page_path: Path, root: Path) -> Path:
    """A random 1-layer NLLB-style model: M2M100 weights, NllbTokenizer (character vocabulary from the
    corpus, FLORES language codes zho_Hans/eng_Latn)."""
    from transformers import M2M100Config, M2M100ForConditionalGeneration, NllbTokenizer

    chars = sorted({c for c in page_path.read_text(encoding="utf-8") if not c.isspace()})
    vocab = {"<s>": 0, "<pad>": 1, "</s>": 2, "<unk>": 3, "\u2581": 4}
    for c in chars:
        vocab.setdefault(c, len(vocab))
    tok = NllbTokenizer(vocab=vocab, merges=[], src_lang="zho_Hans", tgt_lang="eng_Latn")
    d = root / "tiny-nllb"
    cfg = M2M100Config(vocab_size=len(tok), pad_token_id=tok.pad_token_id, eos_token_id=tok.eos_token_id,
                       bos_token_id=tok.bos_token_id, decoder_start_token_id=tok.eos_token_id, **TINY)
    return save_random(d, tok, M2M100ForConditionalGeneration, cfg)


def build_tiny_mt5(page_path: Path, root: Path) -> Path:
    """A random 1-layer mT5 model with a character Unigram vocabulary (task-prefix family)."""
    from transformers import MT5Config, MT5ForConditionalGeneration, T5Tokenizer

    chars = sorted({c for c in page_path.read_text(encoding="utf-8") if not c.isspace()}
                   | set("translate Chinese to English:"))
    vocab = [("<pad>", 0.0), ("</s>", 0.0), ("<unk>", 0.0), ("\u2581", -2.0)] + [(c, -5.0) for c in chars]
    tok = T5Tokenizer(vocab=vocab, extra_ids=0)
    d = root / "tiny-mt5"
    cfg = MT5Config(vocab_size=len(tok), d_model=16, d_kv=8, d_ff=32, num_layers=1, num_decoder_layers=1,
                    num_heads=2, pad_token_id=tok.pad_token_id, eos_token_id=tok.eos_token_id,
                    decoder_start_token_id=tok.pad_token_id)
    return save_random(d, tok, MT5ForConditionalGeneration, cfg)


@pytest.fixture(scope="module")
def tiny_models(page_path: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("tiny-seq2seq")
    return {"marian": build_tiny_marian(page_path, root), "m2m_100": build_tiny_m2m(page_path, root),
            "nllb": build_tiny_nllb(page_path, root), "mt5": build_tiny_mt5(page_path, root)}


SRC = ["呼和浩特市科技创新发展指数排名第30位。",
       "国家乳业技术创新中心在呼和浩特成立刚刚两年，就吸纳了100多家成员单位。" * 4,
       "",
       "甘肃省科技厅已争取和布局各类国际合作项目近300项。"]


def _cfg(**kw: int) -> TranslateConfig:
    base = {"beam_size": 2, "max_new_tokens": 6, "max_input_tokens": 40, "batch_size": 2}
    base.update(kw)
    return TranslateConfig(**base)


@pytest.mark.model
@pytest.mark.parametrize("family", ["marian", "m2m_100", "nllb"])
def test_seq2seq_translate_shapes_determinism_batching(tiny_models: dict[str, Path], family: str) -> None:
    tr = Seq2SeqTranslator(tiny_models[family], _cfg())
    out = tr.translate(SRC)
    assert tr.family == family and not tr.lexical and tr.name.startswith("seq2seq:")
    assert len(out) == len(SRC) and out[2] == ""
    assert all(isinstance(o, str) and o for i, o in enumerate(out) if i != 2)
    assert tr.translate(SRC) == out  # deterministic
    one_by_one = [Seq2SeqTranslator(tiny_models[family], _cfg(batch_size=1)).translate([s])[0] for s in SRC]
    assert one_by_one == out  # batching and padding do not change results
    if family == "m2m_100":
        assert tr._gen_kwargs["forced_bos_token_id"] == tr._tok.get_lang_id("en")
        assert not any(o.startswith("__en__") for o in out)
    if family == "nllb":
        assert tr._tok.src_lang == "zho_Hans"
        assert tr._gen_kwargs["forced_bos_token_id"] == tr._tok.convert_tokens_to_ids("eng_Latn")
        assert not any(o.startswith("eng_Latn") for o in out)


@pytest.mark.model
def test_seq2seq_splits_long_input_at_sentence_boundaries(tiny_models: dict[str, Path]) -> None:
    tr = Seq2SeqTranslator(tiny_models["marian"], _cfg(max_input_tokens=40))
    long_text = SRC[1]
    segs = tr.segments(long_text)
    assert len(segs) >= 2 and "".join(segs) == long_text
    assert all(n <= 40 for n in tr.count_tokens(segs))
    assert all(s.endswith("。") for s in segs)  # cut at sentence ends
    calls: list[tuple[int, int]] = []
    real = tr._model.generate

    def spy(**kw):  # record (batch, input length) of each generate call
        calls.append(tuple(kw["input_ids"].shape))
        return real(**kw)

    tr._model.generate = spy
    out = tr.translate([long_text])[0]
    assert sum(b for b, _ in calls) == len(segs) and all(b <= 2 and n <= 40 for b, n in calls)
    assert len(out.split(" ")) >= len(segs)  # the pieces are joined


@pytest.mark.model
def test_seq2seq_mt5_prefix_counts_once_per_segment(tiny_models: dict[str, Path]) -> None:
    tr = Seq2SeqTranslator(tiny_models["mt5"], _cfg(max_input_tokens=80))
    out = tr.translate(SRC)
    assert tr.family == "t5" and tr.prefix == "translate Chinese to English: "
    assert len(out) == len(SRC) and out[2] == "" and all(out[i] for i in (0, 1, 3))
    segs = tr.segments(SRC[1])
    assert len(segs) >= 2 and "".join(segs) == SRC[1]
    assert all(n <= 80 for n in tr.count_tokens([tr.prefix + s for s in segs]))
    assert tr.segments("第一句。第二句。") == ["第一句。第二句。"]  # the prefix is not counted per sentence
    with pytest.raises(InputError, match="no room"):
        Seq2SeqTranslator(tiny_models["mt5"], _cfg(max_input_tokens=20)).segments("你好。")


@pytest.mark.model
def test_seq2seq_sentence_over_limit_is_cut(tiny_models: dict[str, Path]) -> None:
    tr = Seq2SeqTranslator(tiny_models["marian"], _cfg(max_input_tokens=12))
    sent = "国家乳业技术创新中心在呼和浩特成立刚刚两年就吸纳了一百多家成员单位并打造出全产业链创新队伍。"
    segs = tr.segments(sent)
    assert len(segs) > 1 and "".join(segs) == sent and all(n <= 12 for n in tr.count_tokens(segs))


@pytest.mark.model
def test_seq2seq_errors_and_loader(tiny_models: dict[str, Path], tmp_path: Path) -> None:
    with pytest.raises(ModelNotFoundError):
        Seq2SeqTranslator(tmp_path / "missing")
    with pytest.raises(InputError, match="beam_size"):
        Seq2SeqTranslator(tiny_models["marian"], _cfg(beam_size=0))
    with pytest.raises(InputError, match="language code"):
        Seq2SeqTranslator(tiny_models["m2m_100"], TranslateConfig(tgt_lang="xx")).translate(["你好。"])
    tr = load_translator(TranslateConfig(model=str(tiny_models["marian"]), max_new_tokens=4))
    assert isinstance(tr, Seq2SeqTranslator) and tr.translate(["你好。"])[0]
    with pytest.raises(InputError):
        tr.translate("你好")  # type: ignore[arg-type]


def test_lexical_titles_proper_nouns_and_complements(lexical: LexicalTranslator) -> None:
    out = lexical.translate(["李先生说，双子座的饭准备好了。"])[0]
    assert "Mr. Li" in out and "Xiansheng" not in out  # surname + title in English order
    assert "Gemini" in out  # a proper noun CC-CEDICT names in English is not spelled in pinyin
    assert "good" not in out  # 好 after a verb is a result complement, not "good"



def test_lexical_placeholders_clock_times_and_negation(lexical: LexicalTranslator) -> None:
    out = lexical.translate(["我#PRS_ORG#没有收到，18：40还要等#NUMBER#分钟"])[0]
    assert "#PRS_ORG#" in out and "#NUMBER#" in out  # anonymised spans stay whole
    assert "18:40" in out  # a clock time keeps its colon tight
    assert "did not receive" in out  # 没有 + verb is a past negation
    assert "wait" in out and "etc" not in out  # 等 after an adverb is the verb


def test_lexical_potential_complement(lexical: LexicalTranslator) -> None:
    out = lexical.translate(["我看不到地址。"])[0]
    assert out.startswith("I cannot see")  # V不到 is "cannot V", not "see not to arrive"


def test_lexical_when_clause(lexical: LexicalTranslator) -> None:
    out = lexical.translate(["厂家在定价的时候考虑价格。"])[0]
    assert "when" in out.lower() and "of the when" not in out  # 在 X 的时候 -> when X


def test_lexical_classifier_inside_unknown_word(lexical: LexicalTranslator) -> None:
    out = lexical.translate(["我买了一张桌子。"])[0]
    assert "open up" not in out and " a table" in out  # 一张 -> a (classifier dropped)


def test_lexical_clause_grammar(lexical: LexicalTranslator) -> None:
    out = lexical.translate([
        "我是老师。",
        "这种智能手术灯有四个灯盘。",
        "记者了解到，市场需求很大。",
        "越来越多的人参加考试。",
        "价格更低。",
        "压缩出的空气，在水龙头处形成流体。",
    ])
    assert out[0].startswith("I am")  # agreement: not "I is"
    assert out[1].startswith("This smart operation lamp has four")
    assert out[2].startswith("The reporter learned") and "demand is large" in out[2]  # the, a copula
    assert out[3].startswith("More and more people")  # 越来越多: not "more and more many"
    assert "is lower" in out[4]  # 更低: not "more low"
    assert out[5].startswith("The air compressed,")  # a participle relative clause
    assert lexical.translate(["举办的活动"])[0] == "The activities held"  # not "helded"
    out = lexical.translate(["莲子的作用是清热。", "测量温度、脉搏等。", "广场上一女孩站着。",
                             "这些材料是一样的。"])
    assert out[0].startswith("The role of the lotus seed is")  # a verb closing an X的 phrase is its head
    assert out[1].endswith("temperature, pulse, etc.")  # an enumeration ending in 等: no "and ... etc."
    assert "a girl" in out[2]  # 一 + noun: "a", not "one"
    assert out[3].startswith("These materials are")
    assert join_tokens(["a", "article", "on", "a", "one", "off"]) == "An article on a one off"
    out = lexical.translate(["除了智能手机，手术室里也用起了智能手术灯。", "只有胸外按压才有可能把人救过来。",
                             "我每天都去学校。", "我们都是学生。", "这个装置从你呼出的气体中检测。"])
    assert "in the operating room also used" in out[0]  # a localiser with no 在 becomes a preposition
    assert out[1].endswith("rescue.")  # a directional complement inside an unknown word: not "come over"
    assert "all" not in out[2] and "We are all" in out[3]  # 都 is "all" only after a plural subject
    assert " in" not in out[4]  # 从...中: one preposition
    assert join_tokens(["visit", "the", "our", "institute"]) == "Visit our institute"
