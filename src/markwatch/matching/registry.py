"""The registry of evidence families: every blocking-key family of the matcher, declared once.

The full scorer (`Matcher.compare_profiles`) cannot see every (mark, brand) pair, so candidates
come from blocking keys: a pair is scored when the brand and the mark share a key. Each family is
a *necessary condition* of one kind of evidence the matcher can produce, so a pair no family hits
gets no evidence and cannot be flagged (nor rank in a clearance search). One declaration says all
there is to know about a family:

- `name`, and `kind`: the evidence kind it stands for (the matcher's agreement bonus counts kinds);
- `bound`: the highest evidence score it stands for, read from the figures the scorer itself uses
  (rules.py, comparisons/); a clearance search ranks and stops on these bounds;
- `checked`: whether its keys are loose on purpose and confirmed by `check` before scoring;
- `brand_keys`, `mark_keys` (and `place_keys`): its key builders, each side's;
- `text_check`: (needles of the query form, holds(needle, stored text)) for a search to drop
  candidates on the stored text before any profiling;
- `code`: the prefix its keys carry on disk (a storage detail: nothing else spells it).

Everything else (bounds by family, the kind map, the checked and meaning sets, the family of a
key, a search's family bits) is derived from `FAMILIES` below.

Adding a family is one declaration here (with its builders and, if loose, its check) and its tests.
For example, a rule that a mark holding the brand's Latin part backwards is alike::

    LATIN_REVERSED = _family(
        "latin_reversed", code="v", kind="latin", bound=LATIN["reversed"],
        brand_keys=form_keys.brand_latin_reversed,   # out.add(code + b.latin[::-1])
        mark_keys=form_keys.mark_latin_reversed,     # out.add(code + c.latin)
    )

with `LATIN["reversed"]` the score comparisons/latin.py gives, and a test in tests/test_candidates.py
that such a pair gets a key (`test_each_evidence_kind_has_a_key`) and stays within its bound. Bump
`KEYS_VERSION` when stored key strings change (saved indexes carry it and are rebuilt).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from markwatch.blocking import checks, form_keys, meaning_keys
from markwatch.matching.comparisons.alignment import SHARED_PART_SCORE
from markwatch.matching.comparisons.image import IMAGE_BOUND
from markwatch.matching.comparisons.latin import latin_containment_needles
from markwatch.matching.comparisons.look import LOOK_CAP
from markwatch.matching.comparisons.meaning import (
    CONTAINED_TRANSLATION_SCORE,
    IDENTICAL_PART_SCORE,
    SYNONYM_SCORE,
    TRANSLATION_SCORE,
)
from markwatch.matching.comparisons.sound import SOUND_NEAR_WEIGHT
from markwatch.matching.comparisons.structure import (
    ALIKE_TAIL_SCORE,
    GENERIC_ADDED_SCORE,
    IDENTICAL_SCORE,
    SUBSEQUENCE_SCORE,
)
from markwatch.matching.rules import LATIN, SOUND, STRUCTURE

# Bump when a key family changes what it emits: saved indexes carry it and are rebuilt when it differs.
KEYS_VERSION = "11"

# The kind of a family whose hits say nothing of the evidence (any kind, any score).
ANY = "any"
KINDS = ("contains", "identical", "order", "structure", "look", "sound", "pinyin", "latin", "place",
         "meaning", "translation", "image", ANY)


@dataclass(frozen=True, eq=False)
class Family:
    """One evidence family: see the module's docstring. Compared and hashed by identity."""

    name: str
    code: str
    kind: str
    bound: float
    checked: bool = False
    also: str | None = None  # a second kind it stands for at once
    channel: str = "form"  # "form": keys of written forms; "meaning": keys of the meaning texts
    brand_keys: Callable | None = None
    mark_keys: Callable | None = None
    place_keys: Callable | None = None
    check: Callable | None = None
    text_check: tuple[Callable, Callable] | None = None
    latin_only: bool = False  # its mark keys read only the form's Latin part: none for a form without one
    bit: int = field(default=0, compare=False)

    def __repr__(self) -> str:
        return f"<family {self.name}>"


_DECLARED: list[Family] = []


def _family(name: str, **kw) -> Family:
    if kw["kind"] not in KINDS or (kw.get("also") is not None and kw["also"] not in KINDS):
        raise ValueError(f"family {name}: unknown evidence kind")
    if kw.get("checked") and kw.get("check") is None:
        raise ValueError(f"family {name}: a checked family needs its check")
    fam = Family(name=name, bit=1 << len(_DECLARED), **kw)
    _DECLARED.append(fam)
    return fam


fk, mk, ck = form_keys, meaning_keys, checks
_CORE = (ck.core_needle, ck.is_subsequence)

# ================================================================ structure (comparisons/structure.py)
REPEAT_COLLAPSED = _family(
    "repeat_collapsed", code="r", kind="identical",  # identical, generic added, traditional, repeated
    bound=max(IDENTICAL_SCORE, GENERIC_ADDED_SCORE, STRUCTURE["repeated"]),
    brand_keys=fk.brand_repeat_collapsed, mark_keys=fk.mark_repeat_collapsed)
REORDERED = _family(
    "reordered", code="o", kind="order", bound=STRUCTURE["reordered"],  # 安途/途安: same sorted core
    brand_keys=fk.brand_reordered, mark_keys=fk.mark_reordered)
CONTAINED_IN_BRAND = _family(
    "contained_in_brand", code="c", kind="contains", bound=STRUCTURE["contained_in_brand"],
    brand_keys=fk.brand_contained_in_brand, mark_keys=fk.mark_contained_in_brand)
CONTAINED_SPREAD = _family(
    "contained_spread", code="D", kind="contains", bound=STRUCTURE["contained_spread"],  # 蜜雪冰城 / 蜜念雪
    brand_keys=fk.brand_contained_in_brand, mark_keys=fk.mark_contained_spread)
CONTAINS_PREFIX2 = _family(
    # 周黑鸭 → 汉味周黑鸭: the brand's first two Han characters in the mark (checked: the whole core);
    # a geographical indication's place name too (checked: the whole name in the mark's text).
    "contains_prefix2", code="b", kind="contains", checked=True,
    bound=max(STRUCTURE["contains_multi"], LATIN["contains"], STRUCTURE["gi_same_place"]),
    brand_keys=fk.brand_contains_prefix2, mark_keys=fk.mark_contains_prefix2,
    place_keys=fk.place_contains_prefix2, check=ck.check_contains, text_check=_CORE)
CONTAINS_PREFIX4 = _family(
    "contains_prefix4", code="B", kind="contains", checked=True,  # the first four, when not Chinese
    bound=max(STRUCTURE["contains_multi"], LATIN["contains"]),
    brand_keys=fk.brand_contains_prefix4, mark_keys=fk.mark_contains_prefix4,
    check=ck.check_contains, text_check=_CORE)
CONTAINS_SINGLE = _family(
    "contains_single", code="u", kind="contains", bound=STRUCTURE["contains_single"],  # 茅 → 金茅
    brand_keys=fk.brand_contains_single, mark_keys=fk.mark_contains_single)
CONTAINS_SUBSEQUENCE = _family(
    "contains_subsequence", code="q", kind="contains", checked=True, bound=SUBSEQUENCE_SCORE,  # 六个核桃
    brand_keys=fk.brand_contains_subsequence, mark_keys=fk.mark_contains_subsequence,
    check=ck.check_subsequence, text_check=_CORE)
LOOKALIKE_TAIL = _family(
    "lookalike_tail", code="Q", kind="contains", checked=True, bound=ALIKE_TAIL_SCORE,  # 恒源祥/恒源彩羊
    brand_keys=fk.brand_lookalike_tail, mark_keys=fk.mark_lookalike_tail,
    check=ck.check_alike_tail, text_check=(ck.core_needle, ck.alike_subsequence))
SHARED_PART = _family(
    # The alignment (comparisons/alignment.py): two neighbouring brand characters at most
    # ANCHOR_GAP characters between in the mark (大午粮液, 途安行, 稻香村粽子); checked: the anchor itself.
    "shared_part", code="A", kind="contains", checked=True, bound=SHARED_PART_SCORE,
    brand_keys=fk.brand_shared_part, mark_keys=fk.mark_shared_part, check=ck.check_shared_part)
ONE_CHANGED = _family(
    "one_changed", code="1", kind="structure", checked=True,  # 帕尔斯/帕尔特 (checked: same Latin part)
    bound=max(STRUCTURE["one_changed_3plus"], STRUCTURE["one_changed_first_differs"],
              STRUCTURE["one_changed_first_alike"], STRUCTURE["one_changed_first_clear"]),
    brand_keys=fk.brand_one_changed, mark_keys=fk.mark_one_changed, check=ck.check_one_changed)
ONE_CHANGED_FIRST = _family(
    # The one_changed keys whose wildcard is the first character: a pair differing in its first
    # character only scores the graded first-character figures at most (no builders: one_changed's keys).
    "one_changed_first", code=ONE_CHANGED.code + "*", kind="structure", checked=True,
    bound=max(STRUCTURE["one_changed_first_differs"], STRUCTURE["one_changed_meaning_differs"],
              STRUCTURE["one_changed_3plus"], STRUCTURE["one_changed_first_alike"],
              STRUCTURE["one_changed_first_clear"]),
    check=ck.check_one_changed)

# ================================================================ look and sound (comparisons/look.py, sound.py)
LOOK_SAME_LENGTH = _family(
    "look_same_length", code="k", kind="look", checked=True, bound=LOOK_CAP,  # 康师傅/康帅傅
    brand_keys=fk.brand_look_same_length, mark_keys=fk.mark_look_same_length, check=ck.check_look)
LOOK_FIRST_TWO = _family(
    "look_first_two", code="K", kind="look", checked=True, bound=LOOK_CAP,  # a search's: first two alike
    brand_keys=fk.brand_look_first_two, mark_keys=fk.mark_look_first_two, check=ck.check_look)
SOUND_SAME_LENGTH = _family(
    "sound_same_length", code="p", kind="sound", checked=True, bound=SOUND["identical"],  # 立康/利康
    brand_keys=fk.brand_sound_same_length, mark_keys=fk.mark_sound_same_length, check=ck.check_same_sound)
SOUND_NEAR = _family(
    "sound_near", code="n", kind="sound", checked=True, bound=SOUND_NEAR_WEIGHT,  # 2 of 3 syllables alike
    brand_keys=fk.brand_sound_near, mark_keys=fk.mark_sound_near, check=ck.check_sound_near)

# ================================================================ pinyin and Latin (comparisons/latin.py)
_PINYIN_BOUND = max(LATIN["pinyin_equals_latin"], LATIN["pinyin_equals_latin_not_well_known"])
PINYIN_AS_LATIN = _family(
    "pinyin_as_latin", code="y", kind="pinyin", bound=_PINYIN_BOUND,  # 蒙牛 / MENGNIU
    brand_keys=fk.brand_pinyin_as_latin, mark_keys=fk.mark_pinyin_as_latin, latin_only=True)
LATIN_AS_PINYIN = _family(
    "latin_as_pinyin", code="Y", kind="pinyin", bound=_PINYIN_BOUND,  # MENGNIU / 蒙牛
    brand_keys=fk.brand_latin_as_pinyin, mark_keys=fk.mark_latin_as_pinyin)
LATIN_WINDOW = _family(
    # Latin containment and pinyin prefix: a window of the mark's Latin equals the brand's first letters.
    "latin_window", code="L", kind="contains", also="pinyin", checked=True,
    bound=max(LATIN["contains"], LATIN["pinyin_prefix_of_latin"]),
    brand_keys=fk.brand_latin_window, mark_keys=fk.mark_latin_window, latin_only=True, check=ck.check_latin_window,
    text_check=(latin_containment_needles, ck.is_subsequence))
LATIN_SAME = _family(
    "latin_same", code="l", kind="latin", bound=LATIN["same_latin_part"],  # same Latin, Chinese differs
    brand_keys=fk.brand_latin_same, mark_keys=fk.mark_latin_same, latin_only=True)
LATIN_REORDERED = _family(
    "latin_reordered", code="x", kind="order", bound=LATIN["reordered_letters"],  # BMW / MBWL
    brand_keys=fk.brand_latin_reordered, mark_keys=fk.mark_latin_reordered, latin_only=True)
LATIN_ONE_LETTER = _family(
    "latin_one_letter", code="w", kind="latin", bound=LATIN["one_letter_alike"],  # BMW / BMN
    brand_keys=fk.brand_latin_one_letter, mark_keys=fk.mark_latin_one_letter, latin_only=True)
LATIN_ONE_EDIT = _family(
    "latin_one_edit", code="E", kind="latin", checked=True, bound=LATIN["one_edit"],  # NIKE / NIKA
    brand_keys=fk.brand_latin_one_edit, mark_keys=fk.mark_latin_one_edit, latin_only=True, check=ck.check_latin_one_edit)
LATIN_METAPHONE = _family(
    "latin_metaphone", code="m", kind="latin", bound=LATIN["sounds_same"],  # equal metaphones
    brand_keys=fk.brand_latin_metaphone, mark_keys=fk.mark_latin_metaphone, latin_only=True)
LATIN_RATIO = _family(
    # Latin parts alike by ratio: no keys, one vectorised comparison (KeyIndex.latin_pairs, a search's cdist).
    "latin_ratio", code="~", kind="latin", bound=LATIN["alike_weight"])

# ================================================================ places (comparisons/structure.py)
PLACE_ONE_CHAR = _family(
    "place_one_char", code="G", kind="place", checked=True, bound=STRUCTURE["gi_same_place"],
    mark_keys=fk.mark_place_one_char, place_keys=fk.place_place_one_char, check=ck.check_place)

# ================================================================ meaning (comparisons/meaning.py)
SAME_CHINESE_PART = _family(
    "same_chinese_part", code="i", kind="meaning", channel="meaning", bound=IDENTICAL_PART_SCORE,
    brand_keys=mk.brand_same_chinese_part, mark_keys=mk.mark_same_chinese_part)
SAME_LATIN_PART = _family(
    "same_latin_part", code="j", kind="meaning", channel="meaning", bound=IDENTICAL_PART_SCORE,
    brand_keys=mk.brand_same_latin_part, mark_keys=mk.mark_same_latin_part)
TRANSLATION = _family(
    "translation", code="t", kind="translation", channel="meaning", bound=TRANSLATION_SCORE,  # 苹果 / APPLE
    brand_keys=mk.brand_translation, mark_keys=mk.mark_translation)
TRANSLATION_HEADWORD = _family(
    "translation_headword", code="h", kind="translation", channel="meaning", bound=TRANSLATION_SCORE,
    brand_keys=mk.brand_translation_headword, mark_keys=mk.mark_translation_headword)
CONTAINED_TRANSLATION = _family(
    "contained_translation", code="H", kind="translation", channel="meaning",
    bound=max(TRANSLATION_SCORE, CONTAINED_TRANSLATION_SCORE),
    brand_keys=mk.brand_contained_translation, mark_keys=mk.mark_contained_translation)
COMPOSED_TRANSLATION = _family(
    "composed_translation", code="P", kind="translation", channel="meaning", bound=TRANSLATION_SCORE,
    brand_keys=mk.brand_composed_translation, mark_keys=mk.mark_composed_translation)  # 金天鹅 / GOLDEN SWAN
SHARED_HEADWORD = _family(
    "shared_headword", code="e", kind="meaning", channel="meaning", bound=SYNONYM_SCORE,  # COKE / COCA-COLA
    brand_keys=mk.brand_shared_headword, mark_keys=mk.mark_shared_headword)
SYNONYM_SPAN = _family(
    "synonym_span", code="S", kind="meaning", channel="meaning", bound=SYNONYM_SCORE,  # 红牛 / 赤牛
    brand_keys=mk.brand_synonym_span, mark_keys=mk.mark_synonym_span)

# ================================================================ pictures (comparisons/image.py)
IMAGE_NEIGHBOUR = _family(
    # Pictures alike: no keys, the nearest brand logos in the picture index (images.index.PictureIndex).
    "image_neighbour", code="@", kind="image", bound=IMAGE_BOUND)

# ================================================================ a clearance search's own candidates
QUERY_CONTAINED = _family(
    # Stored marks holding the whole query (it normalises otherwise there): anything may be found.
    "query_contained", code="!", kind=ANY, bound=1.0)
VECTOR_NEIGHBOUR = _family(
    "vector_neighbour", code="*", kind=ANY, bound=1.0)  # the n-gram vector safety net

del fk, mk, ck

# ================================================================ derived
FAMILIES: tuple[Family, ...] = tuple(_DECLARED)
BY_NAME: dict[str, Family] = {f.name: f for f in FAMILIES}
_BY_CODE: dict[str, Family] = {f.code: f for f in FAMILIES}
if len(BY_NAME) != len(FAMILIES) or len(_BY_CODE) != len(FAMILIES) or len(FAMILIES) > 64:
    raise ValueError("family names and codes must be unique, and at most 64 families")
_LONG_CODES: dict[str, Family] = {f.code: f for f in FAMILIES if len(f.code) == 2}

CHECKED: frozenset[Family] = frozenset(f for f in FAMILIES if f.checked)
MEANING_FAMILIES: frozenset[Family] = frozenset(f for f in FAMILIES if f.kind in ("meaning", "translation"))
TWO_KIND_FAMILIES: frozenset[Family] = frozenset(f for f in FAMILIES if f.also is not None)
SOUND_LOOK: frozenset[Family] = frozenset(f for f in FAMILIES if f.kind in ("sound", "look"))
TEXT_CHECKED: tuple[Family, ...] = tuple(f for f in FAMILIES if f.text_check is not None)


def family_of_key(key: str) -> Family:
    """The family a stored key belongs to (its code is the key's prefix)."""
    family = _LONG_CODES.get(key[:2]) or _BY_CODE.get(key[:1])
    if family is None:
        raise KeyError(f"no evidence family has the code of key {key!r}")
    return family


def families_of_mask(mask: int) -> frozenset[Family]:
    """The families whose bits are set in `mask` (a search's per-candidate record)."""
    return frozenset(f for f in FAMILIES if mask & f.bit)


def family_bounds() -> dict[str, float]:
    """Each family's bound, by name (for reports and tests)."""
    return {f.name: f.bound for f in FAMILIES}
