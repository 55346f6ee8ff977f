"""Event types: the one registry of what a store may record and how each type is named.

A stored event says what it is by a *type name* (``"OrderCreated"``), never
by whatever its Python class happens to be called, and by a *schema version*,
the shape of its fields when it was written (``eventsim.upcasting``).  Any
domain registers its events here, the shop's and a learner's alike; every
store, the JSON-lines codec and the HTTP feed read this registry, so an event
type registered in a notebook cell is stored, exported and read back like the
shop's own.

An event type is a frozen dataclass (a recorded fact never changes) whose
fields hold only values that JSON keeps exactly: ``str``, ``int``, ``bool``,
``Decimal`` (money, never ``float``), or ``None`` where the field is optional.

    @dataclass(frozen=True)
    class Deposited:
        account_id: str
        amount: Decimal

    register_event(Deposited)                      # type name "Deposited", schema version 1
"""

from __future__ import annotations

import dataclasses
import re
import threading
import types
import typing
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

__all__ = [
    "EventType",
    "Field",
    "event_type",
    "event_type_name",
    "register_event",
    "registered",
    "registered_types",
]

#: The kinds of value an event field may hold: each is kept exactly by JSON and by every store.
KINDS: tuple[type, ...] = (str, int, bool, Decimal)


@dataclass(frozen=True, slots=True)
class Field:
    """One field of an event type: its name on the class, its name in JSON (camelCase), its kind."""

    attr: str
    name: str
    kind: type
    required: bool


@dataclass(frozen=True, slots=True, eq=False)
class EventType:
    """A registered event type: its class, its stable name, the schema version this code writes, its fields.

    Compared by identity: registering a type again (a notebook cell run twice) makes a new one, so
    anything cached for the old one is simply not found for the new.
    """

    cls: type
    name: str
    schema_version: int
    fields: tuple[Field, ...]
    stream_of: Callable[[Any], str] | None = None  # where an event that does not say is kept (its domain's rule)


_TYPE_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_.-]{0,99}")


def _camel(name: str) -> str:
    return re.sub(r"_([a-z])", lambda m: m.group(1).upper(), name)


def _kind(cls: type, name: str, hint: Any) -> tuple[type, bool]:
    """The kind of a field and whether it may be ``None``; ``TypeError`` naming the field for any other type."""
    optional = False
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        args = typing.get_args(hint)
        optional = type(None) in args
        others = [arg for arg in args if arg is not type(None)]
        hint = others[0] if len(others) == 1 else hint
    if hint in KINDS:
        return hint, optional
    shown = getattr(hint, "__name__", repr(hint))
    advice = " (money is a Decimal, never a float)" if hint is float else ""
    raise TypeError(
        f"{cls.__name__}.{name} is {shown}: an event field holds str, int, bool or Decimal{advice}, "
        f"or None if it is optional"
    )


#: Names a line of JSON gives the envelope, never an event's own field (``eventsim.jsonl`` writes them).
RESERVED = frozenset(
    {
        "eventType",
        "schemaVersion",
        "timestamp",
        "eventId",
        "streamId",
        "version",
        "position",
        "correlationId",
        "causationId",
        "actor",
        "line",
    }
)


def _fields(cls: type) -> tuple[Field, ...]:
    # Annotations written as text (``from __future__ import annotations``) name these kinds; a class
    # defined in a namespace that is not its module's (code run by exec) may not see them otherwise.
    hints = typing.get_type_hints(cls, localns={"Decimal": Decimal, "Optional": typing.Optional})
    fields = []
    for f in dataclasses.fields(cls):
        if _camel(f.name) in RESERVED:
            raise ValueError(
                f"{cls.__name__}.{f.name}: {_camel(f.name)!r} is a name of the envelope every stored event has "
                f"(when and where it was recorded), so an event's own field cannot use it; name it for the domain"
            )
        kind, optional = _kind(cls, f.name, hints[f.name])
        required = f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
        if required and optional:
            required = False  # may be None, so may be absent from a payload
        fields.append(Field(f.name, _camel(f.name), kind, required))
    return tuple(fields)


def _where(cls: type) -> str:
    """A class as the registry tells them apart: the same name in another module is another type."""
    return f"{cls.__module__}.{cls.__qualname__}"


def _taken(earlier: type, cls: type) -> bool:
    """Whether ``cls`` may not take the name ``earlier`` holds.  A class defined again under its own name
    (a notebook cell run twice, the same code run in another namespace) takes it back; another class never
    does, nor does any class take the name of a type this package registers (the shop's ``OrderCreated``)."""
    if earlier.__qualname__ != cls.__qualname__:
        return True
    return earlier.__module__ != cls.__module__ and earlier.__module__.split(".")[0] == __name__.split(".")[0]


class _Registry:
    """Type name -> ``EventType``, and each registered class -> its ``EventType``."""

    def __init__(self) -> None:
        self._by_name: dict[str, EventType] = {}
        self._by_class: dict[type, EventType] = {}
        self._lock = threading.Lock()

    def register(self, cls: type, name: str | None, schema_version: int) -> EventType:
        if not isinstance(cls, type) or not dataclasses.is_dataclass(cls):
            shown = cls.__name__ if isinstance(cls, type) else repr(cls)[:60]
            raise TypeError(f"an event type is a frozen dataclass (@dataclass(frozen=True)), not {shown}")
        if not cls.__dataclass_params__.frozen:  # type: ignore[attr-defined]
            raise TypeError(f"{cls.__name__} must be a frozen dataclass (@dataclass(frozen=True)): events never change")
        name = cls.__name__ if name is None else name
        if not isinstance(name, str) or not _TYPE_NAME.fullmatch(name):
            raise ValueError(f"an event type name is a word such as 'AccountOpened', not {name!r:.60}")
        if isinstance(schema_version, bool) or not isinstance(schema_version, int) or schema_version < 1:
            raise ValueError(f"a schema version is a whole number from 1, not {schema_version!r:.20}")
        registered = EventType(cls, name, schema_version, _fields(cls))
        with self._lock:
            earlier = self._by_name.get(name)
            if earlier is not None and _taken(earlier.cls, cls):
                raise ValueError(
                    f"the event type name {name!r} is already registered for {_where(earlier.cls)}, so "
                    f"{_where(cls)} cannot take it: a stored event's name says what it is, so it names one type "
                    f"(register yours under a name of its own: register_event(cls, name='...'))"
                )
            self._by_name[name] = registered
            self._by_class[cls] = registered  # a class defined again (a cell run twice) is registered anew
        return registered

    def set_stream_rule(self, cls: type, rule: Callable[[Any], str]) -> None:
        with self._lock:
            registered = dataclasses.replace(self.of(cls), stream_of=rule)
            self._by_class[cls] = registered
            named = self._by_name.get(registered.name)
            if named is not None and named.cls is cls:  # the name still stands for this class, not a newer one
                self._by_name[registered.name] = registered

    def of(self, event: object) -> EventType:
        cls = event if isinstance(event, type) else type(event)
        try:
            return self._by_class[cls]
        except KeyError:
            name = getattr(cls, "__name__", type(cls).__name__)
            raise TypeError(
                f"{name} is not a registered event type: register it with eventsim.register_event({name}) "
                f"(or give it to a Domain), so a store knows how to keep it"
            ) from None

    def named(self, name: object) -> EventType | None:
        return self._by_name.get(name) if isinstance(name, str) else None

    def names(self) -> Iterator[str]:
        return iter(list(self._by_name))


_REGISTRY = _Registry()


def register_event(cls: type, name: str | None = None, *, schema_version: int = 1) -> type:
    """Register ``cls`` as an event type under ``name`` (its class name by default); return ``cls``.

    Usable as a decorator too.  ``schema_version`` is the shape this code writes: raise it, with an
    upcaster from the version before (``eventsim.upcasting``), when the fields change.
    """
    _REGISTRY.register(cls, name, schema_version)
    return cls


def set_stream_rule(cls: type, rule: Callable[[Any], str]) -> None:
    """Say which stream an event of ``cls`` belongs in, for a log line that does not name its stream
    (a domain does this for its events: ``eventsim.domain.Domain.event_stream``)."""
    _REGISTRY.set_stream_rule(cls, rule)


def event_type(event: object) -> EventType:
    """The registration of an event (or event class); ``TypeError`` naming it if it was never registered."""
    return _REGISTRY.of(event)


def event_type_name(event: object) -> str:
    """The registered name of an event (or event class); ``TypeError`` for anything else."""
    return _REGISTRY.of(event).name


def registered(name: object) -> EventType | None:
    """The event type registered under ``name``, or ``None``."""
    return _REGISTRY.named(name)


def registered_types() -> Mapping[str, type]:
    """Every registered type name -> its class, in the order they were registered."""
    return {name: entry.cls for name in _REGISTRY.names() if (entry := _REGISTRY.named(name))}
