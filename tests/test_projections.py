"""The projection machinery: rebuild = incremental, idempotency, lag, modes.

``shop_actions`` and ``run_actions`` (random command sequences through a
``Shop``) are shared with the other read-side tests.
"""
from __future__ import annotations

import copy
import gc
from decimal import Decimal

import pytest
from hypothesis import given, settings, strategies as st

from eventsim.clock import SimulatedClock
from eventsim.commands import CancelOrder, ConfirmRefund, PayOrder, PlaceOrder, RequestRefund, ShipOrder
from eventsim.ids import SeededIds
from eventsim.order import OrderError
from eventsim.projections import EVENTUAL, INLINE, Projection, ProjectionRunner
from eventsim.read_models import (ShopReadModels, daily_revenue_projection, orders_projection,
                                  refunds_projection)
from eventsim.shop import Shop
from eventsim.store import InMemoryEventStore

PROJECTIONS = (orders_projection, refunds_projection, daily_revenue_projection)

# --- random histories, shared with the other read-side tests --------------

_order_ids = st.sampled_from(["A", "B", "C"])
#: Abstract steps, made concrete against the shop's state when run, so that
#: most of them are accepted ("pay" pays the right amount, and so on).
shop_actions = st.lists(st.one_of(
    st.tuples(st.just("place"), _order_ids, st.sampled_from(["0.01", "19.99", "100", "250.50"]),
              st.sampled_from([None, "alice", "bob"])),
    st.tuples(st.just("pay"), _order_ids),
    st.tuples(st.just("refund"), _order_ids, st.sampled_from(["0.01", "5.00", "all"])),
    st.tuples(st.just("confirm"), _order_ids),
    st.tuples(st.just("cancel"), _order_ids),
    st.tuples(st.just("ship"), _order_ids),
    st.tuples(st.just("wait"), st.integers(0, 2 * 86_400)),
), max_size=30)


def new_shop(**store_options) -> tuple[Shop, SimulatedClock]:
    clock = SimulatedClock(step=60)
    store = InMemoryEventStore(clock=clock, ids=SeededIds(1), **store_options)
    return Shop(store, ids=SeededIds(2)), clock


def run_actions(shop: Shop, clock: SimulatedClock, actions) -> None:
    """Run each step as a command; the rules may refuse it, which records nothing."""
    for action, *args in actions:
        if action == "wait":
            clock.advance(args[0])
            continue
        order_id = args[0]
        state = shop.state(order_id)
        if action == "place":
            command = PlaceOrder(order_id, Decimal(args[1]), args[2])
        elif action == "pay":
            command = PayOrder(order_id, state.amount)
        elif action == "refund":
            command = RequestRefund(order_id, state.net if args[1] == "all" else Decimal(args[1]), "test")
        elif action == "confirm":
            unpaid = [r.refund_id for r in state.unpaid_refunds()]
            command = ConfirmRefund(order_id, unpaid[0] if unpaid else "none")
        elif action == "cancel":
            command = CancelOrder(order_id, "test")
        else:
            command = ShipOrder(order_id)
        try:
            shop.handle(command)
        except OrderError:
            pass


def placed_paid_refunded(shop: Shop, orders: int = 3) -> None:
    for number in range(1, orders + 1):
        order_id = str(number)
        shop.handle(PlaceOrder(order_id, Decimal("100.00"), "alice"))
        shop.handle(PayOrder(order_id, Decimal("100.00")))
        shop.handle(RequestRefund(order_id, Decimal("30.00"), "damaged"))


# --- rebuild = incremental --------------------------------------------------

@settings(deadline=None, max_examples=60)
@given(shop_actions, st.lists(st.integers(0, 5), min_size=1))
def test_rebuilding_from_position_1_gives_the_read_model_incremental_updates_gave(actions, steps):
    shop, clock = new_shop()
    inline = ShopReadModels(shop.store, mode=INLINE)
    run_actions(shop, clock, actions)
    stepped = ShopReadModels(shop.store)
    for step in steps:  # eventual, in uneven steps, to the end
        stepped.catch_up(max_events=step)
    stepped.catch_up()

    for projection in PROJECTIONS:
        rebuilt = ProjectionRunner(shop.store, projection).rebuild()
        assert rebuilt == projection.fold(shop.store.read_all())
        for read_models in (inline, stepped):
            runner = next(r for r in (read_models.orders, read_models.refunds, read_models.daily_revenue)
                          if r.projection is projection)
            assert runner.state == rebuilt, projection.name
            assert runner.checkpoint == shop.store.last_position


def test_rebuild_replaces_the_state_and_keeps_following_inline():
    shop, _ = new_shop()
    placed_paid_refunded(shop, 2)
    runner = ProjectionRunner(shop.store, orders_projection, mode=INLINE)
    before = runner.state
    rebuilt = runner.rebuild()
    assert rebuilt is runner.state and rebuilt is not before and rebuilt == before
    shop.handle(PlaceOrder("new", Decimal("1.00")))
    assert "new" in runner.state and runner.lag == 0


# --- idempotency -----------------------------------------------------------

@settings(deadline=None, max_examples=30)
@given(shop_actions, st.integers(0, 2**32))
def test_under_at_least_once_delivery_a_repeated_event_changes_nothing(actions, seed):
    shop, clock = new_shop(redeliver=0.3, seed=seed)
    read_models = ShopReadModels(shop.store, mode=INLINE)
    run_actions(shop, clock, actions)
    for projection in PROJECTIONS:
        expected = projection.fold(shop.store.read_all())
        runner = next(r for r in (read_models.orders, read_models.refunds, read_models.daily_revenue)
                      if r.projection is projection)
        assert runner.state == expected, projection.name


def test_redelivery_happens_and_each_event_is_applied_once():
    shop, _ = new_shop(redeliver=0.3, seed=7)
    positions = Projection("positions", list, lambda seen, recorded: seen + [recorded.position])
    runner = ProjectionRunner(shop.store, positions)
    results = []
    handle = runner.handle
    runner.handle = lambda recorded: results.append(handle(recorded))  # what the subscription calls
    runner.mode = INLINE
    placed_paid_refunded(shop, 10)
    assert results.count(False) > 0, "the store never delivered an event twice: the test proves nothing"
    assert results.count(True) == shop.store.last_position
    assert runner.state == list(range(1, shop.store.last_position + 1))


def test_handle_skips_an_event_it_has_and_refuses_to_skip_ahead():
    shop, _ = new_shop()
    placed_paid_refunded(shop, 1)
    first, second, third = shop.store.read_all()
    runner = ProjectionRunner(shop.store, orders_projection)
    assert runner.handle(first) is True
    snapshot = copy.deepcopy(runner.state)
    assert runner.handle(first) is False
    assert runner.state == snapshot and runner.checkpoint == 1
    with pytest.raises(ValueError, match="at position 1 and was given event 3"):
        runner.handle(third)
    assert runner.checkpoint == 1


# --- lag and modes -----------------------------------------------------------

def test_lag_is_visible_and_goes_to_zero_on_catch_up():
    shop, _ = new_shop()
    runner = ProjectionRunner(shop.store, orders_projection)
    assert runner.mode == EVENTUAL and runner.lag == 0
    placed_paid_refunded(shop, 3)  # 9 events
    assert runner.lag == 9 and runner.state == {}
    assert runner.catch_up(max_events=4) == 4
    assert (runner.checkpoint, runner.lag) == (4, 5)
    assert runner.catch_up(max_events=0) == 0 and runner.lag == 5
    assert runner.catch_up() == 5
    assert (runner.checkpoint, runner.lag) == (9, 0)
    assert runner.catch_up() == 0
    with pytest.raises(ValueError, match="max_events"):
        runner.catch_up(max_events=-1)


def test_modes_switch_at_runtime():
    shop, _ = new_shop()
    runner = ProjectionRunner(shop.store, orders_projection)
    shop.handle(PlaceOrder("1", Decimal("10.00")))
    assert runner.lag == 1

    runner.mode = INLINE  # catches up at once, then follows every append
    assert runner.mode == INLINE and runner.lag == 0
    shop.handle(PayOrder("1", Decimal("10.00")))
    assert runner.lag == 0 and runner.state["1"].paid == Decimal("10.00")

    runner.mode = EVENTUAL
    shop.handle(ShipOrder("1"))
    assert runner.mode == EVENTUAL and runner.lag == 1 and not runner.state["1"].shipped

    runner.mode = INLINE
    assert runner.lag == 0 and runner.state["1"].shipped
    assert runner.state == orders_projection.fold(shop.store.read_all())
    with pytest.raises(ValueError, match="'inline' or 'eventual', not 'sometimes'"):
        runner.mode = "sometimes"


def test_the_read_models_switch_and_catch_up_together():
    shop, _ = new_shop()
    read_models = ShopReadModels(shop.store)
    placed_paid_refunded(shop, 2)
    assert read_models.lag == 6
    assert read_models.catch_up(max_events=2) == 2 and read_models.lag == 4
    read_models.mode = INLINE
    assert read_models.lag == 0
    assert {r.mode for r in (read_models.orders, read_models.refunds, read_models.daily_revenue)} == {INLINE}


# --- the generic machinery -------------------------------------------------

def test_a_projection_can_keep_an_immutable_state():
    shop, _ = new_shop()
    placed_paid_refunded(shop, 2)
    counter = Projection("events", int, lambda count, recorded: count + 1)
    runner = ProjectionRunner(shop.store, counter)
    runner.catch_up(max_events=4)
    assert runner.state == 4
    runner.catch_up()
    assert runner.state == 6 == counter.fold(shop.store.read_all())


def test_a_failing_apply_leaves_the_checkpoint_at_the_last_event_applied_and_the_collector_on():
    shop, _ = new_shop()
    placed_paid_refunded(shop, 1)

    def apply(seen, recorded):
        if recorded.position == 3:
            raise RuntimeError("boom")
        return seen + [recorded.position]

    runner = ProjectionRunner(shop.store, Projection("fails at 3", list, apply))
    assert gc.isenabled()
    with pytest.raises(RuntimeError, match="boom"):
        runner.catch_up()
    assert gc.isenabled()
    assert (runner.state, runner.checkpoint, runner.lag) == ([1, 2], 2, 1)


def test_a_replay_leaves_a_paused_collector_paused():
    shop, _ = new_shop()
    placed_paid_refunded(shop, 1)
    gc.disable()
    try:
        orders_projection.fold(shop.store.read_all())
        assert not gc.isenabled()
    finally:
        gc.enable()
