"""The checks of notebook 9's exercises (the format of ``eventsim.workbook.exercises``).

Each check starts a shop server of its own on 127.0.0.1, with seeded ids and
a simulated clock, hands the learner's function an ``httpx.Client`` for it,
and then looks in the store at what really happened.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

import httpx

from ..clock import SimulatedClock
from ..http.app import create_app
from ..http.faults import LoseResponses
from ..http.server import start
from ..ids import SeededIds
from ..shop import Shop
from ..shop.commands import PayOrder, PlaceOrder, RequestRefund
from ..shop.streams import stream_for
from .exercises import _brief, _call, exercise

__all__ = ["check_place_and_read", "check_refund_with_retry", "check_ship_if_unchanged"]


@contextmanager
def _shop_server(lag: float = 0.0) -> Iterator[tuple[Shop, Any]]:
    """A shop served on a free port; with ``lag``, its read models fall that many seconds behind.

    The shop holds a few orders already, paid and refunded, so that an order's version and its events'
    positions in the log differ, as they do in any shop that has been open a day.
    """
    shop = Shop(clock=SimulatedClock(), ids=SeededIds(8))
    for order_id in ("E1", "E2", "E3"):
        shop.handle(PlaceOrder(order_id, Decimal(30)))
        shop.handle(PayOrder(order_id, Decimal(30)))
    shop.handle(RequestRefund("E2", Decimal(5), reason="a scratch"))
    app = create_app(shop, max_wait=5.0)
    server = start(app)
    if lag:
        with app.state.worker.lock:  # the read models have seen the earlier orders, then stop for a while
            app.state.worker.wait_for(shop.store.last_position, 5.0)
        app.state.worker.pause()
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
    # The read model lags longer than any fixed wait a learner would write, unless a read asks for the
    # position of the new order's event: then it catches up at once, as it would while that read waits.
    with _shop_server(lag=6.0) as (shop, server):
        worker = server.app.state.worker

        def catch_up_when_asked(request: httpx.Request) -> None:
            asked = request.url.params.get("minPosition", "")
            if request.method == "GET" and asked.isdigit() and int(asked) >= shop.store.last_position:
                worker.resume()

        with httpx.Client(base_url=server.url, event_hooks={"request": [catch_up_when_asked]}) as client:
            return _read_your_write(place_and_read, shop, client)


def _read_your_write(place_and_read: Callable, shop: Shop, client: httpx.Client) -> str | None:
    answer = _call("placing and reading order 777", place_and_read, client, what="place_and_read")
    if _types(shop, "777") != ["OrderCreated"]:
        return 'place order 777 with POST /orders and the body {"orderId": "777", "amount": "19.99"}.'
    if not isinstance(answer, dict):
        return "return the order as a dict: the .json() of the GET's response."
    if answer.get("status") == 404 or answer.get("type") == "/problems/not-found":
        return (
            "the read model had not caught up yet, so the order was not found: send the position from "
            "the POST's response as minPosition with the GET."
        )
    if str(answer.get("type", "")).startswith("/problems/"):
        return f"the server refused your request ({answer.get('status')}): {answer.get('detail')}"
    if "events" in answer and isinstance(answer["events"], list):
        return "that is the order's events; read the order itself: GET /orders/777."
    if (answer.get("orderId"), answer.get("amount"), answer.get("status")) != ("777", "19.99", "placed"):
        return (
            "the answer should be order 777, placed, for 19.99; yours says "
            f"{answer.get('orderId')!r}, {answer.get('status')!r}, for {answer.get('amount')!r}."
        )
    return None


@exercise("9.2", "retry without paying twice", shape="a function refund_with_retry(client, order_id, key)")
def check_refund_with_retry(refund_with_retry: Callable) -> str | None:
    with _shop_server() as (shop, server):
        setup = httpx.Client(base_url=server.url)
        setup.post("/orders", json={"orderId": "A1", "amount": 50})
        setup.post("/orders/A1/payments", json={"amount": 50})
        setup.close()
        with httpx.Client(base_url=server.url, transport=LoseResponses(times=1)) as client:
            response = _call(
                "asking for a refund of order A1",
                refund_with_retry,
                client,
                "A1",
                "refund-A1-1",
                what="refund_with_retry",
                on={
                    httpx.TimeoutException: "the first answer is lost: catch httpx.TimeoutException and send the "
                    "request again."
                },
            )
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
        # Versions of their own, unlike the notebook's orders: an ETag copied from the notebook is stale here.
        client.post("/orders", json={"orderId": "B1", "amount": 20})
        client.post("/orders/B1/payments", json={"amount": 20})
        seen = client.post("/orders/B1/refunds", json={"amount": 1, "reason": "a dent"}).headers["ETag"]
        client.post("/orders/B1/refunds", json={"amount": 5, "reason": "a scratch"})  # someone else, meanwhile
        raised: dict[type, str] = {
            httpx.HTTPStatusError: "your function raised for the server's refusal (raise_for_status): here a "
            "refusal is the answer, so return the status code the server answered."
        }
        stale = _call("shipping order B1", ship_if_unchanged, client, "B1", seen, what="ship_if_unchanged", on=raised)
        if "OrderShipped" in _types(shop, "B1"):
            return (
                "the order changed after you looked (a refund was requested) and it was shipped anyway: send "
                "the ETag you saw as If-Match, so the server refuses if the order has changed."
            )
        if isinstance(stale, httpx.Response):
            return "return the status code of the shipment's response (an int), not the response itself."
        if stale != 412:
            return (
                f"with a stale ETag the server should refuse with 412 (precondition failed), but your function "
                f"returned {_brief(stale)}: send the ETag you saw, exactly as the server gave it, in an If-Match "
                "header, and return the status code the server answered."
            )
        client.post("/orders", json={"orderId": "B2", "amount": 20})
        client.post("/orders/B2/payments", json={"amount": 20})
        dent = client.post("/orders/B2/refunds", json={"amount": 1, "reason": "a dent"})
        current = dent.headers["ETag"]
        client.get("/orders/B2", params={"minPosition": dent.json()["position"]})  # the read side has seen it
        # Should the function read the order first, another clerk refunds it right after that read:
        # a comparison of ETags made by the client, then a shipment without If-Match, ships a changed order.
        changed: list[bool] = []

        def refund_after_a_read(response: httpx.Response) -> None:
            if response.request.method == "GET" and "/orders/B2" in response.request.url.path and not changed:
                with httpx.Client(base_url=server.url) as other:
                    other.post("/orders/B2/refunds", json={"amount": 5, "reason": "another clerk"})
                changed.append(True)

        client.event_hooks["response"].append(refund_after_a_read)
        fresh = _call(
            "shipping order B2", ship_if_unchanged, client, "B2", current, what="ship_if_unchanged", on=raised
        )
        shipped = "OrderShipped" in _types(shop, "B2")
        if changed and shipped:
            return (
                "the order changed between your read and your shipment, and it was shipped anyway: comparing "
                "ETags yourself leaves that gap. Send the ETag you saw as If-Match, and the server compares."
            )
        if changed and fresh != 412:
            return (
                f"the order changed after your read, so the server answers 412; your function returned {_brief(fresh)}."
            )
        if not changed and not shipped:
            return (
                f"with the current ETag the order should ship; your function returned {_brief(fresh)} and the "
                "order was not shipped: send the ETag you were given, exactly as the server gave it (quotes included)."
            )
        if not changed and fresh != 200:
            return (
                f"the order shipped, so the server answered 200; your function returned {_brief(fresh)}: "
                "return the status code."
            )
    return None
