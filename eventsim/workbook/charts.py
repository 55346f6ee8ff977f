"""Charts that let a learner see event sourcing: streams as lanes in time,
one order's events by their time since it was placed, state changing event
by event, a read model lagging behind the log, and what a replay costs.

Every chart takes plain data (recorded or logged events, or tuples) and
returns a new ``Figure``; ``place_by_age`` alone changes a figure, moving
the markers of an ``order_age`` chart.  Each figure is made with pyplot and
closed at once: pyplot keeps nothing, and Jupyter shows the figure exactly
once when it is a cell's value.  (A bare ``matplotlib.figure.Figure()``
shows only as ``<Figure size ...>`` in a fresh kernel.)  Amounts become
floats here, for drawing only.

Every chart carries a text alternative (``alt_text``): in a notebook it is
shown as a Markdown image with that alt text, which JupyterLab, nbconvert,
GitHub and screen readers all understand, and which a saved notebook keeps.
PNGs carry no timestamp or software name, so the same chart makes the same bytes.
"""

from __future__ import annotations

import base64
import io
import zlib
from collections.abc import Iterable
from datetime import UTC, datetime
from itertools import pairwise
from typing import Any
from weakref import WeakKeyDictionary

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import PIL.Image
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import MaxNLocator, NullLocator, StrMethodFormatter

from ..clock import to_datetime, to_timestamp
from ..registry import event_type as registration
from ..shop.order import evolve, initial_state
from ..shop.payments import confirm_command_id

__all__ = [
    "EVENT_STYLE",
    "alt_text",
    "describe",
    "png",
    "small_png",
    "causation",
    "order_age",
    "order_state",
    "paint",
    "style_of",
    "place_by_age",
    "read_model_lag",
    "replay_cost",
    "store_activity",
    "timeline",
    "two_clocks",
]

#: One colour (Okabe-Ito, readable with colour blindness) and one marker per event type, in every chart.
EVENT_STYLE = {
    "OrderCreated": {"color": "#0072B2", "marker": "o"},
    "OrderPaid": {"color": "#009E73", "marker": "s"},
    "RefundCreated": {"color": "#E69F00", "marker": "v"},
    "RefundPaid": {"color": "#D55E00", "marker": "D"},
    "OrderCancelled": {"color": "#CC79A7", "marker": "X"},
    "OrderShipped": {"color": "#56B4E9", "marker": ">"},
}
#: A fill per event type for stacked areas, so that colour is never the only clue.
HATCH = {
    "OrderCreated": "",
    "OrderPaid": "//",
    "RefundCreated": "xx",
    "RefundPaid": "..",
    "OrderCancelled": "\\\\",
    "OrderShipped": "--",
}
#: Colours and markers for the event types of a domain the workbook does not know (a learner's own):
#: each type takes one by a checksum of its name, so it keeps its look from chart to chart and run to run.
OTHER_COLORS = ("#0072B2", "#009E73", "#E69F00", "#D55E00", "#CC79A7", "#56B4E9", "#000000")
OTHER_MARKERS = ("o", "s", "v", "D", "X", ">", "^", "P")
LATER = "#767676"  # events after a time-travel cursor, drawn hollow: 4.5:1 on white, as WCAG asks of text
LANE = "0.55"  # an order's life in its lane, first to last event: 3.4:1 on white, as WCAG asks of graphics
CURRENCY = "€"
#: Inches, for every chart.  Text of ``FONT`` points stays at least 10 CSS px as long as a chart is shown
#: at least ``WIDTH * 72`` px wide (540 px): the notebook column is 590 px at 1024×768 with the file browser open.
WIDTH = 7.5
FONT = 10  # points, the smallest text in any chart
MAX_HEIGHT = 6.5  # inches: about a laptop screen's height as shown, so the time axis stays in view
MAX_BUCKETS = 20_000
HOUR = 3600  # seconds
#: The fixed ticks of ``order_age``, in seconds since the order was placed; the last is its right edge.
#: (A tick at 1 week would crowd the one at 3 weeks: half a decade apart on the log scale.)
AGES = {"0": 0, "1 min": 60, "1 h": HOUR, "1 day": 24 * HOUR, "3 weeks": 21 * 24 * HOUR}
MAX_AGE = AGES["3 weeks"]


PNG_DPI = 80  # a chart 7.5 in wide is 600 px: the size the notebook column shows it at
_ALT: WeakKeyDictionary[Figure, str] = WeakKeyDictionary()


def describe(fig: Figure, text: str) -> Figure:
    """Give ``fig`` its text alternative: what a reader who cannot see it should learn from it."""
    _ALT[fig] = " ".join(text.split())
    _show_with_alt_text()
    return fig


def alt_text(fig: Figure) -> str:
    """The text alternative of ``fig``: what ``describe`` gave it, else its titles."""
    titles = [ax.get_title() for ax in fig.axes if ax.get_title()]
    return _ALT.get(fig) or ("Chart: " + "; ".join(titles) if titles else "A chart")


def png(fig: Figure) -> bytes:
    """``fig`` as a small PNG with no timestamp or software name: the same chart, the same bytes."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=PNG_DPI, metadata={"Software": None})
    return small_png(buffer.getvalue())


def small_png(data: bytes) -> bytes:
    """A PNG to keep in a notebook, a third of the size: 64 colours (a chart has a dozen, and the shades
    of their smoothed edges), compressed hard.  Deterministic, so the same picture keeps the same bytes."""
    picture = PIL.Image.open(io.BytesIO(data)).convert("RGB").quantize(64, method=PIL.Image.Quantize.MEDIANCUT)
    buffer = io.BytesIO()
    picture.save(buffer, format="png", optimize=True, dpi=(PNG_DPI, PNG_DPI))
    return buffer.getvalue()


def _markdown(fig: Figure) -> str:
    """A chart as a cell shows it: a Markdown image whose alt text says what the chart shows."""
    alt = alt_text(fig).replace("[", "(").replace("]", ")")
    return f"![{alt}](data:image/png;base64,{base64.b64encode(png(fig)).decode()})"


def _show_with_alt_text() -> None:
    """In IPython, show every figure as a Markdown image with its alt text, in place of a bare PNG
    (which JupyterLab shows with no alt text at all).

    Called whenever a chart is made: the inline backend sets its own PNG formatter when the first
    figure is drawn, and the last one set is the one IPython uses."""
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython comes with Jupyter
        return
    shell = get_ipython()
    if shell is None:
        return
    formatters = shell.display_formatter.formatters
    formatters["text/markdown"].for_type(Figure, _markdown)
    formatters["image/png"].for_type(Figure, lambda fig: None)  # the Markdown image stands for it


def _figure(height: float) -> tuple[Figure, Any]:
    with plt.rc_context({"font.size": FONT, "axes.titlesize": FONT + 1, "legend.fontsize": FONT}):
        fig, ax = plt.subplots(figsize=(WIDTH, height), layout="constrained")
    plt.close(fig)  # returned, not kept: see the module docstring
    _show_with_alt_text()
    return fig, ax


def _require(items: Iterable[Any], chart: str, what: str = "events") -> list[Any]:
    items = list(items)
    if not items:
        raise ValueError(f"{chart}: no {what} to draw")
    return items


def _one_order(events: list[Any], chart: str) -> None:
    orders = sorted({e.event.order_id for e in events})
    if len(orders) > 1:
        raise ValueError(f"{chart} draws one order, but the events are from orders {', '.join(orders)}")


def style_of(event_type: str) -> dict[str, str]:
    """The colour and marker of an event type: the shop's own (``EVENT_STYLE``), or one picked for any other."""
    if event_type in EVENT_STYLE:
        return EVENT_STYLE[event_type]
    pick = zlib.crc32(event_type.encode())
    return {"color": OTHER_COLORS[pick % len(OTHER_COLORS)], "marker": OTHER_MARKERS[pick % len(OTHER_MARKERS)]}


def _stream(e: Any) -> str:
    """The stream an event is kept in: its envelope's, or (a log line that names none) its domain's rule."""
    if getattr(e, "stream_id", None) is not None:
        return str(e.stream_id)
    rule = registration(e.event).stream_of
    if rule is None:
        raise ValueError(f"a {type(e.event).__name__} event names no stream, and its domain gives no rule for one")
    return rule(e.event)


def _lane_names(streams: list[str]) -> tuple[str, list[str]]:
    """What the lanes are (``"order"``) and each lane's label (``"123456"``).

    Stream ids of the form ``<category>-<id>`` (``"order-123456"``) are drawn by their ids under their
    category when they all share one, as EventStoreDB's ``$by_category`` projection reads them; any other
    stream ids are drawn whole, as streams.
    """
    categories = {stream.partition("-")[0] for stream in streams}
    if len(categories) == 1 and all("-" in stream for stream in streams):
        return categories.pop(), [stream.partition("-")[2] for stream in streams]
    return "stream", streams


def _in_style_order(types: Iterable[str]) -> list[str]:
    """Event types in legend order: the shop's in ``EVENT_STYLE``'s order, then any others by name."""
    types = set(types)
    return [name for name in EVENT_STYLE if name in types] + sorted(types - EVENT_STYLE.keys())


def _a(noun: str) -> str:
    return f"{'an' if noun[:1] in 'aeiou' else 'a'} {noun}"


def _time_axis(ax: Any, label: str = "recorded at (UTC)") -> None:
    """Ticks that say what they mean (a date as 08-08, a time as 12:00, never "30 23:34"), and no
    offset label in the corner: the label under the axis says from when to when instead."""
    locator = mdates.AutoDateLocator(tz=UTC, maxticks=8)
    formatter = mdates.ConciseDateFormatter(
        locator,
        tz=UTC,
        formats=["%Y", "%Y-%m", "%m-%d", "%H:%M", "%H:%M", "%H:%M:%S"],
        zero_formats=["%Y", "%Y-%m", "%m-%d", "%m-%d", "%H:%M", "%H:%M"],
        show_offset=False,
    )
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(formatter)
    first, last = ax.dataLim.x0, ax.dataLim.x1  # the data's own span, not the margins around it
    start, end = mdates.num2date(first, tz=UTC), mdates.num2date(max(first, last - 1 / 86_400), tz=UTC)
    span = f"{start:%Y-%m-%d}" if start.date() == end.date() else f"{start:%Y-%m-%d} to {end:%Y-%m-%d}"
    ax.set_xlabel(f"{label}, {span}")


def _legend(ax: Any, handles: list[Any]) -> None:
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False, fontsize=FONT)


def _marker(label: str, color: str, marker: str, fill: str | None = None) -> Line2D:
    """A legend entry: a marker with no line (hollow with ``fill="white"``)."""
    return Line2D(
        [], [], linestyle="", markersize=8, label=label, color=color, marker=marker, markerfacecolor=fill or color
    )


def paint(markers: Any, later: list[bool]) -> None:
    """Colour one event type's markers: its own colour, or hollow and grey where ``later`` says so.

    Hollow, not only grey, so that "later" never depends on seeing colour.
    """
    color = style_of(markers.get_label())["color"]
    markers.set_facecolors(["white" if is_later else color for is_later in later])
    markers.set_edgecolors([LATER if is_later else color for is_later in later])


def timeline(
    events: Iterable[Any],
    *,
    window: tuple[Any, Any] | None = None,
    highlight_until: int | None = None,
    max_lanes: int = 25,
) -> Figure:
    """One lane per stream (per order, in the shop), one marker per event at the time it was recorded.

    ``window=(start, end)`` keeps the events recorded between the two, both
    included (Unix seconds, datetimes or ISO strings).  ``highlight_until`` is
    a time-travel cursor: later events are drawn hollow and grey.  It is a version when
    every event is from one stream, otherwise a position in the log.  With
    more than ``max_lanes`` streams, the ``max_lanes`` begun last are drawn
    and the title says so.  Events of one stream too close in time to tell
    apart (appended together, or paid in the minute it was placed) are
    spread across their lane.  When all the events share one time, the axis
    shows the hour either side of it.

    The markers of each event type are one collection, labelled with the
    type, in time order: a time-travel cursor can repaint them without
    drawing the chart again (``widgets.TimeTravel`` does).
    """
    events = sorted(_require(events, "timeline"), key=lambda e: e.recorded_at)  # stable: log order kept
    cursor = "version" if len({_stream(e) for e in events}) == 1 else "position"
    if highlight_until is not None and any(getattr(e, cursor) is None for e in events):
        raise ValueError(f"timeline: highlight_until needs the {cursor} of every event, and some have none")
    if window is not None:
        start, end = (to_timestamp(moment) for moment in window)
        if start > end:
            raise ValueError(f"timeline: the window starts ({to_datetime(start)}) after it ends ({to_datetime(end)})")
        events = [e for e in events if start <= e.recorded_at <= end]
        if not events:
            raise ValueError(f"timeline: no events recorded between {to_datetime(start)} and {to_datetime(end)}")
    streams = list(dict.fromkeys(_stream(e) for e in events))  # in the order of their first event
    lanes = {stream: lane for lane, stream in enumerate(streams[-max_lanes:])}
    events = [e for e in events if _stream(e) in lanes]
    kind, labels = _lane_names(list(lanes))

    fig, ax = _figure(height=min(MAX_HEIGHT, max(2.5, 1.6 + 0.19 * len(lanes))))
    spans: dict[str, list[int]] = {}  # stream id -> [first, last] recorded_at
    for e in events:
        spans.setdefault(_stream(e), [e.recorded_at, e.recorded_at])[1] = e.recorded_at
    for stream, (first, last) in spans.items():
        ax.plot([to_datetime(first), to_datetime(last)], [lanes[stream]] * 2, color=LANE, zorder=1)
    if window is None:
        start, end = events[0].recorded_at, events[-1].recorded_at
    near = max(1, (end - start) // 40)  # closer than this (about a marker's width), markers would overlap
    groups = _close_together(events, near)
    points: dict[str, list[tuple[datetime, float, bool]]] = {}  # event type -> (x, y, later), in time order
    for e in events:
        index, size = groups[id(e)]
        y = lanes[_stream(e)] + (index - (size - 1) / 2) * min(0.2, 0.4 / size)  # near the lane line
        later = highlight_until is not None and getattr(e, cursor) > highlight_until
        points.setdefault(e.event_type, []).append((to_datetime(e.recorded_at), y, later))
    for event_type, drawn in points.items():
        xs, ys, laters = zip(*drawn)
        markers = ax.scatter(
            xs,
            ys,
            s=70 if len(lanes) <= 10 else 36,
            marker=style_of(event_type)["marker"],
            label=event_type,
            zorder=2,
            linewidths=1.2,
        )
        paint(markers, list(laters))

    ax.set_yticks(range(len(lanes)), labels, fontsize=FONT)
    ax.set_ylim(len(lanes) - 0.5, -0.5)  # first stream at the top
    ax.set_ylabel(f"{kind} id")
    if start == end:  # one moment: matplotlib alone would show years around it
        start, end = start - HOUR, end + HOUR
    margin = (end - start) // 20  # 5%, as matplotlib would have: keeps the markers on the edges whole
    ax.set_xlim(to_datetime(start - margin), to_datetime(end + margin))
    _time_axis(ax)
    present = _in_style_order({e.event_type for e in events})
    handles = [_marker(name, **style_of(name)) for name in present]
    if highlight_until is not None and any(getattr(e, cursor) > highlight_until for e in events):
        handles.append(_marker(f"after {cursor} {highlight_until}", LATER, "o", fill="white"))
    handles.append(Line2D([], [], color=LANE, label=f"{_a(kind)}, first\nto last event"))
    _legend(ax, handles)
    shown = (
        f"the last {len(lanes)} of {len(streams)} {kind}s"
        if len(streams) > len(lanes)
        else f"{len(lanes)} {kind}{'s' * (len(lanes) != 1)}"
    )
    ax.set_title(f"{len(events)} events in {shown}, a lane each")
    types = ", ".join(present)
    return describe(
        fig,
        f"Timeline: {len(events)} events in {shown}, one lane per {kind}, each event a marker at the time it "
        f"was recorded, from {_utc_label(events[0].recorded_at)} to {_utc_label(events[-1].recorded_at)} UTC. "
        f"Event types: {types}."
        + (f" Events after {cursor} {highlight_until} are hollow and grey." if highlight_until is not None else ""),
    )


def _close_together(events: list[Any], near: int) -> dict[int, tuple[int, int]]:
    """For each event (by ``id``), its place in its group and the group's size: a group is the
    events of one stream recorded within ``near`` seconds of the group's first."""
    groups: list[list[Any]] = []
    last: dict[str, list[Any]] = {}  # stream id -> its current group
    for e in events:  # in time order
        group = last.get(_stream(e))
        if group is None or e.recorded_at - group[0].recorded_at > near:
            group = last[_stream(e)] = []
            groups.append(group)
        group.append(e)
    return {id(e): (index, len(group)) for group in groups for index, e in enumerate(group)}


def order_age(events: Iterable[Any] = ()) -> Figure:
    """One order's events by their time since it was placed, one row per event type
    (so that events recorded together stay apart).

    The x axis is the same for every order: a linear first minute, then a
    log scale out to three weeks (``MAX_AGE``), so that a payment a minute
    after placing and a refund two weeks later both find room.  Events later
    than that are drawn at three weeks, and the axis label says so.  With no
    events, the empty chart.

    Nothing but the markers depends on the order, so a widget can draw the
    chart once and then move only its markers to another order with
    ``place_by_age`` (``widgets.OrderExplorer`` does).
    """
    fig, ax = _figure(height=3.4)
    for event_type, style in EVENT_STYLE.items():  # one collection per type, in this order, maybe empty
        ax.scatter([], [], s=70, label=event_type, zorder=2, **style)
    _legend(ax, [_marker(name, **style) for name, style in EVENT_STYLE.items()])
    place_by_age(fig, events)

    ax.set_xscale("symlog", linthresh=AGES["1 min"], linscale=0.5)  # the first minute: half a decade wide
    ax.set_xticks(list(AGES.values()), list(AGES))
    ax.xaxis.set_minor_locator(NullLocator())
    ax.set_xlim(-AGES["1 min"] / 4, MAX_AGE * 1.3)  # a margin keeps the markers on the edges whole
    ax.set_xlabel("time since the order was placed, log scale\n(events later than 3 weeks are drawn at 3 weeks)")
    ax.set_yticks(range(len(EVENT_STYLE)), list(EVENT_STYLE))
    ax.set_ylim(len(EVENT_STYLE) - 0.5, -0.5)  # OrderCreated at the top
    ax.set_ylabel("event type")
    ax.grid(color="0.9")
    ax.set_axisbelow(True)
    ax.set_title("This order's events, by time since it was placed")
    return fig


def place_by_age(fig: Figure, events: Iterable[Any]) -> None:
    """Put the markers of an ``order_age`` chart at these events, one order's, and change nothing else.

    x is the time since the order's first event (its ``OrderCreated``), at
    most ``MAX_AGE``; y is the row of the event's type.
    """
    events = list(events)
    _one_order(events, "order_age")
    if events and events[0].event_type != "OrderCreated":
        raise ValueError(
            f"order_age measures from the order's OrderCreated, but the first event is {events[0].event_type}"
        )
    placed = events[0].recorded_at if events else 0
    for row, markers in enumerate(fig.axes[0].collections):  # in the order of EVENT_STYLE
        ages = [min(e.recorded_at - placed, MAX_AGE) for e in events if e.event_type == markers.get_label()]
        markers.set_offsets(np.reshape([(age, row) for age in ages], (-1, 2)))  # (x, y) pairs, even none


def order_state(events: Iterable[Any]) -> Figure:
    """Paid, refunds requested, refunds paid out and net amount of one order after each of its events.

    The state is the fold of the events with ``evolve``, drawn one step per
    event; an upright label marks each change of status.  "Refunds requested" counts
    every refund asked for, paid out or not (``OrderState.refunds_requested``).
    Lines differ in width and marker as well as colour, so that equal values stay visible.
    """
    events = _require(events, "order_state")
    _one_order(events, "order_state")
    if events[0].version not in (1, None):
        raise ValueError(f"order_state folds the whole stream, but it starts at version {events[0].version}")
    states = [initial_state]
    for e in events:
        states.append(evolve(states[-1], e.event))
    steps = range(len(states))  # step 0: before the first event

    fig, ax = _figure(height=5)
    # Widest line underneath, so that lines with equal values all stay visible.
    for name, amounts, color, width, marker in (
        ("net (paid − refunds requested)", [s.net for s in states], (0, 0, 0, 0.25), 8, "o"),
        ("paid", [s.paid for s in states], EVENT_STYLE["OrderPaid"]["color"], 4, "s"),
        ("refunds requested", [s.refunds_requested for s in states], EVENT_STYLE["RefundCreated"]["color"], 2.5, "v"),
        ("refunds paid out", [s.refunds_paid for s in states], EVENT_STYLE["RefundPaid"]["color"], 1, "D"),
    ):
        ax.step(
            steps,
            [float(a) for a in amounts],
            where="post",
            color=color,
            linewidth=width,
            marker=marker,
            markersize=width + 3,
            label=name,
        )
    top = float(max(s.amount for s in states)) or 1.0
    changes = [step for step in steps[1:] if states[step].status != states[step - 1].status]
    # Status labels sit above the lines, one row each, level and readable: the axis ends just above them.
    ax.set_ylim(-0.05 * top, top * (1.15 + 0.12 * len(changes)))
    ax.yaxis.set_major_locator(MaxNLocator(nbins=5, steps=[1, 2, 2.5, 5, 10]))
    ax.set_yticks([tick for tick in ax.get_yticks() if -0.05 * top <= tick <= top * 1.05])
    for row, step in enumerate(changes):
        ax.axvline(step, color="0.75", linestyle=":", zorder=0)
        ax.text(
            step,
            top * (1.1 + 0.12 * row),
            states[step].status,
            va="bottom",
            ha="left" if step < len(steps) / 2 else "right",
            fontsize=FONT,
        )
    ax.set_xticks(
        steps, ["start"] + [f"{step}. {e.event_type}" for step, e in enumerate(events, 1)], rotation=25, ha="right"
    )
    ax.set_xlabel("event in the order's stream (version)")
    ax.set_ylabel(f"amount ({CURRENCY})")
    _legend(ax, ax.get_legend_handles_labels()[0])
    ax.set_title(f"Order {events[0].event.order_id}: money after each event (now {states[-1].status})")
    story = "; ".join(
        f"after {e.event_type}: {s.status}, paid {s.paid:.2f}, refunds requested {s.refunds_requested:.2f}, "
        f"paid out {s.refunds_paid:.2f}"
        for e, s in zip(events, states[1:])
    )
    return describe(fig, f"Step chart of order {events[0].event.order_id}'s money after each event. {story}.")


def store_activity(events: Iterable[Any], bucket: str = "1h") -> Figure:
    """How many events of each type were recorded per time bucket, stacked.

    ``events``: a store's ``read_all()`` or a log's ``read_jsonl(...)``.
    ``bucket``: a duration pandas reads, such as ``"15min"``, ``"1h"``, ``"1D"``.
    """
    events = _require(events, "store_activity")
    try:
        width = pd.Timedelta(bucket)
    except ValueError:
        raise ValueError(f"store_activity: bucket {bucket!r} is not a duration such as '15min', '1h' or '1D'") from None
    if width <= pd.Timedelta(0):
        raise ValueError(f"store_activity: bucket {bucket!r} is not a positive duration")
    starts = pd.to_datetime([e.recorded_at for e in events], unit="s").floor(width)  # naive, in UTC
    counts = pd.crosstab(starts, pd.Series([e.event_type for e in events], name="event type"))
    edges = pd.date_range(counts.index.min(), counts.index.max() + width, freq=width)
    if len(edges) - 1 > MAX_BUCKETS:
        raise ValueError(
            f"store_activity: {len(edges) - 1:,} buckets of {bucket} are too many to draw "
            f"(at most {MAX_BUCKETS:,}); choose a larger bucket"
        )
    counts = counts.reindex(edges[:-1], fill_value=0)[_in_style_order(counts)]
    tops = counts.cumsum(axis=1)  # each type stacked on the ones before it

    fig, ax = _figure(height=4.5)
    for name in counts:  # one filled step outline per type: fast however many buckets
        ax.stairs(
            tops[name],
            mdates.date2num(edges.to_numpy()),
            baseline=tops[name] - counts[name],
            fill=True,
            facecolor=style_of(name)["color"],
            edgecolor="0.15",
            linewidth=0.4,
            hatch=HATCH.get(name, ""),
            label=name,
        )
    words = _duration(width)
    _time_axis(ax, f"recorded at (UTC), per {words}")
    ax.set_ylim(0, tops.iloc[:, -1].max() * 1.1)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_ylabel(f"events per {words}")
    _legend(ax, ax.get_legend_handles_labels()[0])
    ax.set_title(f"Store activity: {len(events)} events, per {words}")
    busiest = tops.iloc[:, -1]
    return describe(
        fig,
        f"Stacked bar chart: {len(events)} events recorded per {words}, by event type "
        f"({', '.join(counts)}), over {len(counts)} buckets; the busiest has {busiest.max()} events "
        f"(from {busiest.idxmax():%Y-%m-%d %H:%M} UTC).",
    )


def _duration(width: pd.Timedelta) -> str:
    """A bucket's width in words: "day", "4 hours", "15 minutes" (never pandas' "1D")."""
    seconds = int(width.total_seconds())
    for unit, size in (("day", 86_400), ("hour", HOUR), ("minute", 60), ("second", 1)):
        if seconds % size == 0:
            n = seconds // size
            return unit if n == 1 else f"{n} {unit}s"
    return str(width)  # pragma: no cover - a bucket is a whole number of seconds


def read_model_lag(samples: Iterable[tuple[Any, int, int]] | pd.DataFrame) -> Figure:
    """The store's last position and a projection's checkpoint over time; the gap is the lag.

    ``samples``: ``(time_or_step, store_position, checkpoint)`` tuples, or a
    DataFrame whose first column is the time or step and which has the
    columns ``store_position`` and ``checkpoint``.  Times are datetimes (UTC).
    """
    if not isinstance(samples, pd.DataFrame):
        rows = _require(samples, "read_model_lag", "samples")
        first = "time" if isinstance(rows[0][0], datetime) else "step"
        samples = pd.DataFrame(rows, columns=[first, "store_position", "checkpoint"])
    missing = [c for c in ("store_position", "checkpoint") if c not in samples.columns]
    if missing:
        raise ValueError(f"read_model_lag: the samples have no column {' or '.join(missing)}")
    x_name = samples.columns[0]
    if x_name in ("store_position", "checkpoint"):
        raise ValueError("read_model_lag: the first column must be the time or step of each sample")
    _require(samples.index, "read_model_lag", "samples")
    ahead = samples[samples["checkpoint"] > samples["store_position"]]
    if len(ahead):
        row = ahead.iloc[0]
        raise ValueError(
            f"read_model_lag: at {x_name} {row[x_name]} the checkpoint ({row['checkpoint']}) is "
            f"ahead of the store ({row['store_position']}): a projection cannot be ahead of its log"
        )
    x, store, checkpoint = list(samples[x_name]), samples["store_position"], samples["checkpoint"]

    fig, ax = _figure(height=4.5)
    ax.step(x, store, where="post", color="black", label="store: last\nposition recorded")
    ax.step(x, checkpoint, where="post", color="#6A3D9A", label="read model:\ncheckpoint projected")
    ax.fill_between(
        x, checkpoint, store, step="post", color="#6A3D9A", alpha=0.2, label="lag: recorded,\nnot yet projected"
    )
    if pd.api.types.is_datetime64_any_dtype(samples[x_name]):
        _time_axis(ax, f"{x_name} (UTC)")
    else:
        ax.set_xlabel(str(x_name))
    ax.set_ylabel("position in the log (events)")
    _legend(ax, ax.get_legend_handles_labels()[0])
    lag = store - checkpoint
    ax.set_title(f"Read model lag: at most {lag.max()} events behind, {lag.iloc[-1]} at the last sample")
    return fig


def _replay_pairs(samples: Iterable[tuple[int, float]], name: str) -> list[tuple[int, float]]:
    """The samples by size; ``ValueError`` for those no line can be fitted to."""
    pairs = sorted((int(n), float(seconds)) for n, seconds in _require(samples, name, "samples"))
    if any(n < 0 or seconds < 0 for n, seconds in pairs):
        raise ValueError(f"{name}: event counts and seconds cannot be negative")
    if not any(n for n, _ in pairs):
        raise ValueError(f"{name}: every sample replayed 0 events; nothing to fit")
    return pairs


def cost_per_event(samples: Iterable[tuple[int, float]]) -> float:
    """Seconds per event: the slope of the line ``replay_cost`` draws, so a printed figure and the chart agree.

    ``samples``: ``(events, seconds)`` pairs; the slope is the least-squares fit
    through the origin, i.e. the cost if each event costs the same.
    """
    pairs = _replay_pairs(samples, "cost_per_event")
    return sum(n * seconds for n, seconds in pairs) / sum(n * n for n, _ in pairs)


def replay_cost(samples: Iterable[tuple[int, float]]) -> Figure:
    """Time to rebuild by replaying events, against how many were replayed.

    ``samples``: ``(events, seconds)`` pairs.  The line is ``cost_per_event``'s
    fit through the origin.
    """
    pairs = _replay_pairs(samples, "replay_cost")
    events, ms = [n for n, _ in pairs], [seconds * 1000 for _, seconds in pairs]
    ms_per_event = cost_per_event(pairs) * 1000

    fig, ax = _figure(height=4.5)
    ax.plot(
        [0, events[-1]],
        [0, ms_per_event * events[-1]],
        color="0.5",
        linestyle="--",
        label=f"fit: {ms_per_event * 1000:.3g} µs per event",
    )
    ax.plot(events, ms, linestyle="", marker="o", color="black", label="measured replay")
    ax.set_xlabel("events replayed")
    ax.set_ylabel("time to rebuild (ms)")
    ax.xaxis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))
    _legend(ax, ax.get_legend_handles_labels()[0])
    ax.set_title(f"Replay cost: {ms[-1]:.3g} ms to rebuild from {events[-1]:,} events")
    return describe(  # the measured times are in the chart; its alt text says what is measured, the same every run
        fig,
        f"Replay cost: the time to rebuild a read model, measured for {len(events)} log sizes from "
        f"{events[0]:,} to {events[-1]:,} events replayed, with a straight line fitted through the origin.",
    )


#: The command that records each event type (a command's last event names it: a paid order's
#: ``CancelOrder`` records a ``RefundCreated``, then the ``OrderCancelled``).
COMMAND_OF = {
    "OrderCreated": "PlaceOrder",
    "OrderPaid": "PayOrder",
    "RefundCreated": "RequestRefund",
    "RefundPaid": "ConfirmRefund",
    "OrderCancelled": "CancelOrder",
    "OrderShipped": "ShipOrder",
}
LANES = ("command", "order stream", "refund process", "payment provider")
_BOX = {
    "command": {"boxstyle": "round,pad=0.3", "facecolor": "white", "edgecolor": "black"},
    "refund process": {"boxstyle": "round,pad=0.3", "facecolor": "#EEEEEE", "edgecolor": "black", "linestyle": "--"},
    "payment provider": {"boxstyle": "square,pad=0.3", "facecolor": "white", "edgecolor": "black", "linestyle": ":"},
}


def causation(events: Iterable[Any], attempts: Iterable[Any] = ()) -> Figure:
    """One stream as a swimlane (one order, in the shop): who caused what, in time order, top to bottom.

    Lanes: the commands sent, the events they recorded in the stream and, when
    the stream holds refunds, the refund process and the payment provider.  Arrows
    follow the causation: a command to each event it recorded (the events'
    ``causation_id``); a ``RefundCreated`` to the refund process, which asks
    the provider to pay out and, once paid, sends ``ConfirmRefund`` (command
    id ``confirm_command_id(order id, refund id)``), which records ``RefundPaid``.

    ``attempts``: the process's ``Attempt`` records (what ``RefundProcess.step``
    returns), to show failed payouts too; without them, the provider's lane
    shows the payout that succeeded, at the time its confirmation was recorded.
    """
    events = _require(events, "causation")
    streams = sorted({_stream(e) for e in events})
    if len(streams) > 1:
        raise ValueError(f"causation draws one stream, but the events are from streams {', '.join(streams)}")
    kind, (entity,) = _lane_names(streams)
    stream_lane = f"{kind} stream"
    attempts = [a for a in attempts if a.order_id == getattr(events[0].event, "order_id", None)]
    refunds = bool(attempts) or any(e.event_type in ("RefundCreated", "RefundPaid") for e in events)
    lanes = ("command", stream_lane, *LANES[2:]) if refunds else ("command", stream_lane)
    items: list[tuple[int, int, str, str, Any]] = []  # (time, rank, lane, label, key); rank orders one moment
    commands: dict[str, tuple[int, str]] = {}  # causation id -> (time, command name), from its events
    for e in events:
        time, name = commands.get(e.causation_id, (e.recorded_at, ""))
        commands[e.causation_id] = (min(time, e.recorded_at), COMMAND_OF.get(e.event_type, "a command"))
    for command_id, (time, name) in commands.items():
        items.append((time, 1, "command", name, ("command", command_id)))
    paid_at = {}
    for e in events:
        items.append((e.recorded_at, 2, stream_lane, e.event_type, ("event", e.position or e.version)))
        refund_id = getattr(e.event, "refund_id", None)
        if e.event_type == "RefundCreated":
            items.append((e.recorded_at, 3, "refund process", f"asks to pay\nout {refund_id}", ("process", refund_id)))
        elif e.event_type == "RefundPaid":
            paid_at[refund_id] = e.recorded_at
    if attempts:
        for a in attempts:
            items.append(
                (a.at, 0, "payment provider", f"attempt {a.attempt}:\n{a.outcome}", ("attempt", a.refund_id, a.attempt))
            )
    else:
        for refund_id, time in paid_at.items():
            items.append((time, 0, "payment provider", f"pays out\n{refund_id}", ("attempt", refund_id, 1)))
    items.sort(key=lambda item: (item[0], item[1]))
    row = {item[4]: index for index, item in enumerate(items)}
    column = {lane: index for index, lane in enumerate(lanes)}

    fig, ax = _figure(height=min(MAX_HEIGHT, 1.4 + 0.36 * len(items)))
    boxes = {}
    for index, (_time, _, lane, label, key) in enumerate(items):
        if lane == stream_lane:
            style = style_of(label)
            box = {"boxstyle": "round,pad=0.3", "facecolor": "white", "edgecolor": style["color"], "linewidth": 2}
            ax.plot(
                column[lane] + 0.42, index, linestyle="", marker=style["marker"], color=style["color"], markersize=8
            )
            boxes[key] = ax.text(column[lane] - 0.05, index, label, va="center", ha="center", bbox=box)
        else:
            boxes[key] = ax.text(column[lane], index, label, va="center", ha="center", bbox=_BOX[lane], linespacing=1.0)

    def arrow(source: Any, target: Any) -> None:
        """From the side of the cause's box that faces the effect, to the facing side of the effect's."""
        if source not in boxes or target not in boxes:
            return
        step = column[items[row[target]][2]] - column[items[row[source]][2]]
        start, end = {1: ((1, 0.5), (0, 0.5)), -1: ((0, 0.5), (1, 0.5)), 0: ((0.5, 0), (0.5, 1))}[
            (step > 0) - (step < 0)
        ]
        ax.annotate(
            "",
            xy=end,
            xycoords=boxes[target],
            xytext=start,
            textcoords=boxes[source],
            arrowprops={"arrowstyle": "->", "color": "black", "shrinkA": 2, "shrinkB": 2},
        )

    for e in events:
        arrow(("command", e.causation_id), ("event", e.position or e.version))
        if e.event_type == "RefundCreated":
            refund_id = e.event.refund_id
            arrow(("event", e.position or e.version), ("process", refund_id))
            tries = sorted(a.attempt for a in attempts if a.refund_id == refund_id) or [1]
            arrow(("process", refund_id), ("attempt", refund_id, tries[0]))
            for first, then in pairwise(tries):
                arrow(("attempt", refund_id, first), ("attempt", refund_id, then))
            arrow(("attempt", refund_id, tries[-1]), ("command", confirm_command_id(e.event.order_id, refund_id)))

    ax.set_xticks(range(len(lanes)), lanes)
    ax.xaxis.tick_top()
    ax.set_xlim(-0.6, len(lanes) - 0.4)
    ax.set_ylim(len(items) - 0.5, -0.5)  # time flows down
    times = [_utc_label(item[0]) for item in items]
    ax.set_yticks(range(len(items)), [t if i == 0 or t != times[i - 1] else "" for i, t in enumerate(times)])
    ax.set_ylabel("recorded at (UTC)")
    ax.set_xlabel("an arrow points from a cause to what it caused")
    for x in range(1, len(lanes)):
        ax.axvline(x - 0.5, color=LANE, linewidth=0.8)
    for side in ("right", "bottom"):
        ax.spines[side].set_visible(False)
    ax.set_title(f"{kind.capitalize()} {entity}: who caused what")
    return fig


def _utc_label(seconds: int) -> str:
    return to_datetime(seconds).strftime("%Y-%m-%d %H:%M")


def two_clocks(grid: pd.DataFrame, *, what: str = "state", row: Any = None, column: Any = None) -> Figure:
    """A state under two clocks: each cell is the state as of a business date (its column), as it was
    known on a recorded date (its row).

    ``grid``'s index holds the recorded dates, its columns the business dates,
    its cells the state (numbers or short text); ``what`` names it.  Reading
    along a row answers "what did we know on that day?" about every business
    date; reading down a column, "how did what we knew about that date
    change?".  ``row`` and ``column`` outline one of each.
    """
    if grid.empty:
        raise ValueError("two_clocks needs a grid of at least one recorded date and one business date")
    fig, ax = _figure(0.55 * len(grid.index) + 2)
    text = grid.astype(str).to_numpy()
    ranks = {value: rank for rank, value in enumerate(sorted(set(text.flat), key=_natural))}
    shade = np.vectorize(ranks.__getitem__)(text) / max(len(ranks) - 1, 1)
    ax.imshow(shade, cmap="Blues", vmin=-0.15, vmax=1.6, aspect="auto")
    for (r, c), value in np.ndenumerate(text):
        ax.text(c, r, value, ha="center", va="center", fontsize=FONT)
    ax.set_xticks(range(len(grid.columns)), [str(c) for c in grid.columns])
    ax.set_yticks(range(len(grid.index)), [str(i) for i in grid.index])
    ax.xaxis.tick_top()
    ax.xaxis.set_label_position("top")
    ax.set_xlabel("as of this business date (when it was true) →")
    ax.set_ylabel("as known on this recorded date ↓")
    ax.tick_params(length=0)
    for outlined, along in ((row, "row"), (column, "column")):
        if outlined is None:
            continue
        labels = list(grid.index if along == "row" else grid.columns)
        if outlined not in labels:
            raise ValueError(f"{outlined!r} is not a {along} of the grid: its {along}s are {labels}")
        at = labels.index(outlined)
        width, height = (len(grid.columns), 1) if along == "row" else (1, len(grid.index))
        x, y = (-0.5, at - 0.5) if along == "row" else (at - 0.5, -0.5)
        ax.add_patch(plt.Rectangle((x, y), width, height, fill=False, lw=2.5, ec="#D55E00"))
    ax.set_title(f"{what}: two clocks")
    rows = "; ".join(f"known on {i}: " + ", ".join(text[n]) for n, i in enumerate(grid.index))
    return describe(
        fig,
        f"Chart: {what} as of each business date ({', '.join(map(str, grid.columns))}, left to right) as known on "
        f"each recorded date (top to bottom). {rows}.",
    )


def _natural(value: str) -> tuple[int, float | str]:
    """Numbers in numeric order, before any text: the darker a cell, the more (or the later) its state."""
    try:
        return 0, float(value)
    except ValueError:
        return 1, value
