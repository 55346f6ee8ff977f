"""Self-checking exercises for notebook 10, "Living with events for years".

Like ``eventsim.workbook.exercises``: each check prints one line (correct, not yet with
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

from ..privacy import InMemoryKeyStore, PersonalData, Vault
from ..shop.events import DomainEvent, OrderCreated, OrderPaid, RefundCreated, RefundPaid
from ..shop.order import STATE_SCHEMA, fold, state_to_json
from ..snapshots import Snapshot
from .exercises import _brief, _call, exercise

__all__ = ["check_forget_customer", "check_snapshot_loader", "check_upcaster"]


_PAYLOADS = (
    {"orderId": "77", "customerId": "dora", "amount": Decimal("12.50")},
    {"orderId": "X-903", "amount": Decimal("0.10"), "customerId": None, "personalData": "pd1.sealed"},
)


@exercise("10.1", "an upcaster that leaves its input alone", shape="a function upcaster(payload) returning a new dict")
def check_upcaster(upcaster: Callable) -> str | None:
    for given in _PAYLOADS:
        stored = dict(given)
        result = _call("upcasting a stored OrderCreated", upcaster, stored, what="your upcaster")
        if stored != given or any(type(stored[k]) is not type(v) for k, v in given.items()):
            return (
                "you changed the payload you were given; it is what the store read, and the next reader "
                "(or a retry) would see your change. Build a new dict: {**payload, ...}."
            )
        if result is stored:
            return "you returned the very dict you were given: return a new one."
        if not isinstance(result, dict):
            return f"an upcaster returns the new payload, a dict, not {_brief(result)}."
        missing = [k for k in given if k not in result]
        if missing:
            return f"the upcast payload lost {', '.join(missing)}: an upcaster keeps every field the event had."
        changed = [k for k, v in given.items() if result[k] != v or type(result[k]) is not type(v)]
        if changed:
            return (
                f"the upcast payload changed {', '.join(changed)}: an upcaster adds what the new version needs and "
                "leaves every other field exactly as stored, of the same type (money stays Decimal, never float)."
            )
        if result.get("currency") != "EUR":
            return "every order written before currencies existed was in euros: add currency 'EUR'."
        if set(result) != {*given, "currency"}:
            extra = sorted(set(result) - {*given, "currency"})
            return (
                f"the upcast payload has fields the new version does not have ({', '.join(extra)}): add only currency."
            )
    try:
        upcaster(MappingProxyType(dict(_PAYLOADS[0])))
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
        RefundPaid("5", "R2"),
        RefundCreated("5", Decimal("2.50"), "R3"),
    ]


def _differs(state: Any, expected: Any) -> str:
    """The names of the state's fields that differ from ``expected``'s (never the values: a state is long)."""
    if not dataclasses.is_dataclass(state) or type(state) is not type(expected):
        return f"you returned a {type(state).__name__}, not an order's state (what fold returns)"
    names = [f.name for f in dataclasses.fields(expected) if getattr(state, f.name) != getattr(expected, f.name)]
    return f"your state's {', '.join(names)} differ{'s' if len(names) == 1 else ''} from the full fold's"


def _snapshot(version: int, schema: str, state: Any) -> Snapshot:
    return Snapshot("order-5", version, schema, state_to_json(state))


@exercise(
    "10.2", "a snapshot of an older state shape", shape="a function load_order(events, snapshot) returning a state"
)
def check_snapshot_loader(load_order: Callable) -> str | None:
    events = _order_events()
    full = fold(events)
    version, fingerprint = STATE_SCHEMA.split(":", 1)
    # A state of the older shape, or of an older meaning: it parses, and it is wrong for today's code.
    older = dataclasses.replace(fold(events[:3]), currency=None, paid=Decimal(0))
    cases = [
        ("no snapshot", None, ""),
        ("a snapshot of today's schema at version 3", _snapshot(3, STATE_SCHEMA, fold(events[:3])), ""),
        ("a snapshot of today's schema at version 5", _snapshot(5, STATE_SCHEMA, fold(events[:5])), ""),
        ("a snapshot of an older schema", _snapshot(3, "1:0123456789ab", older), "both parts"),
        (
            "a snapshot whose explicit version is today's but whose fingerprint is not (a field was added "
            "and no one bumped the version)",
            _snapshot(3, f"{version}:0123456789ab", older),
            "fingerprint",
        ),
        (
            "a snapshot whose fingerprint is today's but whose explicit version is not (what a field means "
            "changed, so the version was bumped by hand)",
            _snapshot(3, f"{int(version) - 1}:{fingerprint}", older),
            "version",
        ),
    ]
    for name, snapshot, part in cases:
        given = list(events)
        state = _call(f"loading with {name}", load_order, given, snapshot, what="load_order")
        if given != events:
            return "load_order changed the list of events it was given: read the events, never change them."
        if state == full:
            continue
        if part == "both parts":
            hint = (
                "compare snapshot.schema with STATE_SCHEMA: a snapshot of another shape must be ignored and the "
                "stream folded from its first event."
            )
        elif part:
            hint = (
                f"the schema has two parts, the explicit version and the fingerprint, and a snapshot is used only "
                f"when the whole of it is today's: you let one through whose {part} differs."
            )
        elif snapshot is None:
            hint = "without a snapshot, fold every event, from the first."
        else:
            hint = "start from state_from_json(snapshot.state) and fold only the events after snapshot.version."
        return f"with {name}, {_differs(state, full)}: {hint}"
    # A snapshot is trusted when its schema is today's: the state must come from it, not from every event.
    # (Its customer_id is one the events do not hold, so a state folded from the first event shows.)
    marked = dataclasses.replace(fold(events[:4]), customer_id="eve, as the snapshot recorded")
    state = _call(
        "loading with a snapshot of today's schema at version 4",
        load_order,
        list(events),
        _snapshot(4, STATE_SCHEMA, marked),
        what="load_order",
    )
    if state != fold(events[4:], marked):
        return (
            "with a snapshot of today's schema your function did not start from it: use it, starting from "
            "state_from_json(snapshot.state), and fold only the events after snapshot.version."
        )
    return None


ANN = PersonalData("Ann Example", "ann@example.org", "9 Elm Street")
BEN = PersonalData("Ben Other", "ben@example.org", "3 Oak Road")  # a customer who asked for nothing
CAT = PersonalData("Cat Third", "cat@mail.example.net", "12 Pine Way")


@exercise("10.3", "forget a customer", shape="a function forget_customer(vault, read_model, customer_id)")
def check_forget_customer(forget_customer: Callable) -> str | None:
    vault = Vault(InMemoryKeyStore())
    sealed, bens = vault.seal("ann", ANN), vault.seal("ben", BEN)
    events: list[DomainEvent] = [OrderCreated("8", Decimal(20), "ann", personal_data=sealed), OrderPaid("8")]
    read_model = {
        "8": {"customer_id": "ann", "name": ANN.name, "email": ANN.email, "address": ANN.address},
        "9": {"customer_id": "ben", "name": BEN.name, "email": BEN.email, "address": BEN.address},
        "11": {"customer_id": "ann", "name": ANN.name, "email": ANN.email, "address": ANN.address},
    }
    bens_row = dict(read_model["9"])
    _call("forgetting customer ann", forget_customer, vault, read_model, "ann", what="forget_customer")
    if vault.open("ben", bens) != BEN or read_model.get("9") != bens_row:
        return (
            "Ben's data went too, and he asked for nothing: forget only this customer "
            "(vault.forget(customer_id), and the personal data in the read model's rows whose customer_id is theirs)."
        )
    left_in_read_model = sorted(
        {k for row in read_model.values() for k, v in row.items() if v in (ANN.name, ANN.email, ANN.address)}
    )
    gone = [order_id for order_id in ("8", "11") if read_model.get(order_id, {}).get("customer_id") != "ann"]
    if gone:
        return (
            f"order {' and '.join(gone)} went from the read model (or lost its customer id): the orders are the "
            "shop's own records (its revenue, its refunds, its tax) and stay, as their events do. Forget the "
            "person, not the orders: blank the name, e-mail and address in the customer's rows."
        )
    if vault.open("ann", sealed) is not None:
        return (
            "the key still opens the sealed data: every copy of the log (exports, backups) can be read. "
            "Delete the key with vault.forget(customer_id)."
        )
    if left_in_read_model:
        return (
            f"the read model still holds the customer's {', '.join(left_in_read_model)}: a read model is a copy "
            "of the data, "
            "outside the log, and must forget too (blank those fields in the customer's rows)."
        )
    if fold(events).paid != Decimal(20):
        return "the events must still replay: forgetting deletes a key, never an event."
    # What is left of a forgotten customer must say nothing about them: the same for every forgotten customer.
    read_model["12"] = {"customer_id": "cat", "name": CAT.name, "email": CAT.email, "address": CAT.address}
    vault.seal("cat", CAT)
    _call("forgetting customer cat", forget_customer, vault, read_model, "cat", what="forget_customer")
    left = {k: v for order_id in ("8", "11") for k, v in read_model.get(order_id, {}).items() if k != "customer_id"}
    cats = {k: v for k, v in read_model.get("12", {}).items() if k != "customer_id"}
    derived = sorted(k for k in left.keys() & cats.keys() if left[k] != cats[k])
    if derived:
        return (
            f"what your function leaves in the {', '.join(derived)} of a forgotten customer differs from one "
            "customer to another, so it still tells something about them (a hash or a mask can be matched "
            "against a guess): blank those fields."
        )
    return None
