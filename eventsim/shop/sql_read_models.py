"""The shop's read models as tables, in the same database as the events.

The orders and refunds tables are the seed article's PostgreSQL tables; the
daily revenue is a third.  Each read model keeps its checkpoint, the position
of the last event it has applied, in ``read_model_checkpoints``, and every
batch of events changes its rows *and* its checkpoint in one transaction.  A
process killed mid-batch therefore leaves both as they were before the batch,
and the next ``catch_up()`` starts again after the checkpoint: no event is lost
and none is counted twice.

The rules are those of the in-memory read models (``eventsim.shop.read_models``),
not a copy of them: a batch loads the rows its events touch, applies the same
``apply_to_...`` functions, and writes the rows back.  So the tables hold the
same facts (status from ``eventsim.shop.order.order_status``; money out counted on
``RefundPaid``), which ``tests/test_sql_read_models.py`` checks on simulated logs.

Money is exact: ``numeric`` in PostgreSQL; in SQLite, which has no decimal
type (its ``REAL`` is a float), the decimal text (``'100.00'``).  Sums are
made in Python with ``Decimal``, never by SQL on floats.  Frames come back
with the columns and dtypes of the in-memory frames (money ``Decimal``).

Positions may have gaps: a batch reads ``read_all(checkpoint + 1)`` and takes
each event's own position.  ``rebuild()`` drops a read model's tables and
replays the log into new ones.  The read models use a connection of their
own to the store's database; one process at a time catches a read model up
(SQLite: ``BEGIN IMMEDIATE``; PostgreSQL: the checkpoint row is locked).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, ClassVar, Self

import pandas as pd

from ..clock import to_datetime
from ..projections import Failure, ProjectionFailed, catch_up_all
from ..store import RecordedEvent
from ..stores.sql import SQLEventStore, StoreError
from ..stores.sqlite import SQLiteEventStore
from .events import OrderCreated, RefundCreated, RefundPaid
from .order import STATUSES
from .read_models import (
    DailyRevenue,
    DayRow,
    OrderQueries,
    OrderRow,
    RefundRow,
    _day,
    apply_to_daily_revenue,
    apply_to_orders,
    apply_to_refunds,
    daily_revenue_frame,
    orders_frame,
    refunds_frame,
)

__all__ = ["SQLReadModel", "SQLReadModels", "read_sql"]

_IN_CHUNK = 500  # keys per "IN (...)" list: under every driver's limit on parameters


# --- one connection of the read models' own --------------------------------------------


class _Database:
    """How the read models talk to the store's database: placeholders, types, transactions."""

    p: str
    types: ClassVar[dict[str, str]]  # money, flag, day, int -> the column type

    def transaction(self) -> Any:
        raise NotImplementedError

    def rows(self, sql: str, params: Sequence[Any] = (), names: list[str] | None = None) -> list[tuple[Any, ...]]:
        """Rows of one read-only statement, outside any batch; ``names`` gets the column names."""
        raise NotImplementedError

    def money(self, amount: Decimal) -> Any:
        return amount

    def day(self, day: date) -> Any:
        return day

    def close(self) -> None:
        raise NotImplementedError


class _SQLite(_Database):
    p = "?"
    types: ClassVar[dict[str, str]] = {"money": "TEXT", "flag": "INTEGER", "day": "TEXT", "int": "INTEGER"}

    def __init__(self, store: SQLiteEventStore):
        self.name = store.name
        try:
            self.connection = sqlite3.connect(store.path, isolation_level=None, timeout=30.0, check_same_thread=False)
            self.connection.execute(f"PRAGMA synchronous = {store.synchronous}")
        except sqlite3.Error as error:
            raise StoreError(self.name, f"read models: {error}") from None

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Cursor]:
        try:
            self.connection.execute("BEGIN IMMEDIATE")  # one writer: this batch, or an append
        except sqlite3.Error as error:
            raise StoreError(self.name, f"read models: {error}") from None
        try:
            yield self.connection.cursor()
            self.connection.execute("COMMIT")
        except BaseException as error:
            if self.connection.in_transaction:
                self.connection.execute("ROLLBACK")
            if isinstance(error, sqlite3.Error):
                raise StoreError(
                    self.name,
                    f"read models: {error}; nothing of this batch was kept: "
                    "catch_up() again goes on from the checkpoint",
                ) from None
            raise

    def rows(self, sql: str, params: Sequence[Any] = (), names: list[str] | None = None) -> list[tuple[Any, ...]]:
        try:
            cursor = self.connection.execute(sql, params)
            if names is not None:
                names += [column[0] for column in cursor.description or ()]
            return cursor.fetchall()
        except sqlite3.Error as error:
            raise StoreError(self.name, f"read models: {error}") from None

    def money(self, amount: Decimal) -> str:
        return format(amount, "f")

    def day(self, day: date) -> str:
        return day.isoformat()

    def close(self) -> None:
        self.connection.close()


class _Postgres(_Database):
    p = "%s"
    types: ClassVar[dict[str, str]] = {"money": "numeric", "flag": "boolean", "day": "date", "int": "bigint"}

    def __init__(self, store: Any):
        import psycopg

        self.name, self.url, self._psycopg = store.name, store.url, psycopg
        self._connection: Any = None
        self.connection  # noqa: B018 -- connect now: a wrong URL is said at once

    @property
    def connection(self) -> Any:
        """The connection, opened again if the server dropped it (the next call after a lost one)."""
        if self._connection is None or self._connection.closed:
            try:
                self._connection = self._psycopg.connect(self.url, autocommit=True)
                self._connection.execute("SET synchronous_commit = on")
                # JSON comes back as its text, as from SQLite: a dict would hold its amounts as floats.
                from psycopg.types.string import TextLoader

                for json_type in ("json", "jsonb"):
                    self._connection.adapters.register_loader(json_type, TextLoader)
            except self._psycopg.Error as error:
                raise StoreError(self.name, f"read models cannot connect ({' '.join(str(error).split())})") from None
        return self._connection

    @contextmanager
    def transaction(self) -> Iterator[Any]:
        connection = self.connection
        try:
            with connection.transaction():
                yield connection.cursor()
        except self._psycopg.Error as error:
            text = " ".join(str(error).split()) or type(error).__name__
            raise StoreError(
                self.name,
                f"read models: {text}; the batch was kept whole or not at all: "
                "catch_up() again goes on from the checkpoint",
            ) from None

    def rows(self, sql: str, params: Sequence[Any] = (), names: list[str] | None = None) -> list[tuple[Any, ...]]:
        try:
            # Without parameters the text goes as it is: a % (in LIKE '%', or a comment) is not a placeholder.
            cursor = self.connection.execute(sql, params or None)
            if names is not None:
                names += [column[0] for column in cursor.description or ()]
            return cursor.fetchall() if cursor.description else []
        except self._psycopg.Error as error:
            raise StoreError(self.name, f"read models: {' '.join(str(error).split())}") from None

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()


def _database(store: Any) -> _Database:
    if isinstance(store, SQLiteEventStore):
        return _SQLite(store)
    if isinstance(store, SQLEventStore) and hasattr(store, "url"):
        return _Postgres(store)
    raise TypeError(
        f"read models in tables need an SQLite or PostgreSQL store, not {type(store).__name__} "
        "(the in-memory store's read models are eventsim.shop.read_models.ShopReadModels)"
    )


def _chunks(keys: Iterable[Any]) -> Iterator[list[Any]]:
    keys = sorted(set(keys))
    for start in range(0, len(keys), _IN_CHUNK):
        yield keys[start : start + _IN_CHUNK]


def _select_in(db: _Database, cursor: Any, sql: str, keys: Iterable[Any]) -> list[tuple[Any, ...]]:
    """Rows of ``sql`` (which ends in ``IN``) for every key, a chunk of keys per query."""
    rows: list[tuple[Any, ...]] = []
    for chunk in _chunks(keys):
        rows += cursor.execute(f"{sql} ({', '.join([db.p] * len(chunk))})", chunk).fetchall()
    return rows


def _refund_key(refund_id: str | None) -> str:
    """A refund id in a key column: ``''`` for an event without one (an id is never empty)."""
    return refund_id or ""


# --- the three read models: tables, and how a batch loads and saves its rows ------------


@dataclass(frozen=True)
class _Model:
    name: str
    tables: tuple[str, ...]
    ddl: Callable[[dict[str, str]], list[str]]
    apply: Callable[[Any, RecordedEvent], Any]
    load: Callable[[_Database, Any, list[RecordedEvent]], tuple[Any, Any]]  # -> (state, what was loaded)
    save: Callable[[_Database, Any, Any, Any, list[RecordedEvent]], None]


_ORDER_COLUMNS = (
    "order_id, customer_id, amount, status, paid, refunds_requested, refunds_paid, net, cancelled, "
    "shipped, events, last_version, created_at, updated_at, placed_at_position, awaiting_payout"
)


def _orders_ddl(t: dict[str, str]) -> list[str]:
    return [
        f"""CREATE TABLE orders (
    order_id           TEXT    PRIMARY KEY,
    customer_id        TEXT,
    amount             {t["money"]} NOT NULL,
    status             TEXT    NOT NULL,            -- eventsim.shop.order.order_status
    paid               {t["money"]} NOT NULL,
    refunds_requested  {t["money"]} NOT NULL,       -- RefundCreated: asked for
    refunds_paid       {t["money"]} NOT NULL,       -- RefundPaid: money that left the shop
    net                {t["money"]} NOT NULL,
    cancelled          {t["flag"]} NOT NULL,
    shipped            {t["flag"]} NOT NULL,
    events             {t["int"]} NOT NULL,
    last_version       {t["int"]} NOT NULL,
    created_at         {t["int"]} NOT NULL,         -- Unix seconds
    updated_at         {t["int"]} NOT NULL,
    placed_at_position {t["int"]} NOT NULL,         -- lists orders in the order they were placed
    awaiting_payout    TEXT    NOT NULL             -- JSON {{refund id: amount}}: RefundPaid carries no amount
)""",
        "CREATE INDEX orders_by_status ON orders (status)",
    ]


def _load_orders(db: _Database, cursor: Any, events: list[RecordedEvent]) -> tuple[dict[str, Any], dict[Any, int]]:
    orders: dict[str, OrderRow] = {}
    placed: dict[str, int] = {}
    for (
        order_id,
        customer_id,
        amount,
        _,
        paid,
        requested,
        refunds_paid,
        _,
        cancelled,
        shipped,
        count,
        version,
        created_at,
        updated_at,
        position,
        awaiting,
    ) in _select_in(
        db, cursor, f"SELECT {_ORDER_COLUMNS} FROM orders WHERE order_id IN", (r.event.order_id for r in events)
    ):
        unpaid = {key or None: Decimal(value) for key, value in json.loads(awaiting).items()}
        orders[order_id] = OrderRow(
            order_id,
            customer_id,
            Decimal(amount),
            Decimal(paid),
            Decimal(requested),
            Decimal(refunds_paid),
            bool(cancelled),
            bool(shipped),
            count,
            version,
            created_at,
            updated_at,
            unpaid or None,
        )
        placed[order_id] = position
    return orders, placed


def _save_orders(
    db: _Database, cursor: Any, orders: dict[str, OrderRow], placed: dict[str, int], events: list[RecordedEvent]
) -> None:
    placed = placed | {r.event.order_id: r.position for r in events if type(r.event) is OrderCreated}
    m, p = db.money, db.p
    updates = ", ".join(f"{c} = excluded.{c}" for c in _ORDER_COLUMNS.split(", ")[1:])
    cursor.executemany(
        f"INSERT INTO orders ({_ORDER_COLUMNS}) VALUES ({', '.join([p] * 16)}) "
        f"ON CONFLICT (order_id) DO UPDATE SET {updates}",
        [
            (
                r.order_id,
                r.customer_id,
                m(r.amount),
                r.status,
                m(r.paid),
                m(r.refunds_requested),
                m(r.refunds_paid),
                m(r.net),
                r.cancelled,
                r.shipped,
                r.events,
                r.last_version,
                r.created_at,
                r.updated_at,
                placed[r.order_id],
                json.dumps({_refund_key(k): format(v, "f") for k, v in (r.awaiting_payout or {}).items()}),
            )
            for r in orders.values()
        ],
    )


_REFUND_COLUMNS = "order_id, refund_id, amount, reason, requested_at, paid_at, requested_at_position"


def _refunds_ddl(t: dict[str, str]) -> list[str]:
    return [
        f"""CREATE TABLE refunds (
    order_id              TEXT    NOT NULL,
    refund_id             TEXT    NOT NULL,         -- '' for a refund whose event gave no id
    amount                {t["money"]} NOT NULL,
    reason                TEXT,
    requested_at          {t["int"]} NOT NULL,      -- RefundCreated, Unix seconds
    paid_at               {t["int"]},               -- RefundPaid; NULL until paid out
    requested_at_position {t["int"]} NOT NULL,
    PRIMARY KEY (order_id, refund_id)
)"""
    ]


def _load_refunds(db: _Database, cursor: Any, events: list[RecordedEvent]) -> tuple[dict[str, Any], dict[Any, int]]:
    refunds: dict[str, dict[str | None, RefundRow]] = {}
    positions: dict[tuple[str, str], int] = {}
    for order_id, refund_id, amount, reason, requested_at, paid_at, position in _select_in(
        db,
        cursor,
        f"SELECT {_REFUND_COLUMNS} FROM refunds WHERE order_id IN",
        (r.event.order_id for r in events if type(r.event) in (RefundCreated, RefundPaid)),
    ):
        refunds.setdefault(order_id, {})[refund_id or None] = RefundRow(
            refund_id or None, order_id, Decimal(amount), reason, requested_at, paid_at
        )
        positions[order_id, refund_id] = position
    return refunds, positions


def _save_refunds(
    db: _Database,
    cursor: Any,
    refunds: dict[str, dict[str | None, RefundRow]],
    positions: dict[tuple[str, str], int],
    events: list[RecordedEvent],
) -> None:
    positions = positions | {
        (r.event.order_id, _refund_key(r.event.refund_id)): r.position for r in events if type(r.event) is RefundCreated
    }
    cursor.executemany(
        f"INSERT INTO refunds ({_REFUND_COLUMNS}) VALUES ({', '.join([db.p] * 7)}) "
        "ON CONFLICT (order_id, refund_id) DO UPDATE SET paid_at = excluded.paid_at",
        [
            (
                r.order_id,
                _refund_key(r.refund_id),
                db.money(r.amount),
                r.reason,
                r.requested_at,
                r.paid_at,
                positions[r.order_id, _refund_key(r.refund_id)],
            )
            for by_id in refunds.values()
            for r in by_id.values()
        ],
    )


def _daily_ddl(t: dict[str, str]) -> list[str]:
    return [
        f"""CREATE TABLE daily_revenue (
    day           {t["day"]} PRIMARY KEY,           -- the UTC day
    orders_placed {t["int"]} NOT NULL,
    gross_paid    {t["money"]} NOT NULL,            -- OrderPaid: money in
    refunds_paid  {t["money"]} NOT NULL,            -- RefundPaid: money out, on the day it was paid
    net           {t["money"]} NOT NULL
)""",
        f"""CREATE TABLE daily_revenue_order_amounts (  -- OrderPaid carries no amount: kept from OrderCreated
    order_id TEXT PRIMARY KEY,
    amount   {t["money"]} NOT NULL
)""",
        f"""CREATE TABLE daily_revenue_awaiting_payout (  -- RefundPaid carries none either
    order_id  TEXT NOT NULL,
    refund_id TEXT NOT NULL,
    amount    {t["money"]} NOT NULL,
    PRIMARY KEY (order_id, refund_id)
)""",
    ]


def _load_daily(db: _Database, cursor: Any, events: list[RecordedEvent]) -> tuple[DailyRevenue, list[str]]:
    daily = DailyRevenue()
    days = {to_datetime(r.recorded_at).date() for r in events}
    for day, placed, gross, refunds in _select_in(
        db,
        cursor,
        "SELECT day, orders_placed, gross_paid, refunds_paid FROM daily_revenue WHERE day IN",
        (db.day(d) for d in days),
    ):
        day = day if isinstance(day, date) else date.fromisoformat(day)
        daily.days[day] = DayRow(day, placed, Decimal(gross), Decimal(refunds))
    order_ids = {r.event.order_id for r in events}
    for order_id, amount in _select_in(
        db, cursor, "SELECT order_id, amount FROM daily_revenue_order_amounts WHERE order_id IN", order_ids
    ):
        daily.order_amounts[order_id] = Decimal(amount)
    refunded = [r.event.order_id for r in events if type(r.event) in (RefundCreated, RefundPaid)]
    for order_id, refund_id, amount in _select_in(
        db, cursor, "SELECT order_id, refund_id, amount FROM daily_revenue_awaiting_payout WHERE order_id IN", refunded
    ):
        daily.awaiting_payout[order_id, refund_id or None] = Decimal(amount)
    return daily, refunded


def _save_daily(
    db: _Database, cursor: Any, daily: DailyRevenue, refunded: list[str], events: list[RecordedEvent]
) -> None:
    m, p = db.money, db.p
    cursor.executemany(
        "INSERT INTO daily_revenue (day, orders_placed, gross_paid, refunds_paid, net)"
        f" VALUES ({p}, {p}, {p}, {p}, {p})"
        " ON CONFLICT (day) DO UPDATE SET orders_placed = excluded.orders_placed,"
        " gross_paid = excluded.gross_paid, refunds_paid = excluded.refunds_paid, net = excluded.net",
        [(db.day(r.date), r.orders_placed, m(r.gross_paid), m(r.refunds_paid), m(r.net)) for r in daily.days.values()],
    )
    created = {r.event.order_id for r in events if type(r.event) is OrderCreated}
    cursor.executemany(
        f"INSERT INTO daily_revenue_order_amounts (order_id, amount) VALUES ({p}, {p})",
        [(order_id, m(daily.order_amounts[order_id])) for order_id in created],
    )
    for chunk in _chunks(refunded):  # the orders' unpaid refunds: written again as they are now
        cursor.execute(
            f"DELETE FROM daily_revenue_awaiting_payout WHERE order_id IN ({', '.join([p] * len(chunk))})", chunk
        )
    cursor.executemany(
        f"INSERT INTO daily_revenue_awaiting_payout (order_id, refund_id, amount) VALUES ({p}, {p}, {p})",
        [
            (order_id, _refund_key(refund_id), m(amount))
            for (order_id, refund_id), amount in daily.awaiting_payout.items()
        ],
    )


_ORDERS = _Model("orders", ("orders",), _orders_ddl, apply_to_orders, _load_orders, _save_orders)
_REFUNDS = _Model("refunds", ("refunds",), _refunds_ddl, apply_to_refunds, _load_refunds, _save_refunds)
_DAILY = _Model(
    "daily revenue",
    ("daily_revenue", "daily_revenue_order_amounts", "daily_revenue_awaiting_payout"),
    _daily_ddl,
    apply_to_daily_revenue,
    _load_daily,
    _save_daily,
)


def read_sql(store: Any, sql: str, params: Sequence[Any] = ()) -> pd.DataFrame:
    """The rows of one query on the store's database as a DataFrame, as ``pandas.read_sql`` gives them
    (on SQLite or PostgreSQL alike); placeholders are ``?`` for SQLite, ``%s`` for PostgreSQL."""
    db = _database(store)
    try:
        db.rows(
            "PRAGMA query_only = ON"
            if isinstance(db, _SQLite)  # this connection cannot write
            else "SET default_transaction_read_only = on"
        )
        names: list[str] = []
        rows = db.rows(sql, params, names)
    finally:
        db.close()
    return pd.DataFrame.from_records(rows, columns=names)


# --- a runner per read model ------------------------------------------------------------


class SQLReadModel:
    """One read model in tables, with its checkpoint; the shape of ``ProjectionRunner``.

    ``checkpoint`` is read from the database each time, so another process
    (or a crash) cannot leave this object believing something stale.
    """

    def __init__(self, store: Any, model: _Model, db: _Database, *, batch_size: int = 500):
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
            raise ValueError(f"batch_size must be a positive int, not {batch_size!r}")
        self.store, self.model, self.name, self._db, self.batch_size = store, model, model.name, db, batch_size
        self.failure: Failure | None = None
        self.skipped: list[Failure] = []
        p = db.p
        with db.transaction() as cursor:
            if isinstance(db, _Postgres):
                cursor.execute("SELECT pg_advisory_xact_lock(8243101776932201573)")
            if not cursor.execute(
                f"SELECT 1 FROM read_model_checkpoints WHERE read_model = {p}", (self.name,)
            ).fetchall():
                self._create(cursor)
                cursor.execute(
                    f"INSERT INTO read_model_checkpoints (read_model, position) VALUES ({p}, 0)", (self.name,)
                )

    def _create(self, cursor: Any) -> None:
        for statement in self.model.ddl(self._db.types):
            cursor.execute(statement)

    @property
    def checkpoint(self) -> int:
        """The position of the last event the tables hold (0: none)."""
        return int(
            self._db.rows(f"SELECT position FROM read_model_checkpoints WHERE read_model = {self._db.p}", (self.name,))[
                0
            ][0]
        )

    @property
    def lag(self) -> int:
        """How far behind the store, in positions (at most that many events: positions may have gaps)."""
        return int(self.store.last_position) - self.checkpoint

    def catch_up(self, max_events: int | None = None) -> int:
        """Apply the events after the checkpoint, a batch per transaction; return how many.

        An event that cannot be applied stops the read model there: the
        events before it are kept, with the checkpoint just before it, and
        ``ProjectionFailed`` says why (``skip()`` passes it over).
        """
        if max_events is not None and (
            isinstance(max_events, bool) or not isinstance(max_events, int) or max_events < 0
        ):
            raise ValueError(f"max_events must be an int, 0 or more, not {max_events!r}")
        applied = 0
        while max_events is None or applied < max_events:
            limit = self.batch_size if max_events is None else min(self.batch_size, max_events - applied)
            count, read = self._batch(limit)
            applied += count
            if self.failure is not None:
                raise ProjectionFailed(self.name, self.failure)
            if read < limit:
                break
        return applied

    def _batch(self, limit: int) -> tuple[int, int]:
        """One transaction: the checkpoint, the events after it, their rows, the new checkpoint.
        Returns (events applied, events read)."""
        failure = None
        with self._db.transaction() as cursor:
            checkpoint = self._locked_checkpoint(cursor)
            events = self.store.read_all(checkpoint + 1, limit=limit)
            if not events:
                self.failure = None
                return 0, 0
            state, loaded = self.model.load(self._db, cursor, events)
            applied = 0
            for recorded in events:
                try:
                    state = self.model.apply(state, recorded)
                except Exception as error:  # noqa: BLE001 -- any failure stops the read model at this event
                    failure = Failure(recorded.position, recorded.event_type, f"{type(error).__name__}: {error}")
                    break
                applied += 1
            if applied:
                self.model.save(self._db, cursor, state, loaded, events[:applied])
                self._advance(cursor, events[applied - 1].position)
        self.failure = failure
        return applied, len(events)

    def _locked_checkpoint(self, cursor: Any) -> int:
        lock = " FOR UPDATE" if isinstance(self._db, _Postgres) else ""  # SQLite: BEGIN IMMEDIATE did it
        return int(
            cursor.execute(
                f"SELECT position FROM read_model_checkpoints WHERE read_model = {self._db.p}" + lock, (self.name,)
            ).fetchall()[0][0]
        )

    def _advance(self, cursor: Any, position: int) -> None:
        """The checkpoint moves in the transaction that wrote the rows: both or neither."""
        cursor.execute(
            f"UPDATE read_model_checkpoints SET position = {self._db.p} WHERE read_model = {self._db.p}",
            (position, self.name),
        )

    def skip(self) -> Failure:
        """Pass over the event the read model stopped at: the checkpoint moves past it, unapplied."""
        failure = self.failure
        if failure is None:
            raise ValueError(f"read model {self.name!r} is not stopped at an event: nothing to skip")
        with self._db.transaction() as cursor:
            if self._locked_checkpoint(cursor) < failure.position:
                self._advance(cursor, failure.position)
        self.skipped.append(failure)
        self.failure = None
        return failure

    def rebuild(self) -> int:
        """Drop the tables and replay the whole log into new ones; return how many events were applied.

        The drop and the new empty tables are one transaction; the replay is
        batches like any catch-up, so a crash during it resumes where it was.
        """
        with self._db.transaction() as cursor:
            self._locked_checkpoint(cursor)
            for table in self.model.tables:
                cursor.execute(f"DROP TABLE {table}")
            self._create(cursor)
            self._advance(cursor, 0)
        self.failure, self.skipped = None, []
        return self.catch_up()

    def __repr__(self) -> str:
        return f"<SQLReadModel {self.name}: at position {self.checkpoint} of {self.store.last_position}>"


class SQLReadModels:
    """The orders, refunds and daily revenue read models of an SQLite or PostgreSQL store, in its database.

    Tables are created on first use.  ``catch_up``, ``rebuild`` and ``lag`` act
    on all three; each stays reachable (``.orders``, ``.refunds``,
    ``.daily_revenue``).  The frames and queries read the tables.
    """

    def __init__(self, store: Any, *, batch_size: int = 500):
        self.store = store
        self._db = _database(store)
        try:
            with self._db.transaction() as cursor:
                if isinstance(self._db, _Postgres):  # one creator at a time; key: the first bytes of "readmode"
                    cursor.execute("SELECT pg_advisory_xact_lock(8243101776932201573)")
                cursor.execute(
                    f"CREATE TABLE IF NOT EXISTS read_model_checkpoints ("
                    f"read_model TEXT PRIMARY KEY, position {self._db.types['int']} NOT NULL)"
                )
            self.orders = SQLReadModel(store, _ORDERS, self._db, batch_size=batch_size)
            self.refunds = SQLReadModel(store, _REFUNDS, self._db, batch_size=batch_size)
            self.daily_revenue = SQLReadModel(store, _DAILY, self._db, batch_size=batch_size)
        except BaseException:
            self._db.close()
            raise
        self._models = (self.orders, self.refunds, self.daily_revenue)

    @property
    def lag(self) -> int:
        return max(model.lag for model in self._models)

    def catch_up(self, max_events: int | None = None) -> int:
        """Move each read model on (at most ``max_events``); return the most any moved.
        One that fails does not hold the others back; the first failure is raised afterwards."""
        return catch_up_all(self._models, max_events)

    def rebuild(self) -> None:
        """Drop every read model's tables and replay the log into new ones."""
        for model in self._models:
            model.rebuild()

    def checkpoints(self) -> pd.DataFrame:
        """Each read model and the position it has reached."""
        rows = self._db.rows("SELECT read_model, position FROM read_model_checkpoints ORDER BY read_model")
        return pd.DataFrame(
            {
                "read_model": pd.Series([r[0] for r in rows], dtype="string"),
                "position": pd.Series([int(r[1]) for r in rows], dtype="int64"),
            }
        )

    # --- queries: they read the tables -------------------------------------------------

    def _orders(self, where: str = "", params: Sequence[Any] = ()) -> dict[str, OrderRow]:
        rows = self._db.rows(f"SELECT {_ORDER_COLUMNS} FROM orders {where} ORDER BY placed_at_position", params)
        return {
            row[0]: OrderRow(
                row[0],
                row[1],
                Decimal(row[2]),
                Decimal(row[4]),
                Decimal(row[5]),
                Decimal(row[6]),
                bool(row[8]),
                bool(row[9]),
                row[10],
                row[11],
                row[12],
                row[13],
            )
            for row in rows
        }

    def _refunds(self, where: str = "", params: Sequence[Any] = ()) -> dict[str, dict[str | None, RefundRow]]:
        refunds: dict[str, dict[str | None, RefundRow]] = {}
        for order_id, refund_id, amount, reason, requested_at, paid_at, _ in self._db.rows(
            f"SELECT {_REFUND_COLUMNS} FROM refunds {where} ORDER BY"
            " min(requested_at_position) OVER (PARTITION BY order_id), requested_at_position",
            params,
        ):
            refunds.setdefault(order_id, {})[refund_id or None] = RefundRow(
                refund_id or None, order_id, Decimal(amount), reason, requested_at, paid_at
            )
        return refunds

    def _daily(self, where: str = "", params: Sequence[Any] = ()) -> DailyRevenue:
        daily = DailyRevenue()
        for day, placed, gross, refunds in self._db.rows(
            f"SELECT day, orders_placed, gross_paid, refunds_paid FROM daily_revenue {where} ORDER BY day", params
        ):
            day = day if isinstance(day, date) else date.fromisoformat(day)
            daily.days[day] = DayRow(day, placed, Decimal(gross), Decimal(refunds))
        return daily

    def orders_frame(self) -> pd.DataFrame:
        """The orders table, as ``eventsim.shop.read_models.orders_frame`` shows it."""
        return orders_frame(self._orders())

    def refunds_frame(self) -> pd.DataFrame:
        return refunds_frame(self._refunds())

    def daily_revenue_frame(self) -> pd.DataFrame:
        return daily_revenue_frame(self._daily())

    def orders_by_status(self, status: str) -> pd.DataFrame:
        """The orders now in ``status`` (one of ``eventsim.shop.order.STATUSES``), found by the status index."""
        if status not in STATUSES:
            raise ValueError(f"unknown status {status!r}; an order is one of: {' | '.join(STATUSES)}")
        return orders_frame(self._orders(f"WHERE status = {self._db.p}", (status,)))

    def revenue_between(self, start: date | str | int, end: date | str | int) -> pd.DataFrame:
        """Daily revenue from the UTC day of ``start`` to that of ``end``, both included."""
        first, last = _day(start), _day(end)
        if first > last:
            raise ValueError(f"the period starts on {first} after it ends on {last}")
        p = self._db.p
        return daily_revenue_frame(
            self._daily(f"WHERE day BETWEEN {p} AND {p}", (self._db.day(first), self._db.day(last)))
        )

    def order(self, order_id: str) -> dict[str, Any] | None:
        """One order as JSON-ready data (as ``OrderQueries.order``), or ``None``."""
        p = self._db.p
        return OrderQueries(
            self._orders(f"WHERE order_id = {p}", (order_id,)),
            self._refunds(f"WHERE order_id = {p}", (order_id,)),
            DailyRevenue(),
        ).order(order_id)

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<SQLReadModels of {self.store.name}: lag {self.lag}>"
