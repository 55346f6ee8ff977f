"""The refund process manager: every requested refund is paid out and confirmed exactly once."""
from collections import Counter
from decimal import Decimal

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from eventsim.clock import SimulatedClock
from eventsim.ids import SeededIds, check_id
from eventsim.shop import Shop
from eventsim.shop.commands import (
    CancelOrder,
    ConfirmRefund,
    PayOrder,
    PlaceOrder,
    RequestRefund,
)
from eventsim.shop.events import RefundCreated, RefundPaid
from eventsim.shop.payments import (
    ACTOR,
    ALREADY_PAID,
    FAILED,
    PAID,
    UNANSWERED,
    UNKNOWN_REFUND,
    FakePaymentProvider,
    Payout,
    RefundProcess,
    RefundSettled,
    confirm_command_id,
)
from eventsim.store import ConcurrencyError, InMemoryEventStore
from eventsim.stores.sqlite import SQLiteEventStore

START = 1_628_380_800
DELAY = 600


class ScriptedProvider(FakePaymentProvider):
    """Answers with the given outcomes (``True``: pays), in order, then always pays."""

    def __init__(self, *outcomes: bool):
        super().__init__(delay=DELAY)
        self.outcomes = list(outcomes)
        self.calls: list[str] = []

    def pay_out(self, key, order_id, refund_id, amount):
        self.calls.append(refund_id)
        if self.outcomes and not self.outcomes.pop(0):
            return None
        return super().pay_out(key, order_id, refund_id, amount)


class Crash(Exception):
    """The process dies here."""


class CrashingShop:
    """The shop as one process sees it: ``handle`` raises ``Crash`` while ``armed``."""

    def __init__(self, shop: Shop):
        self.shop, self.store, self.state, self.armed = shop, shop.store, shop.state, False

    def handle(self, command, **options):
        if self.armed:
            self.armed = False
            raise Crash(f"died before {type(command).__name__} was recorded")
        return self.shop.handle(command, **options)


def new_shop(redeliver: float = 0.0, seed: int = 0) -> tuple[Shop, SimulatedClock]:
    clock = SimulatedClock(START)
    ids = SeededIds(seed)
    return Shop(InMemoryEventStore(clock=clock, ids=ids, redeliver=redeliver, seed=seed), ids=ids), clock


def paid_order(shop: Shop, order_id: str = "A", amount: str = "100.00") -> None:
    shop.handle(PlaceOrder(order_id, Decimal(amount)))
    shop.handle(PayOrder(order_id, Decimal(amount)))


def refunds_paid(shop: Shop) -> Counter:
    return Counter((r.event.order_id, r.event.refund_id) for r in shop.store.read_all()
                   if isinstance(r.event, RefundPaid))


def refunds_requested(shop: Shop) -> list[tuple[str, str]]:
    return [(r.event.order_id, r.event.refund_id) for r in shop.store.read_all()
            if isinstance(r.event, RefundCreated)]


def refund_created(shop: Shop, order_id: str, refund_id: str):
    return next(r for r in shop.store.read_all() if isinstance(r.event, RefundCreated)
                and (r.event.order_id, r.event.refund_id) == (order_id, refund_id))


def test_a_refund_waits_for_the_provider_and_is_confirmed_at_its_due_time():
    shop, clock = new_shop()
    provider = ScriptedProvider()
    process = RefundProcess(shop, provider, clock)
    paid_order(shop)
    clock.advance(50)
    shop.handle(RequestRefund("A", Decimal("30.00"), refund_id="A-R1"))

    assert [(p.refund_id, p.order_id, p.amount, p.attempt, p.due) for p in process.pending] == [
        ("A-R1", "A", Decimal("30.00"), 1, START + 50 + DELAY)]
    assert refunds_paid(shop) == Counter() and provider.payouts == []  # the handler only queued the work

    attempt = process.step()
    assert (attempt.refund_id, attempt.order_id, attempt.attempt, attempt.outcome) == ("A-R1", "A", 1, PAID)
    assert attempt.at == clock.now == START + 50 + DELAY
    last = shop.store.read_all()[-1]
    assert last.event == RefundPaid("A", "A-R1")
    assert last.recorded_at == START + 50 + DELAY
    assert last.causation_id == confirm_command_id("A", "A-R1")
    created = refund_created(shop, "A", "A-R1")
    assert provider.payouts == [Payout(created.event_id, "A", "A-R1", Decimal("30.00"))]
    assert process.pending == [] and process.next_due is None
    assert process.step() is None


def test_refunds_with_the_same_id_in_two_orders_are_both_paid():
    shop, clock = new_shop()
    provider = ScriptedProvider()
    process = RefundProcess(shop, provider, clock)
    for order_id in ("A", "B"):
        paid_order(shop, order_id)
        shop.handle(RequestRefund(order_id, Decimal("10.00"), refund_id="R1"))
    assert sorted(p.order_id for p in process.pending) == ["A", "B"]

    process.run_until_idle()

    assert refunds_paid(shop) == Counter({("A", "R1"): 1, ("B", "R1"): 1})
    assert sorted((p.order_id, p.refund_id) for p in provider.payouts) == [("A", "R1"), ("B", "R1")]
    assert confirm_command_id("A", "R1") != confirm_command_id("B", "R1")


def test_a_refund_is_traced_by_ids_from_request_to_payout():
    shop, clock = new_shop()
    process = RefundProcess(shop, ScriptedProvider(), clock)
    paid_order(shop)
    shop.handle(RequestRefund("A", Decimal("30.00"), refund_id="A-R1"), actor="customer")
    process.run_until_idle()

    created = refund_created(shop, "A", "A-R1")
    paid = shop.store.read_all()[-1]
    command_id = confirm_command_id("A", "A-R1")
    record = shop.store.command_record(command_id)
    assert record.causation_id == created.event_id     # the request caused the confirmation
    assert paid.causation_id == command_id              # which caused RefundPaid
    assert (paid.event, paid.actor) == (RefundPaid("A", "A-R1"), "refund process") and ACTOR == "refund process"
    assert paid.correlation_id == created.correlation_id  # one refund, from the request to the payout, is one
    assert created.correlation_id != shop.store.read_all()[0].correlation_id  # conversation; placing was another
    assert (record.stream_id, record.first_version, record.last_version) == ("order-A", paid.version, paid.version)


def test_the_confirmation_id_is_a_valid_id_whatever_the_lengths_of_the_ids():
    long_order, long_refund = "O" * 64, "R" * 64
    command_id = confirm_command_id(long_order, long_refund)
    assert check_id(command_id) == command_id
    assert confirm_command_id(long_order, long_refund) == command_id  # the same refund, the same id
    assert confirm_command_id("A-B", "C") != confirm_command_id("A", "B-C")


def test_a_failed_attempt_is_retried_a_delay_later_until_it_succeeds():
    shop, clock = new_shop()
    provider = ScriptedProvider(False, False)
    process = RefundProcess(shop, provider, clock)
    paid_order(shop)
    shop.handle(RequestRefund("A", Decimal("30.00"), refund_id="A-R1"))

    attempts = process.run_until_idle()

    assert [(a.attempt, a.at, a.outcome) for a in attempts] == [
        (1, START + DELAY, FAILED), (2, START + 2 * DELAY, FAILED), (3, START + 3 * DELAY, PAID)]
    assert provider.calls == ["A-R1"] * 3
    assert len(provider.payouts) == 1
    assert refunds_paid(shop) == Counter({("A", "A-R1"): 1})


def test_pending_lists_retries_with_their_new_due_time():
    shop, clock = new_shop()
    process = RefundProcess(shop, ScriptedProvider(False), clock)
    paid_order(shop)
    shop.handle(RequestRefund("A", Decimal("30.00"), refund_id="A-R1"))
    process.step()
    assert [(p.refund_id, p.attempt, p.due) for p in process.pending] == [("A-R1", 2, START + 2 * DELAY)]


def test_attempts_are_made_in_due_order_and_run_until_stops_at_the_given_time():
    shop, clock = new_shop()
    process = RefundProcess(shop, ScriptedProvider(), clock)
    paid_order(shop, "A")
    paid_order(shop, "B")
    clock.advance(100)
    shop.handle(RequestRefund("B", Decimal("1.00"), refund_id="B-R1"))
    clock.advance(100)
    shop.handle(RequestRefund("A", Decimal("1.00"), refund_id="A-R1"))  # requested later, so due later

    assert [a.refund_id for a in process.run_until(START + 100 + DELAY)] == ["B-R1"]
    assert [p.refund_id for p in process.pending] == ["A-R1"]
    assert [a.refund_id for a in process.run_until_idle()] == ["A-R1"]


def test_the_clock_never_moves_backwards():
    shop, clock = new_shop()
    process = RefundProcess(shop, ScriptedProvider(), clock)
    paid_order(shop)
    shop.handle(RequestRefund("A", Decimal("1.00"), refund_id="A-R1"))
    clock.advance(10 * DELAY)  # the process is stepped late
    assert process.step().at == START + 10 * DELAY
    assert clock.now == START + 10 * DELAY


def test_a_cancellation_refund_is_paid_too():
    shop, clock = new_shop()
    process = RefundProcess(shop, ScriptedProvider(), clock)
    paid_order(shop)
    shop.handle(CancelOrder("A"))
    process.run_until_idle()
    assert shop.state("A").refunds_paid == Decimal("100.00")


# --- the provider ----------------------------------------------------------

def test_the_provider_pays_a_key_once_and_answers_a_repeat_with_the_first_payout():
    provider = FakePaymentProvider()
    first = provider.pay_out("key-1", "A", "R1", Decimal("5.00"))
    assert first == Payout("key-1", "A", "R1", Decimal("5.00"))
    assert provider.pay_out("key-1", "A", "R1", Decimal("5.00")) is first
    assert provider.pay_out("key-2", "B", "R1", Decimal("5.00")) is not None
    assert [p.key for p in provider.payouts] == ["key-1", "key-2"]
    with pytest.raises(ValueError, match="idempotency key 'key-1' already paid.*a key of its own"):
        provider.pay_out("key-1", "A", "R1", Decimal("9.00"))
    assert len(provider.payouts) == 2


def test_a_failed_payout_is_not_remembered_so_the_same_key_can_be_tried_again():
    provider = FakePaymentProvider(failure_rate=0.5, seed=1)
    answers = [provider.pay_out("key", "A", "R1", Decimal("5.00")) for _ in range(20)]
    assert answers[0] is None, "this seed fails the first attempt: the test proves nothing"
    paid = [answer for answer in answers if answer is not None]
    assert paid and all(answer is paid[0] for answer in paid)
    assert provider.payouts == [paid[0]]


def test_the_fake_provider_is_deterministic_and_fails_at_about_its_rate():
    def outcomes(seed):
        provider = FakePaymentProvider(failure_rate=0.3, seed=seed)
        return [provider.pay_out(f"key {n}", "A", f"R{n}", Decimal(1)) is not None for n in range(2000)]

    assert outcomes(1) == outcomes(1)
    assert outcomes(1) != outcomes(2)
    assert 0.25 < outcomes(1).count(False) / 2000 < 0.35
    provider = FakePaymentProvider(failure_rate=0.0)
    assert all(provider.pay_out(f"key {n}", "A", "R", Decimal(1)) for n in range(100))


@pytest.mark.parametrize("kwargs", [{"failure_rate": 1.0}, {"failure_rate": -0.1}, {"delay": -1}])
def test_the_fake_provider_refuses_settings_that_make_no_sense(kwargs):
    with pytest.raises(ValueError, match=next(iter(kwargs))):
        FakePaymentProvider(**kwargs)


# --- restarts, crashes, repeats --------------------------------------------

def test_a_crash_after_the_provider_paid_pays_once_when_a_new_process_resumes():
    shop, clock = new_shop()
    provider = ScriptedProvider()
    crashing = CrashingShop(shop)
    first = RefundProcess(crashing, provider, clock)
    paid_order(shop)
    shop.handle(RequestRefund("A", Decimal("10.00"), refund_id="A-R1"))
    first.run_until_idle()  # A-R1 paid and confirmed
    shop.handle(RequestRefund("A", Decimal("20.00"), refund_id="A-R2"))
    crashing.armed = True
    with pytest.raises(Crash):
        first.step()  # the provider pays A-R2, then the process dies before ConfirmRefund
    first.subscription.close()
    assert [(p.refund_id, p.amount) for p in provider.payouts] == [("A-R1", Decimal("10.00")),
                                                                  ("A-R2", Decimal("20.00"))]
    assert refunds_paid(shop) == Counter({("A", "A-R1"): 1})
    assert first.checkpoint == shop.store.last_position  # the waiting refund is in the journal, not behind it

    restarted = RefundProcess(shop, provider, clock, journal=first.journal)
    assert [(p.refund_id, p.asked) for p in restarted.pending] == [("A-R2", True)]  # asked, no answer recorded
    attempts = restarted.run_until_idle()

    assert [(a.refund_id, a.outcome) for a in attempts] == [("A-R2", PAID)]
    assert len(provider.payouts) == 2
    assert provider.calls == ["A-R1", "A-R2"]  # not asked to pay again: looked up by reference
    assert provider.lookups == [(refund_created(shop, "A", "A-R2").event_id, provider.payouts[1])]
    assert refunds_paid(shop) == Counter({("A", "A-R1"): 1, ("A", "A-R2"): 1})
    assert restarted.checkpoint == shop.store.last_position


def test_a_lost_answer_from_the_provider_is_looked_up_by_reference_not_asked_again():
    shop, clock = new_shop()

    class TimesOut(ScriptedProvider):
        def pay_out(self, key, order_id, refund_id, amount):
            payout = super().pay_out(key, order_id, refund_id, amount)
            if len(self.calls) == 1:
                raise TimeoutError("the provider paid, but its answer never came")
            return payout

    provider = TimesOut()
    process = RefundProcess(shop, provider, clock, reconcile_after=2 * DELAY)
    paid_order(shop)
    shop.handle(RequestRefund("A", Decimal("10.00"), refund_id="A-R1"))
    assert process.step().outcome == UNANSWERED
    assert [(p.refund_id, p.due) for p in process.pending] == [("A-R1", START + 3 * DELAY)]  # the deadline
    attempt = process.step()
    assert (attempt.outcome, attempt.at) == (PAID, START + 3 * DELAY)
    assert provider.calls == ["A-R1"] and len(provider.lookups) == 1
    assert len(provider.payouts) == 1 and refunds_paid(shop) == Counter({("A", "A-R1"): 1})


def test_a_process_restarted_on_its_journal_reads_only_what_came_after_its_checkpoint():
    shop, clock = new_shop()
    first = RefundProcess(shop, ScriptedProvider(), clock)
    for order_id in "ABC":
        paid_order(shop, order_id)
        shop.handle(RequestRefund(order_id, Decimal("10.00"), refund_id=f"{order_id}-R1"))
    first.run_until_idle()
    first.subscription.close()
    saved = max(r.event.checkpoint for r in first.journal.read_stream(RefundProcess.STREAM))
    shop.handle(RequestRefund("A", Decimal("5.00"), refund_id="A-R2"))  # while no process runs

    seen = []

    class Watched(RefundProcess):
        def _on_event(self, recorded):
            seen.append(recorded.position)
            super()._on_event(recorded)

    restarted = Watched(shop, ScriptedProvider(), clock, journal=first.journal)
    assert seen == [r.position for r in shop.store.read_all(saved + 1)]  # no replay of the whole log
    assert [(p.order_id, p.refund_id) for p in restarted.pending] == [("A", "A-R2")]  # and no skip
    restarted.run_until_idle()
    assert refunds_paid(shop) == Counter({key: 1 for key in refunds_requested(shop)})


def test_the_checkpoint_moves_on_past_a_waiting_refund_which_waits_in_the_journal():
    """A checkpoint kept before the oldest waiting refund would stay there as long as the refund waits,
    longer than a provider remembers its idempotency key: the waiting refund is the process's state instead."""
    shop, clock = new_shop()
    process = RefundProcess(shop, ScriptedProvider(False, False, False), clock)
    assert process.checkpoint == 0
    paid_order(shop, "A")
    shop.handle(RequestRefund("A", Decimal("1.00"), refund_id="A-R1"))
    paid_order(shop, "B")
    process.run_until(START + 2 * DELAY)  # two failed attempts: the refund still waits
    assert [p.refund_id for p in process.pending] == ["A-R1"]
    assert process.checkpoint == shop.store.last_position
    assert [type(r.event).__name__ for r in process.journal.read_stream(RefundProcess.STREAM)] == [
        "PayoutScheduled", "PayoutRequested", "PayoutScheduled", "PayoutRequested", "PayoutScheduled"]
    process.run_until_idle()
    assert process.journal.read_stream(RefundProcess.STREAM)[-1].event == RefundSettled(
        "A", "A-R1", PAID, shop.store.last_position)


@pytest.mark.parametrize("reconcile_after", [0, -1, 1.5, True, None])
def test_the_time_to_wait_for_an_answer_is_a_positive_number_of_seconds(reconcile_after):
    shop, clock = new_shop()
    with pytest.raises(ValueError, match="reconcile_after is a positive number of seconds"):
        RefundProcess(shop, ScriptedProvider(), clock, reconcile_after=reconcile_after)


def test_a_new_process_from_the_start_picks_up_unpaid_refunds_and_skips_paid_ones():
    shop, clock = new_shop()
    first = RefundProcess(shop, ScriptedProvider(), clock)
    paid_order(shop)
    shop.handle(RequestRefund("A", Decimal("10.00"), refund_id="A-R1"))
    first.run_until_idle()
    shop.handle(RequestRefund("A", Decimal("10.00"), refund_id="A-R2"))
    first.subscription.close()  # the first process stops before paying the second refund

    restarted = RefundProcess(shop, ScriptedProvider(), clock)
    assert [p.refund_id for p in restarted.pending] == ["A-R2"]
    restarted.run_until_idle()
    assert refunds_paid(shop) == Counter({("A", "A-R1"): 1, ("A", "A-R2"): 1})


def test_a_refund_delivered_twice_is_queued_once():
    shop, clock = new_shop(redeliver=1.0)
    provider = ScriptedProvider()
    process = RefundProcess(shop, provider, clock)
    paid_order(shop)
    shop.handle(RequestRefund("A", Decimal("10.00"), refund_id="A-R1"))
    assert len(process.pending) == 1
    process.run_until_idle()
    assert provider.calls == ["A-R1"]


def test_a_stale_process_repeating_a_confirmation_records_nothing():
    shop, clock = new_shop()
    provider = ScriptedProvider()
    live = RefundProcess(shop, provider, clock)
    stale = RefundProcess(shop, provider, clock)
    paid_order(shop)
    shop.handle(RequestRefund("A", Decimal("10.00"), refund_id="A-R1"))  # both processes queue the refund
    stale.subscription.close()  # stops following the store: it will not hear of RefundPaid
    live.run_until_idle()
    events_before = len(shop.store)

    attempt = stale.step()

    assert attempt.outcome == ALREADY_PAID  # the order says paid: nothing paid, nothing recorded
    assert len(shop.store) == events_before and len(provider.payouts) == 1 and provider.calls == ["A-R1"]
    assert stale.pending == []


def test_a_refund_confirmed_by_hand_is_neither_paid_nor_confirmed_again():
    shop, clock = new_shop()
    provider = ScriptedProvider()
    process = RefundProcess(shop, provider, clock)
    paid_order(shop)
    shop.handle(RequestRefund("A", Decimal("10.00"), refund_id="A-R1"))
    process.subscription.close()
    shop.handle(ConfirmRefund("A", "A-R1"), actor="clerk:ann")  # behind the process's back

    assert process.step().outcome == ALREADY_PAID  # it looked at the order before paying
    assert provider.calls == [] and process.pending == []
    assert refunds_paid(shop) == Counter({("A", "A-R1"): 1})


def test_a_refund_the_order_does_not_know_is_never_paid():
    shop, clock = new_shop()
    provider = ScriptedProvider()
    process = RefundProcess(shop, provider, clock)
    paid_order(shop)
    shop.store.append("imported", [RefundCreated("A", Decimal("10.00"), "X9")])  # not in the order's stream

    assert [p.refund_id for p in process.pending] == ["X9"]
    assert process.step().outcome == UNKNOWN_REFUND
    assert provider.calls == [] and process.pending == [] and refunds_paid(shop) == Counter()


def test_an_error_while_confirming_loses_nothing(monkeypatch):
    shop, clock = new_shop()
    provider = ScriptedProvider()
    process = RefundProcess(shop, provider, clock)
    paid_order(shop)
    shop.handle(RequestRefund("A", Decimal("10.00"), refund_id="A-R1"))
    handle = Shop.handle

    def lose_the_race(self, command, **options):
        monkeypatch.setattr(Shop, "handle", handle)  # only the first call fails
        raise ConcurrencyError("order-A", 3, 4)

    monkeypatch.setattr(Shop, "handle", lose_the_race)
    with pytest.raises(ConcurrencyError):
        process.step()
    assert [p.refund_id for p in process.pending] == ["A-R1"]
    assert process.step().outcome == PAID
    assert refunds_paid(shop) == Counter({("A", "A-R1"): 1}) and len(provider.payouts) == 1


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32), failure_rate=st.sampled_from([0.0, 0.3, 0.6, 0.9]),
       redeliver=st.sampled_from([0.0, 0.5]), workers=st.integers(2, 4), data=st.data())
def test_every_refund_is_paid_and_confirmed_exactly_once_whatever_fails(seed, failure_rate, redeliver,
                                                                       workers, data):
    """Several processes share the store and the provider; each may die right after the
    provider paid and be restarted on its journal; the first may stop following the store;
    events are delivered twice at random; every order's refund is called R1; the provider
    fails often: still one payout and one RefundPaid per refund."""
    shop, clock = new_shop(redeliver=redeliver, seed=seed)
    provider = FakePaymentProvider(delay=DELAY, failure_rate=failure_rate, seed=seed)
    shops = [CrashingShop(shop) for _ in range(workers)]
    processes = [RefundProcess(shops[n], provider, clock) for n in range(workers)]
    attempts = []
    for n in range(6):
        order_id = f"O{n}"
        paid_order(shop, order_id, "10.00")
        shop.handle(RequestRefund(order_id, Decimal("4.00"), refund_id="R1"))
        if data.draw(st.booleans(), label=f"cancel {order_id}"):
            shop.handle(CancelOrder(order_id))  # refunds the remaining 6.00
        for _ in range(data.draw(st.integers(0, 4), label="steps")):
            which = data.draw(st.integers(0, workers - 1), label="which process")
            what = data.draw(st.sampled_from(["step", "step", "crash", "stop"]), label="what")
            if what == "stop":
                processes[0].subscription.close()  # a stale process: still steps, hears nothing new
                continue
            shops[which].armed = what == "crash"
            try:
                attempts.append(processes[which].step())
            except Crash:
                event("a process died after the provider paid")
                processes[which].subscription.close()
                processes[which] = RefundProcess(shops[which], provider, clock,
                                                 journal=processes[which].journal)
            shops[which].armed = False
    for process in processes:
        attempts += process.run_until_idle()

    requested = refunds_requested(shop)
    assert len(set(requested)) == len(requested)
    assert refunds_paid(shop) == Counter(requested)
    assert Counter((p.order_id, p.refund_id) for p in provider.payouts) == Counter(requested)
    paid_events = [r for r in shop.store.read_all() if isinstance(r.event, RefundPaid)]
    assert all(r.causation_id == confirm_command_id(r.event.order_id, r.event.refund_id) for r in paid_events)
    made = [a for a in attempts if a is not None]
    assert Counter((a.order_id, a.refund_id) for a in made if a.outcome == PAID) == Counter(requested)
    assert all(not process.pending for process in processes)


def test_a_process_restarted_on_a_new_connection_to_a_durable_store_resumes_from_its_journal(tmp_path):
    """The whole process dies (store object, shop, process); a new one opens the same SQLite file, which
    holds the shop's streams and the process's own."""
    clock, provider = SimulatedClock(START), ScriptedProvider()  # the provider outlives the process
    store = SQLiteEventStore(tmp_path / "shop.db", clock=clock, ids=SeededIds(1))
    shop = CrashingShop(Shop(store, ids=SeededIds(2)))
    first = RefundProcess(shop, provider, clock, journal=store)
    paid_order(shop.shop)
    shop.shop.handle(RequestRefund("A", Decimal("10.00"), refund_id="A-R1"))
    first.run_until_idle()
    shop.shop.handle(RequestRefund("A", Decimal("20.00"), refund_id="A-R2"))
    shop.armed = True
    with pytest.raises(Crash):
        first.step()  # paid A-R2, died before confirming it
    store.close()

    reopened = SQLiteEventStore(tmp_path / "shop.db", clock=clock, ids=SeededIds(3))
    again = Shop(reopened, ids=SeededIds(4))
    restarted = RefundProcess(again, provider, clock, journal=reopened)
    assert [p.refund_id for p in restarted.pending] == ["A-R2"]
    restarted.run_until_idle()
    assert [(p.refund_id, p.amount) for p in provider.payouts] == [("A-R1", Decimal("10.00")),
                                                                  ("A-R2", Decimal("20.00"))]
    assert refunds_paid(again) == Counter({("A", "A-R1"): 1, ("A", "A-R2"): 1})
    paid = reopened.read_stream("order-A")[-1]
    assert reopened.command_record(paid.causation_id).causation_id == refund_created(again, "A", "A-R2").event_id
    reopened.close()
