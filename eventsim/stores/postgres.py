"""The event store in PostgreSQL, through psycopg 3.

The write lock is ``LOCK TABLE events IN EXCLUSIVE MODE``, taken at the start
of every append transaction and held until its commit.  Positions are
assigned under it (the last position plus one), so they are committed in
order: a reader following the log by position never meets position N+1
before N is visible, which a ``bigserial`` alone would allow (the eventsourcing
library makes the same choice).  Readers are not blocked by it (plain
``SELECT`` takes a weaker lock); writers queue, up to ``lock_timeout``.  The
cost is one append at a time per database, paid knowingly.

Durability: ``synchronous_commit = on`` (set on every connection, whatever
the server's default): an append returns only once its commit is on disk.

A lost connection (server restarted, network gone) is reported as
``StoreError``; the next call connects again.  If the connection went during
a commit, the append may or may not have been recorded: read the stream (or
the command's record) to find out.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import psycopg
from psycopg.conninfo import conninfo_to_dict
from psycopg.types.json import set_json_loads

from ..clock import system_clock
from ..ids import random_ids
from .sql import SCHEMA_VERSION, SQLEventStore, StoreError, parse_json

__all__ = ["PostgresEventStore"]

_SCHEMA = f"""
CREATE TABLE eventsim_store (schema_version integer NOT NULL);
INSERT INTO eventsim_store VALUES ({SCHEMA_VERSION});
CREATE TABLE events (
    position       bigint  PRIMARY KEY,              -- the global order; assigned under the write lock
    stream_id      text    NOT NULL,
    version        integer NOT NULL CHECK (version >= 1),
    event_type     text    NOT NULL,                 -- the registered name, e.g. 'OrderCreated'
    schema_version integer NOT NULL DEFAULT 1 CHECK (schema_version >= 1),  -- the shape of data (eventsim.upcasting)
    data           jsonb   NOT NULL,                 -- the event: {{"orderId": "123456", "amount": 100.00}}
    recorded_at    bigint  NOT NULL,                 -- Unix seconds
    event_id       text    NOT NULL,
    correlation_id text,
    causation_id   text,
    actor          text,
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
CREATE FUNCTION eventsim_events_never_change() RETURNS trigger LANGUAGE plpgsql AS
$$ BEGIN RAISE EXCEPTION 'recorded events never change'; END $$;
CREATE TRIGGER events_never_change BEFORE UPDATE OR DELETE ON events
FOR EACH ROW EXECUTE FUNCTION eventsim_events_never_change();
CREATE TRIGGER events_never_truncated BEFORE TRUNCATE ON events
FOR EACH STATEMENT EXECUTE FUNCTION eventsim_events_never_change()
"""


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

    def __init__(self, url: str, *, clock: Callable[[], int] = system_clock, ids: Callable[[], str] = random_ids,
                 lock_timeout: float = 30.0):
        super().__init__(clock=clock, ids=ids)
        self.url = url
        self.name = f"PostgreSQL store {display_url(url)}"
        self._lock_timeout_ms = int(lock_timeout * 1000)
        self._conn: psycopg.Connection | None = None
        with self._lock:
            connection = self._connection()
            with connection.transaction():
                # One creator at a time; key: the first bytes of "eventsim".
                connection.execute("SELECT pg_advisory_xact_lock(7310870969309975917)")
                ours, theirs = connection.execute(
                    "SELECT to_regclass('eventsim_store') IS NOT NULL,"
                    " to_regclass('events') IS NOT NULL OR to_regclass('commands') IS NOT NULL").fetchall()[0]
                if not ours:
                    if theirs:
                        raise StoreError(self.name, "not an eventsim store: it has a table 'events' or "
                                         "'commands' but no eventsim_store table")
                    connection.execute(_SCHEMA)
        found = self._query("SELECT max(schema_version) FROM eventsim_store")[0][0]
        if found != SCHEMA_VERSION:
            newer = isinstance(found, int) and found > SCHEMA_VERSION
            raise StoreError(self.name, f"schema version {found!r}: this eventsim reads version {SCHEMA_VERSION}"
                             + ("; the store was written by a newer eventsim: upgrade eventsim" if newer else ""))

    def _connection(self) -> psycopg.Connection:
        if self._conn is None or self._conn.closed:
            try:
                connection = psycopg.connect(self.url, autocommit=True)
            except psycopg.Error as error:
                raise StoreError(self.name, f"cannot connect ({str(error).strip()})") from None
            connection.execute("SET synchronous_commit = on")
            connection.execute(f"SET lock_timeout = {self._lock_timeout_ms}")
            set_json_loads(parse_json, connection)  # amounts come back as Decimal, never float
            self._conn = connection
        return self._conn

    @contextmanager
    def _write(self) -> Iterator[psycopg.Cursor]:
        with self._lock:
            committing = False
            try:
                connection = self._connection()
                with connection.transaction():
                    cursor = connection.cursor()
                    cursor.execute("LOCK TABLE events IN EXCLUSIVE MODE")
                    yield cursor
                    committing = True
            except psycopg.errors.UniqueViolation:
                raise
            except psycopg.Error as error:
                raise self._error(error, "the commit may or may not have happened: read the stream to find out"
                                  if committing else "nothing was appended") from None

    def _query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple]:
        with self._lock:
            try:
                return self._connection().execute(sql, params).fetchall()
            except psycopg.Error as error:
                raise self._error(error) from None

    def _error(self, error: psycopg.Error, consequence: str = "") -> StoreError:
        text = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        if isinstance(error, psycopg.errors.LockNotAvailable):
            problem = f"another writer held the write lock longer than lock_timeout ({text})"
        elif isinstance(error, psycopg.OperationalError):
            self.close()  # the next call connects again
            problem = f"lost the connection to the server ({text})"
        else:
            problem = f"PostgreSQL error: {text}"
        return StoreError(self.name, f"{problem}{'; ' + consequence if consequence else ''}")

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
