"""What the SQLite and PostgreSQL stores share: the tables, the append, the reads, subscriptions.

One row per event in ``events``: the envelope in columns, the domain event as
JSON in the seed's shape (camelCase fields, amounts as exact decimal numbers)
under its registered type name.  ``commands`` holds the idempotency records,
written in the same transaction as the events they produced.

An append is one transaction that holds the store's single write lock from
its first read to its commit (``_record``: each database says how it takes
the lock).  Under that lock it reads the stream's version, the last position
and the last recorded time, checks the expected version and the command id,
then inserts.  Two things follow, in every process that shares the database:

* positions are assigned in commit order, so a reader that follows the log
  by position (``read_all(last_seen + 1)``) never misses an event that
  commits later with a lower position;
* the version check cannot race.  The ``UNIQUE (stream_id, version)``
  constraint is the database's own guarantee behind it: a writer that skipped
  the lock would still be refused (and get ``ConcurrencyError``).

Subscriptions get events after the commit, in position order.  Events that
other processes append are delivered on this store's next ``append`` or when
you call ``poll()``: nothing polls in the background.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal
from typing import Any

from ..clock import system_clock
from ..events import event_type_name
from ..ids import random_ids
from ..jsonl import EventFormatError, _value, event_from_stored, event_to_payload
from ..store import (
    ANY,
    CommandRecord,
    ConcurrencyError,
    ExpectedVersion,
    RecordedEvent,
    Subscribers,
    Subscription,
    check_expected_version,
)
from ..upcasting import schema_version

__all__ = ["SCHEMA_VERSION", "SQLEventStore", "StoreError"]

logger = logging.getLogger(__name__)

#: The layout of the tables this code reads and writes; stored in ``eventsim_store``.
#: 2: each event row keeps its event type's schema version (``eventsim.upcasting``).
SCHEMA_VERSION = 2

_COLUMNS = (
    "position, stream_id, version, event_type, schema_version, data, recorded_at, event_id, "
    "correlation_id, causation_id, actor"
)
_BATCH = 500  # rows per INSERT statement: under every driver's limit on parameters


class StoreError(Exception):
    """A store cannot do what was asked: names the store and the problem."""

    def __init__(self, store: str, problem: str):
        self.store, self.problem = store, problem
        super().__init__(f"{store}: {problem}")


def payload_json(payload: dict[str, Any]) -> str:
    """The payload as one line of JSON; Decimals written as exact numbers (``10.10``, never ``10.1``)."""
    return "{" + ", ".join(f'"{name}": {_value(value)}' for name, value in payload.items()) + "}"


_decode_json = json.JSONDecoder(parse_float=Decimal).decode  # one decoder for all: json.loads builds one per call


def parse_json(text: str | bytes) -> Any:
    """JSON with every non-integer number read as ``Decimal``, never through float."""
    return _decode_json(text if isinstance(text, str) else text.decode())


class SQLEventStore(Subscribers):
    """The contract of ``InMemoryEventStore``, kept in a database.  Subclasses say how to connect,
    how to take the write lock, and how their database reports errors."""

    _P = "?"  # the driver's parameter placeholder

    def __init__(self, *, clock: Callable[[], int] = system_clock, ids: Callable[[], str] = random_ids):
        self._clock = clock
        self._ids = ids
        self._lock = threading.RLock()  # one connection, used by one thread at a time
        self._subscriptions: list[Subscription] = []
        self._delivering = threading.Lock()  # not re-entrant: see _dispatch

    # --- what each database provides ----------------------------------------

    name: str  # "SQLite store '/path/shop.db'": how errors name the store
    _integrity_errors: tuple[type[BaseException], ...]  # the driver's unique-violation errors

    def _record(
        self,
        stream_id: str,
        events: list[Any],
        rows: list[tuple[str, int, str]],
        expected_version: int | ExpectedVersion,
        correlation_id: str | None,
        causation_id: str | None,
        actor: str | None,
        command: CommandRecord | None,
    ) -> list[RecordedEvent]:
        """The append itself, in one transaction under the write lock; ``rows`` are
        (type name, schema version, JSON)."""
        raise NotImplementedError

    def _query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple]:
        """Rows of one read-only statement."""
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    def __enter__(self):
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- writing ---------------------------------------------------------------

    def append(
        self,
        stream_id: str,
        events: Iterable[Any],
        expected_version: int | ExpectedVersion = ANY,
        *,
        correlation_id: str | None = None,
        causation_id: str | None = None,
        actor: str | None = None,
        command: CommandRecord | None = None,
    ) -> list[RecordedEvent]:
        """Record ``events`` at the end of ``stream_id``, all or none, in one transaction; return them."""
        events = list(events)
        names = [event_type_name(event) for event in events]  # TypeError for anything else
        rows = [
            (name, schema_version(name), payload_json(event_to_payload(event))) for name, event in zip(names, events)
        ]
        check_expected_version(expected_version)
        for what, value in (
            ("stream_id", stream_id),
            ("correlation_id", correlation_id),
            ("causation_id", causation_id),
            ("actor", actor),
        ):
            if not isinstance(value, str) and (value is not None or what == "stream_id"):
                raise TypeError(f"{what} must be a str, not {type(value).__name__}")
        if command is not None and not isinstance(command, CommandRecord):
            raise TypeError(f"command must be a CommandRecord, not {type(command).__name__}")
        try:
            recorded = self._record(
                stream_id, events, rows, expected_version, correlation_id, causation_id, actor, command
            )
        except self._integrity_errors:  # a writer that skipped the lock lost to the constraints
            raise ConcurrencyError(stream_id, expected_version, self.stream_version(stream_id)) from None
        if recorded and self._subscriptions:
            try:
                self._dispatch()
            except StoreError as error:  # committed is committed: the subscribers catch up on poll()
                logger.error("%s; subscribers get the events on the next poll()", error)
        return recorded

    # --- reading ---------------------------------------------------------------

    def read_stream(self, stream_id: str, from_version: int = 1) -> list[RecordedEvent]:
        p = self._P
        return self._events(
            f"SELECT {_COLUMNS} FROM events WHERE stream_id = {p} AND version >= {p} ORDER BY version",
            (stream_id, _whole(from_version, "from_version")),
        )

    def read_all(self, from_position: int = 1, limit: int | None = None) -> list[RecordedEvent]:
        """Events with ``position >= from_position`` in position order, at most ``limit`` of them.
        Positions increase but may have gaps: never assume ``position == previous + 1``."""
        p = self._P
        sql = f"SELECT {_COLUMNS} FROM events WHERE position >= {p} ORDER BY position"
        params: list[Any] = [_whole(from_position, "from_position")]
        if limit is not None:
            sql += f" LIMIT {p}"
            params.append(max(_whole(limit, "limit"), 0))  # as a list slice: a negative limit gives nothing
        return self._events(sql, params)

    def stream_version(self, stream_id: str) -> int:
        """The version of the stream's last event; 0 for a stream with no events."""
        return self._query(f"SELECT coalesce(max(version), 0) FROM events WHERE stream_id = {self._P}", (stream_id,))[
            0
        ][0]

    @property
    def last_position(self) -> int:
        """The position of the newest event; 0 for an empty store."""
        return self._query("SELECT coalesce(max(position), 0) FROM events")[0][0]

    def stream_ids(self) -> list[str]:
        """Every stream, in the order it was first written."""
        return [row[0] for row in self._query("SELECT stream_id FROM events WHERE version = 1 ORDER BY position")]

    def __len__(self) -> int:
        return self._query("SELECT count(*) FROM events")[0][0]

    def command_record(self, command_id: str) -> CommandRecord | None:
        """What the command with this id recorded, or ``None`` if it was never handled here."""
        rows = self._query(
            "SELECT command_id, fingerprint, stream_id, first_version, last_version, causation_id"
            f" FROM commands WHERE command_id = {self._P}",
            (command_id,),
        )
        return CommandRecord(*rows[0]) if rows else None

    def _events(self, sql: str, params: Sequence[Any]) -> list[RecordedEvent]:
        return [self._decode(row) for row in self._query(sql, params)]

    def _decode(self, row: tuple) -> RecordedEvent:
        position, stream_id, version, event_type, type_version, data, *envelope = row
        try:
            payload = _decode_json(data) if isinstance(data, str) else data
            event = event_from_stored(event_type, type_version, payload)  # old shapes upcast as they are read
        except (EventFormatError, ValueError, TypeError) as problem:
            raise StoreError(self.name, f"the event at position {position} cannot be read: {problem}") from None
        return RecordedEvent(position, stream_id, version, event, *envelope)

    # --- subscribing -----------------------------------------------------------

    def poll(self) -> None:
        """Deliver to the subscriptions every event committed since they last heard, by any process."""
        self._dispatch()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name}>"


def _whole(value: object, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{what} must be an int, not {type(value).__name__}")
    return value
