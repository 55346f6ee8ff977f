"""Commands: requests to change an order, named in the imperative.

A command may be rejected; an event cannot.  ``command_id`` identifies one
request so that a retry is recognised and not applied twice; leave it
``None`` and the shop assigns a fresh one.  Ids are checked when a command is
made (``eventsim.ids.check_id``); amounts are checked by the rules in
``decide``, which say which rule an amount broke.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from decimal import Decimal
from typing import Any

from ..ids import check_id, check_text
from ..money import to_money

_CENT = Decimal("0.01")

__all__ = [
    "PlaceOrder",
    "PayOrder",
    "RequestRefund",
    "ConfirmRefund",
    "CancelOrder",
    "ShipOrder",
    "Command",
    "fingerprint",
]


def _check_ids(command: Any, *names: str) -> None:
    check_id(command.order_id, "order_id")
    for name in (*names, "command_id"):
        value = getattr(command, name)
        if value is not None:
            check_id(value, name)


@dataclass(frozen=True, slots=True)
class PlaceOrder:
    """Place an order; ``personal_data`` arrives already sealed (``eventsim.privacy.Vault.seal``)."""

    order_id: str
    amount: Decimal
    customer_id: str | None = None
    command_id: str | None = None
    currency: str = "EUR"
    personal_data: str | None = None

    def __post_init__(self) -> None:
        _check_ids(self, "customer_id")


@dataclass(frozen=True, slots=True)
class PayOrder:
    order_id: str
    amount: Decimal
    command_id: str | None = None

    def __post_init__(self) -> None:
        _check_ids(self)


@dataclass(frozen=True, slots=True)
class RequestRefund:
    """Ask for money back; ``refund_id`` defaults to the order's next ``"R<n>"``."""

    order_id: str
    amount: Decimal
    reason: str | None = None
    refund_id: str | None = None
    command_id: str | None = None

    def __post_init__(self) -> None:
        _check_ids(self, "refund_id")
        check_text(self.reason, "reason")


@dataclass(frozen=True, slots=True)
class ConfirmRefund:
    order_id: str
    refund_id: str | None = None
    command_id: str | None = None

    def __post_init__(self) -> None:
        _check_ids(self, "refund_id")


@dataclass(frozen=True, slots=True)
class CancelOrder:
    order_id: str
    reason: str | None = None
    command_id: str | None = None

    def __post_init__(self) -> None:
        _check_ids(self)
        check_text(self.reason, "reason")


@dataclass(frozen=True, slots=True)
class ShipOrder:
    order_id: str
    command_id: str | None = None

    def __post_init__(self) -> None:
        _check_ids(self)


Command = PlaceOrder | PayOrder | RequestRefund | ConfirmRefund | CancelOrder | ShipOrder

#: Each command class's fields that say what it asks for (all but ``command_id``), looked up once.
_REQUEST_FIELDS: dict[type, tuple[str, ...]] = {
    cls: tuple(f.name for f in fields(cls) if f.name != "command_id")
    for cls in (PlaceOrder, PayOrder, RequestRefund, ConfirmRefund, CancelOrder, ShipOrder)
}


def fingerprint(command: Command) -> str:
    """What the request asks for, as text: its type and every field but ``command_id``.

    Two commands with one id and the same fingerprint are one request sent
    twice (a retry); with different fingerprints they are two requests, and
    the id was reused by mistake.  Equal amounts give equal text (``9`` and
    ``Decimal("9.00")``).
    """
    names = _REQUEST_FIELDS.get(type(command))
    if names is None:  # a subclass of a command (a learner's, say) asks for what its fields say
        if not isinstance(command, tuple(_REQUEST_FIELDS)):
            raise TypeError(f"not an order command: {command!r:.60}")
        names = tuple(f.name for f in fields(command) if f.name != "command_id")
    parts = []
    for name in names:
        value = getattr(command, name)
        if name == "amount":
            try:
                value = format(to_money(value).quantize(_CENT), "f")
            except ValueError:  # not an amount at all: the rules will refuse it
                value = repr(value)
        parts.append(f"{name}={value!r}")
    return f"{type(command).__name__}({', '.join(parts)})"
