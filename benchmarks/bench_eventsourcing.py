"""eventsim against the ``eventsourcing`` library: one workload, one process, one machine.

    .venv/bin/python benchmarks/bench_eventsourcing.py            # 20,000 orders, median of 5 runs
    .venv/bin/python benchmarks/bench_eventsourcing.py --quick    # smoke run: 1,000 orders, 1 run
    .venv/bin/python benchmarks/bench_eventsourcing.py --profile  # also: where eventsim's time and bytes go

The workload: ``--orders`` orders, each placed, paid and partly refunded, so
three commands and three events per order.  For each library it measures

1. commands/s on the command side: ``Shop.handle(PlaceOrder | PayOrder |
   RequestRefund)``; for eventsourcing, an application method that gets the
   ``Order`` aggregate from the repository, calls a method and saves it;
2. aggregates rebuilt/s: read each order's events and fold them into its
   state: ``fold(store.read_stream(...))`` (not ``Shop.state``, which caches); ``app.repository.get(order_uuid)``;
3. events/s replayed into an orders read model, from the first event:
   ``ProjectionRunner(store, orders_projection).catch_up()``; for
   eventsourcing, ``app.recorder.select_notifications`` in pages of 1,000
   (the notification log's own sections hold only 10), each notification
   mapped back to its domain event and applied to a dict of rows;
4. bytes retained per event: memory still allocated (tracemalloc) after the
   workload, divided by the number of events.

Figures 1-3 are medians of ``--runs`` runs, timed in CPU seconds of this
process (``time.process_time``: on an idle machine it agrees with the wall
clock, on a busy one it is disturbed less); the runs alternate between the
libraries so that a busy machine slows both alike.  Figure 4 comes from one
more run under tracemalloc, which is slow (eventsourcing takes about a minute).
A ``--quick`` run is a smoke test: its figures are too small to quote.

Like for like, and where it is not -- read this before quoting a ratio:

* Both use their default in-memory store, no snapshots and no caching:
  every command and every rebuild reads the order's whole history.
* The eventsourcing ``Order`` enforces the same rules as eventsim's decider
  for these three commands (positive amounts with at most two decimal
  places, pay once and exactly the amount, refunds never above the payment,
  refund ids ``<order id>-R<n>``, an order id is placed once).
* eventsim's in-memory store keeps the event objects themselves.  The
  eventsourcing POPO recorder keeps each event as JSON bytes (its default
  transcoder) and decodes them on every read, so that an SQLite or
  PostgreSQL recorder can replace it without a code change.  That
  decoding is most of the rebuild and replay gap, and the reason its events
  are small in memory.
* eventsim's ``Shop`` does work that the eventsourcing application here does
  not: it gives each command a fresh id (a uuid4 string, with ``Shop()``'s
  default ``random_ids``), records correlation and causation ids, and checks
  whether a command is a retry.  The headline command figure uses ``Shop()``
  as users get it; the row below it uses ``SeededIds`` and a
  ``SimulatedClock`` (the deterministic set-up of the notebooks and tests),
  as do the rebuild, replay and memory figures.
* A client sends one order id string and one amount object for the order's
  three commands, as a client holding an order would.
"""
from __future__ import annotations

import argparse
import cProfile
import dataclasses
import gc
import os
import platform
import pstats
import statistics
import sys
import time
import tracemalloc
from collections import Counter
from decimal import Decimal
from importlib.metadata import version
from pathlib import Path
from typing import Callable, Iterator
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsim.clock import SimulatedClock
from eventsim.commands import Command, PayOrder, PlaceOrder, RequestRefund
from eventsim.ids import SeededIds
from eventsim.money import to_money
from eventsim.projections import ProjectionRunner
from eventsim.read_models import orders_projection
from eventsim.order import fold
from eventsim.shop import Shop, stream_for
from eventsim.store import InMemoryEventStore

try:
    from eventsourcing.application import Application
    from eventsourcing.domain import Aggregate, event
except ImportError:  # the eventsim figures still print
    Aggregate = None

INSTALL_HINT = ("eventsourcing is not installed, so there is nothing to compare with. It is a dependency of\n"
                "eventsim: reinstall with  .venv/bin/pip install -e .")

COMMANDS_TARGET = 3          # x eventsourcing
REBUILD_TARGET = 10          # x eventsourcing
REPLAY_TARGET = 1_000_000    # events/s
BYTES_TARGET = 300           # bytes per event


# --- the workload ----------------------------------------------------------

def workload(orders: int) -> Iterator[tuple[str, Decimal, Decimal]]:
    """(order id, amount, refund) per order: amounts 10.00 to 99.99, a quarter refunded."""
    for i in range(orders):
        cents = 1_000 + i % 9_000
        yield f"O{i:06d}", Decimal(cents).scaleb(-2), Decimal(cents // 4).scaleb(-2)


def expected_net(orders: int) -> Decimal:
    """What every orders read model must add up to: paid minus refunded."""
    return sum((amount - refund for _, amount, refund in workload(orders)), Decimal(0))


def timed(work: Callable[[], object]) -> float:
    """CPU seconds of this process: other programs on a busy machine disturb it less than the wall clock."""
    gc.collect()  # start each measurement with no garbage left by the one before
    start = time.process_time()
    work()
    return time.process_time() - start


def check(what: str, got: object, expected: object) -> None:
    """The workload did what the figures claim, or the benchmark stops."""
    if got != expected:
        raise SystemExit(f"benchmark broken: {what} is {got!r}, expected {expected!r}")


# --- eventsim --------------------------------------------------------------

def seeded_shop() -> Shop:
    return Shop(clock=SimulatedClock(), ids=SeededIds(0))


def eventsim_commands(orders: int) -> Iterator[Command]:
    for order_id, amount, refund in workload(orders):
        yield PlaceOrder(order_id, amount)
        yield PayOrder(order_id, amount)
        yield RequestRefund(order_id, refund)


def handle_all(shop: Shop, commands: list[Command]) -> None:
    for command in commands:
        shop.handle(command)


def rebuild_all(shop: Shop, order_ids: list[str]) -> None:
    """Fold each order's whole stream: ``Shop.state`` would answer from its cache of states."""
    for order_id in order_ids:
        fold(r.event for r in shop.store.read_stream(stream_for(order_id)))


def fill_eventsim(orders: int) -> InMemoryEventStore:
    """A store holding the workload's events; the commands are garbage once handled."""
    shop = seeded_shop()
    for command in eventsim_commands(orders):
        shop.handle(command)
    return shop.store


def eventsim_run(orders: int) -> dict[str, float]:
    commands = list(eventsim_commands(orders))
    order_ids = [order_id for order_id, _, _ in workload(orders)]
    figures = {"commands": len(commands) / timed(lambda: handle_all(Shop(), commands))}

    shop = seeded_shop()
    figures["commands seeded"] = len(commands) / timed(lambda: handle_all(shop, commands))
    figures["rebuild"] = orders / timed(lambda: rebuild_all(shop, order_ids))
    check("the last order's status", shop.state(order_ids[-1]).status, "paid, refund requested")

    runner = ProjectionRunner(shop.store, orders_projection)
    figures["replay"] = len(shop.store) / timed(runner.catch_up)
    check("the orders read model's net total", sum(row.net for row in runner.state.values()),
          expected_net(orders))

    def bare_loop() -> None:  # the floor under any projection: visit each event, store one entry
        rows = {}
        for recorded in shop.store.read_all():
            rows[recorded.event.order_id] = recorded
    figures["bare loop"] = len(shop.store) / timed(bare_loop)
    return figures


# --- eventsourcing ---------------------------------------------------------

def positive_money(amount: Decimal) -> Decimal:
    """The same check as eventsim's decider: a Decimal with at most two places, above zero."""
    amount = to_money(amount)
    if amount <= 0:
        raise ValueError(f"amount {amount} is not positive")
    return amount


if Aggregate is not None:
    class Order(Aggregate):
        """eventsim's rules for placing, paying and refunding, as an eventsourcing aggregate.

        Public methods check the rules; the ``@event`` methods only change
        state, because eventsourcing runs their bodies again on every rebuild.
        """

        @staticmethod
        def create_id(order_id: str) -> UUID:
            """One aggregate id per order id, as eventsim's ``stream_for`` gives one stream per order."""
            return uuid5(NAMESPACE_URL, f"/orders/{order_id}")

        @event("Placed")
        def __init__(self, order_id: str, amount: Decimal):
            self.order_id = order_id
            self.amount = amount
            self.paid = Decimal(0)
            self.refunds: dict[str, Decimal] = {}

        def pay(self, amount: Decimal) -> None:
            if self.paid:
                raise ValueError(f"order {self.order_id} is already paid")
            if positive_money(amount) != self.amount:
                raise ValueError(f"order {self.order_id}: paid {amount} but the order is for {self.amount}")
            self._paid()

        @event("Paid")
        def _paid(self) -> None:
            self.paid = self.amount

        def request_refund(self, amount: Decimal) -> None:
            if not self.paid:
                raise ValueError(f"order {self.order_id}: cannot refund an unpaid order")
            amount = positive_money(amount)
            if sum(self.refunds.values(), Decimal(0)) + amount > self.paid:
                raise ValueError(f"order {self.order_id}: refunds would exceed the payment")
            self._refund_created(f"{self.order_id}-R{len(self.refunds) + 1}", amount)

        @event("RefundCreated")
        def _refund_created(self, refund_id: str, amount: Decimal) -> None:
            self.refunds[refund_id] = amount

    class OrderApp(Application):
        """The command side: get the aggregate, call one method, save its new events."""

        def place_order(self, order_id: str, amount: Decimal) -> None:
            self.save(Order(order_id, positive_money(amount)))  # saving a second Placed fails

        def pay_order(self, order_id: str, amount: Decimal) -> None:
            order = self.repository.get(Order.create_id(order_id))
            order.pay(amount)
            self.save(order)

        def request_refund(self, order_id: str, amount: Decimal) -> None:
            order = self.repository.get(Order.create_id(order_id))
            order.request_refund(amount)
            self.save(order)


def new_app() -> OrderApp:
    return OrderApp(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})  # in memory, whatever the shell says


def eventsourcing_commands(orders: int) -> Iterator[tuple[Callable, str, Decimal]]:
    for order_id, amount, refund in workload(orders):
        yield OrderApp.place_order, order_id, amount
        yield OrderApp.pay_order, order_id, amount
        yield OrderApp.request_refund, order_id, refund


def project_orders(app: OrderApp, page: int = 1_000) -> dict[UUID, dict]:
    """The orders read model from the application's notifications: one dict row per order."""
    rows: dict[UUID, dict] = {}
    to_domain_event = app.mapper.to_domain_event
    start = 1
    while notifications := app.recorder.select_notifications(start, page):
        for notification in notifications:
            domain_event = to_domain_event(notification)
            kind = type(domain_event)
            if kind is Order.Placed:
                row = rows[domain_event.originator_id] = {
                    "order_id": domain_event.order_id, "amount": domain_event.amount, "paid": Decimal(0),
                    "refunded": Decimal(0), "events": 0, "created_at": domain_event.timestamp}
            else:
                row = rows[domain_event.originator_id]
                if kind is Order.Paid:
                    row["paid"] = row["amount"]
                elif kind is Order.RefundCreated:
                    row["refunded"] += domain_event.amount
            row["events"] += 1
            row["last_version"] = domain_event.originator_version
            row["updated_at"] = domain_event.timestamp
        start = notifications[-1].id + 1
    return rows


def fill_eventsourcing(orders: int) -> OrderApp:
    app = new_app()
    for method, order_id, amount in eventsourcing_commands(orders):
        method(app, order_id, amount)
    return app


def eventsourcing_run(orders: int) -> dict[str, float]:
    commands = list(eventsourcing_commands(orders))
    order_ids = [Order.create_id(order_id) for order_id, _, _ in workload(orders)]
    app = new_app()

    def handle() -> None:
        for method, order_id, amount in commands:
            method(app, order_id, amount)

    def rebuild() -> None:
        for order_id in order_ids:
            app.repository.get(order_id)

    figures = {"commands": len(commands) / timed(handle), "rebuild": orders / timed(rebuild)}
    last_id, _, last_refund = list(workload(orders))[-1]
    check("the last order's refunds", app.repository.get(order_ids[-1]).refunds,
          {f"{last_id}-R1": last_refund})
    events = app.recorder.max_notification_id()
    rows: dict = {}
    figures["replay"] = events / timed(lambda: rows.update(project_orders(app)))
    check("the orders read model's net total", sum(row["paid"] - row["refunded"] for row in rows.values()),
          expected_net(orders))
    return figures


# --- memory ----------------------------------------------------------------

def retained_bytes_per_event(fill: Callable[[int], object], count_events: Callable[[object], int],
                             orders: int) -> float:
    """Bytes still allocated after ``fill(orders)``, per event, by tracemalloc."""
    fill(10)  # first-use caches (types, topics, loggers) belong to the process, not to the store
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        store = fill(orders)
        gc.collect()
        retained = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    return retained / count_events(store)


# --- the table -------------------------------------------------------------

#: label, figure, target: (compared, operator, limit) or None for a row that only informs.
ROWS = [
    ("commands/s, Shop() (uuid4 ids, system clock)", "commands", ("ratio", ">=", COMMANDS_TARGET)),
    ("commands/s, seeded ids + simulated clock", "commands seeded", None),
    ("aggregates rebuilt/s", "rebuild", ("ratio", ">=", REBUILD_TARGET)),
    ("events/s, replay into the orders read model", "replay", ("eventsim", ">=", REPLAY_TARGET)),
    ("events/s, bare loop over read_all (for scale)", "bare loop", None),
    ("bytes retained per event (tracemalloc)", "bytes", ("eventsim", "<=", BYTES_TARGET)),
]


def medians(runs: list[dict[str, float]]) -> dict[str, tuple[float, float]]:
    """Figure -> (median, half the range of the runs as a fraction of it: how far to trust it)."""
    result = {}
    for key in runs[0]:
        values = [run[key] for run in runs]
        middle = statistics.median(values)
        result[key] = middle, (max(values) - min(values)) / 2 / middle
    return result


def cell(figure: tuple[float, float] | None) -> str:
    if figure is None:
        return "-"
    value, spread = figure
    return f"{value:,.0f}" + (f" ±{spread:.0%}" if spread >= 0.005 else "")


def report(ours: dict[str, tuple[float, float]], theirs: dict[str, tuple[float, float]]) -> None:
    table = [("figure", "eventsim", "eventsourcing", "ratio", "target", "result")]
    for label, key, target in ROWS:
        ratio = ours[key][0] / theirs[key][0] if key in theirs else None
        target_text = result = ""
        if target:
            compared, operator, limit = target
            value = ratio if compared == "ratio" else ours[key][0]
            target_text = f"{operator} {limit:,}" + ("x" if compared == "ratio" else "")
            passed = None if value is None else value >= limit if operator == ">=" else value <= limit
            result = "n/a" if passed is None else "PASS" if passed else "MISS"
        table.append((label, cell(ours[key]), cell(theirs.get(key)), f"{ratio:.2f}x" if ratio else "-",
                      target_text, result))
    widths = [max(len(row[i]) for row in table) for i in range(len(table[0]))]
    for row in table:
        cells = [row[0].ljust(widths[0])] + [text.rjust(width) for text, width in zip(row[1:], widths[1:])]
        print("  ".join(cells).rstrip())
    print("ratio = eventsim / eventsourcing (for bytes, lower is better); ± = half the range of the runs")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orders", type=positive_int, help="orders in the workload (default 20,000)")
    parser.add_argument("--runs", type=positive_int, help="runs per library; figures are medians (default 5)")
    parser.add_argument("--quick", action="store_true", help="smoke run: 1,000 orders, 1 run")
    parser.add_argument("--profile", action="store_true",
                        help="also profile eventsim: cProfile per phase, tracemalloc by line, bytes by part")
    args = parser.parse_args()
    orders = args.orders or (1_000 if args.quick else 20_000)
    runs = args.runs or (1 if args.quick else 5)

    theirs_version = version("eventsourcing") if Aggregate is not None else "(not installed)"
    print(f"eventsim vs eventsourcing {theirs_version}: {orders:,} orders x "
          f"(place, pay, partial refund) = {3 * orders:,} commands and events; median of {runs} run(s)")
    print(f"Python {platform.python_version()} on {os.cpu_count()} CPU(s), load average "
          f"{os.getloadavg()[0]:.1f} at start; command: {' '.join([Path(sys.executable).name, *sys.argv])}")
    print()

    ours: list[dict] = []
    theirs: list[dict] = []
    for _ in range(runs):
        ours.append(eventsim_run(orders))
        if Aggregate is not None:
            theirs.append(eventsourcing_run(orders))
    ours_figures = medians(ours)
    ours_figures["bytes"] = retained_bytes_per_event(fill_eventsim, len, orders), 0
    theirs_figures = medians(theirs) if theirs else {}
    if theirs:
        theirs_figures["bytes"] = retained_bytes_per_event(
            fill_eventsourcing, lambda app: app.recorder.max_notification_id(), orders), 0
    report(ours_figures, theirs_figures)
    print(f"load average {os.getloadavg()[0]:.1f} at end")
    if not theirs:
        print()
        print(INSTALL_HINT)
    if args.profile:
        profile_eventsim(orders)


def positive_int(text: str) -> int:
    value = int(text.replace(",", "").replace("_", ""))
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, not {value}")
    return value


# --- profiling -------------------------------------------------------------

def profile_eventsim(orders: int) -> None:
    """Where eventsim spends its time (cProfile) and its bytes (tracemalloc, and by part)."""
    commands = list(eventsim_commands(orders))
    order_ids = [order_id for order_id, _, _ in workload(orders)]
    shop = Shop()
    print_profile("command path: Shop().handle", lambda: handle_all(shop, commands))
    print_profile("rebuild: fold each stream", lambda: rebuild_all(shop, order_ids))
    print_profile("replay: ProjectionRunner(store, orders_projection).catch_up",
                  lambda: ProjectionRunner(shop.store, orders_projection).catch_up())

    fill_eventsim(10)
    gc.collect()
    tracemalloc.start()
    store = fill_eventsim(orders)
    gc.collect()
    snapshot = tracemalloc.take_snapshot()
    tracemalloc.stop()
    print(f"\n== memory still allocated after the workload, by line ({len(store):,} events)")
    for stat in snapshot.statistics("lineno")[:12]:
        frame = stat.traceback[0]
        print(f"{stat.size / len(store):7.1f} B/event  {stat.count:>8,} blocks  "
              f"{short_path(frame.filename)}:{frame.lineno}")
    print("\n== the store's bytes by part (sys.getsizeof, each object counted once)")
    parts = bytes_by_part(store)
    for part, size in parts.most_common():
        print(f"{size / len(store):7.1f} B/event  {part}")
    print(f"{sum(parts.values()) / len(store):7.1f} B/event  total")


def print_profile(title: str, work: Callable[[], object], lines: int = 10) -> None:
    profiler = cProfile.Profile()
    profiler.runcall(work)
    print(f"\n== {title} (cProfile, the {lines} functions with the most own time)")
    pstats.Stats(profiler, stream=sys.stdout).strip_dirs().sort_stats("tottime").print_stats(lines)


def short_path(filename: str) -> str:
    parts = Path(filename).parts
    return str(Path(*parts[-2:]))


def bytes_by_part(store: InMemoryEventStore) -> Counter[str]:
    """What the store's memory is made of.  Reads its private lists: this is a memory probe."""
    seen: set[int] = set()
    parts: Counter[str] = Counter()

    def add(part: str, obj: object) -> None:
        if obj is not None and id(obj) not in seen:  # shared objects are paid for once
            seen.add(id(obj))
            parts[part] += sys.getsizeof(obj)

    for recorded in store._log:
        add("RecordedEvent envelopes", recorded)
        add("position ints", recorded.position)
        add("event_id strings", recorded.event_id)
        add("causation_id strings (command ids)", recorded.causation_id)
        add("correlation_id strings", recorded.correlation_id)
        add("stream_id strings", recorded.stream_id)
        add("recorded_at ints", recorded.recorded_at)
        add("domain events", recorded.event)
        for field in dataclasses.fields(recorded.event):
            add("domain event fields (order ids, amounts, refund ids)", getattr(recorded.event, field.name))
    add("containers (log list, streams dict, stream lists)", store._log)
    add("containers (log list, streams dict, stream lists)", store._streams)
    for stream in store._streams.values():
        add("containers (log list, streams dict, stream lists)", stream)
    return parts


if __name__ == "__main__":
    main()
