"""Process managers with durable state and deadlines: killed between every pair of their steps, they still
pay every refund once and leave no order unpaid past its deadline."""
from collections import Counter
from decimal import Decimal

import pytest

from eventsim.clock import SimulatedClock
from eventsim.shop.commands import CancelOrder, PayOrder, PlaceOrder, RequestRefund
from eventsim.shop.events import OrderCancelled, OrderCreated, RefundCreated, RefundPaid
from eventsim.ids import SeededIds
from eventsim.shop.payments import (
    CANCELLED,
    DEADLINE_ACTOR,
    PAID,
    SETTLED_BEFORE,
    UNANSWERED,
    FakePaymentProvider,
    PaymentDeadlineSet,
    PayoutRequested,
    ProviderTimeout,
    RefundProcess,
    UnpaidOrders,
    cancel_command_id,
)
from eventsim.shop import Shop
from eventsim.store import ConcurrencyError, InMemoryEventStore
from eventsim.stores.sqlite import SQLiteEventStore

START = 1_628_380_800
HOUR = 3600
DAY = 24 * HOUR


class Killed(Exception):
    """The process dies here, as if its machine lost power."""


class Fuse:
    """Counts the effects of the processes (journal writes, provider calls, commands sent) and kills the
    process at effect number ``at``: before it (``after=False``) or right after it was done."""

    def __init__(self, at: int | None = None, after: bool = False):
        self.at, self.after, self.count, self.blown = at, after, 0, False


class Life:
    """One run of one process, from its start to its death: once dead, it does nothing more."""

    def __init__(self, fuse: Fuse):
        self.fuse, self.dead = fuse, False

    def around(self, effect):
        if self.dead:
            raise Killed("a dead process does nothing more")
        fuse = self.fuse
        fuse.count += 1
        due = fuse.count == fuse.at and not fuse.blown
        if due and not fuse.after:
            fuse.blown = self.dead = True
            raise Killed(f"killed before effect {fuse.count}")
        try:
            return effect()
        finally:
            if due:  # the effect is done (or refused): the process dies before it hears of it
                fuse.blown = self.dead = True
                raise Killed(f"killed after effect {fuse.at}")  # noqa: B012 - the death is the point


class KillableJournal:
    def __init__(self, store, life):
        self.store, self.life = store, life

    def append(self, *args, **kwargs):
        return self.life.around(lambda: self.store.append(*args, **kwargs))

    def read_stream(self, *args):
        return self.store.read_stream(*args)


class KillableShop:
    """The shop as a process sees it: every command it sends may be its last."""

    def __init__(self, shop, life):
        self.shop, self.life, self.store = shop, life, shop.store

    def handle(self, command, **options):
        return self.life.around(lambda: self.shop.handle(command, **options))

    def state(self, order_id):
        return self.shop.state(order_id)

    def load(self, stream_id):
        return self.shop.load(stream_id)


class Provider(FakePaymentProvider):
    """Deterministic whatever the restarts: the first request for a refund in ``fail`` fails, the first
    answer for one in ``lose`` is lost (after paying); every call may be the calling process's last.
    It keeps no idempotency key, so only the process's own state can prevent a second payout."""

    def __init__(self, fail=(), lose=()):
        super().__init__(delay=HOUR)
        self.fail, self.lose, self.asked, self.life = set(fail), set(lose), Counter(), None

    def pay_out(self, key, order_id, refund_id, amount):
        def call():
            self.asked[refund_id] += 1
            first = self.asked[refund_id] == 1
            if first and refund_id in self.fail:
                self.requests.append((key, None))
                return None
            self._by_key.clear()  # it forgets every idempotency key at once: no second request may be blind
            payout = super(Provider, self).pay_out(key, order_id, refund_id, amount)
            if first and refund_id in self.lose:
                raise ProviderTimeout("the answer was lost")
            return payout
        return self.life.around(call)

    def find_payout(self, reference):
        return self.life.around(lambda: super(Provider, self).find_payout(reference))


#: (hours after START, command): what customers do. C pays 23:59:59 after it was placed: just in time.
STORY = [
    (0, PlaceOrder("A", Decimal("100.00"))),
    (1, PlaceOrder("B", Decimal("40.00"))),  # never paid: cancelled at its deadline
    (1, PlaceOrder("C", Decimal("25.00"))),
    (2, PayOrder("A", Decimal("100.00"))),
    (2, PlaceOrder("D", Decimal("10.00"))),
    (3, RequestRefund("A", Decimal("30.00"), refund_id="A-R1")),  # the provider fails its first request
    (4, CancelOrder("D")),  # cancelled by the customer: its deadline closes
    (5, RequestRefund("A", Decimal("20.00"), refund_id="A-R2")),  # the provider's first answer is lost
    (6, PlaceOrder("E", Decimal("60.00"))),
    (7, PayOrder("E", Decimal("60.00"))),
    (8, CancelOrder("E")),  # refunds 60: a refund the shop asked for itself
    (25 - 1 / HOUR, PayOrder("C", Decimal("25.00"))),
    (30, PlaceOrder("F", Decimal("5.00"))),  # unpaid, its deadline after the last customer's command
]


def run_story(fuse: Fuse, journals=None):
    """The story with both processes; a killed process is replaced by a new one on the same journal."""
    clock = SimulatedClock(START)
    ids = SeededIds(7)
    shop = Shop(InMemoryEventStore(clock=clock, ids=ids), ids=ids)
    provider = Provider(fail={"A-R1"}, lose={"A-R2"})
    journals = dict(zip(("refunds", "deadlines"), journals or (
        InMemoryEventStore(clock=lambda: clock.now, ids=SeededIds(1)),
        InMemoryEventStore(clock=lambda: clock.now, ids=SeededIds(2)))))
    kills = []

    def start(kind):
        while True:  # a process may be killed while it reads the log on starting
            life = Life(fuse)
            journal, as_seen = KillableJournal(journals[kind], life), KillableShop(shop, life)
            try:
                if kind == "refunds":
                    provider.life = life
                    return RefundProcess(as_seen, provider, clock, journal=journal)
                return UnpaidOrders(as_seen, clock, journal=journal)
            except Killed as death:
                kills.append(str(death))

    processes = {"refunds": start("refunds"), "deadlines": start("deadlines")}

    def restart(kind, death):
        kills.append(str(death))
        processes[kind].subscription.close()
        processes[kind] = start(kind)

    def restart_the_dead():
        for kind, process in processes.items():
            if process.subscription.error is not None:  # killed in its handler, while the shop's append went on
                restart(kind, process.subscription.error)

    def run(until=None):
        for kind in processes:
            while True:
                try:
                    if until is None:
                        processes[kind].run_until_idle()
                    else:
                        processes[kind].run_until(until)
                    break
                except Killed as death:
                    restart(kind, death)
                restart_the_dead()

    for hours, command in STORY:
        at = START + round(hours * HOUR)
        run(until=at)
        clock.now = max(clock.now, at)
        shop.handle(command, actor="customer")
        restart_the_dead()
    run()
    run()  # a process restarted by the other's run may have had work
    return shop, provider, processes, kills


def check_story(shop, provider, processes):
    log = shop.store.read_all()
    requested = [(r.event.order_id, r.event.refund_id) for r in log if isinstance(r.event, RefundCreated)]
    assert Counter((p.order_id, p.refund_id) for p in provider.payouts) == Counter(requested), "paid out once each"
    assert Counter((r.event.order_id, r.event.refund_id) for r in log if isinstance(r.event, RefundPaid)) \
        == Counter(requested), "confirmed once each"
    placed = {r.event.order_id: r.recorded_at for r in log if isinstance(r.event, OrderCreated)}
    cancelled = {r.event.order_id: r for r in log if isinstance(r.event, OrderCancelled)}
    for order_id, at in placed.items():
        state = shop.state(order_id)
        assert state.paid or state.cancelled, f"order {order_id} left unpaid past its deadline"
        by_deadline = cancelled.get(order_id)
        if by_deadline is not None and by_deadline.actor == DEADLINE_ACTOR:
            assert by_deadline.recorded_at == at + DAY, f"order {order_id} cancelled at the wrong time"
            assert not state.paid
    assert {o for o, r in cancelled.items() if r.actor == DEADLINE_ACTOR} == {"B", "F"}
    assert not processes["refunds"].pending and not processes["deadlines"].deadlines


def test_the_story_without_a_kill_pays_each_refund_once_and_cancels_the_unpaid_orders_at_their_deadline():
    fuse = Fuse()
    shop, provider, processes, kills = run_story(fuse)
    check_story(shop, provider, processes)
    assert kills == []
    assert provider.lookups and provider.asked["A-R1"] == 2 and provider.asked["A-R2"] == 1  # looked up, not re-sent
    assert fuse.count > 20, "the story has too few steps to kill the processes between"


EFFECTS = Fuse()
run_story(EFFECTS)


@pytest.mark.parametrize("after", [False, True], ids=["before", "after"])
@pytest.mark.parametrize("at", range(1, EFFECTS.count + 1))
def test_a_process_killed_between_any_two_of_its_steps_pays_once_and_misses_no_deadline(at, after):
    """Killed before (or right after) its ``at``-th effect: a journal write, a provider call, a command."""
    fuse = Fuse(at, after)
    shop, provider, processes, kills = run_story(fuse)
    assert fuse.blown and kills, "the process was never killed: the test proves nothing"
    check_story(shop, provider, processes)


def test_the_processes_restarted_on_a_new_connection_to_a_durable_journal_carry_on(tmp_path):
    """Each process keeps its stream in a SQLite event store; the run is killed midway, the file reopened."""
    clock = SimulatedClock(START)
    path = tmp_path / "processes.db"
    first = SQLiteEventStore(path, clock=lambda: clock.now, ids=SeededIds(1))
    fuse = Fuse(12, after=True)
    shop, provider, processes, kills = run_story(fuse, journals=(first, first))
    check_story(shop, provider, processes)
    streams = {r.stream_id for r in first.read_all()}
    assert streams == {RefundProcess.STREAM, UnpaidOrders.STREAM} and kills
    first.close()
    reopened = SQLiteEventStore(path, clock=lambda: clock.now, ids=SeededIds(3))
    again = UnpaidOrders(shop, clock, journal=reopened)
    assert again.deadlines == {} and again.checkpoint >= max(
        r.event.checkpoint for r in reopened.read_stream(UnpaidOrders.STREAM))
    reopened.close()


# --- the payment deadline ----------------------------------------------------

def new_shop():
    clock = SimulatedClock(START)
    ids = SeededIds(0)
    return Shop(InMemoryEventStore(clock=clock, ids=ids), ids=ids), clock


def test_an_unpaid_order_is_cancelled_at_its_deadline_and_not_a_second_earlier():
    shop, clock = new_shop()
    deadlines = UnpaidOrders(shop, clock)
    shop.handle(PlaceOrder("A", Decimal("10.00")))
    assert deadlines.deadlines == {"A": START + DAY}
    assert deadlines.run_until(START + DAY - 1) == []
    assert shop.state("A").status == "placed"
    (done,) = deadlines.run_until(START + DAY)
    assert (done.order_id, done.at, done.outcome) == ("A", START + DAY, CANCELLED)
    cancelled = shop.store.read_all()[-1]
    assert isinstance(cancelled.event, OrderCancelled) and cancelled.recorded_at == START + DAY
    assert cancelled.actor == DEADLINE_ACTOR and cancelled.causation_id == cancel_command_id("A")
    assert shop.store.command_record(cancel_command_id("A")).causation_id == shop.store.read_all()[0].event_id
    assert deadlines.deadlines == {} and deadlines.step() is None


def test_an_order_paid_a_second_before_its_deadline_is_kept():
    shop, clock = new_shop()
    deadlines = UnpaidOrders(shop, clock)
    shop.handle(PlaceOrder("A", Decimal("10.00")))
    clock.now = START + DAY - 1
    shop.handle(PayOrder("A", Decimal("10.00")))
    assert deadlines.deadlines == {} and deadlines.run_until_idle() == []
    assert shop.state("A").status == "paid"


def test_a_deadline_that_passed_while_no_process_ran_is_met_at_once_on_restart():
    shop, clock = new_shop()
    first = UnpaidOrders(shop, clock)
    first.subscription.close()
    shop.handle(PlaceOrder("A", Decimal("10.00")))  # while no process listens
    clock.advance(3 * DAY)
    restarted = UnpaidOrders(shop, clock, journal=first.journal)
    (done,) = restarted.run_until_idle()
    assert (done.order_id, done.at, done.outcome) == ("A", START + 3 * DAY, CANCELLED)


def test_a_deadline_process_that_stopped_listening_looks_before_it_cancels():
    shop, clock = new_shop()
    deadlines = UnpaidOrders(shop, clock)
    shop.handle(PlaceOrder("A", Decimal("10.00")))
    deadlines.subscription.close()
    shop.handle(PayOrder("A", Decimal("10.00")))  # unheard
    (done,) = deadlines.run_until_idle()
    assert done.outcome == SETTLED_BEFORE and shop.state("A").status == "paid"


def test_a_payment_between_the_look_and_the_cancellation_refuses_the_cancellation():
    shop, clock = new_shop()
    deadlines = UnpaidOrders(shop, clock)
    shop.handle(PlaceOrder("A", Decimal("10.00")))
    deadlines.subscription.close()
    load = shop.load

    def a_payment_lands_right_after_the_look(stream_id):
        looked = load(stream_id)
        shop.load = load
        shop.handle(PayOrder("A", Decimal("10.00")))
        return looked

    shop.load = a_payment_lands_right_after_the_look
    with pytest.raises(ConcurrencyError):
        deadlines.step()
    assert deadlines.step().outcome == SETTLED_BEFORE and shop.state("A").status == "paid"


def test_two_copies_of_a_process_on_one_journal_cannot_both_act():
    shop, clock = new_shop()
    live = UnpaidOrders(shop, clock)
    stale = UnpaidOrders(shop, clock, journal=live.journal)  # the old one, not quite dead
    shop.handle(PlaceOrder("A", Decimal("10.00")))
    assert isinstance(stale.subscription.error, ConcurrencyError)  # it wrote at a version already taken
    assert [r.event.order_id for r in live.journal.read_stream(UnpaidOrders.STREAM)] == ["A"]
    assert stale.deadlines == {} and live.deadlines == {"A": START + DAY}


@pytest.mark.parametrize("kwargs", [{"pay_within": 0}, {"pay_within": 1.5}, {"pay_within": True}])
def test_a_deadline_is_a_positive_number_of_seconds(kwargs):
    shop, clock = new_shop()
    with pytest.raises(ValueError, match="pay_within is a positive number of seconds"):
        UnpaidOrders(shop, clock, **kwargs)


def test_the_process_state_is_its_own_stream_caused_by_the_shops_events():
    shop, clock = new_shop()
    deadlines = UnpaidOrders(shop, clock)
    placed = shop.handle(PlaceOrder("A", Decimal("10.00")))[0]
    (recorded,) = deadlines.journal.read_stream(UnpaidOrders.STREAM)
    assert recorded.event == PaymentDeadlineSet("A", START + DAY, placed.position)
    assert (recorded.causation_id, recorded.correlation_id) == (placed.event_id, placed.correlation_id)


# --- reconciling a payout by reference ------------------------------------------

def test_a_lost_answer_is_looked_up_by_reference_at_its_deadline_never_asked_again_blindly():
    shop, clock = new_shop()
    provider = FakePaymentProvider(delay=HOUR, timeout_rate=0.5, seed=4, key_window=DAY, clock=lambda: clock.now)
    process = RefundProcess(shop, provider, clock, reconcile_after=6 * HOUR)
    shop.handle(PlaceOrder("A", Decimal("10.00")))
    shop.handle(PayOrder("A", Decimal("10.00")))
    shop.handle(RequestRefund("A", Decimal("10.00"), refund_id="R1"))
    first = process.step()
    assert first.outcome == UNANSWERED, "this seed loses the first answer: the test proves nothing"
    assert [p.asked for p in process.pending] == [True] and process.next_due == first.at + 6 * HOUR
    requested = process.journal.read_stream(RefundProcess.STREAM)[-1].event
    assert isinstance(requested, PayoutRequested) and requested.reconcile_at == first.at + 6 * HOUR
    clock.advance(2 * DAY)  # the process was down for two days: the provider has forgotten the key
    assert process.step().outcome == PAID
    assert len(provider.payouts) == 1 and len(provider.requests) == 1 and len(provider.lookups) == 1


def test_a_blind_retry_after_the_key_window_pays_twice():
    """Why the process looks up by reference: the idempotency key protects a retry only inside its window."""
    clock = SimulatedClock(START)
    provider = FakePaymentProvider(key_window=DAY, clock=lambda: clock.now)
    provider.pay_out("key", "A", "R1", Decimal("10.00"))
    clock.advance(DAY)
    provider.pay_out("key", "A", "R1", Decimal("10.00"))
    assert len(provider.payouts) == 1  # inside the window: the first payout again
    clock.advance(1)
    provider.pay_out("key", "A", "R1", Decimal("10.00"))
    assert len(provider.payouts) == 2
    assert provider.find_payout("key") is provider.payouts[0]


def test_a_lost_answer_of_a_payout_that_failed_is_asked_again_after_the_lookup():
    shop, clock = new_shop()

    class LosesAFailure(FakePaymentProvider):
        def pay_out(self, key, order_id, refund_id, amount):
            if not self.requests:
                self.requests.append((key, None))
                raise ProviderTimeout("failed, and the answer was lost too")
            return super().pay_out(key, order_id, refund_id, amount)

    provider = LosesAFailure(delay=HOUR)
    process = RefundProcess(shop, provider, clock)
    shop.handle(PlaceOrder("A", Decimal("10.00")))
    shop.handle(PayOrder("A", Decimal("10.00")))
    shop.handle(RequestRefund("A", Decimal("10.00"), refund_id="R1"))
    attempts = process.run_until_idle()
    assert [(a.attempt, a.outcome) for a in attempts] == [(1, UNANSWERED), (2, PAID)]
    assert provider.lookups == [(provider.requests[0][0], None)] and len(provider.payouts) == 1


@pytest.mark.parametrize("kwargs", [{"timeout_rate": 1.0}, {"key_window": 0, "clock": lambda: 0},
                                    {"key_window": 60}])
def test_the_provider_refuses_settings_that_make_no_sense(kwargs):
    with pytest.raises(ValueError, match=next(iter(kwargs))):
        FakePaymentProvider(**kwargs)
