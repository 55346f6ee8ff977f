"""The engine's rules under the inputs a curious learner will try (issue 8).

Money exact at every magnitude, idempotency as "same request, same result",
validated ids, frozen payloads, subscribers that never hold up writers,
per-command cost that does not grow with the stream, and time that never runs
backwards in a store.
"""
import threading
import time
from decimal import Decimal as D

import pytest

from eventsim.clock import SimulatedClock
from eventsim.ids import MAX_ID_LENGTH, SeededIds
from eventsim.jsonl import to_json
from eventsim.money import MAX_AMOUNT, to_money
from eventsim.shop import CommandIdReused, Shop, order_id_of, stream_for
from eventsim.shop.commands import (
    CancelOrder,
    ConfirmRefund,
    PayOrder,
    PlaceOrder,
    RequestRefund,
    ShipOrder,
    fingerprint,
)
from eventsim.shop.events import OrderCreated, OrderPaid, RefundCreated
from eventsim.shop.history import state_at_time
from eventsim.shop.order import InvalidAmount, OrderError, RefundExceedsPayment, decide, fold, initial_state
from eventsim.store import ANY, NO_STREAM, ConcurrencyError, InMemoryEventStore


def make_shop():
    return Shop(InMemoryEventStore(clock=SimulatedClock(step=1), ids=SeededIds(3)), ids=SeededIds(4))


def export(store):
    return "".join(to_json(r) + "\n" for r in store.read_all())


# --- 2. money is exact at every magnitude ------------------------------------------------

def test_an_amount_beyond_the_bound_is_refused_not_rounded():
    thirty_digits = "123456789012345678901234567890"
    with pytest.raises(InvalidAmount, match="most an amount can be"):
        decide(PlaceOrder("A", thirty_digits), initial_state)
    # Before the bound, 28-digit rounding let a refund one cent beyond the payment through;
    # within the bound every sum is exact:
    refunded = fold([OrderCreated("A", MAX_AMOUNT), OrderPaid("A"), RefundCreated("A", MAX_AMOUNT, "R1")])
    with pytest.raises(RefundExceedsPayment):
        decide(RequestRefund("A", D("0.01")), refunded)


@pytest.mark.parametrize("text", ["1234567890.001", "0.001", "12345678901.999", "1E-30"])
def test_digits_below_the_cent_are_refused_however_large_the_amount(text):
    with pytest.raises(ValueError, match="below the cent"):
        to_money(text)


@pytest.mark.parametrize("value, expected", [
    (MAX_AMOUNT, MAX_AMOUNT), ("999999999999.99", D("999999999999.99")), ("10.000", D("10.00")),
    (10**12, MAX_AMOUNT), ("-0.01", D("-0.01")),
])
def test_amounts_up_to_the_bound_are_kept_exactly(value, expected):
    amount = to_money(value)
    assert amount == expected and str(amount) == str(expected)


@pytest.mark.parametrize("value", [10**12 + 1, "1e30", 10**4000, "9" * 5000, D("1E+13")])
def test_huge_numbers_are_refused_quickly_and_plainly(value):
    started = time.perf_counter()
    with pytest.raises(ValueError, match="most an amount can be|characters long|digits"):
        to_money(value)
    assert time.perf_counter() - started < 0.5


def test_totals_of_a_million_largest_orders_are_still_exact():
    total = sum([MAX_AMOUNT - D("0.01")] * 1000, D(0)) * 1000
    assert total == D("999999999999990000.00")  # 20 significant digits: within Decimal's 28, exact


# --- 3. idempotency: same request, same result ------------------------------------------

def test_a_cancel_under_a_payments_id_is_refused_and_records_nothing():
    shop = make_shop()
    shop.handle(PlaceOrder("A", D("30.00"), command_id="place-A"))
    shop.handle(PayOrder("A", D("30.00"), command_id="pay-A"))
    before = export(shop.store)
    with pytest.raises(CommandIdReused, match="pay-A") as caught:
        shop.handle(CancelOrder("A", command_id="pay-A"))
    assert not isinstance(caught.value, OrderError)  # no business rule was broken
    assert export(shop.store) == before
    assert shop.state("A").status == "paid"


def test_a_different_refund_under_a_used_id_is_refused():
    shop = make_shop()
    shop.handle(PlaceOrder("A", D("30.00")))
    shop.handle(PayOrder("A", D("30.00")))
    [first] = shop.handle(RequestRefund("A", D("1.00"), command_id="refund-1"))
    before = export(shop.store)
    with pytest.raises(CommandIdReused, match="9.00"):
        shop.handle(RequestRefund("A", D("9.00"), command_id="refund-1"))
    assert export(shop.store) == before
    assert shop.handle(RequestRefund("A", 1, command_id="refund-1")) == [first]  # 1 == 1.00: a retry


def test_the_same_id_on_another_order_is_a_different_request():
    shop = make_shop()
    shop.handle(PlaceOrder("A", D("5"), command_id="place"))
    with pytest.raises(CommandIdReused):
        shop.handle(PlaceOrder("B", D("5"), command_id="place"))
    assert shop.store.stream_ids() == ["order-A"]


def test_the_idempotency_record_lives_in_the_store_not_the_shop():
    store = InMemoryEventStore(clock=SimulatedClock(), ids=SeededIds(1))
    first = Shop(store).handle(PlaceOrder("A", D("5"), command_id="place-A", customer_id="c1"))
    record = store.command_record("place-A")
    assert record.fingerprint == fingerprint(PlaceOrder("A", D("5.00"), "c1"))
    assert (record.stream_id, record.first_version, record.last_version) == ("order-A", 1, 1)
    assert Shop(store).handle(PlaceOrder("A", D("5"), "c1", command_id="place-A")) == first  # a new shop
    with pytest.raises(CommandIdReused):
        Shop(store).handle(PlaceOrder("A", D("6"), "c1", command_id="place-A"))


def test_a_command_record_is_all_or_nothing_with_its_events():
    store = InMemoryEventStore()
    shop = Shop(store)
    shop.handle(PlaceOrder("A", D("5"), command_id="c"))
    with pytest.raises(ConcurrencyError, match="already recorded"):
        from eventsim.store import CommandRecord
        store.append("order-B", [OrderCreated("B", D(1))], NO_STREAM,
                     command=CommandRecord("c", "x", "order-B", 1, 1))
    assert store.stream_version("order-B") == 0


def test_fingerprints_differ_by_type_and_field_but_not_by_how_an_amount_is_written():
    assert fingerprint(PayOrder("A", 9)) == fingerprint(PayOrder("A", D("9.00"), command_id="x"))
    assert fingerprint(PayOrder("A", 9)) != fingerprint(PayOrder("A", D("9.01")))
    assert fingerprint(CancelOrder("A")) != fingerprint(ShipOrder("A"))
    with pytest.raises(TypeError, match="not an order command"):
        fingerprint(OrderPaid("A"))


# --- 4. ids are validated -------------------------------------------------------------------

BAD_IDS = [None, "", "   ", 42, 4.2, ["A"], "a\nb", "tab\there", " A", "A ", "x" * (MAX_ID_LENGTH + 1), "\x00"]


@pytest.mark.parametrize("bad", BAD_IDS, ids=repr)
@pytest.mark.parametrize("make", [
    lambda bad: PlaceOrder(bad, D(5)),
    lambda bad: PlaceOrder("A", D(5), customer_id=bad) if bad is not None else PlaceOrder(bad, D(5), "c"),
    lambda bad: RequestRefund("A", D(5), refund_id=bad) if bad is not None else ShipOrder(bad),
    lambda bad: PayOrder("A", D(5), command_id=bad) if bad is not None else PayOrder(bad, D(5)),
    lambda bad: OrderCreated(bad, D(5)),
], ids=["order id", "customer id", "refund id", "command id", "event order id"])
def test_bad_ids_are_refused_when_a_command_or_event_is_made(make, bad):
    with pytest.raises((TypeError, ValueError)):
        make(bad)


def test_new_ids_are_uuid4_text_and_seeded_ids_are_those_of_uuid_uuid():
    import random
    import uuid

    from eventsim.ids import random_ids

    bits = random.Random(3)
    seeded = SeededIds(3)
    for _ in range(2_000):  # the same text as uuid.UUID gives, so logs written before stay the same
        assert seeded() == str(uuid.UUID(int=bits.getrandbits(128), version=4))
    fresh = [random_ids() for _ in range(2_000)]
    assert len(set(fresh)) == len(fresh)
    assert all(str(uuid.UUID(text)) == text and uuid.UUID(text).version == 4 for text in fresh)


def test_place_order_none_twice_records_nothing():
    shop = make_shop()
    for _ in range(2):
        with pytest.raises(TypeError, match="order_id must be a string"):
            shop.handle(PlaceOrder(None, 5))
    assert len(shop.store) == 0


def test_an_int_and_a_string_id_never_meet_in_one_stream():
    shop = make_shop()
    shop.handle(PlaceOrder("42", D(5)))
    with pytest.raises(TypeError):
        shop.handle(PlaceOrder(42, D(5)))
    assert shop.store.stream_ids() == ["order-42"]


def test_an_order_id_and_a_stream_id_are_not_confused():
    assert stream_for("123456") == "order-123456" and order_id_of("order-123456") == "123456"
    with pytest.raises(ValueError, match="is a stream id"):
        stream_for("order-123456")
    with pytest.raises(ValueError, match="not an order's stream id"):
        order_id_of("123456")


# --- 5. recorded means frozen ------------------------------------------------------------

@pytest.mark.parametrize("thing", [None, 42, {"eventType": "OrderPaid", "orderId": "A"}, "OrderPaid",
                                   PayOrder("A", D(1))], ids=repr)
def test_the_store_refuses_what_is_not_a_domain_event(thing):
    store = InMemoryEventStore()
    store.append("order-A", [OrderCreated("A", D(1))])
    with pytest.raises(TypeError, match="not a registered event type"):
        store.append("order-A", [OrderPaid("A"), thing])
    assert len(store) == 1


def test_a_mutable_value_cannot_get_into_an_event():
    customer = ["alice"]
    with pytest.raises(TypeError):
        OrderCreated("A", D(1), customer)
    with pytest.raises(TypeError):
        OrderCreated("A", 1.5)
    with pytest.raises(TypeError):
        RefundCreated("A", D(1), "R1", reason=["late"])


def test_a_recorded_payload_cannot_change_afterwards():
    shop = make_shop()
    shop.handle(PlaceOrder("A", D("5.00"), "alice"))
    before = export(shop.store)
    [recorded] = shop.store.read_all()
    with pytest.raises(AttributeError):
        recorded.event.customer_id = "mallory"
    assert export(shop.store) == before


# --- 7. subscribers never hold up writers ------------------------------------------------

# A slow subscriber and an interrupted one are in tests/test_store_contract.py, for every store.


def test_a_subscriber_that_needs_a_lock_a_writer_holds_does_not_deadlock():
    store = InMemoryEventStore()
    lock = threading.Lock()
    entered, got_lock = threading.Event(), []

    def needs_lock(recorded):
        entered.set()
        got_lock.append(lock.acquire(timeout=5))
        lock.release()

    store.subscribe(needs_lock)
    with lock:
        first = threading.Thread(target=store.append, args=("order-A", [OrderCreated("A", D(1))]))
        first.start()
        assert entered.wait(5)
        writer = threading.Thread(target=store.append, args=("order-B", [OrderCreated("B", D(1))]))
        writer.start()
        writer.join(2)
        assert not writer.is_alive(), "a writer holding a lock waited for a subscriber that waits for it"
    first.join(5)
    assert got_lock[0] is True and store.subscriptions[0].position == 2


# --- 8. per-command cost does not grow with the stream -------------------------------------

class CountingStore(InMemoryEventStore):
    """Counts how many recorded events the shop reads back."""
    read = 0

    def read_stream(self, stream_id, from_version=1):
        events = super().read_stream(stream_id, from_version)
        self.read += len(events)
        return events


def test_the_shop_reads_only_what_was_recorded_since_it_last_looked():
    store = CountingStore(clock=SimulatedClock(), ids=SeededIds(0))
    shop = Shop(store, ids=SeededIds(1))
    shop.handle(PlaceOrder("A", D("100.00")))
    shop.handle(PayOrder("A", D("100.00")))
    store.read = 0
    for _ in range(2000):
        shop.handle(RequestRefund("A", D("0.01")))
    assert store.read == 0  # every state came from the shop's own snapshot, at its version
    other = Shop(store)     # another writer on the same store
    other.handle(RequestRefund("A", D("0.01")))
    assert store.read == 2002  # a shop that never saw the order folds it once
    store.read = 0
    shop.handle(RequestRefund("A", D("0.01")))
    assert store.read == 1  # the first shop folds only the one event the other recorded
    assert shop.state("A") == fold(r.event for r in store.read_stream("order-A"))


def test_the_state_cache_is_bounded():
    shop = Shop(InMemoryEventStore(), cache_size=10)
    for n in range(50):
        shop.handle(PlaceOrder(f"O{n}", D(1)))
    assert len(shop._states) == 10
    assert shop.state("O0").amount == D(1)


def test_four_thousand_refunds_on_one_order_take_linear_time():
    shop = make_shop()
    shop.handle(PlaceOrder("A", D("100.00")))
    shop.handle(PayOrder("A", D("100.00")))
    started = time.perf_counter()
    for _ in range(4000):
        shop.handle(RequestRefund("A", D("0.01")))
    for n in range(1, 4001):
        shop.handle(ConfirmRefund("A", f"R{n}"))
    assert time.perf_counter() - started < 20  # 49 s for the first half alone before the change
    state = shop.state("A")
    assert state.refunds_paid == state.refunds_requested == D("40.00")


# --- 10. time never runs backwards in a store ---------------------------------------------

def test_a_clock_that_steps_back_is_clamped_to_the_last_recorded_time():
    clock = SimulatedClock(start=1_000)
    store = InMemoryEventStore(clock=clock)
    store.append("order-A", [OrderCreated("A", D(1))])
    clock.now = 900
    [later] = store.append("order-A", [OrderPaid("A")])
    assert later.recorded_at == 1_000
    clock.now = 1_100
    assert store.append("order-B", [OrderCreated("B", D(1))])[0].recorded_at == 1_100


def test_the_state_at_a_second_shared_by_several_events_includes_them_all():
    shop = Shop(InMemoryEventStore(clock=SimulatedClock(start=5_000)))
    shop.handle(PlaceOrder("A", D(3)))
    shop.handle(PayOrder("A", D(3)))
    shop.handle(RequestRefund("A", D(1)))
    assert not state_at_time(shop.store, "A", 4_999).placed
    assert state_at_time(shop.store, "A", 5_000) == shop.state("A") and shop.state("A").refunds_requested == D(1)


# --- 12. expected_version of the wrong type -------------------------------------------------

@pytest.mark.parametrize("expected", [True, False, "1", None, 1.0, -1])
def test_an_expected_version_of_the_wrong_type_is_refused(expected):
    store = InMemoryEventStore()
    with pytest.raises(TypeError if expected != -1 else ValueError):
        store.append("order-A", [OrderCreated("A", D(1))], expected)
    assert len(store) == 0
    store.append("order-A", [OrderCreated("A", D(1))], ANY)


# --- the shop's expected_version (HTTP If-Match) ----------------------------------------

def test_an_explicit_expected_version_is_never_retried():
    shop = make_shop()
    shop.handle(PlaceOrder("A", D(3)))
    with pytest.raises(ConcurrencyError):
        shop.handle(PayOrder("A", D(3)), expected_version=0)
    assert shop.handle(PayOrder("A", D(3)), expected_version=1)[0].version == 2


def test_an_amount_with_a_huge_exponent_is_refused_without_overflow():
    with pytest.raises(ValueError, match="most an amount can be"):
        to_money("1e999999999")


def test_threads_sharing_one_shop_with_a_full_cache_lose_nothing():
    shop = Shop(InMemoryEventStore(), cache_size=4)
    errors = []

    def place(start):
        try:
            for n in range(start, start + 200):
                shop.handle(PlaceOrder(f"T{n}", D(1)))
                shop.handle(PayOrder(f"T{n}", D(1)))
        except Exception as error:  # pragma: no cover - the failure this test exists to catch
            errors.append(error)

    threads = [threading.Thread(target=place, args=(i * 1000,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and len(shop.store) == 6 * 200 * 2


def test_a_subclass_of_a_command_has_a_fingerprint_like_its_parents():
    from dataclasses import dataclass

    from eventsim.shop.commands import PayOrder, fingerprint

    @dataclass(frozen=True)
    class UrgentPayOrder(PayOrder):
        pass

    assert fingerprint(UrgentPayOrder("7", 5)) == "UrgentPayOrder(order_id='7', amount='5.00')"
