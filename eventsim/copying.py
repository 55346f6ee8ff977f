"""Copy a log into an empty store, every event as it was recorded.

Replaying a log means *folding* it: the events are facts, and a copy keeps
them as they are, whatever today's rules would decide (checking a log
against today's rules is another operation: ``eventsim.shop.rule_check``).  So a
copy records each line with its own event id, time, stream, correlation and
causation ids and actor, in the order of the log; the new store numbers the
positions 1, 2, 3, ... (a database's positions may have gaps).

The log is checked as a store checks an append, and nothing more: no event
id twice, times never earlier than the line before, positions increasing,
versions without gaps.  Lines that share a causation id in one stream, one
after the other, were recorded by one append (cancelling a paid order
records ``RefundCreated`` and ``OrderCancelled`` together) and are copied by one.

A line without an event id (``{"eventType": ..., "orderId": ..., "timestamp": ...}``,
as the seed article writes them) gets one derived from the log itself: the
same every time for the same log, different for different logs (a name-based
UUID, version 5, of the line and the event id of the line before it).
"""

from __future__ import annotations

import uuid
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from .bulk import collector_paused
from .clock import SimulatedClock
from .jsonl import to_json
from .registry import event_type, event_type_name
from .store import ANY, ConcurrencyError, InMemoryEventStore

__all__ = ["LogError", "copy_log", "appends"]

# The namespace of the ids a copy derives: uuid5(_NAMESPACE, text) names ``text`` and nothing else.
_NAMESPACE = uuid.UUID("5d0c6b1e-8a8e-4f55-9d7e-3b2f0b1f6a10")


class LogError(ValueError):
    """A line of the log cannot be recorded as it stands; ``line`` says which, ``problem`` says why."""

    def __init__(self, line: int, event_type: str, problem: str):
        self.line, self.event_type, self.problem = line, event_type, problem
        super().__init__(f"line {line}: {event_type}: {problem}")


def _derived_id(previous: str, text: str) -> str:
    return str(uuid.uuid5(_NAMESPACE, f"{previous}\n{text}"))


@dataclass(slots=True)
class Line:
    """One line of the log, numbered, with the event id and the stream it has."""

    number: int
    logged: Any  # a LoggedEvent, or a RecordedEvent read from a store
    event_id: str
    stream_id: str

    def error(self, problem: str) -> LogError:
        return LogError(self.number, event_type_name(self.logged.event), problem)


def appends(log: Iterable[Any]) -> Iterator[list[Line]]:
    """The log's lines, with their event ids and streams, one list per append, each checked as a store
    checks an append before it is handed out.

    A line's stream is the one it names (``streamId``); a line that names none (the seed's) is kept
    where its domain's rule puts it (``Domain.event_stream``), or refused when its domain has none.
    """
    event_ids: dict[str, int] = {}  # event id -> its line
    previous: Line | None = None
    group: list[Line] = []
    event_id = ""
    for number, logged in enumerate(log, 1):
        event_id = logged.event_id or _derived_id(event_id, to_json(logged))
        stream_id = logged.stream_id
        if stream_id is None:
            rule = event_type(logged.event).stream_of
            if rule is None:
                raise LogError(
                    getattr(logged, "line", None) or number,
                    logged.event_type,
                    "names no streamId, and its domain gives no rule for one (Domain.event_stream)",
                )
            stream_id = rule(logged.event)
        line = Line(getattr(logged, "line", None) or number, logged, event_id, stream_id)
        _check_line(line, previous, event_ids)
        previous = line
        if group and not _same_append(line, group[0]):
            yield group
            group = []
        group.append(line)
    if group:
        yield group


def _same_append(line: Line, first: Line) -> bool:
    """Whether ``line`` was recorded in the append that recorded ``first``: one command's events share their
    stream, causation, time, correlation and actor (two appends may share a causation id, never all five)."""
    a, b = line.logged, first.logged
    return a.causation_id is not None and (
        a.causation_id,
        line.stream_id,
        a.recorded_at,
        a.correlation_id,
        a.actor,
    ) == (b.causation_id, first.stream_id, b.recorded_at, b.correlation_id, b.actor)


def _check_line(line: Line, previous: Line | None, event_ids: dict[str, int]) -> None:
    logged = line.logged
    if line.event_id in event_ids:
        raise line.error(
            f"event id {line.event_id!r} is the id of line {event_ids[line.event_id]} too: an event id names one event"
        )
    event_ids[line.event_id] = line.number
    if previous is not None:
        before = previous.logged
        if logged.recorded_at < before.recorded_at:
            raise line.error(
                f"timestamp {logged.recorded_at} is earlier than line {previous.number}'s "
                f"{before.recorded_at}: a log lists events in the order they were recorded"
            )
        if logged.position is not None and before.position is not None and logged.position <= before.position:
            raise line.error(
                f"position {logged.position}, but line {previous.number} has position "
                f"{before.position}: positions only increase (is the log out of order?)"
            )


class _LogIds:
    """The new store's event ids: those of the lines being copied, in order; then the log's continuation."""

    def __init__(self) -> None:
        self.pending: deque[str] = deque()
        self.last = ""

    def __call__(self) -> str:
        self.last = self.pending.popleft() if self.pending else _derived_id(self.last, "")
        return self.last


def copy_log(
    log: Iterable[Any],
    *,
    make_store: Callable[..., Any] = InMemoryEventStore,
) -> Any:
    """Record every event of ``log`` into a new, empty store, as it was recorded; return the store.

    ``log`` is what ``read_jsonl`` or ``iter_jsonl`` gives (a store's ``read_all()`` works too).
    ``make_store(clock=..., ids=...)`` opens the store (e.g. ``functools.partial(open_store, url)``);
    it must be empty.  Its clock is a ``SimulatedClock`` left at the last line's time, and its ids go
    on from the log's.  Raises ``LogError`` at the first line a store could not record as it stands
    (or ``EventFormatError`` from the reader); no business rule is asked.  A bulk operation: it
    pauses Python's cycle collector while it runs (``eventsim.bulk``).
    """
    clock = SimulatedClock()
    ids = _LogIds()
    store = make_store(clock=clock, ids=ids)
    if len(store):
        held = len(store)
        if hasattr(store, "close"):
            store.close()
        raise ValueError(f"the store already holds {held:,} events: a log is copied into an empty store only")
    with collector_paused():
        _copy(appends(log), store, clock, ids)
    return store


def _copy(groups: Iterator[list[Line]], store: Any, clock: SimulatedClock, ids: _LogIds) -> None:
    """Each group of lines, recorded by one append, with the event ids and the time the lines give."""
    for group in groups:
        first = group[0]
        version = first.logged.version
        if version is not None:
            for offset, line in enumerate(group[1:], 1):
                if line.logged.version not in (None, version + offset):
                    raise line.error(f"version {line.logged.version}, but it is event {version + offset} of its stream")
        clock.now = first.logged.recorded_at
        ids.pending.extend(line.event_id for line in group)
        try:
            store.append(
                first.stream_id,
                [line.logged.event for line in group],
                ANY if version is None else version - 1,
                correlation_id=first.logged.correlation_id,
                causation_id=first.logged.causation_id,
                actor=first.logged.actor,
            )
        except ConcurrencyError as error:
            raise first.error(
                f"version {version}, but its stream {first.stream_id!r} holds {error.actual} events before it "
                f"(is a line missing, or out of order?)"
            ) from None
        finally:
            ids.pending.clear()
