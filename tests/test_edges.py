"""Issue 26: nothing lost at the edges (the CLI, the stores, the JSON-lines reader under hostile input)."""
from __future__ import annotations

import fnmatch
import os
import shutil
import stat
import subprocess
import sys
import tempfile
from decimal import Decimal as D
from pathlib import Path

import pytest

from eventsim.shop.events import OrderCreated, OrderPaid
from eventsim.stores import SQLiteEventStore

NOBODY = shutil.which("runuser") and os.geteuid() == 0


# --- an SQLite store on read-only storage ------------------------------------------------------


@pytest.mark.skipif(not NOBODY and os.geteuid() == 0, reason="root may write anywhere: needs runuser to read as nobody")
def test_a_store_on_read_only_storage_can_be_read():
    """WAL mode wants to create a ``-shm`` file beside the store: on read-only storage it cannot."""
    folder = Path(tempfile.mkdtemp(prefix="eventsim-ro-"))
    try:
        store = SQLiteEventStore(folder / "shop.db")
        store.append("order-1", [OrderCreated("1", D("10.00")), OrderPaid("1")])
        store.close()
        assert sorted(p.name for p in folder.iterdir()) == ["shop.db"]  # no -wal, no -shm left
        (folder / "shop.db").chmod(stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)
        folder.chmod(stat.S_IRWXU & ~stat.S_IWUSR | stat.S_IRGRP | stat.S_IXGRP | stat.S_IROTH | stat.S_IXOTH)
        program = (
            "import sys; from eventsim.stores import SQLiteEventStore\n"
            "store = SQLiteEventStore(sys.argv[1])\n"
            "print(store.read_only, [r.event_type for r in store.read_all()], store.stream_version('order-1'))\n"
            "try:\n    store.append('order-2', [])\nexcept Exception as error:\n    print(type(error).__name__)\n"
        )
        command = [sys.executable, "-c", program, str(folder / "shop.db")]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "nobody", "--", *command]
        result = subprocess.run(command, capture_output=True, text=True, timeout=60, cwd=folder)
        assert result.stdout.splitlines() == ["True ['OrderCreated', 'OrderPaid'] 2", "StoreError"], result.stderr
        assert sorted(p.name for p in folder.iterdir()) == ["shop.db"]
    finally:
        folder.chmod(stat.S_IRWXU)
        shutil.rmtree(folder)


# --- an upcaster never overwrites a value the payload states ----------------------------------

from eventsim.jsonl import EventFormatError, read_jsonl  # noqa: E402
from eventsim.stores import StoreError, open_store  # noqa: E402
from eventsim.stores.sql import row_checksum  # noqa: E402


@pytest.mark.parametrize("stated", ["USD", "eur"])
def test_a_version_1_line_that_states_a_currency_is_refused_not_overwritten(stated):
    lines = ['{"eventType": "OrderPaid", "orderId": "1", "timestamp": 5}',
             f'{{"eventType": "OrderCreated", "orderId": "1", "amount": 100, "currency": "{stated}", "timestamp": 5}}']
    with pytest.raises(EventFormatError) as caught:
        read_jsonl(lines)
    error = caught.value
    assert (error.line, error.event_type, error.field) == (2, "OrderCreated", "currency")
    assert f'states "{stated}"' in str(error) and '"EUR"' in str(error) and "schemaVersion 2" in str(error)


def test_a_version_1_line_without_a_currency_is_still_read_in_euros_and_a_stated_eur_is_kept():
    lines = ['{"eventType": "OrderCreated", "orderId": "1", "amount": 100, "timestamp": 5}',
             '{"eventType": "OrderCreated", "orderId": "2", "amount": 100, "currency": "EUR", "timestamp": 5}',
             '{"eventType": "OrderCreated", "orderId": "3", "amount": 100, "currency": "USD", "schemaVersion": 2,'
             ' "timestamp": 5}']
    assert [e.event.currency for e in read_jsonl(lines)] == ["EUR", "EUR", "USD"]


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_a_version_1_row_that_states_a_currency_is_refused_naming_the_field(backend, tmp_path, request):
    url = str(tmp_path / "events.db") if backend == "sqlite" else request.getfixturevalue("postgres_url")
    store = open_store(url)
    store.close()
    data = '{"orderId": "1", "amount": 100, "currency": "USD"}'
    if backend == "postgres":
        import psycopg
        with psycopg.connect(url, autocommit=True) as connection:
            connection.execute("INSERT INTO events (position, stream_id, version, event_type, schema_version, data,"
                               " recorded_at, event_id, checksum) VALUES (1, 'order-1', 1, 'OrderCreated', 1, %s, 5,"
                               " 'e1', %s)", (data, row_checksum("OrderCreated", 1, data)))
    else:
        import sqlite3
        with sqlite3.connect(url, isolation_level=None) as connection:
            connection.execute("INSERT INTO events (position, stream_id, version, event_type, schema_version, data,"
                               " recorded_at, event_id, checksum) VALUES (1, 'order-1', 1, 'OrderCreated', 1, ?, 5,"
                               " 'e1', ?)", (data, row_checksum("OrderCreated", 1, data)))
    store = open_store(url)
    try:
        with pytest.raises(StoreError, match="position 1 .*field 'currency'.*states \"USD\""):
            store.read_all()
    finally:
        store.close()


# --- no command writes over a store or a file without being asked --------------------------------

from eventsim.cli import main  # noqa: E402


@pytest.fixture
def shop_db(tmp_path):
    db = tmp_path / "shop.db"
    assert main(["simulate", "--orders", "5", "--seed", "1", "--db", str(db)]) == 0
    return db


def events_in(db):
    store = open_store(str(db))
    try:
        return len(store)
    finally:
        store.close()


@pytest.mark.parametrize("force", [[], ["--force"]], ids=["", "--force"])
def test_export_never_writes_over_the_store_it_reads(shop_db, capsys, force):
    count = events_in(shop_db)
    for out in (str(shop_db), f"sqlite:///{shop_db}"):
        capsys.readouterr()
        assert main(["export", "--db", out if out.startswith("sqlite") else str(shop_db), "--out", str(shop_db),
                     *force]) == 2
        assert capsys.readouterr().err == f"eventsim export: {shop_db}: is the store itself: give --out another file name\n"
    assert events_in(shop_db) == count and sorted(p.name for p in shop_db.parent.iterdir()) == ["shop.db"]


@pytest.mark.parametrize("command", [["simulate", "--orders", "5"], ["export", "--db", "{db}"]])
def test_an_existing_file_is_replaced_only_with_force(shop_db, tmp_path, capsys, command):
    command = [part.replace("{db}", str(shop_db)) for part in command]
    count = events_in(shop_db)
    other = tmp_path / "other.db"
    assert main(["simulate", "--orders", "3", "--db", str(other)]) == 0
    capsys.readouterr()
    assert main([*command, "--out", str(other)]) == 2
    err = capsys.readouterr().err
    assert err.endswith(f"{other}: exists already: give --force to replace it, or another name\n") and err.count("\n") == 1
    assert events_in(other) > 0 and events_in(shop_db) == count  # the store other.db is still a store
    assert main([*command, "--out", str(other), "--force"]) == 0
    assert other.read_text().startswith('{"eventType": "OrderCreated"')
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith("shop.db")) == ["other.db"]


def test_simulate_of_no_orders_prints_no_empty_progress_line(tmp_path, capsys):
    assert main(["simulate", "--orders", "0", "--out", str(tmp_path / "none.jsonl")]) == 0
    captured = capsys.readouterr()
    assert captured.err == "" and captured.out.startswith("wrote 0 events of 0 orders")
    assert (tmp_path / "none.jsonl").read_text() == ""


# --- messages ----------------------------------------------------------------------------------

from eventsim.shop import Shop  # noqa: E402
from eventsim.shop.commands import ConfirmRefund, PayOrder, PlaceOrder, RequestRefund  # noqa: E402
from eventsim.shop.order import RefundExceedsPayment, UnknownRefund, WrongPaymentAmount  # noqa: E402


def test_rule_messages_name_money_to_the_cent_and_a_missing_refund_id_as_missing():
    shop = Shop()
    shop.handle(PlaceOrder("1", D(100)))
    with pytest.raises(WrongPaymentAmount, match=r"paid 99\.50 but the order is for 100\.00 \("):
        shop.handle(PayOrder("1", D("99.5")))
    shop.handle(PayOrder("1", D(100)))
    with pytest.raises(RefundExceedsPayment, match=r"a refund of 101\.00 would bring refunds to 101\.00, "
                                                   r"more than the 100\.00 paid \("):
        shop.handle(RequestRefund("1", D(101)))
    with pytest.raises(UnknownRefund) as caught:
        shop.handle(ConfirmRefund("1"))
    assert "None" not in str(caught.value) and "give its refund_id" in str(caught.value)


# --- for a newcomer ------------------------------------------------------------------------------------

ROOT = Path(__file__).resolve().parents[1]


def test_the_store_serve_makes_by_default_is_ignored_by_git_and_the_readme_says_how_to_run_eventsim():
    patterns = (ROOT / ".gitignore").read_text().split()
    for name in ("eventsim.db", "eventsim.db-wal", "eventsim.db-shm"):  # serve's default store, and WAL's files
        assert any(fnmatch.fnmatch(name, pattern) for pattern in patterns), f"{name} is not in .gitignore"
    readme = (ROOT / "README.md").read_text()
    assert ".venv/bin/eventsim" in readme and "python3 dev.py postgres" in readme and "drop-schemas" in readme
