"""Normalisation of a mark's verbal element (商标文字): small pure steps composed into a Normaliser.

The steps run in a fixed order; each is idempotent, so normalising a normalised text changes nothing.
Bump NORMALISER_VERSION whenever a step changes what it produces: stored normal forms and built
indexes carry the version and are recomputed when it differs.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

NORMALISER_VERSION = "2"  # 2: place names read with their place readings (库尔勒 ku er le)

# Company forms, the 牌 suffix and descriptive goods words that add nothing distinctive to a mark.
# Longest first; matched anywhere so that 周黑鸭食品 and 食品周黑鸭 both reduce to 周黑鸭.
GENERIC_WORDS: tuple[str, ...] = (
    "股份有限公司", "有限责任公司", "有限公司", "集团公司", "实业公司", "总公司", "分公司", "公司",
    "集团", "控股", "实业", "股份", "企业", "工作室", "旗舰店", "专卖店", "商行", "工厂", "厂",
    "食品", "饮料", "饮品", "酒业", "酒厂", "乳业", "乳品", "茶业", "茶叶", "农业", "农产品", "生物",
    "科技", "电子", "电器", "数码", "网络", "信息", "服饰", "服装", "鞋业", "家居", "日化", "化妆品",
    "餐饮", "连锁", "贸易", "商贸", "文化", "传媒", "品牌", "国际", "中国", "制品", "制造", "牌",
)
_GENERIC_RE = re.compile("|".join(sorted(map(re.escape, GENERIC_WORDS), key=len, reverse=True)))

# 大写数字 (financial numerals) read the same as the everyday ones; fold them.
_CAPITAL_NUMERALS = str.maketrans("壹贰叁肆伍陆柒捌玖拾佰仟零〇", "一二三四五六七八九十百千零零")
_CHINESE_DIGITS = {"零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_CHINESE_UNITS = {"十": 10, "百": 100, "千": 1000, "万": 10000}

_HAN_RE = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]")
_PART_RE = re.compile(
    r"(?P<han>[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]+)|(?P<latin>[a-z]+)|(?P<digit>[0-9]+)"
)


def is_han(ch: str) -> bool:
    return bool(_HAN_RE.fullmatch(ch))


@lru_cache(maxsize=1)
def _t2s():
    import opencc

    # Character-level config on purpose: phrase configs (tw2sp, hk2s) swap vocabulary and so change a mark.
    return opencc.OpenCC("t2s")


def fold_width_case(text: str) -> str:
    """NFKC (full-width → half-width, compatibility ideographs, Kangxi radicals) and lower case."""
    from markwatch.text.glyphs import fold_codepoints

    return fold_codepoints(unicodedata.normalize("NFKC", text)).lower()


def to_simplified(text: str) -> str:
    return _t2s().convert(text).translate(_variant_table())


@lru_cache(maxsize=1)
def _variant_table() -> dict[int, str]:
    """Japanese shinjitai and other variant forms outside GB2312 (豊 → 丰) folded to their common form.

    Only characters that GB2312 lacks are folded, and only to characters it has: a variant converter
    alone would also rewrite ordinary Chinese characters (芸 → 艺, 欠 → 缺).
    """
    import opencc

    jp2t = opencc.OpenCC("jp2t")
    t2s = _t2s()
    table: dict[int, str] = {}
    for cp in range(0x4E00, 0xA000):
        ch = chr(cp)
        if _in_gb2312(ch):
            continue
        folded = t2s.convert(jp2t.convert(ch))
        if folded != ch and len(folded) == 1 and _in_gb2312(folded):
            table[cp] = folded
    return table


def _in_gb2312(ch: str) -> bool:
    try:
        ch.encode("gb2312")
        return True
    except UnicodeEncodeError:
        return False


def fold_numerals(text: str) -> str:
    return text.translate(_CAPITAL_NUMERALS)


def strip_punctuation(text: str) -> str:
    """Keep letters, digits and ideographs; drop spaces, punctuation, symbols and control characters."""
    return "".join(ch for ch in text if ch.isalnum() or is_han(ch))


def chinese_number_value(run: str) -> int | None:
    """二千 → 2000, 九 → 9, 一二三 → 123; None when the run is not a number."""
    if not run or any(ch not in _CHINESE_DIGITS and ch not in _CHINESE_UNITS for ch in run):
        return None
    if not any(ch in _CHINESE_UNITS for ch in run):
        return int("".join(str(_CHINESE_DIGITS[ch]) for ch in run))
    total, section, digit = 0, 0, 0
    for ch in run:
        if ch in _CHINESE_DIGITS:
            digit = _CHINESE_DIGITS[ch]
        elif ch == "万":
            section = (section + digit) * 10000
            total += section
            section, digit = 0, 0
        else:
            section += (digit or 1) * _CHINESE_UNITS[ch]
            digit = 0
    return total + section + digit


def strip_generic(text: str, *, protected: Iterable[str] = ()) -> tuple[str, tuple[str, ...]]:
    """Remove generic words by longest match; never inside a protected (watched) word; never to nothing."""
    protected_spans: list[tuple[int, int]] = []
    for word in protected:
        start = text.find(word)
        while word and start >= 0:
            protected_spans.append((start, start + len(word)))
            start = text.find(word, start + 1)
    removed: list[str] = []
    kept: list[str] = []
    last = 0
    for m in _GENERIC_RE.finditer(text):
        if any(s < m.end() and m.start() < e for s, e in protected_spans):
            continue
        kept.append(text[last : m.start()])
        removed.append(m.group())
        last = m.end()
    kept.append(text[last:])
    core = "".join(kept)
    if not core:
        return text, ()
    return core, tuple(removed)


@dataclass(frozen=True)
class NormalisedMark:
    """A mark in every form the comparisons need; `original` is kept untouched."""

    original: str
    text: str  # folded, simplified, lower case, no punctuation
    core: str  # text less generic words
    chinese: str  # Han characters of core
    latin: str  # Latin letters of core
    digits: str
    latin_words: tuple[str, ...] = ()
    pinyin: tuple[str, ...] = ()  # toneless, one syllable per Han character of `chinese`
    pinyin_tone: tuple[str, ...] = ()
    tokens: tuple[str, ...] = ()  # segmentation of core
    generic: tuple[str, ...] = ()
    numbers: tuple[int, ...] = ()
    version: str = NORMALISER_VERSION

    @property
    def pinyin_text(self) -> str:
        return "".join(self.pinyin)

    @property
    def sound_key(self) -> str:
        """What the mark sounds like as one Latin string: pinyin of the Han part, then the Latin part."""
        return self.pinyin_text + self.latin

    @property
    def is_empty(self) -> bool:
        return not self.core

    def as_dict(self) -> dict:
        return {
            "original": self.original, "text": self.text, "core": self.core, "chinese": self.chinese,
            "latin": self.latin, "digits": self.digits, "latin_words": list(self.latin_words),
            "pinyin": list(self.pinyin), "pinyin_tone": list(self.pinyin_tone), "tokens": list(self.tokens),
            "generic": list(self.generic), "numbers": list(self.numbers), "version": self.version,
        }

    @classmethod
    def from_dict(cls, d: dict) -> NormalisedMark:
        tuples = ("latin_words", "pinyin", "pinyin_tone", "tokens", "generic", "numbers")
        fields: dict[str, Any] = {k: (tuple(v) if k in tuples else v) for k, v in d.items()}
        return cls(**fields)


@dataclass
class Normaliser:
    """Composes the steps; watched brand names go into the segmentation dictionary and are never stripped.

    `brand_words` are the watchlists' names, set when a run or the server starts (`add_brand_words`).
    A query (compare, search) never goes in there: it is normalised with `extra_words`, which act
    like brand words for that one call only, so one caller's query cannot change another's scores.
    """

    brand_words: frozenset[str] = field(default_factory=frozenset)
    _tokenizer: object = field(default=None, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    version = NORMALISER_VERSION

    def __post_init__(self) -> None:
        # Before any reading: the batch replica (matching.profiles) reads pypinyin without pinyin_of.
        from markwatch.text.place_readings import install

        install()

    def add_brand_words(self, words: Iterable[str]) -> None:
        new = {self.clean(w) for w in words} - self.brand_words
        new.discard("")
        if not new:
            return
        # replaced, never changed in place: a reader keeps a consistent set
        with self._lock:  # a run adds its brands while searches may be segmenting
            self.brand_words = frozenset(self.brand_words | new)
            if self._tokenizer is not None:
                for w in new:
                    self._tokenizer.add_word(w, freq=100000)  # type: ignore[attr-defined]

    def clean(self, text: str) -> str:
        return strip_punctuation(fold_numerals(to_simplified(fold_width_case(text))))

    def query_words(self, words: Iterable[str]) -> frozenset[str]:
        """A query's own words in the form `normalise(extra_words=...)` takes."""
        return frozenset(w for w in map(self.clean, words) if w)

    def _segment(self, text: str, extra_words: frozenset[str] = frozenset()) -> tuple[str, ...]:
        if not text:
            return ()
        extra = sorted((w for w in extra_words if w in text and w not in self.brand_words), key=len, reverse=True)
        if extra:
            # The shared dictionary stays as it is: the query's words are cut out first (longest,
            # leftmost) and kept whole, as a dictionary word of high frequency would be; the rest
            # is segmented as usual.
            out: list[str] = []
            rest = 0
            i = 0
            while i < len(text):
                word = next((w for w in extra if text.startswith(w, i)), None)
                if word is None:
                    i += 1
                    continue
                out += self._segment(text[rest:i])
                out.append(word)
                i = rest = i + len(word)
            out += self._segment(text[rest:])
            return tuple(out)
        with self._lock:
            if self._tokenizer is None:
                from markwatch.text.segmenter import private_tokenizer

                tok = private_tokenizer()
                for w in self.brand_words:
                    tok.add_word(w, freq=100000)
                self._tokenizer = tok
            return tuple(w for w in self._tokenizer.lcut(text, HMM=False) if w.strip())  # type: ignore[attr-defined]

    def normalise(self, mark: str, *, extra_words: frozenset[str] = frozenset()) -> NormalisedMark:
        """`extra_words` (from `query_words`) count as brand words for this call only."""
        original = mark or ""
        text = self.clean(original)
        watched = self.brand_words | extra_words if extra_words else self.brand_words
        # A watched name inside a longer mark keeps its generic-looking part (a brand 天牌 stays whole);
        # the name standing alone is stripped like any other mark (长城牌 → 长城).
        core, generic = strip_generic(text, protected=[w for w in watched if w and w in text and w != text])
        chinese, latin, digits = [], [], []
        latin_words: list[str] = []
        for m in _PART_RE.finditer(core):
            if m.group("han"):
                chinese.append(m.group("han"))
            elif m.group("latin"):
                latin.append(m.group("latin"))
                latin_words.append(m.group("latin"))
            else:
                digits.append(m.group("digit"))
        # Latin words as written, before spaces were removed, keep word boundaries (RED BULL).
        spaced = unicodedata.normalize("NFKC", original).lower()
        words = tuple(re.findall(r"[a-z]+", spaced)) or tuple(latin_words)
        han = "".join(chinese)
        pinyin, pinyin_tone = pinyin_of(han)
        numbers = tuple(int(d) for d in digits)
        for run in re.findall(r"[零一二两三四五六七八九十百千万]+", han):
            value = chinese_number_value(run)
            if value is not None and len(run) > 1:
                numbers += (value,)
        return NormalisedMark(
            original=original, text=text, core=core, chinese=han, latin="".join(latin),
            digits="".join(digits), latin_words=words, pinyin=pinyin, pinyin_tone=pinyin_tone,
            tokens=self._segment(core, extra_words), generic=generic, numbers=numbers,
        )


def each_character(text: str) -> Any:
    """pypinyin's `errors` callback: a character without a reading stands for itself, one per
    character (pypinyin accepts a list; its type hints say str)."""
    return list(text)


@lru_cache(maxsize=200_000)
def pinyin_of(han: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Phrase-aware pinyin of a run of Han characters, one syllable per character (toneless, toned)."""
    if not han:
        return (), ()
    from pypinyin import Style, lazy_pinyin

    from markwatch.text.place_readings import install

    install()  # place names read as the places are called (库尔勒 ku er le)
    toneless = tuple(lazy_pinyin(han, style=Style.NORMAL, errors=each_character))
    toned = tuple(lazy_pinyin(han, style=Style.TONE3, neutral_tone_with_five=True, errors=each_character))
    return toneless, toned
