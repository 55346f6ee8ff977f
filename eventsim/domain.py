"""A domain, as the engine is given it: its event types, its decider, and where each decision is kept.

The engine (stores, the application service, projections, snapshots, the
JSON-lines codec, the HTTP feed) names no domain.  A domain is data handed to
it, in a notebook cell or a module:

* its **event types**: frozen dataclasses, registered under stable names
  (``eventsim.registry``);
* its **decider**: ``initial_state``, ``decide(command, state) -> events`` and
  ``evolve(state, event) -> state``, pure functions (the Decider pattern);
* ``stream_of(command)``: the stream whose events a command is decided
  against, the boundary of one decision (an order, an account, ...).

The shop's order domain is one such domain (``eventsim.shop.ORDERS``); a
bank account written by a learner is another, and runs on the same stores.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import typing
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import reduce
from typing import Any, Generic, TypeVar

from .registry import event_type, register_event, set_stream_rule

__all__ = ["Domain", "command_fingerprint", "state_shape"]

C = TypeVar("C")  # a command
E = TypeVar("E")  # an event
S = TypeVar("S")  # a state


def command_fingerprint(command: Any) -> str:
    """What a request asks for, as text: its type and every field but ``command_id``.

    Two commands with one id and the same fingerprint are one request sent
    twice (a retry); with different ones, the id was reused by mistake.
    Numbers are compared by value (``9`` and ``Decimal("9.00")`` are equal).
    """
    if not dataclasses.is_dataclass(command) or isinstance(command, type):
        raise TypeError(f"a command is a dataclass instance, not {command!r:.60}")
    parts = []
    for f in dataclasses.fields(command):
        if f.name == "command_id":
            continue
        value = getattr(command, f.name)
        if isinstance(value, (int, Decimal)) and not isinstance(value, bool):
            shown = format(Decimal(value).normalize(), "f")
        else:
            shown = repr(value)
        parts.append(f"{f.name}={shown}")
    return f"{type(command).__name__}({', '.join(parts)})"


def state_shape(*classes: type) -> str:
    """A fingerprint of the fields of ``classes``: it changes whenever a field is added, removed or retyped.

    A class that is not a dataclass (a state that is a plain ``Decimal`` balance, say) counts by its name.
    """
    text = ";".join(
        f"{cls.__name__}({','.join(f'{f.name}:{f.type}' for f in dataclasses.fields(cls))})"
        if dataclasses.is_dataclass(cls)
        else cls.__qualname__
        for cls in classes
    )
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def _flat_state_to_json(state: Any) -> str:
    """A flat dataclass state as JSON: each field a str, int, bool, ``None`` or ``Decimal`` (as exact text)."""
    if not dataclasses.is_dataclass(state):
        raise TypeError(
            f"a snapshot of a {type(state).__name__} state needs the domain's own state_to_json and state_from_json"
        )
    data = {}
    for f in dataclasses.fields(state):
        value = getattr(state, f.name)
        if isinstance(value, Decimal):
            value = str(value)
        elif value is not None and not isinstance(value, (str, int, bool)):
            raise TypeError(
                f"{type(state).__name__}.{f.name} holds {type(value).__name__}: a snapshot of this state needs "
                f"the domain's own state_to_json and state_from_json"
            )
        data[f.name] = value
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False)


@dataclass(frozen=True)
class Domain(Generic[C, E, S]):
    """Everything the engine needs to know of one domain.

    ``events`` are its event classes: each is registered under its class
    name when the domain is made, unless it was registered already (under a
    name or schema version of its own, with ``register_event``).
    ``event_stream(event)``, if given, names the stream of an event read from
    a log line that does not say (a hand-written line, say): the same stream
    ``stream_of`` gives the command that records it.

    Snapshots (``eventsim.snapshots``) keep a state as JSON text.  A flat
    dataclass state (fields of str, int, bool, ``Decimal`` or ``None``) needs
    nothing more; any other gives ``state_to_json`` and ``state_from_json``.
    ``state_schema`` says which shape a snapshot holds: by default the state
    version and a fingerprint of the state class's fields.  Raise
    ``state_version`` when what a field *means* changes while its shape does not.
    """

    name: str
    events: Sequence[type]
    initial_state: S
    decide: Callable[[C, S], Sequence[E]]
    evolve: Callable[[S, E], S]
    stream_of: Callable[[C], str]
    event_stream: Callable[[E], str] | None = None
    fingerprint: Callable[[C], str] = command_fingerprint
    state_version: int = 1
    state_schema: str = ""
    state_to_json: Callable[[S], str] | None = None
    state_from_json: Callable[[str], S] | None = None

    def __post_init__(self) -> None:
        events = tuple(self.events)
        for cls in events:
            try:
                event_type(cls)
            except TypeError:
                register_event(cls)
            if self.event_stream is not None:
                set_stream_rule(cls, self.event_stream)
        object.__setattr__(self, "events", events)
        if not self.state_schema:
            object.__setattr__(self, "state_schema", f"{self.state_version}:{state_shape(type(self.initial_state))}")

    def fold(self, events: Iterable[E], state: S | None = None) -> S:
        """The state after ``events``: ``evolve`` applied to each in turn, from ``state`` (the initial one)."""
        return reduce(self.evolve, events, self.initial_state if state is None else state)

    def encode_state(self, state: S) -> str:
        """The state as a snapshot keeps it: JSON text.

        Without a codec of the domain's own, only a state of ``initial_state``'s class is kept: the
        schema fingerprints that class, and a state of another one could not be told apart from it.
        """
        if self.state_to_json is not None:
            return self.state_to_json(state)
        if type(state) is not type(self.initial_state):
            raise TypeError(
                f"a {type(state).__name__} state is not of initial_state's class "
                f"({type(self.initial_state).__name__}): a snapshot of it needs the domain's own state_to_json "
                f"and state_from_json"
            )
        return _flat_state_to_json(state)

    def decode_state(self, text: str) -> S:
        """The state a snapshot's text holds (``encode_state``'s inverse)."""
        if self.state_from_json is not None:
            return self.state_from_json(text)
        cls = type(self.initial_state)
        hints = typing.get_type_hints(cls)
        data = json.loads(text)
        values = {}
        for f in dataclasses.fields(cls):  # type: ignore[arg-type]
            value = data[f.name]
            if value is not None and Decimal in (hints[f.name], *typing.get_args(hints[f.name])):
                value = Decimal(value)
            values[f.name] = value
        return cls(**values)
