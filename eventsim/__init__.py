"""eventsim: event sourcing and CQRS, taught on an e-commerce order domain.

The top level holds the core, which needs nothing beyond the standard library:
the write side (``Shop`` handling commands with the order decider in
``eventsim.shop.order``, recording events in an ``InMemoryEventStore`` or an
``SQLiteEventStore``), the projection machinery, the refund process, the
simulator, copying a log and checking it against the rules.  The engine
under it names no domain (``eventsim.registry``, ``eventsim.domain``,
``eventsim.application``): a learner's own domain runs on the same stores.
``PostgresEventStore`` (psycopg) is imported on first use.
The parts that draw on pandas, matplotlib or ipywidgets are imported from
their own modules: ``eventsim.shop.read_models``, ``eventsim.shop.history``,
``eventsim.workbook.charts`` and ``eventsim.workbook.widgets``.
"""

from .application import Application, CommandIdReused
from .clock import SimulatedClock, system_clock, to_datetime, to_timestamp
from .copying import LogError, copy_log
from .domain import Domain
from .ids import SeededIds, random_ids
from .jsonl import EventFormatError, LoggedEvent, read_jsonl, write_jsonl
from .money import to_money
from .projections import EVENTUAL, INLINE, Projection, ProjectionRunner
from .registry import register_event
from .shop import Shop, compensate, order_id_of, stream_for
from .shop.commands import CancelOrder, Command, ConfirmRefund, PayOrder, PlaceOrder, RequestRefund, ShipOrder
from .shop.events import (
    EVENT_TYPES,
    DomainEvent,
    OrderCancelled,
    OrderCreated,
    OrderPaid,
    OrderShipped,
    RefundCreated,
    RefundPaid,
)
from .shop.order import ORDERS, OrderError, OrderState, decide, evolve, fold, initial_state
from .shop.payments import FakePaymentProvider, RefundProcess
from .shop.rule_check import RuleViolation, check_log
from .shop.simulator import SimulationConfig, simulate
from .store import ANY, NO_STREAM, ConcurrencyError, InMemoryEventStore, RecordedEvent, Subscription
from .stores import SQLiteEventStore, StoreError, open_store

__all__ = [
    "SimulatedClock",
    "system_clock",
    "to_datetime",
    "to_timestamp",
    "CancelOrder",
    "Command",
    "ConfirmRefund",
    "PayOrder",
    "PlaceOrder",
    "RequestRefund",
    "ShipOrder",
    "EVENT_TYPES",
    "DomainEvent",
    "OrderCancelled",
    "OrderCreated",
    "OrderPaid",
    "OrderShipped",
    "RefundCreated",
    "RefundPaid",
    "SeededIds",
    "random_ids",
    "EventFormatError",
    "LoggedEvent",
    "read_jsonl",
    "write_jsonl",
    "to_money",
    "OrderError",
    "OrderState",
    "decide",
    "evolve",
    "fold",
    "initial_state",
    "FakePaymentProvider",
    "RefundProcess",
    "EVENTUAL",
    "INLINE",
    "Projection",
    "ProjectionRunner",
    "Application",
    "CommandIdReused",
    "Domain",
    "LogError",
    "ORDERS",
    "RuleViolation",
    "check_log",
    "copy_log",
    "register_event",
    "Shop",
    "compensate",
    "order_id_of",
    "stream_for",
    "SimulationConfig",
    "simulate",
    "ANY",
    "NO_STREAM",
    "ConcurrencyError",
    "InMemoryEventStore",
    "RecordedEvent",
    "Subscription",
    "SQLiteEventStore",
    "PostgresEventStore",
    "StoreError",
    "open_store",
]


def __getattr__(name: str) -> object:  # psycopg is imported only by those who use PostgreSQL
    if name == "PostgresEventStore":
        from .stores.postgres import PostgresEventStore

        return PostgresEventStore
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
