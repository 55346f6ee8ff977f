"""Bulk operations and Python's cycle collector.

Simulating a year of a shop, copying a log into a store and catching read
models up each make and keep a great many small objects (two per event: its
envelope and the event) and make no reference cycles.  Python's cycle
collector cannot free any of them, yet every full pass walks all of them,
again and again as the history grows: at a million events, about a quarter
of the time of those operations went to it.

So each such operation pauses the collector for its own duration, and puts
it back as it found it when it ends, however it ends (``finally``), as the
standard library's ``timeit`` does while it times.  That was chosen over an
explicit ``with eventsim.bulk():`` for applications to write: a learner who
calls ``simulate`` in a notebook gets the speed without having to know about
the collector, and no setting of the caller's is changed behind their back
beyond the call itself.  The collector is one per process: another thread
that makes cycles meanwhile has them collected after the operation ends.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["collector_paused"]


@contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cycle collector paused for the block, then as it was before (on, or off if it was off)."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()
