"""The order read models agree with the write side, and their DataFrames keep exact types."""
from __future__ import annotations

import copy
from datetime import date
from decimal import Decimal

import pandas as pd
import pytest
from hypothesis import given, settings
from test_projections import (
    PROJECTIONS,
    new_shop,
    placed_paid_refunded,
    run_actions,
    shop_actions,
)

from eventsim.clock import SimulatedClock
from eventsim.money import MAX_AMOUNT
from eventsim.projections import INLINE, ProjectionFailed, ProjectionRunner
from eventsim.shop import Shop, stream_for
from eventsim.shop.commands import (
    CancelOrder,
    ConfirmRefund,
    PayOrder,
    PlaceOrder,
    RequestRefund,
    ShipOrder,
)
from eventsim.shop.events import OrderCreated, OrderPaid, RefundCreated, RefundPaid
from eventsim.shop.order import STATUSES
from eventsim.shop.read_models import (
    ShopReadModels,
    daily_revenue_frame,
    daily_revenue_projection,
    orders_frame,
    orders_projection,
    refunds_frame,
)
from eventsim.store import InMemoryEventStore

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
        assert (row.customer_id, row.amount, row.paid, row.refunds_requested, row.refunds_paid, row.net,
                row.status) == (state.customer_id, state.amount, state.paid, state.refunds_requested,
                                state.refunds_paid, state.net, state.status)
        stream = shop.store.read_stream(stream_for(order_id))
        assert row.events == row.last_version == stream[-1].version == len(stream)
        assert (row.created_at, row.updated_at) == (stream[0].recorded_at, stream[-1].recorded_at)
        by_id = refunds.get(order_id, {})
        assert {r.refund_id: (r.amount, r.paid_at is not None) for r in by_id.values()} == {
            r.refund_id: (r.amount, r.paid) for r in state.refunds.values()}


@settings(deadline=None, max_examples=60)
@given(shop_actions)
def test_daily_revenue_adds_up_to_the_orders(actions):
    shop, clock = new_shop()
    read_models = ShopReadModels(shop.store, mode=INLINE)
    run_actions(shop, clock, actions)
    orders, daily = read_models.orders_frame(), read_models.daily_revenue_frame()
    assert daily["orders_placed"].sum() == len(orders)
    assert sum(daily["gross_paid"], Decimal(0)) == sum(orders["paid"], Decimal(0))
    assert sum(daily["refunds_paid"], Decimal(0)) == sum(orders["refunds_paid"], Decimal(0))
    assert sum(daily["net"], Decimal(0)) == sum(orders["paid"] - orders["refunds_paid"], Decimal(0))
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
    shop.handle(RequestRefund("1", Decimal("30.00"), "damaged", refund_id="R1"))
    shop.handle(ConfirmRefund("1", "R1"))
    shop.handle(PayOrder("2", Decimal("19.99")))
    shop.handle(CancelOrder("2", "changed mind"))  # refunds the 19.99 paid
    shop.handle(PlaceOrder("3", Decimal(5)))
    shop.handle(PayOrder("3", Decimal(5)))
    shop.handle(ShipOrder("3"))

    orders = read_models.orders_frame().set_index("order_id")
    assert orders["status"].tolist() == ["paid, partially refunded", "cancelled, refund requested", "shipped"]
    assert orders["refunds_requested"].tolist() == [Decimal("30.00"), Decimal("19.99"), Decimal("0.00")]
    assert orders["refunds_paid"].tolist() == [Decimal("30.00"), Decimal("0.00"), Decimal("0.00")]
    assert orders["net"].tolist() == [Decimal("70.00"), Decimal("0.00"), Decimal(5)]
    assert orders["events"].tolist() == [4, 4, 3]
    assert orders.loc["1", "created_at"] == pd.Timestamp(START + 3600, unit="s", tz="UTC")
    assert orders.loc["1", "updated_at"] == pd.Timestamp(START + DAY + 3600, unit="s", tz="UTC")

    refunds = read_models.refunds_frame()
    assert refunds[["order_id", "refund_id"]].values.tolist() == [["1", "R1"], ["2", "R1"]]
    assert refunds["reason"].tolist() == ["damaged", "order cancelled"]
    assert refunds["paid_at"].notna().tolist() == [True, False]

    daily = read_models.daily_revenue_frame()
    assert daily["date"].dt.date.tolist() == [date(2021, 8, 8), date(2021, 8, 9)]
    assert daily["orders_placed"].tolist() == [2, 1]
    assert daily["gross_paid"].tolist() == [Decimal("100.00"), Decimal("24.99")]
    assert daily["refunds_paid"].tolist() == [Decimal("0.00"), Decimal("30.00")]  # 19.99 is not paid out yet
    assert daily["net"].tolist() == [Decimal("100.00"), Decimal("-5.01")]


ORDERS_DTYPES = {"order_id": "string", "customer_id": "string", "amount": "object", "status": "category",
                 "paid": "object", "refunds_requested": "object", "refunds_paid": "object", "net": "object",
                 "events": "int64",
                 "last_version": "int64", "created_at": "datetime64[ns, UTC]",
                 "updated_at": "datetime64[ns, UTC]"}
REFUNDS_DTYPES = {"refund_id": "string", "order_id": "string", "amount": "object", "reason": "string",
                  "requested_at": "datetime64[ns, UTC]", "paid_at": "datetime64[ns, UTC]"}
DAILY_DTYPES = {"date": "datetime64[ns, UTC]", "orders_placed": "int64", "gross_paid": "object",
                "refunds_paid": "object", "net": "object"}


@pytest.mark.parametrize("empty", [True, False])
def test_frames_have_the_documented_columns_and_dtypes_even_when_empty(empty):
    shop, _ = new_shop()
    read_models = ShopReadModels(shop.store, mode=INLINE)
    if not empty:
        shop.handle(PlaceOrder("1", Decimal("10.50"), "alice"))
        shop.handle(PayOrder("1", Decimal("10.50")))
        shop.handle(RequestRefund("1", Decimal("0.50"), refund_id="R1"))
        shop.handle(ConfirmRefund("1", "R1"))
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


def test_read_models_pass_over_events_they_do_not_read():
    shop, _ = new_shop()
    read_models = ShopReadModels(shop.store, mode=INLINE)
    shop.handle(PlaceOrder("1", Decimal("10.00")))
    shop.handle(PayOrder("1", Decimal("10.00")))
    daily = copy.deepcopy(read_models.daily_revenue.state)
    shop.handle(ShipOrder("1"))  # the daily revenue does not read OrderShipped
    assert read_models.lag == 0 and read_models.daily_revenue.state == daily
    assert read_models.refunds.state == {}  # nor the refunds model any order event


def test_an_event_for_an_order_never_created_is_named():
    store = InMemoryEventStore()
    store.append("order-7", [OrderPaid("7")])
    for projection in (orders_projection, daily_revenue_projection):
        with pytest.raises(ValueError, match="OrderPaid at position 1: order '7' was never created"):
            projection.fold(store.read_all())


# --- facts, not intent -----------------------------------------------------

def test_an_unconfirmed_refund_is_no_money_out():
    clock = SimulatedClock(start=START, step=0)
    shop = Shop(InMemoryEventStore(clock=clock))
    read_models = ShopReadModels(shop.store, mode=INLINE)
    shop.handle(PlaceOrder("1", Decimal("100.00")))
    shop.handle(PayOrder("1", Decimal("100.00")))
    clock.advance(DAY)
    shop.handle(RequestRefund("1", Decimal("80.00"), refund_id="R1"))  # asked for, not paid out

    daily = read_models.daily_revenue_frame()
    assert daily["date"].dt.date.tolist() == [date(2021, 8, 8)]  # the request moved no money
    assert daily["net"].tolist() == [Decimal("100.00")]
    row = read_models.orders.state["1"]
    assert (row.refunds_requested, row.refunds_paid, row.status) == (
        Decimal("80.00"), Decimal("0.00"), "paid, refund requested")

    clock.advance(DAY)
    shop.handle(ConfirmRefund("1", "R1"))  # the provider paid: money out, on this day
    daily = read_models.daily_revenue_frame()
    assert daily["date"].dt.date.tolist() == [date(2021, 8, 8), date(2021, 8, 10)]
    assert daily["refunds_paid"].tolist() == [Decimal("0.00"), Decimal("80.00")]
    assert (row.refunds_paid, row.status) == (Decimal("80.00"), "paid, partially refunded")
    assert read_models.refunds_frame()["paid_at"].tolist() == [pd.Timestamp(START + 2 * DAY, unit="s", tz="UTC")]


# --- check, then change ----------------------------------------------------

#: Events the read models cannot apply after ``placed_paid_refunded(shop, 1)`` (order 1, paid,
#: refund R1 of 30.00 requested), and which read models apply them anyway (they do not read the flaw).
POISON = [
    ("created twice", "order-1", OrderCreated("1", Decimal("5.00")), {"refunds"}),
    ("paid, never created", "order-9", OrderPaid("9"), {"refunds"}),
    ("refund of an order never created", "order-9", RefundCreated("9", Decimal("1.00"), "R1"), {"refunds"}),
    ("refund requested twice", "order-1", RefundCreated("1", Decimal("1.00"), "R1"), set()),
    ("refund paid, never requested", "order-1", RefundPaid("1", "R7"), set()),
    ("beyond MAX_AMOUNT", "order-big", OrderCreated("big", Decimal("1e30")), {"refunds"}),
    ("negative", "order-1", RefundCreated("1", Decimal("-5.00"), "R9"), set()),
]


@pytest.mark.parametrize("what, stream_id, event, accepted_by", POISON, ids=[p[0] for p in POISON])
@pytest.mark.parametrize("projection", PROJECTIONS, ids=lambda p: p.name)
def test_an_event_a_read_model_cannot_apply_changes_nothing(projection, what, stream_id, event, accepted_by):
    shop, _ = new_shop()
    placed_paid_refunded(shop, 1)
    shop.handle(RequestRefund("1", Decimal("1.00"), refund_id="R5"))
    shop.handle(ConfirmRefund("1", "R5"))
    position = shop.store.append(stream_id, [event])[0].position
    runner = ProjectionRunner(shop.store, projection)
    runner.catch_up(max_events=position - 1)
    before = copy.deepcopy(runner.state)
    if projection.name in accepted_by:
        assert runner.catch_up() == 1 and runner.state == projection.fold(shop.store.read_all())
        return
    with pytest.raises(ProjectionFailed, match=f"stopped at position {position}"):
        runner.catch_up()
    assert runner.state == before and runner.checkpoint == position - 1


def test_daily_revenue_leaves_no_phantom_day_for_an_event_it_cannot_apply():
    clock = SimulatedClock(start=START)
    shop = Shop(InMemoryEventStore(clock=clock))
    shop.handle(PlaceOrder("1", Decimal("1.00")))
    clock.advance(DAY)
    shop.store.append("order-7", [OrderPaid("7")])
    runner = ProjectionRunner(shop.store, daily_revenue_projection)
    with pytest.raises(ProjectionFailed, match="never created"):
        runner.catch_up()
    assert list(runner.state.days) == [date(2021, 8, 8)]


# --- money at its largest ----------------------------------------------------

def test_read_models_and_frames_add_up_the_largest_amounts_exactly():
    shop, _ = new_shop()
    read_models = ShopReadModels(shop.store, mode=INLINE)
    largest, orders = MAX_AMOUNT, 300
    for n in range(orders):
        order_id = str(n)
        shop.handle(PlaceOrder(order_id, largest))
        shop.handle(PayOrder(order_id, largest))
        shop.handle(RequestRefund(order_id, largest - Decimal("0.01"), refund_id="R1"))
        shop.handle(ConfirmRefund(order_id, "R1"))
    frames = read_models.orders_frame(), read_models.refunds_frame(), read_models.daily_revenue_frame()
    orders_table, refunds_table, daily = frames
    assert sum(orders_table["paid"], Decimal(0)) == largest * orders
    assert sum(daily["gross_paid"], Decimal(0)) == largest * orders
    assert sum(daily["net"], Decimal(0)) == Decimal("0.01") * orders
    assert sum(refunds_table["amount"], Decimal(0)) == (largest - Decimal("0.01")) * orders
    assert set(orders_table["status"]) == {"paid, partially refunded"}
    assert read_models.queries().order("0")["paid"] == "1000000000000.00"


def test_an_amount_beyond_the_bound_is_refused_by_name_and_the_frames_still_work():
    shop, _ = new_shop()
    read_models = ShopReadModels(shop.store, mode=INLINE)
    shop.handle(PlaceOrder("1", Decimal("10.00")))
    shop.store.append("order-big", [OrderCreated("big", Decimal("1e30"))])  # not through the shop
    assert read_models.orders.failure.reason == (
        "ValueError: OrderCreated at position 2: amount 1e+30 is not between 0 and 1,000,000,000,000, "
        "so it cannot be added up exactly")
    assert read_models.orders_frame()["order_id"].tolist() == ["1"]
    assert len(read_models.daily_revenue_frame()) == 1


def test_frames_show_money_to_the_cent_and_never_round():
    shop, _ = new_shop()
    read_models = ShopReadModels(shop.store, mode=INLINE)
    shop.handle(PlaceOrder("1", Decimal(100)))
    shop.store.append("order-2", [OrderCreated("2", Decimal("0.001"))])  # not through the shop
    assert read_models.orders_frame()["amount"].tolist() == [Decimal("100.00"), Decimal("0.001")]
    assert [str(a) for a in read_models.orders_frame()["amount"]] == ["100.00", "0.001"]
    assert read_models.queries().order("2")["amount"] == "0.001"


def test_a_million_rows_keep_nothing_they_no_longer_need():
    """Memory: a row whose refunds are all paid out keeps no (empty) dict of unpaid ones, and
    a frame shares the read model's amounts instead of copying each one."""
    shop = Shop(clock=SimulatedClock(START))
    shop.handle(PlaceOrder("1", Decimal("10.00")))
    shop.handle(PayOrder("1", Decimal("10.00")))
    refund = shop.handle(RequestRefund("1", Decimal("4.00")))[0].event
    read_models = ShopReadModels(shop.store)
    read_models.catch_up()
    assert read_models.orders.state["1"].awaiting_payout == {refund.refund_id: Decimal("4.00")}
    shop.handle(ConfirmRefund("1", refund.refund_id))
    read_models.catch_up()
    row = read_models.orders.state["1"]
    assert row.awaiting_payout is None and row.refunds_paid == Decimal("4.00")
    frame = read_models.orders_frame()
    assert frame["amount"][0] is row.amount and frame["paid"][0] is row.paid
