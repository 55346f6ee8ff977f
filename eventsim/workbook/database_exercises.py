"""The checks of notebooks 8, "From memory to a database", and 8c, "Partitions and public events".

See ``eventsim.workbook.exercises`` for how checks report.
"""

from __future__ import annotations

import random
import re
from collections import Counter
from decimal import Decimal
from typing import Any

from ..shop.sql_read_models import read_sql
from ..stores.sql import StoreError
from .exercises import Hint, _call, exercise
from .partitions import Consumer, Message, Topic

__all__ = [
    "AS_STORED",
    "BUS",
    "STORE",
    "TRANSLATED",
    "UPCAST",
    "check_checkpoint_after_crash",
    "check_event_counts",
    "check_public_consumer",
    "check_topic_promises",
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
    "tell the analytics team's own system of every order placed, paid, refunded or cancelled; "
    "it must not read our database": BUS,
}
# What the relay publishes for other teams (notebook 8c, "Public and internal events").
AS_STORED = "every domain event, as the store records it"
UPCAST = "every domain event, in today's shape (upcast)"
TRANSLATED = "integration events of their own name, shape and version, translated from domain events"
PUBLISHED = (AS_STORED, UPCAST, TRANSLATED)


@exercise("8.3", "event store or bus, and what goes on the bus")
def check_store_or_bus(answers: Any, published: Any) -> str | None:
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
    if published not in PUBLISHED:
        if isinstance(published, str) and published.upper() in ("AS_STORED", "UPCAST", "TRANSLATED"):
            return (
                f"published is the text {published!r}, in quotes: write the name AS_STORED, UPCAST or TRANSLATED "
                "without quotes, as imported in the cell above"
            )
        return "published is one of AS_STORED, UPCAST or TRANSLATED, as imported in the cell above"
    if published == AS_STORED:
        return (
            "the tasks are right. Published as stored, the shop's own events become the warehouse's contract: after "
            "the rename it receives old events in one shape and new ones in another, and every rename to come "
            "breaks it again"
        )
    if published == UPCAST:
        return (
            "the tasks are right. Upcast, old events look like today's, but today's shape is the shop's to change: "
            "the rename changes what the warehouse receives the day it ships. What other teams read should change "
            "only when the shop decides to publish a new version of it"
        )
    return None


def _refund(message_id: str, order_id: str, sequence: int, amount: str) -> dict:
    return {
        "messageId": message_id,
        "type": "order.refunded",
        "schema": 1,
        "orderId": order_id,
        "sequence": sequence,
        "amount": amount,
    }


def _event(message_id: str, kind: str, order_id: str, sequence: int, **fields: str) -> dict:
    return {"messageId": message_id, "type": kind, "schema": 1, "orderId": order_id, "sequence": sequence, **fields}


# The public events the checks deliver: W1 has two refunds of the same amount (tell them apart by id, not by
# what they say), W5 sits in a partition of its own (its offsets are those of the other), sequences skip private events.
_PUBLIC = [
    _event("m-01", "order.placed", "W1", 1, amount="50.00", currency="EUR"),
    _event("m-02", "order.placed", "W2", 1, amount="20.00", currency="EUR"),
    _event("m-03", "order.paid", "W1", 2),
    _event("m-04", "order.placed", "W5", 1, amount="8.00", currency="EUR"),
    _refund("m-05", "W1", 4, "10.00"),
    _event("m-06", "order.cancelled", "W2", 2),
    _event("m-07", "order.paid", "W5", 2),
    _refund("m-08", "W1", 6, "10.00"),
    _refund("m-09", "W5", 4, "5.50"),
    _event("m-10", "order.shipped", "W1", 7),
]
_REFUNDED = {"W1": Decimal("20.00"), "W5": Decimal("5.50")}
_LATEST = {"W1": "order.shipped", "W2": "order.cancelled", "W5": "order.refunded"}


def _public_topic(republish: int = 0) -> Topic:
    """The public events on a topic of two partitions; the last ``republish`` again, as a relay that crashed
    after publishing and before saving its checkpoint sends them: the same messages at new offsets."""
    topic = Topic("shop.orders", partitions=2)
    for value in _PUBLIC + _PUBLIC[len(_PUBLIC) - republish :]:
        topic.produce(value["orderId"], dict(value))
    return topic


def _deliveries() -> list[tuple[str, list[Message]]]:
    """Ways a bus delivers the same messages, named for the hint; each run starts from a fresh state."""
    clean = Consumer(_public_topic()).poll()
    crashed = Consumer(_public_topic())
    first = crashed.poll()[:7]  # handled, then the consumer died before committing: all of them come again
    redelivered = first + crashed.poll()
    republished = Consumer(_public_topic(republish=3)).poll()
    shuffled = []
    for seed in range(3):
        messages = Consumer(_public_topic(republish=2)).poll()
        messages += messages[: 4 + seed]
        random.Random(seed).shuffle(messages)
        shuffled.append(messages)
    return [
        ("once each, partitions interleaved", clean),
        ("again after a crash", redelivered),
        ("with the relay publishing some again", republished),
        *(("in any order, some twice", messages) for messages in shuffled),
    ]


def _receive_all(receive: Any, messages: list[Message]) -> dict:
    state: dict = {"refunded": {}, "latest": {}}
    for message in messages:
        state = _call(f"receiving {message.value['messageId']}", receive, state, message, what="receive")
        if (
            not isinstance(state, dict)
            or not isinstance(state.get("refunded"), dict)
            or not isinstance(state.get("latest"), dict)
        ):
            raise Hint('return the state, the dict with "refunded" and "latest" in it, every time')
    return state


@exercise("8c.1", "a consumer that survives the bus", shape="a function receive(state, message) returning the dict")
def check_public_consumer(receive: Any) -> str | None:
    for how, messages in _deliveries():
        state = _receive_all(receive, messages)
        refunded = {order: total for order, total in state["refunded"].items() if total}
        if any(isinstance(total, float) for total in refunded.values()):
            return 'money is never a float: the amounts are text, such as "10.00"; add them as Decimal(amount)'
        if how.startswith("once") and refunded.get("W1") == Decimal("10.00"):
            return (
                "order W1 had two refunds of 10.00 and you counted one: two messages may say the same thing. "
                "Tell messages apart by their messageId, not by what they say"
            )
        if any(refunded.get(order, 0) < total for order, total in _REFUNDED.items()) or set(state["latest"]) != set(
            _LATEST
        ):
            if how.startswith("once"):
                return (
                    f"delivered {how}, some messages were left out. An offset counts within its partition (each "
                    "starts at 0), so neither an offset nor one checkpoint for all partitions tells messages apart; "
                    "a messageId does"
                )
            if how.startswith("in any order"):
                return (
                    f"delivered {how}, some messages were left out: one order's messages came out of order, and a "
                    "message below the highest sequence seen can still be new. Tell messages apart by messageId"
                )
            return (
                f"delivered {how}, some messages were left out, though each came at least once. Keep what you "
                "remember in state (each delivery starts from a fresh one), and tell messages apart by messageId"
            )
        if refunded != _REFUNDED:
            return (
                f"delivered {how}, the refunds came to {_money(refunded)}, not {_money(_REFUNDED)}: a message that "
                "comes again must change nothing. Remember the messageIds applied (an inbox, in state)"
                + (", not offsets: the relay's second copy has new ones" if "relay" in how else "")
            )
        if state["latest"] != _LATEST:
            return (
                f"delivered {how}, latest came to {state['latest']}: an older message arrived after a newer one. "
                "latest is the type of each order's message with the highest sequence, whatever came last"
            )
    return None


def _money(totals: dict) -> str:
    return ", ".join(f"{order} {total}" for order, total in sorted(totals.items())) or "nothing"


PROMISES = {
    "one order's messages reach a consumer in the order they were produced": True,
    "messages of two different orders reach a consumer in the order they were produced": False,
    "a topic keeps every message for ever unless told otherwise": False,
    "a compacted topic keeps an order's whole history": False,
    "an idempotent producer stops two clerks from both refunding the same money": False,
    "a consumer's committed offset in partition 0 says nothing about partition 1": True,
}
_WHY = {
    "one order's messages reach a consumer in the order they were produced": (
        "one order is one key, and one key's messages all go to one partition, which keeps its order"
    ),
    "messages of two different orders reach a consumer in the order they were produced": (
        "two orders may sit in two partitions, and a consumer reads partitions side by side: order holds per key only"
    ),
    "a topic keeps every message for ever unless told otherwise": (
        "cleanup.policy is delete by default, and retention.ms is seven days: older messages go"
    ),
    "a compacted topic keeps an order's whole history": (
        "compaction keeps the latest message of each key and drops the older ones"
    ),
    "an idempotent producer stops two clerks from both refunding the same money": (
        "an idempotent producer stores one producer's retried send once; two clerks' refunds are two different "
        "sends, and the topic takes both"
    ),
    "a consumer's committed offset in partition 0 says nothing about partition 1": (
        "offsets count within their partition, each from 0: a consumer keeps one checkpoint per partition"
    ),
}


@exercise("8c.2", "what a topic promises")
def check_topic_promises(answers: Any) -> str | None:
    if not isinstance(answers, dict) or set(answers) != set(PROMISES):
        return "keep the dictionary as given, and replace each ... with True or False"
    for statement, given in answers.items():
        if not isinstance(given, bool):
            return f"answer {statement!r} with True or False, without quotes"
    wrong = [statement for statement, true in PROMISES.items() if answers[statement] != true]
    if wrong:
        first = wrong[0]
        return (
            f"{len(wrong)} of the {len(PROMISES)} {'is' if len(wrong) == 1 else 'are'} not right. The first: "
            f"{first!r} is "
            f"{PROMISES[first]}: {_WHY[first]}"
        )
    return None
