"""schemathesis against the OpenAPI schema, through real HTTP to ``eventsim serve`` in another process.

It generates valid and invalid requests for every operation.  Every answer
must be documented (status, content type, body schema, headers), none may be
a 5xx, and a request that was refused must not have changed the store.
Bounded: a fixed number of examples per operation, derandomized.
"""
from __future__ import annotations

import httpx
import pytest
import schemathesis
from http_helpers import eventsim_serve, last_position, money_is_text
from hypothesis import HealthCheck, settings
from schemathesis.config._checks import (
    POSITIVE_DATA_ACCEPTANCE_EXPECTED_STATUSES,
    PositiveDataAcceptanceConfig,
)

from eventsim.http import create_app

EXAMPLES = 40  # per operation: about 13 operations, a few ms a request


@pytest.fixture(scope="module")
def served():
    with eventsim_serve() as (url, _), httpx.Client(base_url=url, timeout=10) as client:
        # Some orders to find: schemathesis mostly sends ids it makes up, but now and then one of these.
        for order_id in ("0", "1", "123456", "a"):
            client.post("/orders", json={"orderId": order_id, "amount": 10})
        client.post("/orders/1/payments", json={"amount": 10})
        yield url, client


# The same schema the server sends (the test below checks that), read here so that pytest can list the cases.
schema = schemathesis.openapi.from_dict(create_app().openapi())
schema.config.generation.update(max_examples=EXAMPLES, deterministic=True)
# Its coverage phase sends `If-Match: 0` as a value that matches the pattern ^"\d{1,18}"$ (the quotes get lost):
# the examples and the hypothesis-driven fuzzing phase, positive and negative, remain.
schema.config.phases.coverage.enabled = False
# A request can match the schema and still be refused for what the schema cannot say: a stale If-Match (412),
# an Idempotency-Key already used for another request, or an id holding a control character (422).
schema.config.checks.positive_data_acceptance = PositiveDataAcceptanceConfig(
    expected_statuses=[*POSITIVE_DATA_ACCEPTANCE_EXPECTED_STATUSES, 412, 422])


def test_the_served_schema_is_the_one_fuzzed(served):
    _, client = served
    assert client.get("/openapi.json").json() == schema.raw_schema


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
def test_no_5xx_and_no_refused_request_changes_the_store(case, served):
    url, client = served
    before = last_position(client)
    response = case.call(base_url=url)
    case.validate_response(response)  # documented status, media type, schema, headers; no 5xx
    if response.status_code >= 400:
        assert last_position(client) == before, f"{case.method} {case.path} was refused but recorded events"
    elif response.headers.get("content-type") == "application/json":
        money_is_text(response.json())
