"""Replay a log through the domain rules, line by line, into a fresh store.

A log from elsewhere (a file, another system, a hand-written seed) is only
trusted after every event in it has been checked: for each line, replay
asks the decider for the command that would record that event
(``OrderPaid`` <- ``PayOrder`` of the order's amount, and so on), against the
state of the order so far.  If the rules refuse, or would record something
else, the log is wrong at that line: ``ReplayError`` names it and the rule.

What a line carries is kept: its time (the store's clock is set to each
line's timestamp), its event id and its correlation and causation ids, so a
replayed log written out again is the same file.  Lines without ids
(seed-style ``{"eventType": ..., "orderId": ..., "timestamp": ...}``) get
fresh seeded event ids, and versions and positions in file order; a refund
without an id gets the one the rules give it.  Each line
is decided on its own, not through ``Shop.handle``: the two lines a
cancellation records (``RefundCreated``, ``OrderCancelled``) share a causation
id, and the shop would take the second for a retry of the first.
"""
from __future__ import annotations

from typing import Iterable

from .clock import SimulatedClock
from .commands import CancelOrder, Command, ConfirmRefund, PayOrder, PlaceOrder, RequestRefund, ShipOrder
from .events import (DomainEvent, OrderCancelled, OrderCreated, OrderPaid, OrderShipped, RefundCreated,
                     RefundPaid)
from .ids import SeededIds
from .jsonl import LoggedEvent
from .order import OrderError, OrderState, decide, fold
from .shop import Shop, stream_for
from .store import InMemoryEventStore, RecordedEvent

__all__ = ["ReplayError", "replay", "decide_line", "command_for"]


class ReplayError(ValueError):
    """A line of the log breaks a rule; ``line`` says which, ``problem`` says how."""

    def __init__(self, line: int, event_type: str, problem: str):
        self.line, self.event_type, self.problem = line, event_type, problem
        super().__init__(f"line {line}: {event_type}: {problem}")


def command_for(event: DomainEvent, state: OrderState) -> Command:
    """The command that records ``event`` when the order is in ``state``.

    A ``RefundPaid`` without a refund id confirms the order's oldest unpaid refund.
    """
    match event:
        case OrderCreated():
            return PlaceOrder(event.order_id, event.amount, event.customer_id)
        case OrderPaid():
            return PayOrder(event.order_id, state.amount)
        case RefundCreated():
            return RequestRefund(event.order_id, event.amount, event.reason, event.refund_id)
        case RefundPaid():
            unpaid = state.unpaid_refunds()
            return ConfirmRefund(event.order_id, event.refund_id or (unpaid[0].refund_id if unpaid else None))
        case OrderCancelled():
            return CancelOrder(event.order_id, event.reason)
        case OrderShipped():
            return ShipOrder(event.order_id)
    raise TypeError(f"not an order event: {event!r}")


class _LineIds:
    """Event ids for the replay store: the line's own id if it has one, else a fresh seeded id."""

    def __init__(self, seed: int):
        self.line_id: str | None = None
        self._fresh = SeededIds(seed)

    def __call__(self) -> str:
        event_id, self.line_id = self.line_id, None
        return event_id or self._fresh()


def decide_line(logged: LoggedEvent, history: list[RecordedEvent], position: int) -> list[DomainEvent]:
    """The events the rules record for one line, given its stream so far and the
    position it takes in the log; ``OrderError`` or ``ValueError`` says why none."""
    version = len(history) + 1
    if logged.version not in (None, version):
        raise ValueError(f"version {logged.version}, but it is event {version} of its stream "
                         f"(is a line missing, or out of order?)")
    if logged.position not in (None, position):
        raise ValueError(f"position {logged.position}, but it is event {position} of the log "
                         f"(is a line missing, or out of order?)")
    state = fold(r.event for r in history)
    decided = decide(command_for(logged.event, state), state)
    if len(decided) > 1:  # cancelling a paid order refunds it: the log lacks that RefundCreated
        names = " and ".join(type(e).__name__ for e in decided)
        raise ValueError(f"order {state.order_id}: the rules would record {names} here, "
                         f"but the log has only this line")
    return decided


def replay(log: Iterable[LoggedEvent], *, seed: int = 0) -> Shop:
    """Check every event of ``log`` against the rules; return a shop whose store holds them.

    ``log`` is what ``read_jsonl`` returns (a store's ``read_all()`` works
    too).  Raises ``ReplayError`` at the first line that breaks a rule, and
    nothing is kept.  The store's clock is a ``SimulatedClock``, left at the
    last line's time; ``seed`` seeds the ids the log does not have.
    """
    clock = SimulatedClock()
    ids = _LineIds(seed)
    store = InMemoryEventStore(clock=clock, ids=ids)
    for number, logged in enumerate(log, 1):
        stream_id = stream_for(logged.event.order_id)
        history = store.read_stream(stream_id)
        try:
            decided = decide_line(logged, history, store.last_position + 1)
        except (OrderError, ValueError) as problem:
            line = getattr(logged, "line", None) or number
            raise ReplayError(line, logged.event_type, str(problem)) from None
        clock.now = logged.recorded_at
        ids.line_id = logged.event_id
        store.append(stream_id, decided, expected_version=len(history),
                     correlation_id=logged.correlation_id, causation_id=logged.causation_id)
    return Shop(store, ids=ids)
