"""Copying a log keeps its events as recorded; checking it against today's rules is another operation.

Replaying means folding: a copy never asks the rules, so a log written under last year's rules (an order
shipped unpaid, cash on delivery) is copied, rebuilt and traced as it stands, while ``check_log`` names
every line today's rules would refuse.
"""
from __future__ import annotations

from decimal import Decimal as D
from functools import partial

import pytest

from eventsim.clock import SimulatedClock
from eventsim.copying import LogError, copy_log
from eventsim.ids import SeededIds
from eventsim.jsonl import read_jsonl, to_json
from eventsim.shop import Shop
from eventsim.shop.commands import PlaceOrder, RequestRefund, ShipOrder
from eventsim.shop.events import OrderCreated, OrderShipped
from eventsim.shop.history import history_jsonl, state_at_version
from eventsim.shop.order import OrderNotPaid, decide, fold
from eventsim.shop.read_models import ShopReadModels
from eventsim.shop.rule_check import check_log
from eventsim.shop.simulator import SimulationConfig, simulate
from eventsim.store import InMemoryEventStore
from eventsim.stores import open_store

T = 1_628_379_200


def line(event_type: str, order_id: str = "123456", t: int = T, **fields) -> str:
    extra = "".join(f', "{k}": {v}' for k, v in fields.items())
    return f'{{"eventType": "{event_type}", "orderId": "{order_id}"{extra}, "timestamp": {t}}}'


CASH_ON_DELIVERY = [line("OrderCreated", amount=100), line("OrderShipped", t=T + 60)]


def test_a_log_last_years_rules_wrote_is_copied_rebuilt_and_traced_and_the_check_names_its_line():
    with pytest.raises(OrderNotPaid):  # today's rules would not ship it
        decide(ShipOrder("123456"), fold([OrderCreated("123456", D(100))]))
    store = copy_log(read_jsonl(CASH_ON_DELIVERY))  # the copy folds the facts
    assert Shop(store).state("123456").status == "shipped"
    assert state_at_version(store, "123456", 1).status == "placed"
    assert history_jsonl(store, "123456").count("\n") == 2
    read_models = ShopReadModels(store)
    read_models.catch_up()
    assert read_models.queries().order("123456")["status"] == "shipped"
    [violation] = check_log(read_jsonl(CASH_ON_DELIVERY))
    assert (violation.line, violation.event_type) == (2, "OrderShipped") and "cannot ship an unpaid order" in str(
        violation)


def test_after_a_rule_change_refolding_succeeds_where_redeciding_fails():
    shop = Shop(clock=SimulatedClock(start=T), ids=SeededIds(1))
    shop.handle(PlaceOrder("7", D("15000")))  # legal before exercise 3.2's limit of 10,000
    log = [to_json(r) for r in shop.store.read_all()]

    def with_a_limit(command, state):
        if isinstance(command, PlaceOrder) and D(command.amount) > 10_000:
            raise ValueError("orders above 10,000 need approval")
        return decide(command, state)

    with pytest.raises(ValueError, match="need approval"):
        with_a_limit(PlaceOrder("7", D("15000")), fold([]))
    assert fold(logged.event for logged in read_jsonl(log)).amount == D("15000")  # the fact still folds


def test_check_names_every_refused_line_and_goes_on_folding_the_facts():
    lines = [line("OrderPaid", t=T), line("OrderCreated", amount=100, t=T + 1), line("OrderShipped", t=T + 2),
             line("OrderPaid", t=T + 3), line("RefundCreated", amount="100.01", t=T + 4),
             line("OrderShipped", "9", t=T + 5)]
    violations = check_log(read_jsonl(lines))
    assert [(v.line, v.event_type) for v in violations] == [
        (1, "OrderPaid"), (3, "OrderShipped"), (5, "RefundCreated"), (6, "OrderShipped")]
    assert "no such order" in violations[0].problem and "more than the" in violations[2].problem


def test_a_log_the_rules_would_decide_has_no_violations():
    log = simulate(SimulationConfig(orders=60, seed=3)).store.read_all()
    assert check_log(log) == []


@pytest.mark.parametrize("kind", ["memory", "sqlite"])
def test_a_copy_keeps_ids_times_streams_correlation_causation_and_actor(kind, tmp_path):
    original = simulate(SimulationConfig(orders=40, seed=2)).store.read_all()
    make = InMemoryEventStore if kind == "memory" else partial(open_store, str(tmp_path / "copy.db"))
    copy = copy_log(read_jsonl([to_json(r) for r in original]), make_store=make)
    assert copy.read_all() == original
    assert [to_json(r) for r in copy.read_all()] == [to_json(r) for r in original]


def test_seed_lines_get_the_same_derived_ids_every_time_and_another_log_other_ids():
    seed = [line("OrderCreated", amount=100), line("OrderPaid", t=T + 1)]
    first, again = copy_log(read_jsonl(seed)), copy_log(read_jsonl(seed))
    other = copy_log(read_jsonl([line("OrderCreated", amount=101), line("OrderPaid", t=T + 1)]))
    assert [r.event_id for r in first.read_all()] == [r.event_id for r in again.read_all()]
    assert not {r.event_id for r in first.read_all()} & {r.event_id for r in other.read_all()}
    assert [(r.stream_id, r.version, r.position) for r in first.read_all()] == [("order-123456", 1, 1),
                                                                               ("order-123456", 2, 2)]


@pytest.mark.parametrize("lines, bad_line, words", [
    ([line("OrderCreated", amount=1, eventId='"e1"'), line("OrderPaid", eventId='"e1"')], 2, "event id 'e1'"),
    ([line("OrderCreated", amount=1, t=T + 5), line("OrderPaid", t=T)], 2, "earlier than line 1"),
    ([line("OrderCreated", amount=1, version=1), line("OrderPaid", version=3)], 2, "version 3"),
    ([line("OrderCreated", amount=1, position=5), line("OrderPaid", position=5)], 2, "positions only increase"),
])
def test_a_line_no_store_could_record_as_it_stands_is_refused_naming_it(lines, bad_line, words):
    with pytest.raises(LogError, match=rf"line {bad_line}: .*{words}"):
        copy_log(read_jsonl(lines))


def test_two_appends_that_share_a_causation_id_are_copied_as_two_appends():
    """Failed before: lines sharing a causation id and a stream were taken for one append, and refused
    when their times or correlation ids differed, though a store records such appends."""
    lines = [line("OrderCreated", amount=1, causationId='"c1"'),
             line("OrderPaid", causationId='"c1"', correlationId='"other"'),
             line("OrderShipped", causationId='"c1"', correlationId='"other"', t=T + 60)]
    copy = copy_log(read_jsonl(lines))
    assert [(r.recorded_at, r.correlation_id, r.causation_id) for r in copy.read_all()] == [
        (T, None, "c1"), (T, "other", "c1"), (T + 60, "other", "c1")]


@pytest.mark.parametrize("versions", [True, False], ids=["lines with versions", "the seed's lines, without"])
def test_a_copy_into_a_store_that_is_not_empty_is_refused_and_keeps_what_was_there(tmp_path, versions):
    """Failed before for the seed's lines: without versions they were appended after what was there."""
    url = str(tmp_path / "full.db")
    open_store(url).append("order-X", [OrderShipped("X")])
    extra = {"version": 1} if versions else {}
    with pytest.raises(ValueError, match="already holds 1 events: a log is copied into an empty store only"):
        copy_log(read_jsonl([line("OrderShipped", "X", **extra)]), make_store=partial(open_store, url))
    assert len(open_store(url).read_all()) == 1


def test_the_copied_shop_goes_on_from_the_log_with_ids_of_its_own():
    store = copy_log(read_jsonl([line("OrderCreated", amount=10), line("OrderPaid", t=T + 1)]))
    recorded = Shop(store).handle(RequestRefund("123456", D(4)))
    assert recorded[0].recorded_at == T + 1 and recorded[0].event_id not in {r.event_id for r in store.read_all()[:2]}
