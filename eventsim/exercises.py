"""Self-checking exercises for the notebooks.

Each ``check_…`` takes the learner's answer and prints one line: correct,
not yet (with a hint), or not answered yet (the answer still holds ``...``).
It never raises, so a notebook with open exercises still runs to the end.
"""
from __future__ import annotations

import functools
import json
from collections import Counter
from decimal import Decimal
from typing import Any, Callable

from .clock import SimulatedClock
from .commands import PayOrder, PlaceOrder, RequestRefund
from .events import OrderCreated, OrderPaid, OrderShipped, RefundCreated, RefundPaid
from .ids import SeededIds
from .jsonl import EventFormatError, loads
from .order import InvalidAmount, OrderAlreadyPlaced, OrderError, decide, fold, initial_state
from .read_models import orders_frame, orders_projection
from .shop import Shop
from .store import InMemoryEventStore

CORRECT, WRONG, PENDING = "✅", "❌", "⏳"


def _unanswered(answer: Any) -> bool:
    """True while an answer still contains the ``...`` placeholder."""
    if answer is Ellipsis:
        return True
    if isinstance(answer, dict):
        return any(_unanswered(v) for v in answer.values())
    if isinstance(answer, (list, tuple)):
        return any(_unanswered(v) for v in answer)
    return False


class NotAnswered(Exception):
    """Raised inside a check when the learner's function still returns ``...``."""


def _answered(result: Any) -> Any:
    if result is Ellipsis:
        raise NotAnswered
    return result


def _new_shop() -> Shop:
    """A shop of the checks' own, with the same ids and times on every run."""
    return Shop(clock=SimulatedClock(), ids=SeededIds(0))


def exercise(number: str, title: str) -> Callable:
    """Turn ``check(answer) -> hint or None`` into a check that reports in plain words."""
    def wrap(check: Callable[..., str | None]) -> Callable[..., None]:
        @functools.wraps(check)
        def run(*answers: Any) -> None:
            label = f"Exercise {number} ({title})"
            pending = f"{PENDING} {label}: not answered yet — replace the ... with your answer and run both cells again."
            if any(_unanswered(a) for a in answers):
                print(pending)
                return
            try:
                hint = check(*answers)
            except NotAnswered:
                print(pending)
                return
            except Exception as error:  # the learner's code failed: say how, never a bare traceback
                hint = f"your code raised {type(error).__name__}: {error}"
            if hint is None:
                print(f"{CORRECT} {label}: correct!")
            else:
                print(f"{WRONG} {label}: not yet. {hint}")
        return run
    return wrap


# --- 0 · Start here ------------------------------------------------------

@exercise("0.1", "event or command")
def check_event_or_command(answer: dict) -> str | None:
    expected = {"OrderPaid": "event", "PayOrder": "command", "RefundCreated": "event",
                "CancelOrder": "command", "OrderShipped": "event"}
    for name, kind in expected.items():
        given = str(answer.get(name, "")).strip().lower()
        if given != kind:
            return (f"look at {name} again: is it a fact in the past tense (an event) "
                    f"or a request in the imperative (a command)?")
    return None


@exercise("0.2", "state is computed")
def check_predicted_net(predicted_net: Any) -> str | None:
    if isinstance(predicted_net, float):
        return "use Decimal (or an int), never a float, for money."
    if Decimal(predicted_net) != Decimal(30):
        return "net = paid − all refunds. Paid 100; refunds 50 and 20."
    return None


# --- 1 · Generating events -------------------------------------------------

@exercise("1.1", "write an event by hand")
def check_shipped_json(shipped: Any) -> str | None:
    if not isinstance(shipped, dict):
        return 'write a dict: {"eventType": ..., "orderId": ..., "timestamp": ...}.'
    try:
        logged = loads(json.dumps(shipped))
    except EventFormatError as error:
        return f"the store would refuse it: {error}."
    if logged.event != OrderShipped("123456"):
        return f"that reads as {logged.event}; the event is an OrderShipped of order 123456."
    if logged.recorded_at != 1628409200:
        return "the timestamp is 1628409200 (Unix seconds, a number)."
    return None


@exercise("1.2", "an order's story as events")
def check_story(story: Any) -> str | None:
    expected = [OrderCreated("A1", Decimal("42.50"), "carol"), OrderPaid("A1"),
                RefundCreated("A1", Decimal("2.50"), "R1", "late")]
    if len(story) != 3:
        return "the story has three events: created, paid, refund requested."
    for given, wanted in zip(story, expected):
        if type(given) is not type(wanted):
            return f"expected a {type(wanted).__name__} where you have {type(given).__name__}."
        if isinstance(getattr(given, "amount", None), float):
            return "amounts must be Decimal, never float: Decimal(\"42.50\")."
        if given != wanted:
            return f"{given} should be {wanted}."
    return None


@exercise("1.3", "what happened in the simulation?")
def check_type_counts(log: Any, counts: Any) -> str | None:
    expected = Counter(r.event_type for r in log)
    given = dict(counts)
    for event_type, n in expected.items():
        if given.get(event_type) != n:
            return f"there are {n} {event_type} events; you have {given.get(event_type)}."
    return None


# --- 2 · Storing events ----------------------------------------------------

@exercise("2.1", "your first stream")
def check_first_stream(my_store: Any) -> str | None:
    if not isinstance(my_store, InMemoryEventStore):
        return "my_store should be an InMemoryEventStore: my_store = InMemoryEventStore()."
    events = [r.event for r in my_store.read_stream("order-9")]
    if not events:
        return 'the stream "order-9" is empty: append to it with my_store.append("order-9", [...]).'
    expected = [OrderCreated("9", Decimal("12.50"), "zoe"), OrderPaid("9")]
    if events != expected:
        return f"order-9 holds {events}; expected {expected}."
    return None


@exercise("2.2", "reading part of a stream")
def check_later_events(store: Any, later_events: Any) -> str | None:
    expected = store.read_stream("order-1")[1:]
    if list(later_events) != expected:
        versions = [getattr(r, "version", r) for r in later_events]
        return f"you have versions {versions}; read_stream takes a from_version argument."
    return None


@exercise("2.3", "append, or try again")
def check_append_checked(append_checked: Callable) -> str | None:
    store = InMemoryEventStore()
    first = _answered(append_checked(store, "order-1", [OrderCreated("1", Decimal(5))], 0))
    if first is not True or store.stream_version("order-1") != 1:
        return "with the right expected version the append should happen and the function return True."
    stale = append_checked(store, "order-1", [OrderPaid("1")], 0)
    if store.stream_version("order-1") != 1:
        return "with a stale version nothing may be recorded: pass it as expected_version=..."
    if stale is not False:
        return "with a stale version, catch ConcurrencyError and return False."
    return None


# --- 3 · Processing commands -----------------------------------------------

@exercise("3.1", "predict the refusal")
def check_expected_error(expected_error: Any) -> str | None:
    if not (isinstance(expected_error, type) and issubclass(expected_error, OrderError)):
        return "assign an error class such as RefundExceedsPayment (no quotes, no brackets)."
    state = fold([OrderCreated("1", Decimal(80)), OrderPaid("1"),
                  RefundCreated("1", Decimal(50), "R1"), RefundCreated("1", Decimal(20), "R2")])
    try:
        decide(RequestRefund("1", Decimal(15)), state)
    except OrderError as error:
        if type(error) is expected_error:
            return None
    return "add up the refunds: 50 + 20 + 15, and compare with what was paid."


@exercise("3.2", "add a rule")
def check_decide_with_limit(decide_with_limit: Callable) -> str | None:
    small = PlaceOrder("1", Decimal("10000"))
    if _answered(decide_with_limit(small, initial_state)) != decide(small, initial_state):
        return "an order of exactly 10000 is allowed: return decide(command, state) for it."
    try:
        decide_with_limit(PlaceOrder("2", Decimal("10000.01")), initial_state)
    except InvalidAmount:
        pass
    else:
        return "a PlaceOrder of 10000.01 should raise InvalidAmount(command.order_id, '...')."
    placed = fold([OrderCreated("3", Decimal(5))])
    if decide_with_limit(PayOrder("3", Decimal(5)), placed) != decide(PayOrder("3", Decimal(5)), placed):
        return "other commands must still go to decide(command, state)."
    try:
        decide_with_limit(PlaceOrder("3", Decimal(5)), placed)
    except OrderAlreadyPlaced:
        return None
    return "the old rules still apply: pass everything else on to decide."


@exercise("3.3", "a retry that does not charge twice")
def check_retry(retry_shop: Any, version_after_retry: Any) -> str | None:
    stream = retry_shop.store.read_stream("order-R1")
    types = [r.event_type for r in stream]
    if types.count("OrderPaid") > 1:
        return "the order was paid twice: give both PayOrder commands the same command_id."
    if types != ["OrderCreated", "OrderPaid"]:
        return f'order R1 holds {types}; place it for Decimal("20"), then pay it (twice, same command_id).'
    if not any(r.causation_id == "R1" for r in stream):
        return 'give the PayOrder command_id="R1".'
    if version_after_retry != retry_shop.store.stream_version("order-R1"):
        return 'version_after_retry should be retry_shop.store.stream_version("order-R1").'
    return None


# --- 4 · Projections and queries -------------------------------------------

@exercise("4.1", "a new read model: customer spend")
def check_customer_spend(customer_spend: Callable, store: Any) -> str | None:
    state: dict = {}
    for recorded in store.read_all():
        state = _answered(customer_spend(state, recorded))
        if not isinstance(state, dict):
            return "return the state (the dict) at the end of the function."
    expected: dict = {}
    orders = orders_frame(orders_projection.fold(store.read_all()))
    for row in orders[orders["paid"] > 0].itertuples():
        expected[row.customer_id] = expected.get(row.customer_id, Decimal(0)) + row.net
    given = {k: v for k, v in state.items() if not str(k).startswith("_")}
    for customer, net in expected.items():
        if given.get(customer) != net:
            return f"customer {customer} should have net {net}, you have {given.get(customer)}."
    extra = set(given) - set(expected)
    if extra:
        return f"unexpected keys {sorted(map(str, extra))}: keep helper data under a key starting with _."
    return None


@exercise("4.2", "make it idempotent")
def check_count_paid(count_paid: Callable) -> str | None:
    shop = _new_shop()
    for n in range(3):
        shop.handle(PlaceOrder(str(n), Decimal(10)))
        shop.handle(PayOrder(str(n), Decimal(10)))
    state: dict = {}
    for recorded in shop.store.read_all():
        for _ in range(1 + recorded.position % 2):  # every other event is delivered twice
            state = _answered(count_paid(state, recorded))
    if not isinstance(state, dict):
        return "return the state (the dict) at the end of the function."
    if state.get("paid") != 3:
        return (f"3 orders were paid but you counted {state.get('paid')}: compare recorded.position with "
                f"state['checkpoint'] before counting, and update the checkpoint afterwards.")
    if state.get("checkpoint") != shop.store.last_position:
        return "keep the position of the last applied event in state['checkpoint']."
    return None


@exercise("4.3", "ask the read side")
def check_cancelled_ids(read_models: Any, cancelled_ids: Any) -> str | None:
    frame = read_models.orders_frame()
    expected = sorted(frame.loc[frame["status"] == "cancelled", "order_id"])
    if list(cancelled_ids) != expected:
        return "use queries.orders_by_status('cancelled') and take its order_id column, sorted."
    return None


# --- 5 · Tracing and time travel -------------------------------------------

@exercise("5.1", "what was it then?")
def check_status_at_v3(store: Any, status_at_v3: Any) -> str | None:
    expected = fold(r.event for r in store.read_stream("order-123456")[:3]).status
    if status_at_v3 != expected:
        return "state_at_version(store, order_id, 3) returns a state; take its .status."
    return None


@exercise("5.2", "who caused the refund?")
def check_refund_paid_cause(store: Any, refund_paid_cause: Any) -> str | None:
    expected = next(r.causation_id for r in store.read_stream("order-123456") if r.event_type == "RefundPaid")
    if refund_paid_cause != expected:
        return "find the RefundPaid event in the order's stream and read its causation_id."
    return None


@exercise("5.3", "compensate an overcharge")
def check_fix_order(fix_order: Callable) -> str | None:
    shop = _new_shop()
    shop.handle(PlaceOrder("C", Decimal(90)))
    shop.handle(PayOrder("C", Decimal(90)))
    original = shop.store.read_stream("order-C")
    _answered(fix_order(shop))
    state = shop.state("C")
    if shop.store.read_stream("order-C")[:2] != original:
        return "the original events must stay as they were."
    if state.net != 70:
        return f"the order's net is {state.net}; a refund of the difference brings it to 70."
    if state.cancelled:
        return "the order was sold, just overcharged: compensate the difference, do not cancel it."
    return None


# --- 6 · Trade-offs, measured ----------------------------------------------

@exercise("6.1", "capstone: a bank account")
def check_bank_account(decide_account: Callable, evolve_account: Callable, Deposit: type, Withdraw: type,
                       InsufficientFunds: type) -> str | None:
    balance = Decimal(0)

    def run(command: Any) -> list:
        nonlocal balance
        events = _answered(decide_account(command, balance))
        if not isinstance(events, list):
            raise TypeError(f"decide_account should return a list of events, not {type(events).__name__}")
        for event in events:
            balance = _answered(evolve_account(balance, event))
        return events

    run(Deposit("a", Decimal("100")))
    run(Withdraw("a", Decimal("30.50")))
    if balance != Decimal("69.50"):
        return f"after depositing 100 and withdrawing 30.50 the balance should be 69.50, not {balance}."
    try:
        run(Withdraw("a", Decimal("70")))
    except InsufficientFunds:
        pass
    else:
        return "withdrawing 70 from 69.50 should raise InsufficientFunds."
    if balance != Decimal("69.50"):
        return "a refused withdrawal must not change the balance."
    for amount in (Decimal(0), Decimal(-5)):
        try:
            run(Deposit("a", amount))
        except ValueError:
            continue
        return f"a deposit of {amount} should raise ValueError: amounts must be positive."
    return None


@exercise("6.2", "load from a snapshot")
def check_load_with_snapshot(load_with_snapshot: Callable) -> str | None:
    events = [OrderCreated("1", Decimal(50)), OrderPaid("1"), RefundCreated("1", Decimal(5), "R1"),
              RefundPaid("1", "R1"), OrderShipped("1")]
    for split in range(len(events) + 1):
        loaded = _answered(load_with_snapshot(fold(events[:split]), events[split:]))
        if loaded != fold(events):
            return (f"with a snapshot at version {split} you returned {loaded}; "
                    "fold the events after it, starting from the snapshot.")
    return None
