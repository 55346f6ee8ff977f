"""The refund process manager: every requested refund is paid out and confirmed exactly once."""
from collections import Counter
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from eventsim.clock import SimulatedClock
from eventsim.commands import CancelOrder, ConfirmRefund, PayOrder, PlaceOrder, RequestRefund
from eventsim.events import RefundCreated, RefundPaid
from eventsim.ids import SeededIds
from eventsim.payments import (ALREADY_PAID, FAILED, PAID, FakePaymentProvider, RefundProcess,
                               confirm_command_id)
from eventsim.shop import Shop
from eventsim.store import ConcurrencyError, InMemoryEventStore

START = 1_628_380_800
DELAY = 600


class ScriptedProvider(FakePaymentProvider):
    """Answers with the given outcomes, in order, then always pays."""

    def __init__(self, *outcomes: bool):
        super().__init__(delay=DELAY)
        self.outcomes = list(outcomes)
        self.calls: list[str] = []

    def pay_out(self, refund_id: str) -> bool:
        self.calls.append(refund_id)
        return self.outcomes.pop(0) if self.outcomes else True


def new_shop(redeliver: float = 0.0, seed: int = 0) -> tuple[Shop, SimulatedClock]:
    clock = SimulatedClock(START)
    ids = SeededIds(seed)
    return Shop(InMemoryEventStore(clock=clock, ids=ids, redeliver=redeliver, seed=seed), ids=ids), clock


def paid_order(shop: Shop, order_id: str = "A", amount: str = "100.00") -> None:
    shop.handle(PlaceOrder(order_id, Decimal(amount)))
    shop.handle(PayOrder(order_id, Decimal(amount)))


def refunds_paid(shop: Shop) -> Counter:
    return Counter(r.event.refund_id for r in shop.store.read_all() if isinstance(r.event, RefundPaid))


def refunds_requested(shop: Shop) -> list[str]:
    return [r.event.refund_id for r in shop.store.read_all() if isinstance(r.event, RefundCreated)]


def test_a_refund_waits_for_the_provider_and_is_confirmed_at_its_due_time():
    shop, clock = new_shop()
    process = RefundProcess(shop, ScriptedProvider(), clock)
    paid_order(shop)
    clock.advance(50)
    shop.handle(RequestRefund("A", Decimal("30.00"), refund_id="R1"))

    assert [(p.refund_id, p.order_id, p.attempt, p.due) for p in process.pending] == [
        ("R1", "A", 1, START + 50 + DELAY)]
    assert refunds_paid(shop) == Counter()  # the handler only queued the work

    attempt = process.step()
    assert (attempt.refund_id, attempt.attempt, attempt.outcome) == ("R1", 1, PAID)
    assert attempt.at == START + 50 + DELAY
    assert clock.now == START + 50 + DELAY
    last = shop.store.read_all()[-1]
    assert last.event == RefundPaid("A", "R1")
    assert last.recorded_at == START + 50 + DELAY
    assert last.causation_id == confirm_command_id("R1") == "confirm-A-R1"
    assert process.pending == [] and process.next_due is None
    assert process.step() is None


def test_a_failed_attempt_is_retried_a_delay_later_until_it_succeeds():
    shop, clock = new_shop()
    provider = ScriptedProvider(False, False)
    process = RefundProcess(shop, provider, clock)
    paid_order(shop)
    shop.handle(RequestRefund("A", Decimal("30.00")))

    attempts = process.run_until_idle()

    assert [(a.attempt, a.at, a.outcome) for a in attempts] == [
        (1, START + DELAY, FAILED), (2, START + 2 * DELAY, FAILED), (3, START + 3 * DELAY, PAID)]
    assert provider.calls == ["R1"] * 3
    assert refunds_paid(shop) == Counter({"R1": 1})


def test_pending_lists_retries_with_their_new_due_time():
    shop, clock = new_shop()
    process = RefundProcess(shop, ScriptedProvider(False), clock)
    paid_order(shop)
    shop.handle(RequestRefund("A", Decimal("30.00")))
    process.step()
    assert [(p.refund_id, p.attempt, p.due) for p in process.pending] == [("R1", 2, START + 2 * DELAY)]


def test_attempts_are_made_in_due_order_and_run_until_stops_at_the_given_time():
    shop, clock = new_shop()
    process = RefundProcess(shop, ScriptedProvider(), clock)
    paid_order(shop, "A")
    paid_order(shop, "B")
    clock.advance(100)
    shop.handle(RequestRefund("B", Decimal("1.00")))
    clock.advance(100)
    shop.handle(RequestRefund("A", Decimal("1.00")))  # requested later, so due later

    assert [a.refund_id for a in process.run_until(START + 100 + DELAY)] == ["R1"]
    assert [p.refund_id for p in process.pending] == ["R1"]
    assert [a.refund_id for a in process.run_until_idle()] == ["R1"]


def test_the_clock_never_moves_backwards():
    shop, clock = new_shop()
    process = RefundProcess(shop, ScriptedProvider(), clock)
    paid_order(shop)
    shop.handle(RequestRefund("A", Decimal("1.00")))
    clock.advance(10 * DELAY)  # the process is stepped late
    assert process.step().at == START + 10 * DELAY
    assert clock.now == START + 10 * DELAY


def test_a_cancellation_refund_is_paid_too():
    shop, clock = new_shop()
    process = RefundProcess(shop, ScriptedProvider(), clock)
    paid_order(shop)
    shop.handle(CancelOrder("A"))
    process.run_until_idle()
    assert shop.state("A").refunds[0].paid


def test_a_new_process_picks_up_unpaid_refunds_and_skips_paid_ones():
    shop, clock = new_shop()
    first = RefundProcess(shop, ScriptedProvider(), clock)
    paid_order(shop)
    shop.handle(RequestRefund("A", Decimal("10.00")))
    first.run_until_idle()
    shop.handle(RequestRefund("A", Decimal("10.00")))
    first.subscription.close()  # the first process stops before paying the second refund

    restarted = RefundProcess(shop, ScriptedProvider(), clock)
    assert [p.refund_id for p in restarted.pending] == ["R2"]
    restarted.run_until_idle()
    assert refunds_paid(shop) == Counter({"R1": 1, "R2": 1})


def test_a_refund_delivered_twice_is_queued_once():
    shop, clock = new_shop(redeliver=1.0)
    provider = ScriptedProvider()
    process = RefundProcess(shop, provider, clock)
    paid_order(shop)
    shop.handle(RequestRefund("A", Decimal("10.00")))
    assert len(process.pending) == 1
    process.run_until_idle()
    assert provider.calls == ["R1"]


def test_a_stale_process_repeating_a_confirmation_records_nothing():
    shop, clock = new_shop()
    live = RefundProcess(shop, ScriptedProvider(), clock)
    stale = RefundProcess(shop, ScriptedProvider(), clock)
    paid_order(shop)
    shop.handle(RequestRefund("A", Decimal("10.00")))  # both processes queue the refund
    stale.subscription.close()  # stops following the store: it will not hear of RefundPaid
    live.run_until_idle()
    events_before = len(shop.store)

    attempt = stale.step()

    assert attempt.outcome == ALREADY_PAID  # the shop knew the command id: nothing new recorded
    assert len(shop.store) == events_before
    assert stale.pending == []


def test_a_refund_confirmed_under_another_command_id_is_not_confirmed_again():
    shop, clock = new_shop()
    process = RefundProcess(shop, ScriptedProvider(), clock)
    paid_order(shop)
    shop.handle(RequestRefund("A", Decimal("10.00")))
    process.subscription.close()
    shop.handle(ConfirmRefund("A", "R1"))  # confirmed by hand, behind the process's back

    assert process.step().outcome == ALREADY_PAID  # the decider's RefundAlreadyPaid rule
    assert refunds_paid(shop) == Counter({"R1": 1})


def test_an_error_while_confirming_loses_nothing(monkeypatch):
    shop, clock = new_shop()
    process = RefundProcess(shop, ScriptedProvider(), clock)
    paid_order(shop)
    shop.handle(RequestRefund("A", Decimal("10.00")))
    handle = Shop.handle

    def lose_the_race(self, command):
        monkeypatch.setattr(Shop, "handle", handle)  # only the first call fails
        raise ConcurrencyError("order-A", 3, 4)

    monkeypatch.setattr(Shop, "handle", lose_the_race)
    with pytest.raises(ConcurrencyError):
        process.step()
    assert [p.refund_id for p in process.pending] == ["R1"]
    assert process.step().outcome == PAID
    assert refunds_paid(shop) == Counter({"R1": 1})


def test_the_fake_provider_is_deterministic_and_fails_at_about_its_rate():
    def outcomes(seed):
        provider = FakePaymentProvider(failure_rate=0.3, seed=seed)
        return [provider.pay_out("R") for _ in range(2000)]

    assert outcomes(1) == outcomes(1)
    assert outcomes(1) != outcomes(2)
    assert 0.25 < outcomes(1).count(False) / 2000 < 0.35
    assert all(FakePaymentProvider(failure_rate=0.0).pay_out("R") for _ in range(100))


@pytest.mark.parametrize("kwargs", [{"failure_rate": 1.0}, {"failure_rate": -0.1}, {"delay": -1}])
def test_the_fake_provider_refuses_settings_that_make_no_sense(kwargs):
    with pytest.raises(ValueError, match=next(iter(kwargs))):
        FakePaymentProvider(**kwargs)


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32), failure_rate=st.sampled_from([0.0, 0.3, 0.6, 0.9]),
       redeliver=st.sampled_from([0.0, 0.5]), workers=st.integers(2, 4),
       stop_one_at=st.integers(0, 30), data=st.data())
def test_every_refund_is_confirmed_exactly_once_whatever_fails(seed, failure_rate, redeliver, workers,
                                                              stop_one_at, data):
    """Several processes share the store (the first stops following it part way), events
    are delivered twice at random, the provider fails often: still one RefundPaid per refund."""
    shop, clock = new_shop(redeliver=redeliver, seed=seed)
    provider = FakePaymentProvider(delay=DELAY, failure_rate=failure_rate, seed=seed)
    processes = [RefundProcess(shop, provider, clock) for _ in range(workers)]
    attempts = []
    for n in range(6):
        order_id = f"O{n}"
        paid_order(shop, order_id, "10.00")
        shop.handle(RequestRefund(order_id, Decimal("4.00")))
        if data.draw(st.booleans(), label=f"cancel {order_id}"):
            shop.handle(CancelOrder(order_id))  # refunds the remaining 6.00
        for _ in range(data.draw(st.integers(0, 4), label="steps")):
            process = processes[data.draw(st.integers(0, workers - 1), label="which process")]
            attempts.append(process.step())
            if len(attempts) == stop_one_at:
                processes[0].subscription.close()
    for process in processes:
        attempts += process.run_until_idle()

    requested = refunds_requested(shop)
    assert refunds_paid(shop) == Counter({refund_id: 1 for refund_id in requested})
    paid_events = [r for r in shop.store.read_all() if isinstance(r.event, RefundPaid)]
    assert all(r.causation_id == confirm_command_id(r.event.refund_id) for r in paid_events)
    made = [a for a in attempts if a is not None]
    assert Counter(a.refund_id for a in made if a.outcome == PAID) == Counter(requested)
    for refund_id in requested:  # one process's story of a refund: failures, then paid
        mine = [a.outcome for a in made if a.refund_id == refund_id]
        assert mine.count(PAID) == 1
    assert all(not process.pending for process in processes)
