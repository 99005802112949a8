"""Place readings (地名读音): place names read as the places are called, not character by character.

pypinyin reads a word its phrase dictionary lacks with each character's first reading, so 库尔勒
came out "ku er lei" (Korla is ku er le) and 丰都 "feng dou". data/places.readings.txt lists the
names of the place list that pypinyin misreads, with their readings; `install` adds them to
pypinyin's phrase dictionary, the one both the plain reading (normalise.pinyin_of) and the batch
replica (matching.profiles) read through pypinyin's own segmenter and converter, so both agree.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

READINGS_FILE = "data/places.readings.txt"


@lru_cache(maxsize=1)
def place_readings() -> dict[str, tuple[str, ...]]:
    """Place name → its TONE3 syllables, one per character (a malformed line is an error)."""
    text = resources.files("markwatch").joinpath(READINGS_FILE).read_text(encoding="utf-8")
    out: dict[str, tuple[str, ...]] = {}
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        name, _, reading = line.partition("\t")
        syllables = tuple(reading.split())
        if len(syllables) != len(name):
            raise ValueError(f"{READINGS_FILE}:{number}: {name} has {len(name)} characters, "
                             f"{len(syllables)} syllables")
        out[name] = syllables
    return out


@lru_cache(maxsize=1)
def install() -> None:
    """Put the place readings into pypinyin's phrase dictionary (once; later calls do nothing)."""
    from pypinyin import load_phrases_dict
    from pypinyin.contrib.tone_convert import tone3_to_tone

    load_phrases_dict({name: [[tone3_to_tone(s)] for s in syllables]
                       for name, syllables in place_readings().items()})
