"""eventsim: event sourcing and CQRS, taught on an e-commerce order domain.

The write side: ``Shop`` handles commands with the order decider
(``eventsim.order``) and records events in an ``InMemoryEventStore``.
"""
from .clock import SimulatedClock, system_clock, to_datetime, to_timestamp
from .commands import CancelOrder, Command, ConfirmRefund, PayOrder, PlaceOrder, RequestRefund, ShipOrder
from .events import (EVENT_TYPES, DomainEvent, OrderCancelled, OrderCreated, OrderPaid, OrderShipped,
                     RefundCreated, RefundPaid)
from .ids import SeededIds, random_ids
from .jsonl import EventFormatError, LoggedEvent, read_jsonl, write_jsonl
from .money import to_money
from .order import OrderError, OrderState, decide, evolve, fold, initial_state
from .shop import Shop, stream_for
from .store import ANY, NO_STREAM, ConcurrencyError, InMemoryEventStore, RecordedEvent, Subscription

__all__ = [
    "SimulatedClock", "system_clock", "to_datetime", "to_timestamp",
    "CancelOrder", "Command", "ConfirmRefund", "PayOrder", "PlaceOrder", "RequestRefund", "ShipOrder",
    "EVENT_TYPES", "DomainEvent", "OrderCancelled", "OrderCreated", "OrderPaid", "OrderShipped",
    "RefundCreated", "RefundPaid",
    "SeededIds", "random_ids",
    "EventFormatError", "LoggedEvent", "read_jsonl", "write_jsonl",
    "to_money",
    "OrderError", "OrderState", "decide", "evolve", "fold", "initial_state",
    "Shop", "stream_for",
    "ANY", "NO_STREAM", "ConcurrencyError", "InMemoryEventStore", "RecordedEvent", "Subscription",
]
