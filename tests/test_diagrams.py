"""The lifecycle diagram of notebook 1 is drawn from the rules: what it shows is what decide allows."""
from eventsim.diagrams import lifecycle_edges, lifecycle_mermaid, lifecycle_table
from eventsim.order import STATUSES


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
