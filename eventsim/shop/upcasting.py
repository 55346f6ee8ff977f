"""The shop's event history: how its old events are read in today's shape.

Each step is added to the one chain every reader goes through (``eventsim.upcasting.UPCASTERS``)
when the shop is imported, so a log written years ago reads as today's events wherever it is read.
"""

from __future__ import annotations

from typing import Any

from ..upcasting import UPCASTERS, Payload, Upcaster

__all__ = ["ASSUMED_CURRENCY", "add_currency"]

#: The currency of every order placed before orders said which (see ``add_currency``).
ASSUMED_CURRENCY = "EUR"


def add_currency(payload: Payload) -> dict[str, Any]:
    """OrderCreated v1 -> v2: orders say their currency; the old ones were in ``ASSUMED_CURRENCY``.

    The old events never said which currency they were in.  This is not a
    fact found in the log but an assumption about the business, written down
    once, here: the shop sold in one currency, euros, until orders carried one.
    """
    return {**payload, "currency": ASSUMED_CURRENCY}


UPCASTERS.add(Upcaster("OrderCreated", 1, "OrderCreated", 2, add_currency), required={"OrderCreated": ["currency"]})
