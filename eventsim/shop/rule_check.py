"""The shop's rules against a log: which lines would today's order rules refuse?

``check_log`` is the engine's check (``eventsim.rule_check``) for the order domain: each
event is taken back to the command that records it (``command_for``: ``OrderPaid`` <-
``PayOrder`` of the order's amount, and so on) and decided again by today's ``decide``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .. import rule_check as rules
from ..rule_check import RuleViolation
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
from .order import ORDERS, OrderState

__all__ = ["RuleViolation", "check_log", "command_for"]


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


def check_log(log: Iterable[Any]) -> list[RuleViolation]:
    """Every line of ``log`` that today's order rules would refuse, in order; an empty list if none.

    ``log`` is what ``read_jsonl`` or ``iter_jsonl`` gives (or a store's ``read_all()``).  A line
    that no store could record as it stands raises ``LogError`` (``eventsim.copying``).
    """
    return rules.check_log(log, ORDERS, command_for)
