"""Snapshots: a stream's state saved at a version, so loading folds only what came after.

An application already keeps recent states in memory between commands (an
in-memory snapshot).  A durable snapshot is the same idea kept in a table:
after a restart, or in another process, loading a stream reads its latest
snapshot and folds only the events recorded since.

A snapshot is a cache, never a source of truth.  The events decide; a
snapshot only saves folding them again, so it must give exactly the state the
full fold gives.  Two things can make it lie, and both make it ignored (the
state is rebuilt from the events), never mis-read:

* the state's shape changed (a field was added): every snapshot records the
  domain's ``state_schema``, its explicit ``state_version`` plus a fingerprint
  of the state's fields, and only one equal to today's is used;
* what a field *means* changed (``evolve`` or an upcaster now computes it
  differently): the fields look the same, so bump ``state_version`` by hand.

Each domain brings its own state codec (``Domain.encode_state`` and
``decode_state``); the shop's is in ``eventsim.shop.order``.

    snapshots = Snapshots(SQLiteSnapshotStore("shop.db"), every=100)
    shop = Shop(store, snapshots=snapshots)
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from .domain import Domain

__all__ = [
    "InMemorySnapshotStore",
    "PostgresSnapshotStore",
    "SQLiteSnapshotStore",
    "Snapshot",
    "SnapshotStore",
    "Snapshots",
    "load_state",
    "open_snapshot_store",
]

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Snapshot:
    """A stream's state at ``version``, as JSON text, with the schema it was written in."""

    stream_id: str
    version: int
    schema: str
    state: str


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
        " state_schema TEXT NOT NULL, state TEXT NOT NULL)"
    )

    def _run(self, sql: str, params: Iterable[Any] = ()) -> list[tuple]:
        raise NotImplementedError

    def save(self, snapshot: Snapshot) -> None:
        p = self._P
        self._run(
            f"INSERT INTO snapshots (stream_id, version, state_schema, state)"
            f" VALUES ({p}, {p}, {p}, {p}) ON CONFLICT (stream_id) DO UPDATE SET"
            " version = excluded.version, state_schema = excluded.state_schema, state = excluded.state"
            " WHERE excluded.version > snapshots.version OR excluded.state_schema <> snapshots.state_schema",
            (snapshot.stream_id, snapshot.version, snapshot.schema, snapshot.state),
        )

    def load(self, stream_id: str) -> Snapshot | None:
        rows = self._run(
            f"SELECT stream_id, version, state_schema, state FROM snapshots WHERE stream_id = {self._P}",
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

    def load(self, stream_id: str, domain: Domain) -> tuple[Any, int] | None:
        """The latest usable snapshot's state and version, or ``None`` (fold from the start)."""
        snapshot = self.store.load(stream_id)
        if snapshot is None:
            return None
        if snapshot.schema != domain.state_schema:  # the next snapshot the policy takes replaces it
            self.ignored += 1
            return None
        try:
            state = domain.decode_state(snapshot.state)
        except Exception as error:  # noqa: BLE001 -- a cache that cannot be read must not fail a command
            logger.warning(
                "snapshot of %s at version %d ignored, it does not read: %r", stream_id, snapshot.version, error
            )
            self.ignored += 1
            return None
        self._saved[stream_id] = snapshot.version
        return state, snapshot.version

    def consider(self, stream_id: str, state: Any, version: int, domain: Domain) -> bool:
        """Save a snapshot if the stream has grown by ``every`` events since the last one; say if it did.

        A snapshot that cannot be saved is logged and skipped: the events are recorded, and they decide.
        """
        if version // self.every <= self._saved.get(stream_id, 0) // self.every:
            return False
        try:
            self.store.save(Snapshot(stream_id, version, domain.state_schema, domain.encode_state(state)))
        except Exception as error:  # noqa: BLE001 -- a cache that cannot be written must not fail a recorded command
            logger.warning("snapshot of %s at version %d not saved: %r", stream_id, version, error)
            return False
        self._saved[stream_id] = version
        return True


def load_state(domain: Domain, store: Any, stream_id: str, snapshots: Snapshots | None = None) -> Any:
    """The stream's current state: its snapshot (if usable) plus the events recorded since."""
    loaded = snapshots.load(stream_id, domain) if snapshots is not None else None
    state, version = loaded if loaded else (domain.initial_state, 0)
    return domain.fold((recorded.event for recorded in store.read_stream(stream_id, version + 1)), state)
