"""Meaning channel (含义 / 义): marks that say the same thing in other words or another language.

Links it finds, strongest first:

- translation (译文): one mark, or one whole part of it, is the other's translation or brand
  rendering, Chinese <-> Latin either way (苹果 / APPLE, 小天鹅 / LITTLE SWAN, 星巴克 / STARBUCKS): 1.0;
  the candidate contains the translation of the whole brand (红牛饮料 / RED BULL): 0.9;
- synonym substitution (近义替换): same meaning, other characters (红牛 / 赤牛, 金龙 / 黄金竜), or two
  Latin renderings of one Chinese word (COKE / COCA-COLA): 0.8; inside a longer candidate: 0.7;
- optionally, an embedding model's view of the whole marks, capped below the dictionary links.

What does not count: one shared character or one shared common gloss (华为 / 华硕, 九阳 / 九牧 share a
character and "nine"); only whole marks, whole parts and the brand's whole translation are compared.
"""

from __future__ import annotations

import re
import unicodedata
import weakref
from dataclasses import dataclass
from pathlib import Path

from markwatch.errors import ConfigError, MissingExtra
from markwatch.model import Reason
from markwatch.text.lexicon import MAX_WORD_CHARS, Lexicon, normalize_english

IDENTICAL_PART_SCORE = 1.0  # a whole part written the same in both marks
TRANSLATION_SCORE = 1.0
CONTAINED_TRANSLATION_SCORE = 0.9
SYNONYM_SCORE = 0.8
CONTAINED_SYNONYM_SCORE = 0.7
# A gloss shared by more headwords than this is too common to say two words mean the same thing.
DISTINCTIVE_GLOSS_MAX_HEADWORDS = 8
PRIMARY_SENSES = 2
# Embedding cosines are rescaled from [floor, 1] to [0, cap]: the model never outranks the dictionary.
EMBED_FLOOR = 0.6
EMBED_CAP = 0.7
# A text the model reads mostly as unknown tokens (Chinese for an English-only model) is not judged:
# every such text would embed alike and look "identical".
EMBED_MAX_UNKNOWN_SHARE = 0.34

_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
_PART_RE = re.compile(f"(?P<zh>[{_CJK}]+)|(?P<latin>[A-Za-z0-9](?:[A-Za-z0-9'’&.\\- ]*[A-Za-z0-9])?)")
_WORD_SPLIT_RE = re.compile(r"[\s\-]+")


@dataclass(frozen=True)
class _Parts:
    zh: tuple[str, ...]
    latin: tuple[str, ...]  # as written, NFKC-folded and stripped


def meaning_parts(mark: str) -> _Parts:
    text = unicodedata.normalize("NFKC", mark or "")
    zh: list[str] = []
    latin: list[str] = []
    for m in _PART_RE.finditer(text):
        if m.group("zh"):
            zh.append(m.group("zh"))
        elif normalize_english(m.group("latin")):
            latin.append(" ".join(m.group("latin").split()))
    return _Parts(tuple(dict.fromkeys(zh)), tuple(dict.fromkeys(latin)))


# -- optional embedding model -------------------------------------------------------------------


class Embedder:
    """A sentence-transformers model read from a local folder (语义向量模型, optional extra)."""

    def __init__(self, model, name: str) -> None:
        self._model = model
        self.name = name
        self._cache: dict[str, object] = {}

    @classmethod
    def from_path(cls, path: str | Path, *, name: str | None = None) -> Embedder:
        """Load a local sentence-transformers model folder (no download)."""
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:
            raise MissingExtra("semantic meaning", "semantic", "sentence-transformers") from exc
        folder = Path(path)
        if not folder.is_dir():
            raise ConfigError(
                f"embedding model folder {str(folder)!r} does not exist: point the setting at a local "
                "sentence-transformers model folder, or leave it empty to use the dictionary alone"
            )
        # A str, not a Path: sentence-transformers probes the name for hub ids. No download happens
        # because the folder is local.
        model = SentenceTransformer(str(folder), device="cpu")
        if name is None:
            # Packaged models often sit in a folder called "model": the parent names them.
            name = folder.parent.name if folder.name.lower() in {"model", "models"} else folder.name
        return cls(model, name)

    def can_read(self, text: str) -> bool:
        """False when the model's vocabulary maps most of ``text`` to its unknown token."""
        tokenizer = getattr(self._model, "tokenizer", None)
        if tokenizer is None or not text.strip():
            return bool(text.strip())
        tokens = tokenizer.tokenize(text)
        if not tokens:
            return False
        unknown = sum(1 for t in tokens if t == tokenizer.unk_token)
        return unknown / len(tokens) <= EMBED_MAX_UNKNOWN_SHARE

    def vector(self, text: str):
        if text not in self._cache:
            self._cache[text] = self._model.encode([text], normalize_embeddings=True)[0]
        return self._cache[text]

    def similarity(self, a: str, b: str) -> float:
        """Cosine similarity of the two texts' embeddings, in [-1, 1]."""
        # Vectors come back unit-length (normalize_embeddings=True): the dot product is the cosine.
        return float(self.vector(a) @ self.vector(b))


def meaning_backend_description(embedder: Embedder | None = None) -> str:
    """One line for reports and the UI: what the meaning channel is working from."""
    base = "dictionary (CC-CEDICT + brand list)"
    if embedder is None:
        return f"{base}; no embedding model configured"
    if embedder.can_read("中文商标"):
        return f"{base} + embedding model {embedder.name!r}"
    return f"{base} + embedding model {embedder.name!r} (reads no Chinese: used for Latin marks only)"


# -- the comparison ------------------------------------------------------------------------------


def meaning_similarity(
    brand: str,
    candidate: str,
    *,
    lexicon: Lexicon | None = None,
    embedder: Embedder | None = None,
) -> tuple[float, list[Reason]]:
    """How far ``candidate`` says what ``brand`` says: (score in [0, 1], bilingual reasons, best first)."""
    lex = lexicon or Lexicon.load()
    b, c = meaning_parts(brand), meaning_parts(candidate)
    reasons: list[Reason] = []

    reasons += _identical(b, c)
    # A Latin part that only spells the mark's own characters (杜客 DUKE) is a transliteration, not an
    # English word: it is not translated.
    bm = _Parts(b.zh, ()) if _spells_own_pinyin(b) else b
    cm = _Parts(c.zh, ()) if _spells_own_pinyin(c) else c
    for zh in bm.zh:
        for latin in cm.latin:
            reasons += _translation(zh, latin, lex)
    for zh in cm.zh:
        for latin in bm.latin:
            reasons += _translation(zh, latin, lex)
    reasons += _contained_translation(bm, cm, lex)
    for bz in b.zh:
        for cz in c.zh:
            reasons += _chinese_synonym(bz, cz, lex)
    for bl in bm.latin:
        for cl in cm.latin:
            reasons += _latin_same_chinese(bl, cl, lex)

    best = max((r.score or 0.0 for r in reasons), default=0.0)
    if embedder is not None and best < SYNONYM_SCORE:
        reasons += _embedding(brand, candidate, embedder)

    unique: dict[tuple[str, str], Reason] = {}
    for r in sorted(reasons, key=lambda r: -(r.score or 0.0)):
        unique.setdefault((r.kind, r.detail), r)
    ordered = list(unique.values())
    score = max((r.score or 0.0 for r in ordered), default=0.0)
    return score, ordered


def _identical(b: _Parts, c: _Parts) -> list[Reason]:
    """A whole part written the same in both marks means the same (OREO 奥利奥 / OREO)."""
    shown = [zh for zh in b.zh if zh in c.zh]
    c_keys = {normalize_english(x) for x in c.latin}
    if not (_spells_own_pinyin(b) and _spells_own_pinyin(c) and "".join(b.zh) != "".join(c.zh)):
        # Latin parts that only spell each mark's own characters say nothing apart from them.
        # A single letter beside other parts is not a part that means anything (K 甲 / K 乙).
        alone = len(b.zh) + len(b.latin) == 1 and len(c.zh) + len(c.latin) == 1
        shown += [latin.upper() for latin in b.latin if normalize_english(latin) in c_keys
                  and (len(normalize_english(latin)) > 1 or alone)]
    return [
        Reason("meaning", f"文字相同，含义相同：{x}", f"same words, same meaning: {x}", IDENTICAL_PART_SCORE)
        for x in shown
    ]


def _spells_own_pinyin(p: _Parts) -> bool:
    """The Latin parts, run together, are the pinyin of the Chinese parts (天猫 TIAN MAO)."""
    from markwatch.text.normalise import pinyin_of

    if not p.zh or not p.latin:
        return False
    letters = "".join(ch for ch in "".join(p.latin).lower() if ch.isalpha())
    return letters == "".join(pinyin_of("".join(p.zh))[0])


def _gloss_keys(zh: str, lex: Lexicon) -> dict[str, str]:
    return lex.gloss_keys(zh)


def _translation(zh: str, latin: str, lex: Lexicon) -> list[Reason]:
    """Whole Chinese part vs whole Latin part of the other mark."""
    key = normalize_english(latin)
    gloss = _gloss_keys(zh, lex).get(key)
    if gloss is None and zh in lex.chinese_for(latin):
        gloss = latin.lower()
    if gloss is None:
        return []
    return [Reason(
        "translation",
        f"含义相同：{zh} = {gloss}",
        f"same meaning: {zh} = {latin.upper()}",
        TRANSLATION_SCORE,
    )]


def word_runs(latin: str) -> list[str]:
    """Contiguous runs of words of a Latin part, the whole part excluded."""
    words = [w for w in _WORD_SPLIT_RE.split(latin) if normalize_english(w)]
    n = len(words)
    return [" ".join(words[i:j]) for i in range(n) for j in range(i + 1, n + 1) if (i, j) != (0, n)]


def _segment_runs(zh: str, lex: Lexicon) -> list[str]:
    """Contiguous runs of dictionary segments of at least two characters, the whole part excluded."""
    segs = lex.segment(zh)
    n = len(segs)
    runs = ["".join(segs[i:j]) for i in range(n) for j in range(i + 1, n + 1) if (i, j) != (0, n)]
    return [r for r in runs if len(r) >= 2]


def _contained_translation(b: _Parts, c: _Parts, lex: Lexicon) -> list[Reason]:
    """The candidate holds, as one distinctive part, the translation of a whole part of the brand.

    Only this direction: a brand part found in the candidate is what a knock-off does; a candidate
    equal to one common word of a longer brand (咖啡 in STARBUCKS COFFEE) is not.
    """
    out: list[Reason] = []
    for bz in b.zh:
        if len(bz) < 2:
            continue  # one character's gloss is too common a word to single out a part
        keys = _gloss_keys(bz, lex)
        for cl in c.latin:
            for run in word_runs(cl):
                gloss = keys.get(normalize_english(run))
                if gloss:
                    out.append(Reason(
                        "translation",
                        f"包含译文：{bz} = {gloss}（{cl.upper()}）",
                        f"contains a translation: {bz} = {run.upper()} (in {cl.upper()})",
                        CONTAINED_TRANSLATION_SCORE,
                    ))
    for bl in b.latin:
        key = normalize_english(bl)
        if len(key) < 3:
            continue
        heads = lex.chinese_for(bl)
        for cz in c.zh:
            for run in _segment_runs(cz, lex):
                if run in heads or key in _gloss_keys(run, lex):
                    out.append(Reason(
                        "translation",
                        f"包含译文：{run} = {bl.lower()}（{cz}）",
                        f"contains a translation: {run} = {bl.upper()} (in {cz})",
                        CONTAINED_TRANSLATION_SCORE,
                    ))
    return out


def _shared_everyday_gloss(x: str, y: str, lex: Lexicon) -> str | None:
    """A distinctive everyday gloss two words of two or more characters share (天鹅 / 鸿鹄: swan)."""
    if len(x) < 2 or len(y) < 2:
        return None  # single characters are too polysemous (日 and 天 both gloss "day")
    # Main senses only: CC-CEDICT lists them first, and a secondary sense links words whose usual
    # meanings differ (恐怕 "I'm afraid" and 恐惧 "fear" share "dread" far down the list).
    gx = {normalize_english(g): g for g in lex.word_glosses(x, names=False)[:PRIMARY_SENSES]}
    for g in lex.word_glosses(y, names=False)[:PRIMARY_SENSES]:
        k = normalize_english(g)
        if k in gx and lex.headword_count(g) <= DISTINCTIVE_GLOSS_MAX_HEADWORDS:
            return g
    return None


_Alignment = tuple[list[tuple[str, str, "str | None"]], int, int]

# Substitutions are a fact of the lexicon, not of one comparison: remembered per lexicon, bounded.
_SUBSTITUTION_MEMO_SIZE = 500_000
_MEMOS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # lexicon → (substitutions, units)


def _memos(lex: Lexicon) -> tuple[dict, dict]:
    got = _MEMOS.get(lex)
    if got is None:
        got = _MEMOS[lex] = ({}, {})
    return got


def _substitution_memo(lex: Lexicon) -> dict[tuple[str, str], tuple[bool, str | None]]:
    return _memos(lex)[0]


def _unit_memo(lex: Lexicon) -> dict[str, bool]:
    units = _memos(lex)[1]
    if len(units) >= _SUBSTITUTION_MEMO_SIZE:
        units.clear()
    return units


def _align(a: str, b: str, lex: Lexicon, *, partial: bool) -> _Alignment | None:
    """Align ``a`` with ``b`` (or, if ``partial``, with a substring of ``b``) unit by unit.

    Units are equal strings, curated synonyms or words sharing a distinctive gloss. Returns the
    substitutions (a_unit, b_unit, gloss or None) of the alignment with the fewest of them, with the
    span of ``b`` it covers, or None when no alignment exists.
    """
    n, m = len(a), len(b)
    # Only dictionary words (1-4 characters) and synonym-table entries can be substituted; longer
    # equal stretches align character by character.
    max_unit = MAX_WORD_CHARS
    memo = _substitution_memo(lex)

    def sub(x: str, y: str) -> tuple[bool, str | None] | None:
        key = (x, y)
        got = memo.get(key)
        if got is None:
            if y in lex.synonyms(x):
                got = (True, None)
            else:
                g = _shared_everyday_gloss(x, y, lex)
                got = (True, g) if g else (False, None)
            if len(memo) >= _SUBSTITUTION_MEMO_SIZE:
                memo.clear()
            memo[key] = got
        return got if got[0] else None

    def substitutable(x: str) -> bool:
        """Whether `x` can be replaced at all: a synonym-table entry, or a word of two or more
        characters with an everyday gloss (what `_shared_everyday_gloss` needs)."""
        got = units.get(x)
        if got is None:
            got = units[x] = bool(lex.synonyms(x)) or (len(x) >= 2 and bool(lex.word_glosses(x, names=False)))
        return got

    units = _unit_memo(lex)

    inf = 10**9
    # cost[i][j]: fewest substitutions aligning a[:i] with b[start:j]; back[i][j] the step taken.
    cost = [[inf] * (m + 1) for _ in range(n + 1)]
    back: list[list[tuple[int, int, tuple[str, str, str | None] | None] | None]] = [[None] * (m + 1) for _ in range(n + 1)]
    for j in range(m + 1):
        if partial or j == 0:
            cost[0][j] = 0
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            for k in range(1, min(max_unit, i) + 1):
                x = a[i - k:i]
                if not substitutable(x):
                    # Only an equal unit can follow: the same k characters of b.
                    if k <= j and b[j - k:j] == x and cost[i - k][j - k] < cost[i][j]:
                        cost[i][j] = cost[i - k][j - k]
                        back[i][j] = (k, k, None)
                    continue
                for h in range(1, min(max_unit, j) + 1):
                    prev = cost[i - k][j - h]
                    if prev >= inf:
                        continue
                    y = b[j - h:j]
                    if x == y:
                        step, info = 0, None
                    else:
                        s = sub(x, y)
                        if s is None:
                            continue
                        step, info = 1, (x, y, s[1])
                    if prev + step < cost[i][j]:
                        cost[i][j] = prev + step
                        back[i][j] = (k, h, info)
    ends = range(m + 1) if partial else [m]
    best_j = min(ends, key=lambda j: cost[n][j])
    if cost[n][best_j] >= inf:
        return None
    subs: list[tuple[str, str, str | None]] = []
    i, j = n, best_j
    while i > 0:
        taken = back[i][j]
        assert taken is not None  # every reachable cell below inf was reached by a step
        k, h, info = taken
        if info:
            subs.append(info)
        i, j = i - k, j - h
    return list(reversed(subs)), j, best_j


def _chinese_synonym(bz: str, cz: str, lex: Lexicon) -> list[Reason]:
    if bz == cz:
        return []
    found = _align(bz, cz, lex, partial=False)
    score = SYNONYM_SCORE
    span = cz
    if found is None and len(bz) >= 2 and len(cz) > len(bz):
        found = _align(bz, cz, lex, partial=True)
        score = CONTAINED_SYNONYM_SCORE
        if found is not None:
            span = cz[found[1]:found[2]]
    if found is None or not found[0]:
        return []
    subs = found[0]
    zh_pairs = "、".join(f"{x}→{y}" + (f"（{g}）" if g else "") for x, y, g in subs)
    en_pairs = ", ".join(f"{x} → {y}" + (f" ({g})" if g else "") for x, y, g in subs)
    if score == SYNONYM_SCORE and len(subs) == 1 and subs[0][:2] == (bz, cz) and subs[0][2]:
        detail = f"含义相同：{bz} = {cz}（{subs[0][2]}）"
        detail_en = f"same meaning: {bz} = {cz} ({subs[0][2]})"
    elif score == SYNONYM_SCORE:
        detail = f"近义替换，含义相同：{bz} / {cz}：{zh_pairs}"
        detail_en = f"synonym substitution, same meaning: {bz} / {cz}: {en_pairs}"
    else:
        detail = f"包含近义改写：{bz} / {span}（{cz}）：{zh_pairs}"
        detail_en = f"contains a synonym rewrite: {bz} / {span} (in {cz}): {en_pairs}"
    return [Reason("meaning", detail, detail_en, score)]


def _latin_same_chinese(bl: str, cl: str, lex: Lexicon) -> list[Reason]:
    """Two Latin words rendering one Chinese word of two or more characters (COKE / COCA-COLA)."""
    if normalize_english(bl) == normalize_english(cl):
        return []
    shared = sorted(h for h in lex.chinese_for(bl) & lex.chinese_for(cl) if len(h) >= 2)
    if not shared:
        return []
    word = shared[0]
    return [Reason(
        "meaning",
        f"含义相同：{bl.upper()} = {cl.upper()}（{word}）",
        f"same meaning: {bl.upper()} = {cl.upper()} ({word})",
        SYNONYM_SCORE,
    )]


def _embedding(brand: str, candidate: str, embedder: Embedder) -> list[Reason]:
    if not (embedder.can_read(brand) and embedder.can_read(candidate)):
        return []
    cos = embedder.similarity(brand, candidate)
    score = EMBED_CAP * min(1.0, max(0.0, (cos - EMBED_FLOOR) / (1.0 - EMBED_FLOOR)))
    if score <= 0.0:
        return []
    return [Reason(
        "meaning",
        f"语义相近（嵌入模型 {embedder.name}，余弦 {cos:.2f}）",
        f"close in meaning (embedding model {embedder.name}, cosine {cos:.2f})",
        score,
    )]
