"""Leaving the process once a command is done.

A run or an ingest leaves a heap of a million objects or more (the matcher's tables, the index, the
per-text memos). Python's own shutdown frees them one by one, which took 0.7 s after a 50k-mark run
and gives the user nothing: the operating system takes the memory back at once. So the command line
does what shutdown does for the process's state — the atexit handlers (logging's flush, the worker
pools' clean-up, `weakref.finalize` callbacks), the standard streams flushed — and then leaves
without freeing. When a thread that is not a daemon is still running, it leaves the ordinary way,
which waits for it.
"""

from __future__ import annotations

import atexit
import os
import sys
import threading


def exit_code(code: object) -> int:
    """`sys.exit`'s rule: None is 0, an int is itself, anything else is printed and gives 1."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    print(code, file=sys.stderr)
    return 1


def leave(code: object) -> None:
    status = exit_code(code)
    main = threading.main_thread()
    if any(t is not main and not t.daemon and t.is_alive() for t in threading.enumerate()):
        sys.exit(status)
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe: nothing more can be said
            pass
    os._exit(status)
