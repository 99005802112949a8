"""How common each word is among the stored marks: the counts behind distinctiveness's "frequent" weak part.

`build_word_counts` reads every stored gazette mark once, in batches, normalises it as the matcher
does (so that the counted words are those the distinctiveness weights are computed on: simplified,
generic words stripped) and counts in how many marks each word of 2 to 4 Han characters occurs
(`distinctiveness.WordCounts`). Only words that may reach the "frequent" share are kept, so the file
stays small on a large register. The file is written whole to a temporary name and then moved, so a
failed build leaves the previous counts in place. The matcher reads it at start-up from the setting
`word_counts_path`.
"""

from __future__ import annotations

import math
import os
import time
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import select

from markwatch.errors import ConfigError
from markwatch.matching.distinctiveness import FREQUENT_SHARE, WordCounts, counted_words
from markwatch.store.tables import GazetteMark

if TYPE_CHECKING:
    from markwatch.service.facade import Service

BATCH = 5000
# Words are kept from this fraction of the "frequent" share (and at least 2 marks): room to lower the
# share later without recounting, and a file of a few thousand words on a register of millions.
KEEP_FRACTION = 0.5


def build_word_counts(svc: Service, path: Path | None = None) -> dict:
    """Count the words of every stored mark and write them to `path` (default: the setting)."""
    target = Path(path) if path is not None else (Path(svc.settings.word_counts_path)
                                                  if svc.settings.word_counts_path else None)
    if target is None:
        raise ConfigError("no file to write the word counts to: pass --out or set word_counts_path "
                          "(MARKWATCH_WORD_COUNTS_PATH)")
    if not target.parent.is_dir():
        raise ConfigError(f"the folder of {target} does not exist")
    started = time.perf_counter()
    normalise = svc.normaliser.normalise
    counts: Counter[str] = Counter()
    total = 0
    last = 0
    with svc.db.session() as s:
        while True:
            rows = s.execute(select(GazetteMark.id, GazetteMark.mark).where(GazetteMark.id > last)
                             .order_by(GazetteMark.id).limit(BATCH)).all()
            if not rows:
                break
            last = rows[-1][0]
            for _, mark in rows:
                total += 1
                counts.update(counted_words(normalise(mark or "").chinese))
    min_count = max(2, math.ceil(KEEP_FRACTION * FREQUENT_SHARE * total))
    result = WordCounts(total, {w: n for w, n in counts.items() if n >= min_count})
    tmp = target.with_name(target.name + ".tmp")
    result.save(tmp)
    os.replace(tmp, target)
    frequent = sorted(((n, w) for w, n in result.counts.items() if result.share(w) >= FREQUENT_SHARE),
                      reverse=True)
    return {"path": str(target), "marks": total, "words": len(result.counts), "min_count": min_count,
            "frequent": len(frequent), "top": [{"word": w, "marks": n} for n, w in frequent[:10]],
            "seconds": round(time.perf_counter() - started, 2)}
