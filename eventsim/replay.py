"""Replay a log through the one write path, ``Shop.handle``, into a fresh store.

A log from elsewhere (a file, another system, a hand-written seed) is only
trusted once every event in it has been recorded again by the rules.  Each
command the log records is sent to a shop, as the command that would record
those events (``OrderPaid`` <- ``PayOrder`` of the order's amount, and so on),
and what the rules record must be what the log says.  If the rules refuse,
or record something else, the log is wrong at that line: ``ReplayError``
names it and the rule.

A command is the lines that share a causation id in one stream, one after the
other: cancelling a paid order records ``RefundCreated`` and ``OrderCancelled``
under one ``CancelOrder``.  A line without a causation id is a command of its
own.  The log is checked as a store checks an append: no event id twice,
times never earlier than the line before, versions without gaps, positions
increasing (a database's positions may have gaps; the replayed store numbers
them 1, 2, 3, ...).

What a line carries is kept: its time, event id, correlation and causation
ids, and actor; so a replayed log written out again is the same file.  A
line without ids (``{"eventType": ..., "orderId": ..., "timestamp": ...}``)
gets ids derived from the log itself, the same ones every time for the same
log, different for different logs: its event id is a name-based UUID
(version 5) of the line and the event id of the line before it, and its
command id one of its event id; two logs share ids only where they begin
with the same lines.  Fields the line leaves out, the rules fill in: a
refund gets the id the rules give it, and a ``RefundPaid`` without a refund
id pays the order's oldest unpaid refund.
"""

from __future__ import annotations

import uuid
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, fields
from typing import Any

from .clock import SimulatedClock
from .commands import (
    CancelOrder,
    Command,
    ConfirmRefund,
    PayOrder,
    PlaceOrder,
    RequestRefund,
    ShipOrder,
)
from .events import (
    DomainEvent,
    OrderCancelled,
    OrderCreated,
    OrderPaid,
    OrderShipped,
    RefundCreated,
    RefundPaid,
    event_type_name,
)
from .jsonl import LoggedEvent, to_json
from .order import OrderError, OrderState
from .shop import CommandIdReused, Shop
from .store import InMemoryEventStore, RecordedEvent
from .streams import stream_for

__all__ = ["ReplayError", "command_for", "replay"]

# The namespace of the ids replay derives: uuid5(_NAMESPACE, text) names ``text`` and nothing else.
_NAMESPACE = uuid.UUID("5d0c6b1e-8a8e-4f55-9d7e-3b2f0b1f6a10")


class ReplayError(ValueError):
    """A line of the log breaks a rule; ``line`` says which, ``problem`` says how."""

    def __init__(self, line: int, event_type: str, problem: str):
        self.line, self.event_type, self.problem = line, event_type, problem
        super().__init__(f"line {line}: {event_type}: {problem}")


def command_for(event: DomainEvent, state: OrderState, command_id: str | None = None) -> Command:
    """The command that records ``event`` (with any events the rules add before it)
    when the order is in ``state``.  A ``RefundPaid`` without a refund id pays the
    order's oldest unpaid refund (``replay`` names it first: see ``_AwaitingPayout``)."""
    match event:
        case OrderCreated():
            return PlaceOrder(
                event.order_id, event.amount, event.customer_id, command_id, event.currency, event.personal_data
            )
        case OrderPaid():
            return PayOrder(event.order_id, state.amount, command_id)
        case RefundCreated():
            return RequestRefund(event.order_id, event.amount, event.reason, event.refund_id, command_id)
        case RefundPaid():
            refund_id = event.refund_id
            if refund_id is None:  # the oldest unpaid refund
                unpaid = state.unpaid_refunds()
                refund_id = unpaid[0].refund_id if unpaid else None
            return ConfirmRefund(event.order_id, refund_id, command_id)
        case OrderCancelled():
            return CancelOrder(event.order_id, event.reason, command_id)
        case OrderShipped():
            return ShipOrder(event.order_id, command_id)
    raise TypeError(f"not an order event: {event!r:.80}")


def _derived_id(previous: str, text: str) -> str:
    return str(uuid.uuid5(_NAMESPACE, f"{previous}\n{text}"))


class _LogIds:
    """The replay store's event ids: those of the lines being recorded, in order.

    Once the log is replayed, each new id is derived from the one before it,
    so the shop goes on with ids that are the log's own continuation.
    """

    def __init__(self) -> None:
        self.pending: deque[str] = deque()
        self.last = ""

    def __call__(self) -> str:
        self.last = self.pending.popleft() if self.pending else _derived_id(self.last, "")
        return self.last


@dataclass(slots=True)
class _Line:
    """One line of the log, numbered, with the event id it will have."""

    number: int
    logged: Any  # a LoggedEvent, or a RecordedEvent read from a store
    event_id: str
    stream_id: str

    def error(self, problem: str) -> ReplayError:
        return ReplayError(self.number, event_type_name(self.logged.event), problem)


class _Log:
    """Groups a log's lines into the commands that recorded them, and checks each
    command's lines as a store checks an append, before it is handled."""

    def __init__(self) -> None:
        self.event_ids: dict[str, int] = {}  # event id -> its line
        self.command_ids: dict[str, int] = {}  # command id -> its first line
        self.previous: _Line | None = None  # the last line checked

    def commands(self, log: Iterable[Any]) -> Iterable[list[_Line]]:
        """The log's lines, with their event ids, one list per command."""
        command: list[_Line] = []
        event_id = ""
        for number, logged in enumerate(log, 1):
            event_id = logged.event_id or _derived_id(event_id, to_json(logged))
            line = _Line(getattr(logged, "line", None) or number, logged, event_id, stream_for(logged.event.order_id))
            if command and not (
                logged.causation_id is not None
                and logged.causation_id == command[0].logged.causation_id
                and line.stream_id == command[0].stream_id
            ):
                yield command
                command = []
            command.append(line)
        if command:
            yield command

    def check(self, command: list[_Line]) -> str:
        """The command's id, once its lines pass the checks an append makes."""
        for line in command:
            self._check_line(line)
        first = command[0]
        command_id = first.logged.causation_id or _derived_id(first.event_id, "command")
        if command_id in self.command_ids:
            raise first.error(
                f"causation id {command_id!r} is the command of line "
                f"{self.command_ids[command_id]} too: a command records its events "
                f"together, once"
            )
        self.command_ids[command_id] = first.number
        for line in command[1:]:  # one command: one append, one time, one envelope
            for attr, meaning in (
                ("recorded_at", "timestamp"),
                ("correlation_id", "correlation id"),
                ("actor", "actor"),
            ):
                if getattr(line.logged, attr) != getattr(first.logged, attr):
                    raise line.error(
                        f"{meaning} {getattr(line.logged, attr)!r}, but line {first.number} of the "
                        f"same command ({command_id!r}) has {getattr(first.logged, attr)!r}"
                    )
        return command_id

    def _check_line(self, line: _Line) -> None:
        logged, previous = line.logged, self.previous
        if line.event_id in self.event_ids:
            raise line.error(
                f"event id {line.event_id!r} is the id of line {self.event_ids[line.event_id]} "
                f"too: an event id names one event"
            )
        self.event_ids[line.event_id] = line.number
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
        self.previous = line


class _AwaitingPayout:
    """For each order that has met a ``RefundPaid`` line without a refund id: its unpaid
    refunds, oldest first, kept up to date as the lines are replayed.

    ``OrderState.unpaid_refunds()`` sorts every refund of the order, which on
    every such line would make replaying one order's thousands of refunds take
    time growing with the square of their number; this queue is sorted once.
    """

    def __init__(self) -> None:
        self.queues: dict[str, deque[str | None]] = {}

    def oldest(self, stream_id: str, state: OrderState) -> str | None:
        queue = self.queues.get(stream_id)
        if queue is None:
            queue = self.queues[stream_id] = deque(refund.refund_id for refund in state.unpaid_refunds())
        while queue and (refund := state.refund(queue[0])) is not None and refund.paid:
            queue.popleft()  # paid meanwhile by a line that named it
        return queue[0] if queue else None

    def recorded(self, stream_id: str, events: list[RecordedEvent]) -> None:
        queue = self.queues.get(stream_id)
        if queue is not None:
            queue.extend(r.event.refund_id for r in events if type(r.event) is RefundCreated)


def _matches(line: DomainEvent, decided: DomainEvent) -> str | None:
    """Why the event the rules recorded is not the line's event, or ``None`` if it is
    (a field the line leaves out takes what the rules give it)."""
    if type(line) is not type(decided):
        return f"the rules record {event_type_name(decided)} here"
    for f in fields(line):
        given = getattr(line, f.name)
        if given is not None and given != getattr(decided, f.name):
            return f"the rules record {f.name} {getattr(decided, f.name)}, the line has {given}"
    return None


def _check_places(command: Sequence[_Line], version: int) -> None:
    """Each line's version is where it lands in its stream (now at ``version``),
    or a line is missing or misplaced."""
    for offset, line in enumerate(command, 1):
        if line.logged.version not in (None, version + offset):
            raise line.error(
                f"version {line.logged.version}, but it is event {version + offset} of its stream "
                f"(is a line missing, or out of order?)"
            )


def _check_recorded(command: Sequence[_Line], recorded: list[RecordedEvent]) -> None:
    """What the rules recorded is what the lines say, event for event."""
    if len(recorded) != len(command):
        names = " and ".join(event_type_name(r.event) for r in recorded)
        if len(recorded) > len(command):
            line = command[-1]
            raise line.error(
                f"order {line.logged.event.order_id}: the rules would record {names} here, "
                f"but the log has only {'this line' if len(command) == 1 else 'these lines'}"
            )
        raise command[len(recorded)].error(
            f"the command of line {command[0].number} records only {names}, not this event"
        )
    for line, r in zip(command, recorded):
        if line.logged.event != r.event:
            problem = _matches(line.logged.event, r.event)
            if problem:
                raise line.error(problem)


def replay(log: Iterable[LoggedEvent | RecordedEvent], *, make_store: Callable[..., Any] = InMemoryEventStore) -> Shop:
    """Record every event of ``log`` again through ``Shop.handle``; return the shop.

    ``log`` is what ``read_jsonl`` returns (a store's ``read_all()`` works
    too).  Raises ``ReplayError`` at the first line that breaks a rule, and
    nothing is kept.  The store's clock is a ``SimulatedClock``, left at the
    last line's time.  ``make_store(clock=..., ids=...)`` opens the store to record into
    (e.g. ``functools.partial(open_store, url)``): it must be empty.
    """
    clock = SimulatedClock()
    ids = _LogIds()
    store = make_store(clock=clock, ids=ids)
    shop = Shop(store, ids=ids)
    lines = _Log()
    awaiting = _AwaitingPayout()
    for command in lines.commands(log):
        first, last = command[0], command[-1]
        command_id = lines.check(command)
        state = shop.state(last.logged.event.order_id)
        _check_places(command, state.version)
        clock.now = first.logged.recorded_at
        ids.pending.extend(line.event_id for line in command)
        event = last.logged.event
        if type(event) is RefundPaid and event.refund_id is None:
            event = RefundPaid(event.order_id, awaiting.oldest(first.stream_id, state))
        request = command_for(event, state, command_id)
        try:
            recorded = shop.handle(
                request,
                correlation_id=first.logged.correlation_id,
                actor=first.logged.actor,
                expected_version=state.version,
            )
        except (OrderError, CommandIdReused) as problem:
            one = (
                f"lines {first.number}-{last.number} share causation id {command_id!r}, so they are one "
                f"{type(request).__name__}, which the rules refuse: "
                if len(command) > 1
                else ""
            )
            raise last.error(f"{one}{problem}") from None
        ids.pending.clear()
        _check_recorded(command, recorded)
        awaiting.recorded(first.stream_id, recorded)
    return shop
