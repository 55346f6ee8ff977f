"""Events as JSON Lines: one camelCase JSON object per line, and back.

    {"eventType": "OrderCreated", "orderId": "123456", "amount": 100, "timestamp": 1628379200}

``timestamp`` is Unix seconds.  Money is written as an exact decimal string
(``"amount": "100.00"``), as the HTTP API writes it: most JSON readers (pandas,
JavaScript, ``jq``) read a JSON number as a float, and a float cannot hold
cents exactly.  Reading takes either: a string of digits, or a number, as the
seed's lines and logs written before this change hold them.  ``schemaVersion`` is the shape of the event's
fields when it was written; a line without one is version 1, and older
versions are read through ``eventsim.upcasting`` into today's shape.  The envelope fields (``eventId``, ``version``,
``position``, ``correlationId``, ``causationId``, ``actor``) are written when
known and optional when read, so hand-written lines like the one above load
as they stand.  Amounts are read as ``Decimal`` straight from the text, never
through float.  Only JSON is parsed: nothing is ever unpickled or evaluated.

One codec serves every place an event is kept as data: ``event_to_payload``
and ``event_from_payload`` turn an event into its fields (camelCase, amounts
as exact ``Decimal``) and back, here and in any store that keeps payloads as
JSON.  Reading checks what recording checks: ids are ids, amounts are money
(``eventsim.money``), and a time lies between ``MIN_TIMESTAMP`` and
``MAX_TIMESTAMP``: from 1970 (no event of this shop was recorded before Unix
time began, and negative Unix times are not portable: Python's datetime
refuses them on Windows) to the end of 2199 (every tool the workbook hands a
time to can hold it; pandas' nanosecond timestamps end in April 2262).  A bad line is an
``EventFormatError`` that names the line, the event type, the field and the
problem, whatever the bytes were.
"""

from __future__ import annotations

import dataclasses
import json
import re
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any, NamedTuple

from .ids import check_id, check_stream_id
from .money import to_money
from .registry import EventType, event_type, event_type_name, registered, registered_types
from .upcasting import UPCASTERS, SchemaVersionError, upcast

__all__ = [
    "MAX_COUNTER",
    "MAX_TIMESTAMP",
    "MIN_TIMESTAMP",
    "EventFormatError",
    "LoggedEvent",
    "event_from_payload",
    "event_to_payload",
    "from_json",
    "iter_jsonl",
    "loads",
    "parse_json",
    "payload_json",
    "read_jsonl",
    "to_json",
    "write_jsonl",
]

MIN_TIMESTAMP = 0  # 1970-01-01T00:00:00Z
MAX_TIMESTAMP = 7_258_118_399  # 2199-12-31T23:59:59Z
MAX_COUNTER = 2**63 - 1  # the largest version or position: what a 64-bit SQL integer holds


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
    actor: str | None = None
    line: int | None = dataclasses.field(default=None, compare=False)  # where it was read from
    stream_id: str | None = None  # the stream it was recorded in, where the line says

    @property
    def event_type(self) -> str:
        return event_type_name(self.event)


class EventFormatError(ValueError):
    """A JSON event could not be read; says which line, event type and field."""

    def __init__(
        self, problem: str, *, line: int | None = None, event_type: str | None = None, field: str | None = None
    ):
        self.problem, self.line, self.event_type, self.field = problem, line, event_type, field
        where = [f"line {line}"] if line is not None else []
        if event_type:
            where.append(event_type)
        if field:
            where.append(f"field {_shown(field)!r}")
        super().__init__(": ".join(where + [problem]))


class _Problem(Exception):
    """What is wrong with one value; the caller adds the line and the field."""


def _shown(value: Any, width: int = 40) -> str:
    """A value as text short enough for a one-line message."""
    text = str(value)  # a Decimal as written: 1E+20, not 100000000000000000000
    return text if len(text) <= width else f"{text[:width]}… ({len(text):,} characters)"


def _json_type(value: Any) -> str:
    names = {
        bool: "true/false",
        int: "a whole number",
        str: "a string",
        list: "a list",
        dict: "an object",
        type(None): "null",
    }
    return _shown(value) if isinstance(value, Decimal) else names.get(type(value), type(value).__name__)


# --- checks for one value: return it, or raise _Problem --------------------------------
# Each first tests the common case with ``type(value) is ...`` (``True`` is not an ``int`` then).


# Money written as text: digits, at most one point, an optional minus (to_money then refuses it).  No
# exponent, no spaces, no "NaN": the plain decimal text eventsim writes, and any other program would.
_DECIMAL_TEXT = re.compile(r"-?[0-9]{1,40}(\.[0-9]{1,40})?")


def _money(value: Any, name: str) -> Decimal:
    if type(value) is str:  # how eventsim writes money: "10.00"
        if not _DECIMAL_TEXT.fullmatch(value):
            raise _Problem(f'must be a decimal string such as "10.00" (or a number), not {_shown(repr(value))}')
        value = Decimal(value)
    elif type(value) is not Decimal and type(value) is not int:  # a number, as the seed's lines hold it
        raise _Problem(f'must be a decimal string such as "10.00" (or a number), not {_json_type(value)}')
    try:
        return to_money(value, name)
    except ValueError as problem:
        raise _Problem(str(problem).removeprefix(f"{name} ")) from None


def _string(value: Any, name: str) -> str:
    if type(value) is not str:
        raise _Problem(f"must be a string, not {_json_type(value)}")
    return value


def _id(value: Any, name: str) -> str:
    if type(value) is not str:
        raise _Problem(f"must be a string, not {_json_type(value)}")
    try:
        return check_id(value, name)
    except ValueError as problem:
        raise _Problem(str(problem).removeprefix(f"{name} ")) from None


# Many lines repeat the same text: an order's id and correlation id, a customer, an actor.  Parsing
# makes a new string for each line; ``sys.intern`` hands back the one copy already kept (a million
# replayed events would otherwise keep about 150 MB of duplicates).  Event ids never repeat, and free
# text (a reason, personal data) rarely does: those are not shared, since an interned string is kept
# for as long as anything uses it (on Python 3.12, until the process ends).


def _shared_text(value: Any, name: str) -> str:
    return sys.intern(_string(value, name))


def _shared_id(value: Any, name: str) -> str:
    return sys.intern(_id(value, name))


def _shared_stream(value: Any, name: str) -> str:
    if type(value) is not str:
        raise _Problem(f"must be a string, not {_json_type(value)}")
    try:
        return sys.intern(check_stream_id(value))
    except ValueError as problem:
        raise _Problem(str(problem)) from None


def _whole(value: Any, low: int, high: int, meaning: str) -> int:
    if type(value) is int and low <= value <= high:
        return value
    if type(value) is not int:
        raise _Problem(f"must be a whole number (digits only), not {_json_type(value)}")
    raise _Problem(f"{_shown(value)} is out of range: {meaning}")


_TIME_RANGE = f"a time is from {MIN_TIMESTAMP} (1970-01-01) to {MAX_TIMESTAMP} (2199-12-31 23:59:59 UTC)"
_COUNTER_RANGE = f"it counts from 1 to {MAX_COUNTER:,}"


def _timestamp(value: Any, name: str) -> int:
    return _whole(value, MIN_TIMESTAMP, MAX_TIMESTAMP, _TIME_RANGE)


def _counter(value: Any, name: str) -> int:
    return _whole(value, 1, MAX_COUNTER, _COUNTER_RANGE)


# Envelope fields: JSON name -> (attribute, check), in the order of LoggedEvent's fields.
# ``timestamp`` is required, the rest optional.
_ENVELOPE: dict[str, tuple[str, Callable[[Any, str], Any]]] = {
    "eventId": ("event_id", _id),
    "streamId": ("stream_id", _shared_stream),
    "version": ("version", _counter),
    "position": ("position", _counter),
    "correlationId": ("correlation_id", _shared_id),
    "causationId": ("causation_id", _id),
    "actor": ("actor", _shared_id),
}
_ENVELOPE_CHECKS = tuple((name, check) for name, (_, check) in _ENVELOPE.items())


class _Field(NamedTuple):
    name: str  # camelCase, in JSON
    attr: str  # snake_case, on the event
    check: Callable[[Any, str], Any]
    required: bool


class _Spec(NamedTuple):
    """How one event type is written and read."""

    cls: type
    event_type: str
    fields: tuple[_Field, ...]
    payload_names: frozenset[str]
    line_names: frozenset[str]  # the payload's, ``eventType``, ``schemaVersion``, ``timestamp`` and the envelope


def _boolean(value: Any, name: str) -> bool:
    if type(value) is not bool:
        raise _Problem(f"must be true or false, not {_json_type(value)}")
    return value


def _integer(value: Any, name: str) -> int:
    return _whole(value, -MAX_COUNTER - 1, MAX_COUNTER, "a whole number a 64-bit SQL integer holds")


def _check_for(field: Any) -> Callable[[Any, str], Any]:
    if field.kind is Decimal:
        return _money
    if field.kind is bool:
        return _boolean
    if field.kind is int:
        return _integer
    shared = field.attr.endswith("_id") or field.attr == "currency"  # free text (a reason) rarely repeats
    return _shared_text if shared else _string


@cache
def _spec(registration: EventType) -> _Spec:
    fields = [_Field(f.name, f.attr, _check_for(f), f.required) for f in registration.fields]
    # A reading order: the ids first (what the event is about), then the rest, each as the class declares them.
    fields.sort(key=lambda field: not field.name.endswith("Id"))
    names = frozenset(field.name for field in fields)
    return _Spec(
        registration.cls,
        registration.name,
        tuple(fields),
        names,
        names | {"eventType", "schemaVersion", "timestamp", *_ENVELOPE},
    )


def _spec_named(name: Any, line: int | None) -> _Spec:
    if name is None:
        raise EventFormatError("missing", line=line, field="eventType")
    registration = registered(name)
    if registration is None:
        known = ", ".join(registered_types())
        problem = f"unknown event type {_shown(repr(name))} (known: {known})"
        raise EventFormatError(problem, line=line, field="eventType")
    return _spec(registration)


# --- the codec: an event <-> its payload -------------------------------------------------


def event_to_payload(event: Any) -> dict[str, Any]:
    """The event's fields, camelCase, ids first; ``None`` left out; amounts as exact ``Decimal``.

    ``TypeError`` for anything that is not a registered domain event."""
    return {
        field.name: value
        for field in _spec(event_type(event)).fields
        if (value := getattr(event, field.attr)) is not None
    }


def event_from_payload(event_type: str, payload: Mapping[str, Any], *, line: int | None = None) -> Any:
    """The event of type ``event_type`` (a registered name) with these fields; ``EventFormatError``
    naming the field and the problem (and ``line``, if given) when they do not make one."""
    spec = _spec_named(event_type, line)
    if not isinstance(payload, Mapping):
        raise EventFormatError(
            f"expected an object of fields, got {_json_type(payload)}", line=line, event_type=event_type
        )
    return _decode(spec, payload, spec.payload_names, line)


def _decode(spec: _Spec, obj: Mapping[str, Any], allowed: frozenset[str], line: int | None) -> Any:
    if not obj.keys() <= allowed:
        name = next(name for name in obj if name not in allowed)
        raise EventFormatError("is not a field of this event type", line=line, event_type=spec.event_type, field=name)
    values = {}
    try:
        for field in spec.fields:
            value = obj.get(field.name)
            if value is not None:
                values[field.attr] = field.check(value, field.name)
            elif field.required:
                raise _Problem("missing")
    except _Problem as problem:
        raise EventFormatError(str(problem), line=line, event_type=spec.event_type, field=field.name) from None
    try:
        return spec.cls(**values)
    except (TypeError, ValueError) as problem:  # the event's own checks: "order_id is empty", ...
        text = str(problem)
        culprit = next((f for f in spec.fields if text.startswith(f"{f.attr} ")), None)
        if culprit:
            text = text[len(culprit.attr) + 1 :]
        raise EventFormatError(
            text, line=line, event_type=spec.event_type, field=culprit.name if culprit else None
        ) from None


# --- writing --------------------------------------------------------------------------

# One encoder for every value: json.dumps(value, ensure_ascii=False) would build one per call.
_encode = json.JSONEncoder(ensure_ascii=False).encode


def _value(value: Any) -> str:
    """One value as JSON: money (a ``Decimal``) as its exact decimal text in a string, ``"0.10"``."""
    return f'"{value:f}"' if isinstance(value, Decimal) else _encode(value)


def payload_json(payload: Mapping[str, Any]) -> str:
    """A JSON object on one line, amounts written as exact decimal strings (``"0.10"``, never ``0.1``)."""
    return "{" + ", ".join(f"{_encode(name)}: {_value(value)}" for name, value in payload.items()) + "}"


def to_json(recorded: Any) -> str:
    """One JSON object, on one line, for a recorded (or logged) event."""
    event = recorded.event
    registration = event_type(event)
    parts: list[tuple[str, Any]] = [("eventType", registration.name), *event_to_payload(event).items()]
    if (version := registration.schema_version) != 1:  # absent means 1: the seed's lines stay as they were
        parts.append(("schemaVersion", version))
    parts.append(("timestamp", recorded.recorded_at))
    parts += [
        (name, value) for name, (attr, _) in _ENVELOPE.items() if (value := getattr(recorded, attr, None)) is not None
    ]
    return "{" + ", ".join(f'"{name}": {_value(value)}' for name, value in parts) + "}"


def write_jsonl(events: Iterable[Any], path: str | Path) -> int:
    """Write events to a ``.jsonl`` file, one per line as it is made (a million lines are never
    all in memory); return how many.  A failure leaves part of the file written: to replace a
    file whole or not at all, write beside it and rename, as ``eventsim simulate`` does."""
    count = 0
    with open(path, "w", encoding="utf-8", newline="\n") as file:
        for event in events:
            file.write(to_json(event) + "\n")
            count += 1
    return count


# --- reading --------------------------------------------------------------------------


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number an event can hold")


class _RepeatedKey(ValueError):
    """A JSON object names one key twice."""

    def __init__(self, key: str):
        super().__init__(key)
        self.key = key


def _one_value_per_key(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object as a dict; ``_RepeatedKey`` for a key written twice, whose meaning JSON leaves
    open (Python's json would keep the last value without a word, as the HTTP API does not)."""
    obj = dict(pairs)
    if len(obj) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _RepeatedKey(key)
            seen.add(key)
    return obj


# One decoder for every line: json.loads(text, parse_float=...) would build one per call.
_decoder = json.JSONDecoder(parse_float=Decimal, parse_constant=_reject_constant, object_pairs_hook=_one_value_per_key)


def parse_json(text: str | bytes, *, line: int | None = None) -> Any:
    """The value of one JSON text (``bytes`` are UTF-8), numbers with a point or exponent
    as ``Decimal``; ``EventFormatError`` for anything that is not JSON an event can come from."""
    try:
        return _decoder.decode(text if isinstance(text, str) else text.decode())
    except json.JSONDecodeError as error:
        problem = f"{error.msg} at column {error.colno}"
    except RecursionError:
        problem = "nested too deeply"
    except _RepeatedKey as error:
        raise EventFormatError("appears twice: a line gives each field one value", line=line, field=error.key) from None
    except ValueError as error:  # NaN, or an integer with thousands of digits
        problem = str(error).split(";")[0]
    except ArithmeticError:  # a number Decimal cannot hold, such as 1e99999999999999999999
        problem = "a number beyond what Decimal can hold"
    raise EventFormatError(f"not valid JSON ({problem})", line=line)


def from_json(obj: Any, *, line: int | None = None) -> LoggedEvent:
    """A ``LoggedEvent`` from one parsed JSON object, or ``EventFormatError``."""
    if not isinstance(obj, dict):
        raise EventFormatError(f"expected a JSON object, got {_json_type(obj)}", line=line)
    obj = _upcast_line(obj, line)
    spec = _spec_named(obj.get("eventType"), line)
    event = _decode(spec, obj, spec.line_names, line)
    envelope: list[Any] = []  # a value, or None, for each field of _ENVELOPE, in its order
    try:
        name = "timestamp"
        if name not in obj:
            raise _Problem("missing")
        recorded_at = _timestamp(obj[name], name)
        for name, check in _ENVELOPE_CHECKS:
            value = obj.get(name)
            envelope.append(None if value is None else check(value, name))
    except _Problem as problem:
        raise EventFormatError(str(problem), line=line, event_type=spec.event_type, field=name) from None
    event_id, stream_id, version, position, correlation_id, causation_id, actor = envelope
    return LoggedEvent(
        event, recorded_at, event_id, version, position, correlation_id, causation_id, actor, line, stream_id
    )


_LINE_ENVELOPE = frozenset({"eventType", "schemaVersion", "timestamp", *_ENVELOPE})


def _upcast_line(obj: dict[str, Any], line: int | None) -> dict[str, Any]:
    """The line with its payload in today's shape (``eventsim.upcasting``).

    A line already in today's shape, as every line this code writes, is
    returned as it is, once ``upcast`` has checked it: no step runs on it,
    and the envelope's names are none of a payload's, so the whole line can
    stand for its payload.  An older one is split into envelope and payload,
    the payload upcast, and the two put together again.
    """
    event_type = obj.get("eventType")
    if not isinstance(event_type, str):
        return obj  # _spec_named says what is wrong with it
    version = obj.get("schemaVersion", 1)
    if version == UPCASTERS.current_version(event_type):
        _upcast(event_type, version, obj, line)
        return obj
    envelope = {name: value for name, value in obj.items() if name in _LINE_ENVELOPE}
    stored = {name: value for name, value in obj.items() if name not in _LINE_ENVELOPE}
    event_type, payload = _upcast(event_type, envelope.pop("schemaVersion", 1), stored, line)
    return {**envelope, "eventType": event_type, **payload}


def _upcast(
    event_type: str, version: Any, payload: Mapping[str, Any], line: int | None
) -> tuple[str, Mapping[str, Any]]:
    try:
        return upcast(event_type, version, payload)
    except SchemaVersionError as error:
        raise EventFormatError(
            error.problem, line=line, event_type=error.event_type, field=error.field or "schemaVersion"
        ) from None


def loads(text: str, *, line: int | None = None) -> LoggedEvent:
    """Parse one line of JSON into a ``LoggedEvent``."""
    return from_json(parse_json(text, line=line), line=line)


_BOM = "\ufeff"


def _lines_of(data: bytes) -> Iterator[str]:
    """The lines of UTF-8 bytes, one at a time: a BOM is skipped; ``\\n``, ``\\r\\n`` and ``\\r``
    end a line, as in any text editor.  A byte that is not UTF-8 is kept (as Python's
    ``surrogateescape`` does) and refused when its line is read, so the first bad line is named."""
    text = data.decode("utf-8", errors="surrogateescape")
    return _each_line(text.removeprefix(_BOM).replace("\r\n", "\n").replace("\r", "\n"))


def _check_utf8(text: str, line: int) -> None:
    """Refuse a line holding a byte that was not UTF-8 (kept by ``surrogateescape``)."""
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError as error:
            code = ord(text[error.start])
            byte = f" (byte {code - 0xDC00:#04x})" if 0xDC80 <= code <= 0xDCFF else ""
            raise EventFormatError(f"not UTF-8 text{byte}", line=line) from None


def _each_line(text: str) -> Iterator[str]:
    """The lines of ``text``, split at each ``\\n`` as they are asked for: no list of a million lines."""
    start = 0
    while (end := text.find("\n", start)) >= 0:
        yield text[start:end]
        start = end + 1
    yield text[start:]


def iter_jsonl(source: str | Path | bytes | Iterable[str]) -> Iterator[LoggedEvent]:
    """The events of a ``.jsonl`` file (a path), its bytes, or an iterable of lines, one at
    a time, each read when it is asked for; blank lines are skipped but counted.

    A bad line raises ``EventFormatError`` naming it when the reading gets
    there.  A file that cannot be opened raises ``OSError``, and bytes that
    are not UTF-8 ``EventFormatError``, at once.  ``eventsim import`` reads
    a log this way: each event is checked, recorded and let go before the
    next is read, so a million of them are never all held at once.
    """
    if isinstance(source, (str, Path)):
        lines: Iterable[str] = _file_lines(Path(source))
    elif isinstance(source, bytes):
        lines = _lines_of(source)
    else:
        lines = source
    return _events(lines)


def _file_lines(path: Path) -> Iterator[str]:
    """The lines of a UTF-8 file, read a few kilobytes at a time as they are asked for: a log of a
    million lines is never all in memory.  Universal newlines: ``\\n``, ``\\r\\n`` and ``\\r`` end a
    line, as in ``_lines_of``; the file is opened at once, so one that cannot be raises ``OSError``."""
    file = open(path, encoding="utf-8", errors="surrogateescape", newline=None)  # noqa: SIM115  # closed below
    return _read_lines(file)


def _read_lines(file: Any) -> Iterator[str]:
    with file:
        for line in file:
            yield line.removesuffix("\n")


def _events(lines: Iterable[str]) -> Iterator[LoggedEvent]:
    for number, text in enumerate(lines, 1):
        if number == 1:
            text = text.removeprefix(_BOM)
        if text and not text.isspace():
            _check_utf8(text, number)
            yield from_json(parse_json(text, line=number), line=number)


def read_jsonl(source: str | Path | bytes | Iterable[str]) -> list[LoggedEvent]:
    """Every event in a ``.jsonl`` file (a path), its bytes, or an iterable of lines
    (``iter_jsonl``, all read at once); blank lines are skipped but counted.

    All or nothing: the first bad line raises ``EventFormatError`` naming it.
    A file that cannot be opened raises ``OSError``.
    """
    return list(iter_jsonl(source))
