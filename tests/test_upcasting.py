"""Schema versions and upcasters: old events read in today's shape; nothing stored is rewritten."""
from decimal import Decimal as D
from types import MappingProxyType

import pytest

from eventsim.copying import copy_log
from eventsim.jsonl import EventFormatError, read_jsonl, to_json
from eventsim.shop.events import EVENT_TYPES, OrderCreated, OrderPaid, RefundCreated
from eventsim.shop.order import fold
from eventsim.shop.upcasting import ASSUMED_CURRENCY, add_currency
from eventsim.upcasting import UPCASTERS, SchemaVersionError, Upcaster, Upcasters, upcast

#: The seed's log, as the issue gives it: three events of order 123456, no currency, no versions.
SEED = (
    '{"eventType": "OrderCreated", "orderId": "123456", "amount": 100, "timestamp": 1628379200}\n'
    '{"eventType": "OrderPaid", "orderId": "123456", "timestamp": 1628389200}\n'
    '{"eventType": "RefundCreated", "orderId": "123456", "amount": 100, "timestamp": 1628399200}\n'
)


def test_the_seed_log_loads_through_the_upcaster_and_stays_unchanged_on_disk(tmp_path):
    path = tmp_path / "seed.jsonl"
    path.write_text(SEED)
    logged = read_jsonl(path)
    assert logged[0].event == OrderCreated("123456", D(100), currency=ASSUMED_CURRENCY)
    assert [e.event for e in logged[1:]] == [OrderPaid("123456"), RefundCreated("123456", D(100))]
    assert path.read_text() == SEED


def test_the_seed_log_replays_to_the_same_state_as_before_currencies():
    store = copy_log(read_jsonl(SEED.splitlines()))
    state = fold(r.event for r in store.read_stream("order-123456"))
    assert (state.order_id, state.amount, state.paid, state.refunds_requested, store.last_position) == \
        ("123456", D(100), D(100), D(100), 3)
    assert state.currency == "EUR"


def test_the_upcaster_does_not_change_its_input_and_says_its_assumption():
    old = {"orderId": "1", "amount": D(5)}
    new = add_currency(MappingProxyType(old))
    assert old == {"orderId": "1", "amount": D(5)}
    assert new == {"orderId": "1", "amount": D(5), "currency": "EUR"}
    assert "assumption" in add_currency.__doc__


def test_a_current_event_is_written_with_its_schema_version_and_read_back_as_it_was():
    class Recorded:
        event = OrderCreated("7", D("1.50"), "ann", "USD")
        recorded_at = 1_700_000_000
    line = to_json(Recorded)
    assert '"schemaVersion": 2' in line and '"currency": "USD"' in line
    assert read_jsonl([line])[0].event == Recorded.event  # USD is kept, not replaced by the assumption


def test_an_event_newer_than_the_code_is_refused_naming_line_field_and_version():
    line = '{"eventType": "OrderCreated", "orderId": "1", "amount": 5, "currency": "EUR", ' \
           '"schemaVersion": 3, "timestamp": 1}'
    with pytest.raises(EventFormatError, match=r"line 1: OrderCreated: field 'schemaVersion': schema version 3 "
                                               r"is newer than this code, which knows up to version 2"):
        read_jsonl([line])


@pytest.mark.parametrize("version", [0, -1, True, "2", 1.5, None])
def test_a_schema_version_that_is_not_a_version_is_refused(version):
    with pytest.raises(SchemaVersionError, match="a schema version is a whole number from 1"):
        upcast("OrderCreated", version, {"orderId": "1", "amount": 5})


def test_types_without_upcasters_are_at_version_1_and_pass_through_untouched():
    assert {name: UPCASTERS.current_version(name) for name in EVENT_TYPES} == {
        **dict.fromkeys(EVENT_TYPES, 1), "OrderCreated": 2}
    payload = {"orderId": "1"}
    assert upcast("OrderPaid", 1, payload) == ("OrderPaid", {"orderId": "1"})
    assert payload == {"orderId": "1"}


def test_an_upcaster_that_mutates_its_input_fails_at_once():
    def sloppy(payload):
        payload["currency"] = "EUR"
        return payload
    chain = Upcasters([Upcaster("OrderCreated", 1, "OrderCreated", 2, sloppy)], {"OrderCreated": 2}, EVENT_TYPES)
    stored = {"orderId": "1", "amount": 5}
    with pytest.raises(TypeError, match="does not support item assignment"):
        chain.upcast("OrderCreated", 1, stored)
    assert stored == {"orderId": "1", "amount": 5}


def test_a_rename_reads_an_old_type_as_a_new_one():
    """The harder case: a type the code no longer has, renamed (and a field renamed with it)."""
    def placed_to_created(p):
        return {"orderId": p["orderId"], "amount": p["total"]}
    chain = UPCASTERS.extended([Upcaster("OrderPlaced", 1, "OrderCreated", 1, placed_to_created)])
    assert chain.upcast("OrderPlaced", 1, {"orderId": "9", "total": 3}) == \
        ("OrderCreated", {"orderId": "9", "amount": 3, "currency": "EUR"})


def test_a_chain_with_a_gap_or_a_duplicate_is_refused_when_it_is_made():
    with pytest.raises(SchemaVersionError, match="OrderCreated: no upcaster reads schema version 2"):
        Upcasters([Upcaster("OrderCreated", 1, "OrderCreated", 2, add_currency)], {"OrderCreated": 3}, EVENT_TYPES)
    step = Upcaster("OrderCreated", 1, "OrderCreated", 2, add_currency)
    with pytest.raises(ValueError, match="two upcasters for OrderCreated version 1"):
        Upcasters([step, step], {"OrderCreated": 2}, EVENT_TYPES)


def test_renaming_the_python_class_orphans_no_stored_event():
    """The stored name is the registered one, not whatever the class is called today."""
    class Recorded:
        event = OrderPaid("5")
        recorded_at = 1
    before = to_json(Recorded)
    OrderPaid.__name__ = OrderPaid.__qualname__ = "PaymentReceived"  # as if renamed in the source
    try:
        assert to_json(Recorded) == before
        assert read_jsonl([before])[0].event == OrderPaid("5")
    finally:
        OrderPaid.__name__ = OrderPaid.__qualname__ = "OrderPaid"


def test_a_current_version_payload_without_its_new_field_is_refused_not_defaulted():
    """The class's default currency is for new orders; it must never stand in for the upcaster."""
    line = '{"eventType": "OrderCreated", "orderId": "1", "amount": 5, "schemaVersion": 2, "timestamp": 1}'
    with pytest.raises(EventFormatError, match="field 'schemaVersion': the payload has no currency, which schema version 2 always has"):
        read_jsonl([line])
