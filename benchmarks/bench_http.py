"""The shop over HTTP: commands/s, latency and server CPU at 1, 8 and 16 concurrent clients, per store.

    .venv/bin/python benchmarks/bench_http.py                    # memory:, SQLite, PostgreSQL; 3,000 commands a row
    .venv/bin/python benchmarks/bench_http.py --quick            # smoke run: 300 commands a row
    .venv/bin/python benchmarks/bench_http.py --db shop.db       # only this store (repeat --db for more)
    .venv/bin/python benchmarks/bench_http.py --skip-postgres    # memory: and SQLite

The server is ``eventsim serve --no-access-log`` in a process of its own, as
in production, with a fresh store for each store kind: a temporary SQLite
file, and a throwaway PostgreSQL server when its binaries are installed (as
the tests start one).  The clients are threads of this process, each with
its own keep-alive connection.  Each client places orders and pays them (two
commands per order, every order its own), so commands never conflict: this
measures the path of a command, not contention.  Latency is the wall time of
one request as the client sees it; throughput is all commands over the wall
time of the row.

The clients share the machine's CPUs with the server, so they are kept
light: the standard library's ``http.client`` (httpx, the workbook's client,
costs about as much CPU per request as the server itself).  ``server CPU``
is the server process's CPU time per command (user + system, from /proc):
unlike the wall-clock figures it hardly moves with the load of the machine,
so compare it between runs.

Goal (issue 11), judged on the 8-client row: at least 1,000 commands/s and
p99 at most 50 ms, with SQLite (the server's default store).  The
``eventsourcing`` library has no HTTP layer, so there is nothing of its to
put beside these.
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GOAL_THROUGHPUT = 1_000  # commands/s at 8 clients (with SQLite)
GOAL_P99 = 0.050  # seconds, at 8 clients
CLIENTS = (1, 8, 16)


def start_server(db: str) -> tuple[subprocess.Popen, str, int]:
    process = subprocess.Popen([sys.executable, "-m", "eventsim", "serve", "--port", "0", "--db", db,
                                "--no-access-log"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    found = re.search(r"http://([\d.]+):(\d+)", process.stdout.readline())
    if not found:
        process.kill()
        sys.exit("bench_http: the server did not start")
    threading.Thread(target=process.stdout.read, daemon=True).start()  # a full pipe would stop the server
    return process, found.group(1), int(found.group(2))


def server_cpu(process: subprocess.Popen) -> float | None:
    """The process's CPU time so far (user + system seconds); None where /proc does not say."""
    try:
        fields = Path(f"/proc/{process.pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run(host: str, port: int, clients: int, commands: int, tag: str) -> tuple[float, list[float]]:
    """Send ``commands`` commands from ``clients`` threads; return the wall time and every latency."""
    per_client = commands // clients // 2  # orders per client: place + pay
    latencies: list[list[float]] = [[] for _ in range(clients)]
    failures: list[str] = []
    ready = threading.Barrier(clients + 1)

    def client(number: int) -> None:
        connection = http.client.HTTPConnection(host, port, timeout=30)
        try:
            connection.request("GET", "/events?limit=1")  # open the connection before the clock starts
            connection.getresponse().read()
            ready.wait()
            own = latencies[number]
            for i in range(per_client):
                order_id = f"{tag}-{number}-{i}"
                for path, body in (("/orders", {"orderId": order_id, "amount": "25.00"}),
                                   (f"/orders/{order_id}/payments", {"amount": "25.00"})):
                    started = time.perf_counter()
                    connection.request("POST", path, json.dumps(body), {"Content-Type": "application/json"})
                    response = connection.getresponse()
                    text = response.read()
                    own.append(time.perf_counter() - started)
                    if response.status >= 300:
                        failures.append(f"{path}: {response.status} {text[:300]!r}")
                        return
        except BaseException as error:
            failures.append(f"client {number}: {error!r}")
            raise
        finally:
            connection.close()

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    ready.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    if failures:
        sys.exit(f"bench_http: {failures[0]}")
    return wall, [x for own in latencies for x in own]


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def measure(db: str, label: str, commands: int, judged: bool = False) -> None:
    """One table section: the server on ``db``, a row per client count.

    ``judged``: print PASS/MISS against issue 11's goal, which is set for SQLite only."""
    process, host, port = start_server(db)
    try:
        run(host, port, 4, 200, "warm-up")
        print(f"\n{label}  (load average {os.getloadavg()[0]:.2f})")
        print(f"{'clients':>7}  {'commands/s':>10}  {'p50 ms':>7}  {'p99 ms':>7}  {'server CPU us/command':>21}")
        for clients in CLIENTS:
            cpu_before = server_cpu(process)
            wall, latencies = run(host, port, clients, commands, f"c{clients}")
            cpu_after = server_cpu(process)
            rate, p50, p99 = len(latencies) / wall, percentile(latencies, 0.5), percentile(latencies, 0.99)
            cpu = ("-" if cpu_before is None or cpu_after is None
                   else f"{(cpu_after - cpu_before) / len(latencies) * 1e6:,.0f}")
            goal = ""
            if judged and clients == 8:
                met = rate >= GOAL_THROUGHPUT and p99 <= GOAL_P99
                goal = (f"goal >= {GOAL_THROUGHPUT:,}/s and p99 <= {GOAL_P99 * 1000:.0f} ms "
                        f"(issue 11, SQLite): {'PASS' if met else 'MISS'}")
            print(f"{clients:>7}  {rate:>10,.0f}  {p50 * 1000:>7.1f}  {p99 * 1000:>7.1f}  {cpu:>21}  {goal}".rstrip())
    finally:
        process.send_signal(2)
        process.wait(10)


def throwaway_postgres():
    """A PostgreSQL server of our own, as the tests start one (tests/conftest.py); None without its binaries."""
    sys.path.insert(0, str(ROOT / "tests"))
    from conftest import PostgresServer, postgres_bindir
    bindir = postgres_bindir()
    if bindir is None:
        return None
    server = PostgresServer(bindir)
    server.init()
    server.start()
    return server


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", action="append", metavar="URL",
                        help="a store URL for the server (repeatable); default: memory:, SQLite and PostgreSQL")
    parser.add_argument("--commands", type=int, default=3_000, help="commands per row (3,000)")
    parser.add_argument("--quick", action="store_true", help="300 commands per row: a smoke run")
    parser.add_argument("--skip-postgres", action="store_true", help="no PostgreSQL section")
    args = parser.parse_args()
    commands = 300 if args.quick else args.commands
    print(f"eventsim serve, {commands:,} commands per row (place + pay, distinct orders); "
          f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}")
    if args.db:
        for db in args.db:
            measure(db, db, commands, judged=not db.startswith(("memory:", "postgres")))
        return
    measure("memory:", "memory:", commands)
    with tempfile.TemporaryDirectory(prefix="eventsim-bench-") as folder:
        measure(str(Path(folder) / "shop.db"), "SQLite (a new file)", commands, judged=True)
    if args.skip_postgres:
        return
    server = throwaway_postgres()
    if server is None:
        print("\nPostgreSQL: no server binaries found (apt-get install postgresql), or pass --db postgresql://...")
        return
    try:
        measure(server.url, "PostgreSQL (a throwaway server)", commands)
    finally:
        server.stop()
        server.remove()


if __name__ == "__main__":
    main()
