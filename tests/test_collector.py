"""The cyclic collector is paused around bulk work, and left as it was found."""

from __future__ import annotations

import gc

from markwatch.collector import collector_paused

from .conftest import make_service


def test_the_collector_is_paused_and_restored():
    assert gc.isenabled()
    with collector_paused():
        assert not gc.isenabled()
        with collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the inner pause does not switch it on under the outer one
    assert gc.isenabled()
    try:
        with collector_paused():
            raise ValueError("a failing run")
    except ValueError:
        pass
    assert gc.isenabled()


def test_a_run_leaves_the_collector_on(tmp_path):
    svc = make_service(tmp_path)
    try:
        svc.run()
        assert gc.isenabled()
    finally:
        svc.db.dispose()


def test_the_heap_is_frozen_only_while_forking():
    from markwatch.collector import heap_frozen_for_fork

    with heap_frozen_for_fork():
        assert gc.get_freeze_count() > 0
    assert gc.get_freeze_count() == 0
