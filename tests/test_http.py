"""The shop over HTTP, through real HTTP to a server in another process (``eventsim serve``).

Order ids are unique per test, so the tests share one server.
"""
from __future__ import annotations

import itertools
import json
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from decimal import Decimal

import httpx
import pytest
import uvicorn
from fastapi.testclient import TestClient
from http_helpers import (
    all_events,
    assert_problem,
    eventsim_serve,
    last_position,
    money_is_text,
    paused_server,
)

from eventsim import SeededIds, Shop
from eventsim.http import create_app, start
from eventsim.http.server import _bind
from eventsim.http.worker import ProjectionWorker
from eventsim.shop.commands import PlaceOrder
from eventsim.store import InMemoryEventStore

_ids = itertools.count(1)


def new_id(prefix: str = "T") -> str:
    return f"{prefix}{next(_ids)}"


@pytest.fixture(scope="module")
def server():
    with eventsim_serve() as (url, process):
        yield url
    assert process.returncode == 0


@pytest.fixture
def client(server):
    with httpx.Client(base_url=server, timeout=10) as client:
        yield client


def place(client, order_id, amount=100, **headers):
    response = client.post("/orders", json={"orderId": order_id, "amount": amount}, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


def paid_order(client, amount="100"):
    order_id = new_id()
    place(client, order_id, amount)
    assert client.post(f"/orders/{order_id}/payments", json={"amount": amount}).status_code == 200
    return order_id


# --- the seed article's two requests ------------------------------------------

def test_the_seed_scenario_end_to_end(client, server):
    assert server.startswith("http://127.0.0.1:"), "binds to 127.0.0.1 by default"
    placed = client.post("/orders", json={"orderId": "123456", "amount": 100})
    assert placed.status_code == 201
    assert placed.headers["location"] == "/orders/123456"
    assert placed.headers["etag"] == '"1"'
    body = placed.json()
    assert body["orderId"] == "123456" and body["version"] == 1 and body["position"] >= 1
    [event] = body["events"]
    assert event["eventType"] == "OrderCreated" and event["orderId"] == "123456"
    assert event["amount"] == "100.00" and isinstance(event["timestamp"], int)
    assert event["causationId"] == body["commandId"] and event["position"] == body["position"]

    read = client.get("/orders", params={"orderId": "123456", "minPosition": body["position"]})
    assert read.status_code == 200, read.text
    order = read.json()
    assert (order["orderId"], order["amount"], order["status"], order["paid"]) == ("123456", "100.00", "placed",
                                                                                    "0.00")
    assert read.headers["etag"] == '"1"'
    assert int(read.headers["read-model-position"]) >= body["position"]


def test_an_order_through_every_command_and_query(client):
    order_id = new_id()
    created = client.post("/orders", json={"orderId": order_id, "amount": "80.00", "customerId": "carol"}).json()
    pay = client.post(f"/orders/{order_id}/payments", json={"amount": 80})
    assert pay.status_code == 200 and [e["eventType"] for e in pay.json()["events"]] == ["OrderPaid"]
    refund = client.post(f"/orders/{order_id}/refunds", json={"amount": "0.10", "reason": "scratch"}).json()
    assert refund["events"][0]["refundId"] == "R1" and refund["events"][0]["amount"] == "0.10"
    client.post(f"/orders/{order_id}/refunds", json={"amount": 0.20, "refundId": "late"})
    payout = client.post(f"/orders/{order_id}/refunds/R1/payout")
    assert payout.status_code == 200 and payout.json()["events"][0]["eventType"] == "RefundPaid"
    shipped = client.post(f"/orders/{order_id}/shipment").json()
    assert shipped["version"] == 6 and shipped["position"] > created["position"]

    order = client.get(f"/orders/{order_id}", params={"minPosition": shipped["position"]})
    assert order.headers["etag"] == '"6"'
    order = order.json()
    money_is_text(order)
    assert order["refundsRequested"] == "0.30" and order["net"] == "79.70"  # exact: 0.10 + 0.20 is 0.30
    assert order["status"] == "shipped, refund requested" and order["customerId"] == "carol"
    assert [r["refundId"] for r in order["refunds"]] == ["R1", "late"]

    trace = client.get(f"/orders/{order_id}/events").json()["events"]
    assert [e["eventType"] for e in trace] == ["OrderCreated", "OrderPaid", "RefundCreated", "RefundCreated",
                                               "RefundPaid", "OrderShipped"]
    assert [e["version"] for e in trace] == [1, 2, 3, 4, 5, 6]
    assert trace[0]["correlationId"] == created["commandId"]  # each request from outside: a conversation of its own
    assert [e["correlationId"] for e in trace] == [e["causationId"] for e in trace]

    then = client.get(f"/orders/{order_id}/state", params={"version": 2}).json()
    assert (then["status"], then["paid"], then["version"]) == ("paid", "80.00", 2)
    now_answer = client.get(f"/orders/{order_id}/state")
    now = now_answer.json()
    assert now_answer.headers["ETag"] == '"6"'  # the current state's version, for If-Match
    assert "ETag" not in client.get(f"/orders/{order_id}/state", params={"version": 2}).headers
    assert now["refundsRequested"] == "0.30" and now["refundsPaid"] == "0.10" and now["shipped"] is True
    assert client.get(f"/orders/{order_id}/state", params={"at": "1970-01-01T00:00:00"}).json()["status"] == "new"
    assert client.get(f"/orders/{order_id}/state", params={"at": str(int(time.time()) + 5)}).json() == now

    feed = client.get("/events", params={"after": created["position"] - 1, "limit": 2}).json()
    assert [e["eventType"] for e in feed["events"]] == ["OrderCreated", "OrderPaid"]
    assert feed["events"][0]["orderId"] == order_id and feed["lastPosition"] >= shipped["position"]

    days = client.get("/revenue/daily", params={"minPosition": shipped["position"]}).json()["days"]
    money_is_text(days)
    assert days and Decimal(days[-1]["grossPaid"]) >= 80


def test_pages_of_orders_filtered_by_status_and_customer(client):
    customer = new_id("customer-")
    ids = [new_id() for _ in range(5)]
    for order_id in ids:
        client.post("/orders", json={"orderId": order_id, "amount": 10, "customerId": customer})
    last = client.post(f"/orders/{ids[0]}/payments", json={"amount": 10}).json()["position"]
    seen, cursor = [], None
    while True:
        params = {"customerId": customer, "limit": 2, "minPosition": last}
        page = client.get("/orders", params=params | ({"cursor": cursor} if cursor else {})).json()
        seen += [o["orderId"] for o in page["orders"]]
        assert len(page["orders"]) <= 2
        cursor = page["nextCursor"]
        if cursor is None:
            break
    assert seen == ids
    paid = client.get("/orders", params={"customerId": customer, "status": "paid"}).json()
    assert [o["orderId"] for o in paid["orders"]] == [ids[0]] and paid["nextCursor"] is None


# --- concurrency: If-Match ----------------------------------------------------

def test_a_stale_if_match_is_412_and_records_nothing(client):
    order_id = paid_order(client)
    etag = client.get(f"/orders/{order_id}/events").json()["events"][-1]["version"]
    assert client.post(f"/orders/{order_id}/refunds", json={"amount": 5},
                       headers={"If-Match": f'"{etag}"'}).status_code == 200  # the first client wins
    before = last_position(client)
    stale = client.post(f"/orders/{order_id}/cancellation", headers={"If-Match": f'"{etag}"'})
    problem = assert_problem(stale, 412, "version-mismatch")
    assert (problem["expectedVersion"], problem["currentVersion"]) == (etag, etag + 1)
    assert stale.headers["etag"] == f'"{etag + 1}"'
    assert last_position(client) == before
    fresh = client.post(f"/orders/{order_id}/cancellation", headers={"If-Match": f'"{etag + 1}"'})
    assert fresh.status_code == 200 and fresh.headers["etag"] == f'"{etag + 3}"'  # refund of the rest + cancel


def test_an_order_id_beyond_latin_1_is_percent_encoded_in_location(client):
    # schemathesis found it: the header could not be encoded, so the order was recorded and the answer was a 500.
    order_id = new_id("Zürich-\U0001fa7c-")
    placed = client.post("/orders", json={"orderId": order_id, "amount": 5})
    assert placed.status_code == 201, placed.text
    assert placed.headers["location"] == f"/orders/Z%C3%BCrich-%F0%9F%A9%BC-{order_id.rsplit('-', 1)[1]}"
    order = client.get(placed.headers["location"], params={"minPosition": placed.json()["position"]})
    assert order.status_code == 200 and order.json()["orderId"] == order_id


@pytest.mark.parametrize("order_id", ["a/b", ".", ".."])
def test_an_order_id_that_cannot_be_a_url_segment_is_refused_and_nothing_is_recorded(client, order_id):
    # Placed, such an order could never be read or paid: /orders/a%2Fb reaches the server as /orders/a/b,
    # and a client resolves /orders/.. to /.
    before = last_position(client)
    refused = client.post("/orders", json={"orderId": order_id, "amount": 5})
    problem = assert_problem(refused, 422, "invalid-request", field="orderId")
    assert "URL" in problem["detail"]
    assert last_position(client) == before


@pytest.mark.parametrize("refund_id", ["r/1", ".", ".."])
def test_a_refund_id_that_cannot_be_a_url_segment_is_refused_and_nothing_is_recorded(client, refund_id):
    order_id = paid_order(client)  # its refund's pay-out would be /orders/{orderId}/refunds/{refundId}/payout
    before = last_position(client)
    refused = client.post(f"/orders/{order_id}/refunds", json={"amount": 1, "refundId": refund_id})
    assert_problem(refused, 422, "invalid-request", field="refundId")
    assert last_position(client) == before


def test_if_match_on_a_new_order_is_version_0(client):
    order_id = new_id()
    assert client.post("/orders", json={"orderId": order_id, "amount": 1},
                       headers={"If-Match": '"0"'}).status_code == 201
    assert_problem(client.post("/orders", json={"orderId": order_id, "amount": 1}, headers={"If-Match": '"0"'}),
                   412, "version-mismatch")


# --- idempotency: Idempotency-Key ----------------------------------------------

def test_a_retry_with_the_same_key_gets_the_first_response_and_records_nothing(client):
    order_id = new_id()
    first = client.post("/orders", json={"orderId": order_id, "amount": "12.50"},
                        headers={"Idempotency-Key": f"key-{order_id}"})
    before = last_position(client)
    again = client.post("/orders", json={"orderId": order_id, "amount": 12.5},  # the same request
                        headers={"Idempotency-Key": f"key-{order_id}"})
    assert (again.status_code, again.content) == (first.status_code, first.content)
    assert again.headers["etag"] == first.headers["etag"] and again.headers["location"] == first.headers["location"]
    assert first.json()["commandId"] == f"key-{order_id}"
    assert last_position(client) == before


def test_a_retry_after_the_order_moved_on_still_gets_the_first_response(client):
    order_id = paid_order(client)
    key = {"Idempotency-Key": f"refund-{order_id}", "If-Match": '"2"'}
    first = client.post(f"/orders/{order_id}/refunds", json={"amount": 3}, headers=key)
    client.post(f"/orders/{order_id}/refunds", json={"amount": 4})
    again = client.post(f"/orders/{order_id}/refunds", json={"amount": 3}, headers=key)
    assert (again.status_code, again.content) == (200, first.content)  # not 412: it was done
    assert [e["eventType"] for e in client.get(f"/orders/{order_id}/events").json()["events"]].count(
        "RefundCreated") == 2


def test_the_same_key_for_a_different_request_is_refused(client):
    order_id = paid_order(client)
    key = {"Idempotency-Key": f"refund-{order_id}"}
    client.post(f"/orders/{order_id}/refunds", json={"amount": 3}, headers=key)
    before = last_position(client)
    problem = assert_problem(client.post(f"/orders/{order_id}/refunds", json={"amount": 30}, headers=key),
                             422, "idempotency-key-reused", "Idempotency-Key")
    assert "nothing was recorded" in problem["detail"]
    assert_problem(client.post(f"/orders/{order_id}/shipment", headers=key), 422, "idempotency-key-reused")
    assert last_position(client) == before


def test_keys_are_scoped_to_the_client_that_sends_them(client):
    """Issue 23: two clients that pick the same key name two commands; each retry gets its own first answer.

    Failed before Client-Id existed: the second client's refund was refused as a reuse of the first's key."""
    order_id = paid_order(client)
    ann = {"Idempotency-Key": "refund-1", "Client-Id": "till-ann"}
    ben = {"Idempotency-Key": "refund-1", "Client-Id": "till-ben"}
    first_ann = client.post(f"/orders/{order_id}/refunds", json={"amount": 3}, headers=ann)
    first_ben = client.post(f"/orders/{order_id}/refunds", json={"amount": 4}, headers=ben)
    assert (first_ann.status_code, first_ben.status_code) == (200, 200)
    assert first_ann.json()["commandId"] != first_ben.json()["commandId"]
    before = last_position(client)
    for headers, first in ((ann, first_ann), (ben, first_ben)):
        amount = 3 if headers is ann else 4
        again = client.post(f"/orders/{order_id}/refunds", json={"amount": amount}, headers=headers)
        assert (again.status_code, again.content) == (200, first.content)
    assert last_position(client) == before
    # Without a Client-Id the key is in the one shared scope: no client's scoped key answers for it.
    shared = client.post(f"/orders/{order_id}/refunds", json={"amount": 5}, headers={"Idempotency-Key": "refund-1"})
    assert shared.status_code == 200 and shared.json()["commandId"] == "refund-1"
    # Within one client's scope, the same key for another request is still refused.
    assert_problem(client.post(f"/orders/{order_id}/refunds", json={"amount": 9}, headers=ann),
                   422, "idempotency-key-reused", "Idempotency-Key")


def test_a_malformed_client_id_is_refused_in_words(client):
    order_id = paid_order(client)
    problem = assert_problem(client.post(f"/orders/{order_id}/refunds", json={"amount": 1},
                                         headers={"Idempotency-Key": "k", "Client-Id": "a b"}),
                             400, "invalid-header", "Client-Id")
    assert "Client-Id" in problem["detail"]


def test_concurrent_retries_under_one_key_record_once(client):
    order_id = paid_order(client)
    key = {"Idempotency-Key": f"race-{order_id}"}
    answers = []

    def send():
        with httpx.Client(base_url=str(client.base_url)) as own:
            answers.append(own.post(f"/orders/{order_id}/refunds", json={"amount": 1}, headers=key))

    threads = [threading.Thread(target=send) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert {(a.status_code, a.content) for a in answers} == {(200, answers[0].content)}
    trace = client.get(f"/orders/{order_id}/events").json()["events"]
    assert [e["eventType"] for e in trace].count("RefundCreated") == 1


# --- errors: problem+json, naming the field or rule; nothing recorded --------------------

BAD_REQUESTS = [
    # (method, path, keyword arguments, status, problem type, field)
    ("POST", "/orders", {"content": b'{"orderId": "x", ', "headers": {"content-type": "application/json"}},
     400, "malformed-json", None),
    ("POST", "/orders", {"content": b'{"orderId": "x1", "orderId": "x2", "amount": 1}',
                         "headers": {"content-type": "application/json"}}, 400, "malformed-json", None),
    ("POST", "/orders", {"content": b'{"orderId": "x", "amount": NaN}', "headers": {"content-type": "application/json"}},
     400, "malformed-json", None),
    ("POST", "/orders", {"content": b"\xff\xfe", "headers": {"content-type": "application/json"}},
     400, "malformed-json", None),
    ("POST", "/orders", {"content": b"[" * 5000, "headers": {"content-type": "application/json"}},
     400, "malformed-json", None),
    ("POST", "/orders/{paid}/refunds", {"json": {"amount": 1}, "headers": {"If-Match": "2"}},
     400, "invalid-header", "If-Match"),
    ("POST", "/orders/{paid}/refunds", {"json": {"amount": 1}, "headers": {"Idempotency-Key": "k" * 65}},
     400, "invalid-header", "Idempotency-Key"),
    ("POST", "/orders", {"json": ["orderId", "x"]}, 422, "invalid-request", ""),
    ("POST", "/orders", {"json": {"amount": 1}}, 422, "invalid-request", "orderId"),
    ("POST", "/orders", {"json": {"orderId": "x", "amount": True}}, 422, "invalid-request", "amount"),
    ("POST", "/orders", {"json": {"orderId": "x", "amount": [1]}}, 422, "invalid-request", "amount"),
    ("POST", "/orders", {"json": {"orderId": "x", "amount": "1.234"}}, 422, "invalid-request", "amount"),
    ("POST", "/orders", {"json": {"orderId": "x", "amount": " 5"}}, 422, "invalid-request", "amount"),
    ("POST", "/orders", {"content": b'{"orderId": "x", "amount": 1.234}', "headers": {"content-type": "application/json"}},
     422, "invalid-request", "amount"),
    ("POST", "/orders", {"content": b'{"orderId": "x", "amount": 1e400}', "headers": {"content-type": "application/json"}},
     422, "invalid-request", "amount"),
    ("POST", "/orders", {"content": b'{"orderId": "x", "amount": 1e999999999}',
                         "headers": {"content-type": "application/json"}}, 422, "invalid-request", "amount"),
    ("POST", "/orders", {"json": {"orderId": "x", "amount": -5}}, 422, "invalid-request", "amount"),
    ("POST", "/orders", {"json": {"orderId": 42, "amount": 5}}, 422, "invalid-request", "orderId"),
    ("POST", "/orders", {"json": {"orderId": "order-1", "amount": 5}}, 422, "invalid-request", "orderId"),
    ("POST", "/orders", {"json": {"orderId": "x" * 65, "amount": 5}}, 422, "invalid-request", "orderId"),
    ("POST", "/orders", {"json": {"orderId": "x", "amount": 5, "price": 5}}, 422, "invalid-request", "price"),
    ("POST", "/orders/{paid}/cancellation", {"json": {"reason": "\x07"}}, 422, "invalid-request", "reason"),
    ("POST", "/orders/{paid}/refunds", {"json": {"amount": 1, "refundId": ""}}, 422, "invalid-request",
     "refundId"),
    ("GET", "/orders", {"params": {"limit": 0}}, 422, "invalid-request", "limit"),
    ("GET", "/orders", {"params": {"status": "lost"}}, 422, "invalid-request", "status"),
    ("GET", "/orders", {"params": {"orderId": "{paid}", "status": "paid"}}, 422, "invalid-request", "status"),
    ("GET", "/orders", {"params": {"minPosition": "soon"}}, 422, "invalid-request", "minPosition"),
    ("GET", "/orders", {"params": {"minPosition": 10**9}}, 422, "invalid-request", "minPosition"),
    ("GET", "/orders", {"params": [("limit", 5), ("limit", 500)]}, 422, "invalid-request", "limit"),
    # A misspelt parameter is not ignored: a read without its minPosition would look fresh when it is not.
    ("GET", "/orders/{paid}", {"params": {"minposition": 10}}, 422, "invalid-request", "minposition"),
    ("GET", "/orders", {"params": {"orderId": "{paid}", "min_position": 10}}, 422, "invalid-request",
     "min_position"),
    ("GET", "/revenue/daily", {"params": {"from": "2021-08-01"}}, 422, "invalid-request", "from"),
    ("POST", "/orders/{paid}/refunds", {"json": {"amount": 1}, "params": {"amount": 1}}, 422, "invalid-request",
     "amount"),
    ("GET", "/orders/{paid}/state", {"params": {"version": 99}}, 422, "invalid-request", "version"),
    ("GET", "/orders/{paid}/state", {"params": {"at": "yesterday"}}, 422, "invalid-request", "at"),
    ("GET", "/orders/{paid}/state", {"params": {"at": "1", "version": 1}}, 422, "invalid-request", "at"),
    ("POST", "/orders/nobody/payments", {"json": {"amount": 1}}, 404, "not-found", None),
    ("POST", "/orders/{paid}/refunds/R9/payout", {}, 404, "not-found", None),
    ("GET", "/orders/nobody", {}, 404, "not-found", None),
    ("GET", "/orders", {"params": {"orderId": "nobody"}}, 404, "not-found", None),
    ("GET", "/orders/nobody/events", {}, 404, "not-found", None),
    ("GET", "/orders/nobody/state", {}, 404, "not-found", None),
    ("GET", "/no/such/route", {}, 404, "not-found", None),
    ("DELETE", "/orders/{paid}", {}, 405, "method-not-allowed", None),
    ("POST", "/orders/{paid}/payments", {"json": {"amount": 100}}, 409, "rule-broken", None),
    ("POST", "/orders/{paid}/refunds", {"json": {"amount": 101}}, 409, "rule-broken", None),
    ("POST", "/orders/{paid}/refunds", {"json": {"amount": 1, "reason": "x" * 20_000}}, 413, "body-too-large",
     None),
    ("POST", "/orders/{paid}/refunds", {"content": b"amount=1", "headers": {"content-type": "text/plain"}},
     415, "unsupported-media-type", None),
    ("POST", "/orders/{paid}/refunds", {"content": b'{"amount": 1}'}, 415, "unsupported-media-type", None),
]


@pytest.mark.parametrize("method, path, options, status, kind, field", BAD_REQUESTS,
                         ids=[f"{r[3]}-{r[0]} {r[1]}-{i}" for i, r in enumerate(BAD_REQUESTS)])
def test_every_error_is_a_problem_naming_what_is_wrong_and_records_nothing(client, method, path, options,
                                                                          status, kind, field):
    order_id = paid_order(client)
    options = json.loads(json.dumps(options, default=lambda b: b.decode("latin-1")).replace("{paid}", order_id))
    if "content" in options:
        options["content"] = options["content"].encode("latin-1")
    before = all_events(client)
    problem = assert_problem(client.request(method, path.replace("{paid}", order_id), **options), status, kind,
                             field)
    assert all_events(client) == before, "an error recorded an event"
    if kind == "rule-broken":
        assert problem["rule"] in ("an order is paid once",
                                   "the refunds of an order never add up to more than was paid")
        assert problem["orderId"] == order_id


def test_a_chunked_body_over_the_limit_is_413(client):
    order_id = paid_order(client)

    def chunks():
        yield b'{"amount": 1, "reason": "'
        for _ in range(40):
            yield b"x" * 1000
        yield b'"}'

    response = client.post(f"/orders/{order_id}/refunds", content=chunks(),
                           headers={"content-type": "application/json"})
    assert_problem(response, 413, "body-too-large")


def test_a_read_model_that_does_not_catch_up_in_time_is_503_with_retry_after():
    with paused_server() as (url, _), httpx.Client(base_url=url) as client:
        position = client.post("/orders", json={"orderId": "1", "amount": 5}).json()["position"]
        assert_problem(client.get("/orders/1"), 404, "not-found")  # the read model has not seen it
        started = time.monotonic()
        response = client.get("/orders/1", params={"minPosition": position})
        problem = assert_problem(response, 503, "read-model-behind")
        assert 0.3 <= time.monotonic() - started < 3, "waits the bounded time, then answers"
        assert response.headers["retry-after"] == "1" and problem["readModelPosition"] == 0
        assert client.get("/orders/1/events").status_code == 200, "the store itself is up to date"


def test_a_bug_is_a_500_problem_with_no_trace_of_the_code():
    shop = Shop(ids=SeededIds(0))

    def broken(*args, **kwargs):
        raise RuntimeError("secret internals at /srv/app.py line 42")

    shop.handle = broken
    with start(create_app(shop)) as server, httpx.Client(base_url=server.url) as client:
        response = client.post("/orders", json={"orderId": "1", "amount": 5})
    problem = assert_problem(response, 500, "internal-error")
    assert "secret" not in response.text and "RuntimeError" not in response.text, problem


# --- GETs are safe -------------------------------------------------------------

def test_no_get_changes_the_store(client):
    order_id = paid_order(client)
    client.post(f"/orders/{order_id}/refunds", json={"amount": 1})
    position = last_position(client)
    before = all_events(client)
    for path, params in [("/orders", {"orderId": order_id, "minPosition": position}), ("/orders", {}),
                         ("/orders", {"status": "paid, refund requested"}), (f"/orders/{order_id}", {}),
                         (f"/orders/{order_id}/events", {}), (f"/orders/{order_id}/state", {"version": 1}),
                         (f"/orders/{order_id}/state", {"at": "2030-01-01T00:00:00"}), ("/events", {"after": 1}),
                         ("/revenue/daily", {}), ("/orders/nobody", {}), ("/openapi.json", {}), ("/docs", {})]:
        for _ in range(3):
            assert client.get(path, params=params).status_code in (200, 404)
    assert all_events(client) == before


# --- safe defaults, documentation ------------------------------------------------

def test_no_cors_unless_configured(client):
    origin = {"Origin": "https://evil.example"}
    assert "access-control-allow-origin" not in client.get("/orders", headers=origin).headers
    preflight = client.options("/orders", headers=origin | {"Access-Control-Request-Method": "POST"})
    assert "access-control-allow-origin" not in preflight.headers
    with TestClient(create_app(cors_origins=["https://shop.example"])) as local:
        allowed = local.get("/orders", headers={"Origin": "https://shop.example"})
        assert allowed.headers["access-control-allow-origin"] == "https://shop.example"
        assert "access-control-allow-origin" not in local.get("/orders", headers=origin).headers


def test_the_openapi_schema_documents_every_route_header_and_error(client):
    schema = client.get("/openapi.json").json()
    commands = {("post", "/orders"), ("post", "/orders/{orderId}/payments"), ("post", "/orders/{orderId}/refunds"),
                ("post", "/orders/{orderId}/refunds/{refundId}/payout"), ("post", "/orders/{orderId}/cancellation"),
                ("post", "/orders/{orderId}/shipment")}
    queries = {("get", "/orders"), ("get", "/orders/{orderId}"), ("get", "/orders/{orderId}/events"),
               ("get", "/orders/{orderId}/state"), ("get", "/events"), ("get", "/streams/{streamId}/events"),
               ("get", "/revenue/daily")}
    documented = {(method, path) for path, operations in schema["paths"].items() for method in operations}
    assert documented == commands | queries
    for method, path in commands:
        operation = schema["paths"][path][method]
        headers = {p["name"] for p in operation["parameters"] if p["in"] == "header"}
        assert headers == {"If-Match", "Idempotency-Key", "Client-Id"}, path
        assert {"400", "404", "409", "412", "413", "415", "422"} <= operation["responses"].keys(), path
        ok = operation["responses"]["201" if path == "/orders" else "200"]
        assert "ETag" in ok["headers"]
    for method, path in queries:
        assert {"404", "422"} <= schema["paths"][path][method]["responses"].keys()
    assert "Retry-After" in schema["paths"]["/orders"]["get"]["responses"]["503"]["headers"]
    for operations in schema["paths"].values():
        for operation in operations.values():
            for code, answer in operation["responses"].items():
                if code[0] in "45":
                    assert list(answer["content"]) == ["application/problem+json"], (code, answer)
    body = schema["paths"]["/orders"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert body["required"] == ["orderId", "amount"] and body["additionalProperties"] is False


def test_the_docs_page_works_offline(client):
    page = client.get("/docs")
    assert page.status_code == 200 and "swagger-ui" in page.text
    assert "cdn." not in page.text and "https://" not in page.text.split("<body>")[0]
    for asset in ("swagger-ui-bundle.js", "swagger-ui.css"):
        assert client.get(f"/static-offline-docs/{asset}").status_code == 200


# --- the write path and the projection worker ------------------------------------------

class WatchedStore(InMemoryEventStore):
    """Counts the appends in progress at once; each takes a moment, so that another could start meanwhile."""

    def __init__(self):
        super().__init__()
        self.running = self.most = 0
        self._counting = threading.Lock()

    def append(self, *args, **kwargs):
        with self._counting:
            self.running += 1
            self.most = max(self.most, self.running)
        try:
            time.sleep(0.002)
            return super().append(*args, **kwargs)
        finally:
            with self._counting:
                self.running -= 1


def test_the_server_hands_the_store_one_command_at_a_time():
    # The store admits one writer at a time: commands sent together must be handled one after
    # another, not wait in threads for its lock (or spin on SQLite's busy timeout).
    store = WatchedStore()
    statuses = []

    def client(url, number):
        with httpx.Client(base_url=url, timeout=30) as http:
            for i in range(5):
                statuses.append(http.post("/orders", json={"orderId": f"W{number}-{i}", "amount": 1}).status_code)

    with start(create_app(Shop(store))) as server:
        threads = [threading.Thread(target=client, args=(server.url, n)) for n in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
    assert statuses == [201] * 40 and len(store) == 40
    assert store.most == 1


def test_the_projection_worker_reads_a_busy_moment_in_one_batch():
    store = InMemoryEventStore()
    shop, worker = Shop(store), ProjectionWorker(store, rest=0.5)
    passes = []
    catch_up = worker.read_models.catch_up

    def counted(max_events):
        moved = catch_up(max_events)
        if moved:
            passes.append(moved)
        return moved

    worker.read_models.catch_up = counted
    worker.start()
    try:
        for i in range(10):  # as commands arrive over HTTP: each wakes the worker
            shop.handle(PlaceOrder(f"B{i}", Decimal(1)))
            worker.wake()
            time.sleep(0.005)
        with worker.lock:
            assert worker.wait_for(store.last_position, 10)
    finally:
        worker.close()
    assert sum(passes) == 10 and len(passes) <= 2, passes  # the first event at once, the rest together


# --- serving ------------------------------------------------------------------------

def test_eventsim_serve_prints_its_url_and_stops_cleanly_on_ctrl_c():
    with eventsim_serve() as (url, process), httpx.Client(base_url=url) as client:
        assert client.post("/orders", json={"orderId": "1", "amount": 1}).status_code == 201
        process.send_signal(signal.SIGINT)
        process.wait(10)
    assert process.returncode == 0
    assert "eventsim serve: stopped\n" in process.output


def test_uvicorn_parses_http_with_httptools():
    # A declared dependency: it spends about a sixth less CPU per request than h11 (benchmarks/bench_http.py).
    config = uvicorn.Config(create_app())
    config.load()
    assert config.http_protocol_class.__name__ == "HttpToolsProtocol"


def test_eventsim_serve_prints_a_line_per_request_unless_told_not_to():
    for options, logged in (((), True), (("--no-access-log",), False)):
        with eventsim_serve("memory:", *options) as (url, process), httpx.Client(base_url=url) as client:
            assert client.get("/orders").status_code == 200
            process.send_signal(signal.SIGINT)
            process.wait(10)
        assert any('"GET /orders HTTP/1.1" 200' in line for line in process.output) is logged, process.output


def test_eventsim_serve_refuses_a_store_it_cannot_open():
    run = subprocess.run([sys.executable, "-m", "eventsim", "serve", "--db", "ftp://nowhere"],
                         capture_output=True, text=True, timeout=60, check=False)
    assert run.returncode == 2 and "ftp://nowhere" in run.stderr and "Traceback" not in run.stderr


@pytest.mark.parametrize("address", [["--port", "99999"], ["--port", "-1"], ["--host", "no.such.host.invalid"]])
def test_eventsim_serve_names_an_address_it_cannot_have_and_creates_no_store(tmp_path, address):
    done = subprocess.run([sys.executable, "-m", "eventsim", "serve", *address], cwd=tmp_path,
                          capture_output=True, text=True, timeout=60)
    said = done.stdout + done.stderr
    assert done.returncode != 0 and address[1] in said, said
    assert "a bug in eventsim" not in said and "eventsim.db" not in said, said  # the address, not the store
    assert list(tmp_path.iterdir()) == []


def test_the_socket_listens_before_the_url_is_printed():
    # serve() prints the URL right after _bind(); a client that reads it at once must not be refused
    # (seen once in a full run under load: "Connection refused" on the first request).
    sock = _bind("127.0.0.1", 0)
    try:
        assert sock.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN) == 1
        socket.create_connection(sock.getsockname(), timeout=5).close()
    finally:
        sock.close()


def test_the_listening_socket_says_it_is_tcp():
    # Only then does asyncio switch Nagle's algorithm off on each connection; with it on, every answer
    # waited about 40 ms for the client's delayed acknowledgement (22 commands/s from one client).
    sock = _bind("127.0.0.1", 0)
    try:
        assert sock.proto == socket.IPPROTO_TCP
    finally:
        sock.close()


def test_start_serves_in_the_background_and_stops(monkeypatch):
    monkeypatch.setenv("JUPYTERHUB_SERVICE_PREFIX", "/user/ann/")
    server = start(create_app())
    try:
        assert server.url.startswith("http://127.0.0.1:") and server.running
        port = server.url.rsplit(":", 1)[1]
        assert server.proxy_path == f"/user/ann/proxy/{port}"
        docs = httpx.get(server.url + "/docs").text
        assert f"/user/ann/proxy/{port}/openapi.json" in docs, "the docs page finds its schema through the proxy"
        assert httpx.get(server.url + "/orders").status_code == 200
    finally:
        server.stop()
    assert not server.running
    with pytest.raises(httpx.ConnectError):
        httpx.get(server.url + "/orders")



def test_queries_that_read_the_events_do_not_document_a_read_model_position(client):
    paths = client.get("/openapi.json").json()["paths"]
    for path in ("/orders/{orderId}/events", "/orders/{orderId}/state", "/events"):
        headers = paths[path]["get"]["responses"]["200"].get("headers", {})
        assert "Read-Model-Position" not in headers, path
    assert "ETag" in paths["/orders/{orderId}/state"]["get"]["responses"]["200"]["headers"]
    assert "Read-Model-Position" in paths["/orders/{orderId}"]["get"]["responses"]["200"]["headers"]


def test_the_docs_show_hand_written_examples_that_the_server_really_answers():
    """/docs shows a body a client would send and one error example, shared by every error: each is what the
    server records or answers (an example generated from a pattern read like line noise)."""
    from eventsim.http.schemas import PROBLEM_EXAMPLE

    with TestClient(create_app()) as local:
        docs = local.get("/openapi.json").json()
        place = docs["paths"]["/orders"]["post"]["requestBody"]["content"]["application/json"]["example"]
        assert place == {"orderId": "123456", "amount": "100.00", "customerId": "alice"}
        assert local.post("/orders", json=place).status_code == 201
        pay = docs["paths"]["/orders/{orderId}/payments"]["post"]["requestBody"]["content"]["application/json"]
        assert local.post("/orders/123456/payments", json=pay["example"]).status_code == 200
        refused = local.post("/orders/123456/refunds", json={"amount": "150.00"})
        assert refused.status_code == 409 and refused.json() == PROBLEM_EXAMPLE
        assert docs["components"]["schemas"]["Problem"]["examples"] == [PROBLEM_EXAMPLE]
        described = re.sub(r"`[^`]*`", "", json.dumps(docs))  # a code span shows <version> as it is
        assert "<version>" not in described, "Swagger UI reads descriptions as HTML and swallows <version>"
