"""Commands: requests to change an order, named in the imperative.

A command may be rejected; an event cannot.  ``command_id`` identifies one
request so that a retry is recognised and not applied twice; leave it
``None`` and the shop assigns a fresh one.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

__all__ = [
    "PlaceOrder", "PayOrder", "RequestRefund", "ConfirmRefund",
    "CancelOrder", "ShipOrder", "Command",
]


@dataclass(frozen=True, slots=True)
class PlaceOrder:
    order_id: str
    amount: Decimal
    customer_id: str | None = None
    command_id: str | None = None


@dataclass(frozen=True, slots=True)
class PayOrder:
    order_id: str
    amount: Decimal
    command_id: str | None = None


@dataclass(frozen=True, slots=True)
class RequestRefund:
    """Ask for money back; ``refund_id`` defaults to ``"<order id>-R<n>"``."""
    order_id: str
    amount: Decimal
    reason: str | None = None
    refund_id: str | None = None
    command_id: str | None = None


@dataclass(frozen=True, slots=True)
class ConfirmRefund:
    order_id: str
    refund_id: str | None = None
    command_id: str | None = None


@dataclass(frozen=True, slots=True)
class CancelOrder:
    order_id: str
    reason: str | None = None
    command_id: str | None = None


@dataclass(frozen=True, slots=True)
class ShipOrder:
    order_id: str
    command_id: str | None = None


Command = PlaceOrder | PayOrder | RequestRefund | ConfirmRefund | CancelOrder | ShipOrder
