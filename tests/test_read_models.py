"""The order read models agree with the write side, and their DataFrames keep exact types."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import pandas as pd
import pytest
from hypothesis import given, settings

from eventsim.clock import SimulatedClock
from eventsim.commands import CancelOrder, ConfirmRefund, PayOrder, PlaceOrder, RequestRefund, ShipOrder
from eventsim.events import OrderPaid
from eventsim.projections import INLINE
from eventsim.read_models import (STATUSES, ShopReadModels, daily_revenue_frame, orders_frame,
                                  orders_projection, refunds_frame)
from eventsim.shop import Shop, stream_for
from eventsim.store import InMemoryEventStore
from test_projections import new_shop, run_actions, shop_actions

DAY = 86_400
START = 1_628_380_800  # 2021-08-08 00:00:00 UTC


@settings(deadline=None, max_examples=60)
@given(shop_actions)
def test_each_order_row_agrees_with_the_decider_state(actions):
    shop, clock = new_shop()
    read_models = ShopReadModels(shop.store, mode=INLINE)
    run_actions(shop, clock, actions)
    orders, refunds = read_models.orders.state, read_models.refunds.state
    placed = [s.removeprefix("order-") for s in shop.store.stream_ids()]
    assert list(orders) == placed
    for order_id, row in orders.items():
        state = shop.state(order_id)
        assert (row.customer_id, row.amount, row.paid, row.refunded, row.net, row.status) == (
            state.customer_id, state.amount, state.paid, state.refunded, state.net, state.status)
        stream = shop.store.read_stream(stream_for(order_id))
        assert row.events == row.last_version == state.version == len(stream)
        assert (row.created_at, row.updated_at) == (stream[0].recorded_at, stream[-1].recorded_at)
        by_id = refunds.get(order_id, {})
        assert [(r.refund_id, r.amount, r.confirmed_at is not None) for r in by_id.values()] == [
            (r.refund_id, r.amount, r.paid) for r in state.refunds]


@settings(deadline=None, max_examples=60)
@given(shop_actions)
def test_daily_revenue_adds_up_to_the_orders(actions):
    shop, clock = new_shop()
    read_models = ShopReadModels(shop.store, mode=INLINE)
    run_actions(shop, clock, actions)
    orders, daily = read_models.orders_frame(), read_models.daily_revenue_frame()
    assert daily["orders_placed"].sum() == len(orders)
    for column in ("refunded", "net"):
        assert sum(daily[column], Decimal(0)) == sum(orders[column], Decimal(0))
    assert sum(daily["gross_paid"], Decimal(0)) == sum(orders["paid"], Decimal(0))
    assert daily["date"].is_monotonic_increasing and daily["date"].is_unique
    assert (daily["date"] == daily["date"].dt.normalize()).all()


def test_a_story_across_two_days():
    clock = SimulatedClock(start=START + 3600, step=0)
    shop = Shop(InMemoryEventStore(clock=clock))
    read_models = ShopReadModels(shop.store, mode=INLINE)
    shop.handle(PlaceOrder("1", Decimal("100.00"), "alice"))
    shop.handle(PayOrder("1", Decimal("100.00")))
    shop.handle(PlaceOrder("2", Decimal("19.99")))
    clock.advance(DAY)
    shop.handle(RequestRefund("1", Decimal("30.00"), "damaged"))
    shop.handle(ConfirmRefund("1", "R1"))
    shop.handle(PayOrder("2", Decimal("19.99")))
    shop.handle(CancelOrder("2", "changed mind"))  # refunds the 19.99 paid
    shop.handle(PlaceOrder("3", Decimal("5")))
    shop.handle(PayOrder("3", Decimal("5")))
    shop.handle(ShipOrder("3"))

    orders = read_models.orders_frame().set_index("order_id")
    assert orders["status"].tolist() == ["partially refunded", "cancelled", "shipped"]
    assert orders["net"].tolist() == [Decimal("70.00"), Decimal("0.00"), Decimal("5")]
    assert orders["events"].tolist() == [4, 4, 3]
    assert orders.loc["1", "created_at"] == pd.Timestamp(START + 3600, unit="s", tz="UTC")
    assert orders.loc["1", "updated_at"] == pd.Timestamp(START + DAY + 3600, unit="s", tz="UTC")

    refunds = read_models.refunds_frame()
    assert refunds["refund_id"].tolist() == ["R1", "R1"]
    assert refunds["reason"].tolist() == ["damaged", "order cancelled"]
    assert refunds["confirmed_at"].notna().tolist() == [True, False]

    daily = read_models.daily_revenue_frame()
    assert daily["date"].dt.date.tolist() == [date(2021, 8, 8), date(2021, 8, 9)]
    assert daily["orders_placed"].tolist() == [2, 1]
    assert daily["gross_paid"].tolist() == [Decimal("100.00"), Decimal("24.99")]
    assert daily["refunded"].tolist() == [Decimal("0.00"), Decimal("49.99")]
    assert daily["net"].tolist() == [Decimal("100.00"), Decimal("-25.00")]


ORDERS_DTYPES = {"order_id": "string", "customer_id": "string", "amount": "object", "status": "category",
                 "paid": "object", "refunded": "object", "net": "object", "events": "int64",
                 "last_version": "int64", "created_at": "datetime64[ns, UTC]",
                 "updated_at": "datetime64[ns, UTC]"}
REFUNDS_DTYPES = {"refund_id": "string", "order_id": "string", "amount": "object", "reason": "string",
                  "requested_at": "datetime64[ns, UTC]", "confirmed_at": "datetime64[ns, UTC]"}
DAILY_DTYPES = {"date": "datetime64[ns, UTC]", "orders_placed": "int64", "gross_paid": "object",
                "refunded": "object", "net": "object"}


@pytest.mark.parametrize("empty", [True, False])
def test_frames_have_the_documented_columns_and_dtypes_even_when_empty(empty):
    shop, _ = new_shop()
    read_models = ShopReadModels(shop.store, mode=INLINE)
    if not empty:
        shop.handle(PlaceOrder("1", Decimal("10.50"), "alice"))
        shop.handle(PayOrder("1", Decimal("10.50")))
        shop.handle(RequestRefund("1", Decimal("0.50")))
    for frame, dtypes in ((read_models.orders_frame(), ORDERS_DTYPES),
                          (read_models.refunds_frame(), REFUNDS_DTYPES),
                          (read_models.daily_revenue_frame(), DAILY_DTYPES)):
        assert {name: str(dtype) for name, dtype in frame.dtypes.items()} == dtypes
        assert len(frame) == (0 if empty else 1)
        for name, dtype in dtypes.items():
            if dtype == "object":  # money: Decimal, never float
                assert all(type(value) is Decimal for value in frame[name]), name
    assert list(read_models.orders_frame()["status"].cat.categories) == list(STATUSES)


def test_frames_are_copies():
    shop, _ = new_shop()
    read_models = ShopReadModels(shop.store, mode=INLINE)
    shop.handle(PlaceOrder("1", Decimal("10.00")))
    frame = read_models.orders_frame()
    frame.loc[0, "amount"] = Decimal("99.00")
    assert read_models.orders.state["1"].amount == Decimal("10.00")


def test_the_module_functions_build_the_same_frames():
    shop, _ = new_shop()
    read_models = ShopReadModels(shop.store, mode=INLINE)
    shop.handle(PlaceOrder("1", Decimal("10.00")))
    shop.handle(PayOrder("1", Decimal("10.00")))
    shop.handle(RequestRefund("1", Decimal("1.00")))
    pd.testing.assert_frame_equal(orders_frame(read_models.orders.state), read_models.orders_frame())
    pd.testing.assert_frame_equal(refunds_frame(read_models.refunds.state), read_models.refunds_frame())
    pd.testing.assert_frame_equal(daily_revenue_frame(read_models.daily_revenue.state),
                                  read_models.daily_revenue_frame())


@dataclass(frozen=True)
class ParcelHandedOver:  # an event of another kind, from another part of the system
    parcel_id: str


def test_read_models_pass_over_events_they_do_not_read():
    shop, _ = new_shop()
    read_models = ShopReadModels(shop.store, mode=INLINE)
    shop.handle(PlaceOrder("1", Decimal("10.00")))
    before = orders_projection.fold(shop.store.read_all())
    shop.store.append("parcel-9", [ParcelHandedOver("9")])
    assert read_models.lag == 0 and read_models.orders.state == before
    assert read_models.refunds.state == {}


def test_an_event_for_an_order_never_created_is_named():
    store = InMemoryEventStore()
    store.append("order-7", [OrderPaid("7")])
    with pytest.raises(ValueError, match="OrderPaid at position 1 is for order '7'.*never saw created"):
        orders_projection.fold(store.read_all())
