"""Events as JSON Lines: one camelCase JSON object per line, and back.

    {"eventType": "OrderCreated", "orderId": "123456", "amount": 100, "timestamp": 1628379200}

``timestamp`` is Unix seconds.  The envelope fields (``eventId``, ``version``,
``position``, ``correlationId``, ``causationId``) are written when known and
optional when read, so hand-written lines like the one above load as they
stand.  Amounts are read as ``Decimal`` straight from the text, never through
float.  Only JSON is parsed: nothing is ever unpickled or evaluated.
"""
from __future__ import annotations

import dataclasses
import json
import re
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any, Iterable, Mapping, Union, get_args, get_type_hints

from .events import EVENT_TYPES
from .money import to_money

__all__ = ["LoggedEvent", "EventFormatError", "to_json", "dumps", "loads", "read_jsonl", "write_jsonl",
           "event_to_payload", "event_from_payload"]

# Envelope fields: JSON name -> (attribute, type).  ``timestamp`` is required.
_ENVELOPE = {
    "eventId": ("event_id", str),
    "version": ("version", int),
    "position": ("position", int),
    "correlationId": ("correlation_id", str),
    "causationId": ("causation_id", str),
}


@dataclass(frozen=True, slots=True)
class LoggedEvent:
    """An event read from a log: the domain event, when it was recorded, and
    whatever envelope fields the line carried (``None`` where it had none)."""
    event: Any
    recorded_at: int
    event_id: str | None = None
    version: int | None = None
    position: int | None = None
    correlation_id: str | None = None
    causation_id: str | None = None
    line: int | None = dataclasses.field(default=None, compare=False)  # where it was read from

    @property
    def event_type(self) -> str:
        return type(self.event).__name__


class EventFormatError(ValueError):
    """A JSON event could not be read; says which line, event type and field."""

    def __init__(self, problem: str, *, line: int | None = None, event_type: str | None = None,
                 field: str | None = None):
        self.problem, self.line, self.event_type, self.field = problem, line, event_type, field
        where = [f"line {line}"] if line is not None else []
        if event_type:
            where.append(event_type)
        if field:
            where.append(f"field {field!r}")
        super().__init__(": ".join(where + [problem]))


def _camel(name: str) -> str:
    return re.sub(r"_([a-z])", lambda m: m.group(1).upper(), name)


@cache
def _fields(cls: type) -> tuple[tuple[str, str, type, bool], ...]:
    """(JSON name, attribute, type, required) for each field of an event class."""
    hints = get_type_hints(cls)
    result = []
    for f in dataclasses.fields(cls):
        kind = next((t for t in get_args(hints[f.name]) if t is not type(None)), hints[f.name])
        required = f.default is dataclasses.MISSING
        result.append((_camel(f.name), f.name, kind, required))
    # Domain fields in a reading order: ids first, then amount, then the rest.
    order = {"orderId": 0, "customerId": 1, "refundId": 2, "amount": 3}
    return tuple(sorted(result, key=lambda r: order.get(r[0], 4)))


@cache
def _names(cls: type) -> frozenset[str]:
    return frozenset(name for name, *_ in _fields(cls))


# --- the codec: one event <-> its JSON object, shared with the durable stores ---

def event_to_payload(event: Any) -> dict[str, Any]:
    """The event's fields as a camelCase dict, without ``None`` fields; amounts stay ``Decimal``."""
    payload = {}
    for name, attr, _, _ in _fields(type(event)):
        value = getattr(event, attr)
        if value is not None:
            payload[name] = value
    return payload


def event_from_payload(event_type: str, payload: Mapping[str, Any], *, line: int | None = None,
                       types: Mapping[str, type] = EVENT_TYPES) -> Any:
    """The domain event for a registered type name and its camelCase fields, or ``EventFormatError``.

    Amounts are JSON numbers read as ``Decimal`` (``parse_float=Decimal``) or ``int``; never floats.
    """
    if not isinstance(event_type, str) or event_type not in types:
        known = ", ".join(types)
        raise EventFormatError(f"unknown event type {event_type!r} (known: {known})", line=line,
                               field="eventType")
    cls = types[event_type]

    def error_for(field: str):
        return lambda problem: EventFormatError(problem, line=line, event_type=event_type, field=field)

    fields = _fields(cls)
    if not _names(cls).issuperset(payload):
        unknown = next(name for name in payload if name not in _names(cls))
        raise error_for(unknown)("is not a field of this event type")
    values = {}
    for name, attr, kind, required in fields:
        value = payload.get(name)
        if value is None:
            if required:
                raise error_for(name)("missing")
        elif type(value) is kind and kind is str:  # the common case, with no closure to build
            values[attr] = value
        else:
            values[attr] = _check(value, kind, error_for(name))
    return cls(**values)


# --- writing ---------------------------------------------------------------

# One encoder for every value: json.dumps(value, ensure_ascii=False) would build one per call.
_encode = json.JSONEncoder(ensure_ascii=False).encode


def _value(value: Any) -> str:
    if isinstance(value, Decimal):
        return format(value, "f")
    return _encode(value)


def to_json(recorded: Any) -> str:
    """One JSON object, on one line, for a recorded (or logged) event."""
    event = recorded.event
    parts = [("eventType", type(event).__name__)]
    parts += [(name, getattr(event, attr)) for name, attr, _, _ in _fields(type(event))]
    parts.append(("timestamp", recorded.recorded_at))
    parts += [(name, getattr(recorded, attr, None)) for name, (attr, _) in _ENVELOPE.items()]
    return "{" + ", ".join(f'"{name}": {_value(value)}' for name, value in parts if value is not None) + "}"


dumps = to_json


def write_jsonl(events: Iterable[Any], path: str | Path) -> int:
    """Write events to a ``.jsonl`` file, one per line; return how many."""
    lines = [to_json(e) + "\n" for e in events]
    Path(path).write_text("".join(lines), encoding="utf-8")
    return len(lines)


# --- reading ---------------------------------------------------------------

def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number an event can hold")


def _check(value: Any, kind: type, error: Any) -> Any:
    if kind is Decimal:
        if isinstance(value, bool) or not isinstance(value, (int, Decimal)):
            raise error(f"must be a number, not {_json_type(value)}")
        try:
            return to_money(value)
        except ValueError as problem:
            raise error(str(problem).removeprefix("amount ")) from None
    if kind is int and (isinstance(value, bool) or not isinstance(value, int)):
        raise error(f"must be a whole number, not {_json_type(value)}")
    if kind is str and not isinstance(value, str):
        raise error(f"must be a string, not {_json_type(value)}")
    return value


def _json_type(value: Any) -> str:
    return {bool: "true/false", int: "a whole number", Decimal: f"{value}", str: "a string",
            list: "a list", dict: "an object", type(None): "null"}.get(type(value), type(value).__name__)


def from_json(obj: Any, *, line: int | None = None,
              types: Mapping[str, type] = EVENT_TYPES) -> LoggedEvent:
    """A ``LoggedEvent`` from one parsed JSON object, or ``EventFormatError``."""
    if not isinstance(obj, dict):
        raise EventFormatError(f"expected a JSON object, got {_json_type(obj)}", line=line)
    event_type = obj.get("eventType")
    if event_type is None:
        raise EventFormatError("missing", line=line, field="eventType")
    envelope_names = {"eventType", "timestamp", *_ENVELOPE}
    event = event_from_payload(event_type, {k: v for k, v in obj.items() if k not in envelope_names},
                               line=line, types=types)

    def error_for(field: str):
        return lambda problem: EventFormatError(problem, line=line, event_type=event_type, field=field)

    if "timestamp" not in obj:
        raise error_for("timestamp")("missing")
    envelope = {"recorded_at": _check(obj["timestamp"], int, error_for("timestamp")), "line": line}
    for name, (attr, kind) in _ENVELOPE.items():
        if obj.get(name) is not None:
            envelope[attr] = _check(obj[name], kind, error_for(name))
    return LoggedEvent(event, **envelope)


def loads(text: str, *, line: int | None = None, types: Mapping[str, type] = EVENT_TYPES) -> LoggedEvent:
    """Parse one line of JSON into a ``LoggedEvent``."""
    try:
        obj = json.loads(text, parse_float=Decimal, parse_constant=_reject_constant)
    except ValueError as error:
        raise EventFormatError(f"not valid JSON ({error})", line=line) from None
    return from_json(obj, line=line, types=types)


def read_jsonl(source: str | Path | Iterable[str], *,
               types: Mapping[str, type] = EVENT_TYPES) -> list[LoggedEvent]:
    """Every event in a ``.jsonl`` file (or iterable of lines); blank lines are skipped.

    All or nothing: the first bad line raises ``EventFormatError`` naming it.
    """
    if isinstance(source, (str, Path)):
        with open(source, encoding="utf-8") as file:
            lines = file.readlines()
    else:
        lines = source
    return [loads(text, line=number, types=types)
            for number, text in enumerate(lines, 1) if text.strip()]
