"""Searching the register's pictures: the two persisted indexes behind it, kept current by ingest, the
nightly cycle and `markwatch index build`, and the searches that only open them.

- `pictures/` (scale.picture_index): the embeddings of the stored figurative and combined marks, for
  the search by image (`search_by_picture`, shared by the CLI, the API and the web page);
- `picture_words/` (a register index of the words read in those pictures, one row per line read, id
  ``mark id * WORDS_PER_MARK + line``): a text search also finds the marks whose words are only in
  their picture (`search_words`); each result says where its words were found (`found_in`).

A search never builds or extends an index (that is the update's work, outside any request): the
answer says how fresh the index is and how many pictured marks were stored since.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select

from markwatch.errors import MarkwatchError, Unavailable
from markwatch.scale.index_files import IndexProblem, write_lock
from markwatch.scale.picture_index import Item, StoredPictureIndex
from markwatch.scale.register_index import RegisterIndex, RegisterRow
from markwatch.scale.search_store import row_of
from markwatch.service.pictures import PICTURE_TYPES, Pictures, figure_of_data, figure_of_file
from markwatch.store.db import Database
from markwatch.store.tables import GazetteMark, ImageFeatures

if TYPE_CHECKING:  # pragma: no cover
    from markwatch.matching.matcher import Matcher
    from markwatch.service.facade import Service

log = logging.getLogger(__name__)

PICTURES = "pictures"
PICTURE_WORDS = "picture_words"
WORDS_PER_MARK = 8  # lines of one picture in the words index; more are rare, and left out
FOUND_IN_TEXT, FOUND_IN_PICTURE = "商标文字", "图中文字"


# ================================================================ keeping the indexes current
def pictured_marks(db: Database, *, above: int = 0) -> list[tuple[int, str]]:
    """(id, features key) of the stored figurative and combined marks with a picture (ids above
    `above`), by id."""
    with db.session() as s:
        return [(int(i), str(k)) for i, k in s.execute(
            select(GazetteMark.id, GazetteMark.image_key).where(
                GazetteMark.id > above, GazetteMark.image_key.is_not(None), GazetteMark.mark_type.in_(PICTURE_TYPES))
            .order_by(GazetteMark.id))]


def pictured_up_to(db: Database, max_id: int) -> int:
    with db.session() as s:
        return int(s.scalar(select(func.count(GazetteMark.id)).where(
            GazetteMark.id <= max_id, GazetteMark.image_key.is_not(None),
            GazetteMark.mark_type.in_(PICTURE_TYPES))) or 0)


def failed_keys(db: Database, keys: Sequence[str]) -> set[str]:
    """The pictures among `keys` that could not be read (their error is stored: they are not read again)."""
    from markwatch.images.features import FEATURES_VERSION

    wanted = list(dict.fromkeys(keys))
    out: set[str] = set()
    with db.session() as s:
        for i in range(0, len(wanted), 900):
            out.update(s.scalars(select(ImageFeatures.key).where(
                ImageFeatures.key.in_(wanted[i:i + 900]), ImageFeatures.views == 1,
                ImageFeatures.version == FEATURES_VERSION, ImageFeatures.error.is_not(None))))
    return out


def stored_words(db: Database, keys: Sequence[str]) -> dict[str, tuple[tuple[str, float], ...]]:
    """The words read in these pictures (one view, this release's features), without their vectors."""
    from markwatch.images.features import FEATURES_VERSION

    wanted = list(dict.fromkeys(keys))
    out: dict[str, tuple[tuple[str, float], ...]] = {}
    with db.session() as s:
        for i in range(0, len(wanted), 900):
            for key, words in s.execute(select(ImageFeatures.key, ImageFeatures.words).where(
                    ImageFeatures.key.in_(wanted[i:i + 900]), ImageFeatures.views == 1,
                    ImageFeatures.version == FEATURES_VERSION, ImageFeatures.error.is_(None))):
                out[key] = tuple((str(t), float(c)) for t, c in (words or ()))
    return out


def words_rows(db: Database, words: dict[int, tuple[tuple[str, float], ...]]) -> list[RegisterRow]:
    """The words index's rows: one per line read in a mark's picture, with the mark's own fields."""
    rows: list[RegisterRow] = []
    ids = sorted(i for i, w in words.items() if w)
    for start in range(0, len(ids), 900):
        with db.session() as s:
            marks = list(s.scalars(select(GazetteMark).where(GazetteMark.id.in_(ids[start:start + 900]))
                                   .order_by(GazetteMark.id)))
        for m in marks:
            base = row_of(m)
            rows += [replace(base, id=m.id * WORDS_PER_MARK + n, mark=text, normal=None)
                     for n, (text, _) in enumerate(words[m.id][:WORDS_PER_MARK])]
    return rows


def ensure_picture_indexes(pictures: Pictures, db: Database, matcher: Matcher, index_dir: Path, *,
                           force: bool = False) -> dict:
    """Bring `pictures/` and `picture_words/` up to date with the stored features: marks read since
    are added, an index of other features (model, version) or failing its checksums is rebuilt.
    Only features already read are used: nothing is read by a model here."""
    folder, words_folder = Path(index_dir) / PICTURES, Path(index_dir) / PICTURE_WORDS
    started = time.perf_counter()
    notes: list[str] = []
    with write_lock(folder):
        index = None
        if force:
            notes.append("rebuilt (--force)")
        else:
            try:
                index = StoredPictureIndex.open(folder, vectors=False)
            except IndexProblem as exc:
                if folder.exists():
                    log.warning("rebuilding the picture index: %s", exc)
                    notes.append(f"rebuilt: {exc}")
        if index is None:
            todo = pictured_marks(db)
        else:
            # Every mark up to the index's highest covered (the usual case): only newer marks are
            # looked at. Otherwise some were not read yet (or read since, or removed): all are.
            current = pictured_up_to(db, index.max_id) == index.marks
            marks = pictured_marks(db, above=index.max_id if current else 0)
            todo = [m for m, new in zip(marks, index.uncovered([i for i, _ in marks]).tolist()) if new]
        read = pictures.stored_features([k for _, k in todo], 1)
        failed = failed_keys(db, [k for _, k in todo if k not in read])
        # a picture that could not be read is covered without an embedding: it is not looked at again
        items: list[Item] = [(i, read[k].vectors if k in read else None) for i, k in todo if k in read or k in failed]
        rebuilt = index is None
        if index is None:
            index = StoredPictureIndex.build(folder, items, vectors=False)
            added = len(items)
        else:
            added = index.add(items)
        words = {i: read[k].words for i, k in todo if k in read and read[k].words}
        pictures_done = time.perf_counter()
        words_index = _update_words(db, matcher, words_folder, words, rebuilt, notes)
    return {"path": str(folder), "marks": index.marks, "pictures": index.pictures, "added": added,
            "not_read": len(todo) - len(items), "segments": len(index.manifest["segments"]),
            "words_path": str(words_folder), "words_rows": words_index.rows,
            "seconds": round(time.perf_counter() - started, 3),
            "pictures_seconds": round(pictures_done - started, 3),
            "words_seconds": round(time.perf_counter() - pictures_done, 3), "notes": notes}


def _update_words(db: Database, matcher: Matcher, folder: Path, new: dict, rebuild: bool,
                  notes: list[str]) -> RegisterIndex:
    """Extend the words index with the new marks' words (`new`: mark id → lines read), or rebuild it:
    after the picture index was rebuilt (`new` then holds every mark's words), when it is stale, or
    when a mark read late has an id below its highest (a register index only grows upwards)."""
    if not rebuild:
        rows = words_rows(db, new)
        try:
            index = RegisterIndex.open(folder)
            if rows and rows[0].id <= index.max_id:
                raise IndexProblem("words read in an older mark's picture: rebuilding the words index")
            if len(index.manifest["segments"]) >= 8:
                raise IndexProblem("the words index has 8 segments: merging")
            index.add(rows, matcher=matcher)
            return index
        except IndexProblem as exc:
            if folder.exists():
                notes.append(f"words index rebuilt: {exc}")
        marks = pictured_marks(db)
        by_key = stored_words(db, [k for _, k in marks])
        new = {i: by_key[k] for i, k in marks if by_key.get(k)}
    return RegisterIndex.build(folder, words_rows(db, new), matcher=matcher)


# ================================================================ opened indexes, per process
_OPEN: dict[tuple[str, str, int], tuple[tuple[float, int], object]] = {}
_OPENING = threading.Lock()


def _stamp(folder: Path) -> tuple[float, int] | None:
    try:
        st = (folder / "manifest.json").stat()
    except OSError:
        return None
    return st.st_mtime, st.st_size


def _opened(folder: Path, db: Database, open_: Callable[[Any], Any], matcher: object = None):
    """The index at `folder`, opened once per process while its manifest is unchanged (None: no index);
    `open_` gets what was held before (or None), to take in an update cheaply; a searcher is its matcher's."""
    stamp = _stamp(folder)
    if stamp is None:
        return None
    key = (str(folder.resolve()), db.url, id(matcher))
    held = _OPEN.get(key)
    if held is None or held[0] != stamp:
        with _OPENING:
            held = _OPEN.get(key)
            if held is None or held[0] != stamp:
                held = (stamp, open_(held[1] if held is not None else None))
                _OPEN[key] = held
    return held[1]


def _not_indexed(db: Database, max_id: int) -> int:
    with db.session() as s:
        return int(s.scalar(select(func.count(GazetteMark.id)).where(
            GazetteMark.id > max_id, GazetteMark.image_key.is_not(None),
            GazetteMark.mark_type.in_(PICTURE_TYPES))) or 0)


# ================================================================ search by image
def search_by_picture(service: Service, image: str | bytes, *, name: str | None = None, mark: str = "",
                      classes: Sequence[int] = (), top: int = 10) -> dict:
    """Clearance search by image: the register's marks whose pictures are nearest to the query (read
    in views, as a logo), each compared in full (words read in both pictures too). `image`: a
    reference (file, URL, page.pdf#page=N&box=…) or an upload's bytes. Without the images extra the
    answer says the pictures were not compared; nothing fails."""
    from markwatch.matching.comparisons.image import CANDIDATE_COSINE, NOT_COMPARED, Figure
    from markwatch.model import Brand

    if not 1 <= top <= 100:
        raise MarkwatchError(f"top must be between 1 and 100 (got {top})")
    label = name or (image if isinstance(image, str) else "upload")
    pictures: Pictures = service.pictures
    answer: dict = {"query_image": label, "results": []}
    if not pictures.read_features:
        return {**answer, "not_compared": NOT_COMPARED[0], "not_compared_en": NOT_COMPARED[1]}
    folder = Path(service.settings.index_dir) / PICTURES
    try:
        index = _opened(folder, service.db, lambda held: StoredPictureIndex.refreshed(folder, held))
    except IndexProblem as exc:
        raise Unavailable(f"the picture index cannot be used ({exc}): the next update (ingest, the nightly "
                          "cycle or `markwatch index build`) rebuilds it") from None
    if index is None:
        raise Unavailable(f"no picture index at {folder} yet: it is built by ingest, the nightly cycle "
                          "or `markwatch index build`")
    query, _ = (figure_of_file(pictures, image, views=True) if isinstance(image, str)
                else figure_of_data(pictures, image, label, views=True))
    answer.update(index_marks=index.marks, index_pictures=index.pictures,
                  index_updated_at=index.manifest.get("updated_at"),
                  pictures_not_indexed=_not_indexed(service.db, index.max_id))
    if query.picture is None or not query.picture.has_vectors:
        return {**answer, "note": "the picture is blank: nothing to compare (图样为空白)"}
    near = dict(index.search(query.picture.vectors, k=max(top * 3, top), floor=CANDIDATE_COSINE))
    with service.db.session() as s:
        rows = list(s.scalars(select(GazetteMark).where(GazetteMark.id.in_(list(near)))))
    features = pictures.stored_features([r.image_key for r in rows if r.image_key], 1)
    brand = Brand(brand_id="-", mark=mark or query.picture.text, classes=tuple(classes))
    results = []
    for row in rows:
        picture = features.get(row.image_key)
        words = tuple(picture.words) if picture is not None else ()
        figure = Figure(picture=picture, vienna=tuple(row.vienna_codes or ()), image=True,
                        words=bool(words) or (row.mark_type == "combined" and bool(row.mark)))
        match = service.matcher.compare(brand, row.mark or "", candidate_classes=row.classes or (),
                                        candidate_goods=row.goods or (), brand_figure=query, candidate_figure=figure,
                                        candidate_words=words)
        results.append({"id": row.id, "score": match.score, "similarity": round(near[row.id], 4),
                        "mark": row.mark or "", "application_no": row.application_no, "classes": row.classes or [],
                        "mark_type": row.mark_type, "image_file": row.image_file,
                        "reasons": [r.as_dict() for r in match.reasons]})
    results.sort(key=lambda r: (-r["score"], -r["similarity"], r["application_no"]))
    return {**answer, "results": results[:top]}


# ================================================================ words in the pictures
def search_words(service: Service, mark: str, *, classes: Sequence[int] = (), top: int = 10) -> dict | None:
    """The stored marks whose pictures' words are most similar to `mark`, each compared in full with
    its words as read (the reasons say 图中文字 and the OCR confidence); None without a words index."""
    from markwatch.model import Brand
    from markwatch.scale.search import RegisterSearcher

    folder = Path(service.settings.index_dir) / PICTURE_WORDS
    db, matcher = service.db, service.matcher

    def open_searcher(held) -> RegisterSearcher:
        searcher = RegisterSearcher(RegisterIndex.open(folder), matcher, lambda ids: _fetch_words(db, ids))
        searcher.warm_up()
        return searcher

    try:
        searcher = _opened(folder, db, open_searcher, matcher)
    except IndexProblem as exc:  # the written words are still searched; the next update rebuilds this one
        log.warning("the picture words index cannot be used: %s", exc)
        return None
    if searcher is None:
        return None
    found = searcher.search(mark, classes=classes, top=top)
    ids = list(dict.fromkeys(r["id"] // WORDS_PER_MARK for r in found))
    with db.session() as s:
        rows = {m.id: m for m in s.scalars(select(GazetteMark).where(GazetteMark.id.in_(ids)))}
    words = stored_words(db, [m.image_key for m in rows.values() if m.image_key])
    query = Brand(brand_id="query", mark=mark, classes=tuple(classes))
    results = []
    for i in ids:
        m = rows.get(i)
        if m is None:
            continue
        match = matcher.compare(query, m.mark or "", candidate_classes=m.classes or (), candidate_goods=m.goods or (),
                                candidate_groups=m.similar_groups or (), applicant=m.applicant,
                                candidate_words=words.get(m.image_key or "", ()))
        if match.mark_score <= 0:
            continue
        results.append(result_of(m, match, found_in=found_in(match)))
    index = searcher.index
    return {"results": results, "words_index_lines": index.rows,
            "words_index_updated_at": index.manifest.get("updated_at")}


def _fetch_words(db: Database, ids: Sequence[int]) -> list[RegisterRow]:
    """The words index's rows of these ids (a mark's fields, a line read in its picture as its text)."""
    marks = sorted({int(i) // WORDS_PER_MARK for i in ids})
    with db.session() as s:
        keys = {int(i): k for i, k in s.execute(select(GazetteMark.id, GazetteMark.image_key)
                                                .where(GazetteMark.id.in_(marks)))}
    by_key = stored_words(db, [k for k in keys.values() if k])
    rows = words_rows(db, {i: by_key.get(k or "", ()) for i, k in keys.items()})
    wanted = {int(i) for i in ids}
    return [r for r in rows if r.id in wanted]


def found_in(match) -> str:
    """Where the match's strongest finding was read: the mark's written words, or its picture's."""
    first = match.reasons[0].detail if match.reasons else ""
    return FOUND_IN_PICTURE if first.startswith("图中文字") else FOUND_IN_TEXT


def result_of(m: GazetteMark, match, *, found_in: str) -> dict:
    pub = m.publication_date
    return {"id": m.id, "application_no": m.application_no, "office": m.office, "mark": m.mark or "",
            "mark_type": m.mark_type, "classes": list(m.classes or []), "applicant": m.applicant,
            "publication_date": pub.isoformat() if pub is not None else None,
            "found_in": found_in, **match.as_dict()}


def merge_results(text: list[dict], pictured: list[dict], *, classes: Sequence[int], top: int) -> list[dict]:
    """One list from the two searches: a mark found in both keeps its better result; ranked as the
    register search ranks (score with classes, the mark's score without; then application number)."""
    best: dict[int, dict] = {}
    for r in [*({**r, "found_in": r.get("found_in", FOUND_IN_TEXT)} for r in text), *pictured]:
        rank = r["score"] if classes else r["mark_score"]
        held = best.get(r["id"])
        if held is None or rank > (held["score"] if classes else held["mark_score"]):
            best[r["id"]] = r
    ranked = sorted(best.values(), key=lambda r: (-(r["score"] if classes else r["mark_score"]),
                                                   r["application_no"] or "", r["id"]))
    return ranked[:top]
