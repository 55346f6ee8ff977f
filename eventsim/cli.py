"""The instructors' command line.

    eventsim simulate --orders 100000 --seed 1 --out events.jsonl
    eventsim trace events.jsonl 000042
    eventsim import events.jsonl
    eventsim check events.jsonl
    eventsim serve --port 8000

``simulate`` writes a log; ``trace`` prints one order's history and its
current state as JSON lines; ``import`` loads a log, every event as it was
recorded (``eventsim.copying``), and summarises its read models; ``check``
names every line today's business rules would refuse (``eventsim.shop.rule_check``),
and exits with 1 if there is one.  A log is read by the library's one reader
(``eventsim.jsonl.iter_jsonl``).  Loading a log never asks today's rules:
its events are facts, and rebuilding folds them.

The same commands on a database (any URL ``eventsim.stores.open_store`` takes)::

    eventsim simulate --orders 1000 --db shop.db          # records into an empty store
    eventsim import events.jsonl --db shop.db             # copies the log into the store, fills the read-model tables
    eventsim import --db postgresql://me@localhost/shop   # fills the store's read-model tables
    eventsim check --db shop.db                           # the store's log against today's rules
    eventsim trace --db shop.db 000042
    eventsim export --db shop.db --out events.jsonl       # the store's log as JSON lines

A store is recorded into only when empty, and a file is written over only
with ``--force`` (never the store being read); a file is written under a
temporary name and renamed, so it is whole or not there.  ``export`` then
``import`` into an empty store then ``export`` gives the same file, byte for byte.

Never a traceback: bad input exits with status 2 and one line on stderr that
names the file (or the store), the line and the problem, and nothing is
written; Ctrl-C exits with 130, running out of memory or a bug in eventsim
with 1, each with one line too.
"""

from __future__ import annotations

import argparse
import errno
import json
import os
import re
import sys
import time
from collections.abc import Iterable, Iterator
from contextlib import nullcontext
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

import pandas as pd

from .bulk import collector_paused
from .copying import copy_log
from .jsonl import iter_jsonl, write_jsonl
from .projections import ProjectionFailed
from .shop.history import history_jsonl
from .shop.read_models import ShopReadModels
from .shop.rule_check import check_log
from .shop.simulator import SimulationConfig, simulate
from .shop.sql_read_models import SQLReadModels
from .shop.streams import stream_for
from .store import InMemoryEventStore
from .stores import StoreError, open_store

__all__ = ["main"]

BAD_INPUT = 2
T = TypeVar("T")
INTERRUPTED = 130  # what a shell reports for Ctrl-C


PROGRESS_AFTER = 2.0  # seconds: a command still reading or writing after that says how far it has got
PROGRESS_EVERY = 10_000  # events between two progress lines


def with_progress(items: Iterable[T], what: str) -> Iterator[T]:
    """``items`` one at a time; once ``PROGRESS_AFTER`` seconds have passed, a count on stderr every
    ``PROGRESS_EVERY`` of them (``reading events.jsonl: 120,000 events``), the last one ended by a newline.
    A short command stays quiet; a long one shows that it is working, and how far it has got."""
    started = time.perf_counter()
    count = 0
    shown = False
    try:
        for count, item in enumerate(items, 1):
            if count % PROGRESS_EVERY == 0 and time.perf_counter() - started >= PROGRESS_AFTER:
                print(f"\r{what}: {count:,} events", end="", file=sys.stderr, flush=True)
                shown = True
            yield item
    finally:
        if shown:
            print(f"\r{what}: {count:,} events", file=sys.stderr, flush=True)


def load(path: str) -> InMemoryEventStore:
    """A store holding the log at ``path``, every event as it was recorded."""
    store: InMemoryEventStore = copy_log(with_progress(iter_jsonl(path), f"reading {path}"))
    return store


# The commands that make or load a whole history and keep it in memory until they end.
HOLD_A_HISTORY = frozenset({"simulate", "import", "check", "trace"})


def shown(url: str) -> str:
    """A store URL for messages: without its password."""
    return re.sub(r"^(\w+://[^:/@]*):[^@/]*@", r"\1@", url)


def open_existing(url: str) -> Any:
    """The store at ``url``, which must exist: a mistyped SQLite path is an error, not a new empty store."""
    path = url.removeprefix("sqlite:///") if url.startswith("sqlite:///") else url
    if "://" not in path and url != "memory:" and not Path(path).exists():
        raise FileNotFoundError(errno.ENOENT, "no such store", url)
    return open_store(url)


def check_empty(url: str) -> None:
    """Refuse a store that already holds events (or cannot be opened) before any work is done."""
    store = open_store(url)
    try:
        if len(store):
            raise StoreError(
                store.name, f"already holds {len(store):,} events: simulate and import record into an empty store only"
            )
    finally:
        close(store)


def record_into(url: str, log: Iterable[Any]) -> Any:
    """Copy an already checked log into the empty store at ``url``, as it was recorded; return the store."""
    check_empty(url)
    return copy_log(with_progress(log, f"recording into {shown(url)}"), make_store=partial(open_store, url))


def close(store: Any) -> None:
    if not isinstance(store, InMemoryEventStore):  # a database store holds a connection
        store.close()


def _writable(out: Path, force: bool, store: str | None) -> None:
    """Refuse, before any work is done, to write ``out`` where it cannot be, or over what is there.

    An existing file is replaced only with ``--force`` (it may be a log or a
    store of its own); the store the command reads or records into never,
    since writing the file is then what destroys it."""
    if not out.parent.is_dir():
        raise FileNotFoundError(errno.ENOENT, f"cannot write here: there is no directory {out.parent}", str(out))
    if out.is_dir():
        raise IsADirectoryError(errno.EISDIR, "is a directory; give a file name", str(out))
    path = None if store is None else store.removeprefix("sqlite:///") if store.startswith("sqlite:///") else store
    if path is not None and "://" not in path and out.exists() and Path(path).exists() and out.samefile(path):
        raise FileExistsError(errno.EEXIST, "is the store itself: give --out another file name", str(out))
    if out.exists() and not force:
        raise FileExistsError(errno.EEXIST, "exists already: give --force to replace it, or another name", str(out))


def write_atomically(events: Iterable[Any], out: Path) -> int:
    """Write beside the target, then rename: a failed run never leaves half a file."""
    partial_file = out.with_name(f".{out.name}.partial")
    try:
        count = write_jsonl(events, partial_file)
        os.replace(partial_file, out)
    except BaseException:
        partial_file.unlink(missing_ok=True)
        raise
    return count


def run_simulate(args: argparse.Namespace) -> int:
    config = SimulationConfig(orders=args.orders, customers=args.customers, days=args.days, seed=args.seed)
    out = None if args.out is None else Path(args.out)
    if out is not None:
        _writable(out, args.force, args.db)
    shown_progress = []

    def progress(done: int, total: int) -> None:
        print(f"\rsimulating: {done:,} of {total:,} commands", end="", file=sys.stderr, flush=True)
        shown_progress.append(True)

    if args.db is not None:
        check_empty(args.db)
    started = time.perf_counter()
    shop = simulate(config, progress=progress)
    if shown_progress:  # the progress line ends here; no orders, no line
        print(file=sys.stderr)
    places = []
    if args.db is not None:
        close(record_into(args.db, shop.store.read_all()))
        places.append(shown(args.db))
    if out is not None:
        write_atomically(shop.store.read_all(), out)
        places.append(str(out))
    print(
        f"wrote {len(shop.store):,} events of {config.orders:,} orders to {' and '.join(places)} "
        f"in {time.perf_counter() - started:.1f} s"
    )
    return 0


def run_trace(args: argparse.Namespace) -> int:
    store = open_existing(args.db) if args.db is not None else load(args.events)
    try:
        if not store.stream_version(stream_for(args.order_id)):
            print(f"eventsim trace: {args.events or shown(args.db)}: no order {args.order_id!r}", file=sys.stderr)
            return BAD_INPUT
        print(history_jsonl(store, args.order_id), end="")
        read_models = ShopReadModels(store)
        read_models.catch_up()
        print(json.dumps(read_models.queries().order(args.order_id), ensure_ascii=False))
    finally:
        close(store)
    return 0


def run_import(args: argparse.Namespace) -> int:
    """Load the log (a file), then summarise its read models; with ``--db`` the file's events are
    recorded into the empty store and its read-model tables filled (alone: the store's own)."""
    if args.db is None:
        loaded = load(args.events)
        memory = ShopReadModels(loaded)
        memory.catch_up()
        summarise(args.events, len(loaded), memory.orders_frame(), memory.daily_revenue_frame())
        return 0
    if args.events is not None:
        loaded = load(args.events)  # every line read and checked before anything is recorded,
        ShopReadModels(loaded).catch_up()  # and folded by the read models too
        store = record_into(args.db, loaded.read_all())
    else:
        store = open_existing(args.db)
    try:
        if isinstance(store, InMemoryEventStore):  # memory: no tables
            memory = ShopReadModels(store)
            memory.catch_up()
            frames = memory.orders_frame(), memory.daily_revenue_frame()
        else:
            with SQLReadModels(store) as tables:
                tables.catch_up()
                frames = tables.orders_frame(), tables.daily_revenue_frame()
        summarise(args.events or shown(args.db), len(store), *frames)
    finally:
        close(store)
    return 0


def run_check(args: argparse.Namespace) -> int:
    """Name every line today's rules would refuse; 0 if there is none, 1 if there are."""
    if args.db is not None:
        store = open_existing(args.db)
        try:
            violations = check_log(with_progress(store.read_all(), f"checking {shown(args.db)}"))
        finally:
            close(store)
    else:
        violations = check_log(with_progress(iter_jsonl(args.events), f"checking {args.events}"))
    source = args.events or shown(args.db)
    for violation in violations:
        print(f"{source}: {violation}")
    print(
        f"{source}: {len(violations):,} line{'s' if len(violations) != 1 else ''} today's rules would refuse"
        if violations
        else f"{source}: every line is one today's rules would record"
    )
    return 1 if violations else 0


def summarise(source: str, events: int, orders: pd.DataFrame, daily: pd.DataFrame) -> None:
    by_status = orders.groupby("status", observed=True).agg(
        orders=("order_id", "size"),
        amount=("amount", "sum"),
        paid=("paid", "sum"),
        refunds_requested=("refunds_requested", "sum"),
        refunds_paid=("refunds_paid", "sum"),
        net=("net", "sum"),
    )
    by_status.index = by_status.index.astype(str)
    by_status.loc["total"] = by_status.sum()
    daily["date"] = daily["date"].dt.strftime("%Y-%m-%d")
    print(f"{source}: {events:,} events of {len(orders):,} orders, every one within the rules")
    print("\norders by status\n" + as_text(by_status))
    print("\nrevenue per day (UTC)\n" + as_text(daily, index=False))


def run_export(args: argparse.Namespace) -> int:
    out = Path(args.out)
    _writable(out, args.force, args.db)
    store = open_existing(args.db)
    try:
        count = write_atomically(with_progress(store.read_all(), f"writing {out}"), out)
    finally:
        close(store)
    print(f"wrote {count:,} events of {shown(args.db)} to {out}")
    return 0


def run_serve(args: argparse.Namespace) -> int:
    from .http.server import serve  # FastAPI and uvicorn are loaded only to serve

    return serve(args.db, host=args.host, port=args.port, access_log=args.access_log)


MONEY_COLUMNS = ("amount", "paid", "refunds_requested", "refunds_paid", "net", "gross_paid")


def as_text(frame: pd.DataFrame, *, index: bool = True) -> str:
    """A table as text, money in cents: 0 and 12.5 print as 0.00 and 12.50."""
    money = {column: "{:.2f}".format for column in frame.columns if column in MONEY_COLUMNS}
    return str(frame.to_string(formatters=money, index=index))


def whole_number(least: int | None) -> Any:
    """An argparse type: a whole number, at least ``least``; the usage error names the option and its limit."""

    def number(text: str) -> int:
        if not re.fullmatch(r"-?[0-9]{1,18}", text):  # ASCII digits: int() would take "٣" and "1_000" too
            raise argparse.ArgumentTypeError(f"{text[:20]!r} is not a whole number")
        value = int(text)
        if least is not None and value < least:
            raise argparse.ArgumentTypeError(f"{value} is too few: at least {least}")
        return value

    return number


def parser() -> argparse.ArgumentParser:
    defaults = SimulationConfig()
    main_parser = argparse.ArgumentParser(
        prog="eventsim", description="Simulate, trace, import and check order event logs."
    )
    commands = main_parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    simulate_parser = commands.add_parser("simulate", help="write a simulated event log")
    for option, meaning, least in [
        ("orders", "orders to place", 0),
        ("customers", "customers who place them", 1),
        ("days", "days over which they arrive", 1),
        ("seed", "the same seed, the same log", None),
    ]:
        default = getattr(defaults, option)
        simulate_parser.add_argument(
            f"--{option}", type=whole_number(least), default=default, metavar="N", help=f"{meaning} (default {default})"
        )
    simulate_parser.add_argument("--out", metavar="EVENTS.jsonl", help="the file to write")
    simulate_parser.add_argument("--force", action="store_true", help="replace the --out file if it exists")
    simulate_parser.add_argument(
        "--db", metavar="URL", help="an empty store to record into (shop.db, postgresql://...)"
    )
    simulate_parser.set_defaults(run=run_simulate)

    trace_parser = commands.add_parser("trace", help="print one order's history and current state")
    trace_parser.add_argument("events", metavar="EVENTS.jsonl", nargs="?")
    trace_parser.add_argument("order_id", metavar="ORDER_ID")
    trace_parser.add_argument("--db", metavar="URL", help="read the store at URL instead of a file")
    trace_parser.set_defaults(run=run_trace)

    import_parser = commands.add_parser(
        "import",
        help="load a log, every event as recorded (not the command records a log does not hold), and summarise it",
    )
    import_parser.add_argument("events", metavar="EVENTS.jsonl", nargs="?")
    import_parser.add_argument(
        "--db", metavar="URL", help="with EVENTS.jsonl: an empty store to copy it into; alone: the store to summarise"
    )
    import_parser.set_defaults(run=run_import)

    check_parser = commands.add_parser("check", help="name every line today's business rules would refuse")
    check_parser.add_argument("events", metavar="EVENTS.jsonl", nargs="?")
    check_parser.add_argument("--db", metavar="URL", help="check the store at URL instead of a file")
    check_parser.set_defaults(run=run_check)

    export_parser = commands.add_parser("export", help="write a store's log as JSON lines")
    export_parser.add_argument("--db", metavar="URL", required=True, help="the store to read")
    export_parser.add_argument("--out", metavar="EVENTS.jsonl", required=True, help="the file to write")
    export_parser.add_argument("--force", action="store_true", help="replace the --out file if it exists")
    export_parser.set_defaults(run=run_export)

    serve_parser = commands.add_parser("serve", help="serve the shop over HTTP until Ctrl-C")
    serve_parser.add_argument("--host", default="127.0.0.1", help="the address to listen on (default 127.0.0.1)")
    serve_parser.add_argument("--port", type=int, default=8000, help="0 picks a free port (default 8000)")
    serve_parser.add_argument(
        "--db",
        default="eventsim.db",
        metavar="URL",
        help="the event store: an SQLite file (default eventsim.db), memory: or postgresql://…",
    )
    serve_parser.add_argument(
        "--no-access-log", dest="access_log", action="store_false", help="print no line per request"
    )
    serve_parser.set_defaults(run=run_serve)
    return main_parser


def usage_problem(args: argparse.Namespace) -> str | None:
    """What the arguments leave unsaid: where to read from, or where to write to."""
    if args.command == "simulate" and args.out is None and args.db is None:
        return "simulate writes to --out EVENTS.jsonl, --db URL, or both"
    if args.command == "trace" and (args.events is None) == (args.db is None):
        return "trace reads EVENTS.jsonl or --db URL (one of them), then ORDER_ID"
    if args.command == "import" and args.events is None and args.db is None:
        return "import reads EVENTS.jsonl, --db URL, or both"
    if args.command == "check" and (args.events is None) == (args.db is None):
        return "check reads EVENTS.jsonl or --db URL (one of them)"
    return None


def main(argv: list[str] | None = None) -> int:
    """Run one command; return the exit status: 0, 1 for a bug, 2 for bad input, 130 when interrupted.

    Whatever goes wrong, the user reads one line on stderr (the command, the
    file, the line and the problem), never a traceback.
    """
    main_parser = parser()
    try:
        args = main_parser.parse_args(argv)
        problem = usage_problem(args)
        if problem:
            main_parser.error(problem)
    except SystemExit as exit:  # --help, or a usage error argparse has explained
        return exit.code if isinstance(exit.code, int) else BAD_INPUT
    source = getattr(args, "events", None) or (shown(args.db) if getattr(args, "db", None) else None)
    prefix = f"eventsim {args.command}: " + (f"{source}: " if source else "")
    try:
        with collector_paused() if args.command in HOLD_A_HISTORY else nullcontext():
            status: int = args.run(args)
        sys.stdout.flush()  # here, so that a reader who stopped early is met below
        return status
    except BrokenPipeError:  # the reader stopped early (`| head`): not bad input, nothing to report
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # or flushing at exit fails again
        return 1
    except KeyboardInterrupt:
        end_progress = "\n" if args.command == "simulate" else ""  # its progress line has no end yet
        print(f"{end_progress}eventsim {args.command}: interrupted", file=sys.stderr)
        return INTERRUPTED
    except OSError as error:  # a missing or unreadable file, a directory, a full disk
        where = f"eventsim {args.command}: {error.filename}: " if error.filename else prefix
        print(f"{where}{error.strerror or error}", file=sys.stderr)
    except ValueError as error:  # EventFormatError and LogError are ValueErrors, with the line
        print(f"{prefix}{error}", file=sys.stderr)
    except ProjectionFailed as error:  # a log no read model can fold: it names the position and why
        print(f"{prefix}a read model cannot fold the log: {error.failure.reason}", file=sys.stderr)
    except StoreError as error:  # it names the store itself
        print(f"eventsim {args.command}: {error}", file=sys.stderr)
    except MemoryError:
        print(f"{prefix}not enough memory for this log", file=sys.stderr)
        return 1
    except Exception as error:  # noqa: BLE001  # a bug: still one line, never a traceback
        print(
            f"{prefix}unexpected {type(error).__name__}: {error} (a bug in eventsim: please report it)", file=sys.stderr
        )
        return 1
    return BAD_INPUT
