"""Self-checking exercises for notebook 10, "Living with events for years".

Like ``eventsim.exercises``: each check prints one line (correct, not yet with
a hint, or not answered yet) and never raises.  Each is written against the
wrong answer people give first: an upcaster that changes its input, a
snapshot used across a change of the state's shape, a "deletion" that leaves
personal data readable.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from decimal import Decimal
from types import MappingProxyType
from typing import Any

from .events import DomainEvent, OrderCreated, OrderPaid, RefundCreated, RefundPaid
from .exercises import _answered, exercise
from .order import fold
from .privacy import InMemoryKeyStore, PersonalData, Vault
from .snapshots import STATE_SCHEMA, Snapshot, state_to_json

__all__ = ["check_forget_customer", "check_snapshot_loader", "check_upcaster"]


@exercise("10.1", "an upcaster that leaves its input alone", shape="a function upcaster(payload) returning a new dict")
def check_upcaster(upcaster: Callable) -> str | None:
    stored = {"orderId": "77", "customerId": "dora", "amount": Decimal("12.50")}
    original = dict(stored)
    result = _answered(upcaster(stored))
    if stored != original:
        return (
            "you changed the payload you were given; it is what the store read, and the next reader "
            "(or a retry) would see your change. Build a new dict: {**payload, ...}."
        )
    if result is stored:
        return "you returned the very dict you were given: return a new one."
    if not isinstance(result, dict):
        return f"an upcaster returns a dict, not {type(result).__name__}."
    if result != {**original, "currency": "EUR"}:
        return f"for {original} expected the same fields plus currency 'EUR', got {result}."
    try:
        upcaster(MappingProxyType(dict(original)))
    except TypeError:
        return "your upcaster fails on a read-only payload: it must not write to its input."
    return None


def _order_events() -> list[Any]:
    return [
        OrderCreated("5", Decimal(40), "eve", "SEK"),
        OrderPaid("5"),
        RefundCreated("5", Decimal(10), "R1"),
        RefundPaid("5", "R1"),
        RefundCreated("5", Decimal(5), "R2"),
    ]


@exercise(
    "10.2", "a snapshot of an older state shape", shape="a function load_order(events, snapshot) returning a state"
)
def check_snapshot_loader(load_order: Callable) -> str | None:
    events = _order_events()
    full = fold(events)
    at3 = fold(events[:3])
    good = Snapshot("order-5", 3, STATE_SCHEMA, state_to_json(at3))
    # Written before OrderState had a currency: it parses, and it is wrong for today's code.
    old = Snapshot("order-5", 3, "1:0123456789ab", state_to_json(dataclasses.replace(at3, currency=None)))
    cases = [("no snapshot", None), ("a snapshot of today's schema", good), ("a snapshot of schema 1", old)]
    for name, snapshot in cases:
        state = _answered(load_order(events, snapshot))
        if state != full:
            hint = (
                "check snapshot.schema against STATE_SCHEMA: a snapshot of another shape must be "
                "ignored and the stream folded from its first event."
                if snapshot is old
                else "start from state_from_json(snapshot.state) and fold only events[snapshot.version:]."
            )
            return f"with {name} you returned {state}, but the full fold gives {full}; {hint}"
    return None


ANN = PersonalData("Ann Example", "ann@example.org", "9 Elm Street")
BEN = PersonalData("Ben Other", "ben@example.org", "3 Oak Road")  # a customer who asked for nothing


@exercise("10.3", "forget a customer", shape="a function forget_customer(vault, read_model, customer_id)")
def check_forget_customer(forget_customer: Callable) -> str | None:
    vault = Vault(InMemoryKeyStore())
    sealed, bens = vault.seal("ann", ANN), vault.seal("ben", BEN)
    events: list[DomainEvent] = [OrderCreated("8", Decimal(20), "ann", personal_data=sealed), OrderPaid("8")]
    read_model = {
        "8": {"customer_id": "ann", "name": ANN.name, "email": ANN.email, "address": ANN.address},
        "9": {"customer_id": "ben", "name": BEN.name, "email": BEN.email, "address": BEN.address},
    }
    bens_row = dict(read_model["9"])
    _answered(forget_customer(vault, read_model, "ann"))
    if vault.open("ben", bens) != BEN or read_model.get("9") != bens_row:
        return (
            "Ben's data went too, and he asked for nothing: forget only this customer "
            "(vault.forget(customer_id), and the read model's rows whose customer_id is theirs)."
        )
    left_in_read_model = [
        v for row in read_model.values() for v in row.values() if v in (ANN.name, ANN.email, ANN.address)
    ]
    if vault.open("ann", sealed) is not None:
        return (
            "the key still opens the sealed data: every copy of the log (exports, backups) can be read. "
            "Delete the key with vault.forget(customer_id)."
        )
    if left_in_read_model:
        return (
            f"the read model still holds {left_in_read_model}: a read model is a copy of the data, "
            "outside the log, and must forget too (drop or blank the customer's rows, or rebuild it)."
        )
    if fold(events).paid != Decimal(20):
        return "the events must still replay: forgetting deletes a key, never an event."
    return None
