"""Check a log against today's rules: which lines would the shop's rules refuse now?

This is not how a log is loaded.  Events are facts: a copy records them as
they are (``eventsim.copying``), and rebuilding state folds them with
``evolve``, which never refuses one.  But a log from elsewhere (a hand-written
seed, another system, last year's shop) may hold events that today's rules
would not decide: an order shipped unpaid under last year's cash-on-delivery
rules, a refund above a limit introduced since.  ``check_log`` says where.

Each append of the log (the lines that share a causation id in one stream)
is taken back to the command that would record it (``OrderPaid`` <-
``PayOrder`` of the order's amount, and so on) and decided against the state
folded from the lines before it.  Where the rules refuse, or decide other
events, the line is reported; then the log's own events are folded, as
recorded, and the check goes on, so every such line is named, not just the first.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, fields
from typing import Any

from ..copying import Line, appends
from ..registry import event_type_name
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
)
from .order import OrderError, OrderState, decide, evolve, initial_state

__all__ = ["RuleViolation", "check_log", "command_for"]


@dataclass(frozen=True, slots=True)
class RuleViolation:
    """A line that today's rules would not record: which line, which event, and why."""

    line: int
    event_type: str
    problem: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.event_type}: {self.problem}"


def command_for(event: DomainEvent, state: OrderState, command_id: str | None = None) -> Command:
    """The command that records ``event`` (with any events the rules add before it)
    when the order is in ``state``.  A ``RefundPaid`` without a refund id pays the
    order's oldest unpaid refund, as ``evolve`` reads it."""
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


def _verdict(group: list[Line], state: OrderState) -> RuleViolation | None:
    """Why today's rules would not record these lines in ``state``, or ``None`` if they would."""
    last = group[-1]
    event = last.logged.event
    try:
        command = command_for(event, state)
        decided = decide(command, state)
    except (OrderError, TypeError, ValueError) as refused:
        return RuleViolation(last.number, event_type_name(event), str(refused))
    if len(decided) != len(group):
        names = " and ".join(event_type_name(e) for e in decided)
        return RuleViolation(
            last.number, event_type_name(event), f"the rules would record {names} here, not these {len(group)} line(s)"
        )
    for line, expected in zip(group, decided):
        if line.logged.event != expected:
            problem = _matches(line.logged.event, expected)
            if problem:
                return RuleViolation(line.number, event_type_name(line.logged.event), problem)
    return None


def check_log(log: Iterable[Any]) -> list[RuleViolation]:
    """Every line of ``log`` that today's rules would refuse, in order; an empty list if none.

    ``log`` is what ``read_jsonl`` or ``iter_jsonl`` gives (or a store's ``read_all()``).  A line
    that no store could record as it stands raises ``LogError`` (``eventsim.copying``).
    """
    states: dict[str, OrderState] = {}
    violations = []
    for group in appends(log):
        state = states.get(group[0].stream_id, initial_state)
        violation = _verdict(group, state)
        if violation is not None:
            violations.append(violation)
        for line in group:  # the log's events are facts: folded as recorded, whatever the verdict
            state = evolve(state, line.logged.event)
        states[group[0].stream_id] = state
    return violations
