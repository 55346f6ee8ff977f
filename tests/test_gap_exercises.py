"""Exercises 8b.1 and 8b.2: the solutions pass, wrong answers get a hint (not written blind: by the author
of the checks, from the mistakes the notebook's own wrong turns invite)."""
from dataclasses import dataclass
from decimal import Decimal

import pytest

from eventsim import NO_STREAM, ConcurrencyError, OrderCreated, register_event
from eventsim.workbook.database_exercises import LIMIT, check_gap_reader, check_limit_across_streams


@register_event
@dataclass(frozen=True)
class CountedForTest:
    customer_id: str
    order_id: str
    unpaid: int


def verdict(check, *answers, capsys):
    check(*answers)
    return capsys.readouterr().out


@pytest.mark.parametrize("now, later", [([21, 22], [24, 25])])
def test_8b_1_the_solution_passes(now, later, capsys):
    assert verdict(check_gap_reader, now, later, capsys=capsys).startswith("✅")


@pytest.mark.parametrize("now, later, hint", [
    ([21, 22, 24, 25], [], "trusts its checkpoint"),
    ([], [], "first gap"),
    ([21, 22], [23, 24, 25], "no event 23 ever comes"),
    ([21, 22], [21, 22, 24, 25], "applied already"),
    ([21, 22], [], "after the timeout"),
    ((21, 22), [24, 25], "lists of positions"),
])
def test_8b_1_wrong_answers_get_a_hint(now, later, hint, capsys):
    out = verdict(check_gap_reader, now, later, capsys=capsys)
    assert out.startswith("❌") and hint in out


def solution(store, order_id, customer_id):
    customer = f"customer-{customer_id}"
    while True:
        counted = store.read_stream(customer)
        count = counted[-1].event.unpaid if counted else 0
        if count >= LIMIT:
            return False
        try:
            store.append_streams([
                (customer, [CountedForTest(customer_id, order_id, count + 1)], len(counted)),
                (f"order-{order_id}", [OrderCreated(order_id, Decimal("10.00"), customer_id)], NO_STREAM),
            ])
            return True
        except ConcurrencyError:
            continue


def unpaid(store, customer_id):
    return sum(1 for r in store.read_all() if isinstance(r.event, OrderCreated) and r.event.customer_id == customer_id)


def check_then_append(store, order_id, customer_id):
    """Counts, then appends the order alone: both clerks pass the check."""
    if unpaid(store, customer_id) >= LIMIT:
        return False
    store.append(f"order-{order_id}", [OrderCreated(order_id, Decimal("10.00"), customer_id)], NO_STREAM)
    return True


def two_appends(store, order_id, customer_id):
    """The customer's stream at its version, then the order in a second append: the first refuses the loser,
    but a loser that gives up places too few."""
    customer = f"customer-{customer_id}"
    counted = store.read_stream(customer)
    count = counted[-1].event.unpaid if counted else 0
    if count >= LIMIT:
        return False
    try:
        store.append(customer, [CountedForTest(customer_id, order_id, count + 1)], len(counted))
    except ConcurrencyError:
        return False
    store.append(f"order-{order_id}", [OrderCreated(order_id, Decimal("10.00"), customer_id)], NO_STREAM)
    return True


def no_retry(store, order_id, customer_id):
    """One append_streams, but a refused clerk gives up: an order that fitted is never placed."""
    customer = f"customer-{customer_id}"
    counted = store.read_stream(customer)
    count = counted[-1].event.unpaid if counted else 0
    if count >= LIMIT:
        return False
    try:
        store.append_streams([
            (customer, [CountedForTest(customer_id, order_id, count + 1)], len(counted)),
            (f"order-{order_id}", [OrderCreated(order_id, Decimal("10.00"), customer_id)], NO_STREAM),
        ])
    except ConcurrencyError:
        return False
    return True


def lets_it_escape(store, order_id, customer_id):
    """One append_streams with the version read, and the ConcurrencyError left to the caller."""
    customer = f"customer-{customer_id}"
    counted = store.read_stream(customer)
    count = counted[-1].event.unpaid if counted else 0
    if count >= LIMIT:
        return False
    store.append_streams([
        (customer, [CountedForTest(customer_id, order_id, count + 1)], len(counted)),
        (f"order-{order_id}", [OrderCreated(order_id, Decimal("10.00"), customer_id)], NO_STREAM),
    ])
    return True


def any_version(store, order_id, customer_id):
    """One append_streams, but at ANY version of the customer's stream: nothing is checked."""
    from eventsim import ANY

    customer = f"customer-{customer_id}"
    counted = store.read_stream(customer)
    count = counted[-1].event.unpaid if counted else 0
    if count >= LIMIT:
        return False
    store.append_streams([
        (customer, [CountedForTest(customer_id, order_id, count + 1)], ANY),
        (f"order-{order_id}", [OrderCreated(order_id, Decimal("10.00"), customer_id)], NO_STREAM),
    ])
    return True


def test_8b_2_the_solution_passes(capsys):
    assert verdict(check_limit_across_streams, solution, capsys=capsys).startswith("✅")


@pytest.mark.parametrize("wrong, hint", [
    (check_then_append, "more than 2"),
    (two_appends, "read again and decide again"),
    (no_retry, "read again and decide again"),
    (lets_it_escape, "raised ConcurrencyError"),
    (any_version, "more than 2"),
    ("not a function", "should be a function"),
])
def test_8b_2_wrong_answers_get_a_hint(wrong, hint, capsys):
    out = verdict(check_limit_across_streams, wrong, capsys=capsys)
    assert out.startswith("❌") and hint in out, out
