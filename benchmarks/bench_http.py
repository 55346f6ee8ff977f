"""The shop over HTTP: commands/s and latency at 1, 8 and 16 concurrent clients.

    .venv/bin/python benchmarks/bench_http.py                 # 3,000 commands per client count
    .venv/bin/python benchmarks/bench_http.py --quick         # smoke run: 300 commands
    .venv/bin/python benchmarks/bench_http.py --db memory:    # the store the server opens

The server is ``eventsim serve`` in a process of its own, as in production;
the clients are threads of this process, each with its own keep-alive
``httpx.Client``.  Each client places orders and pays them (two commands per
order, every order its own), so commands never conflict: this measures the
path of a command, not contention.  Latency is the wall time of one request
as the client sees it; throughput is all commands over the wall time of the
whole run.  On 2 cores the clients and the server share the CPUs, so the
figures are a floor for the server alone.

Goals (issue 11): at least 1,000 commands/s with SQLite, and p99 at most
50 ms at 8 clients.  Only the in-memory store is served until
``eventsim.stores.open_store`` lands; then ``--db shop.db`` and ``--db
postgresql://...`` measure SQLite and PostgreSQL.  The ``eventsourcing``
library has no HTTP layer, so there is nothing of its to put beside these.
"""
from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import threading
import time

import httpx

GOAL_THROUGHPUT = 1_000  # commands/s (with SQLite)
GOAL_P99_AT_8 = 0.050    # seconds


def start_server(db: str) -> tuple[subprocess.Popen, str]:
    process = subprocess.Popen([sys.executable, "-m", "eventsim", "serve", "--port", "0", "--db", db],
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    found = re.search(r"http://[\d.]+:\d+", process.stdout.readline())
    if not found:
        process.kill()
        sys.exit("bench_http: the server did not start")
    # Read its access log (on stdout) as it comes: a full pipe would stop the server.
    threading.Thread(target=process.stdout.read, daemon=True).start()
    return process, found.group(0)


def run(url: str, clients: int, commands: int, tag: str) -> tuple[float, list[float]]:
    """Send ``commands`` commands from ``clients`` threads; return the wall time and every latency."""
    per_client = commands // clients // 2  # orders per client: place + pay
    latencies: list[list[float]] = [[] for _ in range(clients)]
    ready = threading.Barrier(clients + 1)

    def client(number: int) -> None:
        with httpx.Client(base_url=url, timeout=30) as http:
            http.get("/events", params={"limit": 1})  # open the connection before the clock starts
            ready.wait()
            own = latencies[number]
            for i in range(per_client):
                order_id = f"{tag}-{number}-{i}"
                for path, body in (("/orders", {"orderId": order_id, "amount": "25.00"}),
                                   (f"/orders/{order_id}/payments", {"amount": "25.00"})):
                    started = time.perf_counter()
                    response = http.post(path, json=body)
                    own.append(time.perf_counter() - started)
                    if response.status_code >= 300:
                        raise RuntimeError(f"{path}: {response.status_code} {response.text}")

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    ready.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started, [x for own in latencies for x in own]


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default="memory:", help="the store URL the server opens (default memory:)")
    parser.add_argument("--commands", type=int, default=3_000, help="commands per client count")
    parser.add_argument("--quick", action="store_true", help="300 commands: a smoke run")
    args = parser.parse_args()
    commands = 300 if args.quick else args.commands
    process, url = start_server(args.db)
    try:
        print(f"eventsim serve --db {args.db}, {commands:,} commands per row (place + pay, distinct orders); "
              f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}")
        run(url, 4, 200, "warm-up")
        print(f"{'clients':>7}  {'commands/s':>10}  {'p50 ms':>7}  {'p99 ms':>7}")
        for clients in (1, 8, 16):
            wall, latencies = run(url, clients, commands, f"c{clients}")
            rate, p50, p99 = len(latencies) / wall, percentile(latencies, 0.5), percentile(latencies, 0.99)
            notes = []
            if clients == 8:
                notes.append(f"p99 goal {GOAL_P99_AT_8 * 1000:.0f} ms: {'PASS' if p99 <= GOAL_P99_AT_8 else 'MISS'}")
            if clients == 16:
                notes.append(f"throughput goal {GOAL_THROUGHPUT:,}/s (SQLite): "
                             f"{'PASS' if rate >= GOAL_THROUGHPUT else 'MISS'} on {args.db}")
            print(f"{clients:>7}  {rate:>10,.0f}  {p50 * 1000:>7.1f}  {p99 * 1000:>7.1f}  {'; '.join(notes)}")
            assert statistics.fmean(latencies) > 0
    finally:
        process.send_signal(2)
        process.wait(10)


if __name__ == "__main__":
    main()
