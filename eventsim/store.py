"""The in-memory event store: append-only streams plus one global log.

Every recorded event has a version in its stream (1, 2, 3, ...) and a
position in the global log (1, 2, 3, ... with no gaps).  Optimistic
concurrency: ``append`` states which version it expects the stream to be at,
and loses cleanly (``ConcurrencyError``, nothing recorded) when another
writer got there first.  Nothing can edit or delete a recorded event.
"""
from __future__ import annotations

import enum
import logging
import random
import threading
from dataclasses import dataclass
from typing import Any, Callable, Iterable

from .clock import system_clock
from .ids import random_ids

__all__ = ["InMemoryEventStore", "RecordedEvent", "Subscription", "ConcurrencyError", "ANY", "NO_STREAM",
           "CommandRecord"]

logger = logging.getLogger(__name__)


class ExpectedVersion(enum.Enum):
    ANY = "any version"
    NO_STREAM = "no stream"

    def __repr__(self) -> str:
        return self.name


ANY = ExpectedVersion.ANY              # append whatever the stream's version
NO_STREAM = ExpectedVersion.NO_STREAM  # append only if the stream has no events yet


class ConcurrencyError(Exception):
    """The stream was not at the expected version: someone else appended first."""

    def __init__(self, stream_id: str, expected: int | ExpectedVersion, actual: int):
        self.stream_id, self.expected, self.actual = stream_id, expected, actual
        wanted = expected.value if isinstance(expected, ExpectedVersion) else f"version {expected}"
        super().__init__(f"stream {stream_id!r}: expected {wanted}, but it is at version {actual}")


@dataclass(frozen=True, slots=True)
class CommandRecord:
    """What a handled command recorded, stored atomically with its events (idempotency)."""
    command_id: str
    fingerprint: str
    stream_id: str
    first_version: int
    last_version: int
    causation_id: str | None = None


@dataclass(frozen=True, slots=True)
class RecordedEvent:
    """The envelope the store puts around a domain event when it records it."""
    position: int           # place in the global log, from 1, no gaps
    stream_id: str
    version: int            # place in its stream, from 1
    event: Any              # the domain event itself
    recorded_at: int        # Unix seconds, from the store's clock
    event_id: str
    correlation_id: str | None = None  # shared by everything that followed from one order
    causation_id: str | None = None    # the id of the command that caused this event
    actor: str | None = None

    @property
    def event_type(self) -> str:
        return type(self.event).__name__


class Subscription:
    """A handler that receives every recorded event in position order.

    ``position`` is the last position handed to the handler.  If the handler
    raises, the subscription stops there (``error`` says why) so that it never
    skips an event; ``resume()`` tries that event again.
    """

    def __init__(self, store: InMemoryEventStore, handler: Callable[[RecordedEvent], None],
                 position: int, name: str):
        self._store = store
        self.handler = handler
        self.position = position
        self.name = name
        self.error: Exception | None = None
        self.active = True

    def resume(self) -> None:
        self.error = None
        self._store._dispatch()

    def close(self) -> None:
        self.active = False

    def __repr__(self) -> str:
        state = "failed" if self.error else "active" if self.active else "closed"
        return f"<Subscription {self.name} at position {self.position}, {state}>"


class InMemoryEventStore:
    """Append-only, thread-safe, in memory.

    ``clock`` and ``ids`` make recorded times and event ids injectable.
    ``redeliver`` (0 by default) is the probability that a subscriber gets an
    event twice, seeded by ``seed``: a way to meet at-least-once delivery.
    """

    def __init__(self, *, clock: Callable[[], int] = system_clock, ids: Callable[[], str] = random_ids,
                 redeliver: float = 0.0, seed: int = 0):
        if not 0 <= redeliver <= 1:
            raise ValueError(f"redeliver is a probability between 0 and 1, not {redeliver}")
        self._clock = clock
        self._ids = ids
        self._log: list[RecordedEvent] = []
        self._streams: dict[str, list[RecordedEvent]] = {}
        self._lock = threading.Lock()
        self._subscriptions: list[Subscription] = []
        self._dispatch_lock = threading.RLock()
        self._dispatching = False
        self._redeliver = redeliver
        self._random = random.Random(seed)

    # --- writing ---------------------------------------------------------

    def append(self, stream_id: str, events: Iterable[Any], expected_version: int | ExpectedVersion = ANY,
               *, correlation_id: str | None = None, causation_id: str | None = None) -> list[RecordedEvent]:
        """Record ``events`` at the end of ``stream_id``, all or none; return them recorded."""
        events = list(events)
        with self._lock:
            stream = self._streams.get(stream_id)
            actual = len(stream) if stream else 0
            if not (expected_version is ANY
                    or (expected_version is NO_STREAM and actual == 0)
                    or expected_version == actual):
                raise ConcurrencyError(stream_id, expected_version, actual)
            if stream:  # share the stream's id string: one copy per stream, not one per append
                stream_id = stream[0].stream_id
            now = self._clock()
            start = len(self._log)
            recorded = [RecordedEvent(start + i, stream_id, actual + i, event, now, self._ids(),
                                      correlation_id, causation_id)
                        for i, event in enumerate(events, 1)]
            # Only now, with every envelope built, does anything change.
            if recorded:
                self._streams.setdefault(stream_id, []).extend(recorded)
                self._log.extend(recorded)
        if recorded:
            self._dispatch()
        return recorded

    # --- reading ---------------------------------------------------------

    def read_stream(self, stream_id: str, from_version: int = 1) -> list[RecordedEvent]:
        return self._streams.get(stream_id, [])[max(from_version, 1) - 1:]

    def read_all(self, from_position: int = 1) -> list[RecordedEvent]:
        return self._log[max(from_position, 1) - 1:]

    def stream_version(self, stream_id: str) -> int:
        """The version of the stream's last event; 0 for a stream with no events."""
        return len(self._streams.get(stream_id, ()))

    @property
    def last_position(self) -> int:
        """The position of the newest event; 0 for an empty store."""
        return len(self._log)

    def stream_ids(self) -> list[str]:
        """Every stream, in the order it was first written."""
        return list(self._streams)

    def __len__(self) -> int:
        return len(self._log)

    def __repr__(self) -> str:
        return f"<InMemoryEventStore: {len(self._log)} events in {len(self._streams)} streams>"

    # --- subscribing -----------------------------------------------------

    def subscribe(self, handler: Callable[[RecordedEvent], None], from_position: int = 1,
                  name: str | None = None) -> Subscription:
        """Catch ``handler`` up from ``from_position``, then send it every new event."""
        subscription = Subscription(self, handler, max(from_position, 1) - 1,
                                    name or getattr(handler, "__name__", repr(handler)))
        with self._dispatch_lock:
            self._subscriptions.append(subscription)
        self._dispatch()
        return subscription

    @property
    def subscriptions(self) -> list[Subscription]:
        return list(self._subscriptions)

    def _dispatch(self) -> None:
        """Deliver pending events to every subscription, one at a time, in position order."""
        with self._dispatch_lock:
            if self._dispatching:  # a handler appended: the loop below delivers that too
                return
            self._dispatching = True
            try:
                pending = True
                while pending:
                    pending = False
                    for subscription in self._subscriptions:
                        while (subscription.active and subscription.error is None
                               and subscription.position < len(self._log)):
                            self._deliver(subscription, self._log[subscription.position])
                            pending = True
            finally:
                self._dispatching = False

    def _deliver(self, subscription: Subscription, recorded: RecordedEvent) -> None:
        try:
            subscription.handler(recorded)
            if self._redeliver and self._random.random() < self._redeliver:
                subscription.handler(recorded)
        except Exception as error:  # reported, and the subscription waits on this event
            subscription.error = error
            logger.error("subscriber %s failed on event %d (%s): %r; it is stopped until resume()",
                         subscription.name, recorded.position, recorded.event_type, error)
            return
        subscription.position = recorded.position
