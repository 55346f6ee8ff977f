"""The shop: the order domain, and the application service that handles its commands.

``ORDERS`` is the order domain as the engine is given it (``eventsim.domain``):
the six order events, the order decider (``eventsim.shop.order``), and one stream
per order, ``"order-<order id>"``.  ``Shop`` is the engine's one application
service (``eventsim.application``) for that domain: ``Shop.handle(command)``
is the whole write path of CQRS, and the only one.

Every command has an id.  For each command whose sender chose its id (only
such a command can be sent again under it), and for each command caused by
another message, the store keeps a record (``CommandRecord``): what it asked
for (its fingerprint), which events it recorded, and what caused it.  A
command sent again under the same id (a retry after a timeout) gets the
first result back and records nothing; a *different* request under
a used id is refused with ``CommandIdReused``: idempotency means "same
request, same result", not "same id, ignore it".
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..application import Application, CommandIdReused
from ..ids import random_ids
from ..store import RecordedEvent
from .commands import CancelOrder, Command, RequestRefund
from .events import DomainEvent
from .history import state_at_version
from .order import ORDERS, OrderNotFound, OrderState
from .streams import order_id_of, stream_for
from .upcasting import ASSUMED_CURRENCY, add_currency  # importing the shop adds its upcasters to UPCASTERS

__all__ = [
    "ASSUMED_CURRENCY",
    "ORDERS",
    "Shop",
    "CommandIdReused",
    "add_currency",
    "stream_for",
    "order_id_of",
    "compensate",
]


class Shop(Application[Command, DomainEvent, OrderState]):
    """Handles order commands against an event store: the application service of ``ORDERS``.

    Takes the options of ``Application``; ``state`` takes an order id, not a stream id.
    """

    def __init__(self, store: Any = None, *, ids: Callable[[], str] = random_ids, **options: Any):
        super().__init__(ORDERS, store, ids=ids, **options)

    def state(self, order_id: str) -> OrderState:
        """The order's current state, as the fold of its whole stream would give it."""
        return self.load(stream_for(order_id))[0]


def compensate(
    shop: Shop, order_id: str, *, to_version: int = 0, reason: str = "compensation", actor: str | None = None
) -> list[RecordedEvent]:
    """Issue the commands that bring the order's *money* back to what it was at ``to_version``.

    It restores money, not status: history is not undone, only balanced.
    ``to_version=0`` undoes the whole order: cancel it (which refunds what was
    paid), or, once it has shipped, refund it.  A later version keeps the
    order and refunds whatever was paid since.  Returns the new events; none
    when there is nothing to undo.  A refund cannot be taken back, so an order
    with more refunded since ``to_version`` raises ``ValueError``.
    """
    current = shop.state(order_id)
    if not current.placed:
        raise OrderNotFound(order_id, "no such order")
    target = state_at_version(shop.store, order_id, to_version)
    if not target.placed and not current.cancelled and not current.shipped:
        return shop.handle(CancelOrder(order_id, reason), actor=actor)
    if current.net > target.net:
        return shop.handle(RequestRefund(order_id, current.net - target.net, reason), actor=actor)
    if current.net < target.net:
        raise ValueError(
            f"order {order_id}: {target.net - current.net} was refunded after version "
            f"{to_version}, and a refund cannot be taken back"
        )
    return []
