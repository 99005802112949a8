"""Admission for the expensive tool endpoints (compare, search): a rate per token, and a bound on how
many run at once, so that one caller cannot hold the server's worker threads."""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from fastapi import HTTPException


@dataclass
class TokenBuckets:
    """One token bucket per caller: `burst` calls at once, refilled at `per_minute`."""

    per_minute: float
    burst: int
    clock: Callable[[], float] = time.monotonic
    _buckets: dict[object, tuple[float, float]] = field(default_factory=dict, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def take(self, caller: object) -> float:
        """0 when the call may go ahead, else the seconds until it may."""
        if self.per_minute <= 0:
            return 0.0
        rate = self.per_minute / 60.0
        now = self.clock()
        with self._lock:
            level, at = self._buckets.get(caller, (float(self.burst), now))
            level = min(float(self.burst), level + (now - at) * rate)
            if level >= 1.0:
                self._buckets[caller] = (level - 1.0, now)
                return 0.0
            self._buckets[caller] = (level, now)
            return (1.0 - level) / rate


class FairSlots:
    """`n` slots taken by threads in the order they asked. A release hands its slot to the thread that
    has waited longest. (A threading.Semaphore lets a newcomer take a freed slot before the waiter it
    woke, and that waiter goes to the back of the line: under load some calls were passed over again and
    again, their latency many times the others'.)"""

    def __init__(self, n: int) -> None:
        self._free = n
        self._lock = threading.Lock()
        self._waiters: deque[threading.Lock] = deque()

    def acquire(self) -> None:
        with self._lock:
            if self._free:
                self._free -= 1
                return
            handed = threading.Lock()
            handed.acquire()
            self._waiters.append(handed)
        handed.acquire()  # until a release hands this thread its slot

    def release(self) -> None:
        with self._lock:
            if self._waiters:
                self._waiters.popleft().release()
            else:
                self._free += 1

    def __enter__(self) -> None:
        self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()


@dataclass
class ToolLimits:
    """Rate per caller, then at most `concurrency` calls running and `queue` more waiting for a slot."""

    buckets: TokenBuckets
    concurrency: int
    queue: int
    _running: FairSlots = field(init=False, repr=False)
    _admitted: threading.BoundedSemaphore = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._running = FairSlots(max(1, self.concurrency))
        self._admitted = threading.BoundedSemaphore(max(1, self.concurrency) + max(0, self.queue))

    @classmethod
    def from_settings(cls, settings) -> ToolLimits:
        return cls(TokenBuckets(settings.tool_rate_per_minute, settings.tool_rate_burst),
                   settings.tool_concurrency, settings.tool_queue)

    @contextmanager
    def admit(self, caller: object) -> Iterator[None]:
        wait = self.buckets.take(caller)
        if wait > 0:
            raise HTTPException(429, "too many compare/search calls for this token; retry later (请求过于频繁)",
                                headers={"Retry-After": str(max(1, math.ceil(wait)))})
        # Waiting callers hold a server thread each: only `queue` of them may wait, the rest are refused.
        if not self._admitted.acquire(blocking=False):
            raise HTTPException(503, "compare/search is busy; retry shortly (服务繁忙)", headers={"Retry-After": "1"})
        try:
            with self._running:
                yield
        finally:
            self._admitted.release()
