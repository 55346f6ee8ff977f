"""The workload simulator: deterministic, within the rules, and driven through the command side."""
import gc
import random
from collections import Counter
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from eventsim.clock import SimulatedClock
from eventsim.ids import SeededIds
from eventsim.shop import simulator
from eventsim.shop.commands import ShipOrder
from eventsim.shop.order import OrderAlreadyShipped
from eventsim.shop.payments import FakePaymentProvider, RefundProcess
from eventsim.copying import copy_log
from eventsim.jsonl import write_jsonl
from eventsim.shop import Shop
from eventsim.shop.events import OrderCancelled, OrderCreated, OrderPaid, OrderShipped, RefundCreated, RefundPaid
from eventsim.shop.order import fold
from eventsim.shop.payments import confirm_command_id
from eventsim.shop.simulator import DAY, SimulationConfig, simulate
from eventsim.store import InMemoryEventStore

SMALL = SimulationConfig(orders=300, customers=20, days=5)


def log_bytes(config: SimulationConfig, tmp_path) -> bytes:
    path = tmp_path / f"{config.seed}-{config.orders}.jsonl"
    write_jsonl(simulate(config).store.read_all(), path)
    return path.read_bytes()


def counts(shop: Shop) -> Counter:
    return Counter(type(r.event) for r in shop.store.read_all())


def states(shop: Shop) -> list:
    return [fold(r.event for r in shop.store.read_stream(s)) for s in shop.store.stream_ids()]


def test_the_same_seed_gives_the_same_file_byte_for_byte(tmp_path):
    first = log_bytes(SMALL, tmp_path)
    assert log_bytes(SMALL, tmp_path) == first


def test_another_seed_gives_another_log(tmp_path):
    assert log_bytes(SMALL, tmp_path) != log_bytes(SimulationConfig(orders=300, customers=20, days=5, seed=1),
                                                    tmp_path)


def simulated_through_shop_handle(config: SimulationConfig) -> list:
    """The same workload with every command sent through ``Shop.handle``, as the simulator once did:
    the same seed, plans, clock, ids and refund process."""
    rng = random.Random(config.seed)
    clock = SimulatedClock(config.start)
    ids = SeededIds(rng.getrandbits(64))
    shop = Shop(InMemoryEventStore(clock=clock, ids=ids), ids=ids)
    provider = FakePaymentProvider(delay=config.payout_delay, failure_rate=config.payout_failure_rate,
                                   seed=rng.getrandbits(64))
    payments = RefundProcess(shop, provider, clock)
    arrivals = sorted(config.start + rng.randrange(config.days * DAY) for _ in range(config.orders))
    for time, command, _ in simulator._timeline(simulator._stories(rng, config, arrivals), config.start):
        payments.run_until(time)
        clock.now = time
        shop.handle(command, actor="warehouse" if isinstance(command, ShipOrder) else "customer")
    payments.run_until_idle()
    return shop.store.read_all()


@pytest.mark.parametrize("config", [SMALL, SimulationConfig(orders=200, customers=5, days=3, seed=7, p_cancel=0.3,
                                                            p_refund=0.5, payout_failure_rate=0.5)],
                         ids=["small", "many cancels, refunds and failed payouts"])
def test_the_log_is_the_one_shop_handle_records_for_the_same_seed(config):
    """The simulator drives decide and evolve itself: every event, envelope and id as Shop.handle gives them."""
    log = simulate(config).store.read_all()
    assert {type(r.event) for r in log} == {OrderCreated, OrderPaid, RefundCreated, RefundPaid, OrderCancelled,
                                            OrderShipped}  # every kind of step was compared
    assert log == simulated_through_shop_handle(config)


def test_a_plan_the_rules_refuse_is_refused_as_shop_handle_refuses_it(monkeypatch):
    real = simulator._command

    def shipped_twice(step, cents, order_id, customer_id):
        return simulator.ShipOrder(order_id) if step == "refund" else real(step, cents, order_id, customer_id)

    monkeypatch.setattr(simulator, "_command", shipped_twice)  # a refund step ships again instead
    with pytest.raises(OrderAlreadyShipped):
        simulate(SimulationConfig(orders=50, seed=2, p_refund=1, p_ship=1, p_cancel=0, p_pay=1))


def test_simulating_pauses_the_cycle_collector_and_puts_it_back():
    seen = []
    real = simulator._Orders.handle

    def watched(self, *args):
        seen.append(gc.isenabled())
        return real(self, *args)

    simulator._Orders.handle = watched
    try:
        assert gc.isenabled()
        simulate(SimulationConfig(orders=5))
        assert gc.isenabled() and seen and not any(seen)
        gc.disable()
        simulate(SimulationConfig(orders=5))
        assert not gc.isenabled()  # left as the caller had it
    finally:
        gc.enable()
        simulator._Orders.handle = real


def test_one_order_stream_per_order_each_placed_by_a_customer_of_the_pool():
    shop = simulate(SMALL)
    assert len(shop.store.stream_ids()) == SMALL.orders
    customers = {s.customer_id for s in states(shop)}
    assert len(customers) <= SMALL.customers
    assert all(c.startswith("C") for c in customers)


def test_every_refund_is_paid_out_by_the_payment_process():
    shop = simulate(SMALL)
    refunds = [r.event.refund_id for r in shop.store.read_all() if isinstance(r.event, RefundCreated)]
    paid = [r for r in shop.store.read_all() if isinstance(r.event, RefundPaid)]
    assert refunds and sorted(r.event.refund_id for r in paid) == sorted(refunds)
    assert all(r.causation_id == confirm_command_id(r.event.order_id, r.event.refund_id) for r in paid)
    assert {r.actor for r in paid} == {"refund process"}


def test_time_runs_forward_and_orders_arrive_within_the_period():
    config = SMALL
    log = simulate(config).store.read_all()
    times = [r.recorded_at for r in log]
    assert times == sorted(times)
    placed = [r.recorded_at for r in log if isinstance(r.event, OrderCreated)]
    assert config.start <= min(placed) and max(placed) < config.start + config.days * DAY


def test_amounts_are_decimal_cents():
    log = simulate(SMALL).store.read_all()
    amounts = [r.event.amount for r in log if isinstance(r.event, (OrderCreated, RefundCreated))]
    assert all(isinstance(a, Decimal) and a > 0 and a == a.quantize(Decimal("0.01")) for a in amounts)


def test_with_certain_probabilities_every_story_is_the_same():
    config = SimulationConfig(orders=50, p_pay=1, p_cancel=0, p_ship=1, p_refund=1, p_full_refund=1)
    shop = simulate(config)
    assert counts(shop) == Counter({OrderCreated: 50, OrderPaid: 50, OrderShipped: 50, RefundCreated: 50,
                                    RefundPaid: 50})
    assert {s.status for s in states(shop)} == {"shipped, refunded"}


def test_never_paid_orders_are_only_placed_or_cancelled():
    shop = simulate(SimulationConfig(orders=50, p_pay=0, p_cancel=0.5))
    assert set(counts(shop)) == {OrderCreated, OrderCancelled}
    assert {s.status for s in states(shop)} == {"placed", "cancelled"}


def test_a_cancelled_paid_order_is_refunded_in_full():
    shop = simulate(SimulationConfig(orders=50, p_pay=1, p_cancel=1))
    assert all(s.cancelled and s.refunds_paid == s.refunds_requested == s.paid
               and all(r.paid for r in s.refunds.values()) for s in states(shop))


def test_partial_refunds_are_less_than_the_payment():
    shop = simulate(SimulationConfig(orders=50, p_pay=1, p_cancel=0, p_refund=1, p_full_refund=0))
    assert all(0 < s.refunds_requested < s.paid for s in states(shop))


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32), p=st.tuples(*[st.sampled_from([0, 0.3, 1])] * 5),
       failure_rate=st.sampled_from([0, 0.5, 0.9]))
def test_any_workload_keeps_every_rule(seed, p, failure_rate):
    """Replaying the log decides every event again: a command the rules refuse would show."""
    p_pay, p_cancel, p_ship, p_refund, p_full_refund = p
    config = SimulationConfig(orders=40, customers=5, days=2, seed=seed, p_pay=p_pay, p_cancel=p_cancel,
                              p_ship=p_ship, p_refund=p_refund, p_full_refund=p_full_refund,
                              payout_failure_rate=failure_rate)
    log = simulate(config).store.read_all()
    assert len(copy_log(log)) == len(log)


def test_progress_counts_up_to_the_number_of_commands(monkeypatch):
    monkeypatch.setattr(simulator, "PROGRESS_EVERY", 100)
    calls = []
    shop = simulate(SMALL, progress=lambda done, total: calls.append((done, total)))
    totals = {total for _, total in calls}
    assert len(totals) == 1
    total = totals.pop()
    done = [d for d, _ in calls]
    assert done == sorted(done) and done[-1] == total and len(done) > 1
    commands = {r.causation_id for r in shop.store.read_all() if r.actor != "refund process"}
    assert total == len(commands)  # one command id per simulator command; confirmations are the process's


@pytest.mark.parametrize("change, word", [({"p_pay": 1.5}, "p_pay"), ({"p_cancel": -0.1}, "p_cancel"),
                                          ({"orders": -1}, "orders"), ({"customers": 0}, "customers"),
                                          ({"days": 0}, "days")])
def test_a_config_that_makes_no_sense_is_refused(change, word):
    with pytest.raises(ValueError, match=word):
        SimulationConfig(**change)


def test_a_customer_id_is_one_string_for_all_of_their_orders():
    """Memory: a year of orders by a hundred customers keeps a hundred id strings."""
    created = [r.event for r in simulate(SimulationConfig(orders=500, customers=7, seed=3)).store.read_all()
               if isinstance(r.event, OrderCreated)]
    assert len({event.customer_id for event in created}) == len({id(event.customer_id) for event in created}) == 7


def test_watching_progress_makes_each_command_once(monkeypatch):
    """The total is counted from the stories' random draws alone: no command is made twice."""
    placed = []
    place_order = simulator.PlaceOrder
    monkeypatch.setattr(simulator, "PlaceOrder", lambda *args: placed.append(args) or place_order(*args))
    simulate(SMALL, progress=lambda done, total: None)
    assert len(placed) == SMALL.orders


def test_planned_steps_are_plain_data_the_cycle_collector_stops_tracking():
    """A month of planned steps waits in memory; as tuples of numbers and strings, each is
    dropped from the collector's lists at its first pass instead of being walked by every pass."""
    import gc
    import random

    story = next(simulator._stories(random.Random(1), SMALL, [SMALL.start]))
    gc.collect()
    assert story and not any(gc.is_tracked(step) for step in story)


def test_orders_of_the_same_price_share_one_decimal():
    """Memory: 340,000 orders draw from 49,501 prices in cents, so a year of orders keeps at most
    that many amounts, not one ``Decimal`` (about 100 bytes) per order."""
    created = [r.event for r in simulate(SimulationConfig(orders=3_000, seed=3)).store.read_all()
               if isinstance(r.event, OrderCreated)]
    prices = {event.amount for event in created}
    assert len(prices) < len(created)  # some prices are drawn twice: the test can tell sharing from copying
    assert len({id(event.amount) for event in created}) == len(prices)
