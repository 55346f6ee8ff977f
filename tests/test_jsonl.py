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
from eventsim.ids import MAX_ID_LENGTH, SeededIds, check_id
from eventsim.jsonl import (
    MAX_COUNTER,
    MAX_TIMESTAMP,
    EventFormatError,
    LoggedEvent,
    event_from_payload,
    event_to_payload,
    iter_jsonl,
    loads,
    parse_json,
    payload_json,
    read_jsonl,
    to_json,
    write_jsonl,
)
from eventsim.money import MAX_AMOUNT
from eventsim.shop.events import (
    EVENT_TYPES,
    OrderCancelled,
    OrderCreated,
    OrderPaid,
    OrderShipped,
    RefundCreated,
    RefundPaid,
)
from eventsim.shop.order import fold
from eventsim.store import InMemoryEventStore

ISSUE_LINES = [
    '{"eventType": "OrderCreated", "orderId": "123456", "amount": 100, "timestamp": 1628379200}',
    '{"eventType": "OrderPaid", "orderId": "123456", "timestamp": 1628389200}',
    '{"eventType": "RefundCreated", "orderId": "123456", "amount": 50, "timestamp": 1628399200}',
]
# The same events written today: OrderCreated is schema version 2, with the currency its upcaster assumes, and
# money is an exact decimal string (a JSON number reads as a float in most other tools), its digits as they were.
ISSUE_LINES_TODAY = [
    ('{"eventType": "OrderCreated", "orderId": "123456", "amount": "100", "currency": "EUR", "schemaVersion": 2, '
     '"timestamp": 1628379200}'),
    ISSUE_LINES[1],
    '{"eventType": "RefundCreated", "orderId": "123456", "amount": "50", "timestamp": 1628399200}',
]


def recorded_story():
    """A store holding every event type, with all envelope fields filled in."""
    store = InMemoryEventStore(clock=SimulatedClock(step=60), ids=SeededIds(3))
    store.append("order-A", [OrderCreated("A", D("19.99"), "zoë")], correlation_id="c-A", causation_id="m1")
    store.append("order-A", [OrderPaid("A")], correlation_id="c-A", causation_id="m2")
    store.append("order-A", [RefundCreated("A", D("0.10"), "R1", "ein Kratzer — „leider“")],
                 correlation_id="c-A", causation_id="m3")
    store.append("order-A", [RefundPaid("A", "R1")], correlation_id="c-A", causation_id="m4")
    store.append("order-A", [OrderShipped("A")], correlation_id="c-A", causation_id="m5", actor="clerk:ann")
    store.append("order-B", [OrderCreated("B", D("999999999999.99")), OrderCancelled("B", "too slow")],
                 correlation_id="c-B", causation_id="m6", actor="customer")
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
    assert (state.amount, state.paid, state.refunds_requested) == (D(100), D(100), D(50))


def test_the_issue_lines_are_written_back_in_todays_shape(tmp_path):
    path = tmp_path / "issue.jsonl"
    path.write_text("\n".join(ISSUE_LINES) + "\n", encoding="utf-8")
    events = read_jsonl(path)
    assert [to_json(e) for e in events] == ISSUE_LINES_TODAY
    write_jsonl(events, tmp_path / "again.jsonl")
    assert read_jsonl(tmp_path / "again.jsonl") == events
    assert path.read_text(encoding="utf-8") == "\n".join(ISSUE_LINES) + "\n"  # the old file is never rewritten


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
                back.causation_id, back.actor) == (original.recorded_at, original.event_id, original.version,
                                                   original.position, original.correlation_id,
                                                   original.causation_id, original.actor)
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
    assert keys == {"eventType", "schemaVersion", "orderId", "customerId", "refundId", "amount", "currency",
                    "reason", "timestamp",
                    "eventId", "streamId", "version", "position", "correlationId", "causationId", "actor"}


def test_amounts_are_written_as_exact_decimal_strings_and_read_from_strings_or_numbers():
    """Failed before: money was written as a JSON number, which most JSON readers turn into a float."""
    line = to_json(recorded_story().read_all()[-2])
    assert '"amount": "999999999999.99",' in line       # a string: every digit kept, by any reader
    assert float("999999999999.99") != D("999999999999.99")  # a reader that made a float of it would lose some
    assert json.loads(line)["amount"] == "999999999999.99"    # as plain json reads it
    assert loads(line).event.amount == D("999999999999.99")
    for written in ('0.10', '"0.10"'):  # a number, as the seed and logs written before hold it, or a string
        cents = loads(f'{{"eventType": "RefundCreated", "orderId": "1", "amount": {written}, "timestamp": 0}}')
        assert cents.event.amount == D("0.10") and type(cents.event.amount) is D
        assert '"amount": "0.10"' in to_json(cents)


@pytest.mark.parametrize("text", ["1e3", " 5", "5 ", "NaN", "Infinity", "0x10", "1,000.00", "", "5.", ".5", "+5"])
def test_money_as_a_string_is_plain_decimal_digits(text):
    with pytest.raises(EventFormatError, match=r"field 'amount': must be a decimal string such as \"10.00\""):
        loads(f'{{"eventType": "RefundCreated", "orderId": "1", "amount": "{text}", "timestamp": 0}}')


def test_a_logged_event_is_written_like_a_recorded_one():
    recorded = recorded_story().read_all()[2]
    logged = LoggedEvent(recorded.event, recorded.recorded_at, recorded.event_id, recorded.version,
                         recorded.position, recorded.correlation_id, recorded.causation_id, recorded.actor,
                         stream_id=recorded.stream_id)
    assert to_json(logged) == to_json(recorded)
    assert loads(to_json(recorded)).stream_id == "order-A"


def valid_id(text: str) -> bool:
    try:
        return check_id(text) == text
    except ValueError:
        return False


amounts = st.decimals(min_value=-MAX_AMOUNT, max_value=MAX_AMOUNT, places=2)
ids = st.text(min_size=1, max_size=MAX_ID_LENGTH).filter(valid_id)
optional_id = st.none() | ids
optional_text = st.none() | st.text(max_size=20).filter(str.isprintable)
any_event = st.one_of(
    st.builds(OrderCreated, ids, amounts, optional_id),
    st.builds(OrderPaid, ids),
    st.builds(RefundCreated, ids, amounts, optional_id, optional_text),
    st.builds(RefundPaid, ids, optional_id),
    st.builds(OrderCancelled, ids, optional_text),
    st.builds(OrderShipped, ids),
)


@settings(max_examples=150, deadline=None)
@given(event=any_event, timestamp=st.integers(0, MAX_TIMESTAMP), version=st.none() | st.integers(1, MAX_COUNTER),
       correlation=st.none() | ids, actor=st.none() | ids)
def test_round_trip_of_any_event(event, timestamp, version, correlation, actor):
    logged = LoggedEvent(event, timestamp, version=version, correlation_id=correlation, actor=actor)
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
    ("amount not a number", '{"eventType": "OrderCreated", "orderId": "1", "amount": "five", "timestamp": 1}',
     "amount", "must be a decimal string such as \"10.00\" (or a number), not 'five'"),
    ("amount true", '{"eventType": "OrderCreated", "orderId": "1", "amount": true, "timestamp": 1}',
     "amount", "must be a decimal string such as \"10.00\" (or a number), not true/false"),
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
     "amount", "1.234 has digits below the cent"),
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
    assert str(caught.value) == "OrderCreated: field 'amount': 1.234 has digits below the cent"


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


# --- hostile input: always an EventFormatError with the line, never anything else --------------

def paid_at(timestamp: str) -> str:
    return f'{{"eventType": "OrderPaid", "orderId": "1", "timestamp": {timestamp}}}'


# (name, bad line, field the error must name or None, words the message must contain)
HOSTILE_LINES = [
    ("100,000 nested brackets", "[" * 100_000 + "]" * 100_000, None, "not valid JSON (nested too deeply)"),
    ("an integer of 5,000 digits", paid_at("9" * 5000), None, "not valid JSON (Exceeds the limit"),
    ("an exponent Decimal cannot hold", paid_at("1e99999999999999999999"), None,
     "a number beyond what Decimal can hold"),
    ("timestamp 1e20", paid_at("1e20"), "timestamp", "must be a whole number (digits only), not 1E+20"),
    ("timestamp 10**20", paid_at(str(10**20)), "timestamp", "100000000000000000000 is out of range"),
    ("timestamp before 1970", paid_at("-1"), "timestamp", "-1 is out of range: a time is from 0 (1970-01-01)"),
    ("timestamp after 2199", paid_at(str(MAX_TIMESTAMP + 1)), "timestamp", "to 7258118399 (2199-12-31"),
    ("amount 1e30", '{"eventType": "OrderCreated", "orderId": "1", "amount": 1e30, "timestamp": 1}', "amount",
     "is more than the most an amount can be, 1,000,000,000,000"),
    ("amount of 31 digits", '{"eventType": "OrderCreated", "orderId": "1", "amount": %s, "timestamp": 1}'
     % (10**30), "amount", "1e+30 is more than the most an amount can be, 1,000,000,000,000"),
    ("amount 1e1000000", '{"eventType": "OrderCreated", "orderId": "1", "amount": 1e1000000, "timestamp": 1}',
     "amount", "1e+1000000 is more than the most"),
    ("version 0", paid_at('1, "version": 0'), "version", "0 is out of range: it counts from 1"),
    ("position 2**63", paid_at(f'1, "position": {2**63}'), "position", "out of range"),
    ("empty order id", '{"eventType": "OrderPaid", "orderId": "", "timestamp": 1}', "orderId", "is empty"),
    ("order id with a space at the end", '{"eventType": "OrderPaid", "orderId": "7 ", "timestamp": 1}',
     "orderId", "starts or ends with a space"),
    ("order id with a control character", '{"eventType": "OrderPaid", "orderId": "7\\u0000", "timestamp": 1}',
     "orderId", "control character"),
    ("an absurdly long order id", '{"eventType": "OrderPaid", "orderId": "%s", "timestamp": 1}' % ("7" * 10_000),
     "orderId", "10000 characters long"),
    ("empty event id", paid_at('1, "eventId": ""'), "eventId", "is empty"),
    ("causation id a number", paid_at('1, "causationId": 7'), "causationId", "must be a string, not a whole number"),
    ("actor with a newline", paid_at('1, "actor": "ann\\n"'), "actor", "ann"),
    ("a field name of 100,000 characters", paid_at('1, "%s": 1' % ("x" * 100_000)), "x" * 100_000,
     "is not a field of this event type"),
    ("a field written twice", paid_at('1, "orderId": "2"'), "orderId", "appears twice"),
    ("100,000 keys, the last one written before",
     paid_at("1, " + ", ".join(f'"k{i}": 1' for i in range(100_000)) + ', "k0": 2'), "k0", "appears twice"),
]


@pytest.mark.parametrize("bad, field, words", [c[1:] for c in HOSTILE_LINES], ids=[c[0] for c in HOSTILE_LINES])
def test_hostile_input_is_one_short_error_naming_line_and_field(bad, field, words):
    with pytest.raises(EventFormatError) as caught:
        read_jsonl([GOOD, bad])
    error = caught.value
    assert error.line == 2 and str(error).startswith("line 2: ")
    assert error.field == field
    assert words in str(error)
    assert len(str(error)) < 300 and "\n" not in str(error)


def test_the_time_bounds_are_inclusive():
    assert loads(paid_at("0")).recorded_at == 0
    assert loads(paid_at(str(MAX_TIMESTAMP))).recorded_at == MAX_TIMESTAMP
    from eventsim.clock import to_datetime
    assert to_datetime(MAX_TIMESTAMP).isoformat() == "2199-12-31T23:59:59+00:00"


def test_the_largest_amount_is_read_exactly():
    line = ('{"eventType": "OrderCreated", "orderId": "1", "amount": "1000000000000.00", "currency": "EUR", '
            '"schemaVersion": 2, "timestamp": 1}')
    assert loads(line).event.amount == MAX_AMOUNT
    assert to_json(loads(line)) == line
    assert loads(line.replace('"1000000000000.00"', "1000000000000.00")).event.amount == MAX_AMOUNT


# --- one reader for files, bytes and lines ------------------------------------------------

SEED = "\n".join(ISSUE_LINES) + "\n"


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
@pytest.mark.parametrize("bom", [b"", b"\xef\xbb\xbf"])
def test_a_file_reads_with_any_line_ending_and_an_optional_bom(newline, bom, tmp_path):
    path = tmp_path / "seed.jsonl"
    path.write_bytes(bom + SEED.replace("\n", newline).encode())
    logged = read_jsonl(path)
    assert [to_json(e) for e in logged] == ISSUE_LINES_TODAY
    assert [e.line for e in logged] == [1, 2, 3]
    assert read_jsonl(path.read_bytes()) == logged
    assert read_jsonl(str(path)) == logged


def test_a_bom_is_accepted_on_the_first_of_the_lines_given():
    assert read_jsonl(["\ufeff" + ISSUE_LINES[0]]) == [loads(ISSUE_LINES[0])]
    with pytest.raises(EventFormatError, match="line 2: not valid JSON"):  # only a file starts with one
        read_jsonl([ISSUE_LINES[0], "\ufeff" + ISSUE_LINES[1]])


@pytest.mark.parametrize("newline", [b"\n", b"\r\n", b"\r"])
def test_a_byte_that_is_not_utf8_is_named_by_its_line(newline, tmp_path):
    path = tmp_path / "binary.jsonl"
    good = [line.encode() for line in ISSUE_LINES[:2]]
    path.write_bytes(newline.join(good + [b'{"eventType": "Order\xffPaid"}', good[0]]) + newline)
    with pytest.raises(EventFormatError) as caught:
        read_jsonl(path)
    assert str(caught.value) == "line 3: not UTF-8 text (byte 0xff)"


@pytest.mark.parametrize("as_bytes", [False, True])
def test_the_first_bad_line_is_named_when_a_later_one_is_not_utf8(as_bytes, tmp_path):
    """A file is read in chunks: a bad byte on line 3 must not hide the bad JSON of line 2."""
    data = ISSUE_LINES[0].encode() + b"\n{not json\n" + b'{"eventType": "Order\xffPaid"}\n'
    path = tmp_path / "log.jsonl"
    path.write_bytes(data)
    with pytest.raises(EventFormatError) as caught:
        read_jsonl(data if as_bytes else path)
    assert str(caught.value).startswith("line 2: not valid JSON")


def test_ids_that_lines_repeat_are_shared_and_free_text_is_not(tmp_path):
    """Interned text lives as long as anything uses it (on Python 3.12, as long as the process):
    only ids, which many lines repeat, are shared."""
    line = json.dumps({"eventType": "OrderCancelled", "orderId": "123456", "reason": "changed my mind",
                       "timestamp": 1628379200})
    first, second = read_jsonl([line, line.replace("1628379200", "1628379201")])
    assert first.event.order_id is second.event.order_id
    assert first.event.reason is not second.event.reason


def test_a_line_separator_inside_a_line_does_not_end_it():
    """Only \\n, \\r\\n and \\r end a line: line numbers are the ones an editor shows."""
    data = (ISSUE_LINES[0] + "\n" + '{"eventType": "OrderCancelled", "orderId": "1", "reason": "a\u2028b", '
            '"timestamp": 1}' + "\n" + ISSUE_LINES[1]).encode()
    with pytest.raises(EventFormatError) as caught:
        read_jsonl(data)
    assert caught.value.line == 2 and caught.value.field == "reason"  # refused by the event, on its line


def test_a_missing_file_is_an_os_error(tmp_path):
    with pytest.raises(FileNotFoundError):
        read_jsonl(tmp_path / "missing.jsonl")
    with pytest.raises(IsADirectoryError):
        read_jsonl(tmp_path)


# --- the codec, shared with the stores ---------------------------------------------------

def test_a_payload_is_the_seed_shape_without_type_and_envelope():
    for recorded in recorded_story().read_all():
        payload = event_to_payload(recorded.event)
        assert event_from_payload(recorded.event_type, payload) == recorded.event
        line = json.loads(to_json(recorded))
        assert {k: str(v) if isinstance(v, D) else v for k, v in payload.items()} == {k: v for k, v in line.items() if k not in (
            "eventType", "schemaVersion", "timestamp", "eventId", "streamId", "version", "position", "correlationId",
            "causationId", "actor")}
    payload = event_to_payload(RefundCreated("A", D("0.10"), "R1"))
    assert payload == {"orderId": "A", "refundId": "R1", "amount": D("0.10")}
    assert type(payload["amount"]) is D
    assert payload_json(payload) == '{"orderId": "A", "refundId": "R1", "amount": "0.10"}'


@pytest.mark.parametrize("event_type, payload, field, words", [
    ("OrderLost", {"orderId": "1"}, "eventType", "unknown event type 'OrderLost'"),
    ("OrderPaid", {}, "orderId", "missing"),
    ("OrderPaid", {"orderId": "1", "timestamp": 5}, "timestamp", "is not a field of this event type"),
    ("OrderCreated", {"orderId": "1", "amount": 1.5}, "amount", "(or a number), not float"),
    ("OrderCreated", {"orderId": "1", "amount": D("0.001")}, "amount", "digits below the cent"),
    ("OrderPaid", ["1"], None, "expected an object of fields, got a list"),
])
def test_a_payload_that_makes_no_event_is_refused_like_a_line(event_type, payload, field, words):
    with pytest.raises(EventFormatError) as caught:
        event_from_payload(event_type, payload, line=9)
    assert caught.value.line == 9 and caught.value.field == field and words in str(caught.value)


def test_only_registered_event_types_are_written():
    class Renamed(OrderPaid):  # a subclass has a class name, not a registered name
        pass

    for bad in (Renamed("1"), None, 42, {"orderId": "1"}):
        with pytest.raises(TypeError, match="not a registered event type"):
            event_to_payload(bad)
        with pytest.raises(TypeError, match="not a registered event type"):
            to_json(LoggedEvent(bad, 1))


def test_parse_json_reads_what_a_store_keeps():
    assert parse_json(b'{"amount": 0.10}') == {"amount": D("0.10")}
    with pytest.raises(EventFormatError, match=r"^line 4: not valid JSON \('utf-8' codec can't decode"):
        parse_json(b'{"amount": "\xff"}', line=4)
    with pytest.raises(EventFormatError, match="not valid JSON"):
        parse_json("NaN")


def test_iter_jsonl_reads_each_line_when_it_is_asked_for():
    lines = iter_jsonl([json.dumps({"eventType": "OrderPaid", "orderId": "1", "timestamp": 5}), "{not json"])
    assert next(lines).event == OrderPaid("1")
    with pytest.raises(EventFormatError, match="^line 2: not valid JSON"):
        next(lines)


def test_writing_a_log_keeps_one_line_in_memory_at_a_time(tmp_path):
    import tracemalloc

    from eventsim.shop.simulator import SimulationConfig, simulate

    events = simulate(SimulationConfig(orders=1_000, seed=4)).store.read_all()
    path = tmp_path / "log.jsonl"
    tracemalloc.start()
    try:
        assert write_jsonl(events, path) == len(events)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < path.stat().st_size / 4


def test_each_envelope_field_is_read_into_its_own_attribute():
    """The reader fills LoggedEvent's envelope in field order: six distinct values, each in its place."""
    logged = loads(paid_at('7, "eventId": "e", "version": 2, "position": 3, "correlationId": "c", '
                           '"causationId": "m", "actor": "ann"'), line=4)
    assert (logged.recorded_at, logged.event_id, logged.version, logged.position, logged.correlation_id,
            logged.causation_id, logged.actor, logged.line) == (7, "e", 2, 3, "c", "m", "ann", 4)
    assert loads(paid_at("7")) == LoggedEvent(OrderPaid("1"), 7)  # absent fields are None


@pytest.mark.parametrize("field", ["eventId", "correlationId", "causationId", "actor"])
@pytest.mark.parametrize("value, words", [("7", "must be a string, not a whole number"), ('["a"]', "not a list"),
                                          ('"a\\tb"', "holds a control character"), ('" a"', "starts or ends")])
def test_every_envelope_id_is_checked(field, value, words):
    with pytest.raises(EventFormatError) as caught:
        read_jsonl([GOOD, paid_at(f'1, "{field}": {value}')])
    assert (caught.value.line, caught.value.field) == (2, field) and words in str(caught.value)
