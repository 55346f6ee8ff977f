"""History, time travel, compensation and causation."""
from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_projections import new_shop, run_actions, shop_actions

from eventsim.clock import SimulatedClock
from eventsim.jsonl import read_jsonl
from eventsim.shop import Shop, compensate, stream_for
from eventsim.shop.commands import CancelOrder, PayOrder, PlaceOrder, RequestRefund, ShipOrder
from eventsim.shop.events import OrderShipped
from eventsim.shop.history import (
    correlated_events,
    correlation_id_of,
    events_by_command,
    history_jsonl,
    state_at_time,
    state_at_version,
)
from eventsim.shop.order import OrderNotFound, fold, initial_state
from eventsim.shop.read_models import history_frame
from eventsim.store import InMemoryEventStore

START = 1_628_380_800  # 2021-08-08 00:00:00 UTC


@settings(deadline=None, max_examples=60)
@given(shop_actions)
def test_the_state_at_each_version_is_the_state_the_order_had_then(actions):
    shop, clock = new_shop()
    seen = {}  # (order id, version) -> the state the shop had at that version
    for action in actions:
        run_actions(shop, clock, [action])
        for order_id in ("A", "B", "C"):
            state, version = shop.load(stream_for(order_id))
            seen[order_id, version] = state
    for (order_id, version), state in seen.items():
        assert state_at_version(shop.store, order_id, version) == state
    for order_id in ("A", "B", "C"):
        events = [r.event for r in shop.store.read_stream(stream_for(order_id))]
        for version in range(len(events) + 1):
            assert state_at_version(shop.store, order_id, version) == fold(events[:version])


@settings(deadline=None, max_examples=40)
@given(shop_actions)
def test_the_state_at_a_time_folds_the_events_recorded_by_then(actions):
    shop, clock = new_shop()
    run_actions(shop, clock, actions)
    for order_id in ("A", "B", "C"):
        stream = shop.store.read_stream(stream_for(order_id))
        if not stream:
            continue
        assert state_at_time(shop.store, order_id, stream[0].recorded_at - 1) == initial_state
        for recorded in stream:
            moment = recorded.recorded_at
            last = max(r.version for r in stream if r.recorded_at <= moment)
            assert state_at_time(shop.store, order_id, moment) == state_at_version(shop.store, order_id, last)


def test_a_time_can_be_given_as_seconds_datetime_or_iso_string():
    clock = SimulatedClock(start=START, step=3600)
    shop = Shop(InMemoryEventStore(clock=clock))
    shop.handle(PlaceOrder("1", Decimal("10.00")))  # 00:00
    shop.handle(PayOrder("1", Decimal("10.00")))    # 01:00
    shop.handle(ShipOrder("1"))                     # 02:00
    for moment in (START + 5400, datetime(2021, 8, 8, 1, 30, tzinfo=UTC),
                   datetime(2021, 8, 8, 1, 30), "2021-08-08T01:30:00", "2021-08-08T03:30:00+02:00"):
        state = state_at_time(shop.store, "1", moment)
        assert state == state_at_version(shop.store, "1", 2) and state.status == "paid", moment


def test_a_version_out_of_range_is_refused():
    shop, _ = new_shop()
    shop.handle(PlaceOrder("1", Decimal("10.00")))
    with pytest.raises(ValueError, match="order 1 has 1 events: its versions go from 0 to 1, not 2"):
        state_at_version(shop.store, "1", 2)
    with pytest.raises(ValueError, match="not -1"):
        state_at_version(shop.store, "1", -1)


# --- the history as data -----------------------------------------------------

def test_history_frame_lists_the_stream_with_its_envelope():
    shop, _ = new_shop()
    shop.handle(PlaceOrder("1", Decimal("10.00"), "alice"))
    shop.handle(PlaceOrder("other", Decimal("1.00")))
    shop.handle(PayOrder("1", Decimal("10.00")))
    shop.handle(CancelOrder("1", "changed mind"))
    frame = history_frame(shop.store, "1")
    stream = shop.store.read_stream(stream_for("1"))
    assert list(frame.columns) == ["position", "version", "event_type", "recorded_at", "amount", "refund_id",
                                   "reason", "event_id", "causation_id", "correlation_id", "actor"]
    assert frame["position"].tolist() == [1, 3, 4, 5]
    assert frame["version"].tolist() == [1, 2, 3, 4]
    assert frame["event_type"].tolist() == ["OrderCreated", "OrderPaid", "RefundCreated", "OrderCancelled"]
    assert frame["recorded_at"].tolist() == [pd.Timestamp(r.recorded_at, unit="s", tz="UTC") for r in stream]
    assert frame["amount"].tolist()[0] == Decimal("10.00") and pd.isna(frame["amount"][1])
    assert frame["reason"].tolist()[2:] == ["order cancelled", "changed mind"]
    assert frame["event_id"].tolist() == [r.event_id for r in stream]
    assert frame["causation_id"].nunique() == 3  # the cancellation caused two events
    assert frame["correlation_id"].tolist() == frame["causation_id"].tolist()  # each request a conversation
    assert str(frame["recorded_at"].dtype) == "datetime64[ns, UTC]"
    empty = history_frame(shop.store, "nobody")
    assert len(empty) == 0 and list(empty.columns) == list(frame.columns)
    assert dict(empty.dtypes) == dict(frame.dtypes)


def test_history_as_json_lines_reads_back_to_the_same_events():
    shop, _ = new_shop()
    shop.handle(PlaceOrder("1", Decimal("19.99"), "alice"))
    shop.handle(PayOrder("1", Decimal("19.99")))
    shop.handle(RequestRefund("1", Decimal("0.99"), "scratch"))
    text = history_jsonl(shop.store, "1")
    assert text.endswith("\n") and text.count("\n") == 3
    assert text.splitlines()[0].startswith('{"eventType": "OrderCreated", "orderId": "1"')
    logged = read_jsonl(text.splitlines())
    for recorded, back in zip(shop.store.read_stream(stream_for("1")), logged, strict=True):
        assert (back.event, back.recorded_at, back.event_id, back.version, back.position,
                back.correlation_id, back.causation_id) == (
            recorded.event, recorded.recorded_at, recorded.event_id, recorded.version, recorded.position,
            recorded.correlation_id, recorded.causation_id)
    assert history_jsonl(shop.store, "nobody") == ""


# --- compensation -------------------------------------------------------------

@settings(deadline=None, max_examples=60)
@given(shop_actions, st.sampled_from(["A", "B", "C"]), st.integers(0, 10))
def test_compensating_brings_the_money_back_to_an_earlier_version_without_deleting(actions, order_id, to_version):
    shop, clock = new_shop()
    run_actions(shop, clock, actions)
    before = shop.store.read_all()
    current, version = shop.load(stream_for(order_id))
    if not current.placed:
        with pytest.raises(OrderNotFound):
            compensate(shop, order_id, to_version=to_version)
        return
    if to_version > version:
        with pytest.raises(ValueError, match="versions go from 0"):
            compensate(shop, order_id, to_version=to_version)
        return
    target = state_at_version(shop.store, order_id, to_version)
    if current.net < target.net:
        with pytest.raises(ValueError, match="a refund cannot be taken back"):
            compensate(shop, order_id, to_version=to_version)
        assert shop.store.read_all() == before
        return
    added = compensate(shop, order_id, to_version=to_version, reason="undo")
    assert shop.store.read_all() == before + added, "compensation only appends"
    after = shop.state(order_id)
    assert after.net == target.net
    assert (added == []) == (after == current)
    if target.placed:  # the order is kept: only refunded, and only if money came in since
        assert all(r.event_type == "RefundCreated" for r in added)
        assert (added == []) == (current.net == target.net)
    elif not current.shipped:
        assert after.cancelled


def test_compensating_a_whole_order():
    shop, _ = new_shop()
    shop.handle(PlaceOrder("paid", Decimal("50.00")))
    shop.handle(PayOrder("paid", Decimal("50.00")))
    events = compensate(shop, "paid", reason="fraud")
    assert [r.event_type for r in events] == ["RefundCreated", "OrderCancelled"]
    assert events[0].event.amount == Decimal("50.00") and events[1].event.reason == "fraud"
    assert shop.state("paid").status == "cancelled, refund requested"

    shop.handle(PlaceOrder("shipped", Decimal("50.00")))
    shop.handle(PayOrder("shipped", Decimal("50.00")))
    shop.handle(ShipOrder("shipped"))
    events = compensate(shop, "shipped", reason="lost in the post")
    assert [(r.event_type, r.event.amount, r.event.reason) for r in events] == [
        ("RefundCreated", Decimal("50.00"), "lost in the post")]
    assert shop.state("shipped").status == "shipped, refund requested"
    assert compensate(shop, "shipped") == []


def test_compensating_back_to_a_paid_version_after_a_refund_is_refused():
    shop, _ = new_shop()
    shop.handle(PlaceOrder("1", Decimal("50.00")))
    shop.handle(PayOrder("1", Decimal("50.00")))
    shop.handle(RequestRefund("1", Decimal("20.00")))
    with pytest.raises(ValueError, match="order 1: 20.00 was refunded after version 2"):
        compensate(shop, "1", to_version=2)
    assert compensate(shop, "1", to_version=3) == []


# --- causation and correlation ---------------------------------------------

def test_each_event_names_the_command_that_caused_it_and_each_request_starts_a_conversation():
    shop, _ = new_shop()
    shop.handle(PlaceOrder("1", Decimal("10.00"), command_id="place-1"))
    shop.handle(PlaceOrder("2", Decimal("10.00"), command_id="place-2"))
    shop.handle(PayOrder("1", Decimal("10.00"), command_id="pay-1"))
    shop.handle(CancelOrder("1", command_id="cancel-1"))
    caused = events_by_command(shop.store, "1")
    assert {command: [r.event_type for r in events] for command, events in caused.items()} == {
        "place-1": ["OrderCreated"], "pay-1": ["OrderPaid"], "cancel-1": ["RefundCreated", "OrderCancelled"]}
    assert correlation_id_of(shop.store, "1") == "place-1"
    assert correlation_id_of(shop.store, "nobody") is None
    assert correlated_events(shop.store, "place-1") == shop.store.read_stream(stream_for("1"))[:1]
    assert [r.position for r in correlated_events(shop.store, "place-2")] == [2]
    # a later request on the same order is a conversation of its own, and so is each of two refunds
    assert [r.event_type for r in correlated_events(shop.store, "cancel-1")] == ["RefundCreated", "OrderCancelled"]


def test_a_reaction_in_another_stream_carries_the_correlation_of_the_event_it_reacts_to():
    shop, _ = new_shop()
    placed = shop.handle(PlaceOrder("1", Decimal("10.00"), command_id="place-1"))[0]
    shop.store.append("shipping-1", [OrderShipped("1")], correlation_id=placed.correlation_id,
                      causation_id=placed.event_id)
    shop.handle(PayOrder("1", Decimal("10.00")))  # a new request: a new conversation
    assert [r.stream_id for r in correlated_events(shop.store, "place-1")] == ["order-1", "shipping-1"]
