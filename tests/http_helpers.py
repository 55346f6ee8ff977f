"""Servers in other processes for the HTTP tests, and what the tests ask of every answer."""
from __future__ import annotations

import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import httpx

MONEY = re.compile(r"-?\d+\.\d{2}")
MONEY_FIELDS = {"amount", "paid", "refunded", "net", "refundsRequested", "refundsPaid", "grossPaid"}

# A server whose projection worker never runs: queries that wait for a position time out.
PAUSED_SERVER = """
import sys
import threading
from eventsim.http import create_app, start
app = create_app(max_wait=0.3)
app.state.worker.pause()
server = start(app)
print(server.url, flush=True)
sys.stdin.read()
server.stop()
"""


@contextmanager
def server_process(args: list[str], *, stdin: bool = False) -> Iterator[tuple[str, subprocess.Popen]]:
    """Run ``python args`` until it prints a URL; yield the URL and the process; stop it after.

    Its output is drained all along (into ``process.output``): uvicorn writes its access log to
    stdout, and once a pipe nobody reads is full, the server stops answering.
    """
    process = subprocess.Popen([sys.executable, *args], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                               stdin=subprocess.PIPE if stdin else subprocess.DEVNULL, text=True)
    found = None
    try:
        line = process.stdout.readline()
        found = re.search(r"http://127\.0\.0\.1:\d+", line)
        assert found, f"the server printed {line!r} and stopped" if process.poll() is not None else line
        process.output = []
        drain = threading.Thread(target=lambda: process.output.extend(process.stdout), daemon=True)
        drain.start()
        yield found.group(0), process
    finally:
        if process.poll() is None:
            if stdin:
                process.stdin.close()
            else:
                process.send_signal(2)  # Ctrl-C
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if found:
            drain.join(10)


def eventsim_serve(db: str = "memory:", *options: str):
    return server_process(["-m", "eventsim", "serve", "--port", "0", "--db", db, *options])


def paused_server():
    return server_process(["-c", PAUSED_SERVER], stdin=True)


def last_position(client: httpx.Client) -> int:
    return client.get("/events", params={"limit": 1}).json()["lastPosition"]


def all_events(client: httpx.Client) -> list[dict]:
    events, after = [], 0
    while True:
        page = client.get("/events", params={"after": after, "limit": 1000}).json()["events"]
        if not page:
            return events
        events += page
        after = page[-1]["position"]


def money_is_text(value: object) -> None:
    """Every money field, at any depth, is an exact decimal string: never a JSON number."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key in MONEY_FIELDS:
                assert isinstance(item, str) and MONEY.fullmatch(item), f"{key}: {item!r}"
            money_is_text(item)
    elif isinstance(value, list):
        for item in value:
            money_is_text(item)


def assert_problem(response: httpx.Response, status: int, kind: str, field: str | None = None) -> dict:
    """An RFC 9457 problem with this status and type, naming ``field``, and no trace of the code."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json", response.headers
    problem = response.json()
    assert problem["type"] == f"/problems/{kind}" and problem["status"] == status, problem
    assert problem["title"] and problem["detail"], problem
    if field is not None:
        assert problem.get("field") == field, problem
    assert "Traceback" not in response.text and 'File "' not in response.text
    return problem
