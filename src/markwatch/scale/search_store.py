"""The stored register behind clearance search: rows from the database, the register index kept
current with it, and the searchers of the open indexes (`search_register`)."""

from __future__ import annotations

import gc
import logging
import threading
from collections.abc import Callable, Sequence
from pathlib import Path

from sqlalchemy import bindparam, func, select

from markwatch.errors import Unavailable
from markwatch.matching.matcher import Matcher
from markwatch.scale.index_files import IndexProblem, write_lock
from markwatch.scale.register_index import RegisterIndex, RegisterRow
from markwatch.scale.search import RegisterSearcher
from markwatch.store.db import Database
from markwatch.store.tables import GazetteMark

log = logging.getLogger(__name__)

PAGE = 20000


def row_of(m: GazetteMark) -> RegisterRow:
    return RegisterRow(id=m.id, mark=m.mark or "", classes=tuple(m.classes or ()), goods=tuple(m.goods or ()),
                       similar_groups=tuple(m.similar_groups or ()), applicant=m.applicant,
                       application_no=m.application_no, office=m.office, publication_date=m.publication_date,
                       normal=m.normal if m.normaliser_version else None)


def db_rows(db: Database, *, above: int = 0) -> list[RegisterRow]:
    rows: list[RegisterRow] = []
    last = above
    while True:
        with db.session() as s:
            page = list(s.scalars(select(GazetteMark).where(GazetteMark.id > last).order_by(GazetteMark.id)
                                  .limit(PAGE)))
        if not page:
            return rows
        rows += [row_of(m) for m in page]
        last = page[-1].id


# A search fetches a few dozen marks at a time and counts the marks stored since its index: Core
# statements built once (their cache keys too), rows read as tuples, cost a third of ORM objects.
_ROW_COLUMNS = (GazetteMark.id, GazetteMark.mark, GazetteMark.classes, GazetteMark.goods, GazetteMark.similar_groups,
                GazetteMark.applicant, GazetteMark.application_no, GazetteMark.office, GazetteMark.publication_date,
                GazetteMark.normal, GazetteMark.normaliser_version)
_ROWS_BY_ID = select(*_ROW_COLUMNS).where(GazetteMark.id.in_(bindparam("ids", expanding=True)))
_COUNT_ABOVE = select(func.count(GazetteMark.id)).where(GazetteMark.id > bindparam("above"))


def _register_row(r) -> RegisterRow:
    """`row_of` for a row of `_ROW_COLUMNS`."""
    return RegisterRow(id=r.id, mark=r.mark or "", classes=tuple(r.classes or ()), goods=tuple(r.goods or ()),
                       similar_groups=tuple(r.similar_groups or ()), applicant=r.applicant,
                       application_no=r.application_no, office=r.office, publication_date=r.publication_date,
                       normal=r.normal if r.normaliser_version else None)


def db_fetch(db: Database) -> Callable[[Sequence[int]], list[RegisterRow]]:
    def fetch(ids: Sequence[int]) -> list[RegisterRow]:
        out: list[RegisterRow] = []
        with db.engine.connect() as conn:
            for start in range(0, len(ids), 900):
                chunk = [int(i) for i in ids[start:start + 900]]
                out += [_register_row(r) for r in conn.execute(_ROWS_BY_ID, {"ids": chunk})]
        return out

    return fetch


def marks_above(db: Database, max_id: int) -> int:
    """How many stored marks have an id above `max_id` (a range on the primary key: cheap at any size)."""
    with db.engine.connect() as conn:
        return int(conn.execute(_COUNT_ABOVE, {"above": max_id}).scalar() or 0)


def register_state(db: Database) -> tuple[int, int]:
    with db.session() as s:
        count = s.scalar(select(func.count(GazetteMark.id))) or 0
        max_id = s.scalar(select(func.max(GazetteMark.id))) or 0
    return int(count), int(max_id)


def ensure_register_index(db: Database, matcher: Matcher, folder: Path, *,
                          on_rebuild: Callable[[str], None] | None = None) -> RegisterIndex:
    """The register index, current with the database: opened, extended with new marks, or rebuilt.
    One process at a time updates it (`index_files.write_lock`); a second one waits, then finds it current."""
    with write_lock(folder):
        return _ensure_register_index(db, matcher, folder, on_rebuild=on_rebuild)


def _ensure_register_index(db: Database, matcher: Matcher, folder: Path, *,
                           on_rebuild: Callable[[str], None] | None) -> RegisterIndex:
    count, max_id = register_state(db)
    try:
        index = RegisterIndex.open(folder)
        if index.rows == count and index.max_id == max_id:
            return index
        with db.session() as s:
            below = s.scalar(select(func.count(GazetteMark.id)).where(GazetteMark.id <= index.max_id)) or 0
        if below != index.rows:
            raise IndexProblem(f"register index at {folder} has {index.rows} marks up to id {index.max_id}, "
                               f"the database {below}: marks were removed or replaced")
        new = db_rows(db, above=index.max_id)
        if len(index.manifest["segments"]) >= 8:
            raise IndexProblem(f"register index at {folder} has {len(index.manifest['segments'])} segments: merging")
        index.add(new, matcher=matcher)
        return index
    except IndexProblem as exc:
        if folder.exists():
            log.warning("rebuilding the register index: %s", exc)
        if on_rebuild:
            on_rebuild(str(exc))
    return RegisterIndex.build(folder, db_rows(db), matcher=matcher)


# Opened (and checksum-verified) register indexes of this process, reused while their manifest and
# the database are unchanged: a server verifies the files once, not on every query.
_OPEN: dict[tuple[str, int, str], RegisterSearcher] = {}
_OPENING = threading.Lock()  # concurrent first searches open (and verify) the files once


def _manifest_stamp(folder: Path) -> tuple[float, int] | None:
    try:
        st = (folder / "manifest.json").stat()
    except OSError:
        return None
    return st.st_mtime, st.st_size


def search_register(db: Database, matcher: Matcher, mark: str, *, classes: Sequence[int] = (),
                    top: int = 10, index_dir: Path | None = None) -> dict:
    """Clearance search over the stored marks, through the persistent register index as it is.

    The index is never built or extended here (that takes minutes at scale; the nightly cycle and
    `markwatch index build` do it): the answer says how fresh it is, and marks stored since it was
    updated are not searched.
    """
    folder = Path(index_dir or "indexes") / "register"
    key = (str(folder.resolve()), id(matcher), db.url)
    stamp = _manifest_stamp(folder)
    if stamp is None:
        raise Unavailable(f"no register index at {folder} yet: it is built by the nightly cycle "
                            "or by `markwatch index build`")
    searcher = _OPEN.get(key)
    if searcher is None or searcher.stamp != stamp:
        with _OPENING:
            searcher = _OPEN.get(key)
            if searcher is None or searcher.stamp != stamp:
                searcher = RegisterSearcher(RegisterIndex.open(folder), matcher, db_fetch(db))
                searcher.warm_up()
                # What is loaded now lives as long as the process: keep the cyclic collector off it, so
                # that a full collection does not pause a search for the whole heap.
                gc.collect()
                gc.freeze()
                searcher.stamp = stamp
                _OPEN[key] = searcher
    index = searcher.index
    newer = marks_above(db, index.max_id)
    return {
        "results": searcher.search(mark, classes=classes, top=top),
        "index_marks": index.rows, "index_built_at": index.manifest.get("built_at"),
        "index_updated_at": index.manifest.get("updated_at"), "marks_not_indexed": newer,
    }
