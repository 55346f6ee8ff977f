"""A year of a busy shop: issue 13's table, measured in a fresh process.

    .venv/bin/python benchmarks/bench_million.py                   # smoke run: 3,400 orders, ~10,000 events
    .venv/bin/python benchmarks/bench_million.py --orders 340000   # ~1,000,000 events: the issue's table

Run it as a command of its own, never imported into a process that did
other work: the memory figure is the resident size of this whole process.
In that order, it

1. simulates ``SimulationConfig(orders=N, seed=1)``: every planned command
   decided by the order Decider and appended with ``Shop.handle``'s envelope,
   refund confirmations through the ``RefundProcess`` (events/s);
2. catches the three read models up from position 1: ``ShopReadModels(store)``
   then ``catch_up()`` (seconds);
3. reads ``VmRSS`` (resident now) and ``VmHWM`` (the most it was ever
   resident) from ``/proc/self/status``, with the simulated store and the
   read models still alive;
4. writes the log to a temporary file and runs ``eventsim import FILE`` in a
   new Python process: lines/s over the whole command (starting Python,
   reading and checking each line, copying it into an empty in-memory store,
   catching the read models up and printing the summary); then
   ``eventsim import FILE --db new.db``, the same into a new SQLite file
   (the read-model tables filled too);
5. runs ``eventsim simulate --orders N --seed 1 --out FILE`` in a new
   process: what a learner's command line does, below the table.

Times are wall-clock seconds, as a learner waits for them; each row also
shows the CPU seconds, which another program on a busy machine disturbs
less (the load average is printed).  Below the table: how much of steps 1
and 2 Python's cycle collector (``gc``) took, and their figures without that
time.  A full pass of the collector walks every container object alive (two
per recorded event: its envelope and the event), so it costs more as the
history in memory grows.  Simulating and catching up are bulk operations:
each pauses the collector for its own duration and restores it after
(``eventsim.bulk``), so both lines should show next to nothing.
A smoke run's figures are too small to quote: starting Python dominates its
replay.
"""
from __future__ import annotations

import argparse
import gc
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from eventsim.jsonl import write_jsonl
from eventsim.shop.read_models import ShopReadModels
from eventsim.shop.simulator import SimulationConfig, simulate

T = TypeVar("T")

SIMULATE_GOAL = 100_000   # events/s through the command side
CATCH_UP_GOAL = 1.5       # seconds for the three read models over 1M events
MEMORY_GOAL = 600         # MB resident after simulating and projecting 1M events
REPLAY_GOAL = 100_000     # lines/s through `eventsim import`
SQLITE_GOAL = 50_000      # lines/s through `eventsim import --db` into a new SQLite file
MB = 1024 * 1024


class CollectorTime:
    """Wall-clock seconds spent in the cycle collector, and its full passes, from ``gc.callbacks``."""

    def __init__(self) -> None:
        self.seconds, self.full_passes, self._started = 0.0, 0, 0.0

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.seconds += time.perf_counter() - self._started
            self.full_passes += info["generation"] == 2  # the oldest generation: a pass over every object


def timed(work: Callable[[], T]) -> tuple[T, float, float]:
    """``work()``'s result, wall-clock seconds and CPU seconds of this process."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = work()
    tiny = 1e-9  # a smoke run's catch-up can take less than the clock's tick
    return result, max(time.perf_counter() - wall, tiny), max(time.process_time() - cpu, tiny)


def resident_mb() -> tuple[float, float]:
    """(VmRSS, VmHWM) of this process in MB, from /proc/self/status (Linux)."""
    fields = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            fields[name] = int(value.split()[0]) * 1024 / MB  # the kernel reports kB
    return fields["VmRSS"], fields["VmHWM"]


# `eventsim ...`, then the process's own peak resident size on stderr.  The child reads it
# itself: Linux carries the parent's peak over a fork and exec into the child's rusage.
CLI = ("import sys; from pathlib import Path; from eventsim.cli import main; status = main(sys.argv[1:]); "
          "print(Path('/proc/self/status').read_text().split('VmHWM:')[1].split()[0], file=sys.stderr); "
          "sys.exit(status)")


def run_cli(*arguments: str) -> tuple[float, float, float]:
    """Run ``eventsim ARGUMENTS`` in a new process: (wall seconds, its CPU seconds, its peak resident MB)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", CLI, *arguments],
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, check=False)
    wall = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"eventsim {arguments[0]} failed ({done.returncode}): {done.stderr.strip()}")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, int(done.stderr.split()[-1]) * 1024 / MB  # the kernel reports kB


# Memory does not scale by the number of events (Python and its libraries take their share first).
NO_VERDICT = "none below 1M events"


def verdict(value: float, goal: float, *, at_least: bool, worse: str = "slow") -> str:
    """Plain words for a figure against its goal: met, or missed by how much."""
    if value >= goal if at_least else value <= goal:
        return "meets the goal"
    return f"misses it: {goal / value if at_least else value / goal:.1f}x too {worse}"


def table(rows: list[tuple[str, str, str, str, str]]) -> str:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join([row[0].ljust(widths[0])] + [text.rjust(width) for text, width
                                                          in zip(row[1:-1], widths[1:-1])] + [row[-1]]).rstrip()
                     for row in rows)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=positive_int, default=3_400,
                        help="simulated orders (default 3,400, a smoke run; 340,000 make ~1M events)")
    args = parser.parse_args(argv)
    config = SimulationConfig(orders=args.orders, seed=1)
    print(f"{args.orders:,} orders, SimulationConfig(orders={args.orders}, seed=1); Python "
          f"{platform.python_version()} on {os.cpu_count()} CPU(s), load average {os.getloadavg()[0]:.1f}")

    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "events.jsonl"
        figures = simulate_project_write(config, path)
        gc.collect()  # what it made is a cycle (the shop and its store): freed now, before the children run
        replay_wall, replay_cpu, replay_peak = run_cli("import", str(path))
        sqlite_wall, sqlite_cpu, _ = run_cli("import", str(path), "--db", str(Path(directory) / "year.db"))
        cli_wall, cli_cpu, _ = run_cli("simulate", "--orders", str(args.orders), "--seed", "1",
                                       "--out", str(Path(directory) / "again.jsonl"))
    events, simulate_wall, simulate_cpu, catch_up_wall, catch_up_cpu, rss, peak, collector = figures
    lines = events  # one line per event

    scale = f" (x{1_000_000 / events:.1f} for 1M)" if events < 900_000 else ""
    rows = [("what", "measured", "CPU time", "goal", "against the goal"),
            (f"simulate {events:,} events (the Decider, Shop.handle's envelopes)", f"{events / simulate_wall:,.0f} events/s",
             f"{events / simulate_cpu:,.0f}/s", f">= {SIMULATE_GOAL:,} events/s",
             verdict(events / simulate_wall, SIMULATE_GOAL, at_least=True)),
            (f"three read models catching up over {events:,} events", f"{catch_up_wall:.2f} s",
             f"{catch_up_cpu:.2f} s", f"<= {CATCH_UP_GOAL} s for 1M",
             verdict(catch_up_wall * 1_000_000 / events, CATCH_UP_GOAL, at_least=False) + scale),
            ("resident memory now (VmRSS)", f"{rss:,.0f} MB", "", f"<= {MEMORY_GOAL} MB at 1M",
             verdict(rss, MEMORY_GOAL, at_least=False, worse="big") if events >= 900_000 else NO_VERDICT),
            ("resident memory at its peak (VmHWM)", f"{peak:,.0f} MB", "", f"<= {MEMORY_GOAL} MB at 1M",
             verdict(peak, MEMORY_GOAL, at_least=False, worse="big") if events >= 900_000 else NO_VERDICT),
            (f"`eventsim import` of the {lines:,}-line log", f"{lines / replay_wall:,.0f} lines/s",
             f"{lines / replay_cpu:,.0f}/s", f">= {REPLAY_GOAL:,} lines/s",
             verdict(lines / replay_wall, REPLAY_GOAL, at_least=True)),
            ("`eventsim import --db` into a new SQLite file", f"{lines / sqlite_wall:,.0f} lines/s",
             f"{lines / sqlite_cpu:,.0f}/s", f">= {SQLITE_GOAL:,} lines/s",
             verdict(lines / sqlite_wall, SQLITE_GOAL, at_least=True))]
    print()
    print(table(rows))
    (simulate_gc, simulate_passes), (catch_up_gc, catch_up_passes) = collector
    print(f"\nthe cycle collector took {simulate_gc:.1f} s of simulating ({simulate_passes} full passes) "
          f"and {catch_up_gc:.2f} s of catching up ({catch_up_passes} full passes)")
    print(f"without the collector's time: simulating {events / max(simulate_wall - simulate_gc, 1e-9):,.0f} events/s, "
          f"catching up {catch_up_wall - catch_up_gc:.2f} s")
    print(f"peak resident memory of the import: {replay_peak:,.0f} MB")
    print(f"`eventsim simulate --orders {args.orders}` in a new process: "
          f"{events / cli_wall:,.0f} events/s ({events / cli_cpu:,.0f}/s CPU), writing the log included")
    print(f"wall clock: simulating {simulate_wall:.1f} s, importing {replay_wall:.1f} s; "
          f"load average {os.getloadavg()[0]:.1f} at end")


def simulate_project_write(config: SimulationConfig, path: Path) -> tuple[
        int, float, float, float, float, float, float, list[tuple[float, int]]]:
    """Steps 1-3, then the log written to ``path``: (events, simulate wall and CPU seconds,
    catch-up wall and CPU seconds, VmRSS and VmHWM in MB, and the collector's seconds and
    full passes during simulating and during catching up)."""
    def progress(done: int, total: int) -> None:
        print(f"\rsimulating: {done:,} of {total:,} commands", end="", file=sys.stderr, flush=True)

    collector = CollectorTime()
    gc.callbacks.append(collector)
    shop, simulate_wall, simulate_cpu = timed(lambda: simulate(config, progress=progress))
    print(file=sys.stderr)
    phases = [(collector.seconds, collector.full_passes)]
    read_models = ShopReadModels(shop.store)
    _, catch_up_wall, catch_up_cpu = timed(read_models.catch_up)
    phases.append((collector.seconds - phases[0][0], collector.full_passes - phases[0][1]))
    gc.callbacks.remove(collector)
    if read_models.lag:
        raise SystemExit(f"benchmark broken: the read models lag {read_models.lag} events")
    rss, peak = resident_mb()
    events = write_jsonl(shop.store.read_all(), path)
    return events, simulate_wall, simulate_cpu, catch_up_wall, catch_up_cpu, rss, peak, phases


def positive_int(text: str) -> int:
    value = int(text.replace(",", "").replace("_", ""))
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, not {value}")
    return value


if __name__ == "__main__":
    main()
