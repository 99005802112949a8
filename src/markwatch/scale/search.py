"""Clearance search (近似查询): which stored marks are most similar to a name, ranked with reasons.

The query plays the brand's part. Its widened blocking keys are looked up in the persistent
register index (every stored mark's keys, `register_index.RegisterIndex`), its Latin part is compared with
the register's Latin parts in one `cdist`, its n-gram vector brings up the nearest marks from the
faiss index; the candidates are fetched, profiled, confirmed with the same checks as screening, and
scored by the full scorer. Results are ranked by score (by mark score when no classes are given),
then by application number, exactly as the brute-force reference `exact_search` ranks every mark.
"""

from __future__ import annotations

import bisect
import heapq
import logging
import math
import threading
from collections.abc import Callable, Sequence

import numpy as np

from markwatch.blocking.bounds import (
    pair_bound,
    parse_sound_look_forms,
    shared_part_reach,
    sound_look_reach,
    sound_look_scores,
    sound_near_bound,
)
from markwatch.blocking.checks import han2, max_edits
from markwatch.blocking.form_keys import DELETION_MAX_SYLLABLES, BrandKeyContext, place_split
from markwatch.blocking.key_index import LATIN_RATIO_CUTOFF, KeyIndex
from markwatch.blocking.keys import brand_form_keys, brand_meaning_keys, meaning_texts_of_brand, place_keys
from markwatch.blocking.vectors import hash_vectors
from markwatch.matching.matcher import Matcher
from markwatch.matching.registry import (
    CHECKED,
    CONTAINS_PREFIX2,
    CONTAINS_PREFIX4,
    LATIN_RATIO,
    MEANING_FAMILIES,
    QUERY_CONTAINED,
    SHARED_PART,
    SOUND_LOOK,
    SOUND_NEAR,
    SOUND_SAME_LENGTH,
    TEXT_CHECKED,
    VECTOR_NEIGHBOUR,
    Family,
    families_of_mask,
    family_of_key,
)
from markwatch.matching.rules import LATIN, LATIN_RATIO_MIN_LENGTH
from markwatch.model import Brand
from markwatch.scale.register_index import RegisterIndex, RegisterRow, app_order_key

log = logging.getLogger(__name__)

# The vector safety net: this many nearest marks by n-gram vector, when at least this close.
VECTOR_NEIGHBOURS = 10
VECTOR_MIN_COSINE = 0.6
SCORE_BLOCK = 2
FETCH_BLOCK = 14  # rows fetched ahead with each block scored
# Candidates whose stored fields are read at once (second stage of the bounds).
REFINE_BLOCK = 48
NO_SHAPE = -1  # a candidate whose syllable shape does not bound it (no partial-sound key, or the query contained)
# Loose families: a mark hit only by these is confirmed by their check before scoring (the query
# contained, vector neighbours and the Latin ratio are scored as they are). The families with a text
# check (`Family.text_check`) are checked on the stored mark's cleaned text (which holds the core,
# the Latin part and the pinyin-free text) before any profiling.


def _result(row: RegisterRow, match, rank: float) -> tuple[tuple, dict]:
    pub = row.publication_date
    out = {
        "id": row.id, "application_no": row.application_no, "office": row.office, "mark": row.mark,
        "classes": list(row.classes or []), "applicant": row.applicant,
        "publication_date": pub.isoformat() if hasattr(pub, "isoformat") else pub,
        **match.as_dict(),
    }
    return (-rank, row.application_no or "", row.id), out


def rank_results(scored: list[tuple[tuple, dict]], top: int) -> list[dict]:
    scored.sort(key=lambda t: t[0])
    return [r for _, r in scored[:top]]


def _query_profile(matcher: Matcher, mark: str, classes: Sequence[int]):
    # one query, profiled on the plain path: the batch profiler's caches serve the shared brand words
    return matcher.profile_query(Brand(brand_id="query", mark=mark, classes=tuple(classes)))


def _score_rows(matcher: Matcher, profiler, bp, rows: Sequence[RegisterRow], classes: Sequence[int],
                confirm: QueryConfirmation | None, loose: dict[int, frozenset[Family]] | None = None,
                families: dict[int, frozenset[Family]] | None = None) -> list[tuple[tuple, dict]]:
    """Score rows against the query; with `confirm`, rows in `loose` (hit by loose families only,
    which it maps to) are first confirmed by those families' cheap checks. With `families` (the key
    families that hit each row), a row no meaning family hit skips the meaning channel: it can find
    nothing there (unless an embedding model, which has no keys, is configured)."""
    from markwatch.matching.profiles import stored_normal
    from markwatch.scale.engines import MarkInput, profile_inputs

    profiles = profile_inputs(profiler, [MarkInput.of(r) for r in rows])
    words = matcher.normaliser.query_words([bp.brand.mark, *bp.brand.aliases])
    out = []
    for row, mp in zip(rows, profiles):
        if any(w in mp.main.text and w != mp.main.text for w in words):
            # The query is watched while it is searched, as compare watches its brand: a mark holding
            # it keeps its generic-looking part. Profiled with the query's words for this search only.
            mp = matcher.profile_mark(row.mark or "", row.classes or (), goods=row.goods or (),
                                      similar_groups=row.similar_groups or (), applicant=row.applicant, ref=row.id,
                                      normal=stored_normal(row.normal),
                                      normalise=lambda t: matcher.normaliser.normalise(t, extra_words=words))
        if confirm is not None and loose and row.id in loose and row.id not in confirm.extra:
            if not confirm.confirms(loose[row.id], mp.forms):
                continue
        fams = families.get(row.id) if families is not None and matcher.embedder is None else None
        meaning = fams is None or QUERY_CONTAINED in fams or bool(fams & MEANING_FAMILIES)
        match = matcher.compare_profiles(bp, mp, meaning=meaning)
        if match.mark_score <= 0:
            continue
        out.append(_result(row, match, match.score if classes else match.mark_score))
    return out


def _letter_counts(text: str) -> np.ndarray:
    """How often each letter A-Z occurs in `text` (anything else in a 27th count)."""
    counts = np.zeros(27, dtype=np.uint8)
    for ch in text.upper():
        k = ord(ch) - 65
        counts[k if 0 <= k < 26 else 26] += 1
    return counts


class _QueryMemo:
    """What one search computes once and reads per candidate: the text checks' needles, each family
    mask's plan, each stored form string's channel scores, each family set's bound."""

    def __init__(self, bp, combine=None):
        self.combine = combine  # the matcher's bound of its combination (None: the rules')
        self.checks = [(fam, tuple(dict.fromkeys(x for nm in bp.forms for x in fam.text_check[0](nm) if x)),
                        fam.text_check[1]) for fam in TEXT_CHECKED]
        self.plans: dict[int, tuple] = {}
        self.families: dict[int, frozenset[Family]] = {}  # by candidate, once its text is checked
        self.forms: dict[str, list] = {}  # stored forms → [parsed, {same-sound key: reach}, scores]
        self.brand_weights = None  # the query's distinctiveness weights by form, when its goods are known
        self._bounds: dict[tuple, float] = {}

    def bound(self, fams: frozenset[Family], own: float | None, channels: tuple[float, float] | None,
              shared: float | None = None) -> float:
        """pair_bound of these families, with the Latin ratio's `own` bound, the sound and look
        channels' (sound, look) scores where known, and the alignment's bound (`shared`) where
        known; families whose channel gives nothing are out."""
        key = (fams, own, channels, shared)
        got = self._bounds.get(key)
        if got is None:
            overrides: dict[Family, float] = {}
            if channels is not None:
                sound, look = channels
                overrides.update({f: sound if f.kind == "sound" else look for f in SOUND_LOOK})
            if shared is not None:
                overrides[SHARED_PART] = shared
            fams = frozenset(f for f in fams if overrides.get(f, 1.0) > 0)
            got = self._bounds[key] = (pair_bound(fams, own=own, overrides=overrides or None, combine=self.combine)
                                       if fams else 0.0)
        return got


def containment_probes(text: str) -> list[str]:
    """Keys every stored mark whose text holds `text` has: the mark side gives a contains_prefix2 key
    to each Chinese bigram and a contains_prefix4 key to each other window of 2 to 4 characters."""
    probes = []
    for i in range(len(text) - 1):
        pair = text[i:i + 2]
        probes.append((CONTAINS_PREFIX2.code + pair) if han2(pair) else (CONTAINS_PREFIX4.code + text[i:i + 4]))
    return list(dict.fromkeys(probes))


class QueryConfirmation:
    """The cheap checks of loose families between the query and a candidate, on the query's own key
    index. Most searches score no candidate that needs one, so the index is built at the first that
    does. `extra`: candidates found by means other than keys (Latin ratio, long sound, vectors),
    which are never confirmed by key checks."""

    def __init__(self, bp, matcher: Matcher, extra: set[int]):
        self.bp, self.matcher, self.extra = bp, matcher, extra
        self._index: KeyIndex | None = None

    @property
    def index(self) -> KeyIndex:
        if self._index is None:
            self._index = KeyIndex.from_profiles([self.bp], lexicon=self.matcher.lexicon,
                                                 goods_table=self.matcher.goods_table)
        return self._index

    def confirms(self, families, forms) -> bool:
        return self.index.confirms(families, forms)


def exact_search(matcher: Matcher, rows: Sequence[RegisterRow], mark: str, *, classes: Sequence[int] = (),
                 top: int = 10, profiler=None) -> list[dict]:
    """The exact reference: the full scorer on every stored mark."""
    from markwatch.matching.profiles import FastProfiler

    profiler = profiler or FastProfiler(matcher)
    bp = _query_profile(matcher, mark, classes)
    return rank_results(_score_rows(matcher, profiler, bp, rows, classes, None), top)


class RegisterSearcher:
    """Clearance search over a register index; `fetch(ids)` returns the stored rows of those ids."""

    def __init__(self, index: RegisterIndex, matcher: Matcher, fetch: Callable[[Sequence[int]], Sequence[RegisterRow]],
                 *, vector_neighbours: int = VECTOR_NEIGHBOURS, profiler=None):
        from markwatch.matching.profiles import FastProfiler

        self.index = index
        self.matcher = matcher
        self.fetch = fetch
        self.vector_neighbours = vector_neighbours
        self.profiler = profiler or FastProfiler(matcher)
        self.candidate_counts: list[int] = []
        self.scored_counts: list[int] = []
        self.stamp: tuple[float, int] | None = None
        # What one query works with (set by `search` and `candidates`), per thread: a server runs
        # several searches on one searcher at once.
        self._query = threading.local()
        self._tables = threading.Lock()  # the lazily built shared tables below are filled once
        self._latin: list[str] | None = None
        self._latin_ids: list[list[int]] = []
        self._latin_starts: list[int] = []
        self._mask_families: dict[int, frozenset[Family]] = {}

    @property
    def _own(self) -> dict[int, float]:
        """The query's own-key bounds per mark id."""
        return self._query.__dict__.setdefault("own", {})

    @_own.setter
    def _own(self, value: dict[int, float]) -> None:
        self._query.own = value

    @property
    def _place(self) -> str | None:
        """The place name of the query, when it is a place-product mark."""
        return self._query.__dict__.get("place")

    @_place.setter
    def _place(self, value: str | None) -> None:
        self._query.place = value

    def warm_up(self) -> None:
        """Load the lazily built tables (lexicon reverse index, glyph table, segmenters) before the
        first real query: a server does this once at start."""
        from markwatch.model import Brand

        self.matcher.warm_up(self.profiler)
        for probe in ("康师傅", "APPLE"):
            _, _, confirm = self.candidates(self.profiler.profile_brand(Brand(brand_id="warm-up", mark=probe)))
            _ = confirm.index
        self.candidate_counts.clear()

    def _latin_table(self) -> tuple[list[str], list[list[int]], list[int]]:
        """The register's distinct Latin parts by length, their marks, and where each length starts."""
        with self._tables:
            if self._latin is None:
                self._build_latin_table()
        return self._latin, self._latin_ids, self._latin_starts  # type: ignore[return-value]

    def _build_latin_table(self) -> None:
        merged: dict[str, list[int]] = {}
        for text, ids in self.index.latin_parts():
            merged.setdefault(text, []).extend(ids)
        self._latin = sorted(merged, key=len)
        self._latin_ids = [merged[t] for t in self._latin]
        lengths = [len(t) for t in self._latin]
        top = max(lengths, default=0)
        self._latin_starts = [bisect.bisect_left(lengths, n) for n in range(top + 2)]
        self._latin_lengths = np.asarray(lengths, dtype=np.int32)
        self._latin_letters = np.stack([_letter_counts(t) for t in self._latin]) if self._latin \
            else np.zeros((0, 27), dtype=np.uint8)

    def _latin_alike(self, latin: str) -> tuple[list[int], np.ndarray]:
        """Positions in the Latin table of the parts whose ratio with `latin` reaches the cutoff, and
        the ratios. The ratio is 200·LCS / (m + n), and the LCS is at most the letters the two share
        (counted per letter): a numpy pass over those counts leaves few parts for `cdist`."""
        from rapidfuzz import fuzz, process

        texts = self._latin or []
        lo, hi = self._latin_band(len(latin))
        if lo >= hi:
            return [], np.zeros(0, dtype=np.float32)
        shared = np.minimum(self._latin_letters[lo:hi], _letter_counts(latin)).sum(axis=1, dtype=np.int32)
        reach = 200 * shared + 1 >= LATIN_RATIO_CUTOFF * (self._latin_lengths[lo:hi] + len(latin))
        cols = (np.nonzero(reach)[0] + lo).tolist()
        if not cols:
            return [], np.zeros(0, dtype=np.float32)
        scores = process.cdist([latin], [texts[c] for c in cols], scorer=fuzz.ratio, dtype=np.float32,
                               score_cutoff=LATIN_RATIO_CUTOFF, workers=1)[0]
        keep = np.nonzero(scores)[0]
        return [cols[k] for k in keep.tolist()], scores[keep]

    def _latin_band(self, length: int) -> tuple[int, int]:
        """The slice of the Latin table whose lengths can reach the ratio cutoff with this length:
        ratio = 2·matches / (m + n) ≤ 2·min(m, n) / (m + n)."""
        starts = self._latin_starts
        cut = LATIN_RATIO_CUTOFF / 100
        low = max(0, math.floor(length * cut / (2 - cut)))
        high = math.ceil(length * (2 - cut) / cut)
        return starts[min(low, len(starts) - 1)], starts[min(high + 1, len(starts) - 1)]

    def families_of(self, mask: int) -> frozenset[Family]:
        got = self._mask_families.get(mask)
        if got is None:
            got = self._mask_families[mask] = families_of_mask(mask)
        return got

    def candidates(self, bp) -> tuple[np.ndarray, np.ndarray, QueryConfirmation]:
        """Stored marks that share a key with the query (sorted ids), each with a bit mask of the key
        families that hit it (`families_of`), and the query's checks of loose families."""
        ctx = BrandKeyContext(lexicon=self.matcher.lexicon, goods_table=self.matcher.goods_table)
        keys: set[str] = set()
        for nm in bp.forms:
            brand_form_keys(nm, ctx, keys, search=True)
        brand_meaning_keys(meaning_texts_of_brand(bp), self.matcher.lexicon, keys)
        first = bp.forms[0]
        split = place_split(first, bp.brand.kind, ctx)
        if split is not None and split[0]:
            keys |= place_keys(split[0])
        found_ids: list[np.ndarray] = []
        found_bits: list[np.ndarray] = []

        def add(ids, fam: Family) -> None:
            arr = np.asarray(ids, dtype=np.int64)
            if len(arr):
                found_ids.append(arr)
                found_bits.append(np.full(len(arr), fam.bit, dtype=np.uint64))

        if keys:
            ordered = list(keys)
            by_family: dict[str, int] = {}
            tags = np.empty(len(ordered), dtype=np.uint64)
            for n, k in enumerate(ordered):
                tag = by_family.get(k[:2])  # a key's family depends on its first two characters only
                if tag is None:
                    tag = by_family[k[:2]] = family_of_key(k).bit
                tags[n] = tag
            ids, bits = self.index.lookup_tagged(ordered, tags)
            found_ids.append(ids)
            found_bits.append(bits)
        # The query is a watched word while it is searched: a stored mark containing it normalises
        # differently (its generic-looking part is protected), so such marks are candidates too:
        # those holding every one of the query's windows.
        probes = containment_probes(first.text)
        if probes:
            add(self.index.holding_all(probes), QUERY_CONTAINED)
        self._place = split[0] if split is not None and split[0] else None
        latin_forms = [nm.latin for nm in bp.forms if len(nm.latin) >= LATIN_RATIO_MIN_LENGTH]
        extra: set[int] = set()
        if latin_forms:

            from markwatch.matching.comparisons.latin import (
                LATIN_ALIKE_WEIGHT,
                LATIN_SOUNDS_NEAR,
                metaphone,
                metaphones_near,
            )

            texts, owners, _starts = self._latin_table()
            for latin in latin_forms:
                cols, scores = self._latin_alike(latin)
                mq = metaphone(latin)
                for col, score in zip(cols, scores.tolist()):
                    ratio = score / 100
                    # comparisons.latin: weight x ratio from the alike ratio (a little over: the ratio
                    # is a float32), a fixed score when the metaphones are near (equal ones have their own key).
                    own = LATIN_ALIKE_WEIGHT * ratio + 0.001 if ratio >= LATIN["alike_min_ratio"] else 0.0
                    if metaphones_near(mq, metaphone(texts[col])):
                        own = max(own, LATIN_SOUNDS_NEAR)
                    if own <= 0:
                        continue  # below the alike ratio the Latin rules need the metaphones alike
                    add(owners[col], LATIN_RATIO)
                    extra.update(owners[col])
                    for i in owners[col]:
                        self._own[i] = max(self._own.get(i, 0.0), own)
        lengths = [len(nm.pinyin) for nm in bp.forms if len(nm.pinyin) >= 3]
        for n, marks in self.index.long_sound():
            for q in lengths:
                top = max(n, q)
                if top > DELETION_MAX_SYLLABLES and min(n, q) >= top - max_edits(top):
                    add(marks, SOUND_NEAR)
                    extra.update(marks)
        if self.vector_neighbours:
            near = self.index.nearest(hash_vectors([bp.forms]), self.vector_neighbours, min_score=VECTOR_MIN_COSINE)
            add(near, VECTOR_NEIGHBOUR)
            extra.update(near.tolist())
        confirm = QueryConfirmation(bp, self.matcher, extra)
        if not found_ids:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.uint64), confirm
        ids, inverse = np.unique(np.concatenate(found_ids), return_inverse=True)
        masks = np.zeros(len(ids), dtype=np.uint64)
        np.bitwise_or.at(masks, inverse, np.concatenate(found_bits))
        return ids, masks, confirm

    def _first_bounds(self, bp, ids: np.ndarray, masks: np.ndarray, shapes: np.ndarray) -> np.ndarray:
        """First stage: each candidate's bound from the families that hit it and, for the partial
        sound rule, the stored mark's syllable lengths (arrays only, no stored text read)."""
        if not len(ids):
            return np.zeros(0)
        n_bit, bang = SOUND_NEAR.bit, QUERY_CONTAINED.bit
        unique_masks, by_mask = np.unique(masks, return_inverse=True)
        by_mask = by_mask.reshape(-1)
        bounds = np.array([self._combo_bound(bp, m, NO_SHAPE) for m in unique_masks.tolist()])[by_mask]
        # The shape only matters to the partial sound rule, and not when the mark contains the query.
        shaped = ((masks & np.uint64(n_bit)) != 0) & ((masks & np.uint64(bang)) == 0)
        uses_shape = np.nonzero(shaped)[0]
        if len(uses_shape):
            pairs = (by_mask[uses_shape].astype(np.uint64) << np.uint64(32)) | shapes[uses_shape].astype(np.uint64)
            unique_pairs, by_pair = np.unique(pairs, return_inverse=True)
            bounds[uses_shape] = np.array([self._combo_bound(bp, int(unique_masks[k >> 32]), k & 0xFFFFFFFF)
                                           for k in unique_pairs.tolist()])[by_pair.reshape(-1)]
        if self._own:
            owned = np.fromiter(self._own, dtype=np.int64, count=len(self._own))
            where = np.minimum(np.searchsorted(ids, owned), len(ids) - 1)
            for i, pos in zip(owned.tolist(), where.tolist()):
                if ids[pos] == i:
                    shape = int(shapes[pos]) if shaped[pos] else NO_SHAPE
                    bounds[pos] = self._combo_bound(bp, int(masks[pos]), shape, own=self._own[i])
        return bounds

    def _combo_bound(self, bp, mask: int, shape: int, own: float | None = None) -> float:
        fams = self.families_of(mask)
        overrides = None
        if shape != NO_SHAPE:
            near = sound_near_bound(bp.forms, shape, same_sound_key=SOUND_SAME_LENGTH in fams)
            overrides = {SOUND_NEAR: near}
            if near <= 0:
                fams = fams - {SOUND_NEAR}
        combine = None if self.matcher.combination is None else self.matcher.mark_bound
        return pair_bound(fams, own=own, overrides=overrides, combine=combine) if fams else 0.0

    def _refine(self, bp, ids: np.ndarray, masks: np.ndarray, floor: float,
                memo: _QueryMemo) -> list[tuple[float, str, int, frozenset[Family] | None]]:
        """Second stage: each candidate's bound once its stored fields are read (loose families
        checked on the text, sound and look bounded by the stored forms' lengths, then scored on
        them); (bound, application number, id, families) for those that can still reach `floor`,
        families given when all of them are loose (to be confirmed by their checks), else None."""
        stored = self.index.stored_fields(ids)
        query_text = bp.forms[0].text
        out = []
        for mark_id, mask in zip(ids.tolist(), masks.tolist()):
            text, app, forms = stored.get(mark_id, ("", "", ""))
            plan = memo.plans.get(mask)
            if plan is None:
                fams = self.families_of(mask)
                plan = memo.plans[mask] = (fams, [(f, needles, holds) for f, needles, holds in memo.checks
                                                  if f in fams])
            fams, checks = plan
            if QUERY_CONTAINED in fams and query_text not in text:
                fams = fams - {QUERY_CONTAINED}
            # Containment families need the query's core in order within the mark's text (the core
            # is the text less generic words): a look at the stored text drops most misses unfetched.
            for fam, needles, holds in checks:
                if not any(holds(x, text) for x in needles):
                    if fam is CONTAINS_PREFIX2 and self._place and self._place in text:
                        continue  # its keys also carry the place name of a geographical indication
                    fams = fams - {fam}
            own = self._own.get(mark_id)
            cap = 1.0
            channels = None
            shared = None
            if SHARED_PART in fams and QUERY_CONTAINED not in fams:
                known = memo.forms.get(forms)
                if known is None:
                    known = memo.forms[forms] = [parse_sound_look_forms(forms), {}, None]
                shared = shared_part_reach(bp.forms, known[0], memo.brand_weights)
            # Sound and look come from the stored forms, unless the mark contains the query:
            # it normalises otherwise at query time, so its stored forms may not hold.
            if fams & SOUND_LOOK and QUERY_CONTAINED not in fams:
                same_sound_key = SOUND_SAME_LENGTH in fams
                known = memo.forms.get(forms)
                if known is None:
                    known = memo.forms[forms] = [parse_sound_look_forms(forms), {}, None]
                reach = known[1].get(same_sound_key)
                if reach is None:
                    reach = known[1][same_sound_key] = sound_look_reach(bp.forms, known[0],
                                                                       same_sound_key=same_sound_key)
                if memo.bound(fams, own, reach, shared) < floor:
                    continue
                if known[2] is None:
                    known[2] = sound_look_scores(bp.forms, known[0])
                sound, look, cap = known[2]
                channels = (sound, look)
            # A cap (the homophone rule's) holds for the whole mark score, whatever else is found.
            bound = min(cap, memo.bound(fams, own, channels, shared))
            if bound < floor or bound <= 0:
                continue  # below the current top-th result (or nothing at all): can never rank
            memo.families[mark_id] = fams
            out.append((bound, app, mark_id, fams if fams <= CHECKED else None))
        return out

    def search(self, mark: str, *, classes: Sequence[int] = (), top: int = 10) -> list[dict]:
        """The `top` stored marks most similar to `mark`, equal to `exact_search`.

        Every candidate carries an upper bound of its score, tightened in stages: the key families
        that hit it (all candidates at once), then its stored text and forms (a block at a
        time, best first), then the full scorer. The search always works on the best bound left and
        stops when it cannot beat the current `top`-th result (ties broken by application number,
        then id, as the ranking does).
        """
        bp = _query_profile(self.matcher, mark, classes)
        self._own = {}
        ids, masks, confirm = self.candidates(bp)
        self.candidate_counts.append(len(ids))
        shapes, app_keys = self.index.order_fields(ids)
        first = self._first_bounds(bp, ids, masks, shapes)
        # Best bound first; equal bounds in ranking order (application number, then id).
        order = np.lexsort((ids, app_keys, -first))
        ids, masks, first, app_keys = ids[order], masks[order], first[order], app_keys[order]
        refined: list[tuple[float, str, int]] = []  # heap of (-bound, application number, id)
        memo = _QueryMemo(bp, None if self.matcher.combination is None else self.matcher.mark_bound)
        if bp.brand.classes:
            memo.brand_weights = lambda b: self.matcher.brand_weights(bp, b)
        loose: dict[int, frozenset[Family]] = {}  # hit by loose families only: confirmed before scoring
        results: list[tuple[tuple, dict]] = []
        fetched: dict[int, RegisterRow] = {}
        scored = pos = 0
        while True:
            kth = None
            if len(results) >= top:
                results.sort(key=lambda t: t[0])
                kth = results[top - 1][0]
            next_first = float(first[pos]) if pos < len(ids) else -1.0
            if pos < len(ids) and kth is not None and (next_first < -kth[0] or (
                    next_first == -kth[0] and int(app_keys[pos]) > app_order_key(kth[1]))):
                pos, next_first = len(ids), -1.0  # it, and all after it, rank after the top-th at their bound
            if refined and (pos >= len(ids) or -refined[0][0] > next_first or (
                    -refined[0][0] == next_first and app_order_key(refined[0][1]) < int(app_keys[pos]))):
                if kth is not None and refined[0] > kth:
                    break  # nothing refined can rank before the top-th, nor anything unrefined (lower)
                block = [heapq.heappop(refined)[2] for _ in range(min(SCORE_BLOCK, len(refined)))]
                if any(i not in fetched for i in block):
                    # One fetch brings the rows of the next few candidates too (a database round trip
                    # each time would cost more than scoring them).
                    ahead = [entry[2] for entry in heapq.nsmallest(FETCH_BLOCK, refined)]
                    fetched.update((row.id, row) for row in self.fetch(block + ahead))
                rows = [fetched.pop(i) for i in block if i in fetched]
                scored += len(rows)
                results += _score_rows(self.matcher, self.profiler, bp, rows, classes, confirm, loose, memo.families)
                continue
            if pos >= len(ids):
                break
            stop = pos + REFINE_BLOCK
            floor = -kth[0] if kth is not None else -1.0
            for bound, app, mark_id, loose_families in self._refine(bp, ids[pos:stop], masks[pos:stop], floor, memo):
                heapq.heappush(refined, (-bound, app, mark_id))
                if loose_families is not None:
                    loose[mark_id] = loose_families
            pos = stop
        self.scored_counts.append(scored)
        if len(self.scored_counts) > 10_000:  # a long-lived searcher keeps recent figures only
            del self.scored_counts[:5_000]
            del self.candidate_counts[:5_000]
        return rank_results(results, top)
