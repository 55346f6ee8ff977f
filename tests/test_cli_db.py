"""The command line on a database: simulate, replay, trace and export with --db URL."""
import sqlite3
import subprocess
import sys

import pytest

from eventsim.cli import main
from eventsim.jsonl import read_jsonl
from eventsim.shop.sql_read_models import SQLReadModels
from eventsim.stores import open_store

ORDERS, SEED = 60, 7


@pytest.fixture
def db_url(database_url):
    return database_url


@pytest.fixture
def simulated(tmp_path, capsys):
    """A store filled by ``simulate --db``, and the file ``simulate --out`` wrote in the same run."""
    db, out = tmp_path / "a.db", tmp_path / "simulated.jsonl"
    assert main(["simulate", "--orders", str(ORDERS), "--seed", str(SEED), "--db", str(db), "--out", str(out)]) == 0
    assert capsys.readouterr().out.startswith(f"wrote {len(read_jsonl(out))} events of {ORDERS} orders to {db} "
                                              f"and {out} in ")
    return db, out


def test_export_replay_export_is_byte_identical(simulated, db_url, tmp_path, capsys):
    db, simulated_file = simulated
    first, second = tmp_path / "first.jsonl", tmp_path / "second.jsonl"
    assert main(["export", "--db", str(db), "--out", str(first)]) == 0
    assert first.read_bytes() == simulated_file.read_bytes()  # the store holds what the simulator wrote
    capsys.readouterr()
    assert main(["import", str(first), "--db", db_url]) == 0
    assert capsys.readouterr().out.splitlines()[3].split() == ["orders", "amount", "paid", "refunds_requested",
                                                               "refunds_paid", "net"]
    assert main(["export", "--db", db_url, "--out", str(second)]) == 0
    assert second.read_bytes() == first.read_bytes()


def test_replay_of_a_store_fills_its_read_model_tables(simulated, capsys):
    db, simulated_file = simulated
    capsys.readouterr()
    assert main(["import", "--db", str(db)]) == 0
    from_store = capsys.readouterr().out
    assert main(["import", str(simulated_file)]) == 0
    from_file = capsys.readouterr().out
    assert from_store.replace(str(db), "LOG") == from_file.replace(str(simulated_file), "LOG")  # same summary
    store = open_store(str(db))
    with SQLReadModels(store) as tables:
        assert tables.lag == 0 and len(tables.orders_frame()) == ORDERS
    store.close()


def test_trace_reads_a_store_as_it_reads_a_file(simulated, capsys):
    db, simulated_file = simulated
    capsys.readouterr()
    assert main(["trace", "--db", str(db), "000007"]) == 0
    from_store = capsys.readouterr().out
    assert main(["trace", str(simulated_file), "000007"]) == 0
    assert from_store == capsys.readouterr().out and from_store.count("\n") >= 3


def test_a_store_is_recorded_into_only_when_empty(simulated, tmp_path, capsys):
    db, simulated_file = simulated
    before = db.read_bytes()
    assert main(["import", str(simulated_file), "--db", str(db)]) == 2
    assert capsys.readouterr().err == (f"eventsim import: SQLite store '{db}': already holds "
                                       f"{len(read_jsonl(simulated_file))} events: simulate and import record "
                                       "into an empty store only\n")
    with sqlite3.connect(db) as connection:
        assert connection.execute("SELECT count(*) FROM events").fetchone()[0] == len(read_jsonl(simulated_file))
    assert len(before) > 0


def test_a_bad_log_records_nothing_in_the_store(tmp_path, capsys):
    log = tmp_path / "bad.jsonl"
    log.write_text('{"eventType": "OrderCreated", "orderId": "1", "amount": 10, "timestamp": 1628380000}\n'
                   '{"eventType": "RefundPaid", "orderId": "1", "timestamp": 1628380060}\n')
    assert main(["import", str(log), "--db", str(tmp_path / "c.db")]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"eventsim import: {log}: a read model cannot fold the log: ") and err.count("\n") == 1
    assert "RefundPaid at position 2" in err
    assert not (tmp_path / "c.db").exists()


@pytest.mark.parametrize("argv, problem", [
    (["trace", "--db", "{missing}", "1"], "eventsim trace: {missing}: no such store\n"),
    (["export", "--db", "{missing}", "--out", "{out}"], "eventsim export: {missing}: no such store\n"),
    (["import", "--db", "{junk}"], ("eventsim import: SQLite store '{junk}': not an SQLite database "
                                    "(is it an eventsim store?)\n")),
    (["export", "--db", "postgresql://nobody@127.0.0.1:1/none", "--out", "{out}"],
     "eventsim export: PostgreSQL store postgresql://nobody@127.0.0.1:1/none: cannot connect"),
])
def test_a_store_that_cannot_be_read_is_one_line_naming_it(argv, problem, tmp_path, capsys):
    names = {"missing": tmp_path / "missing.db", "junk": tmp_path / "junk.db", "out": tmp_path / "out.jsonl"}
    names["junk"].write_text("not a database\n")
    assert main([a.format(**names) for a in argv]) == 2
    err = capsys.readouterr().err
    assert err.startswith(problem.format(**names)) and err.count("\n") == 1
    assert not names["missing"].exists() and not names["out"].exists()


@pytest.mark.parametrize("argv", [["simulate", "--orders", "3"], ["trace", "1"], ["replay"],
                                  ["trace", "x.jsonl", "1", "--db", "x.db"], ["export", "--db", "x.db"]])
def test_where_to_read_or_write_is_a_usage_error(argv, capsys):
    assert main(argv) == 2
    assert "usage: eventsim" in capsys.readouterr().err


def test_no_traceback_from_the_installed_command_on_a_store_either(tmp_path):
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"\x00" * 4096)
    run = subprocess.run([sys.executable, "-m", "eventsim", "trace", "--db", str(junk), "1"],
                         capture_output=True, text=True, timeout=120, check=False)
    assert run.returncode == 2 and run.stdout == "" and "Traceback" not in run.stderr
    assert run.stderr.startswith(f"eventsim trace: SQLite store '{junk}': ") and run.stderr.count("\n") == 1


def test_simulate_into_a_store_that_is_not_empty_is_refused_before_simulating(simulated, capsys):
    db, _ = simulated
    assert main(["simulate", "--orders", "5", "--db", str(db)]) == 2
    captured = capsys.readouterr()
    assert "simulating" not in captured.err  # refused before any work
    assert captured.err.startswith(f"eventsim simulate: SQLite store '{db}': already holds ")
    assert captured.err.endswith("events: simulate and import record into an empty store only\n")
