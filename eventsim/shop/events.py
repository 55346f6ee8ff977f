"""Domain events: immutable facts about an order, named in the past tense.

An event says what happened, never what should happen.  It carries only
domain data; when, why and by whom it was recorded lives in the store's
envelope (``eventsim.store.RecordedEvent``).

Recorded means frozen: each event checks its fields when it is made, and
holds only strings, ``Decimal`` amounts and ``None``, which cannot change
afterwards.  A list passed as a customer id is refused here, not recorded and
mutated later.

Each event type is registered (``eventsim.registry``) under a name: that
name, not whatever the Python class is called, is what a stored event says
it is.  ``EVENT_TYPES`` lists the shop's; a store records any domain's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from ..ids import check_id, check_text
from ..registry import register_event

__all__ = [
    "OrderCreated",
    "OrderPaid",
    "RefundCreated",
    "RefundPaid",
    "OrderCancelled",
    "OrderShipped",
    "DomainEvent",
    "EVENT_TYPES",
]


def _check_amount(value: object) -> None:
    if not isinstance(value, Decimal) or not value.is_finite():
        raise TypeError(f"an event's amount is a finite Decimal, not {value!r:.40}")


#: ISO 4217 codes: three capital letters.
_CURRENCY = re.compile(r"[A-Z]{3}")
#: Personal data is only ever recorded sealed (``eventsim.privacy``): never as plain text.
_SEALED = re.compile(r"pd1\.[A-Za-z0-9_-]{1,64}\.[A-Za-z0-9_-]{20,16000}")  # the longest PersonalData fits


@dataclass(frozen=True, slots=True)
class OrderCreated:
    """An order was placed.  Schema version 2: version 1 had no ``currency`` (``eventsim.upcasting``).

    ``personal_data`` is the customer's name, e-mail and address sealed with
    the customer's own key (``eventsim.privacy``); forgetting the customer
    deletes the key, and this field can no longer be read by anyone.
    """

    order_id: str
    amount: Decimal
    customer_id: str | None = None
    currency: str = "EUR"
    personal_data: str | None = None

    def __post_init__(self) -> None:
        check_id(self.order_id, "order_id")
        _check_amount(self.amount)
        if self.customer_id is not None:
            check_id(self.customer_id, "customer_id")
        if not isinstance(self.currency, str) or not _CURRENCY.fullmatch(self.currency):
            raise ValueError(f"currency is an ISO 4217 code such as 'EUR', not {self.currency!r:.40}")
        if self.personal_data is not None and (
            not isinstance(self.personal_data, str) or not _SEALED.fullmatch(self.personal_data)
        ):
            raise ValueError("personal_data is recorded only sealed by eventsim.privacy, never as plain text")


@dataclass(frozen=True, slots=True)
class OrderPaid:
    """The customer paid the order's full amount (the rule allows nothing else)."""

    order_id: str

    def __post_init__(self) -> None:
        check_id(self.order_id, "order_id")


@dataclass(frozen=True, slots=True)
class RefundCreated:
    """A refund was requested; the money has not moved yet."""

    order_id: str
    amount: Decimal
    refund_id: str | None = None
    reason: str | None = None

    def __post_init__(self) -> None:
        check_id(self.order_id, "order_id")
        _check_amount(self.amount)
        if self.refund_id is not None:
            check_id(self.refund_id, "refund_id")
        check_text(self.reason, "reason")


@dataclass(frozen=True, slots=True)
class RefundPaid:
    """The payment provider confirmed that a requested refund was paid out."""

    order_id: str
    refund_id: str | None = None

    def __post_init__(self) -> None:
        check_id(self.order_id, "order_id")
        if self.refund_id is not None:
            check_id(self.refund_id, "refund_id")


@dataclass(frozen=True, slots=True)
class OrderCancelled:
    order_id: str
    reason: str | None = None

    def __post_init__(self) -> None:
        check_id(self.order_id, "order_id")
        check_text(self.reason, "reason")


@dataclass(frozen=True, slots=True)
class OrderShipped:
    order_id: str

    def __post_init__(self) -> None:
        check_id(self.order_id, "order_id")


DomainEvent = OrderCreated | OrderPaid | RefundCreated | RefundPaid | OrderCancelled | OrderShipped

#: The shop's event types, by registered name.
EVENT_TYPES: dict[str, type] = {
    "OrderCreated": OrderCreated,
    "OrderPaid": OrderPaid,
    "RefundCreated": RefundCreated,
    "RefundPaid": RefundPaid,
    "OrderCancelled": OrderCancelled,
    "OrderShipped": OrderShipped,
}
for _name, _cls in EVENT_TYPES.items():
    register_event(_cls, _name, schema_version=2 if _cls is OrderCreated else 1)
