"""The event store in one SQLite file: nothing to install, nothing to start, a file you can open.

Durability: WAL journal, ``synchronous=NORMAL`` by default.  WAL lets
readers (other processes too) read while one writer appends.  With NORMAL a
commit is written to the WAL file before ``append`` returns, so a killed or
crashed process loses nothing it committed and the file is never corrupted;
what it gives up is the sync to disk at every commit, so a power cut or an OS
crash can lose the last commits (never half of one).  That is SQLite's own
advice for WAL mode, and where syncs are slow it is the difference between
about 32,000 and 340 single-row commits/s (measured on the machine this was
written on; ``benchmarks/bench_stores.py`` measures yours).
``synchronous="FULL"`` syncs at every commit: an append that has returned
then survives a power cut too, as in the PostgreSQL store.

The write lock is SQLite's own: every append (or group of appends, see
``eventsim/stores/sql.py``) runs in ``BEGIN IMMEDIATE``, which admits one
writer at a time across all processes; the others wait up to ``timeout``
seconds.  Positions are SQLite row ids, assigned under that lock, so they
are in commit order.  With ``FULL``, group commit is what lets threads that
share a store append faster than the disk syncs.

Reads go through the writing connection when no append is under way.  A
connection keeps the pages it has read or written in its cache, but it must
drop its whole cache when another connection has committed since its last
read: a reading connection of its own would drop it after every append and
read the pages the next command needs again (up to a tenth of a command's
CPU time).  The writing connection still holds them.  Reads that come while
appends are under way or waiting (a commit waiting for the disk, say) use the
reading connection: a read never waits for a commit, and reads do not keep
the next group of appends from the writing connection.  An append that
arrives during a read through the writing connection waits for that one
query.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

from ..clock import system_clock
from ..ids import random_ids
from ..store import RecordedEvent, refuse_append
from .sql import _BATCH, _COLUMNS, SCHEMA_VERSION, Append, SQLEventStore, StoreError, checksums_of_unchecked_rows

__all__ = ["SQLiteEventStore"]

_NEVER_CHANGE = """CREATE TRIGGER events_never_change BEFORE UPDATE ON events
BEGIN SELECT RAISE(ABORT, 'recorded events never change'); END"""

_SCHEMA = f"""
CREATE TABLE eventsim_store (schema_version INTEGER NOT NULL);
INSERT INTO eventsim_store VALUES ({SCHEMA_VERSION});
CREATE TABLE events (
    position       INTEGER PRIMARY KEY,            -- the global order; assigned under the write lock
    stream_id      TEXT    NOT NULL,
    version        INTEGER NOT NULL CHECK (version >= 1),
    event_type     TEXT    NOT NULL,               -- the registered name, e.g. 'OrderCreated'
    schema_version INTEGER NOT NULL DEFAULT 1 CHECK (schema_version >= 1),  -- the shape of data (eventsim.upcasting)
    data           TEXT    NOT NULL,               -- the event as JSON: {{"orderId": "123456", "amount": "100.00"}}
    recorded_at    INTEGER NOT NULL,               -- Unix seconds
    event_id       TEXT    NOT NULL,
    correlation_id TEXT,
    causation_id   TEXT,
    actor          TEXT,
    checksum       INTEGER,                        -- CRC-32 of event_type, schema_version, data (row_checksum)
    UNIQUE (stream_id, version)                    -- optimistic concurrency, kept by the database
);
CREATE TABLE commands (
    command_id    TEXT    PRIMARY KEY,             -- a command is handled once
    fingerprint   TEXT    NOT NULL,
    stream_id     TEXT    NOT NULL,
    first_version INTEGER NOT NULL,
    last_version  INTEGER NOT NULL,
    causation_id  TEXT
);
{_NEVER_CHANGE};
CREATE TRIGGER events_never_go BEFORE DELETE ON events
BEGIN SELECT RAISE(ABORT, 'recorded events are never deleted'); END;
"""


def _read_only_uri(path: Path) -> str:
    """The URI that opens the file at ``path`` for reading only.

    A store in WAL mode is read through a shared-memory file beside it (``-shm``), which a reader
    creates if it is missing: on read-only storage (a folder this process may not write, a CD, a
    read-only mount) it cannot, and ``mode=ro`` alone fails with "unable to open database file".
    There the file is opened ``immutable``: SQLite then takes no locks and reads no WAL, which is
    right for storage nobody can write, the only place this falls back to it.
    """
    uri = f"file:{quote(str(path.resolve()))}?mode=ro"
    try:
        with closing(sqlite3.connect(uri, uri=True)) as probe:
            probe.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.Error:
        if os.access(path.parent, os.W_OK):  # not read-only storage: the real error is reported on opening
            return uri
        return uri + "&immutable=1"
    return uri


class SQLiteEventStore(SQLEventStore):
    """An event store in the SQLite file at ``path``, created on first use.

    Several ``SQLiteEventStore`` objects, in one process or many, can share a
    file: they behave like threads sharing one in-memory store.  A file that
    this process may not write is opened read-only: reads work (on read-only
    storage too, see ``_read_only_uri``), appends raise ``StoreError``.  ``synchronous``: see the module's docstring.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        clock: Callable[[], int] = system_clock,
        ids: Callable[[], str] = random_ids,
        timeout: float = 30.0,
        synchronous: str = "NORMAL",
    ):
        super().__init__(clock=clock, ids=ids)
        if synchronous not in ("NORMAL", "FULL"):
            raise ValueError(f"synchronous is 'NORMAL' or 'FULL', not {synchronous!r}")
        self.synchronous = synchronous
        self.path = Path(path)
        self.name = f"SQLite store {str(self.path)!r}"
        self.read_only = self.path.exists() and not os.access(self.path, os.W_OK)
        target = _read_only_uri(self.path) if self.read_only else str(self.path)
        connections = []
        try:
            for _ in ("writing", "reading"):
                connections.append(
                    sqlite3.connect(
                        target, uri=self.read_only, timeout=timeout, isolation_level=None, check_same_thread=False
                    )
                )
        except sqlite3.Error as error:
            for connection in connections:
                connection.close()
            raise StoreError(self.name, f"cannot open the file ({error})") from None
        self._db, self._reader = connections
        self._read_lock = threading.Lock()  # the reading connection: one thread at a time
        try:
            self._open()
        except BaseException:
            self.close()
            raise

    def _open(self) -> None:
        tables = {row[0] for row in self._query("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if not tables:
            if self.read_only:
                raise StoreError(self.name, "the file is read-only and holds no event store")
            self._query("PRAGMA journal_mode = WAL")  # persistent: stored in the file
            with self._transaction():
                if not self._db.execute("SELECT 1 FROM sqlite_master WHERE name = 'eventsim_store'").fetchone():
                    for statement in _SCHEMA.split(";\n"):  # executescript would commit on its own
                        if statement.strip():
                            self._db.execute(statement)
        elif "eventsim_store" not in tables:
            raise StoreError(
                self.name,
                "not an eventsim store: it has tables "
                + ", ".join(sorted(tables)[:5])
                + " but no eventsim_store table",
            )
        found = self._query("SELECT max(schema_version) FROM eventsim_store")[0][0]
        if found == 2 and not self.read_only:
            self._upgrade_from_2()
            found = SCHEMA_VERSION
        if found != SCHEMA_VERSION:
            newer = isinstance(found, int) and found > SCHEMA_VERSION
            raise StoreError(
                self.name,
                f"schema version {found!r}: this eventsim reads version {SCHEMA_VERSION}"
                + ("; the store was written by a newer eventsim: upgrade eventsim" if newer else ""),
            )
        self._db.execute(f"PRAGMA synchronous = {self.synchronous}")  # per connection: the one that commits

    def _upgrade_from_2(self) -> None:
        """Schema version 2 to 3, in one transaction: a checksum for each row, once it reads as an event
        through every check (a row that does not is named, and nothing is changed).  The rule that
        recorded events never change is lifted for this one statement, inside the transaction."""
        with self._transaction():
            rows = self._db.execute("SELECT position, event_type, schema_version, data FROM events ORDER BY position")
            checksums = checksums_of_unchecked_rows(self.name, rows.fetchall())
            self._db.execute("ALTER TABLE events ADD COLUMN checksum INTEGER")
            self._db.execute("DROP TRIGGER events_never_change")
            self._db.executemany("UPDATE events SET checksum = ? WHERE position = ?", checksums)
            self._db.execute(_NEVER_CHANGE)
            self._db.execute(f"UPDATE eventsim_store SET schema_version = {SCHEMA_VERSION}")

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        if self.read_only:
            raise StoreError(self.name, "the file is read-only: nothing was appended")
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")  # the one writer, across every process
            except sqlite3.Error as error:
                raise self._error(error, "nothing was appended") from None
            try:
                yield
                self._db.execute("COMMIT")
            except BaseException as error:
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                if isinstance(error, sqlite3.Error) and not isinstance(error, sqlite3.IntegrityError):
                    raise self._error(error, "nothing was appended") from None
                raise

    @contextmanager
    def _savepoint(self) -> Iterator[None]:
        self._db.execute("SAVEPOINT append")
        try:
            yield
        except BaseException:
            if self._db.in_transaction:  # some errors (a full disk) have ended the whole transaction
                self._db.execute("ROLLBACK TO append")
                self._db.execute("RELEASE append")
            raise
        self._db.execute("RELEASE append")

    def _record_alone(self, append: Append) -> list[RecordedEvent]:
        with self._transaction():
            return self._record(append)

    def _record(self, append: Append) -> list[RecordedEvent]:
        p = self._P
        a = append
        cursor = self._db.cursor()
        cursor.execute(
            f"SELECT (SELECT coalesce(max(version), 0) FROM events WHERE stream_id = {p}),"
            " (SELECT position FROM events ORDER BY position DESC LIMIT 1),"
            " (SELECT recorded_at FROM events ORDER BY position DESC LIMIT 1),"
            f" (SELECT count(*) FROM commands WHERE command_id = {p})",
            (a.stream_id, a.command.command_id if a.command else None),
        )
        actual, last_position, last_time, command_seen = cursor.fetchone()
        refuse_append(a.stream_id, len(a.events), a.expected_version, a.command, actual, bool(command_seen))
        if not a.events:
            return []
        # The clock is clamped to the last recorded time: recorded_at never goes back,
        # whichever process's clock is behind.
        now = max(self._clock(), last_time or 0)
        position = last_position or 0
        recorded = [
            RecordedEvent(
                position + i,
                a.stream_id,
                actual + i,
                event,
                now,
                self._ids(),
                a.correlation_id,
                a.causation_id,
                a.actor,
            )
            for i, event in enumerate(a.events, 1)
        ]
        for start in range(0, len(recorded), _BATCH):  # one statement per batch: few round trips
            batch = recorded[start : start + _BATCH]
            cursor.execute(
                f"INSERT INTO events ({_COLUMNS}) VALUES " + ", ".join([f"({', '.join([p] * 12)})"] * len(batch)),
                [
                    value
                    for r, (event_type, type_version, data, checksum) in zip(batch, a.rows[start : start + _BATCH])
                    for value in (
                        r.position,
                        a.stream_id,
                        r.version,
                        event_type,
                        type_version,
                        data,
                        now,
                        r.event_id,
                        a.correlation_id,
                        a.causation_id,
                        a.actor,
                        checksum,
                    )
                ],
            )
        if a.command is not None:
            c = a.command
            cursor.execute(
                "INSERT INTO commands (command_id, fingerprint, stream_id, first_version, last_version,"
                f" causation_id) VALUES ({p}, {p}, {p}, {p}, {p}, {p})",
                (c.command_id, c.fingerprint, c.stream_id, c.first_version, c.last_version, c.causation_id),
            )
        return recorded

    def _query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple]:
        """Rows of one read: through the writing connection when no append is under way or waiting
        (see the module's docstring), else through the reading connection."""
        if not (self._leading or self._queued) and self._lock.acquire(blocking=False):
            try:
                if not self._db.in_transaction:  # never an append's rows before it commits
                    return self._fetch(self._db, sql, params)
            finally:
                self._lock.release()
        with self._read_lock:
            return self._fetch(self._reader, sql, params)

    def _fetch(self, connection: sqlite3.Connection, sql: str, params: Sequence[Any]) -> list[tuple]:
        try:
            return connection.execute(sql, params).fetchall()
        except sqlite3.Error as error:
            raise self._error(error) from None

    _integrity_errors = (sqlite3.IntegrityError,)
    _refused_values = (UnicodeEncodeError,)  # text that is not Unicode (a lone surrogate) has no UTF-8

    def _error(self, error: sqlite3.Error, consequence: str = "") -> StoreError:
        text = str(error)
        if "file is not a database" in text:
            problem = "not an SQLite database (is it an eventsim store?)"
        elif "readonly" in text:
            problem = "the file is read-only"
        else:
            problem = f"SQLite error: {text}"
        return StoreError(self.name, f"{problem}{': ' + consequence if consequence else ''}")

    def close(self) -> None:
        self._db.close()
        self._reader.close()
