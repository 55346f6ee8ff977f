"""Old events, read in today's shape: schema versions and upcasters.

A stored event never changes, but the code that reads it does.  So every
event is stored with its type's registered name and its *schema version*, the
shape of its payload when it was written.  Reading goes through a chain of
upcasters: small pure functions, one per step, each taking a payload of one
version and returning a new payload of the next.  The store is never
rewritten; old events are converted every time they are read.

    stored:  OrderCreated v1  {"orderId": "123456", "amount": 100}
    read:    OrderCreated v2  {"orderId": "123456", "amount": 100, "currency": "EUR"}

(the shop's own history, in ``eventsim.shop.upcasting``).

An event without a schema version is version 1: the shape every event had
before versions were recorded (the seed's log never says).  An event *newer*
than this code knows is refused (``SchemaVersionError``): guessing at a shape
written by newer code is how data gets mis-read.

An upcaster sees its payload as a read-only mapping, so one that tries to
change its input fails at once instead of corrupting what the caller holds.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from .registry import registered

__all__ = [
    "UPCASTERS",
    "SchemaVersionError",
    "Upcaster",
    "Upcasters",
    "upcast",
]

Payload = Mapping[str, Any]


class SchemaVersionError(ValueError):
    """A stored event's schema version cannot be read by this code (newer, or no way up)."""

    def __init__(self, event_type: str, version: object, problem: str, field: str | None = None):
        self.event_type, self.version, self.problem, self.field = event_type, version, problem, field
        super().__init__(f"{event_type}: {f'field {field!r}: ' if field else ''}{problem}")


@dataclass(frozen=True, slots=True)
class Upcaster:
    """One step: a payload of ``event_type`` at ``version`` becomes ``to_type`` at ``to_version``.

    ``function`` is pure: it returns a new payload and leaves its argument alone.
    Most steps keep the type and add one to the version; a rename changes the type.
    """

    event_type: str
    version: int
    to_type: str
    to_version: int
    function: Callable[[Payload], dict[str, Any]]


class Upcasters:
    """A chain of upcasters and the current schema version of every event type.

    By default the current versions are the registry's (``eventsim.registry``):
    every registered type at the schema version it was registered with.  A
    chain made with ``current`` (and the ``types`` it covers) keeps its own,
    for an experiment beside the real one.  ``required`` names fields a
    payload of the current version must carry even where the class has a
    default for them: a default for new events is not a statement about old
    ones, and must never stand in for an upcaster.
    """

    def __init__(
        self,
        steps: Iterable[Upcaster],
        current: Mapping[str, int] | None = None,
        types: Iterable[str] = (),
        required: Mapping[str, Iterable[str]] | None = None,
    ):
        self.required = {name: frozenset(fields) for name, fields in (required or {}).items()}
        self._current = None if current is None else {name: current.get(name, 1) for name in {*types, *current}}
        steps = list(steps)
        keys = [(step.event_type, step.version) for step in steps]
        for key in keys:
            if keys.count(key) > 1:
                raise ValueError(f"two upcasters for {key[0]} version {key[1]}")
        self._steps: dict[tuple[str, int], Upcaster] = {}
        self.add(*steps)
        for name, version in (self._current or {}).items():  # each current version is reachable from version 1
            for start in range(1, version):
                self._path(name, start)

    def add(self, *steps: Upcaster, required: Mapping[str, Iterable[str]] | None = None) -> None:
        """Add ``steps`` to this chain (a domain registers the history of its events here).

        A step for a type and version already in the chain replaces it only if it is the same function
        defined again (a notebook cell run twice); two different ways up from one version are refused.
        """
        for step in steps:
            key = (step.event_type, step.version)
            earlier = self._steps.get(key)
            if earlier is not None and earlier.function.__qualname__ != step.function.__qualname__:
                raise ValueError(f"two upcasters for {step.event_type} version {step.version}")
            self._steps[key] = step
        for name, fields in (required or {}).items():
            self.required[name] = frozenset(fields)

    def current_version(self, event_type: str) -> int | None:
        """The schema version this code builds for ``event_type``; ``None`` for a type it does not know."""
        if self._current is not None:
            return self._current.get(event_type)
        entry = registered(event_type)
        return None if entry is None else entry.schema_version

    def extended(self, steps: Iterable[Upcaster]) -> Upcasters:
        """This chain plus ``steps`` (for example, a rename from a type the code no longer has)."""
        chain = Upcasters([*self._steps.values(), *steps], required=self.required)
        chain._current = self._current
        return chain

    def _path(self, event_type: str, version: int) -> list[Upcaster]:
        path: list[Upcaster] = []
        key = (event_type, version)
        while key[1] != self.current_version(key[0]):
            step = self._steps.get(key)
            if step is None:
                raise SchemaVersionError(key[0], key[1], f"no upcaster reads schema version {key[1]}")
            if len(path) > len(self._steps):
                raise ValueError(f"the upcasters from {event_type} version {version} go round in a circle")
            path.append(step)
            key = (step.to_type, step.to_version)
        return path

    def upcast(self, event_type: object, version: object, payload: Payload) -> tuple[str, Payload]:
        """``(type, payload)`` in today's shape, for a payload stored as ``event_type`` at ``version``.

        ``payload`` is never changed; one already in today's shape is returned
        as it is (reading today's events costs one check).  ``SchemaVersionError``
        for a version that is not a whole number from 1, is newer than the
        code, or has no way up, and for a current payload that lacks a
        ``required`` field.
        """
        if not isinstance(event_type, str):
            raise SchemaVersionError(
                repr(event_type), version, f"an event type is a name, not {type(event_type).__name__}"
            )
        if isinstance(version, bool) or not isinstance(version, int) or version < 1:
            raise SchemaVersionError(
                event_type, version, f"a schema version is a whole number from 1, not {version!r:.20}"
            )
        known = self.current_version(event_type)
        if known is not None and version > known:
            raise SchemaVersionError(
                event_type,
                version,
                f"schema version {version} is newer than this code, which knows up to "
                f"version {known}: it was written by a newer eventsim; upgrade eventsim to read it",
            )
        if known is None and not any(key[0] == event_type for key in self._steps):
            return event_type, payload  # an unknown type: the decoder names it
        current = payload
        for step in self._path(event_type, version) if version != known else ():
            stated = current
            current = step.function(MappingProxyType(dict(stated)))
            if not isinstance(current, dict):
                raise TypeError(f"the upcaster {step.function.__name__} returned {type(current).__name__}, not a dict")
            _keep_stated(step, stated, current)
            event_type = step.to_type
        required = self.required.get(event_type)
        if required and not required <= current.keys():
            missing = ", ".join(sorted(required - current.keys()))
            raise SchemaVersionError(
                event_type,
                self.current_version(event_type),
                f"the payload has no {missing}, which schema version {self.current_version(event_type)} always has",
            )
        return event_type, current


def _said(value: Any) -> str:
    text = f"{value}"[:40]
    return f'"{text}"' if isinstance(value, str) else text


def _keep_stated(step: Upcaster, stated: Payload, made: Mapping[str, Any]) -> None:
    """Refuse a step that would change a value the payload states.

    An upcaster fills in what an old shape did not say; it never decides
    against what a payload does say.  A payload of version 1 that states a
    currency contradicts its version (version 1 had none): it was mislabelled,
    or written by hand, and only a person can say which is true.  Overwriting
    it would record 100 EUR for an order of 100 USD, without a word.
    """
    for name, value in stated.items():
        if name in made and made[name] != value:
            raise SchemaVersionError(
                step.event_type,
                step.version,
                f"schema version {step.version} has no {name}, yet the payload states {_said(value)}: "
                f"reading it as version {step.to_version} would make it {_said(made[name])}, and a stated value "
                f"is never overwritten (if it was written as version {step.to_version}, "
                f"say so: schemaVersion {step.to_version})",
                field=name,
            )


#: The one chain every reader goes through: the registry's current versions, and every domain's upcasters
#: (a domain adds its own with ``UPCASTERS.add``, as ``eventsim.shop.upcasting`` does).
UPCASTERS = Upcasters([])


def upcast(
    event_type: object, version: object, payload: Payload, upcasters: Upcasters = UPCASTERS
) -> tuple[str, Payload]:
    """``UPCASTERS.upcast``: the one call every reader makes before decoding a payload."""
    return upcasters.upcast(event_type, version, payload)
