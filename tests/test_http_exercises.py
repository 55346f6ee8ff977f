"""Notebook 9's exercise checks: the solution passes, each wrong answer fails with the hint it needs."""
from __future__ import annotations

import httpx
import pytest

from eventsim.workbook.exercises import CORRECT, PENDING, WRONG
from eventsim.workbook.http_exercises import (
    check_place_and_read,
    check_refund_with_retry,
    check_ship_if_unchanged,
)

PLACE = {"orderId": "777", "amount": "19.99"}


def place_and_read(client):  # the solution
    placed = client.post("/orders", json=PLACE).json()
    return client.get("/orders/777", params={"minPosition": placed["position"]}).json()


def place_and_read_without_waiting(client):
    client.post("/orders", json=PLACE)
    return client.get("/orders/777").json()


def place_and_read_the_events(client):
    client.post("/orders", json=PLACE)
    return client.get("/orders/777/events").json()


def place_nothing(client):
    return {}


def refund_with_retry(client, order_id, key):  # the solution
    for _ in range(3):
        try:
            return client.post(f"/orders/{order_id}/refunds", json={"amount": "5.00"},
                               headers={"Idempotency-Key": key})
        except httpx.TimeoutException:
            continue
    raise TimeoutError("no answer after 3 attempts")


def refund_without_retry(client, order_id, key):
    return client.post(f"/orders/{order_id}/refunds", json={"amount": "5.00"}, headers={"Idempotency-Key": key})


def refund_retry_without_key(client, order_id, key):
    try:
        return client.post(f"/orders/{order_id}/refunds", json={"amount": "5.00"})
    except httpx.TimeoutException:
        return client.post(f"/orders/{order_id}/refunds", json={"amount": "5.00"})


def refund_retry_with_a_new_key(client, order_id, key):
    try:
        return client.post(f"/orders/{order_id}/refunds", json={"amount": "5.00"}, headers={"Idempotency-Key": key})
    except httpx.TimeoutException:
        return client.post(f"/orders/{order_id}/refunds", json={"amount": "5.00"},
                           headers={"Idempotency-Key": key + "-again"})


def refund_looking_first(client, order_id, key):  # no key: after a timeout, look, and send again only if absent
    try:
        return client.post(f"/orders/{order_id}/refunds", json={"amount": "5.00"})
    except httpx.TimeoutException:
        events = client.get(f"/orders/{order_id}/events")
        if any(e["eventType"] == "RefundCreated" for e in events.json()["events"]):
            return events
        return client.post(f"/orders/{order_id}/refunds", json={"amount": "5.00"})


def ship_if_unchanged(client, order_id, etag):  # the solution
    return client.post(f"/orders/{order_id}/shipment", headers={"If-Match": etag}).status_code


def ship_regardless(client, order_id, etag):
    return client.post(f"/orders/{order_id}/shipment").status_code


def ship_and_return_the_response(client, order_id, etag):
    return client.post(f"/orders/{order_id}/shipment", headers={"If-Match": etag})


def ship_after_comparing_etags(client, order_id, etag):  # check-then-act: the order can change in between
    version = client.get(f"/orders/{order_id}/events").json()["events"][-1]["version"]
    if f'"{version}"' != etag:
        return 412
    return client.post(f"/orders/{order_id}/shipment").status_code


def read_then_ship_if_unchanged(client, order_id, etag):  # a read first is fine, as long as If-Match goes along
    client.get(f"/orders/{order_id}/events")
    return client.post(f"/orders/{order_id}/shipment", headers={"If-Match": etag}).status_code


def test_reading_first_and_shipping_with_if_match_passes(capsys):
    check_ship_if_unchanged(read_then_ship_if_unchanged)
    assert capsys.readouterr().out.startswith(CORRECT)


@pytest.mark.parametrize("check, solution", [(check_place_and_read, place_and_read),
                                             (check_refund_with_retry, refund_with_retry),
                                             (check_ship_if_unchanged, ship_if_unchanged)])
def test_the_solution_passes_and_an_unanswered_exercise_is_pending(capsys, check, solution):
    check(solution)
    assert capsys.readouterr().out.startswith(CORRECT)
    check(lambda *args: ...)
    assert capsys.readouterr().out.startswith(PENDING)


@pytest.mark.parametrize("check, wrong, hint", [
    (check_place_and_read, place_and_read_without_waiting, "send the position from the POST's response as minPosition"),
    (check_place_and_read, place_and_read_the_events, "read the order itself"),
    (check_place_and_read, place_nothing, "place order 777"),
    (check_refund_with_retry, refund_without_retry, "catch httpx.TimeoutException"),
    (check_refund_with_retry, refund_retry_without_key, "the customer got 2 refunds"),
    (check_refund_with_retry, refund_retry_with_a_new_key, "the customer got 2 refunds"),
    (check_refund_with_retry, refund_looking_first, "Idempotency-Key"),
    (check_ship_if_unchanged, ship_regardless, "shipped anyway"),
    (check_ship_if_unchanged, ship_and_return_the_response, "return the status code"),
    (check_ship_if_unchanged, ship_after_comparing_etags, "shipped anyway"),
])
def test_a_wrong_answer_gets_the_hint_it_needs(capsys, check, wrong, hint):
    check(wrong)
    out = capsys.readouterr().out
    assert out.startswith(WRONG) and hint in out, out


# --- issue 24 -----------------------------------------------------------------------------------

def place_and_read_with_the_version(client):  # the order's version is not a position in the log
    placed = client.post("/orders", json=PLACE).json()
    return client.get("/orders/777", params={"minPosition": placed["version"]}).json()


def test_9_1_the_orders_version_sent_as_min_position_is_refused(capsys):
    check_place_and_read(place_and_read_with_the_version)
    out = capsys.readouterr().out
    assert out.startswith(WRONG) and "minPosition" in out


def test_9_3_a_status_code_returned_is_not_told_to_return_the_status_code(capsys):
    def unquoted(client, order_id, seen):
        return client.post(f"/orders/{order_id}/shipment", headers={"If-Match": seen.strip('"') + "x"}).status_code
    check_ship_if_unchanged(unquoted)
    out = capsys.readouterr().out
    assert out.startswith(WRONG) and "If-Match" in out and "return the status code." not in out


def test_9_3_an_etag_copied_from_the_notebook_is_stale_here(capsys):
    check_ship_if_unchanged(lambda client, order_id, seen: client.post(
        f"/orders/{order_id}/shipment", headers={"If-Match": '"2"'}).status_code)
    assert capsys.readouterr().out.startswith(WRONG)


def test_9_1_a_request_the_server_refused_is_told_in_the_servers_words(capsys):
    def snake_case(client):
        placed = client.post("/orders", json=PLACE).json()
        return client.get("/orders/777", params={"min_position": placed["position"]}).json()
    check_place_and_read(snake_case)
    out = capsys.readouterr().out
    assert out.startswith(WRONG) and "'min_position' is not a query parameter" in out
