"""The order decider, rule by rule: given past events, when a command, then new events or an error.

Each row of ``CASES`` is one example of one rule.  The checks at the bottom
make sure that every rule (``OrderError`` subclass), every command and every
event appears in the table, so a new rule cannot slip in untested.
"""
import dataclasses
from decimal import Decimal as D

import pytest
from immutables import Map

from eventsim.money import to_money
from eventsim.shop.commands import CancelOrder, ConfirmRefund, PayOrder, PlaceOrder, RequestRefund, ShipOrder
from eventsim.shop.events import (
    EVENT_TYPES,
    OrderCancelled,
    OrderCreated,
    OrderPaid,
    OrderShipped,
    RefundCreated,
    RefundPaid,
)
from eventsim.shop.order import (
    STATUSES,
    DuplicateRefund,
    InvalidAmount,
    OrderAlreadyCancelled,
    OrderAlreadyPaid,
    OrderAlreadyPlaced,
    OrderAlreadyShipped,
    OrderError,
    OrderFullyRefunded,
    OrderNotFound,
    OrderNotPaid,
    OrderState,
    Refund,
    RefundAlreadyPaid,
    RefundExceedsPayment,
    UnknownRefund,
    WrongPaymentAmount,
    decide,
    evolve,
    fold,
    initial_state,
    order_status,
)

O = "A1"
created = OrderCreated(O, D("30.00"), "alice")
paid = OrderPaid(O)
refund_10 = RefundCreated(O, D("10.00"), "R1", "scratched")
refund_10_paid = RefundPaid(O, "R1")
refund_30 = RefundCreated(O, D("30.00"), "R1")
cancelled = OrderCancelled(O, "changed my mind")
shipped = OrderShipped(O)
cents = [OrderCreated(O, D("0.30")), OrderPaid(O),
         RefundCreated(O, D("0.10"), "R1"), RefundCreated(O, D("0.20"), "R2")]

# (name, given, when, then): ``then`` is a list of events or an OrderError subclass.
CASES = [
    # --- PlaceOrder: an order id is placed once; amounts positive with at most two decimals
    ("place a new order", [], PlaceOrder(O, D("30.00"), "alice"), [created]),
    ("place with an int amount", [], PlaceOrder(O, 30), [OrderCreated(O, D(30))]),
    ("place with a decimal string", [], PlaceOrder(O, "19.99"), [OrderCreated(O, D("19.99"))]),
    ("place twice", [created], PlaceOrder(O, D("5")), OrderAlreadyPlaced),
    ("place again after cancelling", [created, cancelled], PlaceOrder(O, D("5")), OrderAlreadyPlaced),
    ("place for zero", [], PlaceOrder(O, D("0")), InvalidAmount),
    ("place for a negative amount", [], PlaceOrder(O, D("-1.00")), InvalidAmount),
    ("place with three decimals", [], PlaceOrder(O, D("1.234")), InvalidAmount),
    ("place with a float", [], PlaceOrder(O, 19.99), InvalidAmount),
    ("place with a bool", [], PlaceOrder(O, True), InvalidAmount),
    ("place for NaN", [], PlaceOrder(O, D("NaN")), InvalidAmount),
    ("place for infinity", [], PlaceOrder(O, D("Infinity")), InvalidAmount),
    ("place with a non-number", [], PlaceOrder(O, "lots"), InvalidAmount),
    # --- PayOrder: only a placed, unpaid, not-cancelled order, for exactly its amount
    ("pay a placed order", [created], PayOrder(O, D("30.00")), [paid]),
    ("pay the same amount written differently", [created], PayOrder(O, D("30")), [paid]),
    ("pay an order never placed", [], PayOrder(O, D("30.00")), OrderNotFound),
    ("pay a cancelled order", [created, cancelled], PayOrder(O, D("30.00")), OrderAlreadyCancelled),
    ("pay twice", [created, paid], PayOrder(O, D("30.00")), OrderAlreadyPaid),
    ("pay too little", [created], PayOrder(O, D("29.99")), WrongPaymentAmount),
    ("pay too much", [created], PayOrder(O, D("30.01")), WrongPaymentAmount),
    ("pay a float", [created], PayOrder(O, 30.0), InvalidAmount),
    ("pay zero", [created], PayOrder(O, D("0")), InvalidAmount),
    # --- RequestRefund: only a paid order; refunds never add up to more than was paid
    ("refund part of a paid order", [created, paid], RequestRefund(O, D("10.00"), "scratched"),
     [refund_10]),
    ("refund all of a paid order", [created, paid], RequestRefund(O, D("30.00")), [refund_30]),
    ("second refund gets the next id", [created, paid, refund_10], RequestRefund(O, D("5")),
     [RefundCreated(O, D("5"), "R2")]),
    ("refund with a chosen id", [created, paid], RequestRefund(O, D("5"), refund_id="rma-7"),
     [RefundCreated(O, D("5"), "rma-7")]),
    ("default refund id skips one chosen by hand",
     [created, paid, RefundCreated(O, D("5"), "R2")], RequestRefund(O, D("5")),
     [RefundCreated(O, D("5"), "R3")]),
    ("refund after shipping", [created, paid, shipped], RequestRefund(O, D("30.00")), [refund_30]),
    ("0.10 + 0.20 refunds exactly fill 0.30", cents[:3], RequestRefund(O, D("0.20")),
     [RefundCreated(O, D("0.20"), "R2")]),
    ("one cent over 0.10 + 0.20", cents, RequestRefund(O, D("0.01")), RefundExceedsPayment),
    ("refund an order never placed", [], RequestRefund(O, D("1")), OrderNotFound),
    ("refund an unpaid order", [created], RequestRefund(O, D("1")), OrderNotPaid),
    ("refund a cancelled unpaid order", [created, cancelled], RequestRefund(O, D("1")), OrderNotPaid),
    ("refund more than was paid", [created, paid], RequestRefund(O, D("30.01")), RefundExceedsPayment),
    ("refunds adding up to more than was paid", [created, paid, refund_10], RequestRefund(O, D("20.01")),
     RefundExceedsPayment),
    ("refund a cancelled paid order (already refunded by the cancel)",
     [created, paid, RefundCreated(O, D("30.00"), "R1", "order cancelled"), cancelled],
     RequestRefund(O, D("1")), RefundExceedsPayment),
    ("refund id requested twice", [created, paid, refund_10], RequestRefund(O, D("1"), refund_id="R1"),
     DuplicateRefund),
    ("refund a negative amount", [created, paid], RequestRefund(O, D("-5")), InvalidAmount),
    ("refund with three decimals", [created, paid], RequestRefund(O, D("0.001")), InvalidAmount),
    # --- ConfirmRefund: only a refund that was requested and not yet confirmed
    ("confirm a requested refund", [created, paid, refund_10], ConfirmRefund(O, "R1"), [refund_10_paid]),
    ("confirm a refund never requested", [created, paid, refund_10], ConfirmRefund(O, "R9"),
     UnknownRefund),
    ("confirm a refund twice", [created, paid, refund_10, refund_10_paid], ConfirmRefund(O, "R1"),
     RefundAlreadyPaid),
    ("confirm on an order never placed", [], ConfirmRefund(O, "R1"), OrderNotFound),
    # --- CancelOrder: only before shipping; a paid order is refunded what was not yet refunded
    ("cancel an unpaid order", [created], CancelOrder(O, "changed my mind"), [cancelled]),
    ("cancel a paid order", [created, paid], CancelOrder(O, "changed my mind"),
     [RefundCreated(O, D("30.00"), "R1", "order cancelled"), cancelled]),
    ("cancel a partly refunded order", [created, paid, refund_10], CancelOrder(O),
     [RefundCreated(O, D("20.00"), "R2", "order cancelled"), OrderCancelled(O)]),
    ("cancel a fully refunded order", [created, paid, refund_30], CancelOrder(O), [OrderCancelled(O)]),
    ("cancel's refund id skips one chosen by hand", [created, paid, RefundCreated(O, D("5"), "R2")],
     CancelOrder(O), [RefundCreated(O, D("25.00"), "R3", "order cancelled"), OrderCancelled(O)]),
    ("cancel a shipped order", [created, paid, shipped], CancelOrder(O), OrderAlreadyShipped),
    ("cancel twice", [created, cancelled], CancelOrder(O), OrderAlreadyCancelled),
    ("cancel an order never placed", [], CancelOrder(O), OrderNotFound),
    # --- ShipOrder: only a paid, not-cancelled, not fully refunded order, once
    ("ship a paid order", [created, paid], ShipOrder(O), [shipped]),
    ("ship a partly refunded order", [created, paid, refund_10, refund_10_paid], ShipOrder(O), [shipped]),
    ("ship an order never placed", [], ShipOrder(O), OrderNotFound),
    ("ship an unpaid order", [created], ShipOrder(O), OrderNotPaid),
    ("ship a cancelled order", [created, paid, RefundCreated(O, D("30.00"), "R1"), cancelled],
     ShipOrder(O), OrderAlreadyCancelled),
    ("ship twice", [created, paid, shipped], ShipOrder(O), OrderAlreadyShipped),
    ("ship a fully refunded order", [created, paid, refund_30], ShipOrder(O), OrderFullyRefunded),
    ("ship after 0.10 + 0.20 refunded all of 0.30", cents, ShipOrder(O), OrderFullyRefunded),
]


def is_error(then):
    return isinstance(then, type) and issubclass(then, OrderError)


@pytest.mark.parametrize("given, when, then", [case[1:] for case in CASES], ids=[case[0] for case in CASES])
def test_decide(given, when, then):
    state = fold(given)
    if is_error(then):
        with pytest.raises(OrderError) as caught:
            decide(when, state)
        assert type(caught.value) is then
        message = str(caught.value)
        assert O in message, f"the message does not name the order: {message}"
        assert then.rule in message, f"the message does not name the rule: {message}"
        assert caught.value.order_id == O
    else:
        events = decide(when, state)
        assert events == then
        assert all(type(e.amount) is D for e in events if hasattr(e, "amount"))


def test_the_table_covers_every_rule_command_and_event():
    errors = {then for *_, then in CASES if is_error(then)}
    assert errors == {rule for rule in OrderError.__subclasses__() if rule.__module__ == "eventsim.shop.order"}
    commands = {type(when) for _, _, when, _ in CASES}
    assert commands == {PlaceOrder, PayOrder, RequestRefund, ConfirmRefund, CancelOrder, ShipOrder}
    decided = {type(e) for *_, then in CASES if not is_error(then) for e in then}
    assert decided == set(EVENT_TYPES.values())


def test_rules_have_distinct_descriptions():
    rules = [cls.rule for cls in OrderError.__subclasses__() if cls.__module__ == "eventsim.shop.order"]
    assert len(set(rules)) == len(rules)


def test_decide_rejects_what_is_not_a_command():
    with pytest.raises(TypeError, match="not an order command"):
        decide(OrderPaid(O), fold([created]))


def test_decide_leaves_the_state_alone():
    state = fold([created, paid])
    before = dataclasses.replace(state)
    decide(CancelOrder(O), state)
    assert state == before


# --- evolve and fold ----------------------------------------------------------

placed_state = OrderState(O, "alice", D("30.00"), "EUR")
paid_state = OrderState(O, "alice", D("30.00"), "EUR", paid=D("30.00"))
refund_state = dataclasses.replace(paid_state, refunds=Map({"R1": Refund("R1", D("10.00"), 1)}),
                                   refunds_requested=D("10.00"))

EVOLVE_CASES = [
    ("created", initial_state, created, placed_state),
    ("paid", placed_state, paid, paid_state),
    ("refund requested", paid_state, refund_10, refund_state),
    ("refund paid", refund_state, refund_10_paid,
     dataclasses.replace(refund_state, refunds=Map({"R1": Refund("R1", D("10.00"), 1, paid=True)}),
                         refunds_paid=D("10.00"))),
    ("cancelled", placed_state, cancelled, dataclasses.replace(placed_state, cancelled=True)),
    ("shipped", paid_state, shipped, dataclasses.replace(paid_state, shipped=True)),
]


@pytest.mark.parametrize("state, event, expected", [c[1:] for c in EVOLVE_CASES],
                         ids=[c[0] for c in EVOLVE_CASES])
def test_evolve(state, event, expected):
    assert evolve(state, event) == expected


def test_evolve_covers_every_event():
    assert {type(event) for _, _, event, _ in EVOLVE_CASES} == set(EVENT_TYPES.values())


def test_refund_paid_marks_only_its_own_refund():
    state = fold([created, paid, refund_10, RefundCreated(O, D("5"), "R2"), RefundPaid(O, "R2")])
    assert sorted((r.refund_id, r.paid) for r in state.refunds.values()) == [("R1", False), ("R2", True)]
    assert (state.refunds_requested, state.refunds_paid) == (D("15"), D("5"))


def test_but_is_dataclasses_replace_and_the_state_stays_frozen():
    state = fold([created, paid])
    changed = state.but(shipped=True)
    assert changed == dataclasses.replace(state, shipped=True)
    assert state.shipped is False  # the state it came from is unchanged
    with pytest.raises(dataclasses.FrozenInstanceError):
        changed.paid = D("0")  # type: ignore[misc]
    with pytest.raises(TypeError, match="no field shiped"):
        state.but(shiped=True)


def test_but_on_a_subclass_changes_its_own_fields_too_and_refuses_unknown_ones():
    @dataclasses.dataclass(frozen=True)
    class NotedState(OrderState):
        note: str = ""

    state = NotedState(order_id="A", note="first")
    changed = state.but(note="second", amount=D(1))
    assert changed == NotedState(order_id="A", note="second", amount=D(1))
    with pytest.raises(TypeError, match="NotedState has no field note2"):
        state.but(note2="x")


def test_evolve_rejects_what_is_not_an_event():
    with pytest.raises(TypeError, match="not an order event"):
        evolve(initial_state, PlaceOrder(O, D("1")))


def test_fold_is_evolve_applied_in_turn():
    events = [created, paid, refund_10, refund_10_paid, shipped]
    state = initial_state
    for event in events:
        state = evolve(state, event)
    assert fold(events) == state
    assert fold([]) == initial_state
    assert fold(events[2:], fold(events[:2])) == state


refund_30_paid = RefundPaid(O, "R1")


@pytest.mark.parametrize("events, status", [
    ([], "new"),
    ([created], "placed"),
    ([created, paid], "paid"),
    ([created, paid, shipped], "shipped"),
    # refunded means paid out: until RefundPaid, the money has not moved
    ([created, paid, refund_10], "paid, refund requested"),
    ([created, paid, refund_10, refund_10_paid], "paid, partially refunded"),
    ([created, paid, refund_30], "paid, refund requested"),
    ([created, paid, refund_30, refund_30_paid], "paid, refunded"),
    # shipping and refunding are independent: a shipped order still says it was shipped
    ([created, paid, shipped, refund_10, refund_10_paid], "shipped, partially refunded"),
    ([created, paid, refund_10, refund_10_paid, RefundCreated(O, D("5"), "R2")], "paid, refund requested"),
    ([created, cancelled], "cancelled"),
    ([created, paid, RefundCreated(O, D("30.00"), "R1", "order cancelled"), cancelled],
     "cancelled, refund requested"),
    ([created, paid, RefundCreated(O, D("30.00"), "R1", "order cancelled"), cancelled, refund_30_paid],
     "cancelled, refunded"),
])
def test_status(events, status):
    assert fold(events).status == status
    assert status == "new" or status in STATUSES


def test_statuses_list_every_status_order_status_can_give():
    money = [D(0), D(5), D(10)]
    seen = {order_status(True, paid, requested, paid_out, cancelled, shipped)
            for paid in (D(0), D(10)) for requested in money for paid_out in money
            if paid_out <= requested <= paid
            for cancelled in (False, True) for shipped in (False, True)}
    assert seen <= set(STATUSES)
    assert order_status(False, D(0), D(0), D(0), False, False) == "new"


def test_net_counts_requested_refunds_and_paid_counts_only_paid_out_ones():
    state = fold([created, paid, refund_10, RefundCreated(O, D("5.50"), "R2"), refund_10_paid])
    assert state.refunds_requested == D("15.50")
    assert state.refunds_paid == D("10.00")
    assert state.net == D("14.50")


# --- the domain's building blocks -----------------------------------------------

@pytest.mark.parametrize("cls", list(EVENT_TYPES.values()), ids=list(EVENT_TYPES))
def test_events_are_frozen_dataclasses(cls):
    assert dataclasses.is_dataclass(cls)
    special = {"amount": D("1"), "currency": "EUR", "personal_data": None}
    event = cls(**{f.name: special.get(f.name, "x") for f in dataclasses.fields(cls)})
    assert dataclasses.fields(cls)[0].name == "order_id"
    with pytest.raises(dataclasses.FrozenInstanceError):
        event.order_id = "y"


def test_cent_refunds_add_up_exactly():
    state = fold(cents)
    assert state.refunds_requested == D("0.30") == state.paid
    assert 0.10 + 0.20 != 0.30  # why floats are kept out of the domain


@pytest.mark.parametrize("value, expected", [
    (D("19.99"), D("19.99")), (7, D(7)), ("0.10", D("0.10")), (" 2.5 ", D("2.5")), (D("1.230"), D("1.23")),
])
def test_to_money_accepts(value, expected):
    assert to_money(value) == expected
    assert type(to_money(value)) is D


@pytest.mark.parametrize("value, problem", [
    (0.1, "floats cannot hold cents exactly"), (True, "not bool"), ("1.234", "digits below the cent"),
    ("ten", "is not a number"), (D("NaN"), "not a finite number"), (None, "not NoneType"),
])
def test_to_money_rejects(value, problem):
    with pytest.raises(ValueError, match=problem):
        to_money(value)
