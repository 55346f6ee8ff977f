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
"""
from __future__ import annotations

from collections import Counter
from datetime import datetime, timezone
from typing import Any, Iterable

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import MaxNLocator, NullLocator, StrMethodFormatter

from .clock import to_datetime, to_timestamp
from .order import evolve, initial_state

__all__ = ["EVENT_STYLE", "timeline", "order_age", "place_by_age", "order_state", "store_activity",
           "read_model_lag", "replay_cost"]

#: One colour (Okabe-Ito, readable with colour blindness) and one marker per event type, in every chart.
EVENT_STYLE = {
    "OrderCreated": {"color": "#0072B2", "marker": "o"},
    "OrderPaid": {"color": "#009E73", "marker": "s"},
    "RefundCreated": {"color": "#E69F00", "marker": "v"},
    "RefundPaid": {"color": "#D55E00", "marker": "D"},
    "OrderCancelled": {"color": "#CC79A7", "marker": "X"},
    "OrderShipped": {"color": "#56B4E9", "marker": ">"},
}
LATER = "#C8C8C8"  # events after a time-travel cursor: recorded, but not yet "happened"
CURRENCY = "€"
WIDTH = 10  # inches, for every chart
MAX_BUCKETS = 20_000
HOUR = 3600  # seconds
UTC = timezone.utc
#: The fixed ticks of ``order_age``, in seconds since the order was placed; the last is its right edge.
AGES = {"0": 0, "1 min": 60, "1 h": HOUR, "1 day": 24 * HOUR, "1 week": 7 * 24 * HOUR, "3 weeks": 21 * 24 * HOUR}
MAX_AGE = AGES["3 weeks"]


def _figure(height: float) -> tuple[Figure, Any]:
    fig, ax = plt.subplots(figsize=(WIDTH, height), layout="constrained")
    plt.close(fig)  # returned, not kept: see the module docstring
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


def _time_axis(ax: Any, label: str = "recorded at (UTC)") -> None:
    locator = mdates.AutoDateLocator(tz=UTC)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator, tz=UTC))
    ax.set_xlabel(label)


def _legend(ax: Any, handles: list[Any]) -> None:
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False)


def _marker(label: str, color: str, marker: str) -> Line2D:
    """A legend entry: a marker with no line."""
    return Line2D([], [], linestyle="", markersize=8, label=label, color=color, marker=marker)


def timeline(events: Iterable[Any], *, window: tuple[Any, Any] | None = None,
             highlight_until: int | None = None, max_lanes: int = 50) -> Figure:
    """One lane per order, one marker per event at the time it was recorded.

    ``window=(start, end)`` keeps the events recorded between the two, both
    included (Unix seconds, datetimes or ISO strings).  ``highlight_until`` is
    a time-travel cursor: later events are greyed out.  It is a version when
    every event is from one stream, otherwise a position in the log.  With
    more than ``max_lanes`` orders, the ``max_lanes`` placed last are drawn
    and the title says so.  Events appended together share a time, so they
    are spread across their lane.  When all the events share one time, the
    axis shows the hour either side of it.

    The markers of each event type are one collection, labelled with the
    type, in time order: a time-travel cursor can repaint them without
    drawing the chart again (``widgets.TimeTravel`` does).
    """
    events = sorted(_require(events, "timeline"), key=lambda e: e.recorded_at)  # stable: log order kept
    cursor = "version" if len({e.event.order_id for e in events}) == 1 else "position"
    if highlight_until is not None and any(getattr(e, cursor) is None for e in events):
        raise ValueError(f"timeline: highlight_until needs the {cursor} of every event, and some have none")
    if window is not None:
        start, end = (to_timestamp(moment) for moment in window)
        if start > end:
            raise ValueError(f"timeline: the window starts ({to_datetime(start)}) "
                             f"after it ends ({to_datetime(end)})")
        events = [e for e in events if start <= e.recorded_at <= end]
        if not events:
            raise ValueError(f"timeline: no events recorded between {to_datetime(start)} and {to_datetime(end)}")
    orders = list(dict.fromkeys(e.event.order_id for e in events))  # in the order of their first event
    lanes = {order_id: lane for lane, order_id in enumerate(orders[-max_lanes:])}
    events = [e for e in events if e.event.order_id in lanes]

    fig, ax = _figure(height=min(12.0, max(2.5, 1.5 + 0.22 * len(lanes))))
    spans: dict[str, list[int]] = {}  # order id -> [first, last] recorded_at
    for e in events:
        spans.setdefault(e.event.order_id, [e.recorded_at, e.recorded_at])[1] = e.recorded_at
    for order_id, (first, last) in spans.items():
        ax.plot([to_datetime(first), to_datetime(last)], [lanes[order_id]] * 2, color="0.85", zorder=1)
    together = Counter((e.event.order_id, e.recorded_at) for e in events)
    placed: Counter[tuple[str, int]] = Counter()  # of the events recorded together, how many are placed
    points: dict[str, list[tuple[datetime, float, str]]] = {}  # event type -> (x, y, colour), in time order
    for e in events:
        moment = (e.event.order_id, e.recorded_at)
        y = lanes[e.event.order_id] + (placed[moment] - (together[moment] - 1) / 2) * 0.3
        placed[moment] += 1
        later = highlight_until is not None and getattr(e, cursor) > highlight_until
        color = LATER if later else EVENT_STYLE[e.event_type]["color"]
        points.setdefault(e.event_type, []).append((to_datetime(e.recorded_at), y, color))
    for event_type, drawn in points.items():
        x, y, colors = zip(*drawn)
        ax.scatter(x, y, s=70 if len(lanes) <= 10 else 30, marker=EVENT_STYLE[event_type]["marker"],
                   color=list(colors), label=event_type, zorder=2)

    ax.set_yticks(range(len(lanes)), list(lanes), fontsize=10 if len(lanes) <= 20 else 7)
    ax.set_ylim(len(lanes) - 0.5, -0.5)  # first order at the top
    ax.set_ylabel("order id")
    _time_axis(ax)
    if window is None:
        start, end = events[0].recorded_at, events[-1].recorded_at
    if start == end:  # one moment: matplotlib alone would show years around it
        start, end = start - HOUR, end + HOUR
    margin = (end - start) / 20  # 5%, as matplotlib would have: keeps the markers on the edges whole
    ax.set_xlim(to_datetime(start - margin), to_datetime(end + margin))
    present = {e.event_type for e in events}
    handles = [_marker(name, **style) for name, style in EVENT_STYLE.items() if name in present]
    if highlight_until is not None and any(getattr(e, cursor) > highlight_until for e in events):
        handles.append(_marker(f"after {cursor} {highlight_until}", LATER, "o"))
    _legend(ax, handles)
    shown = f"the last {len(lanes)} of {len(orders)} orders" if len(orders) > len(lanes) else \
        f"{len(lanes)} order{'s' * (len(lanes) != 1)}"
    ax.set_title(f"Event streams: {len(events)} events in {shown}, one lane per order")
    return fig


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
    fig, ax = _figure(height=3.2)
    for event_type, style in EVENT_STYLE.items():  # one collection per type, in this order, maybe empty
        ax.scatter([], [], s=70, label=event_type, zorder=2, **style)
    place_by_age(fig, events)

    ax.set_xscale("symlog", linthresh=AGES["1 min"], linscale=0.5)  # the first minute: half a decade wide
    ax.set_xticks(list(AGES.values()), list(AGES))
    ax.xaxis.set_minor_locator(NullLocator())
    ax.set_xlim(-AGES["1 min"] / 4, MAX_AGE * 1.3)  # a margin keeps the markers on the edges whole
    ax.set_xlabel("time since the order was placed, log scale (events later than 3 weeks are drawn at 3 weeks)")
    ax.set_yticks(range(len(EVENT_STYLE)), list(EVENT_STYLE))
    for label, style in zip(ax.get_yticklabels(), EVENT_STYLE.values()):
        label.set_color(style["color"])
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
        raise ValueError(f"order_age measures from the order's OrderCreated, "
                         f"but the first event is {events[0].event_type}")
    placed = events[0].recorded_at if events else 0
    for row, markers in enumerate(fig.axes[0].collections):  # in the order of EVENT_STYLE
        ages = [min(e.recorded_at - placed, MAX_AGE) for e in events if e.event_type == markers.get_label()]
        markers.set_offsets(np.reshape([(age, row) for age in ages], (-1, 2)))  # (x, y) pairs, even none


def order_state(events: Iterable[Any]) -> Figure:
    """Paid, refunded and net amount of one order after each of its events.

    The state is the fold of the events with ``evolve``, drawn one step per
    event; a label marks each change of status.  "Refunded" counts requested
    refunds, confirmed or not, as ``OrderState.refunded`` does.
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
    for name, amounts, color, width in (
            ("net (paid − refunded)", [s.net for s in states], (0, 0, 0, 0.25), 8),
            ("paid", [s.paid for s in states], EVENT_STYLE["OrderPaid"]["color"], 4),
            ("refunded", [s.refunded for s in states], EVENT_STYLE["RefundCreated"]["color"], 1.5)):
        ax.step(steps, [float(a) for a in amounts], where="post", color=color, linewidth=width,
                marker="o", markersize=width + 2, label=name)
    top = float(max(s.amount for s in states)) or 1.0
    ax.set_ylim(-0.05 * top, 1.45 * top)  # headroom for the status labels
    row = 0
    for step in steps[1:]:
        if states[step].status != states[step - 1].status:
            ax.axvline(step, color="0.75", linestyle=":", zorder=0)
            ax.text(step, 0.97 - 0.08 * (row % 2), f" {states[step].status}", va="top",
                    transform=ax.get_xaxis_transform(), fontsize=9)
            row += 1
    ax.set_xticks(steps, ["start"] + [f"{step}. {e.event_type}" for step, e in enumerate(events, 1)],
                  rotation=25, ha="right")
    for label, e in zip(ax.get_xticklabels()[1:], events):
        label.set_color(EVENT_STYLE[e.event_type]["color"])
    ax.set_xlabel("event in the order's stream (version)")
    ax.set_ylabel(f"amount ({CURRENCY})")
    _legend(ax, ax.get_legend_handles_labels()[0])
    ax.set_title(f"Order {events[0].event.order_id}: money after each of its {len(events)} events "
                 f"(now {states[-1].status})")
    return fig


def store_activity(events: Iterable[Any], bucket: str = "1h") -> Figure:
    """How many events of each type were recorded per time bucket, stacked.

    ``events``: a store's ``read_all()`` or a log's ``read_jsonl(...)``.
    ``bucket``: a duration pandas reads, such as ``"15min"``, ``"1h"``, ``"1D"``.
    """
    events = _require(events, "store_activity")
    try:
        width = pd.Timedelta(bucket)
    except ValueError:
        raise ValueError(f"store_activity: bucket {bucket!r} is not a duration "
                         "such as '15min', '1h' or '1D'") from None
    if width <= pd.Timedelta(0):
        raise ValueError(f"store_activity: bucket {bucket!r} is not a positive duration")
    starts = pd.to_datetime([e.recorded_at for e in events], unit="s").floor(width)  # naive, in UTC
    counts = pd.crosstab(starts, pd.Series([e.event_type for e in events], name="event type"))
    edges = pd.date_range(counts.index.min(), counts.index.max() + width, freq=width)
    if len(edges) - 1 > MAX_BUCKETS:
        raise ValueError(f"store_activity: {len(edges) - 1:,} buckets of {bucket} are too many to draw "
                         f"(at most {MAX_BUCKETS:,}); choose a larger bucket")
    counts = counts.reindex(edges[:-1], fill_value=0)[[name for name in EVENT_STYLE if name in counts]]
    tops = counts.cumsum(axis=1)  # each type stacked on the ones before it

    fig, ax = _figure(height=4.5)
    for name in counts:  # one filled step outline per type: fast however many buckets
        ax.stairs(tops[name], mdates.date2num(edges.to_numpy()), baseline=tops[name] - counts[name],
                  fill=True, color=EVENT_STYLE[name]["color"], label=name)
    _time_axis(ax, f"recorded at (UTC), in buckets of {bucket}")
    ax.set_ylim(0, tops.iloc[:, -1].max() * 1.1)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_ylabel(f"events per {bucket}")
    _legend(ax, ax.get_legend_handles_labels()[0])
    ax.set_title(f"Store activity: {len(events)} events, counted per {bucket}")
    return fig


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
        raise ValueError(f"read_model_lag: at {x_name} {row[x_name]} the checkpoint ({row['checkpoint']}) is "
                         f"ahead of the store ({row['store_position']}): a projection cannot be ahead of its log")
    x, store, checkpoint = list(samples[x_name]), samples["store_position"], samples["checkpoint"]

    fig, ax = _figure(height=4.5)
    ax.step(x, store, where="post", color="black", label="store: last position recorded")
    ax.step(x, checkpoint, where="post", color="#6A3D9A", label="read model: checkpoint projected")
    ax.fill_between(x, checkpoint, store, step="post", color="#6A3D9A", alpha=0.2,
                    label="lag: recorded, not yet projected")
    if pd.api.types.is_datetime64_any_dtype(samples[x_name]):
        _time_axis(ax, f"{x_name} (UTC)")
    else:
        ax.set_xlabel(str(x_name))
    ax.set_ylabel("position in the log (events)")
    _legend(ax, ax.get_legend_handles_labels()[0])
    lag = store - checkpoint
    ax.set_title(f"Read model lag: at most {lag.max()} events behind, {lag.iloc[-1]} at the last sample")
    return fig


def replay_cost(samples: Iterable[tuple[int, float]]) -> Figure:
    """Time to rebuild by replaying events, against how many were replayed.

    ``samples``: ``(events, seconds)`` pairs.  The line is the least-squares
    fit through the origin, i.e. the cost if each event costs the same.
    """
    pairs = sorted((int(n), float(seconds)) for n, seconds in _require(samples, "replay_cost", "samples"))
    if any(n < 0 or seconds < 0 for n, seconds in pairs):
        raise ValueError("replay_cost: event counts and seconds cannot be negative")
    events, ms = [n for n, _ in pairs], [seconds * 1000 for _, seconds in pairs]
    if not any(events):
        raise ValueError("replay_cost: every sample replayed 0 events; nothing to fit")
    ms_per_event = sum(n * t for n, t in zip(events, ms)) / sum(n * n for n in events)

    fig, ax = _figure(height=4.5)
    ax.plot([0, events[-1]], [0, ms_per_event * events[-1]], color="0.5", linestyle="--",
            label=f"fit: {ms_per_event * 1000:.3g} µs per event")
    ax.plot(events, ms, linestyle="", marker="o", color="black", label="measured replay")
    ax.set_xlabel("events replayed")
    ax.set_ylabel("time to rebuild (ms)")
    ax.xaxis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))
    _legend(ax, ax.get_legend_handles_labels()[0])
    ax.set_title(f"Replay cost: {ms[-1]:.3g} ms to rebuild from {events[-1]:,} events")
    return fig
