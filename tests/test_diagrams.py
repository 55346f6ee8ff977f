"""Diagrams drawn from the code: notebook 1's lifecycle is what decide allows, notebook 6's refund is what a run did."""
from decimal import Decimal

import pytest

from eventsim import ConfirmRefund, PayOrder, PlaceOrder, RequestRefund, SeededIds, Shop, SimulatedClock
from eventsim.shop.order import STATUSES
from eventsim.shop.payments import FakePaymentProvider, RefundProcess
from eventsim.workbook.diagrams import (
    REFUND_LANES,
    lifecycle_edges,
    lifecycle_mermaid,
    lifecycle_table,
    refund_messages,
    sequence_diagram,
)


def test_every_status_an_order_reaches_is_a_known_status():
    reached = {s for before, after, _ in lifecycle_edges() for s in (before, after)} - {"new"}
    assert reached <= set(STATUSES)
    assert "cancelled, partially refunded" not in reached  # cancelling refunds the rest: never partial


def test_the_diagram_shows_what_notebook_1_says():
    edges = {(before, after): label for before, after, label in lifecycle_edges()}
    # a refund is requested first, and only RefundPaid makes it refunded
    assert edges[("paid", "paid, refund requested")] == "RefundCreated"
    assert edges[("paid, refund requested", "paid, refunded")] == "RefundPaid"
    assert ("paid", "paid, refunded") not in edges
    # shipping after a partial refund, and refunding after shipping
    assert edges[("paid, partially refunded", "shipped, partially refunded")] == "OrderShipped"
    assert edges[("shipped", "shipped, refund requested")] == "RefundCreated"
    # a cancelled order is final: nothing but its refunds being paid out
    assert all(label == "RefundPaid" for (before, _), label in edges.items() if before.startswith("cancelled"))


def test_mermaid_and_table_draw_the_same_edges():
    edges = lifecycle_edges()
    assert lifecycle_mermaid().count("-->") == len(edges)
    assert len(lifecycle_table().splitlines()) == len(edges)


# --- the refund's journey in notebook 6, read from a run -----------------------

class Died(Exception):
    """The refund process stops here."""


class DiesBeforeConfirming(Shop):
    """The first refund process's view of the shop: it dies when it is about to record a confirmation."""

    def handle(self, command, **options):
        if isinstance(command, ConfirmRefund):
            raise Died("the process died before ConfirmRefund was recorded")
        return super().handle(command, **options)


def refund_run(*, crash: bool, failure_rate: float = 0.0, seed: int = 1):
    """One refund of order K, paid out by a refund process that crashes (or not) after the payout."""
    clock = SimulatedClock(start=1_628_379_200)
    shop = Shop(clock=clock, ids=SeededIds(15))
    provider = FakePaymentProvider(delay=3600, failure_rate=failure_rate, seed=seed)
    shop.handle(PlaceOrder("K", Decimal("40"), customer_id="kim"))
    shop.handle(PayOrder("K", Decimal("40")))
    if crash:
        first = RefundProcess(DiesBeforeConfirming(shop.store), provider, clock)
        shop.handle(RequestRefund("K", Decimal("40")))
        with pytest.raises(Died):
            while first.step():
                pass
        first.subscription.close()
        RefundProcess(shop, provider, clock, journal=first.journal).run_until_idle()
    else:
        shop.handle(RequestRefund("K", Decimal("40")))
        RefundProcess(shop, provider, clock).run_until_idle()
    return shop, provider


def test_the_refund_diagram_draws_a_crash_after_the_payout_and_one_payment():
    shop, provider = refund_run(crash=True)
    created, paid = shop.store.read_stream("order-K")[2:]
    key = created.event_id[:8]
    messages, notes = refund_messages(shop.store, provider, "K", "R1")
    assert messages == [
        ("shop", "event store", "RefundCreated R1"),
        ("event store", "refund process", "RefundCreated R1"),
        ("refund process", "payment provider", f"pay 40, key {key}"),
        ("payment provider", "refund process", "paid 40"),
        ("refund process", "refund process", "✗ dies before ConfirmRefund"),
        ("refund process", "refund process", "restarts from its journal"),
        ("refund process", "payment provider", f"payout {key}?"),
        ("payment provider", "refund process", "paid 40"),
        ("refund process", "shop", f"ConfirmRefund, caused by {key}"),
        ("shop", "event store", "RefundPaid R1"),
    ]
    assert notes == {0: f"event id {key}", 4: "money sent, nothing recorded yet", 5: "it had asked: no blind retry",
                     6: "at the deadline, by reference", 7: "none paid twice"}
    assert len(provider.payouts) == 1 and len(provider.requests) == 1 and paid.event_type == "RefundPaid"
    figure = sequence_diagram(REFUND_LANES, messages, notes=notes)
    drawn = [text.get_text() for text in figure.axes[0].texts if text.get_text()]
    labels = [label for _, _, label in messages]
    assert drawn == [*REFUND_LANES, labels[0], notes[0], *labels[1:5], notes[4], labels[5], notes[5], labels[6],
                     notes[6], labels[7], notes[7], *labels[8:]]


def test_the_refund_diagram_draws_a_lost_answer_and_its_lookup():
    clock = SimulatedClock(start=1_628_379_200)
    shop = Shop(clock=clock, ids=SeededIds(15))
    provider = FakePaymentProvider(delay=3600, timeout_rate=0.5, seed=4)
    process = RefundProcess(shop, provider, clock)
    shop.handle(PlaceOrder("K", Decimal("40"), customer_id="kim"))
    shop.handle(PayOrder("K", Decimal("40")))
    shop.handle(RequestRefund("K", Decimal("40")))
    process.run_until_idle()
    messages, _ = refund_messages(shop.store, provider, "K", "R1")
    assert [label for _, _, label in messages][2:6] == [
        messages[2][2], "✗ no answer", messages[4][2], "paid 40"] and messages[4][2].startswith("payout ")
    assert not any("dies" in label for _, _, label in messages)


def test_the_refund_diagram_draws_failed_attempts_and_no_crash_when_there_was_none():
    shop, provider = refund_run(crash=False, failure_rate=0.5, seed=3)
    messages, _ = refund_messages(shop.store, provider, "K", "R1")
    answers = [label for source, _, label in messages if source == "payment provider"]
    assert answers[-1] == "paid 40" and set(answers[:-1]) == {"✗ failed"} and len(answers) > 1
    assert not any("dies" in label or "restart" in label for _, _, label in messages)
    assert messages[-2][2].startswith("ConfirmRefund, caused by ")


def test_the_refund_diagram_refuses_a_refund_that_was_never_requested():
    shop, provider = refund_run(crash=False)
    with pytest.raises(ValueError, match="no refund 'R9'"):
        refund_messages(shop.store, provider, "K", "R9")
