"""The shop's read models (the Q of CQRS) and the queries that read them.

Three projections of the same log, each shaped for the questions it answers,
and each listening to the facts it needs, named in its docstring:

* ``orders_projection``: one ``OrderRow`` per order, keyed by order id;
* ``refunds_projection``: one ``RefundRow`` per refund, keyed by order id, then refund id;
* ``daily_revenue_projection``: one ``DayRow`` per UTC day, across every order
  stream (a multi-stream projection).

A refund is two facts: ``RefundCreated`` (someone asked for the money back:
an intent) and ``RefundPaid`` (the payment provider paid it out: money moved).
A read model that counts money out counts ``RefundPaid``, on the day it
happened; until then the refund is only *requested*.

Each ``apply`` looks the event's type up, checks everything it needs (and
raises ``ValueError`` naming the event if something is missing), and only
then changes a row in place and returns the same state: a replay costs a few
lookups and attribute writes per event, and a failure changes nothing (the
contract on ``Projection``).  Events of other types are passed over, as a read
model only reads the facts it needs; each projection names the types it reads
(``listens_to``), so that a runner does not even hand it the others.

Money is exact: amounts are ``Decimal``, and each amount read is checked to be
positive and at most ``MAX_AMOUNT`` (10**12), so the totals of up to 10**14
orders stay exact in ``Decimal``'s 28 digits.  In DataFrames
money stays ``Decimal`` in columns of dtype ``object``: exact, and ``.sum()``
gives a ``Decimal``.  ``float64`` would be faster but cannot hold 0.10
exactly, so totals would drift by fractions of a cent; convert with
``.astype(float)`` only at the edge, to draw a chart.  Ids and reasons are
pandas ``"string"`` (missing: ``<NA>``); counts are ``int64``; times are
``datetime64[ns, UTC]`` (missing: ``NaT``); ``status`` is a category listing
``eventsim.shop.order.STATUSES``; ``date`` is the UTC midnight that starts the day.

``OrderQueries`` is the query API: it holds the read models' states and
nothing else, so no query can reach a store to append an event.
"""

from __future__ import annotations

from contextlib import suppress
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pandas as pd

from ..clock import to_datetime, to_timestamp
from ..money import MAX_AMOUNT
from ..projections import EVENTUAL, INLINE, Projection, ProjectionFailed, ProjectionRunner, catch_up_all
from ..store import InMemoryEventStore, RecordedEvent
from .events import (
    OrderCancelled,
    OrderCreated,
    OrderPaid,
    OrderShipped,
    RefundCreated,
    RefundPaid,
)
from .order import STATUSES, order_status
from .streams import stream_for

__all__ = [
    "DailyRevenue",
    "DayRow",
    "OrderQueries",
    "OrderRow",
    "RefundRow",
    "ShopReadModels",
    "apply_to_daily_revenue",
    "apply_to_orders",
    "apply_to_refunds",
    "daily_revenue_frame",
    "daily_revenue_projection",
    "history_frame",
    "orders_frame",
    "orders_projection",
    "refunds_frame",
    "refunds_projection",
    "utc_times",
]

ZERO = Decimal("0.00")  # shown as 0.00 in tables, equal to Decimal(0)
CENT = Decimal("0.01")
SECONDS_PER_DAY = 86_400

MONEY = object  # dtype of money columns: Decimal values, exact
TIME = "datetime64[ns, UTC]"


def _refuse(recorded: RecordedEvent, problem: str) -> ValueError:
    return ValueError(f"{recorded.event_type} at position {recorded.position}: {problem}")


def _amount(recorded: RecordedEvent) -> Decimal:
    """The event's amount, if a read model can add it up exactly; otherwise say why not."""
    amount = recorded.event.amount
    if not ZERO < amount <= MAX_AMOUNT:
        raise _refuse(
            recorded, f"amount {amount:.6g} is not between 0 and {MAX_AMOUNT:,}, so it cannot be added up exactly"
        )
    return amount


# --- orders ----------------------------------------------------------------


@dataclass(slots=True)
class OrderRow:
    """One order as the read side shows it.  Times are Unix seconds.

    Listens to every order event.  ``refunds_requested`` counts
    ``RefundCreated``, ``refunds_paid`` counts ``RefundPaid``: only the second
    is money that left the shop.  ``RefundPaid`` carries no amount, so the row
    keeps the amount of each refund not paid out yet (``awaiting_payout``).
    """

    order_id: str
    customer_id: str | None
    amount: Decimal
    paid: Decimal
    refunds_requested: Decimal
    refunds_paid: Decimal
    cancelled: bool
    shipped: bool
    events: int
    last_version: int
    created_at: int
    updated_at: int
    awaiting_payout: dict[str | None, Decimal] | None = field(default=None, repr=False)  # None: none unpaid

    @property
    def net(self) -> Decimal:
        """What the shop keeps once every requested refund is paid out, as ``OrderState.net``."""
        return self.paid - self.refunds_requested

    @property
    def status(self) -> str:
        return order_status(True, self.paid, self.refunds_requested, self.refunds_paid, self.cancelled, self.shipped)


# Each change checks what it needs and raises before it changes anything.


def _order_paid(row: OrderRow, recorded: RecordedEvent) -> None:
    row.paid = row.amount


def _refund_created(row: OrderRow, recorded: RecordedEvent) -> None:
    refund_id, amount, unpaid = recorded.event.refund_id, _amount(recorded), row.awaiting_payout
    if unpaid is None:
        unpaid = {}  # most orders have no refund: no dict for them
    elif refund_id in unpaid:
        raise _refuse(recorded, f"refund {refund_id!r} of order {row.order_id!r} was already requested")
    unpaid[refund_id] = amount
    row.awaiting_payout = unpaid
    row.refunds_requested += amount


def _refund_paid(row: OrderRow, recorded: RecordedEvent) -> None:
    refund_id = recorded.event.refund_id
    if refund_id is None and row.awaiting_payout:  # a log that names no refund (the seed's): the oldest waiting
        refund_id = next(iter(row.awaiting_payout))
    amount = row.awaiting_payout.pop(refund_id, None) if row.awaiting_payout else None  # the only change
    if amount is None:
        raise _refuse(
            recorded,
            f"refund {refund_id!r} of order {row.order_id!r} is not awaiting payout (never requested, or paid already)",
        )
    row.refunds_paid += amount
    if not row.awaiting_payout:
        row.awaiting_payout = None  # every refund paid out: no empty dict kept for a million orders


def _order_cancelled(row: OrderRow, recorded: RecordedEvent) -> None:
    row.cancelled = True


def _order_shipped(row: OrderRow, recorded: RecordedEvent) -> None:
    row.shipped = True


_ORDER_CHANGES = {
    OrderPaid: _order_paid,
    RefundCreated: _refund_created,
    RefundPaid: _refund_paid,
    OrderCancelled: _order_cancelled,
    OrderShipped: _order_shipped,
}


def apply_to_orders(orders: dict[str, OrderRow], recorded: RecordedEvent) -> dict[str, OrderRow]:
    """A new row for a new order; otherwise one change to the order's row, found by the event's type."""
    event = recorded.event
    kind = type(event)
    if kind is OrderCreated:
        amount = _amount(recorded)
        if event.order_id in orders:
            raise _refuse(recorded, f"order {event.order_id!r} was already created")
        orders[event.order_id] = OrderRow(
            event.order_id,
            event.customer_id,
            amount,
            ZERO,
            ZERO,
            ZERO,
            False,
            False,
            1,
            recorded.version,
            recorded.recorded_at,
            recorded.recorded_at,
        )
    elif kind in _ORDER_CHANGES:
        row = orders.get(event.order_id)
        if row is None:
            raise _refuse(recorded, f"order {event.order_id!r} was never created")
        _ORDER_CHANGES[kind](row, recorded)
        row.events += 1
        row.last_version = recorded.version
        row.updated_at = recorded.recorded_at
    return orders


orders_projection = Projection("orders", dict, apply_to_orders)


# --- refunds ---------------------------------------------------------------


@dataclass(slots=True)
class RefundRow:
    """One refund: requested (``RefundCreated``), then paid out (``RefundPaid``)."""

    refund_id: str | None
    order_id: str
    amount: Decimal
    reason: str | None
    requested_at: int
    paid_at: int | None = None  # None until the payment provider has paid it out


def apply_to_refunds(
    refunds: dict[str, dict[str | None, RefundRow]], recorded: RecordedEvent
) -> dict[str, dict[str | None, RefundRow]]:
    """Listens to ``RefundCreated`` (a new row) and ``RefundPaid`` (its ``paid_at``)."""
    event = recorded.event
    kind = type(event)
    if kind is RefundCreated:
        amount = _amount(recorded)
        if event.refund_id in refunds.get(event.order_id, ()):
            raise _refuse(recorded, f"refund {event.refund_id!r} of order {event.order_id!r} was already requested")
        refunds.setdefault(event.order_id, {})[event.refund_id] = RefundRow(
            event.refund_id, event.order_id, amount, event.reason, recorded.recorded_at
        )
    elif kind is RefundPaid:
        order_refunds = refunds.get(event.order_id, {})
        if event.refund_id is None:  # a log that names no refund (the seed's): the oldest waiting
            row = next((r for r in order_refunds.values() if r.paid_at is None), None)
        else:
            row = order_refunds.get(event.refund_id)
        if row is None or row.paid_at is not None:
            raise _refuse(
                recorded,
                f"refund {event.refund_id!r} of order {event.order_id!r} is not "
                "awaiting payout (never requested, or paid already)",
            )
        row.paid_at = recorded.recorded_at
    return refunds


refunds_projection = Projection("refunds", dict, apply_to_refunds, frozenset({RefundCreated, RefundPaid}))


# --- daily revenue ---------------------------------------------------------


@dataclass(slots=True)
class DayRow:
    """Money in and out on one UTC day.

    Money in is ``OrderPaid``; money out is ``RefundPaid``, counted on the day
    the provider paid, not the day the refund was asked for: a refund that is
    only requested has moved no money.
    """

    date: date  # the UTC day
    orders_placed: int = 0
    gross_paid: Decimal = ZERO
    refunds_paid: Decimal = ZERO

    @property
    def net(self) -> Decimal:
        return self.gross_paid - self.refunds_paid


@dataclass(slots=True)
class DailyRevenue:
    """Revenue per day, plus what it must remember to read later events.

    Listens to ``OrderCreated`` (an order placed), ``OrderPaid`` (money in) and
    ``RefundPaid`` (money out); reads ``RefundCreated`` only to remember the
    amount.  Neither ``OrderPaid`` nor ``RefundPaid`` carries an amount, so
    each order's amount is kept from its ``OrderCreated`` and each unpaid
    refund's from its ``RefundCreated``.
    """

    days: dict[date, DayRow] = field(default_factory=dict)
    order_amounts: dict[str, Decimal] = field(default_factory=dict)
    awaiting_payout: dict[tuple[str, str | None], Decimal] = field(default_factory=dict)
    by_number: dict[int, DayRow] = field(default_factory=dict, repr=False, compare=False)  # days since 1970

    def day(self, recorded: RecordedEvent) -> DayRow:
        """The row of the UTC day the event was recorded on, made when first needed.

        Found by the day's number (a Unix day is exactly 86,400 seconds): no date
        is computed for an event on a day already seen.
        """
        row = self.by_number.get(recorded.recorded_at // SECONDS_PER_DAY)
        if row is None:
            day = to_datetime(recorded.recorded_at).date()
            row = self.days.get(day) or DayRow(day)
            self.days[day] = self.by_number[recorded.recorded_at // SECONDS_PER_DAY] = row
        return row


def apply_to_daily_revenue(daily: DailyRevenue, recorded: RecordedEvent) -> DailyRevenue:
    """Check, then change: ``daily.day()`` (which may make a row) comes after every check."""
    event = recorded.event
    kind = type(event)
    if kind is OrderCreated:
        amount = _amount(recorded)
        if event.order_id in daily.order_amounts:
            raise _refuse(recorded, f"order {event.order_id!r} was already created")
        daily.day(recorded).orders_placed += 1
        daily.order_amounts[event.order_id] = amount
    elif kind is OrderPaid:
        paid = daily.order_amounts.get(event.order_id)
        if paid is None:
            raise _refuse(recorded, f"order {event.order_id!r} was never created")
        daily.day(recorded).gross_paid += paid
    elif kind is RefundCreated:
        amount, key = _amount(recorded), (event.order_id, event.refund_id)
        if event.order_id not in daily.order_amounts:
            raise _refuse(recorded, f"order {event.order_id!r} was never created")
        if key in daily.awaiting_payout:
            raise _refuse(recorded, f"refund {event.refund_id!r} of order {event.order_id!r} was already requested")
        daily.awaiting_payout[key] = amount
    elif kind is RefundPaid:
        key = (event.order_id, event.refund_id)
        if event.refund_id is None:  # a log that names no refund (the seed's): the oldest waiting
            key = next((k for k in daily.awaiting_payout if k[0] == event.order_id), key)
        if key not in daily.awaiting_payout:
            raise _refuse(
                recorded,
                f"refund {event.refund_id!r} of order {event.order_id!r} is not "
                "awaiting payout (never requested, or paid already)",
            )
        daily.day(recorded).refunds_paid += daily.awaiting_payout.pop(key)
    return daily


daily_revenue_projection = Projection(
    "daily revenue",
    DailyRevenue,
    apply_to_daily_revenue,
    frozenset({OrderCreated, OrderPaid, RefundCreated, RefundPaid}),
)


# --- DataFrames ------------------------------------------------------------


def _cents(amount: Decimal) -> Decimal:
    """``amount`` to the cent (100 -> 100.00), never rounded: an amount with digits below the cent keeps them.

    An amount already written to the cent is returned as it is, not copied: a
    frame of a million orders then shares the read model's ``Decimal`` objects.
    """
    if amount.same_quantum(CENT):
        return amount
    cents = amount.quantize(CENT)
    return cents if cents == amount else amount


def money_column(amounts: list[Decimal]) -> pd.Series:
    """Money to the cent, so that 100 and 35.5 show as 100.00 and 35.50."""
    return pd.Series([_cents(amount) for amount in amounts], dtype=MONEY)


def utc_times(seconds: list[int | None]) -> pd.Series:
    """Unix seconds (``None``: missing) as a ``datetime64[ns, UTC]`` Series."""
    return pd.to_datetime(pd.Series(seconds, dtype="Int64"), unit="s", utc=True).astype(TIME)


def orders_frame(orders: dict[str, OrderRow]) -> pd.DataFrame:
    """One row per order, in the order they were placed."""
    rows = list(orders.values())
    return pd.DataFrame(
        {
            "order_id": pd.Series([r.order_id for r in rows], dtype="string"),
            "customer_id": pd.Series([r.customer_id for r in rows], dtype="string"),
            "amount": money_column([r.amount for r in rows]),
            "status": pd.Series([r.status for r in rows], dtype=pd.CategoricalDtype(STATUSES)),
            "paid": money_column([r.paid for r in rows]),
            "refunds_requested": money_column([r.refunds_requested for r in rows]),
            "refunds_paid": money_column([r.refunds_paid for r in rows]),
            "net": money_column([r.net for r in rows]),
            "events": pd.Series([r.events for r in rows], dtype="int64"),
            "last_version": pd.Series([r.last_version for r in rows], dtype="int64"),
            "created_at": utc_times([r.created_at for r in rows]),
            "updated_at": utc_times([r.updated_at for r in rows]),
        }
    )


def refunds_frame(refunds: dict[str, dict[str | None, RefundRow]]) -> pd.DataFrame:
    """One row per refund, grouped by order in the order the orders were first refunded."""
    rows = [row for by_id in refunds.values() for row in by_id.values()]
    return pd.DataFrame(
        {
            "refund_id": pd.Series([r.refund_id for r in rows], dtype="string"),
            "order_id": pd.Series([r.order_id for r in rows], dtype="string"),
            "amount": money_column([r.amount for r in rows]),
            "reason": pd.Series([r.reason for r in rows], dtype="string"),
            "requested_at": utc_times([r.requested_at for r in rows]),
            "paid_at": utc_times([r.paid_at for r in rows]),
        }
    )


def daily_revenue_frame(daily: DailyRevenue) -> pd.DataFrame:
    """One row per UTC day that saw an order placed, an order paid or a refund paid out, oldest first."""
    rows = sorted(daily.days.values(), key=lambda r: r.date)
    return pd.DataFrame(
        {
            "date": pd.Series(pd.DatetimeIndex([r.date for r in rows]).tz_localize("UTC"), dtype=TIME),
            "orders_placed": pd.Series([r.orders_placed for r in rows], dtype="int64"),
            "gross_paid": money_column([r.gross_paid for r in rows]),
            "refunds_paid": money_column([r.refunds_paid for r in rows]),
            "net": money_column([r.net for r in rows]),
        }
    )


# --- the read side of one shop ---------------------------------------------


class ShopReadModels:
    """The three read models of one store, each with its own runner, driven together.

    ``mode``, ``catch_up`` and ``rebuild`` act on all three; ``lag`` is the
    largest of their lags.  Each runner stays reachable (``.orders``,
    ``.refunds``, ``.daily_revenue``) to be driven on its own.
    """

    def __init__(self, store: InMemoryEventStore, *, mode: str = EVENTUAL):
        self.orders = ProjectionRunner(store, orders_projection)
        self.refunds = ProjectionRunner(store, refunds_projection)
        self.daily_revenue = ProjectionRunner(store, daily_revenue_projection)
        self._runners = (self.orders, self.refunds, self.daily_revenue)
        self.mode = mode

    @property
    def mode(self) -> str:
        return self.orders.mode

    @mode.setter
    def mode(self, mode: str) -> None:
        """Switch all three; to inline, they first catch up together, in turns (``catch_up_all``).

        Over a long backlog (a million events) that is several times faster
        than the store handing each read model the events one at a time.  A
        read model that fails on an event stays at it: its subscription is
        handed that event first and stops there too, without raising, as a
        subscription does.
        """
        if mode == INLINE and self.mode != INLINE:
            with suppress(ProjectionFailed):
                self.catch_up()
        for runner in self._runners:
            runner.mode = mode

    @property
    def lag(self) -> int:
        return max(runner.lag for runner in self._runners)

    def catch_up(self, max_events: int | None = None) -> int:
        """Move each read model on by up to ``max_events``; return the most any of them moved.

        A read model that fails does not hold the others back: each goes as far
        as it can, then the first failure is raised (``ProjectionFailed``).
        """
        return catch_up_all(self._runners, max_events)

    def rebuild(self) -> None:
        """Replay the whole log into fresh read models (make new ``queries()`` afterwards)."""
        for runner in self._runners:
            runner.rebuild()

    def orders_frame(self) -> pd.DataFrame:
        return orders_frame(self.orders.state)

    def refunds_frame(self) -> pd.DataFrame:
        return refunds_frame(self.refunds.state)

    def daily_revenue_frame(self) -> pd.DataFrame:
        return daily_revenue_frame(self.daily_revenue.state)

    def queries(self) -> OrderQueries:
        """Queries over the current read models; they follow later updates but not a ``rebuild``."""
        return OrderQueries(self.orders.state, self.refunds.state, self.daily_revenue.state)

    def __repr__(self) -> str:
        stopped = "".join(
            f", {r.projection.name} stopped at {r.failure.position}" for r in self._runners if r.failure is not None
        )
        return f"<ShopReadModels: {self.mode}, {len(self.orders.state)} orders, lag {self.lag}{stopped}>"


# --- queries ---------------------------------------------------------------


def _money(amount: Decimal) -> str:
    """Money for JSON: a string, since a JSON number is read back as a float."""
    return format(_cents(amount), "f")


def _iso(seconds: int | None) -> str | None:
    return None if seconds is None else to_datetime(seconds).isoformat()


def _day(moment: date | datetime | int | str) -> date:
    """A UTC day from a date, a datetime, Unix seconds or an ISO string."""
    if isinstance(moment, date) and not isinstance(moment, datetime):
        return moment
    return to_datetime(to_timestamp(moment)).date()


class OrderQueries:
    """Answers questions from read models only.

    It is given the read models' states, never a store or a shop, so no query
    can append an event; each answer is a new object, so changing an answer
    changes no read model.
    """

    __slots__ = ("_daily_revenue", "_orders", "_refunds")

    def __init__(
        self, orders: dict[str, OrderRow], refunds: dict[str, dict[str | None, RefundRow]], daily_revenue: DailyRevenue
    ):
        self._orders = orders
        self._refunds = refunds
        self._daily_revenue = daily_revenue

    def order(self, order_id: str) -> dict[str, Any] | None:
        """What ``GET /orders?orderId=...`` returns: JSON-ready, or ``None`` for an unknown order."""
        row = self._orders.get(order_id)
        if row is None:
            return None
        return {
            "orderId": row.order_id,
            "customerId": row.customer_id,
            "amount": _money(row.amount),
            "status": row.status,
            "paid": _money(row.paid),
            "refundsRequested": _money(row.refunds_requested),
            "refundsPaid": _money(row.refunds_paid),
            "net": _money(row.net),
            "events": row.events,
            "lastVersion": row.last_version,
            "createdAt": _iso(row.created_at),
            "updatedAt": _iso(row.updated_at),
            "refunds": [
                {
                    "refundId": r.refund_id,
                    "amount": _money(r.amount),
                    "reason": r.reason,
                    "requestedAt": _iso(r.requested_at),
                    "paidAt": _iso(r.paid_at),
                }
                for r in self._refunds.get(order_id, {}).values()
            ],
        }

    def orders_by_status(self, status: str) -> pd.DataFrame:
        """The orders now in ``status`` (one of ``eventsim.shop.order.STATUSES``), as in ``orders_frame``."""
        if status not in STATUSES:
            raise ValueError(f"unknown status {status!r}; an order is one of: {' | '.join(STATUSES)}")
        return orders_frame({order_id: row for order_id, row in self._orders.items() if row.status == status})

    def revenue_between(self, start: date | datetime | int | str, end: date | datetime | int | str) -> pd.DataFrame:
        """Daily revenue from the UTC day of ``start`` to that of ``end``, both included."""
        first, last = _day(start), _day(end)
        if first > last:
            raise ValueError(f"the period starts on {first} after it ends on {last}")
        days = self._daily_revenue.days
        return daily_revenue_frame(DailyRevenue({day: row for day, row in days.items() if first <= day <= last}))

    def __repr__(self) -> str:
        return f"<OrderQueries over {len(self._orders)} orders>"


# --- one order's history ----------------------------------------------------


def history_frame(store: InMemoryEventStore, order_id: str) -> pd.DataFrame:
    """The order's events, oldest first, one row each; fields an event lacks are missing."""
    events = store.read_stream(stream_for(order_id))

    def field(name: str) -> list:
        values = (getattr(r.event, name, None) for r in events)
        return [pd.NA if value is None else value for value in values]

    return pd.DataFrame(
        {
            "position": pd.Series([r.position for r in events], dtype="int64"),
            "version": pd.Series([r.version for r in events], dtype="int64"),
            "event_type": pd.Series([r.event_type for r in events], dtype="string"),
            "recorded_at": utc_times([r.recorded_at for r in events]),
            "amount": pd.Series(field("amount"), dtype=MONEY),
            "refund_id": pd.Series(field("refund_id"), dtype="string"),
            "reason": pd.Series(field("reason"), dtype="string"),
            "event_id": pd.Series([r.event_id for r in events], dtype="string"),
            "causation_id": pd.Series([r.causation_id for r in events], dtype="string"),
            "correlation_id": pd.Series([r.correlation_id for r in events], dtype="string"),
            "actor": pd.Series([r.actor for r in events], dtype="string"),
        }
    )
