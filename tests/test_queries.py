"""Queries answer from read models only, and cannot write."""
from __future__ import annotations

import copy
import json
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from eventsim.clock import SimulatedClock
from eventsim.projections import INLINE
from eventsim.shop import Shop
from eventsim.shop.commands import ConfirmRefund, PayOrder, PlaceOrder, RequestRefund
from eventsim.shop.order import STATUSES
from eventsim.shop.read_models import (
    DailyRevenue,
    DayRow,
    OrderQueries,
    OrderRow,
    RefundRow,
    ShopReadModels,
)
from eventsim.store import InMemoryEventStore

DAY = 86_400
START = 1_628_380_800  # 2021-08-08 00:00:00 UTC


@pytest.fixture
def shop_and_read_models():
    """Order i (1..4) placed on day i-1 at 10:00 UTC, for 10*i; orders 2 and 3 paid; order 3 partly refunded."""
    clock = SimulatedClock(start=START + 10 * 3600)
    shop = Shop(InMemoryEventStore(clock=clock))
    read_models = ShopReadModels(shop.store, mode=INLINE)
    for i in range(1, 5):
        shop.handle(PlaceOrder(str(i), Decimal(10 * i), f"customer {i}"))
        if i in (2, 3):
            shop.handle(PayOrder(str(i), Decimal(10 * i)))
        if i == 3:
            shop.handle(RequestRefund(str(i), Decimal("7.50"), "late", refund_id="late-3"))
        clock.advance(DAY)
    return shop, read_models


def test_get_one_order_is_json_ready(shop_and_read_models):
    _, read_models = shop_and_read_models
    queries = read_models.queries()
    answer = queries.order("3")
    assert json.loads(json.dumps(answer)) == answer
    assert answer == {
        "orderId": "3", "customerId": "customer 3", "amount": "30.00", "status": "paid, refund requested",
        "paid": "30.00", "refundsRequested": "7.50", "refundsPaid": "0.00", "net": "22.50", "events": 3,
        "lastVersion": 3, "createdAt": "2021-08-10T10:00:00+00:00", "updatedAt": "2021-08-10T10:00:00+00:00",
        "refunds": [{"refundId": "late-3", "amount": "7.50", "reason": "late",
                     "requestedAt": "2021-08-10T10:00:00+00:00", "paidAt": None}],
    }
    assert queries.order("1")["refunds"] == [] and queries.order("1")["status"] == "placed"
    assert queries.order("404") is None


def test_queries_follow_an_inline_read_model(shop_and_read_models):
    shop, read_models = shop_and_read_models
    queries = read_models.queries()
    shop.handle(ConfirmRefund("3", "late-3"))  # recorded on day 4 of the fixture
    assert queries.order("3")["refunds"][0]["paidAt"] == "2021-08-12T10:00:00+00:00"
    assert queries.order("3")["updatedAt"] == "2021-08-12T10:00:00+00:00"
    assert (queries.order("3")["refundsPaid"], queries.order("3")["status"]) == ("7.50", "paid, partially refunded")


def test_orders_by_status(shop_and_read_models):
    _, read_models = shop_and_read_models
    queries = read_models.queries()
    found = {status: queries.orders_by_status(status)["order_id"].tolist() for status in STATUSES}
    assert {status: ids for status, ids in found.items() if ids} == {
        "placed": ["1", "4"], "paid": ["2"], "paid, refund requested": ["3"]}
    assert list(queries.orders_by_status("paid").columns) == list(read_models.orders_frame().columns)
    with pytest.raises(ValueError, match=r"unknown status 'lost'.*placed \| paid \| paid, refund requested"):
        queries.orders_by_status("lost")
    with pytest.raises(ValueError, match="unknown status 'new'"):  # not an order yet: never in a read model
        queries.orders_by_status("new")


@pytest.mark.parametrize("start, end", [
    ("2021-08-09", "2021-08-10"),
    (date(2021, 8, 9), date(2021, 8, 10)),
    (datetime(2021, 8, 9, 23, 59, tzinfo=UTC), datetime(2021, 8, 10)),
    (START + DAY, START + 2 * DAY + DAY - 1),
])
def test_revenue_between_two_days_includes_both(shop_and_read_models, start, end):
    _, read_models = shop_and_read_models
    revenue = read_models.queries().revenue_between(start, end)
    assert revenue["date"].dt.date.tolist() == [date(2021, 8, 9), date(2021, 8, 10)]
    assert revenue["gross_paid"].tolist() == [Decimal(20), Decimal(30)]
    assert sum(revenue["net"], Decimal(0)) == Decimal("50.00")  # the 7.50 refund is not paid out


def test_revenue_between_refuses_a_period_that_ends_before_it_starts(shop_and_read_models):
    _, read_models = shop_and_read_models
    with pytest.raises(ValueError, match="starts on 2021-08-10 after it ends on 2021-08-09"):
        read_models.queries().revenue_between("2021-08-10", "2021-08-09")
    assert len(read_models.queries().revenue_between("2030-01-01", "2030-12-31")) == 0


# --- queries cannot write --------------------------------------------------

READ_MODEL_TYPES = (dict, list, tuple, str, int, bool, Decimal, date, type(None),
                    OrderRow, RefundRow, DayRow, DailyRevenue)


def _reachable(root: object) -> list[object]:
    """Every object the query holds, following data (slots, dicts, sequences), never code."""
    seen, todo, found = set(), [root], []
    while todo:
        obj = todo.pop()
        if id(obj) in seen:
            continue
        seen.add(id(obj))
        found.append(obj)
        if isinstance(obj, dict):
            todo += [*obj.keys(), *obj.values()]
        elif isinstance(obj, (list, tuple)):
            todo += obj
        elif hasattr(type(obj), "__slots__"):
            todo += [getattr(obj, name) for name in type(obj).__slots__ if hasattr(obj, name)]
        if hasattr(obj, "__dict__") and not isinstance(obj, type):
            todo += list(vars(obj).values())
    return found


def test_a_query_object_holds_read_models_and_nothing_else(shop_and_read_models):
    shop, read_models = shop_and_read_models
    queries = read_models.queries()
    held = _reachable(queries)[1:]
    assert held, "found nothing: the walk is broken"
    strangers = {type(obj).__name__ for obj in held if not isinstance(obj, READ_MODEL_TYPES)}
    assert strangers == set(), f"a query can reach {strangers}"
    assert not any(obj is shop or obj is shop.store for obj in held)
    assert not hasattr(queries, "__dict__"), "a query object has no room to be handed a store later"
    public = {name for name in dir(queries) if not name.startswith("_")}
    assert public == {"order", "orders_by_status", "revenue_between"}


def test_the_walk_would_see_a_store_if_a_query_held_one(shop_and_read_models):
    shop, _ = shop_and_read_models
    leaky = OrderQueries({"1": [shop.store]}, {}, DailyRevenue())
    assert any(obj is shop.store for obj in _reachable(leaky))


def test_asking_changes_nothing(shop_and_read_models):
    shop, read_models = shop_and_read_models
    queries = read_models.queries()
    states = [copy.deepcopy(r.state) for r in (read_models.orders, read_models.refunds, read_models.daily_revenue)]
    position = shop.store.last_position
    answer = queries.order("3")
    answer["refunds"].clear()
    answer["status"] = "shipped"
    paid = queries.orders_by_status("paid")
    paid.loc[0, "amount"] = Decimal(0)
    revenue = queries.revenue_between("2021-08-08", "2021-08-11")
    revenue.loc[0, "net"] = Decimal(0)
    assert shop.store.last_position == position
    assert [r.state for r in (read_models.orders, read_models.refunds, read_models.daily_revenue)] == states
    assert queries.order("3")["status"] == "paid, refund requested"
