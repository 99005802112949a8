"""Goods as bits: a pair can only be flagged when the goods overlap at all (`goods_may_overlap`)."""

from __future__ import annotations

import zlib
from collections.abc import Iterable


def _bit(value: object, table) -> int:
    if isinstance(value, int):
        return value if 1 <= value <= 45 else 46 + value % 17
    code = str(value)
    cls = None
    if table is not None:
        try:
            cls = table.group_class(code)
        except (KeyError, ValueError, AttributeError):
            cls = None
    if isinstance(cls, int) and 1 <= cls <= 45:
        return cls
    return 46 + zlib.crc32(code.encode("utf-8")) % 17


def goods_mask(classes: Iterable[int], groups: Iterable[str], table=None) -> int:
    """Classes and similar groups folded into 63 bits: a shared class or group sets a shared bit."""
    mask = 0
    for c in classes or ():
        try:
            mask |= 1 << _bit(int(c), table)
        except (TypeError, ValueError):
            continue
    for g in groups or ():
        mask |= 1 << _bit(str(g), table)
    return mask


def goods_may_overlap(brand_mask: int, brand_has_classes: bool, well_known: bool,
                      mark_mask: int, mark_has_classes: bool) -> bool:
    """Necessary for goods.goods_overlap > 0: shared group or class, no classes on a side, well known."""
    return well_known or not brand_has_classes or not mark_has_classes or bool(brand_mask & mark_mask)


def brand_goods_mask(classes: Iterable[int], groups: Iterable[str], table=None) -> int:
    """A brand's goods bits, widened by the table's notes (`table.notes`) to the groups and classes
    they relate, to the classes of services providing its goods (or of the goods its services
    provide: goods.overlap.DESCRIBED_BY) and to those of kindred goods (goods.overlap.KINDRED_GOODS),
    so that a pair these make related is not dropped before scoring."""
    from markwatch.goods.overlap import related_goods_classes

    notes = getattr(table, "notes", None)
    classes, groups = list(classes or ()), list(groups or ())
    classes += sorted(related_goods_classes(int(c) for c in classes if str(c).strip().isdigit()))
    if notes is not None:
        related_groups = {h for g in groups for h in notes.related_groups(str(g))}
        related_classes = {m for c in classes for m in notes.related_classes(int(c))}
        groups += sorted(related_groups)
        classes += sorted(related_classes)
    return goods_mask(classes, groups, table)
