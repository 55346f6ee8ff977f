"""A workload simulator: many customers placing and changing orders over simulated days.

It drives the command side only, through the order domain's own Decider:
each planned command is decided by ``decide`` against the state its order's
events fold to (``evolve``), so the log obeys every business rule (a plan the
rules refuse raises, as ``Shop.handle`` would), and its events are appended
with the envelope ``Shop.handle`` gives them: a command id drawn from the same
ids, recorded as each event's causation and correlation id, and who sent it.
That is the Decider's own promise, not a bypass; what it skips is the
application service's work for a caller it cannot trust (looking the stream
up in its cache, idempotency).  ``tests/test_simulator.py`` checks that the
log is the one ``Shop.handle`` records for the same seed, event for event.
Refund confirmations go through ``Shop.handle`` itself (the ``RefundProcess``
sends them).  It only plans commands that are valid when they arrive: each
order's story (pay? cancel? ship? refund?) is drawn when the order is
planned, with its commands at increasing times.

Everything comes from one seed: the same ``SimulationConfig`` gives the same
log, byte for byte.  The commands of all orders are handled in time order,
the clock moved to each command's time first, since the store stamps events
with its clock.  Orders are planned a simulated day at a time, so a year of
orders never sits in memory as commands.  Simulating is a bulk operation: it
pauses Python's cycle collector while it runs (``eventsim.bulk``).
"""

from __future__ import annotations

import functools
import random
from bisect import bisect_left
from collections.abc import Callable, Iterator
from dataclasses import dataclass, fields
from decimal import Decimal
from itertools import count

from ..bulk import collector_paused
from ..clock import SimulatedClock, to_timestamp
from ..ids import SeededIds
from ..store import InMemoryEventStore
from . import Shop
from .commands import (
    CancelOrder,
    Command,
    PayOrder,
    PlaceOrder,
    RequestRefund,
    ShipOrder,
)
from .order import OrderState, decide, evolve, initial_state
from .payments import FakePaymentProvider, RefundProcess
from .streams import stream_for

__all__ = ["SimulationConfig", "plan_order", "simulate"]

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
    payout_delay: int = HOUR  # the payment provider's answer time, in seconds
    payout_failure_rate: float = 0.1  # the share of payout attempts that fail (and are retried)

    def __post_init__(self):
        if self.orders < 0 or self.customers < 1 or self.days < 1 or self.payout_delay < 0:
            raise ValueError(
                f"need orders >= 0, customers >= 1, days >= 1 and payout_delay >= 0, "
                f"not {self.orders}, {self.customers}, {self.days} and {self.payout_delay}"
            )
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name.startswith("p_") and not 0 <= value <= 1:
                raise ValueError(f"{f.name} is a probability between 0 and 1, not {value}")


@functools.cache
def _cents(cents: int) -> Decimal:
    """Whole cents as money: 1999 -> Decimal('19.99').

    Made once per amount and shared: every amount drawn is at most 50,000
    cents, so a year of 340,000 orders keeps at most 50,000 ``Decimal`` objects
    (about 100 bytes each), not one per order.  Sharing is safe because a
    ``Decimal`` never changes.
    """
    return Decimal(cents).scaleb(-2)


# One step of an order's story: (time, what happens, the amount in cents where there is one).
Step = tuple[int, str, int]


def _draw_story(rng: random.Random, config: SimulationConfig, placed_at: int) -> list[Step]:
    """The random draws of one order's story, in the order ``plan_order`` has always drawn them:
    the steps without their commands, so that counting every story's commands is cheap."""
    price = rng.randint(500, 50_000)  # cents
    steps = [(placed_at, "place", price)]
    if rng.random() >= config.p_pay:
        if rng.random() < config.p_cancel:
            steps.append((placed_at + rng.randint(HOUR, 2 * DAY), "never paid", 0))
        return steps
    paid_at = placed_at + rng.randint(MINUTE, HOUR)
    steps.append((paid_at, "pay", price))
    if rng.random() < config.p_cancel:  # before shipping; the shop refunds the payment
        steps.append((paid_at + rng.randint(MINUTE, DAY), "customer cancelled", 0))
        return steps
    last = paid_at
    if rng.random() < config.p_ship:
        last = paid_at + rng.randint(HOUR, 3 * DAY)
        steps.append((last, "ship", 0))
    if rng.random() < config.p_refund:  # after shipping, as a fully refunded order cannot ship
        cents = price if rng.random() < config.p_full_refund else rng.randint(1, price - 1)
        steps.append((last + rng.randint(DAY, 14 * DAY), "refund", cents))
    return steps


def _command(step: str, cents: int, order_id: str, customer_id: str) -> Command:
    """The command that carries out one step of an order's story."""
    if step == "place":
        return PlaceOrder(order_id, _cents(cents), customer_id)
    if step == "pay":
        return PayOrder(order_id, _cents(cents))
    if step == "ship":
        return ShipOrder(order_id)
    if step == "refund":
        return RequestRefund(order_id, _cents(cents), "returned")
    return CancelOrder(order_id, step)  # "never paid" or "customer cancelled"


def plan_order(
    rng: random.Random, config: SimulationConfig, order_id: str, customer_id: str, placed_at: int
) -> Iterator[tuple[int, Command]]:
    """One order's story as ``(time, command)`` pairs, each valid after the ones before it."""
    for time, step, cents in _draw_story(rng, config, placed_at):
        yield time, _command(step, cents, order_id, customer_id)


def simulate(
    config: SimulationConfig = SimulationConfig(), *, progress: Callable[[int, int], None] | None = None
) -> Shop:
    """Run the workload; return the shop, whose store holds the log.

    ``progress(done, total)`` is told how many commands are handled, every
    ``PROGRESS_EVERY`` commands and after the last.  Interrupted (Ctrl-C),
    it leaves the store holding whole commands only: each command's events
    are appended together or not at all.
    """
    with collector_paused():
        rng = random.Random(config.seed)
        clock = SimulatedClock(config.start)
        ids = SeededIds(rng.getrandbits(64))
        shop = Shop(InMemoryEventStore(clock=clock, ids=ids), ids=ids)
        provider = FakePaymentProvider(
            delay=config.payout_delay, failure_rate=config.payout_failure_rate, seed=rng.getrandbits(64)
        )
        payments = RefundProcess(shop, provider, clock)
        orders = _Orders(shop.store, ids)

        arrivals = sorted(config.start + rng.randrange(config.days * DAY) for _ in range(config.orders))
        total = _count_commands(rng, config, arrivals) if progress else 0
        for done, (time, command, last) in enumerate(_timeline(_stories(rng, config, arrivals), config.start), 1):
            payments.run_until(time)  # refunds the provider answered before this command arrived
            clock.now = time
            orders.handle(command, "warehouse" if isinstance(command, ShipOrder) else "customer", last)
            if progress and (done % PROGRESS_EVERY == 0 or done == total):
                progress(done, total)
        payments.run_until_idle()
        return shop


class _Orders:
    """Decides the simulator's commands and appends their events as ``Shop.handle`` would.

    Keeps the state of each order whose story goes on (at the version it was
    folded to), and forgets it after the order's last planned command: a year
    of orders never sits in memory as states.  The refund process appends to
    an order's stream too (its confirmations); a state is caught up with what
    was appended since, as the application service catches its cache up.
    """

    def __init__(self, store: InMemoryEventStore, ids: Callable[[], str]):
        self.store = store
        self.ids = ids
        self.states: dict[str, tuple[OrderState, int]] = {}  # stream -> (state, version)

    def handle(self, command: Command, actor: str, last: bool) -> None:
        command_id = self.ids()  # drawn before the events' ids, as Shop.handle draws it
        stream_id = stream_for(command.order_id)
        state, version = self.states.pop(stream_id, (initial_state, 0))
        if self.store.stream_version(stream_id) != version:
            for newer in self.store.read_stream(stream_id, version + 1):
                state, version = evolve(state, newer.event), newer.version
        recorded = self.store.append(
            stream_id,
            decide(command, state),
            version,
            correlation_id=command_id,
            causation_id=command_id,
            actor=actor,
        )
        if not last:
            for r in recorded:
                state = evolve(state, r.event)
            self.states[stream_id] = (state, recorded[-1].version)


def _count_commands(rng: random.Random, config: SimulationConfig, arrivals: list[int]) -> int:
    """How many commands the stories will hold: their steps are drawn once more, from a copy of
    ``rng``, only to be counted (no command is made), and only when progress is watched."""
    copy = random.Random()
    copy.setstate(rng.getstate())
    return sum(len(steps) for _, _, steps in _drafts(copy, config, arrivals))


def _drafts(rng: random.Random, config: SimulationConfig, arrivals: list[int]) -> Iterator[tuple[int, int, list[Step]]]:
    """Each order's number, customer and steps, drawn when they are needed, in order of arrival."""
    for number, placed_at in enumerate(arrivals, 1):
        customer = rng.randrange(config.customers) + 1
        yield number, customer, _draw_story(rng, config, placed_at)


# A step of an order's story, planned: (time, what, cents, order id, customer id).  Only numbers and
# strings, so the cycle collector stops tracking the tuple at its first pass: a month of planned steps
# waiting in memory is not walked by every later pass, as the commands themselves would be.
Planned = tuple[int, str, int, str, str]


def _stories(rng: random.Random, config: SimulationConfig, arrivals: list[int]) -> Iterator[list[Planned]]:
    """Each order's planned steps, drawn when they are needed, in order of arrival.

    A customer's id is one string, shared by all of their orders' events: a
    million events of a hundred customers hold a hundred ids, not 340,000 copies.
    """
    customer_ids: dict[int, str] = {}
    for number, customer, steps in _drafts(rng, config, arrivals):
        customer_id = customer_ids.get(customer)
        if customer_id is None:
            customer_id = customer_ids[customer] = f"C{customer:05d}"
        order_id = f"{number:06d}"
        yield [(time, step, cents, order_id, customer_id) for time, step, cents in steps]


def _timeline(stories: Iterator[list[Planned]], start: int) -> Iterator[tuple[int, Command, bool]]:
    """Every order's commands in time order, each with whether it is its order's last; equal times in
    the order they were planned.

    A simulated day at a time: once every order placed before the day ends is
    planned, every command due that day is known (an order's story starts
    when it is placed), so those are sorted and handed out, and only later
    ones wait.  Memory holds the orders still going on, not a year of commands,
    and each command is made only when it is handed out.
    """
    # (time, seq, what, cents, order id, customer id, whether it is the order's last step)
    waiting: list[tuple[int, int, str, int, str, str, bool]] = []
    seq = count()
    story = next(stories, None)
    day_ends = start
    while story is not None or waiting:
        day_ends += DAY
        while story is not None and story[0][0] < day_ends:
            waiting.extend(
                (time, next(seq), step, cents, order_id, customer_id, number == len(story))
                for number, (time, step, cents, order_id, customer_id) in enumerate(story, 1)
            )
            story = next(stories, None)
        waiting.sort()
        due = bisect_left(waiting, (day_ends,))  # the first command of a later day
        for time, _, step, cents, order_id, customer_id, last in waiting[:due]:
            yield time, _command(step, cents, order_id, customer_id), last
        del waiting[:due]
