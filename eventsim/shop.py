"""The command side: an application service around the order decider.

``Shop.handle(command)`` is the whole write path of CQRS, and the only one:
load the order's state, ``decide``, and append the new events expecting the
version that was loaded.  If another writer appended in between, load and
decide again (a bounded number of times).

Loading does not fold the whole stream every time.  The shop keeps the state
of recently used orders together with the version it was folded to (an
in-memory snapshot) and folds only the events recorded since that version:
the cost of a command stays the same however long the stream grows.

Every command has an id.  For each command whose sender chose its id (only
such a command can be sent again under it), and for each command caused by
another message, the store keeps a record (``CommandRecord``): what it asked
for (its fingerprint), which events it recorded, and what caused it.  A
command sent again under the same id (a retry after a timeout) gets the
first result back and records nothing; a *different* request under
a used id is refused with ``CommandIdReused``: idempotency means "same
request, same result", not "same id, ignore it".
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable

from .clock import system_clock
from .commands import CancelOrder, Command, RequestRefund, fingerprint
from .history import state_at_version
from .ids import random_ids
from .order import OrderNotFound, OrderState, decide, evolve, initial_state
from .snapshots import Snapshots
from .store import CommandRecord, ConcurrencyError, InMemoryEventStore, RecordedEvent
from .streams import order_id_of, stream_for

__all__ = ["Shop", "CommandIdReused", "stream_for", "order_id_of", "compensate"]


class CommandIdReused(ValueError):
    """A command id that was used before arrived with a different request.

    No business rule was broken (so this is not an ``OrderError``): the sender
    reused an id, and the second request was not carried out.
    """

    def __init__(self, command_id: str, recorded: str, given: str):
        self.command_id, self.recorded, self.given = command_id, recorded, given
        super().__init__(
            f"command id {command_id!r} was already used for {recorded}; "
            f"this request is {given}: give a new request a new id"
        )


class Shop:
    """Handles order commands against an event store.

    Give it a ``store`` to share one between shops; otherwise it makes an
    in-memory store stamped by ``clock``.  ``ids`` gives command ids to
    commands that arrive without one (and event ids to a store it makes).
    ``cache_size`` is how many orders' states it keeps between commands;
    ``snapshots`` (``eventsim.snapshots``) keeps them durably too, for the
    orders it does not have in memory.
    """

    def __init__(
        self,
        store: InMemoryEventStore | None = None,
        *,
        clock: Callable[[], int] | None = None,
        ids: Callable[[], str] = random_ids,
        max_retries: int = 3,
        cache_size: int = 10_000,
        snapshots: Snapshots | None = None,
    ):
        if store is None:
            store = InMemoryEventStore(clock=clock or system_clock, ids=ids)
        elif clock is not None:
            raise TypeError("the store stamps events with its own clock: pass the clock to the store")
        self.store = store
        self.max_retries = max_retries
        self.cache_size = cache_size
        self._ids = ids
        self.snapshots = snapshots
        # stream id -> its state at some version, most recently used last; and the stream's correlation id
        self._states: OrderedDict[str, OrderState] = OrderedDict()
        self._correlations: dict[str, str] = {}
        self._states_lock = threading.Lock()  # threads (a web server's) share one shop

    def handle(
        self,
        command: Command,
        *,
        causation_id: str | None = None,
        correlation_id: str | None = None,
        actor: str | None = None,
        expected_version: int | None = None,
    ) -> list[RecordedEvent]:
        """Decide and record; return the recorded events, or raise ``OrderError``.

        ``causation_id`` is the id of the message that caused this command
        (an event a process reacted to); ``correlation_id`` the conversation
        it belongs to (by default the order's); ``actor`` who sent it.  With
        ``expected_version`` the command is decided only against that version
        of the order and is never retried: a ``ConcurrencyError`` says someone
        else changed the order first.
        """
        command_id = command.command_id or self._ids()
        stream_id = stream_for(command.order_id)
        # A command sent without an id cannot be sent again under the id the shop gives it, so it
        # needs no idempotency record, unless the record is kept to say what caused the command.
        keep_record = command.command_id is not None or causation_id is not None
        wanted = fingerprint(command) if keep_record else ""
        for attempt in range(self.max_retries + 1):
            if command.command_id is not None:  # an id of our own making cannot have been used before
                earlier = self.store.command_record(command_id)
                if earlier is not None:
                    return self._first_result(earlier, wanted)
            state, stream_correlation = self._load(stream_id)
            if expected_version is not None and expected_version != state.version:
                raise ConcurrencyError(stream_id, expected_version, state.version)
            events = decide(command, state)
            record = (
                CommandRecord(
                    command_id, wanted, stream_id, state.version + 1, state.version + len(events), causation_id
                )
                if keep_record
                else None
            )
            try:
                recorded = self.store.append(
                    stream_id,
                    events,
                    expected_version=state.version,
                    correlation_id=correlation_id or stream_correlation or command_id,
                    causation_id=command_id,
                    actor=actor,
                    command=record,
                )
            except ConcurrencyError:
                if expected_version is not None or attempt == self.max_retries:
                    raise
                continue
            for r in recorded:
                state = evolve(state, r.event)
            self._keep(stream_id, state, stream_correlation or (recorded[0].correlation_id if recorded else None))
            return recorded
        raise AssertionError("unreachable")

    def _first_result(self, record: CommandRecord, wanted: str) -> list[RecordedEvent]:
        if record.fingerprint != wanted:
            raise CommandIdReused(record.command_id, record.fingerprint, wanted)
        events = self.store.read_stream(record.stream_id, record.first_version)
        return events[: record.last_version - record.first_version + 1]

    def _load(self, stream_id: str) -> tuple[OrderState, str | None]:
        """The stream's current state and correlation id: the cached state plus what was recorded since."""
        with self._states_lock:  # both at once: another thread's _keep may evict the order between two reads
            state = self._states.get(stream_id)
            correlation = self._correlations.get(stream_id)
        if state is None and self.snapshots is not None:
            cached = self.snapshots.load(stream_id)
            if cached is not None:
                state, correlation = cached
                self._keep(stream_id, state, correlation)
        if state is None:
            state = initial_state
        newer = self.store.read_stream(stream_id, state.version + 1)
        if newer:
            for recorded in newer:
                state = evolve(state, recorded.event)
            if correlation is None and newer[0].version == 1:
                correlation = newer[0].correlation_id
            self._keep(stream_id, state, correlation)
        return state, correlation

    def _keep(self, stream_id: str, state: OrderState, correlation: str | None) -> None:
        """Cache ``state`` (unless a newer one is cached), and the stream's correlation id if it is new."""
        with self._states_lock:
            cached = self._states.get(stream_id)
            if cached is not None:
                if cached.version > state.version:
                    return  # another thread has kept a newer state meanwhile
                self._states.move_to_end(stream_id)
            self._states[stream_id] = state
            if correlation is not None:
                correlation = self._correlations.setdefault(stream_id, correlation)
            if len(self._states) > self.cache_size:
                evicted, _ = self._states.popitem(last=False)
                self._correlations.pop(evicted, None)
        if self.snapshots is not None:
            self.snapshots.consider(stream_id, state, correlation or self._correlations.get(stream_id))

    def state(self, order_id: str) -> OrderState:
        """The order's current state, as the fold of its whole stream would give it."""
        return self._load(stream_for(order_id))[0]


def compensate(
    shop: Shop, order_id: str, *, to_version: int = 0, reason: str = "compensation", actor: str | None = None
) -> list[RecordedEvent]:
    """Issue the commands that bring the order's *money* back to what it was at ``to_version``.

    It restores money, not status: history is not undone, only balanced.
    ``to_version=0`` undoes the whole order: cancel it (which refunds what was
    paid), or, once it has shipped, refund it.  A later version keeps the
    order and refunds whatever was paid since.  Returns the new events; none
    when there is nothing to undo.  A refund cannot be taken back, so an order
    with more refunded since ``to_version`` raises ``ValueError``.
    """
    current = shop.state(order_id)
    if not current.placed:
        raise OrderNotFound(order_id, "no such order")
    target = state_at_version(shop.store, order_id, to_version)
    if not target.placed and not current.cancelled and not current.shipped:
        return shop.handle(CancelOrder(order_id, reason), actor=actor)
    if current.net > target.net:
        return shop.handle(RequestRefund(order_id, current.net - target.net, reason), actor=actor)
    if current.net < target.net:
        raise ValueError(
            f"order {order_id}: {target.net - current.net} was refunded after version "
            f"{to_version}, and a refund cannot be taken back"
        )
    return []
