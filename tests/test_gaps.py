"""A gap that is not yet an event: readers of a store that leaves gaps lose nothing.

A store that takes positions from a sequence, without serialising its writers, can show position 8 while
the transaction that took 7 has not committed.  A reader that trusts ``position > checkpoint`` moves to 8 and
never sees 7.  The runner and the SQL read models stop before such a gap until it fills, or until it has been
open ``gap_timeout`` seconds (then it is taken for a rollback).  Shown here in memory (a store that holds an
event back) and on real PostgreSQL (an uncommitted transaction that skipped the store's lock).
"""
import dataclasses
from decimal import Decimal
from pathlib import Path

import nbformat
import psycopg
import pytest

from eventsim import InMemoryEventStore, OrderCreated, OrderPaid, ProjectionRunner
from eventsim.jsonl import event_to_payload
from eventsim.projections import GapWatch
from eventsim.registry import event_type
from eventsim.shop.read_models import orders_projection
from eventsim.shop.sql_read_models import SQLReadModels
from eventsim.stores.postgres import PostgresEventStore
from eventsim.stores.sql import payload_json, row_checksum


class Clock:
    """Seconds that move only when told."""

    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


class LateCommits:
    """The reading side of a sequence store: positions are taken in one order and made visible in another.

    ``take(stream, event)`` reserves the next position (a transaction that has not committed);
    ``commit(position)`` makes it visible.  It does not say ``commits_in_sequence``."""

    def __init__(self):
        self._source = InMemoryEventStore(clock=lambda: 1_700_000_000)  # hands out the numbers
        self._taken = {}
        self._visible = []

    def take(self, stream_id, event):
        recorded = self._source.append(stream_id, [event])[0]  # the sequence's next number
        self._taken[recorded.position] = recorded
        return recorded.position

    def commit(self, position):
        self._visible = sorted([*self._visible, self._taken.pop(position)], key=lambda r: r.position)

    def roll_back(self, position):
        del self._taken[position]

    def read_all(self, from_position=1, limit=None):
        found = [r for r in self._visible if r.position >= from_position]
        return found if limit is None else found[:limit]

    @property
    def last_position(self):
        return self._visible[-1].position if self._visible else 0


def six_orders_then_seven_and_eight(store):
    """Orders 1-6 committed; order 7 takes position 7 and waits; order 8 takes 8 and commits first."""
    for n in range(1, 7):
        store.commit(store.take(f"order-{n}", OrderCreated(str(n), Decimal("10.00"))))
    seven = store.take("order-7", OrderCreated("7", Decimal("70.00")))
    store.commit(store.take("order-8", OrderCreated("8", Decimal("80.00"))))
    return seven


def test_the_runner_waits_at_a_gap_of_an_uncommitted_transaction_and_loses_nothing():
    store, clock = LateCommits(), Clock()
    seven = six_orders_then_seven_and_eight(store)
    runner = ProjectionRunner(store, orders_projection, clock=clock)
    assert runner.catch_up() == 6 and runner.checkpoint == 6  # stops before 7: it may still commit
    clock.now += 1
    assert runner.catch_up() == 0 and runner.checkpoint == 6
    store.commit(seven)
    assert runner.catch_up() == 2 and runner.checkpoint == 8
    assert sorted(runner.state) == [str(n) for n in range(1, 9)]
    assert runner.passed_gaps == []


def test_a_gap_still_open_after_the_timeout_is_taken_for_a_rollback_and_listed():
    store, clock = LateCommits(), Clock()
    seven = six_orders_then_seven_and_eight(store)
    store.roll_back(seven)
    runner = ProjectionRunner(store, orders_projection, gap_timeout=5, clock=clock)
    assert runner.catch_up() == 6
    clock.now += 4.9
    assert runner.catch_up() == 0 and runner.checkpoint == 6
    clock.now += 0.1  # five seconds since the gap was first seen
    assert runner.catch_up() == 1 and runner.checkpoint == 8
    assert runner.passed_gaps == [(7, 7)]
    assert runner.rebuild() is runner.state and runner.checkpoint == 6 and runner.passed_gaps == []


def test_a_gap_that_fills_is_forgotten_and_a_later_gap_gets_its_own_time():
    store, clock = LateCommits(), Clock()
    seven = six_orders_then_seven_and_eight(store)
    watch = GapWatch(timeout=5, clock=clock)
    assert [r.position for r in watch.settled(store.read_all(1), 0)] == list(range(1, 7))
    clock.now += 4
    store.commit(seven)
    nine = store.take("order-9", OrderPaid("9"))
    store.commit(store.take("order-10", OrderPaid("10")))
    assert [r.position for r in watch.settled(store.read_all(7), 6)] == [7, 8]  # 9 is new: not yet 5 s open
    clock.now += 4.9
    assert watch.settled(store.read_all(9), 8) == []
    clock.now += 0.1
    assert [r.position for r in watch.settled(store.read_all(9), 8)] == [10] and watch.passed == [(9, 9)]
    assert nine == 9


def test_a_store_that_commits_in_sequence_is_read_on_at_once():
    store = InMemoryEventStore()
    assert store.commits_in_sequence and PostgresEventStore.commits_in_sequence
    events = [dataclasses.replace(r, position=10 * r.position) for r in
              store.append("order-1", [OrderCreated("1", Decimal("1.00")), OrderPaid("1")])]
    assert GapWatch.of(store, clock=Clock()).settled(events, 0) == events
    assert GapWatch(clock=Clock()).settled(events, 0) == []  # a log that promises nothing: 1-9 may still come


@pytest.mark.parametrize("timeout", [-1, True, "5", float("nan")])
def test_a_timeout_that_is_not_seconds_is_refused(timeout):
    with pytest.raises(ValueError, match="gap_timeout must be a number of seconds"):
        ProjectionRunner(InMemoryEventStore(), orders_projection, gap_timeout=timeout)


# --- on real PostgreSQL: a transaction that took position 7 and has not committed -----------------------------

class SequenceStore(PostgresEventStore):
    """The PostgreSQL store, read as a store whose writers are not serialised: it does not promise commit order."""

    commits_in_sequence = False


def insert(connection, position, event):
    """One event row, written as a writer that skipped the store's lock would write it."""
    registration = event_type(event)
    data = payload_json(event_to_payload(event))
    connection.execute(
        "INSERT INTO events (position, stream_id, version, event_type, schema_version, data, recorded_at, event_id,"
        " checksum) VALUES (%s, %s, 1, %s, %s, %s, 1700000000, %s, %s)",
        (position, f"order-{event.order_id}", registration.name, registration.schema_version, data, f"e{position}",
         row_checksum(registration.name, registration.schema_version, data)),
    )


def test_on_postgresql_the_runner_and_the_tables_wait_for_a_transaction_that_commits_late(postgres_url):
    store = SequenceStore(postgres_url, clock=lambda: 1_700_000_000)
    for n in range(1, 7):
        store.append(f"order-{n}", [OrderCreated(str(n), Decimal("10.00"))])
    clock = Clock()
    runner = ProjectionRunner(store, orders_projection, clock=clock)
    tables = SQLReadModels(store, clock=clock)
    with psycopg.connect(postgres_url) as seven, psycopg.connect(postgres_url, autocommit=True) as eight:
        insert(seven, 7, OrderCreated("7", Decimal("70.00")))  # its transaction is still open
        insert(eight, 8, OrderCreated("8", Decimal("80.00")))  # committed at once
        assert [r.position for r in store.read_all(6)] == [6, 8]  # what any reader sees now
        runner.catch_up()
        tables.catch_up()
        assert runner.checkpoint == 6 and tables.orders.checkpoint == 6
        seven.commit()
    assert runner.catch_up() == 2 and tables.catch_up() == 2
    assert sorted(runner.state) == [str(n) for n in range(1, 9)]
    assert sorted(tables.orders_frame()["order_id"]) == [str(n) for n in range(1, 9)]
    assert runner.passed_gaps == [] and tables.orders.gaps.passed == []
    tables.close()
    store.close()


# --- what the workbook says about it ----------------------------------------------------------------------

def prose(name):
    path = next((Path(__file__).resolve().parents[1] / "notebooks").glob(f"*_{name}.ipynb"))
    return " ".join(" ".join(c.source.split()) for c in nbformat.read(path, as_version=4).cells
                    if c.cell_type == "markdown")


def test_the_workbook_says_a_gap_may_be_an_event_to_come_and_what_the_lock_costs():
    recap, designing = prose("recap"), prose("designing_with_events")
    assert "would not afford" not in recap and "a gap may be an event not committed yet" in recap
    assert "caps appends/s near one writer's commit rate" in recap
    assert "there is no append that is atomic across two streams" not in designing
    assert "each stream with its expected version, all or nothing" in designing
