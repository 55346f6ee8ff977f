"""The checks of notebook 8, "From memory to a database" (see ``eventsim.workbook.exercises`` for how checks report)."""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

from ..shop.sql_read_models import read_sql
from ..stores.sql import StoreError
from .exercises import exercise

__all__ = ["BUS", "STORE", "check_checkpoint_after_crash", "check_event_counts", "check_store_or_bus"]


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
