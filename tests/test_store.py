"""The in-memory event store's contract: envelopes, optimistic concurrency, atomic
appends, real threads racing, subscriptions (failing ones too) and redelivery."""
import dataclasses
import logging
import sys
import threading
import time
from collections import Counter
from decimal import Decimal as D

import pytest

from eventsim.clock import SimulatedClock
from eventsim.ids import SeededIds
from eventsim.shop.events import OrderCancelled, OrderCreated, OrderPaid, OrderShipped
from eventsim.store import ANY, NO_STREAM, ConcurrencyError, InMemoryEventStore, RecordedEvent


def make_store(**options):
    return InMemoryEventStore(clock=SimulatedClock(start=1_000, step=10), ids=SeededIds(1), **options)


def order(n):
    """Three events for order ``n``."""
    return [OrderCreated(f"o{n}", D(n)), OrderPaid(f"o{n}"), OrderShipped(f"o{n}")]


@pytest.fixture
def racy_threads():
    """Switch threads as often as possible, so that races really happen."""
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(interval)


def yielding_clock():
    """A clock that lets another thread run; ``append`` reads it between checking the
    version and writing, exactly where a missing lock would let two writers in."""
    time.sleep(0)
    return 1_000


def assert_gapless(store):
    log = store.read_all()
    assert [r.position for r in log] == list(range(1, len(log) + 1))
    for stream_id in store.stream_ids():
        stream = store.read_stream(stream_id)
        assert [r.version for r in stream] == list(range(1, len(stream) + 1))
        assert stream == [r for r in log if r.stream_id == stream_id]


# --- recording ---------------------------------------------------------------

def test_append_returns_the_recorded_envelopes():
    store = make_store()
    recorded = store.append("order-o1", order(1), correlation_id="corr", causation_id="cmd")
    assert [r.event for r in recorded] == order(1)
    assert [(r.position, r.version) for r in recorded] == [(1, 1), (2, 2), (3, 3)]
    assert {r.stream_id for r in recorded} == {"order-o1"}
    assert [r.event_type for r in recorded] == ["OrderCreated", "OrderPaid", "OrderShipped"]
    assert {(r.correlation_id, r.causation_id) for r in recorded} == {("corr", "cmd")}
    assert store.read_all() == recorded


def test_recorded_time_comes_from_the_clock_once_per_append():
    store = make_store()
    first = store.append("a", order(1))
    second = store.append("b", order(2))
    assert {r.recorded_at for r in first} == {1_000}
    assert {r.recorded_at for r in second} == {1_010}


def test_event_ids_are_unique_and_come_from_the_ids_source():
    store = make_store()
    for n in range(20):
        store.append(f"order-o{n}", order(n))
    ids = [r.event_id for r in store.read_all()]
    assert len(set(ids)) == len(ids) == 60
    expected = SeededIds(1)
    assert ids == [expected() for _ in ids]


def test_an_empty_stream_is_at_version_zero():
    store = make_store()
    assert store.stream_version("nothing") == 0
    assert store.read_stream("nothing") == []
    assert store.read_all() == [] and store.last_position == 0 and len(store) == 0


def test_versions_count_per_stream_and_positions_globally():
    store = make_store()
    store.append("a", order(1)[:2])
    store.append("b", order(2))
    store.append("a", order(1)[2:])
    assert [(r.stream_id, r.version, r.position) for r in store.read_all()] == [
        ("a", 1, 1), ("a", 2, 2), ("b", 1, 3), ("b", 2, 4), ("b", 3, 5), ("a", 3, 6)]
    assert store.stream_version("a") == 3 and store.stream_version("b") == 3
    assert store.last_position == len(store) == 6
    assert store.stream_ids() == ["a", "b"]


def test_reading_from_a_version_or_a_position():
    store = make_store()
    store.append("a", order(1))
    store.append("b", order(2))
    assert [r.version for r in store.read_stream("a", from_version=2)] == [2, 3]
    assert store.read_stream("a", from_version=4) == []
    assert [r.position for r in store.read_all(from_position=5)] == [5, 6]
    assert store.read_all(from_position=7) == []


def test_recorded_events_cannot_be_changed():
    store = make_store()
    recorded = store.append("a", order(1))[0]
    with pytest.raises(dataclasses.FrozenInstanceError):
        recorded.version = 99
    with pytest.raises(dataclasses.FrozenInstanceError):
        recorded.event.amount = D(0)
    assert isinstance(recorded, RecordedEvent)


def test_what_reads_return_cannot_change_the_store():
    store = make_store()
    store.append("a", order(1))
    before = store.read_all()
    store.read_all().clear()
    store.read_stream("a").clear()
    store.stream_ids().clear()
    store.append("b", []).append("junk")
    assert store.read_all() == before and store.read_stream("a") == before
    assert store.stream_ids() == ["a"]


def test_no_api_edits_or_deletes_a_recorded_event():
    public = {name for name in dir(InMemoryEventStore) if not name.startswith("_")}
    assert public == {"append", "read_stream", "read_all", "stream_version", "last_position",
                      "stream_ids", "subscribe", "subscriptions", "command_record"}, \
        "a new public store method: make sure it cannot edit or delete a recorded event, then list it here"


def test_appending_nothing_records_nothing():
    store = make_store()
    assert store.append("a", []) == []
    assert store.stream_ids() == [] and store.last_position == 0


# --- expected versions ----------------------------------------------------------

def test_expected_version_any_always_appends():
    store = make_store()
    store.append("a", order(1)[:1], ANY)
    store.append("a", order(1)[1:], expected_version=ANY)
    assert store.stream_version("a") == 3


def test_no_stream_appends_only_to_a_new_stream():
    store = make_store()
    store.append("a", order(1)[:1], NO_STREAM)
    with pytest.raises(ConcurrencyError) as caught:
        store.append("a", order(1)[1:], NO_STREAM)
    assert (caught.value.stream_id, caught.value.expected, caught.value.actual) == ("a", NO_STREAM, 1)
    assert "'a'" in str(caught.value) and "no stream" in str(caught.value) and "version 1" in str(caught.value)


def test_exact_expected_version():
    store = make_store()
    store.append("a", order(1)[:1], 0)
    store.append("a", order(1)[1:], 1)
    assert store.stream_version("a") == 3


@pytest.mark.parametrize("expected", [0, 1, 3, NO_STREAM])
def test_a_wrong_expected_version_raises_and_records_nothing(expected):
    store = make_store()
    store.append("order-o1", order(1)[:2])
    before = store.read_all()
    with pytest.raises(ConcurrencyError) as caught:
        store.append("order-o1", [OrderCancelled("o1")], expected)
    error = caught.value
    assert (error.stream_id, error.expected, error.actual) == ("order-o1", expected, 2)
    message = str(error)
    assert "order-o1" in message and "version 2" in message
    assert (f"version {expected}" if isinstance(expected, int) else "no stream") in message
    assert store.read_all() == before and store.stream_version("order-o1") == 2


# --- atomicity ------------------------------------------------------------------

def test_append_is_all_or_nothing_when_the_events_fail_half_way():
    store = make_store()

    def events():
        yield OrderCreated("o1", D(1))
        raise RuntimeError("the producer broke")

    with pytest.raises(RuntimeError):
        store.append("a", events())
    assert store.read_all() == [] and store.stream_ids() == []


def test_append_is_all_or_nothing_when_an_id_cannot_be_made():
    ids = iter(["id-1", "id-2"])
    store = InMemoryEventStore(clock=SimulatedClock(), ids=lambda: next(ids))
    store.append("a", order(1)[:1])
    with pytest.raises(StopIteration):
        store.append("a", order(1)[1:] + order(2))  # needs 4 ids, only one is left
    assert [r.event_id for r in store.read_all()] == ["id-1"]
    assert store.stream_version("a") == 1 and store.last_position == 1


# --- threads ---------------------------------------------------------------------

def test_racing_writers_with_the_same_expected_version_exactly_one_wins(racy_threads):
    store = InMemoryEventStore(clock=yielding_clock)
    store.append("order-o1", order(1)[:1])
    n = 8
    barrier = threading.Barrier(n)
    outcomes = [None] * n

    def writer(i):
        barrier.wait()
        try:
            store.append("order-o1", [OrderCancelled("o1", f"writer {i}")], expected_version=1)
            outcomes[i] = "won"
        except ConcurrencyError as error:
            outcomes[i] = error

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    winners = [i for i, o in enumerate(outcomes) if o == "won"]
    losers = [o for o in outcomes if isinstance(o, ConcurrencyError)]
    assert len(winners) == 1 and len(losers) == n - 1
    assert {(e.expected, e.actual) for e in losers} == {(1, 2)}
    assert store.read_stream("order-o1")[-1].event == OrderCancelled("o1", f"writer {winners[0]}")
    assert store.stream_version("order-o1") == 2


def test_many_threads_appending_lose_and_duplicate_nothing(racy_threads):
    store = InMemoryEventStore(clock=yielding_clock)
    n_threads, rounds = 6, 50
    barrier = threading.Barrier(n_threads)

    def writer(t):
        barrier.wait()
        for r in range(rounds):
            # Half the threads share one stream, so their appends interleave within it.
            stream = "shared" if t % 2 else f"own-{t}"
            store.append(stream, [OrderCreated(f"t{t}-r{r}", D(1)), OrderPaid(f"t{t}-r{r}")])

    threads = [threading.Thread(target=writer, args=(t,)) for t in range(n_threads)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    log = store.read_all()
    assert len(log) == n_threads * rounds * 2
    assert_gapless(store)
    ids = Counter((type(r.event).__name__, r.event.order_id) for r in log)
    assert set(ids.values()) == {1}
    # The two events of one append stay next to each other: appends are atomic.
    for first, second in zip(log[::2], log[1::2]):
        assert (first.event.order_id, first.version + 1) == (second.event.order_id, second.version)


def test_a_subscriber_sees_every_event_once_in_order_while_threads_append(racy_threads):
    store = InMemoryEventStore(clock=yielding_clock)
    seen = []
    store.subscribe(seen.append)
    barrier = threading.Barrier(4)

    def writer(t):
        barrier.wait()
        for r in range(40):
            store.append(f"s{t % 2}", [OrderCreated(f"{t}-{r}", D(1))])

    threads = [threading.Thread(target=writer, args=(t,)) for t in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [r.position for r in seen] == list(range(1, 161))
    assert seen == store.read_all()


# --- subscriptions ------------------------------------------------------------------

def test_subscribe_catches_up_then_receives_new_events_in_order():
    store = make_store()
    store.append("a", order(1))
    seen = []
    subscription = store.subscribe(seen.append)
    assert [r.position for r in seen] == [1, 2, 3] and subscription.position == 3
    store.append("b", order(2))
    assert seen == store.read_all()
    assert subscription.position == 6 and store.subscriptions == [subscription]


def test_subscribe_from_a_position():
    store = make_store()
    store.append("a", order(1))
    seen = []
    store.subscribe(seen.append, from_position=3)
    store.append("a", order(1)[:1])
    assert [r.position for r in seen] == [3, 4]


def test_a_handler_that_appends_sees_its_own_events_afterwards_in_order():
    store = make_store()
    seen = []

    def ship_when_paid(recorded):
        seen.append(recorded.position)
        if isinstance(recorded.event, OrderPaid):
            store.append(recorded.stream_id, [OrderShipped(recorded.event.order_id)])

    other = []
    store.subscribe(ship_when_paid)
    store.subscribe(other.append)
    store.append("a", order(1)[:2])
    assert seen == [1, 2, 3]
    assert [r.position for r in other] == [1, 2, 3]
    assert store.read_stream("a")[-1].event == OrderShipped("o1")


def test_a_closed_subscription_receives_nothing_more():
    store = make_store()
    seen = []
    subscription = store.subscribe(seen.append)
    store.append("a", order(1)[:1])
    subscription.close()
    store.append("a", order(1)[1:])
    assert len(seen) == 1 and not subscription.active


def test_a_failing_subscriber_stops_alone_is_reported_and_resumes(caplog):
    store = make_store()
    good, flaky_seen = [], []
    broken = {"o2"}

    def flaky(recorded):
        if recorded.event.order_id in broken:
            raise ValueError(f"cannot handle {recorded.event.order_id}")
        flaky_seen.append(recorded.position)

    store.subscribe(good.append, name="good")
    subscription = store.subscribe(flaky, name="flaky")
    store.append("a", order(1))
    with caplog.at_level(logging.ERROR, logger="eventsim.store"):
        recorded = store.append("b", order(2))  # the append itself succeeds
        store.append("c", order(3))
    assert [r.position for r in recorded] == [4, 5, 6]
    assert_gapless(store)
    assert len(store) == 9
    assert good == store.read_all()                          # the other subscriber goes on
    assert flaky_seen == [1, 2, 3]                           # stopped at the failing event
    assert subscription.position == 3
    assert isinstance(subscription.error, ValueError) and "o2" in str(subscription.error)
    assert "failed" in repr(subscription)
    [report] = [r for r in caplog.records if r.name == "eventsim.store"]  # reported once, not per append
    assert report.levelno == logging.ERROR
    assert "flaky" in report.getMessage() and "event 4" in report.getMessage()

    broken.clear()
    subscription.resume()
    assert subscription.error is None
    assert flaky_seen == list(range(1, 10))                  # retried event 4, then caught up
    store.append("d", order(4)[:1])
    assert flaky_seen[-1] == 10


def test_resume_retries_the_same_event_until_it_succeeds():
    store = make_store()
    attempts = []

    def fails_twice(recorded):
        attempts.append(recorded.position)
        if len(attempts) <= 2:
            raise RuntimeError("not yet")

    subscription = store.subscribe(fails_twice)
    store.append("a", order(1)[:2])
    assert attempts == [1] and subscription.error
    subscription.resume()
    assert attempts == [1, 1] and subscription.error
    subscription.resume()
    assert attempts == [1, 1, 1, 2] and subscription.error is None


# --- at-least-once delivery ------------------------------------------------------------

def deliveries(store, appends=40):
    seen = []
    store.subscribe(lambda r: seen.append(r.position))
    for n in range(appends):
        store.append(f"order-o{n}", order(n)[:1])
    return seen


def test_delivery_is_exactly_once_by_default():
    assert deliveries(make_store()) == list(range(1, 41))


def test_redelivery_repeats_some_events_deterministically_per_seed():
    seen = deliveries(make_store(redeliver=0.5, seed=7))
    counts = Counter(seen)
    assert sorted(counts) == list(range(1, 41))               # nothing lost
    assert set(counts.values()) == {1, 2}                    # some twice, none more
    assert seen == sorted(seen)                              # a repeat comes straight after the first
    assert deliveries(make_store(redeliver=0.5, seed=7)) == seen
    assert deliveries(make_store(redeliver=0.5, seed=8)) != seen


def test_redeliver_one_delivers_everything_twice():
    assert deliveries(make_store(redeliver=1.0), appends=5) == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]


@pytest.mark.parametrize("p", [-0.1, 1.5])
def test_redeliver_is_a_probability(p):
    with pytest.raises(ValueError, match="probability"):
        InMemoryEventStore(redeliver=p)


def test_a_subscriber_following_the_log_costs_one_read_per_append(monkeypatch):
    """A short page is the end of the log: no second read to find it empty (a query, on a database)."""
    store = InMemoryEventStore()
    heard = []
    store.subscribe(heard.append)
    reads = []
    read_all = store.read_all
    monkeypatch.setattr(store, "read_all", lambda *args, **kwargs: reads.append(args) or read_all(*args, **kwargs))
    for n in range(3):
        store.append(f"order-{n}", [OrderCreated(f"o{n}", D(n + 1))])
    assert [r.stream_id for r in heard] == ["order-0", "order-1", "order-2"]
    assert len(reads) == 3
