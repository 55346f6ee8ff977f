"""The application service: one write path for any domain.

``Application(domain, store).handle(command)`` is the whole command side of
CQRS: load the state of the command's stream, ``decide``, and append the new
events expecting the version that was loaded.  If another writer appended in
between, load and decide again (a bounded number of times).

The expected version is the stream's, as the store recorded it: the version
of the last event loaded, read from its envelope.  The domain's state never
counts its own events, so an upcaster may turn one stored event into two
without putting the state and the stream out of step.

Loading does not fold the whole stream every time.  The service keeps the
state of recently used streams together with the version it was folded to
(an in-memory snapshot) and folds only the events recorded since; durable
``snapshots`` (``eventsim.snapshots``) do the same across restarts.

A command may carry a ``command_id``.  A command sent again under an id
already handled (a retry) is not decided again: its first result is
returned.  The same id with a different request is ``CommandIdReused``.

Correlation and causation, as the literature uses them: a command from
outside starts a conversation of its own (its correlation id is its own id,
unless the caller names one); a reaction passes the correlation id of the
event it reacts to, and that event's id as its causation.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from typing import Any, Generic

from .clock import system_clock
from .domain import C, Domain, E, S
from .ids import random_ids
from .snapshots import Snapshots
from .store import CommandRecord, ConcurrencyError, InMemoryEventStore, RecordedEvent

__all__ = ["Application", "CommandIdReused"]


class CommandIdReused(ValueError):
    """A command id that was used before arrived with a different request.

    No business rule was broken: the sender reused an id, and the second
    request was not carried out.
    """

    def __init__(self, command_id: str, recorded: str, given: str):
        self.command_id, self.recorded, self.given = command_id, recorded, given
        super().__init__(
            f"command id {command_id!r} was already used for {recorded}; "
            f"this request is {given}: give a new request a new id"
        )


class Application(Generic[C, E, S]):
    """Handles a domain's commands against an event store.

    Give it a ``store`` to share one between services; otherwise it makes an
    in-memory store stamped by ``clock``.  ``ids`` gives command ids to
    commands that arrive without one (and event ids to a store it makes).
    ``cache_size`` is how many streams' states it keeps between commands;
    ``snapshots`` keeps them durably too, for the streams it does not have in memory.
    """

    def __init__(
        self,
        domain: Domain[C, E, S],
        store: Any = None,
        *,
        clock: Callable[[], int] | None = None,
        ids: Callable[[], str] = random_ids,
        max_retries: int = 3,
        cache_size: int = 10_000,
        snapshots: Snapshots | None = None,
    ):
        if store is None:
            store = InMemoryEventStore(clock=clock or system_clock, ids=ids)
        elif clock is not None:
            raise TypeError("the store stamps events with its own clock: pass the clock to the store")
        self.domain = domain
        self.store = store
        self.max_retries = max_retries
        self.cache_size = cache_size
        self.snapshots = snapshots
        self._ids = ids
        self._states: OrderedDict[str, tuple[S, int]] = OrderedDict()  # stream -> (state, version), recent last
        self._states_lock = threading.Lock()  # threads (a web server's) share one service

    def handle(
        self,
        command: C,
        *,
        causation_id: str | None = None,
        correlation_id: str | None = None,
        actor: str | None = None,
        expected_version: int | None = None,
    ) -> list[RecordedEvent]:
        """Decide and record; return the recorded events, or raise the domain's error.

        ``causation_id`` is the id of the message that caused this command (an
        event a process reacted to); ``correlation_id`` the conversation it
        belongs to (by default a new one: the command's own id); ``actor`` who
        sent it.  With ``expected_version`` the command is decided only
        against that version of the stream and is never retried: a
        ``ConcurrencyError`` says someone else changed it first.
        """
        given_id = getattr(command, "command_id", None)
        command_id = given_id or self._ids()
        stream_id = self.domain.stream_of(command)
        # A command sent without an id cannot be sent again under the id given to it here, so it needs
        # no idempotency record, unless the record is kept to say what caused the command.
        keep_record = given_id is not None or causation_id is not None
        wanted = self.domain.fingerprint(command) if keep_record else ""
        for attempt in range(self.max_retries + 1):
            if given_id is not None:  # an id of our own making cannot have been used before
                earlier = self.store.command_record(command_id)
                if earlier is not None:
                    return self._first_result(earlier, wanted)
            state, version = self.load(stream_id)
            if expected_version is not None and expected_version != version:
                raise ConcurrencyError(stream_id, expected_version, version)
            events = self._decided(command, state)
            record = (
                CommandRecord(command_id, wanted, stream_id, version + 1, version + len(events), causation_id)
                if keep_record
                else None
            )
            try:
                recorded = self.store.append(
                    stream_id,
                    events,
                    expected_version=version,
                    correlation_id=correlation_id or command_id,
                    causation_id=command_id,
                    actor=actor,
                    command=record,
                )
            except ConcurrencyError:
                if expected_version is not None or attempt == self.max_retries:
                    raise
                continue
            for r in recorded:
                state = self.domain.evolve(state, r.event)
            self._keep(stream_id, state, recorded[-1].version if recorded else version)
            return recorded
        raise AssertionError("unreachable")

    def _decided(self, command: C, state: S) -> list[E]:
        """``decide``'s events, as a list; a ``decide`` that returns anything else is named, with what it returned."""
        events = self.domain.decide(command, state)
        if isinstance(events, (str, bytes)) or not isinstance(events, Iterable):
            raise TypeError(
                f"{self.domain.name}: decide({type(command).__name__}, state) returned {events!r:.80}: decide returns "
                f"a list of events (an empty list when nothing happens)"
            )
        return list(events)

    def _first_result(self, record: CommandRecord, wanted: str) -> list[RecordedEvent]:
        if record.fingerprint != wanted:
            raise CommandIdReused(record.command_id, record.fingerprint, wanted)
        events = self.store.read_stream(record.stream_id, record.first_version)
        return events[: record.last_version - record.first_version + 1]

    def load(self, stream_id: str) -> tuple[S, int]:
        """The stream's current state and version: the cached state plus what was recorded since."""
        with self._states_lock:
            cached = self._states.get(stream_id)
        if cached is None and self.snapshots is not None:
            cached = self.snapshots.load(stream_id, self.domain)
            if cached is not None:
                self._keep(stream_id, *cached)
        state, version = cached if cached is not None else (self.domain.initial_state, 0)
        newer = self.store.read_stream(stream_id, version + 1)
        if newer:
            evolve = self.domain.evolve
            for recorded in newer:
                state = evolve(state, recorded.event)
            version = newer[-1].version
            self._keep(stream_id, state, version)
        return state, version

    def _keep(self, stream_id: str, state: S, version: int) -> None:
        """Cache ``state`` at ``version`` (unless a newer one is cached), and consider a durable snapshot."""
        with self._states_lock:
            cached = self._states.get(stream_id)
            if cached is not None:
                if cached[1] > version:
                    return  # another thread has kept a newer state meanwhile
                self._states.move_to_end(stream_id)
            self._states[stream_id] = (state, version)
            if len(self._states) > self.cache_size:
                self._states.popitem(last=False)
        if self.snapshots is not None:
            self.snapshots.consider(stream_id, state, version, self.domain)

    def state(self, stream_id: str) -> S:
        """The stream's current state, as the fold of its whole stream would give it."""
        return self.load(stream_id)[0]

    def state_at(self, stream_id: str, *, version: int | None = None, at: int | None = None) -> S:
        """Time travel: the stream's state right after its event number ``version`` (0: before its first),
        or as it was at ``at`` (Unix seconds: the events recorded at or before it).  Nothing is cached:
        this is the fold of a prefix of the stream, read from the store."""
        if (version is None) == (at is None):
            raise TypeError("give version or at, one of them")
        events = self.store.read_stream(stream_id)
        if version is not None:
            if not 0 <= version <= len(events):
                raise ValueError(f"{stream_id} has versions 0 to {len(events)}, not {version}")
            return self.domain.fold(r.event for r in events[:version])
        return self.domain.fold(r.event for r in events if r.recorded_at <= at)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} of {self.domain.name} on {self.store!r}>"
