"""Forgetting a customer: personal data sealed per customer; deleting the key forgets it everywhere."""
import sqlite3
from decimal import Decimal as D

import pytest

from eventsim.clock import SimulatedClock
from eventsim.ids import SeededIds
from eventsim.jsonl import read_jsonl, write_jsonl
from eventsim.privacy import (
    FORGOTTEN,
    InMemoryKeyStore,
    PersonalData,
    SQLiteKeyStore,
    Vault,
)
from eventsim.shop.privacy import personal_data_rows, trace_rows
from eventsim.shop import Shop
from eventsim.shop.commands import PayOrder, PlaceOrder
from eventsim.shop.events import OrderCreated
from eventsim.shop.order import fold
from eventsim.store import InMemoryEventStore

ALICE = PersonalData("Alice Liddell", "alice@example.org", "7 Rabbit Hole Lane")
BOB = PersonalData("Bob Builder", "bob@example.org", "1 Site Road")
SECRETS = [s.encode() for p in (ALICE,) for s in (p.name, p.email, p.address)]


@pytest.fixture(params=["memory", "sqlite"])
def keys(request, tmp_path):
    if request.param == "memory":
        yield InMemoryKeyStore()
    else:
        store = SQLiteKeyStore(tmp_path / "keys.db")
        yield store
        store.close()


def shop_with_two_customers(vault):
    shop = Shop(InMemoryEventStore(clock=SimulatedClock(start=1_000), ids=SeededIds(1)), ids=SeededIds(2))
    shop.handle(PlaceOrder("1", D(10), "alice", personal_data=vault.seal("alice", ALICE)))
    shop.handle(PayOrder("1", D(10)))
    shop.handle(PlaceOrder("2", D(20), "bob", personal_data=vault.seal("bob", BOB)))
    return shop


def test_sealed_data_opens_with_the_key_and_not_after_forgetting(keys):
    vault = Vault(keys)
    sealed = vault.seal("alice", ALICE)
    assert not any(secret in sealed.encode() for secret in SECRETS)
    assert vault.open("alice", sealed) == ALICE
    assert vault.forget("alice") == 1
    assert vault.open("alice", sealed) is None


def test_forgetting_one_customer_leaves_the_others_and_the_replay_intact(keys):
    vault = Vault(keys)
    shop = shop_with_two_customers(vault)
    before = {o: shop.state(o) for o in "12"}
    vault.forget("alice")
    rows = personal_data_rows(shop.store.read_all(), vault)
    assert rows[0] == {"order_id": "1", "customer_id": "alice", "name": FORGOTTEN, "email": FORGOTTEN,
                       "address": FORGOTTEN}
    assert rows[1]["email"] == "bob@example.org"
    assert {o: fold(r.event for r in shop.store.read_stream(f"order-{o}")) for o in "12"} == before


def test_sealed_data_that_was_changed_is_refused_not_mis_read(keys):
    vault = Vault(keys)
    sealed = vault.seal("alice", ALICE)
    tampered = sealed[:-2] + ("A" if sealed[-2] != "A" else "B") + sealed[-1]
    with pytest.raises(ValueError, match="does not open with customer 'alice'"):
        vault.open("alice", tampered)
    with pytest.raises(ValueError, match="not sealed personal data"):
        vault.open("alice", "Alice Liddell")


def test_an_event_refuses_personal_data_in_plain_text():
    with pytest.raises(ValueError, match="personal_data is recorded only sealed"):
        OrderCreated("1", D(1), "alice", personal_data="Alice Liddell, alice@example.org")


def test_a_returning_customer_gets_a_new_key_and_old_orders_stay_forgotten(keys):
    vault = Vault(keys)
    old = vault.seal("alice", ALICE)
    vault.forget("alice")
    new = vault.seal("alice", ALICE)
    assert vault.open("alice", old) is None and vault.open("alice", new) == ALICE


def test_the_key_file_keeps_no_trace_of_a_forgotten_key(tmp_path):
    keys = SQLiteKeyStore(tmp_path / "keys.db")
    Vault(keys).seal("alice", ALICE)
    key = keys.current("alice")[1]
    assert key in (tmp_path / "keys.db").read_bytes()  # the search below can find a key
    Vault(keys).forget("alice")
    keys.close()
    assert all(key not in p.read_bytes() for p in tmp_path.iterdir())


def test_plain_sqlite_delete_would_leave_the_key_behind(tmp_path):
    """Why the key store sets secure_delete: without it the deleted row stays in the file."""
    db = sqlite3.connect(tmp_path / "plain.db", isolation_level=None)
    db.execute("PRAGMA secure_delete=OFF")
    db.execute("CREATE TABLE k (key BLOB)")
    db.execute("INSERT INTO k VALUES (?)", (b"K" * 32,))
    db.execute("DELETE FROM k")
    db.close()
    assert b"K" * 32 in (tmp_path / "plain.db").read_bytes()


def test_no_plaintext_in_an_exported_log_or_the_store_before_and_after_forgetting(tmp_path, keys):
    vault = Vault(keys)
    shop = shop_with_two_customers(vault)
    path = tmp_path / "export.jsonl"
    write_jsonl(shop.store.read_all(), path)
    raw = path.read_bytes()
    assert b"pd1." in raw and not any(secret in raw for secret in SECRETS)
    vault.forget("alice")
    logged = read_jsonl(path)  # the log still loads and replays
    assert personal_data_rows(logged, vault)[0]["name"] == FORGOTTEN


def test_a_trace_shows_personal_data_until_it_is_forgotten_and_never_the_sealed_text(keys):
    vault = Vault(keys)
    shop = shop_with_two_customers(vault)
    rows = trace_rows(shop.store.read_stream("order-1"), vault)
    assert rows[0]["email"] == ALICE.email and "personal_data" not in rows[0]
    assert rows[1] == {"version": 2, "event_type": "OrderPaid", "order_id": "1"}
    vault.forget("alice")
    rows = trace_rows(shop.store.read_stream("order-1"), vault)
    assert rows[0]["personal_data"] == FORGOTTEN and "email" not in rows[0]
    assert not any(str(v).startswith("pd1.") for row in rows for v in row.values())


def test_the_longest_personal_data_seals_into_an_event():
    worst = PersonalData(*(["\U0001F600" * 250 + '"' * 250] * 3))  # 4-byte characters and escaped quotes
    sealed = Vault(InMemoryKeyStore()).seal("alice", worst)
    assert OrderCreated("1", D(1), "alice", personal_data=sealed).personal_data == sealed
    with pytest.raises(ValueError, match="at most 500"):
        PersonalData("x" * 501, "", "")
