"""Every exercise check, fed the mistakes a learner is likely to make.

A check that accepts a wrong answer teaches the wrong idea, so for each
``check_*`` in eventsim.workbook.exercises this file holds, where the exercise allows:
the conceptual mistake it is about, a near miss, and a type or shape slip.
Each must print ❌ with a hint that names the idea (checked by a word of it),
never the answer and never Python's own error text; the model answer must
print ✅, and the unanswered placeholder "not answered yet".
"""
from __future__ import annotations

import dataclasses
import re
from collections import Counter
from decimal import Decimal
from functools import reduce
from pathlib import Path

from eventsim import (
    ANY,
    NO_STREAM,
    CancelOrder,
    ConcurrencyError,
    ConfirmRefund,
    InMemoryEventStore,
    OrderCancelled,
    OrderCreated,
    OrderPaid,
    OrderShipped,
    PayOrder,
    PlaceOrder,
    RefundCreated,
    RefundPaid,
    RequestRefund,
    SeededIds,
    ShipOrder,
    Shop,
    SimulatedClock,
    evolve,
    fold,
)
from eventsim.workbook import exercises as ex
from eventsim.shop.order import InvalidAmount, OrderAlreadyPaid, OrderNotPaid, RefundExceedsPayment, decide
from eventsim.shop.payments import confirm_command_id
from eventsim.shop.read_models import ShopReadModels

# Python's own messages that must never reach a learner.
RAW = re.compile(r"object has no attribute|not iterable|must support iteration|unsupported operand|"
                 r"takes \d+ positional|Traceback|NoneType")


def verdict(capsys, check, *answers) -> str:
    check(*answers)
    out = capsys.readouterr().out
    assert out.count("\n") == 1, f"a check prints one line, got {out!r}"
    return out


def assert_correct(capsys, check, *answers):
    out = verdict(capsys, check, *answers)
    assert out.startswith(ex.CORRECT), out


def assert_pending(capsys, check, *answers):
    out = verdict(capsys, check, *answers)
    assert out.startswith(ex.PENDING) and "not answered yet" in out, out


def assert_wrong(capsys, check, *answers, concept: str, never: tuple[str, ...] = ()):
    out = verdict(capsys, check, *answers)
    assert out.startswith(ex.WRONG), f"a wrong answer was accepted: {out}"
    assert concept.lower() in out.lower(), f"the hint should name {concept!r}: {out}"
    assert not RAW.search(out), f"the hint passes on a raw Python error: {out}"
    for word in never:
        assert word not in out, f"the hint gives away {word!r}: {out}"
    return out


# --- stores like the notebooks' ----------------------------------------------

def small_shop() -> Shop:
    """The shop of notebooks 4 and 5: payments, refunds, three cancellations of unpaid orders (the last one last)."""
    shop = Shop(clock=SimulatedClock(start=1_628_413_200, step=4 * 3600), ids=SeededIds(4))
    for order_id, customer, amount in [("1", "alice", "100"), ("2", "bob", "35.50"), ("3", "alice", "12"),
                                       ("4", "carol", "80"), ("5", "dan", "250"), ("6", "bob", "9.99")]:
        shop.handle(PlaceOrder(order_id, Decimal(amount), customer_id=customer))
    for order_id, amount in [("1", "100"), ("4", "80"), ("5", "250")]:
        shop.handle(PayOrder(order_id, Decimal(amount)))
    shop.handle(CancelOrder("2", reason="found it cheaper"))
    shop.handle(RequestRefund("1", Decimal("40"), reason="damaged"))
    shop.handle(ConfirmRefund("1", refund_id="R1"))
    shop.handle(CancelOrder("3", reason="changed mind"))
    shop.handle(ShipOrder("5"))
    shop.handle(RequestRefund("4", Decimal("80"), reason="never arrived"))
    shop.handle(CancelOrder("6", reason="ordered twice"))
    return shop


def story_shop() -> Shop:
    """Notebook 6's order 123456: placed, paid, a refund requested and paid out, shipped."""
    shop = Shop(clock=SimulatedClock(start=1_628_379_200, step=3600), ids=SeededIds(5))
    shop.handle(PlaceOrder("123456", Decimal("100"), customer_id="alice"))
    shop.handle(PayOrder("123456", Decimal("100")))
    [requested] = shop.handle(RequestRefund("123456", Decimal("30"), reason="one cup broken"))
    shop.handle(ConfirmRefund("123456", "R1", command_id=confirm_command_id("123456", "R1")),  # the reaction
                causation_id=requested.event_id, correlation_id=requested.correlation_id)
    shop.handle(ShipOrder("123456"))
    return shop


# --- the translation of errors ---------------------------------------------------

def test_a_raw_python_error_is_told_as_what_it_means(capsys):
    def customer_spend(state, recorded):
        return state["nobody"]  # KeyError: 'nobody'

    out = assert_wrong(capsys, ex.check_customer_spend, customer_spend, small_shop().store,
                       concept="remember each order's customer")
    assert "'nobody'" not in out or "looked up" in out


def test_an_answer_of_the_wrong_kind_gets_the_shape_not_a_traceback(capsys):
    assert_wrong(capsys, ex.check_type_counts, [], 42, concept="dict")


# --- 0 · Start here ---------------------------------------------------------

LABELS = {"OrderPaid": "event", "PayOrder": "command", "RefundCreated": "event",
          "CancelOrder": "command", "OrderShipped": "event"}


def test_0_1_event_or_command(capsys):
    assert_correct(capsys, ex.check_event_or_command, LABELS)
    assert_pending(capsys, ex.check_event_or_command, {**LABELS, "PayOrder": ...})
    # conceptual: a command named like a fact, or the other way round
    assert_wrong(capsys, ex.check_event_or_command, {**LABELS, "PayOrder": "event"}, concept="imperative")
    # near miss: one label of five
    assert_wrong(capsys, ex.check_event_or_command, {**LABELS, "OrderShipped": "command"},
                 concept="past tense")
    # shape slips: a list of labels; a boolean instead of the word
    assert_wrong(capsys, ex.check_event_or_command, list(LABELS.values()), concept="dict")
    assert_wrong(capsys, ex.check_event_or_command, {**LABELS, "OrderPaid": True}, concept='"event"')


def test_0_2_state_is_computed(capsys):
    assert_correct(capsys, ex.check_predicted_net, Decimal("30"))
    assert_correct(capsys, ex.check_predicted_net, 30)
    assert_pending(capsys, ex.check_predicted_net, ...)
    # 70 is the refunds' total (50 + 20), not a net; 80 forgets the first refund; 50 forgets the new one.
    assert_wrong(capsys, ex.check_predicted_net, Decimal(70), concept="total of the refunds", never=("30",))
    assert_wrong(capsys, ex.check_predicted_net, Decimal(80), concept="first refund", never=("30",))
    assert_wrong(capsys, ex.check_predicted_net, Decimal(50), concept="new one", never=("30",))
    assert_wrong(capsys, ex.check_predicted_net, Decimal(60), concept="every refund", never=("30",))
    assert_wrong(capsys, ex.check_predicted_net, 30.0, concept="float")
    assert_wrong(capsys, ex.check_predicted_net, "30", concept="not text")


# --- 1 · Generating events ----------------------------------------------------

SHIPPED = {"eventType": "OrderShipped", "orderId": "123456", "timestamp": 1628409200}


def test_1_1_write_an_event_by_hand(capsys):
    assert_correct(capsys, ex.check_shipped_json, SHIPPED)
    assert_pending(capsys, ex.check_shipped_json, ...)
    # conceptual: the command's name where the log holds facts
    assert_wrong(capsys, ex.check_shipped_json, {**SHIPPED, "eventType": "ShipOrder"}, concept="command",
                 never=("OrderShipped",))
    # near misses: a timestamp in quotes, an order id as a number, another event
    assert_wrong(capsys, ex.check_shipped_json, {**SHIPPED, "timestamp": "1628409200"}, concept="no quotes")
    assert_wrong(capsys, ex.check_shipped_json, {**SHIPPED, "orderId": 123456}, concept="string")
    assert_wrong(capsys, ex.check_shipped_json, {**SHIPPED, "eventType": "OrderPaid"}, concept="different event")
    assert_wrong(capsys, ex.check_shipped_json, {**SHIPPED, "timestamp": 1628409200000}, concept="timestamp")
    # shape slip: JSON text instead of a dict
    assert_wrong(capsys, ex.check_shipped_json, '{"eventType": "OrderShipped"}', concept="not a JSON string")


STORY = [OrderCreated("A1", Decimal("42.50"), customer_id="carol"), OrderPaid("A1"),
         RefundCreated("A1", Decimal("2.50"), refund_id="R1", reason="late")]


def test_1_2_an_orders_story(capsys):
    assert_correct(capsys, ex.check_story, STORY)
    assert_pending(capsys, ex.check_story, [...])
    # conceptual: commands instead of events; the refund paid out instead of requested
    assert_wrong(capsys, ex.check_story, [PlaceOrder("A1", Decimal("42.50"), "carol"), *STORY[1:]],
                 concept="commands")
    assert_wrong(capsys, ex.check_story, [*STORY[:2], RefundPaid("A1", "R1")], concept="only requested")
    # near misses: a wrong field, the wrong order
    wrong_customer = [OrderCreated("A1", Decimal("42.50"), "caroline"), *STORY[1:]]
    assert_wrong(capsys, ex.check_story, wrong_customer, concept="customer_id", never=("carol'",))
    assert_wrong(capsys, ex.check_story, [STORY[1], STORY[0], STORY[2]], concept="placed")
    # shape slips: a single event, too few events
    assert_wrong(capsys, ex.check_story, STORY[0], concept="list")
    assert_wrong(capsys, ex.check_story, STORY[:2], concept="3 events")


def test_1_3_counting_events(capsys):
    log = small_shop().store.read_all()
    assert_correct(capsys, ex.check_type_counts, log, Counter(r.event_type for r in log))
    assert_pending(capsys, ex.check_type_counts, log, ...)
    # conceptual: counting the envelopes' class, not the events' type
    assert_wrong(capsys, ex.check_type_counts, log, Counter(type(r).__name__ for r in log),
                 concept="event_type")
    # near miss: one stream only
    one = [r for r in log if r.stream_id == "order-1"]
    assert_wrong(capsys, ex.check_type_counts, log, Counter(r.event_type for r in one), concept="all streams")
    # shape slip: a number, a list of pairs
    assert_wrong(capsys, ex.check_type_counts, log, len(log), concept="dict")
    assert_wrong(capsys, ex.check_type_counts, log, list(Counter(r.event_type for r in log).items()),
                 concept="dict")


# --- 2 · Storing events ---------------------------------------------------------

def open_order_9(store):
    return store.append("order-9", [OrderCreated("9", Decimal("12.50"), "zoe"), OrderPaid("9")],
                        expected_version=NO_STREAM)


def test_2_1_your_first_stream(capsys):
    assert_correct(capsys, ex.check_first_stream, open_order_9)

    def pending(store):
        return ...
    assert_pending(capsys, ex.check_first_stream, pending)

    def no_expected_version(store):  # the conceptual mistake
        store.append("order-9", [OrderCreated("9", Decimal("12.50"), "zoe"), OrderPaid("9")])
    assert_wrong(capsys, ex.check_first_stream, no_expected_version, concept="no stream yet",
                 never=("NO_STREAM",))

    def zero(store):  # near miss: works here, says something else elsewhere
        store.append("order-9", [OrderCreated("9", Decimal("12.50"), "zoe"), OrderPaid("9")], 0)
    assert_wrong(capsys, ex.check_first_stream, zero, concept="say what you mean")

    def two_appends(store):  # near miss: NO_STREAM on both appends
        store.append("order-9", [OrderCreated("9", Decimal("12.50"), "zoe")], NO_STREAM)
        store.append("order-9", [OrderPaid("9")], NO_STREAM)
    assert_wrong(capsys, ex.check_first_stream, two_appends, concept="one call")

    def two_appends_the_second_at_version_1(store):  # works, but a crash between them leaves an unpaid order
        store.append("order-9", [OrderCreated("9", Decimal("12.50"), "zoe")], NO_STREAM)
        store.append("order-9", [OrderPaid("9")], 1)
    assert_wrong(capsys, ex.check_first_stream, two_appends_the_second_at_version_1, concept="all or nothing")

    def single_event(store):  # shape slip
        store.append("order-9", OrderCreated("9", Decimal("12.50"), "zoe"), NO_STREAM)
    assert_wrong(capsys, ex.check_first_stream, single_event, concept="list of events")

    def order_id_as_stream(store):  # an order id where a stream id belongs
        store.append("9", [OrderCreated("9", Decimal("12.50"), "zoe"), OrderPaid("9")], NO_STREAM)
    assert_wrong(capsys, ex.check_first_stream, order_id_as_stream, concept="order-<order id>")

    def float_amount(store):  # type slip: eventsim's own message is quoted, it is written for people
        store.append("order-9", [OrderCreated("9", 12.5, "zoe"), OrderPaid("9")], NO_STREAM)
    out = assert_wrong(capsys, ex.check_first_stream, float_amount, concept="eventsim refused a value")
    assert "Decimal" in out

    def new_store(store):  # appends to a store of its own
        InMemoryEventStore().append("order-9", [OrderPaid("9")])
    assert_wrong(capsys, ex.check_first_stream, new_store, concept="not to a new one")

    def late_check(store):  # NO_STREAM on the first append, but a second that ignores it
        if store.stream_version("order-9") == 0:
            store.append("order-9", [OrderCreated("9", Decimal("12.50"), "zoe"), OrderPaid("9")], NO_STREAM)
        else:
            store.append("order-9", [OrderPaid("9")])
    assert_wrong(capsys, ex.check_first_stream, late_check, concept="already exists")
    assert_wrong(capsys, ex.check_first_stream, "my_store", concept="function")


def test_2_2_reading_part_of_a_stream(capsys):
    store = small_shop().store
    assert_correct(capsys, ex.check_later_events, store, store.read_stream("order-1", from_version=2))
    assert_pending(capsys, ex.check_later_events, store, ...)
    # conceptual: positions of the whole log instead of versions of one stream
    assert_wrong(capsys, ex.check_later_events, store, store.read_all(from_position=2), concept="one stream")
    # near miss: from the first version
    assert_wrong(capsys, ex.check_later_events, store, store.read_stream("order-1"), concept="second version")
    # shape slips: the domain events only; a single envelope
    assert_wrong(capsys, ex.check_later_events, store, [r.event for r in store.read_stream("order-1", 2)],
                 concept="envelopes")
    assert_wrong(capsys, ex.check_later_events, store, store.read_stream("order-1")[1], concept="list")


def append_checked(store, stream_id, events, seen_version):
    try:
        store.append(stream_id, events, expected_version=seen_version)
    except ConcurrencyError:
        return False
    return True


def test_2_3_append_or_try_again(capsys):
    assert_correct(capsys, ex.check_append_checked, append_checked)

    def pending(store, stream_id, events, seen_version):
        return ...
    assert_pending(capsys, ex.check_append_checked, pending)

    def check_then_act(store, stream_id, events, seen_version):  # the conceptual mistake
        if store.stream_version(stream_id) != seen_version:
            return False
        store.append(stream_id, events)
        return True
    out = assert_wrong(capsys, ex.check_append_checked, check_then_act, concept="in the append itself")
    assert "another clerk" in out

    def current_version(store, stream_id, events, seen_version):  # near miss: expects what is there now
        store.append(stream_id, events, expected_version=store.stream_version(stream_id))
        return True
    assert_wrong(capsys, ex.check_append_checked, current_version, concept="the clerk saw")

    def uncaught(store, stream_id, events, seen_version):
        store.append(stream_id, events, expected_version=seen_version)
        return True
    assert_wrong(capsys, ex.check_append_checked, uncaught, concept="catch it")

    def any_version(store, stream_id, events, seen_version):
        store.append(stream_id, events, ANY)
        return True
    assert_wrong(capsys, ex.check_append_checked, any_version, concept="stale version")

    def returns_text(store, stream_id, events, seen_version):  # type slip
        try:
            store.append(stream_id, events, expected_version=seen_version)
        except ConcurrencyError:
            return "False"
        return "True"
    assert_wrong(capsys, ex.check_append_checked, returns_text, concept="boolean")


# --- 3 · Processing commands --------------------------------------------------

def test_3_1_predict_the_refusal(capsys):
    assert_correct(capsys, ex.check_expected_error, RefundExceedsPayment)
    assert_pending(capsys, ex.check_expected_error, ...)
    never = ("RefundExceedsPayment",)
    assert_wrong(capsys, ex.check_expected_error, OrderNotPaid, concept="refunds add up", never=never)
    assert_wrong(capsys, ex.check_expected_error, OrderAlreadyPaid, concept="refunds add up", never=never)
    assert_wrong(capsys, ex.check_expected_error, InvalidAmount, concept="order as a whole", never=never)
    assert_wrong(capsys, ex.check_expected_error, "RefundExceedsPayment", concept="in quotes")
    assert_wrong(capsys, ex.check_expected_error, RefundExceedsPayment("1", "too much"),
                 concept="without brackets")
    assert_wrong(capsys, ex.check_expected_error, ValueError, concept="business rule", never=never)


LIMIT = Decimal("10000")


def decide_with_limit(command, state):
    if isinstance(command, PlaceOrder) and command.amount > LIMIT:
        raise InvalidAmount(command.order_id, f"{command.amount} is above the limit")
    return decide(command, state)


def test_3_2_add_a_rule(capsys):
    assert_correct(capsys, ex.check_decide_with_limit, decide_with_limit)
    assert_pending(capsys, ex.check_decide_with_limit, lambda command, state: ...)

    def at_or_above(command, state):  # near miss: >=
        if isinstance(command, PlaceOrder) and command.amount >= LIMIT:
            raise InvalidAmount(command.order_id, "too much")
        return decide(command, state)
    assert_wrong(capsys, ex.check_decide_with_limit, at_or_above, concept="exactly 10000")

    def bypasses_rules(command, state):  # conceptual: the new rule replaces the old ones
        if command.amount > LIMIT if isinstance(command, PlaceOrder) else False:
            raise InvalidAmount(command.order_id, "too much")
        if isinstance(command, PlaceOrder):
            return [OrderCreated(command.order_id, command.amount, command.customer_id)]
        return decide(command, state)
    assert_wrong(capsys, ex.check_decide_with_limit, bypasses_rules, concept="old rules still apply")

    def plain_error(command, state):  # a refusal that names no rule
        if isinstance(command, PlaceOrder) and command.amount > LIMIT:
            raise ValueError("too much")
        return decide(command, state)
    assert_wrong(capsys, ex.check_decide_with_limit, plain_error, concept="which rule")

    def no_return(command, state):  # shape slip
        if isinstance(command, PlaceOrder) and command.amount > LIMIT:
            raise InvalidAmount(command.order_id, "too much")
        decide(command, state)
    assert_wrong(capsys, ex.check_decide_with_limit, no_return, concept="returned None")

    def compares_text(command, state):  # type slip: a limit in quotes
        if isinstance(command, PlaceOrder) and command.amount > "10000":
            raise InvalidAmount(command.order_id, "too much")
        return decide(command, state)
    assert_wrong(capsys, ex.check_decide_with_limit, compares_text, concept="wrong types")

    def no_limit(command, state):
        return decide(command, state)
    assert_wrong(capsys, ex.check_decide_with_limit, no_limit, concept="must be refused")


def refund_with_retry(shop):
    request = RequestRefund("T1", Decimal("5"), reason="scratched", command_id="refund-T1-1")
    shop.handle(request)
    return shop.handle(request)


def test_3_3_a_retry_that_does_not_refund_twice(capsys):
    assert_correct(capsys, ex.check_retry, refund_with_retry)
    assert_pending(capsys, ex.check_retry, lambda shop: ...)

    def new_id_each_time(shop):  # the conceptual mistake
        shop.handle(RequestRefund("T1", Decimal("5"), command_id="try-1"))
        return shop.handle(RequestRefund("T1", Decimal("5"), command_id="try-2"))
    assert_wrong(capsys, ex.check_retry, new_id_each_time, concept="new command id")

    def no_id(shop):
        shop.handle(RequestRefund("T1", Decimal("5")))
        return shop.handle(RequestRefund("T1", Decimal("5")))
    assert_wrong(capsys, ex.check_retry, no_id, concept="without an id")

    def same_refund_id(shop):  # near miss: the rules refuse the second, the client gets an error
        shop.handle(RequestRefund("T1", Decimal("5"), refund_id="R1"))
        return shop.handle(RequestRefund("T1", Decimal("5"), refund_id="R1"))
    assert_wrong(capsys, ex.check_retry, same_refund_id, concept="recognised by its id")

    def changed_on_retry(shop):  # near miss: the retry is rebuilt with another reason
        shop.handle(RequestRefund("T1", Decimal("5"), reason="scratched", command_id="refund-T1-1"))
        return shop.handle(RequestRefund("T1", Decimal("5"), reason="scratched!", command_id="refund-T1-1"))
    assert_wrong(capsys, ex.check_retry, changed_on_retry, concept="very same command")

    def once(shop):
        return shop.handle(RequestRefund("T1", Decimal("5"), command_id="refund-T1-1"))
    assert_wrong(capsys, ex.check_retry, once, concept="send it again")

    def float_amount(shop):  # type slip
        request = RequestRefund("T1", 5.0, command_id="refund-T1-1")
        shop.handle(request)
        return shop.handle(request)
    assert_wrong(capsys, ex.check_retry, float_amount, concept="refused")

    def returns_nothing(shop):
        request = RequestRefund("T1", Decimal("5"), command_id="refund-T1-1")
        shop.handle(request)
        shop.handle(request)
    assert_wrong(capsys, ex.check_retry, returns_nothing, concept="first attempt recorded")


# --- 4 · Projections ----------------------------------------------------------------

LISTENS_TO = {"orders placed on a day": "OrderCreated", "money in on a day": "OrderPaid",
              "refunds customers asked for (the support team's list)": "RefundCreated",
              "money out on a day": "RefundPaid"}
MONEY_OUT = "money out on a day"


def test_4_1_which_fact(capsys):
    assert_correct(capsys, ex.check_which_fact, LISTENS_TO)
    assert_correct(capsys, ex.check_which_fact, {**LISTENS_TO, MONEY_OUT: RefundPaid})  # the class: its name is meant
    assert_pending(capsys, ex.check_which_fact, {**LISTENS_TO, MONEY_OUT: ...})
    # conceptual: an intention taken for the fact that money moved, each way round
    assert_wrong(capsys, ex.check_which_fact, {**LISTENS_TO, MONEY_OUT: "RefundCreated"},
                 concept="intention", never=("RefundPaid",))
    assert_wrong(capsys, ex.check_which_fact, {**LISTENS_TO, "money in on a day": "OrderCreated"},
                 concept="promise", never=("OrderPaid",))
    assert_wrong(capsys, ex.check_which_fact, {**LISTENS_TO, "orders placed on a day": "OrderPaid"},
                 concept="never paid", never=("OrderCreated",))
    assert_wrong(capsys, ex.check_which_fact,
                 {**LISTENS_TO, "refunds customers asked for (the support team's list)": "RefundPaid"},
                 concept="paid out yet or not", never=("RefundCreated",))
    # near miss: an event, but not one that records the question's fact
    assert_wrong(capsys, ex.check_which_fact, {**LISTENS_TO, MONEY_OUT: "OrderCancelled"},
                 concept="exactly that", never=("RefundPaid",))
    # slips: a command instead of an event; a name that is no event; not a string; not a dict
    assert_wrong(capsys, ex.check_which_fact, {**LISTENS_TO, MONEY_OUT: "ConfirmRefund"}, concept="is a command")
    assert_wrong(capsys, ex.check_which_fact, {**LISTENS_TO, MONEY_OUT: "RefundPayed"}, concept="not one of")
    assert_wrong(capsys, ex.check_which_fact, {**LISTENS_TO, MONEY_OUT: 3}, concept="as a string")
    assert_wrong(capsys, ex.check_which_fact, list(LISTENS_TO.values()), concept="dict")


def customer_spend(state, recorded):
    orders = state.setdefault("_orders", {})
    event = recorded.event
    if recorded.event_type == "OrderCreated":
        orders[event.order_id] = (event.customer_id, event.amount)
    elif recorded.event_type == "OrderPaid":
        customer, amount = orders[event.order_id]
        state[customer] = state.get(customer, Decimal(0)) + amount
    elif recorded.event_type == "RefundCreated":
        customer, _ = orders[event.order_id]
        state[customer] = state.get(customer, Decimal(0)) - event.amount
    return state


def test_4_2_customer_spend(capsys):
    store = small_shop().store
    assert_correct(capsys, ex.check_customer_spend, customer_spend, store)
    assert_pending(capsys, ex.check_customer_spend, lambda state, recorded: ..., store)

    def every_customer_from_zero(state, recorded):  # also right: a customer who never paid has spent 0
        if recorded.event_type == "OrderCreated":
            state.setdefault(recorded.event.customer_id, Decimal(0))
        return customer_spend(state, recorded)
    assert_correct(capsys, ex.check_customer_spend, every_customer_from_zero, store)

    def spend_on_placing(state, recorded):  # conceptual: an order placed is not money in
        if recorded.event_type == "OrderCreated":
            customer = recorded.event.customer_id
            state[customer] = state.get(customer, Decimal(0)) + recorded.event.amount
        return state
    assert_wrong(capsys, ex.check_customer_spend, spend_on_placing, store, concept="when it is paid")

    def no_refunds(state, recorded):  # near miss
        if recorded.event_type == "RefundCreated":
            return state
        return customer_spend(state, recorded)
    assert_wrong(capsys, ex.check_customer_spend, no_refunds, store, concept="refund")

    def in_floats(state, recorded):  # type slip
        state = customer_spend(state, recorded)
        return {k: (float(v) if not k.startswith("_") else v) for k, v in state.items()}
    assert_wrong(capsys, ex.check_customer_spend, in_floats, store, concept="wrong types")

    def no_return(state, recorded):
        customer_spend(state, recorded)
    assert_wrong(capsys, ex.check_customer_spend, no_return, store, concept="return the state")


# --- 5 · Consistency and queries -----------------------------------------------------

def count_paid(state, recorded):
    if recorded.position <= state.get("checkpoint", 0):
        return state
    if recorded.event_type == "OrderPaid":
        state["paid"] = state.get("paid", 0) + 1
    state["checkpoint"] = recorded.position
    return state


def test_5_1_make_it_idempotent(capsys):
    assert_correct(capsys, ex.check_count_paid, count_paid)
    assert_pending(capsys, ex.check_count_paid, lambda state, recorded: ...)

    def naive(state, recorded):  # the conceptual mistake: counts every delivery
        if recorded.event_type == "OrderPaid":
            state["paid"] = state.get("paid", 0) + 1
        return state
    assert_wrong(capsys, ex.check_count_paid, naive, concept="delivered twice")

    def strictly_before(state, recorded):  # near miss: < instead of <=
        if recorded.position < state.get("checkpoint", 0):
            return state
        if recorded.event_type == "OrderPaid":
            state["paid"] = state.get("paid", 0) + 1
        state["checkpoint"] = recorded.position
        return state
    assert_wrong(capsys, ex.check_count_paid, strictly_before, concept="delivered twice")

    def checkpoint_first(state, recorded):  # moves the checkpoint before comparing: skips everything
        state["checkpoint"] = recorded.position
        if recorded.position <= state["checkpoint"]:
            return state
        return count_paid(state, recorded)
    assert_wrong(capsys, ex.check_count_paid, checkpoint_first, concept="orders were paid")

    def checkpoint_on_paid_only(state, recorded):  # near miss: moves the checkpoint on OrderPaid only
        if recorded.position <= state.get("checkpoint", 0):
            return state
        if recorded.event_type == "OrderPaid":
            state["paid"] = state.get("paid", 0) + 1
            state["checkpoint"] = recorded.position
        return state
    assert_wrong(capsys, ex.check_count_paid, checkpoint_on_paid_only, concept="whatever its type")

    def no_return(state, recorded):  # shape slip
        count_paid(state, recorded)
    assert_wrong(capsys, ex.check_count_paid, no_return, concept="return the state")


def cancelled_ids(queries):
    return sorted(queries.orders_by_status("cancelled")["order_id"])


def test_5_2_ask_the_read_side(capsys):
    store = small_shop().store
    assert_correct(capsys, ex.check_cancelled_ids, cancelled_ids, store)
    assert_pending(capsys, ex.check_cancelled_ids, lambda queries: ..., store)

    def from_the_event_store(queries):  # the conceptual mistake: the notebook's store, not the read model
        return sorted(s.removeprefix("order-") for s in store.stream_ids()
                      if fold(r.event for r in store.read_stream(s)).cancelled)
    assert_wrong(capsys, ex.check_cancelled_ids, from_the_event_store, store, concept="has not seen yet")

    up_to_date = ShopReadModels(store)
    up_to_date.catch_up()

    def from_another_read_model(queries):  # the notebook's read model, not the one given
        return cancelled_ids(up_to_date.queries())
    assert_wrong(capsys, ex.check_cancelled_ids, from_another_read_model, store, concept="another read model")

    def unsorted(queries):  # near miss
        return list(reversed(cancelled_ids(queries)))
    assert_wrong(capsys, ex.check_cancelled_ids, unsorted, store, concept="sorted")

    def a_column(queries):  # shape slip
        return queries.orders_by_status("cancelled")["order_id"]
    assert_wrong(capsys, ex.check_cancelled_ids, a_column, store, concept="plain list")

    def wrong_status(queries):
        return sorted(queries.orders_by_status("refunded")["order_id"])
    assert_wrong(capsys, ex.check_cancelled_ids, wrong_status, store, concept="cancelled")


# --- 6 · Tracing and time travel -----------------------------------------------------

def test_6_1_what_was_it_then(capsys):
    store = story_shop().store
    events = [r.event for r in store.read_stream("order-123456")]
    assert_correct(capsys, ex.check_status_at_v3, store, fold(events[:3]).status)
    assert_pending(capsys, ex.check_status_at_v3, store, ...)
    assert fold(events).status != fold(events[:3]).status  # "shipped, partially refunded" vs "paid, refund requested"
    assert_wrong(capsys, ex.check_status_at_v3, store, fold(events).status, concept="status now")
    assert_wrong(capsys, ex.check_status_at_v3, store, fold(events[:2]).status, concept="one event off")
    assert_wrong(capsys, ex.check_status_at_v3, store, fold(events[:4]).status, concept="one event off")
    assert_wrong(capsys, ex.check_status_at_v3, store, fold(events[:3]), concept="take its status")
    assert_wrong(capsys, ex.check_status_at_v3, store, 3, concept="a string")
    assert_wrong(capsys, ex.check_status_at_v3, store, "lost", concept="first three events")


def test_6_2_who_caused_the_refund(capsys):
    store = story_shop().store
    paid = next(r for r in store.read_stream("order-123456") if r.event_type == "RefundPaid")
    created = next(r for r in store.read_stream("order-123456") if r.event_type == "RefundCreated")
    assert_correct(capsys, ex.check_refund_paid_cause, store, paid.causation_id)
    assert_pending(capsys, ex.check_refund_paid_cause, store, ...)
    assert_wrong(capsys, ex.check_refund_paid_cause, store, paid.event_id, concept="own id")
    assert_wrong(capsys, ex.check_refund_paid_cause, store, paid.correlation_id, concept="direct cause")
    assert created.causation_id == paid.correlation_id  # the refund's conversation began with its request
    payment = next(r for r in store.read_stream("order-123456") if r.event_type == "OrderPaid")
    assert_wrong(capsys, ex.check_refund_paid_cause, store, payment.causation_id, concept="paid out")
    assert_wrong(capsys, ex.check_refund_paid_cause, store, paid, concept="not the event")


def fix_order(shop):
    return shop.handle(RequestRefund("C", Decimal("20"), reason="overcharged: the price is 70"))


def test_6_3_compensate(capsys):
    assert_correct(capsys, ex.check_fix_order, fix_order)
    assert_pending(capsys, ex.check_fix_order, lambda shop: ...)
    assert_wrong(capsys, ex.check_fix_order, lambda shop: shop.handle(CancelOrder("C")), concept="do not cancel")
    assert_wrong(capsys, ex.check_fix_order, lambda shop: shop.handle(PlaceOrder("C", Decimal(70))),
                 concept="never replaced")
    assert_wrong(capsys, ex.check_fix_order, lambda shop: shop.handle(RequestRefund("C", Decimal(70))),
                 concept="charged too much")
    assert_wrong(capsys, ex.check_fix_order, lambda shop: shop.handle(RequestRefund("C", 20.0)),
                 concept="Decimal")
    assert_wrong(capsys, ex.check_fix_order,
                 lambda shop: shop.store.append("order-C", [RefundCreated("C", Decimal(20), "R1")]),
                 concept="a command")
    assert_wrong(capsys, ex.check_fix_order,  # past the rules too, with a cause that no command is
                 lambda shop: shop.store.append("order-C", [RefundCreated("C", Decimal(20), "R1")], causation_id="fix"),
                 concept="a command")


def ship_when_paid(recorded):
    if recorded.event_type == "OrderPaid":
        return [ShipOrder(recorded.event.order_id, command_id=f"ship-{recorded.event_id}")]
    return []


def test_6_4_a_reaction_of_your_own(capsys):
    assert_correct(capsys, ex.check_reaction, ship_when_paid)
    assert_pending(capsys, ex.check_reaction, lambda recorded: ...)

    def fresh_command_each_time(recorded):  # the conceptual mistake: not safe under redelivery
        if recorded.event_type == "OrderPaid":
            return [ShipOrder(recorded.event.order_id)]
        return []
    assert_wrong(capsys, ex.check_reaction, fresh_command_each_time, concept="derive the command id")

    def on_created(recorded):  # near miss: the wrong event
        if recorded.event_type == "OrderCreated":
            return [ShipOrder(recorded.event.order_id, command_id=f"ship-{recorded.event_id}")]
        return []
    assert_wrong(capsys, ex.check_reaction, on_created, concept="payment makes it ready to ship")

    def records_an_event(recorded):  # conceptual: a reaction that writes facts itself
        if recorded.event_type == "OrderPaid":
            return [OrderShipped(recorded.event.order_id)]
        return []
    assert_wrong(capsys, ex.check_reaction, records_an_event, concept="never events")

    def single_command(recorded):  # shape slip
        if recorded.event_type == "OrderPaid":
            return ShipOrder(recorded.event.order_id, command_id=f"ship-{recorded.event_id}")
        return None
    assert_wrong(capsys, ex.check_reaction, single_command, concept="list of commands")

    assert_wrong(capsys, ex.check_reaction, lambda recorded: [], concept="P1, P3 and P4")

    shipped_in_memory = set()

    def remembers_in_memory(recorded):  # conceptual: dedup in the process's memory, lost when it restarts
        order_id = getattr(recorded.event, "order_id", None)
        if recorded.event_type != "OrderPaid" or order_id in shipped_in_memory:
            return []
        shipped_in_memory.add(order_id)
        return [ShipOrder(order_id)]
    assert_wrong(capsys, ex.check_reaction, remembers_in_memory, concept="restarts")

    def reuses_the_cause(recorded):  # near miss: the id of the command that caused the event (its PayOrder)
        if recorded.event_type == "OrderPaid":
            return [ShipOrder(recorded.event.order_id, command_id=recorded.causation_id)]
        return []
    assert_wrong(capsys, ex.check_reaction, reuses_the_cause, concept="already the id of", never=("event_id",))

    def reuses_the_correlation(recorded):  # near miss: the id of the order's first command (its PlaceOrder)
        if recorded.event_type == "OrderPaid":
            return [ShipOrder(recorded.event.order_id, command_id=recorded.correlation_id)]
        return []
    assert_wrong(capsys, ex.check_reaction, reuses_the_correlation, concept="already the id of", never=("event_id",))


# --- 7 · Trade-offs, measured ------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class AccountMessage:  # as notebook 7 defines them: frozen dataclasses
    account_id: str
    amount: Decimal


class Deposit(AccountMessage):
    pass


class Withdraw(AccountMessage):
    pass


class Deposited(AccountMessage):
    pass


class Withdrawn(AccountMessage):
    pass


class PlainDeposited:  # a class the store cannot keep: not a frozen dataclass
    def __init__(self, account_id, amount):
        self.account_id, self.amount = account_id, amount


class InsufficientFunds(Exception):
    pass


def evolve_account(balance, event):
    if isinstance(event, Deposited):
        return balance + event.amount
    if isinstance(event, Withdrawn):
        return balance - event.amount
    return balance


def decide_account(command, balance):
    if command.amount <= 0:
        raise ValueError("not positive")
    if isinstance(command, Withdraw):
        if command.amount > balance:
            raise InsufficientFunds("no")
        return [Withdrawn(command.account_id, command.amount)]
    return [Deposited(command.account_id, command.amount)]


ACCOUNT = (Deposit, Withdraw, InsufficientFunds)


def test_7_1_capstone(capsys):
    check = ex.check_bank_account
    assert_correct(capsys, ex.check_bank_account, decide_account, evolve_account, *ACCOUNT)
    assert_pending(capsys, check, lambda c, b: ..., lambda b, e: ..., *ACCOUNT)

    def overdraft(command, balance):  # the conceptual mistake: decide without looking at the state
        if command.amount <= 0:
            raise ValueError("not positive")
        kind = Withdrawn if isinstance(command, Withdraw) else Deposited
        return [kind(command.account_id, command.amount)]
    assert_wrong(capsys, check, overdraft, evolve_account, *ACCOUNT, concept="InsufficientFunds")

    def at_or_above(command, balance):  # near miss: >= refuses the whole balance
        if isinstance(command, Withdraw) and command.amount >= balance:
            raise InsufficientFunds("no")
        return decide_account(command, balance)
    assert_wrong(capsys, check, at_or_above, evolve_account, *ACCOUNT, concept="whole balance")

    def returns_balance(command, balance):  # conceptual: decide returns state, not events
        return balance + command.amount
    assert_wrong(capsys, check, returns_balance, evolve_account, *ACCOUNT, concept="not the new balance")

    def plain_events(command, balance):  # events the store cannot keep: runs in a list, not on the engine
        return [PlainDeposited(e.account_id, e.amount) if isinstance(e, Deposited) else e
                for e in decide_account(command, balance)]

    def plain_evolve(balance, event):
        return balance + event.amount if isinstance(event, PlainDeposited) else evolve_account(balance, event)
    assert_wrong(capsys, check, plain_events, plain_evolve, *ACCOUNT, concept="frozen dataclass")

    def one_account(command, balance):  # every event says the account of the example
        return [type(e)("acc-1", e.amount) for e in decide_account(command, balance)]
    assert_wrong(capsys, check, one_account, evolve_account, *ACCOUNT, concept="whose account")

    def refuses_an_overdrawing_fact(balance, event):  # evolve deciding: events are facts, never refused
        if isinstance(event, Withdrawn) and event.amount > balance:
            raise InsufficientFunds("overdrawn")
        return evolve_account(balance, event)
    assert_wrong(capsys, check, decide_account, refuses_an_overdrawing_fact, *ACCOUNT, concept="never refuses")

    def swapped(event, balance):  # type slip: arguments in the wrong order
        return evolve_account(balance, event)
    assert_wrong(capsys, check, decide_account, swapped, *ACCOUNT, concept="returns the new balance")

    def deposit_needs_funds(command, balance):  # the balance checked for a deposit too
        if command.amount <= 0:
            raise ValueError("not positive")
        if command.amount > balance:
            raise InsufficientFunds("no")
        return decide_account(command, balance)
    assert_wrong(capsys, check, deposit_needs_funds, evolve_account, *ACCOUNT, concept="only more than the balance")

    def accepts_zero(command, balance):
        if isinstance(command, Withdraw) and command.amount > balance:
            raise InsufficientFunds("no")
        kind = Withdrawn if isinstance(command, Withdraw) else Deposited
        return [kind(command.account_id, command.amount)]
    assert_wrong(capsys, check, accepts_zero, evolve_account, *ACCOUNT, concept="positive")

    def wrong_refusal_for_zero(command, balance):  # a refusal, but the one for lack of funds
        if command.amount <= 0:
            raise InsufficientFunds("not positive")
        return decide_account(command, balance)
    assert_wrong(capsys, check, wrong_refusal_for_zero, evolve_account, *ACCOUNT, concept="ValueError")

    def records_the_command(command, balance):  # conceptual: the request recorded as if it were the fact
        if command.amount <= 0:
            raise ValueError("not positive")
        if isinstance(command, Withdraw) and command.amount > balance:
            raise InsufficientFunds("no")
        return [command]

    def evolve_by_command(balance, event):
        return balance + event.amount if isinstance(event, Deposit) else balance - event.amount
    assert_wrong(capsys, check, records_the_command, evolve_by_command, *ACCOUNT, concept="an event")

    def value_error_for_lack_of_funds(command, balance):  # a refusal, but the one for amounts
        if isinstance(command, Withdraw) and command.amount > balance:
            raise ValueError("insufficient funds")
        return decide_account(command, balance)
    assert_wrong(capsys, check, value_error_for_lack_of_funds, evolve_account, *ACCOUNT, concept="InsufficientFunds")


def load_with_snapshot(snapshot, events_after):
    return fold(events_after, snapshot)


def test_7_2_load_from_a_snapshot(capsys):
    check = ex.check_load_with_snapshot
    assert_correct(capsys, ex.check_load_with_snapshot, load_with_snapshot)
    assert_pending(capsys, check, lambda snapshot, events: ...)
    assert_wrong(capsys, check, lambda snapshot, events: fold(events), concept="start from the snapshot")
    assert_wrong(capsys, check, lambda snapshot, events: snapshot, concept="still have to be applied")
    out = assert_wrong(capsys, check, lambda snapshot, events: reduce(evolve, snapshot, events),
                       concept="events first")
    assert "reduce" not in out
    assert_wrong(capsys, check, lambda snapshot, events: [fold(events, snapshot)], concept="order's state")


# --- every check is here ----------------------------------------------------------

def test_every_check_has_its_mistakes_here():
    """Here, or in a test file of the notebook's own (tests/test_*_exercises.py)."""
    files = [Path(__file__), *Path(__file__).parent.glob("test_*_exercises.py")]
    tested = {name for path in files for name in re.findall(r"ex\.(check_\w+)", path.read_text())}
    checks = {name for name in dir(ex) if name.startswith("check_")}
    assert checks <= tested, f"checks without wrong answers in the tests: {sorted(checks - tested)}"


# --- issue 24: mistakes the checks accepted on the notebook's friendly fixture ------------------------

def test_5_2_a_query_that_writes_to_the_log_is_refused(capsys):
    shop = small_shop()

    def pays_while_reading(queries):  # the seed's own pitfall: a read that appends
        shop.store.append("order-2", [OrderPaid("2")])
        return cancelled_ids(queries)
    assert_wrong(capsys, ex.check_cancelled_ids, pays_while_reading, shop.store, concept="changed the log")


def test_5_2_cancelled_after_payment_is_another_status_and_the_notebooks_ids_are_not_the_answer(capsys):
    store = small_shop().store

    def starts_with(queries):
        return sorted(o for o in queries.orders_by_status("cancelled")["order_id"]) + sorted(
            o for s in ("cancelled, refund requested", "cancelled, refunded")
            for o in queries.orders_by_status(s)["order_id"])
    assert_wrong(capsys, ex.check_cancelled_ids, starts_with, store, concept="not exactly cancelled")

    def the_notebooks_orders(queries):
        return sorted(i for i in "1234567" if (queries.order(i) or {}).get("status") == "cancelled")
    assert_wrong(capsys, ex.check_cancelled_ids, the_notebooks_orders, store, concept="queries object")

    def in_the_read_models_order(queries):
        return list(queries.orders_by_status("cancelled")["order_id"])
    assert_wrong(capsys, ex.check_cancelled_ids, in_the_read_models_order, store, concept="sorted")


def test_5_1_older_redeliveries_and_gaps_in_positions(capsys):
    def only_the_same_event(state, recorded):  # == instead of <=
        if recorded.position == state.get("checkpoint"):
            return state
        if recorded.event_type == "OrderPaid":
            state["paid"] = state.get("paid", 0) + 1
        state["checkpoint"] = recorded.position
        return state
    assert_wrong(capsys, ex.check_count_paid, only_the_same_event, concept="older events were delivered again")

    def expects_the_next_number(state, recorded):
        if recorded.position != state.get("checkpoint", 0) + 1:
            return state
        if recorded.event_type == "OrderPaid":
            state["paid"] = state.get("paid", 0) + 1
        state["checkpoint"] = recorded.position
        return state
    assert_wrong(capsys, ex.check_count_paid, expects_the_next_number, concept="skip numbers")

    def remembers_the_last_id(state, recorded):
        if recorded.event_id == state.get("last_id"):
            return state
        if recorded.event_type == "OrderPaid":
            state["paid"] = state.get("paid", 0) + 1
        state["last_id"], state["checkpoint"] = recorded.event_id, recorded.position
        return state
    assert_wrong(capsys, ex.check_count_paid, remembers_the_last_id, concept="not only the one applied last")

    def seen_positions(state, recorded):  # a right variant: a set of positions, and the checkpoint
        if recorded.position in state.setdefault("_seen", set()):
            return state
        state["_seen"].add(recorded.position)
        if recorded.event_type == "OrderPaid":
            state["paid"] = state.get("paid", 0) + 1
        state["checkpoint"] = max(state.get("checkpoint", 0), recorded.position)
        return state
    assert_correct(capsys, ex.check_count_paid, seen_positions)


def test_0_1_the_hint_never_names_the_one_wrong_label(capsys):
    for name in LABELS:
        flipped = {**LABELS, name: "command" if LABELS[name] == "event" else "event"}
        assert_wrong(capsys, ex.check_event_or_command, flipped, concept="1 of the 5 labels", never=(name,))


def test_an_error_the_learners_code_raises_is_named_with_its_message_and_line(capsys):
    def ship_when_paid(recorded):
        return [ShipOrder(recorded.event.order_id, command_id=recorded.event.missing)]
    out = assert_wrong(capsys, ex.check_reaction, ship_when_paid, concept="AttributeError")
    assert "missing" in out and "line 2 of ship_when_paid" in out and "could not read" not in out

    def refund_with_retry(shop):
        raise RuntimeError("the till is closed")
    out = assert_wrong(capsys, ex.check_retry, refund_with_retry, concept="RuntimeError (the till is closed)")


def test_11_5_the_base_class_of_the_old_rules_is_a_right_then_and_every_missed_mutant_is_named_at_once(capsys):
    paid = [OrderCreated("A", Decimal("30.00")), OrderPaid("A")]
    base = [(paid, RequestRefund("A", Decimal("0.50")), ex.RefundTooSmall),
            (paid, RequestRefund("A", Decimal("1.00")), [RefundCreated("A", Decimal("1.00"), "R1")]),
            ([], PlaceOrder("A", Decimal("0.50")), [OrderCreated("A", Decimal("0.50"))]),
            (paid, RequestRefund("A", Decimal("31.00")), ex.OrderError)]
    assert_correct(capsys, ex.check_min_refund_tests, base)
    out = assert_wrong(capsys, ex.check_min_refund_tests, base[:1], concept="3 deciders with a mistake")
    for mutant in ("exactly 1.00", "small orders", "beyond the payment"):
        assert mutant in out, out
    out = assert_wrong(capsys, ex.check_min_refund_tests,
                       [(paid, RequestRefund("A", Decimal("2")), ex.RefundTooSmall)] * 2 + base,
                       concept="cases 1, 2 expect")


def test_11_3_the_cards_id_by_analogy_with_order_id_is_right(capsys):
    story = [("GiftCardPurchased", {"giftCardId", "amount"}), ("GiftCardRedeemed", {"giftCardId", "amount"}),
             ("GiftCardExpired", {"giftCardId", "unusedAmount"})]
    assert_correct(capsys, ex.check_gift_card_events, story)
    fat = [(name, fields | {"balance", "status"}) for name, fields in story]
    assert_wrong(capsys, ex.check_gift_card_events, fat, concept="fat events")


def test_11_4_a_swallowed_failure_and_an_inbox_of_one_are_refused(capsys):
    def swallows(inbox, message, effect):
        if message["messageId"] in inbox:
            return
        try:
            effect(message)
        except Exception:
            return
        inbox.add(message["messageId"])
    assert_wrong(capsys, ex.check_receiver, swallows, concept="never delivers it again")

    def remembers_the_last(inbox, message, effect):
        if message["messageId"] in inbox:
            return
        effect(message)
        inbox.clear()
        inbox.add(message["messageId"])
    assert_wrong(capsys, ex.check_receiver, remembers_the_last, concept="not the last")

    handled = set()

    def an_inbox_of_its_own(inbox, message, effect):
        if message["messageId"] in handled:
            return
        effect(message)
        handled.add(message["messageId"])
    assert_wrong(capsys, ex.check_receiver, an_inbox_of_its_own, concept="the inbox you are given")


def test_3_2_the_limit_concerns_placing_an_order_only(capsys):
    def every_amount(command, state):
        if getattr(command, "amount", 0) > Decimal(10000):
            raise InvalidAmount(command.order_id, "above the limit")
        return decide(command, state)
    assert_wrong(capsys, ex.check_decide_with_limit, every_amount, concept="PlaceOrder alone")

    def id_from_the_state(command, state):
        if isinstance(command, PlaceOrder) and command.amount > Decimal(10000):
            raise InvalidAmount(state.order_id, "above the limit")
        return decide(command, state)
    assert_wrong(capsys, ex.check_decide_with_limit, id_from_the_state, concept="take the id from the command")


def test_6_3_and_3_3_a_payment_nobody_observed_is_not_recorded(capsys):
    def confirms_it_too(shop):
        shop.handle(RequestRefund("C", Decimal("20"), reason="overcharged"))
        shop.handle(ConfirmRefund("C", "R1"))
    assert_wrong(capsys, ex.check_fix_order, confirms_it_too, concept="payment provider")

    def refund_and_confirm(shop):
        command = RequestRefund("T1", Decimal("5"), command_id="refund-T1")
        shop.handle(command)
        again = shop.handle(command)
        shop.handle(ConfirmRefund("T1", refund_id="R1"))
        return again
    assert_wrong(capsys, ex.check_retry, refund_and_confirm, concept="payment provider")


def test_6_4_a_reaction_to_a_refund_paid_out_is_refused(capsys):
    def any_paid(recorded):
        if "Paid" in recorded.event_type:
            return [ShipOrder(recorded.event.order_id, command_id=f"ship-{recorded.event.order_id}")]
        return []
    assert_wrong(capsys, ex.check_reaction, any_paid, concept="reaction to a RefundPaid")


def test_2_1_and_2_3_refusals_are_not_hidden_and_all_events_go_in_one_append(capsys):
    def hides_it(store):
        try:
            store.append("order-9", [OrderCreated("9", Decimal("12.50"), "zoe"), OrderPaid("9")], NO_STREAM)
        except ConcurrencyError:
            return None
    assert_wrong(capsys, ex.check_first_stream, hides_it, concept="hid it")

    def generator(store):  # a right variant: any iterable of events
        return store.append("order-9", (e for e in [OrderCreated("9", Decimal("12.50"), "zoe"), OrderPaid("9")]),
                            NO_STREAM)
    assert_correct(capsys, ex.check_first_stream, generator)

    def one_by_one(store, stream_id, events, seen_version):
        try:
            for n, event in enumerate(events):
                store.append(stream_id, [event], expected_version=seen_version + n)
            return True
        except ConcurrencyError:
            return False
    assert_wrong(capsys, ex.check_append_checked, one_by_one, concept="all or nothing")

    def catches_everything(store, stream_id, events, seen_version):
        try:
            store.append(stream_id, events, expected_version=seen_version)
            return True
        except Exception:
            return False
    assert_wrong(capsys, ex.check_append_checked, catches_everything, concept="ConcurrencyError only")


def test_4_2_a_paid_order_cancelled_moves_no_money_of_its_own(capsys):
    def cancel_takes_it_back(state, recorded):
        state = customer_spend(state, recorded)
        if recorded.event_type == "OrderCancelled":
            customer, amount = state["_orders"][recorded.event.order_id]
            state[customer] = state.get(customer, Decimal(0)) - amount
        return state
    assert_wrong(capsys, ex.check_customer_spend, cancel_takes_it_back, small_shop().store,
                 concept="the cancellation itself moves no money")


def test_0_2_a_prediction_made_by_running_the_command_is_refused(capsys):
    shop = Shop(clock=SimulatedClock(start=1_628_379_200, step=3_600), ids=SeededIds(0))
    shop.handle(PlaceOrder("123456", Decimal("100"), customer_id="alice"))
    shop.handle(PayOrder("123456", Decimal("100")))
    shop.handle(RequestRefund("123456", Decimal("50"), reason="damaged"))
    assert_correct(capsys, ex.check_predicted_net, Decimal(30), shop)
    shop.handle(RequestRefund("123456", Decimal("20"), reason="damaged"))
    assert_wrong(capsys, ex.check_predicted_net, shop.state("123456").net, shop, concept="without running code")


def test_5_1_a_version_taken_for_a_position_is_named(capsys):
    def by_version(state, recorded):
        if recorded.version <= state.get("checkpoint", 0):
            return state
        if recorded.event_type == "OrderPaid":
            state["paid"] = state.get("paid", 0) + 1
        state["checkpoint"] = recorded.version
        return state
    assert_wrong(capsys, ex.check_count_paid, by_version, concept="versions start again in every stream")


def test_a_variable_used_before_it_is_set_is_named(capsys):
    def refund_with_retry(shop):
        for attempt in range(2):
            if attempt:
                answer = shop.handle(RequestRefund("T1", Decimal(5), command_id="r-1"))
        return answer if False else undefined_yet  # noqa: F821
    out = assert_wrong(capsys, ex.check_retry, refund_with_retry, concept="NameError")
    assert "'undefined_yet'" in out

    def unbound(shop):
        try:
            raise TimeoutError
        except TimeoutError:
            pass
        return response  # noqa: F821
        response = None
    out = assert_wrong(capsys, ex.check_retry, unbound, concept="UnboundLocalError")
    assert "'response' before giving it a value" in out


# --- 6b.2 a process manager with a deadline ------------------------------------------

PAY_WITHIN = 24 * 3600


def remember(deadlines, recorded):
    order_id = recorded.event.order_id
    if recorded.event_type == "OrderCreated":
        return {**deadlines, order_id: recorded.recorded_at + PAY_WITHIN}
    if recorded.event_type in ("OrderPaid", "OrderCancelled"):
        return {o: d for o, d in deadlines.items() if o != order_id}
    return deadlines


def cancel_due(deadlines, now):
    return [CancelOrder(o, "unpaid", command_id=f"cancel-unpaid-{o}") for o, d in deadlines.items() if d <= now]


def test_6b_2_a_process_manager_with_a_deadline(capsys):
    assert_correct(capsys, ex.check_deadline_process, remember, cancel_due)
    assert_pending(capsys, ex.check_deadline_process, lambda deadlines, recorded: ..., cancel_due)

    def without_an_id(deadlines, now):  # the timer fires twice: the second, new command is refused
        return [CancelOrder(o, "unpaid") for o, d in deadlines.items() if d <= now]
    assert_wrong(capsys, ex.check_deadline_process, remember, without_an_id, concept="one command id")

    def an_hour_early(deadlines, recorded):
        if recorded.event_type == "OrderCreated":
            return {**deadlines, recorded.event.order_id: recorded.recorded_at + PAY_WITHIN - 3600}
        return remember(deadlines, recorded)
    assert_wrong(capsys, ex.check_deadline_process, an_hour_early, cancel_due, concept="before its deadline")

    def keeps_paid_orders(deadlines, recorded):
        if recorded.event_type == "OrderPaid":
            return deadlines
        return remember(deadlines, recorded)
    assert_wrong(capsys, ex.check_deadline_process, keeps_paid_orders, cancel_due, concept="paid in time")

    heard = set()

    def skips_what_it_heard(deadlines, recorded):  # state outside the dict: a restart skips what it must hear again
        if recorded.event_id in heard:
            return deadlines
        heard.add(recorded.event_id)
        return remember(deadlines, recorded)
    assert_wrong(capsys, ex.check_deadline_process, skips_what_it_heard, cancel_due, concept="restarted process")

    def in_place(deadlines, recorded):
        deadlines.update(remember(deadlines, recorded))
    assert_wrong(capsys, ex.check_deadline_process, in_place, cancel_due, concept="new state")

    def sends_events(deadlines, now):
        return [OrderCancelled(o) for o, d in deadlines.items() if d <= now]
    assert_wrong(capsys, ex.check_deadline_process, remember, sends_events, concept="never events")

    def never(deadlines, now):
        return []
    assert_wrong(capsys, ex.check_deadline_process, remember, never, concept="did not cancel it")
