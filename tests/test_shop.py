"""Shop.handle, the write path: read, fold, decide, append with the version read.

Rejections change nothing, a command id is handled once, lost races are
re-decided a bounded number of times, and every event says which command
caused it and which order story it belongs to.
"""
import threading
import time
from collections import Counter
from decimal import Decimal as D

import pytest

from eventsim.clock import SimulatedClock
from eventsim.ids import SeededIds
from eventsim.jsonl import to_json
from eventsim.shop import Shop, stream_for
from eventsim.shop.commands import CancelOrder, ConfirmRefund, PayOrder, PlaceOrder, RequestRefund, ShipOrder
from eventsim.shop.events import OrderCancelled, OrderCreated, OrderPaid, OrderShipped, RefundCreated
from eventsim.shop.order import (
    OrderAlreadyPaid,
    OrderAlreadyPlaced,
    OrderError,
    OrderFullyRefunded,
    OrderNotFound,
    RefundExceedsPayment,
    fold,
)
from eventsim.store import ConcurrencyError, InMemoryEventStore


def make_shop(**options):
    return Shop(InMemoryEventStore(clock=SimulatedClock(step=1), ids=SeededIds(2)), ids=SeededIds(9), **options)


def export(store):
    return "\n".join(to_json(r) for r in store.read_all())


def paid_order(shop, order_id="A", amount="30.00"):
    shop.handle(PlaceOrder(order_id, D(amount), command_id=f"place-{order_id}"))
    shop.handle(PayOrder(order_id, D(amount), command_id=f"pay-{order_id}"))


def test_stream_for_names_the_order_stream():
    assert stream_for("A") == "order-A"


def test_handle_records_the_decided_events_in_the_order_stream():
    shop = make_shop()
    [created] = shop.handle(PlaceOrder("A", D("30.00"), "alice", command_id="place-A"))
    assert created.event == OrderCreated("A", D("30.00"), "alice")
    assert (created.stream_id, created.version, created.position) == ("order-A", 1, 1)
    [paid] = shop.handle(PayOrder("A", D("30.00")))
    assert paid.event == OrderPaid("A") and paid.version == 2
    assert shop.store.read_stream("order-A") == [created, paid]


def test_a_whole_order_story():
    shop = make_shop()
    paid_order(shop, amount="0.30")
    shop.handle(RequestRefund("A", D("0.10")))
    shop.handle(RequestRefund("A", D("0.20")))
    shop.handle(ConfirmRefund("A", "R1"))
    shop.handle(ConfirmRefund("A", "R2"))
    state = shop.state("A")
    assert state.refunds_paid == state.paid == D("0.30") and state.status == "paid, refunded"
    assert all(r.paid for r in state.refunds.values())
    with pytest.raises(OrderFullyRefunded):
        shop.handle(ShipOrder("A"))
    assert [r.event_type for r in shop.store.read_stream("order-A")] == [
        "OrderCreated", "OrderPaid", "RefundCreated", "RefundCreated", "RefundPaid", "RefundPaid"]


def test_state_is_the_fold_of_the_stream():
    shop = make_shop()
    paid_order(shop)
    shop.handle(ShipOrder("A"))
    assert shop.state("A") == fold(r.event for r in shop.store.read_stream("order-A"))
    assert shop.state("A").status == "shipped" and shop.load("order-A")[1] == 3
    assert shop.state("nobody").status == "new"


@pytest.mark.parametrize("command, error", [
    (PlaceOrder("A", D("5")), OrderAlreadyPlaced),
    (PayOrder("A", D("30.00")), OrderAlreadyPaid),
    (RequestRefund("A", D("30.01")), RefundExceedsPayment),
    (ShipOrder("B"), OrderNotFound),
])
def test_a_rejected_command_raises_and_changes_nothing(command, error):
    shop = make_shop()
    paid_order(shop)
    before = export(shop.store)
    with pytest.raises(error):
        shop.handle(command)
    assert export(shop.store) == before
    assert shop.store.stream_ids() == ["order-A"]


def test_cancelling_a_paid_order_records_refund_and_cancel_together():
    shop = make_shop()
    paid_order(shop)
    refund, cancel = shop.handle(CancelOrder("A", "too slow", command_id="cancel-A"))
    assert refund.event == RefundCreated("A", D("30.00"), "R1", "order cancelled")
    assert cancel.event == OrderCancelled("A", "too slow")
    assert (refund.version, cancel.version) == (3, 4)
    assert refund.recorded_at == cancel.recorded_at
    assert refund.causation_id == cancel.causation_id == "cancel-A"
    assert shop.state("A").status == "cancelled, refund requested"


# --- idempotency ---------------------------------------------------------------------

def test_a_command_handled_again_returns_the_first_events_and_records_nothing():
    shop = make_shop()
    place = PlaceOrder("A", D("30.00"), command_id="place-A")
    first = shop.handle(place)
    pay = PayOrder("A", D("30.00"), command_id="pay-A")
    paid = shop.handle(pay)
    shop.handle(ShipOrder("A"))
    before = export(shop.store)
    assert shop.handle(place) == first   # deciding it again would raise OrderAlreadyPlaced
    assert shop.handle(pay) == paid      # ... and OrderAlreadyPaid
    assert export(shop.store) == before


def test_a_retried_cancel_returns_both_of_its_events():
    shop = make_shop()
    paid_order(shop)
    cancel = CancelOrder("A", command_id="cancel-A")
    first = shop.handle(cancel)
    assert len(first) == 2 and shop.handle(cancel) == first
    assert len(shop.store) == 4


def test_commands_without_an_id_are_not_deduplicated():
    shop = make_shop()
    shop.handle(PlaceOrder("A", D("30.00")))
    with pytest.raises(OrderAlreadyPlaced):
        shop.handle(PlaceOrder("A", D("30.00")))


# --- causation and correlation ---------------------------------------------------------

def test_each_request_from_outside_starts_a_conversation_of_its_own():
    """A command sent from outside starts a new correlation (its own id); a reaction passes one on."""
    shop = make_shop()
    paid_order(shop)
    shop.handle(RequestRefund("A", D("5"), command_id="refund-A"))
    shop.handle(RequestRefund("A", D("5"), command_id="refund-A2"))
    stream = shop.store.read_stream("order-A")
    assert [r.causation_id for r in stream] == ["place-A", "pay-A", "refund-A", "refund-A2"]
    assert [r.correlation_id for r in stream] == ["place-A", "pay-A", "refund-A", "refund-A2"]  # two refunds, two
    reaction = shop.handle(ConfirmRefund("A", "R1", command_id="confirm-A"), causation_id=stream[2].event_id,
                           correlation_id=stream[2].correlation_id)
    assert reaction[0].correlation_id == "refund-A" and reaction[0].causation_id == "confirm-A"
    assert shop.store.command_record("confirm-A").causation_id == stream[2].event_id


def test_the_expected_version_comes_from_the_stored_stream_and_the_cache_stays_bounded():
    shop = make_shop(cache_size=2)
    for order_id in "ABCD":
        paid_order(shop, order_id)
    assert len(shop._states) == 2
    shop.handle(RequestRefund("A", D("5"), command_id="refund-A"))  # "A" was evicted: folded again
    assert list(shop._states) == ["order-D", "order-A"]  # most recently used last
    assert shop.load("order-A")[1] == 3 == shop.store.stream_version("order-A")


def test_a_stream_another_thread_evicts_while_it_is_loaded_is_appended_at_the_right_version():
    """The cache is read without a lock: between reading an order's cached state and reading its
    stream, another thread's command can evict the order.  Its next events still land in order."""
    shop = make_shop(cache_size=1)
    paid_order(shop, "A")
    read_stream, others = shop.store.read_stream, iter("BCDEFGH")

    def read_stream_while_another_thread_evicts_a(stream_id, from_version=1):
        if stream_id == "order-A":
            shop.handle(PlaceOrder(next(others), D("1.00")))  # another thread's command, in the gap
        return read_stream(stream_id, from_version)

    shop.store.read_stream = read_stream_while_another_thread_evicts_a
    shop.handle(RequestRefund("A", D("5"), command_id="refund-A"))  # A was in the cache, nothing newer
    shop.handle(ConfirmRefund("A", "R1", command_id="confirm-A"))  # A was evicted, so folded from version 1
    assert [r.version for r in read_stream("order-A")] == [1, 2, 3, 4]
    assert shop.state("A").status == "paid, partially refunded"


def test_commands_without_an_id_get_one_from_the_ids_source():
    def story():
        shop = Shop(clock=SimulatedClock(step=5), ids=SeededIds(4))
        shop.handle(PlaceOrder("A", D("30.00")))
        shop.handle(PayOrder("A", D("30.00")))
        shop.handle(CancelOrder("A"))
        return shop

    shop = story()
    stream = shop.store.read_stream("order-A")
    causes = [r.causation_id for r in stream]
    assert None not in causes
    assert len(set(causes)) == 3 and causes[2] == causes[3]     # one id per command
    assert [r.correlation_id for r in stream] == causes          # each a request of its own
    assert export(story().store) == export(shop.store)          # same seeds, same story


def test_the_clock_belongs_to_the_store():
    with pytest.raises(TypeError, match="clock"):
        Shop(InMemoryEventStore(), clock=SimulatedClock())


def test_a_failing_subscriber_does_not_fail_the_command():
    shop = make_shop()

    def broken(recorded):
        raise RuntimeError("projection down")

    subscription = shop.store.subscribe(broken)
    paid_order(shop)
    assert shop.state("A").status == "paid" and len(shop.store) == 2
    assert isinstance(subscription.error, RuntimeError) and subscription.position == 0


# --- lost races ---------------------------------------------------------------------------

class InterferingStore:
    """Forwards to ``store``, but runs ``intrude`` right after each of the first ``times``
    reads: another writer gets in between the shop's read and its append."""

    def __init__(self, store, intrude, times):
        self.store, self.intrude, self.times = store, intrude, times
        self.reads = 0

    def read_stream(self, stream_id, from_version=1):
        history = self.store.read_stream(stream_id, from_version)
        self.reads += 1
        if self.reads <= self.times:
            self.intrude(self.store)
        return history

    def __getattr__(self, name):
        return getattr(self.store, name)


def interfered(intrude, times, max_retries=3):
    """A shop on a paid order "A" whose reads are interfered with; also the wrapper and the real store."""
    inner = make_shop().store
    paid_order(Shop(inner))
    store = InterferingStore(inner, intrude, times)
    return Shop(store, max_retries=max_retries), store, inner


def refund_one(store):
    n = store.stream_version("order-A")
    store.append("order-A", [RefundCreated("A", D("1.00"), f"X{n}")], causation_id="intruder")


def test_a_lost_race_is_re_read_and_re_decided():
    shop, store, inner = interfered(refund_one, times=2)
    [shipped] = shop.handle(ShipOrder("A", command_id="ship-A"))
    assert store.reads == 3
    assert shipped.event == OrderShipped("A") and shipped.version == 5  # after both intrusions
    assert [r.causation_id for r in inner.read_stream("order-A")][2:] == ["intruder", "intruder", "ship-A"]


def test_re_deciding_applies_the_rules_to_what_the_winner_wrote():
    def refund_fifteen(store):
        store.append("order-A", [RefundCreated("A", D("15.00"), "X")], causation_id="intruder")

    shop, store, inner = interfered(refund_fifteen, times=1)
    with pytest.raises(RefundExceedsPayment):
        shop.handle(RequestRefund("A", D("20.00")))  # fitted the first read, not the second
    assert store.reads == 2
    assert [r.causation_id for r in inner.read_stream("order-A")] == ["place-A", "pay-A", "intruder"]


def test_a_retry_that_finds_its_own_command_recorded_returns_those_events():
    def same_command_elsewhere(store):  # e.g. a client that sent the command twice
        Shop(store).handle(ShipOrder("A", command_id="ship-A"))

    shop, store, inner = interfered(same_command_elsewhere, times=1)
    [shipped] = shop.handle(ShipOrder("A", command_id="ship-A"))
    assert store.reads == 2
    assert inner.read_stream("order-A")[2:] == [shipped]         # shipped once, not "already shipped"


def test_retries_are_bounded_then_the_concurrency_error_is_raised():
    shop, store, inner = interfered(refund_one, times=100, max_retries=2)
    with pytest.raises(ConcurrencyError) as caught:
        shop.handle(ShipOrder("A"))
    assert store.reads == 3                                    # the first try and two retries
    assert caught.value.stream_id == "order-A" and caught.value.actual == caught.value.expected + 1
    assert OrderShipped("A") not in [r.event for r in inner.read_stream("order-A")]


def yielding_clock():
    """Gives up the CPU inside append, so that racing shops really interleave."""
    time.sleep(0)
    return 1_000


def test_shops_racing_on_one_order_in_threads_never_over_refund():
    store = InMemoryEventStore(clock=yielding_clock)
    paid_order(Shop(store))
    n = 6
    barrier = threading.Barrier(n)
    outcomes = [None] * n

    def refund_ten(i):
        shop = Shop(store)
        barrier.wait()
        try:
            shop.handle(RequestRefund("A", D("10.00"), command_id=f"refund-{i}"))
            outcomes[i] = "refunded"
        except (OrderError, ConcurrencyError) as error:
            outcomes[i] = type(error)

    threads = [threading.Thread(target=refund_ten, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # Each lost race means another refund won; after three wins every decision is a rejection,
    # so with three retries nobody runs out of retries.
    assert Counter(outcomes) == {"refunded": 3, RefundExceedsPayment: 3}
    refunds = [r.event for r in store.read_stream("order-A") if isinstance(r.event, RefundCreated)]
    assert sorted(r.refund_id for r in refunds) == ["R1", "R2", "R3"]
    assert Shop(store).state("A").refunds_requested == D("30.00")
    assert [r.version for r in store.read_stream("order-A")] == [1, 2, 3, 4, 5]
