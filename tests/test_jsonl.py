"""Events as JSON Lines: the issue's three objects, exact round trips of every
event type, and errors that name the line and the field for every kind of bad line."""
import ast
import json
from decimal import Decimal as D
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import eventsim.jsonl
from eventsim.clock import SimulatedClock
from eventsim.events import (EVENT_TYPES, OrderCancelled, OrderCreated, OrderPaid, OrderShipped,
                             RefundCreated, RefundPaid)
from eventsim.ids import SeededIds
from eventsim.jsonl import EventFormatError, LoggedEvent, loads, read_jsonl, to_json, write_jsonl
from eventsim.order import fold
from eventsim.store import InMemoryEventStore

ISSUE_LINES = [
    '{"eventType": "OrderCreated", "orderId": "123456", "amount": 100, "timestamp": 1628379200}',
    '{"eventType": "OrderPaid", "orderId": "123456", "timestamp": 1628389200}',
    '{"eventType": "RefundCreated", "orderId": "123456", "amount": 50, "timestamp": 1628399200}',
]


def recorded_story():
    """A store holding every event type, with all envelope fields filled in."""
    store = InMemoryEventStore(clock=SimulatedClock(step=60), ids=SeededIds(3))
    store.append("order-A", [OrderCreated("A", D("19.99"), "zoë")], correlation_id="c-A", causation_id="m1")
    store.append("order-A", [OrderPaid("A")], correlation_id="c-A", causation_id="m2")
    store.append("order-A", [RefundCreated("A", D("0.10"), "R1", "ein Kratzer — „leider“")],
                 correlation_id="c-A", causation_id="m3")
    store.append("order-A", [RefundPaid("A", "R1")], correlation_id="c-A", causation_id="m4")
    store.append("order-A", [OrderShipped("A")], correlation_id="c-A", causation_id="m5")
    store.append("order-B", [OrderCreated("B", D("12345678901234567.89")), OrderCancelled("B", "too slow")],
                 correlation_id="c-B", causation_id="m6")
    return store


# --- the issue's three objects ---------------------------------------------------

def test_the_issue_lines_load_as_they_stand():
    events = [loads(line) for line in ISSUE_LINES]
    assert [e.event for e in events] == [
        OrderCreated("123456", D(100)), OrderPaid("123456"), RefundCreated("123456", D(50))]
    assert [e.recorded_at for e in events] == [1628379200, 1628389200, 1628399200]
    assert all(e.event_id is None and e.version is None and e.causation_id is None for e in events)
    assert type(events[0].event.amount) is D
    state = fold(e.event for e in events)
    assert (state.amount, state.paid, state.refunded) == (D(100), D(100), D(50))


def test_the_issue_lines_are_written_back_unchanged(tmp_path):
    path = tmp_path / "issue.jsonl"
    path.write_text("\n".join(ISSUE_LINES) + "\n", encoding="utf-8")
    events = read_jsonl(path)
    assert [to_json(e) for e in events] == ISSUE_LINES
    write_jsonl(events, tmp_path / "again.jsonl")
    assert (tmp_path / "again.jsonl").read_text(encoding="utf-8") == path.read_text(encoding="utf-8")


# --- round trips -------------------------------------------------------------------

def test_export_import_export_is_identical_for_every_event_type(tmp_path):
    store = recorded_story()
    recorded = store.read_all()
    assert {r.event_type for r in recorded} == set(EVENT_TYPES)
    first, second = tmp_path / "first.jsonl", tmp_path / "second.jsonl"
    assert write_jsonl(recorded, first) == len(recorded)
    logged = read_jsonl(first)
    write_jsonl(logged, second)
    assert second.read_bytes() == first.read_bytes()
    for original, back in zip(recorded, logged, strict=True):
        assert back.event == original.event
        assert (back.recorded_at, back.event_id, back.version, back.position, back.correlation_id,
                back.causation_id) == (original.recorded_at, original.event_id, original.version,
                                       original.position, original.correlation_id, original.causation_id)
        assert back.event_type == original.event_type


def test_one_camel_case_object_per_line(tmp_path):
    path = tmp_path / "log.jsonl"
    write_jsonl(recorded_story().read_all(), path)
    text = path.read_text(encoding="utf-8")
    assert text.endswith("\n")
    lines = text.splitlines()
    assert len(lines) == 7
    keys = set()
    for line in lines:
        obj = json.loads(line)
        assert isinstance(obj, dict)
        keys |= set(obj)
    assert keys == {"eventType", "orderId", "customerId", "refundId", "amount", "reason", "timestamp",
                    "eventId", "version", "position", "correlationId", "causationId"}


def test_amounts_are_written_and_read_as_exact_decimals():
    line = to_json(recorded_story().read_all()[-2])
    assert '"amount": 12345678901234567.89,' in line       # a JSON number, every digit kept
    assert float("12345678901234567.89") != D("12345678901234567.89")  # so float would lose it
    assert loads(line).event.amount == D("12345678901234567.89")
    cents = loads('{"eventType": "RefundCreated", "orderId": "1", "amount": 0.10, "timestamp": 0}')
    assert cents.event.amount == D("0.10") and type(cents.event.amount) is D
    assert '"amount": 0.10' in to_json(cents)


def test_a_logged_event_is_written_like_a_recorded_one():
    recorded = recorded_story().read_all()[2]
    logged = LoggedEvent(recorded.event, recorded.recorded_at, recorded.event_id, recorded.version,
                         recorded.position, recorded.correlation_id, recorded.causation_id)
    assert to_json(logged) == to_json(recorded)


amounts = st.decimals(min_value=D("0.01"), max_value=D("1e12"), places=2)
ids = st.text(min_size=1, max_size=12)
optional_text = st.none() | st.text(max_size=20)
any_event = st.one_of(
    st.builds(OrderCreated, ids, amounts, optional_text),
    st.builds(OrderPaid, ids),
    st.builds(RefundCreated, ids, amounts, optional_text, optional_text),
    st.builds(RefundPaid, ids, optional_text),
    st.builds(OrderCancelled, ids, optional_text),
    st.builds(OrderShipped, ids),
)


@settings(max_examples=150, deadline=None)
@given(event=any_event, timestamp=st.integers(0, 2**40), version=st.none() | st.integers(1, 10**6),
       correlation=st.none() | ids)
def test_round_trip_of_any_event(event, timestamp, version, correlation):
    logged = LoggedEvent(event, timestamp, version=version, correlation_id=correlation)
    line = to_json(logged)
    assert "\n" not in line
    back = loads(line)
    assert back == logged
    assert to_json(back) == line


# --- malformed lines -----------------------------------------------------------------

GOOD = '{"eventType": "OrderCreated", "orderId": "1", "amount": 5, "timestamp": 10}'

# (name, bad line, field the error must name or None, words the message must contain)
BAD_LINES = [
    ("bad JSON", '{"eventType": "OrderPaid", "orderId": "1",', None, "not valid JSON"),
    ("python, not JSON", "{'eventType': 'OrderPaid'}", None, "not valid JSON"),
    ("an expression", '{"eventType": __import__("os")}', None, "not valid JSON"),
    ("a list", '[{"eventType": "OrderPaid"}]', None, "expected a JSON object, got a list"),
    ("a string", '"OrderPaid"', None, "expected a JSON object, got a string"),
    ("unknown type", '{"eventType": "OrderLost", "orderId": "1", "timestamp": 1}', "eventType",
     "unknown event type 'OrderLost'"),
    ("type not a string", '{"eventType": 7, "orderId": "1", "timestamp": 1}', "eventType",
     "unknown event type 7"),
    ("no type", '{"orderId": "1", "timestamp": 1}', "eventType", "missing"),
    ("missing amount", '{"eventType": "OrderCreated", "orderId": "1", "timestamp": 1}', "amount", "missing"),
    ("null amount", '{"eventType": "OrderCreated", "orderId": "1", "amount": null, "timestamp": 1}',
     "amount", "missing"),
    ("missing order id", '{"eventType": "OrderPaid", "timestamp": 1}', "orderId", "missing"),
    ("missing timestamp", '{"eventType": "OrderPaid", "orderId": "1"}', "timestamp", "missing"),
    ("amount as a string", '{"eventType": "OrderCreated", "orderId": "1", "amount": "5", "timestamp": 1}',
     "amount", "must be a number, not a string"),
    ("amount true", '{"eventType": "OrderCreated", "orderId": "1", "amount": true, "timestamp": 1}',
     "amount", "must be a number"),
    ("order id a number", '{"eventType": "OrderPaid", "orderId": 123456, "timestamp": 1}', "orderId",
     "must be a string"),
    ("reason a list", '{"eventType": "OrderCancelled", "orderId": "1", "reason": [], "timestamp": 1}',
     "reason", "must be a string, not a list"),
    ("timestamp a string", '{"eventType": "OrderPaid", "orderId": "1", "timestamp": "today"}', "timestamp",
     "must be a whole number"),
    ("timestamp with decimals", '{"eventType": "OrderPaid", "orderId": "1", "timestamp": 1.5}', "timestamp",
     "must be a whole number"),
    ("version a string", '{"eventType": "OrderPaid", "orderId": "1", "timestamp": 1, "version": "2"}',
     "version", "must be a whole number"),
    ("sub-cent amount", '{"eventType": "OrderCreated", "orderId": "1", "amount": 1.234, "timestamp": 1}',
     "amount", "1.234 has more than two decimal places"),
    ("NaN amount", '{"eventType": "OrderCreated", "orderId": "1", "amount": NaN, "timestamp": 1}', None,
     "NaN is not a number"),
    ("infinite amount", '{"eventType": "OrderCreated", "orderId": "1", "amount": -Infinity, "timestamp": 1}',
     None, "-Infinity is not a number"),
    ("extra field", '{"eventType": "OrderPaid", "orderId": "1", "amount": 5, "timestamp": 1}', "amount",
     "is not a field of this event type"),
    ("snake_case field", '{"eventType": "OrderPaid", "order_id": "1", "timestamp": 1}', "order_id",
     "is not a field"),
]


@pytest.mark.parametrize("bad, field, words", [c[1:] for c in BAD_LINES], ids=[c[0] for c in BAD_LINES])
def test_a_bad_line_is_rejected_naming_line_and_field(bad, field, words):
    with pytest.raises(EventFormatError) as caught:
        read_jsonl([GOOD, "\n", bad, GOOD])
    error = caught.value
    assert isinstance(error, ValueError)
    assert error.line == 3 and str(error).startswith("line 3: ")
    assert error.field == field
    if field:
        assert f"field {field!r}" in str(error)
    assert words in str(error)


def test_loads_without_a_line_number_still_names_the_field():
    with pytest.raises(EventFormatError) as caught:
        loads('{"eventType": "OrderCreated", "orderId": "1", "amount": 1.234, "timestamp": 1}')
    assert caught.value.line is None
    assert str(caught.value) == "OrderCreated: field 'amount': 1.234 has more than two decimal places"


def test_read_jsonl_on_a_file_is_all_or_nothing(tmp_path):
    path = tmp_path / "log.jsonl"
    lines = ISSUE_LINES[:2] + ["", ISSUE_LINES[2].replace("50", "50.001"), GOOD]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(EventFormatError) as caught:
        read_jsonl(path)
    assert caught.value.line == 4 and caught.value.field == "amount"  # blank line 3 still counts
    path.write_text("\n".join(ISSUE_LINES[:2] + [""] + ISSUE_LINES[2:]) + "\n", encoding="utf-8")
    logged = read_jsonl(str(path))
    assert [e.line for e in logged] == [1, 2, 4]                         # the blank line is skipped


def test_nothing_is_unpickled_or_evaluated():
    tree = ast.parse(Path(eventsim.jsonl.__file__).read_text(encoding="utf-8"))
    imported = {alias.name.split(".")[0] for node in ast.walk(tree)
                if isinstance(node, (ast.Import, ast.ImportFrom)) for alias in node.names}
    imported |= {node.module.split(".")[0] for node in ast.walk(tree)
                 if isinstance(node, ast.ImportFrom) and node.module}
    assert not imported & {"pickle", "marshal", "shelve", "dill", "ast", "yaml"}
    called = {node.func.id for node in ast.walk(tree)
              if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)}
    assert not called & {"eval", "exec", "compile", "__import__"}
