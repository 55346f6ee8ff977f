"""History and time travel: an order's past, read from its stream.

Nothing recorded is ever changed or deleted, so "rolling back" means one of two things:

* look back: the state at an earlier version or time is the fold of the
  events up to it (``state_at_version``, ``state_at_time``);
* make amends: append new events that undo the effect of the old ones
  (``compensate``).  The history then shows both the mistake and its remedy.

Causation and correlation link events to what caused them: each event's
``causation_id`` is the id of the command that caused it, and every event
that followed from one order carries that order's ``correlation_id``.
"""
from __future__ import annotations

from datetime import datetime
from itertools import takewhile

import pandas as pd

from .clock import to_timestamp
from .commands import CancelOrder, RequestRefund
from .jsonl import to_json
from .order import OrderNotFound, OrderState, fold
from .read_models import MONEY, utc_times
from .shop import Shop, stream_for
from .store import InMemoryEventStore, RecordedEvent

__all__ = [
    "history_frame", "history_jsonl", "state_at_version", "state_at_time", "compensate",
    "events_by_command", "correlation_id_of", "correlated_events",
]


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
    })


def history_jsonl(store: InMemoryEventStore, order_id: str) -> str:
    """The order's events as JSON lines, in the workbook's event shape (``eventsim.jsonl``)."""
    return "".join(to_json(r) + "\n" for r in store.read_stream(stream_for(order_id)))


def state_at_version(store: InMemoryEventStore, order_id: str, version: int) -> OrderState:
    """The order as it was right after its event number ``version`` (0: before it was placed)."""
    events = store.read_stream(stream_for(order_id))
    if not 0 <= version <= len(events):
        raise ValueError(f"order {order_id} has {len(events)} events: "
                         f"its versions go from 0 to {len(events)}, not {version}")
    return fold(r.event for r in events[:version])


def state_at_time(store: InMemoryEventStore, order_id: str, moment: int | datetime | str) -> OrderState:
    """The order as it was at ``moment`` (Unix seconds, a datetime or an ISO string; naive means UTC):
    the fold of the events recorded at or before it."""
    timestamp = to_timestamp(moment)
    events = store.read_stream(stream_for(order_id))
    return fold(r.event for r in takewhile(lambda r: r.recorded_at <= timestamp, events))


def compensate(shop: Shop, order_id: str, *, to_version: int = 0,
               reason: str = "compensation") -> list[RecordedEvent]:
    """Issue the commands that bring the order's money back to what it was at ``to_version``.

    ``to_version=0`` undoes the whole order: cancel it (which refunds what was
    paid), or, once it has shipped, refund it.  A later version keeps the order
    and refunds whatever was paid since.  Returns the new events; none when
    there is nothing to undo.  A refund cannot be taken back, so an order with
    more refunded since ``to_version`` raises ``ValueError``.
    """
    current = shop.state(order_id)
    if not current.placed:
        raise OrderNotFound(order_id, "no such order")
    target = state_at_version(shop.store, order_id, to_version)
    if not target.placed and not current.cancelled and not current.shipped:
        return shop.handle(CancelOrder(order_id, reason))
    if current.net > target.net:
        return shop.handle(RequestRefund(order_id, current.net - target.net, reason))
    if current.net < target.net:
        raise ValueError(f"order {order_id}: {target.net - current.net} was refunded after version "
                         f"{to_version}, and a refund cannot be taken back")
    return []


def events_by_command(store: InMemoryEventStore, order_id: str) -> dict[str | None, list[RecordedEvent]]:
    """Which command caused which of the order's events: causation id -> events, in order."""
    caused: dict[str | None, list[RecordedEvent]] = {}
    for recorded in store.read_stream(stream_for(order_id)):
        caused.setdefault(recorded.causation_id, []).append(recorded)
    return caused


def correlation_id_of(store: InMemoryEventStore, order_id: str) -> str | None:
    """The id shared by everything that followed from the order: its first event's correlation id."""
    events = store.read_stream(stream_for(order_id))
    return events[0].correlation_id if events else None


def correlated_events(store: InMemoryEventStore, correlation_id: str) -> list[RecordedEvent]:
    """Every event, in any stream, that carries ``correlation_id``, in position order."""
    return [r for r in store.read_all() if r.correlation_id == correlation_id]
