"""Snapshots: an order's state saved at a version, so loading folds only what came after.

The shop already keeps each order's state in memory between commands (an
in-memory snapshot).  A durable snapshot is the same idea kept in a table:
after a restart, or in another process, loading an order reads its latest
snapshot and folds only the events recorded since.

A snapshot is a cache, never a source of truth.  The events decide; a
snapshot only saves folding them again, so it must give exactly the state the
full fold gives.  Two things can make it lie, and both make it ignored (the
state is rebuilt from the events), never mis-read:

* the state's shape changed (a field was added to ``OrderState``): every
  snapshot records ``STATE_SCHEMA``, the explicit ``STATE_VERSION`` plus a
  fingerprint of the state's fields, and only one equal to today's is used;
* what a field *means* changed (``evolve`` or an upcaster now computes it
  differently): the fields look the same, so bump ``STATE_VERSION`` by hand.

    snapshots = Snapshots(SQLiteSnapshotStore("shop.db"), every=100)
    shop = Shop(store, snapshots=snapshots)
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import sqlite3
import threading
from collections.abc import Iterable
from dataclasses import dataclass, fields
from decimal import Decimal
from pathlib import Path
from typing import Any, Protocol

from immutables import Map

from .order import OrderState, Refund, evolve, initial_state

__all__ = [
    "STATE_SCHEMA",
    "STATE_VERSION",
    "InMemorySnapshotStore",
    "PostgresSnapshotStore",
    "SQLiteSnapshotStore",
    "Snapshot",
    "SnapshotStore",
    "Snapshots",
    "load_state",
    "open_snapshot_store",
    "state_from_json",
    "state_to_json",
]

logger = logging.getLogger(__name__)

#: Bump when what a state field means changes (``evolve`` or an upcaster computes it differently).
#: 1: OrderState before orders had a currency.  2: with ``currency``.
STATE_VERSION = 2


def _shape(*classes: type) -> str:
    text = ";".join(f"{cls.__name__}({','.join(f'{f.name}:{f.type}' for f in fields(cls))})" for cls in classes)
    return hashlib.sha256(text.encode()).hexdigest()[:12]


#: What a snapshot must say it holds to be used: the version and the shape of today's state.
STATE_SCHEMA = f"{STATE_VERSION}:{_shape(OrderState, Refund)}"


@dataclass(frozen=True, slots=True)
class Snapshot:
    """An order's state at ``version``, as JSON text, with the schema it was written in."""

    stream_id: str
    version: int
    schema: str
    state: str
    correlation_id: str | None = None  # the stream's correlation id, which its first event carries


def state_to_json(state: OrderState) -> str:
    """The state as JSON: amounts as exact decimal strings, refunds in the order they were requested."""
    data: dict[str, Any] = {}
    for f in fields(OrderState):
        value = getattr(state, f.name)
        if f.name == "refunds":
            value = [
                [r.refund_id, str(r.amount), r.version, r.paid] for r in sorted(value.values(), key=lambda r: r.version)
            ]
        elif isinstance(value, Decimal):
            value = str(value)
        data[f.name] = value
    return json.dumps(data, separators=(",", ":"))


def state_from_json(text: str) -> OrderState:
    """The state that ``state_to_json`` wrote (of today's schema: check ``Snapshot.schema`` first)."""
    data = json.loads(text)
    values: dict[str, Any] = {}
    for f in fields(OrderState):
        value = data[f.name]
        if f.name == "refunds":
            value = Map({r[0]: Refund(r[0], Decimal(r[1]), r[2], r[3]) for r in value})
        elif isinstance(getattr(initial_state, f.name), Decimal):
            value = Decimal(value)
        values[f.name] = value
    return OrderState(**values)


# --- where snapshots are kept -------------------------------------------------------------


class SnapshotStore(Protocol):
    """The latest snapshot of each stream."""

    def save(self, snapshot: Snapshot) -> None: ...
    def load(self, stream_id: str) -> Snapshot | None: ...


class InMemorySnapshotStore:
    def __init__(self) -> None:
        self._snapshots: dict[str, Snapshot] = {}

    def save(self, snapshot: Snapshot) -> None:
        old = self._snapshots.get(snapshot.stream_id)
        if old is None or old.version < snapshot.version or old.schema != snapshot.schema:
            self._snapshots[snapshot.stream_id] = snapshot

    def load(self, stream_id: str) -> Snapshot | None:
        return self._snapshots.get(stream_id)


class _SQLSnapshotStore:
    """One row per stream: a save replaces an older snapshot (or one of another schema), never a newer one."""

    _P = "?"
    _CREATE = (
        "CREATE TABLE IF NOT EXISTS snapshots (stream_id TEXT PRIMARY KEY, version BIGINT NOT NULL,"
        " state_schema TEXT NOT NULL, state TEXT NOT NULL, correlation_id TEXT)"
    )

    def _run(self, sql: str, params: Iterable[Any] = ()) -> list[tuple]:
        raise NotImplementedError

    def save(self, snapshot: Snapshot) -> None:
        p = self._P
        self._run(
            f"INSERT INTO snapshots (stream_id, version, state_schema, state, correlation_id)"
            f" VALUES ({p}, {p}, {p}, {p}, {p}) ON CONFLICT (stream_id) DO UPDATE SET"
            " version = excluded.version, state_schema = excluded.state_schema, state = excluded.state,"
            " correlation_id = excluded.correlation_id"
            " WHERE excluded.version > snapshots.version OR excluded.state_schema <> snapshots.state_schema",
            (snapshot.stream_id, snapshot.version, snapshot.schema, snapshot.state, snapshot.correlation_id),
        )

    def load(self, stream_id: str) -> Snapshot | None:
        rows = self._run(
            "SELECT stream_id, version, state_schema, state, correlation_id FROM snapshots"
            f" WHERE stream_id = {self._P}",
            (stream_id,),
        )
        return Snapshot(*rows[0]) if rows else None


class SQLiteSnapshotStore(_SQLSnapshotStore):
    """Snapshots in an SQLite file: the events' own file is a fine place (a table of its own).

    Open the event store on a new file first: it refuses a file that already
    holds tables of something else.
    """

    def __init__(self, path: str | os.PathLike[str]):
        self.path = Path(path)
        self._lock = threading.Lock()
        self._connection = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=30)
        self._connection.execute(self._CREATE)

    def _run(self, sql: str, params: Iterable[Any] = ()) -> list[tuple]:
        with self._lock, self._connection:
            return self._connection.execute(sql, tuple(params)).fetchall()

    def close(self) -> None:
        self._connection.close()


class PostgresSnapshotStore(_SQLSnapshotStore):
    """Snapshots in a PostgreSQL table (psycopg 3)."""

    _P = "%s"

    def __init__(self, url: str):
        import psycopg  # only those who use PostgreSQL need psycopg

        self._lock = threading.Lock()
        self._connection = psycopg.connect(url, autocommit=True)
        self._connection.execute(self._CREATE)

    def _run(self, sql: str, params: Iterable[Any] = ()) -> list[tuple]:
        with self._lock:
            cursor = self._connection.execute(sql, tuple(params))
            return cursor.fetchall() if cursor.description else []

    def close(self) -> None:
        self._connection.close()


def open_snapshot_store(url: str | os.PathLike[str]) -> Any:
    """The snapshot store ``url`` names, as ``eventsim.stores.open_store`` reads store URLs:
    ``memory:``, an SQLite path (or ``sqlite:///path``), or a ``postgresql://`` URL."""
    text = os.fspath(url)
    if text == "memory:":
        return InMemorySnapshotStore()
    if text.startswith(("postgresql://", "postgres://")):
        return PostgresSnapshotStore(text)
    return SQLiteSnapshotStore(text.removeprefix("sqlite:///"))


# --- the policy, and loading through it ------------------------------------------------------


class Snapshots:
    """When to take a snapshot (every ``every`` events of a stream), and which to trust.

    ``ignored`` counts the snapshots found but not used because their schema
    was not today's: their streams were folded from the first event instead,
    and the policy's next snapshot of the stream replaces them.
    """

    def __init__(self, store: SnapshotStore, *, every: int = 100):
        if isinstance(every, bool) or not isinstance(every, int) or every < 1:
            raise ValueError(f"every is a number of events, 1 or more, not {every!r}")
        self.store = store
        self.every = every
        self.ignored = 0
        self._saved: dict[str, int] = {}  # stream id -> the version of its latest snapshot we know of

    def load(self, stream_id: str) -> tuple[OrderState, str | None] | None:
        """The latest usable snapshot's state and correlation id, or ``None`` (fold from the start)."""
        snapshot = self.store.load(stream_id)
        if snapshot is None:
            return None
        if snapshot.schema != STATE_SCHEMA:  # the next snapshot the policy takes replaces it
            self.ignored += 1
            return None
        self._saved[stream_id] = snapshot.version
        return state_from_json(snapshot.state), snapshot.correlation_id

    def consider(self, stream_id: str, state: OrderState, correlation_id: str | None) -> bool:
        """Save a snapshot if the stream has grown by ``every`` events since the last one; say if it did.

        A snapshot that cannot be saved is logged and skipped: the events are recorded, and they decide.
        """
        if state.version // self.every <= self._saved.get(stream_id, 0) // self.every:
            return False
        try:
            self.store.save(Snapshot(stream_id, state.version, STATE_SCHEMA, state_to_json(state), correlation_id))
        except Exception as error:  # noqa: BLE001 -- a cache that cannot be written must not fail a recorded command
            logger.warning("snapshot of %s at version %d not saved: %r", stream_id, state.version, error)
            return False
        self._saved[stream_id] = state.version
        return True


def load_state(store: Any, stream_id: str, snapshots: Snapshots | None = None) -> OrderState:
    """The stream's current state: its snapshot (if usable) plus the events recorded since."""
    loaded = snapshots.load(stream_id) if snapshots is not None else None
    state = loaded[0] if loaded else initial_state
    for recorded in store.read_stream(stream_id, state.version + 1):
        state = evolve(state, recorded.event)
    return state
