"""Place names (地名) for the geographical-indication rule: 五常大米 = 五常 (place) + 大米 (product)."""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from importlib import resources

# Administrative names (built by scripts/build_places.py), and the regions, lakes and mountains that
# name geographical indications (curated).
PLACE_FILES = ("data/places.txt", "data/places.regions.txt")


@lru_cache(maxsize=1)
def place_names() -> frozenset[str]:
    names: set[str] = set()
    for name in PLACE_FILES:
        text = resources.files("markwatch").joinpath(name).read_text(encoding="utf-8")
        names.update(line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#"))
    return frozenset(names)


def leading_place(text: str) -> str | None:
    """The longest known place name the text starts with (two characters at least)."""
    names = place_names()
    for end in range(min(len(text), 8), 1, -1):
        if text[:end] in names:
            return text[:end]
    return None


def split_place_product(text: str, is_goods_word: Callable[[str], bool]) -> tuple[str, str] | None:
    """(place, product) when the text is a known place followed by a goods word; else None."""
    place = leading_place(text)
    if place is None or len(text) - len(place) < 1:
        return None
    product = text[len(place):]
    return (place, product) if is_goods_word(product) else None
