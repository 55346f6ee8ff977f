"""Replay: a log is checked line by line against the rules, and kept exactly as it was written."""
import json
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from eventsim.commands import PayOrder
from eventsim.events import OrderCancelled, OrderCreated, RefundCreated, RefundPaid
from eventsim.jsonl import LoggedEvent, read_jsonl, write_jsonl
from eventsim.order import (OrderAlreadyCancelled, OrderAlreadyPaid, OrderNotFound, OrderNotPaid,
                            RefundExceedsPayment, UnknownRefund)
from eventsim.replay import ReplayError, replay
from eventsim.simulator import SimulationConfig, simulate

T = 1_628_379_200


def line(event_type: str, order_id: str = "123456", timestamp: int = T, **fields) -> str:
    return json.dumps({"eventType": event_type, "orderId": order_id, **fields, "timestamp": timestamp})


def replay_lines(*lines: str):
    return replay(read_jsonl(lines))


def test_a_simulated_log_replays_to_the_same_file_byte_for_byte(tmp_path):
    original, again = tmp_path / "original.jsonl", tmp_path / "again.jsonl"
    write_jsonl(simulate(SimulationConfig(orders=300, seed=7)).store.read_all(), original)
    write_jsonl(replay(read_jsonl(original)).store.read_all(), again)
    assert again.read_bytes() == original.read_bytes()


def test_seed_style_lines_get_ids_versions_and_positions_in_file_order():
    shop = replay_lines(
        line("OrderCreated", amount=100, timestamp=T),
        line("OrderPaid", timestamp=T + 10),
        line("RefundCreated", amount=50, timestamp=T + 20),
        line("RefundCreated", amount=50, timestamp=T + 30),
        line("RefundPaid", timestamp=T + 40),
    )
    log = shop.store.read_all()
    assert [(r.position, r.version) for r in log] == [(n, n) for n in range(1, 6)]
    assert [r.recorded_at for r in log] == [T, T + 10, T + 20, T + 30, T + 40]
    assert len({r.event_id for r in log}) == 5
    assert [r.event.refund_id for r in log[2:4]] == ["R1", "R2"]  # as the rules name them
    assert log[4].event == RefundPaid("123456", "R1")  # no refund id: the oldest unpaid refund
    state = shop.state("123456")
    assert (state.paid, state.refunded, state.status) == (Decimal(100), Decimal(100), "refunded")


def test_the_replayed_shop_goes_on_from_the_last_line_time():
    shop = replay_lines(line("OrderCreated", amount=100, timestamp=T + 99))
    assert shop.store.read_all()[-1].recorded_at == T + 99
    assert shop.handle(PayOrder("123456", Decimal(100)))[0].recorded_at == T + 99


def test_a_cancellation_recorded_as_two_lines_replays():
    """Cancelling a paid order records RefundCreated and OrderCancelled under one causation id."""
    shop = replay_lines(
        line("OrderCreated", amount=100, causationId="c1"),
        line("OrderPaid", causationId="c2"),
        line("RefundCreated", amount=100, refundId="R1", reason="order cancelled", causationId="c3"),
        line("OrderCancelled", causationId="c3"),
    )
    assert [type(r.event) for r in shop.store.read_all()[2:]] == [RefundCreated, OrderCancelled]
    assert shop.state("123456").cancelled


def test_a_cancellation_of_a_paid_order_without_its_refund_line_is_refused():
    with pytest.raises(ReplayError) as caught:
        replay_lines(line("OrderCreated", amount=100), line("OrderPaid"), line("OrderCancelled"))
    assert caught.value.line == 3
    assert "RefundCreated and OrderCancelled" in str(caught.value)


@pytest.mark.parametrize("lines, bad_line, rule", [
    ([line("OrderPaid")], 1, OrderNotFound),
    ([line("OrderCreated", amount=100), line("OrderPaid"), line("OrderPaid")], 3, OrderAlreadyPaid),
    ([line("OrderCreated", amount=100), line("RefundCreated", amount=10)], 2, OrderNotPaid),
    ([line("OrderCreated", amount=100), line("OrderPaid"), line("RefundCreated", amount=60),
      line("RefundCreated", amount=41)], 4, RefundExceedsPayment),
    ([line("OrderCreated", amount=100), line("OrderPaid"), line("RefundPaid", refundId="R9")], 3,
     UnknownRefund),
    ([line("OrderCreated", amount=100), line("OrderCancelled"), line("OrderShipped")], 3,
     OrderAlreadyCancelled),
])
def test_an_event_that_breaks_a_rule_is_reported_with_its_line_and_rule(lines, bad_line, rule):
    with pytest.raises(ReplayError) as caught:
        replay_lines(*lines)
    error = caught.value
    assert error.line == bad_line
    assert str(error).startswith(f"line {bad_line}: {json.loads(lines[bad_line - 1])['eventType']}: ")
    assert rule.rule in str(error)


def test_line_numbers_count_blank_lines():
    with pytest.raises(ReplayError) as caught:
        replay_lines(line("OrderCreated", amount=100), "", "   ", line("OrderShipped"))
    assert caught.value.line == 4


@pytest.mark.parametrize("envelope, word", [({"version": 3}, "version 3"), ({"position": 7}, "position 7")])
def test_a_line_out_of_place_is_reported(envelope, word):
    with pytest.raises(ReplayError, match=f"line 2: OrderPaid: {word}, but it is event 2 "):
        replay_lines(line("OrderCreated", amount=100), line("OrderPaid", **envelope))


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**16), pick=st.integers(0, 10**6))
def test_dropping_an_order_creation_is_caught_at_that_order_next_line(seed, pick):
    """Without its OrderCreated line, the first later line of the same order breaks a rule."""
    store = simulate(SimulationConfig(orders=30, days=2, seed=seed)).store
    log = store.read_all()
    droppable = [r for r in log
                 if isinstance(r.event, OrderCreated) and store.stream_version(r.stream_id) > 1]
    dropped = droppable[pick % len(droppable)]
    seed_style = [LoggedEvent(r.event, r.recorded_at) for r in log if r is not dropped]  # no versions
    next_line = 1 + next(n for n, logged in enumerate(seed_style)
                         if logged.event.order_id == dropped.event.order_id)
    with pytest.raises(ReplayError) as caught:
        replay(seed_style)
    assert caught.value.line == next_line
    assert OrderNotFound.rule in str(caught.value)
