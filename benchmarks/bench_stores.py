"""eventsim's SQLite and PostgreSQL stores against the ``eventsourcing`` library's, in one run.

    .venv/bin/python benchmarks/bench_stores.py                  # 20,000 orders (several minutes)
    .venv/bin/python benchmarks/bench_stores.py --orders 2000    # a quicker look
    .venv/bin/python benchmarks/bench_stores.py --postgres postgresql://user@host/db   # your server

The workload is bench_eventsourcing.py's: ``--orders`` orders, each placed,
paid and partly refunded (three commands, three events per order), through
eventsim's ``Shop`` and through an eventsourcing application with the same
rules.  For each database it prints, side by side:

1. commands/s from 1 client: each command reads its order, decides and
   commits one transaction, and the next command waits for that commit;
2. commands/s from ``--clients`` clients (8): as many threads, each sending
   the commands of its own slice of the orders, all through one ``Shop``
   and one store object for eventsim, one ``Application`` for the library
   (shared by threads, as in a web server);
3. aggregates rebuilt/s: each order's events read back and folded;
4. events/s replayed from the first event into the orders read model,
   both reading the log a page of ``PAGE`` events at a time (a projection
   runner's ``catch_up(PAGE)`` until it finds nothing more; the library's
   notifications, ``project_orders``): neither holds the whole log at once;
5. the database's raw single-row commit rate with the same durability
   settings, sampled three times through the run (a disk's sync cost moves
   with the machine's load; the range is printed): the ceiling for writers
   that commit once per command, and how close each library comes to it.

Each figure that has a goal (at least 2x the library; one client: at least 70% of the disk's raw commit
rate, measured in the same run) says PASS or MISS.

Like for like, and where it is not:

* Figures are wall-clock (the database server's work counts).  Each is
  measured in turns: the work is cut in four parts (a quarter of the orders;
  for replay, one whole replay) and the libraries take turns, eventsim's
  part 1, the library's part 1, eventsim's part 2, ...: a load on the
  machine that comes and goes then weighs on both alike.  Compare ratios
  from one run, not figures across machines or loads.
* With several clients, eventsim's store commits appends that arrive
  together in one transaction (group commit: one leader, one sync for all,
  see ``eventsim/stores/sql.py``; on PostgreSQL the whole transaction is
  sent in one round trip, see ``eventsim/stores/postgres.py``); the library
  commits each command in a transaction of its own, each waiting for its own
  sync.  With 1 client there is nothing to group: both wait for one sync per
  command, so the raw commit rate is a ceiling neither can pass; what
  separates them is the work each does per command besides that sync (the
  "share of raw commits/s" rows).  "appends per commit" says how many
  appends eventsim's commits held on average.
* SQLite: eventsim uses WAL + ``synchronous=NORMAL`` by default, the
  library WAL + ``synchronous=FULL`` (an fsync per commit).  The command rows
  with a goal run both with FULL, like for like; the rows "eventsim's default"
  show eventsim with NORMAL against the library with FULL, for information.
  FULL is fsync-bound, so those rows run the first ``--full-orders`` orders
  only (default 2,000).
* PostgreSQL: both take ``LOCK TABLE ... IN EXCLUSIVE MODE`` per append and
  commit with ``synchronous_commit = on``, in fresh schemas on one server.
  Without ``--postgres``, a throwaway server is started (as in the tests)
  and stopped at the end.
* Rebuild and replay read what the 1-client command run wrote.  The rebuild
  uses a new ``Shop`` for each part, so its state cache holds nothing yet:
  every order is read back.
"""
from __future__ import annotations

import argparse
import importlib.util
import os
import platform
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from importlib.metadata import version
from pathlib import Path
from typing import Any

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
from eventsim.shop import Shop
from eventsim.shop.read_models import orders_projection
from eventsim.stores import PostgresEventStore, SQLiteEventStore

ROOT = Path(__file__).resolve().parents[1]
GOAL = 2  # eventsim at least 2x the library, on each backend
SHARE_GOAL = 0.7  # 1 client: at least 70% of the same disk's raw commit rate (issue 27: judged against the disk)
TURNS = 4  # each figure's work is done in this many parts, the libraries taking turns
PAGE = 1_000  # events per read when replaying, in both libraries


def wall(work: Callable[[], object]) -> float:
    start = time.perf_counter()
    work()
    return time.perf_counter() - start


def in_turns(ours: Callable[[int], float], theirs: Callable[[int], float]) -> tuple[float, float, float]:
    """The wall seconds each library took for all its parts, done in turns (ours 0, theirs 0, ours 1, ...),
    and the ratio of their CPU seconds in this process (theirs / ours: above 1, eventsim used less)."""
    seconds, cpu = [0.0, 0.0], [0.0, 0.0]
    for part in range(TURNS):
        for side, work in enumerate((ours, theirs)):
            start = time.process_time()
            seconds[side] += work(part)
            cpu[side] += time.process_time() - start
    return seconds[0], seconds[1], cpu[1] / cpu[0]


def part_of(items: Sequence[Any], part: int, per: int = 1) -> Sequence[Any]:
    """The ``part``-th of ``TURNS`` slices of ``items``, cut between groups of ``per`` (an order's commands)."""
    groups = len(items) // per
    return items[per * (groups * part // TURNS) : per * (groups * (part + 1) // TURNS)]


def in_clients(commands: Sequence[Any], send: Callable[[Any], object], clients: int) -> float:
    """The seconds ``clients`` threads take to send ``commands`` at once, each the commands of its own
    slice of the orders (three commands per order, in order)."""
    failures: list[BaseException] = []

    def client(mine: Sequence[Any]) -> None:
        try:
            for command in mine:
                send(command)
        except BaseException as error:  # raised below: the benchmark stops
            failures.append(error)

    threads = [threading.Thread(target=client, args=(part,))
               for part in (slice_of(commands, k, clients) for k in range(clients))]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - start
    if failures:
        raise failures[0]
    return elapsed


def slice_of(commands: Sequence[Any], k: int, clients: int) -> Sequence[Any]:
    orders = len(commands) // 3
    return commands[3 * (orders * k // clients) : 3 * (orders * (k + 1) // clients)]


# --- the three figures, for both libraries ----------------------------------------

def commands_per_second(store, app: OrderApp, orders: int, clients: int) -> tuple[float, float, float, float]:
    """Commands/s of eventsim's shop on ``store`` and of the library's ``app``, the CPU ratio, and
    eventsim's appends per commit."""
    ours, theirs = list(eventsim_commands(orders)), list(eventsourcing_commands(orders))
    shop = Shop(store, ids=SeededIds(1))  # one shop, one store object: shared by the clients, as in a web server
    commits = store.commits
    ours_seconds, theirs_seconds, cpu = in_turns(
        lambda part: in_clients(part_of(ours, part, 3), shop.handle, clients),
        lambda part: in_clients(part_of(theirs, part, 3), lambda c: c[0](app, c[1], c[2]), clients),
    )
    check("the events eventsim recorded", len(store), 3 * orders)
    check("the events the library recorded", app.recorder.max_notification_id(), 3 * orders)
    return len(ours) / ours_seconds, len(theirs) / theirs_seconds, cpu, len(ours) / (store.commits - commits)


def rebuilds_per_second(store, app: OrderApp, orders: int) -> tuple[float, float, float]:
    ours = [order_id for order_id, _, _ in workload(orders)]
    theirs = [Order.create_id(order_id) for order_id in ours]

    def rebuild_ours(part: int) -> float:
        shop = Shop(store)  # a new shop: its state cache is empty, so every order is read and folded
        return wall(lambda: [shop.state(order_id) for order_id in part_of(ours, part)])

    ours_seconds, theirs_seconds, cpu = in_turns(
        rebuild_ours, lambda part: wall(lambda: [app.repository.get(order_id) for order_id in part_of(theirs, part)]))
    check("the last order's status", Shop(store).state(ours[-1]).status, "paid, refund requested")
    return orders / ours_seconds, orders / theirs_seconds, cpu


def catch_up_in_pages(runner: ProjectionRunner) -> None:
    """Catch the runner up ``PAGE`` events at a time, until a page finds nothing more."""
    while runner.catch_up(PAGE):
        pass


def replays_per_second(store, app: OrderApp, orders: int) -> tuple[float, float, float]:
    """Events/s replayed from the first event into the orders read model: one whole replay per part."""
    def replay_ours(part: int) -> float:
        runner = ProjectionRunner(store, orders_projection)
        seconds = wall(lambda: catch_up_in_pages(runner))
        check("the orders read model's net total", sum(row.net for row in runner.state.values()),
              expected_net(orders))
        return seconds

    def replay_theirs(part: int) -> float:
        rows: dict = {}
        seconds = wall(lambda: rows.update(project_orders(app, PAGE)))
        check("the library's orders read model net total",
              sum(row["paid"] - row["refunded"] for row in rows.values()), expected_net(orders))
        return seconds

    ours_seconds, theirs_seconds, cpu = in_turns(replay_ours, replay_theirs)
    return TURNS * 3 * orders / ours_seconds, TURNS * 3 * orders / theirs_seconds, cpu


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

def sqlite_run(orders: int, full_orders: int, clients: int, folder: Path) -> list[tuple]:
    raw: dict[str, list[float]] = {"NORMAL": [], "FULL": []}

    def sample_raw() -> None:  # the disk's sync cost moves with the machine's load: sample it throughout
        for synchronous, samples in raw.items():
            samples.append(sqlite_commits_per_second(folder / f"raw-{synchronous}.db", synchronous))

    def stores(name: str, synchronous: str) -> tuple[SQLiteEventStore, OrderApp]:
        """eventsim's store with ``synchronous`` and the library's application (always FULL) on new files."""
        return (SQLiteEventStore(folder / f"eventsim-{name}.db", clock=SimulatedClock(), ids=SeededIds(0),
                                 synchronous=synchronous),
                OrderApp(env={"PERSISTENCE_MODULE": "eventsourcing.sqlite",
                              "SQLITE_DBNAME": str(folder / f"eventsourcing-{name}.db")}))

    sample_raw()
    print(f"SQLite: {orders:,} orders, eventsim's default (NORMAL) and the library's (FULL), 1 client ...",
          flush=True)
    store, app = stores("default", "NORMAL")
    default = commands_per_second(store, app, orders, 1)
    print(f"SQLite: {orders:,} orders rebuilt and replayed ...", flush=True)
    rebuild = rebuilds_per_second(store, app, orders)
    replay = replays_per_second(store, app, orders)
    print(f"SQLite: {orders:,} orders, eventsim's default and the library's, {clients} clients ...", flush=True)
    default_many = commands_per_second(*stores(f"default-{clients}", "NORMAL"), orders, clients)
    sample_raw()
    print(f"SQLite: {full_orders:,} orders, both synchronous=FULL, 1 and {clients} clients ...", flush=True)
    full = commands_per_second(*stores("full", "FULL"), full_orders, 1)
    full_many = commands_per_second(*stores(f"full-{clients}", "FULL"), full_orders, clients)
    sample_raw()
    raw_normal, raw_full = statistics.median(raw["NORMAL"]), statistics.median(raw["FULL"])
    return [
        ("SQLite", f"commands/s, 1 client, both FULL ({full_orders:,} orders)", *full[:3], None),
        ("SQLite", f"commands/s, {clients} clients, both FULL ({full_orders:,} orders)", *full_many[:3], GOAL),
        ("SQLite", "commands/s, 1 client, eventsim's default NORMAL vs FULL", *default[:3], None),
        ("SQLite", f"commands/s, {clients} clients, eventsim's default NORMAL vs FULL", *default_many[:3], None),
        ("SQLite", "aggregates rebuilt/s", *rebuild, GOAL),
        ("SQLite", "events/s replayed into the orders read model", *replay, GOAL),
        ("SQLite", f"raw single-row commits/s, NORMAL ({spread(raw['NORMAL'])})", raw_normal, None, None, None),
        ("SQLite", f"raw single-row commits/s, FULL ({spread(raw['FULL'])})", raw_full, None, None, None),
        ("SQLite", "commands/s as a share of raw commits/s, FULL, 1 client",
         full[0] / raw_full, full[1] / raw_full, None, SHARE_GOAL),
        ("SQLite", f"commands/s as a share of raw commits/s, FULL, {clients} clients "
         f"({full_many[3]:.1f} appends per commit)", full_many[0] / raw_full, full_many[1] / raw_full, None, None),
    ]


def postgres_run(url: str, orders: int, clients: int) -> list[tuple]:
    parts = psycopg.conninfo.conninfo_to_dict(url)
    schemas = [f"bench_{who}_{name}" for who in ("eventsim", "eventsourcing") for name in ("default", "many")]
    with psycopg.connect(url, autocommit=True) as connection:
        for schema in ["bench_raw", *schemas]:
            connection.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
            connection.execute(f"CREATE SCHEMA {schema}")

    def stores(name: str) -> tuple[PostgresEventStore, OrderApp]:
        """eventsim's store and the library's application, each in a new schema of its own."""
        return (PostgresEventStore(psycopg.conninfo.make_conninfo(url, options=f"-csearch_path=bench_eventsim_{name}"),
                                   clock=SimulatedClock(), ids=SeededIds(0)),
                OrderApp(env={
                    "PERSISTENCE_MODULE": "eventsourcing.postgres", "POSTGRES_DBNAME": parts.get("dbname", "postgres"),
                    "POSTGRES_HOST": parts.get("host", "127.0.0.1"), "POSTGRES_PORT": str(parts.get("port", 5432)),
                    "POSTGRES_USER": parts.get("user", "postgres"),
                    "POSTGRES_PASSWORD": parts.get("password", "unused"),
                    "POSTGRES_SCHEMA": f"bench_eventsourcing_{name}", "POSTGRES_POOL_SIZE": str(clients)}))

    raw_url = psycopg.conninfo.make_conninfo(url, options="-csearch_path=bench_raw")
    raw = [postgres_commits_per_second(raw_url)]
    print(f"PostgreSQL: {orders:,} orders, 1 client ...", flush=True)
    store, app = stores("default")
    one = commands_per_second(store, app, orders, 1)
    print(f"PostgreSQL: {orders:,} orders rebuilt and replayed ...", flush=True)
    rebuild = rebuilds_per_second(store, app, orders)
    replay = replays_per_second(store, app, orders)
    raw.append(postgres_commits_per_second(raw_url))
    print(f"PostgreSQL: {orders:,} orders, {clients} clients ...", flush=True)
    many = commands_per_second(*stores("many"), orders, clients)
    raw.append(postgres_commits_per_second(raw_url))
    raw_rate = statistics.median(raw)
    return [
        ("PostgreSQL", "commands/s, 1 client", *one[:3], None),
        ("PostgreSQL", f"commands/s, {clients} clients", *many[:3], GOAL),
        ("PostgreSQL", "aggregates rebuilt/s", *rebuild, GOAL),
        ("PostgreSQL", "events/s replayed into the orders read model", *replay, GOAL),
        ("PostgreSQL", f"raw single-row commits/s, synchronous_commit on ({spread(raw)})", raw_rate, None, None, None),
        ("PostgreSQL", "commands/s as a share of raw commits/s, 1 client", one[0] / raw_rate, one[1] / raw_rate,
         None, SHARE_GOAL),
        ("PostgreSQL", f"commands/s as a share of raw commits/s, {clients} clients ({many[3]:.1f} appends"
         " per commit)", many[0] / raw_rate, many[1] / raw_rate, None, None),
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
    table = [("database", "figure", "eventsim", "eventsourcing", "ratio", "goal", "CPU ratio")]
    for database, label, ours, theirs, cpu, goal in rows:
        share = "share" in label
        text = (lambda v: f"{v:.0%}") if share else (lambda v: f"{v:,.0f}")
        ratio = f"{ours / theirs:.2f}x" if theirs and not share else "-"
        if goal is None:
            verdict = "-"
        elif share:  # against the disk's raw commit rate
            verdict = f"{'PASS' if ours >= goal else 'MISS'} >= {goal:.0%}"
        else:  # against the library
            verdict = f"{'PASS' if ours >= goal * theirs else 'MISS'} >= {goal}x"
        table.append((database, label, text(ours), text(theirs) if theirs is not None else "-", ratio, verdict,
                      f"{cpu:.2f}x" if cpu else "-"))
    widths = [max(len(row[i]) for row in table) for i in range(7)]
    for row in table:
        print("  ".join([row[0].ljust(widths[0]), row[1].ljust(widths[1])]
                        + [cell.rjust(width) for cell, width in zip(row[2:], widths[2:])]).rstrip())
    print(f"goals: at least {GOAL}x the library; 1 client: at least {SHARE_GOAL:.0%} of the disk's raw commit rate,\n"
          "measured in this run (issue 27: both wait for one sync per command, so the disk is the yardstick).\n"
          "ratio = eventsim / eventsourcing, in wall-clock time (the figures); CPU ratio = the library's CPU seconds\n"
          "in this process / eventsim's (PostgreSQL's own work is not in it), less disturbed by a busy machine.\n"
          "Raw commits: one row per transaction, the same settings, this run.  1 client, FULL or PostgreSQL: every\n"
          "command waits for its own commit's sync, in both libraries (NORMAL does not sync at commit).  N clients:\n"
          "eventsim's store commits the appends that wait together in one transaction (group commit); the library\n"
          "commits each command on its own.")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orders", type=positive_int, default=20_000, help="orders in the workload (20,000)")
    parser.add_argument("--full-orders", type=positive_int, default=2_000,
                        help="orders for the SQLite synchronous=FULL row (2,000)")
    parser.add_argument("--clients", type=positive_int, default=8,
                        help="threads sending commands at once in the concurrent rows (8)")
    parser.add_argument("--postgres", metavar="URL", help="a PostgreSQL server to use (default: start one)")
    parser.add_argument("--skip-postgres", action="store_true", help="SQLite only")
    args = parser.parse_args()
    if Aggregate is None:
        raise SystemExit("eventsourcing is not installed: .venv/bin/pip install -e '.[bench]'")
    if not args.skip_postgres and importlib.util.find_spec("psycopg_pool") is None:  # say so now, not after SQLite
        raise SystemExit(
            "eventsourcing's PostgreSQL persistence needs psycopg_pool: .venv/bin/pip install -e '.[bench]' "
            "(or run with --skip-postgres)"
        )
    full_orders = min(args.full_orders, args.orders)
    print(f"eventsim stores vs eventsourcing {version('eventsourcing')}: {args.orders:,} orders x (place, pay, "
          f"partial refund); psycopg {version('psycopg')}, SQLite {__import__('sqlite3').sqlite_version}")
    print(f"Python {platform.python_version()} on {os.cpu_count()} CPU(s), load average "
          f"{os.getloadavg()[0]:.1f} at start")
    rows = []
    with tempfile.TemporaryDirectory(prefix="eventsim-bench-") as folder:
        rows += sqlite_run(args.orders, full_orders, args.clients, Path(folder))
    if not args.skip_postgres:
        server = None if args.postgres else throwaway_postgres()
        try:
            rows += postgres_run(args.postgres or server.url, args.orders, args.clients)
        finally:
            if server is not None:
                server.stop()
                server.remove()
    print()
    report(rows)
    print(f"load average {os.getloadavg()[0]:.1f} at end")


if __name__ == "__main__":
    main()
