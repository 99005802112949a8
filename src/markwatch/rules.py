"""The matching rules as data: what counts as alike, how much, and how it is said.

Everything a reviewer may want to read or tune lives here, apart from the code that applies it
(comparisons/ and matcher.py). Scores are in [0, 1]; a pair alerts when its score reaches the
brand's threshold (or DEFAULT_THRESHOLD).
"""

from __future__ import annotations

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
}

# ---------------------------------------------------------------- look (形)
LOOK = {
    "lookalike_floor": 0.55,  # glyph similarity from which two characters count as look-alike
}

# ---------------------------------------------------------------- structure (CNIPA word-mark rules)
STRUCTURE = {
    "contains_multi": 0.9,  # whole brand of 2+ characters inside the new mark (周黑鸭 → 汉味周黑鸭)
    "contains_single": 0.8,  # a one-character brand inside a short mark (茅 → 金茅)
    "contained_in_brand": 0.75,  # the new mark is the distinctive part of the brand
    "reordered": 0.85,  # same characters, other order (安途/途安)
    "one_changed_3plus": 0.8,  # one character changed in a mark of 3+ characters (帕尔斯/帕尔特)
    "one_changed_first_differs": 0.72,  # ... where the first character differs in sound and look
    "one_changed_meaning_differs": 0.5,  # ... where the changed part forms another word (电老虎/电飞虎)
    "gi_same_place": 0.9,  # geographical indication: same place name + same product
    "gi_other_place": 0.2,  # same product, another place (五常大米/响水大米)
    "repeated": 0.85,  # the brand with characters repeated (洽洽 / 洽洽洽)
}

# Marks longer than this many times the brand are seldom read as the brand (a sentence, a long name).
CONTAINS_MAX_EXTRA_CHARS = 6

# ---------------------------------------------------------------- pinyin and Latin
LATIN = {
    "pinyin_equals_latin": 0.85,  # 蒙牛 / MENGNIU
    "pinyin_equals_latin_not_well_known": 0.78,  # 硕涵 / SHUOHAN
    "pinyin_prefix_of_latin": 0.72,  # 蓝妹 / lanmeijingliang
    "latin_min_length": 3,  # shorter Latin parts (QQ, BMW) need an exact or look-alike match
}

# ---------------------------------------------------------------- meaning (义)
MEANING = {
    "translation": 0.9,
    "synonym": 0.8,
}

# ---------------------------------------------------------------- goods
# Multiplier applied to the mark score, from the goods overlap score (goods.goods_overlap).
GOODS_FACTOR_FLOOR = 0.7  # mark score x (floor + (1 - floor) x goods score) when goods overlap at all
GOODS_DISSIMILAR_CAP = 0.35  # score cap when goods are dissimilar and the brand is not well known

# ---------------------------------------------------------------- verdict
DEFAULT_THRESHOLD = 0.62
SEVERITY_BANDS: tuple[tuple[str, float], ...] = (("high", 0.85), ("medium", 0.74), ("low", 0.0))
KEY_BRAND_BONUS = 0.03  # 重点商标: one band earlier

# ---------------------------------------------------------------- reasons (Chinese, English)
REASONS: dict[str, tuple[str, str]] = {
    "sound_same": ("读音相同 {a} ≈ {b}", "same sound {a} ≈ {b}"),
    "sound_fuzzy": ("读音相近（模糊音）{a} ≈ {b}", "similar sound (fuzzy pinyin) {a} ≈ {b}"),
    "sound_near": ("读音近似 {a} ≈ {b}", "sounds alike {a} ≈ {b}"),
    "homophone_first_differs": (
        "读音相同但首字不同（{x}/{y}），一般不判近似",
        "same sound but a different first character ({x}/{y}); generally not similar",
    ),
    "look_pair": ("{x}/{y} 字形相近", "{x}/{y} look alike"),
    "look_whole": ("字形近似 {a} ≈ {b}", "similar look {a} ≈ {b}"),
    "contains": ("完整包含商标“{a}”", "contains the whole mark “{a}”"),
    "contained": ("新商标“{b}”为商标“{a}”的显著部分", "the new mark “{b}” is the distinctive part of “{a}”"),
    "reordered": ("文字相同、顺序不同 {a} / {b}", "same characters in another order {a} / {b}"),
    "one_changed": ("仅一字不同（{x}→{y}）", "only one character differs ({x}→{y})"),
    "one_changed_first": (
        "仅首字不同（{x}→{y}），其余相同",
        "only the first character differs ({x}→{y})",
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
}


def reason_text(key: str, **values: object) -> tuple[str, str]:
    zh, en = REASONS[key]
    return zh.format(**values), en.format(**values)
