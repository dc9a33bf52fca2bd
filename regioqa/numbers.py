"""Chinese numbers and units to English, number extraction on both sides, and the number-consistency check.

Every number in a Chinese source sentence must reach its English translation with the same value;
:func:`check_numbers` tests that and runs on every translation and summary sentence.

>>> parse_chinese_number("862万")
8620000.0
>>> render_number_zh("6亿多条"), render_number_zh("第30位"), render_number_zh("862万亩")
('more than 600 million', '30th', '8.62 million mu')
>>> check_numbers("播种面积达862万亩，占36%。", "The sown area reached 8.62 million mu, 36% of the total.").ok
True
>>> check_numbers("培育32家企业", "cultivated 23 enterprises").missing
[32.0]
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field

_CN_DIGIT = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7,
             "八": 8, "九": 9}
_CN_SMALL = {"十": 10, "百": 100, "千": 1000}
_CN_BIG = {"万": 1e4, "亿": 1e8, "万亿": 1e12}
_CN_CHARS = "零〇一二两三四五六七八九十百千"

# unit -> English (None: a classifier that is dropped; the noun after it carries the meaning)
UNITS: dict[str, str | None] = {
    "年": "years", "个月": "months", "月": "", "日": "", "号": "", "天": "days", "周": "weeks",
    "小时": "hours", "分钟": "minutes", "秒": "seconds", "岁": "years old", "倍": "times", "次": "times",
    "亩": "mu", "公顷": "hectares", "吨": "tonnes", "万吨": "tonnes", "公斤": "kg", "千克": "kg",
    "克": "grams",
    "公里": "km", "千米": "km", "米": "metres", "平方米": "square metres", "平方公里": "square km",
    "立方米": "cubic metres", "元": "yuan", "美元": "US dollars", "人": "people", "人次": "person-times",
    "大": "major", "期": "phase", "届": "session", "批": "batches", "户": "households", "所": "", "座": "",
    "台": "", "个": None, "项": None, "家": None, "名": None, "位": None, "支": None, "条": None,
    "份": None, "种": None, "间": None, "类": None, "款": None, "株": None, "头": None, "只": None,
    "件": None, "篇": None, "部": None, "场": None, "辆": None, "层": None, "级": None, "点": None,
    "度": "degrees", "摄氏度": "degrees Celsius",
}
_SINGULAR = {"years": "year", "months": "month", "days": "day", "weeks": "week", "hours": "hour",
             "minutes": "minute", "seconds": "second", "people": "person", "batches": "batch",
             "households": "household", "tonnes": "tonne", "hectares": "hectare", "times": "time",
             "metres": "metre", "grams": "gram", "degrees": "degree"}
_UNIT_RE = "|".join(sorted(map(re.escape, UNITS), key=len, reverse=True))
_NUM = rf"\d[\d,]*(?:\.\d+)?|[{_CN_CHARS}]+"
ZH_NUMBER = re.compile(
    rf"(?P<pct_pre>百分之)?(?P<ord>第)?(?P<num>{_NUM})(?P<big>万亿|[万亿])?(?P<approx>多|余)?"
    rf"(?P<pct>[%％])?(?P<unit>{_UNIT_RE})?(?P<approx2>多)?"
)
DATE = re.compile(r"(?:(?P<y>\d{4})年)?(?P<m>1[0-2]|[1-9])月(?:(?P<d>[1-3]?\d)[日号])?")
MONTH_RANGE = re.compile(r"(?P<a>1[0-2]|[1-9])(?:至|到|-|—|～|~)(?P<b>1[0-2]|[1-9])月")

_EN_SMALL = ("zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
             "fifteen sixteen seventeen eighteen nineteen twenty").split()
_EN_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80,
            "ninety": 90}
_EN_ORD = ("zeroth first second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth "
           "thirteenth fourteenth fifteenth sixteenth seventeenth eighteenth nineteenth twentieth").split()
_MONTHS = ("january february march april may june july august september october november december").split()
_EN_WORDS: dict[str, float] = {w: float(i) for i, w in enumerate(_EN_SMALL)}
_EN_WORDS.update({w: float(v) for w, v in _EN_TENS.items()})
_EN_WORDS.update({w: float(i) for i, w in enumerate(_EN_ORD) if i})
_EN_WORDS.update({w: float(i + 1) for i, w in enumerate(_MONTHS) if w != "may"})
_EN_WORDS.update({"half": 0.5, "dozen": 12.0, "hundred": 100.0, "thousand": 1000.0, "million": 1e6,
                  "billion": 1e9})
_MAG = {"thousand": 1e3, "million": 1e6, "billion": 1e9, "trillion": 1e12}
EN_NUMBER = re.compile(
    r"(?P<num>\d[\d,]*(?:\.\d+)?)(?:st|nd|rd|th)?(?:\s*(?P<mag>thousand|million|billion|trillion)\b)?"
    r"|\b(?P<word>(?:twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety)-[a-z]+|[A-Za-z]+)\b"
)


_TRAD_NUM = str.maketrans("萬億兩", "万亿两")


def _nfkc(s: str) -> str:
    """NFKC (full-width digits, ％) plus the traditional forms of 万, 亿, 两; length-preserving, so
    offsets found in the result index the input (characters NFKC would expand are kept as they are)."""
    n = unicodedata.normalize("NFKC", s)
    if len(n) != len(s):
        n = "".join(c2 if len(c2 := unicodedata.normalize("NFKC", c)) == 1 else c for c in s)
    return n.translate(_TRAD_NUM)


def parse_chinese_number(s: str) -> float | None:
    """Value of a Chinese, Arabic or mixed numeral (``三百零五``, ``1.5万``, ``6亿``); None if not one.

    >>> parse_chinese_number("三百零五"), parse_chinese_number("二十"), parse_chinese_number("1.5万")
    (305.0, 20.0, 15000.0)
    """
    s = _nfkc(s).replace(",", "").strip()
    if not s:
        return None
    mult = 1.0
    for big in ("万亿", "亿", "万"):
        if s.endswith(big) and len(s) > len(big):
            rest = parse_chinese_number(s[: -len(big)])
            return None if rest is None else rest * _CN_BIG[big]
    if re.fullmatch(r"\d+(?:\.\d+)?", s):
        return float(s) * mult
    if len(s) > 1 and all(ch in _CN_DIGIT for ch in s):
        if len(s) == 4 and s[0] in "一二":  # 二〇二三 (a year written digit by digit)
            return float("".join(str(_CN_DIGIT[ch]) for ch in s))
        return None  # 一二三 is an enumeration ("primary, secondary, tertiary"), not a number
    total, section, digit = 0.0, 0.0, None
    for ch in s:
        if ch in _CN_DIGIT:
            digit = _CN_DIGIT[ch]
        elif ch in _CN_SMALL:
            section += (1 if digit is None else digit) * _CN_SMALL[ch]
            digit = None
        elif ch in ("万", "亿"):
            section += digit or 0
            total += section * _CN_BIG[ch]
            section, digit = 0.0, None
        else:
            return None
    return total + section + (digit or 0)


def format_value(v: float, words: bool = False) -> str:
    """English form of a value: ``8620000 -> '8.62 million'``, ``50000 -> '50,000'``, ``6 -> 'six'`` (words).

    >>> format_value(8.62e6), format_value(50000), format_value(31.5), format_value(6, words=True)
    ('8.62 million', '50,000', '31.5', 'six')
    """
    if words and v == int(v) and 0 <= v <= 20:
        return _EN_SMALL[int(v)]
    for mag, name in ((1e12, "trillion"), (1e9, "billion"), (1e6, "million")):
        if abs(v) >= mag:
            return f"{_fmt_plain(v / mag)} {name}"
    if v == int(v) and abs(v) >= 10000:
        return f"{int(v):,}"
    return _fmt_plain(v)


def _fmt_plain(v: float) -> str:
    if v == int(v):
        return str(int(v))
    return f"{v:.6f}".rstrip("0").rstrip(".")


def ordinal(n: int, words: bool = False) -> str:
    """``30 -> '30th'``; ``3 -> 'third'`` with ``words=True`` (up to 20)."""
    if words and 0 < n <= 20:
        return _EN_ORD[n]
    suf = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suf}"


@dataclass(frozen=True, slots=True)
class NumberMention:
    """A number found in text: its value, the matched text and offsets."""

    value: float
    text: str
    start: int
    end: int


def _is_arabic(s: str) -> bool:
    return bool(re.match(r"\d", unicodedata.normalize("NFKC", s)))


def render_number_match(m: re.Match[str]) -> str | None:
    """English for one :data:`ZH_NUMBER` match, or None when it is not a number expression.

    Chinese numerals count only with a unit/classifier or after 第 (so 一般, 统一 stay words).
    """
    num, unit, big = m.group("num"), m.group("unit"), m.group("big")
    arabic = _is_arabic(num)
    if not arabic and not (unit or m.group("ord") or m.group("pct_pre") or m.group("pct") or big):
        return None
    if not arabic and num[0] in "十百千" and len(num) == 1 and not (unit or m.group("ord") or m.group("pct")):
        return None  # 十分 (very), 百姓 (people): words; 十% is a number
    v = parse_chinese_number(num + (big or ""))
    if v is None:
        return None
    words = not arabic
    if m.group("ord"):
        s = ordinal(int(v), words=words) if v == int(v) else format_value(v)
        if unit in ("期",):
            return f"phase {_fmt_plain(v)}"
        if unit == "大":
            return f"{s} largest"  # 第二大 -> second largest
        noun = UNITS.get(unit or "") if unit != "次" else None  # 第三次 -> third
        return f"{s} {_SINGULAR.get(noun, noun)}" if noun else s  # 第二天 -> second day
    if m.group("pct") or m.group("pct_pre"):
        return f"{_fmt_plain(v)}%"
    approx = bool(m.group("approx") or m.group("approx2"))
    if unit == "年" and arabic and not big and 1000 <= v <= 2100 and v == int(v):
        return str(int(v))  # a year
    if unit == "期":
        return f"phase {_fmt_plain(v)}"
    if unit in ("月",) and arabic:
        return _MONTHS[int(v) - 1].capitalize() if 1 <= v <= 12 and v == int(v) else _fmt_plain(v)
    if arabic and not big:
        body = unicodedata.normalize("NFKC", num)  # keep the source digits ("4.0", "2019")
    else:
        body = format_value(v, words=words and not big)
    eng_unit = UNITS.get(unit or "") if unit else None
    if unit == "万吨":
        body = format_value(v * 1e4)
    out = f"more than {body}" if approx else body
    if eng_unit:
        if v == 1:
            eng_unit = _SINGULAR.get(eng_unit, eng_unit)
        out = f"{out} {eng_unit}"
    return out


def render_number_zh(text: str) -> str:
    """Replace every number expression in ``text`` with English (the rest is left as it is).

    >>> render_number_zh("2023年"), render_number_zh("100多家"), render_number_zh("第三次")
    ('2023', 'more than 100', 'third')
    >>> render_number_zh("3至6月"), render_number_zh("第二天")
    ('March to June', 'second day')
    """
    def date(m: re.Match[str]) -> str:
        mon = _MONTHS[int(m.group("m")) - 1].capitalize()
        s = f"{mon} {int(m.group('d'))}" if m.group("d") else mon
        return f"{s}, {m.group('y')}" if m.group("y") and m.group("d") else (
            f"{s} {m.group('y')}" if m.group("y") else s)

    text = MONTH_RANGE.sub(lambda m: f"\x00{_MONTHS[int(m.group('a')) - 1].capitalize()} to "
                                     f"{_MONTHS[int(m.group('b')) - 1].capitalize()}\x01", _nfkc(text))
    text = DATE.sub(lambda m: f"\x00{date(m)}\x01", text)
    out, pos = [], 0
    for m in ZH_NUMBER.finditer(text):
        if _inside_placeholder(text, m.start()):
            continue
        r = render_number_match(m)
        if r is None:
            continue
        out.append(text[pos:m.start()])
        out.append(r)
        pos = m.end()
    out.append(text[pos:])
    return "".join(out).replace("\x00", "").replace("\x01", "")


def _inside_placeholder(text: str, i: int) -> bool:
    a, b = text.rfind("\x00", 0, i + 1), text.rfind("\x01", 0, i + 1)
    return a > b


def extract_zh_numbers(text: str) -> list[NumberMention]:
    """Numbers that a translation of ``text`` must keep: every Arabic number, and Chinese numerals
    with a unit or 第 (except a bare 'one', which English may render as 'a').

    >>> [m.value for m in extract_zh_numbers("2023年，全国288个城市中排名第30位，一间挨着一间")]
    [2023.0, 288.0, 30.0]
    """
    text = _nfkc(text)
    out: list[NumberMention] = []
    taken: list[tuple[int, int]] = []
    for m in DATE.finditer(text):
        for g in ("y", "m", "d"):
            if m.group(g):
                out.append(NumberMention(float(m.group(g)), m.group(g), m.start(g), m.end(g)))
        taken.append((m.start(), m.end()))
    for m in ZH_NUMBER.finditer(text):
        if any(a <= m.start() < b for a, b in taken):
            continue
        if render_number_match(m) is None:
            continue
        v = parse_chinese_number(m.group("num") + (m.group("big") or ""))
        if v is None or (v == 1 and not _is_arabic(m.group("num")) and not m.group("ord")):
            continue
        if v == 1 and m.group("ord") and not _is_arabic(m.group("num")):
            pass  # 第一 -> first (kept)
        out.append(NumberMention(v, m.group(0), m.start(), m.end()))
    out.sort(key=lambda x: x.start)
    return out


def extract_en_numbers(text: str) -> list[NumberMention]:
    """Numbers in English text: digits (``5,000``, ``31.5``, ``30th``), magnitudes (``8.62 million``),
    number and ordinal words, month names.

    >>> [m.value for m in extract_en_numbers("more than 600 million, the 30th, third, May 2023, 5,000")]
    [600000000.0, 30.0, 3.0, 5.0, 2023.0, 5000.0]
    """
    out: list[NumberMention] = []
    for m in EN_NUMBER.finditer(text):
        if m.group("num"):
            try:
                v = float(m.group("num").replace(",", "").rstrip("."))
            except ValueError:
                continue
            if m.group("mag"):
                v *= _MAG[m.group("mag")]
            out.append(NumberMention(v, m.group(0), m.start(), m.end()))
        else:
            w = m.group("word")
            lw = w.lower()
            if lw == "may" and not w[0].isupper():
                continue
            if lw == "may":
                v = 5.0
            elif "-" in lw:
                a, _, b = lw.partition("-")
                if a in _EN_TENS and b in _EN_WORDS and _EN_WORDS[b] < 10:
                    v = _EN_TENS[a] + _EN_WORDS[b]
                else:
                    continue
            elif lw in _EN_WORDS and lw not in ("hundred", "thousand", "million", "billion"):
                v = _EN_WORDS[lw]
            else:
                continue
            out.append(NumberMention(v, w, m.start(), m.end()))
    return out


@dataclass(frozen=True, slots=True)
class NumberCheck:
    """Result of :func:`check_numbers`: ``ok`` when every source value appears in the translation."""

    ok: bool
    missing: list[float] = field(default_factory=list)
    source: list[float] = field(default_factory=list)
    target: list[float] = field(default_factory=list)


def _key(v: float) -> float:
    return round(v, 6)


def check_numbers(zh: str, en: str) -> NumberCheck:
    """Check that every number of the Chinese ``zh`` appears, with the same value, in the English ``en``.

    Counts matter (two 100s need two 100s); extra English numbers are allowed.
    """
    src = [m.value for m in extract_zh_numbers(zh)]
    tgt = [m.value for m in extract_en_numbers(en)]
    have = Counter(_key(v) for v in tgt)
    missing: list[float] = []
    for v in src:
        k = _key(v)
        if have[k] > 0:
            have[k] -= 1
        else:
            missing.append(v)
    return NumberCheck(ok=not missing, missing=missing, source=src, target=tgt)
