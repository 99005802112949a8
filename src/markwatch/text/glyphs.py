"""Character look (形近): per-character visual similarity and code-point folding.

Two things live here:

* ``fold_codepoints`` maps code points that are drawn like an ordinary ideograph to that
  ideograph before any matching: Kangxi radicals (⼤ U+2F24 -> 大), CJK Radicals Supplement
  (⺁ -> 厂), CJK strokes (㇐ -> 一) and CJK compatibility ideographs (豈 U+F900 -> 豈 U+8C48).
  A knock-off spelled with such code points would otherwise not even compare equal.
* ``char_similarity`` / ``lookalikes`` read the shipped look-alike table
  ``data/glyph_neighbours.json.gz`` (built offline by ``scripts/build_glyph_table.py`` from
  Noto Sans CJK glyph images and Unihan shape codes; see ``data/GLYPHS_PROVENANCE.md``).
  The table is loaded lazily, once; no Pillow or font is needed at run time.
"""

from __future__ import annotations

import functools
import gzip
import json
import unicodedata
from importlib import resources
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from importlib.resources.abc import Traversable

from markwatch.errors import MarkwatchError

TABLE_VERSION = "glyphs-1"
_TABLE_FILE = "glyph_neighbours.json.gz"

# Equivalent_Unified_Ideograph (Unicode UCD, EquivalentUnifiedIdeograph.txt) for the code points
# that NFKC does not fold: most of the CJK Radicals Supplement and the CJK strokes. Kangxi
# radicals and compatibility ideographs are folded through unicodedata below.
_EXPLICIT_FOLDS: dict[int, int] = {
    0x2E81: 0x5382,  # ⺁ -> 厂
    0x2E82: 0x4E5B,  # ⺂ -> 乛
    0x2E83: 0x4E5A,  # ⺃ -> 乚
    0x2E84: 0x4E59,  # ⺄ -> 乙
    0x2E85: 0x4EBB,  # ⺅ -> 亻
    0x2E86: 0x5182,  # ⺆ -> 冂
    0x2E87: 0x20628,  # ⺇ -> 𠘨
    0x2E88: 0x5200,  # ⺈ -> 刀
    0x2E89: 0x5202,  # ⺉ -> 刂
    0x2E8A: 0x535C,  # ⺊ -> 卜
    0x2E8B: 0x353E,  # ⺋ -> 㔾
    0x2E8C: 0x5C0F,  # ⺌ -> 小
    0x2E8D: 0x5C0F,  # ⺍ -> 小
    0x2E8E: 0x5140,  # ⺎ -> 兀
    0x2E8F: 0x5C23,  # ⺏ -> 尣
    0x2E90: 0x5C22,  # ⺐ -> 尢
    0x2E91: 0x21BC2,  # ⺑ -> 𡯂
    0x2E92: 0x5DF3,  # ⺒ -> 巳
    0x2E93: 0x5E7A,  # ⺓ -> 幺
    0x2E94: 0x5F51,  # ⺔ -> 彑
    0x2E95: 0x2B739,  # ⺕ -> 𫜹
    0x2E96: 0x5FC4,  # ⺖ -> 忄
    0x2E97: 0x5FC3,  # ⺗ -> 心
    0x2E98: 0x624C,  # ⺘ -> 扌
    0x2E99: 0x6535,  # ⺙ -> 攵
    0x2E9B: 0x65E1,  # ⺛ -> 旡
    0x2E9C: 0x65E5,  # ⺜ -> 日
    0x2E9D: 0x6708,  # ⺝ -> 月
    0x2E9E: 0x6B7A,  # ⺞ -> 歺
    0x2EA0: 0x6C11,  # ⺠ -> 民
    0x2EA1: 0x6C35,  # ⺡ -> 氵
    0x2EA2: 0x6C3A,  # ⺢ -> 氺
    0x2EA3: 0x706C,  # ⺣ -> 灬
    0x2EA4: 0x722B,  # ⺤ -> 爫
    0x2EA5: 0x722B,  # ⺥ -> 爫
    0x2EA6: 0x4E2C,  # ⺦ -> 丬
    0x2EA7: 0x725B,  # ⺧ -> 牛
    0x2EA8: 0x72AD,  # ⺨ -> 犭
    0x2EA9: 0x738B,  # ⺩ -> 王
    0x2EAA: 0x24D14,  # ⺪ -> 𤴔
    0x2EAB: 0x76EE,  # ⺫ -> 目
    0x2EAC: 0x793A,  # ⺬ -> 示
    0x2EAD: 0x793B,  # ⺭ -> 礻
    0x2EAE: 0x25AD7,  # ⺮ -> 𥫗
    0x2EAF: 0x7CF9,  # ⺯ -> 糹
    0x2EB0: 0x7E9F,  # ⺰ -> 纟
    0x2EB1: 0x7F53,  # ⺱ -> 罓
    0x2EB2: 0x7F52,  # ⺲ -> 罒
    0x2EB3: 0x34C1,  # ⺳ -> 㓁
    0x2EB4: 0x5197,  # ⺴ -> 冗
    0x2EB5: 0x2626B,  # ⺵ -> 𦉫
    0x2EB6: 0x7F8A,  # ⺶ -> 羊
    0x2EB7: 0x2634C,  # ⺷ -> 𦍌
    0x2EB8: 0x2634B,  # ⺸ -> 𦍋
    0x2EB9: 0x8002,  # ⺹ -> 耂
    0x2EBA: 0x8080,  # ⺺ -> 肀
    0x2EBB: 0x807F,  # ⺻ -> 聿
    0x2EBC: 0x8089,  # ⺼ -> 肉
    0x2EBD: 0x26951,  # ⺽ -> 𦥑
    0x2EBE: 0x8279,  # ⺾ -> 艹
    0x2EBF: 0x8279,  # ⺿ -> 艹
    0x2EC0: 0x8279,  # ⻀ -> 艹
    0x2EC1: 0x864E,  # ⻁ -> 虎
    0x2EC2: 0x8864,  # ⻂ -> 衤
    0x2EC3: 0x8980,  # ⻃ -> 覀
    0x2EC4: 0x897F,  # ⻄ -> 西
    0x2EC5: 0x89C1,  # ⻅ -> 见
    0x2EC6: 0x89D2,  # ⻆ -> 角
    0x2EC7: 0x278B2,  # ⻇ -> 𧢲
    0x2EC8: 0x8BA0,  # ⻈ -> 讠
    0x2EC9: 0x8D1D,  # ⻉ -> 贝
    0x2ECA: 0x27FB7,  # ⻊ -> 𧾷
    0x2ECB: 0x8F66,  # ⻋ -> 车
    0x2ECC: 0x8FB6,  # ⻌ -> 辶
    0x2ECD: 0x8FB6,  # ⻍ -> 辶
    0x2ECE: 0x8FB6,  # ⻎ -> 辶
    0x2ECF: 0x9091,  # ⻏ -> 邑
    0x2ED0: 0x9485,  # ⻐ -> 钅
    0x2ED1: 0x9577,  # ⻑ -> 長
    0x2ED2: 0x9578,  # ⻒ -> 镸
    0x2ED3: 0x957F,  # ⻓ -> 长
    0x2ED4: 0x95E8,  # ⻔ -> 门
    0x2ED5: 0x28E0F,  # ⻕ -> 𨸏
    0x2ED6: 0x961D,  # ⻖ -> 阝
    0x2ED7: 0x96E8,  # ⻗ -> 雨
    0x2ED8: 0x9752,  # ⻘ -> 青
    0x2ED9: 0x97E6,  # ⻙ -> 韦
    0x2EDA: 0x9875,  # ⻚ -> 页
    0x2EDB: 0x98CE,  # ⻛ -> 风
    0x2EDC: 0x98DE,  # ⻜ -> 飞
    0x2EDD: 0x98DF,  # ⻝ -> 食
    0x2EDE: 0x2967F,  # ⻞ -> 𩙿
    0x2EDF: 0x98E0,  # ⻟ -> 飠
    0x2EE0: 0x9963,  # ⻠ -> 饣
    0x2EE1: 0x29810,  # ⻡ -> 𩠐
    0x2EE2: 0x9A6C,  # ⻢ -> 马
    0x2EE3: 0x9AA8,  # ⻣ -> 骨
    0x2EE4: 0x9B3C,  # ⻤ -> 鬼
    0x2EE5: 0x9C7C,  # ⻥ -> 鱼
    0x2EE6: 0x9E1F,  # ⻦ -> 鸟
    0x2EE7: 0x5364,  # ⻧ -> 卤
    0x2EE8: 0x9EA6,  # ⻨ -> 麦
    0x2EE9: 0x9EC4,  # ⻩ -> 黄
    0x2EEA: 0x9EFE,  # ⻪ -> 黾
    0x2EEB: 0x6589,  # ⻫ -> 斉
    0x2EEC: 0x9F50,  # ⻬ -> 齐
    0x2EED: 0x6B6F,  # ⻭ -> 歯
    0x2EEE: 0x9F7F,  # ⻮ -> 齿
    0x2EEF: 0x7ADC,  # ⻯ -> 竜
    0x2EF0: 0x9F99,  # ⻰ -> 龙
    0x2EF1: 0x9F9C,  # ⻱ -> 龜
    0x2EF2: 0x4E80,  # ⻲ -> 亀
    0x31C6: 0x200CC,  # ㇆ -> 𠃌
    0x31CF: 0x4E40,  # ㇏ -> 乀
    0x31D0: 0x4E00,  # ㇐ -> 一
    0x31D1: 0x4E28,  # ㇑ -> 丨
    0x31D2: 0x4E3F,  # ㇒ -> 丿
    0x31D3: 0x4E3F,  # ㇓ -> 丿
    0x31D4: 0x4E36,  # ㇔ -> 丶
    0x31D5: 0x200CD,  # ㇕ -> 𠃍
    0x31D6: 0x4E5B,  # ㇖ -> 乛
    0x31D7: 0x200CA,  # ㇗ -> 𠃊
    0x31D8: 0x200CE,  # ㇘ -> 𠃎
    0x31D9: 0x2010C,  # ㇙ -> 𠄌
    0x31DA: 0x4E85,  # ㇚ -> 亅
    0x31DB: 0x21FE8,  # ㇛ -> 𡿨
    0x31DC: 0x200CB,  # ㇜ -> 𠃋
    0x31DD: 0x4E40,  # ㇝ -> 乀
    0x31DE: 0x200D1,  # ㇞ -> 𠃑
    0x31DF: 0x4E5A,  # ㇟ -> 乚
    0x31E0: 0x4E59,  # ㇠ -> 乙
    0x31E1: 0x2010E,  # ㇡ -> 𠄎
}

# Blocks whose members may be folded. Anything outside them is left alone, so ordinary text,
# full-width Latin, punctuation, kana etc. pass through unchanged.
_FOLD_BLOCKS = (
    (0x2E80, 0x2EFF),  # CJK Radicals Supplement
    (0x2F00, 0x2FDF),  # Kangxi Radicals
    (0x31C0, 0x31EF),  # CJK Strokes
    (0xF900, 0xFAFF),  # CJK Compatibility Ideographs
    (0x2F800, 0x2FA1F),  # CJK Compatibility Ideographs Supplement
)


def _is_unified_ideograph(ch: str) -> bool:
    return len(ch) == 1 and "CJK UNIFIED IDEOGRAPH" in unicodedata.name(ch, "")


@functools.lru_cache(maxsize=1)
def _fold_table() -> dict[int, str]:
    table: dict[int, str] = {}
    for lo, hi in _FOLD_BLOCKS:
        for cp in range(lo, hi + 1):
            ch = chr(cp)
            if cp in _EXPLICIT_FOLDS:
                target = chr(_EXPLICIT_FOLDS[cp])
            else:
                # NFKC covers the Kangxi radicals (compatibility mappings) and the compatibility
                # ideographs (canonical mappings). The twelve unified ideographs inside the
                # compatibility block (e.g. U+FA0E 﨎) have no mapping and stay as they are.
                target = unicodedata.normalize("NFKC", ch)
            if target != ch and (_is_unified_ideograph(target) or cp in _EXPLICIT_FOLDS):
                table[cp] = target
    return table


def fold_codepoints(text: str) -> str:
    """Fold radical, stroke and compatibility code points to the unified ideograph they show.

    ``fold_codepoints("⼤⼒")`` == ``"大力"``; characters that are merely similar (土/士) are
    distinct characters and are not touched.
    """
    return text.translate(_fold_table())


def _table_path() -> Traversable:
    # One joinpath argument at a time: Python 3.10's Traversable takes only one.
    return resources.files("markwatch").joinpath("data").joinpath(_TABLE_FILE)


@functools.lru_cache(maxsize=1)
def _table() -> dict[str, dict[str, float]]:
    """The shipped neighbour table as {char: {neighbour: similarity}} (dict order = best first)."""
    path = _table_path()
    try:
        with path.open("rb") as raw, gzip.GzipFile(fileobj=raw) as fh:
            data = json.load(fh)
    except FileNotFoundError:
        raise MarkwatchError(
            f"the glyph look-alike table markwatch/data/{_TABLE_FILE} is missing: "
            "rebuild it with `python scripts/build_glyph_table.py`"
        ) from None
    if data.get("version") != TABLE_VERSION:
        raise MarkwatchError(
            f"glyph table version {data.get('version')!r} does not match the code ({TABLE_VERSION!r}): "
            "rebuild it with `python scripts/build_glyph_table.py`"
        )
    return {ch: {other: float(sim) for other, sim in items} for ch, items in data["neighbours"].items()}


def table_provenance() -> dict:
    """Font, licence, method and parameters of the shipped table (for reports and audits)."""
    with _table_path().open("rb") as raw, gzip.GzipFile(fileobj=raw) as fh:
        return json.load(fh)["provenance"]


def _single(ch: str, name: str) -> str:
    if not isinstance(ch, str) or len(ch) != 1:
        raise ValueError(f"{name} must be a single character, got {ch!r}")
    return fold_codepoints(ch)


def char_similarity(a: str, b: str) -> float:
    """Visual similarity of two characters in [0, 1] (形近度).

    1.0 for the same character (after code-point folding), 0.0 when the pair is not in the table
    (unrelated, or a character outside the ~8,000 covered). Symmetric.
    """
    a, b = _single(a, "a"), _single(b, "b")
    if a == b:
        return 1.0
    table = _table()
    return max(table.get(a, {}).get(b, 0.0), table.get(b, {}).get(a, 0.0))


def lookalikes(ch: str, min_similarity: float = 0.6) -> list[tuple[str, float]]:
    """Characters that look like ``ch``, most similar first, with their similarity."""
    ch = _single(ch, "ch")
    items = [(other, sim) for other, sim in _table().get(ch, {}).items() if sim >= min_similarity]
    # Stable sort: equal rounded scores keep the table's order, which follows the unrounded score.
    items.sort(key=lambda item: -item[1])
    return items
