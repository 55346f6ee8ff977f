"""What the SQLite and PostgreSQL stores share: the tables, the append, the reads, subscriptions.

One row per event in ``events``: the envelope in columns, the domain event as
JSON in the seed's shape (camelCase fields, amounts as exact decimal numbers)
under its registered type name.  ``commands`` holds the idempotency records,
written in the same transaction as the events they produced.

Every append runs in a transaction that holds the store's single write lock
from its first read to its commit (``_transaction``: each database says how
it takes the lock).  Under that lock it reads the stream's version, the last
position and the last recorded time, checks the expected version and the
command id, then inserts.  Two things follow, in every process that shares
the database:

* positions are assigned in commit order, so a reader that follows the log
  by position (``read_all(last_seen + 1)``) never misses an event that
  commits later with a lower position;
* the version check cannot race.  The ``UNIQUE (stream_id, version)``
  constraint is the database's own guarantee behind it: a writer that skipped
  the lock would still be refused (and get ``ConcurrencyError``).

Group commit.  A commit waits for the disk (an fsync), and a disk syncs
only so many times a second: with one commit per append, that rate caps
appends/s however fast the rest is.  So when several threads append through
one store object at once, the appends that arrive while a commit is under
way wait for it; then one of them, the leader, takes them all and records
them in one transaction, each in a ``SAVEPOINT`` of its own, and commits
once: one sync for all of them (PostgreSQL sends the whole group at once,
without savepoints, and falls back to them only when one append fails:
see ``postgres.py``).  This is what databases call group commit.
Each append stays all or nothing: one that is refused (a
``ConcurrencyError``, say) is rolled back to its savepoint and raises in its
own caller only; the others are recorded.  If the transaction fails before
it commits, none of them is recorded and every caller gets the error.  If
the connection is lost during the commit itself, nobody can know whether it
committed (true of any database client): a command sent again with the same
command id then gets its first result if it was recorded, and is decided
afresh if it was not.  An append that
finds nobody committing commits at once, alone: no timer, no added wait.
Reads that come while a commit waits for the disk use a connection of their
own, so a command can read its stream meanwhile.  The guarantees above hold
for a group as for one append: its positions are assigned under the lock, in
the order of its appends, and committed together.

Subscriptions get events after the commit, in position order.  Events that
other processes append are delivered on this store's next ``append`` or when
you call ``poll()``: nothing polls in the background.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import threading
import zlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from typing import Any

from ..clock import system_clock
from ..ids import random_ids
from ..jsonl import _DECIMAL_TEXT, MAX_COUNTER, EventFormatError, _spec, event_to_payload, payload_json
from ..registry import EventType, registered
from ..registry import event_type as registration_of
from ..store import (
    ANY,
    CommandRecord,
    ConcurrencyError,
    ExpectedVersion,
    RecordedEvent,
    Subscribers,
    Subscription,
    check_envelope,
    check_expected_version,
    check_writes,
    readable_id,
)
from ..upcasting import SchemaVersionError, upcast

__all__ = [
    "SCHEMA_VERSION",
    "SQLEventStore",
    "StoreError",
    "checksums_of_unchecked_rows",
    "row_checksum",
    "stored_event",
]

logger = logging.getLogger(__name__)

#: The layout of the tables this code reads and writes; stored in ``eventsim_store``.
#: 2: each event row keeps its event type's schema version (``eventsim.upcasting``).
#: 3: each event row keeps a checksum (``row_checksum``); PostgreSQL keeps the data as the text written.
SCHEMA_VERSION = 3

_COLUMNS = (
    "position, stream_id, version, event_type, schema_version, data, recorded_at, event_id, "
    "correlation_id, causation_id, actor, checksum"
)
_BATCH = 500  # rows per INSERT statement: under every driver's limit on parameters
# Rows per query when reading the log (read_all).  A query for a whole log of a million events would make the
# database sort or send it all at once and the driver hold every row before the first is decoded; pages of a
# thousand are read through the position index and decoded while they are fresh, at about half the cost per row.
_PAGE = 1_000


class StoreError(Exception):
    """A store cannot do what was asked: names the store and the problem."""

    def __init__(self, store: str, problem: str):
        self.store, self.problem = store, problem
        super().__init__(f"{store}: {problem}")


def row_checksum(event_type: str, schema_version: int, data: str) -> int:
    """The checksum ``append`` stores with each row: CRC-32 of the row's event type, schema version and data.

    It covers what a reader trusts without checking again: which event the row holds, in which shape,
    with which values.  CRC-32 (``zlib.crc32``, the one in Python's standard library; Kafka and
    EventStoreDB use its sibling CRC-32C, which has no module there) catches a row changed by accident:
    a bad disk, an UPDATE by hand, a row another program inserted.  It is no seal: anyone who can write
    the table can compute it too (notebook 8).
    """
    # "surrogatepass": text no database can store (a lone surrogate) gets a checksum too, and the database
    # then refuses it, naming the value, as it would without one.
    return zlib.crc32(f"{event_type}\n{schema_version}\n{data}".encode("utf-8", "surrogatepass"))


# Numbers with a point or exponent are read as Decimal, straight from their digits, never through float.
# One decoder for all: json.loads would build one per call.
_JSON = json.JSONDecoder(parse_float=Decimal)


_NOTHING: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class _Decoding:
    """How a row's payload becomes an event of one registered type."""

    cls: type
    attribute: dict[str, str]  # payload name -> field name
    money: frozenset[str]  # fields of kind Decimal
    whole: frozenset[str]  # fields of kind int
    required: frozenset[str]  # fields without a default: a payload always has them
    defaults: dict[str, Any]  # field name -> its default, for a field the payload leaves out (None, say)


@cache
def _decoding(registration: EventType) -> _Decoding:
    spec = _spec(registration)
    defaults = {f.name: f.default for f in dataclasses.fields(registration.cls) if f.default is not dataclasses.MISSING}
    return _Decoding(
        spec.cls,
        {field.name: field.attr for field in spec.fields},
        frozenset(f.attr for f in registration.fields if f.kind is Decimal),
        frozenset(f.attr for f in registration.fields if f.kind is int),
        frozenset(f.name for f in dataclasses.fields(registration.cls)) - defaults.keys(),
        defaults,
    )


def stored_event(event_type: str, version: int, data: str, checksum: int | None) -> Any:
    """The domain event a store's row holds: its type's name, its schema version, its payload as JSON
    and the checksum ``append`` stored with them (``row_checksum``).

    A row without that checksum, or with one that does not match, was not written by ``append``, or
    has changed since: it is refused (``EventFormatError``), and the store names its position.  A row
    whose checksum matches holds what ``append`` wrote, from an event that had passed its own checks:
    in today's shape it is made into its event without running them again, which took half the time
    of a replay.  An older shape is upcast (``eventsim.upcasting``) and then goes through the event's
    checks, since the upcasters' output is new.  A JSON Lines file, which anybody may write, is read
    by ``eventsim.jsonl``, which checks everything.
    """
    if checksum is None:
        raise EventFormatError("the row has no checksum: eventsim's append did not write it", event_type=event_type)
    if type(data) is not str:  # SQLite keeps any value in any column: bytes, say, inserted behind our back
        raise EventFormatError(f"the data is {type(data).__name__}, not JSON text", event_type=event_type)
    if checksum != row_checksum(event_type, version, data):
        raise EventFormatError(
            "the row's checksum does not match it: it changed after eventsim's append wrote it", event_type=event_type
        )
    registration = registered(event_type)
    if registration is None or type(version) is not int or version != registration.schema_version:
        return _upcast_stored(event_type, version, data)
    decoding = _decoding(registration)
    try:
        payload, end = _JSON.raw_decode(data)  # the JSON alone, as append writes it: no spaces to skip first
        fields = {decoding.attribute[name]: value for name, value in payload.items()}
    except (TypeError, ValueError, KeyError, AttributeError, ArithmeticError, RecursionError):
        return _upcast_stored(event_type, version, data)  # the long way says what is wrong
    if end != len(data) or not decoding.required <= fields.keys():
        return _upcast_stored(event_type, version, data)
    for name in decoding.money:
        value = fields.get(name)
        if value is not None:
            fields[name] = Decimal(value)  # "10.00" as append wrote it; a number in rows written before
    return _trusted(decoding, fields)


def checksums_of_unchecked_rows(store: str, rows: Iterable[tuple[int, str, int, Any]]) -> list[tuple[int, int]]:
    """For the upgrade from schema version 2, whose rows have no checksum: each row's ``(checksum,
    position)``, once the row has been read as an event through every check (upcast if old); a
    ``StoreError`` naming the store and the position of the first row that does not make one."""
    checksums = []
    for position, event_type, version, data in rows:
        try:
            if type(data) is not str:
                raise EventFormatError(f"the data is {type(data).__name__}, not JSON text", event_type=event_type)
            _upcast_stored(event_type, version, data)
        except EventFormatError as problem:
            raise StoreError(
                store,
                f"cannot upgrade it from schema version 2: the event at position {position} cannot be read: "
                f"{problem}; nothing was changed",
            ) from None
        checksums.append((row_checksum(event_type, version, data), position))
    return checksums


def _trusted(decoding: _Decoding, fields: dict[str, Any]) -> Any:
    """The event with these fields, made without calling its ``__init__`` (and so its checks).

    ``object.__setattr__`` is how a frozen dataclass's own ``__init__`` sets its fields; here it sets
    them from a row whose checksum says ``append`` wrote it, from an event that passed those checks.
    """
    event: Any = object.__new__(decoding.cls)
    for name, value in fields.items():
        object.__setattr__(event, name, value)
    for name, value in decoding.defaults.items():  # a field the payload leaves out (None, say): its default
        if name not in fields:
            object.__setattr__(event, name, value)
    return event


def _upcast_stored(event_type: str, version: int, data: str) -> Any:
    """A row in an older shape (or one that does not decode): upcast, then made through the event's checks."""
    try:
        payload = _JSON.decode(data)
    except (ValueError, ArithmeticError, RecursionError) as problem:
        raise EventFormatError(
            f"the data is not JSON an event can come from ({_first_line(problem)})", event_type=event_type
        ) from None
    if type(payload) is not dict:
        raise EventFormatError("the data is not a JSON object", event_type=event_type)
    try:
        event_type, payload = upcast(event_type, version, payload)  # an old shape is read in today's
    except SchemaVersionError as error:
        field = error.field or "schemaVersion"
        raise EventFormatError(error.problem, event_type=error.event_type, field=field) from None
    registration = registered(event_type)
    if registration is None:
        raise EventFormatError(f"unknown event type {event_type!r:.60}: is its domain's event type registered?")
    return _event(event_type, _decoding(registration), payload)


def _event(event_type: str, decoding: _Decoding, payload: Mapping[str, Any]) -> Any:
    """The event from a payload in today's shape, through the event's own checks."""
    try:
        fields = {decoding.attribute[name]: value for name, value in payload.items()}
    except KeyError as unknown:
        raise EventFormatError(
            "is not a field of this event type", event_type=event_type, field=unknown.args[0]
        ) from None
    for name in decoding.money:  # money as text ("10.00") or as a number (rows written before): a Decimal
        value = fields.get(name)
        if (type(value) is str and _DECIMAL_TEXT.fullmatch(value)) or type(value) is int:
            fields[name] = Decimal(value)
    for name in decoding.whole:  # a whole number written with a point (7.0) gets its int
        value = fields.get(name)
        if type(value) is Decimal and value == value.to_integral_value():
            fields[name] = int(value)
    try:
        return decoding.cls(**fields)
    except (TypeError, ValueError) as problem:  # the event's own checks, or a field it must have
        raise EventFormatError(str(problem), event_type=event_type) from None


@dataclass(eq=False)
class Append:
    """One caller's append, from the moment it waits to be committed to the moment it has its outcome."""

    stream_id: str
    events: list[Any]
    rows: list[tuple[str, int, str, int]]  # per event: its type's name, its schema version, its JSON, checksum
    expected_version: int | ExpectedVersion
    correlation_id: str | None
    causation_id: str | None
    actor: str | None
    command: CommandRecord | None
    recorded: list[RecordedEvent] | None = None  # set once committed
    error: BaseException | None = None  # or what the caller must raise

    @property
    def done(self) -> bool:
        return self.recorded is not None or self.error is not None


class SQLEventStore(Subscribers):
    """The contract of ``InMemoryEventStore``, kept in a database.  Subclasses say how to connect,
    how to take the write lock, and how their database reports errors."""

    _P = "?"  # the driver's parameter placeholder
    #: Positions are assigned under the write lock and committed in that order (see the module's docstring).
    commits_in_sequence = True

    def __init__(self, *, clock: Callable[[], int] = system_clock, ids: Callable[[], str] = random_ids):
        self._clock = clock
        self._ids = ids
        # The writing connection is used by one thread at a time.  Reads have connections of their own
        # (each database says how many), so that a command can read its stream while a group's commit
        # waits for the disk.
        self._lock = threading.RLock()  # the writing connection
        self._queued: list[Append] = []  # appends no leader has taken yet
        self._queue_lock = threading.Lock()
        self._leading = False  # a leader is committing a group
        self._committed = threading.Condition(self._queue_lock)  # ... and says so when it is done
        self.commits = 0  # transactions this object has committed with appends in them
        self._subscriptions: list[Subscription] = []
        self._delivering = threading.Lock()  # not re-entrant: see _dispatch

    # --- what each database provides ----------------------------------------

    name: str  # "SQLite store '/path/shop.db'": how errors name the store
    _integrity_errors: tuple[type[BaseException], ...]  # the driver's unique-violation errors
    _refused_values: tuple[type[BaseException], ...] = ()  # the driver's errors for a value it cannot store

    def _record(self, append: Append) -> list[RecordedEvent]:
        """One append's statements, inside a transaction that holds the write lock: read the stream's
        version, check the append (``refuse_append``), insert; return what it recorded."""
        raise NotImplementedError

    def _record_alone(self, append: Append) -> list[RecordedEvent]:
        """One append in a transaction of its own."""
        raise NotImplementedError

    def _transaction(self) -> AbstractContextManager[object]:
        """A transaction that takes the write lock and commits when the block ends."""
        raise NotImplementedError

    def _savepoint(self) -> AbstractContextManager[object]:
        """A savepoint in the current transaction: released when the block ends, rolled back if it raises."""
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
        """Record ``events`` at the end of ``stream_id``, all or none; return them.

        The transaction may be shared with other threads' appends (group commit), each in a savepoint."""
        append = self._prepared(stream_id, events, expected_version, correlation_id, causation_id, actor, command)
        try:
            recorded = self._commit_with_others(append)
        except self._integrity_errors:  # a writer that skipped the lock lost to the constraints
            raise ConcurrencyError(stream_id, expected_version, self.stream_version(stream_id)) from None
        except self._refused_values as error:
            raise StoreError(
                self.name, f"the database refused a value: {_first_line(error)}; nothing was appended"
            ) from None
        self._committed_events(recorded)
        return recorded

    def append_streams(
        self,
        writes: Iterable[tuple[str, Iterable[Any], int | ExpectedVersion]],
        *,
        correlation_id: str | None = None,
        causation_id: str | None = None,
        actor: str | None = None,
    ) -> list[RecordedEvent]:
        """Record events in several streams in one transaction, each stream at its expected version:
        all or none (see ``InMemoryEventStore.append_streams``).  It holds the write lock, as an
        append does, and commits alone."""
        appends = [
            self._prepared(stream_id, events, expected_version, correlation_id, causation_id, actor, None)
            for stream_id, events, expected_version in check_writes(writes)
        ]
        try:
            with self._transaction():
                recorded = [event for append in appends for event in self._record(append)]
        except self._integrity_errors:  # a writer that skipped the lock lost to the constraints
            stale = next((a for a in appends if a.expected_version is not ANY), appends[0])
            raise ConcurrencyError(
                stale.stream_id, stale.expected_version, self.stream_version(stale.stream_id)
            ) from None
        except self._refused_values as error:
            raise StoreError(
                self.name, f"the database refused a value: {_first_line(error)}; nothing was appended"
            ) from None
        if recorded:
            self.commits += 1
        self._committed_events(recorded)
        return recorded

    def _prepared(
        self,
        stream_id: str,
        events: Iterable[Any],
        expected_version: int | ExpectedVersion,
        correlation_id: str | None,
        causation_id: str | None,
        actor: str | None,
        command: CommandRecord | None,
    ) -> Append:
        """An append checked and made into rows, before any lock is taken."""
        events = list(events)
        registrations = [registration_of(event) for event in events]  # TypeError for anything not registered
        rows = []
        for registration, event in zip(registrations, events):
            data = payload_json(event_to_payload(event))
            checksum = row_checksum(registration.name, registration.schema_version, data)
            rows.append((registration.name, registration.schema_version, data, checksum))
        check_expected_version(expected_version)
        check_envelope(stream_id, correlation_id, causation_id, actor, command)
        return Append(stream_id, events, rows, expected_version, correlation_id, causation_id, actor, command)

    def _committed_events(self, recorded: list[RecordedEvent]) -> None:
        """After a commit: the subscribers hear of the events."""
        if recorded and self._subscriptions:
            try:
                self._dispatch()
            except StoreError as error:  # committed is committed: the subscribers catch up on poll()
                logger.error("%s; subscribers get the events on the next poll()", error)

    def _commit_with_others(self, append: Append) -> list[RecordedEvent]:
        """Group commit (see the module's docstring).  While a leader commits, the appends that
        arrive wait; when it is done, the first of them to wake leads all the others."""
        with self._queue_lock:
            self._queued.append(append)
            try:
                while self._leading and not append.done:
                    self._committed.wait()
            except BaseException:  # interrupted while waiting (Ctrl-C): its caller gives up on it
                if any(waiting is append for waiting in self._queued):
                    self._queued = [waiting for waiting in self._queued if waiting is not append]
                else:  # a leader has taken it: wait until it is settled, then pass the interrupt on
                    while not append.done:
                        self._committed.wait()
                raise
            lead = not append.done
            if lead:
                self._leading = True
                group, self._queued = self._queued, []
        if lead:
            try:
                self._lead(group, append)
            finally:
                with self._queue_lock:
                    self._leading = False
                    self._committed.notify_all()
        if append.error is not None:
            raise append.error
        assert append.recorded is not None
        return append.recorded

    def _lead(self, group: list[Append], mine: Append) -> None:
        """Record the group in one commit; every append in it gets its outcome, ``mine`` included."""
        with self._lock:
            try:
                self._record_group(group)
            except BaseException as error:  # the transaction is rolled back: none of the group was recorded
                for other in group:
                    other.recorded = None
                    other.error = error if other is mine else self._shared_failure(error)
                return
        if any(other.recorded for other in group):
            self.commits += 1

    def _record_group(self, group: list[Append]) -> None:
        """One transaction; in it, each append in a savepoint of its own.  What refuses one append
        (its expected version, its command, a value the database cannot store) fails it alone;
        anything else fails the transaction, and so the whole group."""
        if len(group) == 1:
            group[0].recorded = self._record_alone(group[0])
            return
        refusals: tuple[type[BaseException], ...] = (
            ConcurrencyError,
            ValueError,
            *self._integrity_errors,
            *self._refused_values,
        )
        with self._transaction():
            for append in group:
                try:
                    with self._savepoint():
                        append.recorded = self._record(append)
                except refusals as refusal:
                    append.error = refusal  # its savepoint is rolled back; the others go on

    def _shared_failure(self, error: BaseException) -> StoreError:
        """What the other callers of a group raise when its transaction failed."""
        if isinstance(error, StoreError):
            return StoreError(error.store, error.problem)
        return StoreError(
            self.name,
            f"nothing was appended: the transaction this append shared with others failed ({_first_line(error)})",
        )

    # --- reading ---------------------------------------------------------------

    def read_stream(self, stream_id: str, from_version: int = 1) -> list[RecordedEvent]:
        p = self._P
        start = _whole(from_version, "from_version")
        if not readable_id(stream_id, "stream_id") or start > MAX_COUNTER:  # as in memory: nothing there
            return []
        return self._events(
            f"SELECT {_COLUMNS} FROM events WHERE stream_id = {p} AND version >= {p} ORDER BY version",
            (stream_id, max(start, 0)),  # a number beyond a 64-bit integer is never sent to the database
        )

    def read_all(self, from_position: int = 1, limit: int | None = None) -> list[RecordedEvent]:
        """Events with ``position >= from_position`` in position order, at most ``limit`` of them.
        Positions increase but may have gaps: never assume ``position == previous + 1``.

        Read a page at a time (``_PAGE`` rows), each page after the last position of the one before.
        Positions are assigned in commit order, so an event that commits between two pages comes
        after every event already read: the pages join without a gap.  Once one page is not enough,
        the read ends at the last position of that moment: a log that writers make grow faster than
        it is read is still read to an end, and the events after it are the next call's."""
        p = self._P
        sql = f"SELECT {_COLUMNS} FROM events WHERE position >= {p} AND position <= {p} ORDER BY position LIMIT {p}"
        start = _whole(from_position, "from_position")
        if start > MAX_COUNTER:  # beyond any position: nothing, as in memory (never a number the database cannot take)
            return []
        start = max(start, 0)
        wanted = None if limit is None else max(_whole(limit, "limit"), 0)  # as a list slice: negative gives nothing
        end = None  # no bound yet: most reads take one page
        events: list[RecordedEvent] = []
        while wanted is None or len(events) < wanted:
            size = _PAGE if wanted is None else min(_PAGE, wanted - len(events))
            page = self._events(sql, (start, MAX_COUNTER if end is None else end, size))
            events += page
            if len(page) < size or len(events) == wanted:
                break
            if end is None:
                end = self.last_position
            start = page[-1].position + 1
        return events

    def stream_version(self, stream_id: str) -> int:
        """The version of the stream's last event; 0 for a stream with no events."""
        if not readable_id(stream_id, "stream_id"):
            return 0
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
        if not readable_id(command_id, "command_id"):
            return None
        rows = self._query(
            "SELECT command_id, fingerprint, stream_id, first_version, last_version, causation_id"
            f" FROM commands WHERE command_id = {self._P}",
            (command_id,),
        )
        return CommandRecord(*rows[0]) if rows else None

    def _events(self, sql: str, params: Sequence[Any]) -> list[RecordedEvent]:
        events = []
        for row in self._query(sql, params):
            position, stream_id, version, event_type, type_version, data, recorded_at, event_id = row[:8]
            correlation_id, causation_id, actor, checksum = row[8:]
            try:
                event = stored_event(event_type, type_version, data, checksum)
            except EventFormatError as problem:
                raise StoreError(self.name, f"the event at position {position} cannot be read: {problem}") from None
            events.append(
                RecordedEvent(
                    position, stream_id, version, event, recorded_at, event_id, correlation_id, causation_id, actor
                )
            )
        return events

    # --- subscribing -----------------------------------------------------------

    def poll(self) -> None:
        """Deliver to the subscriptions every event committed since they last heard, by any process."""
        self._dispatch()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name}>"


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def _whole(value: object, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{what} must be an int, not {type(value).__name__}")
    return value
