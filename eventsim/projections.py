"""Projections: read models kept by folding the event log.

A projection has the shape of the domain's ``evolve``: an initial state and
``apply(state, recorded_event) -> state``.  A ``ProjectionRunner`` feeds it
from a store and remembers the position it has reached, its *checkpoint*, so
that it can fall behind and catch up again, or start over from position 1.

State and checkpoint move together, one event at a time: after an event the
runner holds the new state *and* that event's position, or, if ``apply``
failed, the old state and the old position.  A database read model gets this
by committing both in one transaction; here ``apply`` keeps the contract
written on ``Projection``.  An event that fails stops the runner there, with
the reason in ``runner.failure``; the operator then either fixes the cause and
calls ``catch_up()`` (the event is tried again), or ``skip()``s it.

Positions increase but may have gaps, so the runner never computes the next
position; it reads what comes after its checkpoint (``read_all(checkpoint +
1)``) and takes each event's own position.  A gap is not always settled,
though.  In a store that takes positions from a database sequence without
serialising its writers, a gap can be a transaction that took the lower
number and has not committed *yet*; a reader that moved past it would never
see that event.  So the runner reads through ``GapWatch``: with a store that
commits positions in order (``store.commits_in_sequence``, true of every store
here) it reads on; with any other it stops before a gap until the gap is
filled or has stayed open ``gap_timeout`` seconds (then it is taken for a
rollback and passed, and listed in ``passed_gaps``), as Marten's high-water
mark does.

Two modes, switchable at any time with ``runner.mode = ...``:

* ``INLINE``: the runner subscribes to the store, which hands it each event
  right after the append that recorded it has committed (in a single thread,
  before ``append`` returns, so a query right after a command sees its
  effect).  The read model is not part of the write: if it fails, the command
  still succeeds (its events are recorded) and the runner stops there, saying
  why in ``failure``.
* ``EVENTUAL``: appending does not touch the read model; it lags behind until
  someone calls ``catch_up()``, as a read model fed by a queue or a polling
  job would.

Delivery may repeat an event (at-least-once): ``handle`` ignores an event at
or before the checkpoint, so a repeat changes nothing.  That deduplicates one
feed delivered in position order, as the store's subscription is; handed a
later position first, the runner would then drop the earlier one.  A feed that
reorders (a broker's partitions, a retry queue) needs the ids of the events
applied: an inbox (notebooks 5 and 8c).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from .bulk import collector_paused
from .store import InMemoryEventStore, RecordedEvent, Subscription

__all__ = [
    "EVENTUAL",
    "INLINE",
    "MODES",
    "PAGE",
    "GAP_TIMEOUT",
    "Failure",
    "GapWatch",
    "Projection",
    "ProjectionFailed",
    "ProjectionRunner",
    "catch_up_all",
]

PAGE = 2_000  # events a runner reads at a time, and each read model's turn in ``catch_up_all``
GAP_TIMEOUT = 5.0  # seconds a gap may stay open before it is taken for a rollback: longer than any write lasts

S = TypeVar("S")

INLINE = "inline"  # updated right after each append commits, by a live subscription
EVENTUAL = "eventual"  # updated only by catch_up(); lags in between
MODES = (INLINE, EVENTUAL)


@dataclass(frozen=True)
class Projection(Generic[S]):
    """A named read model: how it starts and how one recorded event changes it.

    ``initial`` is a function that makes a fresh empty state, not a state:
    read models are mutated in place for speed, so two runners (or a rebuild)
    must never share one.

    ``apply`` must *check, then change*: first look up everything the event
    needs and raise if it cannot be applied, and only then change the state.
    A failure then leaves the state exactly as it was before the event, which
    is what lets a runner keep its checkpoint where it was and try the event
    again without counting anything twice.  An ``apply`` that returns a new
    state instead of changing the old one keeps the contract by construction.

    ``listens_to`` names the event classes ``apply`` reads (``None``: all of
    them), matched by exact class, as the registry names each event type.
    Events of other types are passed over without calling ``apply``, as a
    subscription filtered by event type would pass them over: most read
    models need a few of the types, and a catch-up then costs a call only for
    the events that matter.  ``apply`` must leave the others alone anyway.
    """

    name: str
    initial: Callable[[], S]
    apply: Callable[[S, RecordedEvent], S]
    listens_to: frozenset[type] | None = None

    def reads(self, recorded: RecordedEvent) -> bool:
        """Whether ``apply`` needs to see this event (its type is one ``listens_to`` names)."""
        return self.listens_to is None or type(recorded.event) in self.listens_to

    def fold(self, events: Iterable[RecordedEvent]) -> S:
        """The state after ``events``, from a fresh start (no checkpoint kept)."""
        state, apply, listens_to = self.initial(), self.apply, self.listens_to
        for recorded in events:
            if listens_to is None or type(recorded.event) in listens_to:
                state = apply(state, recorded)
        return state


@dataclass(frozen=True)
class Failure:
    """The event a runner could not apply, and why: it waits there until skipped or applied."""

    position: int
    event_type: str
    reason: str


class ProjectionFailed(Exception):
    """A projection could not apply an event; its runner stopped there (``runner.failure``)."""

    def __init__(self, name: str, failure: Failure):
        self.failure = failure
        super().__init__(
            f"projection {name!r} stopped at position {failure.position} ({failure.event_type}): "
            f"{failure.reason}; fix the cause and catch_up() to try it again, or skip() it"
        )


class GapWatch:
    """How far a reader may go in what ``read_all`` returned without passing an event still to come.

    A gap is a position missing between the checkpoint and the events read.
    If the log is committed in order (``in_sequence``; ``GapWatch.of(store)``
    asks the store's ``commits_in_sequence``), a gap is a number nobody will
    ever commit (a rolled-back transaction's), and the reader goes on.
    Otherwise a gap may be a transaction that took that number and has not
    committed yet: the reader stops before it and asks again later.  A gap
    still open ``timeout`` seconds after it was first seen (``clock``,
    seconds) is taken for a rollback and passed, and listed in ``passed`` as
    ``(first, last)`` positions.  The timeout is a bet: it must be longer
    than any transaction that writes events may last, which a database can
    enforce (PostgreSQL's ``idle_in_transaction_session_timeout``).
    """

    def __init__(
        self, *, in_sequence: bool = False, timeout: float = GAP_TIMEOUT, clock: Callable[[], float] = time.monotonic
    ):
        if isinstance(timeout, bool) or not isinstance(timeout, int | float) or not timeout >= 0:
            raise ValueError(f"gap_timeout must be a number of seconds, 0 or more, not {timeout!r}")
        self.in_sequence, self.timeout, self._clock = in_sequence, timeout, clock
        self._first_seen: dict[int, float] = {}  # a gap's first missing position -> when it was first seen
        self.passed: list[tuple[int, int]] = []

    @classmethod
    def of(cls, store: Any, *, timeout: float = GAP_TIMEOUT, clock: Callable[[], float] = time.monotonic) -> GapWatch:
        """The watch for a store's log: in order if the store says it commits positions in order."""
        return cls(in_sequence=getattr(store, "commits_in_sequence", False) is True, timeout=timeout, clock=clock)

    def settled(self, events: list[Any], checkpoint: int) -> list[Any]:
        """The events read after ``checkpoint`` (anything with a ``position``) that come before any gap
        still open: safe to apply."""
        if self.in_sequence:
            return events
        expected, now = checkpoint + 1, None
        for index, recorded in enumerate(events):
            if recorded.position != expected:  # positions expected .. recorded.position - 1 are not there
                now = self._clock() if now is None else now
                first_seen = self._first_seen.setdefault(expected, now)
                if now - first_seen < self.timeout:
                    return events[:index]
                del self._first_seen[expected]
                self.passed.append((expected, recorded.position - 1))
            elif self._first_seen:
                self._first_seen.pop(expected, None)  # a gap seen before, filled now
            expected = recorded.position + 1
        return events

    def reset(self) -> None:
        """Forget every gap: the reader starts over from position 1."""
        self._first_seen.clear()
        self.passed.clear()


class ProjectionRunner(Generic[S]):
    """Feeds one projection from one store and keeps its checkpoint.

    ``state`` is the read model; ``checkpoint`` the position of the last
    event it has dealt with (0: none yet).  ``failure`` is the event it is
    stopped at, if any; ``skipped`` every event an operator chose to skip.
    ``rebuild()`` replaces ``state`` with a new object, so read it from the
    runner rather than keeping it.  ``gap_timeout`` and ``clock`` are those
    of ``GapWatch``: they matter only for a store that does not commit
    positions in order; ``passed_gaps`` lists the gaps it gave up on.
    """

    def __init__(
        self,
        store: InMemoryEventStore,
        projection: Projection[S],
        *,
        mode: str = EVENTUAL,
        gap_timeout: float = GAP_TIMEOUT,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.store = store
        self.projection = projection
        self._gaps = GapWatch.of(store, timeout=gap_timeout, clock=clock)
        self.state: S = projection.initial()
        self.checkpoint = 0
        self.failure: Failure | None = None
        self.skipped: list[Failure] = []
        self._subscription: Subscription | None = None
        self.mode = mode

    @property
    def passed_gaps(self) -> list[tuple[int, int]]:
        """The gaps passed as rollbacks after ``gap_timeout``, as ``(first, last)`` positions."""
        return self._gaps.passed

    @property
    def lag(self) -> int:
        """How far behind the store the read model is, in positions.

        The number of events not applied yet when positions have no gaps (as
        in the in-memory store); at most that many when they do.
        """
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
            self._subscription = self.store.subscribe(
                self._delivered, self.checkpoint + 1, name=f"projection {self.projection.name}"
            )
        elif self._subscription is not None:
            self._subscription.close()
            self._subscription = None

    def handle(self, recorded: RecordedEvent) -> bool:
        """Apply one event unless it was dealt with before; return whether it was applied.

        Raises ``ProjectionFailed`` if it cannot be applied, or if the runner
        is stopped at an earlier event (applying this one would skip that).
        """
        if recorded.position <= self.checkpoint:
            return False  # a repeat delivery: the checkpoint says we have it already
        if self.failure is not None and recorded.position != self.failure.position:
            raise ProjectionFailed(self.projection.name, self.failure)
        try:
            state = self.projection.apply(self.state, recorded) if self.projection.reads(recorded) else self.state
        except Exception as error:
            raise self._stop(recorded, error) from error
        self.state, self.checkpoint, self.failure = state, recorded.position, None
        return True

    def _delivered(self, recorded: RecordedEvent) -> None:
        self.handle(recorded)

    def catch_up(self, max_events: int | None = None) -> int:
        """Apply the events after the checkpoint (at most ``max_events``); return how many.

        After a failure this is how to try again: the event the runner stopped
        at comes first.  It stops early before a gap that may still fill
        (``GapWatch``); a later call goes on from there.  In inline mode it
        also restarts the subscription.
        """
        if max_events is not None and (not isinstance(max_events, int) or max_events < 0):
            raise ValueError(f"max_events must be an int, 0 or more, not {max_events!r}")
        moved = 0
        while max_events is None or moved < max_events:  # a page at a time: a long log is never held whole
            limit = PAGE if max_events is None else min(PAGE, max_events - moved)
            read = self.store.read_all(self.checkpoint + 1, limit=limit)
            events = self._gaps.settled(read, self.checkpoint)
            self._apply(events)
            moved += len(events)
            if len(events) < limit:
                break
        if moved:  # the event it was stopped at, if any, was the first one read, and has been applied now
            self.failure = None
        self._follow_again()
        return moved

    def _apply(self, events: list[RecordedEvent]) -> None:
        apply, listens_to = self.projection.apply, self.projection.listens_to
        state, checkpoint = self.state, self.checkpoint
        try:
            for recorded in events:
                if listens_to is None or type(recorded.event) in listens_to:
                    state = apply(state, recorded)
                checkpoint = recorded.position
        except Exception as error:
            raise self._stop(recorded, error) from error
        finally:  # both move together: to the last event dealt with, whatever happened after it
            self.state, self.checkpoint = state, checkpoint

    def skip(self) -> Failure:
        """Give up on the event the runner is stopped at: the checkpoint passes it, unapplied.

        The event is listed in ``skipped``, so the read model says what it
        left out.  In inline mode the runner then follows the store again;
        in eventual mode the next ``catch_up()`` goes on after the event.
        """
        failure = self.failure
        if failure is None:
            raise ValueError(f"projection {self.projection.name!r} is not stopped at an event: nothing to skip")
        self.skipped.append(failure)
        self.checkpoint, self.failure = failure.position, None
        self._follow_again()
        return failure

    def rebuild(self) -> S:
        """Throw the read model away and replay the whole log into a fresh one."""
        self.state = self.projection.initial()
        self.checkpoint, self.failure, self.skipped = 0, None, []
        self._gaps.reset()
        self.catch_up()
        return self.state

    def _stop(self, recorded: RecordedEvent, error: Exception) -> ProjectionFailed:
        self.failure = Failure(recorded.position, recorded.event_type, f"{type(error).__name__}: {error}")
        return ProjectionFailed(self.projection.name, self.failure)

    def _follow_again(self) -> None:
        """In inline mode, restart a subscription that stopped at a failed event."""
        if self._subscription is not None and self._subscription.error is not None:
            self._subscription.resume()  # delivers what came since; a failure there stops us again
            if self.failure is not None:
                raise ProjectionFailed(self.projection.name, self.failure)

    def __repr__(self) -> str:
        stopped = f", stopped at {self.failure.position}" if self.failure else ""
        return (
            f"<ProjectionRunner {self.projection.name}: {self.mode}, at position {self.checkpoint} "
            f"of {self.store.last_position} (lag {self.lag}){stopped}>"
        )


def catch_up_all(runners: Iterable[Any], max_events: int | None = None) -> int:
    """Move each read model on by up to ``max_events``; return the most any of them moved.

    They take turns, a page of ``PAGE`` events each.  With the in-memory
    store, the events one has just read are still in the processor's cache
    when the next reads them, which makes several read models catch up a
    million events faster than one whole pass each; a database store reads
    each page once per read model either way.  A read model that fails does not hold the others back: each
    goes as far as it can, then the first one's failure is raised
    (``ProjectionFailed``).  A bulk operation: it pauses Python's cycle collector while it runs
    (``eventsim.bulk``).
    """
    with collector_paused():
        return _catch_up_all(list(runners), max_events)


def _catch_up_all(runners: list[Any], max_events: int | None) -> int:
    moved = [0] * len(runners)
    failures: dict[int, ProjectionFailed] = {}
    moving = list(range(len(runners)))
    while moving:
        for index in list(moving):
            page = PAGE if max_events is None else min(PAGE, max_events - moved[index])
            try:
                count = runners[index].catch_up(page)
            except ProjectionFailed as failure:
                failures[index] = failure
                count = 0
            moved[index] += count
            if index in failures or count < page or moved[index] == max_events:  # stopped, caught up, or done
                moving.remove(index)
    if failures:
        raise failures[min(failures)]
    return max(moved, default=0)
