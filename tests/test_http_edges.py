"""Issue 26 over HTTP: out-of-range numbers, headers (twice, If-Match as RFC 9110 says), HEAD, idempotency
of refusals, currencies and amounts, through real HTTP to ``eventsim serve`` on every kind of store."""
from __future__ import annotations

import itertools
import uuid

import httpx
import pytest
from http_helpers import assert_problem, eventsim_serve

_ids = itertools.count(1)


def new_id() -> str:
    return f"E{next(_ids)}"


@pytest.fixture(scope="module", params=["memory", "sqlite", "postgres"])
def server(request, tmp_path_factory):
    db = {"memory": "memory:", "sqlite": str(tmp_path_factory.mktemp("http") / "shop.db")}.get(request.param)
    schema = None
    if db is None:  # a schema of its own on the session's PostgreSQL server
        import psycopg
        postgres = request.getfixturevalue("postgres_server")
        schema = f"http_edges_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(postgres.url, autocommit=True) as connection:
            connection.execute(f"CREATE SCHEMA {schema}")
        db = f"{postgres.url}?options=-csearch_path%3D{schema}"
    with eventsim_serve(db) as (url, _):
        yield url
    if schema is not None:
        with psycopg.connect(postgres.url, autocommit=True) as connection:
            connection.execute(f"DROP SCHEMA {schema} CASCADE")


@pytest.fixture
def client(server):
    with httpx.Client(base_url=server, timeout=10) as client:
        yield client


def placed(client, amount=100, **body):
    order_id = new_id()
    response = client.post("/orders", json={"orderId": order_id, "amount": amount, **body})
    assert response.status_code == 201, response.text
    return order_id


OUT_OF_RANGE = [
    ("/orders", {"cursor": "99999999999999999999"}, 422, "cursor"),
    ("/orders", {"cursor": "٣"}, 422, "cursor"),  # an Arabic-Indic three: str.isdigit says it is a digit
    ("/orders", {"limit": str(2**64)}, 422, "limit"),
    ("/orders", {"minPosition": str(2**63)}, 422, "minPosition"),
    ("/orders", {"minPosition": str(2**63 - 1)}, 422, "minPosition"),
    ("/events", {"after": str(2**64)}, 422, "after"),
    ("/events", {"limit": str(10**30)}, 422, "limit"),
    ("/revenue/daily", {"minPosition": str(2**70)}, 422, "minPosition"),
]


@pytest.mark.parametrize(("path", "params", "status", "field"), OUT_OF_RANGE)
def test_an_out_of_range_number_is_a_problem_and_the_connection_lives_on(client, path, params, status, field):
    assert_problem(client.get(path, params=params), status, "invalid-request", field)
    assert client.get("/events", params={"limit": 1}).status_code == 200  # the same keep-alive connection


def test_the_largest_positions_and_versions_read_as_nothing(client):
    order_id = placed(client)
    answer = client.get("/events", params={"after": str(2**63 - 1)})
    assert answer.status_code == 200 and answer.json()["events"] == []
    assert_problem(client.get(f"/orders/{order_id}/state", params={"version": str(2**63 - 1)}), 422,
                   "invalid-request", "version")
    assert client.get("/orders", params={"cursor": "999999999999999999"}).json()["orders"] == []


# --- headers -----------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["If-Match", "Idempotency-Key", "Client-Id"])
def test_a_header_given_twice_is_refused_and_nothing_is_recorded(client, name):
    order_id = placed(client)
    value = '"1"' if name == "If-Match" else f"pay-{order_id}"
    other = '"1"' if name == "If-Match" else f"other-{order_id}"
    response = client.post(f"/orders/{order_id}/payments", json={"amount": 100},
                           headers=[(name, value), (name, other), ("content-type", "application/json")])
    problem = assert_problem(response, 400, "invalid-header", name)
    assert "given 2 times" in problem["detail"]
    assert client.get(f"/orders/{order_id}/state").json()["version"] == 1


def pay(client, order_id, if_match):
    return client.post(f"/orders/{order_id}/payments", json={"amount": 100}, headers={"If-Match": if_match})


@pytest.mark.parametrize("if_match", ['*', '"1", "2"', '"7","1"', '"1" ,"2"', 'W/"9", "1"'])
def test_if_match_star_and_lists_match_as_rfc_9110_says(client, if_match):
    assert pay(client, placed(client), if_match).status_code == 200


@pytest.mark.parametrize("if_match", ['W/"1"', '"2", "3"', '"x"', '""'])
def test_if_match_with_no_strong_tag_of_the_current_version_is_412(client, if_match):
    order_id = placed(client)
    problem = assert_problem(pay(client, order_id, if_match), 412, "version-mismatch")
    assert problem["currentVersion"] == 1
    assert client.get(f"/orders/{order_id}/state").json()["version"] == 1


def test_if_match_star_on_an_order_that_does_not_exist_is_412_and_places_nothing(client):
    order_id = new_id()
    response = client.post("/orders", json={"orderId": order_id, "amount": 1}, headers={"If-Match": "*"})
    assert_problem(response, 412, "version-mismatch")
    assert client.get(f"/orders/{order_id}/events").status_code == 404


@pytest.mark.parametrize("if_match", ["1", '"1', 'W/1', '"1",', "* , *", '"a"b"'])
def test_a_malformed_if_match_is_400(client, if_match):
    problem = assert_problem(pay(client, placed(client), if_match), 400, "invalid-header", "If-Match")
    assert "^" not in problem["detail"] and "pattern" not in problem["detail"]  # words, not a regular expression


# --- HEAD ----------------------------------------------------------------------------------------

def test_head_answers_wherever_get_does_with_its_headers_and_no_body(client):
    order_id = placed(client)
    paths = ["/orders", f"/orders/{order_id}/events", f"/orders/{order_id}/state", "/events", "/openapi.json"]
    for path in paths:
        got, head = client.get(path), client.head(path)
        assert (head.status_code, head.content) == (200, b""), path
        assert head.headers.get("etag") == got.headers.get("etag") and head.headers["content-type"] == \
            got.headers["content-type"], path
    assert client.head("/orders/nobody-at-all/events").status_code == 404
    refused = client.head(f"/orders/{order_id}/payments")
    assert refused.status_code == 405 and refused.headers["allow"] == "POST" and refused.content == b""
    assert client.post("/events").headers["allow"] == "GET, HEAD"


# --- idempotency: the first executed response, errors included ------------------------------------

def test_a_command_refused_under_a_key_is_refused_again_even_once_the_order_allows_it(client):
    order_id = placed(client)
    key = {"Idempotency-Key": f"refund-{order_id}"}
    first = client.post(f"/orders/{order_id}/refunds", json={"amount": 5}, headers=key)
    assert_problem(first, 409, "rule-broken")  # the order is not paid yet
    assert client.post(f"/orders/{order_id}/payments", json={"amount": 100}).status_code == 200
    again = client.post(f"/orders/{order_id}/refunds", json={"amount": 5}, headers=key)
    assert (again.status_code, again.content) == (first.status_code, first.content)
    assert [e["eventType"] for e in client.get(f"/orders/{order_id}/events").json()["events"]] == \
        ["OrderCreated", "OrderPaid"]
    other = client.post(f"/orders/{order_id}/refunds", json={"amount": 6}, headers=key)
    problem = assert_problem(other, 422, "idempotency-key-reused", "Idempotency-Key")
    assert "nothing was recorded" in problem["detail"]


def test_a_reused_key_is_explained_in_words_never_in_python_reprs(client):
    order_id = placed(client)
    client.post(f"/orders/{order_id}/payments", json={"amount": 100})
    key = {"Idempotency-Key": f"k-{order_id}"}
    assert client.post(f"/orders/{order_id}/refunds", json={"amount": 5}, headers=key).status_code == 200
    problem = assert_problem(client.post(f"/orders/{order_id}/refunds", json={"amount": 6}, headers=key), 422,
                             "idempotency-key-reused")
    assert "RequestRefund(" not in problem["detail"] and "order_id=" not in problem["detail"]
    assert f"k-{order_id}" in problem["detail"]


# --- bodies: a currency; amounts judged by their value, however they are spelt --------------------

def test_an_order_can_say_its_currency_and_a_lowercase_one_is_refused_not_uppercased(client):
    order_id = placed(client, currency="USD")
    [created] = client.get(f"/orders/{order_id}/events").json()["events"]
    assert created["currency"] == "USD"
    assert_problem(client.post("/orders", json={"orderId": new_id(), "amount": 1, "currency": "eur"}), 422,
                   "invalid-request", "currency")
    [default] = client.get(f"/orders/{placed(client)}/events").json()["events"]
    assert default["currency"] == "EUR"


@pytest.mark.parametrize(("as_text", "as_number"), [("0.001", b"0.001"), ("1" * 38, b"1" * 38),
                                                    ("-5", b"-5"), ("1.000", b"1.000")])
def test_an_amount_gets_the_same_answer_as_a_string_and_as_a_number(client, as_text, as_number):
    text = client.post("/orders", json={"orderId": "same-id-never-placed-twice", "amount": as_text},
                       headers={"If-Match": '"99"'})
    number = client.post("/orders", content=b'{"orderId": "same-id-never-placed-twice", "amount": ' + as_number
                         + b"}", headers={"content-type": "application/json", "If-Match": '"99"'})
    assert (text.status_code, text.json()["detail"]) == (number.status_code, number.json()["detail"])
