"""Clearance search (近似查询): which stored marks are most similar to a name, ranked with reasons."""

from __future__ import annotations

from typing import Sequence

from sqlalchemy import select

from .candidates import KeyIndex
from .matcher import Matcher
from .model import Brand
from .store.db import Database
from .store.tables import GazetteMark
from .watch import mark_profile

PAGE = 20000


def search_register(db: Database, matcher: Matcher, mark: str, *, classes: Sequence[int] = (),
                    top: int = 10) -> list[dict]:
    """Score the query against every stored mark that shares a blocking key with it."""
    query = Brand(brand_id="query", mark=mark, classes=tuple(classes))
    matcher.normaliser.add_brand_words([mark])
    bp = matcher.profile_brand(query)
    index = KeyIndex([bp.forms], lexicon=matcher.lexicon)
    results: list[tuple[float, dict]] = []
    last = 0
    while True:
        with db.session() as s:
            rows = list(s.scalars(select(GazetteMark).where(GazetteMark.id > last).order_by(GazetteMark.id)
                                  .limit(PAGE)))
        if not rows:
            break
        last = rows[-1].id
        for m in rows:
            mp = mark_profile(matcher, m)
            if not index.candidates(mp.forms):
                continue
            match = matcher.compare_profiles(bp, mp)
            if match.mark_score <= 0:
                continue
            rank = match.score if classes else match.mark_score
            results.append((rank, {
                "application_no": m.application_no, "office": m.office, "mark": m.mark,
                "classes": list(m.classes or []), "applicant": m.applicant,
                "publication_date": m.publication_date.isoformat() if m.publication_date else None,
                **match.as_dict(),
            }))
    results.sort(key=lambda t: (-t[0], t[1]["application_no"]))
    return [r for _, r in results[:top]]
