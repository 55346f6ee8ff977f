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
   state, with nothing kept from before or after:
   ``fold(r.event for r in store.read_stream(stream_for(order_id)))``, and
   ``app.repository.get(order_uuid)`` with no aggregate cache; below it, for
   information, ``Shop(store).state(order_id)`` on a new ``Shop``, which
   also keeps each state in its cache for the next command;
3. events/s replayed into an orders read model, from the first event:
   ``ProjectionRunner(store, orders_projection).catch_up()``; for
   eventsourcing, ``app.recorder.select_notifications`` in pages of 1,000
   (the notification log's own sections hold only 10), each notification
   mapped back to its domain event and applied to a dict of rows;
4. bytes per stored event, the same way for both: memory still allocated
   (tracemalloc) after the workload, with only the store kept (eventsim's
   ``shop.store``, eventsourcing's ``app.recorder``), divided by the number
   of events; the shop, the application and the commands are garbage by then;
5. the time of one command (a refund of 0.01) on one order whose stream
   already holds about 10, 1,000 and 10,000 events: the median of 11
   commands, each timed alone, in a stream built for each length.

Figures 1-3 and 5 are medians of ``--runs`` runs, timed in CPU seconds of
this process (``time.process_time``: on an idle machine it agrees with the
wall clock, on a busy one it is disturbed less); the runs alternate between
the libraries so that a busy machine slows both alike.  Figure 4 comes from
one more run under tracemalloc, which is slow.  A ``--quick`` run is a smoke
test: its figures are too small to quote.

Like for like, and where it is not -- read this before quoting a ratio:

* Both use their default in-memory store and no snapshots.  eventsim's
  ``Shop`` keeps each order's state at its version between commands (an
  in-memory snapshot, caught up by version), so a command reads only the
  events recorded since.  eventsourcing's repository has no cache by
  default: every command reads the order's whole history, which is why its
  time per command grows with the stream.  The row "eventsourcing with its
  aggregate cache" turns its cache on (``AGGREGATE_CACHE_MAXSIZE``, the same
  10,000 orders as the shop's; it fast-forwards like the shop, and deep-copies
  the cached aggregate, its default, because its aggregates are mutable).
  The rebuild figure uses no cache on either side: each reads an order's
  events, folds them, and keeps nothing, as eventsourcing's repository
  without a cache does.  The row below it is what a new ``Shop`` pays to
  rebuild each order *and* keep its state for the next command (a cache
  insertion, and an eviction once 10,000 are kept): work the library's
  repository does not do, so it has no goal of its own.
* The eventsourcing ``Order`` enforces the same rules as eventsim's decider
  for these three commands (positive amounts with at most two decimal
  places, pay once and exactly the amount, refunds never above the payment,
  refund ids ``R<n>`` within the order, an order id is placed once).
* eventsim's in-memory store keeps the event objects themselves.  The
  eventsourcing POPO recorder keeps each event as JSON bytes (its default
  transcoder) and decodes them on every read, so that an SQLite or
  PostgreSQL recorder can replace it without a code change.  That
  encoding and decoding is the reason its events are small in memory; by
  profile it is about three quarters of the library's time in the replay,
  so most of that gap, but only about a fifth of a rebuild's and a tenth
  of a command's: the rest of those gaps is the library's other work.
* eventsim's ``Shop`` does work that the eventsourcing application here does
  not: it gives each command a fresh id (a uuid4 string, with ``Shop()``'s
  default ``random_ids``) and records it, with a correlation id, as each
  event's causation: eventsim's bytes per event include those ids.  The
  workload's commands carry no command id of their own, as the library's
  have none: so no command is looked up as a possible retry, and no
  idempotency record (``CommandRecord``) is kept; a client that sends its
  own ids (the HTTP API's ``Idempotency-Key``) pays for both.
  The headline command figure uses ``Shop()`` as users get it; the row below
  it uses ``SeededIds`` and a ``SimulatedClock`` (the deterministic set-up of
  the notebooks and tests), as do the rebuild, replay, memory and stream figures.
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
from collections.abc import Callable, Iterator
from decimal import Decimal
from importlib.metadata import version
from pathlib import Path
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsim.clock import SimulatedClock
from eventsim.ids import SeededIds
from eventsim.money import to_money
from eventsim.projections import ProjectionRunner
from eventsim.shop import Shop
from eventsim.shop.commands import Command, PayOrder, PlaceOrder, RequestRefund
from eventsim.shop.order import fold
from eventsim.shop.read_models import orders_projection
from eventsim.shop.streams import stream_for
from eventsim.store import InMemoryEventStore

try:
    from eventsourcing.application import Application
    from eventsourcing.domain import Aggregate, event
except ImportError:  # the eventsim figures still print
    Aggregate = None

INSTALL_HINT = ("eventsourcing is not installed, so there is nothing to compare with. It is a dependency of\n"
                "eventsim: reinstall with  .venv/bin/pip install -e .")

COMMANDS_GOAL = 5            # commands/s: at least 5x eventsourcing's
REBUILD_GOAL = 10            # aggregates rebuilt/s: at least 10x eventsourcing's
REPLAY_GOAL = 1_000_000      # events/s into the orders read model
FLAT_GOAL = 1.5              # time per command on a long stream: at most 1.5x its time at 10 events
STREAM_LENGTHS = (10, 1_000, 10_000)  # events in one stream; --lengths changes them
TIMED_COMMANDS = 11          # per stream length; the median is kept
CACHE_SIZE = 10_000          # orders kept between commands: Shop()'s default cache_size
BIG = Decimal("1000000.00")  # an order that can take 10,000 refunds of 0.01
CENT = Decimal("0.01")


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


def rebuild_all(store: InMemoryEventStore, order_ids: list[str]) -> None:
    shop = Shop(store)  # a new shop: its state cache is empty, each state is folded from its stream
    for order_id in order_ids:
        shop.state(order_id)


def fold_all(store: InMemoryEventStore, order_ids: list[str]) -> None:
    for order_id in order_ids:  # the fold alone: nothing is kept, as eventsourcing's repository keeps nothing
        fold(recorded.event for recorded in store.read_stream(stream_for(order_id)))


def fill_eventsim(orders: int) -> InMemoryEventStore:
    """A store holding the workload's events; the commands are garbage once handled."""
    shop = seeded_shop()
    for command in eventsim_commands(orders):
        shop.handle(command)
    return shop.store


def eventsim_run(orders: int, lengths: tuple[int, ...]) -> dict[str, float]:
    commands = list(eventsim_commands(orders))
    order_ids = [order_id for order_id, _, _ in workload(orders)]
    figures = {"commands": len(commands) / timed(lambda: handle_all(Shop(), commands))}

    shop = seeded_shop()
    figures["commands seeded"] = len(commands) / timed(lambda: handle_all(shop, commands))
    figures["rebuild"] = orders / timed(lambda: fold_all(shop.store, order_ids))
    figures["rebuild and cache"] = orders / timed(lambda: rebuild_all(shop.store, order_ids))
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
    for length in lengths:
        figures[f"stream {length}"] = eventsim_command_time(length)
    return figures


def eventsim_command_time(length: int) -> float:
    """Microseconds for one refund on an order whose stream already holds ``length`` events."""
    shop = seeded_shop()
    shop.handle(PlaceOrder("LONG", BIG))
    shop.handle(PayOrder("LONG", BIG))
    for _ in range(length - 2):
        shop.handle(RequestRefund("LONG", CENT))
    refund = RequestRefund("LONG", CENT)
    return median_command_time(lambda: shop.handle(refund))


def median_command_time(command: Callable[[], object]) -> float:
    """The median CPU time of ``TIMED_COMMANDS`` commands, each timed alone, in microseconds."""
    gc.collect()
    times = []
    for _ in range(TIMED_COMMANDS):
        start = time.process_time()
        command()
        times.append(time.process_time() - start)
    return statistics.median(times) * 1e6


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
            self.refunded = Decimal(0)  # the refunds' total, kept as eventsim's state keeps it

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
            if self.refunded + amount > self.paid:
                raise ValueError(f"order {self.order_id}: refunds would exceed the payment")
            self._refund_created(f"R{len(self.refunds) + 1}", amount)

        @event("RefundCreated")
        def _refund_created(self, refund_id: str, amount: Decimal) -> None:
            self.refunds[refund_id] = amount
            self.refunded += amount

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


def new_app(*, cache: bool = False) -> OrderApp:
    """In memory, whatever the shell says; with ``cache``, its repository keeps ``CACHE_SIZE`` aggregates."""
    env = {"PERSISTENCE_MODULE": "eventsourcing.popo"}
    if cache:
        env["AGGREGATE_CACHE_MAXSIZE"] = str(CACHE_SIZE)
    return OrderApp(env=env)


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


def fill_eventsourcing(orders: int) -> object:
    """The application's recorder holding the workload's events; the application is garbage."""
    app = new_app()
    for method, order_id, amount in eventsourcing_commands(orders):
        method(app, order_id, amount)
    return app.recorder


def eventsourcing_run(orders: int, lengths: tuple[int, ...]) -> dict[str, float]:
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
    _, _, last_refund = list(workload(orders))[-1]
    check("the last order's refunds", app.repository.get(order_ids[-1]).refunds, {"R1": last_refund})
    events = app.recorder.max_notification_id()
    rows: dict = {}
    figures["replay"] = events / timed(lambda: rows.update(project_orders(app)))
    check("the orders read model's net total", sum(row["paid"] - row["refunded"] for row in rows.values()),
          expected_net(orders))

    cached = new_app(cache=True)
    figures["commands cached"] = len(commands) / timed(
        lambda: [method(cached, order_id, amount) for method, order_id, amount in commands])
    for length in lengths:
        figures[f"stream {length}"] = eventsourcing_command_time(length)
    return figures


def eventsourcing_command_time(length: int) -> float:
    """Microseconds for one refund on an order whose stream already holds ``length`` events."""
    app = new_app()
    order = Order("LONG", BIG)  # built in memory and saved once: building it command by command
    order.pay(BIG)              # would read the growing stream 10,000 times
    for _ in range(length - 2):
        order.request_refund(CENT)
    app.save(order)
    return median_command_time(lambda: app.request_refund("LONG", CENT))


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


def count_stored(recorder: object) -> int:
    return recorder.max_notification_id()


# --- the table -------------------------------------------------------------

def table_rows(lengths: tuple[int, ...]) -> list[tuple[str, str, str, str | None, float | None]]:
    """Label, figure key, how to print it, the rule its goal follows and the goal."""
    return [
        ("commands/s, Shop() (uuid4 ids, system clock)", "commands", "{:,.0f}", "ratio at least", COMMANDS_GOAL),
        ("commands/s, seeded ids + simulated clock", "commands seeded", "{:,.0f}", None, None),
        ("commands/s, eventsourcing with its aggregate cache", "commands", "{:,.0f}", "cached at least",
         COMMANDS_GOAL),
        ("aggregates rebuilt/s (read and fold, keep nothing)", "rebuild", "{:,.0f}", "ratio at least", REBUILD_GOAL),
        ("aggregates rebuilt/s by a new Shop, which caches them", "rebuild and cache", "{:,.0f}", None, None),
        ("events/s, replay into the orders read model", "replay", "{:,.0f}", "at least", REPLAY_GOAL),
        ("events/s, bare loop over read_all (for scale)", "bare loop", "{:,.0f}", None, None),
        # No goal (issue 27): the two stores keep different things, eventsim's envelope its event id,
        # causation, correlation and actor, the library's none of them; the figure is for information.
        ("bytes per stored event (tracemalloc)", "bytes", "{:,.0f}", None, None),
        *((f"us per command, stream of {length:,} events", f"stream {length}", "{:,.1f}",
           "flat" if length > lengths[0] else None, FLAT_GOAL) for length in lengths),
    ]


def medians(runs: list[dict[str, float]]) -> dict[str, tuple[float, float]]:
    """Figure -> (median, half the range of the runs as a fraction of it: how far to trust it)."""
    result = {}
    for key in runs[0]:
        values = [run[key] for run in runs]
        middle = statistics.median(values)
        result[key] = middle, (max(values) - min(values)) / 2 / middle
    return result


def cell(figure: tuple[float, float] | None, form: str) -> str:
    if figure is None:
        return "-"
    value, spread = figure
    return form.format(value) + (f" ±{spread:.0%}" if spread >= 0.005 else "")


def against_goal(rule: str | None, goal: float, ours: float, theirs: float | None, first: float,
                 first_length: int) -> str:
    """What the figure means against its goal, in words."""
    if rule is None:
        return ""
    if rule == "at least":
        met = ours >= goal
        return f"{'meets' if met else 'misses'} the goal of {goal:,.0f}/s ({ours / goal:.2f}x it)"
    if rule == "flat":
        growth = ours / first
        return (f"{'flat' if growth <= goal else 'NOT flat'}: {growth:.2f}x the time at "
                f"{first_length} events (goal at most {goal}x)")
    if theirs is None:
        return "no eventsourcing figure to compare with"
    ratio = ours / theirs
    met = ratio >= goal
    return f"{'meets' if met else 'misses'} the goal: {ratio:.2f}x eventsourcing (goal at least {goal:g}x)"


def report(ours: dict[str, tuple[float, float]], theirs: dict[str, tuple[float, float]],
           lengths: tuple[int, ...]) -> None:
    table = [("figure", "eventsim", "eventsourcing", "ratio", "against the goal")]
    first_length = f"stream {lengths[0]}"
    for label, key, form, rule, goal in table_rows(lengths):
        their_key = "commands cached" if rule == "cached at least" else key
        theirs_figure = theirs.get(their_key)
        ratio = ours[key][0] / theirs_figure[0] if theirs_figure else None
        words = against_goal("ratio at least" if rule == "cached at least" else rule, goal, ours[key][0],
                             theirs_figure[0] if theirs_figure else None, ours[first_length][0], lengths[0])
        if rule == "flat" and theirs_figure:
            words += f"; eventsourcing {theirs_figure[0] / theirs[first_length][0]:.1f}x"
        table.append((label, cell(ours[key], form), cell(theirs_figure, form),
                      f"{ratio:.3g}x" if ratio else "-", words))
    widths = [max(len(row[i]) for row in table) for i in range(len(table[0]))]
    for row in table:
        cells = ([row[0].ljust(widths[0])] + [text.rjust(width) for text, width in zip(row[1:-1], widths[1:-1])]
                 + [row[-1]])
        print("  ".join(cells).rstrip())
    print("ratio = eventsim / eventsourcing (for bytes and microseconds, lower is better); "
          "± = half the range of the runs")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orders", type=positive_int, help="orders in the workload (default 20,000)")
    parser.add_argument("--runs", type=positive_int, help="runs per library; figures are medians (default 5)")
    parser.add_argument("--quick", action="store_true", help="smoke run: 1,000 orders, 1 run")
    parser.add_argument("--lengths", type=lengths_list, default=STREAM_LENGTHS,
                        help="events in one stream for the time per command (default 10,1000,10000)")
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
        ours.append(eventsim_run(orders, args.lengths))
        if Aggregate is not None:
            theirs.append(eventsourcing_run(orders, args.lengths))
    ours_figures = medians(ours)
    ours_figures["bytes"] = retained_bytes_per_event(fill_eventsim, len, orders), 0
    theirs_figures = medians(theirs) if theirs else {}
    if theirs:
        theirs_figures["bytes"] = retained_bytes_per_event(fill_eventsourcing, count_stored, orders), 0
    report(ours_figures, theirs_figures, args.lengths)
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


def lengths_list(text: str) -> tuple[int, ...]:
    """Stream lengths such as ``10,1000,10000``: increasing, each at least 3 (placed, paid, refunded)."""
    lengths = tuple(int(part) for part in text.split(","))
    if any(length < 3 for length in lengths) or list(lengths) != sorted(set(lengths)):
        raise argparse.ArgumentTypeError(f"increasing lengths of at least 3 events, not {text}")
    return lengths


# --- profiling -------------------------------------------------------------

def profile_eventsim(orders: int) -> None:
    """Where eventsim spends its time (cProfile) and its bytes (tracemalloc, and by part)."""
    commands = list(eventsim_commands(orders))
    order_ids = [order_id for order_id, _, _ in workload(orders)]
    shop = Shop()
    print_profile("command path: Shop().handle", lambda: handle_all(shop, commands))
    print_profile("rebuild: Shop(store).state", lambda: rebuild_all(shop.store, order_ids))
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
            value = getattr(recorded.event, field.name)
            add("amounts (Decimal)" if isinstance(value, Decimal) else "order ids and refund ids", value)
    for record in store._commands.values():
        add("idempotency records (CommandRecord, fingerprint text)", record)
        add("idempotency records (CommandRecord, fingerprint text)", record.fingerprint)
    add("idempotency records (CommandRecord, fingerprint text)", store._commands)
    add("containers (log list, streams dict, stream lists)", store._log)
    add("containers (log list, streams dict, stream lists)", store._streams)
    for stream in store._streams.values():
        add("containers (log list, streams dict, stream lists)", stream)
    return parts


if __name__ == "__main__":
    main()
