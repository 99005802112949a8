"""Bilingual word lexicon (义 词典) behind the meaning channel.

Three shipped files, read once, no network:

- ``data/lexicon.json.gz``: simplified headword -> short English glosses, derived from CC-CEDICT
  (CC BY-SA 4.0, see ``data/LEXICON_NOTICE.md``) by ``scripts/build_lexicon.py``;
- ``data/brand_translations.yaml``: curated brand renderings (星巴克 = STARBUCKS) and a few extra
  everyday glosses;
- ``data/synonyms.yaml``: curated synonym sets (红/赤/朱).
"""

from __future__ import annotations

import gzip
import json
import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache
from itertools import product
from pathlib import Path
from typing import Any

import yaml

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
LEXICON_FILE = DATA_DIR / "lexicon.json.gz"
BRANDS_FILE = DATA_DIR / "brand_translations.yaml"
SYNONYMS_FILE = DATA_DIR / "synonyms.yaml"

MAX_WORD_CHARS = 4  # the table holds words of 1-4 characters
# Composing glosses multiplies senses: keep the first few senses of each part (CC-CEDICT lists the
# main sense first) and a ceiling on the total, so a 4-part word stays cheap.
COMPOSE_SENSES_PER_PART = 4
COMPOSE_MAX_RESULTS = 64
# Per-word results are cached; a gazette holds ~10^5 distinct marks, so the caches are bounded.
CACHE_SIZE = 8192

_NON_ALNUM_RE = re.compile(r"[^0-9a-z]+")
_CJK_RE = re.compile(r"^[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]+$")


@lru_cache(maxsize=200_000)
def normalize_english(text: str) -> str:
    """Comparison key of an English word or phrase: "Red-Bull", "RED BULL", "redbull" -> "redbull".

    NFKC folds full-width letters (ＡＰＰＬＥ); accents are dropped (Nestlé = NESTLE); case, spaces,
    hyphens and punctuation (McDonald's, P&G) do not count.
    """
    if not text.isascii():  # NFKC and NFKD leave ASCII as it is (most glosses: a fast path)
        text = unicodedata.normalize("NFKC", text)
        text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    return _NON_ALNUM_RE.sub("", text.lower())


def is_chinese(text: str) -> bool:
    return bool(text) and bool(_CJK_RE.match(text))


class Lexicon:
    """Chinese word <-> English gloss table plus synonym sets (词典与近义词).

    Build one with :meth:`load` (cached); the constructor takes plain mappings so tests can build a
    tiny one.
    """

    def __init__(
        self,
        entries: dict[str, list[str]],
        *,
        names: dict[str, int] | None = None,
        brands: dict[str, list[str]] | None = None,
        extra_glosses: dict[str, list[str]] | None = None,
        synonym_sets: Iterable[Iterable[str]] = (),
    ) -> None:
        self._entries = entries
        self._names = names or {}
        # Brand renderings are kept as written (upper case) for display, compared normalised.
        self._brands = {zh: list(en) for zh, en in (brands or {}).items()}
        self._extra = {zh: [g.lower() for g in gs] for zh, gs in (extra_glosses or {}).items()}
        self._synonyms: dict[str, set[str]] = {}
        for group in synonym_sets:
            members = {w for w in group if w}
            for word in members:
                self._synonyms.setdefault(word, set()).update(members - {word})
        self._reverse: dict[str, set[str]] | None = None
        self._max_word = max([MAX_WORD_CHARS, *(len(w) for w in self._brands)])
        self._jieba: Any = None  # a private jieba.Tokenizer, made on first use
        # Brands and frequent words come back for every mark of a gazette: remember per-word work.
        self._glosses_cached = lru_cache(maxsize=CACHE_SIZE)(self._compute_glosses)
        self._segment_cached = lru_cache(maxsize=CACHE_SIZE)(self._compute_segment)
        self._gloss_keys_cached = lru_cache(maxsize=CACHE_SIZE)(self._compute_gloss_keys)

    # -- loading -----------------------------------------------------------------------------

    @classmethod
    def load(cls) -> Lexicon:
        """The shipped lexicon, read once per process."""
        return _load_shipped()

    @classmethod
    def from_files(cls, lexicon: Path, brands: Path | None = None, synonyms: Path | None = None) -> Lexicon:
        with gzip.open(lexicon, "rt", encoding="utf-8") as fh:
            doc = json.load(fh)
        brand_doc = _read_yaml(brands) if brands else {}
        syn_doc = _read_yaml(synonyms) if synonyms else {}
        return cls(
            doc["entries"],
            names=doc.get("names", {}),
            brands=brand_doc.get("brands") or {},
            extra_glosses=brand_doc.get("glosses") or {},
            synonym_sets=syn_doc.get("sets") or [],
        )

    # -- Chinese -> English --------------------------------------------------------------------

    def brand_renderings(self, chinese: str) -> list[str]:
        """Curated Latin renderings of a Chinese brand, as written (星巴克 -> ["STARBUCKS"])."""
        return list(self._brands.get(chinese, ()))

    def word_glosses(self, chinese: str, *, names: bool = True) -> list[str]:
        """Glosses of ``chinese`` as one dictionary word, best first; no composition.

        ``names=False`` keeps only everyday senses: 华为 has none (it is only a brand name), 小米 has
        "millet" but not "xiaomi".
        """
        out: list[str] = []
        if names:
            out += [r.lower() for r in self._brands.get(chinese, ())]
        out += self._extra.get(chinese, [])
        glosses = self._entries.get(chinese, [])
        if not names and chinese in self._names:
            glosses = glosses[: self._names[chinese]]
        out += glosses
        return list(dict.fromkeys(out))

    def glosses(self, chinese: str) -> set[str]:
        """English glosses of a Chinese word: the whole word first, else composed from its parts.

        小天鹅 is a dictionary word (little swan); 金天鹅 is not, so it is segmented (jieba, then the
        dictionary) into 金 + 天鹅 and the parts' glosses are composed: "gold swan", "golden swan"...
        """
        return set(self._glosses_cached(chinese.strip()))

    def _compute_glosses(self, chinese: str) -> frozenset[str]:
        return frozenset(self.word_glosses(chinese) or self.composed_glosses(chinese))

    def gloss_keys(self, chinese: str) -> dict[str, str]:
        """:meth:`glosses` keyed by :func:`normalize_english` ("redbull" -> "red bull"), cached."""
        return dict(self._gloss_keys_cached(chinese.strip()))

    def _compute_gloss_keys(self, chinese: str) -> dict[str, str]:
        keys = {normalize_english(g): g for g in sorted(self.glosses(chinese))}
        keys.pop("", None)
        return keys

    def composed_glosses(self, chinese: str) -> list[str]:
        """Glosses composed from the segments of ``chinese`` (empty when a segment has none)."""
        parts = self.segment(chinese)
        if len(parts) < 2:
            return []
        senses: list[list[str]] = []
        for part in parts:
            # A single character's proper-name senses are dynasties and places (金 = Jin dynasty);
            # a longer part's are often what composes (星巴克 + 咖啡 = starbucks coffee).
            glosses = self.word_glosses(part, names=len(part) > 1)
            if not glosses:  # 竜 has no gloss of its own: borrow its synonym 龙's
                for syn in sorted(self.synonyms(part)):
                    glosses += self.word_glosses(syn, names=False)
            if not glosses:
                return []
            senses.append(glosses[:COMPOSE_SENSES_PER_PART])
        out: list[str] = []
        for combo in product(*senses):
            out.append(" ".join(combo))
            if len(out) >= COMPOSE_MAX_RESULTS:
                break
        return out

    def segment(self, chinese: str) -> list[str]:
        """Split a Chinese string into dictionary words: jieba first, then the lexicon.

        jieba tokens the lexicon knows are kept; an unknown token is split again into the fewest
        known words (longest first), single characters as the last resort.
        """
        return list(self._segment_cached(chinese)) if chinese else []

    def _compute_segment(self, chinese: str) -> tuple[str, ...]:
        out: list[str] = []
        for token in self._jieba_cut(chinese):
            if self._known(token):
                out.append(token)
            else:
                out.extend(self._split_known(token))
        return tuple(out)

    def _known(self, word: str) -> bool:
        return word in self._entries or word in self._brands or word in self._extra

    def _split_known(self, text: str) -> list[str]:
        # Fewest pieces; among equals, the earlier pieces longer (max-match flavour).
        n = len(text)
        best: list[list[str] | None] = [None] * (n + 1)
        best[n] = []
        for i in range(n - 1, -1, -1):
            for j in range(min(n, i + self._max_word), i, -1):
                piece = text[i:j]
                rest, current = best[j], best[i]
                if (j - i == 1 or self._known(piece)) and rest is not None:
                    cand = [piece, *rest]
                    if current is None or len(cand) < len(current):
                        best[i] = cand
        return best[0] or list(text)

    def _jieba_cut(self, text: str) -> list[str]:
        if self._jieba is None:
            from markwatch.text.segmenter import private_tokenizer

            # A private tokenizer: words other modules add to jieba's global one must not change
            # how meanings are composed here.
            self._jieba = private_tokenizer()
        return [t for t in self._jieba.lcut(text, HMM=False) if t.strip()]

    # -- English -> Chinese --------------------------------------------------------------------

    def chinese_for(self, english: str) -> set[str]:
        """Chinese headwords glossed by ``english`` (RED BULL = redbull = Red-Bull -> {红牛})."""
        key = normalize_english(english)
        if not key:
            return set()
        return set(self._reverse_index().get(key, ()))

    def headword_count(self, gloss: str) -> int:
        """How many headwords share this gloss: a rough measure of how common (undistinctive) it is."""
        return len(self._reverse_index().get(normalize_english(gloss), ()))

    def _reverse_index(self) -> dict[str, set[str]]:
        if self._reverse is None:
            rev: dict[str, set[str]] = {}
            for source in (self._entries, self._extra):
                for head, glosses in source.items():
                    for gloss in glosses:
                        rev.setdefault(normalize_english(gloss), set()).add(head)
            for head, renderings in self._brands.items():
                for rendering in renderings:
                    rev.setdefault(normalize_english(rendering), set()).add(head)
            rev.pop("", None)
            self._reverse = rev
        return self._reverse

    # -- synonyms ------------------------------------------------------------------------------

    def synonyms(self, word: str) -> set[str]:
        """Curated synonyms of a Chinese word, the word itself excluded (红 -> {赤, 朱, 丹, 绯})."""
        return set(self._synonyms.get(word, ()))


def _read_yaml(path: Path) -> dict:
    with open(path, encoding="utf-8") as fh:
        return yaml.safe_load(fh) or {}


@lru_cache(maxsize=1)
def _load_shipped() -> Lexicon:
    return Lexicon.from_files(LEXICON_FILE, BRANDS_FILE, SYNONYMS_FILE)
