"""Properties of the whole write side, over random command sequences.

Hypothesis drives a ``Shop`` (simulated clock, seeded ids) with sequences of
valid, invalid and repeated commands on a few orders, and checks after every
step and at the end what must always hold, whatever the sequence.
"""
from collections import defaultdict
from dataclasses import dataclass, replace
from decimal import Decimal as D

from hypothesis import given, settings
from hypothesis import strategies as st

from eventsim.clock import SimulatedClock
from eventsim.ids import SeededIds
from eventsim.jsonl import to_json
from eventsim.shop import CommandIdReused, Shop
from eventsim.shop.commands import CancelOrder, ConfirmRefund, PayOrder, PlaceOrder, RequestRefund, ShipOrder
from eventsim.shop.events import OrderCancelled, OrderCreated, OrderPaid, OrderShipped, RefundCreated
from eventsim.shop.order import DuplicateRefund, OrderError, evolve, fold, initial_state


@dataclass(frozen=True)
class Retry:
    """Handle again the n-th command handled so far (modulo how many there were)."""
    n: int


# Resolved when the step runs: PayOrder(amount=EXACT) pays the order's own amount,
# ConfirmRefund(refund_id=REQUESTED) confirms the order's latest unconfirmed refund, and
# RequestRefund(refund_id=LOOKALIKE) chooses by hand the id the next automatic refund would get.
EXACT = REQUESTED = None
LOOKALIKE = "lookalike"

# Mostly valid values, so that orders get far; some invalid ones, so that rules get hit.
orders = st.sampled_from("AAB")
place_amounts = st.sampled_from([D("0.30"), D("1.00"), D("25.50"), D("0.001")])
pay_amounts = st.sampled_from([EXACT, EXACT, EXACT, D("1.00"), D("0")])
refund_amounts = st.sampled_from([D("0.10"), D("0.20"), D("0.05"), D("1.00"), D("25.50"), D("-1.00")])
refund_ids = st.sampled_from([None, None, None, LOOKALIKE, "R1", "rma"])
confirm_ids = st.sampled_from([REQUESTED, REQUESTED, "R1", "R1", "rma"])
# Usually none (the shop assigns one); a few shared ids, so that different commands collide.
command_ids = st.sampled_from([None, None, None, None, None, "cmd-1", "cmd-2"])

place = st.builds(PlaceOrder, orders, place_amounts, command_id=command_ids)
pay = st.builds(PayOrder, orders, pay_amounts, command_id=command_ids)
refund = st.builds(RequestRefund, orders, refund_amounts, refund_id=refund_ids, command_id=command_ids)
confirm = st.builds(ConfirmRefund, orders, confirm_ids, command_id=command_ids)
cancel = st.builds(CancelOrder, orders, command_id=command_ids)
ship = st.builds(ShipOrder, orders, command_id=command_ids)
retry = st.builds(Retry, st.integers(0, 99))
# Repeats weight the choice: an order must be paid before most rules can be reached.
steps = st.one_of(place, pay, pay, pay, refund, refund, refund, confirm, cancel, ship, retry)
# Orders are placed first, so that most of what follows finds one.
stories = st.builds(lambda placed, rest: placed + rest, st.lists(place, min_size=1, max_size=3),
                    st.lists(steps, min_size=20, max_size=60))


def resolve(step, shop, handled):
    """The command that ``step`` stands for, given what happened so far (or None: skip it)."""
    if isinstance(step, Retry):
        return handled[step.n % len(handled)] if handled else None
    state = shop.state(step.order_id)
    if isinstance(step, PayOrder) and step.amount is EXACT:
        return replace(step, amount=state.amount or D("1.00"))
    if isinstance(step, RequestRefund) and step.refund_id == LOOKALIKE:
        return replace(step, refund_id=f"R{len(state.refunds) + 2}")
    if isinstance(step, ConfirmRefund) and step.refund_id is REQUESTED:
        unconfirmed = [r.refund_id for r in state.unpaid_refunds()]
        return replace(step, refund_id=unconfirmed[-1] if unconfirmed else "none requested")
    return step


def export(store):
    return "".join(to_json(r) + "\n" for r in store.read_all())


def run(commands, seed):
    """Handle ``commands`` one by one, checking each step; return the shop and the model."""
    shop = Shop(clock=SimulatedClock(step=1), ids=SeededIds(seed))
    store = shop.store
    model = defaultdict(lambda: initial_state)  # each order's state, evolved from handle()'s results
    exported = ""                               # the store's JSON export, kept up to date as it grows
    handled = []
    first_results = {}  # command id -> what handling it first recorded
    for step in commands:
        command = resolve(step, shop, handled)
        if command is None:
            continue
        length = len(store)
        try:
            recorded = shop.handle(command)
        except OrderError as error:
            assert export(store) == exported, f"rejected {command} changed the store"
            assert not (isinstance(error, DuplicateRefund) and command.refund_id is None), \
                f"a refund without a chosen id was rejected as a duplicate: {error}"
            continue
        except CommandIdReused:  # the id was used by a different request: refused, nothing recorded
            assert export(store) == exported, f"refused {command} changed the store"
            assert command.command_id in first_results
            continue
        handled.append(command)
        if command.command_id is not None:
            assert first_results.setdefault(command.command_id, recorded) == recorded, \
                "a retry did not get the first result"
        assert recorded, f"{command} was accepted but recorded nothing"
        if len(store) > length:                     # newly decided: exactly these were appended
            assert store.read_all(length + 1) == recorded
            exported += "".join(to_json(r) + "\n" for r in recorded)
            for r in recorded:
                model[command.order_id] = evolve(model[command.order_id], r.event)
        else:                                       # a command id seen before: nothing new
            assert export(store) == exported
            assert command.command_id is not None
            assert all(r in store.read_all() for r in recorded)
        if command.command_id is not None:
            assert {r.causation_id for r in recorded} == {command.command_id}
        order_id = command.order_id
        assert shop.state(order_id) == model[order_id]
    assert export(store) == exported
    return shop, model


def check_store(shop, model):
    store = shop.store
    log = store.read_all()
    assert [r.position for r in log] == list(range(1, len(log) + 1))
    assert [r.recorded_at for r in log] == sorted(r.recorded_at for r in log)
    assert len({r.event_id for r in log}) == len(log)
    assert sum(len(store.read_stream(s)) for s in store.stream_ids()) == len(log)
    for stream_id in store.stream_ids():
        stream = store.read_stream(stream_id)
        assert [r.version for r in stream] == list(range(1, len(stream) + 1))
        assert stream == [r for r in log if r.stream_id == stream_id]
        assert None not in {r.correlation_id for r in stream} | {r.causation_id for r in stream}
        events = [r.event for r in stream]
        order_id = events[0].order_id
        state = shop.state(order_id)
        assert state == fold(events) == model[order_id]
        assert shop.load(stream_id) == (state, store.stream_version(stream_id))

        # Counted from the raw events, independently of evolve:
        [created] = [e for e in events if isinstance(e, OrderCreated)]
        paid = created.amount if any(isinstance(e, OrderPaid) for e in events) else D(0)
        refunds = [e for e in events if isinstance(e, RefundCreated)]
        assert sum(r.amount for r in refunds) <= paid, f"{order_id} refunded more than was paid"
        assert len({r.refund_id for r in refunds}) == len(refunds), f"{order_id} reused a refund id"
        assert all(r.amount > 0 for r in refunds)
        for i, event in enumerate(events):
            before = fold(events[:i])
            if isinstance(event, OrderShipped):  # refunds may follow (a return), but not precede in full
                assert before.paid and not before.cancelled and before.refunds_requested < before.paid
            if isinstance(event, OrderCancelled):
                assert not before.shipped
        if state.cancelled:
            assert state.refunds_requested == state.paid  # cancelling refunds whatever was not yet refunded


@settings(max_examples=200, deadline=None)
@given(commands=stories, seed=st.integers(0, 2**32))
def test_any_command_sequence_keeps_the_invariants(commands, seed):
    shop, model = run(commands, seed)
    check_store(shop, model)
    again, _ = run(commands, seed)
    assert export(again.store) == export(shop.store)  # deterministic with a simulated clock and seeded ids


# One order, paid once, then many small refunds requested and confirmed in any order: a long stream.
long_steps = st.lists(st.one_of(st.builds(RequestRefund, st.just("L"), st.sampled_from([D("0.01"), D("0.02")]),
                                          command_id=command_ids),
                                st.builds(ConfirmRefund, st.just("L"), st.just(REQUESTED), command_id=command_ids),
                                retry),
                      min_size=50, max_size=300)


@settings(max_examples=20, deadline=None)
@given(steps=long_steps, seed=st.integers(0, 2**32))
def test_a_long_single_order_stream_keeps_the_invariants(steps, seed):
    commands = [PlaceOrder("L", D("5.00")), PayOrder("L", EXACT), *steps]
    shop, model = run(commands, seed)
    check_store(shop, model)
    assert shop.store.stream_version("order-L") >= 2
