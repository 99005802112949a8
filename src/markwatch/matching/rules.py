"""The matching rules as data: what counts as alike, how much, and how it is said.

Everything a reviewer may want to read or tune lives here, apart from the code that applies it
(comparisons/ and matcher.py). Scores are in [0, 1]; a pair alerts when its score reaches the
brand's threshold (or DEFAULT_THRESHOLD).
"""

from __future__ import annotations

from markwatch.model import Severity

# ---------------------------------------------------------------- sound (音)
# Fuzzy-pinyin equivalences (模糊音) as ordinary Chinese input methods know them.
FUZZY_INITIALS: tuple[tuple[str, str], ...] = (
    ("z", "zh"), ("c", "ch"), ("s", "sh"), ("n", "l"), ("f", "h"), ("r", "l"),
)
FUZZY_FINALS: tuple[tuple[str, str], ...] = (
    ("an", "ang"), ("en", "eng"), ("in", "ing"), ("ian", "iang"), ("uan", "uang"),
)

SOUND = {
    "identical": 0.95,  # same toneless syllables, other characters
    "fuzzy": 0.86,  # equal under the fuzzy-pinyin table
    "tone_penalty": 0.02,  # per syllable whose tone differs
    # The partial rule (2 of 3 syllables alike): weight x similarity, similarity 1 - d/n from this floor
    # (d the fuzzy-syllable edit distance, n the longer syllable count).
    "near_weight": 0.85,
    "near_min_similarity": 0.66,
    # Marks of 3+ syllables alike in sound but for one syllable, not the first, with a character written
    # the same (奥利奥 / 奥力给): the one-character-changed rule heard rather than read.
    "one_changed": 0.72,
}

# ---------------------------------------------------------------- look (形)
LOOK = {
    "lookalike_floor": 0.55,  # glyph similarity from which two characters count as look-alike
    "cap": 0.98,  # the highest look score (other characters never look quite the same)
}

# ---------------------------------------------------------------- structure (CNIPA word-mark rules)
STRUCTURE = {
    "contains_multi": 0.9,  # whole brand of 2+ characters inside the new mark (周黑鸭 → 汉味周黑鸭)
    "contains_single": 0.8,  # a one-character brand inside a short mark (茅 → 金茅)
    "contained_in_brand": 0.75,  # the new mark is the distinctive part of the brand
    "contained_spread": 0.67,  # ... with one character put inside it (蜜雪冰城 / 蜜念雪)
    "reordered": 0.85,  # same characters, other order (安途/途安)
    "one_changed_3plus": 0.8,  # one character changed in a mark of 3+ characters (帕尔斯/帕尔特)
    "one_changed_first_differs": 0.72,  # ... where the first character is a numeral swapped for another
    "one_changed_first_alike": 0.76,  # ... where the other first character sounds or looks alike (not both)
    "one_changed_first_clear": 0.6,  # ... where it differs clearly in both sound and look (the exception)
    "one_changed_meaning_differs": 0.5,  # ... where the changed part forms another word (电老虎/电飞虎)
    "gi_same_place": 0.9,  # geographical indication: same place name + same product
    "gi_other_place": 0.2,  # same product, another place (五常大米/响水大米)
    "repeated": 0.85,  # the brand with characters repeated (洽洽 / 洽洽洽)
}

# ---------------------------------------------------------------- alignment (comparisons/alignment.py)
# The brand's characters found in the mark one by one, each weighed by its distinctiveness.
ALIGNMENT = {
    "top": 0.9,  # score at full coverage
    "min_coverage": 0.75,  # weighed share of the brand found, from which the alignment is evidence
    "gap": 0.15,  # weight lost per mark character put between matched ones
    "extra": 0.03,  # score lost per (weighed) character the mark adds ...
    "extra_cap": 4,  # ... for at most this many
    "sound": 0.8,  # a brand character matched by one of the same sound
    "fuzzy": 0.65,  # ... of a fuzzy-pinyin sound
    "look_floor": 0.6,  # ... by a look-alike: from this at the look-alike floor ...
    "look_span": 0.3,  # ... rising by this much up to identical glyphs
    "component": 0.6,  # ... by one of its components, or a character it is a component of (祥/羊)
    "compose": 0.85,  # one character written as its parts, or parts merged into one (林/木木)
    "swap": 0.9,  # two neighbours matched crosswise keep this share of their gain
}

# Marks longer than this many times the brand are seldom read as the brand (a sentence, a long name).
CONTAINS_MAX_EXTRA_CHARS = 6
# A one-character brand counts as contained in marks of at most this many characters (茅 → 金茅).
CONTAINS_SINGLE_MAX_CHARS = 3

# ---------------------------------------------------------------- pinyin and Latin
LATIN = {
    "pinyin_equals_latin": 0.85,  # 蒙牛 / MENGNIU
    "pinyin_equals_latin_not_well_known": 0.78,  # 硕涵 / SHUOHAN
    "pinyin_prefix_of_latin": 0.72,  # 蓝妹 / lanmeijingliang
    "latin_min_length": 3,  # shorter Latin parts (QQ, BMW) need an exact or look-alike match
    "same_latin_part": 0.9,  # equal Latin parts, the Chinese differs
    "alike_weight": 0.95,  # Latin parts alike by ratio score this share of it ...
    "alike_min_ratio": 0.8,  # ... from this ratio
    "sounds_same": 0.85,  # equal metaphones
    "sounds_near": 0.78,  # near metaphones ...
    "sounds_near_min_ratio": 0.7,  # ... and a ratio from this
    "metaphone_near_ratio": 80,  # rapidfuzz ratio of two metaphones from which they are near
    "contains": 0.85,  # the brand's Latin part inside the mark's
    "one_letter_alike": 0.8,  # short parts, one letter a look-alike (BMW / BMN)
    # parts of LATIN_RATIO_MIN_LENGTH letters or more, the first letter kept, one letter changed, added or
    # dropped, or two neighbours swapped (NIKE / NIKA, ZARA / ZALA, SONY / SNOY): Damerau-Levenshtein 1
    "one_edit": 0.78,
    "reordered_letters": 0.74,  # short parts, the letters rearranged with one added (BMW / MBWL)
}

# Latin containment needs a brand Latin part of this many letters, pinyin prefixes this many.
LATIN_CONTAINS_MIN_LETTERS = 4
PINYIN_PREFIX_MIN_LETTERS = 5
# Latin parts of at least this many letters are compared by ratio and metaphone; shorter ones letter by letter.
LATIN_RATIO_MIN_LENGTH = 4
# Short Latin parts are compared letter by letter up to this many letters (BMW / MBWL).
LATIN_REORDER_MAX_LETTERS = 6

# Meaning (义): the figures are those of comparisons/meaning.py.

# ---------------------------------------------------------------- goods
# Multiplier applied to the mark score, from the goods overlap score (goods.goods_overlap).
GOODS_FACTOR_FLOOR = 0.7  # mark score x (floor + (1 - floor) x goods score) when goods overlap at all
GOODS_DISSIMILAR_CAP = 0.35  # score cap when goods are dissimilar and the brand is not well known

# ---------------------------------------------------------------- verdict
# The best finding gains this much for each further strong evidence kind (one scoring at least
# AGREEMENT_MIN_SCORE), for at most AGREEMENT_MAX_KINDS of them.
AGREEMENT_BONUS = 0.02
AGREEMENT_MIN_SCORE = 0.7
AGREEMENT_MAX_KINDS = 2
DEFAULT_THRESHOLD = 0.62
# The learned combination (combination.py) raises a score at most this much above the strongest finding.
LEARNED_MAX_LIFT = 0.1
# ... and lowers the rules' score at most this much: the rules' findings stay the floor of the evidence.
LEARNED_MAX_LOWER = 0.15
SEVERITY_BANDS: tuple[tuple[Severity, float], ...] = (("high", 0.85), ("medium", 0.74), ("low", 0.0))
KEY_BRAND_BONUS = 0.03  # 重点商标: one band earlier

# ---------------------------------------------------------------- reasons (Chinese, English)
REASONS: dict[str, tuple[str, str]] = {
    "sound_same": ("读音相同 {a} ≈ {b}", "same sound {a} ≈ {b}"),
    "sound_fuzzy": ("读音相近（模糊音）{a} ≈ {b}", "similar sound (fuzzy pinyin) {a} ≈ {b}"),
    "sound_near": ("读音近似 {a} ≈ {b}", "sounds alike {a} ≈ {b}"),
    "latin_one_edit": ("字母仅一处不同 {a} ≈ {b}", "one letter apart {a} ≈ {b}"),
    "sound_one_changed": ("读音仅一字不同且首字相同 {a} ≈ {b}", "sounds alike but for one syllable, not the first {a} ≈ {b}"),
    "homophone_first_differs": (
        "读音相同但首字不同（{x}/{y}），一般不判近似",
        "same sound but a different first character ({x}/{y}); generally not similar",
    ),
    "homophone_first_differs_long": (
        "读音相同但首字不同且字形不近（{x}/{y}），仅凭读音近似程度有限",
        "same sound, but the first character differs and does not look alike ({x}/{y}): the sound alone weighs little",
    ),
    "look_pair": ("{x}/{y} 字形相近", "{x}/{y} look alike"),
    "look_whole": ("字形近似 {a} ≈ {b}", "similar look {a} ≈ {b}"),
    "contains": ("完整包含商标“{a}”", "contains the whole mark “{a}”"),
    # not "完整包含": the brand's characters are there in order, with other characters put between them
    "contains_spread": ("依次包含商标“{a}”的全部文字（中间插入其他文字）",
                        "has every character of “{a}” in order, with others put between"),
    "contains_alike_tail": ("保留商标“{a}”的字头，其余文字形近", "keeps the head of “{a}”, the rest look-alike"),
    "contained": ("新商标“{b}”为商标“{a}”的显著部分", "the new mark “{b}” is the distinctive part of “{a}”"),
    "contained_spread": ("新商标“{b}”为商标“{a}”的显著部分“{p}”中间插入“{x}”",
                         "the new mark “{b}” is the distinctive part “{p}” of “{a}” with “{x}” put inside"),
    "reordered": ("文字相同、顺序不同 {a} / {b}", "same characters in another order {a} / {b}"),
    "one_changed": ("仅一字不同（{x}→{y}）", "only one character differs ({x}→{y})"),
    "one_changed_first": (
        "仅首字不同（{x}→{y}），其余相同",
        "only the first character differs ({x}→{y})",
    ),
    "one_changed_first_alike": (
        "仅首字不同（{x}→{y}），首字{how}，其余相同",
        "only the first character differs ({x}→{y}), and it {how_en}",
    ),
    "one_changed_first_clear": (
        "仅首字不同（{x}→{y}），首字音、形均明显不同",
        "only the first character differs ({x}→{y}), clearly in sound and look",
    ),
    "one_changed_meaning": (
        "一字之差但含义不同（{a} / {b}）",
        "one character differs but the meaning differs ({a} / {b})",
    ),
    "generic_added": ("在商标上添加通用词“{w}”", "the mark plus the generic word “{w}”"),
    "traditional": ("繁简字形不同，文字相同", "the same characters in traditional/simplified form"),
    "pinyin_of_mark": ("拼音“{b}”即“{a}”的读音", "the pinyin “{b}” spells “{a}”"),
    "pinyin_prefix": ("以“{a}”的拼音开头（{b}）", "starts with the pinyin of “{a}” ({b})"),
    "latin_alike": ("外文近似 {a} ≈ {b}", "similar Latin text {a} ≈ {b}"),
    "latin_sound": ("外文读音近似 {a} ≈ {b}", "Latin text sounds alike {a} ≈ {b}"),
    "gi_place": ("地理标志地名“{p}”相同，产品相同或类似", "same geographical name “{p}” for the same product"),
    "gi_other_place": (
        "产品名称相同但地名不同（{p} / {q}），不判近似",
        "same product but another place ({p} / {q}); not similar",
    ),
    "repeated": ("重复商标文字 {a} / {b}", "the mark's characters repeated {a} / {b}"),
    "identical": ("文字相同（{a}）", "identical text ({a})"),
    "excluded_applicant": ("申请人为商标权利人或例外申请人（{w}）", "applicant is the owner or excepted ({w})"),
    "excluded_word": ("含例外词“{w}”", "contains the excepted word “{w}”"),
    # The variants matching.wording says instead when the plain wording would not be true of the marks.
    "sound_alike_readings": ("读音相近 {a} ≈ {b}（{d} 不同）", "similar sound {a} ≈ {b} ({d} differ)"),
    "gi_head": ("地理标志前部文字“{p}”相同，产品相同或类似", "same leading words “{p}” for the same product"),
    "gi_other_head": (
        "产品名称相同但前部文字不同（{p} / {q}），不判近似",
        "same product but other leading words ({p} / {q}); not similar",
    ),
    "latin_same": ("外文相同 {a}", "same Latin text {a}"),
    "identical_alias": ("与商标别名“{w}”相同", "the same as the brand's alias “{w}”"),
    "identical_alias_written": ("与商标别名“{w}”相同（写作“{a}”）", "the same as the brand's alias “{w}” (written “{a}”)"),
    "contains_alias": ("完整包含商标别名“{w}”", "contains the brand's whole alias “{w}”"),
    "contained_latin": ("新商标中的“{b}”是商标“{a}”的一部分", "“{b}” of the new mark is a part of “{a}”"),
    "contained_latin_alias": (
        "新商标中的“{b}”是商标别名“{a}”的一部分",
        "“{b}” of the new mark is a part of the brand's alias “{a}”",
    ),
    "pinyin_alias": ("商标别名“{w}”即“{a}”的拼音", "the brand's alias “{w}” is the pinyin of “{a}”"),
    "latin_alike_alias": ("与商标别名“{a}”外文近似（{b}）", "Latin text similar to the brand's alias “{a}” ({b})"),
    "latin_same_alias": ("外文与商标别名“{a}”相同（{b}）", "Latin text the same as the brand's alias “{a}” ({b})"),
    "latin_sound_alias": (
        "与商标别名“{a}”外文读音近似（{b}）",
        "Latin text sounds like the brand's alias “{a}” ({b})",
    ),
}


def reason_text(key: str, **values: object) -> tuple[str, str]:
    zh, en = REASONS[key]
    return zh.format(**values), en.format(**values)
