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


@contextmanager
def heap_frozen_for_fork() -> Iterator[None]:
    """Fork inside this: what the parent built stays shared with the children (copy-on-write) and out
    of their collector's walks. No full collection first: it walks the whole heap (0.3 s before a
    run's fork) to free a few hundred objects. The parent's heap is thawed again afterwards."""
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()
