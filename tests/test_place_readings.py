"""Place names are read as the places are called (库尔勒 ku er le, not the first reading of each
character), in the normal forms, the batch replica and the sound reasons brand owners read."""

from __future__ import annotations

from functools import lru_cache

import pytest

from markwatch.text.normalise import Normaliser
from markwatch.text.place_readings import place_readings
from markwatch.text.places import place_names

from .test_reasons import brand, compare


@lru_cache(maxsize=1)
def norm() -> Normaliser:
    return Normaliser()


@pytest.mark.parametrize("place, reading", [
    ("库尔勒", "ku er le"), ("重庆", "chong qing"), ("厦门", "xia men"), ("六安", "lu an"),
    ("蚌埠", "beng bu"), ("乐山", "le shan"), ("丰都", "feng du"), ("长治", "chang zhi"),
    ("阿勒泰", "a le tai"), ("闵行", "min hang"), ("什邡", "shi fang"), ("六合", "lu he"),
])
def test_places_of_the_list_read_as_they_are_called(place, reading):
    assert place in place_names()
    assert " ".join(norm().normalise(place).pinyin) == reading
    # with the administrative suffix and as the head of a geographical-indication mark
    assert " ".join(norm().normalise(place + "市").pinyin) == reading + " shi"
    assert " ".join(norm().normalise(place + "香梨").pinyin) == reading + " xiang li"


def test_the_sound_reason_reads_korla_as_korla():
    m = compare(brand("库尔勒香梨"), "库尔乐香梨")
    sound = [r.detail for r in m.reasons if r.kind == "sound"]
    assert sound == ["读音相同 ku er le xiang li ≈ ku er le xiang li"], [r.detail for r in m.reasons]
    assert not any("lei" in r.detail for r in m.reasons)


def test_every_listed_reading_is_of_a_listed_place_and_holds_in_its_longer_forms():
    names = place_names()
    readings = place_readings()
    # a place, or the name at the head of one (三都 of 三都水族自治县)
    unknown = {name for name in readings if not any(p.startswith(name) for p in names)}
    assert not unknown, unknown
    for name, syllables in readings.items():
        toneless = tuple(s.rstrip("012345") for s in syllables)
        toned = tuple(s if s[-1].isdigit() else s + "5" for s in syllables)
        for place in (p for p in names if p.startswith(name)):  # 库尔勒市, 阿勒泰地区
            got = norm().normalise(place)
            assert got.pinyin[:len(name)] == toneless, place
            assert got.pinyin_tone[:len(name)] == toned, place


def test_the_batch_replica_reads_places_as_the_plain_path():
    from markwatch.matching.profiles import BatchNormaliser

    batch = BatchNormaliser(Normaliser(), spot_check_every=0)
    for mark in ("库尔勒香梨", "丰都麻辣鸡", "长治市", "阿勒泰地区", "闵行区大闸蟹"):
        assert batch.normalise(mark) == norm().normalise(mark), mark
    assert not batch.plain
