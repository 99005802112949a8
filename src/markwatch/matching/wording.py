"""How findings are said. Clerks forward reasons to brand owners: each must be true of the marks it names.

Two steps, both here:

- ``word(key, **values)`` words one finding when a comparison makes it, and picks the variant that is
  true of its values: "读音相同" only for identical toneless readings (else "读音相近" with the
  syllables that differ), "地名" only for a whole name of the place list, "外文相同" for equal Latin;
- ``pair_reasons(...)`` takes every finding of one brand/mark pair and keeps what a brand owner
  reads: a match with one of the brand's aliases is said to be one, Latin parts are named as written
  (not as the squashed comparison key), and nothing is said twice — a restatement of a stronger
  finding is left out.

The comparisons decide what is alike and how much; this module only decides how it is said.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from markwatch.matching.rules import reason_text
from markwatch.model import Brand, Reason

if TYPE_CHECKING:  # pragma: no cover
    from markwatch.matching.comparisons.base import Evidence
    from markwatch.text.normalise import NormalisedMark

# What "same sound" and "similar sound" are called (the property tests read the same words).
SAME_SOUND = ("读音相同", "same sound")
SIMILAR_SOUND = ("读音相近", "similar sound")

# Findings after which a meaning or translation reason only says the same thing again: the candidate
# is the brand's text or holds it whole (same words mean the same), or is written in the brand's
# pinyin (a "translation" into that pinyin is the pinyin).
_RESTATED_BY: dict[str, frozenset[str]] = {
    **dict.fromkeys(("identical", "identical_alias", "identical_alias_written", "traditional", "generic_added",
                     "contains", "contains_alias"), frozenset({"meaning", "translation"})),
    "pinyin_of_mark": frozenset({"translation"}),
}
_MEANING_KINDS = frozenset({"meaning", "translation"})


# ---------------------------------------------------------------- one finding
def word(key: str, **values: object) -> tuple[str, str, str]:
    """(the key of the variant that is true of `values`, Chinese, English)."""
    if key == "sound_same":
        a, b = _syllables(values.get("a")), _syllables(values.get("b"))
        if a != b:
            key, values = "sound_alike_readings", {**values, "d": _differing(a, b)}
    elif key == "gi_place" and not is_place(values.get("p")):
        key = "gi_head"
    elif key == "gi_other_place" and not (is_place(values.get("p")) and is_place(values.get("q"))):
        key = "gi_other_head"
    elif key == "latin_alike" and values.get("a") == values.get("b"):
        key = "latin_same"
    zh, en = reason_text(key, **values)
    return key, zh, en


def is_place(name: object) -> bool:
    """A whole name of the place list (text/places.py)."""
    from markwatch.text.places import place_names

    return isinstance(name, str) and name in place_names()


def _syllables(text: object) -> tuple[str, ...]:
    return tuple(str(text or "").split())


def _differing(a: tuple[str, ...], b: tuple[str, ...]) -> str:
    if len(a) != len(b):
        return f"{' '.join(a)} / {' '.join(b)}"
    return "、".join(f"{x}/{y}" for x, y in zip(a, b) if x != y)


# ---------------------------------------------------------------- every finding of a pair
@dataclass(frozen=True)
class _Said:
    key: str
    reason: Reason


def pair_reasons(brand: Brand, brand_forms: Sequence[NormalisedMark], mark_forms: Sequence[NormalisedMark],
                 found: Iterable[Evidence]) -> list[Reason]:
    """The reasons of one pair, strongest first as `found` is ordered: each true, none said twice."""
    aliases = {a.strip() for a in brand.aliases if a and a.strip()}
    evidence = list(found)
    said = [_attributed(e, aliases, brand_forms, mark_forms) for e in evidence]
    restated = frozenset().union(*(_RESTATED_BY.get(s.key, frozenset()) for s in said))
    # "依次包含…（中间插入其他文字）" next to the alignment's "文字近似（插入“石磨”）" of the same brand text
    # says the same, less precisely: the alignment's reason is kept
    spread_named = {_plain(str(dict(e.values).get("a", ""))) for e in evidence if e.key == "aligned_insert"}
    out: list[Reason] = []
    claims: set[tuple[str, str]] = set()
    details: set[str] = set()
    meaning_said = False
    for e, s in zip(evidence, said):
        r = s.reason
        if r.kind in _MEANING_KINDS and r.score:
            # a scored meaning finding next to an identity restates it; of several, the strongest says it
            if r.kind in restated or meaning_said:
                continue
            meaning_said = True
        if e.key == "contains_spread" and _plain(str(dict(e.values).get("a", ""))) in spread_named:
            continue
        claim = _claim(e)
        if claim is not None:
            if claim in claims or (claim[0] == "contains" and ("same", claim[1]) in claims):
                continue
            claims.add(claim)
        if r.detail in details:
            continue
        details.add(r.detail)
        out.append(r)
    return out


def _attributed(e: Evidence, aliases: set[str], brand_forms: Sequence[NormalisedMark],
                mark_forms: Sequence[NormalisedMark]) -> _Said:
    """The finding said of what it was found on: an alias as the brand's alias, Latin as written,
    a same sound only where the readings are the same."""
    key, v = e.key, dict(e.values)
    r = e.reason

    def reworded(new_key: str, **values: object) -> _Said:
        zh, en = reason_text(new_key, **values)
        return _Said(new_key, Reason(kind=r.kind, detail=zh, detail_en=en, score=r.score))

    if key == "identical":
        a = str(v.get("a", ""))
        cores = {c.core for c in mark_forms if c.original.strip() == a}
        sources = [b for b in brand_forms if b.core in cores]
        alias = _alias_of(sources, aliases)
        if alias is not None:
            if _plain(alias) == _plain(a):
                return reworded("identical_alias", w=alias)
            return reworded("identical_alias_written", w=alias, a=a)
    elif key == "contains":
        a = str(v.get("a", ""))
        sources = [b for b in brand_forms if a in (b.core, b.latin.upper())]
        alias = _alias_of(sources, aliases)
        if alias is not None:
            return reworded("contains_alias", w=alias)
        written = _latin_written(sources, a)
        if written is not None and written != a:
            return reworded("contains", a=written)
    elif key == "contained":
        a, b = str(v.get("a", "")), str(v.get("b", ""))
        sources = [f for f in brand_forms if f.core == a]
        if sources and not any(_has_han(f.core) for f in sources):
            # Latin letters inside Latin letters: a part, not the distinctive part the rule means for Han
            part = _latin_written([c for c in mark_forms if c.core == b] or mark_forms[:1], b) or b.upper()
            alias = _alias_of(sources, aliases)
            if alias is not None:
                return reworded("contained_latin_alias", a=alias, b=part)
            return reworded("contained_latin", a=_latin_written(sources, a) or a.upper(), b=part)
    elif key == "pinyin_of_mark":
        a, b = str(v.get("a", "")), str(v.get("b", ""))
        # the Latin side is the brand's when only the brand is written with it
        in_brand = [f for f in brand_forms if f.latin.upper() == b]
        in_mark = [c for c in mark_forms if c.latin.upper() == b]
        if in_brand and not in_mark:
            alias = _alias_of([f for f in in_brand if not f.chinese] or in_brand, aliases)
            if alias is not None:
                return reworded("pinyin_alias", w=alias, a=a)
        written = _latin_written(in_mark or in_brand, b)
        if written is not None and written != b:
            return reworded("pinyin_of_mark", a=a, b=written)
    elif key in ("latin_alike", "latin_same", "latin_sound"):
        a, b = str(v.get("a", "")), str(v.get("b", ""))
        sources = [f for f in brand_forms if f.latin.upper() == a]
        part = _latin_written([c for c in mark_forms if c.latin.upper() == b] or mark_forms[:1], b) or b
        alias = _alias_of(sources, aliases)
        if alias is not None:
            return reworded(key + "_alias", a=alias, b=part)
    elif key.startswith("homophone"):
        return _Said(key, _sound_told_true(r, v, brand_forms, mark_forms))
    return _Said(key, r)


def _alias_of(sources: Sequence[NormalisedMark], aliases: set[str]) -> str | None:
    """The alias a finding was made on, when every brand form it can come from is an alias."""
    if not sources:
        return None
    names = [f.original.strip() for f in sources]
    if all(n in aliases for n in names):
        return names[0]
    return None


def _latin_written(forms: Sequence[NormalisedMark], letters: str = "") -> str | None:
    """A Latin-only form as written (NONGFU SPRING, not nongfuspring); else the run of Latin words of a
    form's text whose letters are `letters` (WHITE RABBIT in 大白兔WHITE RABBIT)."""
    # the run as written first: a Latin-only form split off a mixed mark (可口可乐COCA-COLA) holds the
    # squashed letters (COCACOLA), not the writing
    want = _plain(letters)
    for f in forms:
        text = unicodedata.normalize("NFKC", f.original)
        for run in _LATIN_RUN.findall(text):
            words = run.split()
            for i in range(len(words)):
                for j in range(len(words), i, -1):
                    if want and _plain("".join(words[i:j])) == want:
                        return " ".join(words[i:j])
    for f in forms:
        if f.latin and not f.chinese:
            return unicodedata.normalize("NFKC", f.original).strip()
    return None


_LATIN_RUN = re.compile(r"[A-Za-z][A-Za-z'&.\- ]*[A-Za-z]|[A-Za-z]")


def _sound_told_true(r: Reason, v: dict, brand_forms: Sequence[NormalisedMark],
                     mark_forms: Sequence[NormalisedMark]) -> Reason:
    """A homophone finding says "读音相同" only when the two marks read the same toneless syllables."""
    if SAME_SOUND[0] not in r.detail:
        return r
    x, y = v.get("x"), v.get("y")
    pairs = [(b, c) for b in brand_forms for c in mark_forms
             if b.chinese and len(b.chinese) == len(c.chinese) and b.chinese[0] == x and c.chinese[0] == y]
    if pairs and not any(b.pinyin == c.pinyin for b, c in pairs):
        return Reason(kind=r.kind, detail=r.detail.replace(SAME_SOUND[0], SIMILAR_SOUND[0]),
                      detail_en=r.detail_en.replace(SAME_SOUND[1], SIMILAR_SOUND[1]), score=r.score)
    return r


def _claim(e: Evidence) -> tuple[str, str] | None:
    """What a finding asserts of which text, for telling when two reasons assert the same."""
    v = dict(e.values)
    if e.key == "identical":
        return "same", _plain(str(v.get("a", "")))
    if e.key in ("latin_same", "latin_alike") and v.get("a") == v.get("b"):
        return "same", _plain(str(v.get("a", "")))
    if e.key == "contains":
        return "contains", _plain(str(v.get("a", "")))
    return None


def _plain(text: str) -> str:
    return re.sub(r"[\W_]+", "", unicodedata.normalize("NFKC", text).casefold())


def _has_han(text: str) -> bool:
    return any("\u3400" <= ch <= "\u9fff" or "\uf900" <= ch <= "\ufaff" for ch in text)
