"""The projection machinery: rebuild = incremental, idempotency, lag, modes.

``shop_actions`` and ``run_actions`` (random command sequences through a
``Shop``) are shared with the other read-side tests.
"""
from __future__ import annotations

import copy
import dataclasses
import gc
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from eventsim import projections
from eventsim.clock import SimulatedClock
from eventsim.ids import SeededIds
from eventsim.projections import (
    EVENTUAL,
    INLINE,
    Failure,
    Projection,
    ProjectionFailed,
    ProjectionRunner,
    catch_up_all,
)
from eventsim.shop import Shop
from eventsim.shop.commands import (
    CancelOrder,
    ConfirmRefund,
    PayOrder,
    PlaceOrder,
    RequestRefund,
    ShipOrder,
)
from eventsim.shop.events import OrderCreated, OrderPaid
from eventsim.shop.order import OrderError
from eventsim.shop.read_models import (
    ShopReadModels,
    daily_revenue_projection,
    orders_projection,
    refunds_projection,
)
from eventsim.store import InMemoryEventStore
from eventsim.stores.sqlite import SQLiteEventStore

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


def test_handle_ignores_an_event_it_has_and_takes_the_next_whatever_its_position():
    shop, _ = new_shop()
    placed_paid_refunded(shop, 1)
    first, _, third = shop.store.read_all()
    runner = ProjectionRunner(shop.store, orders_projection)
    assert runner.handle(first) is True
    snapshot = copy.deepcopy(runner.state)
    assert runner.handle(first) is False
    assert runner.state == snapshot and runner.checkpoint == 1
    assert runner.handle(third) is True  # positions may have gaps: 2 need not exist
    assert runner.checkpoint == 3 and runner.state["1"].refunds_requested == Decimal("30.00")


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


def test_the_read_models_switched_to_inline_catch_their_backlog_up_together_then_follow_each_append():
    """Three read models far behind (a million events) catch up in turns through ``catch_up``'s
    loop, several times faster than the store handing each the events one at a time; new events
    come one at a time.  (A single runner switched to inline is handed its backlog by the store:
    notebook 5 shows it ignoring the repeats of a store that delivers twice.)"""
    shop, _ = new_shop()
    placed_paid_refunded(shop, 3)
    read_models = ShopReadModels(shop.store)
    handed = []
    for runner in (read_models.orders, read_models.refunds, read_models.daily_revenue):
        handle = runner.handle
        runner.handle = lambda recorded, handle=handle: handed.append(recorded.position) or handle(recorded)
    read_models.mode = INLINE
    assert handed == [] and read_models.lag == 0 and list(read_models.orders.state) == ["1", "2", "3"]
    shop.handle(ShipOrder("1"))
    assert handed == [shop.store.last_position] * 3 and read_models.orders.state["1"].shipped


def test_switching_to_inline_over_a_bad_event_stops_there_as_a_subscription_does():
    shop, _ = new_shop()
    placed_paid_refunded(shop, 1)
    ghost = ghost_paid(shop)
    shop.handle(PlaceOrder("2", Decimal("10.00")))
    runner = ProjectionRunner(shop.store, orders_projection)
    runner.mode = INLINE  # no exception: the command side never hears of a read model's failure
    assert runner.mode == INLINE and runner.failure.position == ghost and runner.checkpoint == ghost - 1
    runner.skip()
    assert runner.lag == 0 and list(runner.state) == ["1", "2"]


def test_the_read_models_switch_and_catch_up_together():
    shop, _ = new_shop()
    read_models = ShopReadModels(shop.store)
    placed_paid_refunded(shop, 2)
    assert read_models.lag == 6
    assert read_models.catch_up(max_events=2) == 2 and read_models.lag == 4
    read_models.mode = INLINE
    assert read_models.lag == 0
    assert {r.mode for r in (read_models.orders, read_models.refunds, read_models.daily_revenue)} == {INLINE}


def test_the_read_models_switched_to_inline_over_a_bad_event_each_go_as_far_as_they_can():
    shop, _ = new_shop()
    placed_paid_refunded(shop, 1)
    shop.store.append("order-x", [OrderPaid("x")])  # the orders and daily revenue models fail here
    shop.handle(PlaceOrder("2", Decimal("1.00")))
    read_models = ShopReadModels(shop.store, mode=INLINE)  # no exception: as a subscription, it says why
    assert read_models.mode == INLINE and read_models.refunds.lag == 0 and read_models.refunds.failure is None
    assert read_models.orders.failure.position == read_models.daily_revenue.failure.position == 4
    assert read_models.orders.checkpoint == read_models.daily_revenue.checkpoint == 3


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


def test_catching_up_pauses_the_cycle_collector_for_its_own_duration_only():
    """A bulk operation may pause the collector (issue 27), and leaves it as it found it, whatever happens."""
    shop, _ = new_shop()
    placed_paid_refunded(shop, 2)
    seen = []

    def watch(state, recorded):
        seen.append(gc.isenabled())
        if recorded.position == 4:
            raise ValueError("a bad event")
        return state

    watcher = ProjectionRunner(shop.store, Projection("watch", dict, watch))
    try:
        with pytest.raises(ProjectionFailed):
            catch_up_all([watcher])
        assert seen and not any(seen) and gc.isenabled()  # paused while applying; on again after a failure
        gc.disable()
        ShopReadModels(shop.store).catch_up()
        assert not gc.isenabled()  # left off, as the caller had it
    finally:
        gc.enable()


# --- gaps in positions -------------------------------------------------------

class GappyStore:
    """The reading side of a store whose positions go 10, 20, 30, ... as a database sequence may.
    Its gaps are settled (rollbacks of the past): it commits in order (tests/test_gaps.py: one that does not)."""

    commits_in_sequence = True

    def __init__(self, events):
        self.events = [dataclasses.replace(r, position=10 * r.position) for r in events]

    def read_all(self, from_position=1, limit=None):
        found = [r for r in self.events if r.position >= from_position]
        return found if limit is None else found[:limit]

    @property
    def last_position(self):
        return self.events[-1].position if self.events else 0


def test_a_runner_reads_on_after_its_checkpoint_when_positions_have_gaps():
    shop, _ = new_shop()
    placed_paid_refunded(shop, 3)
    store = GappyStore(shop.store.read_all())
    runner = ProjectionRunner(store, orders_projection)
    assert runner.catch_up(max_events=4) == 4 and runner.checkpoint == 40
    assert runner.catch_up() == 5 and runner.checkpoint == 90 and runner.lag == 0
    assert runner.catch_up() == 0
    assert runner.state == orders_projection.fold(shop.store.read_all())


# --- failures: state and checkpoint move together ---------------------------

def ghost_paid(shop: Shop) -> int:
    """Record an OrderPaid for an order that was never created (a poison event); return its position."""
    return shop.store.append("order-ghost", [OrderPaid("ghost")])[0].position


def a_log_with_a_poison_event(shop: Shop) -> int:
    """Order 1 placed, paid and refunded, then a poison event, then order 2 placed; the poison's position."""
    placed_paid_refunded(shop, 1)
    ghost = ghost_paid(shop)
    shop.handle(PlaceOrder("2", Decimal("5.00")))
    return ghost


def test_a_failing_event_leaves_state_and_checkpoint_as_they_were_and_says_why():
    shop, _ = new_shop()
    ghost = a_log_with_a_poison_event(shop)
    runner = ProjectionRunner(shop.store, orders_projection)

    with pytest.raises(ProjectionFailed, match=rf"'orders' stopped at position {ghost} \(OrderPaid\)"
                                               ".*'ghost' was never created.*catch_up.*skip"):
        runner.catch_up()

    assert runner.state == orders_projection.fold(shop.store.read_all(1, limit=3))
    assert (runner.checkpoint, runner.lag) == (3, 2)
    assert runner.failure == Failure(ghost, "OrderPaid", f"ValueError: OrderPaid at position {ghost}: "
                                                         "order 'ghost' was never created")
    assert "stopped at 4" in repr(runner)
    with pytest.raises(ProjectionFailed):  # tried again, unfixed: stopped at the same event
        runner.catch_up()
    assert runner.checkpoint == 3
    with pytest.raises(ProjectionFailed, match=f"stopped at position {ghost}"):
        runner.handle(shop.store.read_all()[-1])  # a later event would skip the one it is stopped at
    assert "2" not in runner.state


def test_a_catch_up_that_moves_no_event_leaves_the_runner_stopped_where_it_was():
    """catch_up(max_events=0), as catch_up_all(runners, max_events=0) asks, tries nothing: the runner is
    still stopped at the poison event, so a later event handed to it cannot skip that one."""
    shop, _ = new_shop()
    ghost = a_log_with_a_poison_event(shop)
    runner = ProjectionRunner(shop.store, orders_projection)
    with pytest.raises(ProjectionFailed):
        runner.catch_up()
    assert runner.catch_up(max_events=0) == 0
    assert runner.failure is not None and runner.failure.position == ghost
    with pytest.raises(ProjectionFailed, match=f"stopped at position {ghost}"):
        runner.handle(shop.store.read_all()[-1])


def test_the_operator_skips_a_poison_event_and_the_runner_goes_on():
    shop, _ = new_shop()
    ghost = a_log_with_a_poison_event(shop)
    runner = ProjectionRunner(shop.store, orders_projection)
    with pytest.raises(ProjectionFailed):
        runner.catch_up()

    skipped = runner.skip()

    assert skipped.position == ghost and runner.skipped == [skipped] and runner.failure is None
    assert runner.checkpoint == ghost and runner.lag == 1  # eventual: goes on when asked
    assert runner.catch_up() == 1
    assert list(runner.state) == ["1", "2"] and runner.state["1"].events == 3
    with pytest.raises(ValueError, match="not stopped at an event: nothing to skip"):
        runner.skip()
    with pytest.raises(ProjectionFailed):
        runner.rebuild()  # starts over: meets the poison event again
    assert runner.failure.position == ghost and runner.skipped == []


def test_a_fixed_cause_lets_the_event_be_applied_once():
    """A projection that keeps check-then-change: a retry after the fix counts each event once."""
    shop, _ = new_shop()
    placed_paid_refunded(shop, 2)  # orders 1 and 2, of alice
    regions = {}  # a lookup the projection needs, filled in late

    def count_by_region(state, recorded):
        if not isinstance(recorded.event, OrderCreated):
            return state
        region = regions[recorded.event.customer_id]  # check: may raise ...
        state[region] = state.get(region, 0) + 1      # ... then change
        return state

    runner = ProjectionRunner(shop.store, Projection("orders by region", dict, count_by_region))
    with pytest.raises(ProjectionFailed, match="KeyError: 'alice'"):
        runner.catch_up()
    assert (runner.state, runner.checkpoint) == ({}, 0)
    regions["alice"] = "north"  # the operator fixes the cause
    with pytest.raises(ProjectionFailed):
        runner.handle(shop.store.read_all()[3])  # not the event it is stopped at
    assert runner.catch_up() == 6
    assert runner.state == {"north": 2} and runner.failure is None and runner.skipped == []


def test_an_inline_read_model_that_fails_stops_without_failing_the_command_and_can_go_on():
    shop, _ = new_shop()
    runner = ProjectionRunner(shop.store, orders_projection, mode=INLINE)
    shop.handle(PlaceOrder("1", Decimal("10.00")))
    ghost = ghost_paid(shop)  # the append succeeds: its events are recorded
    shop.handle(PlaceOrder("2", Decimal("10.00")))
    assert runner.failure.position == ghost and runner.checkpoint == ghost - 1 and runner.lag == 2
    assert list(runner.state) == ["1"]

    runner.skip()  # inline: follows the store again at once

    assert runner.lag == 0 and list(runner.state) == ["1", "2"]
    shop.handle(PayOrder("2", Decimal("10.00")))
    assert runner.lag == 0 and runner.state["2"].paid == Decimal("10.00")


def test_an_inline_read_model_retried_after_a_fix_follows_the_store_again():
    shop, _ = new_shop()
    down = [True]

    def apply(seen, recorded):
        if down[0]:
            raise ConnectionError("the read model's database is down")
        return seen + [recorded.position]

    runner = ProjectionRunner(shop.store, Projection("positions", list, apply), mode=INLINE)
    shop.handle(PlaceOrder("1", Decimal("10.00")))
    shop.handle(PayOrder("1", Decimal("10.00")))
    assert runner.failure.reason == "ConnectionError: the read model's database is down"
    assert (runner.state, runner.checkpoint) == ([], 0)
    down[0] = False
    assert runner.catch_up() == 2
    shop.handle(ShipOrder("1"))
    assert runner.state == [1, 2, 3] and runner.lag == 0 and runner.failure is None


def test_shop_read_models_each_go_as_far_as_they_can_then_raise():
    shop, _ = new_shop()
    placed_paid_refunded(shop, 1)
    shop.store.append("order-x", [OrderPaid("x")])  # the orders and daily revenue models fail here
    shop.handle(PlaceOrder("2", Decimal("1.00")))
    read_models = ShopReadModels(shop.store)
    with pytest.raises(ProjectionFailed, match="'orders' stopped at position 4"):
        read_models.catch_up()
    assert read_models.refunds.checkpoint == 5 and read_models.refunds.failure is None
    assert read_models.orders.checkpoint == read_models.daily_revenue.checkpoint == 3
    assert repr(read_models).endswith("lag 2, orders stopped at 4, daily revenue stopped at 4>")


@settings(deadline=None, max_examples=40)
@given(shop_actions, st.lists(st.integers(0, 30), max_size=3), st.lists(st.integers(1, 5), min_size=1))
def test_skipping_poison_events_gives_the_fold_of_the_other_events(actions, poison_at, steps):
    """Poison events at random places, an inline and a stepped runner that skip each one: both end
    where a fold of the log without the poison ends, and say which events they skipped."""
    shop, clock = new_shop()
    inline = ProjectionRunner(shop.store, orders_projection, mode=INLINE)
    for n, action in enumerate(actions):
        if n in poison_at:
            ghost_paid(shop)
            inline.skip()
        run_actions(shop, clock, [action])
    stepped = ProjectionRunner(shop.store, orders_projection)
    for step in steps * (len(shop.store) + 1):
        try:
            stepped.catch_up(max_events=step)
        except ProjectionFailed:
            stepped.skip()
    poison = [r.position for r in shop.store.read_all() if r.event == OrderPaid("ghost")]
    expected = orders_projection.fold(r for r in shop.store.read_all() if r.position not in poison)
    for runner in (inline, stepped):
        assert runner.state == expected
        assert [f.position for f in runner.skipped] == poison
        assert runner.checkpoint == shop.store.last_position and runner.failure is None


def test_a_runner_over_a_durable_store_parks_skips_and_catches_up(tmp_path):
    store = SQLiteEventStore(tmp_path / "shop.db", clock=SimulatedClock(step=60), ids=SeededIds(1))
    shop = Shop(store, ids=SeededIds(2))
    ghost = a_log_with_a_poison_event(shop)
    runner = ProjectionRunner(store, orders_projection)
    with pytest.raises(ProjectionFailed):
        runner.catch_up()
    assert runner.checkpoint == 3 and runner.failure.position == ghost
    runner.skip()
    assert runner.catch_up() == 1 and list(runner.state) == ["1", "2"] and runner.lag == 0
    store.close()


# --- listening to some event types; several read models in turns -------------

def test_a_projection_hears_only_the_event_types_it_listens_to():
    shop, _ = new_shop()
    placed_paid_refunded(shop, 2)  # OrderCreated, OrderPaid, RefundCreated, twice
    heard = []

    def positions_of_creations(seen, recorded):
        heard.append(recorded.event_type)
        return seen + [recorded.position]

    creations = Projection("creations", list, positions_of_creations, frozenset({OrderCreated}))
    inline = ProjectionRunner(shop.store, creations, mode=INLINE)
    eventual = ProjectionRunner(shop.store, creations)
    assert eventual.catch_up(max_events=5) == 5 and eventual.checkpoint == 5  # passed over, not stuck
    assert eventual.catch_up() == 1 and eventual.checkpoint == 6
    assert inline.state == eventual.state == creations.fold(shop.store.read_all()) == [1, 4]
    assert set(heard) == {"OrderCreated"}


def test_read_models_catching_up_together_take_turns_a_page_at_a_time(monkeypatch):
    """Each reads a page that the one before has just read (still in the processor's cache)."""
    monkeypatch.setattr(projections, "PAGE", 2)
    shop, _ = new_shop()
    placed_paid_refunded(shop, 2)
    turns = []

    def runner(name):
        def note(seen, recorded):
            turns.append((name, recorded.position))
            return seen
        return ProjectionRunner(shop.store, Projection(name, list, note))

    runners = [runner("a"), runner("b")]
    assert catch_up_all(runners, max_events=5) == 5
    assert turns == [("a", 1), ("a", 2), ("b", 1), ("b", 2), ("a", 3), ("a", 4), ("b", 3), ("b", 4),
                     ("a", 5), ("b", 5)]
    assert catch_up_all(runners) == 1 and [r.checkpoint for r in runners] == [6, 6]


def test_a_runner_catching_up_reads_a_long_log_a_page_at_a_time(monkeypatch):
    """A million events are never held in one list: each read asks for at most a page."""
    monkeypatch.setattr(projections, "PAGE", 4)
    shop, _ = new_shop()
    placed_paid_refunded(shop, 3)  # more events than two pages
    asked = []
    read_all = shop.store.read_all

    def counting_read_all(from_position=1, limit=None):
        asked.append(limit)
        return read_all(from_position, limit)

    monkeypatch.setattr(shop.store, "read_all", counting_read_all)
    runner = ProjectionRunner(shop.store, orders_projection)
    assert runner.catch_up() == len(shop.store) and runner.checkpoint == shop.store.last_position
    assert runner.state == orders_projection.fold(read_all())
    assert asked and all(limit is not None and limit <= 4 for limit in asked), asked
    asked.clear()
    assert runner.catch_up(max_events=6) == 0 and asked == [4]  # nothing new: one short page, then stop
