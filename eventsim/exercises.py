"""Self-checking exercises for the notebooks.

Each ``check_…`` takes the learner's answer and prints one line: correct,
not yet (with a hint), or not answered yet (the answer still holds ``...``).
It never raises, so a notebook with open exercises still runs to the end.
"""
from __future__ import annotations

import functools
from decimal import Decimal
from typing import Any, Callable

__all__ = ["check_event_or_command", "check_predicted_net", "check_first_stream", "check_later_events",
           "check_append_checked", "check_expected_error", "check_decide_with_limit", "check_retry"]

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


# --- 2 · Storing events ----------------------------------------------------

@exercise("2.1", "your first stream")
def check_first_stream(my_store: Any) -> str | None:
    from .events import OrderCreated, OrderPaid
    from .store import InMemoryEventStore
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
    from .events import OrderCreated, OrderPaid
    from .store import InMemoryEventStore
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
    from .commands import RequestRefund
    from .events import OrderCreated, OrderPaid, RefundCreated
    from .order import OrderError, decide, fold
    if not (isinstance(expected_error, type) and issubclass(expected_error, OrderError)):
        return "assign an error class such as RefundExceedsPayment (no quotes, no brackets)."
    state = fold([OrderCreated("1", Decimal(80)), OrderPaid("1"),
                  RefundCreated("1", Decimal(50), "1-R1"), RefundCreated("1", Decimal(20), "1-R2")])
    try:
        decide(RequestRefund("1", Decimal(15)), state)
    except OrderError as error:
        if type(error) is expected_error:
            return None
    return "add up the refunds: 50 + 20 + 15, and compare with what was paid."


@exercise("3.2", "add a rule")
def check_decide_with_limit(decide_with_limit: Callable) -> str | None:
    from .commands import PayOrder, PlaceOrder
    from .order import InvalidAmount, OrderAlreadyPlaced, decide, fold, initial_state
    from .events import OrderCreated
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
    if not any(r.causation_id == "pay-R1" for r in stream):
        return 'give the PayOrder command_id="pay-R1".'
    if version_after_retry != retry_shop.store.stream_version("order-R1"):
        return 'version_after_retry should be retry_shop.store.stream_version("order-R1").'
    return None
