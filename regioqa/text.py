"""Sentence splitting and chunking for Chinese and mixed Chinese/English text.

Sentences end at 。！？；… (and ⋯, runs of them) and at ASCII ``. ? !`` unless the period sits
inside a number (``3.5``), a word (``e.g``, ``example.com``) or after an abbreviation or an
initial (``U.S.``, ``Dr.``, ``e.g.``). Closing quotes and brackets stay with the sentence they
close (``。”``). A newline always ends a sentence. Offsets are half-open ``[start, end)`` into
the input and never include leading or trailing whitespace.

>>> t = "他说：“好。”然后走了。 Prices rose 3.5% in the U.S. today! OK"
>>> [t[sp.start:sp.end] for sp in split_sentences(t)]
['他说：“好。”', '然后走了。', 'Prices rose 3.5% in the U.S. today!', 'OK']

The :class:`Chunker` packs whole sentences into chunks under a token budget (characters when no
token counter is given), repeats ``overlap_sentences`` sentences between neighbours, and splits a
sentence that alone exceeds the budget. ``article.text[c.start:c.end] == c.text`` always holds.

>>> from regioqa.types import Article
>>> from regioqa.config import ChunkConfig
>>> a = Article(id="x", title="t", text="第一句话。第二句话。第三句话。")
>>> [c.text for c in Chunker(ChunkConfig(max_tokens=10, overlap_sentences=1)).run(a)]
['第一句话。第二句话。', '第二句话。第三句话。']
"""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from .config import ChunkConfig
from .types import Article, Chunk, Sentence, Span

__all__ = ["split_sentences", "sentences", "Chunker", "TokenCounter", "has_chinese", "HAN_CHARS", "HAN_RE",
           "t2s"]

HAN_CHARS = "\u3400-\u4dbf\u4e00-\u9fff"
"""Chinese characters as a regex class body: CJK Unified Ideographs Extension A (U+3400-U+4DBF) and
CJK Unified Ideographs (U+4E00-U+9FFF). Compatibility ideographs (U+F900-U+FAFF) are left out: NFKC maps
them onto the unified block. Rare extensions B+ (U+20000-) are left out too."""
HAN_RE = re.compile(f"[{HAN_CHARS}]")


def has_chinese(text: str) -> bool:
    """True when ``text`` holds at least one Chinese (Han) character (see :data:`HAN_CHARS`).

    >>> has_chinese("Hohhot 呼和浩特"), has_chinese("Hohhot"), has_chinese("㐀"), has_chinese("。")
    (True, False, True, False)
    """
    return HAN_RE.search(text) is not None

TokenCounter = Callable[[list[str]], list[int]]
"""A batch token counter: ``count_tokens(texts) -> [n_tokens per text]`` (e.g. ``Embedder.count_tokens``)."""

_CLOSERS = "”’\"'」』）)\\]】》〉}〗〕"
_STRONG = "。！？；!?…⋯｡"
# A candidate boundary: a run of terminators (any mix, incl. periods) plus closing marks, or a newline.
_BOUNDARY = re.compile(rf"[{_STRONG}.]*[{_STRONG}][{_STRONG}.]*[{_CLOSERS}]*|\.+[{_CLOSERS}]*|\n")
_ABBREVIATIONS = frozenset(
    """mr mrs ms dr prof sr jr st mt vs etc eg ie al cf approx dept est fig figs inc ltd co corp no nos
    vol vols pp ed eds jan feb mar apr jun jul aug sep sept oct nov dec mon tue wed thu fri sat sun
    gen gov sen rep rev col lt sgt capt cmdr u.s u.k u.n e.g i.e a.m p.m ph.d m.d b.a m.a p.s""".split()
)
_WORD_BEFORE = re.compile(r"([A-Za-z][A-Za-z.]*)$")
_SOFT_BREAK = re.compile(r"[，、,：:；;）)」』”’\s](?=\S)")


def _ascii_is_boundary(text: str, run: str, start: int, end: int) -> bool:
    """Whether a run of ASCII ``. ! ?`` at ``text[start:end]`` (plus closers) ends a sentence."""
    nxt = text[end] if end < len(text) else ""
    cjk = "\u3000" <= nxt <= "\u9fff" or "\uff00" <= nxt <= "\uffef"
    if nxt and not (nxt.isspace() or cjk or nxt in _CLOSERS or nxt in "(“‘「『"):
        return False  # "3.5", "e.g", "example.com", "U.S", "?a=1" -- inside a token
    if run != ".":
        return True  # "!", "?!", "..." ellipsis
    m = _WORD_BEFORE.search(text, max(0, start - 12), start)
    if m:
        word = m.group(1)
        if len(word) == 1 and word.isupper():
            return False  # an initial: "J. Smith"
        if word.lower().rstrip(".") in _ABBREVIATIONS or word.lower() in _ABBREVIATIONS:
            return False
        if "." in word and all(len(p) <= 2 for p in word.split(".")):
            return False  # dotted acronym: "U.S.A."
    return True


def split_sentences(text: str) -> list[Span]:
    """Split ``text`` into sentence spans (whitespace-trimmed, non-empty, in order).

    >>> t = "第一句。第二句！\\n第三句"
    >>> [t[s.start:s.end] for s in split_sentences(t)]
    ['第一句。', '第二句！', '第三句']
    >>> split_sentences("   ")
    []
    """
    spans: list[Span] = []
    prev = 0
    ends: list[int] = []
    for m in _BOUNDARY.finditer(text):
        s, e = m.span()
        if text[s] in ".!?":
            run = text[s:e].rstrip(_CLOSERS)
            if not run.strip(".!?") and not _ascii_is_boundary(text, run, s, e):
                continue
        ends.append(e)
    ends.append(len(text))
    for e in ends:
        if e <= prev:
            continue
        seg = text[prev:e]
        stripped = seg.strip()
        if stripped:
            lead = len(seg) - len(seg.lstrip())
            spans.append(Span(prev + lead, prev + lead + len(stripped)))
        prev = e
    return spans


def sentences(article: Article) -> list[Sentence]:
    """The sentences of an article body, with article id and offsets.

    >>> a = Article(id="a1", title="t", text="甲。乙！")
    >>> [(s.start, s.end, s.text) for s in sentences(a)]
    [(0, 2, '甲。'), (2, 4, '乙！')]
    """
    t = article.text
    return [Sentence(article.id, sp.start, sp.end, t[sp.start:sp.end]) for sp in split_sentences(t)]


def _char_windows(text: str, start: int, end: int, size: int) -> list[Span]:
    """Cut ``text[start:end]`` into trimmed pieces of at most ``size`` characters, preferring soft breaks."""
    out: list[Span] = []
    pos = start
    while pos < end:
        while pos < end and text[pos].isspace():
            pos += 1
        if pos >= end:
            break
        stop = min(end, pos + size)
        if stop < end:
            # prefer the last soft break (comma, colon, space...) in the second half of the window
            lo = pos + size // 2
            best = -1
            for m in _SOFT_BREAK.finditer(text, lo, stop):
                best = m.end()
            if best > pos:
                stop = best
        seg_end = stop
        while seg_end > pos and text[seg_end - 1].isspace():
            seg_end -= 1
        out.append(Span(pos, seg_end))
        pos = stop
    return out


class Chunker:
    """Pack sentences into chunks of at most ``config.max_tokens`` tokens (characters by default).

    ``count_tokens`` is a batch function (``Embedder.count_tokens``); it is called once for all
    sentences of an article, once for pieces of over-long sentences and once to verify the packed
    chunks. The per-text overhead (special tokens, a "passage: " prefix) is measured once as
    ``count_tokens([""])`` and counted once per chunk, not once per sentence.

    >>> from regioqa.config import ChunkConfig
    >>> a = Article(id="n", title="t", text="甲乙丙丁戊己庚辛")
    >>> [(c.chunk_id, c.text) for c in Chunker(ChunkConfig(max_tokens=3, overlap_sentences=0)).run(a)]
    [('n#0', '甲乙丙'), ('n#1', '丁戊己'), ('n#2', '庚辛')]
    """

    def __init__(self, config: ChunkConfig | None = None, count_tokens: TokenCounter | None = None) -> None:
        self.config = config or ChunkConfig()
        if self.config.max_tokens < 1:
            raise ValueError(f"chunk.max_tokens must be >= 1, got {self.config.max_tokens}")
        if self.config.overlap_sentences < 0:
            raise ValueError(f"chunk.overlap_sentences must be >= 0, got {self.config.overlap_sentences}")
        self.count_tokens = count_tokens
        self._overhead: int | None = None

    @property
    def overhead(self) -> int:
        """Tokens every text costs regardless of content (0 in character mode)."""
        if self._overhead is None:
            self._overhead = 0 if self.count_tokens is None else max(0, self._count([""])[0])
        return self._overhead

    # -- measuring ---------------------------------------------------------------------------------
    def _count(self, texts: list[str]) -> list[int]:
        if not texts:
            return []
        if self.count_tokens is None:
            return [len(t) for t in texts]
        counts = list(self.count_tokens(texts))
        if len(counts) != len(texts):
            raise ValueError(f"count_tokens returned {len(counts)} counts for {len(texts)} texts")
        return [int(c) for c in counts]

    def _split_long(self, text: str, span: Span, n_tokens: int) -> list[tuple[Span, int]]:
        """Split one over-long unit into pieces that each fit the budget."""
        budget = self.config.max_tokens
        length = span.end - span.start
        if self.count_tokens is None:
            return [(p, p.end - p.start) for p in _char_windows(text, span.start, span.end, budget)]
        # token mode: cut by an estimated characters-per-token ratio, then verify and recurse
        ratio = length / max(n_tokens, 1)
        size = max(1, int(budget * ratio * 0.9))
        pieces = _char_windows(text, span.start, span.end, size)
        counts = self._count([text[p.start:p.end] for p in pieces])
        out: list[tuple[Span, int]] = []
        for p, n in zip(pieces, counts, strict=True):
            if n <= budget or p.end - p.start <= 1:
                out.append((p, n))
            else:
                # halve the character window until it fits (terminates: size shrinks to 1)
                out.extend(self._split_long(text, p, max(n, 2 * budget)))
        return out

    # -- packing -----------------------------------------------------------------------------------
    def units(self, text: str) -> list[tuple[Span, int]]:
        """Sentence spans (over-long ones split) with their token counts (overhead included)."""
        spans = split_sentences(text)
        counts = self._count([text[s.start:s.end] for s in spans])
        units: list[tuple[Span, int]] = []
        budget = self.config.max_tokens
        for sp, n in zip(spans, counts, strict=True):
            if n > budget:
                units.extend(self._split_long(text, sp, n))
            else:
                units.append((sp, n))
        return units

    def _content(self, units: Sequence[tuple[Span, int]]) -> list[tuple[Span, int]]:
        """Units with the per-text overhead removed (it is added once per chunk when packing)."""
        ov = self.overhead
        return [(sp, max(0, n - ov)) for sp, n in units]

    def _costs(self, units: Sequence[tuple[Span, int]]) -> list[int]:
        """``cost[j]``: what unit j adds after unit j-1: its size plus the gap before it.

        In character mode the gap is its length, so ``len(chunk.text)`` never exceeds the budget;
        in token mode whitespace between sentences usually costs one token ("▁").
        """
        char_mode = self.count_tokens is None
        cost = [u[1] for u in units]
        for j in range(1, len(units)):
            gap = units[j][0].start - units[j - 1][0].end
            cost[j] += gap if char_mode else min(gap, 1)
        return cost

    def _iter_pack(self, units: Sequence[tuple[Span, int]], cost: Sequence[int], budget: int,
                   i: int = 0) -> Iterator[tuple[int, int]]:
        """Greedy packing from unit ``i`` into index ranges ``[i, j)`` with sentence overlap."""
        n = len(units)
        while i < n:
            total = units[i][1]
            j = i + 1
            while j < n and total + cost[j] <= budget:
                total += cost[j]
                j += 1
            yield i, j
            if j >= n:
                return
            i = self._next_start(units, cost, budget, i, j)

    def _next_start(self, units: Sequence[tuple[Span, int]], cost: Sequence[int], budget: int,
                    i: int, j: int) -> int:
        """Where the chunk after ``[i, j)`` starts: up to ``overlap_sentences`` units back, if they fit."""
        ov = min(self.config.overlap_sentences, j - i - 1)
        while ov > 0 and units[j - ov][1] + sum(cost[j - ov + 1:j + 1]) > budget:
            ov -= 1
        return j - ov

    def _ranges(self, text: str, units: Sequence[tuple[Span, int]]) -> list[tuple[int, int]]:
        """Pack units; in token mode check every chunk with the real counter and shrink any over budget.

        Estimates (sentence counts without overhead, +1 per whitespace gap, 2 tokens slack) are
        nearly exact, so chunks are counted in windows of 32; after a rare shrink packing resumes
        from there.
        """
        content = self._content(units)
        cost = self._costs(content)
        if self.count_tokens is None:
            return list(self._iter_pack(content, cost, self.config.max_tokens))
        budget = self.config.max_tokens
        est_budget = max(1, budget - self.overhead - 2)
        out: list[tuple[int, int]] = []
        start = 0
        n = len(units)

        def measure(i: int, j: int) -> int:
            return self._count([text[units[i][0].start:units[j - 1][0].end]])[0]

        while start < n:
            it = self._iter_pack(content, cost, est_budget, start)
            window = list(itertools.islice(it, 32))
            counts = self._count([text[units[i][0].start:units[j - 1][0].end] for i, j in window])
            start = n
            for (i, j), c in zip(window, counts, strict=True):
                if c <= budget or j - i == 1:
                    out.append((i, j))
                    continue
                while j - i > 1 and c > budget:  # drop trailing sentences until the real count fits
                    j -= 1
                    c = measure(i, j)
                out.append((i, j))
                start = self._next_start(content, cost, est_budget, i, j) if j < n else n
                break
            else:
                nxt = next(it, None)
                start = nxt[0] if nxt is not None else n
        return out

    def run(self, article: Article) -> list[Chunk]:
        """Chunk one article's body."""
        text = article.text
        units = self.units(text)
        ranges = self._ranges(text, units)
        chunks: list[Chunk] = []
        for i, j in ranges:
            start, end = units[i][0].start, units[j - 1][0].end
            if chunks and end - start < self.config.min_chars and self._fits(text[chunks[-1].start:end]):
                start = chunks.pop().start  # merge a too-short chunk into its predecessor
            k = len(chunks)
            chunks.append(Chunk(article.id, f"{article.id}#{k}", k, start, end, text[start:end]))
        return chunks

    def _fits(self, chunk_text: str) -> bool:
        return self._count([chunk_text])[0] <= self.config.max_tokens


@functools.lru_cache(maxsize=1)
def t2s() -> Any:
    """OpenCC's traditional -> simplified converter (``t2s``), loaded once."""
    import opencc

    return opencc.OpenCC("t2s")
