"""Read models in tables: the same facts as the in-memory read models, and a checkpoint that moves
with the rows, in one transaction, on SQLite and on PostgreSQL."""
import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import textwrap
from decimal import Decimal as D
from functools import partial

import pandas as pd
import pytest

from eventsim.clock import SimulatedClock
from eventsim.copying import copy_log
from eventsim.ids import SeededIds
from eventsim.projections import ProjectionFailed, ProjectionRunner
from eventsim.shop.events import OrderCreated, OrderPaid, RefundCreated, RefundPaid
from eventsim.shop.read_models import ShopReadModels, orders_frame, orders_projection
from eventsim.shop.simulator import SimulationConfig, simulate
from eventsim.shop.sql_read_models import SQLReadModel, SQLReadModels, read_sql
from eventsim.store import InMemoryEventStore
from eventsim.stores import SQLiteEventStore, StoreError, open_store

FRAMES = ("orders_frame", "refunds_frame", "daily_revenue_frame")


@pytest.fixture(scope="module")
def simulated():
    """A simulated shop with refunds paid out, cancellations and several days."""
    return simulate(SimulationConfig(orders=150, seed=4, days=4))


@pytest.fixture
def url(database_url):
    return database_url


def copy_of(log, url):
    """A store at ``url`` holding ``log`` exactly (times, ids), recorded through the shop."""
    return copy_log(log, make_store=partial(open_store, url))


def in_memory(log):
    store = copy_log(log)
    read_models = ShopReadModels(store)
    read_models.catch_up()
    return read_models


def assert_same_tables(tables, expected):
    for frame in FRAMES:
        pd.testing.assert_frame_equal(getattr(tables, frame)(), getattr(expected, frame)())


@pytest.mark.parametrize("batch_size", [1, 7, 500])
def test_tables_hold_the_same_facts_as_the_in_memory_read_models(simulated, url, batch_size):
    log = simulated.store.read_all()
    store = copy_of(log, url)
    with SQLReadModels(store, batch_size=batch_size) as tables:
        assert tables.catch_up() == len(log)
        expected = in_memory(log)
        assert_same_tables(tables, expected)
        assert tables.lag == 0 and list(tables.checkpoints()["position"]) == [store.last_position] * 3
        queries = expected.queries()
        for status in ("paid", "shipped", "cancelled, refunded", "shipped, partially refunded"):
            pd.testing.assert_frame_equal(tables.orders_by_status(status), queries.orders_by_status(status))
        pd.testing.assert_frame_equal(tables.revenue_between("2021-08-09", "2021-08-10"),
                                      queries.revenue_between("2021-08-09", "2021-08-10"))
        refunded = expected.refunds_frame()["order_id"].iloc[0]
        assert tables.order(refunded) == queries.order(refunded) and tables.order(refunded)["refunds"]
        assert tables.order("nobody") is None
        money = tables.orders_frame()["refunds_paid"]
        assert all(type(amount) is D for amount in money) and money.sum() > 0
    store.close()


def test_money_is_exact_in_the_tables_and_back(url):
    store = open_store(url, clock=SimulatedClock(start=1_628_380_000, step=1), ids=SeededIds(1))
    big = D("1000000000000.00")
    store.append("order-1", [OrderCreated("1", big), OrderPaid("1"), RefundCreated("1", D("0.10"), "R1"),
                             RefundCreated("1", D("0.20"), "R2"), RefundPaid("1", "R1"), RefundPaid("1", "R2")])
    store.append("order-2", [OrderCreated("2", big), OrderPaid("2")])
    with SQLReadModels(store) as tables:
        tables.catch_up()
        row = tables.orders_frame().iloc[0]
        assert (row["refunds_paid"], row["net"]) == (D("0.30"), D("999999999999.70"))
        day = tables.daily_revenue_frame().iloc[0]
        assert (day["gross_paid"], day["refunds_paid"], day["net"]) == (2 * big, D("0.30"), 2 * big - D("0.30"))
        assert str(tables.refunds_frame()["amount"].iloc[0]) == "0.10"
    if isinstance(store, SQLiteEventStore):  # SQLite has no decimal type: the exact text, never a REAL
        with sqlite3.connect(url) as db:
            assert db.execute("SELECT typeof(net), net FROM orders WHERE order_id = '1'").fetchone() == \
                ("text", "999999999999.70")
    store.close()


class FailAt(Exception):
    pass


def test_a_batch_that_fails_before_its_commit_keeps_nothing_and_the_next_catch_up_resumes(
        simulated, url, monkeypatch):
    log = simulated.store.read_all()
    store = copy_of(log, url)
    tables = SQLReadModels(store, batch_size=50)
    advance, calls = SQLReadModel._advance, []

    def fail_on_third_batch(self, cursor, position):
        calls.append(position)
        advance(self, cursor, position)  # the checkpoint is written too, then the batch fails: all rolled back
        if len(calls) == 3:
            raise FailAt(position)

    monkeypatch.setattr(SQLReadModel, "_advance", fail_on_third_batch)
    with pytest.raises(FailAt):
        tables.orders.catch_up()
    assert tables.orders.checkpoint == calls[1] == log[99].position
    expected = ShopReadModels(copy_log(log))
    expected.orders.catch_up(100)
    pd.testing.assert_frame_equal(tables.orders_frame(), expected.orders_frame())  # two batches, no more
    monkeypatch.undo()
    tables.catch_up()
    assert_same_tables(tables, in_memory(log))
    tables.close()
    store.close()


KILLER = textwrap.dedent("""
    import os, signal, sys
    from eventsim.shop.sql_read_models import SQLReadModel, SQLReadModels, read_sql
    from eventsim.stores import open_store

    advance, calls = SQLReadModel._advance, []

    def killed_in_third_batch(self, cursor, position):
        calls.append(position)
        advance(self, cursor, position)
        if len(calls) == 3:  # rows and checkpoint written, not committed
            os.kill(os.getpid(), signal.SIGKILL)

    SQLReadModel._advance = killed_in_third_batch
    SQLReadModels(open_store(sys.argv[1]), batch_size=40).catch_up()
""")


def test_a_process_killed_mid_batch_neither_loses_nor_double_counts_an_event(simulated, url):
    log = simulated.store.read_all()
    copy_of(log, url).close()
    killed = subprocess.run([sys.executable, "-c", KILLER, url], capture_output=True, text=True, timeout=120,
                            check=False)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    store = open_store(url)
    with SQLReadModels(store) as tables:
        checkpoints = tables.checkpoints().set_index("read_model")["position"]
        assert checkpoints["orders"] == log[79].position  # two batches of 40 committed; the third not
        assert checkpoints["refunds"] == checkpoints["daily revenue"] == 0
        assert tables.orders_frame()["events"].sum() == 80
        tables.catch_up()
        assert_same_tables(tables, in_memory(log))
    store.close()


def poisoned_log(url):
    """Order 1 and 2 placed and paid, a refund paid out that was never requested, then order 3."""
    store = open_store(url, clock=SimulatedClock(start=1_628_380_000, step=60), ids=SeededIds(2))
    store.append("order-1", [OrderCreated("1", D("10.00")), OrderPaid("1")])
    store.append("order-2", [OrderCreated("2", D("20.00")), OrderPaid("2")])
    store.append("order-1", [RefundPaid("1", "ghost")])  # past the rules: appended straight to the store
    store.append("order-3", [OrderCreated("3", D("30.00"))])
    return store


def test_an_event_that_cannot_be_applied_stops_the_read_model_there_until_skipped(url):
    store = poisoned_log(url)
    tables = SQLReadModels(store, batch_size=10)
    with pytest.raises(ProjectionFailed, match="stopped at position 5 .*'ghost'.*catch_up.*skip"):
        tables.catch_up()
    assert tables.orders.failure.position == 5 and tables.orders.checkpoint == 4
    assert list(tables.orders_frame()["order_id"]) == ["1", "2"]  # the events before it are kept
    assert tables.refunds.checkpoint == 4 and tables.daily_revenue.checkpoint == 4
    with pytest.raises(ProjectionFailed):  # tried again, it fails again, and changes nothing
        tables.orders.catch_up()
    assert tables.orders.checkpoint == 4
    assert tables.orders.skip().position == 5
    assert tables.orders.catch_up() == 1
    memory = InMemoryEventStore()
    for recorded in store.read_all():
        memory.append(recorded.stream_id, [recorded.event])
    runner = ProjectionRunner(memory, orders_projection)
    with pytest.raises(ProjectionFailed):
        runner.catch_up()
    runner.skip()
    runner.catch_up()
    times = ["created_at", "updated_at"]  # the in-memory copy has its own clock
    pd.testing.assert_frame_equal(tables.orders_frame().drop(columns=times),
                                  orders_frame(runner.state).drop(columns=times))
    assert list(tables.orders_frame()["order_id"]) == ["1", "2", "3"] and tables.orders.skipped[0].position == 5
    with pytest.raises(ValueError, match="nothing to skip"):
        tables.orders.skip()
    tables.close()
    store.close()


def test_rebuild_drops_the_tables_and_replays_the_log(simulated, url):
    log = simulated.store.read_all()
    store = copy_of(log, url)
    with SQLReadModels(store) as tables:
        tables.catch_up()
        tampered = open_store(url)
        with SQLReadModels(tampered) as other, other._db.transaction() as cursor:  # another connection
            cursor.execute("DELETE FROM refunds")
            cursor.execute("UPDATE orders SET net = 0")
        tampered.close()
        assert tables.refunds_frame().empty
        tables.rebuild()
        assert_same_tables(tables, in_memory(log))
        assert tables.orders.checkpoint == store.last_position
    store.close()


class GappedStore(SQLiteEventStore):
    """An SQLite store whose positions are 10, 20, 30, ...: a log with gaps, as PostgreSQL can leave."""

    def read_all(self, from_position=1, limit=None):
        events = super().read_all((from_position + 9) // 10, limit)
        return [r.__class__(r.position * 10, *vars_of(r)[1:]) for r in events]

    @property
    def last_position(self):
        return super().last_position * 10


def vars_of(recorded):
    return [getattr(recorded, name) for name in recorded.__dataclass_fields__]


def test_positions_with_gaps_lose_no_event(simulated, tmp_path):
    log = simulated.store.read_all()
    copy_of(log, str(tmp_path / "gaps.db")).close()
    store = GappedStore(tmp_path / "gaps.db")
    with SQLReadModels(store, batch_size=13) as tables:
        assert tables.catch_up() == len(log)
        assert tables.orders.checkpoint == 10 * len(log)
        assert_same_tables(tables, in_memory(log))
    store.close()


def test_only_a_database_store_has_read_models_in_tables():
    with pytest.raises(TypeError, match="need an SQLite or PostgreSQL store.*ShopReadModels"):
        SQLReadModels(InMemoryEventStore())


def test_an_unknown_status_or_an_empty_period_is_refused(tmp_path):
    store = open_store(str(tmp_path / "s.db"))
    with SQLReadModels(store) as tables:
        with pytest.raises(ValueError, match="unknown status 'lost'"):
            tables.orders_by_status("lost")
        with pytest.raises(ValueError, match="starts on 2021-08-10 after it ends on 2021-08-09"):
            tables.revenue_between("2021-08-10", "2021-08-09")
        with pytest.raises(ValueError, match="batch_size must be a positive int"):
            SQLReadModels(store, batch_size=0)
    store.close()
    assert os.path.exists(tmp_path / "s.db")


def test_read_sql_gives_any_query_as_a_frame_and_never_writes(simulated, url):
    log = simulated.store.read_all()[:40]
    store = copy_of(log, url)
    events = read_sql(store, "SELECT position, stream_id, event_type FROM events ORDER BY position")
    assert list(events.columns) == ["position", "stream_id", "event_type"]
    assert list(events["event_type"]) == [r.event_type for r in log]
    with pytest.raises(StoreError, match=f"{re.escape(store.name)}: .*read"):
        read_sql(store, "DELETE FROM events")
    assert len(read_sql(store, "SELECT event_id FROM events")) > 0
    store.close()


def test_read_sql_gives_an_events_data_as_its_json_text_on_every_database(url):
    """Notebook 8 shows the data column as the JSON text, money exact: a dict would hold floats (0.1)."""
    store = open_store(url)
    store.append("order-7", [OrderCreated("7", D("0.10")), RefundCreated("7", D("0.20"), "R1")])
    data = list(read_sql(store, "SELECT data FROM events ORDER BY position")["data"])
    assert all(isinstance(text, str) for text in data), data
    amounts = [json.loads(text)["amount"] for text in data]
    assert amounts == ["0.10", "0.20"]  # money as exact decimal strings, whatever reads them
    assert sum(D(amount) for amount in amounts) == D("0.30")
    store.close()


def test_two_processes_catching_up_at_once_apply_each_event_once(simulated, url):
    log = simulated.store.read_all()
    copy_of(log, url).close()
    script = "import sys; from eventsim.shop.sql_read_models import SQLReadModels; from eventsim.stores import open_store; " \
             "SQLReadModels(open_store(sys.argv[1]), batch_size=9).catch_up()"
    runs = [subprocess.Popen([sys.executable, "-c", script, url], stderr=subprocess.PIPE, text=True)
            for _ in range(2)]
    for run in runs:
        assert run.wait(timeout=120) == 0, run.stderr.read()
    store = open_store(url)
    with SQLReadModels(store) as tables:
        assert tables.lag == 0
        assert_same_tables(tables, in_memory(log))
    store.close()


def test_a_server_that_goes_away_is_one_error_naming_the_store_and_the_next_catch_up_resumes(
        simulated, postgres_server, postgres_url):
    log = simulated.store.read_all()
    store = copy_of(log, postgres_url)
    tables = SQLReadModels(store, batch_size=50)
    assert tables.orders.catch_up(100) == 100
    postgres_server.stop("fast")
    try:
        with pytest.raises(StoreError, match=f"^{re.escape(store.name)}: "):
            tables.orders.catch_up()
    finally:
        postgres_server.start()
    for _ in range(3):  # a connection that broke says so once, then connects again
        try:
            tables.catch_up()
            break
        except StoreError as error:
            assert error.store == store.name
    assert tables.lag == 0
    assert_same_tables(tables, in_memory(log))
    tables.close()
    store.close()
