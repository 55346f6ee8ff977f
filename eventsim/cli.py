"""The instructors' command line.

    eventsim simulate --orders 100000 --seed 1 --out events.jsonl
    eventsim trace events.jsonl 000042
    eventsim replay events.jsonl

``simulate`` writes a log; ``trace`` prints one order's history and its
current state as JSON lines; ``replay`` checks a log against the business
rules and summarises its read models.  A log is read by the library's one
reader (``eventsim.jsonl.read_jsonl``) and checked by ``eventsim.replay``.

Never a traceback: bad input exits with status 2 and one line on stderr that
names the file, the line and the problem, and nothing is written; Ctrl-C
exits with 130, running out of memory or a bug in eventsim with 1, each with
one line too.
"""
from __future__ import annotations

import argparse
import errno
import json
import os
import sys
import time
from pathlib import Path

import pandas as pd

from .history import history_jsonl
from .jsonl import read_jsonl, write_jsonl
from .read_models import ShopReadModels
from .replay import replay
from .shop import Shop
from .simulator import SimulationConfig, simulate
from .streams import stream_for

__all__ = ["main"]

BAD_INPUT = 2
INTERRUPTED = 130  # what a shell reports for Ctrl-C


def load(path: str) -> Shop:
    """A shop holding the log at ``path``, every line checked against the rules."""
    return replay(read_jsonl(path))


def run_simulate(args: argparse.Namespace) -> int:
    config = SimulationConfig(orders=args.orders, customers=args.customers, days=args.days, seed=args.seed)
    out = Path(args.out)
    if not out.parent.is_dir():
        raise FileNotFoundError(errno.ENOENT, f"cannot write here: there is no directory {out.parent}", str(out))
    if out.is_dir():
        raise IsADirectoryError(errno.EISDIR, "is a directory; give a file name", str(out))

    def progress(done: int, total: int) -> None:
        print(f"\rsimulating: {done:,} of {total:,} commands", end="", file=sys.stderr, flush=True)

    started = time.perf_counter()
    shop = simulate(config, progress=progress)
    print(file=sys.stderr)
    # Write beside the target, then rename: a failed run never leaves half a file.
    partial = out.with_name(f".{out.name}.partial")
    try:
        count = write_jsonl(shop.store.read_all(), partial)
        os.replace(partial, out)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    print(f"wrote {count:,} events of {config.orders:,} orders to {out} "
          f"in {time.perf_counter() - started:.1f} s")
    return 0


def run_trace(args: argparse.Namespace) -> int:
    shop = load(args.events)
    if not shop.store.stream_version(stream_for(args.order_id)):
        print(f"eventsim trace: {args.events}: no order {args.order_id!r}", file=sys.stderr)
        return BAD_INPUT
    print(history_jsonl(shop.store, args.order_id), end="")
    read_models = ShopReadModels(shop.store)
    read_models.catch_up()
    print(json.dumps(read_models.queries().order(args.order_id), ensure_ascii=False))
    return 0


def run_replay(args: argparse.Namespace) -> int:
    shop = load(args.events)
    read_models = ShopReadModels(shop.store)
    read_models.catch_up()
    orders = read_models.orders_frame()
    by_status = orders.groupby("status", observed=True).agg(
        orders=("order_id", "size"), amount=("amount", "sum"), paid=("paid", "sum"),
        refunded=("refunded", "sum"), net=("net", "sum"))
    by_status.index = by_status.index.astype(str)
    by_status.loc["total"] = by_status.sum()
    daily = read_models.daily_revenue_frame()
    daily["date"] = daily["date"].dt.strftime("%Y-%m-%d")
    print(f"{args.events}: {len(shop.store):,} events of {len(orders):,} orders, every one within the rules")
    print("\norders by status\n" + as_text(by_status))
    print("\nrevenue per day (UTC)\n" + as_text(daily, index=False))
    return 0


def as_text(frame: pd.DataFrame, *, index: bool = True) -> str:
    """A table as text, money in cents: 0 and 12.5 print as 0.00 and 12.50."""
    money = {column: "{:.2f}".format for column in frame.columns
             if column in ("amount", "paid", "refunded", "net", "gross_paid")}
    return str(frame.to_string(formatters=money, index=index))


def parser() -> argparse.ArgumentParser:
    defaults = SimulationConfig()
    main_parser = argparse.ArgumentParser(prog="eventsim",
                                          description="Simulate, trace and replay order event logs.")
    commands = main_parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    simulate_parser = commands.add_parser("simulate", help="write a simulated event log")
    for option, meaning in [("orders", "orders to place"), ("customers", "customers who place them"),
                            ("days", "days over which they arrive"), ("seed", "the same seed, the same log")]:
        default = getattr(defaults, option)
        simulate_parser.add_argument(f"--{option}", type=int, default=default, metavar="N",
                                     help=f"{meaning} (default {default})")
    simulate_parser.add_argument("--out", required=True, metavar="EVENTS.jsonl", help="the file to write")
    simulate_parser.set_defaults(run=run_simulate)

    trace_parser = commands.add_parser("trace", help="print one order's history and current state")
    trace_parser.add_argument("events", metavar="EVENTS.jsonl")
    trace_parser.add_argument("order_id", metavar="ORDER_ID")
    trace_parser.set_defaults(run=run_trace)

    replay_parser = commands.add_parser("replay", help="check a log against the rules and summarise it")
    replay_parser.add_argument("events", metavar="EVENTS.jsonl")
    replay_parser.set_defaults(run=run_replay)
    return main_parser


def main(argv: list[str] | None = None) -> int:
    """Run one command; return the exit status: 0, 1 for a bug, 2 for bad input, 130 when interrupted.

    Whatever goes wrong, the user reads one line on stderr (the command, the
    file, the line and the problem), never a traceback.
    """
    try:
        args = parser().parse_args(argv)
    except SystemExit as exit:  # --help, or a usage error argparse has explained
        return exit.code if isinstance(exit.code, int) else BAD_INPUT
    prefix = f"eventsim {args.command}: " + (f"{args.events}: " if "events" in args else "")
    try:
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
    except ValueError as error:  # EventFormatError and ReplayError are ValueErrors, with the line
        print(f"{prefix}{error}", file=sys.stderr)
    except MemoryError:
        print(f"{prefix}not enough memory for this log", file=sys.stderr)
        return 1
    except Exception as error:  # noqa: BLE001  # a bug: still one line, never a traceback
        print(f"{prefix}unexpected {type(error).__name__}: {error} (a bug in eventsim: please report it)",
              file=sys.stderr)
        return 1
    return BAD_INPUT
