"""The order domain as a Decider: an initial state and two functions, ``decide`` and ``evolve``;
and ``ORDERS``, the order domain as the engine is given it (``eventsim.domain``).

Pure functions, no I/O and no clock: every business rule is a branch in
``decide`` (command -> events, or an ``OrderError``), every change of state a
branch in ``evolve`` (state + event -> new state).  The current state of an
order is the left fold of its events: ``fold(events)``.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable
from dataclasses import dataclass, fields
from decimal import Decimal
from functools import reduce
from typing import Any

from immutables import Map

from ..domain import Domain, state_shape
from ..money import to_money
from .commands import CancelOrder, Command, ConfirmRefund, PayOrder, PlaceOrder, RequestRefund, ShipOrder, fingerprint
from .events import (
    EVENT_TYPES,
    DomainEvent,
    OrderCancelled,
    OrderCreated,
    OrderPaid,
    OrderShipped,
    RefundCreated,
    RefundPaid,
)
from .streams import event_stream, stream_of

__all__ = [
    "ORDERS",
    "STATE_SCHEMA",
    "STATE_VERSION",
    "state_from_json",
    "state_to_json",
    "OrderState",
    "Refund",
    "order_status",
    "STAGES",
    "REFUND_STAGES",
    "STATUSES",
    "initial_state",
    "decide",
    "evolve",
    "fold",
    "OrderError",
    "OrderNotFound",
    "OrderAlreadyPlaced",
    "InvalidAmount",
    "OrderNotPaid",
    "OrderAlreadyPaid",
    "WrongPaymentAmount",
    "OrderAlreadyCancelled",
    "OrderAlreadyShipped",
    "RefundExceedsPayment",
    "DuplicateRefund",
    "UnknownRefund",
    "RefundAlreadyPaid",
    "OrderFullyRefunded",
]

ZERO = Decimal(0)


# --- Status: one rule, for the state and for every read model ---------------

#: Where the order itself is: the later stage wins (cancelled and shipped are final).
STAGES = ("placed", "paid", "shipped", "cancelled")
#: Where its refunds are, if it has any: requested (money not moved yet), or paid out.
REFUND_STAGES = ("refund requested", "partially refunded", "refunded")
#: Every status an order can have once placed, e.g. "shipped, partially refunded".
STATUSES = (
    "placed",
    *(f"{stage}{refunds}" for stage in STAGES[1:] for refunds in ("", *(f", {r}" for r in REFUND_STAGES))),
)


def order_status(
    placed: bool, paid: Decimal, refunds_requested: Decimal, refunds_paid: Decimal, cancelled: bool, shipped: bool
) -> str:
    """The status people see: the order's stage, then where its refunds are.

    An order is "refunded" only when the provider has paid the money out
    (``RefundPaid``); until then it is "refund requested".  Shipping and
    refunding are independent, so a shipped order that was partly refunded
    says both: "shipped, partially refunded".
    """
    if not placed:
        return "new"
    stage = "cancelled" if cancelled else "shipped" if shipped else "paid" if paid else "placed"
    if not refunds_requested:
        return stage
    if refunds_paid < refunds_requested:
        return f"{stage}, refund requested"
    return f"{stage}, refunded" if refunds_paid == paid else f"{stage}, partially refunded"


# --- State -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Refund:
    """One requested refund; ``number`` says which: 1 for the order's first refund, 2 for the next, ..."""

    refund_id: str
    amount: Decimal
    number: int
    paid: bool = False


@dataclass(frozen=True)
class OrderState:
    """What the decider needs to know about one order.

    ``refunds`` maps each refund id to its ``Refund``.  It is a persistent map
    (``immutables.Map``): adding a refund makes a new map that shares the old
    entries instead of copying them, so ``evolve`` does the same small amount
    of work for the 4,000th refund as for the first.

    ``customer_id`` and ``currency`` take no part in any rule; they are kept
    so that a state computed for time travel says whose order it is, and in
    which currency.  The state does not count its events: how many a stream
    holds is the store's to say (each event's ``version``), not the domain's.
    """

    order_id: str | None = None
    customer_id: str | None = None
    amount: Decimal = ZERO
    currency: str | None = None
    paid: Decimal = ZERO
    refunds: Map[str, Refund] = Map()
    refunds_requested: Decimal = ZERO  # every refund asked for, paid out or not
    refunds_paid: Decimal = ZERO  # the refunds the provider has paid out
    cancelled: bool = False
    shipped: bool = False

    def but(self, **changes: Any) -> OrderState:
        """This state with ``changes`` made: what ``dataclasses.replace(self, **changes)`` returns, faster.

        ``evolve`` makes a new state for every event of every fold.  ``replace``
        passes all ten fields through ``__init__``, where a frozen dataclass
        sets each one through ``object.__setattr__``: a third of the time of
        rebuilding an order.  Here the new state gets a copy of this one's field
        dictionary with the changes made.  That is why ``OrderState`` has no
        ``__slots__``: a state takes about 200 bytes more, and states are only
        cached, never stored.  A field that does not exist is refused, as
        ``replace`` refuses it.
        """
        values = self.__dict__.copy()
        values.update(changes)
        if len(values) != len(self.__dict__):  # a name that is no field added a key: cheaper to count than to look
            raise TypeError(
                f"{type(self).__name__} has no field {', '.join(sorted(changes.keys() - self.__dict__.keys()))}"
            )
        new = object.__new__(type(self))  # no __init__: it gets its fields here, all at once
        object.__setattr__(new, "__dict__", values)
        return new

    @property
    def placed(self) -> bool:
        return self.order_id is not None

    @property
    def net(self) -> Decimal:
        """What the shop keeps once every requested refund is paid out."""
        return self.paid - self.refunds_requested

    @property
    def status(self) -> str:
        return order_status(
            self.placed, self.paid, self.refunds_requested, self.refunds_paid, self.cancelled, self.shipped
        )

    def refund(self, refund_id: str | None) -> Refund | None:
        return None if refund_id is None else self.refunds.get(refund_id)

    def unpaid_refunds(self) -> list[Refund]:
        """The refunds not paid out yet, oldest first."""
        return sorted((r for r in self.refunds.values() if not r.paid), key=lambda r: r.number)


initial_state = OrderState()


# --- Rules -----------------------------------------------------------------


class OrderError(Exception):
    """A command broke a business rule; nothing was recorded.

    Each subclass is one rule; the message names the order and the rule.
    """

    rule = "a business rule"

    def __init__(self, order_id: str, problem: str):
        self.order_id = order_id
        self.problem = problem
        super().__init__(f"order {order_id}: {problem} (rule: {self.rule})")


class OrderNotFound(OrderError):
    rule = "an order must be placed before anything else can happen to it"


class OrderAlreadyPlaced(OrderError):
    rule = "an order id is placed once"


class InvalidAmount(OrderError):
    rule = "amounts are positive with at most two decimal places"


class OrderNotPaid(OrderError):
    rule = "refund or ship only a paid order"


class OrderAlreadyPaid(OrderError):
    rule = "an order is paid once"


class WrongPaymentAmount(OrderError):
    rule = "pay exactly the order's amount"


class OrderAlreadyCancelled(OrderError):
    rule = "a cancelled order cannot be paid, shipped or cancelled again"


class OrderAlreadyShipped(OrderError):
    rule = "cancel only before shipping; ship once"


class RefundExceedsPayment(OrderError):
    rule = "the refunds of an order never add up to more than was paid"


class DuplicateRefund(OrderError):
    rule = "a refund id is requested once"


class UnknownRefund(OrderError):
    rule = "confirm only a refund that was requested"


class RefundAlreadyPaid(OrderError):
    rule = "a refund is confirmed once"


class OrderFullyRefunded(OrderError):
    rule = "ship only an order that is not fully refunded"


def _valid_amount(order_id: str, amount: object) -> Decimal:
    try:
        value = to_money(amount)
    except ValueError as error:
        raise InvalidAmount(order_id, str(error)) from None
    if value <= ZERO:
        raise InvalidAmount(order_id, f"amount {value} is not positive")
    return value


def _new_refund_id(state: OrderState) -> str:
    """The first free ``"R<n>"``: a refund id chosen by hand may hold the next number.

    A refund id names a refund within its order; two orders may both have an ``R1``.
    """
    number = len(state.refunds) + 1
    while state.refund(f"R{number}"):
        number += 1
    return sys.intern(f"R{number}")  # most orders have an "R1": one shared string, not 51 bytes each


def _require_placed(command: Command, state: OrderState) -> None:
    if not state.placed:
        raise OrderNotFound(command.order_id, "no such order")


def decide(command: Command, state: OrderState) -> list[DomainEvent]:
    """Return the events that ``command`` causes in ``state``, or raise ``OrderError``."""
    order_id = command.order_id
    match command:
        case PlaceOrder():
            if state.placed:
                raise OrderAlreadyPlaced(order_id, "this order id was already placed")
            amount = _valid_amount(order_id, command.amount)
            return [OrderCreated(order_id, amount, command.customer_id, command.currency, command.personal_data)]

        case PayOrder():
            _require_placed(command, state)
            if state.cancelled:
                raise OrderAlreadyCancelled(order_id, "cannot pay a cancelled order")
            if state.paid:
                raise OrderAlreadyPaid(order_id, "the order is already paid")
            amount = _valid_amount(order_id, command.amount)
            if amount != state.amount:
                raise WrongPaymentAmount(order_id, f"paid {amount:.2f} but the order is for {state.amount:.2f}")
            return [OrderPaid(order_id)]

        case RequestRefund():
            _require_placed(command, state)
            if not state.paid:
                raise OrderNotPaid(order_id, "cannot refund an unpaid order")
            amount = _valid_amount(order_id, command.amount)
            if state.refunds_requested + amount > state.paid:
                raise RefundExceedsPayment(
                    order_id,
                    f"a refund of {amount:.2f} would bring refunds to "
                    f"{state.refunds_requested + amount:.2f}, more than the {state.paid:.2f} paid",
                )
            refund_id = command.refund_id or _new_refund_id(state)
            if state.refund(refund_id):
                raise DuplicateRefund(order_id, f"refund {refund_id} was already requested")
            return [RefundCreated(order_id, amount, refund_id, command.reason)]

        case ConfirmRefund():
            _require_placed(command, state)
            if command.refund_id is None:
                raise UnknownRefund(order_id, "a confirmation names the refund it confirms: give its refund_id")
            refund = state.refund(command.refund_id)
            if refund is None:
                raise UnknownRefund(order_id, f"refund {command.refund_id} was never requested")
            if refund.paid:
                raise RefundAlreadyPaid(order_id, f"refund {command.refund_id} is already paid")
            return [RefundPaid(order_id, command.refund_id)]

        case CancelOrder():
            _require_placed(command, state)
            if state.cancelled:
                raise OrderAlreadyCancelled(order_id, "the order is already cancelled")
            if state.shipped:
                raise OrderAlreadyShipped(order_id, "cannot cancel a shipped order")
            events: list[DomainEvent] = []
            outstanding = state.paid - state.refunds_requested
            if outstanding > 0:
                refund_id = _new_refund_id(state)
                events.append(RefundCreated(order_id, outstanding, refund_id, "order cancelled"))
            events.append(OrderCancelled(order_id, command.reason))
            return events

        case ShipOrder():
            _require_placed(command, state)
            if state.cancelled:
                raise OrderAlreadyCancelled(order_id, "cannot ship a cancelled order")
            if not state.paid:
                raise OrderNotPaid(order_id, "cannot ship an unpaid order")
            if state.shipped:
                raise OrderAlreadyShipped(order_id, "the order is already shipped")
            if state.refunds_requested == state.paid:
                raise OrderFullyRefunded(order_id, "cannot ship a fully refunded order")
            return [OrderShipped(order_id)]

    raise TypeError(f"not an order command: {command!r}")


# --- State changes ---------------------------------------------------------


def evolve(state: OrderState, event: DomainEvent) -> OrderState:
    """Apply one event.  Events are facts: ``evolve`` never rejects them."""
    match event:
        case OrderCreated():  # the stream's first event: ``state`` is the initial one
            return state.but(
                order_id=event.order_id,
                customer_id=event.customer_id,
                amount=event.amount,
                currency=event.currency,
            )
        case OrderPaid():
            return state.but(paid=state.amount)
        case RefundCreated():
            refund = Refund(event.refund_id or _new_refund_id(state), event.amount, len(state.refunds) + 1)
            return state.but(
                refunds=state.refunds.set(refund.refund_id, refund),
                refunds_requested=state.refunds_requested + event.amount,
            )
        case RefundPaid():
            if event.refund_id is None:  # a log that names no refund (the seed's never do): the oldest unpaid one
                unpaid = state.unpaid_refunds()
                requested = unpaid[0] if unpaid else None
            else:
                requested = state.refunds.get(event.refund_id)
            if requested is None or requested.paid:  # a log that pays an unknown refund: nothing to mark
                return state
            paid_out = Refund(requested.refund_id, requested.amount, requested.number, paid=True)
            return state.but(
                refunds=state.refunds.set(paid_out.refund_id, paid_out),
                refunds_paid=state.refunds_paid + paid_out.amount,
            )
        case OrderCancelled():
            return state.but(cancelled=True)
        case OrderShipped():
            return state.but(shipped=True)
    raise TypeError(f"not an order event: {event!r}")


def fold(events: Iterable[DomainEvent], state: OrderState = initial_state) -> OrderState:
    """The state after ``events``: ``evolve`` applied to each in turn."""
    return reduce(evolve, events, state)


# --- The domain, as the engine is given it --------------------------------------------

#: Bump when what a state field means changes (``evolve`` or an upcaster computes it differently).
#: 1: OrderState before orders had a currency.  2: with ``currency``.  3: refunds numbered, no version.
STATE_VERSION = 3

#: What a snapshot must say it holds to be used: the version and the shape of today's state.
STATE_SCHEMA = f"{STATE_VERSION}:{state_shape(OrderState, Refund)}"


def state_to_json(state: OrderState) -> str:
    """The state as JSON: amounts as exact decimal strings, refunds in the order they were requested."""
    data: dict[str, Any] = {}
    for f in fields(OrderState):
        value = getattr(state, f.name)
        if f.name == "refunds":
            value = [
                [r.refund_id, str(r.amount), r.number, r.paid] for r in sorted(value.values(), key=lambda r: r.number)
            ]
        elif isinstance(value, Decimal):
            value = str(value)
        data[f.name] = value
    return json.dumps(data, separators=(",", ":"))


def state_from_json(text: str) -> OrderState:
    """The state that ``state_to_json`` wrote (of today's schema: check the snapshot's schema first)."""
    data = json.loads(text)
    values: dict[str, Any] = {}
    for f in fields(OrderState):
        value = data[f.name]
        if f.name == "refunds":
            value = Map({r[0]: Refund(r[0], Decimal(r[1]), r[2], r[3]) for r in value})
        elif isinstance(getattr(initial_state, f.name), Decimal):
            value = Decimal(value)
        values[f.name] = value
    return OrderState(**values)


#: The order domain: its six events, its decider, one stream per order, and its snapshots' shape.
ORDERS: Domain[Command, DomainEvent, OrderState] = Domain(
    name="orders",
    events=tuple(EVENT_TYPES.values()),
    initial_state=initial_state,
    decide=decide,
    evolve=evolve,
    stream_of=stream_of,
    event_stream=event_stream,
    fingerprint=fingerprint,
    state_schema=STATE_SCHEMA,
    state_to_json=state_to_json,
    state_from_json=state_from_json,
)
