"""The shop's processes about money: the refund process and the payment deadline.

Both are *process managers*: each reacts to the shop's events and to time by
sending commands, and each keeps state of its own between one event and the
next (a stateless reaction, event in and commands out, is a *policy*).  That
state is durable: every decision is first recorded as an event of the
process's own stream (``RefundProcess.STREAM``, ``UnpaidOrders.STREAM``) in a
``journal`` event store, and a process started on the same journal reads its
stream back and carries on.  Its checkpoint (the last position of the shop's
log it handled) is in those events too, so a restart neither replays the
whole log nor forgets a refund that was waiting.

The refund process.  A requested refund (``RefundCreated``) still has to be
paid out by the payment provider, and only then is it recorded as paid
(``ConfirmRefund`` -> ``RefundPaid``).  Every refund must be paid exactly
once, though the provider fails, answers late or not at all, and the process
may stop at any moment:

- Waiting work is keyed by order id *and* refund id: a refund id is unique
  within its order only.
- Before asking the provider, the process records that it asks
  (``PayoutRequested``), with a deadline.  A request whose answer never came
  (a timeout, or a crash) is not sent again blindly: at the deadline the
  process asks the provider for the payout *by its reference*, the
  ``RefundCreated`` event's id, and confirms it if it was paid.  Only a
  request the provider answered "failed", or one it has no payout for, is
  made again.
- The same id is the request's idempotency key, so two copies of the process
  asking at once pay once; but a provider remembers a key only for a while
  (``key_window``), and the lookup by reference does not depend on it.
- Before paying, the process looks at the order: a refund paid meanwhile (by
  another process, or confirmed by hand) is not paid again.
- ``ConfirmRefund`` has one command id per refund (``confirm_command_id``), is
  caused by the ``RefundCreated`` event and sent by ``actor="refund process"``:
  a repeated confirmation records nothing, and a refund is traced by ids from
  request to payout.

The payment deadline (``UnpaidOrders``): an order not paid within
``pay_within`` seconds (24 hours) of being placed is cancelled, once, under
one command id per order (``cancel_command_id``).

Time is simulated: ``step()`` moves the clock to the next due time first, so
what a process records carries the time it acted.
"""

from __future__ import annotations

import heapq
import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from decimal import Decimal
from itertools import count
from typing import Any

from ..clock import SimulatedClock
from ..ids import SeededIds
from ..registry import register_event
from ..store import InMemoryEventStore, RecordedEvent
from . import Shop
from .commands import CancelOrder, ConfirmRefund
from .events import OrderCancelled, OrderCreated, OrderPaid, RefundCreated, RefundPaid
from .order import RefundAlreadyPaid
from .streams import stream_for

__all__ = [
    "ACTOR",
    "ALREADY_PAID",
    "CANCELLED",
    "DEADLINE_ACTOR",
    "FAILED",
    "PAID",
    "SETTLED_BEFORE",
    "UNANSWERED",
    "UNKNOWN_REFUND",
    "Attempt",
    "Deadline",
    "FakePaymentProvider",
    "PaymentDeadlineClosed",
    "PaymentDeadlineSet",
    "Payout",
    "PayoutRequested",
    "PayoutScheduled",
    "PendingRefund",
    "ProviderTimeout",
    "RefundProcess",
    "RefundSettled",
    "UnpaidOrders",
    "cancel_command_id",
    "confirm_command_id",
]

PAID = "paid"  # the provider paid and RefundPaid was recorded now
FAILED = "failed"  # the provider failed; the refund waits for another attempt
UNANSWERED = "unanswered"  # no answer came: the provider is asked by reference at the deadline
ALREADY_PAID = "already paid"  # the shop had recorded RefundPaid before: nothing new
UNKNOWN_REFUND = "unknown refund"  # the order has no such refund (a RefundCreated outside its stream): nothing paid
ACTOR = "refund process"  # who sends ConfirmRefund, as the store's envelope records it

CANCELLED = "cancelled"  # the order was not paid in time: CancelOrder was recorded now
SETTLED_BEFORE = "paid or cancelled before"  # nothing to do at the deadline
DEADLINE_ACTOR = "payment deadline"  # who sends CancelOrder

HOUR = 3600


class ProviderTimeout(TimeoutError):
    """The provider's answer never came: it may or may not have paid."""


@dataclass(frozen=True, slots=True)
class Payout:
    """Money the provider sent, once per idempotency key; ``key`` is also the payout's reference."""

    key: str
    order_id: str
    refund_id: str | None
    amount: Decimal


class FakePaymentProvider:
    """A stand-in for a real payment provider: answers after ``delay`` simulated
    seconds and fails a ``failure_rate`` share of attempts, drawn from a seeded RNG.

    ``timeout_rate`` is the share of answers lost on the way back (the payout
    happened or not, as ``failure_rate`` drew it; the caller cannot tell).
    ``key_window`` (seconds; ``None``: for ever) is how long an idempotency key
    is remembered, measured on ``clock``: a key asked again later pays again,
    as with real providers.  Every payout keeps its reference for good, and
    ``find_payout`` looks it up.

    ``payouts`` is every payment made, in order: what left the shop's account.
    ``requests`` is every pay-out request in order, as (idempotency key, answer;
    ``None``: no payout), ``lost`` which of them had their answer lost, and
    ``lookups`` every lookup by reference, as (reference, answer).
    """

    def __init__(
        self,
        *,
        delay: int = HOUR,
        failure_rate: float = 0.0,
        seed: int = 0,
        timeout_rate: float = 0.0,
        key_window: int | None = None,
        clock: Callable[[], int] | None = None,
    ):
        if delay < 0:
            raise ValueError(f"delay is a number of seconds, at least 0, not {delay}")
        if not 0 <= failure_rate < 1:  # at 1 no refund would ever be paid
            raise ValueError(f"failure_rate is a probability at least 0 and below 1, not {failure_rate}")
        if not 0 <= timeout_rate < 1:
            raise ValueError(f"timeout_rate is a probability at least 0 and below 1, not {timeout_rate}")
        if key_window is not None and (key_window <= 0 or clock is None):
            raise ValueError(
                f"key_window is a positive number of seconds, measured on a clock (clock=), not {key_window}"
            )
        self.delay = int(delay)
        self.failure_rate = failure_rate
        self.timeout_rate = timeout_rate
        self.key_window = key_window
        self.clock = clock
        self.payouts: list[Payout] = []
        self.requests: list[tuple[str, Payout | None]] = []
        self.lookups: list[tuple[str, Payout | None]] = []
        self.lost: set[int] = set()  # which of ``requests`` had their answers lost
        self.looked_up_after: list[int] = []  # for each of ``lookups``, how many requests came before it
        self._by_key: dict[str, tuple[Payout, int]] = {}  # key -> (payout, when it was paid)
        self._random = random.Random(seed)

    def pay_out(self, key: str, order_id: str, refund_id: str | None, amount: Decimal) -> Payout | None:
        """Pay ``amount`` out once per idempotency ``key``: the payout, or ``None`` if this attempt failed.

        A failed attempt moved no money, so it may be tried again with the
        same key.  A key that was paid (and is still remembered) pays nothing
        more: the answer is the first payout.  The same key for a different
        request is a mistake (``ValueError``), as real providers say.  An
        answer lost on the way raises ``ProviderTimeout``.
        """
        now = self.clock() if self.clock else 0
        earlier = self._by_key.get(key)
        if earlier is not None and self.key_window is not None and now - earlier[1] > self.key_window:
            earlier = None  # forgotten: this request is a new one
        payout: Payout | None
        if earlier is not None:
            payout = earlier[0]
            if (payout.order_id, payout.refund_id, payout.amount) != (order_id, refund_id, amount):
                raise ValueError(
                    f"idempotency key {key!r} already paid {payout}; a different payout needs a key of its own"
                )
        else:
            payout = None if self._random.random() < self.failure_rate else Payout(key, order_id, refund_id, amount)
            if payout is not None:
                self._by_key[key] = (payout, now)
                self.payouts.append(payout)
        self.requests.append((key, payout))
        if self.timeout_rate and self._random.random() < self.timeout_rate:
            self.lost.add(len(self.requests) - 1)
            raise ProviderTimeout(f"no answer to the pay-out request under key {key!r}")
        return payout

    def find_payout(self, reference: str) -> Payout | None:
        """The first payout made under ``reference``, however long ago; ``None`` if none was made."""
        found = next((payout for payout in self.payouts if payout.key == reference), None)
        self.lookups.append((reference, found))
        self.looked_up_after.append(len(self.requests))
        return found

    def __repr__(self) -> str:
        return (
            f"<FakePaymentProvider: delay {self.delay} s, failure rate {self.failure_rate}, "
            f"{len(self.payouts)} payouts>"
        )


_CONFIRM_REFUND = uuid.UUID("5d0c9a4e-3f65-4b8e-9a43-1f2a7c0e6b21")  # a fixed namespace for name-based ids


def confirm_command_id(order_id: str, refund_id: str | None) -> str:
    """The one command id for confirming refund ``refund_id`` of order ``order_id``.

    A name-based UUID (version 5) of both ids: the same refund always gets the
    same id, so a retry is recognisably the same command; refunds of two
    orders never share one even when their refund ids are equal; and it fits
    the 64-character limit on ids however long the two ids are.
    """
    name = f"{order_id}\x00{refund_id or ''}"  # no id holds a control character: the split is unambiguous
    return f"confirm-{uuid.uuid5(_CONFIRM_REFUND, name)}"


def cancel_command_id(order_id: str) -> str:
    """The one command id for cancelling order ``order_id`` at its payment deadline."""
    return f"cancel-unpaid-{uuid.uuid5(_CONFIRM_REFUND, order_id)}"


# --- the processes' own events: their state, recorded before they act ---------


@register_event
@dataclass(frozen=True, slots=True)
class PayoutScheduled:
    """The refund process will ask the provider to pay out the refund at ``due`` (attempt ``attempt``).

    ``reference`` is the ``RefundCreated`` event's id; ``checkpoint`` the last
    position of the shop's log the process had handled (here and in every
    event of the process).
    """

    order_id: str
    refund_id: str | None
    amount: Decimal
    reference: str
    due: int
    attempt: int
    checkpoint: int


@register_event
@dataclass(frozen=True, slots=True)
class PayoutRequested:
    """The refund process asks the provider now; without an answer by ``reconcile_at``, it asks by reference."""

    order_id: str
    refund_id: str | None
    attempt: int
    reconcile_at: int
    checkpoint: int


@register_event
@dataclass(frozen=True, slots=True)
class RefundSettled:
    """The refund needs nothing more from the process: paid and confirmed, or nothing to pay (``outcome``)."""

    order_id: str
    refund_id: str | None
    outcome: str
    checkpoint: int


@register_event
@dataclass(frozen=True, slots=True)
class PaymentDeadlineSet:
    """The order must be paid by ``due``, or it is cancelled then."""

    order_id: str
    due: int
    checkpoint: int


@register_event
@dataclass(frozen=True, slots=True)
class PaymentDeadlineClosed:
    """The order's payment deadline needs nothing more: paid, or cancelled (``outcome``)."""

    order_id: str
    outcome: str
    checkpoint: int


class _ProcessManager:
    """What both processes share: a journal stream that is their state, a subscription, and a timer.

    The state is the fold of the process's own events (``_apply``).  Every
    decision is recorded first (``_record``) and applied from the recorded
    event, so a process reloaded from its journal is in the state the old one
    left.  The journal is written at the version the process read: a second
    copy of the process on the same journal is refused (``ConcurrencyError``)
    before it acts.
    """

    STREAM = ""  # each process's own stream id

    def __init__(self, shop: Shop, clock: SimulatedClock, journal: Any, name: str):
        self.shop = shop
        self.clock = clock
        if journal is None:  # in memory: a restart hands the old process's ``journal`` to the new one
            journal = InMemoryEventStore(clock=lambda: self.clock.now, ids=SeededIds(0))
        self.journal = journal
        self._queue: list[Any] = []  # a heap of (due, seq, key): entries no longer current are skipped
        self._seq = count()
        self._latest: dict[Any, int] = {}  # key -> the seq of its current heap entry
        self._seen = 0  # the last position of the shop's log handled
        self._version = 0  # the journal stream's version this process has applied
        for recorded in journal.read_stream(self.STREAM):
            self._apply(recorded)
            self._version = recorded.version
            self._seen = max(self._seen, recorded.event.checkpoint)
        self.subscription = shop.store.subscribe(self._on_event, self._seen + 1, name=name)

    def _record(self, event: Any, *, causation_id: str | None, correlation_id: str | None) -> RecordedEvent:
        """Write one decision to the journal, then apply it: the state never holds what was not recorded.

        ``causation_id`` is the shop's event that led to it, ``correlation_id`` that event's conversation.
        """
        (recorded,) = self.journal.append(
            self.STREAM,
            [event],
            expected_version=self._version,
            correlation_id=correlation_id,
            causation_id=causation_id,
        )
        self._version = recorded.version
        self._apply(recorded)
        return recorded

    def _apply(self, recorded: RecordedEvent) -> None:
        raise NotImplementedError

    def _on_event(self, recorded: RecordedEvent) -> None:
        if recorded.position <= self._seen:  # a repeated delivery changes nothing
            return
        self._react(recorded)
        self._seen = recorded.position

    def _react(self, recorded: RecordedEvent) -> None:
        raise NotImplementedError

    def _schedule(self, due: int, key: Any) -> int:
        """Queue the step due at ``due`` for ``key``, replacing its earlier one; its sequence number."""
        seq = next(self._seq)
        self._latest[key] = seq
        heapq.heappush(self._queue, (due, seq, key))
        return seq

    def _unschedule(self, key: Any) -> None:
        self._latest.pop(key, None)

    def _next(self) -> tuple[int, Any] | None:
        """The next due time and its key; entries that were settled or rescheduled are dropped."""
        while self._queue:
            due, seq, key = self._queue[0]
            if self._latest.get(key) == seq:
                return due, key
            heapq.heappop(self._queue)
        return None

    def _move_clock(self, due: int) -> int:
        at = max(self.clock.now, due)
        self.clock.now = at
        return at

    @property
    def checkpoint(self) -> int:
        """The last position of the shop's log this process has handled; a restart reads on from its journal's."""
        return self._seen

    @property
    def next_due(self) -> int | None:
        """When the next step is due; ``None`` when nothing waits."""
        found = self._next()
        return found[0] if found else None

    def step(self) -> Any:
        raise NotImplementedError

    def run_until(self, time: int) -> list[Any]:
        """Take every step due at or before ``time``, retries included."""
        done = []
        while (due := self.next_due) is not None and due <= time and (result := self.step()):
            done.append(result)
        return done

    def run_until_idle(self) -> list[Any]:
        """Take steps until nothing waits."""
        done = []
        while result := self.step():
            done.append(result)
        return done


@dataclass(frozen=True, slots=True, order=True)
class PendingRefund:
    """A refund waiting for the provider; ordered by due time, then by when it was queued.

    ``event_id`` is its ``RefundCreated`` event's id (the provider's idempotency
    key and reference, and the confirmation's causation).  ``asked``: the
    provider was asked and no answer is recorded; ``due`` is then the deadline
    at which it is asked by reference.
    """

    due: int
    seq: int = field(repr=False)
    refund_id: str | None = field(compare=False)
    order_id: str = field(compare=False)
    amount: Decimal = field(compare=False)
    event_id: str = field(compare=False, repr=False)
    attempt: int = field(default=1, compare=False)
    correlation_id: str | None = field(default=None, compare=False, repr=False)  # the conversation it belongs to
    asked: bool = field(default=False, compare=False)

    @property
    def key(self) -> tuple[str, str | None]:
        return self.order_id, self.refund_id


@dataclass(frozen=True, slots=True)
class Attempt:
    """What one ``RefundProcess.step()`` did: which refund, which attempt, when, and the outcome."""

    refund_id: str | None
    order_id: str
    attempt: int
    at: int
    outcome: str


class RefundProcess(_ProcessManager):
    """Pays out and confirms every requested refund, retrying failed attempts.

    Its state is its stream ``STREAM`` in ``journal`` (by default an event store
    of its own, in memory): ``RefundProcess(shop, provider, clock,
    journal=old.journal)`` carries on where ``old`` stopped.  It follows
    ``shop.store`` from the position after the journal's checkpoint (a new
    journal: from the first event).  ``reconcile_after`` (seconds) is how long it
    waits for the provider's answer before asking by reference.  ``clock``
    must be the store's clock.
    """

    STREAM = "process-refunds"

    def __init__(
        self,
        shop: Shop,
        provider: FakePaymentProvider,
        clock: SimulatedClock,
        *,
        journal: Any = None,
        reconcile_after: int = 6 * HOUR,
    ):
        if isinstance(reconcile_after, bool) or not isinstance(reconcile_after, int) or reconcile_after <= 0:
            raise ValueError(f"reconcile_after is a positive number of seconds, not {reconcile_after!r:.20}")
        self.provider = provider
        self.reconcile_after = reconcile_after
        self._waiting: dict[tuple[str, str | None], PendingRefund] = {}  # (order, refund) -> its next step
        super().__init__(shop, clock, journal, "refund process")

    def _apply(self, recorded: RecordedEvent) -> None:
        event = recorded.event
        key = (event.order_id, event.refund_id)
        if isinstance(event, PayoutScheduled):
            self._waiting[key] = PendingRefund(
                event.due,
                self._schedule(event.due, key),
                event.refund_id,
                event.order_id,
                event.amount,
                event.reference,
                event.attempt,
                recorded.correlation_id,
            )
        elif isinstance(event, PayoutRequested):
            self._waiting[key] = replace(
                self._waiting[key],
                due=event.reconcile_at,
                seq=self._schedule(event.reconcile_at, key),
                attempt=event.attempt,
                asked=True,
            )
        else:  # RefundSettled
            self._waiting.pop(key, None)
            self._unschedule(key)

    def _react(self, recorded: RecordedEvent) -> None:
        """Schedule each requested refund once; settle a waiting one once its RefundPaid is recorded."""
        event = recorded.event
        if isinstance(event, RefundCreated) and (event.order_id, event.refund_id) not in self._waiting:
            due = recorded.recorded_at + self.provider.delay
            self._record(
                PayoutScheduled(
                    event.order_id, event.refund_id, event.amount, recorded.event_id, due, 1, recorded.position
                ),
                causation_id=recorded.event_id,
                correlation_id=recorded.correlation_id,
            )
        elif isinstance(event, RefundPaid) and (event.order_id, event.refund_id) in self._waiting:
            self._record(
                RefundSettled(event.order_id, event.refund_id, PAID, recorded.position),
                causation_id=recorded.event_id,
                correlation_id=recorded.correlation_id,
            )

    def _about(self, pending: PendingRefund) -> dict[str, str | None]:
        """The envelope of a decision about ``pending``: caused by its RefundCreated, in its conversation."""
        return {"causation_id": pending.event_id, "correlation_id": pending.correlation_id}

    def _settle(self, pending: PendingRefund, outcome: str) -> None:
        if pending.key in self._waiting:
            self._record(
                RefundSettled(pending.order_id, pending.refund_id, outcome, self._seen), **self._about(pending)
            )

    @property
    def pending(self) -> list[PendingRefund]:
        """The refunds waiting for the provider, the next one due first."""
        return sorted(self._waiting.values())

    def step(self) -> Attempt | None:
        """Take the next due step (moving the clock to its due time); ``None`` if nothing waits.

        Ask the provider, or, for a request whose answer never came, look the
        payout up by reference; then confirm.  The refund is settled only once
        its confirmation is recorded, so an error here loses nothing: the
        process takes the step again, and a request already made is looked up,
        never made blindly again.
        """
        found = self._next()
        if found is None:
            return None
        pending = self._waiting[found[1]]
        at = self._move_clock(pending.due)
        attempt = Attempt(pending.refund_id, pending.order_id, pending.attempt, at, FAILED)
        refund = self.shop.state(pending.order_id).refund(pending.refund_id)
        if refund is None or refund.paid:  # look before paying: someone may have paid it meanwhile
            outcome = ALREADY_PAID if refund else UNKNOWN_REFUND
            self._settle(pending, outcome)
            return replace(attempt, outcome=outcome)
        payout = self.provider.find_payout(pending.event_id) if pending.asked else None
        if payout is None:  # not asked yet, or asked and nothing was paid: ask (again)
            number = pending.attempt + 1 if pending.asked else pending.attempt
            attempt = replace(attempt, attempt=number)
            self._record(
                PayoutRequested(pending.order_id, pending.refund_id, number, at + self.reconcile_after, self._seen),
                **self._about(pending),
            )
            try:
                payout = self.provider.pay_out(pending.event_id, pending.order_id, pending.refund_id, pending.amount)
            except TimeoutError:
                return replace(attempt, outcome=UNANSWERED)  # asked by reference at the deadline
            if payout is None:
                self._record(
                    PayoutScheduled(
                        pending.order_id,
                        pending.refund_id,
                        pending.amount,
                        pending.event_id,
                        at + self.provider.delay,
                        number + 1,
                        self._seen,
                    ),
                    **self._about(pending),
                )
                return attempt
        return replace(attempt, outcome=self._confirm(pending))

    def _confirm(self, pending: PendingRefund) -> str:
        last_position = self.shop.store.last_position
        command = ConfirmRefund(
            pending.order_id, pending.refund_id, command_id=confirm_command_id(pending.order_id, pending.refund_id)
        )
        try:
            recorded = self.shop.handle(
                command, causation_id=pending.event_id, correlation_id=pending.correlation_id, actor=ACTOR
            )
            outcome = PAID if recorded[0].position > last_position else ALREADY_PAID
        except RefundAlreadyPaid:
            outcome = ALREADY_PAID
        self._settle(pending, outcome)  # if its RefundPaid has not settled it already
        return outcome

    def __repr__(self) -> str:
        return (
            f"<RefundProcess: refunds waiting {len(self._waiting)}, next due at {self.next_due}, "
            f"checkpoint {self.checkpoint}>"
        )


@dataclass(frozen=True, slots=True)
class Deadline:
    """What one ``UnpaidOrders.step()`` did: which order, when, and the outcome."""

    order_id: str
    at: int
    outcome: str


@dataclass(frozen=True, slots=True)
class _Open:
    """An order's open deadline, and the OrderCreated it came from (its event id and conversation)."""

    due: int
    causation_id: str | None
    correlation_id: str | None


class UnpaidOrders(_ProcessManager):
    """Cancels every order not paid within ``pay_within`` seconds (24 hours) of being placed.

    A process manager with a deadline per order: ``OrderCreated`` sets it,
    ``OrderPaid`` or ``OrderCancelled`` closes it, and a ``step()`` at the
    deadline cancels the order, under ``cancel_command_id``, unless it was paid
    or cancelled meanwhile.  Its state is its stream ``STREAM`` in ``journal``,
    as for ``RefundProcess``.
    """

    STREAM = "process-payment-deadlines"

    def __init__(self, shop: Shop, clock: SimulatedClock, *, journal: Any = None, pay_within: int = 24 * HOUR):
        if isinstance(pay_within, bool) or not isinstance(pay_within, int) or pay_within <= 0:
            raise ValueError(f"pay_within is a positive number of seconds, not {pay_within!r:.20}")
        self.pay_within = pay_within
        self._open: dict[str, _Open] = {}  # order id -> its deadline
        super().__init__(shop, clock, journal, "payment deadline")

    def _apply(self, recorded: RecordedEvent) -> None:
        event = recorded.event
        if isinstance(event, PaymentDeadlineSet):
            self._open[event.order_id] = _Open(event.due, recorded.causation_id, recorded.correlation_id)
            self._schedule(event.due, event.order_id)
        else:  # PaymentDeadlineClosed
            self._open.pop(event.order_id, None)
            self._unschedule(event.order_id)

    def _react(self, recorded: RecordedEvent) -> None:
        event = recorded.event
        if isinstance(event, OrderCreated) and event.order_id not in self._open:
            due = recorded.recorded_at + self.pay_within
            self._record(
                PaymentDeadlineSet(event.order_id, due, recorded.position),
                causation_id=recorded.event_id,
                correlation_id=recorded.correlation_id,
            )
        elif isinstance(event, OrderPaid | OrderCancelled) and event.order_id in self._open:
            outcome = "paid" if isinstance(event, OrderPaid) else CANCELLED
            self._record(
                PaymentDeadlineClosed(event.order_id, outcome, recorded.position),
                causation_id=recorded.event_id,
                correlation_id=recorded.correlation_id,
            )

    @property
    def deadlines(self) -> dict[str, int]:
        """Each order waiting for its payment, and its deadline."""
        return {order_id: entry.due for order_id, entry in sorted(self._open.items(), key=lambda kv: kv[1].due)}

    def step(self) -> Deadline | None:
        """Handle the next deadline (moving the clock to it); ``None`` if no order waits."""
        found = self._next()
        if found is None:
            return None
        due, order_id = found
        at = self._move_clock(due)
        state, version = self.shop.load(stream_for(order_id))
        opened = self._open[order_id]
        outcome = SETTLED_BEFORE
        if not state.paid and not state.cancelled:  # look before cancelling: it may be paid meanwhile
            self.shop.handle(
                CancelOrder(order_id, f"not paid within {self.pay_within // HOUR} hours", cancel_command_id(order_id)),
                causation_id=opened.causation_id,
                correlation_id=opened.correlation_id,
                actor=DEADLINE_ACTOR,
                expected_version=version,  # a payment recorded since the look refuses the cancellation
            )
            outcome = CANCELLED
        if order_id in self._open:  # not closed yet by the OrderCancelled (a process that stopped listening)
            self._record(
                PaymentDeadlineClosed(order_id, outcome, self._seen),
                causation_id=opened.causation_id,
                correlation_id=opened.correlation_id,
            )
        return Deadline(order_id, at, outcome)

    def __repr__(self) -> str:
        return f"<UnpaidOrders: orders waiting {len(self._open)}, next due at {self.next_due}>"
