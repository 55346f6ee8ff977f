"""Diagrams drawn from the code, so that a picture can never disagree with the rules.

``lifecycle_edges`` walks the order decider itself: from the initial state it
tries every command, keeps what ``decide`` accepts, and notes how the status
(``OrderState.status``, the one status rule) changes.  ``lifecycle_mermaid``
writes the result as a Mermaid state diagram, which GitHub draws in a
notebook's markdown; tests/test_exercises.py checks that notebook 1 shows
exactly this diagram.

``sequence_diagram`` draws messages between lanes; ``refund_messages`` reads
them for one refund from a run of the refund process (its order's stream, the
store's command records and the payment provider's requests), so that the
picture of a crash and a restart in notebook 6 is what the code did.
"""

from __future__ import annotations

from collections import deque
from decimal import Decimal

from .commands import CancelOrder, ConfirmRefund, PayOrder, PlaceOrder, RequestRefund, ShipOrder
from .order import OrderError, OrderState, decide, fold, initial_state
from .payments import FakePaymentProvider
from .registry import event_type_name
from .store import InMemoryEventStore
from .streams import stream_for

__all__ = [
    "REFUND_LANES",
    "lifecycle_edges",
    "lifecycle_mermaid",
    "lifecycle_table",
    "refund_messages",
    "sequence_diagram",
]

_AMOUNT = Decimal(100)
_PART = Decimal(40)  # a partial refund; two of them and the rest cover every refund case


def _commands(state: OrderState) -> list:
    """Every command worth trying in ``state``: one of each kind, and each way to refund or confirm."""
    commands: list = [
        PlaceOrder("1", _AMOUNT),
        PayOrder("1", _AMOUNT),
        CancelOrder("1"),
        ShipOrder("1"),
        RequestRefund("1", _PART),
    ]
    outstanding = state.paid - state.refunds_requested
    if outstanding > 0:
        commands.append(RequestRefund("1", outstanding))
    commands += [ConfirmRefund("1", refund.refund_id) for refund in state.unpaid_refunds()]
    return commands


def lifecycle_edges() -> list[tuple[str, str, str]]:
    """(status before, status after, events recorded) for every change of status the rules allow."""
    edges: dict[tuple[str, str], set[str]] = {}
    rank = {initial_state.status: 0}  # statuses in the order a walk from the start meets them
    seen: set[OrderState] = set()
    todo = deque([initial_state])
    while todo:
        state = todo.popleft()
        if state in seen:
            continue
        seen.add(state)
        for command in _commands(state):
            try:
                events = decide(command, state)
            except OrderError:
                continue
            after = fold(events, state)
            rank.setdefault(after.status, len(rank))
            todo.append(after)
            if after.status != state.status:
                label = " + ".join(event_type_name(e) for e in events)
                edges.setdefault((state.status, after.status), set()).add(label)
    return sorted(
        ((before, after, " / ".join(sorted(labels))) for (before, after), labels in edges.items()),
        key=lambda edge: (rank[edge[0]], rank[edge[1]]),
    )


def lifecycle_mermaid() -> str:
    """The order lifecycle as a Mermaid ``stateDiagram-v2``, one box per status."""
    edges = lifecycle_edges()
    statuses = list(dict.fromkeys(s for before, after, _ in edges for s in (before, after) if s != "new"))
    names = {status: f"s{i}" for i, status in enumerate(statuses)}
    names["new"] = "[*]"
    lines = ["stateDiagram-v2"]
    lines += [f'    state "{status}" as {names[status]}' for status in statuses]
    lines += [f"    {names[before]} --> {names[after]}: {label}" for before, after, label in edges]
    return "\n".join(lines)


def lifecycle_table() -> str:
    """The same transitions as plain text, one line each: readable wherever the notebook is shown."""
    edges = lifecycle_edges()
    width = max(len(before) for before, _, _ in edges)
    arrow = max(len(label) for _, _, label in edges)
    return "\n".join(f"{before:>{width}}  --{label:-^{arrow + 2}}->  {after}" for before, after, label in edges)


def sequence_diagram(
    lanes: list[str], messages: list[tuple[str, str, str]], title: str = "", notes: dict[int, str] | None = None
):
    """A sequence diagram as a matplotlib figure: one lifeline per lane, one arrow per message.

    ``messages`` are ``(from lane, to lane, label)`` in time order, top to
    bottom; a label starting with ``"✗"`` is drawn dashed and red (a message
    lost or refused).  ``notes`` adds a remark in italics under message
    number ``i``.  A static picture, drawn at the charts' width and text size
    (``eventsim.charts.WIDTH``, ``FONT``), so it reads on GitHub without a kernel.
    """
    import matplotlib.pyplot as plt

    from .charts import FONT, WIDTH

    notes = notes or {}
    x = {lane: i for i, lane in enumerate(lanes)}
    rows = len(messages) + len(notes) * 0.5
    figure, axes = plt.subplots(figsize=(WIDTH, 1.0 + 0.42 * rows))
    top = rows + 0.6
    y = top - 0.6
    positions = []
    for n, _ in enumerate(messages):
        y -= 1
        positions.append(y)
        if n in notes:
            y -= 0.5
    for lane, i in x.items():
        axes.plot([i, i], [y - 0.2, top - 0.2], color="#555555", linewidth=1, zorder=1)
        axes.text(
            i,
            top,
            lane,
            ha="center",
            va="bottom",
            fontsize=FONT,
            weight="bold",
            bbox={"boxstyle": "round", "facecolor": "#eef2f7", "edgecolor": "#555555"},
        )
    for n, ((source, target, label), row) in enumerate(zip(messages, positions)):
        failed = label.startswith("✗")
        colour, line = ("#b00020", "--") if failed else ("#1f3b73", "-")
        middle = (x[source] + x[target]) / 2
        if source == target:  # something the lane does by itself: a box on its lifeline
            axes.text(
                x[source],
                row,
                label,
                ha="center",
                va="center",
                fontsize=FONT,
                color=colour,
                bbox={"boxstyle": "square", "facecolor": "white", "edgecolor": colour},
            )
        else:
            axes.annotate(
                "",
                xy=(x[target], row),
                xytext=(x[source], row),
                arrowprops={"arrowstyle": "->", "linestyle": line, "color": colour},
            )
            axes.text(middle, row + 0.08, label, ha="center", va="bottom", fontsize=FONT, color=colour)
        if n in notes:
            axes.text(
                middle, row - 0.45, notes[n], ha="center", va="center", fontsize=FONT, color="#333333", style="italic"
            )
    axes.set_xlim(-0.8, len(lanes) - 0.2)
    axes.set_ylim(y - 0.4, top + 0.8)
    axes.axis("off")
    if title:
        axes.set_title(title, fontsize=FONT + 1)
    figure.tight_layout()
    plt.close(figure)
    return figure


REFUND_LANES = ["shop", "event store", "refund process", "payment provider"]


def _short(event_id: str | None) -> str:
    """An id's first 8 characters: enough to tell the ids of one picture apart, short enough to fit an arrow."""
    return event_id[:8] if event_id else "nothing"


def refund_messages(
    store: InMemoryEventStore, provider: FakePaymentProvider, order_id: str, refund_id: str
) -> tuple[list[tuple[str, str, str]], dict[int, str]]:
    """One refund's journey as a run recorded it: ``(messages, notes)`` for ``sequence_diagram(REFUND_LANES, ...)``.

    Read from what the run left behind: the order's ``RefundCreated`` and
    ``RefundPaid``, the store's record of the ``ConfirmRefund`` (what caused
    it), and the provider's ``requests`` under the refund's idempotency key (the
    ``RefundCreated`` event's id).  A request for a key that was already paid
    means no ``ConfirmRefund`` followed that payout: the process died in
    between, and a new one, started from its checkpoint, read the
    ``RefundCreated`` again and asked again.  Labels are short: an arrow
    between neighbouring lanes has room for about 20 characters.
    """
    stream = store.read_stream(stream_for(order_id))
    created = [r for r in stream if r.event_type == "RefundCreated" and r.event.refund_id == refund_id]
    if not created:
        raise ValueError(f"order {order_id} has no refund {refund_id!r}: nothing to draw")
    key, amount = created[0].event_id, created[0].event.amount
    messages = [
        ("shop", "event store", f"RefundCreated {refund_id}"),
        ("event store", "refund process", f"RefundCreated {refund_id}"),
    ]
    notes = {0: f"event id {_short(key)}"}
    paid_out = False
    for asked, answer in provider.requests:
        if asked != key:
            continue
        if paid_out:
            messages.append(("refund process", "refund process", "✗ dies before ConfirmRefund"))
            notes[len(messages) - 1] = "money sent, nothing recorded yet"
            messages.append(("refund process", "refund process", "restarts from its checkpoint"))
            messages.append(("event store", "refund process", "RefundCreated again"))
        messages.append(("refund process", "payment provider", f"pay {amount}, key {_short(key)}"))
        if answer is None:
            messages.append(("payment provider", "refund process", "✗ failed"))
        elif paid_out:
            messages.append(("payment provider", "refund process", "the same payout"))
            notes[len(messages) - 1] = "none paid twice"
        else:
            messages.append(("payment provider", "refund process", f"paid {amount}"))
        paid_out = paid_out or answer is not None
    paid = [r for r in stream if r.event_type == "RefundPaid" and r.event.refund_id == refund_id]
    if paid:
        record = store.command_record(paid[0].causation_id or "")  # the ConfirmRefund, as the shop recorded it
        cause = record.causation_id if record else None
        messages.append(("refund process", "shop", f"ConfirmRefund, caused by {_short(cause)}"))
        messages.append(("shop", "event store", f"RefundPaid {refund_id}"))
    return messages, notes
