"""Loading one long stream from SQLite: a full fold against a snapshot, eventsim beside ``eventsourcing``.

    .venv/bin/python benchmarks/bench_snapshots.py            # streams of 100, 1,000 and 10,000 events
    .venv/bin/python benchmarks/bench_snapshots.py --runs 9

Both libraries get the same stream: an order placed, paid, then refunded a
cent at a time, so its state grows with every event (a refund is state) —
the case where a snapshot helps least.  Each library keeps the stream in an
SQLite file and a snapshot taken at the stream's last version (the policy
"every 100 events" leaves it there for these lengths).  Timed: loading the
order without a snapshot and with one, best of ``--runs``, from a cold
repository (no cache).  eventsim's "full" is ``load_state`` with no snapshot
store; eventsourcing's is the same application on the same file with
snapshotting off.  Figures move with the machine's load: read the ratios.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

from eventsim.clock import SimulatedClock
from eventsim.ids import SeededIds
from eventsim.shop.commands import PayOrder, PlaceOrder, RequestRefund
from eventsim.shop.order import ORDERS, decide, evolve, initial_state
from eventsim.snapshots import Snapshots, SQLiteSnapshotStore, load_state
from eventsim.stores import SQLiteEventStore

sys.path.insert(0, str(Path(__file__).parent))
from bench_eventsourcing import INSTALL_HINT, Aggregate

if Aggregate is not None:
    from bench_eventsourcing import Order, OrderApp

LENGTHS = (100, 1_000, 10_000)


def best(runs: int, load: Callable[[], Any]) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        load()
        times.append(time.perf_counter() - start)
    return min(times)


def eventsim_times(folder: Path, length: int, runs: int) -> tuple[float, float]:
    path = folder / f"eventsim-{length}.db"
    store = SQLiteEventStore(path, clock=SimulatedClock(), ids=SeededIds(1))
    state, events = initial_state, []
    commands = [PlaceOrder("L", Decimal("1000.00")), PayOrder("L", Decimal("1000.00"))]
    commands += [RequestRefund("L", Decimal("0.01")) for _ in range(length - 2)]
    for command in commands:
        for event in decide(command, state):
            state = evolve(state, event)
            events.append(event)
    for start in range(0, len(events), 1_000):
        store.append("order-L", events[start:start + 1_000])
    snapshots = Snapshots(SQLiteSnapshotStore(path), every=100)
    snapshots.consider("order-L", state, len(events), ORDERS)
    full = best(runs, lambda: load_state(ORDERS, store, "order-L"))
    snapped = best(runs, lambda: load_state(ORDERS, store, "order-L", Snapshots(snapshots.store)))
    assert load_state(ORDERS, store, "order-L", Snapshots(snapshots.store)) == load_state(ORDERS, store, "order-L")
    store.close()
    return full, snapped


def eventsourcing_times(folder: Path, length: int, runs: int) -> tuple[float, float]:
    env = {"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": str(folder / f"es-{length}.db")}
    app = OrderApp(env={**env, "IS_SNAPSHOTTING_ENABLED": "y"})
    order = Order("L", Decimal("1000.00"))
    order.pay(Decimal("1000.00"))
    for n in range(length - 2):  # the event method itself: the rule's sum over all refunds would cost O(n²)
        order._refund_created(f"L-R{n + 1}", Decimal("0.01"))
    app.save(order)
    app.take_snapshot(order.id)
    plain = OrderApp(env=env)  # the same file, snapshots not used
    full = best(runs, lambda: plain.repository.get(order.id))
    snapped = best(runs, lambda: app.repository.get(order.id))
    assert app.repository.get(order.id).refunds == plain.repository.get(order.id).refunds
    return full, snapped


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    if Aggregate is None:
        print(INSTALL_HINT)
    print(f"{'events':>7} | {'eventsim full':>13} {'snapshot':>9} {'x':>5} | "
          f"{'eventsourcing full':>18} {'snapshot':>9} {'x':>5}   (ms, best of {args.runs})")
    with tempfile.TemporaryDirectory() as tmp:
        for length in LENGTHS:
            full, snapped = eventsim_times(Path(tmp), length, args.runs)
            line = f"{length:>7,} | {full * 1e3:>13.2f} {snapped * 1e3:>9.2f} {full / snapped:>5.1f} | "
            if Aggregate is not None:
                theirs_full, theirs_snapped = eventsourcing_times(Path(tmp), length, args.runs)
                line += f"{theirs_full * 1e3:>18.2f} {theirs_snapped * 1e3:>9.2f} {theirs_full / theirs_snapped:>5.1f}"
            print(line, flush=True)


if __name__ == "__main__":
    main()
