"""Vienna codes (图形要素编码, the Vienna Classification of figurative elements): category.division.section.

Records write them as ``03.07.01``, ``3.7.1``, ``030701`` or ``3.7.1.5`` (an auxiliary or national
subdivision, kept to its first three levels). They are kept as ``3.7.1``: category 3 (animals), division
7 (birds), section 1. Two marks share a section when the three levels agree, a division when the first
two do.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from markwatch.errors import RecordError

_SPLIT = re.compile(r"[,，;；、|\s]+")
_DOTTED = re.compile(r"^[A-Za-z]?(\d{1,2})[.\-](\d{1,2})[.\-](\d{1,2})(?:[.\-]\d{1,3})*$")
_PACKED = re.compile(r"^(\d{2})(\d{2})(\d{2})(?:\d{1,3})?$")


def parse_code(text: str) -> str:
    """One Vienna code as ``c.d.s``; RecordError when it is not one."""
    raw = str(text).strip()
    m = _DOTTED.match(raw) or _PACKED.match(raw)
    if m is None:
        raise RecordError(f"Vienna code {raw!r} is not category.division.section like 3.7.1 (图形要素编码无效)")
    category, division, section = (int(g) for g in m.groups())
    if not 1 <= category <= 29:
        raise RecordError(f"Vienna code {raw!r}: category {category} is not 1-29 (图形要素编码无效)")
    return f"{category}.{division}.{section}"


def parse_codes(value) -> tuple[str, ...]:
    """Codes from a list or a separated string; unique, in order."""
    if value is None:
        return ()
    items: Iterable = value if isinstance(value, (list, tuple)) else _SPLIT.split(str(value))
    out: list[str] = []
    for item in items:
        if item is None or not str(item).strip():
            continue
        code = parse_code(str(item))
        if code not in out:
            out.append(code)
    return tuple(out)


def division(code: str) -> str:
    return ".".join(code.split(".")[:2])


def shared(a: Iterable[str], b: Iterable[str]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(sections both carry, divisions both carry apart from those of the shared sections)."""
    a, b = tuple(a), tuple(b)
    sections = tuple(c for c in a if c in set(b))
    taken = {division(c) for c in sections}
    divisions = tuple(dict.fromkeys(d for d in (division(c) for c in a)
                                    if d in {division(c) for c in b} and d not in taken))
    return sections, divisions
