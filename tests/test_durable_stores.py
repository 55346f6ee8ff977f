"""What only a database-backed store has to get right, on SQLite and PostgreSQL alike:
other processes writing at the same time, a tailing reader, a writer killed mid-append,
files and servers that are not what they should be.  The contract itself is in
test_store_contract.py."""
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from decimal import Decimal as D
from pathlib import Path

import pytest

from eventsim.jsonl import EventFormatError
from eventsim.registry import register_event
from eventsim.shop.events import OrderCreated, OrderPaid, OrderShipped, RefundCreated
from eventsim.store import NO_STREAM, CommandRecord, ConcurrencyError, InMemoryEventStore
from eventsim.stores import PostgresEventStore, SQLiteEventStore, StoreError, open_store
from eventsim.stores.sql import row_checksum, stored_event

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def url(database_url):
    return database_url


def raw(url, sql):
    """Run one statement on the store's database behind its back (a learner with a SQL console)."""
    if url.startswith("postgresql://"):
        import psycopg
        with psycopg.connect(url, autocommit=True) as connection:
            cursor = connection.execute(sql)
            return cursor.fetchall() if cursor.description else None
    with sqlite3.connect(url) as connection:
        return connection.execute(sql).fetchall()


# Each worker is a separate Python process; it prints one line per committed append.  With threads, each
# thread does the job under a name of its own, through the process's one store object (group commits).
WORKER = """
import sys
import threading
from decimal import Decimal as D
from eventsim.shop.events import OrderCreated, RefundCreated
from eventsim.store import NO_STREAM, CommandRecord, ConcurrencyError
from eventsim.stores import open_store

url, job, name, rounds, threads = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
store = open_store(url)

def work(name):
    for r in range(rounds):
        if job == "race":  # read the version, append expecting it, retry when another writer got there first
            while True:
                version = store.stream_version("shared")
                try:
                    store.append("shared", [OrderCreated(f"{name}-{r}", D(r))], expected_version=version)
                    break
                except ConcurrencyError:
                    pass
            store.append(f"own-{name}", [OrderCreated(f"{name}-own-{r}", D(1))])
        elif job == "batches":  # big batches: a kill lands inside one
            stream = f"order-{name}-{r}"
            store.append(stream, [OrderCreated(stream, D("0.10"))]
                         + [RefundCreated(stream, D("0.01"), refund_id=f"r{k}") for k in range(149)],
                         NO_STREAM, command=CommandRecord(f"cmd-{stream}", "f", stream, 1, 150))
            while True:
                version = store.stream_version("ledger")
                try:
                    store.append("ledger", [OrderCreated(f"{stream}-{k}", D(1)) for k in range(3)], version)
                    break
                except ConcurrencyError:  # another thread of this process
                    pass
        print(r, flush=True)

workers = [threading.Thread(target=work, args=(f"{name}{k}" if threads > 1 else name,)) for k in range(threads)]
for worker in workers:
    worker.start()
for worker in workers:
    worker.join()
"""


def start_worker(url, job, name, rounds, threads=1):
    return subprocess.Popen([sys.executable, "-c", WORKER, url, job, name, str(rounds), str(threads)], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finish(worker):
    out, err = worker.communicate(timeout=120)
    assert worker.returncode == 0, err
    return out


# --- several processes -----------------------------------------------------------------

def test_two_processes_racing_on_one_stream_behave_like_two_threads(url):
    open_store(url).close()  # create the tables before the race
    rounds = 60
    workers = [start_worker(url, "race", name, rounds) for name in ("p", "q")]
    for worker in workers:
        finish(worker)
    store = open_store(url)
    shared = store.read_stream("shared")
    assert [r.version for r in shared] == list(range(1, 2 * rounds + 1))  # none lost, none twice
    assert sorted(r.event.order_id for r in shared) == sorted(f"{n}-{r}" for n in "pq" for r in range(rounds))
    assert len(store) == 4 * rounds
    positions = [r.position for r in store.read_all()]
    assert positions == sorted(set(positions))


@pytest.mark.parametrize("threads", [1, 4])
def test_a_tailing_reader_never_misses_an_event_that_commits_late(url, threads):
    reader = open_store(url)
    rounds = 80 // threads
    workers = [start_worker(url, "race", name, rounds, threads) for name in ("p", "q", "r")]
    seen, last = [], 0
    while any(worker.poll() is None for worker in workers) or len(seen) < len(reader):
        page = reader.read_all(last + 1)  # follow the log by position, as a projection does
        seen += page
        if page:
            last = page[-1].position
    for worker in workers:
        finish(worker)
    assert len(seen) == 6 * rounds * threads
    assert seen == reader.read_all()  # every event, in order: nothing slipped in behind the reader


def test_a_subscription_gets_other_processes_events_on_poll(url):
    ours, theirs = open_store(url), open_store(url)
    seen = []
    ours.subscribe(seen.append)
    theirs.append("a", [OrderCreated("o1", D(1)), OrderPaid("o1")])
    assert seen == []  # nothing polls behind your back
    ours.poll()
    assert [r.event for r in seen] == [OrderCreated("o1", D(1)), OrderPaid("o1")]
    ours.append("a", [OrderPaid("o1")])
    assert [r.position for r in seen] == [1, 2, 3]


# --- group commit: threads sharing one store object --------------------------------------

def append_together(store, appends):
    """Run each ``(stream_id, events, expected_version)`` in a thread of its own.  The first one commits
    alone and slowly: the test holds the store's connection, as a slow fsync would, until all the others
    wait behind it; they are then committed together.  Returns each thread's recorded events or the
    exception it raised, in order."""
    outcomes = [None] * len(appends)

    def run(i, stream_id, events, expected):
        try:
            outcomes[i] = store.append(stream_id, events, expected,
                                       command=CommandRecord(f"cmd-{i}", "f", stream_id, 1, len(events)))
        except Exception as error:  # noqa: BLE001 - handed to the test to look at
            outcomes[i] = error

    def until(condition):
        deadline = time.monotonic() + 30
        while not condition() and time.monotonic() < deadline:
            time.sleep(0.001)

    threads = [threading.Thread(target=run, args=(i, *append)) for i, append in enumerate(appends)]
    with store._lock:
        threads[0].start()
        until(lambda: store._leading)  # the first is committing (waiting for the connection)
        for thread in threads[1:]:
            thread.start()
        until(lambda: len(store._queued) == len(appends) - 1)  # and all the others wait
    for thread in threads:
        thread.join(30)
    return outcomes


def test_appends_that_wait_for_a_commit_share_the_next_one(url):
    store = open_store(url)
    outcomes = append_together(store, [(f"order-{i}", [OrderCreated(f"o{i}", D(i + 1)), OrderPaid(f"o{i}")],
                                        NO_STREAM) for i in range(8)])
    assert [[r.version for r in recorded] for recorded in outcomes] == [[1, 2]] * 8
    assert store.commits == 2  # the first alone, then the seven that waited for it, together
    reader = open_store(url)
    log = reader.read_all()  # what another reader sees: every append, whole, in the order recorded
    assert sorted(r.position for recorded in outcomes for r in recorded) == [r.position for r in log]
    for i in range(8):
        assert [r.event for r in reader.read_stream(f"order-{i}")] == [OrderCreated(f"o{i}", D(i + 1)),
                                                                         OrderPaid(f"o{i}")]
        assert reader.command_record(f"cmd-{i}").last_version == 2


def test_a_group_of_appends_reaches_postgresql_in_one_round_trip(postgres_url, tmp_path):
    """BEGIN, the group's appends and COMMIT are sent together: a group waits for the server once, as a
    lone append does, however many appends it holds (libpq's trace logs one ReadyForQuery per wait)."""
    store = open_store(postgres_url)
    trace = tmp_path / "libpq-trace"
    with trace.open("w") as file:
        store._conn.pgconn.trace(file.fileno())
        outcomes = append_together(store, [(f"order-{i}", [OrderCreated(f"o{i}", D(1))], NO_STREAM) for i in range(5)])
        store._conn.pgconn.untrace()
    assert all(isinstance(o, list) for o in outcomes) and store.commits == 2
    assert trace.read_text().count("ReadyForQuery") == 2  # the first append alone, then the other four


def test_a_refused_append_fails_alone_and_the_rest_of_its_group_is_recorded(url):
    store = open_store(url)
    store.append("taken", [OrderCreated("t", D(1))])
    appends = [(f"order-{i}", [OrderCreated(f"o{i}", D(1))], NO_STREAM) for i in range(6)]
    appends.insert(2, ("taken", [OrderPaid("t")], NO_STREAM))  # the stream exists: refused
    appends.insert(5, ("twice", [OrderCreated("w", D(1))], NO_STREAM))  # two appends race
    appends.insert(6, ("twice", [OrderCreated("w", D(2))], NO_STREAM))  # for one new stream
    outcomes = append_together(store, appends)
    assert isinstance(outcomes[2], ConcurrencyError) and outcomes[2].actual == 1
    lost = [o for o in outcomes[5:7] if isinstance(o, ConcurrencyError)]
    assert len(lost) == 1 and lost[0].actual == 1  # the loser saw the winner's event in the same transaction
    assert sum(isinstance(o, list) for o in outcomes) == 7
    assert store.commits == 3  # "taken", the first append alone, then the group
    reader = open_store(url)
    assert len(reader) == 8 and reader.stream_version("taken") == 1 and reader.stream_version("twice") == 1
    assert reader.command_record("cmd-2") is None  # a refused append leaves no idempotency record either
    assert_gapless(reader)


def test_a_stream_id_no_store_can_keep_fails_its_own_append_only(postgres_url):
    store = open_store(postgres_url)
    appends = [(f"order-{i}", [OrderCreated(f"o{i}", D(1))], NO_STREAM) for i in range(4)]
    appends[2] = ("order-\x00", [OrderCreated("o2", D(1))], NO_STREAM)  # text in PostgreSQL holds no NUL
    outcomes = append_together(store, appends)
    assert isinstance(outcomes[2], ValueError) and "control character" in str(outcomes[2])  # before the database
    assert [isinstance(o, list) for o in outcomes] == [True, True, False, True]
    assert sorted(open_store(postgres_url).stream_ids()) == ["order-0", "order-1", "order-3"]


@register_event
@dataclass(frozen=True)
class NoteTaken:
    """A learner's event with a free text field, which no check of its own keeps to what a database stores."""

    note: str


def test_a_value_the_postgresql_server_refuses_fails_its_own_append_only(postgres_url):
    store = open_store(postgres_url)
    appends = [(f"order-{i}", [OrderCreated(f"o{i}", D(1))], NO_STREAM) for i in range(4)]
    appends[2] = ("notes-2", [NoteTaken("\ud800")], NO_STREAM)  # a lone surrogate: no UTF-8 for it
    outcomes = append_together(store, appends)
    assert isinstance(outcomes[2], StoreError) and "refused a value" in str(outcomes[2])
    assert [isinstance(o, list) for o in outcomes] == [True, True, False, True]
    assert sorted(open_store(postgres_url).stream_ids()) == ["order-0", "order-1", "order-3"]
    assert store.commits == 2  # the first alone, then the group that the refused append was part of


def test_text_the_database_cannot_encode_is_refused_clearly_and_nothing_is_appended(url):
    store = open_store(url)
    store.append("order-1", [OrderCreated("o1", D(1))])
    with pytest.raises(ValueError, match="control character"):
        store.append("order-\ud800", [OrderCreated("o2", D(1))])  # a lone surrogate: no UTF-8 for it
    assert [r.stream_id for r in open_store(url).read_all()] == ["order-1"]


def test_a_group_whose_transaction_fails_records_nothing_and_every_caller_hears(url):
    calls = []

    def clock():  # fails in the group's second append: its first append is taken back too
        calls.append(1)
        if len(calls) == 3:
            raise RuntimeError("the clock broke")
        return 1_000

    store = open_store(url, clock=clock)
    outcomes = append_together(store, [(f"order-{i}", [OrderCreated(f"o{i}", D(1))], NO_STREAM) for i in range(5)])
    assert isinstance(outcomes[0], list)  # committed alone, before
    assert sum(isinstance(o, RuntimeError) for o in outcomes) == 1  # the thread that led the group
    followers = [o for o in outcomes if isinstance(o, StoreError)]
    assert len(followers) == 3 and all("nothing was appended" in str(o) for o in followers)
    assert [r.stream_id for r in open_store(url).read_all()] == ["order-0"] and store.commits == 1
    assert store.append("order-1", [OrderCreated("o1", D(1))], NO_STREAM)[0].version == 1  # and it goes on


def test_an_append_interrupted_while_it_waits_for_a_commit_is_not_recorded_later(url):
    """Ctrl-C in a notebook reaches the thread waiting behind a leader: its caller sees the interrupt,
    so its append must not be committed afterwards by the next group."""
    store = open_store(url)

    class Interrupted:  # stands in for the condition the followers wait on
        def wait(self):
            raise KeyboardInterrupt

    real, store._committed, store._leading = store._committed, Interrupted(), True  # a leader is committing
    with pytest.raises(KeyboardInterrupt):
        store.append("ghost", [OrderCreated("g", D(1))], NO_STREAM)
    store._committed, store._leading = real, False
    store.append("order-1", [OrderCreated("o1", D(1))], NO_STREAM)  # the next leader takes whatever waits
    assert [r.stream_id for r in open_store(url).read_all()] == ["order-1"]


def test_a_subscriber_hears_a_groups_events_after_they_are_committed(url):
    store, reader = open_store(url), open_store(url)
    heard = []
    store.subscribe(lambda r: heard.append((r.position, r.position in {e.position for e in reader.read_all()})))
    append_together(store, [(f"order-{i}", [OrderCreated(f"o{i}", D(1))], NO_STREAM) for i in range(5)])
    assert [position for position, _ in heard] == [r.position for r in reader.read_all()]
    assert len(heard) == 5 and all(committed for _, committed in heard)  # another connection could read each


def assert_gapless(store):
    positions = [r.position for r in store.read_all()]
    assert positions == sorted(set(positions))
    for stream_id in store.stream_ids():
        assert [r.version for r in store.read_stream(stream_id)] == list(range(1, store.stream_version(stream_id) + 1))


# --- crashes ----------------------------------------------------------------------------

@pytest.mark.parametrize("threads", [1, 3])
def test_a_writer_killed_mid_append_leaves_whole_batches_and_gapless_versions(url, threads):
    watcher = open_store(url)
    for kill in range(3):
        worker = start_worker(url, "batches", f"k{kill}", 10_000, threads)
        before = len(watcher)
        deadline = time.monotonic() + 60
        while len(watcher) < before + 300 + 150 * kill and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(0.01 * kill)  # somewhere else in the next append each time
        os.kill(worker.pid, signal.SIGKILL)
        worker.communicate(timeout=30)
        assert worker.returncode == -signal.SIGKILL
    watcher.close()

    store = open_store(url)  # opens as it is: no repair step
    streams = [s for s in store.stream_ids() if s.startswith("order-")]
    assert len(streams) >= 6
    for stream_id in streams:
        versions = [r.version for r in store.read_stream(stream_id)]
        assert versions == list(range(1, 151)), f"{stream_id} is not whole"
        assert store.command_record(f"cmd-{stream_id}").last_version == 150
    ledger = store.read_stream("ledger")
    assert [r.version for r in ledger] == list(range(1, len(ledger) + 1)) and len(ledger) % 3 == 0
    assert raw(url, "SELECT count(*) FROM commands")[0][0] == len(streams)
    if not url.startswith("postgresql://"):
        assert raw(url, "PRAGMA integrity_check") == [("ok",)]
    store.append("ledger", [OrderPaid("after the crash")], len(ledger))  # and it takes writes again


# --- what the database itself refuses ----------------------------------------------------

def test_the_database_refuses_to_change_or_delete_a_recorded_event(url):
    open_store(url).append("a", [OrderCreated("o1", D("0.10"))])
    for sql in ("UPDATE events SET data = '{\"orderId\": \"o1\", \"amount\": 1000}'", "DELETE FROM events"):
        with pytest.raises(Exception, match="recorded events"):
            raw(url, sql)
    assert open_store(url).read_all()[0].event.amount == D("0.10")


def test_amounts_are_exact_decimal_numbers_in_the_seeds_json_shape(url):
    open_store(url).append("order-1", [OrderCreated("1", D("999999999999.99"), customer_id="c1")])
    [(event_type, data)] = raw(url, "SELECT event_type, data::text FROM events" if url.startswith("postgresql")
                               else "SELECT event_type, data FROM events")
    assert event_type == "OrderCreated"
    assert "999999999999.99" in data and '"orderId": "1"' in data and '"customerId": "c1"' in data


def test_sqlite_durability_is_wal_with_the_synchronous_level_asked_for(tmp_path):
    levels = {"NORMAL": 1, "FULL": 2}
    for name, level in levels.items():
        store = SQLiteEventStore(tmp_path / "store.db", synchronous=name)
        assert store._query("PRAGMA journal_mode") == [("wal",)]
        assert store._db.execute("PRAGMA synchronous").fetchall() == [(level,)]  # the connection that commits
    assert SQLiteEventStore(tmp_path / "store.db").synchronous == "NORMAL"
    with pytest.raises(ValueError, match="synchronous"):
        SQLiteEventStore(tmp_path / "store.db", synchronous="OFF")


def test_sqlite_reads_after_an_append_go_through_the_connection_that_wrote(tmp_path):
    # The reading connection would drop its page cache after every commit it did not make (see sqlite.py).
    store = SQLiteEventStore(tmp_path / "store.db")
    statements: dict[str, list[str]] = {"writing": [], "reading": []}
    store._db.set_trace_callback(statements["writing"].append)
    store._reader.set_trace_callback(statements["reading"].append)
    store.append("order-1", [OrderCreated("1", D(1))])
    assert [r.version for r in store.read_stream("order-1")] == [1]
    assert statements["reading"] == []
    assert any("WHERE stream_id" in sql for sql in statements["writing"][-1:])


def test_a_sqlite_read_during_another_threads_commit_neither_waits_for_it_nor_sees_it(tmp_path):
    store = SQLiteEventStore(tmp_path / "store.db")
    store.append("order-1", [OrderCreated("1", D(1))])
    committing, release = threading.Event(), threading.Event()

    def hold_at_commit(sql: str) -> None:  # called as the statement starts: the rows are in, not committed
        if sql == "COMMIT":
            committing.set()
            release.wait(30)

    store._db.set_trace_callback(hold_at_commit)
    appender = threading.Thread(target=store.append, args=("order-2", [OrderCreated("2", D(2))]))
    appender.start()
    try:
        assert committing.wait(30)
        assert store.read_stream("order-2") == [] and len(store.read_all()) == 1
        assert not release.is_set()  # the reads came back while the commit was still held
    finally:
        release.set()
        appender.join(30)
    assert [r.event for r in store.read_stream("order-2")] == [OrderCreated("2", D(2))]


def test_sqlite_reads_leave_the_writing_connection_to_the_appends_waiting_for_it(tmp_path):
    # A read through the writing connection would make the next group of appends wait for it.
    store = SQLiteEventStore(tmp_path / "store.db")
    store.append("order-1", [OrderCreated("1", D(1))])
    reading: list[str] = []
    store._reader.set_trace_callback(reading.append)
    with store._lock:  # the writing connection is free for this thread, but an append is waiting for it
        appender = threading.Thread(target=store.append, args=("order-2", [OrderCreated("2", D(2))]))
        appender.start()
        deadline = time.monotonic() + 30
        while not store._leading and time.monotonic() < deadline:
            time.sleep(0.001)
        assert [r.version for r in store.read_stream("order-1")] == [1]
        assert len(reading) == 1  # through the reading connection
    appender.join(30)
    assert store.stream_version("order-2") == 1


PAID_1 = '{"orderId": "1"}'  # an OrderPaid row's data, as append writes it


def test_a_sqlite_read_never_sees_an_append_that_has_not_committed_even_its_own_threads(tmp_path):
    store = SQLiteEventStore(tmp_path / "store.db")
    with store._transaction():  # as an append holds it: the writing connection, in a transaction
        store._db.execute(
            "INSERT INTO events (position, stream_id, version, event_type, data, recorded_at, event_id, checksum)"
            f" VALUES (1, 'order-1', 1, 'OrderPaid', '{PAID_1}', 0, 'e1', {row_checksum('OrderPaid', 1, PAID_1)})"
        )
        assert store.read_stream("order-1") == [] and store.last_position == 0
    assert [r.event for r in store.read_stream("order-1")] == [OrderPaid("1")]


# --- bad files, newer schemas, servers that go away -------------------------------------

def test_a_file_that_is_not_a_database_is_refused_and_left_alone(tmp_path):
    path = tmp_path / "notes.db"
    path.write_bytes(b"these are my notes, not a database\n" * 200)
    with pytest.raises(StoreError, match="not an SQLite database") as caught:
        SQLiteEventStore(path)
    assert str(path) in str(caught.value)
    assert path.read_bytes() == b"these are my notes, not a database\n" * 200


def test_a_database_of_something_else_is_not_an_eventsim_store(url):
    raw(url, "CREATE TABLE events (id integer)")
    raw(url, "INSERT INTO events VALUES (42)")
    with pytest.raises(StoreError, match="not an eventsim store") as caught:
        open_store(url)
    assert ("SQLite store" in str(caught.value)) != url.startswith("postgresql://")
    assert raw(url, "SELECT id FROM events") == [(42,)]


def test_a_store_written_by_a_newer_eventsim_is_refused_and_kept(url):
    open_store(url).append("a", [OrderCreated("o1", D(1))])
    raw(url, "UPDATE eventsim_store SET schema_version = 99")
    with pytest.raises(StoreError, match="schema version 99.*newer eventsim"):
        open_store(url)
    assert raw(url, "SELECT count(*) FROM events") == [(1,)]


def insert_row(url, position, event_type, version, data, checksum="right"):
    """Insert an event row behind the store's back, with the checksum append would give it ("right"),
    with none (None), or with the given number."""
    if checksum == "right":
        checksum = row_checksum(event_type, version, data)
    value = "NULL" if checksum is None else checksum
    quoted = data.replace("'", "''")
    raw(url, "INSERT INTO events (position, stream_id, version, event_type, schema_version, data, recorded_at,"
             f" event_id, checksum) VALUES ({position}, 'order-o1', {position}, '{event_type}', {version},"
             f" '{quoted}', 0, 'e{position}', {value})")


def test_a_row_without_a_checksum_is_refused_naming_the_store_and_the_position(url):
    """Failed before checksums: a row inserted behind the store's back read as if append had written it."""
    store = open_store(url)
    store.append("order-o1", [OrderCreated("o1", D(1))])
    insert_row(url, 2, "OrderPaid", 1, '{"orderId": "o1"}', checksum=None)
    with pytest.raises(StoreError, match="store .*: the event at position 2 cannot be read: OrderPaid: the row has "
                                         "no checksum: eventsim's append did not write it"):
        store.read_all()
    with pytest.raises(StoreError, match="position 2 cannot be read"):
        store.read_stream("order-o1")
    assert store.read_all(limit=1)[0].event == OrderCreated("o1", D(1))  # the rows before it still read


def test_a_row_changed_after_append_wrote_it_is_refused_by_its_checksum(url):
    """Failed before checksums: an amount edited by hand (its row is valid JSON and a valid event) was read."""
    store = open_store(url)
    store.append("order-o1", [OrderCreated("o1", D(1))])
    written = '{"orderId": "o1", "amount": "10.00", "refundId": "R1"}'
    insert_row(url, 2, "RefundCreated", 1, written.replace("10.00", "1000.00"),
               checksum=row_checksum("RefundCreated", 1, written))
    with pytest.raises(StoreError, match="position 2 cannot be read: RefundCreated: the row's checksum does not match"):
        store.read_all()


def test_the_checksum_covers_the_event_type_and_the_schema_version_too(url):
    store = open_store(url)
    store.append("order-o1", [OrderCreated("o1", D(1))])
    insert_row(url, 2, "OrderShipped", 1, '{"orderId": "o1"}', checksum=row_checksum("OrderPaid", 1, '{"orderId": "o1"}'))
    with pytest.raises(StoreError, match="position 2 cannot be read: OrderShipped: the row's checksum does not match"):
        store.read_all()


def test_a_row_with_its_checksum_reads_as_the_event_append_wrote(url):
    store = open_store(url)
    recorded = store.append("order-o1", [OrderCreated("o1", D("10.50"), "ann", personal_data=None),
                                         OrderPaid("o1")])
    assert [r.event for r in open_store(url).read_all()] == [r.event for r in recorded]
    [(data, checksum)] = raw(url, "SELECT CAST(data AS TEXT), checksum FROM events WHERE position = 1")
    assert '"amount": "10.50"' in data  # money as an exact decimal string, not a JSON number
    assert checksum == row_checksum("OrderCreated", 2, data)


# Rows that make no event, inserted behind the store's back *with* the checksum append would give them (another
# program that computes it): each is still refused where it makes no event.  (event type, schema version, data,
# what the error says)
BAD_ROWS = [
    ("OrderPaid", 1, '{"orderId": "o1", "colour": "red"}', "OrderPaid: field 'colour': is not a field of this event"),
    ("OrderPaid", 1, "{}", "OrderPaid: .*missing 1 required positional argument: 'order_id'"),
    ("OrderCreated", 3, '{"orderId": "o1", "amount": 10.00}', "OrderCreated: field 'schemaVersion': schema version 3 is newer"),
    ("OrderCreated", 1, '{"orderId": "o1", "amount": "lots"}', "OrderCreated: an event's amount is a finite Decimal, not 'lots'"),
    ("OrderTeleported", 1, '{"orderId": "o1"}', "unknown event type 'OrderTeleported'"),
    ("OrderPaid", 1, '["o1"]', "OrderPaid: the data is not a JSON object"),
    ("OrderPaid", 1, '{"orderId": "o1"', "OrderPaid: the data is not JSON an event can come from"),  # SQLite only: json refuses it
    ("OrderPaid", 1, '{"orderId": "o1"}{"orderId": "o2"}', "OrderPaid: the data is not JSON an event can come from"),  # ditto
]


@pytest.mark.parametrize(("event_type", "version", "data", "problem"), BAD_ROWS)
def test_a_row_that_makes_no_event_is_refused_naming_the_store_the_position_and_the_problem(
        url, event_type, version, data, problem):
    store = open_store(url)
    store.append("order-o1", [OrderCreated("o1", D(1))])
    if url.startswith("postgresql://") and "not JSON" in problem:
        with pytest.raises(Exception, match="invalid input syntax for type json"):
            insert_row(url, 2, event_type, version, data)  # PostgreSQL's json column refuses it: no such row there
        return
    insert_row(url, 2, event_type, version, data)
    with pytest.raises(StoreError, match=f"store .*: the event at position 2 cannot be read: {problem}"):
        store.read_all()
    with pytest.raises(StoreError, match="position 2 cannot be read"):
        store.read_stream("order-o1")
    assert store.read_all(limit=1)[0].event == OrderCreated("o1", D(1))  # the rows before it still read


def test_a_forger_who_computes_the_checksum_is_believed(url):
    """What the checksum does not guard against (notebook 8 says so): anyone who can write the table can
    compute a CRC.  Such a row in today's shape is read without the event's checks: an order id that is
    a number, which ``OrderPaid`` itself refuses, comes through."""
    store = open_store(url)
    store.append("order-o1", [OrderCreated("o1", D(1))])
    insert_row(url, 2, "OrderPaid", 1, '{"orderId": 7}')
    assert store.read_all()[1].event.order_id == 7
    with pytest.raises(TypeError, match="order_id must be a string"):
        OrderPaid(7)


@pytest.mark.parametrize("version", [True, 1.0, D(1)], ids=repr)
def test_a_schema_version_that_only_equals_a_whole_number_is_refused(version):
    """A database that keeps versions in a column of another type could hand one back: it is not a version."""
    with pytest.raises(EventFormatError, match="a schema version is a whole number from 1"):
        stored_event("OrderPaid", version, PAID_O1, row_checksum("OrderPaid", version, PAID_O1))


def test_a_row_with_spaces_around_its_json_reads_as_the_event_it_holds(url):
    """append writes the JSON alone; a row that another tool wrote with spaces around it is still an event."""
    store = open_store(url)
    store.append("order-o1", [OrderCreated("o1", D(1))])
    insert_row(url, 2, "OrderPaid", 1, ' {"orderId": "o1"}\n')
    assert [r.event for r in store.read_stream("order-o1")] == [OrderCreated("o1", D(1)), OrderPaid("o1")]


def test_a_row_whose_data_is_not_text_is_refused_naming_the_store_and_the_position(tmp_path):
    """SQLite keeps any value in any column: a row whose data was inserted as bytes reads back as bytes."""
    path = str(tmp_path / "store.db")
    store = SQLiteEventStore(path)
    store.append("order-o1", [OrderCreated("o1", D(1))])
    raw(path, "INSERT INTO events (position, stream_id, version, event_type, schema_version, data, recorded_at,"
              " event_id, checksum) VALUES (2, 'order-o1', 2, 'OrderPaid', 1, CAST('{\"orderId\": \"o1\"}' AS BLOB),"
              f" 0, 'e2', {row_checksum('OrderPaid', 1, PAID_O1)})")
    with pytest.raises(StoreError, match="store .*: the event at position 2 cannot be read: OrderPaid: the data is bytes"):
        store.read_all()


PAID_O1 = '{"orderId": "o1"}'


def test_a_read_only_file_can_be_read_and_refuses_appends(tmp_path, monkeypatch):
    path = tmp_path / "store.db"
    SQLiteEventStore(path).append("a", [OrderCreated("o1", D(1))])
    real_access = os.access
    # As root every file is writable: pretend this one is not, as it is for a learner after chmod a-w.
    monkeypatch.setattr(os, "access", lambda p, mode: False if mode == os.W_OK and Path(p) == path
                        else real_access(p, mode))
    store = SQLiteEventStore(path)
    assert store.read_only and [r.event for r in store.read_all()] == [OrderCreated("o1", D(1))]
    with pytest.raises(StoreError, match="read-only: nothing was appended") as caught:
        store.append("a", [OrderPaid("o1")])
    assert str(path) in str(caught.value)
    monkeypatch.undo()
    assert len(SQLiteEventStore(path)) == 1


def test_a_postgresql_server_that_goes_away_gives_a_clear_error_and_loses_nothing(postgres_server, postgres_url):
    store = PostgresEventStore(postgres_url)
    committed = store.append("a", [OrderCreated("o1", D("0.10")), OrderPaid("o1")])
    postgres_server.stop("immediate")  # a crash, not a polite shutdown
    try:
        with pytest.raises(StoreError) as caught:
            store.append("a", [OrderPaid("o1")])
        message = str(caught.value)  # the connection broke during the call: it cannot know whether it committed
        assert message.startswith(f"PostgreSQL store postgresql://postgres@127.0.0.1:{postgres_server.port}/")
        assert "lost the connection" in message and "may or may not have been recorded" in message
        with pytest.raises(StoreError, match="cannot connect .*; nothing was appended"):
            store.append("a", [OrderPaid("o1")])  # the next try finds no server at all
    finally:
        postgres_server.start()
    assert store.read_all() == committed  # the same object connects again
    store.append("a", [OrderPaid("o1")], 2)
    assert PostgresEventStore(postgres_url).stream_version("a") == 3


def test_a_group_whose_connection_is_lost_tells_every_caller_it_cannot_know(postgres_url, monkeypatch):
    """The connection dies as a group is sent (the server ended it): whether the commit happened is
    unknown to a client, so no append in the group is tried again, and every caller hears why."""
    store = PostgresEventStore(postgres_url)
    send = store._pipelined

    def send_on_a_lost_connection(calls):
        raw(postgres_url, f"SELECT pg_terminate_backend({store._conn.info.backend_pid})")
        return send(calls)

    monkeypatch.setattr(store, "_pipelined", send_on_a_lost_connection)
    outcomes = append_together(store, [(f"order-{i}", [OrderCreated(f"o{i}", D(1))], NO_STREAM) for i in range(4)])
    assert isinstance(outcomes[0], list)  # alone, before
    assert all(isinstance(o, StoreError) and "lost the connection" in str(o) for o in outcomes[1:])
    assert all("may or may not have been recorded" in str(o) for o in outcomes[1:])
    assert store.stream_ids() == ["order-0"] and store.commits == 1
    assert store.append("order-1", [OrderCreated("o1", D(1))], NO_STREAM)[0].version == 1  # connected again


def test_reads_from_several_threads_go_on_at_once(postgres_url):
    """A web server's threads read through one store object: a slow read holds up no other read."""
    store = open_store(postgres_url)
    store.append("order-1", [OrderCreated("o1", D(1))])
    slow = threading.Thread(target=store._query, args=("SELECT pg_sleep(3)",))
    slow.start()
    time.sleep(0.5)  # the slow read is under way
    assert store.stream_version("order-1") == 1
    assert slow.is_alive()  # the read above did not wait for it
    slow.join()


def test_a_read_waiting_for_a_connection_gets_one_while_more_threads_than_connections_keep_reading(postgres_url):
    """More threads than reading connections: each read waits its turn, first come first served; a thread
    that reads again at once never takes the connection it gave back from one already waiting."""
    from eventsim.stores.postgres import READERS

    store = open_store(postgres_url)
    store.append("order-1", [OrderCreated("o1", D(1))])
    stop = threading.Event()

    def keep_reading():
        while not stop.is_set():
            store.read_stream("order-1")

    busy = [threading.Thread(target=keep_reading) for _ in range(READERS)]
    for thread in busy:
        thread.start()
    times: list[float] = []

    def read_five_times():
        for _ in range(5):
            started = time.perf_counter()
            assert store.last_position == 1
            times.append(time.perf_counter() - started)

    reader = threading.Thread(target=read_five_times)
    reader.start()
    reader.join(timeout=20)
    stop.set()
    for thread in [*busy, reader]:
        thread.join()
    assert len(times) == 5 and max(times) < 2, times  # a few reads' time, never seconds (for ever, before)
    store.close()


def test_a_store_that_cannot_be_reached_says_which_and_why(tmp_path, postgres_server):
    with pytest.raises(StoreError, match="SQLite store .*no-such-folder.*cannot open the file"):
        SQLiteEventStore(tmp_path / "no-such-folder" / "store.db")
    url = f"postgresql://postgres@127.0.0.1:{postgres_server.port}/no_such_database"
    with pytest.raises(StoreError, match="PostgreSQL store postgresql://postgres@127.0.0.1:.*/no_such_database: "
                                         "cannot connect .*no_such_database"):
        PostgresEventStore(url)


# --- opening by URL ----------------------------------------------------------------------------

def test_open_store_understands_memory_paths_and_urls(tmp_path, postgres_url):
    assert isinstance(open_store("memory:"), InMemoryEventStore)
    open_store(str(tmp_path / "a.db")).append("a", [OrderPaid("o1")])
    assert len(open_store(f"sqlite:///{tmp_path / 'a.db'}")) == 1  # the same file, through a URL
    assert isinstance(open_store(tmp_path / "b.db"), SQLiteEventStore)
    assert isinstance(open_store(postgres_url), PostgresEventStore)


@pytest.mark.parametrize("url", ["mysql://localhost/shop", "sqlite://shop.db", "", "redis://x"])
def test_open_store_refuses_what_it_does_not_know(url):
    with pytest.raises(ValueError, match="store URL"):
        open_store(url)


def test_the_log_is_read_in_pages_that_join_without_a_gap_or_a_repeat(url, monkeypatch):
    from eventsim.stores import sql
    monkeypatch.setattr(sql, "_PAGE", 2)  # pages of two rows: every read below crosses pages
    store = open_store(url)
    for n in range(4):
        store.append(f"order-{n}", [OrderCreated(str(n), D(n)), OrderPaid(str(n))])
    paid = '{"orderId": "9"}'
    raw(url, "INSERT INTO events (position, stream_id, version, event_type, schema_version, data, recorded_at,"
             f" event_id, checksum) VALUES (20, 'order-9', 1, 'OrderPaid', 1, '{paid}', 0, 'e20',"
             f" {row_checksum('OrderPaid', 1, paid)})")  # a gap
    positions = [*range(1, 9), 20]
    assert [r.position for r in store.read_all()] == positions
    for start in (1, 2, 8, 9, 20, 21):
        for limit in (None, 0, 1, 2, 3, 5, 100, -1):
            after = [p for p in positions if p >= start]
            expected = after if limit is None else after[: max(limit, 0)]  # a negative limit gives nothing
            assert [r.position for r in store.read_all(start, limit)] == expected, (start, limit)


def test_reading_a_log_that_grows_while_it_is_read_ends_where_the_log_stood(url, monkeypatch):
    from eventsim.stores import sql
    monkeypatch.setattr(sql, "_PAGE", 2)
    store, writer = open_store(url), open_store(url)
    for n in range(3):
        writer.append(f"order-{n}", [OrderCreated(str(n), D(n))])
    read_page = store._events
    pages = []

    def a_writer_appends_after_each_page(sql_text, params):
        pages.append(read_page(sql_text, params))
        assert len(pages) < 20, "read_all never ends: the writer appends a page's worth faster than it reads"
        writer.append(f"order-w{len(pages)}", [OrderCreated(f"w{len(pages)}", D(1)), OrderPaid(f"w{len(pages)}")])
        return pages[-1]

    monkeypatch.setattr(store, "_events", a_writer_appends_after_each_page)
    events = store.read_all()
    # It ends where the log stood once it knew one page would not do: after the first page and its append.
    assert [r.position for r in events] == [1, 2, 3, 4, 5]
    assert len(store.read_all()) > 5  # what came later is read by the next call


@pytest.mark.parametrize("conninfo", ["host=localhost dbname=shop", " user=postgres port=5433", "dbname = shop"])
def test_a_postgresql_key_value_string_is_refused_not_made_into_an_sqlite_file(conninfo, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ValueError, match=r"PostgreSQL connection string .*postgresql://user@host:port/dbname"):
        open_store(conninfo)
    assert list(tmp_path.iterdir()) == []


def test_a_file_name_with_an_equals_sign_is_still_an_sqlite_file(tmp_path):
    open_store(str(tmp_path / "shop=2024.db")).close()
    assert (tmp_path / "shop=2024.db").exists()


# --- the upgrade from schema version 2 (no checksums) ---------------------------------------------

def as_an_eventsim_before_checksums_left_it(url):
    """Turn a store this code made into one of schema version 2: no checksum column (PostgreSQL: data as
    jsonb, which keeps its own rewrite of the text), and a row written by then: money as a JSON number."""
    raw(url, "ALTER TABLE events DROP COLUMN checksum")
    if url.startswith("postgresql://"):
        raw(url, "ALTER TABLE events ALTER COLUMN data TYPE jsonb USING data::jsonb")
    raw(url, "INSERT INTO events (position, stream_id, version, event_type, schema_version, data, recorded_at,"
             """ event_id) VALUES (3, 'order-o1', 3, 'RefundCreated', 1, '{"orderId": "o1", "amount": 0.50}', 0,"""
             " 'e3')")
    raw(url, "UPDATE eventsim_store SET schema_version = 2")


def test_a_store_of_schema_version_2_is_upgraded_when_opened_and_reads_as_before(url):
    """Failed before the upgrade was written: a store made before checksums was refused (schema version 2)."""
    store = open_store(url)
    store.append("order-o1", [OrderCreated("o1", D("1.00")), OrderPaid("o1")])
    store.close()
    as_an_eventsim_before_checksums_left_it(url)
    upgraded = open_store(url)
    expected = [OrderCreated("o1", D("1.00")), OrderPaid("o1"), RefundCreated("o1", D("0.50"))]
    assert [r.event for r in upgraded.read_all()] == expected
    assert raw(url, "SELECT schema_version FROM eventsim_store") == [(3,)]
    assert raw(url, "SELECT count(*) FROM events WHERE checksum IS NULL") == [(0,)]
    upgraded.append("order-o1", [OrderShipped("o1")], expected_version=3)
    assert [r.event for r in open_store(url).read_all()] == [*expected, OrderShipped("o1")]
    with pytest.raises(Exception, match="recorded events never change"):  # the rule is back
        raw(url, "UPDATE events SET stream_id = 'elsewhere'")


def test_a_schema_version_2_store_with_a_row_that_makes_no_event_is_named_and_left_as_it_was(url):
    store = open_store(url)
    store.append("order-o1", [OrderCreated("o1", D("1.00"))])
    store.close()
    as_an_eventsim_before_checksums_left_it(url)
    raw(url, "INSERT INTO events (position, stream_id, version, event_type, schema_version, data, recorded_at,"
             """ event_id) VALUES (4, 'order-o1', 4, 'OrderPaid', 1, '{"orderId": 7}', 0, 'e4')""")
    with pytest.raises(StoreError, match="cannot upgrade it from schema version 2: the event at position 4 cannot "
                                         "be read: OrderPaid: order_id must be a string.*nothing was changed"):
        open_store(url)
    assert raw(url, "SELECT schema_version FROM eventsim_store") == [(2,)]
