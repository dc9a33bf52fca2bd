"""Chinese numbers -> English values, extraction on both sides, and the number-consistency check."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from regioqa.numbers import (
    check_numbers,
    extract_en_numbers,
    extract_zh_numbers,
    format_value,
    ordinal,
    parse_chinese_number,
    render_number_zh,
)

_DIG = "零一二三四五六七八九"


def to_chinese(n: int) -> str:
    """Independent reference writer of Chinese numerals for 1 <= n < 10^8 (test oracle)."""

    def below_10k(x: int, leading: bool) -> str:
        out, zero = "", False
        for val, unit in ((1000, "千"), (100, "百"), (10, "十"), (1, "")):
            d = x // val % 10
            if d == 0:
                zero = bool(out)
                continue
            if zero:
                out += "零"
                zero = False
            if not (val == 10 and d == 1 and leading and not out):
                out += _DIG[d]
            out += unit
        return out

    hi, lo = divmod(n, 10000)
    if not hi:
        return below_10k(lo, True)
    s = below_10k(hi, True) + "万"
    if lo:
        s += ("零" if lo < 1000 else "") + below_10k(lo, False)
    return s


@pytest.mark.parametrize("text,value", [
    ("三百零五", 305), ("二十", 20), ("十五", 15), ("一千零一", 1001), ("两", 2), ("862万", 8_620_000),
    ("6亿", 600_000_000), ("1.5万", 15_000), ("三千五百万", 35_000_000), ("31.5", 31.5), ("１２", 12),
    ("二〇二三", 2023), ("5,000", 5000), ("862萬", 8_620_000), ("兩", 2),
])
def test_parse_chinese_number(text: str, value: float) -> None:
    assert parse_chinese_number(text) == pytest.approx(value)


@pytest.mark.parametrize("text", ["", "abc", "一二三", "科技"])
def test_parse_rejects_non_numbers(text: str) -> None:
    assert parse_chinese_number(text) is None


@given(st.integers(min_value=1, max_value=99_999_999))
@settings(max_examples=300, deadline=None)
def test_parse_roundtrips_reference_numerals(n: int) -> None:
    assert parse_chinese_number(to_chinese(n)) == n


@pytest.mark.parametrize("zh,en", [
    ("2023年", "2023"), ("第30位", "30th"), ("第三次", "third"), ("第十次", "tenth"),
    ("100多家", "more than 100"), ("6亿多条", "more than 600 million"), ("862万亩", "8.62 million mu"),
    ("14吨", "14 tonnes"), ("50%", "50%"),
    ("31.5%", "31.5%"), ("百分之五十", "50%"), ("六大", "six major"), ("两年", "two years"),
    ("5000人", "5000 people"), ("二期", "phase 2"), ("2024年3月5日", "March 5, 2024"), ("4.0", "4.0"),
    ("3至6月", "March to June"), ("7到10月", "July to October"), ("第二天", "second day"),
    ("第二大", "second largest"), ("第3年", "3rd year"),
])
def test_render(zh: str, en: str) -> None:
    assert render_number_zh(zh) == en


def test_render_leaves_words_alone() -> None:
    for w in ("一般", "统一领导", "一带一路", "万里", "十分重要"):
        assert render_number_zh(w) == w
        assert extract_zh_numbers(w) == []


def test_format_and_ordinal() -> None:
    assert [format_value(v) for v in (8.62e6, 50_000, 31.5, 1.2e9)] == ["8.62 million", "50,000", "31.5",
                                                                       "1.2 billion"]
    assert [ordinal(n) for n in (1, 2, 3, 11, 12, 13, 21, 30, 102)] == [
        "1st", "2nd", "3rd", "11th", "12th", "13th", "21st", "30th", "102nd"]
    assert ordinal(3, words=True) == "third"


def test_extract_zh_offsets_and_values() -> None:
    text = "2023年，全国288个城市中排名第30位，一间挨着一间，节水超30%，数据6亿多条"
    ms = extract_zh_numbers(text)
    assert [m.value for m in ms] == [2023, 288, 30, 30, 600_000_000]
    for m in ms:
        assert text[m.start:m.end] == m.text


def test_extract_zh_offsets_survive_normalisation() -> None:
    text = "面积达１２万亩，㎡单价50％"  # ㎡ expands to "m2" under NFKC; full-width digits do not
    ms = extract_zh_numbers(text)
    assert [m.value for m in ms] == [120_000, 50]
    assert [text[m.start:m.end] for m in ms] == ["１２万亩", "50％"]


def test_extract_en() -> None:
    vals = [m.value for m in extract_en_numbers(
        "In May 2023 more than 600 million, 5,000 people, the 30th and third place, twenty-one, may be")]
    assert vals == [5, 2023, 600_000_000, 5000, 30, 3, 21]


def test_check_ok_and_missing() -> None:
    zh = "2022年播种面积达862万亩，占到了该省三大粮食作物总播种面积的36%。"
    good = "In 2022 the sown area reached 8.62 million mu, 36% of the three major crops."
    assert check_numbers(zh, good).ok
    bad = check_numbers(zh, "In 2022 the sown area reached 862 mu, 36% of the three major crops.")
    assert not bad.ok and bad.missing == [8_620_000]
    assert check_numbers(zh, "").missing == [2022, 8_620_000, 3, 36]


def test_check_counts_repeats_and_allows_extra() -> None:
    zh = "吸纳了100多家成员单位，100多名专家"
    assert not check_numbers(zh, "more than 100 member units and experts").ok
    assert check_numbers(zh, "more than 100 units, more than 100 experts, 7 days").ok


@given(st.integers(min_value=2, max_value=9999),
       st.sampled_from(["个", "家", "项", "吨", "亩", "人", "%", "年", ""]), st.booleans(), st.booleans())
@settings(max_examples=300, deadline=None)
def test_render_always_passes_check(n: int, unit: str, chinese: bool, approx: bool) -> None:
    more = "多" if approx and unit not in ("%", "年") else ""
    zh = (to_chinese(n) if chinese and unit else str(n)) + more + unit
    en = render_number_zh(zh)
    assert check_numbers(zh, en).ok, (zh, en)
    assert extract_zh_numbers(zh), zh
