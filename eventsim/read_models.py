"""The shop's read models (the Q of CQRS) and the queries that read them.

Three projections of the same log, each shaped for the questions it answers:

* ``orders_projection``: one ``OrderRow`` per order, keyed by order id;
* ``refunds_projection``: one ``RefundRow`` per refund, keyed by order id, then refund id;
* ``daily_revenue_projection``: one ``DayRow`` per UTC day, across every order
  stream (a multi-stream projection).

Each ``apply`` looks the event's type up in a dict, changes a row in place
and returns the same state: a replay costs a dict lookup and a few attribute
writes per event.  Events of other types are ignored, as a read model only
reads the facts it needs.

In DataFrames money stays ``Decimal`` in columns of dtype ``object``: exact,
and ``.sum()`` gives a ``Decimal``.  ``float64`` would be faster but cannot
hold 0.10 exactly, so totals would drift by fractions of a cent; convert with
``.astype(float)`` only at the edge, to draw a chart.  Ids and reasons are
pandas ``"string"`` (missing: ``<NA>``); counts are ``int64``; times are
``datetime64[ns, UTC]`` (missing: ``NaT``); ``status`` is a category listing
``STATUSES``; ``date`` is the UTC midnight that starts the day.

``OrderQueries`` is the query API: it holds the read models' states and
nothing else, so no query can reach a store to append an event.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pandas as pd

from .clock import to_datetime, to_timestamp
from .events import OrderCancelled, OrderCreated, OrderPaid, OrderShipped, RefundCreated, RefundPaid
from .order import STATUSES, order_status
from .projections import EVENTUAL, Projection, ProjectionRunner
from .store import InMemoryEventStore, RecordedEvent
from .streams import stream_for

__all__ = [
    "STATUSES", "OrderRow", "RefundRow", "DayRow", "DailyRevenue",
    "apply_to_orders", "apply_to_refunds", "apply_to_daily_revenue",
    "orders_projection", "refunds_projection", "daily_revenue_projection",
    "orders_frame", "refunds_frame", "daily_revenue_frame", "utc_times",
    "ShopReadModels", "OrderQueries", "history_frame",
]

ZERO = Decimal("0.00")  # shown as 0.00 in tables, equal to Decimal(0)


MONEY = object  # dtype of money columns: Decimal values, exact
TIME = "datetime64[ns, UTC]"


# --- orders ----------------------------------------------------------------

@dataclass(slots=True)
class OrderRow:
    """One order as the read side shows it.  Times are Unix seconds."""
    order_id: str
    customer_id: str | None
    amount: Decimal
    paid: Decimal
    refunded: Decimal  # requested refunds, confirmed or not, as OrderState.refunds_requested
    cancelled: bool
    shipped: bool
    events: int
    last_version: int
    created_at: int
    updated_at: int
    refunds_paid: Decimal = ZERO  # refunds the provider has paid out
    refund_amounts: dict[str | None, Decimal] = field(default_factory=dict)  # RefundPaid has no amount

    @property
    def net(self) -> Decimal:
        return self.paid - self.refunded

    @property
    def status(self) -> str:
        return order_status(True, self.paid, self.refunded, self.refunds_paid, self.cancelled, self.shipped)


def _order_paid(row: OrderRow, event: OrderPaid) -> None:
    row.paid = row.amount


def _refund_created(row: OrderRow, event: RefundCreated) -> None:
    row.refunded += event.amount
    row.refund_amounts[event.refund_id] = event.amount


def _refund_paid(row: OrderRow, event: RefundPaid) -> None:
    row.refunds_paid += row.refund_amounts[event.refund_id]


def _order_cancelled(row: OrderRow, event: OrderCancelled) -> None:
    row.cancelled = True


def _order_shipped(row: OrderRow, event: OrderShipped) -> None:
    row.shipped = True


_ORDER_CHANGES = {OrderPaid: _order_paid, RefundCreated: _refund_created, RefundPaid: _refund_paid,
                  OrderCancelled: _order_cancelled, OrderShipped: _order_shipped}


def apply_to_orders(orders: dict[str, OrderRow], recorded: RecordedEvent) -> dict[str, OrderRow]:
    """A new row for a new order; otherwise one change to the order's row, found by the event's type."""
    event = recorded.event
    kind = type(event)
    if kind is OrderCreated:
        orders[event.order_id] = OrderRow(event.order_id, event.customer_id, event.amount, ZERO, ZERO,
                                          False, False, 1, recorded.version,
                                          recorded.recorded_at, recorded.recorded_at)
    elif kind in _ORDER_CHANGES:
        row = orders.get(event.order_id)
        if row is None:
            raise ValueError(f"{kind.__name__} at position {recorded.position} is for order "
                             f"{event.order_id!r}, which the orders read model never saw created")
        _ORDER_CHANGES[kind](row, event)
        row.events += 1
        row.last_version = recorded.version
        row.updated_at = recorded.recorded_at
    return orders


orders_projection = Projection("orders", dict, apply_to_orders)


# --- refunds ---------------------------------------------------------------

@dataclass(slots=True)
class RefundRow:
    refund_id: str | None
    order_id: str
    amount: Decimal
    reason: str | None
    requested_at: int
    confirmed_at: int | None  # None until the payment provider confirms


def apply_to_refunds(refunds: dict[str, dict[str | None, RefundRow]],
                     recorded: RecordedEvent) -> dict[str, dict[str | None, RefundRow]]:
    event = recorded.event
    kind = type(event)
    if kind is RefundCreated:
        refunds.setdefault(event.order_id, {})[event.refund_id] = RefundRow(
            event.refund_id, event.order_id, event.amount, event.reason, recorded.recorded_at, None)
    elif kind is RefundPaid:
        refunds[event.order_id][event.refund_id].confirmed_at = recorded.recorded_at
    return refunds


refunds_projection = Projection("refunds", dict, apply_to_refunds)


# --- daily revenue ---------------------------------------------------------

@dataclass(slots=True)
class DayRow:
    date: date  # the UTC day
    orders_placed: int = 0
    gross_paid: Decimal = ZERO
    refunded: Decimal = ZERO  # refunds requested that day, as orders count them

    @property
    def net(self) -> Decimal:
        return self.gross_paid - self.refunded


@dataclass(slots=True)
class DailyRevenue:
    """Revenue per day, plus what it must remember to read later events:
    ``OrderPaid`` carries no amount, so each order's amount is kept from its ``OrderCreated``."""
    days: dict[date, DayRow] = field(default_factory=dict)
    order_amounts: dict[str, Decimal] = field(default_factory=dict)

    def day(self, recorded: RecordedEvent) -> DayRow:
        """The row of the UTC day the event was recorded on, made when first needed."""
        day = to_datetime(recorded.recorded_at).date()
        row = self.days.get(day)
        if row is None:
            row = self.days[day] = DayRow(day)
        return row


def apply_to_daily_revenue(daily: DailyRevenue, recorded: RecordedEvent) -> DailyRevenue:
    event = recorded.event
    kind = type(event)
    if kind is OrderCreated:
        daily.order_amounts[event.order_id] = event.amount
        daily.day(recorded).orders_placed += 1
    elif kind is OrderPaid:
        daily.day(recorded).gross_paid += daily.order_amounts[event.order_id]
    elif kind is RefundCreated:
        daily.day(recorded).refunded += event.amount
    return daily


daily_revenue_projection = Projection("daily revenue", DailyRevenue, apply_to_daily_revenue)


# --- DataFrames ------------------------------------------------------------

CENT = Decimal("0.01")


def money_column(amounts: list[Decimal]) -> pd.Series:
    """Money to the cent, so that 100 and 35.5 show as 100.00 and 35.50."""
    return pd.Series([amount.quantize(CENT) for amount in amounts], dtype=MONEY)


def utc_times(seconds: list[int | None]) -> pd.Series:
    """Unix seconds (``None``: missing) as a ``datetime64[ns, UTC]`` Series."""
    return pd.to_datetime(pd.Series(seconds, dtype="Int64"), unit="s", utc=True).astype(TIME)


def orders_frame(orders: dict[str, OrderRow]) -> pd.DataFrame:
    """One row per order, in the order they were placed."""
    rows = list(orders.values())
    return pd.DataFrame({
        "order_id": pd.Series([r.order_id for r in rows], dtype="string"),
        "customer_id": pd.Series([r.customer_id for r in rows], dtype="string"),
        "amount": money_column([r.amount for r in rows]),
        "status": pd.Series([r.status for r in rows], dtype=pd.CategoricalDtype(STATUSES)),
        "paid": money_column([r.paid for r in rows]),
        "refunded": money_column([r.refunded for r in rows]),
        "net": money_column([r.net for r in rows]),
        "events": pd.Series([r.events for r in rows], dtype="int64"),
        "last_version": pd.Series([r.last_version for r in rows], dtype="int64"),
        "created_at": utc_times([r.created_at for r in rows]),
        "updated_at": utc_times([r.updated_at for r in rows]),
    })


def refunds_frame(refunds: dict[str, dict[str | None, RefundRow]]) -> pd.DataFrame:
    """One row per refund, grouped by order in the order the orders were first refunded."""
    rows = [row for by_id in refunds.values() for row in by_id.values()]
    return pd.DataFrame({
        "refund_id": pd.Series([r.refund_id for r in rows], dtype="string"),
        "order_id": pd.Series([r.order_id for r in rows], dtype="string"),
        "amount": money_column([r.amount for r in rows]),
        "reason": pd.Series([r.reason for r in rows], dtype="string"),
        "requested_at": utc_times([r.requested_at for r in rows]),
        "confirmed_at": utc_times([r.confirmed_at for r in rows]),
    })


def daily_revenue_frame(daily: DailyRevenue) -> pd.DataFrame:
    """One row per UTC day that saw an order placed, paid or refunded, oldest first."""
    rows = sorted(daily.days.values(), key=lambda r: r.date)
    return pd.DataFrame({
        "date": pd.Series(pd.DatetimeIndex([r.date for r in rows]).tz_localize("UTC"), dtype=TIME),
        "orders_placed": pd.Series([r.orders_placed for r in rows], dtype="int64"),
        "gross_paid": money_column([r.gross_paid for r in rows]),
        "refunded": money_column([r.refunded for r in rows]),
        "net": money_column([r.net for r in rows]),
    })


# --- the read side of one shop ---------------------------------------------

class ShopReadModels:
    """The three read models of one store, each with its own runner, driven together.

    ``mode``, ``catch_up`` and ``rebuild`` act on all three; ``lag`` is the
    largest of their lags.  Each runner stays reachable (``.orders``,
    ``.refunds``, ``.daily_revenue``) to be driven on its own.
    """

    def __init__(self, store: InMemoryEventStore, *, mode: str = EVENTUAL):
        self.orders = ProjectionRunner(store, orders_projection, mode=mode)
        self.refunds = ProjectionRunner(store, refunds_projection, mode=mode)
        self.daily_revenue = ProjectionRunner(store, daily_revenue_projection, mode=mode)
        self._runners = (self.orders, self.refunds, self.daily_revenue)

    @property
    def mode(self) -> str:
        return self.orders.mode

    @mode.setter
    def mode(self, mode: str) -> None:
        for runner in self._runners:
            runner.mode = mode

    @property
    def lag(self) -> int:
        return max(runner.lag for runner in self._runners)

    def catch_up(self, max_events: int | None = None) -> int:
        """Move each read model on by up to ``max_events``; return the most any of them moved."""
        return max(runner.catch_up(max_events) for runner in self._runners)

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
        return f"<ShopReadModels: {self.mode}, {len(self.orders.state)} orders, lag {self.lag}>"


# --- queries ---------------------------------------------------------------

def _money(amount: Decimal) -> str:
    """Money for JSON: a string, since a JSON number is read back as a float."""
    return format(amount.quantize(CENT), "f")


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
    __slots__ = ("_orders", "_refunds", "_daily_revenue")

    def __init__(self, orders: dict[str, OrderRow], refunds: dict[str, dict[str | None, RefundRow]],
                 daily_revenue: DailyRevenue):
        self._orders = orders
        self._refunds = refunds
        self._daily_revenue = daily_revenue

    def order(self, order_id: str) -> dict[str, Any] | None:
        """What ``GET /orders?orderId=...`` returns: JSON-ready, or ``None`` for an unknown order."""
        row = self._orders.get(order_id)
        if row is None:
            return None
        return {
            "orderId": row.order_id, "customerId": row.customer_id, "amount": _money(row.amount),
            "status": row.status, "paid": _money(row.paid), "refunded": _money(row.refunded),
            "net": _money(row.net), "events": row.events, "lastVersion": row.last_version,
            "createdAt": _iso(row.created_at), "updatedAt": _iso(row.updated_at),
            "refunds": [{"refundId": r.refund_id, "amount": _money(r.amount), "reason": r.reason,
                         "requestedAt": _iso(r.requested_at), "confirmedAt": _iso(r.confirmed_at)}
                        for r in self._refunds.get(order_id, {}).values()],
        }

    def orders_by_status(self, status: str) -> pd.DataFrame:
        """The orders now in ``status`` (one of ``STATUSES``), as in ``orders_frame``."""
        if status not in STATUSES:
            raise ValueError(f"unknown status {status!r}; an order is one of: {', '.join(STATUSES)}")
        return orders_frame({order_id: row for order_id, row in self._orders.items() if row.status == status})

    def revenue_between(self, start: date | datetime | int | str, end: date | datetime | int | str
                        ) -> pd.DataFrame:
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

    return pd.DataFrame({
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
    })
