"""Snapshots: a state saved at a version gives exactly the full fold; an old shape is ignored, not mis-read."""
import dataclasses
import itertools
from decimal import Decimal as D

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from eventsim.clock import SimulatedClock
from eventsim.ids import SeededIds
from eventsim.shop import Shop
from eventsim.shop.commands import (
    CancelOrder,
    ConfirmRefund,
    PayOrder,
    PlaceOrder,
    RequestRefund,
    ShipOrder,
)
from eventsim.shop.order import ORDERS, STATE_SCHEMA, OrderError, fold, state_from_json, state_to_json
from eventsim.snapshots import (
    InMemorySnapshotStore,
    Snapshot,
    Snapshots,
    SQLiteSnapshotStore,
    load_state,
    open_snapshot_store,
)
from eventsim.store import InMemoryEventStore


@pytest.fixture(params=["memory", "sqlite"])
def snapshot_store(request, tmp_path):
    if request.param == "memory":
        yield InMemorySnapshotStore()
    else:
        store = SQLiteSnapshotStore(tmp_path / "snapshots.db")
        yield store
        store.close()


def new_shop(snapshots=None):
    store = InMemoryEventStore(clock=SimulatedClock(start=1_000, step=1), ids=SeededIds(3))
    return Shop(store, ids=SeededIds(4), snapshots=snapshots)


def long_order(shop, refunds):
    shop.handle(PlaceOrder("1", D("1000.00"), "ann", currency="SEK"))
    shop.handle(PayOrder("1", D("1000.00")))
    for n in range(refunds):
        shop.handle(RequestRefund("1", D("0.01")))
        if n % 2:
            shop.handle(ConfirmRefund("1", f"R{n + 1}"))


def test_a_state_round_trips_through_json_exactly():
    shop = new_shop()
    long_order(shop, 7)
    state = shop.state("1")
    assert state_from_json(state_to_json(state)) == state


def test_the_policy_takes_a_snapshot_every_n_events_and_a_new_shop_starts_from_it(snapshot_store):
    snapshots = Snapshots(snapshot_store, every=10)
    shop = new_shop(snapshots)
    long_order(shop, 20)  # 2 + 20 + 10 = 32 events
    assert shop.store.stream_version("order-1") == 32
    assert snapshot_store.load("order-1").version == 30
    reading = []
    store = shop.store
    original = store.read_stream
    store.read_stream = lambda stream_id, from_version=1: reading.append(from_version) or original(stream_id, from_version)
    fresh = Shop(store, snapshots=Snapshots(snapshot_store, every=10))
    assert fresh.state("1") == fold(r.event for r in original("order-1"))
    assert reading == [31]  # only the two events after the snapshot were read


def test_a_snapshot_of_an_older_state_shape_is_ignored_and_the_stream_rebuilt(snapshot_store):
    shop = new_shop()
    long_order(shop, 4)
    state = shop.state("1")
    # A snapshot written before OrderState had a currency: same JSON keys but one, schema 1.
    old_json = state_to_json(dataclasses.replace(state, amount=D(1), currency=None))
    snapshot_store.save(Snapshot("order-1", shop.store.stream_version("order-1"), "1:0123456789ab", old_json))
    snapshots = Snapshots(snapshot_store)
    assert load_state(ORDERS, shop.store, "order-1", snapshots) == state
    assert snapshots.ignored == 1


def test_the_state_schema_changes_when_the_state_shape_does():
    from eventsim.domain import state_shape
    from eventsim.shop.order import OrderState, Refund

    @dataclasses.dataclass(frozen=True)
    class Refund2(Refund):  # one more field: a new shape
        note: str = ""
    assert state_shape(OrderState, Refund) in STATE_SCHEMA
    assert state_shape(OrderState, Refund2) not in STATE_SCHEMA


def test_a_save_never_replaces_a_newer_snapshot(snapshot_store):
    snapshot_store.save(Snapshot("s", 20, STATE_SCHEMA, "{}"))
    snapshot_store.save(Snapshot("s", 10, STATE_SCHEMA, "{}"))
    assert snapshot_store.load("s").version == 20


@pytest.mark.parametrize("every", [0, -1, True, 2.5])
def test_a_policy_is_a_whole_number_of_events(every):
    with pytest.raises(ValueError, match="every is a number of events"):
        Snapshots(InMemorySnapshotStore(), every=every)


def test_open_snapshot_store_reads_the_store_urls(tmp_path):
    assert isinstance(open_snapshot_store("memory:"), InMemorySnapshotStore)
    assert open_snapshot_store(f"sqlite:///{tmp_path}/a.db").path == tmp_path / "a.db"


_orders = itertools.count(1)


def commands(order_id):
    return st.lists(st.one_of(
        st.builds(PayOrder, st.just(order_id), st.sampled_from([D(50), D(3)])),
        st.builds(RequestRefund, st.just(order_id), st.sampled_from([D("0.01"), D("5.00"), D("49.99")])),
        st.builds(ConfirmRefund, st.just(order_id), st.sampled_from(["R1", "R2", "R3"])),
        st.builds(CancelOrder, st.just(order_id)), st.builds(ShipOrder, st.just(order_id))), max_size=40)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.data(), st.integers(1, 7))
def test_loading_from_a_snapshot_gives_exactly_the_full_fold(snapshot_store, data, every):
    order_id = f"P{next(_orders)}"  # a stream of its own: the snapshot store lives across examples
    shop = new_shop(Snapshots(snapshot_store, every=every))
    shop.handle(PlaceOrder(order_id, D(50), "ann"))
    for command in data.draw(commands(order_id)):
        try:
            shop.handle(command)
        except OrderError:
            pass
    stream = f"order-{order_id}"
    full = fold(r.event for r in shop.store.read_stream(stream))
    fresh = Shop(shop.store, snapshots=Snapshots(snapshot_store, every=every))
    assert fresh.state(order_id) == full
    assert load_state(ORDERS, shop.store, stream, Snapshots(snapshot_store)) == full


def test_a_snapshot_that_cannot_be_saved_never_fails_a_recorded_command(caplog):
    class Broken(InMemorySnapshotStore):
        def save(self, snapshot):
            raise OSError("disk full")
    shop = new_shop(Snapshots(Broken(), every=1))
    recorded = shop.handle(PlaceOrder("1", D(5)))
    assert recorded and shop.load("order-1")[1] == 1
    assert "snapshot of order-1 at version 1 not saved: OSError('disk full')" in caplog.text


def test_a_state_loaded_from_a_snapshot_is_kept_in_memory_for_the_next_command(snapshot_store):
    shop = new_shop(Snapshots(snapshot_store, every=5))
    long_order(shop, 2)  # 5 events: the snapshot is the whole stream, nothing is recorded after it
    assert snapshot_store.load("order-1").version == shop.store.stream_version("order-1") == 5
    loads = []
    snapshots = Snapshots(snapshot_store, every=5)
    original = snapshots.load
    snapshots.load = lambda stream_id, domain: loads.append(stream_id) or original(stream_id, domain)
    fresh = Shop(shop.store, snapshots=snapshots)
    fresh.state("1")
    fresh.state("1")
    assert loads == ["order-1"]


def test_a_snapshot_of_an_older_shape_is_rebuilt_in_todays(snapshot_store):
    shop = new_shop()
    long_order(shop, 4)  # 8 events
    stale = Snapshot("order-1", 8, "1:0123456789ab", state_to_json(shop.state("1")))
    snapshot_store.save(stale)
    fresh = Shop(shop.store, snapshots=Snapshots(snapshot_store, every=5))
    assert fresh.state("1") == shop.state("1") and fresh.snapshots.ignored == 1
    rebuilt = snapshot_store.load("order-1")
    assert (rebuilt.version, rebuilt.schema) == (8, STATE_SCHEMA)
