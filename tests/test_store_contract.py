"""One contract, three stores, two domains: the same tests run on the in-memory, SQLite and PostgreSQL
stores, with the shop's events and with a bank account's (``test_any_domain``), which eventsim does not know.

Each test gets ``make_store``, which opens a store on a fresh database (a new
in-memory store, a new SQLite file, a new PostgreSQL schema); calling it again
opens a second store object on the same database (for the in-memory store: a
new, empty one).  The PostgreSQL run needs the test server from conftest.py.
"""
import dataclasses
import logging
import threading
import time
from collections.abc import Callable
from decimal import Decimal as D

import pytest

from eventsim.clock import SimulatedClock
from eventsim.ids import SeededIds
from eventsim.shop import CommandIdReused, Shop
from eventsim.shop.commands import PlaceOrder
from eventsim.shop.events import (
    OrderCancelled,
    OrderCreated,
    OrderPaid,
    OrderShipped,
    RefundCreated,
)
from eventsim.store import (
    ANY,
    NO_STREAM,
    CommandRecord,
    ConcurrencyError,
    InMemoryEventStore,
    RecordedEvent,
)
from eventsim.stores import open_store
from test_any_domain import AccountClosed, AccountOpened, MoneyDeposited, MoneyWithdrawn


@pytest.fixture
def store_url(any_store_url):
    return any_store_url


@pytest.fixture
def make_store(store_url):
    opened = []

    def make(clock=None, ids=None):
        store = open_store(store_url, clock=clock or SimulatedClock(start=1_000, step=10), ids=ids or SeededIds(1))
        opened.append(store)
        return store

    yield make
    for store in opened:
        if not isinstance(store, InMemoryEventStore):
            store.close()


@dataclasses.dataclass(frozen=True)
class Kit:
    """What the contract needs of a domain: three events about entity ``n``, and one more carrying a text."""

    name: str
    events: Callable[[int], list]
    more: Callable[[int, str], object]
    entity: Callable[[object], str]  # which entity an event is about: "o1", "a1"
    amount: Callable[[int, D], object]  # an event holding an amount


SHOP = Kit(
    "shop",
    lambda n: [OrderCreated(f"o{n}", D(n)), OrderPaid(f"o{n}"), OrderShipped(f"o{n}")],
    lambda n, text: OrderCancelled(f"o{n}", text),
    lambda event: event.order_id,
    lambda n, amount: RefundCreated(f"o{n}", amount),
)
BANK = Kit(
    "bank",
    lambda n: [AccountOpened(f"o{n}", "ann"), MoneyDeposited(f"o{n}", D(n)), MoneyWithdrawn(f"o{n}", D(n), atm=True)],
    lambda n, text: AccountClosed(f"o{n}", text),
    lambda event: event.account_id,
    lambda n, amount: MoneyDeposited(f"o{n}", amount),
)


@pytest.fixture(params=[SHOP, BANK], ids=lambda kit: kit.name)
def kit(request):
    return request.param


def order(n):
    """Three events for order ``n`` (the tests only the shop's events can tell)."""
    return SHOP.events(n)


def assert_gapless_streams(store):
    log = store.read_all()
    positions = [r.position for r in log]
    assert positions == sorted(set(positions))
    for stream_id in store.stream_ids():
        stream = store.read_stream(stream_id)
        assert [r.version for r in stream] == list(range(1, len(stream) + 1))
        assert stream == [r for r in log if r.stream_id == stream_id]


# --- recording ---------------------------------------------------------------------

def test_append_returns_the_recorded_envelopes_and_reads_give_them_back(make_store, kit):
    store = make_store()
    recorded = store.append("order-o1", kit.events(1), correlation_id="corr", causation_id="cmd", actor="clerk:ann")
    assert [r.event for r in recorded] == kit.events(1)
    assert [(r.position, r.version) for r in recorded] == [(1, 1), (2, 2), (3, 3)]
    assert {r.stream_id for r in recorded} == {"order-o1"}
    assert [r.event_type for r in recorded] == [type(event).__name__ for event in kit.events(1)]
    assert {(r.correlation_id, r.causation_id, r.actor) for r in recorded} == {("corr", "cmd", "clerk:ann")}
    assert all(isinstance(r, RecordedEvent) for r in recorded)
    assert store.read_all() == recorded and store.read_stream("order-o1") == recorded


def test_recorded_time_comes_from_the_clock_once_per_append_and_never_goes_back(make_store, kit):
    clock = SimulatedClock(start=1_000)
    store = make_store(clock=clock)
    first = store.append("a", kit.events(1))
    clock.advance(10)
    second = store.append("b", kit.events(2))
    clock.advance(-500)  # the clock jumps back: recorded times are clamped, never earlier
    third = store.append("c", kit.events(3))
    assert [{r.recorded_at for r in batch} for batch in (first, second, third)] == [{1_000}, {1_010}, {1_010}]


def test_event_ids_come_from_the_ids_source(make_store, kit):
    store = make_store(ids=SeededIds(7))
    for n in range(5):
        store.append(f"order-o{n}", kit.events(n))
    expected = SeededIds(7)
    assert [r.event_id for r in store.read_all()] == [expected() for _ in range(15)]


def test_an_empty_store(make_store):
    store = make_store()
    assert store.stream_version("nothing") == 0 and store.read_stream("nothing") == []
    assert store.read_all() == [] and store.last_position == 0 and len(store) == 0
    assert store.stream_ids() == [] and store.command_record("c1") is None


def test_versions_count_per_stream_and_positions_globally(make_store, kit):
    store = make_store()
    store.append("a", kit.events(1)[:2])
    store.append("b", kit.events(2))
    store.append("a", kit.events(1)[2:])
    assert [(r.stream_id, r.version, r.position) for r in store.read_all()] == [
        ("a", 1, 1), ("a", 2, 2), ("b", 1, 3), ("b", 2, 4), ("b", 3, 5), ("a", 3, 6)]
    assert store.stream_version("a") == 3 and store.stream_version("b") == 3
    assert store.last_position == len(store) == 6
    assert store.stream_ids() == ["a", "b"]


def test_reading_from_a_version_or_a_position_with_a_limit(make_store, kit):
    store = make_store()
    store.append("a", kit.events(1))
    store.append("b", kit.events(2))
    assert [r.version for r in store.read_stream("a", from_version=2)] == [2, 3]
    assert store.read_stream("a", from_version=4) == []
    assert [r.position for r in store.read_all(from_position=5)] == [5, 6]
    assert [r.position for r in store.read_all(from_position=2, limit=3)] == [2, 3, 4]
    assert store.read_all(from_position=7) == []
    assert store.read_all(limit=0) == [] and store.read_all(limit=-1) == []


def test_amounts_come_back_as_the_exact_decimals_that_went_in(make_store):
    amounts = [D("0.10"), D("999999999999.99"), D(100), D("100.00"), D("0.01")]
    store = make_store()
    store.append("order-o1", [OrderCreated("o1", amounts[0], customer_id="c1")]
                 + [RefundCreated("o1", amount, refund_id=f"r{i}", reason="ünïcode ✓")
                    for i, amount in enumerate(amounts[1:])])
    reader = make_store() if not isinstance(store, InMemoryEventStore) else store  # a second connection
    events = [r.event for r in reader.read_stream("order-o1")]
    assert [e.amount for e in events] == amounts
    assert [str(e.amount) for e in events] == ["0.10", "999999999999.99", "100", "100.00", "0.01"]
    assert events[0].customer_id == "c1" and events[1].reason == "ünïcode ✓"


def test_every_event_a_store_accepts_it_reads_back_equal(make_store, kit):
    """An event holds any finite Decimal (the money rules are a domain's, in ``decide``): a store that
    recorded one must give it back, or its log could never be read again."""
    events = [kit.amount(1, amount) for amount in (D("10.001"), D("-5"), D("1E+5000"), D("1E-5000"), D("0"),
                                                  D("0.10"), D("999999999999.99"), D(100), D("100.00"))]
    events.append(kit.more(1, 'quote " backslash \\ emoji ✓ end'))
    store = make_store()
    store.append("order-o1", events)
    reader = make_store() if not isinstance(store, InMemoryEventStore) else store  # a second connection
    assert [r.event for r in reader.read_all()] == events
    assert [r.event for r in reader.read_stream("order-o1")] == events
    # equal is not enough for money: 100 and 100.00 are equal Decimals, yet the digits recorded come back
    assert [str(r.event.amount) for r in reader.read_all()[5:9]] == ["0.10", "999999999999.99", "100", "100.00"]


def test_recorded_events_cannot_be_changed(make_store, kit):
    store = make_store()
    recorded = store.append("a", kit.events(1))[0]
    with pytest.raises(dataclasses.FrozenInstanceError):
        recorded.version = 99
    with pytest.raises(dataclasses.FrozenInstanceError):
        recorded.event.amount = D(0)


def test_appending_nothing_records_nothing(make_store):
    store = make_store()
    assert store.append("a", []) == []
    assert store.stream_ids() == [] and store.last_position == 0


# --- expected versions ------------------------------------------------------------------

def test_expected_versions_any_no_stream_and_exact(make_store, kit):
    store = make_store()
    store.append("a", kit.events(1)[:1], NO_STREAM)
    store.append("a", kit.events(1)[1:2], 1)
    store.append("a", kit.events(1)[2:], ANY)
    assert store.stream_version("a") == 3


@pytest.mark.parametrize("expected", [0, 1, 3, NO_STREAM, 2**31, 2**63], ids=repr)
def test_a_wrong_expected_version_raises_and_records_nothing(make_store, expected, kit):
    store = make_store()
    store.append("order-o1", kit.events(1)[:2])
    before = store.read_all()
    with pytest.raises(ConcurrencyError) as caught:
        store.append("order-o1", [kit.more(1, "late")], expected)
    assert (caught.value.stream_id, caught.value.expected, caught.value.actual) == ("order-o1", expected, 2)
    assert store.read_all() == before and store.stream_version("order-o1") == 2


@pytest.mark.parametrize("expected", [True, "1", None, 1.0])
def test_an_expected_version_of_the_wrong_type_is_a_type_error(make_store, expected, kit):
    store = make_store()
    with pytest.raises(TypeError):
        store.append("a", kit.events(1), expected)
    assert len(store) == 0


# --- atomicity ---------------------------------------------------------------------------

def test_a_batch_with_something_that_is_not_an_event_records_nothing(make_store, kit):
    store = make_store()
    with pytest.raises(TypeError):
        store.append("a", [kit.events(1)[0], {"eventType": "OrderPaid", "orderId": "o1"}])
    assert store.read_all() == [] and store.stream_ids() == []


def test_append_is_all_or_nothing_when_the_events_fail_half_way(make_store, kit):
    store = make_store()

    def events():
        yield kit.events(1)[0]
        raise RuntimeError("the producer broke")

    with pytest.raises(RuntimeError):
        store.append("a", events())
    assert store.read_all() == [] and store.stream_ids() == []


def test_append_is_all_or_nothing_when_an_id_cannot_be_made(make_store, kit):
    ids = iter(["id-1", "id-2"])
    store = make_store(ids=lambda: next(ids))
    store.append("a", kit.events(1)[:1])
    with pytest.raises(StopIteration):
        store.append("a", kit.events(1)[1:] + kit.events(2))  # needs 4 ids, only one is left
    assert [r.event_id for r in store.read_all()] == ["id-1"]
    assert store.stream_version("a") == 1 and store.last_position == 1


# --- command records (idempotency) ---------------------------------------------------------

def test_a_command_record_is_stored_with_its_events(make_store, kit):
    store = make_store()
    record = CommandRecord("cmd-1", "PlaceOrder(o1, 1)", "order-o1", 1, 3, causation_id="evt-0")
    store.append("order-o1", kit.events(1), NO_STREAM, causation_id="cmd-1", command=record)
    assert store.command_record("cmd-1") == record
    assert store.command_record("cmd-2") is None


def test_a_command_id_seen_before_is_a_concurrency_error_and_records_nothing(make_store, kit):
    store = make_store()
    store.append("order-o1", kit.events(1)[:1], command=CommandRecord("cmd-1", "f", "order-o1", 1, 1))
    before = store.read_all()
    with pytest.raises(ConcurrencyError):
        store.append("order-o1", kit.events(1)[1:], 1, command=CommandRecord("cmd-1", "g", "order-o1", 2, 3))
    assert store.read_all() == before
    assert store.command_record("cmd-1") == CommandRecord("cmd-1", "f", "order-o1", 1, 1)


def test_a_failed_version_check_records_no_command(make_store, kit):
    store = make_store()
    store.append("order-o1", kit.events(1)[:1])
    with pytest.raises(ConcurrencyError):
        store.append("order-o1", kit.events(1)[1:], 0, command=CommandRecord("cmd-1", "f", "order-o1", 1, 2))
    assert store.command_record("cmd-1") is None


# --- threads ----------------------------------------------------------------------------------

def test_racing_threads_with_the_same_expected_version_exactly_one_wins(make_store, kit):
    store = make_store(clock=lambda: 1_000)
    store.append("order-o1", kit.events(1)[:1])
    n = 6
    barrier = threading.Barrier(n)
    outcomes = [None] * n

    def writer(i):
        barrier.wait()
        try:
            store.append("order-o1", [kit.more(1, f"writer {i}")], expected_version=1)
            outcomes[i] = "won"
        except ConcurrencyError as error:
            outcomes[i] = error

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    winners = [i for i, o in enumerate(outcomes) if o == "won"]
    assert len(winners) == 1
    assert {(o.expected, o.actual) for o in outcomes if o != "won"} == {(1, 2)}
    assert store.read_stream("order-o1")[-1].event == kit.more(1, f"writer {winners[0]}")
    assert_gapless_streams(store)


# --- subscriptions ------------------------------------------------------------------------------

def test_subscribe_catches_up_then_receives_new_events_in_order(make_store, kit):
    store = make_store()
    store.append("a", kit.events(1))
    seen = []
    subscription = store.subscribe(seen.append)
    assert [r.position for r in seen] == [1, 2, 3] and subscription.position == 3
    store.append("b", kit.events(2))
    assert seen == store.read_all() and subscription.position == 6
    assert store.subscriptions == [subscription]


def test_subscribe_from_a_position(make_store, kit):
    store = make_store()
    store.append("a", kit.events(1))
    seen = []
    store.subscribe(seen.append, from_position=3)
    store.append("a", kit.events(1)[:1])
    assert [r.position for r in seen] == [3, 4]


def test_a_handler_that_appends_sees_its_own_events_afterwards_in_order(make_store, kit):
    store = make_store()
    seen, other = [], []

    def react_to_the_second(recorded):
        seen.append(recorded.position)
        if recorded.version == 2:  # a reaction to the second event: one more event in the same stream
            store.append(recorded.stream_id, [kit.more(1, "reacted")])

    store.subscribe(react_to_the_second)
    store.subscribe(other.append)
    store.append("a", kit.events(1)[:2])
    assert seen == [1, 2, 3] and [r.position for r in other] == [1, 2, 3]
    assert store.read_stream("a")[-1].event == kit.more(1, "reacted")


def test_a_failing_subscriber_stops_alone_and_resumes(make_store, caplog, kit):
    store = make_store()
    good, flaky_seen = [], []
    broken = {"o2"}

    def flaky(recorded):
        if kit.entity(recorded.event) in broken:
            raise ValueError(f"cannot handle {kit.entity(recorded.event)}")
        flaky_seen.append(recorded.position)

    store.subscribe(good.append, name="good")
    subscription = store.subscribe(flaky, name="flaky")
    store.append("a", kit.events(1))
    with caplog.at_level(logging.ERROR):
        recorded = store.append("b", kit.events(2))  # the append itself succeeds
        store.append("c", kit.events(3))
    assert [r.position for r in recorded] == [4, 5, 6]
    assert good == store.read_all() and flaky_seen == [1, 2, 3]
    assert isinstance(subscription.error, ValueError) and subscription.position == 3
    assert len([r for r in caplog.records if "flaky" in r.getMessage()]) == 1  # reported once
    broken.clear()
    subscription.resume()
    assert subscription.error is None and flaky_seen == list(range(1, 10))


def test_a_closed_subscription_receives_nothing_more(make_store, kit):
    store = make_store()
    seen = []
    subscription = store.subscribe(seen.append)
    store.append("a", kit.events(1)[:1])
    subscription.close()
    store.append("a", kit.events(1)[1:])
    assert len(seen) == 1 and not subscription.active


def test_a_subscription_its_handler_closes_receives_nothing_more_of_the_page(make_store, kit):
    store = make_store()
    seen = []

    def once(recorded):
        seen.append(recorded.position)
        subscription.close()

    subscription = store.subscribe(once, name="once")
    store.append("a", kit.events(1))  # three events, delivered as one page
    store.append("b", kit.events(2)[:1])
    assert seen == [1] and not subscription.active


def test_a_slow_subscriber_does_not_delay_writers_on_other_threads(make_store, kit):
    store = make_store()
    entered, release = threading.Event(), threading.Event()

    def slow(recorded):
        entered.set()
        release.wait(5)

    store.subscribe(slow)
    first = threading.Thread(target=store.append, args=("order-A", kit.events(1)[:1]))
    first.start()
    assert entered.wait(5)
    started = time.perf_counter()
    store.append("order-B", kit.events(2)[:1])  # another stream, while the subscriber works
    assert time.perf_counter() - started < 0.5
    release.set()
    first.join(5)
    assert store.subscriptions[0].position == 2  # the busy thread delivered the second event too


def test_an_interrupt_in_a_subscriber_does_not_make_a_committed_append_look_failed(make_store, kit):
    store = make_store()

    def interrupted(recorded):
        raise KeyboardInterrupt

    subscription = store.subscribe(interrupted)
    recorded = store.append("order-A", kit.events(1)[:1])
    assert [r.position for r in recorded] == [1] and len(store) == 1
    assert isinstance(subscription.error, KeyboardInterrupt) and subscription.position == 0


# --- command records, continued ---------------------------------------------------------------

def test_a_command_record_that_does_not_match_the_append_is_refused(make_store, kit):
    store = make_store()
    with pytest.raises(ValueError, match="versions 1-2, but the append records 'order-o1' versions 1-3"):
        store.append("order-o1", kit.events(1), command=CommandRecord("c", "f", "order-o1", 1, 2))
    assert len(store) == 0 and store.command_record("c") is None


def test_appending_no_events_records_no_command(make_store):
    store = make_store()
    assert store.append("order-o1", [], command=CommandRecord("c", "f", "order-o1", 1, 0)) == []
    assert store.command_record("c") is None


def test_a_retried_command_is_answered_from_the_store_by_another_shop(make_store):
    first_store = make_store()
    other_store = first_store if isinstance(first_store, InMemoryEventStore) else make_store()  # another connection
    first = Shop(first_store).handle(PlaceOrder("A", D("5.00"), "c1", command_id="place-A"), actor="customer")
    assert Shop(other_store).handle(PlaceOrder("A", D(5), "c1", command_id="place-A")) == first
    with pytest.raises(CommandIdReused):
        Shop(other_store).handle(PlaceOrder("A", D(6), "c1", command_id="place-A"))
    assert len(other_store) == 1 and first[0].actor == "customer"


# --- the edges: the same answer from every store, never a driver's own exception ----------------------

HUGE = [2**63 - 1, 2**63, 2**70, -(2**70)]


@pytest.mark.parametrize("number", HUGE, ids=repr)
def test_huge_positions_versions_and_limits_read_as_nothing_or_everything(make_store, number, kit):
    store = make_store()
    store.append("a", kit.events(1))
    everything = store.read_all()
    assert store.read_all(number) == (everything if number < 1 else [])
    assert store.read_stream("a", number) == (everything if number < 1 else [])
    assert store.read_all(1, limit=number) == (everything if number > 0 else [])


@pytest.mark.parametrize("not_an_id", [5, 2**70, None, b"a"], ids=repr)
def test_an_id_that_is_not_a_string_is_a_type_error_on_every_read(make_store, not_an_id, kit):
    store = make_store()
    store.append("a", kit.events(1))
    for read in (store.stream_version, store.read_stream, store.command_record):
        with pytest.raises(TypeError, match="must be a str"):
            read(not_an_id)


@pytest.mark.parametrize("text", ["a\x00b", "a\ud800b"], ids=["NUL", "lone surrogate"])
def test_text_no_store_can_keep_is_refused_on_append_and_found_nowhere_on_reads(make_store, text, kit):
    store = make_store()
    for envelope in ({"correlation_id": text}, {"causation_id": text}, {"actor": text}):
        with pytest.raises(ValueError, match="control character"):
            store.append("a", kit.events(1), **envelope)
    with pytest.raises(ValueError, match="control character"):
        store.append(text, kit.events(1))
    with pytest.raises(ValueError, match="control character"):
        store.append("a", kit.events(1)[:1], command=CommandRecord(text, "f", "a", 1, 1))
    assert len(store) == 0
    assert store.read_stream(text) == [] and store.stream_version(text) == 0 and store.command_record(text) is None


@pytest.mark.parametrize("field", ["correlation_id", "causation_id", "actor"])
@pytest.mark.parametrize("value", ["x" * 65, "clerk\n", " ann", ""], ids=["65 characters", "newline", "space", "empty"])
def test_an_envelope_field_a_json_line_could_not_hold_is_refused_on_append(make_store, field, value, kit):
    """The write path checks what the read path (eventsim.jsonl) checks: whatever a store records, its export
    can be read back."""
    store = make_store()
    with pytest.raises(ValueError):
        store.append("a", kit.events(1), **{field: value})
    assert len(store) == 0


# --- several streams in one append: all or nothing ------------------------------------------------------------

def test_append_streams_records_every_write_at_once_in_the_order_given(make_store):
    store = make_store()
    store.append("order-o1", [OrderCreated("o1", D(1))])
    recorded = store.append_streams([
        ("order-o2", [OrderCreated("o2", D(2)), OrderPaid("o2")], NO_STREAM),
        ("order-o1", [OrderPaid("o1")], 1),
    ], actor="clerk-1")
    assert [(r.position, r.stream_id, r.version) for r in recorded] == [
        (2, "order-o2", 1), (3, "order-o2", 2), (4, "order-o1", 2)]
    assert {r.actor for r in recorded} == {"clerk-1"} and sorted(r.recorded_at for r in recorded) == [r.recorded_at for r in recorded]
    assert store.read_all() [1:] == recorded and store.read_stream("order-o1")[-1] == recorded[-1]


@pytest.mark.parametrize("stale", [0, 1])
def test_append_streams_with_one_stream_not_at_its_expected_version_records_nothing(make_store, stale):
    store = make_store()
    store.append("order-o1", [OrderCreated("o1", D(1))])
    writes = [("order-o1", [OrderPaid("o1")], 1), ("order-o2", [OrderCreated("o2", D(2))], NO_STREAM)]
    writes[stale] = (writes[stale][0], writes[stale][1], 5)
    with pytest.raises(ConcurrencyError) as refused:
        store.append_streams(writes)
    assert refused.value.stream_id == writes[stale][0]
    assert len(store) == 1 and store.stream_version("order-o2") == 0 and store.stream_version("order-o1") == 1


def test_append_streams_refuses_a_stream_written_twice_or_a_write_that_is_not_one(make_store):
    store = make_store()
    with pytest.raises(ValueError, match="'order-o1' is written twice"):
        store.append_streams([("order-o1", [OrderCreated("o1", D(1))], ANY), ("order-o1", [OrderPaid("o1")], ANY)])
    with pytest.raises(TypeError, match=r"a write is \(stream_id, events, expected_version\)"):
        store.append_streams([("order-o1", [OrderCreated("o1", D(1))])])
    with pytest.raises(TypeError):
        store.append_streams([("order-o1", [OrderCreated("o1", D(1))], ANY), ("order-o2", ["not an event"], ANY)])
    assert len(store) == 0 and store.append_streams([]) == []


def test_append_streams_racing_on_a_shared_stream_exactly_one_wins(make_store):
    """Two clerks place an order each and count it on the customer's stream, read at the same version."""
    store = make_store()
    store.append("customer-c1", [OrderCreated("o0", D(1), "c1")])
    results, start = [], threading.Barrier(2)

    def clerk(n):
        start.wait()
        try:
            store.append_streams([("customer-c1", [OrderCreated(f"o{n}", D(1), "c1")], 1),
                                  (f"order-o{n}", [OrderCreated(f"o{n}", D(1), "c1")], NO_STREAM)])
            results.append("won")
        except ConcurrencyError:
            results.append("refused")

    threads = [threading.Thread(target=clerk, args=(n,)) for n in (1, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == ["refused", "won"]
    assert store.stream_version("customer-c1") == 2 and len(store) == 3
    assert store.stream_version("order-o1") + store.stream_version("order-o2") == 1


def test_append_streams_is_delivered_to_subscribers_in_order(make_store):
    store = make_store()
    seen = []
    store.subscribe(lambda r: seen.append((r.position, r.stream_id)))
    store.append_streams([("order-o1", [OrderCreated("o1", D(1))], NO_STREAM), ("order-o2", [OrderPaid("o2")], ANY)])
    assert seen == [(1, "order-o1"), (2, "order-o2")]
