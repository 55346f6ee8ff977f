"""The in-memory event store: append-only streams plus one global log.

Every recorded event has a version in its stream (1, 2, 3, ...) and a
position in the global log.  Here positions happen to be 1, 2, 3, ... with no
gaps; a database's positions may have gaps and may commit out of order, so
nothing that reads the log may count on ``position == previous + 1``.

Optimistic concurrency: ``append`` states which version it expects the
stream to be at, and loses cleanly (``ConcurrencyError``, nothing recorded)
when another writer got there first.  Nothing can edit or delete a recorded
event.  With the events, ``append`` can keep a ``CommandRecord``: which
command recorded them, so that a retry of that command is recognised.

This store is the teaching model of the contract that
``eventsim.stores.SQLiteEventStore`` and ``PostgresEventStore`` keep too.
"""

from __future__ import annotations

import enum
import logging
import random
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from .clock import system_clock
from .ids import check_id, check_stream_id, random_ids
from .registry import event_type_name

__all__ = [
    "InMemoryEventStore",
    "RecordedEvent",
    "CommandRecord",
    "Subscription",
    "ConcurrencyError",
    "ExpectedVersion",
    "ANY",
    "NO_STREAM",
    "check_expected_version",
    "check_envelope",
    "readable_id",
    "refuse_append",
    "Subscribers",
]

logger = logging.getLogger(__name__)


class ExpectedVersion(enum.Enum):
    ANY = "any version"
    NO_STREAM = "no stream"

    def __repr__(self) -> str:
        return self.name


ANY = ExpectedVersion.ANY  # append whatever the stream's version
NO_STREAM = ExpectedVersion.NO_STREAM  # append only if the stream has no events yet


class ConcurrencyError(Exception):
    """The stream was not at the expected version: someone else appended first."""

    def __init__(self, stream_id: str, expected: int | ExpectedVersion, actual: int, detail: str = ""):
        self.stream_id, self.expected, self.actual = stream_id, expected, actual
        wanted = expected.value if isinstance(expected, ExpectedVersion) else f"version {expected}"
        super().__init__(detail or f"stream {stream_id!r}: expected {wanted}, but it is at version {actual}")


def check_expected_version(expected_version: object) -> None:
    """``TypeError`` unless ``expected_version`` is ``ANY``, ``NO_STREAM`` or a version (an int, 0 or more)."""
    if expected_version is ANY or expected_version is NO_STREAM:  # every ExpectedVersion, tested cheaply
        return
    if isinstance(expected_version, bool) or not isinstance(expected_version, int):
        raise TypeError(
            f"expected_version is ANY, NO_STREAM or a version number, "
            f"not {type(expected_version).__name__} {expected_version!r:.40}"
        )
    if expected_version < 0:
        raise ValueError(f"expected_version is a version, 0 or more, not {expected_version}")


def check_writes(writes: Iterable[Any]) -> list[tuple[str, list[Any], int | ExpectedVersion]]:
    """The writes of ``append_streams``, each ``(stream_id, events, expected_version)``, every stream once."""
    checked: list[tuple[str, list[Any], int | ExpectedVersion]] = []
    for write in writes:
        try:
            stream_id, events, expected_version = write
        except (TypeError, ValueError):
            raise TypeError(f"a write is (stream_id, events, expected_version), not {write!r:.80}") from None
        check_envelope(stream_id, None, None, None, None)
        if any(stream_id == other for other, _, _ in checked):
            raise ValueError(f"stream {stream_id!r:.80} is written twice: give one write all of its events")
        checked.append((stream_id, list(events), expected_version))
    return checked


def check_envelope(
    stream_id: object,
    correlation_id: object,
    causation_id: object,
    actor: object,
    command: object,
) -> None:
    """Refuse, before anything is recorded, an envelope that a store's export could not give back.

    Every store calls it on ``append``.  The correlation id, the causation id,
    the actor and the command's ids pass ``check_id``, the very check
    ``eventsim.jsonl`` reads them back with: a store never records what its
    own export would then refuse to import.  So does the stream id, which an
    export writes as ``streamId``: ``check_stream_id`` (an id with room for a
    prefix such as ``"order-"``; no NUL, no control character, no lone
    surrogate, which one database would keep, another refuse and a third mangle).
    """
    check_stream_id(stream_id)
    for name, value in (("correlation_id", correlation_id), ("causation_id", causation_id), ("actor", actor)):
        if value is not None:
            check_id(value, name)
    if command is not None:
        if not isinstance(command, CommandRecord):
            raise TypeError(f"command must be a CommandRecord, not {type(command).__name__}")
        check_id(command.command_id, "command_id")
        if command.causation_id is not None:
            check_id(command.causation_id, "causation_id")


def readable_id(value: object, what: str) -> bool:
    """Whether a read by this id (a stream's, a command's) can find anything: ``TypeError`` for one that
    is not a string; ``False`` for text ``check_envelope`` never lets in (a NUL, a lone surrogate), which
    every store then answers with nothing, before any database is asked (PostgreSQL refuses a NUL)."""
    if not isinstance(value, str):
        raise TypeError(f"{what} must be a str, not {type(value).__name__}")
    return value.isprintable()


@dataclass(frozen=True, slots=True)
class RecordedEvent:
    """The envelope the store puts around a domain event when it records it."""

    position: int  # place in the global log: increasing, not necessarily without gaps
    stream_id: str
    version: int  # place in its stream, from 1, no gaps
    event: Any  # the domain event itself
    recorded_at: int  # Unix seconds, from the store's clock, never earlier than the event before
    event_id: str
    correlation_id: str | None = None  # shared by every message that followed from the first one
    causation_id: str | None = None  # the id of the message that caused this event: its command
    actor: str | None = None  # who or what sent the command: "customer", "clerk:ann", ...

    @property
    def event_type(self) -> str:
        return event_type_name(self.event)


@dataclass(frozen=True, slots=True)
class CommandRecord:
    """What the store remembers of a handled command: its idempotency record.

    ``fingerprint`` says what the command asked for; its events are versions
    ``first_version`` to ``last_version`` of ``stream_id``.  ``causation_id``
    is the id of the message that caused the command (the event a process
    reacted to, say), so a chain can be traced back by ids.
    """

    command_id: str
    fingerprint: str
    stream_id: str
    first_version: int
    last_version: int
    causation_id: str | None = None


def refuse_append(
    stream_id: str,
    count: int,
    expected_version: int | ExpectedVersion,
    command: CommandRecord | None,
    actual: int,
    command_seen: bool,
) -> None:
    """Raise what an append of ``count`` events to a stream at version ``actual`` must raise, if anything.

    Every store calls it under its write lock: the stream must be at the
    expected version, and the command (if any) must not have been recorded
    already (another writer handled it first) and must name the versions
    this append records.
    """
    if not (expected_version is ANY or (expected_version is NO_STREAM and actual == 0) or expected_version == actual):
        raise ConcurrencyError(stream_id, expected_version, actual)
    if command is None:
        return
    if command_seen:
        raise ConcurrencyError(stream_id, actual, actual, f"command {command.command_id!r} was already recorded")
    if (command.stream_id, command.first_version, command.last_version) != (stream_id, actual + 1, actual + count):
        raise ValueError(
            f"the command record says {command.stream_id!r} versions "
            f"{command.first_version}-{command.last_version}, but the append records "
            f"{stream_id!r} versions {actual + 1}-{actual + count}"
        )


class Subscription:
    """A handler that receives every recorded event in position order.

    ``position`` is the last position handed to the handler.  If the handler
    raises, the subscription stops there (``error`` says why) so that it never
    skips an event; ``resume()`` tries that event again.
    """

    def __init__(self, store: Subscribers, handler: Callable[[RecordedEvent], None], position: int, name: str):
        self._store = store
        self.handler = handler
        self.position = position
        self.name = name
        self.error: BaseException | None = None
        self.active = True

    def resume(self) -> None:
        self.error = None
        self._store._dispatch()

    def close(self) -> None:
        self.active = False

    def __repr__(self) -> str:
        state = "failed" if self.error else "active" if self.active else "closed"
        return f"<Subscription {self.name} at position {self.position}, {state}>"


_PAGE = 1_000  # events a subscription is handed per read: bounded memory, few round trips to a database


class Subscribers:
    """Subscriptions, and their delivery: the part every store shares.

    A store that uses it sets ``_subscriptions``, ``_delivering`` and
    ``_redeliver`` and has ``read_all(from_position, limit)`` and
    ``last_position``.  Events are delivered after the write that recorded
    them has committed and released its lock, one at a time, in position
    order; the positions themselves are read from the store, so gaps in them
    do no harm.
    """

    _subscriptions: list[Subscription]
    _delivering: threading.Lock  # not re-entrant: see _dispatch
    _redeliver: float = 0.0
    _random: random.Random

    def read_all(self, from_position: int = 1, limit: int | None = None) -> list[RecordedEvent]:
        raise NotImplementedError

    @property
    def last_position(self) -> int:
        raise NotImplementedError

    def subscribe(
        self, handler: Callable[[RecordedEvent], None], from_position: int = 1, name: str | None = None
    ) -> Subscription:
        """Catch ``handler`` up from ``from_position``, then send it every new event."""
        if isinstance(from_position, bool) or not isinstance(from_position, int):
            raise TypeError(f"from_position is a whole number, not {type(from_position).__name__}")
        subscription = Subscription(
            self, handler, max(from_position, 1) - 1, name or str(getattr(handler, "__name__", repr(handler)))
        )
        self._subscriptions.append(subscription)
        self._dispatch()
        return subscription

    @property
    def subscriptions(self) -> list[Subscription]:
        return list(self._subscriptions)

    def _waiting(self) -> bool:
        """Whether a live subscription is behind the log: asked on every append, so a plain loop."""
        if not self._subscriptions:  # a store nobody subscribes to pays nothing more
            return False
        last = None
        for subscription in self._subscriptions:
            if subscription.active and subscription.error is None:
                if last is None:
                    last = self.last_position  # on a database, a query: asked once, and only if needed
                if subscription.position < last:
                    return True
        return False

    def _dispatch(self) -> None:
        """Deliver pending events to every subscription, a page at a time, in position order.

        One thread delivers at a time.  Any other thread (a writer, or a
        handler that appends) does not wait for it: the thread delivering
        looks again before it stops, and delivers those events too.
        """
        while self._waiting():
            if not self._delivering.acquire(blocking=False):
                return
            try:
                for subscription in list(self._subscriptions):
                    while subscription.active and subscription.error is None:
                        page = self.read_all(subscription.position + 1, limit=_PAGE)
                        for recorded in page:
                            if not subscription.active:  # closed by its handler, or by another thread
                                break
                            if not self._deliver(subscription, recorded):
                                break  # its handler failed: it waits at that event (the loop sees its error)
                        if len(page) < _PAGE:  # a short page was the end of the log
                            break
            finally:
                self._delivering.release()

    def _deliver(self, subscription: Subscription, recorded: RecordedEvent) -> bool:
        """Hand one event to one subscription; ``False`` if its handler failed (it then waits there)."""
        try:
            subscription.handler(recorded)
            if self._redeliver and self._random.random() < self._redeliver:
                subscription.handler(recorded)
        except BaseException as error:  # even Ctrl-C: the append that got here has committed
            subscription.error = error
            logger.error(
                "subscriber %s failed on event %d (%s): %r; it is stopped until resume()",
                subscription.name,
                recorded.position,
                recorded.event_type,
                error,
            )
            return False
        subscription.position = recorded.position
        return True


class InMemoryEventStore(Subscribers):
    """Append-only, thread-safe, in memory.

    ``clock`` and ``ids`` make recorded times and event ids injectable.  The
    store's time never runs backwards: if the clock reads earlier than the
    last recorded event, the new events get that event's time (clamped, not
    refused, since a clock stepping back a second is no reason to lose an order).
    ``redeliver`` (0 by default) is the probability that a subscriber gets an
    event twice, seeded by ``seed``: a way to meet at-least-once delivery.
    """

    #: Positions become visible in order, under one lock: a reader never sees N+1 before N can be seen
    #: (``eventsim.projections.GapWatch`` reads a store that does not say so more carefully).
    commits_in_sequence = True

    def __init__(
        self,
        *,
        clock: Callable[[], int] = system_clock,
        ids: Callable[[], str] = random_ids,
        redeliver: float = 0.0,
        seed: int = 0,
    ):
        if not 0 <= redeliver <= 1:
            raise ValueError(f"redeliver is a probability between 0 and 1, not {redeliver}")
        self._clock = clock
        self._ids = ids
        self._log: list[RecordedEvent] = []
        self._streams: dict[str, list[RecordedEvent]] = {}
        self._commands: dict[str, CommandRecord] = {}
        self._last_time = 0
        self._lock = threading.Lock()
        self._subscriptions: list[Subscription] = []
        self._delivering = threading.Lock()  # not re-entrant: see _dispatch
        self._redeliver = redeliver
        self._random = random.Random(seed)

    # --- writing ---------------------------------------------------------

    def append(
        self,
        stream_id: str,
        events: Iterable[Any],
        expected_version: int | ExpectedVersion = ANY,
        *,
        correlation_id: str | None = None,
        causation_id: str | None = None,
        actor: str | None = None,
        command: CommandRecord | None = None,
    ) -> list[RecordedEvent]:
        """Record ``events`` at the end of ``stream_id``, all or none; return them recorded.

        Subscribers hear of them after the write is done and the lock is free.
        """
        events = list(events)
        for event in events:
            event_type_name(event)  # TypeError for anything that is not a registered event type
        check_expected_version(expected_version)
        check_envelope(stream_id, correlation_id, causation_id, actor, command)
        with self._lock:
            stream = self._streams.get(stream_id)
            actual = len(stream) if stream else 0
            seen = command is not None and command.command_id in self._commands
            refuse_append(stream_id, len(events), expected_version, command, actual, seen)
            if not events:
                return []
            if stream:  # share the stream's id string: one copy per stream, not one per append
                stream_id = stream[0].stream_id
            clock = self._clock()
            if clock > self._last_time:
                self._last_time = clock
            now = self._last_time  # events of one second share one int object: 32 bytes each saved
            position = len(self._log)
            recorded = []
            for event in events:  # a loop, not a comprehension: most appends record one event
                actual += 1
                position += 1
                event_id = self._ids()
                recorded.append(
                    RecordedEvent(
                        position, stream_id, actual, event, now, event_id, correlation_id, causation_id, actor
                    )
                )
            # Only now, with every envelope built, does anything change.
            self._streams.setdefault(stream_id, []).extend(recorded)
            self._log.extend(recorded)
            if command is not None:
                self._commands[command.command_id] = command
        if self._subscriptions:  # the test is _dispatch's first; made here, it spares most appends a call
            self._dispatch()
        return recorded

    def append_streams(
        self,
        writes: Iterable[tuple[str, Iterable[Any], int | ExpectedVersion]],
        *,
        correlation_id: str | None = None,
        causation_id: str | None = None,
        actor: str | None = None,
    ) -> list[RecordedEvent]:
        """Record events in several streams at once, each stream at its expected version: all or none.

        ``writes`` are ``(stream_id, events, expected_version)``, each stream once.  If a stream is
        not at its expected version, ``ConcurrencyError`` names it and nothing is recorded: a rule
        over several streams is checked against all of them, and no writer can slip in between.
        Positions follow the writes in the order given.
        """
        writes = check_writes(writes)
        for stream_id, events, expected_version in writes:
            for event in events:
                event_type_name(event)
            check_expected_version(expected_version)
            check_envelope(stream_id, correlation_id, causation_id, actor, None)
        with self._lock:
            versions = []
            for stream_id, events, expected_version in writes:
                actual = len(self._streams.get(stream_id, ()))
                refuse_append(stream_id, len(events), expected_version, None, actual, False)
                versions.append(actual)
            self._last_time = max(self._clock(), self._last_time)
            position, recorded = len(self._log), []
            for (stream_id, events, _), version in zip(writes, versions):
                for event in events:
                    version, position = version + 1, position + 1
                    recorded.append(
                        RecordedEvent(
                            position,
                            stream_id,
                            version,
                            event,
                            self._last_time,
                            self._ids(),
                            correlation_id,
                            causation_id,
                            actor,
                        )
                    )
            for event in recorded:  # only now, with every envelope built, does anything change
                self._streams.setdefault(event.stream_id, []).append(event)
            self._log.extend(recorded)
        if recorded and self._subscriptions:
            self._dispatch()
        return recorded

    # --- reading ---------------------------------------------------------

    def read_stream(self, stream_id: str, from_version: int = 1) -> list[RecordedEvent]:
        readable_id(stream_id, "stream_id")
        return self._streams.get(stream_id, [])[max(from_version, 1) - 1 :]

    def read_all(self, from_position: int = 1, limit: int | None = None) -> list[RecordedEvent]:
        """The events at ``from_position`` and after, oldest first, at most ``limit`` of them."""
        start = max(from_position, 1) - 1
        return self._log[start:] if limit is None else self._log[start : start + max(limit, 0)]

    def stream_version(self, stream_id: str) -> int:
        """The version of the stream's last event; 0 for a stream with no events."""
        readable_id(stream_id, "stream_id")
        return len(self._streams.get(stream_id, ()))

    def command_record(self, command_id: str) -> CommandRecord | None:
        """The idempotency record of a handled command, or ``None``."""
        readable_id(command_id, "command_id")
        return self._commands.get(command_id)

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
