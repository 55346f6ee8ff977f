"""The checks of notebook 9's exercises (the format of ``eventsim.exercises``).

Each check starts a shop server of its own on 127.0.0.1, with seeded ids and
a simulated clock, hands the learner's function an ``httpx.Client`` for it,
and then looks in the store at what really happened.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import httpx

from ..clock import SimulatedClock
from ..exercises import _answered, exercise
from ..ids import SeededIds
from ..shop import Shop
from ..streams import stream_for
from .app import create_app
from .faults import LoseResponses
from .server import start

__all__ = ["check_place_and_read", "check_refund_with_retry", "check_ship_if_unchanged"]


@contextmanager
def _shop_server(lag: float = 0.0) -> Iterator[tuple[Shop, Any]]:
    """A fresh shop served on a free port; with ``lag``, its read models start that many seconds late."""
    shop = Shop(clock=SimulatedClock(), ids=SeededIds(8))
    app = create_app(shop, max_wait=5.0)
    if lag:
        app.state.worker.pause()
    server = start(app)
    resume = threading.Timer(lag, app.state.worker.resume)
    if lag:
        resume.start()
    try:
        yield shop, server
    finally:
        resume.cancel()
        server.stop()


def _types(shop: Shop, order_id: str) -> list[str]:
    return [r.event_type for r in shop.store.read_stream(stream_for(order_id))]


@exercise("9.1", "read your own write", shape="a function place_and_read(client) returning the order JSON")
def check_place_and_read(place_and_read: Callable) -> str | None:
    with _shop_server(lag=1.0) as (shop, server), httpx.Client(base_url=server.url) as client:
        answer = _answered(place_and_read(client))
        if _types(shop, "777") != ["OrderCreated"]:
            return 'place order 777 with POST /orders and the body {"orderId": "777", "amount": "19.99"}.'
        if not isinstance(answer, dict):
            return "return the order as a dict: the .json() of the GET's response."
        if answer.get("status") == 404 or answer.get("type") == "/problems/not-found":
            return (
                "the read model had not caught up yet, so the order was not found: send the position from "
                "the POST's response as minPosition with the GET."
            )
        if "events" in answer and isinstance(answer["events"], list):
            return "that is the order's events; read the order itself: GET /orders/777."
        if (answer.get("orderId"), answer.get("amount"), answer.get("status")) != ("777", "19.99", "placed"):
            return f"the answer should be order 777, placed, for 19.99; yours says {answer}."
    return None


@exercise("9.2", "retry without paying twice", shape="a function refund_with_retry(client, order_id, key)")
def check_refund_with_retry(refund_with_retry: Callable) -> str | None:
    with _shop_server() as (shop, server):
        setup = httpx.Client(base_url=server.url)
        setup.post("/orders", json={"orderId": "A1", "amount": 50})
        setup.post("/orders/A1/payments", json={"amount": 50})
        setup.close()
        with httpx.Client(base_url=server.url, transport=LoseResponses(times=1)) as client:
            try:
                response = _answered(refund_with_retry(client, "A1", "refund-A1-1"))
            except httpx.TimeoutException:
                return "the first answer is lost: catch httpx.TimeoutException and send the request again."
        refunds = _types(shop, "A1").count("RefundCreated")
        if refunds > 1:
            return (
                f"the customer got {refunds} refunds: send the same Idempotency-Key header "
                "(the key given) with every attempt."
            )
        if refunds == 0:
            return 'request the refund: POST /orders/A1/refunds with the body {"amount": "5.00"}.'
        refund = next(r for r in shop.store.read_stream(stream_for("A1")) if r.event_type == "RefundCreated")
        if refund.causation_id != "refund-A1-1":
            return (
                "send the key given as the Idempotency-Key header, with every attempt: then a repeat is recognised, "
                "and the server answers it. Looking first cannot tell your refund from someone else's."
            )
        if not isinstance(response, httpx.Response) or response.status_code != 200:
            return "return the response of the attempt that got through."
        if response.json().get("commandId") != "refund-A1-1":
            return "return the response of the attempt that got through: the answer to your POST."
    return None


@exercise("9.3", "ship only what you saw", shape="a function ship_if_unchanged(client, order_id, seen)")
def check_ship_if_unchanged(ship_if_unchanged: Callable) -> str | None:
    with _shop_server() as (shop, server), httpx.Client(base_url=server.url) as client:
        client.post("/orders", json={"orderId": "B1", "amount": 20})
        seen = client.post("/orders/B1/payments", json={"amount": 20}).headers["ETag"]
        client.post("/orders/B1/refunds", json={"amount": 5, "reason": "a scratch"})  # someone else, meanwhile
        stale = _answered(ship_if_unchanged(client, "B1", seen))
        if "OrderShipped" in _types(shop, "B1"):
            return (
                "the order changed after you looked (a refund was requested) and it was shipped anyway: send "
                "the ETag you saw as If-Match, so the server refuses if the order has changed."
            )
        if stale != 412:
            return f"with a stale ETag the server answers 412; you returned {stale!r}: return the status code."
        client.post("/orders", json={"orderId": "B2", "amount": 20})
        current = client.post("/orders/B2/payments", json={"amount": 20}).headers["ETag"]
        # Should the function read the order first, another clerk refunds it right after that read:
        # a comparison of ETags made by the client, then a shipment without If-Match, ships a changed order.
        changed: list[bool] = []

        def refund_after_a_read(response: httpx.Response) -> None:
            if response.request.method == "GET" and "/orders/B2" in response.request.url.path and not changed:
                with httpx.Client(base_url=server.url) as other:
                    other.post("/orders/B2/refunds", json={"amount": 5, "reason": "another clerk"})
                changed.append(True)

        client.event_hooks["response"].append(refund_after_a_read)
        fresh = ship_if_unchanged(client, "B2", current)
        shipped = "OrderShipped" in _types(shop, "B2")
        if changed and shipped:
            return (
                "the order changed between your read and your shipment, and it was shipped anyway: comparing "
                "ETags yourself leaves that gap. Send the ETag you saw as If-Match, and the server compares."
            )
        if changed and fresh != 412:
            return f"the order changed after your read, so the server answers 412; you returned {fresh!r}."
        if not changed and (fresh != 200 or not shipped):
            return f"with the current ETag the order should ship (200); you returned {fresh!r}."
    return None
