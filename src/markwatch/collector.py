"""The cyclic garbage collector paused around bulk work.

Screening, reading a chunk of marks and storing its alerts allocate hundreds of thousands of small
objects and make no reference cycles worth collecting. Each collection of the oldest generation
walks every object the process holds (the key index, the matcher's tables, the per-text memos), so
with the collector on, that bulk work would pay for walking the whole heap again and again.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
