"""Candidate generation (blocking, 候选生成): which brands a mark must be fully compared with.

The watched brands' blocking keys (`KeyIndex`): a mark and a brand become a candidate pair when
they share a key of some evidence family (`matching.registry`), loose families confirmed by their
cheap checks, and only when their goods can overlap at all (`goods_may_overlap`). The exact
reference, `blocking.reference.brute_force`, scores every pair.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import repeat
from typing import TYPE_CHECKING

import numpy as np

from markwatch.blocking.checks import latin_metaphones_near, max_edits, sound_near_possible
from markwatch.blocking.form_keys import DELETION_MAX_SYLLABLES, BrandKeyContext, place_split
from markwatch.blocking.goods_mask import brand_goods_mask, goods_mask
from markwatch.blocking.keys import (
    brand_form_keys,
    brand_meaning_keys,
    mark_form_keys,
    mark_meaning_keys,
    meaning_texts_of_brand,
    meaning_texts_of_mark,
    place_keys,
)
from markwatch.blocking.meaning_keys import BrandSideWords, composed_key_ends, synonym_key_parts
from markwatch.blocking.postings import FlatPostings
from markwatch.matching.registry import (
    COMPOSED_TRANSLATION,
    CONTAINED_TRANSLATION,
    LOOK_FIRST_TWO,
    PLACE_ONE_CHAR,
    SOUND_NEAR,
    SYNONYM_SPAN,
    family_of_key,
)
from markwatch.matching.rules import LATIN, LATIN_RATIO_MIN_LENGTH
from markwatch.ports import GoodsTable, Lexicon
from markwatch.text.normalise import NormalisedMark

if TYPE_CHECKING:  # numpy and faiss load only when an embedding model is configured
    from markwatch.blocking.vectors import EmbeddingCandidates

# The rapidfuzz ratio from which Latin parts are compared by the Latin rules: a point below the
# lowest ratio they look at (near metaphones with a ratio from LATIN["sounds_near_min_ratio"]).
LATIN_RATIO_CUTOFF = int(LATIN["sounds_near_min_ratio"] * 100) - 1
# Marks whose postings are gathered together in screening (a few hundred thousand postings).
PAIRS_BLOCK = 4096
# Distinct marks whose key slots are kept (then the memo starts again): a few hundred MB at most.
MARK_MEMO_LIMIT = 200_000
# Brand forms of this many syllables or more are listed by length for long marks' direct comparison.
SOUND_BY_LENGTH_MIN = 9


@dataclass
class CandidateStats:
    marks: int = 0
    keyed_pairs: int = 0  # pairs sharing a key, before checks
    checked_out: int = 0  # removed by the cheap checks
    goods_out: int = 0  # removed because goods cannot overlap
    pairs: int = 0  # what goes to the full scorer

    def add(self, other: CandidateStats) -> None:
        for k in ("marks", "keyed_pairs", "checked_out", "goods_out", "pairs"):
            setattr(self, k, getattr(self, k) + getattr(other, k))

    def as_dict(self) -> dict:
        return {k: getattr(self, k) for k in ("marks", "keyed_pairs", "checked_out", "goods_out", "pairs")}


class KeyIndex:
    """Blocking keys of the watched brands, and the candidate brands of any mark.

    Postings map a key to brand-form ids (`self.form_brand[id]` is the brand position). Built from
    brand profiles (`from_profiles`) or read back from disk (`watch_index.WatchIndexStore`).
    """

    def __init__(self) -> None:
        self.flat = FlatPostings([], np.zeros(1, dtype=np.int64), np.zeros(0, dtype=np.int32))
        self._postings: dict[str, tuple[int, ...]] | None = None
        self.form_brand: np.ndarray = np.zeros(0, dtype=np.int32)
        self.forms: list[NormalisedMark] = []
        self.places: dict[int, str] = {}  # brand-form id -> place name (first form of GI-like brands)
        self.brand_mask: np.ndarray = np.zeros(0, dtype=np.int64)
        self.brand_has_classes: np.ndarray = np.zeros(0, dtype=bool)
        self.well_known: np.ndarray = np.zeros(0, dtype=bool)
        self.latin_forms: list[int] = []  # brand-form ids with a Latin part long enough for cdist
        self.long_sound_forms: list[int] = []  # brand-form ids beyond DELETION_MAX_SYLLABLES
        self.sound_by_length: dict[int, list[int]] = {}  # brand-form ids with 9+ syllables by length
        self.size = 0
        self.want = BrandSideWords(frozenset(), frozenset(), frozenset(), frozenset(), frozenset(), 0)
        self.search_look = False
        self.one_char_places = False
        self._plain: tuple | None = None
        self.embedding: EmbeddingCandidates | None = None  # when an embedding model is configured
        self.brand_threshold: list[float | None] = []  # per brand; None: the matcher's default
        self.default_threshold = 0.0  # set by the caller (the matcher's); 0 disables threshold checks
        # How far the matcher's combination may raise a lone finding (combination.LEARNED_MAX_LIFT for
        # the learned one, 0 for the rules'): the threshold checks ask a lone finding for this much less.
        self.score_lift = 0.0
        self._threshold_list: list[float] | None = None
        self._look: BrandKeyContext | None = None
        self.lexicon: Lexicon | None = None
        self.goods_table: GoodsTable | None = None
        # Per distinct mark (its forms' texts and meaning texts): its key slots, and the cheap checks'
        # answers. A gazette repeats mark texts (one application per class, common words), and a mark's
        # keys and checks depend on its forms alone, which its texts determine within a run.
        self._slot_memo: dict[tuple, np.ndarray] = {}
        self._check_memo: dict[tuple, bool] = {}
        self._memo_lexicon: Lexicon | None = None

    # ---------------------------------------------------------------- building
    @classmethod
    def from_profiles(cls, profiles: Sequence, *, lexicon=None, goods_table=None,
                      lookalike_floor: float | None = None, embedder=None,
                      default_threshold: float | None = None, score_lift: float = 0.0) -> KeyIndex:
        """Index brand profiles (matcher.BrandProfile); with an embedder, also their embeddings."""
        ctx = BrandKeyContext(lexicon=lexicon, goods_table=goods_table, lookalike_floor=lookalike_floor)
        self = cls()
        self.lexicon, self.goods_table = lexicon, goods_table
        self.score_lift = score_lift
        postings: dict[str, list[int]] = defaultdict(list)
        form_brand: list[int] = []
        masks, has_classes, well_known = [], [], []
        self.brand_threshold = [bp.brand.threshold for bp in profiles]
        if default_threshold is not None:
            self.default_threshold = default_threshold
        for j, bp in enumerate(profiles):
            brand = bp.brand
            meaning: set[str] = set()
            brand_meaning_keys(meaning_texts_of_brand(bp), lexicon, meaning)
            for f, nm in enumerate(bp.forms):
                fid = len(self.forms)
                self.forms.append(nm)
                form_brand.append(j)
                for k in self._brand_form_keys(fid, f, nm, brand, ctx, meaning):
                    postings[k].append(fid)
            masks.append(brand_goods_mask(brand.classes, bp.groups, goods_table))
            has_classes.append(bool(brand.classes))
            well_known.append(bool(brand.well_known))
        self.flat = FlatPostings.from_dict(postings)
        self._derive()
        self.form_brand = np.asarray(form_brand, dtype=np.int32)
        self.brand_mask = np.asarray(masks, dtype=np.int64)
        self.brand_has_classes = np.asarray(has_classes, dtype=bool)
        self.well_known = np.asarray(well_known, dtype=bool)
        self.size = len(profiles)
        if embedder is not None:
            self.attach_embedder(embedder, profiles, default_threshold)
        return self

    def _brand_form_keys(self, fid: int, f: int, nm: NormalisedMark, brand, ctx: BrandKeyContext,
                         meaning: set[str]) -> set[str]:
        """One brand form's keys (the first form also carries the meaning and place keys), and its
        entries in the lists of forms compared without keys."""
        keys: set[str] = set()
        brand_form_keys(nm, ctx, keys)
        if f == 0:
            keys |= meaning
            split = place_split(nm, brand.kind, ctx)
            if split is not None and split[0]:
                self.places[fid] = split[0]
                keys |= place_keys(split[0])
        if len(nm.latin) >= LATIN_RATIO_MIN_LENGTH:
            self.latin_forms.append(fid)
        if len(nm.pinyin) > DELETION_MAX_SYLLABLES:
            self.long_sound_forms.append(fid)
        if len(nm.pinyin) >= SOUND_BY_LENGTH_MIN:
            self.sound_by_length.setdefault(len(nm.pinyin), []).append(fid)
        return keys

    def attach_embedder(self, embedder, profiles: Sequence, default_threshold: float | None) -> None:
        """Embedding candidates: the cosine at which the embedding evidence could reach the lowest
        brand threshold (comparisons.meaning: EMBED_CAP at cosine 1, 0 at EMBED_FLOOR)."""
        from markwatch.blocking.vectors import EmbeddingCandidates
        from markwatch.matching.comparisons.meaning import EMBED_CAP, EMBED_FLOOR
        from markwatch.matching.rules import DEFAULT_THRESHOLD

        default = DEFAULT_THRESHOLD if default_threshold is None else default_threshold
        lowest = min((p.brand.threshold if p.brand.threshold is not None else default for p in profiles),
                     default=default)
        lowest -= self.score_lift
        min_cosine = EMBED_FLOOR + (1 - EMBED_FLOOR) * min(1.0, max(0.0, lowest) / EMBED_CAP)
        self.embedding = EmbeddingCandidates(embedder, [meaning_texts_of_brand(p) for p in profiles],
                                             min_cosine=min_cosine)

    # ---------------------------------------------------------------- compact form (shipping, saving)
    def to_arrays(self) -> dict[str, np.ndarray]:
        """Postings as flat arrays: keys (one UTF-8 blob, newline-separated), offsets, form ids."""
        blob = "\n".join(self.flat.keys).encode("utf-8")
        return {"keys": np.frombuffer(blob, dtype=np.uint8), "offsets": self.flat.offsets, "data": self.flat.data,
                "form_brand": self.form_brand, "brand_mask": self.brand_mask,
                "brand_has_classes": self.brand_has_classes, "well_known": self.well_known}

    def load_arrays(self, arrays: dict[str, np.ndarray]) -> None:
        blob = arrays["keys"].tobytes().decode("utf-8")
        keys = blob.split("\n") if blob else []
        self.flat = FlatPostings(keys, arrays["offsets"], arrays["data"])
        self.form_brand = arrays["form_brand"].astype(np.int32)
        self.brand_mask = arrays["brand_mask"].astype(np.int64)
        self.brand_has_classes = arrays["brand_has_classes"].astype(bool)
        self.well_known = arrays["well_known"].astype(bool)
        self.size = len(self.brand_mask)
        self._derive()

    @property
    def postings(self) -> dict[str, tuple[int, ...]]:
        """Key -> brand-form ids, as a dict (for inspection; the search path uses `flat`)."""
        if self._postings is None:
            self._postings = self.flat.as_dict()
        return self._postings

    @property
    def key_count(self) -> int:
        return len(self.flat.keys)

    def _derive(self) -> None:
        """What the mark side needs to know of the brand side's keys (to build only keys that can meet one)."""
        self._postings = None
        family = self.flat.family
        p_keys = composed_key_ends(COMPOSED_TRANSLATION.code, family(COMPOSED_TRANSLATION))
        s_parts = synonym_key_parts(SYNONYM_SPAN.code, family(SYNONYM_SPAN))
        h_code = CONTAINED_TRANSLATION.code
        self.want = BrandSideWords(
            p_heads=frozenset(head for head, _ in p_keys), p_tails=frozenset(tail for _, tail in p_keys),
            h_words=frozenset(k[len(h_code):] for k in family(CONTAINED_TRANSLATION)),
            s_firsts=frozenset(first for first, _, _ in s_parts),
            s_ends=frozenset((first, last) for first, last, _ in s_parts),
            s_max_span=max((span for _, _, span in s_parts), default=0))
        self.one_char_places = bool(family(PLACE_ONE_CHAR))
        self.search_look = bool(family(LOOK_FIRST_TWO))

    def __getstate__(self) -> dict:
        # Engines (lexicon, goods table) are not shipped: each worker has its own (engines._worker_state).
        return {"arrays": self.to_arrays(), "forms": [f.as_dict() for f in self.forms], "places": self.places,
                "latin_forms": self.latin_forms, "long_sound_forms": self.long_sound_forms,
                "sound_by_length": self.sound_by_length, "brand_threshold": self.brand_threshold,
                "default_threshold": self.default_threshold, "score_lift": self.score_lift}

    def __setstate__(self, state: dict) -> None:
        self.__init__()  # type: ignore[misc]
        self.load_arrays(state["arrays"])
        self.forms = [NormalisedMark.from_dict(d) for d in state["forms"]]
        self.places = {int(k): v for k, v in state["places"].items()}
        self.latin_forms = list(state["latin_forms"])
        self.long_sound_forms = list(state["long_sound_forms"])
        self.sound_by_length = {int(k): list(v) for k, v in state["sound_by_length"].items()}
        self.brand_threshold = list(state.get("brand_threshold", [None] * self.size))
        self.default_threshold = float(state.get("default_threshold", 0.0))
        self.score_lift = float(state.get("score_lift", 0.0))

    # ---------------------------------------------------------------- checks
    def confirms(self, families: Iterable, forms: Sequence[NormalisedMark]) -> bool:
        """Whether the cheap check of any of these (loose) families holds between any brand form
        and the mark's forms: without it, those families' evidence cannot exist."""
        for family in families:
            if family.check is None:
                return True
            if any(family.check(self, fid, forms, 0.0) for fid in range(len(self.forms))):
                return True
        return False

    def warm_up(self) -> None:
        """Build the lazily derived lists and the glyph look-alike table before the real work."""
        self._lists()
        self._thresholds()
        self.look_context().neighbours("康")

    def look_context(self) -> BrandKeyContext:
        """Look-alike neighbours for the look checks (the default floor)."""
        if self._look is None:
            self._look = BrandKeyContext()
        return self._look

    def _thresholds(self) -> list[float]:
        if self._threshold_list is None:
            lift = self.score_lift
            self._threshold_list = [max(0.0, (self.default_threshold if t is None else t) - lift)
                                    for t in self.brand_threshold]
        return self._threshold_list

    def _lists(self) -> tuple[list[int], list[int], list[bool]]:
        """Plain lists of the per-form / per-brand arrays: the inner loop indexes them per posting."""
        if self._plain is None or len(self._plain[0]) != len(self.form_brand):
            opened = self._opened().tolist()
            self._plain = (self.form_brand.tolist(), self.brand_mask.tolist(), opened)
        return self._plain

    def _opened(self) -> np.ndarray:
        """Per brand: goods never rule it out (well known, or no classes)."""
        return self.well_known | ~self.brand_has_classes

    # ---------------------------------------------------------------- querying
    def candidate_forms(self, forms: Sequence[NormalisedMark], meaning_texts: Sequence[str] = (),
                        stats: CandidateStats | None = None, *, goods: tuple[int, bool] | None = None) -> set[int]:
        """Brand positions that share a key with this mark (checked families confirmed).

        `goods` = (the mark's goods mask, whether it has classes): brands whose goods cannot overlap
        are dropped before any check (`goods_may_overlap`).
        """
        return self._block_candidates([(forms, meaning_texts, goods)], stats)[0][0]

    @staticmethod
    def _signature(forms: Sequence[NormalisedMark], texts: Sequence[str]) -> tuple:
        """What a mark's keys and checks depend on: its forms (each determined by its text within a
        run: the same normaliser and watched words) and its meaning texts."""
        return tuple(c.original for c in forms), tuple(texts)

    def _memos(self) -> tuple[dict[tuple, np.ndarray], dict[tuple, bool]]:
        if self._memo_lexicon is not self.lexicon or len(self._slot_memo) > MARK_MEMO_LIMIT \
                or len(self._check_memo) > 4 * MARK_MEMO_LIMIT:
            self._slot_memo.clear()
            self._check_memo.clear()
            self._memo_lexicon = self.lexicon
        return self._slot_memo, self._check_memo

    def _mark_slots(self, items, sigs: Sequence[tuple]) -> list[np.ndarray]:
        """Per item, the posting slots of its keys that some brand has, once per distinct mark."""
        memo = self._memos()[0]
        get = self.flat.slot.get
        out = []
        for (forms, texts, _), sig in zip(items, sigs):
            got = memo.get(sig)
            if got is None:
                got = memo[sig] = np.array([s for s in map(get, self._mark_keys(forms, texts), repeat(-1)) if s >= 0],
                                           dtype=np.int64)
            out.append(got)
        return out

    def _gather(self, items, sigs: Sequence[tuple]) -> tuple[np.ndarray, ...]:
        """Every posting of the items' keys: (item, brand-form id, slot, pair code, goods ok)."""
        flat = self.flat
        offsets = flat.offsets
        nb = max(1, self.size)
        per_item = self._mark_slots(items, sigs)
        s = np.concatenate(per_item) if per_item else np.zeros(0, dtype=np.int64)
        owners = np.repeat(np.arange(len(items), dtype=np.int64), [len(a) for a in per_item])
        lens = offsets[s + 1] - offsets[s]
        ends = np.cumsum(lens)
        # Posting n of slot s sits at offsets[s] + n: one arange shifted per slot run.
        at = np.arange(int(ends[-1]) if len(ends) else 0, dtype=np.int64) + np.repeat(offsets[s] - (ends - lens), lens)
        fid = flat.data[at]
        mark = np.repeat(owners, lens)
        posting_slot = np.repeat(s, lens)
        brand = self.form_brand[fid].astype(np.int64)
        code = mark * nb + brand
        filtering = self._filtering(items)
        mark_mask = np.fromiter((g[0] if g is not None else 0 for _, _, g in items), dtype=np.int64, count=len(items))
        ok = ~filtering[mark] | self._opened()[brand] | ((self.brand_mask[brand] & mark_mask[mark]) != 0)
        return mark, fid, posting_slot, code, ok

    @staticmethod
    def _filtering(items) -> np.ndarray:
        return np.fromiter((g is not None and g[1] for _, _, g in items), dtype=bool, count=len(items))

    def _confirm_checked(self, items, sigs: Sequence[tuple], mark, fid, posting_slot, code, rest,
                         found: set[int]) -> None:
        """Pairs only checked families hit: confirmed by their checks, grouped by (mark, brand form),
        each check once per distinct mark."""
        slot_keys = self.flat.keys
        nb = max(1, self.size)
        families: dict[tuple[int, int], set] = {}
        for n, f, sl in zip(mark[rest].tolist(), fid[rest].tolist(), posting_slot[rest].tolist()):
            families.setdefault((n, f), set()).add(family_of_key(slot_keys[sl]))
        if not families:
            return
        thresholds = self._thresholds()
        filtering = self._filtering(items)
        form_brand = self._lists()[0]
        checks = self._memos()[1]
        for (n, f), fams in families.items():
            j = form_brand[f]
            c = n * nb + j
            if c in found:
                continue
            # Partial sound alone must reach the brand's threshold; with another family hitting the
            # pair, the other evidence decides (and the bonus needs it).
            t = thresholds[j] if filtering[n] and fams == {SOUND_NEAR} else 0.0
            forms = items[n][0]
            for fam in fams:
                key = (sigs[n], f, fam.code, t)
                held = checks.get(key)
                if held is None:
                    held = checks[key] = fam.check(self, f, forms, t)
                if held:
                    found.add(c)
                    break

    def _block_candidates(self, items: Sequence[tuple[Sequence[NormalisedMark], Sequence[str], tuple[int, bool] | None]],
                          stats: CandidateStats | None = None) -> tuple[list[set[int]], list[set[int]]]:
        """Candidate brand positions of each (forms, meaning texts, goods) item, and the positions
        among them that a meaning family hit (without one the meaning channel finds nothing).

        The keys are computed per mark; their postings are then gathered and goods-filtered for the
        whole block in numpy, and only pairs that no exact family hit go through the cheap checks.
        """
        nb = max(1, self.size)
        sigs = [self._signature(forms, texts) for forms, texts, _ in items]
        mark, fid, posting_slot, code, ok = self._gather(items, sigs)
        # One sort of the block's pair codes; each question below is then a count per distinct pair.
        keyed, pair_of = np.unique(code, return_inverse=True)
        pair_of = pair_of.reshape(-1)

        def pairs_with(rows: np.ndarray) -> np.ndarray:
            return np.bincount(pair_of[rows], minlength=len(keyed)) > 0

        checked = self.flat.checked[posting_slot]
        direct = pairs_with(ok & ~checked)
        found: set[int] = set(keyed[direct].tolist())
        rest = np.flatnonzero(ok & checked & ~direct[pair_of])
        self._confirm_checked(items, sigs, mark, fid, posting_slot, code, rest, found)
        passed = int(np.count_nonzero(pairs_with(ok)))
        out: list[set[int]] = [set() for _ in items]
        for c in found:
            out[c // nb].add(c % nb)
        meaning: list[set[int]] = [set() for _ in items]
        for c in keyed[pairs_with(ok & self.flat.meaning[posting_slot])].tolist():
            if c in found:
                meaning[c // nb].add(c % nb)
        extra = self._direct_candidates(items, out)
        if stats is not None:
            stats.keyed_pairs += len(keyed) + extra
            stats.goods_out += len(keyed) - passed
            stats.checked_out += passed + extra - sum(len(o) for o in out)
        if self.embedding is not None:
            meaning = [set(o) for o in out]  # embeddings have no keys: the channel may find anything
        return out, meaning

    def _direct_candidates(self, items, out: list[set[int]]) -> int:
        """Candidates found without keys (long syllable sequences, embeddings), added to `out`;
        returns how many (goods-filtered) were looked at."""
        _, masks, opened = self._lists()
        looked = 0
        for n, (forms, texts, goods) in enumerate(items):
            filtering = goods is not None and goods[1]
            mmask = goods[0] if goods is not None else 0
            brands = out[n]
            for c in forms:
                for fid in self._long_sound_partners(c):
                    j = int(self.form_brand[fid])
                    if j in brands or (filtering and not (opened[j] or masks[j] & mmask)):
                        continue
                    looked += 1
                    if sound_near_possible(self.forms[fid], c):
                        brands.add(j)
            if self.embedding is not None:
                for j in self.embedding.candidates(texts):
                    if j not in brands and (not filtering or opened[j] or masks[j] & mmask):
                        looked += 1
                        brands.add(j)
        return looked

    def _mark_keys(self, forms: Sequence[NormalisedMark], meaning_texts: Sequence[str]) -> set[str]:
        """A mark's keys (screening keeps their slots per distinct mark: `_mark_slots`)."""
        keys: set[str] = set()
        for c in forms:
            mark_form_keys(c, keys, one_char_places=self.one_char_places, search_look=self.search_look)
        mark_meaning_keys(meaning_texts, self.lexicon, keys, self.want)
        return keys

    def hit_families(self, forms: Sequence[NormalisedMark], meaning_texts: Sequence[str] = ()) -> dict[int, set]:
        """For each candidate brand, the key families that hit it (checks applied): for bounds and tests."""
        keys = self._mark_keys(forms, meaning_texts)
        form_brand = self._lists()[0]
        out: dict[int, set] = {}
        for k in keys:
            for fid in self.postings.get(k, ()):
                fam = family_of_key(k)
                if fam.check is not None and fam.checked and not fam.check(self, fid, forms, 0.0):
                    continue
                out.setdefault(form_brand[fid], set()).add(fam)
        for c in forms:
            for fid in self._long_sound_partners(c):
                if sound_near_possible(self.forms[fid], c):
                    out.setdefault(form_brand[fid], set()).add(SOUND_NEAR)
        return out

    def _long_sound_partners(self, c: NormalisedMark) -> Iterator[int]:
        """Brand forms to compare directly by syllable edit distance (too long for deletion keys)."""
        n = len(c.pinyin)
        if n < 3:
            return
        for fid in self.long_sound_forms:
            nb = len(self.forms[fid].pinyin)
            if n >= nb - max_edits(nb):
                yield fid
        if n > DELETION_MAX_SYLLABLES:
            low = n - max_edits(n)
            for nb, fids in self.sound_by_length.items():
                if low <= nb <= DELETION_MAX_SYLLABLES:
                    yield from fids

    def candidates(self, forms: Iterable[NormalisedMark], meaning_texts: Sequence[str] = ()) -> set[int]:
        """Brand positions to compare with a mark of these forms (no goods filter, no Latin ratio)."""
        return self.candidate_forms(list(forms), meaning_texts)

    def latin_pairs(self, marks: Sequence) -> list[tuple[int, int]]:
        """(mark position, brand position) pairs whose Latin parts are alike by ratio: one `cdist`."""
        if not self.latin_forms:
            return []
        mark_latin: dict[str, list[int]] = defaultdict(list)
        for i, mp in enumerate(marks):
            for c in mp.forms:
                if len(c.latin) >= LATIN_RATIO_MIN_LENGTH:
                    mark_latin[c.latin].append(i)
        if not mark_latin:
            return []
        brand_latin: dict[str, list[int]] = defaultdict(list)
        for fid in self.latin_forms:
            brand_latin[self.forms[fid].latin].append(int(self.form_brand[fid]))
        return [(i, j) for a, b in latin_alike_parts(list(mark_latin), list(brand_latin))
                for i in mark_latin[a] for j in brand_latin[b]]

    def candidate_pairs(self, marks: Sequence, *, goods: bool = True,
                        stats: CandidateStats | None = None) -> list[tuple[int, int]]:
        """Every (mark position, brand position) pair to score for these mark profiles.

        With `goods`, pairs whose goods cannot overlap (so cannot be flagged) are left out.
        """
        return self.candidate_pairs_with_meaning(marks, goods=goods, stats=stats)[0]

    def candidate_pairs_with_meaning(self, marks: Sequence, *, goods: bool = True,
                                     stats: CandidateStats | None = None
                                     ) -> tuple[list[tuple[int, int]], list[bool]]:
        """`candidate_pairs`, and for each pair whether a meaning family hit it: the scorer can skip
        the meaning channel of the others (`Matcher.compare_profiles(meaning=False)`)."""
        local = CandidateStats(marks=len(marks))
        table = self.goods_table
        _, masks, opened = self._lists()
        goods_of = [(goods_mask(mp.classes, mp.groups, table), bool(mp.classes)) if goods else None for mp in marks]
        per_mark: list[set[int]] = []
        with_meaning: list[set[int]] = []
        for start in range(0, len(marks), PAIRS_BLOCK):
            block = marks[start:start + PAIRS_BLOCK]
            found, meaning = self._block_candidates(
                [(mp.forms, meaning_texts_of_mark(mp), g) for mp, g in zip(block, goods_of[start:start + PAIRS_BLOCK])],
                local)
            per_mark.extend(found)
            with_meaning.extend(meaning)
        for i, j in self.latin_pairs(marks):
            if j in per_mark[i]:
                continue
            g = goods_of[i]
            local.keyed_pairs += 1
            if g is not None and g[1] and not (opened[j] or masks[j] & g[0]):
                local.goods_out += 1
                continue
            per_mark[i].add(j)
        pairs: list[tuple[int, int]] = []
        flags: list[bool] = []
        for i, brands in enumerate(per_mark):
            if brands:
                ordered = sorted(brands)
                pairs.extend((i, j) for j in ordered)
                flags.extend(j in with_meaning[i] for j in ordered)
        local.pairs = len(pairs)
        if stats is not None:
            stats.add(local)
        return pairs, flags


def latin_alike_parts(queries: list[str], choices: list[str]) -> list[tuple[str, str]]:
    """(query, choice) pairs of distinct Latin parts alike enough for the Latin rules: a ratio from
    LATIN["alike_min_ratio"], or from the cutoff with equal or near metaphones; one `cdist` a block."""
    from rapidfuzz import fuzz, process

    alike = LATIN["alike_min_ratio"] * 100
    out: list[tuple[str, str]] = []
    step = max(1, 4_000_000 // max(1, len(choices)))
    for start in range(0, len(queries), step):
        block = queries[start:start + step]
        scores = process.cdist(block, choices, scorer=fuzz.ratio, dtype=np.uint8,
                               score_cutoff=LATIN_RATIO_CUTOFF, workers=-1)
        rows, cols = np.nonzero(scores)
        for r, c in zip(rows.tolist(), cols.tolist()):
            if block[r] == choices[c]:
                continue  # equal Latin parts have their own key
            if scores[r, c] < alike and not latin_metaphones_near(block[r], choices[c]):
                continue  # below the alike ratio the Latin rules need the metaphones alike
            out.append((block[r], choices[c]))
    return out
