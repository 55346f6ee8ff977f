"""Diagrams drawn from the code, so that a picture can never disagree with the rules.

``lifecycle_edges`` walks the order decider itself: from the initial state it
tries every command, keeps what ``decide`` accepts, and notes how the status
(``OrderState.status``, the one status rule) changes.  ``lifecycle_mermaid``
writes the result as a Mermaid state diagram, which GitHub draws in a
notebook's markdown; tests/test_exercises.py checks that notebook 1 shows
exactly this diagram.

``box_diagram`` draws boxes and labelled arrows; ``overview``, ``log_diagram``,
``decider_diagram`` and ``lifecycle_diagram`` are the notebooks' Mermaid
diagrams as pictures, which a saved notebook keeps for viewers that do not
draw Mermaid (GitHub, nbviewer), and the lifecycle picture is drawn from
``lifecycle_edges`` like the Mermaid one.  ``sequence_diagram`` draws messages between lanes; ``refund_messages`` reads
them for one refund from a run of the refund process (its order's stream, the
store's command records and the payment provider's requests), so that the
picture of a crash and a restart in notebook 6 is what the code did.
"""

from __future__ import annotations

from collections import deque
from decimal import Decimal
from typing import NamedTuple

from ..registry import event_type_name
from ..shop.commands import CancelOrder, ConfirmRefund, PayOrder, PlaceOrder, RequestRefund, ShipOrder
from ..shop.order import OrderError, OrderState, decide, fold, initial_state
from ..shop.payments import FakePaymentProvider
from ..shop.streams import stream_for
from ..store import InMemoryEventStore

__all__ = [
    "AUTOMATION",
    "REFUND_LANES",
    "STATE_CHANGE",
    "STATE_VIEW",
    "TRANSLATION",
    "Slice",
    "box_diagram",
    "checkpoint_diagram",
    "crash_diagram",
    "crypto_shredding_diagram",
    "decider_diagram",
    "event_model_diagram",
    "gap_diagram",
    "if_match_diagram",
    "lifecycle_diagram",
    "lifecycle_edges",
    "lifecycle_mermaid",
    "lifecycle_table",
    "log_diagram",
    "min_position_diagram",
    "order_event_model",
    "overview",
    "partitions_diagram",
    "refund_messages",
    "sequence_diagram",
    "upcaster_diagram",
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
    (``eventsim.workbook.charts.WIDTH``, ``FONT``), so it reads on GitHub without a kernel.
    """
    import matplotlib.pyplot as plt

    from .charts import FONT, WIDTH, describe

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
    steps = "; ".join(
        f"{n}. {source} {'does' if source == target else 'to ' + target}: {label.lstrip('✗ ')}"
        + (" (fails)" if label.startswith("✗") else "")
        + (f" ({notes[n - 1]})" if n - 1 in notes else "")
        for n, (source, target, label) in enumerate(messages, 1)
    )
    return describe(figure, f"Sequence diagram{': ' + title if title else ''}, lanes {', '.join(lanes)}. {steps}.")


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
    it), and what the provider was asked under the refund's reference (the
    ``RefundCreated`` event's id): pay-out requests, and lookups by reference.
    A lookup after a payout whose answer was not lost means that no
    ``ConfirmRefund`` followed the payout: the process died in between, and
    the one restarted on its journal found the request unanswered and, at its
    deadline, asked the provider by reference instead of paying again.  Labels
    are short: an arrow between neighbouring lanes has room for about 20 characters.
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
    # Requests and lookups under the key, in the order they were made: a lookup after the requests before it.
    calls = [(number, 0, answer) for number, (asked, answer) in enumerate(provider.requests) if asked == key]
    calls += [
        (before, 1, answer)
        for before, (reference, answer) in zip(provider.looked_up_after, provider.lookups, strict=True)
        if reference == key
    ]
    calls.sort(key=lambda call: (call[0], call[1]))
    for index, (number, lookup, answer) in enumerate(calls):
        if lookup:
            messages.append(("refund process", "payment provider", f"payout {_short(key)}?"))
            notes[len(messages) - 1] = "at the deadline, by reference"
            messages.append(("payment provider", "refund process", f"paid {amount}" if answer else "none"))
            if answer:
                notes[len(messages) - 1] = "none paid twice"
            continue
        messages.append(("refund process", "payment provider", f"pay {amount}, key {_short(key)}"))
        if number in provider.lost:
            messages.append(("payment provider", "refund process", "✗ no answer"))
        elif answer is None:
            messages.append(("payment provider", "refund process", "✗ failed"))
        else:
            messages.append(("payment provider", "refund process", f"paid {amount}"))
            if index + 1 < len(calls) and calls[index + 1][1]:  # looked up next: the answer never led to a confirmation
                messages.append(("refund process", "refund process", "✗ dies before ConfirmRefund"))
                notes[len(messages) - 1] = "money sent, nothing recorded yet"
                messages.append(("refund process", "refund process", "restarts from its journal"))
                notes[len(messages) - 1] = "it had asked: no blind retry"
    paid = [r for r in stream if r.event_type == "RefundPaid" and r.event.refund_id == refund_id]
    if paid:
        record = store.command_record(paid[0].causation_id or "")  # the ConfirmRefund, as the shop recorded it
        cause = record.causation_id if record else None
        messages.append(("refund process", "shop", f"ConfirmRefund, caused by {_short(cause)}"))
        messages.append(("shop", "event store", f"RefundPaid {refund_id}"))
    return messages, notes


# --- pictures that stand for the notebooks' Mermaid diagrams -----------------
#
# Mermaid is drawn by JupyterLab but not by GitHub or nbviewer inside a notebook, so each diagram that
# carries a lesson is also drawn here, as a small picture a saved notebook keeps.

Node = tuple[float, float, str]  # x, y (down the page), label


def box_diagram(
    nodes: dict[str, Node],
    edges: list[tuple[str, str, str]],
    title: str,
    alt: str,
    size: tuple[float, float] = (7.5, 3.2),
    bends: dict[tuple[str, str], float] | None = None,
    stores: frozenset[str] = frozenset(),
    fills: dict[str, str] | None = None,
):
    """Boxes at grid places joined by labelled arrows: a flowchart as a matplotlib figure.

    ``nodes`` maps a key to ``(x, y, label)`` (y grows down the page), ``edges`` are ``(from, to,
    label)``; ``bends`` curves an arrow (the ``arc3`` radius) that would cross a box; the keys in
    ``stores`` are drawn as rounded boxes, the rest square; ``fills`` colours a box (an event model's
    colours).  ``alt`` is the figure's text alternative.
    """
    import matplotlib.pyplot as plt

    from .charts import FONT, describe

    bends, fills = bends or {}, fills or {}
    figure, axes = plt.subplots(figsize=size)
    boxes = {}
    for key, (x, y, label) in nodes.items():
        boxes[key] = axes.text(
            x,
            y,
            label,
            ha="center",
            va="center",
            fontsize=FONT,
            zorder=3,
            bbox={
                "boxstyle": "round,pad=0.4" if key in stores else "square,pad=0.4",
                "facecolor": fills.get(key, "#e8eef7" if key in stores else "white"),
                "edgecolor": "#1f3b73",
            },
        )
    for source, target, label in edges:
        bend = bends.get((source, target), 0.0)
        axes.annotate(
            "",
            xy=nodes[target][:2],
            xytext=nodes[source][:2],
            arrowprops={
                "arrowstyle": "-|>",
                "color": "#1f3b73",
                "patchA": boxes[source].get_bbox_patch(),
                "patchB": boxes[target].get_bbox_patch(),
                "connectionstyle": f"arc3,rad={bend}",
                "shrinkA": 2,
                "shrinkB": 2,
            },
            zorder=2,
        )
        if label:
            (x1, y1, _), (x2, y2, _) = nodes[source], nodes[target]
            mx, my = (x1 + x2) / 2, (y1 + y2) / 2
            mx, my = mx - bend * (y2 - y1) / 2, my + bend * (x2 - x1) / 2  # on the bent arrow (y grows down)
            if y1 == y2 and not bend:
                my -= 0.3  # above a level arrow, clear of the boxes it joins
            axes.text(
                mx,
                my,
                label,
                ha="center",
                va="center",
                fontsize=FONT,
                color="#1f3b73",
                zorder=4,
                bbox={"boxstyle": "square,pad=0.1", "facecolor": "white", "edgecolor": "none"},
            )
    xs = [x for x, _, _ in nodes.values()]
    ys = [y for _, y, _ in nodes.values()]
    axes.set_xlim(min(xs) - 0.8, max(xs) + 0.8)
    axes.set_ylim(max(ys) + 0.6, min(ys) - 0.6)
    axes.axis("off")
    axes.set_title(title, fontsize=FONT + 1)
    figure.tight_layout()
    plt.close(figure)
    return describe(figure, alt)


def _flow_alt(what: str, nodes: dict[str, Node], edges: list[tuple[str, str, str]]) -> str:
    name = {key: label.replace("\n", " ") for key, (_, _, label) in nodes.items()}
    return (
        f"{what}: "
        + "; ".join(
            f"{name[a]} to {name[b]}" + (f" ({label.replace(chr(10), ' ')})" if label else "") for a, b, label in edges
        )
        + "."
    )


def overview(numbered: bool = False, services: bool = False):
    """The workbook's map: the write side, the event store, the read side and the process manager.

    ``numbered`` puts the recap's numbers in the boxes; ``services`` adds the other services the
    shop talks to (notebooks 8-11).
    """
    n = (lambda i: f"{i} · ") if numbered else (lambda i: "")
    nodes: dict[str, Node] = {
        "client": (0, 0, f"{n(1)}client"),
        "shop": (2.4, 0, f"{n(2)}Shop\ncommand handler"),
        "decider": (4.8, 0, f"{n(3)}Decider\ndecide + evolve"),
        "store": (2.4, 1.5, f"{n(4)}Event store\nappend-only log"),
        "process": (4.8, 1.5, f"{n(8)}Process\nmanager"),
        "projections": (2.4, 3.0, f"{n(5)}Projections"),
        "queries": (0, 4.2, f"{n(7)}Queries"),
        "read models": (2.4, 4.2, f"{n(6)}Read models"),
    }
    edges = [
        ("client", "shop", "command"),
        ("shop", "decider", "fold, decide"),
        ("decider", "shop", "new events"),
        ("shop", "store", "append\n(expected version)"),
        ("store", "projections", "subscribe"),
        ("projections", "read models", ""),
        ("client", "queries", "query"),
        ("queries", "read models", ""),
        ("store", "process", "subscribe"),
        ("process", "shop", "command"),
    ]
    if services:
        nodes["services"] = (4.8, 3.0, f"{n(9)}Other services\npayment provider, bus")
        edges += [("process", "services", "call with an\nidempotency key")]
    bends = {("shop", "decider"): 0.25, ("decider", "shop"): 0.25}
    return box_diagram(
        nodes,
        edges,
        "Commands in, events recorded, read models out",
        _flow_alt("The workbook's map, CQRS with event sourcing", nodes, edges),
        size=(7.5, 5.0),
        bends=bends,
        stores=frozenset({"store", "read models"}),
    )


def log_diagram():
    """Notebook 2's log: four events of two streams, each with a position in the log and a version in its stream."""
    nodes: dict[str, Node] = {
        f"p{i}": (1.6 * (i - 1), 0, f"position {i}\n{stream} v{version}")
        for i, (stream, version) in enumerate([("order-1", 1), ("order-1", 2), ("order-2", 1), ("order-1", 3)], 1)
    }
    edges = [(f"p{i}", f"p{i + 1}", "") for i in range(1, 4)]
    return box_diagram(
        nodes,
        edges,
        "One global log: a position for every event, a version within its stream",
        "One global log of four events, in position order: position 1 is order-1 version 1, position 2 is order-1 "
        "version 2, position 3 is order-2 version 1, position 4 is order-1 version 3. read_stream('order-1') "
        "gives positions 1, 2 and 4; read_all() gives all four.",
        size=(7.5, 1.5),
    )


def decider_diagram():
    """Notebook 3's Decider: decide turns a command and a state into events; evolve folds each event into the state."""
    nodes: dict[str, Node] = {
        "command": (0, 0, "command"),
        "state": (0, 1.4, "state"),
        "decide": (1.9, 0, "decide"),
        "events": (3.6, 0, "events\n(or OrderError)"),
        "evolve": (3.6, 1.4, "evolve"),
        "next": (5.4, 1.4, "next state"),
    }
    edges = [
        ("command", "decide", ""),
        ("state", "decide", ""),
        ("decide", "events", ""),
        ("events", "evolve", ""),
        ("state", "evolve", ""),
        ("evolve", "next", ""),
    ]
    return box_diagram(
        nodes,
        edges,
        "The Decider: decide, then evolve",
        _flow_alt("The Decider", nodes, edges),
        size=(7.5, 2.4),
        stores=frozenset({"state", "next"}),
    )


_STAGES = ["", "refund requested", "partially refunded", "refunded"]


def lifecycle_diagram():
    """The order lifecycle drawn from the rules (``lifecycle_edges``): one box per status, placed by
    where the order is (a row) and where its refunds are (a column); each arrow numbered, the key
    beside it says which events it records."""
    from .charts import FONT

    edges = lifecycle_edges()
    places: dict[str, Node] = {}
    rows = ["placed", "paid", "shipped", "cancelled"]
    for status in dict.fromkeys(s for before, after, _ in edges for s in (before, after)):
        if status == "new":
            places[status] = (-1.6, 0, "start")
            continue
        where, _, refunds = status.partition(", ")
        places[status] = (1.9 * _STAGES.index(refunds), 1.35 * rows.index(where), status.replace(", ", ",\n"))
    labels = list(dict.fromkeys(label for _, _, label in edges))
    numbered = [(before, after, str(labels.index(label) + 1)) for before, after, label in edges]
    bends = {
        (before, after): 0.35
        for before, after, _ in edges
        if before != "new" and abs(places[before][1] - places[after][1]) > 1.4 or places[before][0] > places[after][0]
    }
    figure = box_diagram(
        places,
        numbered,
        "The order lifecycle, computed from the rules",
        "The order lifecycle, computed from the rules: "
        + "; ".join(f"{before} to {after} by {label}" for before, after, label in edges)
        + ".",
        size=(7.5, 6.2),
        bends=bends,
    )
    figure.axes[0].set_position((0.0, 0.2, 1.0, 0.74))
    half = (len(labels) + 1) // 2
    for column, start in enumerate((0, half)):
        figure.text(
            0.03 + 0.4 * column,
            0.17,
            "\n".join(f"{i}  {label}" for i, label in enumerate(labels[start : start + half], start + 1)),
            fontsize=FONT,
            va="top",
        )
    figure.text(0.03, 0.2, "Each arrow records the events its number says:", fontsize=FONT, va="bottom")
    return figure


# --- the order flow as an event model (notebook 1b) ----------------------------

STATE_CHANGE, STATE_VIEW, AUTOMATION, TRANSLATION = "state change", "state view", "automation", "translation"


class Slice(NamedTuple):
    """One column of an event model: a pattern, who or what starts it, its command or read model, its events.

    ``events`` are the events a state change (or translation) records, or those a read model reads."""

    pattern: str
    trigger: str
    step: str
    events: tuple[str, ...]


def order_event_model() -> list[Slice]:
    """The order flow as Event Modeling draws it, one slice per column, left to right in time.

    The events of each state change are not written here: each command is run through ``decide``, on the
    state the slices before it left, so the picture records what the rules record."""
    state = initial_state
    slices: list[Slice] = []

    def change(pattern: str, trigger: str, command) -> None:
        nonlocal state
        events = decide(command, state)
        state = fold(events, state)
        slices.append(Slice(pattern, trigger, type(command).__name__, tuple(event_type_name(e) for e in events)))

    change(STATE_CHANGE, "checkout\n(customer)", PlaceOrder("1", _AMOUNT))
    change(STATE_CHANGE, "order page\n(customer)", PayOrder("1", _AMOUNT))
    slices.append(Slice(STATE_VIEW, "clerk's\nscreen", "paid orders\nto ship", ("OrderPaid", "OrderShipped")))
    change(STATE_CHANGE, "clerk's\nscreen", ShipOrder("1"))
    change(STATE_CHANGE, "returns page\n(customer)", RequestRefund("1", _PART))
    slices.append(Slice(AUTOMATION, "⚙ refund\nprocess", "refunds to\npay out", ("RefundCreated", "RefundPaid")))
    (refund,) = state.unpaid_refunds()
    change(TRANSLATION, "payment\nprovider", ConfirmRefund("1", refund.refund_id))
    return slices


#: Event Modeling's colours: commands blue, read models green, events orange.
_COMMAND, _VIEW, _EVENT = "#cfe0fc", "#d3f0d8", "#fdd9b0"


def event_model_diagram():
    """Notebook 1b: the order flow as an event model, in three lanes and one slice per column."""
    from .charts import FONT

    slices = order_event_model()
    nodes: dict[str, Node] = {}
    edges: list[tuple[str, str, str]] = []
    fills: dict[str, str] = {}
    views = frozenset(f"step{i}" for i, s in enumerate(slices) if s.pattern in (STATE_VIEW, AUTOMATION))
    recorded_at: dict[str, str] = {}  # event type -> the key of the box that drew it, for views to read
    for i, piece in enumerate(slices):
        x, trigger, step = 1.75 * i, f"trigger{i}", f"step{i}"
        nodes[step] = (x, 1.5, piece.step)
        fills[step] = _VIEW if step in views else _COMMAND
        if piece.pattern in (STATE_CHANGE, TRANSLATION):
            if i and slices[i - 1].pattern == STATE_VIEW and slices[i - 1].trigger == piece.trigger:
                trigger = f"trigger{i - 1}"  # the screen the view showed is where the command is sent from
            else:
                nodes[trigger] = (x, 0, piece.trigger)
            edges.append((trigger, step, ""))
            for n, name in enumerate(piece.events):
                event = f"event{i}.{n}"
                nodes[event], fills[event] = (x, 3.0 + 0.9 * n, name), _EVENT
                recorded_at[name] = event
                edges.append((step, event, ""))
        else:
            shown = (x + 0.85, 0, piece.trigger) if piece.pattern == STATE_VIEW else (x, 0, piece.trigger)
            nodes[trigger] = shown
            edges += [(recorded_at[name], step, "") for name in piece.events if name in recorded_at]
            edges.append((step, trigger, ""))
    automation = next(i for i, piece in enumerate(slices) if piece.pattern == AUTOMATION)
    edges.append((f"trigger{automation}", f"trigger{automation + 1}", "pay out"))
    verbs = {True: ("sends", "records"), False: ("reads", "reads")}
    described = [
        f"{piece.pattern}: {piece.trigger} {verbs[piece.pattern in (STATE_CHANGE, TRANSLATION)][0]} {piece.step}, "
        f"which {verbs[piece.pattern in (STATE_CHANGE, TRANSLATION)][1]} {' and '.join(piece.events)}"
        for piece in slices
    ]
    alt = (
        "The order flow as an event model, time running left to right: "
        + "; ".join(described).replace("\n", " ")
        + ". The refund process pays out through the payment provider."
    )
    figure = box_diagram(
        nodes,
        edges,
        "The order flow as an event model (time runs left to right)",
        alt,
        size=(10.5, 4.6),
        stores=views,
        fills=fills,
    )
    axes = figure.axes[0]
    left, right = axes.get_xlim()
    axes.set_xlim(left - 1.3, right)
    top, bottom = axes.get_ylim()
    axes.set_ylim(top, bottom - 0.5)
    for y, lane in (
        (0, "people,\nscreens,\nprocesses"),
        (1.5, "commands\n(blue), read\nmodels (green)"),
        (3.0, "events\n(orange)"),
    ):
        axes.text(left - 1.25, y, lane, fontsize=FONT - 1, va="center", ha="left", style="italic", color="#555555")
    for i, piece in enumerate(slices):
        axes.text(1.75 * i, -0.85, piece.pattern, fontsize=FONT - 1, ha="center", weight="bold", color="#1f3b73")
    return figure


# --- pictures for notebooks 8, 9 and 10 ----------------------------------------


def crash_diagram():
    """Notebook 8: a writer killed in the middle of an append leaves whole orders or none."""
    return sequence_diagram(
        ["writer process", "SQLite file", "reader"],
        [
            ("writer process", "SQLite file", "append order-40: 3 events, commit"),
            ("writer process", "SQLite file", "append order-41: 2 of 3 rows"),
            ("writer process", "writer process", "✗ killed (SIGKILL)"),
            ("reader", "SQLite file", "open as left, no repair step"),
            ("SQLite file", "reader", "order-40 whole; order-41 not there"),
        ],
        "A writer killed in the middle of an append",
        {2: "no commit: the unfinished append never becomes visible"},
    )


def checkpoint_diagram():
    """Notebook 8: a batch's rows and its checkpoint in one transaction, undone together by a crash."""
    return sequence_diagram(
        ["projection", "database"],
        [
            ("projection", "database", "begin; checkpoint is 40"),
            ("projection", "database", "rows for events 41-50, checkpoint 50"),
            ("projection", "projection", "✗ dies before commit"),
            ("database", "database", "undoes rows and checkpoint"),
            ("projection", "database", "restart: checkpoint is still 40"),
            ("projection", "database", "events 41-50 again; commit"),
        ],
        "One transaction: the rows and the checkpoint",
        {5: "rows and checkpoint always agree: no event lost, none applied twice"},
    )


def gap_diagram():
    """Notebook 8b: positions from a sequence; 8 commits before 7, and a reader that trusts its checkpoint skips 7."""
    return sequence_diagram(
        ["writer A", "writer B", "PostgreSQL", "reader"],
        [
            ("writer A", "PostgreSQL", "INSERT: takes position 7"),
            ("writer B", "PostgreSQL", "INSERT: takes position 8"),
            ("writer B", "PostgreSQL", "COMMIT: 8 visible"),
            ("reader", "PostgreSQL", "read position > 6"),
            ("PostgreSQL", "reader", "8 only: 7 is not committed"),
            ("reader", "reader", "checkpoint = 8"),
            ("writer A", "PostgreSQL", "COMMIT: 7 visible"),
            ("reader", "PostgreSQL", "✗ read position > 8: 7 never comes"),
        ],
        "Two transactions, 8 commits before 7",
        {5: "a sequence hands out numbers when asked, not in commit order"},
    )


def if_match_diagram():
    """Notebook 9: two clients race on one order; If-Match turns the stale write into 412, recording nothing."""
    return sequence_diagram(
        ["Alice", "shop server", "Bob"],
        [
            ("Alice", "shop server", "GET events"),
            ("shop server", "Alice", 'version 2, ETag "2"'),
            ("Bob", "shop server", "GET events"),
            ("shop server", "Bob", 'version 2, ETag "2"'),
            ("Alice", "shop server", 'refund, If-Match: "2"'),
            ("shop server", "Alice", "recorded: version 3"),
            ("Bob", "shop server", 'cancel, If-Match: "2"'),
            ("shop server", "Bob", "✗ 412 Precondition Failed"),
        ],
        "Two clients racing: If-Match",
        {7: "nothing recorded; Bob reads again and decides again"},
    )


def min_position_diagram():
    """Notebook 9: minPosition makes a read wait for the read model, or answer 503, never stale."""
    return sequence_diagram(
        ["client", "shop server", "read model"],
        [
            ("client", "shop server", "POST payment"),
            ("shop server", "client", "recorded at position p"),
            ("read model", "read model", "behind: before p"),
            ("client", "shop server", "GET order, minPosition=p"),
            ("shop server", "read model", "wait until at p (bounded)"),
            ("shop server", "client", "✗ 503, Retry-After"),
            ("read model", "read model", "catches up to p"),
            ("client", "shop server", "GET order, minPosition=p"),
            ("shop server", "client", "200: paid"),
        ],
        "Read your own write: minPosition",
        {5: "never a stale answer presented as fresh"},
    )


def upcaster_diagram():
    """Notebook 10: an old payload goes through the chain of upcasters, one step per version, as it is read."""
    nodes: dict[str, Node] = {
        "placed": (0, 0, 'OrderPlaced v1\n{"orderId", "total"}'),
        "created1": (2.8, 0, 'OrderCreated v1\n{"orderId", "amount"}'),
        "created2": (5.6, 0, 'OrderCreated v2\n{"orderId", "amount",\n"currency": "EUR"}'),
        "fold": (5.6, 1.5, "today's code:\nfold, read models"),
        "log": (0, 1.5, "the stored log,\nnever rewritten"),
    }
    edges = [
        ("log", "placed", "read"),
        ("placed", "created1", "placed_to_created"),
        ("created1", "created2", "add_currency"),
        ("created2", "fold", ""),
    ]
    return box_diagram(
        nodes,
        edges,
        "Upcasters: one step per version, applied on every read",
        _flow_alt("The chain of upcasters", nodes, edges),
        size=(7.5, 2.6),
        stores=frozenset({"log"}),
    )


def crypto_shredding_diagram():
    """Notebook 10: personal data sealed with the customer's key; forgetting deletes the key, not the events."""
    return sequence_diagram(
        ["shop", "key store", "event log", "read model"],
        [
            ("shop", "key store", "seal with alice's key"),
            ("shop", "event log", "OrderCreated, sealed data"),
            ("read model", "key store", "open with alice's key"),
            ("read model", "read model", "opens: Alice Liddell"),
            ("shop", "key store", "forget alice: delete keys"),
            ("read model", "event log", "OrderCreated, unchanged"),
            ("read model", "read model", "✗ no key: (forgotten)"),
        ],
        "Crypto-shredding: forget a customer, keep the log",
        {1: "the log holds only sealed text", 6: "the facts stay; her data cannot be read by anyone"},
    )


def partitions_diagram(topic, consumer, label=None):
    """Notebook 8c: a topic's partitions as rows of messages, and where a consumer's checkpoint is in each.

    Drawn from the model itself (``eventsim.workbook.partitions``): one row per partition, one box per message still
    kept (its offset and key, and under them ``label(message)``), coloured by key; a red line before the
    consumer's committed offset in each row.  Messages left of it are done, the rest are still to read.
    """
    import matplotlib.pyplot as plt
    from matplotlib.patches import Rectangle

    from .charts import FONT, WIDTH, describe

    label = label or (lambda message: "")
    keys = sorted({m.key for m in topic.messages()})
    colours = dict(zip(keys, ["#dbe7f6", "#fbe3c8", "#d8efd9", "#f3d6e4", "#e6e0f3", "#f6f0c4"] * len(keys)))
    width = max([topic.end_offset(p) for p in range(topic.partitions)] + [4])
    figure, axes = plt.subplots(figsize=(WIDTH, 0.8 + 0.95 * topic.partitions))
    rows = []
    for p in range(topic.partitions):
        y = topic.partitions - 1 - p
        axes.text(-0.15, y, f"partition {p}", ha="right", va="center", fontsize=FONT, weight="bold")
        kept = topic.read(p, topic.log_start(p))
        for m in kept:
            axes.add_patch(
                Rectangle((m.offset + 0.04, y - 0.32), 0.92, 0.64, facecolor=colours[m.key], edgecolor="#1f3b73")
            )
            axes.text(m.offset + 0.5, y, f"{m.offset} · {m.key}\n{label(m)}", ha="center", va="center", fontsize=FONT)
        committed = consumer.committed[p]
        axes.plot([committed] * 2, [y - 0.42, y + 0.42], color="#b00020", linewidth=3)
        axes.text(committed + 0.05, y + 0.36, f"committed: {committed}", fontsize=FONT, color="#b00020")
        done = sum(m.offset < committed for m in kept)
        offsets = ", ".join(f"{m.offset} ({m.key} {label(m)})".replace(" )", ")") for m in kept)
        rows.append(
            f"partition {p}: offsets {offsets or 'none'}; "
            f"committed offset {committed}, {done} done, {len(kept) - done} to read"
        )
    axes.set_xlim(-1.3, width + 0.1)
    axes.set_ylim(-0.55, topic.partitions - 0.3)
    axes.axis("off")
    axes.set_title(f"Topic {topic.name}: one checkpoint per partition", fontsize=FONT + 1)
    figure.tight_layout()
    plt.close(figure)
    return describe(figure, f"Topic {topic.name}, {topic.partitions} partitions, a row each. " + "; ".join(rows) + ".")
