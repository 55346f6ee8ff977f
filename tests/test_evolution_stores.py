"""Upcasting, snapshots and forgetting on every store: in memory, SQLite and PostgreSQL.

Old events are put into the SQL stores the way an older eventsim wrote them (a row with
schema version 1 and no currency), then read through today's store; the rows stay as they were.
The PostgreSQL runs need the test server from conftest.py.
"""
import json
import sqlite3
from decimal import Decimal as D

import pytest

from eventsim.clock import SimulatedClock
from eventsim.copying import copy_log
from eventsim.ids import SeededIds
from eventsim.jsonl import read_jsonl, write_jsonl
from eventsim.privacy import (
    FORGOTTEN,
    PersonalData,
    PostgresKeyStore,
    SQLiteKeyStore,
    Vault,
)
from eventsim.shop.privacy import personal_data_rows
from eventsim.shop import Shop
from eventsim.shop.commands import PayOrder, PlaceOrder, RequestRefund
from eventsim.shop.events import OrderCreated, OrderPaid
from eventsim.shop.order import ORDERS, fold
from eventsim.snapshots import Snapshots, load_state, open_snapshot_store
from eventsim.stores import StoreError, open_store
from eventsim.stores.sql import row_checksum

SEED = [
    '{"eventType": "OrderCreated", "orderId": "123456", "amount": 100, "timestamp": 1628379200}',
    '{"eventType": "OrderPaid", "orderId": "123456", "timestamp": 1628389200}',
    '{"eventType": "RefundCreated", "orderId": "123456", "amount": 100, "timestamp": 1628399200}',
]
ALICE = PersonalData("Alice Liddell", "alice@example.org", "7 Rabbit Hole Lane")
SECRETS = [ALICE.name.encode(), ALICE.email.encode(), ALICE.address.encode()]


@pytest.fixture
def url(any_store_url):
    return any_store_url


@pytest.fixture
def opened():
    things = []
    yield things.append
    for thing in things:
        if hasattr(thing, "close"):
            thing.close()


def open_(url, opened, seed=1):
    store = open_store(url, clock=SimulatedClock(start=1_628_379_200), ids=SeededIds(seed))
    opened(store)
    return store


def raw_rows(url, sql, params=()):
    """Run SQL on the store's database directly, as an older eventsim (or an operator) would."""
    if url.startswith("postgresql"):
        import psycopg
        with psycopg.connect(url, autocommit=True) as connection:
            cursor = connection.execute(sql.replace("?", "%s"), params)
            return cursor.fetchall() if cursor.description else []
    with sqlite3.connect(url, isolation_level=None) as connection:
        return connection.execute(sql, params).fetchall()


def write_like_an_older_eventsim(url, opened, first_version=1):
    """The seed's three events, stored as an eventsim before currencies wrote them (schema version 1), each
    row with the checksum its append stored."""
    open_(url, opened)  # today's store makes the tables; the rows come from "before"
    json_type = "json" if url.startswith("postgresql") else "TEXT"
    rows = [("OrderCreated", first_version, '{"orderId": "123456", "amount": 100}'),
            ("OrderPaid", 1, '{"orderId": "123456"}'),
            ("RefundCreated", 1, '{"orderId": "123456", "amount": 100}')]
    for version, (event_type, schema_version, data) in enumerate(rows, 1):
        raw_rows(url, "INSERT INTO events (position, stream_id, version, event_type, schema_version, data,"
                      f" recorded_at, event_id, checksum) VALUES (?, ?, ?, ?, ?, CAST(? AS {json_type}), ?, ?, ?)",
                 (version, "order-123456", version, event_type, schema_version, data, 1628379200, f"e{version}",
                  row_checksum(event_type, schema_version, data)))


def test_the_seed_log_replays_into_every_store_to_the_same_state(url, opened):
    store = open_(url, opened)
    for r in copy_log(read_jsonl(SEED)).read_all():
        store.append(r.stream_id, [r.event])
    reader = open_(url, opened, 2) if url != "memory:" else store  # another connection, where there is one
    state = load_state(ORDERS, reader, "order-123456")
    assert (state.amount, state.paid, state.refunds_requested, reader.stream_version("order-123456"), state.currency) \
        == (D(100), D(100), D(100), 3, "EUR")


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_an_old_row_is_upcast_as_it_is_read_and_stays_unchanged(backend, tmp_path, request, opened):
    url = str(tmp_path / "events.db") if backend == "sqlite" else request.getfixturevalue("postgres_url")
    write_like_an_older_eventsim(url, opened)
    before = raw_rows(url, "SELECT schema_version, data FROM events ORDER BY position")
    store = open_(url, opened, 2)
    assert store.read_stream("order-123456")[0].event == OrderCreated("123456", D(100), currency="EUR")
    assert fold(r.event for r in store.read_all()).currency == "EUR"
    assert raw_rows(url, "SELECT schema_version, data FROM events ORDER BY position") == before
    assert before[0][0] == 1 and "currency" not in str(before[0][1])


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_a_row_newer_than_the_code_is_refused_naming_the_store_and_position(backend, tmp_path, request, opened):
    url = str(tmp_path / "events.db") if backend == "sqlite" else request.getfixturevalue("postgres_url")
    write_like_an_older_eventsim(url, opened, first_version=3)
    with pytest.raises(StoreError, match=r"position 1 cannot be read: OrderCreated: field 'schemaVersion': schema version 3 is newer than"):
        open_(url, opened, 2).read_all()


def test_snapshots_on_every_store_give_the_full_fold(url, opened):
    store = open_(url, opened)
    snapshots = Snapshots(open_snapshot_store(url), every=5)  # a table in the events' database
    opened(snapshots.store)
    shop = Shop(store, ids=SeededIds(3), snapshots=snapshots)
    shop.handle(PlaceOrder("1", D(100), "ann"))
    shop.handle(PayOrder("1", D(100)))
    for _ in range(11):
        shop.handle(RequestRefund("1", D(1)))
    assert snapshots.store.load("order-1").version == 10
    full = fold(r.event for r in store.read_stream("order-1"))
    fresh = Shop(store, snapshots=Snapshots(snapshots.store, every=5))
    assert fresh.state("1") == full


def test_forgetting_on_every_store_leaves_no_plaintext_and_the_store_replays(url, opened, tmp_path, request):
    keys = SQLiteKeyStore(tmp_path / "keys.db") if not url.startswith("postgresql") else PostgresKeyStore(url)
    opened(keys)
    vault = Vault(keys)
    shop = Shop(open_(url, opened), ids=SeededIds(4))
    shop.handle(PlaceOrder("1", D(10), "alice", personal_data=vault.seal("alice", ALICE)))
    shop.handle(PayOrder("1", D(10)))
    vault.forget("alice")
    store = open_(url, opened, 5) if url != "memory:" else shop.store
    assert personal_data_rows(store.read_all(), vault)[0]["email"] == FORGOTTEN
    assert fold(r.event for r in store.read_stream("order-1")).paid == D(10)
    write_jsonl(store.read_all(), tmp_path / "export.jsonl")
    places = list(tmp_path.iterdir())
    if url.startswith("postgresql"):
        raw_rows(url, "CHECKPOINT")
        places += [p for p in request.getfixturevalue("postgres_server").data.rglob("*") if p.is_file()]
    sealed = json.dumps(store.read_all()[0].event.personal_data).encode()[1:-1]
    assert any(sealed in p.read_bytes() for p in places)  # the search finds what is there
    assert not any(secret in p.read_bytes() for p in places for secret in SECRETS)


def test_renaming_the_python_class_orphans_no_stored_event_in_any_store(url, opened):
    store = open_(url, opened)
    store.append("order-5", [OrderCreated("5", D(5)), OrderPaid("5")])
    OrderPaid.__name__ = OrderPaid.__qualname__ = "PaymentReceived"  # as if renamed in the source
    try:
        store.append("order-5", [OrderPaid("5")])
        reader = open_(url, opened, 2) if url != "memory:" else store
        assert [r.event_type for r in reader.read_stream("order-5")] == ["OrderCreated", "OrderPaid", "OrderPaid"]
        assert reader.read_stream("order-5")[2].event == OrderPaid("5")
    finally:
        OrderPaid.__name__ = OrderPaid.__qualname__ = "OrderPaid"
