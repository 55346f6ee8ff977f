"""Read models in production: a live feed, a catch-up that hands over to it, parked events, blue/green.

``ProjectionRunner`` (``projections``) follows the store it reads, so it never
has to hand over from history to live events.  Many real deliveries are two
channels instead: the log, read after a checkpoint, and a *live feed* that
pushes each new event once, to whoever listens at that moment (a broker
topic, PostgreSQL's ``LISTEN``/``NOTIFY``, a KurrentDB subscription once it
is caught up).  ``LiveFeed`` plays that feed over any store.

``CatchUpSubscription`` reads history a page at a time, then switches to the
feed.  The switch is where events get lost or doubled: an event recorded
while it catches up is pushed by the feed *and* is in the log.  So it listens
before it reads, keeps what the feed pushes meanwhile, and once at the end of
the log lets through only what comes after its checkpoint; a live event that
skips past the checkpoint makes it read the log first, since positions may
have gaps and a feed may drop a message: the feed says *when*, the log says
*what*.  An event its handler cannot take is *parked* with the reason, and
the subscription goes on: an operator then retries it, skips it, or fixes the
read model and builds it again.

``BlueGreen`` builds a new version of a read model beside the one that
answers, and switches reads over in one step once the new one has caught up,
so that reads never see an empty or half-built model.  That is only safe for
projections that are deterministic and free of side effects: a rebuild calls
them again on every old event.

Nothing here names a domain: handlers and projections are given.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from .projections import EVENTUAL, INLINE, PAGE, Projection, ProjectionRunner
from .store import InMemoryEventStore, RecordedEvent, Subscribers

__all__ = ["BlueGreen", "CatchUpSubscription", "LiveFeed", "ParkedEvent"]

S = TypeVar("S")
Handler = Callable[[RecordedEvent], None]


class LiveFeed:
    """Pushes every event recorded from now on to the listeners of that moment, and keeps nothing.

    A listener that joins late never sees what was pushed before it joined:
    for history, read the log.
    """

    def __init__(self, store: Subscribers):
        self._listeners: list[Handler] = []
        self._subscription = store.subscribe(self._push, store.last_position + 1, name="live feed")

    def _push(self, recorded: RecordedEvent) -> None:
        for listener in list(self._listeners):
            listener(recorded)

    def listen(self, listener: Handler) -> Callable[[], None]:
        """Push each new event to ``listener`` from now on; return the function that stops it."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    def close(self) -> None:
        self._subscription.close()


@dataclass(frozen=True)
class ParkedEvent:
    """An event a handler could not take: where it is in the log, its type, and why."""

    position: int
    event_type: str
    reason: str


class CatchUpSubscription:
    """Hands every event after ``checkpoint`` to ``handler`` once, in order: history first, then live.

    It listens to ``feed`` as it is made, then catches up with ``step()`` (one
    page of history) or ``run()`` (all of it); at the end of the log it turns
    ``live``.  ``checkpoint`` is the last position dealt with.  An event the
    handler raises on is parked (``parked``) and the subscription moves on:
    the read model lacks that event until ``retry()`` applies it (out of order,
    after the events that followed it) or ``skip()`` gives up on it.
    """

    def __init__(self, store: Subscribers, feed: LiveFeed, handler: Handler, *, checkpoint: int = 0, page: int = PAGE):
        if page < 1:
            raise ValueError(f"page is the number of events read at a time, 1 or more, not {page!r}")
        self.store, self.handler, self.checkpoint, self.page = store, handler, checkpoint, page
        self.live = False
        self.parked: list[ParkedEvent] = []
        self.skipped: list[ParkedEvent] = []
        self._pushed: list[RecordedEvent] = []  # what the feed pushed while history was still being read
        self._stop = feed.listen(self._on_live)  # before the first read: nothing recorded from now on is missed

    def step(self) -> int:
        """Deal with the next page of history; at the end of the log, go live.  Return how many events were read."""
        if self.live:
            return 0
        events = self.store.read_all(self.checkpoint + 1, limit=self.page)
        for recorded in events:
            self._handle(recorded)
        if len(events) < self.page:  # a short page is the end of the log: hand over to the feed
            self.live = True
            pushed, self._pushed = self._pushed, []
            for recorded in pushed:
                self._on_live(recorded)
        return len(events)

    def run(self) -> None:
        """Catch up with the whole history, then stay live."""
        while not self.live:
            self.step()

    def _on_live(self, recorded: RecordedEvent) -> None:
        if not self.live:
            self._pushed.append(recorded)
        elif recorded.position == self.checkpoint + 1:
            self._handle(recorded)
        elif recorded.position > self.checkpoint:  # past a gap, or past events the feed never pushed: read them
            for missed in self.store.read_all(self.checkpoint + 1, limit=recorded.position - self.checkpoint):
                if missed.position <= recorded.position:
                    self._handle(missed)
        # at or before the checkpoint: read during the catch-up already, so dropped here

    def _handle(self, recorded: RecordedEvent) -> None:
        try:
            self.handler(recorded)
        except Exception as error:  # a poison event: parked with its reason, and the others go on
            self.parked.append(ParkedEvent(recorded.position, recorded.event_type, f"{type(error).__name__}: {error}"))
        self.checkpoint = recorded.position

    def retry(self) -> list[ParkedEvent]:
        """Hand each parked event to the handler again; return those that still fail (they stay parked)."""
        waiting, self.parked = self.parked, []
        for parked in waiting:
            (recorded,) = self.store.read_all(parked.position, limit=1)
            try:
                self.handler(recorded)
            except Exception as error:
                self.parked.append(ParkedEvent(parked.position, parked.event_type, f"{type(error).__name__}: {error}"))
        return list(self.parked)

    def skip(self, position: int) -> ParkedEvent:
        """Give up on the parked event at ``position``: it is listed in ``skipped``, never applied."""
        for parked in self.parked:
            if parked.position == position:
                self.parked.remove(parked)
                self.skipped.append(parked)
                return parked
        raise ValueError(f"no event is parked at position {position}; parked: {[p.position for p in self.parked]}")

    def close(self) -> None:
        """Stop listening to the feed."""
        self._stop()

    def __repr__(self) -> str:
        return (
            f"<CatchUpSubscription at position {self.checkpoint}, {'live' if self.live else 'catching up'}, "
            f"{len(self.parked)} parked>"
        )


class BlueGreen(Generic[S]):
    """A read model that answers while its next version is built beside it, then switches in one step.

    ``state`` is what reads see: always the version that is live, complete up
    to its checkpoint.  ``start(projection)`` begins the next version, which
    ``build()`` moves on a page at a time while the live one keeps following
    the store.  ``switch()`` catches the next version up to the end of the log,
    makes it follow the store, and only then lets reads see it; the old version
    stops following and is returned, to be dropped.  (A rebuild that drops the
    live model and replays into it answers from an empty, then a half-built,
    model for as long as the replay takes.)
    """

    def __init__(self, store: InMemoryEventStore, projection: Projection[S], *, mode: str = INLINE):
        self.store, self.mode = store, mode
        self.live: ProjectionRunner[S] = ProjectionRunner(store, projection)
        self.live.catch_up()
        self.live.mode = mode
        self.next: ProjectionRunner | None = None

    @property
    def state(self) -> S:
        return self.live.state

    def start(self, projection: Projection) -> None:
        """Begin building ``projection`` beside the live read model, from the first event."""
        if self.next is not None:
            raise ValueError(f"version {self.next.projection.name!r} is being built already: switch() to it first")
        self.next = ProjectionRunner(self.store, projection, mode=EVENTUAL)

    def build(self, max_events: int | None = None) -> int:
        """Move the next version on by up to ``max_events`` (all, by default); return how many it read."""
        return self._building().catch_up(max_events)

    def switch(self) -> ProjectionRunner:
        """Make the next version the one reads see, once it has caught up; return the old one."""
        new = self._building()
        new.catch_up()
        new.mode = self.mode
        old, self.live, self.next = self.live, new, None
        old.mode = EVENTUAL
        return old

    def _building(self) -> ProjectionRunner:
        if self.next is None:
            raise ValueError("no new version is being built: start(projection) first")
        return self.next

    def __repr__(self) -> str:
        building = f", building {self.next.projection.name!r} (lag {self.next.lag})" if self.next else ""
        return f"<BlueGreen serving {self.live.projection.name!r}{building}>"
