"""Projections: read models kept by folding the event log.

A projection has the shape of the domain's ``evolve``: an initial state and
``apply(state, recorded_event) -> state``.  A ``ProjectionRunner`` feeds it
from a store and remembers the position it has reached, its *checkpoint*, so
that it can fall behind and catch up again, or start over from position 1.

Two modes, switchable at any time with ``runner.mode = ...``:

* ``INLINE``: the runner subscribes to the store.  The store delivers to
  subscribers inside ``append``, so the read model is already up to date when
  the command that caused the events returns.
* ``EVENTUAL``: appending does not touch the read model; it lags ``lag``
  events behind until someone calls ``catch_up()``, as a read model fed by a
  queue or a polling job would.

Delivery may repeat an event (at-least-once): ``handle`` compares the event's
position with the checkpoint, so a repeat changes nothing.
"""
from __future__ import annotations

import gc
from dataclasses import dataclass
from typing import Callable, Generic, Iterable, TypeVar

from .store import InMemoryEventStore, RecordedEvent, Subscription

__all__ = ["Projection", "ProjectionRunner", "INLINE", "EVENTUAL", "MODES"]

S = TypeVar("S")

INLINE = "inline"      # updated inside store.append, by a live subscription
EVENTUAL = "eventual"  # updated only by catch_up(); lags in between
MODES = (INLINE, EVENTUAL)


class _CycleCollectorPaused:
    """Pause Python's cycle collector during a replay.

    A replay makes many objects and no garbage cycles, yet every 700 new
    objects start a collection, and now and then a full one that walks every
    object alive, the whole event log included: after a large log was just
    written, that more than halves the speed.  ``timeit`` pauses it too.
    """

    def __enter__(self) -> None:
        self.was_enabled = gc.isenabled()
        gc.disable()

    def __exit__(self, *exception: object) -> None:
        if self.was_enabled:
            gc.enable()


@dataclass(frozen=True)
class Projection(Generic[S]):
    """A named read model: how it starts and how one recorded event changes it.

    ``initial`` is a function that makes a fresh empty state, not a state:
    read models are mutated in place for speed, so two runners (or a rebuild)
    must never share one.
    """
    name: str
    initial: Callable[[], S]
    apply: Callable[[S, RecordedEvent], S]

    def fold(self, events: Iterable[RecordedEvent]) -> S:
        """The state after ``events``, from a fresh start (no checkpoint kept)."""
        state, apply = self.initial(), self.apply
        with _CycleCollectorPaused():
            for recorded in events:
                state = apply(state, recorded)
        return state


class ProjectionRunner(Generic[S]):
    """Feeds one projection from one store and keeps its checkpoint.

    ``state`` is the read model; ``checkpoint`` the position of the last
    event applied to it (0: none yet).  ``rebuild()`` replaces ``state`` with
    a new object, so read it from the runner rather than keeping it.
    """

    def __init__(self, store: InMemoryEventStore, projection: Projection[S], *, mode: str = EVENTUAL):
        self.store = store
        self.projection = projection
        self.state: S = projection.initial()
        self.checkpoint = 0
        self._subscription: Subscription | None = None
        self.mode = mode

    @property
    def lag(self) -> int:
        """How many recorded events the read model has not seen yet."""
        return self.store.last_position - self.checkpoint

    @property
    def mode(self) -> str:
        return EVENTUAL if self._subscription is None else INLINE

    @mode.setter
    def mode(self, mode: str) -> None:
        if mode not in MODES:
            raise ValueError(f"mode must be {INLINE!r} or {EVENTUAL!r}, not {mode!r}")
        if mode == self.mode:
            return
        if mode == INLINE:  # the store first delivers what was missed, then every new event
            self._subscription = self.store.subscribe(self.handle, self.checkpoint + 1,
                                                      name=f"projection {self.projection.name}")
        else:
            self._subscription.close()
            self._subscription = None

    def handle(self, recorded: RecordedEvent) -> bool:
        """Apply one event unless it was applied before; return whether it was applied."""
        if recorded.position <= self.checkpoint:
            return False  # a repeat delivery: the checkpoint says we have it already
        if recorded.position != self.checkpoint + 1:
            raise ValueError(f"projection {self.projection.name} is at position {self.checkpoint} and was "
                             f"given event {recorded.position}: it would miss the events in between")
        self.state = self.projection.apply(self.state, recorded)
        self.checkpoint = recorded.position
        return True

    def catch_up(self, max_events: int | None = None) -> int:
        """Apply the events after the checkpoint (at most ``max_events``); return how many."""
        if max_events is not None and max_events < 0:
            raise ValueError(f"max_events must be 0 or more, not {max_events}")
        events = self.store.read_all(self.checkpoint + 1)[:max_events]
        # read_all has no gaps and no repeats, so no event needs the check in ``handle``.
        apply = self.projection.apply
        with _CycleCollectorPaused():
            for recorded in events:
                self.state = apply(self.state, recorded)
                self.checkpoint = recorded.position
        return len(events)

    def rebuild(self) -> S:
        """Throw the read model away and replay the whole log into a fresh one."""
        self.state = self.projection.initial()
        self.checkpoint = 0
        self.catch_up()
        return self.state

    def __repr__(self) -> str:
        return (f"<ProjectionRunner {self.projection.name}: {self.mode}, at position {self.checkpoint} "
                f"of {self.store.last_position} (lag {self.lag})>")
