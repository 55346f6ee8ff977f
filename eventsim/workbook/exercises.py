"""Self-checking exercises for the notebooks.

Each ``check_…`` takes the learner's answer and prints one line: correct,
not yet (with a hint), or not answered yet (the answer still holds ``...``).
It never raises, so a notebook with open exercises still runs to the end.

A check is only a test if it can fail on the mistake its exercise is about,
so each check builds a situation where that mistake shows: a store where
another writer appends between a read and a write, a stream that already
exists, a read model that lags, an event delivered twice.
tests/test_exercise_mistakes.py holds the wrong answers each check must refuse.

Hints name the idea the learner missed, never the answer, and never pass on
Python's own error messages: an exception from the learner's code is told
back as what it means (eventsim's own errors are written for people and are
quoted as they are).
"""

from __future__ import annotations

import copy
import dataclasses
import functools
import json
import re
import traceback
from collections import Counter
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, get_args

from ..application import Application
from ..clock import SimulatedClock
from ..domain import Domain
from ..ids import SeededIds
from ..jsonl import EventFormatError, loads
from ..shop import CommandIdReused, Shop
from ..shop.commands import CancelOrder, Command, ConfirmRefund, PayOrder, PlaceOrder, RequestRefund, ShipOrder
from ..shop.events import EVENT_TYPES, OrderCancelled, OrderCreated, OrderPaid, OrderShipped, RefundCreated, RefundPaid
from ..shop.order import DuplicateRefund, InvalidAmount, OrderAlreadyPlaced, OrderError, decide, fold, initial_state
from ..shop.read_models import ShopReadModels
from ..store import ANY, ConcurrencyError, InMemoryEventStore, RecordedEvent
from .diagrams import AUTOMATION, STATE_CHANGE, STATE_VIEW, TRANSLATION

CORRECT, WRONG, PENDING = "✅", "❌", "⏳"
PACKAGE = Path(__file__).resolve().parents[1]  # eventsim/


class NotAnswered(Exception):
    """The learner's function still returns ``...``."""


class Hint(Exception):
    """A check found a mistake; the message says what the learner should look at."""


def _unanswered(answer: Any) -> bool:
    """True while an answer still contains the ``...`` placeholder."""
    if answer is Ellipsis:
        return True
    if isinstance(answer, dict):
        return any(_unanswered(v) for v in answer.values())
    if isinstance(answer, (list, tuple)):
        return any(_unanswered(v) for v in answer)
    return False


def _answered(result: Any) -> Any:
    if result is Ellipsis:
        raise NotAnswered
    return result


def _brief(value: Any) -> str:
    """A value as a hint may quote it: its repr when short, else only its kind (a hint never prints a state)."""
    text = repr(value)
    return text if len(text) <= 40 else f"a {type(value).__name__}"


def _raised_by_eventsim(error: BaseException) -> bool:
    """True when ``error`` was raised inside eventsim (not by the learner's code or Python itself):
    eventsim's messages say what and where in plain words, so they can be shown as they are."""
    frames = traceback.extract_tb(error.__traceback__)
    return (
        bool(frames)
        and PACKAGE in Path(frames[-1].filename).resolve().parents
        and Path(frames[-1].filename).name != "exercises.py"
        and (frames[-1].line or "").lstrip().startswith("raise")  # eventsim's own words, not Python's
    )


def _meaning(error: BaseException) -> str:
    """What an error from the learner's code was, and what it usually means, in the learner's terms.

    The exception is named with the gist of its message (the key, the attribute, the name), so the learner
    can find it; Python's own sentences are not passed on, but a message the learner's code wrote is.
    """
    kind = type(error).__name__
    if isinstance(error, OrderError):
        return f"the shop refused a command: {error.problem} (rule: {error.rule})"
    if isinstance(error, ConcurrencyError):
        return "the store refused an append: the stream was not at the version it expected"
    if _raised_by_eventsim(error):
        return f"eventsim refused a value: {error}"
    if isinstance(error, KeyError):
        return f"it raised {kind} {error.args[0]!r}: it looked up {error.args[0]!r} in a dict that has no such key"
    if isinstance(error, AttributeError):
        obj = getattr(error, "obj", None)
        owner = f"a {type(obj).__name__}" if obj is not None else "a value (perhaps None)"
        return (
            f"it raised {kind}: it asked {owner} for {getattr(error, 'name', None) or 'an attribute'}, "
            "which it does not have (a value of another kind than expected)"
        )
    if isinstance(error, UnboundLocalError):
        local = re.search(r"'(\w+)'", str(error))
        variable = f"the variable {local[1]!r}" if local else "a variable"
        return (
            f"it raised {kind}: it used {variable} before giving it a value "
            "(on one path through your code it is never set)"
        )
    if isinstance(error, NameError):
        return (
            f"it raised {kind}: it uses the name {getattr(error, 'name', None) or '?'!r}, which is not defined "
            "(run the cells above first, or check the spelling)"
        )
    if isinstance(error, (TypeError, InvalidOperation)):
        return f"it raised {kind}: it combined values of the wrong types, or called a function with the wrong arguments"
    if isinstance(error, (IndexError, StopIteration)):
        return f"it raised {kind}: it looked for an item that is not there"
    message = str(error).strip().splitlines()[0][:160] if str(error).strip() else ""
    return f"it raised {kind}" + (f" ({message})" if message else "")


def _where(error: BaseException, function: Any) -> str:
    """' (line N of your function)' for the learner's line that raised, when it is in ``function`` itself."""
    code = getattr(function, "__code__", None)
    if code is None:
        return ""
    lines = [f.lineno for f in traceback.extract_tb(error.__traceback__) if f.filename == code.co_filename]
    if not lines or lines[-1] is None:
        return ""
    return f" (line {lines[-1] - code.co_firstlineno + 1} of {getattr(function, '__name__', 'your function')})"


def _call(doing: str, function: Any, *args: Any, what: str = "your function", on: dict[type, str] | None = None) -> Any:
    """Call the learner's ``function``; turn whatever it raises into a ``Hint`` about ``doing``.

    ``on`` maps exception classes to hints specific to this exercise.
    """
    if not callable(function):
        raise Hint(f"{what} should be a function (def …), not a {type(function).__name__}.")
    try:
        return _answered(function(*args))
    except (NotAnswered, Hint):
        raise
    except Exception as error:
        for kind, hint in (on or {}).items():
            if isinstance(error, kind):
                raise Hint(hint) from None
        raise Hint(f"{what} failed while {doing}{_where(error, function)}: {_meaning(error)}.") from None


def exercise(number: str, title: str, shape: str = "the kind of value the exercise asks for") -> Callable:
    """Turn ``check(answer) -> hint or None`` into a check that reports in plain words.

    ``shape`` says what the answer should be; it is the hint when the check
    cannot even read the answer.
    """

    def wrap(check: Callable[..., str | None]) -> Callable[..., None]:
        @functools.wraps(check)
        def run(*answers: Any) -> None:
            label = f"Exercise {number} ({title})"
            pending = (
                f"{PENDING} {label}: not answered yet — replace the ... with your answer and run both cells again."
            )
            if any(_unanswered(a) for a in answers):
                print(pending)
                return
            try:
                hint = check(*answers)
            except NotAnswered:
                print(pending)
                return
            except Hint as found:
                hint = str(found)
            except Exception:  # the answer is not even the right kind of value
                hint = f"the check could not read your answer: it should be {shape}."
            if hint is None:
                print(f"{CORRECT} {label}: correct!")
            else:
                print(f"{WRONG} {label}: not yet. {hint}")

        return run

    return wrap


def _new_shop() -> Shop:
    """A shop of the checks' own, with the same ids and times on every run."""
    return Shop(clock=SimulatedClock(), ids=SeededIds(0))


def _is_money(value: Any) -> bool:
    return isinstance(value, (Decimal, int)) and not isinstance(value, bool)


# --- 0 · Start here ------------------------------------------------------


@exercise("0.1", "event or command", shape='a dict {"OrderPaid": "event" or "command", …}')
def check_event_or_command(answer: dict) -> str | None:
    if not isinstance(answer, dict):
        raise Hint('answer should be a dict that maps each name to "event" or "command".')
    expected = {
        "OrderPaid": "event",
        "PayOrder": "command",
        "RefundCreated": "event",
        "CancelOrder": "command",
        "OrderShipped": "event",
    }
    for name in expected:
        given = answer.get(name)
        if not isinstance(given, str) or given.strip().lower() not in ("event", "command"):
            return f'label {name} with the string "event" or "command".'
    wrong = sum(answer[name].strip().lower() != kind for name, kind in expected.items())
    if wrong:
        # Which label is wrong is not said: in a choice of two, naming it would give the answer away.
        return (
            f"{wrong} of the {len(expected)} labels {'is' if wrong == 1 else 'are'} off: for each name, ask "
            "whether it is a fact in the past tense (an event) or a request in the imperative (a command)."
        )
    return None


@exercise("0.2", "state is computed", shape="a number: a Decimal or an int")
def check_predicted_net(predicted_net: Any, shop: Any = None) -> str | None:
    """``shop`` is the notebook's: the prediction is made without running code, so its log must be as it was."""
    if shop is not None and len(shop.store) != 3:
        return (
            "the shop's log no longer holds the three events it had: a command was run on it, and what it "
            "recorded stays there for good. Predict without running code (run the cells above again to start over)."
        )
    if isinstance(predicted_net, float):
        return 'use Decimal (or an int), never a float, for money: Decimal("…").'
    if not _is_money(predicted_net):
        return "predicted_net should be a number (a Decimal or an int), not text."
    if predicted_net == 70:
        return "that is the total of the refunds requested: net is what was paid minus that total."
    if predicted_net == 80:
        return "that counts only the new refund: the first refund still counts."
    if predicted_net == 50:
        return "that is the net before the new refund: add the new one to the refunds."
    if predicted_net != 30:
        return "net is what was paid minus every refund requested so far, the new one included."
    return None


# --- 1 · Generating events -------------------------------------------------


@exercise("1.1", "write an event by hand", shape='a dict such as {"eventType": …, "orderId": …, "timestamp": …}')
def check_shipped_json(shipped: Any) -> str | None:
    if isinstance(shipped, str):
        return "write a dict, not a JSON string: the workbook turns the dict into JSON for you."
    if not isinstance(shipped, dict):
        return 'write a dict: {"eventType": ..., "orderId": ..., "timestamp": ...}.'
    kind = shipped.get("eventType")
    if isinstance(kind, str) and kind.startswith("Ship"):
        return (
            "the log records events, facts in the past tense; a name in the imperative is a command, "
            "a request that may still be refused."
        )
    if isinstance(shipped.get("timestamp"), str):
        return "a timestamp is a number of Unix seconds: a JSON number has no quotes."
    if isinstance(shipped.get("orderId"), int):
        return "an order id is a string (ids are names, not numbers): put it in quotes."
    try:
        logged = loads(json.dumps(shipped))
    except EventFormatError as error:
        return f"the log would refuse that line: {error}."
    if not isinstance(logged.event, OrderShipped):
        return "that is a different event: the story is that the order left the warehouse."
    if logged.event != OrderShipped("123456"):
        return "check the order id: it is the order from the story."
    if logged.recorded_at != 1628409200:
        return "check the timestamp: Unix seconds, the number from the story."
    return None


_STORY: list[Any] = [
    OrderCreated("A1", Decimal("42.50"), "carol"),
    OrderPaid("A1"),
    RefundCreated("A1", Decimal("2.50"), "R1", "late"),
]
_STORY_STEPS = ["the order was placed", "it was paid", "a refund was requested"]


@exercise("1.2", "an order's story as events", shape="a list of three events")
def check_story(story: Any) -> str | None:
    if not isinstance(story, list):
        return "story should be a list of events, oldest first: [event, event, event]."
    if any(type(e).__name__ in {"PlaceOrder", "PayOrder", "RequestRefund"} for e in story):
        return (
            "the story holds commands (requests, in the imperative): "
            "what happened is told by events, in the past tense."
        )
    if len(story) != len(_STORY):
        return f"the story has {len(_STORY)} events, one for each thing that happened; you have {len(story)}."
    for n, (given, wanted, step) in enumerate(zip(story, _STORY, _STORY_STEPS), 1):
        if isinstance(given, RefundPaid):
            return (
                f"event {n}: the refund was only requested; paying it out is a later fact, "
                "recorded when the payment provider has paid."
            )
        if type(given) is not type(wanted):
            return f"event {n} should record that {step}."
        for field in wanted.__dataclass_fields__:
            if getattr(given, field) != getattr(wanted, field):
                return f"event {n} ({type(wanted).__name__}): check its {field} against the story."
    return None


@exercise("1.3", "what happened in the simulation?", shape="a dict {event type name: number of events}")
def check_type_counts(log: Any, counts: Any) -> str | None:
    if not isinstance(counts, dict):
        return "counts should be a dict (or a Counter): event type name -> number of events."
    expected = Counter(r.event_type for r in log)
    unknown = [k for k in counts if k not in expected]
    if unknown:
        return (
            f"your keys include {unknown[0]!r}: count by the *name* of each event's type, "
            "which the store's envelope gives as recorded.event_type."
        )
    for event_type, n in expected.items():
        given = counts.get(event_type, 0)
        if given != n:
            return f"your count of {event_type} is {given}: count every event in the whole log, all streams together."
    return None


# --- 1b · Modelling events ------------------------------------------------

#: A slice of the shop -> the Event Modeling pattern it is.
_SLICES = {
    "a customer presses 'Place order' and the order is recorded": STATE_CHANGE,
    "the clerk's screen lists the paid orders waiting to ship": STATE_VIEW,
    "each requested refund is paid out by the refund process, with nobody pressing a button": AUTOMATION,
    "the payment provider's webhook 'payout.succeeded' becomes our ConfirmRefund": TRANSLATION,
    "the finance team's daily revenue report": STATE_VIEW,
    "a clerk marks a paid order as shipped": STATE_CHANGE,
    "an order still unpaid after 24 hours is cancelled by a scheduled job": AUTOMATION,
    "the bank's statement line for a customer's transfer becomes PayOrder": TRANSLATION,
}
_PATTERNS = (STATE_CHANGE, STATE_VIEW, AUTOMATION, TRANSLATION)
#: (answered, right) -> what the learner mixed up, said without naming the slice.
_MIXED_UP = {
    (STATE_CHANGE, STATE_VIEW): "a screen or a report that only shows something records nothing: events go in, "
    "a read model comes out (a state view).",
    (STATE_VIEW, STATE_CHANGE): "where someone asks for something to happen and an event is recorded, the slice "
    "changes state, even though a screen is where they ask.",
    (TRANSLATION, AUTOMATION): "a slice that our own system starts, reading its own to-do list (a process, a "
    "timer), is an automation; a translation starts from another system's message.",
    (AUTOMATION, TRANSLATION): "when the slice starts from another system's message in that system's words (a "
    "webhook, a bank statement), it translates it into our command: a translation, not an automation.",
}


@exercise(
    "1b.1", "which pattern?", shape="a dict mapping each slice to STATE_CHANGE, STATE_VIEW, AUTOMATION or TRANSLATION"
)
def check_patterns(answers: Any) -> str | None:
    if not isinstance(answers, dict):
        return "answer with the dict of the cell above, each ... replaced by one of the four patterns."
    given = {piece: str(answer).strip() for piece, answer in answers.items()}
    for piece in _SLICES:
        if piece not in given:
            return f"give an answer for {piece!r} (copy the keys from the cell above)."
        if given[piece] not in _PATTERNS:
            return (
                "answer each slice with STATE_CHANGE, STATE_VIEW, AUTOMATION or TRANSLATION, the names imported "
                f"above (without quotes), not {given[piece]!r}."
            )
    if len(set(given.values())) == 1:
        return "the shop has all four patterns, two slices each: ask of each slice who or what starts it."
    wrong = [(given[piece], right) for piece, right in _SLICES.items() if given[piece] != right]
    if not wrong:
        return None
    hint = next((_MIXED_UP[pair] for pair in wrong if pair in _MIXED_UP), None) or (
        "ask who or what starts each slice: a person (a state change), nobody, only something shown (a state "
        "view), our own process or timer reading a to-do list (an automation), or another system's message (a "
        "translation)."
    )
    # Not which: naming the slice would give its answer away.
    return f"{len(wrong)} of the {len(_SLICES)} answers {'is' if len(wrong) == 1 else 'are'} off. One hint: {hint}"


#: The fields a learner may choose for a redesigned OrderPaid, and why each is in or out.
PAID_FIELDS = (
    "orderId",
    "amount",
    "currency",
    "paymentReference",
    "customerName",
    "customerEmail",
    "status",
    "totalPaidSoFar",
)
_PAID_NEEDED = {"orderId", "amount", "currency"}
_PAID_OPTIONAL = {"paymentReference"}
_PAID_PERSONAL = {"customerName", "customerEmail"}
_PAID_STATE = {"status", "totalPaidSoFar"}


@exercise("1b.2", "what does OrderPaid carry?", shape='a set of field names, e.g. {"orderId", ...}')
def check_paid_fields(fields: Any) -> str | None:
    if isinstance(fields, str) or not isinstance(fields, (set, frozenset, list, tuple)):
        return 'give a set of field names from PAID_FIELDS, such as {"orderId", "amount"}.'
    chosen = {str(field).strip() for field in fields}
    unknown = sorted(chosen - set(PAID_FIELDS))
    if unknown:
        return f"{unknown[0]!r} is not one of the fields offered; choose from PAID_FIELDS (in camelCase, as printed)."
    if "orderId" not in chosen:
        return "the event must say which order was paid: every event of an order's stream carries its id."
    if chosen & _PAID_PERSONAL:
        return (
            "a name or an e-mail address in an event stays in the log for good, where nobody can forget it when "
            "the customer asks; the report needs none (notebook 10 shows how personal data is kept sealed)."
        )
    if chosen & _PAID_STATE:
        return (
            "a status or a running total copies the order's state into the event: every reader then depends on "
            "the writer's shape, and the copy can disagree with the events. Carry what happened at this moment."
        )
    missing = sorted(_PAID_NEEDED - chosen)
    if missing:
        return (
            "the report must act on the event alone: without the money it still has to find how much was paid, "
            "and in which currency, in other events."
        )
    return None


# --- 2 · Storing events ----------------------------------------------------


class _StoreProxy:
    """Passes everything on to a real store; the checks override what they need to watch."""

    def __init__(self, store: InMemoryEventStore):
        self._store = store

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)

    def __len__(self) -> int:
        return len(self._store)


class _WatchedStore(_StoreProxy):
    """Remembers the expected version of every append."""

    def __init__(self, store: InMemoryEventStore):
        super().__init__(store)
        self.expected: list[Any] = []

    def append(self, stream_id: Any, events: Any, expected_version: Any = ANY, **kwargs: Any) -> Any:
        if stream_id is Ellipsis or events is Ellipsis or expected_version is Ellipsis or _unanswered(events):
            raise NotAnswered
        if isinstance(events, (str, bytes, dict)) or not hasattr(events, "__iter__"):
            raise Hint("append takes a list of events, even for a single event: [event].")
        events = list(events)
        self.expected.append(expected_version)
        return self._store.append(stream_id, events, expected_version, **kwargs)


def _checks_store() -> InMemoryEventStore:
    return InMemoryEventStore(clock=SimulatedClock(), ids=SeededIds(0))


@exercise("2.1", "your first stream", shape="a function open_order_9(store) that appends to the store it is given")
def check_first_stream(open_order_9: Any) -> str | None:
    store = _WatchedStore(_checks_store())
    try:
        _call(
            "opening order 9 in an empty store",
            open_order_9,
            store,
            what="open_order_9",
            on={
                ConcurrencyError: "your function was refused on an empty store: once the first event "
                "is in, the stream exists. Append both events in one call: all or nothing."
            },
        )
    except NotAnswered:
        if not store.expected:
            raise  # returned ... and appended nothing: not answered yet
    if not store.expected:
        return "nothing was appended to the store your function was given: append to store, not to a new one."
    expected = [OrderCreated("9", Decimal("12.50"), "zoe"), OrderPaid("9")]
    events = [r.event for r in store.read_stream("order-9")]
    if not events:
        return f"you appended to stream {store.stream_ids()[0]!r}: an order's stream is named order-<order id>."
    if events != expected:
        return "order-9 should hold the order's creation (12.50, by zoe), then its payment, in that order."
    if len(store.expected) > 1:
        return (
            "both events are there, in two appends: should the process stop between them, order 9 stays placed "
            "and never paid. The events of one decision go in one append: all or nothing."
        )
    first = store.expected[0]
    if first is ANY:
        return (
            "your append did not say that the stream must be new, so it would add to an order 9 "
            "someone else created already: state the expected version that means 'no stream yet'."
        )
    if first == 0:
        return (
            "0 happens to work in this store, but say what you mean: 'no stream yet' has a name of its own "
            "(in stores that count versions from 0, a 0 means one event is there)."
        )
    taken = _WatchedStore(_checks_store())
    taken.append("order-9", [OrderCreated("9", Decimal("99"), "yann")])
    try:
        said = open_order_9(taken)
    except Exception:  # ConcurrencyError is the right outcome; anything else shows in the version below
        said = False
    if taken.stream_version("order-9") != 1:
        return "when order-9 already exists, your function still adds to it: the first append must be refused."
    if said is not False:
        return (
            f"when order-9 already exists the store refused your append, and your function hid it (it returned "
            f"{_brief(said)}): whoever called it believes order 9 was opened. Let the refusal reach the caller."
        )
    return None


@exercise("2.2", "reading part of a stream", shape="the list that store.read_stream returns")
def check_later_events(store: Any, later_events: Any) -> str | None:
    if not isinstance(later_events, list):
        return "later_events should be the list the store returns (recorded events), not a single value."
    expected = store.read_stream("order-1")[1:]
    if later_events and not hasattr(later_events[0], "version"):
        return "keep the recorded events (envelopes with a version and position), not just the domain events."
    if later_events == expected:
        return None
    if any(r.stream_id != "order-1" for r in later_events):
        return "those come from other streams too: read one stream, not the whole log."
    versions = [r.version for r in later_events]
    return f"you have versions {versions}: read the stream from its second version on."


class _RacyStore(_StoreProxy):
    """Another clerk appends ``rival`` to the stream as soon as anyone reads its version."""

    def __init__(self, store: InMemoryEventStore, stream_id: str, rival: Any):
        super().__init__(store)
        self._rival: tuple[str, Any] | None = (stream_id, rival)

    def _another_clerk_acts(self) -> None:
        if self._rival is not None:
            stream_id, event = self._rival
            self._rival = None
            self._store.append(stream_id, [event])

    def stream_version(self, stream_id: str) -> int:
        version = self._store.stream_version(stream_id)
        self._another_clerk_acts()
        return version

    def read_stream(self, stream_id: str, *args: Any, **kwargs: Any) -> Any:
        events = self._store.read_stream(stream_id, *args, **kwargs)
        self._another_clerk_acts()
        return events


@exercise("2.3", "append, or try again", shape="a function append_checked(store, stream_id, events, seen_version)")
def check_append_checked(append_checked: Any) -> str | None:
    escaped = (
        "the store refused a stale append and your function let the ConcurrencyError escape: catch it and return False."
    )
    store = _checks_store()
    watched = _WatchedStore(store)
    first = _call(
        "appending with the right version",
        append_checked,
        watched,
        "order-1",
        [OrderCreated("1", Decimal(5)), OrderPaid("1")],
        0,
        what="append_checked",
        on={ConcurrencyError: escaped},
    )
    if store.stream_version("order-1") != 2:
        return "with the version the stream is at, the append should happen: every event given, in order."
    if len(watched.expected) > 1:
        return (
            "the events given went in one append each: should the second be refused, the first stays recorded. "
            "The events of one decision go in one append: all or nothing."
        )
    store = _checks_store()
    store.append("order-1", [OrderCreated("1", Decimal(5))])
    if first is not True:
        return f"after a successful append, return True (the boolean), not {_brief(first)}."
    stale = _call(
        "appending with a stale version",
        append_checked,
        store,
        "order-1",
        [OrderPaid("1")],
        0,
        what="append_checked",
        on={ConcurrencyError: escaped},
    )
    if store.stream_version("order-1") != 1:
        return (
            "with a stale version nothing may be recorded: expect the version the clerk saw, "
            "not the one the stream is at now."
        )
    if stale is not False:
        return f"when the append is refused, return False (the boolean), not {_brief(stale)}."
    racy = _RacyStore(store, "order-1", OrderCancelled("1", "another clerk cancelled"))
    raced = _call(
        "appending while another clerk writes",
        append_checked,
        racy,
        "order-1",
        [OrderPaid("1")],
        1,
        what="append_checked",
        on={ConcurrencyError: escaped},
    )
    if store.stream_version("order-1") == 3:
        return (
            "another clerk cancelled the order between your version check and your append, and your payment "
            "was recorded after the cancellation: a check made before the write leaves a gap for another "
            "writer. Let the store compare the version in the append itself."
        )
    if raced is not False and raced is not True:
        return "return True or False."
    try:
        broken = append_checked(_checks_store(), "order-2", ["not an event"], 0)
    except Exception:  # the store's own error, passed on: right
        broken = None
    if broken is False:
        return (
            "your function answered False to an append the store refused for another reason (what it was "
            "given is not an event): False means that another writer came first, so catch ConcurrencyError only."
        )
    return None


# --- 3 · Processing commands -----------------------------------------------

_REFUNDS_TOO_MUCH = fold(
    [
        OrderCreated("1", Decimal(80)),
        OrderPaid("1"),
        RefundCreated("1", Decimal(50), "R1"),
        RefundCreated("1", Decimal(20), "R2"),
    ]
)


@exercise("3.1", "predict the refusal", shape="an error class, such as one of those imported above")
def check_expected_error(expected_error: Any) -> str | None:
    if isinstance(expected_error, str):
        return "assign the class itself, not its name in quotes."
    if isinstance(expected_error, BaseException):
        return "assign the class itself, without brackets: not an error made from it."
    if not (isinstance(expected_error, type) and issubclass(expected_error, OrderError)):
        return "assign one of the order's error classes (each is one business rule)."
    try:
        decide(RequestRefund("1", Decimal(15)), _REFUNDS_TOO_MUCH)
    except OrderError as error:
        if type(error) is expected_error:
            return None
    if expected_error.__name__ == "InvalidAmount":
        return "15 is a fine amount on its own: the rule broken is about the order as a whole."
    if expected_error.__name__ in ("OrderNotPaid", "OrderAlreadyPaid"):
        return "the order was paid, and a refund does not pay it again: look at what the refunds add up to."
    return "add up every refund requested so far plus the new one, and compare with what was paid."


@exercise("3.2", "add a rule", shape="a function decide_with_limit(command, state) returning a list of events")
def check_decide_with_limit(decide_with_limit: Any) -> str | None:
    name = "decide_with_limit"
    small = PlaceOrder("1", Decimal("10000"))
    events = _call(
        "deciding a PlaceOrder of exactly 10000",
        decide_with_limit,
        small,
        initial_state,
        what=name,
        on={InvalidAmount: "an order of exactly 10000 is allowed: the limit refuses only amounts above it."},
    )
    if events is None:
        return "your function returned None: return the list of events it decides."
    if events != decide(small, initial_state):
        return "an allowed order must get the events the old rules give it: pass it on to decide."
    try:
        decide_with_limit(PlaceOrder("2", Decimal("10000.01")), initial_state)
    except InvalidAmount as error:
        if error.order_id != "2":
            return (
                f"your refusal names order {error.order_id!r}, not the order the command is about: before an "
                "order exists its state knows no id, so take the id from the command."
            )
    except OrderError:
        return "refuse with the error class of the amount rules, so the refusal names its rule."
    except Exception as error:
        return (
            f"refuse a too large order with the order's error for amounts, not a plain "
            f"{type(error).__name__}: an OrderError says which rule was broken."
        )
    else:
        return "a PlaceOrder of 10000.01 is above the limit and must be refused."
    placed = fold([OrderCreated("3", Decimal(5))])
    pay = PayOrder("3", Decimal(5))
    if _call("deciding a PayOrder", decide_with_limit, pay, placed, what=name) != decide(pay, placed):
        return "other commands must still get what decide gives them."
    # An order placed before the limit existed: its payment and its refunds are not new orders.
    big = fold([OrderCreated("4", Decimal(15000))])
    big_paid = fold([OrderCreated("4", Decimal(15000)), OrderPaid("4")])
    for command, state in ((PayOrder("4", Decimal(15000)), big), (RequestRefund("4", Decimal(12000)), big_paid)):
        events = _call(
            f"deciding a {type(command).__name__} of {command.amount} for an order placed before the limit",
            decide_with_limit,
            command,
            state,
            what=name,
            on={
                OrderError: f"a {type(command).__name__} of {command.amount}, for an order of 15000 placed before "
                "the limit existed, was refused: the limit is about placing an order, so apply it to PlaceOrder "
                "alone."
            },
        )
        if events != decide(command, state):
            return "other commands must still get what decide gives them."
    try:
        decide_with_limit(PlaceOrder("3", Decimal(5)), placed)
    except OrderAlreadyPlaced:
        return None
    except Exception:
        pass
    return "the old rules still apply to every command (placing an order twice is still refused)."


class _RecordingShop(Shop):
    """A shop that remembers every command it was asked to handle."""

    def __init__(self) -> None:
        super().__init__(clock=SimulatedClock(), ids=SeededIds(0))
        self.commands: list[Any] = []

    def handle(self, command: Any, **kwargs: Any) -> Any:
        fields = getattr(command, "__dataclass_fields__", ())
        if command is Ellipsis or any(getattr(command, f) is Ellipsis for f in fields):
            raise NotAnswered
        self.commands.append(command)
        return super().handle(command, **kwargs)


@exercise("3.3", "a retry that does not refund twice", shape="a function refund_with_retry(shop)")
def check_retry(refund_with_retry: Any) -> str | None:
    shop = _RecordingShop()
    shop.handle(PlaceOrder("T1", Decimal("20"), customer_id="rita"))
    shop.handle(PayOrder("T1", Decimal("20")))
    shop.commands.clear()
    result = _call(
        "asking for the refund and retrying",
        refund_with_retry,
        shop,
        what="refund_with_retry",
        on={
            CommandIdReused: "the retry is not the same request as the first attempt (same id, other "
            "fields): a retry is the very same command, sent again.",
            DuplicateRefund: "the retry was refused as a second refund: the client gets an error instead "
            "of the answer it missed. A retry is the same command, recognised by its id.",
        },
    )
    requests = [c for c in shop.commands if isinstance(c, RequestRefund)]
    refunds = [r for r in shop.store.read_stream("order-T1") if r.event_type == "RefundCreated"]
    if not requests:
        return "ask for the refund through the shop you are given: shop.handle(a refund request)."
    if len(requests) < 2:
        return "send the request, then send it again: the client never heard the first answer, so it retries."
    if len(refunds) > 1:
        if any(c.command_id is None for c in requests):
            return (
                "the customer was refunded twice: a command without an id is new every time, "
                "so the shop cannot tell a retry from a second request."
            )
        return (
            "the customer was refunded twice: the retry carried a new command id, so the shop took it "
            "for a new request. A retry must carry the first attempt's id."
        )
    if refunds[0].event.amount != 5:
        return f"the refund is for 5, not {refunds[0].event.amount}."
    others = [r.event_type for r in shop.store.read_stream("order-T1")[2:] if r.event_type != "RefundCreated"]
    if others:
        return (
            f"your function recorded more than the refund request ({', '.join(others)}): the client asks for "
            "a refund and retries, nothing else. That a refund was paid out is for the payment provider to say."
        )
    if not isinstance(result, list) or [r.event for r in result] != [refunds[0].event]:
        return "return what the shop answered to the retry: it answers with what the first attempt recorded."
    return None


# --- 4 · Projections --------------------------------------------------------

_COMMAND_NAMES = {command.__name__ for command in get_args(Command)}
_LISTENS_TO = {
    "orders placed on a day": "OrderCreated",
    "money in on a day": "OrderPaid",
    "refunds customers asked for (the support team's list)": "RefundCreated",
    "money out on a day": "RefundPaid",
}
#: (question, wrong event) -> the idea the learner missed: an intention taken for a fact, or the other way round.
_FACT_OR_INTENT = {
    ("money in on a day", "OrderCreated"): (
        "an order placed is a promise to buy: no money has come in until it is paid."
    ),
    ("money out on a day", "RefundCreated"): (
        "a refund asked for is an intention: no money has gone out until the payment provider pays it out."
    ),
    ("orders placed on a day", "OrderPaid"): "an order is placed before it is paid, and some orders are never paid.",
    ("refunds customers asked for (the support team's list)", "RefundPaid"): (
        "the support team's list holds every refund asked for, paid out yet or not."
    ),
}


@exercise("4.1", "which fact?", shape='a dict {question: "an event type name"}')
def check_which_fact(listens_to: Any) -> str | None:
    if not isinstance(listens_to, dict):
        raise Hint('listens_to should be a dict that maps each question to an event type name, such as "OrderShipped".')
    for question, expected in _LISTENS_TO.items():
        given = listens_to.get(question)
        if isinstance(given, type):  # the class itself: its name is what is meant
            given = given.__name__
        if not isinstance(given, str):
            return f"answer {question!r} with an event type's name, as a string."
        given = given.strip()
        if given in _COMMAND_NAMES:
            return f"{given} is a command, a request that may be refused: a read model listens to events, the facts."
        if given not in EVENT_TYPES:
            return f"{given!r} is not one of the shop's events: {', '.join(EVENT_TYPES)}."
        if given != expected:
            return _FACT_OR_INTENT.get(
                (question, given), f"{question}: which event records exactly that, and only that?"
            )
    return None


def _net_by_customer(store: Any) -> dict:
    """Every customer's net spend, from the orders' own states (the write side's rule for net)."""
    spend: dict = {}
    for stream_id in store.stream_ids():
        state = fold(r.event for r in store.read_stream(stream_id))
        if state.paid:
            spend[state.customer_id] = spend.get(state.customer_id, Decimal(0)) + state.net
    return spend


def _spend_shop() -> Shop:
    """Orders whose ids the notebook uses too, for other customers: paid, refunded, paid then cancelled, unpaid."""
    shop = _new_shop()
    for order_id, customer, amount in [
        ("1", "yuki", "40"),
        ("2", "omar", "25.50"),
        ("3", "yuki", "10"),
        ("4", "lena", "60"),
        ("5", "omar", "7"),
    ]:
        shop.handle(PlaceOrder(order_id, Decimal(amount), customer_id=customer))
    for order_id, amount in [("1", "40"), ("2", "25.50"), ("4", "60")]:
        shop.handle(PayOrder(order_id, Decimal(amount)))
    shop.handle(RequestRefund("1", Decimal("15"), reason="late"))
    shop.handle(ConfirmRefund("1", "R1"))
    shop.handle(RequestRefund("4", Decimal("10"), reason="a scratch"))
    shop.handle(CancelOrder("4", reason="paid, then cancelled: the rest is refunded"))
    shop.handle(CancelOrder("5", reason="never paid"))
    return shop


@exercise(
    "4.2", "a new read model: customer spend", shape="a function customer_spend(state, recorded) returning the dict"
)
def check_customer_spend(customer_spend: Any, store: Any) -> str | None:
    for log in (store, _spend_shop().store):
        hint = _spend_hint(customer_spend, log)
        if hint:
            return hint
    return None


def _spend_hint(customer_spend: Any, store: Any) -> str | None:
    state: dict = {}
    for recorded in store.read_all():
        state = _call(
            f"applying a {recorded.event_type} event",
            customer_spend,
            state,
            recorded,
            what="customer_spend",
            on={
                KeyError: f"customer_spend looked up something it had not remembered, at a "
                f"{recorded.event_type}: remember each order's customer and amount when "
                f"it is created, and start a customer's total at 0."
            },
        )
        if not isinstance(state, dict):
            return "return the state (the dict) at the end of the function, every time."
    given = {k: v for k, v in state.items() if not str(k).startswith("_")}
    if any(isinstance(v, float) for v in given.values()):
        return "money stays Decimal in a read model too, never float."
    expected = _net_by_customer(store)
    for customer, net in expected.items():
        if given.get(customer) != net:
            return (
                f"customer {customer}: you have {given.get(customer)}. Money counts when it is paid "
                "(not when an order is placed), and every refund requested comes off (cancelling a paid order "
                "records a refund of what is left: the cancellation itself moves no money)."
            )
    extra = {customer for customer in set(given) - set(expected) if given[customer] != 0}  # 0 spent is right
    if extra and not extra & {r.event.customer_id for r in store.read_all() if r.event_type == "OrderCreated"}:
        return (
            f"you have totals for {sorted(map(str, extra))}, who placed no order in the log your function was "
            "given: every total comes from the events it is given, none from elsewhere."
        )
    if extra:
        return (
            f"you have totals for {sorted(map(str, extra))}, who never paid anything: "
            "a placed order is not spend until it is paid."
        )
    return None


# --- 5 · Consistency and queries --------------------------------------------


def _paid_and_cancelled_log() -> list[RecordedEvent]:
    """Seven orders, paid, cancelled, refunded and shipped in turn: versions and positions differ."""
    shop = _new_shop()
    for n in range(1, 8):
        shop.handle(PlaceOrder(f"K{n}", Decimal(10 * n)))
    for n in (2, 3, 5, 6):
        shop.handle(PayOrder(f"K{n}", Decimal(10 * n)))
    shop.handle(CancelOrder("K1", reason="changed mind"))
    shop.handle(RequestRefund("K3", Decimal(5), reason="scratched"))
    shop.handle(CancelOrder("K5", reason="paid, then cancelled"))
    shop.handle(ShipOrder("K6"))
    shop.handle(PayOrder("K7", Decimal(70)))
    shop.handle(ShipOrder("K2"))  # the last event is not an OrderPaid
    return shop.store.read_all()


def _count_paid_run(count_paid: Any, deliveries: list[RecordedEvent]) -> dict:
    state: dict = {}
    for recorded in deliveries:
        state = _call(f"applying a {recorded.event_type} event", count_paid, state, recorded, what="count_paid")
        if not isinstance(state, dict):
            raise Hint("return the state (the dict) at the end of the function, every time.")
    return state


@exercise("5.1", "make it idempotent", shape="a function count_paid(state, recorded) returning the dict")
def check_count_paid(count_paid: Any) -> str | None:
    log = _paid_and_cancelled_log()
    paid = sum(r.event_type == "OrderPaid" for r in log)
    twice = [r for r in log for _ in range(2)]  # at-least-once delivery: here every event arrives twice
    state = _count_paid_run(count_paid, twice)
    checkpoint = state.get("checkpoint")
    if state.get("paid") != paid and isinstance(checkpoint, int) and checkpoint <= max(r.version for r in log):
        return (
            f"your checkpoint ends at {checkpoint}, as if it counted versions, each event's place in its own "
            "order's stream: versions start again in every stream. The checkpoint is a position in the whole log."
        )
    if state.get("paid") != paid:
        return (
            f"{paid} orders were paid but you counted {state.get('paid')}: an event delivered twice "
            "must change nothing the second time."
        )
    if state.get("checkpoint") != log[-1].position:
        return "the checkpoint is the position of the last event applied, whatever its type."
    # A reconnecting subscription sends a whole batch again: events older than the last one come back.
    again = log[:6] + log[2:9] + log[4:]
    state = _count_paid_run(count_paid, again)
    if state.get("paid") != paid:
        return (
            f"{paid} orders were paid but you counted {state.get('paid')} when older events were delivered again, "
            "after newer ones (a subscription that reconnects sends a batch again): an event at or before the "
            "checkpoint has been applied already, not only the one applied last."
        )
    # Positions increase, but a store may skip some (a transaction that rolled back took its numbers with it).
    gaps = [dataclasses.replace(r, position=3 * r.position + n % 2) for n, r in enumerate(log)]
    gaps = [r for r in gaps for _ in range(2)]
    state = _count_paid_run(count_paid, gaps)
    if state.get("paid") != paid or state.get("checkpoint") != gaps[-1].position:
        return (
            f"in a log whose positions skip numbers (a store promises they increase, not that they are "
            f"consecutive) you counted {state.get('paid')} of {paid} paid orders: compare a position with the "
            "checkpoint, do not expect the next number."
        )
    return None


def _lagging_queries(store: Any) -> Any:
    """Queries over a read model of ``store`` that has not seen its last cancellation."""
    cancels = [r.position for r in store.read_all() if r.event_type == "OrderCancelled"]
    if len(cancels) < 2:
        raise AssertionError("the check needs a store with two cancellations")  # the notebook's own set-up
    lagging = ShopReadModels(store)
    lagging.catch_up(max_events=cancels[-1] - 1)
    return lagging.queries()


def _cancellations_shop() -> Shop:
    """Orders of ids unlike the notebook's: cancelled unpaid, paid then cancelled (a status of its own), paid."""
    shop = _new_shop()
    for n in range(6, 0, -1):  # placed last to first: the read model's own order is not the sorted one
        shop.handle(PlaceOrder(f"Z{n}", Decimal(n)))
    shop.handle(CancelOrder("Z4", reason="changed mind"))
    shop.handle(PayOrder("Z2", Decimal(2)))
    shop.handle(CancelOrder("Z2", reason="paid, then changed mind"))
    shop.handle(PayOrder("Z5", Decimal(5)))
    shop.handle(CancelOrder("Z1", reason="ordered twice"))
    shop.handle(CancelOrder("Z6", reason="too late"))
    return shop


@exercise("5.2", "ask the read side", shape="a function cancelled_ids(queries) returning a sorted list of ids")
def check_cancelled_ids(cancelled_ids: Any, store: Any) -> str | None:
    logs = [store, _cancellations_shop().store]
    before = [log.last_position for log in logs]
    for log in logs:
        queries = _lagging_queries(log)
        expected = sorted(queries.orders_by_status("cancelled")["order_id"])
        answer = _call("answering from a read model", cancelled_ids, queries, what="cancelled_ids")
        if [log.last_position for log in logs] != before:
            return (
                "your query changed the log: events were recorded while it answered. A query only reads, "
                "from the read model it is given; asking the same question twice must leave the log as it was."
            )
        if not isinstance(answer, list) or not all(isinstance(i, str) for i in answer):
            return "return a plain list of order ids (strings): list(…) of a column, sorted."
        if answer == expected:
            continue
        if sorted(answer) == expected:
            return "the ids are right; return them sorted."
        extra = set(answer) - set(expected)
        unseen = [r.event.order_id for r in log.read_all() if r.event_type == "OrderCancelled"][-1]
        if unseen in extra:
            return (
                "your answer holds a cancellation the read model you were given has not seen yet: it came from "
                "somewhere else (the event store, or another read model). A query answers from its read model, "
                "even when that lags."
            )
        if any(str((queries.order(i) or {}).get("status", "")).startswith("cancelled") for i in extra):
            return (
                "your answer holds orders whose status is not exactly cancelled: an order cancelled after it "
                "was paid has a status of its own (a refund is owed). Ask for the status cancelled itself."
            )
        if log is not store and set(answer) & {r.stream_id.removeprefix("order-") for r in store.read_all()}:
            return (
                "your answer holds ids of the notebook's shop, not of the read model you were given: the check "
                "gives your function queries over another shop, so answer from the queries object."
            )
        return "answer with the orders whose status is cancelled, asked of the queries object you are given."
    return None


# --- 6 · Tracing and time travel -------------------------------------------


@exercise("6.1", "what was it then?", shape="a status string, such as 'placed'")
def check_status_at_v3(store: Any, status_at_v3: Any) -> str | None:
    events = [r.event for r in store.read_stream("order-123456")]
    if not isinstance(status_at_v3, str):
        if hasattr(status_at_v3, "status"):
            return "that is the whole state: take its status."
        return "assign the status, a string."
    if status_at_v3 == fold(events[:3]).status:
        return None
    if status_at_v3 == fold(events).status:
        return "that is the status now: the question is what it was right after the third event."
    if status_at_v3 in (fold(events[:2]).status, fold(events[:4]).status):
        return "one event off: version 3 is the state right after the third event of the stream."
    return "fold the stream's first three events (state_at_version does it) and read the status."


@exercise("6.2", "who caused the refund?", shape="an id string")
def check_refund_paid_cause(store: Any, refund_paid_cause: Any) -> str | None:
    stream = store.read_stream("order-123456")
    paid = next(r for r in stream if r.event_type == "RefundPaid")
    if not isinstance(refund_paid_cause, str):
        return "assign the id itself, a string, not the event that carries it."
    if refund_paid_cause == paid.causation_id:
        return None
    if refund_paid_cause == paid.event_id:
        return "that is the event's own id: what caused it is recorded in another field of the envelope."
    if refund_paid_cause == paid.correlation_id:
        return "that id is shared by the whole conversation, from the refund's request on: ask for the direct cause."
    if any(refund_paid_cause == r.causation_id for r in stream):
        return "that caused another event of the order: find the one that says the refund was paid out."
    return "find the event that says the refund was paid out, and read which command caused it."


class _WatchedShop(Shop):
    """A shop that remembers the events its ``handle`` recorded: any other event was appended past the rules."""

    def __init__(self) -> None:
        super().__init__(clock=SimulatedClock(), ids=SeededIds(0))
        self.handled: set[str] = set()

    def handle(self, command: Command, **options: Any) -> list[RecordedEvent]:
        recorded = super().handle(command, **options)
        self.handled.update(r.event_id for r in recorded)
        return recorded


@exercise("6.3", "compensate an overcharge", shape="a function fix_order(shop)")
def check_fix_order(fix_order: Any) -> str | None:
    shop = _WatchedShop()
    shop.handle(PlaceOrder("C", Decimal(90)))
    shop.handle(PayOrder("C", Decimal(90)))
    original = shop.store.read_stream("order-C")
    _call(
        "fixing order C",
        fix_order,
        shop,
        what="fix_order",
        on={
            OrderAlreadyPlaced: "order C exists, and recorded events are never replaced: keep the order and "
            "add a correction on top of it.",
            InvalidAmount: "the shop refused the amount: money is an exact Decimal, positive, to the cent.",
        },
    )
    stream = shop.store.read_stream("order-C")
    state = shop.state("C")
    if stream[:2] != original:
        return "the original events must stay as they were."
    if any(r.event_id not in shop.handled for r in stream[2:]):
        return (
            "you appended to the store directly, past the rules: a correction is a command, "
            "handled by the shop like any other."
        )
    if state.cancelled:
        return "the order was sold, just overcharged: compensate the difference, do not cancel it."
    if any(r.event_type == "RefundPaid" for r in stream[2:]):
        return (
            "you recorded that the refund was paid out, which nobody has seen happen: only the payment "
            "provider can say so, and the refund process records it when the provider answers. Request the "
            "refund; leave its payment to them."
        )
    if state.net != 70:
        return (
            f"the order's net is now {state.net}: the customer should end up paying the right price, "
            "so give back only what was charged too much."
        )
    return None


def _paid_orders_shop() -> Shop:
    """Three orders, P1 and P3 paid, P2 cancelled; every command with an id of its own, so a reaction
    that reuses one (its event's causation or correlation id) collides, as it would in a real shop."""
    shop = _new_shop()
    for order_id in ("P1", "P2", "P3"):
        shop.handle(PlaceOrder(order_id, Decimal(10), command_id=f"place-{order_id}"))
    shop.handle(PayOrder("P1", Decimal(10), command_id="pay-P1"))
    shop.handle(PayOrder("P3", Decimal(10), command_id="pay-P3"))
    shop.handle(CancelOrder("P2", reason="changed mind", command_id="cancel-P2"))
    shop.handle(PlaceOrder("P4", Decimal(20), command_id="place-P4"))
    shop.handle(PayOrder("P4", Decimal(20), command_id="pay-P4"))
    shop.handle(RequestRefund("P4", Decimal(5), reason="a scratch", command_id="refund-P4"))
    shop.handle(ConfirmRefund("P4", "R1", command_id="confirm-P4-R1"))
    return shop


@exercise("6b.1", "a policy of your own", shape="a function ship_when_paid(recorded) returning a list of commands")
def check_reaction(ship_when_paid: Any) -> str | None:
    shop = _paid_orders_shop()
    for recorded in shop.store.read_all():
        first: list = []
        for delivery in (1, 2):  # at-least-once: every event arrives twice
            commands = _call(f"reacting to a {recorded.event_type}", ship_when_paid, recorded, what="ship_when_paid")
            if not isinstance(commands, list):
                return "return a list of commands: an empty list when an event needs no reaction."
            if commands and recorded.event_type != "OrderPaid":
                return (
                    f"your reaction to a {recorded.event_type} sends a command: only an order's payment makes it "
                    "ready to ship. React to that one event type, and to no other."
                )
            if delivery == 1:
                first = commands
            elif commands != first:
                return (
                    "the second delivery of an event got another answer than the first: your reaction remembers "
                    "what it did, in memory, which a process forgets when it restarts. Answer from the event "
                    "alone, with a command id derived from it: the shop recognises a repeat."
                )
            for command in commands:
                if type(command).__name__ in {e.__name__ for e in (OrderShipped, OrderPaid, RefundPaid)}:
                    return (
                        "a reaction sends commands (requests the rules may refuse), never events: "
                        "only the shop records events."
                    )
                try:
                    shop.handle(command)
                except CommandIdReused as error:
                    return (
                        f"your command's id {error.command_id!r} is already the id of another command the shop "
                        "handled: an event's causation and correlation ids name commands sent before it. A "
                        "reaction's command needs an id of its own, derived from what identifies the event."
                    )
                except OrderError as error:
                    if delivery == 2 and type(error).__name__ == "OrderAlreadyShipped":
                        return (
                            "the second delivery of an event sent a second, new command, which the rules "
                            "refused: derive the command id from the event, so a repeat is the same command."
                        )
                    return (
                        f"your reaction to a {recorded.event_type} sent a command the shop refused "
                        f"({error.rule}): react only to the event that makes shipping possible."
                    )
                except Exception as error:
                    return (
                        f"the shop could not handle the command your reaction to a {recorded.event_type} "
                        f"returned: {_meaning(error)}."
                    )
    shipped = sorted(order_id for order_id in ("P1", "P2", "P3", "P4") if shop.state(order_id).shipped)
    if shipped != ["P1", "P3", "P4"]:
        return f"the paid orders are P1, P3 and P4; your reaction shipped {', '.join(shipped) or 'none'}."
    return None


#: Exercise 6b.2's orders: (minutes after the start, command). L1 is paid in the last second of its 24 hours.
_DEADLINE_STORY: tuple[tuple[float, Command], ...] = (
    (5, PlaceOrder("U1", Decimal("30"))),  # never paid
    (10, PlaceOrder("P1", Decimal("20"))),
    (20, PlaceOrder("L1", Decimal("15"))),
    (30, PlaceOrder("C1", Decimal("10"))),
    (60, CancelOrder("C1", "changed my mind")),  # cancelled by the customer: no deadline any more
    (120, PayOrder("P1", Decimal("20"))),
    (185, PlaceOrder("U2", Decimal("12"))),  # never paid
    (24 * 60 + 20 - 1 / 60, PayOrder("L1", Decimal("15"))),
)
_TICK = 600  # the check asks for due commands every ten minutes


def _deadline_run(remember: Any, due: Any, crash_at: frozenset[int]) -> tuple[Shop, dict[str, int]]:
    """Run exercise 6b.2's process over two days; return the shop and when each order was placed.

    Every ten minutes the process hears the events recorded since its
    checkpoint (each one twice: delivery is at-least-once), then asks ``due``
    twice (a timer may fire twice), and saves its state and checkpoint (a
    durable write).  At the ticks in ``crash_at`` it dies halfway through
    its events; a new process starts from the last save and hears them again.
    """
    clock = SimulatedClock()
    shop = Shop(clock=clock, ids=SeededIds(0))
    start = clock.now
    story = sorted(((start + round(minutes * 60), command) for minutes, command in _DEADLINE_STORY), key=lambda x: x[0])
    saved: tuple[dict, int] = ({}, 0)
    state: dict = {}
    checkpoint = 0

    def hear(events: list[RecordedEvent]) -> None:
        nonlocal state, checkpoint
        for recorded in events:
            for _ in (1, 2):
                state = _call(f"remembering a {recorded.event_type}", remember, state, recorded, what="remember")
                if not isinstance(state, dict):
                    raise Hint("remember returns the process's new state, the dict of deadlines, every time.")
            checkpoint = recorded.position

    for tick in range(2 * 24 * 3600 // _TICK + 1):
        now = start + tick * _TICK
        while story and story[0][0] <= now:
            clock.now, command = story.pop(0)
            try:
                shop.handle(command, actor="customer")
            except OrderError:  # a payment after the process cancelled the order: the verdict says when
                pass
        clock.now = now
        new = shop.store.read_all(checkpoint + 1)
        if tick in crash_at:
            hear(new[: len(new) // 2])
            state, checkpoint = copy.deepcopy(saved[0]), saved[1]  # it dies; a new process starts from the save
            new = shop.store.read_all(checkpoint + 1)
        hear(new)
        for _ in (1, 2):
            _send_due(shop, due, state, now)
        saved = (copy.deepcopy(state), checkpoint)
    return shop, {r.event.order_id: r.recorded_at for r in shop.store.read_all() if isinstance(r.event, OrderCreated)}


def _send_due(shop: Shop, due: Any, state: dict, now: int) -> None:
    commands = _call("asked for the commands due", due, state, now, what="due")
    if not isinstance(commands, list):
        raise Hint("due returns a list of commands: an empty list when no deadline has come.")
    for command in commands:
        if not isinstance(command, CancelOrder):
            raise Hint(
                f"due returned a value of type {type(command).__name__}: the deadline's command is a CancelOrder, "
                "and a process sends commands, never events."
            )
        try:
            shop.handle(command, actor="deadline")
        except CommandIdReused:
            raise Hint(
                "a cancellation reused the id of another command: give each order's cancellation an id of its "
                "own, derived from the order id."
            ) from None
        except OrderError as error:
            order_id = command.order_id
            if type(error).__name__ == "OrderNotFound":
                raise Hint(
                    f"your process cancelled order {order_id}, which this shop never had: keep the process's "
                    "state only in the deadlines that remember is given and returns, never in a variable of "
                    "your own, which a restarted process would not have."
                ) from None
            cancelled_by = [
                r.actor for r in shop.store.read_stream(f"order-{order_id}") if r.event_type == "OrderCancelled"
            ]
            if cancelled_by == ["customer"]:
                raise Hint(
                    f"your process cancelled order {order_id}, which the customer had already cancelled: a "
                    "cancellation ends the wait for a payment, as a payment does."
                ) from None
            raise Hint(
                f"the shop refused a cancellation of order {order_id} ({error.rule}): the timer fires twice, and "
                "a process may send a command again after a restart. Give each order's cancellation one "
                "command id, derived from the order id, so the shop recognises the repeat."
            ) from None


@exercise(
    "6b.2",
    "a process manager with a deadline",
    shape="two functions, remember(deadlines, recorded) returning a dict and due(deadlines, now) returning a list",
)
def check_deadline_process(remember: Any, due: Any) -> str | None:
    for crash_at in (frozenset(), frozenset({1, 3, 146})):  # 146: right after U1 is cancelled, as L1 pays
        shop, placed = _deadline_run(remember, due, crash_at)
        for order_id, at in placed.items():
            deadline = at + 24 * 3600
            stream = shop.store.read_stream(f"order-{order_id}")
            cancelled = [r for r in stream if r.event_type == "OrderCancelled" and r.actor == "deadline"]
            paid = any(r.event_type == "OrderPaid" for r in stream)
            if cancelled and cancelled[0].recorded_at < deadline:
                early = (deadline - cancelled[0].recorded_at) // 60
                return (
                    f"your process cancelled order {order_id} {early} minutes before its deadline: an order has "
                    "24 hours from the time its OrderCreated was recorded (recorded_at), PAY_WITHIN seconds."
                )
            if cancelled and paid:
                return f"your process cancelled order {order_id}, which was paid in time: a payment ends its deadline."
            if not paid and not any(r.event_type == "OrderCancelled" for r in stream):
                return (
                    f"order {order_id} was never paid, and your process did not cancel it at its deadline: remember "
                    "each placed order's deadline in the state (a restarted process starts from its saved state and "
                    "hears the later events again), and let due cancel every order whose deadline has come."
                )
            if cancelled and cancelled[0].recorded_at >= deadline + _TICK:
                return (
                    f"your process cancelled order {order_id} long after its deadline: due is asked every ten "
                    "minutes, and an order is due as soon as its deadline has come (deadline <= now)."
                )
    return None


# --- 7 · Trade-offs, measured ----------------------------------------------


@exercise(
    "7.1",
    "capstone: a bank account",
    shape="two functions, decide_account(command, balance) and evolve_account(balance, event)",
)
def check_bank_account(
    decide_account: Any, evolve_account: Any, Deposit: type, Withdraw: type, InsufficientFunds: type[Exception]
) -> str | None:
    balance = Decimal(0)

    def run(command: Any) -> list:
        nonlocal balance
        if not callable(decide_account) or not callable(evolve_account):
            raise Hint("decide_account and evolve_account should both be functions (def …).")
        try:
            events = _answered(decide_account(command, balance))
        except (InsufficientFunds, ValueError, NotAnswered):
            raise  # refusals are part of the answer; the check looks at them below
        except Exception as error:
            raise Hint(
                f"decide_account failed while deciding a {type(command).__name__} of {command.amount}: "
                f"{_meaning(error)}."
            ) from None
        if isinstance(events, Decimal):
            raise Hint("decide_account returns the events (a list), not the new balance: evolve computes that.")
        if not isinstance(events, list):
            raise Hint("decide_account returns a list of events.")
        if any(isinstance(event, (Deposit, Withdraw)) for event in events):
            raise Hint(
                "decide_account returned the command as if it were an event: a command is a request, which "
                "may be refused; an event records the fact once it was accepted. Return an event."
            )
        for event in events:
            if getattr(event, "account_id", command.account_id) != command.account_id:
                raise Hint(
                    f"the {type(event).__name__} names account {getattr(event, 'account_id', None)!r} for a "
                    f"command on account {command.account_id!r}: an event records the fact as it happened, "
                    "whose account included (read models group by it)."
                )
            if type(getattr(event, "amount", Decimal(0))) is not Decimal:
                raise Hint(
                    f"the {type(event).__name__}'s amount is a {type(event.amount).__name__}: money is "
                    "a Decimal in every event, never a float (a float cannot hold 0.10 exactly)."
                )
            balance = _call(
                f"evolving with {type(event).__name__}", evolve_account, balance, event, what="evolve_account"
            )
            if not isinstance(balance, Decimal):
                raise Hint("evolve_account returns the new balance, a Decimal.")
        return events

    try:
        run(Deposit("a", Decimal("100")))
        run(Withdraw("a", Decimal("30.50")))
    except InsufficientFunds:
        return "a deposit or a covered withdrawal was refused for lack of funds: only more than the balance is."
    except ValueError:
        return "a positive amount was refused as not positive: refuse only zero and below."
    if balance != Decimal("69.50"):
        return f"after depositing 100 and withdrawing 30.50 the balance should be 69.50, not {balance}."
    try:
        run(Withdraw("a", Decimal("70")))
    except InsufficientFunds:
        pass
    except ValueError:
        return (
            "withdrawing 70 from 69.50 was refused with ValueError, the refusal of an amount that is not "
            "positive: a lack of funds is refused with InsufficientFunds."
        )
    else:
        return "withdrawing 70 from 69.50 must be refused with InsufficientFunds."
    if balance != Decimal("69.50"):
        return "a refused withdrawal must not change the balance."
    try:
        run(Withdraw("a", Decimal("69.50")))
    except (InsufficientFunds, ValueError):
        return "withdrawing the whole balance is allowed: refuse only more than the balance."
    if balance != 0:
        return "after withdrawing the whole balance it should be 0."
    for command in (Deposit("a", Decimal(0)), Deposit("a", Decimal(-5)), Withdraw("a", Decimal(-5))):
        try:
            run(command)
        except ValueError:
            continue
        except InsufficientFunds:
            return (
                f"a {type(command).__name__} of {command.amount} was refused with InsufficientFunds; an amount "
                "that is not positive is not a lack of funds: raise ValueError."
            )
        return f"a {type(command).__name__} of {command.amount} should raise ValueError: amounts must be positive."
    withdrawn = decide_account(Withdraw("a", Decimal(5)), Decimal(5))
    try:
        overdrawn = evolve_account(Decimal(0), withdrawn[-1])  # a fact recorded under another rule, say
    except Exception:  # noqa: BLE001 -- any refusal is the mistake
        overdrawn = None
    if overdrawn != Decimal(-5):
        return (
            "evolve_account refused (or changed) a Withdrawn that takes the balance below zero: events are facts, "
            "recorded perhaps under an older rule; evolve never refuses one, only decide does."
        )
    return _account_on_the_engine(decide_account, evolve_account, Deposit, Withdraw, InsufficientFunds)


def _account_on_the_engine(
    decide_account: Any, evolve_account: Any, Deposit: type, Withdraw: type, InsufficientFunds: type[Exception]
) -> str | None:
    """The learner's decider as a domain on the real engine: two accounts, a store, a fresh service that folds."""
    kinds = {type(e) for c in (Deposit("x", Decimal(1)),) for e in decide_account(c, Decimal(0))}
    kinds |= {type(e) for e in decide_account(Withdraw("x", Decimal(1)), Decimal(1))}
    try:
        domain = Domain(
            name="bank (exercise 7.1)",
            events=sorted(kinds, key=lambda cls: cls.__name__),
            initial_state=Decimal(0),
            decide=decide_account,
            evolve=evolve_account,
            stream_of=lambda command: f"account-{command.account_id}",
        )
    except (TypeError, ValueError) as error:
        return f"the store cannot keep your events: {error}."
    bank = Application(domain, clock=SimulatedClock(), ids=SeededIds(7))
    try:
        bank.handle(Deposit("a", Decimal("100")))
        bank.handle(Deposit("b", Decimal("5")))
        bank.handle(Withdraw("a", Decimal("40")))
        bank.handle(Withdraw("b", Decimal("6")))
    except InsufficientFunds:
        pass
    else:
        return "on the store, withdrawing 6 from account b's balance of 5 was not refused."
    fresh = Application(domain, bank.store)  # folds each stream from its first event
    if (fresh.state("account-a"), fresh.state("account-b")) != (Decimal(60), Decimal(5)):
        return (
            "on the store, account a should fold to 60 and account b to 5: does decide_account put the "
            "command's account in each event?"
        )
    return None


_SNAPSHOT_EVENTS: list[Any] = [
    OrderCreated("1", Decimal(50)),
    OrderPaid("1"),
    RefundCreated("1", Decimal(5), "R1"),
    RefundPaid("1", "R1"),
    OrderShipped("1"),
]


@exercise(
    "7.2", "load from a snapshot", shape="a function load_with_snapshot(snapshot, events_after) returning a state"
)
def check_load_with_snapshot(load_with_snapshot: Any) -> str | None:
    events = _SNAPSHOT_EVENTS
    for split in range(len(events) + 1):
        after = list(events[split:])
        loaded = _call(
            f"loading from a snapshot at version {split}",
            load_with_snapshot,
            fold(events[:split]),
            after if split % 2 else iter(after),  # a store may hand over its events as a list or one by one
            what="load_with_snapshot",
            on={
                TypeError: "load_with_snapshot passed a value where another kind was expected: "
                "fold takes the events first, then the state to start from."
            },
        )
        if after != list(events[split:]):
            return "load_with_snapshot changed the list of events it was given: loading only reads them."
        if loaded == fold(events):
            continue
        if not hasattr(loaded, "status"):
            return "return the order's state (what fold returns)."
        if loaded == fold(events[split:]):
            return "you folded the later events from the empty state: start from the snapshot."
        if loaded == fold(events[:split]):
            return "that is the snapshot itself: the events after it still have to be applied."
        return f"with a snapshot at version {split} the state is wrong: fold the events after it, from the snapshot."
    return None


__all__ = [name for name in dir() if name.startswith("check_")] + ["CORRECT", "WRONG", "PENDING"]


# --- 10b · Projections in production ----------------------------------------

SAFE, UNSAFE = "safe to replay", "unsafe to replay"
#: A projection -> (safe or not, why: the kind of mistake an answer that gets it wrong makes).
_PROJECTIONS = {
    "counts the orders in each status": (SAFE, "own data"),
    "sends the customer a thank-you e-mail on OrderPaid": (UNSAFE, "side effect"),
    "marks an order overdue when it was placed more than 7 days before the clock's time now": (UNSAFE, "clock"),
    "converts each amount to dollars at the rate a web service gives when the event is applied": (UNSAFE, "outside"),
    "gives each row a new random id (uuid4)": (UNSAFE, "random"),
    "gives each row the id of the event that created it": (SAFE, "own data"),
    "keeps each order's placing time from its event's recorded time": (SAFE, "own data"),
    "adds each paid amount to its customer's total": (SAFE, "own data"),
}
_REPLAY_HINTS = {
    "side effect": "a rebuild applies every old event again: what would the customers receive, once per rebuild?",
    "clock": "'now' is different at every rebuild, so the same events give different rows; the event's own "
    "recorded time is the same at every replay.",
    "outside": "a web service answers differently next year (or not at all): the rebuilt model would not be the "
    "one you had; carry the rate in an event instead.",
    "random": "a new random value at every replay makes every rebuild a different model.",
    "own data": "a projection that reads only the event (its fields, its recorded time, its id) and the state "
    "it built gives the same rows at every replay and does nothing else: that is what makes a rebuild safe.",
}


@exercise("10b.1", "safe to replay?", shape="a dict mapping each projection to SAFE or UNSAFE")
def check_replay_safe(answers: Any) -> str | None:
    if not isinstance(answers, dict):
        return "answer with the dict of the cell above, each ... replaced by SAFE or UNSAFE."
    given = {what: str(answer).strip() for what, answer in answers.items()}
    for what in _PROJECTIONS:
        if what not in given:
            return f"give an answer for {what!r} (copy the keys from the cell above)."
        if given[what] not in (SAFE, UNSAFE):
            return (
                "answer each projection with SAFE or UNSAFE, the names imported above (without quotes), "
                f"not {given[what]!r}."
            )
    wrong = [kind for what, (safe, kind) in _PROJECTIONS.items() if given[what] != safe]
    if not wrong:
        return None
    # Not which: in a choice of two, naming the projection would give the answer away.
    return (
        f"{len(wrong)} of the {len(_PROJECTIONS)} answers {'is' if len(wrong) == 1 else 'are'} off. Ask of each "
        f"whether a rebuild next year, replaying the same events, gives the same rows and does nothing else. "
        f"One hint: {_REPLAY_HINTS[wrong[0]]}"
    )


def _log_with_gaps() -> list[RecordedEvent]:
    """Ten events at positions 1-10, then three more at 11, 13 and 14: 12 was a transaction that rolled back."""
    shop = _new_shop()
    for n in range(1, 14):
        shop.handle(PlaceOrder(f"A{n}", Decimal(10)))
    events = shop.store.read_all()
    return events[:10] + [dataclasses.replace(e, position=p) for e, p in zip(events[10:13], (11, 13, 14))]


@exercise("10b.2", "hand over to live delivery", shape="a function on_live(recorded, checkpoint, read_log, handle)")
def check_on_live(on_live: Any) -> str | None:
    log = _log_with_gaps()
    at = {e.position: e for e in log}
    handled: list[int] = []

    def read_log(from_position: int) -> list[RecordedEvent]:
        return [e for e in log if e.position >= from_position]

    def handle(recorded: Any) -> None:
        handled.append(recorded.position)

    checkpoint = 6
    # (the position pushed, what must be handled, the checkpoint after it, what the case is about)
    cases = [
        (5, [], 6, "an event at or before the checkpoint was read during the catch-up already: drop it."),
        (7, [7], 7, "the next event after the checkpoint is handed on, and the checkpoint moves to it."),
        (7, [], 7, "the feed pushed an event twice (delivery is at least once): drop the repeat."),
        (
            10,
            [8, 9, 10],
            10,
            "the feed pushed position 10 while the checkpoint was 7: 8 and 9 never reached you, "
            "so read them from the log first, in order.",
        ),
        (
            13,
            [11, 13],
            13,
            "positions may have gaps (12 was a transaction that rolled back): read what the log "
            "holds after the checkpoint; never count positions or expect the next one to be there.",
        ),
    ]
    for pushed, expected, after, about in cases:
        handled.clear()
        result = _call(
            f"handing on the event at position {pushed}",
            on_live,
            at[pushed],
            checkpoint,
            read_log,
            handle,
            what="on_live",
        )
        if handled != expected:
            twice = sorted({p for p in handled if handled.count(p) > 1})
            if twice:
                return f"position {twice[0]} was handed on twice for one push: hand each event on once. ({about})"
            return (
                f"with the checkpoint at {checkpoint}, a push of position {pushed} handed on {handled}, "
                f"not {expected}: {about}"
            )
        if result != after:
            return (
                f"on_live returned {_brief(result)} after a push of position {pushed}: return the new checkpoint, "
                "the position of the last event handed on (or the old one when nothing was)."
            )
        checkpoint = result
    return None


# --- 11 · Designing with events ----------------------------------------------

FITS, CRUD = "event sourcing", "CRUD"

#: System -> (the better fit, the question that decides it).
_SYSTEMS = {
    "a bank account's ledger": (FITS, "money moves and is disputed: every change must be kept and explained"),
    "a company blog's pages": (CRUD, "people only ever ask for the current text; an edit decides nothing"),
    "a warehouse's stock of each product": (FITS, "stock is the sum of movements, and each movement is audited"),
    "a user's display settings (theme, language)": (
        CRUD,
        "only the latest value matters, and nobody asks what it was last Tuesday",
    ),
    "an insurance claim handled over weeks": (FITS, "a long process where who decided what, and when, matters"),
}


@exercise("11.1", "event sourcing or CRUD?", shape="a dict mapping each system to FITS or CRUD")
def check_fit(answers: Any) -> str | None:
    if not isinstance(answers, dict):
        return "answers should be the dict of the cell above, each ... replaced by FITS or CRUD."
    given = {system: str(answer).strip() for system, answer in answers.items()}
    for system in _SYSTEMS:
        if system not in given:
            return f"give an answer for {system!r} (copy the keys from the cell above)."
    for answer in given.values():
        if answer not in (FITS, CRUD):
            return f"answer each system with FITS or CRUD, the names imported above (without quotes), not {answer!r}."
    if set(given.values()) == {FITS}:
        return (
            "event sourcing everywhere costs versioning, erasure and harder queries where nobody needs the "
            "history: which of these systems only ever need their latest value?"
        )
    if set(given.values()) == {CRUD}:
        return "CRUD everywhere loses the history: which of these systems must keep and explain every change?"
    wrong = sum(given[system] != fit for system, (fit, _why) in _SYSTEMS.items())
    if wrong:
        # Not which: in a choice of two, naming the system would give the answer away.
        return (
            f"{wrong} of the {len(_SYSTEMS)} answers {'is' if wrong == 1 else 'are'} off: for each system, ask "
            "whether anyone needs the history of its changes (audits, disputes, decisions with rules), "
            "or only the latest value."
        )
    return None


#: Rule -> whether one order's stream can keep it alone.
ONE_STREAM, ACROSS = "one order stream", "across streams"
_RULES = {
    "an order is paid once": ONE_STREAM,
    "the refunds of an order never exceed its payment": ONE_STREAM,
    "an order id is placed once": ONE_STREAM,
    "a customer owes at most 100.00 over all unpaid orders": ACROSS,
    "a coupon code is redeemed once, by any customer": ACROSS,
}


@exercise("11.2", "where does a rule live?", shape="a dict mapping each rule to ONE_STREAM or ACROSS")
def check_rule_boundaries(answers: Any) -> str | None:
    if not isinstance(answers, dict):
        return "answer with the dict of the cell above, each ... replaced by ONE_STREAM or ACROSS."
    given = {rule: str(answer).strip() for rule, answer in answers.items()}
    for rule in _RULES:
        if rule not in given:
            return f"give an answer for {rule!r} (copy the keys from the cell above)."
        if given[rule] not in (ONE_STREAM, ACROSS):
            return (
                f"answer each rule with ONE_STREAM or ACROSS, the names imported above (without quotes), "
                f"not {given[rule]!r}."
            )
    wrong = sum(given[rule] != boundary for rule, boundary in _RULES.items())
    if wrong:
        # Not which: in a choice of two, naming the rule would give the answer away.
        return (
            f"{wrong} of the {len(_RULES)} answers {'is' if wrong == 1 else 'are'} off: for each rule, ask whether "
            "the events of ONE order can tell that a new command breaks it (appending at the version read, or "
            "with NO_STREAM, makes the stream itself the guard), or whether it needs other orders' or customers' "
            "events too."
        )
    return None


#: The gift card storyboard's events, the names a learner may choose from, and what each must carry.
GIFT_CARD_NAMES = (
    "CreateGiftCard",
    "GiftCardPurchased",
    "GiftCardUpdated",
    "BalanceChanged",
    "RedeemGiftCard",
    "GiftCardRedeemed",
    "GiftCardExpired",
    "GiftCardDeleted",
)
_GIFT_CARD_STORY = (
    ("GiftCardPurchased", {"cardId", "amount"}),
    ("GiftCardRedeemed", {"cardId", "amount"}),
    ("GiftCardExpired", {"cardId"}),
)


# The card's id, in any reasonable spelling: cardId, giftCardId.
_CARD_ID = re.compile(r"(?i)^(gift)?cardid$")
# Fields that copy the card's state rather than tell what happened.
_STATE = re.compile(r"(?i)status|state|balance|total|purchasedAmount|redeemedAmount")
_AMOUNT = re.compile(r"(?i)amount|value")
# Field names that hold a person's data: a name, an e-mail or postal address, a phone number.
_PERSONAL = re.compile(r"(?i)name|e-?mail|address|phone")


@exercise(
    "11.3",
    "events from a storyboard",
    shape='a list of (event name, set of field names) pairs, e.g. [("GiftCardPurchased", {"cardId"}), ...]',
)
def check_gift_card_events(story: Any) -> str | None:
    story = list(story)
    if any(isinstance(fields, dict) for _, fields in story):
        return (
            "give each event's field names as a set, {\"cardId\", ...}: the events' shape, not a dict of "
            "example values."
        )
    pairs = [(str(name), {str(f) for f in fields}) for name, fields in story]
    names = [name for name, _ in pairs]
    for name in names:
        if name not in GIFT_CARD_NAMES:
            return f"{name!r} is not one of the names offered; choose from GIFT_CARD_NAMES."
        if name in ("CreateGiftCard", "RedeemGiftCard"):
            return (
                f"{name!r} is a request, not a fact: commands are imperative and may be refused, "
                "events are in the past tense."
            )
        if name in ("GiftCardUpdated", "GiftCardDeleted", "BalanceChanged"):
            return (
                f"{name!r} says that data changed, not what happened in the business: name the event "
                "in the words of the storyboard (what did the customer, the till, the calendar do?)."
            )
    if len(names) != len(_GIFT_CARD_STORY):
        return f"the storyboard has {len(_GIFT_CARD_STORY)} moments, so as many events; you have {len(names)}."
    if names != [name for name, _ in _GIFT_CARD_STORY]:
        return "put the events in the order the storyboard tells them."
    for (name, fields), (_, needed) in zip(pairs, _GIFT_CARD_STORY):
        personal = sorted(f for f in fields if _PERSONAL.search(f))
        if personal:
            return (
                f"{name} carries {personal}: personal data in an event stays in the log for good. The storyboard "
                "needs none; when an event must carry some, it carries it sealed (notebook 10)."
            )
        snake = sorted(f for f in fields if "_" in f)
        if snake:
            return (
                f"{name} has {', '.join(snake)}: write field names in camelCase, as in the seed's JSON "
                "(orderId, not order_id)."
            )
        state = sorted(f for f in fields if _STATE.search(f))
        if len(state) > 1:
            return (
                f"{name} carries a copy of the card's state ({', '.join(state)}): such fat events tie every reader "
                "to the writer's shape. Carry what happened at this moment, and what its readers need of it."
            )
        if not any(_CARD_ID.match(f) for f in fields):
            return (
                f"{name} must say which card it is about: every event of the card's stream carries the card's "
                "id (a field such as cardId)."
            )
        if "amount" in needed and not any(_AMOUNT.search(f) for f in fields):
            return (
                f"{name} without an amount forces every reader (the balance, the finance report) to find "
                "the amount elsewhere: an event carries the facts its readers need."
            )
    return None


@exercise("11.4", "an idempotent receiver", shape="a function receive(inbox, message, effect)")
def check_receiver(receive: Any) -> str | None:
    done: list[str] = []
    inbox: set = set()

    def deliver(doing: str, message: dict, effect: Callable = lambda m: done.append(m["messageId"])) -> None:
        sent = json.dumps(message, sort_keys=True)
        _call(doing, receive, inbox, message, effect, what="receive")
        if json.dumps(message, sort_keys=True) != sent:
            raise Hint("receive changed the message it was given: the broker may hand the same one to others.")

    first = {"messageId": "q-71", "refund": "A/R1", "amount": "5.00"}
    again = {**first, "deliveryAttempt": 2}  # a broker may stamp a redelivery with headers of its own
    twin = {"messageId": "q-72", "refund": "A/R1", "amount": "5.00"}  # another message that happens to look alike
    deliver("receiving a message", first)
    deliver("receiving the same message again", again)
    if done.count("q-71") > 1:
        return (
            "a message delivered twice had its effect twice: at-least-once delivery repeats messages, "
            "so remember which message ids you have handled (a redelivery may carry headers of its own, "
            "such as an attempt count, so the whole message is not the same twice)."
        )
    if done != ["q-71"]:
        return "the first delivery of a message must have its effect once."
    deliver("receiving another message with the same content", twin)
    if done != ["q-71", "q-72"]:
        return (
            "two messages with the same content are still two messages: recognise a repeat by its "
            "message id, not by what it says."
        )
    deliver("receiving an older message again, after a newer one", {**first, "deliveryAttempt": 3})
    if done.count("q-71") > 1:
        return (
            "a message delivered again after another one had its effect twice: a broker redelivers whenever "
            "an acknowledgement was lost, not only right away. Remember every message id handled, not the last."
        )
    failing = {"messageId": "q-73"}

    def fails_once(message: dict) -> None:
        if "q-73-failed" not in done:
            done.append("q-73-failed")
            raise ConnectionError("the provider did not answer")
        done.append(message["messageId"])

    try:
        receive(inbox, failing, fails_once)
    except Exception:  # noqa: BLE001 - any error tells the broker that the message was not handled
        pass
    else:
        return (
            "the effect failed and receive returned as if all was well: the broker then takes the message as "
            "handled and never delivers it again, so it is lost. Let the effect's error go up to the broker."
        )
    deliver("receiving a redelivered message whose effect failed the first time", failing, fails_once)
    if "q-73" not in done:
        return (
            "an effect that failed was never retried: record a message as handled only after its "
            "effect succeeded, or a failure loses it for good."
        )
    elsewhere: list[str] = []
    _call(
        "receiving a message in another service, with an inbox of its own",
        receive,
        set(),
        dict(first),
        lambda m: elsewhere.append(m["messageId"]),
        what="receive",
    )
    if elsewhere != ["q-71"]:
        return (
            "a receiver with an empty inbox of its own skipped a message it never handled: keep the handled ids "
            "in the inbox you are given, which the receiver keeps with its data, not in a variable of your own."
        )
    return None


class RefundTooSmall(OrderError):
    rule = "a refund is at least 1.00"


_MIN_REFUND = Decimal("1.00")


def decide_min_refund(command: Any, state: Any) -> list:
    """The order decider plus one rule, a refund is at least 1.00: the reference for exercise 11.5.

    The old rules decide first, so an order that cannot be refunded at all says so.
    """
    events: list[Any] = decide(command, state)
    if isinstance(command, RequestRefund) and events[0].amount < _MIN_REFUND:
        raise RefundTooSmall(command.order_id, f"a refund of {events[0].amount} is less than {_MIN_REFUND}")
    return events


def _mutants() -> dict[str, Callable]:
    """Wrong versions of ``decide_min_refund``: a good test table fails each of them somewhere."""

    def without_rule(command: Any, state: Any) -> list:
        return decide(command, state)

    def off_by_one(command: Any, state: Any) -> list:
        if isinstance(command, RequestRefund) and state.paid and Decimal(command.amount) <= _MIN_REFUND:
            raise RefundTooSmall(command.order_id, "too small")
        return decide(command, state)

    def every_amount(command: Any, state: Any) -> list:
        amount = getattr(command, "amount", None)
        if amount is not None and Decimal(amount) < _MIN_REFUND:
            raise RefundTooSmall(command.order_id, "too small")
        return decide(command, state)

    def forgets_the_payment(command: Any, state: Any) -> list:
        if isinstance(command, RequestRefund) and state.paid:
            if Decimal(command.amount) < _MIN_REFUND:
                raise RefundTooSmall(command.order_id, "too small")
            return [
                RefundCreated(command.order_id, Decimal(command.amount), f"R{len(state.refunds) + 1}", command.reason)
            ]
        return decide(command, state)

    return {
        "the rule left out": without_rule,
        "a refund of exactly 1.00 refused": off_by_one,
        "small orders refused too": every_amount,
        "refunds beyond the payment allowed": forgets_the_payment,
    }


def _passes(decider: Callable, cases: list) -> bool:
    for given, when, then in cases:
        try:
            got: Any = decider(when, fold(given))
        except OrderError as error:
            if not (isinstance(then, type) and isinstance(error, then)):  # a base class names the refusal too
                return False
            continue
        if got != then:
            return False
    return True


@exercise("11.5", "write the tests", shape="a list of (given events, when command, then events or error class)")
def check_min_refund_tests(cases: Any) -> str | None:
    table = [(list(given), when, then if isinstance(then, type) else list(then)) for given, when, then in cases]
    if not table:
        return "write at least one given / when / then case."
    wrong = [n for n, case in enumerate(table, 1) if not _passes(decide_min_refund, [case])]
    missed = [name for name, mutant in _mutants().items() if _passes(mutant, table)]
    hints = []
    if wrong:
        hints.append(
            f"case{'s' if len(wrong) > 1 else ''} {', '.join(map(str, wrong))} expect{'s' if len(wrong) == 1 else ''} "
            "something the rule does not do: run each by hand with decide_min_refund and compare"
        )
    if missed:
        hints.append(
            f"your cases all pass even on {len(missed)} decider{'s' if len(missed) > 1 else ''} with a mistake "
            f"({'; '.join(missed)}): add a case that only the correct rule passes for each. Think of the edges: "
            "the exact limit, other commands, the old rules"
        )
    return "; and ".join(hints) + "." if hints else None
