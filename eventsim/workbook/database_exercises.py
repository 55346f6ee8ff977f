"""The checks of notebook 8, "From memory to a database" (see ``eventsim.workbook.exercises`` for how checks report)."""

from __future__ import annotations

import re
import threading
from collections import Counter
from typing import Any

from ..clock import SimulatedClock
from ..ids import SeededIds
from ..shop.events import OrderCreated
from ..shop.sql_read_models import read_sql
from ..store import InMemoryEventStore
from ..stores.sql import StoreError
from .exercises import NotAnswered, exercise

__all__ = [
    "BUS",
    "LIMIT",
    "STORE",
    "check_checkpoint_after_crash",
    "check_event_counts",
    "check_gap_reader",
    "check_limit_across_streams",
    "check_store_or_bus",
]


@exercise("8.1", "the events table in SQL")
def check_event_counts(store: Any, event_counts_sql: Any) -> str | None:
    """Runs the learner's query; its text is read too, because SQLite's GROUP BY happens to leave its rows
    in order: without ORDER BY the right order on SQLite proves nothing, and PostgreSQL gives another."""
    if not isinstance(event_counts_sql, str):
        return (
            f"event_counts_sql should be the text of your query, a str, not a {type(event_counts_sql).__name__}: "
            'event_counts_sql = "SELECT ..."'
        )
    try:
        event_counts = read_sql(store, event_counts_sql)
    except StoreError as error:
        return f"the database refused the query: {error}"
    if list(event_counts.columns) != ["event_type", "events"]:
        return (
            f"the columns are {list(event_counts.columns)}; name them event_type and events "
            "(SELECT event_type, count(*) AS events ...)"
        )
    log = store.read_all()
    expected = Counter(r.event_type for r in log)
    got = dict(zip(event_counts["event_type"], (int(n) for n in event_counts["events"])))
    if sum(got.values()) == len(store.stream_ids()):
        return "these count streams (orders), not events: each row of the events table is one event"
    orders_per_type = Counter(event_type for _, event_type in {(r.stream_id, r.event_type) for r in log})
    if got != dict(expected) and got == dict(orders_per_type):
        return (
            "these count the orders that have each type of event, not the events: an order can have two refunds. "
            "count(*) counts rows, and each row is one event"
        )
    if got != dict(expected):
        return (
            f"the counts {got} are not those of the events table; GROUP BY event_type counts each type once per event"
        )
    if not re.search(r"\border\s+by\b", event_counts_sql, re.IGNORECASE):
        return (
            "the counts are right; now the order: without ORDER BY a database promises no order at all "
            "(SQLite's GROUP BY happens to sort, PostgreSQL's need not), so say the order the task asks for"
        )
    if list(event_counts["event_type"]) != sorted(expected):
        return (
            "the counts are right, but the rows are not in the order the task asks for: look at what your "
            "ORDER BY sorts by, and in which direction"
        )
    return None


@exercise("8.2", "a crash in the middle of a batch")
def check_checkpoint_after_crash(checkpoint_after_restart: Any, applied_by_next_catch_up: Any) -> str | None:
    answers = (checkpoint_after_restart, applied_by_next_catch_up)
    if not all(isinstance(a, int) and not isinstance(a, bool) for a in answers):
        return "both answers are whole numbers (positions and a count of events)"
    if checkpoint_after_restart == 220:
        return (
            "the second batch never committed: its rows and its checkpoint are in one transaction, "
            "so the kill undid both"
        )
    if checkpoint_after_restart in (120, 0):
        return (
            "the first batch committed before the kill: its rows and its checkpoint moved together, "
            "and a commit is kept"
        )
    if checkpoint_after_restart != 170:
        return (
            "the checkpoint is where the last committed batch ended: which batches committed, and where does each end?"
        )
    if applied_by_next_catch_up == 50:
        return "catch_up does not stop after the batch that was undone: it goes on to the end of the log"
    if applied_by_next_catch_up != 130:
        return (
            "catch_up reads every event after the checkpoint (read_all(checkpoint + 1)) to the end of the log; "
            "the event at the checkpoint is already in the tables"
        )
    return None


STORE, BUS = "event store", "bus"
TASKS = {
    "refuse a PayOrder that raced another for the same order": STORE,
    "read one order's events to decide a refund": STORE,
    "tell the warehouse service that an order was paid": BUS,
    "feed every order event to the analytics team's own system, which must not read our database": BUS,
}


@exercise("8.3", "event store or bus")
def check_store_or_bus(answers: Any) -> str | None:
    if not isinstance(answers, dict) or set(answers) != set(TASKS):
        return "keep the dictionary as given, and replace each ... with STORE or BUS"
    for task in TASKS:
        if answers[task] not in (STORE, BUS):
            if isinstance(answers[task], str) and answers[task].upper() in ("STORE", "BUS"):
                return (
                    f"for {task!r} you typed the text {answers[task]!r}, in quotes: write the name STORE or BUS "
                    "without quotes, as imported in the cell above"
                )
            return f"answer {task!r} with STORE or BUS"
    wrong = sum(answers[task] != where for task, where in TASKS.items())
    if wrong:
        # Not which: in a choice of two, naming the task would give the answer away.
        return (
            f"{wrong} of the {len(TASKS)} tasks {'is' if wrong == 1 else 'are'} in the wrong place. A decision "
            "needs a stream per order with append-if-at-version-N, or reading one order's events: a Kafka topic "
            "offers neither, the event store both. Telling another team's service of facts already recorded, "
            "without it reading our database, is a bus's job, fed from the store through an outbox"
        )
    return None


@exercise("8b.1", "a reader at a gap", "two lists of positions")
def check_gap_reader(applied_now: Any, applied_after_the_timeout: Any) -> str | None:
    """Checkpoint 20; committed 21, 22, 24, 25; 23 taken by a transaction still open, which then rolls back."""
    answers = (applied_now, applied_after_the_timeout)
    if not all(isinstance(a, list) and all(type(p) is int for p in a) for a in answers):
        return "both answers are lists of positions (whole numbers), such as [21]"
    if applied_now == [21, 22, 24, 25]:
        return "that is what a reader that trusts its checkpoint takes: 23 may still commit, and it would be lost"
    if applied_now != [21, 22]:
        return "the reader takes everything committed up to the first gap, and stops there: where is the first gap?"
    if applied_after_the_timeout and applied_after_the_timeout[0] == 23:
        return "23 rolled back: its number is never committed, so no event 23 ever comes"
    if applied_after_the_timeout in ([21, 22, 24, 25], [22, 24, 25]):
        return "21 and 22 were applied already: the checkpoint is 22 now, and the reader goes on after it"
    if applied_after_the_timeout != [24, 25]:
        return "after the timeout the gap at 23 is taken for a rollback and passed: what comes after it?"
    return None


LIMIT = 2  # unpaid orders a customer may have


class _RacingStore:
    """An in-memory store whose first read by each of two clerks waits for the other's: both read before
    either writes, the race that happens once in a while for real, here every time."""

    def __init__(self) -> None:
        self._store = InMemoryEventStore(clock=SimulatedClock(), ids=SeededIds(0))
        self._both_read = threading.Barrier(2, timeout=2)
        self._first = threading.local()
        self.racing = False

    def _read(self) -> None:
        """After a clerk's first read: wait until the other clerk has read too."""
        if self.racing and not getattr(self._first, "done", False):
            self._first.done = True
            try:
                self._both_read.wait()
            except threading.BrokenBarrierError:  # the other clerk never read: nothing to stage
                pass

    def read_stream(self, stream_id: str, from_version: int = 1) -> Any:
        events = self._store.read_stream(stream_id, from_version)
        self._read()
        return events

    def read_all(self, from_position: int = 1, limit: int | None = None) -> Any:
        events = self._store.read_all(from_position, limit)
        self._read()
        return events

    def __getattr__(self, name: str) -> Any:  # append, append_streams, stream_version, ...
        return getattr(self._store, name)


@exercise("8b.2", "at most 2 unpaid orders, two clerks at once", "a function place_order(store, order_id, customer_id)")
def check_limit_across_streams(place_order: Any) -> str | None:
    """Runs ``place_order`` from two threads at once, many times: with 0, 1 and 2 unpaid orders already placed
    (by ``place_order`` too), the customer must end with exactly min(LIMIT, before + 2) unpaid orders."""
    if not callable(place_order):
        return "place_order should be a function: def place_order(store, order_id, customer_id): ..."
    for before in (0, 1, 2) * 4:
        store = _RacingStore()
        for n in range(before):
            place_order(store, f"C1-{n}", "C1")
        store.racing = True
        outcomes: list[Any] = []
        errors: list[BaseException] = []

        def clerk(n: int, store: _RacingStore = store, outcomes: list[Any] = outcomes, errors: list = errors) -> None:
            try:
                outcomes.append(place_order(store, f"C1-clerk{n}", "C1"))
            except Exception as problem:  # noqa: BLE001 -- reported below, in the learner's words
                errors.append(problem)

        threads = [threading.Thread(target=clerk, args=(n,)) for n in (1, 2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=10)
        if any(thread.is_alive() for thread in threads):
            return "a clerk never returned: does place_order wait for something that never comes?"
        if Ellipsis in outcomes:
            raise NotAnswered
        placed = sum(
            1 for r in store._store.read_all() if isinstance(r.event, OrderCreated) and r.event.customer_id == "C1"
        )
        wanted = min(LIMIT, before + 2)
        if errors:
            error = errors[0]
            return (
                f"with {before} unpaid order(s) already, a clerk's place_order raised {type(error).__name__}: "
                "when another clerk wrote first, read again and decide again (or refuse): never let it escape"
            )
        if placed > LIMIT:
            return (
                f"with {before} unpaid order(s) already, two clerks at once placed {placed - before}: C1 has {placed} "
                f"unpaid orders, more than {LIMIT}. The check and the write must be one append: the customer's "
                "stream at the version you read, and the order, in one append_streams"
            )
        if placed < wanted:
            return (
                f"with {before} unpaid order(s) already, two clerks placed {placed - before} between them, "
                f"but {wanted - before} fit under the limit: a clerk whose append was refused should read again and "
                "decide again, not give up"
            )
    return None
