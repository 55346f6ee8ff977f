"""Queries never write: shown in notebook 5, enforced here.

OrderQueries is given read-model tables only; every public query, called on a
shop with every kind of event, leaves the event store exactly as it was, and
the object holds nothing that could reach a store or a shop.
"""
import inspect
from decimal import Decimal

from eventsim import (
    CancelOrder,
    ConfirmRefund,
    InMemoryEventStore,
    PayOrder,
    PlaceOrder,
    RequestRefund,
    SeededIds,
    ShipOrder,
    Shop,
    SimulatedClock,
)
from eventsim.shop.read_models import OrderQueries, ShopReadModels

ARGUMENTS = {  # sample arguments for each query; a new query must be added here
    "order": [("1",), ("nope",)],
    "orders_by_status": [("paid",), ("cancelled",)],
    "revenue_between": [("2021-08-08", "2021-08-12")],
}


def busy_shop() -> Shop:
    shop = Shop(clock=SimulatedClock(start=1_628_413_200, step=3600), ids=SeededIds(1))
    for order_id in ("1", "2", "3"):
        shop.handle(PlaceOrder(order_id, Decimal("30"), customer_id="ann"))
    shop.handle(PayOrder("1", Decimal("30")))
    shop.handle(PayOrder("2", Decimal("30")))
    shop.handle(RequestRefund("1", Decimal("10")))
    shop.handle(ConfirmRefund("1", "R1"))
    shop.handle(ShipOrder("1"))
    shop.handle(CancelOrder("3"))
    return shop


def public_queries() -> list[str]:
    return [name for name, _ in inspect.getmembers(OrderQueries, inspect.isfunction) if not name.startswith("_")]


def test_every_query_has_sample_arguments():
    assert sorted(public_queries()) == sorted(ARGUMENTS), "add the new query to ARGUMENTS"


def test_every_query_leaves_the_store_unchanged():
    shop = busy_shop()
    models = ShopReadModels(shop.store)
    models.catch_up()
    before = shop.store.read_all()
    queries = models.queries()
    for name in public_queries():
        for args in ARGUMENTS[name]:
            getattr(queries, name)(*args)
            assert shop.store.read_all() == before, f"{name}{args} changed the event store"
    assert len(shop.store) == len(before) and models.lag == 0


def test_queries_hold_no_store_and_no_shop():
    shop = busy_shop()
    models = ShopReadModels(shop.store)
    models.catch_up()
    queries = models.queries()
    held = [getattr(queries, slot) for slot in OrderQueries.__slots__]
    assert not any(isinstance(value, (InMemoryEventStore, Shop, ShopReadModels)) for value in held)
    assert not hasattr(queries, "__dict__"), "no attribute can be added to smuggle a store in"
