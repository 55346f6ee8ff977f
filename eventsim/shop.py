"""The command side: an application service around the order decider.

``Shop.handle(command)`` is the whole write path of CQRS: read the order's
stream, fold it into state, ``decide``, and append the new events expecting
the version that was read.  If another writer appended in between, read and
decide again (a bounded number of times).
"""
from __future__ import annotations

from typing import Callable

from .clock import system_clock
from .commands import Command
from .ids import random_ids
from .order import OrderState, decide, fold
from .store import ConcurrencyError, InMemoryEventStore, RecordedEvent

__all__ = ["Shop", "stream_for"]


def stream_for(order_id: str) -> str:
    """The stream that holds one order's events."""
    return f"order-{order_id}"


class Shop:
    """Handles order commands against an event store.

    Give it a ``store`` to share one between shops; otherwise it makes an
    in-memory store stamped by ``clock``.  ``ids`` gives command ids to
    commands that arrive without one (and event ids to a store it makes).
    """

    def __init__(self, store: InMemoryEventStore | None = None, *,
                 clock: Callable[[], int] | None = None, ids: Callable[[], str] = random_ids,
                 max_retries: int = 3):
        if store is None:
            store = InMemoryEventStore(clock=clock or system_clock, ids=ids)
        elif clock is not None:
            raise TypeError("the store stamps events with its own clock: pass the clock to the store")
        self.store = store
        self.max_retries = max_retries
        self._ids = ids

    def handle(self, command: Command) -> list[RecordedEvent]:
        """Decide and record; return the recorded events, or raise ``OrderError``.

        A command whose id was handled before records nothing and returns the
        events it recorded the first time.
        """
        command_id = command.command_id or self._ids()  # a command without an id cannot be a retry
        stream_id = stream_for(command.order_id)
        for attempt in range(self.max_retries + 1):
            history = self.store.read_stream(stream_id)
            if command.command_id is not None:
                earlier = [r for r in history if r.causation_id == command_id]
                if earlier:
                    return earlier
            events = decide(command, fold(r.event for r in history))
            correlation_id = history[0].correlation_id if history else command_id
            try:
                return self.store.append(stream_id, events, expected_version=len(history),
                                         correlation_id=correlation_id, causation_id=command_id)
            except ConcurrencyError:
                if attempt == self.max_retries:
                    raise
        raise AssertionError("unreachable")

    def state(self, order_id: str) -> OrderState:
        """The order's current state: the fold of its stream."""
        return fold(r.event for r in self.store.read_stream(stream_for(order_id)))
