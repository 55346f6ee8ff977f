"""Fuzzing the edges (issue 26): the HTTP API statefully (schemathesis, following the schema's links) and the
JSON-lines reader (hypothesis).  Nothing may answer 5xx, show a traceback, or change a value a line states.
Bounded and derandomized: a fixed number of examples, the same ones on every run."""
from __future__ import annotations

import json
from decimal import Decimal

import httpx
import pytest
import schemathesis
from http_helpers import eventsim_serve
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.config._checks import (
    POSITIVE_DATA_ACCEPTANCE_EXPECTED_STATUSES,
    PositiveDataAcceptanceConfig,
)

from eventsim.http import create_app
from eventsim.jsonl import EventFormatError, iter_jsonl, payload_json, read_jsonl, to_json
from eventsim.shop.events import EVENT_TYPES

# --- the HTTP API, statefully ---------------------------------------------------------------------------

schema = schemathesis.openapi.from_dict(create_app().openapi())
schema.config.generation.update(max_examples=25, deterministic=True)
schema.config.phases.coverage.enabled = False  # as in test_http_schema.py
schema.config.checks.positive_data_acceptance = PositiveDataAcceptanceConfig(
    expected_statuses=[*POSITIVE_DATA_ACCEPTANCE_EXPECTED_STATUSES, 404, 409, 412, 422])


def test_the_schema_links_each_command_to_what_its_order_can_do_next():
    placed = schema.raw_schema["paths"]["/orders"]["post"]["responses"]["201"]["links"]
    assert len(placed) == 7 and all(link["parameters"] == {"orderId": "$response.body#/orderId"}
                                    for link in placed.values())


def test_a_stateful_walk_through_the_api_finds_no_5xx_and_no_traceback():
    with eventsim_serve() as (url, _):
        seen: list[int] = []

        class Workflow(schema.as_state_machine()):
            def get_call_kwargs(self, case):
                return {"base_url": url}

            def after_call(self, response, case):
                seen.append(response.status_code)
                assert response.status_code < 500, f"{case.method} {case.formatted_path}: {response.text}"
                assert "Traceback" not in response.text and 'File "' not in response.text

        Workflow.run(settings=settings(max_examples=30, stateful_step_count=6, deadline=None, derandomize=True,
                                       suppress_health_check=list(HealthCheck), database=None))
        with httpx.Client(base_url=url) as client:
            assert client.get("/events", params={"limit": 1}).status_code == 200  # the server lives on
    assert any(status in (200, 201) for status in seen), "the walk never got past a refusal"


# --- the JSON-lines reader -------------------------------------------------------------------------------

PAYLOAD_FIELDS = {"orderId": "order_id", "customerId": "customer_id", "refundId": "refund_id", "reason": "reason",
                  "currency": "currency", "amount": "amount"}

texts = st.one_of(st.sampled_from(["1", "A2", "EUR", "USD", "eur", "", " x", "R1", "ü", "\x00", "\ud800"]),
                  st.text(max_size=70))
values = st.one_of(texts, st.integers(min_value=-(10**40), max_value=10**40),
                   st.decimals(allow_nan=False, allow_infinity=False), st.booleans(), st.none(),
                   st.lists(st.integers(), max_size=2))
lines = st.fixed_dictionaries(
    {"eventType": st.one_of(st.sampled_from(list(EVENT_TYPES)), texts)},
    optional={
        "orderId": values, "amount": values, "customerId": values, "refundId": values, "reason": values,
        "currency": st.one_of(st.sampled_from(["EUR", "USD", "eur", "Eu", "GBP"]), values),
        "schemaVersion": st.one_of(st.integers(min_value=-1, max_value=4), values),
        "timestamp": st.one_of(st.integers(min_value=-5, max_value=7_258_118_400), values),
        "actor": values, "correlationId": values, "causationId": values, "eventId": values,
        "version": values, "position": values,
    })


@settings(max_examples=400, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck), database=None)
@given(st.lists(lines, min_size=1, max_size=3))
def test_the_reader_refuses_in_words_or_keeps_every_stated_value(objects):
    text = "\n".join(payload_json(obj) for obj in objects)
    try:
        logged = read_jsonl(text.splitlines())
    except EventFormatError as error:
        assert error.line is not None and 1 <= error.line <= len(objects) and "Traceback" not in str(error)
        return
    for obj, read in zip(objects, logged):
        for name, attr in PAYLOAD_FIELDS.items():
            stated = obj.get(name)
            if stated is not None:
                kept = getattr(read.event, attr)
                assert kept == (Decimal(stated) if name == "amount" else stated), (name, stated, kept)
        again = read_jsonl([to_json(read)])[0]  # what was read is written and read back the same
        assert again == read


@settings(max_examples=200, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck), database=None)
@given(st.binary(max_size=200))
def test_any_bytes_are_read_or_refused_in_words(data):
    try:
        list(iter_jsonl(data))
    except EventFormatError as error:
        assert "Traceback" not in str(error)


def test_the_fuzzed_lines_include_mislabelled_currencies():
    """The property above would pass vacuously if no line stated a currency on version 1: one does, and is refused."""
    line = json.dumps({"eventType": "OrderCreated", "orderId": "1", "amount": 5, "currency": "USD", "timestamp": 1})
    with pytest.raises(EventFormatError, match="field 'currency'"):
        read_jsonl([line])
