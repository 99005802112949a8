"""Forked worker processes that read the parent's memory copy-on-write and take short tasks by pipe.

The parent forks them once it holds what they read (a file's lines, the loaded dictionaries); a task
names the work (which lines), it does not carry the data. Each worker answers its tasks in the order
they were sent, on a pipe of its own, written by a thread so that the worker goes on with its next
task while the parent has not read the last answer. A task that raises is answered with the error
and the worker goes on; a worker that dies closes its pipe, and the parent's read of it fails at once
(EOFError) instead of waiting for an answer that cannot come. Workers ignore Ctrl-C (the parent
decides), ask the kernel to end them when the parent ends, and are ended by `close`.
"""

from __future__ import annotations

import ctypes
import logging
import multiprocessing
import os
import queue
import signal
import threading
import traceback
from collections.abc import Callable
from multiprocessing.connection import Connection, wait
from multiprocessing.reduction import ForkingPickler
from typing import Any, cast

from markwatch.collector import heap_frozen_for_fork
from markwatch.errors import MarkwatchError

log = logging.getLogger(__name__)

_PR_SET_PDEATHSIG = 1


class WorkerFailed(MarkwatchError):
    """A worker process raised, or ended, before it answered a task."""


def can_fork() -> bool:
    return "fork" in multiprocessing.get_all_start_methods()


class Workers:
    """`count` forked processes, each calling `handle(task)` for the tasks sent to it."""

    def __init__(self, count: int, handle: Callable[[Any], Any], *, name: str = "worker"):
        context = multiprocessing.get_context("fork")
        self.name = name
        self._tasks: list[Connection] = []
        self._answers: list[Connection] = []
        self._processes: list[Any] = []
        self.pending = [0] * count  # tasks sent to each worker and not yet answered
        parent = os.getpid()
        try:
            with heap_frozen_for_fork():
                for i in range(count):
                    task_reader, task_writer = context.Pipe(duplex=False)
                    answer_reader, answer_writer = context.Pipe(duplex=False)
                    process = context.Process(target=_serve, args=(task_reader, answer_writer, handle, parent),
                                              name=f"markwatch-{name}-{i + 1}", daemon=True)
                    process.start()
                    # the parent keeps only its own ends: a dead worker's answer pipe then reads as closed
                    task_reader.close()
                    answer_writer.close()
                    self._tasks.append(task_writer)
                    self._answers.append(answer_reader)
                    self._processes.append(process)
        except BaseException:
            self.close()
            raise

    def __enter__(self) -> Workers:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __len__(self) -> int:
        return len(self._processes)

    def send(self, worker: int, task: Any) -> None:
        self._tasks[worker].send(task)
        self.pending[worker] += 1

    def answers(self, *, block: bool = True) -> list[tuple[Any, Any]]:
        """The answers that are ready (with `block`, waiting for one at least): (task, result), each
        worker's in the order of its tasks; the result of a task that raised is a WorkerFailed saying so
        (the caller decides when to raise it). WorkerFailed is raised when a worker has ended."""
        waiting = [c for c, n in zip(self._answers, self.pending) if n]
        if not waiting:
            if block:
                raise RuntimeError("no task is waiting for an answer")
            return []
        out = []
        for ready in wait(waiting, None if block else 0):
            conn = cast(Connection, ready)
            i = self._answers.index(conn)
            try:
                ok, task, value = conn.recv()
            except (EOFError, OSError):
                process = self._processes[i]
                process.join(5)
                raise WorkerFailed(f"{self.name} process {i + 1} ended without answering (exit code "
                                   f"{process.exitcode})") from None
            self.pending[i] -= 1
            if not ok:
                error, trace = value
                log.error("%s process %d failed:\n%s", self.name, i + 1, trace)
                value = WorkerFailed(f"{self.name} process {i + 1} failed: {error}")
            out.append((task, value))
        return out

    def close(self) -> None:
        """End the workers (every answer wanted has been taken, or the work failed)."""
        for conn in self._tasks:
            conn.close()
        for process in self._processes:
            if process.is_alive():
                process.terminate()
        for process in self._processes:
            process.join()
        for conn in self._answers:
            conn.close()
        self._tasks, self._answers, self._processes = [], [], []


def _die_with(parent: int) -> None:
    """Have the kernel end this process when its parent ends (Linux), even by SIGKILL."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):  # not Linux: the parent's close() is what ends the workers
        return
    if os.getppid() != parent:  # the parent ended before the request was made
        os._exit(1)


def _serve(tasks: Connection, answers: Connection, handle: Callable[[Any], Any], parent: int) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _die_with(parent)
    # Tasks are read and answers written by threads of their own: the parent's sends never wait on
    # this process, and this process goes on with its next task while the parent, busy storing, has
    # not read the last answer yet (a batch's answer is larger than the pipe holds).
    inbox: queue.SimpleQueue[Any] = queue.SimpleQueue()
    outbox: queue.SimpleQueue[bytes | None] = queue.SimpleQueue()

    def receive() -> None:
        while True:
            try:
                task = tasks.recv()
            except (EOFError, OSError):
                task = None
            inbox.put(task)
            if task is None:
                return

    def send() -> None:
        while (data := outbox.get()) is not None:
            answers.send_bytes(data)

    threading.Thread(target=receive, daemon=True).start()
    sender = threading.Thread(target=send, daemon=True)
    sender.start()
    while (task := inbox.get()) is not None:
        try:
            data = bytes(ForkingPickler.dumps((True, task, handle(task))))
        except Exception as exc:  # answered, not raised: the parent reports it
            failure = (f"{type(exc).__name__}: {exc}", traceback.format_exc())
            data = bytes(ForkingPickler.dumps((False, task, failure)))
        outbox.put(data)
    outbox.put(None)
    sender.join()
