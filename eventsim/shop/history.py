"""History and time travel: an order's past, read from its stream.

Nothing recorded is ever changed or deleted, so "rolling back" means one of two things:

* look back: the state at an earlier version or time is the fold of the
  events up to it (``state_at_version``, ``state_at_time``);
* make amends: append new events that undo the effect of the old ones
  (``eventsim.shop.compensate``, a command like any other).  The history
  then shows both the mistake and its remedy.

This module only reads, and needs nothing beyond the standard library; the
history as a DataFrame is ``eventsim.shop.read_models.history_frame``.

Causation and correlation link messages to what caused them: each event's
``causation_id`` is the id of the command that caused it (and the store's
``CommandRecord`` says what caused that command, such as the event a process
reacted to).  A ``correlation_id`` names one conversation: a request from
outside starts one (its id is the command's), and every reaction to its
events carries it on, so one refund, from the request to the payout, shares
one correlation id, and a second refund of the same order has its own.
"""

from __future__ import annotations

from datetime import datetime
from itertools import takewhile

from ..clock import to_timestamp
from ..jsonl import to_json
from ..store import InMemoryEventStore, RecordedEvent
from .order import OrderState, fold
from .streams import stream_for

__all__ = [
    "history_jsonl",
    "state_at_version",
    "state_at_time",
    "events_by_command",
    "correlation_id_of",
    "correlated_events",
]


def history_jsonl(store: InMemoryEventStore, order_id: str) -> str:
    """The order's events as JSON lines, in the workbook's event shape (``eventsim.jsonl``)."""
    return "".join(to_json(r) + "\n" for r in store.read_stream(stream_for(order_id)))


def state_at_version(store: InMemoryEventStore, order_id: str, version: int) -> OrderState:
    """The order as it was right after its event number ``version`` (0: before it was placed)."""
    events = store.read_stream(stream_for(order_id))
    if not 0 <= version <= len(events):
        raise ValueError(
            f"order {order_id} has {len(events)} events: its versions go from 0 to {len(events)}, not {version}"
        )
    return fold(r.event for r in events[:version])


def state_at_time(store: InMemoryEventStore, order_id: str, moment: int | datetime | str) -> OrderState:
    """The order as it was at ``moment`` (Unix seconds, a datetime or an ISO string; naive means UTC):
    the fold of the events recorded at or before it."""
    timestamp = to_timestamp(moment)
    events = store.read_stream(stream_for(order_id))
    return fold(r.event for r in takewhile(lambda r: r.recorded_at <= timestamp, events))


def events_by_command(store: InMemoryEventStore, order_id: str) -> dict[str | None, list[RecordedEvent]]:
    """Which command caused which of the order's events: causation id -> events, in order."""
    caused: dict[str | None, list[RecordedEvent]] = {}
    for recorded in store.read_stream(stream_for(order_id)):
        caused.setdefault(recorded.causation_id, []).append(recorded)
    return caused


def correlation_id_of(store: InMemoryEventStore, order_id: str) -> str | None:
    """The conversation that placed the order: its first event's correlation id."""
    events = store.read_stream(stream_for(order_id))
    return events[0].correlation_id if events else None


def correlated_events(store: InMemoryEventStore, correlation_id: str) -> list[RecordedEvent]:
    """Every event, in any stream, that carries ``correlation_id``, in position order."""
    return [r for r in store.read_all() if r.correlation_id == correlation_id]
