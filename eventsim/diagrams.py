"""Diagrams drawn from the code, so that a picture can never disagree with the rules.

``lifecycle_edges`` walks the order decider itself: from the initial state it
tries every command, keeps what ``decide`` accepts, and notes how the status
(``OrderState.status``, the one status rule) changes.  ``lifecycle_mermaid``
writes the result as a Mermaid state diagram, which GitHub draws in a
notebook's markdown; tests/test_exercises.py checks that notebook 1 shows
exactly this diagram.
"""

from __future__ import annotations

from collections import deque
from decimal import Decimal

from .commands import CancelOrder, ConfirmRefund, PayOrder, PlaceOrder, RequestRefund, ShipOrder
from .events import event_type_name
from .order import OrderError, OrderState, decide, fold, initial_state

__all__ = ["lifecycle_edges", "lifecycle_mermaid", "lifecycle_table", "sequence_diagram"]

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
    lost or refused).  ``notes`` puts a remark in the margin beside message
    number ``i``.  A static picture: it reads on GitHub without a kernel.
    """
    import matplotlib.pyplot as plt

    notes = notes or {}
    x = {lane: i for i, lane in enumerate(lanes)}
    height = 1.2 + 0.55 * len(messages)
    figure, axes = plt.subplots(figsize=(2.6 * len(lanes) + (2.6 if notes else 0.4), height))
    for lane, i in x.items():
        axes.plot([i, i], [0.2, len(messages) + 0.6], color="#555555", linewidth=1, zorder=1)
        axes.text(
            i,
            len(messages) + 0.8,
            lane,
            ha="center",
            va="bottom",
            fontsize=10,
            weight="bold",
            bbox={"boxstyle": "round", "facecolor": "#eef2f7", "edgecolor": "#555555"},
        )
    for n, (source, target, label) in enumerate(messages):
        y = len(messages) - n
        failed = label.startswith("✗")
        style = {"color": "#b00020" if failed else "#1f3b73", "linestyle": "--" if failed else "-"}
        if source == target:  # something the lane does by itself: a box on its lifeline
            axes.text(
                x[source],
                y,
                label,
                ha="center",
                va="center",
                fontsize=9,
                color=style["color"],
                bbox={"boxstyle": "square", "facecolor": "white", "edgecolor": style["color"]},
            )
        else:
            axes.annotate(
                "",
                xy=(x[target], y),
                xytext=(x[source], y),
                arrowprops={"arrowstyle": "->", "linestyle": style["linestyle"], "color": style["color"]},
            )
            axes.text(
                (x[source] + x[target]) / 2, y + 0.08, label, ha="center", va="bottom", fontsize=9, color=style["color"]
            )
        if n in notes:
            axes.text(len(lanes) - 0.4, y, notes[n], fontsize=9, va="center", color="#333333", style="italic")
    axes.set_xlim(-0.7, len(lanes) - 0.3 + (2.4 if notes else 0))
    axes.set_ylim(0, len(messages) + 1.5)
    axes.axis("off")
    if title:
        axes.set_title(title, fontsize=11)
    figure.tight_layout()
    plt.close(figure)
    return figure
