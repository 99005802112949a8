"""The watchlist index on disk (`watchlist/` under settings.index_dir): the brands' blocking keys
(`KeyIndex` as arrays), their normalised forms, and a manifest checked like the register's."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from markwatch.blocking.key_index import KeyIndex
from markwatch.scale.index_files import (
    FORMAT,
    CorruptIndex,
    IndexProblem,
    StaleIndex,
    check_params,
    file_meta,
    key_params,
    now_iso,
    read_manifest,
    verify_files,
    write_manifest,
)
from markwatch.text.normalise import NORMALISER_VERSION

log = logging.getLogger(__name__)

# ================================================================ the watchlist
class WatchIndexStore:
    """The brands' key index on disk: `keys.npz` (arrays), `forms.json` (normalised forms), manifest."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)

    @staticmethod
    def brands_checksum(brands: Sequence) -> str:
        h = hashlib.sha256()
        for b in brands:
            h.update(json.dumps([b.brand_id, b.mark, list(b.aliases), list(b.classes), list(b.similar_groups),
                                 b.kind, b.well_known], ensure_ascii=False).encode("utf-8"))
        return h.hexdigest()

    def save(self, index: KeyIndex, brands: Sequence, profiles: Sequence) -> None:
        tmp = self.folder.with_name(self.folder.name + ".building")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        np.savez(tmp / "keys.npz", **index.to_arrays())  # type: ignore[arg-type]  # the stub reads ** as allow_pickle
        state = {
            "forms": [f.as_dict() for f in index.forms], "places": {str(k): v for k, v in index.places.items()},
            "latin_forms": index.latin_forms, "long_sound_forms": index.long_sound_forms,
            "sound_by_length": {str(k): v for k, v in index.sound_by_length.items()},
            "brand_form_counts": [len(p.forms) for p in profiles],
        }
        (tmp / "forms.json").write_text(json.dumps(state, ensure_ascii=False), encoding="utf-8")
        doc = {
            "format": FORMAT, "kind": "watchlist", "normaliser_version": NORMALISER_VERSION, "params": key_params(),
            "rows": len(brands), "brands_sha256": self.brands_checksum(brands), "keys": index.key_count,
            "model": None, "built_at": now_iso(), "updated_at": now_iso(),
            "files": {name: file_meta(tmp / name) for name in ("keys.npz", "forms.json")},
        }
        write_manifest(tmp, doc)
        if self.folder.exists():
            shutil.rmtree(self.folder)
        os.replace(tmp, self.folder)

    def load(self, brands: Sequence, *, verify: bool = True) -> tuple[KeyIndex, list]:
        """The saved index and the brand profiles rebuilt from the saved forms; raises IndexProblem."""
        from markwatch.matching.matcher import BrandProfile

        doc = read_manifest(self.folder)
        if doc.get("kind") != "watchlist":
            raise StaleIndex(f"index at {self.folder} is not a watchlist index")
        check_params(doc, self.folder)
        if doc.get("rows") != len(brands) or doc.get("brands_sha256") != self.brands_checksum(brands):
            raise StaleIndex(f"watchlist index at {self.folder} was built for other brands")
        if verify:
            verify_files(self.folder, doc)
        try:
            with np.load(self.folder / "keys.npz", allow_pickle=False) as z:
                arrays = {k: z[k] for k in z.files}
            state = json.loads((self.folder / "forms.json").read_text(encoding="utf-8"))
            index = KeyIndex()
            index.load_arrays(arrays)
            from markwatch.text.normalise import NormalisedMark

            index.forms = [NormalisedMark.from_dict(d) for d in state["forms"]]
            index.places = {int(k): v for k, v in state["places"].items()}
            index.latin_forms = list(state["latin_forms"])
            index.long_sound_forms = list(state["long_sound_forms"])
            index.sound_by_length = {int(k): list(v) for k, v in state["sound_by_length"].items()}
            counts = state["brand_form_counts"]
        except (OSError, ValueError, KeyError) as exc:
            raise CorruptIndex(f"watchlist index at {self.folder} is unreadable: {exc}") from exc
        if len(counts) != len(brands) or sum(counts) != len(index.forms):
            raise CorruptIndex(f"watchlist index at {self.folder} is inconsistent")
        index.brand_threshold = [b.threshold for b in brands]
        profiles = []
        pos = 0
        for b, n in zip(brands, counts):
            profiles.append(BrandProfile(brand=b, forms=tuple(index.forms[pos:pos + n]),
                                         groups=frozenset(b.similar_groups)))
            pos += n
        return index, profiles


def build_watch_index(brands: Sequence, matcher, profiler=None) -> tuple[KeyIndex, list]:
    from markwatch.matching.profiles import FastProfiler

    profiler = profiler or FastProfiler(matcher)
    matcher.normaliser.add_brand_words(w for b in brands for w in (b.mark, *b.aliases))
    profiles = [profiler.profile_brand(b) for b in brands]
    index = KeyIndex.from_profiles(profiles, lexicon=matcher.lexicon, goods_table=matcher.goods_table,
                                   embedder=matcher.embedder, default_threshold=matcher.default_threshold,
                                   score_lift=matcher.score_lift)
    return index, profiles


def ensure_watch_index(folder: Path, brands: Sequence, matcher, *, profiler=None,
                       on_rebuild: Callable[[str], None] | None = None) -> tuple[KeyIndex, list]:
    """The saved watchlist index when it is current and intact, else a fresh one (saved)."""
    store = WatchIndexStore(folder)
    matcher.normaliser.add_brand_words(w for b in brands for w in (b.mark, *b.aliases))
    try:
        index, profiles = store.load(brands)
        index.lexicon, index.goods_table = matcher.lexicon, matcher.goods_table
        index.default_threshold = matcher.default_threshold
        index.score_lift = matcher.score_lift
        if matcher.embedder is not None:  # embeddings are not saved: the model may change under the same path
            index.attach_embedder(matcher.embedder, profiles, matcher.default_threshold)
        return index, profiles
    except IndexProblem as exc:
        reason = str(exc)
        if folder.exists():
            log.warning("rebuilding the watchlist index: %s", reason)
        if on_rebuild:
            on_rebuild(reason)
    index, profiles = build_watch_index(brands, matcher, profiler)
    try:
        store.save(index, brands, profiles)
    except OSError as exc:  # a read-only index folder must not stop a run
        log.warning("cannot save the watchlist index to %s: %s", folder, exc)
    return index, profiles
