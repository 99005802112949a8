"""Fault injection for crash-safety tests: die hard at a named point of a long job.

`MARKWATCH_FAULT=ingest.before_commit:3` makes the third pass through that point kill the process with
SIGKILL, as a power cut or the OOM killer would: no cleanup, no rollback handler, no flush. The tests
then run the job again and compare the result with an uninterrupted run. Unset, a point costs one
dictionary lookup.
"""

from __future__ import annotations

import os
import signal
from collections import Counter

_hits: Counter[str] = Counter()


def point(name: str) -> None:
    spec = os.environ.get("MARKWATCH_FAULT")
    if not spec:
        return
    target, _, nth = spec.partition(":")
    if target != name:
        return
    _hits[name] += 1
    if _hits[name] >= int(nth or 1):
        os.kill(os.getpid(), signal.SIGKILL)
