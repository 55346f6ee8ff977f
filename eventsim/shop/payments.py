"""The refund process: a process manager that turns an event into a command.

A requested refund (``RefundCreated``) still has to be paid out by the payment
provider, and only then is it recorded as paid (``ConfirmRefund`` ->
``RefundPaid``).  The provider answers late and sometimes fails, and the
process itself may stop at any moment; yet every refund must be paid exactly
once.  Each part is at-least-once; together they are exactly once:

- Waiting work is keyed by order id *and* refund id: a refund id is unique
  within its order only.
- The provider call carries an idempotency key, the ``RefundCreated`` event's
  id, and the provider pays a key once: asked again (after a timeout, or by
  a process restarted after a crash), it pays nothing and answers with the
  first payout.  So "the provider paid, then the process died before
  ``ConfirmRefund`` was recorded" pays nobody twice.
- Before paying, the process looks at the order: a refund paid meanwhile (by
  another process, or confirmed by hand) is not paid again.
- ``ConfirmRefund`` has one command id per refund (``confirm_command_id``), so
  the shop answers a repeated confirmation with its first result and records
  nothing; the decider's ``RefundAlreadyPaid`` rule stops a confirmation sent
  under any other id.
- ``ConfirmRefund`` is caused by the ``RefundCreated`` event (its
  ``causation_id``) and sent by ``actor="refund process"``, so a refund can
  be traced by ids from request to payout.
- ``checkpoint`` is a position at or before which every event is handled.
  A new process given it (``RefundProcess(..., checkpoint=saved)``) reads the
  log after it: it neither replays the whole log nor skips a waiting refund.

The subscription handler only *queues* work; ``step()`` does it, one attempt
at a time.  Time is simulated: every attempt happens at its due time, and
``step()`` moves the clock there, so ``RefundPaid`` is recorded when the
provider answered.
"""

from __future__ import annotations

import heapq
import random
import uuid
from dataclasses import dataclass, field, replace
from decimal import Decimal
from itertools import count

from ..clock import SimulatedClock
from ..store import RecordedEvent
from . import Shop
from .commands import ConfirmRefund
from .events import RefundCreated, RefundPaid
from .order import RefundAlreadyPaid

__all__ = [
    "ACTOR",
    "ALREADY_PAID",
    "FAILED",
    "PAID",
    "UNKNOWN_REFUND",
    "Attempt",
    "FakePaymentProvider",
    "Payout",
    "PendingRefund",
    "RefundProcess",
    "confirm_command_id",
]

PAID = "paid"  # the provider paid and RefundPaid was recorded now
FAILED = "failed"  # the provider failed; the refund waits for another attempt
ALREADY_PAID = "already paid"  # the shop had recorded RefundPaid before: nothing new
UNKNOWN_REFUND = "unknown refund"  # the order has no such refund (a RefundCreated outside its stream): nothing paid
ACTOR = "refund process"  # who sends ConfirmRefund, as the store's envelope records it


@dataclass(frozen=True, slots=True)
class Payout:
    """Money the provider sent, once per idempotency key."""

    key: str
    order_id: str
    refund_id: str | None
    amount: Decimal


class FakePaymentProvider:
    """A stand-in for a real payment provider: answers after ``delay`` simulated
    seconds and fails a ``failure_rate`` share of attempts, drawn from a seeded RNG.

    ``payouts`` is every payment made, in order: what left the shop's account.
    ``requests`` is every request in order, as (idempotency key, answer; ``None``:
    that attempt failed): how often the provider was asked, which ``payouts`` alone cannot tell.
    """

    def __init__(self, *, delay: int = 3600, failure_rate: float = 0.0, seed: int = 0):
        if delay < 0:
            raise ValueError(f"delay is a number of seconds, at least 0, not {delay}")
        if not 0 <= failure_rate < 1:  # at 1 no refund would ever be paid
            raise ValueError(f"failure_rate is a probability at least 0 and below 1, not {failure_rate}")
        self.delay = int(delay)
        self.failure_rate = failure_rate
        self.payouts: list[Payout] = []
        self.requests: list[tuple[str, Payout | None]] = []
        self._by_key: dict[str, Payout] = {}
        self._random = random.Random(seed)

    def pay_out(self, key: str, order_id: str, refund_id: str | None, amount: Decimal) -> Payout | None:
        """Pay ``amount`` out once per idempotency ``key``: the payout, or ``None`` if this attempt failed.

        A failed attempt moved no money, so it may be tried again with the
        same key.  A key that was paid pays nothing more: the answer is the
        first payout.  The same key for a different request is a mistake
        (``ValueError``), as real providers say.
        """
        earlier = self._by_key.get(key)
        if earlier is not None:
            if (earlier.order_id, earlier.refund_id, earlier.amount) != (order_id, refund_id, amount):
                raise ValueError(
                    f"idempotency key {key!r} already paid {earlier}; a different payout needs a key of its own"
                )
            self.requests.append((key, earlier))
            return earlier
        payout = None if self._random.random() < self.failure_rate else Payout(key, order_id, refund_id, amount)
        if payout is not None:
            self._by_key[key] = payout
            self.payouts.append(payout)
        self.requests.append((key, payout))
        return payout

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


@dataclass(frozen=True, slots=True, order=True)
class PendingRefund:
    """A refund waiting for the provider; ordered by due time, then by when it was queued.

    ``event_id`` is its ``RefundCreated`` event's id (the provider's idempotency
    key and the confirmation's causation), ``position`` that event's position.
    """

    due: int
    seq: int = field(repr=False)
    refund_id: str | None = field(compare=False)
    order_id: str = field(compare=False)
    amount: Decimal = field(compare=False)
    event_id: str = field(compare=False, repr=False)
    position: int = field(compare=False, repr=False)
    attempt: int = field(default=1, compare=False)
    correlation_id: str | None = field(default=None, compare=False, repr=False)  # the conversation it belongs to

    @property
    def key(self) -> tuple[str, str | None]:
        return self.order_id, self.refund_id


@dataclass(frozen=True, slots=True)
class Attempt:
    """What one ``step()`` did: which refund, which attempt, when, and the outcome."""

    refund_id: str | None
    order_id: str
    attempt: int
    at: int
    outcome: str


class RefundProcess:
    """Pays out and confirms every requested refund, retrying failed attempts.

    It follows ``shop.store`` from the position after ``checkpoint`` (0: from
    the first event), so a new process picks up every refund requested after
    it and not yet paid.  ``clock`` must be the store's clock.
    """

    def __init__(self, shop: Shop, provider: FakePaymentProvider, clock: SimulatedClock, *, checkpoint: int = 0):
        if not isinstance(checkpoint, int) or isinstance(checkpoint, bool):
            raise TypeError(f"checkpoint is a position, an int, not {type(checkpoint).__name__}")
        if checkpoint < 0:
            raise ValueError(f"checkpoint is a position, at least 0, not {checkpoint}")
        self.shop = shop
        self.provider = provider
        self.clock = clock
        self._waiting: dict[tuple[str, str | None], PendingRefund] = {}  # (order, refund) -> next attempt
        self._queue: list[PendingRefund] = []  # a heap; entries no longer waiting are skipped
        self._seq = count()
        self._seen = checkpoint  # the last position handed to _on_event
        self.subscription = shop.store.subscribe(self._on_event, checkpoint + 1, name="refund process")

    def _on_event(self, recorded: RecordedEvent) -> None:
        """Queue each requested refund; forget it once paid.  A repeated delivery changes nothing."""
        if recorded.position <= self._seen:
            return
        event = recorded.event
        if isinstance(event, RefundCreated):
            self._wait(
                PendingRefund(
                    recorded.recorded_at + self.provider.delay,
                    next(self._seq),
                    event.refund_id,
                    event.order_id,
                    event.amount,
                    recorded.event_id,
                    recorded.position,
                    correlation_id=recorded.correlation_id,
                )
            )
        elif isinstance(event, RefundPaid):
            self._waiting.pop((event.order_id, event.refund_id), None)
        self._seen = recorded.position

    def _wait(self, pending: PendingRefund) -> None:
        self._waiting[pending.key] = pending
        heapq.heappush(self._queue, pending)

    def _next(self) -> PendingRefund | None:
        while self._queue and self._waiting.get(self._queue[0].key) is not self._queue[0]:
            heapq.heappop(self._queue)  # paid meanwhile, or replaced by a later attempt
        return self._queue[0] if self._queue else None

    @property
    def checkpoint(self) -> int:
        """A position at or before which every event is handled: each refund requested there is paid.

        Keep it; ``RefundProcess(shop, provider, clock, checkpoint=saved)``
        resumes from it.  While refunds wait, it stays just before the oldest
        one's ``RefundCreated`` (which need not be a recorded position: positions
        may have gaps), so a restart reads that refund again.
        """
        if not self._waiting:
            return self._seen
        return min(pending.position for pending in self._waiting.values()) - 1

    @property
    def pending(self) -> list[PendingRefund]:
        """The refunds waiting for the provider, the next one due first."""
        return sorted(self._waiting.values())

    @property
    def next_due(self) -> int | None:
        """When the next attempt is due; ``None`` when nothing waits."""
        pending = self._next()
        return pending.due if pending else None

    def step(self) -> Attempt | None:
        """Make the next due attempt (moving the clock to its due time); ``None`` if nothing waits.

        The refund leaves the list only once its confirmation is recorded, so
        an error here loses nothing: the same attempt is made again next time,
        and the provider, given the same key, pays nothing twice.
        """
        pending = self._next()
        if pending is None:
            return None
        at = max(self.clock.now, pending.due)
        self.clock.now = at
        attempt = Attempt(pending.refund_id, pending.order_id, pending.attempt, at, FAILED)
        refund = self.shop.state(pending.order_id).refund(pending.refund_id)
        if refund is None or refund.paid:  # look before paying: someone may have paid it meanwhile
            self._waiting.pop(pending.key, None)
            return replace(attempt, outcome=ALREADY_PAID if refund else UNKNOWN_REFUND)
        if self.provider.pay_out(pending.event_id, pending.order_id, pending.refund_id, pending.amount) is None:
            self._wait(replace(pending, due=at + self.provider.delay, seq=next(self._seq), attempt=pending.attempt + 1))
            return attempt
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
        self._waiting.pop(pending.key, None)
        return replace(attempt, outcome=outcome)

    def run_until(self, time: int) -> list[Attempt]:
        """Make every attempt due at or before ``time``, retries included."""
        attempts = []
        while (due := self.next_due) is not None and due <= time and (attempt := self.step()):
            attempts.append(attempt)
        return attempts

    def run_until_idle(self) -> list[Attempt]:
        """Make attempts until no refund waits: every refund paid."""
        attempts = []
        while attempt := self.step():
            attempts.append(attempt)
        return attempts

    def __repr__(self) -> str:
        return (
            f"<RefundProcess: refunds waiting {len(self._waiting)}, next due at {self.next_due}, "
            f"checkpoint {self.checkpoint}>"
        )
