"""Goods similarity: the 类似商品和服务区分表, goods texts → 类似群, and the overlap rules."""

from __future__ import annotations

import gzip
import hashlib
import random
import re
import shutil
import time
from importlib import resources

import pytest

from markwatch.goods import table as goods_module
from markwatch.goods.overlap import RULES, GoodsOverlap, OverlapRules, goods_overlap
from markwatch.goods.table import SimilarGoodsTable
from markwatch.model import Brand, Reason


@pytest.fixture(scope="module")
def table() -> SimilarGoodsTable:
    return SimilarGoodsTable.load()


def _names(table: SimilarGoodsTable):
    """(item code, one name, group) for every synonym of every item, '*' removed."""
    for code in table._item_names:
        for part in table.item_name(code).split("，"):
            yield code, part.rstrip("*"), table.item_group(code)


# --- the shipped data ----------------------------------------------------------------------


def test_shipped_files_match_the_checksums_in_notice():
    folder = resources.files("markwatch").joinpath("data", "nice")
    notice = folder.joinpath("NOTICE.md").read_text(encoding="utf-8")
    for name in (goods_module.TABLE_FILE, goods_module.CLASSES_EN_FILE):
        listed = re.search(rf"`{re.escape(name)}`.*?`([0-9a-f]{{64}})`", notice)
        assert listed, f"NOTICE.md lists no SHA-256 for {name}"
        assert hashlib.sha256(folder.joinpath(name).read_bytes()).hexdigest() == listed.group(1)
    for needle in ("MIT", "国家知识产权局商标局", "WIPO"):
        assert needle in notice


def test_table_counts(table):
    assert table.classes == tuple(range(1, 46))
    assert len(table.groups) == 492
    assert table.item_count == 11_986


def test_table_consistency(table):
    for n in table.classes:
        assert table.class_name(n)
        assert table.class_name_en(n), f"no English heading for class {n}"
        assert table.groups_of_class(n), f"class {n} has no group"
    seen = set()
    for n in table.classes:
        for g in table.groups_of_class(n):
            assert table.group_class(g) == n
            assert g.startswith(f"{n:02d}")  # group codes start with their class
            seen.add(g)
    assert seen == set(table.groups)
    for code in table._item_names:
        group = table.item_group(code)
        assert group in seen
        # Item codes carry the class (C-codes in characters 2-3) — but not the group.
        assert int(code[1:3] if code.startswith("C") else code[:2]) == table.group_class(group)


def test_item_group_comes_from_parent_code(table):
    assert table.item_name("300048") == "食品用香精"
    assert table.item_group("300048") == "3018"  # not "3000": the item code does not name the group
    assert "香精" in table.group_name("3018")
    assert table.group_class("3018") == 30
    assert ("300048", "食品用香精") in table.items_of_group("3018")


def test_class_names(table):
    assert table.class_name(30).startswith("咖啡、茶")
    assert "tea" in table.class_name_en(30).lower()
    assert "啤酒" in table.class_name(32)
    with pytest.raises(KeyError):
        table.class_name(46)
    with pytest.raises(KeyError):
        table.group_name("9999")


def test_load_is_cached(table):
    assert SimilarGoodsTable.load() is table


def test_gzipped_files_load_the_same(tmp_path, table):
    folder = resources.files("markwatch").joinpath("data", "nice")
    packed = tmp_path / (goods_module.TABLE_FILE + ".gz")
    packed.write_bytes(gzip.compress(folder.joinpath(goods_module.TABLE_FILE).read_bytes()))
    plain_en = tmp_path / goods_module.CLASSES_EN_FILE
    with resources.as_file(folder.joinpath(goods_module.CLASSES_EN_FILE)) as src:
        shutil.copy(src, plain_en)
    other = SimilarGoodsTable.from_files(packed, plain_en)
    assert other.groups == table.groups
    assert other.item_count == table.item_count
    assert other.groups_for_goods(["绿茶"]) == table.groups_for_goods(["绿茶"])


# --- goods texts → 类似群 ----------------------------------------------------------------------


def test_real_items(table):
    green, black, tea = (table.groups_for_goods([x]) for x in ("绿茶", "红茶", "茶"))
    assert green == black == tea == {"3002"}
    assert table.group_name("3002") == "茶，茶饮料"
    coffee = table.groups_for_goods(["咖啡"])
    assert coffee and coffee != tea
    assert {table.group_class(g) for g in coffee | tea} == {30}  # same class, other group
    beer = table.groups_for_goods(["啤酒"])
    assert beer == {"3201"} and table.group_class("3201") == 32


def test_synonyms_and_star(table):
    # "方便粉丝，方便面" is one item; either synonym finds it.
    assert table.groups_for_goods(["方便面"]) == table.groups_for_goods(["方便粉丝"]) == {"3009"}
    # "茶*" in the source: the star marks cross-group items and is not part of the name.
    assert table.groups_for_goods(["茶*"]) == table.groups_for_goods(["茶"])
    m = table.match_goods_text("方便面")
    assert m.method == "exact" and m.item_name == "方便面"


def test_every_item_name_maps_back_to_its_group(table):
    total = misses = 0
    for _code, name, group in _names(table):
        for classes in ((), (table.group_class(group),)):
            total += 1
            m = table.match_goods_text(name, classes)
            misses += m is None or m.group != group
    assert misses == 0, f"{misses} of {total} item names did not map back"


def test_normalised_forms(table):
    water = table.groups_for_goods(["水（饮料）"])
    assert water == {"3202"}
    for variant in ("水(饮料)", " 水 （饮料） ", "水【饮料】", "水（饮料）。"):
        assert table.groups_for_goods([variant]) == water, variant
    assert table.groups_for_goods(["ＣＤ播放机"]) == table.groups_for_goods(["CD播放机"]) != set()
    assert table.groups_for_goods(["usb闪存盘"]) == table.groups_for_goods(["USB闪存盘"]) != set()


def test_bracket_note_left_out_or_added(table):
    # 纯净水（饮料） in the table; gazettes often write just 纯净水.
    m = table.match_goods_text("纯净水")
    assert m.group == "3202" and m.method == "bracket"
    # An exclusion note in the text does not hide the item.
    assert table.groups_for_goods(["茶（不包括茶饮料）"], [30]) == {"3002"}


def test_guesses_need_classes(table):
    assert table.match_goods_text("饮用水") is None  # not an item: no guess without a class
    m = table.match_goods_text("饮用水", [32])
    assert m is not None and m.method in ("contained", "head", "fuzzy")
    assert m.group == table.item_group("320012")  # the group of 水（饮料）


@pytest.mark.parametrize(
    "text, cls, item_like",
    [
        ("普洱茶", 30, "茶"),
        ("精酿啤酒", 32, "啤酒"),
        ("皮鞋", 25, "鞋（脚上的穿着物）"),
        ("锂电池", 9, "电池"),
        ("手工面条", 30, "面条"),
        ("全麦面包", 30, "面包"),
        ("有机绿茶", 30, "绿茶"),  # modifier + item
        ("蓝牙耳机", 9, "耳机"),
    ],
)
def test_realistic_texts_find_the_group_of_their_head_noun(table, text, cls, item_like):
    expected = table.groups_for_goods([item_like])
    assert len(expected) == 1
    m = table.match_goods_text(text, [cls])
    assert m is not None and m.method not in ("exact", "normalised"), m
    assert {m.group} == expected


def test_qualifiers_keep_guesses_apart(table):
    # The table moves goods by use: 宠物用沐浴露 is animal cosmetics (0309), not soap for people.
    pet = table.match_goods_text("宠物用沐浴露（不含药物的清洁制剂）")
    assert pet.method == "exact"
    guess = table.match_goods_text("沐浴露", [3])
    assert guess is None or guess.group != pet.group
    # Veterinary use in the text: not the group of medicines for people (药茶 in 0501).
    human_tea = table.match_goods_text("药茶")
    guess = table.match_goods_text("兽医用有机茶", [5])
    assert guess is None or guess.group != human_tea.group
    # A plain modifier is fine.
    assert table.match_goods_text("有机绿茶", [30]).group == "3002"


def test_classes_restrict_every_match(table):
    # 乙醇 is a class-1 item; in class 4 the applicant means 乙醇（燃料）.
    assert table.group_class(table.match_goods_text("乙醇").group) == 1
    in_class_4 = table.match_goods_text("乙醇", [4])
    assert in_class_4 is not None and table.group_class(in_class_4.group) == 4
    # An item of another class is never returned when classes are given.
    assert table.groups_for_goods(["茶"], [5]) & {"3002"} == set()
    # Sunglasses moved to class 10 in NCL 13-2026: no guess in class 9.
    assert table.group_class(table.match_goods_text("太阳镜").group) == 10
    assert table.match_goods_text("太阳镜", [9]) is None


def test_several_goods_in_one_text(table):
    assert table.groups_for_goods(["茶；咖啡"], [30]) == table.groups_for_goods(["茶", "咖啡"])
    assert table.groups_for_goods(["绿茶，咖啡"]) == {"3002"} | table.groups_for_goods(["咖啡"])


def test_unplaceable_texts_are_reported(table):
    assert table.groups_for_goods(["", "xyzzy", "   "], [30]) == set()
    mapping = table.map_goods(["绿茶", "xyzzy"], [30])
    assert mapping.groups == {"3002"}
    assert mapping.unmapped == ("xyzzy",)
    assert not mapping.complete
    assert table.map_goods(["绿茶"]).complete


def test_leave_one_out_guesses_are_mostly_right(table):
    """Take an item out of the table, map its name back: the guess must rarely be wrong.

    This is the measure the fallback constants were tuned with (a hard test: the table exists
    to separate look-alike goods into different groups)."""
    ok = bad = none = 0
    for i, (code, name, group) in enumerate(_names(table)):
        if i % 4:  # a quarter of the items keeps the test quick
            continue
        m = table._text.match_uncached(name, (table.group_class(group),), exclude=code)
        if m is None:
            none += 1
        elif m.group == group:
            ok += 1
        else:
            bad += 1
    precision = ok / (ok + bad)
    print(
        f"\nleave-one-out: {ok} right, {bad} wrong, {none} no guess; precision {precision:.3f}, "
        f"answered {(ok + bad) / (ok + bad + none):.1%}"
    )
    assert precision >= 0.85
    assert ok > 300  # the fallback does answer


def test_mapping_speed(table):
    """10k goods texts with a cold cache (a fresh table): printed, with a generous bound only.

    Mix: 60% table items, 20% items in half-width brackets, 20% non-items ("有机" + item) that
    go through the guessing fallback; each text with its own class, as in a gazette."""
    rng = random.Random(7)
    items = list(_names(table))
    texts = []
    for _ in range(10_000):
        _, name, group = rng.choice(items)
        r = rng.random()
        if r < 0.2:
            name = "有机" + name
        elif r < 0.4:
            name = name.replace("（", "(").replace("）", ")")
        texts.append((name, (table.group_class(group),)))
    folder = resources.files("markwatch").joinpath("data", "nice")
    with resources.as_file(folder.joinpath(goods_module.TABLE_FILE)) as path:
        fresh = SimilarGoodsTable.from_files(path)
    start = time.perf_counter()
    placed = sum(bool(fresh.groups_for_goods([t], cls)) for t, cls in texts)
    cold = time.perf_counter() - start
    start = time.perf_counter()
    for t, cls in texts:
        fresh.groups_for_goods([t], cls)
    warm = time.perf_counter() - start
    print(
        f"\n10k goods texts: cold {cold:.2f}s ({len(texts) / cold:,.0f}/s), "
        f"warm {warm:.3f}s ({len(texts) / warm:,.0f}/s); {placed / len(texts):.1%} placed"
    )
    assert cold < 30


# --- overlap rules -------------------------------------------------------------------------


def _goods_reasons(result: GoodsOverlap) -> list[Reason]:
    assert all(
        isinstance(r, Reason) and r.kind == "goods" and r.detail and r.detail_en for r in result.reasons
    )
    return result.reasons


def test_rule_table_is_ordered_like_an_examiner():
    r = RULES
    assert r.same_group == 1.0 and r.different_class == 0.0
    assert r.same_group > r.same_class_groups_unknown > r.same_class_other_groups > r.different_class
    assert r.well_known_cross_class > r.different_class
    for value in vars(r).values():
        assert 0.0 <= value <= 1.0


def test_same_group(table):
    result = goods_overlap([30], ["3002"], [30], ["3002", "3001"])
    assert result.score == RULES.same_group
    assert result.same_groups == ("3002",)
    assert result.same_classes == (30,)
    (reason,) = _goods_reasons(result)
    assert reason.detail.startswith("类似群 3002 相同") and table.group_name("3002") in reason.detail
    assert "same similar-goods group 3002" in reason.detail_en


def test_same_class_other_group():
    result = goods_overlap([30], ["3002"], [30], ["3001"])
    assert result.score == RULES.same_class_other_groups
    assert result.same_groups == () and result.same_classes == (30,)
    (reason,) = _goods_reasons(result)
    assert "同属第30类但类似群不同" in reason.detail
    assert "different similar groups" in reason.detail_en


@pytest.mark.parametrize(
    "b_groups, c_groups", [([], ["3001"]), (["3002"], []), ([], []), (["3202"], ["3001"])]
)
def test_same_class_groups_unknown(b_groups, c_groups):
    # (["3202"], ...): the brand's only group is in class 32, so in class 30 it is unknown.
    result = goods_overlap([30, 32], b_groups, [30], c_groups)
    assert result.score == RULES.same_class_groups_unknown
    assert result.same_classes == (30,)
    assert _goods_reasons(result)[0].detail == "同属第30类"


def test_classes_unknown():
    for args in (([], [], [30], ["3002"]), ([30], ["3001"], [], [])):
        result = goods_overlap(*args)
        assert result.score == RULES.classes_unknown
        assert "类别未知" in _goods_reasons(result)[0].detail


def test_same_group_wins_even_without_classes():
    assert goods_overlap([], ["3002"], [], ["3002"]).score == RULES.same_group


def test_different_classes():
    result = goods_overlap([30], ["3002"], [25], ["2507"])
    assert result.score == RULES.different_class == 0.0
    assert result.same_classes == ()


def test_well_known_across_classes():
    result = goods_overlap([30], ["3002"], [32], ["3202"], well_known=True)
    assert result.score == RULES.well_known_cross_class
    assert any(r.detail == "驰名商标跨类保护" for r in _goods_reasons(result))
    # A floor, not a cap: the same group still scores as the same group.
    assert goods_overlap([30], ["3002"], [30], ["3002"], well_known=True).score == RULES.same_group
    assert goods_overlap([30], ["3002"], [30], [], well_known=True).score == RULES.same_class_groups_unknown


def test_custom_rules():
    strict = OverlapRules(same_class_other_groups=0.3)
    assert goods_overlap([30], ["3002"], [30], ["3001"], rules=strict).score == 0.3


def test_overlap_from_goods_texts(table):
    brand = table.groups_for_goods(["绿茶"], [30])
    cand = table.groups_for_goods(["普洱茶", "袋泡茶"], [30])
    assert goods_overlap([30], brand, [30], cand).score == RULES.same_group
    coffee = table.groups_for_goods(["咖啡"], [30])
    assert goods_overlap([30], brand, [30], coffee).score == RULES.same_class_other_groups


# ---------------------------------------------------------------- a service providing the goods
def test_a_service_providing_the_goods_is_related_either_way(table):
    """Cafés, restaurants and cake shops (class 43) serve the foods and drinks of classes 29 to 33."""
    cake_shop = goods_overlap([30], [], [43], [], table=table)
    assert cake_shop.score == RULES.service_of_goods
    assert "第43类服务提供第30类商品" in cake_shop.reasons[0].detail
    assert goods_overlap([43], [], [32], [], table=table).score == RULES.service_of_goods
    assert goods_overlap([43], [], [12], [], table=table).score == RULES.different_class  # cars: unrelated
    assert goods_overlap([9], [], [30], [], table=table).score == RULES.different_class
    # A shared class still decides first; a well-known brand keeps its higher floor.
    assert goods_overlap([30, 43], [], [43], [], table=table).score > RULES.service_of_goods
    assert goods_overlap([30], [], [43], [], table=table, well_known=True).score == RULES.well_known_cross_class


def test_a_brand_for_cakes_against_a_cake_shop_of_the_same_name(table):
    """Constructed pairs: the brand's whole name on a cake shop is an alert; on a garage it is not."""
    from markwatch.composition import MatcherSpec, build_matcher

    matcher = build_matcher(MatcherSpec())
    assert matcher.compare("稻香村", "稻香村糕点", brand_classes=(30,), candidate_classes=(43,)).similar
    assert matcher.compare("稻香村", "稻香村", brand_classes=(30,), candidate_classes=(43,)).similar
    assert not matcher.compare("稻香村", "稻香村", brand_classes=(30,), candidate_classes=(37,)).similar
    assert not matcher.compare("稻香村", "香村", brand_classes=(30,), candidate_classes=(43,)).similar
    # Related goods ask the mark to reproduce the brand: a homophone or a look-alike on a café is no alert.
    homophone = matcher.compare("稻香村", "道香村", brand_classes=(30,), candidate_classes=(43,))
    assert not homophone.similar and "未完整再现" in homophone.reasons[-1].detail
    assert matcher.compare("稻香村", "道香村", brand_classes=(30,), candidate_classes=(30,)).similar
    well_known = Brand(brand_id="b", mark="稻香村", classes=(30,), well_known=True)
    assert matcher.compare(well_known, "道香村", candidate_classes=(43,)).similar


def test_kindred_goods_of_other_classes_are_related_against_the_brand_reproduced(table):
    """Constructed pairs. Meats (29) and condiments (30), cosmetics (03) and medicated ones (05), tea (30)
    and soft drinks (32) are kindred goods: related, either way round, and only against a mark that
    reproduces the brand; other food classes stay apart (29 / 33)."""
    from markwatch.composition import MatcherSpec, build_matcher

    for a, b in ((29, 30), (30, 29), (3, 5), (5, 3), (30, 32)):
        overlap = goods_overlap([a], [], [b], [], table=table)
        assert overlap.score == RULES.kindred_goods and overlap.needs_same_sign, (a, b)
        assert f"第{min(a, b)}类与第{max(a, b)}类" in overlap.reasons[0].detail or \
            f"第{a}类与第{b}类" in overlap.reasons[0].detail
    assert goods_overlap([29], [], [33], [], table=table).score == RULES.different_class
    assert goods_overlap([29], [], [29, 30], [], table=table).score > RULES.kindred_goods  # a class shared wins
    matcher = build_matcher(MatcherSpec())
    assert matcher.compare("老干妈", "老干妈味牛肉棒", brand_classes=(30,), candidate_classes=(29,)).similar
    assert matcher.compare("片仔癀", "片仔癀牙膏", brand_classes=(5,), candidate_classes=(3,)).similar
    # a mark that does not reproduce the brand is no alert on kindred goods ...
    assert not matcher.compare("老干妈", "老干爹", brand_classes=(30,), candidate_classes=(29,)).similar
    # ... and the brand itself on unrelated goods is none either
    assert not matcher.compare("老干妈", "老干妈", brand_classes=(30,), candidate_classes=(12,)).similar
