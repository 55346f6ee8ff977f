"""Replay: a log is checked line by line against the rules, and kept exactly as it was written."""
import json
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from eventsim.commands import PayOrder, PlaceOrder, RequestRefund, fingerprint
from eventsim.events import (
    OrderCancelled,
    OrderCreated,
    OrderPaid,
    RefundCreated,
    RefundPaid,
)
from eventsim.jsonl import (
    EventFormatError,
    LoggedEvent,
    iter_jsonl,
    payload_json,
    read_jsonl,
    to_json,
    write_jsonl,
)
from eventsim.order import (
    OrderAlreadyCancelled,
    OrderAlreadyPaid,
    OrderNotFound,
    OrderNotPaid,
    RefundExceedsPayment,
    UnknownRefund,
)
from eventsim.replay import ReplayError, replay
from eventsim.shop import CommandIdReused, Shop
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
    assert (state.paid, state.refunds_requested, state.refunds_paid) == (Decimal(100), Decimal(100), Decimal(50))
    assert state.status == "paid, refund requested"


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


def test_a_version_out_of_place_is_reported():
    with pytest.raises(ReplayError, match="line 2: OrderPaid: version 3, but it is event 2 of its stream "):
        replay_lines(line("OrderCreated", amount=100), line("OrderPaid", version=3))


def test_a_missing_line_is_reported_by_the_version_of_the_next():
    with pytest.raises(ReplayError, match="line 1: OrderPaid: version 2, but it is event 1 of its stream "
                                          r"\(is a line missing"):
        replay_lines(line("OrderPaid", version=2))


def test_positions_may_have_gaps_but_never_go_back():
    """A database's positions may have gaps (PostgreSQL sequences do): only their order is checked."""
    shop = replay_lines(line("OrderCreated", amount=100, position=3), line("OrderPaid", position=7))
    assert [r.position for r in shop.store.read_all()] == [1, 2]  # this store numbers them without gaps
    with pytest.raises(ReplayError, match="line 2: OrderPaid: position 3, but line 1 has position 3: "
                                          "positions only increase"):
        replay_lines(line("OrderCreated", amount=100, position=3), line("OrderPaid", position=3))


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


# --- the log is checked as the store checks an append -----------------------------------------

def test_an_event_id_used_twice_is_refused_naming_both_lines():
    with pytest.raises(ReplayError) as caught:
        replay_lines(line("OrderCreated", "A", amount=5, eventId="e1"), line("OrderCreated", "B", amount=5),
                     line("OrderPaid", "A", eventId="e1"))
    assert str(caught.value) == ("line 3: OrderPaid: event id 'e1' is the id of line 1 too: "
                                 "an event id names one event")


def test_time_going_backwards_is_refused():
    with pytest.raises(ReplayError) as caught:
        replay_lines(line("OrderCreated", "A", amount=5, timestamp=T + 10), line("OrderCreated", "B", amount=5))
    assert str(caught.value) == (f"line 2: OrderCreated: timestamp {T} is earlier than line 1's {T + 10}: "
                                 f"a log lists events in the order they were recorded")


def test_events_that_share_a_second_are_fine():
    shop = replay_lines(line("OrderCreated", "A", amount=5), line("OrderCreated", "B", amount=5))
    assert [r.recorded_at for r in shop.store.read_all()] == [T, T]


def test_the_first_broken_line_is_reported_even_when_a_later_line_is_broken_too():
    with pytest.raises(ReplayError, match="line 1: OrderPaid: order 123456: no such order"):
        replay_lines(line("OrderPaid", timestamp=T + 60), line("OrderCreated", amount=5, timestamp=T))


# --- ids derived from the log ---------------------------------------------------------------

LOG_A = [line("OrderCreated", "A", amount=5), line("OrderPaid", "A", timestamp=T + 1)]
LOG_B = [line("OrderCreated", "B", amount=5), line("OrderPaid", "B", timestamp=T + 1)]


def ids_of(shop: Shop) -> list[str]:
    return [i for r in shop.store.read_all() for i in (r.event_id, r.causation_id)]


def test_a_log_without_ids_gets_the_same_ids_every_time_and_another_log_other_ids():
    ids_a = ids_of(replay_lines(*LOG_A))
    assert ids_of(replay_lines(*LOG_A)) == ids_a
    assert len(set(ids_a)) == 4
    ids_b = ids_of(replay_lines(*LOG_B))
    assert not set(ids_a) & set(ids_b)
    changed = ids_of(replay_lines(LOG_A[0], LOG_A[1].replace(f"{T + 1}", f"{T + 2}")))
    assert changed[:2] == ids_a[:2] and not set(changed[2:]) & set(ids_a)  # from the first change on


def test_two_replayed_logs_merge_without_clashing_ids():
    exported = [to_json(r) for log in (LOG_A, LOG_B) for r in replay_lines(*log).store.read_all()]
    merged = sorted(exported, key=lambda text: json.loads(text)["timestamp"])  # both logs, in time order
    merged = [json.dumps({k: v for k, v in json.loads(text).items() if k not in ("version", "position")})
              for text in merged]
    shop = replay_lines(*merged)
    assert len(shop.store) == 4 and len(set(ids_of(shop))) == 8


def test_a_replayed_shop_goes_on_with_ids_of_its_own_the_same_every_time():
    first = replay_lines(*LOG_A).handle(PlaceOrder("C", Decimal(5)))[0]
    again = replay_lines(*LOG_A).handle(PlaceOrder("C", Decimal(5)))[0]
    assert (first.event_id, first.causation_id) == (again.event_id, again.causation_id)
    assert not {first.event_id, first.causation_id} & set(ids_of(replay_lines(*LOG_A)))


# --- one write path: Shop.handle -----------------------------------------------------------

def test_each_command_of_the_log_goes_through_shop_handle(monkeypatch):
    handled = []
    handle = Shop.handle

    def spy(shop, command, **options):
        handled.append((command, options))
        return handle(shop, command, **options)

    monkeypatch.setattr(Shop, "handle", spy)
    replay_lines(
        line("OrderCreated", amount=100, causationId="c1", correlationId="k", actor="customer"),
        line("OrderPaid", causationId="c2", correlationId="k", actor="customer"),
        line("RefundCreated", amount=100, refundId="R1", reason="order cancelled", causationId="c3",
             actor="clerk:ann"),
        line("OrderCancelled", reason="changed my mind", causationId="c3", actor="clerk:ann"),
    )
    assert [type(command).__name__ for command, _ in handled] == ["PlaceOrder", "PayOrder", "CancelOrder"]
    assert [command.command_id for command, _ in handled] == ["c1", "c2", "c3"]
    assert handled[2][0].reason == "changed my mind"
    assert [options["actor"] for _, options in handled] == ["customer", "customer", "clerk:ann"]
    assert [options["correlation_id"] for _, options in handled] == ["k", "k", None]


def test_lines_without_a_causation_id_are_a_command_each(monkeypatch):
    handled = []
    monkeypatch.setattr(Shop, "handle", lambda shop, command, handle=Shop.handle, **options:
                        handled.append(command) or handle(shop, command, **options))
    replay_lines(line("OrderCreated", amount=100), line("OrderPaid"),
                 line("RefundCreated", amount=100, reason="order cancelled"), line("OrderCancelled"))
    assert [type(c).__name__ for c in handled] == ["PlaceOrder", "PayOrder", "RequestRefund", "CancelOrder"]
    assert len({c.command_id for c in handled}) == 4


def test_a_replayed_store_keeps_each_command_record_so_retries_are_recognised():
    shop = replay_lines(line("OrderCreated", amount=100, causationId="c1"), line("OrderPaid", causationId="c2"),
                        line("RefundCreated", amount=5, refundId="R1", causationId="c3"))
    record = shop.store.command_record("c3")
    assert record.fingerprint == fingerprint(RequestRefund("123456", Decimal(5), None, "R1"))
    assert (record.stream_id, record.first_version, record.last_version) == ("order-123456", 3, 3)
    retry = shop.handle(RequestRefund("123456", Decimal(5), None, "R1", command_id="c3"))
    assert retry == shop.store.read_all()[2:] and len(shop.store) == 3
    with pytest.raises(CommandIdReused):
        shop.handle(RequestRefund("123456", Decimal(9), None, "R2", command_id="c3"))


def test_actor_correlation_and_causation_are_kept_and_written_back_unchanged():
    lines = [
        line("OrderCreated", amount=100, eventId="e1", version=1, position=1, correlationId="k", causationId="c1",
             actor="customer"),
        line("OrderPaid", eventId="e2", version=2, position=2, correlationId="k", causationId="c2",
             actor="clerk:ann"),
    ]
    lines = [to_json(logged) for logged in read_jsonl(lines)]  # the writer's key order
    assert [to_json(r) for r in replay_lines(*lines).store.read_all()] == lines


def test_a_store_log_replays_to_the_same_envelopes():
    store = simulate(SimulationConfig(orders=60, seed=3)).store
    again = replay(store.read_all()).store.read_all()
    assert [to_json(r) for r in again] == [to_json(r) for r in store.read_all()]


def test_the_seed_lines_load_as_they_stand():
    """The three lines of the seed: same events, same times, same order; the rules add only
    the refund id the line left out."""
    seed = [line("OrderCreated", amount=100, timestamp=1628379200), line("OrderPaid", timestamp=1628389200),
            line("RefundCreated", amount=50, timestamp=1628399200)]
    log = replay_lines(*seed).store.read_all()
    assert [r.event for r in log] == [OrderCreated("123456", Decimal(100)), OrderPaid("123456"),
                                      RefundCreated("123456", Decimal(50), "R1")]
    assert [r.recorded_at for r in log] == [1628379200, 1628389200, 1628399200]


# --- a command's lines --------------------------------------------------------------------

@pytest.mark.parametrize("lines, bad_line, words", [
    ([line("OrderCreated", amount=100, causationId="c1"), line("OrderPaid", causationId="c1")], 2,
     "OrderPaid: lines 1-2 share causation id 'c1', so they are one PayOrder, which the rules refuse: order 123456: no such order"),
    ([line("OrderCreated", amount=100), line("OrderPaid"),
      line("RefundCreated", amount=100, refundId="R1", reason="order cancelled", causationId="c3"),
      line("OrderCancelled", causationId="c3", timestamp=T + 1)], 4,
     f"OrderCancelled: timestamp {T + 1}, but line 3 of the same command ('c3') has {T}"),
    ([line("OrderCreated", amount=100), line("OrderPaid"),
      line("RefundCreated", amount=100, refundId="R1", reason="order cancelled", causationId="c3"),
      line("OrderCancelled", causationId="c3", actor="clerk:ann")], 4,
     "OrderCancelled: actor 'clerk:ann', but line 3 of the same command ('c3') has None"),
    ([line("OrderCreated", amount=100, causationId="c1"), line("OrderCreated", "B", amount=5),
      line("OrderPaid", causationId="c1")], 3,
     "OrderPaid: causation id 'c1' is the command of line 1 too: a command records its events together, once"),
    ([line("OrderCreated", amount=100, causationId="c1"), line("OrderCreated", "B", amount=5, causationId="c1")],
     2, "causation id 'c1' is the command of line 1 too"),
    ([line("OrderCreated", amount=100), line("OrderPaid"),
      line("RefundCreated", amount=60, refundId="R1", reason="order cancelled", causationId="c3"),
      line("OrderCancelled", causationId="c3")], 3,
     "RefundCreated: the rules record amount 100, the line has 60"),
    ([line("OrderCreated", amount=100), line("RefundPaid")], 2, UnknownRefund.rule),
])
def test_lines_that_are_not_one_command_are_refused(lines, bad_line, words):
    with pytest.raises(ReplayError) as caught:
        replay_lines(*lines)
    assert caught.value.line == bad_line
    assert str(caught.value).startswith(f"line {bad_line}: ") and words in str(caught.value)


# --- any edit of a good log: accepted as a whole, or refused at a line -----------------------------

SMALL_LOG = [to_json(r) for r in simulate(SimulationConfig(orders=12, days=1, seed=11)).store.read_all()]
JSON_VALUES = st.decimals(allow_nan=False, allow_infinity=False) | st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=5)


@st.composite
def edited_logs(draw):
    lines = list(SMALL_LOG)
    for _ in range(draw(st.integers(1, 3))):
        at = draw(st.integers(0, len(lines) - 1))
        edit = draw(st.sampled_from(["drop", "copy", "swap", "field", "drop field", "text"]))
        if edit == "drop":
            del lines[at]
        elif edit == "copy":
            lines.insert(draw(st.integers(0, len(lines))), lines[at])
        elif edit == "swap":
            other = draw(st.integers(0, len(lines) - 1))
            lines[at], lines[other] = lines[other], lines[at]
        elif edit == "text":
            lines[at] = draw(st.text(max_size=30))
        elif lines[at] in SMALL_LOG:  # a line still as written: change one of its fields
            obj = json.loads(lines[at], parse_float=Decimal)
            name = draw(st.sampled_from(sorted(obj) + ["extra"]))
            if edit == "drop field":
                obj.pop(name, None)
            else:
                obj[name] = draw(JSON_VALUES)
            lines[at] = payload_json(obj)
    return lines


@settings(max_examples=150, deadline=None)
@given(lines=edited_logs())
def test_an_edited_log_is_accepted_whole_or_refused_at_a_line(lines):
    try:
        shop = replay(read_jsonl("\n".join(lines).encode()))
    except (EventFormatError, ReplayError) as error:
        assert 1 <= error.line <= len(lines)
        assert str(error).startswith(f"line {error.line}: ") and "\n" not in str(error)
    else:
        again = [to_json(r) for r in shop.store.read_all()]
        assert len(again) == sum(1 for text in lines if text.strip())
        assert len({r.event_id for r in shop.store.read_all()}) == len(again)


def test_replay_time_grows_linearly_with_one_stream_length():
    """One order with thousands of refunds, paid out by lines without a refund id (the oldest unpaid
    one each time): eight times the lines take about eight times as long, not sixty-four."""
    import time

    def seconds(refunds: int) -> float:
        log = read_jsonl(
            [line("OrderCreated", amount=100_000), line("OrderPaid")]
            + [line("RefundCreated", amount=1)] * refunds
            + [line("RefundPaid")] * refunds
        )
        best = float("inf")
        for _ in range(3):
            start = time.process_time()
            shop = replay(log)
            best = min(best, time.process_time() - start)
        assert shop.state("123456").refunds_paid == refunds
        return best

    assert seconds(4_000) / seconds(500) < 16  # a baseline of tens of milliseconds: little noise on a busy machine


def test_a_replayed_log_keeps_one_copy_of_each_repeated_id(tmp_path):
    """Memory: text that many lines repeat (an order's id and correlation id, the actor) is kept once."""
    path = tmp_path / "log.jsonl"
    write_jsonl(simulate(SimulationConfig(orders=50, seed=2)).store.read_all(), path)
    log = replay(iter_jsonl(path)).store.read_all()
    for text in (lambda r: r.event.order_id, lambda r: r.correlation_id, lambda r: r.actor):
        assert len({text(r) for r in log}) == len({id(text(r)) for r in log})
