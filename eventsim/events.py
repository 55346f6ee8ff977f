"""Domain events: immutable facts about an order, named in the past tense.

An event says what happened, never what should happen.  It carries only
domain data; when and why it was recorded lives in the store's envelope
(``eventsim.store.RecordedEvent``).
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

__all__ = [
    "OrderCreated", "OrderPaid", "RefundCreated", "RefundPaid",
    "OrderCancelled", "OrderShipped", "DomainEvent", "EVENT_TYPES", "event_type_name",
]


@dataclass(frozen=True, slots=True)
class OrderCreated:
    order_id: str
    amount: Decimal
    customer_id: str | None = None


@dataclass(frozen=True, slots=True)
class OrderPaid:
    """The customer paid the order's full amount (the rule allows nothing else)."""
    order_id: str


@dataclass(frozen=True, slots=True)
class RefundCreated:
    """A refund was requested; the money has not moved yet."""
    order_id: str
    amount: Decimal
    refund_id: str | None = None
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class RefundPaid:
    """The payment provider confirmed that a requested refund was paid out."""
    order_id: str
    refund_id: str | None = None


@dataclass(frozen=True, slots=True)
class OrderCancelled:
    order_id: str
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class OrderShipped:
    order_id: str


DomainEvent = OrderCreated | OrderPaid | RefundCreated | RefundPaid | OrderCancelled | OrderShipped

#: Event type name -> class, the one registry used to read events back.
EVENT_TYPES: dict[str, type] = {
    cls.__name__: cls
    for cls in (OrderCreated, OrderPaid, RefundCreated, RefundPaid, OrderCancelled, OrderShipped)
}

_TYPE_NAMES: dict[type, str] = {cls: name for name, cls in EVENT_TYPES.items()}


def event_type_name(event_or_class: object) -> str:
    """The registered name of an event (or event class); ``TypeError`` if it is not a domain event."""
    cls = event_or_class if isinstance(event_or_class, type) else type(event_or_class)
    try:
        return _TYPE_NAMES[cls]
    except KeyError:
        raise TypeError(f"{cls.__name__} is not a registered domain event") from None
