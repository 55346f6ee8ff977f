"""Which stream holds which order: ``"order-<order id>"``.

An order id (``"123456"``) names an order; a stream id (``"order-123456"``)
names where the store keeps its events.  The two are easy to mix up, so each
function refuses the other kind with a message that says so.
"""

from __future__ import annotations

from typing import Any

__all__ = ["STREAM_PREFIX", "stream_for", "stream_of", "event_stream", "order_id_of"]

STREAM_PREFIX = "order-"


def stream_for(order_id: str) -> str:
    """The stream that holds one order's events: ``"123"`` -> ``"order-123"``."""
    if isinstance(order_id, str) and order_id.startswith(STREAM_PREFIX):
        raise ValueError(
            f"{order_id!r} is a stream id; stream_for takes an order id, "
            f"such as {order_id.removeprefix(STREAM_PREFIX)!r}"
        )
    return f"{STREAM_PREFIX}{order_id}"


def order_id_of(stream_id: str) -> str:
    """The order id of an order's stream: ``"order-123"`` -> ``"123"``."""
    if not isinstance(stream_id, str) or not stream_id.startswith(STREAM_PREFIX):
        raise ValueError(
            f"{stream_id!r} is not an order's stream id (those start with {STREAM_PREFIX!r}); is it an order id?"
        )
    return stream_id.removeprefix(STREAM_PREFIX)


def stream_of(command: Any) -> str:
    """The stream an order command is decided against: its order's."""
    return stream_for(command.order_id)


def event_stream(event: Any) -> str:
    """The stream an order event belongs in: its order's."""
    return stream_for(event.order_id)
