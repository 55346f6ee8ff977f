"""The refund process: a process manager that turns an event into a command.

A requested refund (``RefundCreated``) still has to be paid out by the payment
provider, and only then is it recorded as paid (``ConfirmRefund`` ->
``RefundPaid``).  The provider answers late and sometimes fails, so
``RefundProcess`` keeps a list of refunds waiting for it, retries every
failure, and confirms each refund exactly once:

- The subscription handler only *queues* work: it runs inside
  ``store.append``, so handling a command there would re-enter the store.
  ``step()`` does the work, one attempt at a time.
- A confirmation's command id is made from its refund id, so the shop
  recognises a repeated confirmation and records nothing; the decider's
  ``RefundAlreadyPaid`` rule stops a confirmation sent under any other id.

Time is simulated: every attempt happens at its due time, and ``step()``
moves the clock there, so ``RefundPaid`` is recorded when the provider answered.
"""
from __future__ import annotations

import heapq
import random
import uuid
from dataclasses import dataclass, field
from itertools import count

from .clock import SimulatedClock
from .commands import ConfirmRefund
from .events import RefundCreated, RefundPaid
from .order import RefundAlreadyPaid
from .shop import Shop
from .store import RecordedEvent

__all__ = ["FakePaymentProvider", "RefundProcess", "PendingRefund", "Attempt",
           "PAID", "FAILED", "ALREADY_PAID", "confirm_command_id"]

PAID = "paid"                  # the provider paid and RefundPaid was recorded now
FAILED = "failed"              # the provider failed; the refund waits for another attempt
ALREADY_PAID = "already paid"  # the shop had recorded RefundPaid before: nothing new


class FakePaymentProvider:
    """A stand-in for a real payment provider: answers after ``delay`` simulated
    seconds and fails a ``failure_rate`` share of attempts, drawn from a seeded RNG."""

    def __init__(self, *, delay: int = 3600, failure_rate: float = 0.0, seed: int = 0):
        if delay < 0:
            raise ValueError(f"delay is a number of seconds, at least 0, not {delay}")
        if not 0 <= failure_rate < 1:  # at 1 no refund would ever be paid
            raise ValueError(f"failure_rate is a probability at least 0 and below 1, not {failure_rate}")
        self.delay = int(delay)
        self.failure_rate = failure_rate
        self._random = random.Random(seed)

    def pay_out(self, refund_id: str) -> bool:
        """Pay the refund out: ``True`` if it was paid, ``False`` if this attempt failed."""
        return self._random.random() >= self.failure_rate

    def __repr__(self) -> str:
        return f"FakePaymentProvider(delay={self.delay}, failure_rate={self.failure_rate})"


_CONFIRMATIONS = uuid.UUID("6f1c1b9e-3d0a-4c41-9a57-2b8f3e0d7c11")  # namespace of confirmation ids


def confirm_command_id(order_id: str, refund_id: str) -> str:
    """The one command id for confirming a refund: a retry is then recognisably the same command.

    Made from the order id and the refund id (a refund id is unique only within its order).
    """
    return str(uuid.uuid5(_CONFIRMATIONS, f"confirm/{order_id}/{refund_id}"))


@dataclass(frozen=True, order=True, slots=True)
class PendingRefund:
    """A refund waiting for the provider; ordered by due time, then by when it was queued."""
    due: int
    seq: int = field(repr=False)
    refund_id: str = field(compare=False)
    order_id: str = field(compare=False)
    attempt: int = field(default=1, compare=False)


@dataclass(frozen=True, slots=True)
class Attempt:
    """What one ``step()`` did: which refund, which attempt, when, and the outcome."""
    refund_id: str
    order_id: str
    attempt: int
    at: int
    outcome: str


class RefundProcess:
    """Pays out and confirms every requested refund, retrying failed attempts.

    It follows ``shop.store`` from its first event, so a new process picks up
    every refund that was requested and not yet paid.  ``clock`` must be the
    store's clock.
    """

    def __init__(self, shop: Shop, provider: FakePaymentProvider, clock: SimulatedClock):
        self.shop = shop
        self.provider = provider
        self.clock = clock
        self._waiting: dict[tuple[str, str], PendingRefund] = {}  # (order id, refund id) -> its next attempt
        self._queue: list[PendingRefund] = []         # a heap; entries no longer waiting are skipped
        self._seq = count()
        self.subscription = shop.store.subscribe(self._on_event, name="refund process")

    def _on_event(self, recorded: RecordedEvent) -> None:
        """Queue each requested refund once (an event may be delivered twice); forget paid ones."""
        event = recorded.event
        if isinstance(event, RefundCreated) and (event.order_id, event.refund_id) not in self._waiting:
            self._wait(recorded.recorded_at + self.provider.delay, event.refund_id, event.order_id)
        elif isinstance(event, RefundPaid):
            self._waiting.pop((event.order_id, event.refund_id), None)

    def _wait(self, due: int, refund_id: str, order_id: str, attempt: int = 1) -> None:
        pending = PendingRefund(due, next(self._seq), refund_id, order_id, attempt)
        self._waiting[pending.order_id, pending.refund_id] = pending
        heapq.heappush(self._queue, pending)

    def _next(self) -> PendingRefund | None:
        while self._queue and self._waiting.get((self._queue[0].order_id, self._queue[0].refund_id)) \
                is not self._queue[0]:
            heapq.heappop(self._queue)  # paid meanwhile, or replaced by a later attempt
        return self._queue[0] if self._queue else None

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
        an error here loses nothing: the same attempt is made again next time.
        """
        pending = self._next()
        if pending is None:
            return None
        at = max(self.clock.now, pending.due)
        self.clock.now = at
        if not self.provider.pay_out(pending.refund_id):
            self._wait(at + self.provider.delay, pending.refund_id, pending.order_id, pending.attempt + 1)
            return Attempt(pending.refund_id, pending.order_id, pending.attempt, at, FAILED)
        last_position = self.shop.store.last_position
        command = ConfirmRefund(pending.order_id, pending.refund_id,
                                command_id=confirm_command_id(pending.order_id, pending.refund_id))
        try:
            recorded = self.shop.handle(command, actor="refund process")
            outcome = PAID if recorded[0].position > last_position else ALREADY_PAID
        except RefundAlreadyPaid:
            outcome = ALREADY_PAID
        self._waiting.pop((pending.order_id, pending.refund_id), None)
        return Attempt(pending.refund_id, pending.order_id, pending.attempt, at, outcome)

    def run_until(self, time: int) -> list[Attempt]:
        """Make every attempt due at or before ``time``, retries included."""
        attempts = []
        while (due := self.next_due) is not None and due <= time:
            attempts.append(self.step())
        return attempts

    def run_until_idle(self) -> list[Attempt]:
        """Make attempts until no refund waits: every refund paid."""
        attempts = []
        while attempt := self.step():
            attempts.append(attempt)
        return attempts

    def __repr__(self) -> str:
        return f"<RefundProcess: refunds waiting {len(self._waiting)}, next due at {self.next_due}>"
