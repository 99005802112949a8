"""Overlap of two marks' goods, scored the way an examiner weighs it: same 类似群 presumed similar,
same class possibly similar, other classes not similar unless the earlier mark is well known."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from markwatch.goods.table import SimilarGoodsTable
from markwatch.goods.text_index import class_key
from markwatch.model import Reason
from markwatch.ports import GoodsTable


@dataclass(frozen=True)
class OverlapRules:
    """Scores of the goods comparison, as an examiner weighs it (readable in one place)."""

    same_group: float = 1.0  # same 类似群: presumed similar
    same_class_groups_unknown: float = 0.8  # same class, groups not known on one side
    same_class_other_groups: float = 0.5  # same class, both groups known and different
    classes_unknown: float = 0.6  # no class on one side: cannot rule anything out
    well_known_cross_class: float = 0.7  # 驰名商标: protected beyond its own goods
    noted_group: float = 0.9  # a note of the table says the two groups are similar (or searched together)
    noted_class: float = 0.4  # other classes, groups unknown, the notes join much of the two classes ...
    noted_class_min_share: float = 0.25  # ... this share of their groups at least (29/30: 0.55; 9/18: 0.07)
    # other classes, where one names a service providing the other's goods (a café or a cake shop,
    # class 43, and the foods and drinks it sells, classes 29 to 33: DESCRIBED_BY)
    service_of_goods: float = 0.4
    kindred_goods: float = 0.4  # other classes of kindred goods (KINDRED_GOODS), against the brand reproduced
    different_class: float = 0.0


RULES = OverlapRules()

# Services described by the goods they provide: a restaurant's, café's or cake shop's services
# (class 43) are the foods and drinks it serves (classes 29 to 33). Their goods names are generic words
# for those services (matching.distinctiveness), and the two are related goods, if not similar.
DESCRIBED_BY: dict[int, tuple[int, ...]] = {43: (29, 30, 31, 32, 33)}


# Goods of other classes that are one product in another's form, sold side by side, and often made by
# the same makers: a brand reproduced on them is a conflict an examiner looks at (related, not
# similar, goods). Soaps and cosmetics (03) and medicated ones (05); meats, dairy and preserved foods
# (29) and staples, condiments and sweets (30), a flavour of one on the other (老干妈味牛肉棒); tea,
# coffee and their drinks (30) and soft drinks (32).
KINDRED_GOODS: frozenset[frozenset[int]] = frozenset(frozenset(p) for p in ((3, 5), (29, 30), (30, 32)))


def kindred_goods(a: Iterable[int], b: Iterable[int]) -> list[tuple[int, int]]:
    """(class of `a`, class of `b`) pairs of kindred goods (KINDRED_GOODS) in other classes."""
    return sorted({(x, y) for x in set(a) for y in set(b) if frozenset((x, y)) in KINDRED_GOODS})


def described_by(classes: Iterable[int]) -> tuple[int, ...]:
    """The classes whose goods names are generic for goods or services of `classes` (these included)."""
    out: list[int] = []
    for n in classes:
        out += [int(n), *DESCRIBED_BY.get(int(n), ())]
    return tuple(dict.fromkeys(out))


def related_goods_classes(classes: Iterable[int]) -> set[int]:
    """The other classes whose goods are related to those of `classes`: the goods a service of theirs
    provides, the services providing their goods, and kindred goods (KINDRED_GOODS)."""
    own = {int(c) for c in classes}
    kindred = {n for pair in KINDRED_GOODS if own & pair for n in pair}
    return ({g for c in own for g in DESCRIBED_BY.get(c, ())}
            | {s for s, goods in DESCRIBED_BY.items() if own & set(goods)} | kindred) - own


def service_of_goods(a: Iterable[int], b: Iterable[int]) -> list[tuple[int, int]]:
    """(service class, goods class) pairs of `a` and `b`, either way round, where the service provides the goods."""
    a, b = set(a), set(b)
    return sorted({(s, g) for x, y in ((a, b), (b, a)) for s in x for g in y if g in DESCRIBED_BY.get(s, ())})


@dataclass
class GoodsOverlap:
    """How far the goods of a watched brand and of a published mark overlap."""

    score: float  # 0..1
    same_groups: tuple[str, ...] = ()
    same_classes: tuple[int, ...] = ()
    reasons: list[Reason] = field(default_factory=list)
    # Related goods, not similar ones (a service providing the goods): they count only against a mark
    # that reproduces the brand's written form (the matcher checks; Matcher.compare_profiles).
    needs_same_sign: bool = False


def goods_overlap(
    brand_classes: Iterable[int],
    brand_groups: Iterable[str],
    cand_classes: Iterable[int],
    cand_groups: Iterable[str],
    *,
    well_known: bool = False,
    table: GoodsTable | None = None,
    rules: OverlapRules = RULES,
) -> GoodsOverlap:
    """Score the goods of a brand against those of a candidate mark. Empty groups mean unknown."""
    table = table or SimilarGoodsTable.load()
    b_classes, c_classes = set(class_key(brand_classes)), set(class_key(cand_classes))
    b_groups, c_groups = set(brand_groups or ()), set(cand_groups or ())

    # Same 类似群 decides on its own: the group code already names the class.
    shared_groups = tuple(sorted(b_groups & c_groups))
    if shared_groups:
        classes = {c for c in (_group_class(table, g) for g in shared_groups) if c is not None}
        classes |= b_classes & c_classes
        names = "；".join(_group_name(table, g) for g in shared_groups)
        plural = "s" if len(shared_groups) > 1 else ""
        reason = Reason(
            "goods",
            f"类似群 {'、'.join(shared_groups)} 相同（{names}）",
            # The table has no English group names: the Chinese name and the Nice class stand in.
            f"same similar-goods group{plural} {', '.join(shared_groups)} ({names}; {_classes_en(classes)})",
            rules.same_group,
        )
        return GoodsOverlap(rules.same_group, shared_groups, tuple(sorted(classes)), [reason])

    notes = getattr(table, "notes", None)
    if notes is not None:
        noted = notes.noted_groups(sorted(b_groups), c_groups)
        if noted:
            pairs = "、".join(f"{g}与{h}" for g, h in noted[:3])
            reason = Reason("goods", f"区分表注释：类似群{pairs}商品类似或应交叉检索",
                            f"the table's notes relate groups {', '.join(f'{g}/{h}' for g, h in noted[:3])}",
                            rules.noted_group)
            return _with_well_known(GoodsOverlap(rules.noted_group, reasons=[reason]), well_known, rules)

    if not b_classes or not c_classes:
        reason = Reason("goods", "类别未知", "classes unknown", rules.classes_unknown)
        return _with_well_known(GoodsOverlap(rules.classes_unknown, reasons=[reason]), well_known, rules)

    shared_classes = tuple(sorted(b_classes & c_classes))
    if not shared_classes and notes is not None and not (b_groups and c_groups):
        noted_classes = [(a, b) for a, b in notes.noted_classes(sorted(b_classes), c_classes)
                         if notes.class_link_share(a, b, getattr(table, "groups_of_class", lambda n: ()))
                         >= rules.noted_class_min_share]
        if noted_classes:
            pairs = "、".join(f"第{a}类与第{b}类" for a, b in noted_classes[:3])
            reason = Reason("goods", f"区分表注释：{pairs}部分商品类似",
                            f"the table's notes relate goods of {', '.join(f'classes {a}/{b}' for a, b in noted_classes[:3])}",
                            rules.noted_class)
            return _with_well_known(GoodsOverlap(rules.noted_class, reasons=[reason]), well_known, rules)
    related = service_of_goods(b_classes, c_classes) if not shared_classes else []
    if related:
        return _related_goods(rules.service_of_goods, "类别不同但相关（{}）", "第{}类服务提供第{}类商品",
                              "other classes, related: {}", "class {} services provide class {} goods",
                              related, well_known, rules)
    # The notes, when loaded, know the groups: kindred classes are the table's stand-in without them.
    kindred = kindred_goods(b_classes, c_classes) if not shared_classes and notes is None else []
    if kindred:
        return _related_goods(rules.kindred_goods, "类别不同但商品相关（{}）", "第{}类与第{}类",
                              "other classes, kindred goods: {}", "classes {}/{}", kindred, well_known, rules)
    if not shared_classes:
        reason = Reason(
            "goods",
            f"类别不同（{_classes_zh(b_classes)} / {_classes_zh(c_classes)}）",
            f"different classes ({_classes_en(b_classes)} vs {_classes_en(c_classes)})",
            rules.different_class,
        )
        return _with_well_known(GoodsOverlap(rules.different_class, (), (), [reason]), well_known, rules)

    # Same class: groups known on both sides in that class (and, as none is shared, different)?
    unknown = tuple(
        n for n in shared_classes if not _in_class(table, b_groups, n) or not _in_class(table, c_groups, n)
    )
    if unknown:
        score = rules.same_class_groups_unknown
        reason = Reason("goods", f"同属{_classes_zh(unknown)}", f"both in {_classes_en(unknown)}", score)
    else:
        score = rules.same_class_other_groups
        reason = Reason(
            "goods",
            f"同属{_classes_zh(shared_classes)}但类似群不同",
            f"same {_classes_en(shared_classes)}, different similar groups",
            score,
        )
    return _with_well_known(GoodsOverlap(score, (), shared_classes, [reason]), well_known, rules)


def _related_goods(score: float, zh: str, zh_pair: str, en: str, en_pair: str, pairs: list[tuple[int, int]],
                   well_known: bool, rules: OverlapRules) -> GoodsOverlap:
    """Related, not similar, goods of other classes (a service and its goods, kindred goods): they
    count only against a mark reproducing the brand (`needs_same_sign`); the first three pairs named."""
    reason = Reason("goods", zh.format("、".join(zh_pair.format(a, b) for a, b in pairs[:3])),
                    en.format(", ".join(en_pair.format(a, b) for a, b in pairs[:3])), score)
    return _with_well_known(GoodsOverlap(score, reasons=[reason], needs_same_sign=True), well_known, rules)


def _with_well_known(result: GoodsOverlap, well_known: bool, rules: OverlapRules) -> GoodsOverlap:
    """A 驰名 (well-known) brand is protected across classes: never below that floor."""
    if well_known and result.score < rules.well_known_cross_class:
        result.score = rules.well_known_cross_class
        result.needs_same_sign = False
        result.reasons.append(
            Reason(
                "goods",
                "驰名商标跨类保护",
                "well-known mark: protected across classes",
                rules.well_known_cross_class,
            )
        )
    return result


def _in_class(table: GoodsTable, groups: set[str], n: int) -> bool:
    return any(_group_class(table, g) == n for g in groups)


def _group_class(table: GoodsTable, code: str) -> int | None:
    try:
        return table.group_class(code)
    except KeyError:
        return None


def _group_name(table: GoodsTable, code: str) -> str:
    try:
        return table.group_name(code)
    except KeyError:
        return "?"


def _classes_zh(classes: Iterable[int]) -> str:
    return "、".join(f"第{n}类" for n in sorted(classes))


def _classes_en(classes: Iterable[int]) -> str:
    return ", ".join(f"class {n}" for n in sorted(classes))
