"""eventsim's SQLite and PostgreSQL stores against the ``eventsourcing`` library's, in one run.

    .venv/bin/python benchmarks/bench_stores.py                  # 20,000 orders (several minutes)
    .venv/bin/python benchmarks/bench_stores.py --orders 2000    # a quicker look
    .venv/bin/python benchmarks/bench_stores.py --postgres postgresql://user@host/db   # your server

The workload is bench_eventsourcing.py's: ``--orders`` orders, each placed,
paid and partly refunded (three commands, three events per order), through
eventsim's ``Shop`` and through an eventsourcing application with the same
rules.  For each database it prints, side by side:

1. commands/s: each command reads its order, decides and commits one
   transaction (every command is a commit: nothing is batched);
2. aggregates rebuilt/s: each order's events read back and folded;
3. events/s replayed from the first event into the orders read model;
4. the database's raw single-row commit rate with the same durability
   settings, sampled three times through the run (a disk's sync cost moves
   with the machine's load; the range is printed): the ceiling for writers
   that commit once per command, and how close each library comes to it.

Like for like, and where it is not:

* Figures are wall-clock (the database server's work counts), one run each:
  compare ratios from one run, not figures across machines or loads.
* SQLite: eventsim uses WAL + ``synchronous=NORMAL`` by default, the
  library WAL + ``synchronous=FULL`` (an fsync per commit).  So the SQLite
  command figure is printed twice: eventsim's default against the library's,
  and both with FULL, like for like.  FULL is fsync-bound, so the FULL row runs
  the first ``--full-orders`` orders only (default 2,000).
* PostgreSQL: both take ``LOCK TABLE ... IN EXCLUSIVE MODE`` per append and
  commit with ``synchronous_commit = on``, in fresh schemas on one server.
  Without ``--postgres``, a throwaway server is started (as in the tests)
  and stopped at the end.
* Rebuild and replay read what the command phase wrote.  The rebuild uses a
  new ``Shop``, so its state cache holds nothing yet: every order is read back.
"""
from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from importlib.metadata import version
from pathlib import Path

import psycopg
from bench_eventsourcing import (
    Aggregate,
    Order,
    OrderApp,
    check,
    eventsim_commands,
    eventsourcing_commands,
    expected_net,
    positive_int,
    project_orders,
    workload,
)

from eventsim.clock import SimulatedClock
from eventsim.ids import SeededIds
from eventsim.projections import ProjectionRunner
from eventsim.read_models import orders_projection
from eventsim.shop import Shop
from eventsim.stores import PostgresEventStore, SQLiteEventStore

ROOT = Path(__file__).resolve().parents[1]


def wall(work: Callable[[], object]) -> float:
    start = time.perf_counter()
    work()
    return time.perf_counter() - start


# --- eventsim --------------------------------------------------------------

def eventsim_figures(store, orders: int) -> dict[str, float]:
    commands = list(eventsim_commands(orders))
    order_ids = [order_id for order_id, _, _ in workload(orders)]
    shop = Shop(store, ids=SeededIds(1))
    figures = {"commands": len(commands) / wall(lambda: [shop.handle(c) for c in commands])}
    rebuilder = Shop(store)  # a new shop: its state cache is empty, so every order is read and folded
    figures["rebuild"] = orders / wall(lambda: [rebuilder.state(order_id) for order_id in order_ids])
    check("the last order's status", rebuilder.state(order_ids[-1]).status, "paid, refund requested")
    runner = ProjectionRunner(store, orders_projection)
    figures["replay"] = 3 * orders / wall(runner.catch_up)
    check("the orders read model's net total", sum(row.net for row in runner.state.values()),
          expected_net(orders))
    return figures


def eventsim_commands_per_second(store, orders: int) -> float:
    commands = list(eventsim_commands(orders))
    shop = Shop(store, ids=SeededIds(1))
    return len(commands) / wall(lambda: [shop.handle(c) for c in commands])


# --- eventsourcing -----------------------------------------------------------

def eventsourcing_figures(env: dict[str, str], orders: int, commands_only: bool = False) -> dict[str, float]:
    app = OrderApp(env=env)
    commands = list(eventsourcing_commands(orders))
    figures = {"commands": len(commands) / wall(lambda: [method(app, o, a) for method, o, a in commands])}
    if commands_only:
        return figures
    order_ids = [Order.create_id(order_id) for order_id, _, _ in workload(orders)]
    figures["rebuild"] = orders / wall(lambda: [app.repository.get(order_id) for order_id in order_ids])
    rows: dict = {}
    figures["replay"] = 3 * orders / wall(lambda: rows.update(project_orders(app)))
    check("the library's orders read model net total",
          sum(row["paid"] - row["refunded"] for row in rows.values()), expected_net(orders))
    app.close()
    return figures


# --- raw commits -------------------------------------------------------------

def sqlite_commits_per_second(path: Path, synchronous: str, seconds: float = 1.0) -> float:
    import sqlite3
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode = WAL")
    db.execute(f"PRAGMA synchronous = {synchronous}")
    db.execute("CREATE TABLE IF NOT EXISTS raw_commits (id INTEGER PRIMARY KEY, data TEXT)")
    return _commit_loop(lambda: db.execute("INSERT INTO raw_commits (data) VALUES (?)", ("x" * 100,)), seconds)


def postgres_commits_per_second(url: str, seconds: float = 1.0) -> float:
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute("SET synchronous_commit = on")
        connection.execute("CREATE TABLE IF NOT EXISTS raw_commits (id bigserial PRIMARY KEY, data text)")
        return _commit_loop(lambda: connection.execute("INSERT INTO raw_commits (data) VALUES (%s)", ("x" * 100,)),
                            seconds)


def _commit_loop(commit: Callable[[], object], seconds: float) -> float:
    count, start = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - start) < seconds:
        commit()
        count += 1
    return count / elapsed


# --- the runs --------------------------------------------------------------------

def sqlite_run(orders: int, full_orders: int, folder: Path) -> list[tuple]:
    raw: dict[str, list[float]] = {"NORMAL": [], "FULL": []}

    def sample_raw() -> None:  # the disk's sync cost moves with the machine's load: sample it throughout
        for synchronous, samples in raw.items():
            samples.append(sqlite_commits_per_second(folder / f"raw-{synchronous}.db", synchronous))

    sample_raw()
    print(f"SQLite: {orders:,} orders through eventsim ...", flush=True)
    store = SQLiteEventStore(folder / "eventsim.db", clock=SimulatedClock(), ids=SeededIds(0))
    ours = eventsim_figures(store, orders)
    print(f"SQLite: {orders:,} orders through eventsourcing ...", flush=True)
    theirs = eventsourcing_figures({"PERSISTENCE_MODULE": "eventsourcing.sqlite",
                                    "SQLITE_DBNAME": str(folder / "eventsourcing.db")}, orders)
    sample_raw()
    print(f"SQLite: {full_orders:,} orders each with synchronous=FULL ...", flush=True)
    full = SQLiteEventStore(folder / "eventsim-full.db", clock=SimulatedClock(), ids=SeededIds(0),
                            synchronous="FULL")
    ours_full = eventsim_commands_per_second(full, full_orders)
    theirs_full = eventsourcing_figures({"PERSISTENCE_MODULE": "eventsourcing.sqlite",
                                         "SQLITE_DBNAME": str(folder / "eventsourcing-full.db")},
                                        full_orders, commands_only=True)["commands"]
    sample_raw()
    raw_normal, raw_full = statistics.median(raw["NORMAL"]), statistics.median(raw["FULL"])
    return [
        ("SQLite", "commands/s, each library's default (NORMAL vs FULL)", ours["commands"], theirs["commands"]),
        ("SQLite", f"commands/s, both synchronous=FULL ({full_orders:,} orders)", ours_full, theirs_full),
        ("SQLite", "aggregates rebuilt/s", ours["rebuild"], theirs["rebuild"]),
        ("SQLite", "events/s replayed into the orders read model", ours["replay"], theirs["replay"]),
        ("SQLite", f"raw single-row commits/s, NORMAL ({spread(raw['NORMAL'])})", raw_normal, None),
        ("SQLite", f"raw single-row commits/s, FULL ({spread(raw['FULL'])})", raw_full, None),
        ("SQLite", "commands/s as a share of raw commits/s, FULL", ours_full / raw_full, theirs_full / raw_full),
        ("SQLite", "commands/s as a share of raw commits/s, defaults",
         ours["commands"] / raw_normal, theirs["commands"] / raw_full),
    ]


def postgres_run(url: str, orders: int) -> list[tuple]:
    parts = psycopg.conninfo.conninfo_to_dict(url)
    with psycopg.connect(url, autocommit=True) as connection:
        for schema in ("bench_eventsim", "bench_eventsourcing", "bench_raw"):
            connection.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
            connection.execute(f"CREATE SCHEMA {schema}")
    raw_url = psycopg.conninfo.make_conninfo(url, options="-csearch_path=bench_raw")
    raw = [postgres_commits_per_second(raw_url)]
    print(f"PostgreSQL: {orders:,} orders through eventsim ...", flush=True)
    store = PostgresEventStore(psycopg.conninfo.make_conninfo(url, options="-csearch_path=bench_eventsim"),
                               clock=SimulatedClock(), ids=SeededIds(0))
    ours = eventsim_figures(store, orders)
    store.close()
    raw.append(postgres_commits_per_second(raw_url))
    print(f"PostgreSQL: {orders:,} orders through eventsourcing ...", flush=True)
    theirs = eventsourcing_figures({
        "PERSISTENCE_MODULE": "eventsourcing.postgres", "POSTGRES_DBNAME": parts.get("dbname", "postgres"),
        "POSTGRES_HOST": parts.get("host", "127.0.0.1"), "POSTGRES_PORT": str(parts.get("port", 5432)),
        "POSTGRES_USER": parts.get("user", "postgres"), "POSTGRES_PASSWORD": parts.get("password", "unused"),
        "POSTGRES_SCHEMA": "bench_eventsourcing"}, orders)
    raw.append(postgres_commits_per_second(raw_url))
    raw_rate = statistics.median(raw)
    return [
        ("PostgreSQL", "commands/s", ours["commands"], theirs["commands"]),
        ("PostgreSQL", "aggregates rebuilt/s", ours["rebuild"], theirs["rebuild"]),
        ("PostgreSQL", "events/s replayed into the orders read model", ours["replay"], theirs["replay"]),
        ("PostgreSQL", f"raw single-row commits/s, synchronous_commit on ({spread(raw)})", raw_rate, None),
        ("PostgreSQL", "commands/s as a share of raw commits/s", ours["commands"] / raw_rate,
         theirs["commands"] / raw_rate),
    ]


def spread(samples: list[float]) -> str:
    return f"median of {len(samples)}: {min(samples):,.0f} to {max(samples):,.0f}"


def throwaway_postgres():
    """A PostgreSQL server of our own, as the tests start one (tests/conftest.py)."""
    sys.path.insert(0, str(ROOT / "tests"))
    from conftest import PostgresServer, postgres_bindir
    bindir = postgres_bindir()
    if bindir is None:
        raise SystemExit("no PostgreSQL server binaries found: apt-get install postgresql, or pass --postgres URL")
    server = PostgresServer(bindir)
    server.init()
    server.start()
    return server


def report(rows: list[tuple]) -> None:
    table = [("database", "figure", "eventsim", "eventsourcing", "ratio")]
    for database, label, ours, theirs in rows:
        share = "share" in label
        text = (lambda v: f"{v:.0%}") if share else (lambda v: f"{v:,.0f}")
        ratio = f"{ours / theirs:.2f}x" if theirs and not share else "-"
        table.append((database, label, text(ours), text(theirs) if theirs is not None else "-", ratio))
    widths = [max(len(row[i]) for row in table) for i in range(5)]
    for row in table:
        print("  ".join([row[0].ljust(widths[0]), row[1].ljust(widths[1])]
                        + [cell.rjust(width) for cell, width in zip(row[2:], widths[2:])]).rstrip())
    print("ratio = eventsim / eventsourcing; raw commits: one row per transaction, the same settings, this run")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orders", type=positive_int, default=20_000, help="orders in the workload (20,000)")
    parser.add_argument("--full-orders", type=positive_int, default=2_000,
                        help="orders for the SQLite synchronous=FULL row (2,000)")
    parser.add_argument("--postgres", metavar="URL", help="a PostgreSQL server to use (default: start one)")
    parser.add_argument("--skip-postgres", action="store_true", help="SQLite only")
    args = parser.parse_args()
    if Aggregate is None:
        raise SystemExit("eventsourcing is not installed: .venv/bin/pip install -e '.[bench]'")
    full_orders = min(args.full_orders, args.orders)
    print(f"eventsim stores vs eventsourcing {version('eventsourcing')}: {args.orders:,} orders x (place, pay, "
          f"partial refund); psycopg {version('psycopg')}, SQLite {__import__('sqlite3').sqlite_version}")
    print(f"Python {platform.python_version()} on {os.cpu_count()} CPU(s), load average "
          f"{os.getloadavg()[0]:.1f} at start")
    rows = []
    with tempfile.TemporaryDirectory(prefix="eventsim-bench-") as folder:
        rows += sqlite_run(args.orders, full_orders, Path(folder))
    if not args.skip_postgres:
        server = None if args.postgres else throwaway_postgres()
        try:
            rows += postgres_run(args.postgres or server.url, args.orders)
        finally:
            if server is not None:
                server.stop()
                server.remove()
    print()
    report(rows)
    print(f"load average {os.getloadavg()[0]:.1f} at end")


if __name__ == "__main__":
    main()
