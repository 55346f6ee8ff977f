"""A workload simulator: many customers placing and changing orders over simulated days.

It drives the command side only: every event in its log was recorded by
``Shop.handle``, refund confirmations too (the ``RefundProcess`` sends them),
so the log obeys every business rule.  It only issues commands that are valid when they
arrive: each order's story (pay? cancel? ship? refund?) is drawn when the
order is planned, with its commands at increasing times.

Everything comes from one seed: the same ``SimulationConfig`` gives the same
log, byte for byte.  The commands of all orders are put in one timeline of
``(time, seq, command)`` and handled in time order, the clock moved to each
command's time first, since the store stamps events with its clock.
"""
from __future__ import annotations

import random
from dataclasses import dataclass, fields
from decimal import Decimal
from itertools import count
from typing import Callable, Iterator

from .clock import SimulatedClock, to_timestamp
from .commands import CancelOrder, Command, PayOrder, PlaceOrder, RequestRefund, ShipOrder
from .ids import SeededIds
from .payments import FakePaymentProvider, RefundProcess
from .shop import Shop
from .store import InMemoryEventStore

__all__ = ["SimulationConfig", "simulate", "plan_order"]

MINUTE, HOUR, DAY = 60, 3600, 86_400
PROGRESS_EVERY = 10_000


@dataclass(frozen=True, slots=True)
class SimulationConfig:
    """What to simulate.  Each ``p_*`` is the probability of one turn in an order's story:
    paid (``p_pay``); then cancelled (``p_cancel``, unpaid or paid); if paid and not
    cancelled, shipped (``p_ship``) and refunded (``p_refund``), fully (``p_full_refund``)
    or partly."""
    orders: int = 1000
    customers: int = 100
    seed: int = 0
    start: int = to_timestamp("2021-08-08")  # Unix seconds; orders arrive over the next `days`
    days: int = 30
    p_pay: float = 0.9
    p_refund: float = 0.1
    p_full_refund: float = 0.5
    p_cancel: float = 0.05
    p_ship: float = 0.9
    payout_delay: int = HOUR         # the payment provider's answer time, in seconds
    payout_failure_rate: float = 0.1  # the share of payout attempts that fail (and are retried)

    def __post_init__(self):
        if self.orders < 0 or self.customers < 1 or self.days < 1 or self.payout_delay < 0:
            raise ValueError(f"need orders >= 0, customers >= 1, days >= 1 and payout_delay >= 0, "
                             f"not {self.orders}, {self.customers}, {self.days} and {self.payout_delay}")
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name.startswith("p_") and not 0 <= value <= 1:
                raise ValueError(f"{f.name} is a probability between 0 and 1, not {value}")


def _cents(cents: int) -> Decimal:
    """Whole cents as money: 1999 -> Decimal('19.99')."""
    return Decimal(cents).scaleb(-2)


def plan_order(rng: random.Random, config: SimulationConfig, order_id: str, customer_id: str,
               placed_at: int) -> Iterator[tuple[int, Command]]:
    """One order's story as ``(time, command)`` pairs, each valid after the ones before it."""
    price = rng.randint(500, 50_000)  # cents
    yield placed_at, PlaceOrder(order_id, _cents(price), customer_id)
    if rng.random() >= config.p_pay:
        if rng.random() < config.p_cancel:
            yield placed_at + rng.randint(HOUR, 2 * DAY), CancelOrder(order_id, "never paid")
        return
    paid_at = placed_at + rng.randint(MINUTE, HOUR)
    yield paid_at, PayOrder(order_id, _cents(price))
    if rng.random() < config.p_cancel:  # before shipping; the shop refunds the payment
        yield paid_at + rng.randint(MINUTE, DAY), CancelOrder(order_id, "customer cancelled")
        return
    last = paid_at
    if rng.random() < config.p_ship:
        last = paid_at + rng.randint(HOUR, 3 * DAY)
        yield last, ShipOrder(order_id)
    if rng.random() < config.p_refund:  # after shipping, as a fully refunded order cannot ship
        cents = price if rng.random() < config.p_full_refund else rng.randint(1, price - 1)
        yield last + rng.randint(DAY, 14 * DAY), RequestRefund(order_id, _cents(cents), "returned")


def simulate(config: SimulationConfig = SimulationConfig(), *,
             progress: Callable[[int, int], None] | None = None) -> Shop:
    """Run the workload; return the shop, whose store holds the log.

    ``progress(done, total)`` is told how many commands are handled, every
    ``PROGRESS_EVERY`` commands and after the last.
    """
    rng = random.Random(config.seed)
    clock = SimulatedClock(config.start)
    ids = SeededIds(rng.getrandbits(64))
    shop = Shop(InMemoryEventStore(clock=clock, ids=ids), ids=ids)
    provider = FakePaymentProvider(delay=config.payout_delay, failure_rate=config.payout_failure_rate,
                                   seed=rng.getrandbits(64))
    payments = RefundProcess(shop, provider, clock)

    arrivals = sorted(config.start + rng.randrange(config.days * DAY) for _ in range(config.orders))
    seq = count()  # breaks ties between equal times in the order the commands were planned
    timeline = []
    for number, placed_at in enumerate(arrivals, 1):
        customer_id = f"C{rng.randrange(config.customers) + 1:05d}"
        for time, command in plan_order(rng, config, f"{number:06d}", customer_id, placed_at):
            timeline.append((time, next(seq), command))
    timeline.sort()  # every order's commands, interleaved in time order
    total = len(timeline)
    for done, (time, _, command) in enumerate(timeline, 1):
        payments.run_until(time)  # refunds the provider answered before this command arrived
        clock.now = time
        shop.handle(command, actor="warehouse" if isinstance(command, ShipOrder) else "customer")
        if progress and (done % PROGRESS_EVERY == 0 or done == total):
            progress(done, total)
    payments.run_until_idle()
    return shop
