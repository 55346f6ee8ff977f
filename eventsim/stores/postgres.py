"""The event store in PostgreSQL, through psycopg 3.

An append is one call of the ``eventsim_append`` SQL function (created with
the tables): one round trip to the server instead of one per statement.  A
lone append is a transaction of its own; appends that wait together share
one (group commit, see ``eventsim/stores/sql.py``), sent in one round trip
too: ``BEGIN``, the calls and ``COMMIT`` at once (psycopg's pipeline mode).
A group needs no savepoints as long as no call fails: the function refuses
an append (wrong version, command seen) by writing nothing and saying so.
Only an error from the database fails a call, and the transaction with it;
then nothing is recorded and the group is recorded again, each call in a
savepoint of its own, so that the error reaches that append's caller alone.
The function takes the write lock, ``LOCK
TABLE events IN EXCLUSIVE MODE``, held until the commit, and assigns
positions under it (the last position plus one), so they are committed in
order: a reader following the log by position never meets position N+1
before N is visible, which a ``bigserial`` alone would allow (the
eventsourcing library takes the same lock).  Readers are not blocked by it
(a plain ``SELECT`` takes a weaker lock); writers queue, up to
``lock_timeout``.  The cost is one transaction at a time per database, paid
knowingly: group commit is how many appends share one.  Event ids and the
clock are read before the call, so an append that loses
(``ConcurrencyError``) has used up ids.

Durability: ``synchronous_commit = on`` (set on every connection, whatever
the server's default): an append returns only once its commit is on disk.

Appends use one connection.  Reads use connections of their own, so they
go on while a commit waits for the disk: one per read under way (several
threads read at once, as the threads of a web server do), at most
``READERS``, each kept open for the next read.  A lost connection (server
restarted, network gone) is reported as ``StoreError``, and the next call
connects again; a read, which changes nothing, first connects again and
tries once more by itself.  If the connection broke during an append, the
append may or may not have been recorded (the commit may have happened just
before): read the stream, or the command's record, to find out.  A command
handled with a command id is safe to retry.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import psycopg
from psycopg.conninfo import conninfo_to_dict
from psycopg.pq import TransactionStatus
from psycopg.types.string import TextLoader

from ..clock import system_clock
from ..ids import random_ids
from ..store import NO_STREAM, ConcurrencyError, RecordedEvent, refuse_append
from .sql import SCHEMA_VERSION, Append, SQLEventStore, StoreError, checksums_of_unchecked_rows

__all__ = ["PostgresEventStore"]

READERS = 4  # reading connections at most: more threads than this take turns

_APPEND_FUNCTION = """CREATE FUNCTION eventsim_append(
    p_stream_id text, p_expected integer, p_types text[], p_versions integer[], p_data json[],
    p_checksums bigint[], p_event_ids text[], p_now bigint,
    p_correlation_id text, p_causation_id text, p_actor text,
    p_command_id text, p_fingerprint text, p_command_stream_id text, p_first_version integer,
    p_last_version integer, p_command_causation_id text,
    OUT written boolean, OUT actual integer, OUT command_seen boolean, OUT first_position bigint,
    OUT stamped bigint)
LANGUAGE plpgsql AS $$
DECLARE
    n integer := coalesce(cardinality(p_types), 0);
BEGIN
    LOCK TABLE events IN EXCLUSIVE MODE;  -- held until commit: positions are assigned in commit order
    SELECT coalesce(max(version), 0) INTO actual FROM events WHERE stream_id = p_stream_id;
    command_seen := p_command_id IS NOT NULL AND EXISTS (SELECT 1 FROM commands WHERE command_id = p_command_id);
    -- The rules of SQLEventStore.append (p_expected NULL: ANY); when one fails, Python says which.
    written := n > 0 AND (p_expected IS NULL OR p_expected = actual) AND NOT command_seen
        AND (p_command_id IS NULL
             OR (p_command_stream_id, p_first_version, p_last_version) = (p_stream_id, actual + 1, actual + n));
    IF NOT written THEN
        RETURN;
    END IF;
    SELECT e.position, e.recorded_at INTO first_position, stamped FROM events e ORDER BY e.position DESC LIMIT 1;
    first_position := coalesce(first_position, 0) + 1;
    stamped := greatest(p_now, coalesce(stamped, 0));  -- the store's time never goes back
    INSERT INTO events (position, stream_id, version, event_type, schema_version, data, recorded_at, event_id,
                        correlation_id, causation_id, actor, checksum)
    SELECT first_position + i - 1, p_stream_id, actual + i, p_types[i], p_versions[i], p_data[i], stamped,
           p_event_ids[i], p_correlation_id, p_causation_id, p_actor, p_checksums[i]
    FROM generate_subscripts(p_types, 1) AS i;
    IF p_command_id IS NOT NULL THEN
        INSERT INTO commands VALUES (p_command_id, p_fingerprint, p_command_stream_id, p_first_version,
                                     p_last_version, p_command_causation_id);
    END IF;
END $$"""

_SCHEMA = f"""
CREATE TABLE eventsim_store (schema_version integer NOT NULL);
INSERT INTO eventsim_store VALUES ({SCHEMA_VERSION});
CREATE TABLE events (
    position       bigint  PRIMARY KEY,              -- the global order; assigned under the write lock
    stream_id      text    NOT NULL,
    version        integer NOT NULL CHECK (version >= 1),
    event_type     text    NOT NULL,                 -- the registered name, e.g. 'OrderCreated'
    schema_version integer NOT NULL DEFAULT 1 CHECK (schema_version >= 1),  -- the shape of data (eventsim.upcasting)
    data           json    NOT NULL,                 -- as written: {{"orderId": "123456", "amount": "100.00"}}
    recorded_at    bigint  NOT NULL,                 -- Unix seconds
    event_id       text    NOT NULL,
    correlation_id text,
    causation_id   text,
    actor          text,
    checksum       bigint,                           -- CRC-32 of event_type, schema_version, data (row_checksum)
    UNIQUE (stream_id, version)                      -- optimistic concurrency, kept by the database
);
CREATE TABLE commands (
    command_id    text    PRIMARY KEY,               -- a command is handled once
    fingerprint   text    NOT NULL,
    stream_id     text    NOT NULL,
    first_version integer NOT NULL,
    last_version  integer NOT NULL,
    causation_id  text
);
{_APPEND_FUNCTION};
CREATE FUNCTION eventsim_events_never_change() RETURNS trigger LANGUAGE plpgsql AS
$$ BEGIN RAISE EXCEPTION 'recorded events never change'; END $$;
CREATE TRIGGER events_never_change BEFORE UPDATE OR DELETE ON events
FOR EACH ROW EXECUTE FUNCTION eventsim_events_never_change();
CREATE TRIGGER events_never_truncated BEFORE TRUNCATE ON events
FOR EACH STATEMENT EXECUTE FUNCTION eventsim_events_never_change()
"""


_APPEND = "SELECT * FROM eventsim_append(%s, %s, %s, %s, %s::json[], %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"


@dataclass(frozen=True)
class _Call:
    """One append's call of ``eventsim_append``: the arguments, and the event ids among them."""

    append: Append
    event_ids: list[str]
    params: tuple


def _version(version: int) -> int:
    """A version as ``eventsim_append`` takes it, an ``integer``.  One beyond that type's range can match
    no stream's version, and neither can -1, which is sent instead: the function then refuses the append
    and says where the stream is, as for any wrong version (the number itself would fail the whole call)."""
    return version if version <= _MAX_VERSION else -1


_MAX_VERSION = 2**31 - 1  # PostgreSQL's integer


@dataclass(eq=False)
class _Turn:
    """A read waiting for a reading connection, and the cursor it is handed (None: open a new one)."""

    ready: threading.Event = field(default_factory=threading.Event)
    cursor: psycopg.Cursor | None = None


class _Readers:
    """The reading connections, each with its cursor, handed to one read at a time; ``most`` at most.

    A read that finds none free waits its turn.  A cursor given back goes straight to the read that
    has waited longest: a thread that reads again at once cannot take it first, as it could take a
    semaphore back before the thread it woke runs, again and again (a waiting read then waited for ever).
    """

    def __init__(self, connect: Callable[[], psycopg.Connection], most: int):
        self._connect, self._most = connect, most
        self._free: list[psycopg.Cursor] = []
        self._opened = 0  # connections open, or being opened, by this store's reads
        self._waiting: deque[_Turn] = deque()
        self._lock = threading.Lock()

    def take(self) -> psycopg.Cursor:
        turn = None
        with self._lock:
            if self._free:
                return self._free.pop()
            if self._opened < self._most:
                self._opened += 1  # a new connection, opened below
            else:
                turn = _Turn()
                self._waiting.append(turn)
        if turn is not None:
            try:
                turn.ready.wait()
            except BaseException:  # interrupted while waiting: give up the turn, or what it was handed
                with self._lock:
                    handed = turn not in self._waiting
                    if not handed:
                        self._waiting.remove(turn)
                if handed:
                    self.give_back(turn.cursor)
                raise
            if turn.cursor is not None:
                return turn.cursor
        try:
            return self._connect().cursor()
        except BaseException:
            self.give_back(None)  # the connection it would have been: another read may try
            raise

    def give_back(self, cursor: psycopg.Cursor | None) -> None:
        """Hand ``cursor`` (None: its connection is gone) to the read that has waited longest, or keep it."""
        with self._lock:
            if self._waiting:
                turn = self._waiting.popleft()
                turn.cursor = cursor
                turn.ready.set()
            elif cursor is None:
                self._opened -= 1
            else:
                self._free.append(cursor)

    def close(self) -> list[psycopg.Connection]:
        """The connections no read is using, to be closed; they are forgotten."""
        with self._lock:
            free, self._free = self._free, []
            self._opened -= len(free)
        return [cursor.connection for cursor in free]


def display_url(url: str) -> str:
    """The URL without its password, for messages."""
    try:
        parts = conninfo_to_dict(url)
    except psycopg.ProgrammingError:
        return "(a connection string psycopg cannot read)"
    user = f"{parts['user']}@" if parts.get("user") else ""
    port = f":{parts['port']}" if parts.get("port") else ""
    return f"postgresql://{user}{parts.get('host', '')}{port}/{parts.get('dbname', '')}"


class PostgresEventStore(SQLEventStore):
    """An event store in the PostgreSQL database at ``url``; its tables are created on first use
    (in the connection's current schema)."""

    _P = "%s"
    _integrity_errors = (psycopg.errors.UniqueViolation,)
    _refused_values = (psycopg.DataError, UnicodeEncodeError)  # a value it cannot store: text with a NUL character, say

    def __init__(
        self,
        url: str,
        *,
        clock: Callable[[], int] = system_clock,
        ids: Callable[[], str] = random_ids,
        lock_timeout: float = 30.0,
    ):
        super().__init__(clock=clock, ids=ids)
        self.url = url
        self.name = f"PostgreSQL store {display_url(url)}"
        self._lock_timeout_ms = int(lock_timeout * 1000)
        # Each connection's statements go through one cursor, kept: a new cursor for each statement (it
        # finds its dumpers and loaders again) cost a quarter to a third of an append's or a read's CPU.
        self._conn: psycopg.Connection | None = None  # appends
        self._cursor: psycopg.Cursor | None = None  # ... and its cursor
        self._readers = _Readers(self._connect, READERS)  # reads: they go on while an append's commit waits
        with self._lock:
            connection = self._connection()
            with connection.transaction():
                # One creator at a time; key: the first bytes of "eventsim".
                connection.execute("SELECT pg_advisory_xact_lock(7310870969309975917)")
                ours, theirs = connection.execute(
                    "SELECT to_regclass('eventsim_store') IS NOT NULL,"
                    " to_regclass('events') IS NOT NULL OR to_regclass('commands') IS NOT NULL"
                ).fetchall()[0]
                if not ours:
                    if theirs:
                        raise StoreError(
                            self.name,
                            "not an eventsim store: it has a table 'events' or 'commands' but no eventsim_store table",
                        )
                    connection.execute(_SCHEMA)
                    found = SCHEMA_VERSION
                else:
                    found = connection.execute("SELECT max(schema_version) FROM eventsim_store").fetchall()[0][0]
                    if found == 2:
                        self._upgrade_from_2(connection)
                        found = SCHEMA_VERSION
        if found != SCHEMA_VERSION:
            newer = isinstance(found, int) and found > SCHEMA_VERSION
            raise StoreError(
                self.name,
                f"schema version {found!r}: this eventsim reads version {SCHEMA_VERSION}"
                + ("; the store was written by a newer eventsim: upgrade eventsim" if newer else ""),
            )

    def _upgrade_from_2(self, connection: psycopg.Connection) -> None:
        """Schema version 2 to 3, inside the caller's transaction: the data kept as the JSON text written
        (``json``, no longer ``jsonb``, which rewrites it), and a checksum for each row once it reads as an
        event through every check (a row that does not is named, and nothing is changed).  The rule that
        recorded events never change is lifted for this one statement, inside the transaction."""
        connection.execute("ALTER TABLE events ALTER COLUMN data TYPE json USING data::json")
        rows = connection.execute(
            "SELECT position, event_type, schema_version, data::text FROM events ORDER BY position"
        ).fetchall()
        checksums = checksums_of_unchecked_rows(self.name, rows)
        connection.execute("ALTER TABLE events ADD COLUMN checksum bigint")
        connection.execute("ALTER TABLE events DISABLE TRIGGER events_never_change")
        with connection.cursor() as cursor:
            cursor.executemany("UPDATE events SET checksum = %s WHERE position = %s", checksums)
        connection.execute("ALTER TABLE events ENABLE TRIGGER events_never_change")
        connection.execute("DROP FUNCTION eventsim_append")  # the one that wrote jsonb and no checksum
        connection.execute(_APPEND_FUNCTION)
        connection.execute(f"UPDATE eventsim_store SET schema_version = {SCHEMA_VERSION}")

    def _connection(self) -> psycopg.Connection:
        """The writing connection, connected again if it was lost."""
        if self._conn is None or self._conn.closed:
            self._conn = self._connect()
            self._cursor = self._conn.cursor()
        return self._conn

    def _connect(self) -> psycopg.Connection:
        try:
            connection = psycopg.connect(self.url, autocommit=True)
        except psycopg.Error as error:
            raise StoreError(self.name, f"cannot connect ({' '.join(str(error).split())})") from None
        connection.execute("SET synchronous_commit = on")
        connection.execute(f"SET lock_timeout = {self._lock_timeout_ms}")
        # A payload comes back as the JSON text append wrote (a ``json`` column keeps it as given, so its
        # checksum still matches), which the store decodes as SQLite's (``stored_event``): amounts as
        # Decimal, never float, and a row it cannot read is named by its position.
        connection.adapters.register_loader("json", TextLoader)
        connection.adapters.register_loader("jsonb", TextLoader)
        return connection

    def _call(self, append: Append) -> _Call:
        """The arguments of the append's ``eventsim_append`` call; its event ids and its time are read here."""
        a, c = append, append.command
        expected = (
            _version(a.expected_version)
            if isinstance(a.expected_version, int)
            else 0
            if a.expected_version is NO_STREAM
            else None  # ANY
        )
        event_ids = [self._ids() for _ in a.events]
        params = (
            a.stream_id,
            expected,
            [t for t, _, _, _ in a.rows],
            [v for _, v, _, _ in a.rows],
            [d for _, _, d, _ in a.rows],
            [c for _, _, _, c in a.rows],
            event_ids,
            self._clock(),
            a.correlation_id,
            a.causation_id,
            a.actor,
            c and c.command_id,
            c and c.fingerprint,
            c and c.stream_id,
            c and _version(c.first_version),
            c and _version(c.last_version),
            c and c.causation_id,
        )
        return _Call(append, event_ids, params)

    def _outcome(self, call: _Call, row: tuple) -> list[RecordedEvent]:
        """What the call recorded, from the row it returned; raises what refuses the append."""
        a, c = call.append, call.append.command
        written, actual, command_seen, first, stamped = row
        if not written:
            refuse_append(a.stream_id, len(a.events), a.expected_version, c, actual, command_seen)
            return []
        return [
            RecordedEvent(
                first + i,
                a.stream_id,
                actual + 1 + i,
                event,
                stamped,
                event_id,
                a.correlation_id,
                a.causation_id,
                a.actor,
            )
            for i, (event, event_id) in enumerate(zip(a.events, call.event_ids))
        ]

    def _record(self, append: Append) -> list[RecordedEvent]:
        """One call of ``eventsim_append``: one round trip."""
        call = self._call(append)
        assert self._cursor is not None  # connected by _record_alone or _transaction
        return self._outcome(call, self._cursor.execute(_APPEND, call.params).fetchall()[0])

    def _record_group(self, group: list[Append]) -> None:
        """The group's transaction in one round trip: ``BEGIN``, the appends' calls, ``COMMIT``, sent
        together (psycopg's pipeline mode), with no savepoint: an append that ``eventsim_append`` refuses
        writes nothing, and raises in its own caller once the others are committed.  Only an error
        from the database (a value it cannot store, a writer that skipped the lock) fails a call, and
        with it the transaction: nothing is recorded, and the group is recorded again the careful way,
        each append in a savepoint of its own (``SQLEventStore._record_group``), so that the error
        reaches the caller of that append alone (with new event ids: the first try's are used up, as
        a refused append's are)."""
        if len(group) == 1:
            super()._record_group(group)
            return
        calls = [self._call(append) for append in group]
        try:
            with self._writing():
                rows = self._pipelined(calls)
        except (*self._integrity_errors, *self._refused_values):
            super()._record_group(group)
            return
        for call, row in zip(calls, rows):
            try:
                call.append.recorded = self._outcome(call, row)
            except (ConcurrencyError, ValueError) as refusal:
                call.append.error = refusal

    def _pipelined(self, calls: list[_Call]) -> list[tuple]:
        """The calls in one transaction, sent at once; each call's row.  Rolled back if one fails."""
        connection, cursor = self._conn, self._cursor
        assert connection is not None and cursor is not None  # connected by _writing
        try:
            with connection.pipeline():
                connection.execute("BEGIN")
                cursor.executemany(_APPEND, [call.params for call in calls], returning=True)
                connection.execute("COMMIT")
        except BaseException:
            if not connection.broken and connection.info.transaction_status != TransactionStatus.IDLE:
                connection.execute("ROLLBACK")
            raise
        rows = cursor.fetchall()  # the first call's row; each call has a result of its own
        while cursor.nextset():
            rows += cursor.fetchall()
        return rows

    def _record_alone(self, append: Append) -> list[RecordedEvent]:
        """Its own transaction, as the connection autocommits: a lone append costs one round trip."""
        with self._writing():
            return self._record(append)

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        with self._writing():
            assert self._conn is not None
            with self._conn.transaction():
                yield

    @contextmanager
    def _savepoint(self) -> Iterator[None]:
        """A savepoint that is rolled back to if the append fails, and otherwise left to the commit:
        releasing it would cost each append in a group one more round trip to the server."""
        assert self._conn is not None
        self._conn.execute("SAVEPOINT append")
        try:
            yield
        except BaseException:
            if not self._conn.broken:  # a lost connection has lost the transaction too
                self._conn.execute("ROLLBACK TO SAVEPOINT append")  # the latest of that name: this append's
            raise

    @contextmanager
    def _writing(self) -> Iterator[None]:
        """Connected, and the database's errors as ``StoreError``, except those that refuse one append."""
        with self._lock:
            try:
                self._connection()
            except StoreError as error:
                raise StoreError(self.name, f"{error.problem}; nothing was appended") from None
            try:
                yield
            except (*self._integrity_errors, *self._refused_values):
                raise
            except psycopg.Error as error:
                raise self._error(
                    error,
                    self._conn,
                    "the append may or may not have been recorded: read the stream "
                    "(or the command's record) to find out",
                ) from None

    def _query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple]:
        """Rows of one read, on a reading connection no other read is using; a read that finds its
        connection lost (the server restarted since) connects again and tries once more: a read changes
        nothing, so trying again is safe."""
        reader = self._readers.take()
        try:
            for attempt in (1, 2):
                try:
                    return reader.execute(sql, params).fetchall()
                except psycopg.Error as error:
                    lost = isinstance(error, psycopg.OperationalError) and not isinstance(
                        error, psycopg.errors.LockNotAvailable
                    )
                    if not lost or attempt == 2:
                        raise self._error(error, reader.connection) from None
                    reader.connection.close()
                    reader = self._connect().cursor()
        finally:
            self._readers.give_back(None if reader.connection.closed else reader)  # kept for the next read
        raise AssertionError("unreachable")

    def _error(self, error: psycopg.Error, connection: psycopg.Connection | None, consequence: str = "") -> StoreError:
        text = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        if isinstance(error, psycopg.errors.LockNotAvailable):
            problem = f"another writer held the write lock longer than lock_timeout ({text})"
        elif isinstance(error, psycopg.OperationalError):
            if connection is not None:
                connection.close()  # the next call connects again
            problem = f"lost the connection to the server ({text})"
        else:
            problem = f"PostgreSQL error: {text}"
        return StoreError(self.name, f"{problem}{'; ' + consequence if consequence else ''}")

    def close(self) -> None:
        for connection in [self._conn, *self._readers.close()]:
            if connection is not None:
                connection.close()
        self._conn = self._cursor = None
