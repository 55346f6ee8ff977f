"""Widgets: event sourcing to click, drag and watch in a notebook.

Each class is one interactive panel.  It keeps its logic in Python and its
controls as attributes (``panel.slider``, ``panel.buttons["pay"]``), so a
test or a curious learner can drive it from code exactly as a click would.
``panel.widget`` is the ipywidgets box Jupyter shows; a panel shows itself
when it is a cell's value, and a saved notebook keeps a captioned snapshot
of it, in an interesting state, for readers without a kernel.

Panels are laid out for a 1024 px screen with the file browser open (a
590 px notebook column): each control sits in the same screenful as what it
changes, tables show the columns that carry the lesson first and drop the
others in a narrow column (their values stay on hover), and colours come
from JupyterLab's theme, so that they read in the light and the dark theme.

A panel that writes works on its own copy of the shop it is given, unless
told to share it (``copy=False``) and says which on screen: playing with a
widget must never change what the notebook's later cells print.

Every click answers on a numbered result line, so that a repeat with the
same outcome still visibly answers.  A click sends a command with a command
id that stays the same until an input changes: a double-click is a retry,
which the shop answers with the first result, never with a refusal.

Callbacks read what they need and no more: one stream, one read-model row,
or an index, never the whole log, so they stay within a frame on a store of
any size.  Drawing a chart costs far more than anything else here, mostly
for its text, so a panel that shows one chart in many states draws it once
and then redraws only what moves (see ``_Picture``).  Charts are drawn at
the size they are shown (``CHART_PX``), so their text is as large as meant.

The core never imports this module: widgets are a view on the domain.
"""

from __future__ import annotations

import base64
import html
import io
import re
import textwrap
from bisect import bisect_right
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import fields, replace
from decimal import Decimal
from itertools import count, islice
from typing import Any, NamedTuple

import ipywidgets as widgets
import matplotlib.dates as mdates
import PIL.Image
from matplotlib.artist import Artist
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from ..clock import SimulatedClock, to_datetime, to_timestamp
from ..ids import SeededIds
from ..money import to_money
from ..projections import EVENTUAL, INLINE
from ..shop import Shop, stream_for
from ..shop.commands import (
    CancelOrder,
    ConfirmRefund,
    PayOrder,
    PlaceOrder,
    RequestRefund,
    ShipOrder,
)
from ..shop.order import OrderError, OrderState, decide, fold
from ..shop.read_models import OrderRow, ShopReadModels
from ..shop.simulator import SimulationConfig, simulate
from ..store import ConcurrencyError, InMemoryEventStore, RecordedEvent
from . import charts

__all__ = [
    "CommandConsole",
    "ConcurrencyRace",
    "LiveDashboard",
    "OrderExplorer",
    "SimulationPanel",
    "TimeTravel",
]

NOW = "#000000"  # the time-travel cursor on a chart (charts are light in both themes)
LATER = "eventsim-later"  # a row not "happened" yet: muted and italic, and said in words too
LOG_TAIL = 8  # events the dashboard shows from the end of the log
MATCHES = 50  # order ids the explorer offers at once
CHART_PX = 600  # CSS px a chart is shown at: fits the notebook column at 1024×768 with the file browser open
DPI = CHART_PX / charts.WIDTH  # so that a chart is drawn with as many pixels as it is shown with
SNAPSHOT_CHARS = 80  # a snapshot's line, at most: as many monospaced characters as a chart is wide
ID_CHARS = 10  # ids longer than this are shortened on screen; the full id shows on hover
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"  # UTC, 24-hour, everywhere in the panels
MOMENT = re.compile(r"\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2})?)?")
WHOLE_NUMBER = re.compile(r"[0-9]{1,9}")
WORDS = {"description_width": "initial"}  # labels as wide as their words: never cut off
NARROW_PX = 700  # a column narrower than this shows only a table's essential columns
#: Every box of a panel may shrink to the notebook column (flex items do not, by default, below their
#: content), and a slider or a chart narrows with it.  Text takes JupyterLab's theme colours (with
#: fallbacks elsewhere), a compact line height (not the widgets' 28 px), and a 2 px focus ring.
#: A table's secondary columns (``eventsim-more``) give way in a narrow column: each row says them on hover.
STYLE = f"""<style>
.eventsim-panel {{ --eventsim-muted: var(--jp-content-font-color2, #595959);
  --eventsim-error: var(--jp-error-color1, #a00000); color: var(--jp-content-font-color1, #1a1a1a); }}
body[data-jp-theme-light="true"] .eventsim-panel {{ --eventsim-muted: #595959; --eventsim-error: #a00000; }}
body[data-jp-theme-light="false"] .eventsim-panel {{ --eventsim-muted: #b8b8b8; --eventsim-error: #ff8a80; }}
.eventsim-panel, .eventsim-panel .widget-box, .eventsim-panel .widget-html,
.eventsim-panel .widget-html-content {{ min-width: 0; max-width: 100%; }}
.eventsim-panel, .eventsim-panel .eventsim-column {{ container-type: inline-size; }}
.eventsim-panel .widget-slider, .eventsim-panel .widget-text, .eventsim-panel .widget-dropdown,
.eventsim-panel .widget-progress {{ max-width: calc(100% - 4px); }}  /* 4px: their margins */
.eventsim-panel .widget-html-content {{ white-space: normal; line-height: 1.35; font-size: 13px;
  color: var(--jp-content-font-color1, #1a1a1a); }}
.eventsim-panel .widget-html {{ margin-top: 2px; margin-bottom: 2px; }}
.eventsim-panel h4 {{ margin: 4px 0; font-size: 14px; }}
.eventsim-panel p {{ margin: 2px 0; }}
.eventsim-panel.eventsim-panel :is(input, select, textarea, button, .noUi-handle):focus-visible,
.eventsim-panel.eventsim-panel .noUi-handle:focus {{  /* outdoes the widgets' own "outline: none !important" */
  outline: 2px solid var(--jp-brand-color1, #1976d2) !important; outline-offset: 1px; }}
.eventsim-table {{ border-collapse: collapse; font-size: 13px; line-height: 1.3; }}
.eventsim-table th, .eventsim-table td {{ padding: 1px 4px; text-align: left; vertical-align: top; }}
.eventsim-table th {{ border-bottom: 1px solid var(--jp-border-color1, #bdbdbd); }}
.eventsim-table .eventsim-wrap {{ white-space: normal; min-width: 6em; }}
.eventsim-table .eventsim-nowrap {{ white-space: nowrap; }}
.eventsim-panel .eventsim-later {{ color: var(--eventsim-muted); font-style: italic; }}
.eventsim-panel .eventsim-rejected {{ color: var(--eventsim-error); }}
.eventsim-panel .eventsim-chart img {{ width: {CHART_PX}px; max-width: 100%; height: auto; display: block; }}
@container (max-width: {NARROW_PX}px) {{ .eventsim-table .eventsim-more {{ display: none; }} }}
</style>"""


# --- shared pieces ---------------------------------------------------------


class _Raw(str):
    """Text that is HTML already: a table cell shows it as it is."""


class Snapshot(NamedTuple):
    """A picture of a panel for readers without a kernel: the PNG, its alt text, and a caption."""

    png: bytes
    alt: str
    caption: str

    def markdown(self) -> str:
        """The picture as Markdown, which JupyterLab, nbconvert, GitHub and screen readers all show."""
        alt = " ".join(self.alt.split()).replace("[", "(").replace("]", ")")
        return f"![{alt}](data:image/png;base64,{base64.b64encode(self.png).decode()})\n\n*{self.caption}*"


class _Panel:
    """A panel displays as its ``widget``; a saved notebook keeps ``_static()`` of it."""

    widget: widgets.Box

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        bundle = self.widget._repr_mimebundle_(**kwargs)
        text, snapshot = self._static()
        bundle["text/plain"] = text  # in place of VBox(children=(...)) for readers without a kernel
        if snapshot:
            bundle["text/markdown"] = snapshot.markdown()
        return bundle

    def _static(self) -> tuple[str, Snapshot | None]:
        """A line of text, and a captioned snapshot, that stand for the panel where widgets cannot run."""
        return f"{type(self).__name__}: run the notebook to use this panel.", None


def _text_picture(lines: list[str]) -> bytes:
    """Lines of text (tables already lined up) as a small PNG in a monospaced font, as wide as a chart."""
    wrapped = [
        part for line in lines for part in (textwrap.wrap(line, SNAPSHOT_CHARS, subsequent_indent="    ") or [""])
    ]
    figure = Figure(figsize=(charts.WIDTH, 0.3 + 0.19 * len(wrapped)))
    figure.text(
        0.01,
        1 - 0.15 / figure.get_figheight(),
        "\n".join(wrapped),
        family="monospace",
        fontsize=charts.FONT,
        va="top",
        linespacing=1.35,
    )
    return charts.png(figure)


def _plain(markup: str) -> str:
    """HTML as the words it shows: what a snapshot prints of a result line."""
    return html.unescape(re.sub(r"<[^>]+>", "", markup)).strip()


def _text_table(header: Iterable[str], rows: Iterable[Iterable[Any]]) -> list[str]:
    """A table as lines of text, its columns lined up: a snapshot's table."""
    cells = [list(header)] + [[_plain(_text(v)) for v in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(cells[0]))]
    lines = ["  ".join(v.ljust(w) for v, w in zip(row, widths)).rstrip() for row in cells]
    return [lines[0], "-" * len(max(lines, key=len)), *lines[1:]]


def _panel(children: list[widgets.Widget], css_class: str) -> widgets.VBox:
    """A panel's outer box: the panel's CSS first, then its parts, one under the other."""
    box = widgets.VBox(
        [widgets.HTML(STYLE, layout=widgets.Layout(display="none")), *children], layout=widgets.Layout(max_width="100%")
    )
    box.add_class("eventsim-panel")
    box.add_class(css_class)
    return box


def _html(css_class: str, value: str = "") -> widgets.HTML:
    """An HTML widget with a class (so a browser test can find it) that never grows past its box."""
    box = widgets.HTML(value, layout=widgets.Layout(max_width="100%", min_width="0"))
    box.add_class(css_class)
    return box


def _live(value: str) -> str:
    """A result line's content: a polite live region, so that a screen reader reads every answer."""
    return f'<div role="status" aria-live="polite">{value}</div>'


def _row(children: list[widgets.Widget], css_class: str = "") -> widgets.HBox:
    """Side by side while there is room, stacked when there is not."""
    box = widgets.HBox(
        children, layout=widgets.Layout(flex_flow="row wrap", align_items="flex-start", max_width="100%")
    )
    if css_class:
        box.add_class(css_class)
    return box


def _column(children: list[widgets.Widget], basis: str = "300px") -> widgets.VBox:
    """A column of a ``_row``: at least ``basis`` wide, sharing what room is left."""
    box = widgets.VBox(
        children, layout=widgets.Layout(flex=f"1 1 {basis}", min_width="0", max_width="100%", margin="0 12px 4px 0")
    )
    box.add_class("eventsim-column")
    return box


def _help(text: str) -> widgets.HTML:
    """A line that says what the controls above or beside it do."""
    return _html("eventsim-help", text)


class _Answer:
    """The result line: numbered, so that every click visibly answers, even with the same words, and a
    live region, so that a screen reader reads it out."""

    def __init__(self, first: str = "<i>no action yet</i>") -> None:
        self.widget = _html("eventsim-result", _live(first))
        self._clicks = count(1)

    def __call__(self, text: str) -> None:
        self.widget.value = _live(f"<b>#{next(self._clicks)}</b> {text}")

    def say(self, text: str) -> None:
        """Words that are not an answer to a click (a prompt): unnumbered."""
        self.widget.value = _live(text)


@contextmanager
def _busy(buttons: Iterable[widgets.Button]) -> Iterator[None]:
    """Buttons disabled while the work runs, so that impatience cannot queue it again."""
    buttons = list(buttons)
    for button in buttons:
        button.disabled = True
    try:
        yield
    finally:
        for button in buttons:
            button.disabled = False


class _Picture:
    """A figure drawn once, then as often as needed with only its ``moving`` artists redrawn.

    Matplotlib spends most of a drawing on text (ticks, labels, legend), and
    the text does not move.  So the first drawing leaves the moving artists
    out and keeps its pixels; every ``png()`` puts those pixels back, draws
    the moving artists on top and encodes the result.  This is "blitting".
    """

    def __init__(self, figure: Figure, moving: Iterable[Artist] = ()):
        figure.dpi = DPI
        self.canvas = FigureCanvasAgg(figure)  # drawn here, not by pyplot nor by savefig (which draws twice)
        self.moving = list(moving)
        for artist in self.moving:
            artist.set_animated(True)  # left out of the full drawing
        self.canvas.draw()
        self.still = self.canvas.copy_from_bbox(figure.bbox)

    def png(self, small: bool = False) -> bytes:
        """The figure as it is now: fast to make for the screen, or ``small`` to be kept in a notebook."""
        self.canvas.restore_region(self.still)
        for artist in self.moving:
            self.canvas.figure.draw_artist(artist)
        size = self.canvas.get_width_height()
        pixels = PIL.Image.frombuffer("RGBA", size, self.canvas.buffer_rgba(), "raw", "RGBA", 0, 1)
        buffer = io.BytesIO()  # RGB and light compression: a PNG on screen lives for one frame, so fast beats small
        pixels.convert("RGB").save(buffer, format="png", compress_level=1, dpi=(DPI, DPI))
        return charts.small_png(buffer.getvalue()) if small else buffer.getvalue()


class _Chart(widgets.HTML):
    """A chart's place: an ``<img>`` with alt text (an ipywidgets ``Image`` cannot have any), hidden
    until there is a chart (no broken-image icon), then ``CHART_PX`` wide.  ``png`` is the PNG shown."""

    png = b""


def _image() -> _Chart:
    chart = _Chart(layout=widgets.Layout(max_width="100%", min_width="0", display="none"))
    chart.add_class("eventsim-chart")
    return chart


def _show_png(image: _Chart, png: bytes | None, alt: str = "") -> None:
    image.png = png or b""
    image.value = (
        f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{base64.b64encode(png).decode()}">' if png else ""
    )
    image.layout.display = None if png else "none"


def _utc(seconds: int) -> str:
    return to_datetime(seconds).strftime(TIME_FORMAT)


def _short(value: str | None) -> str:
    """An id as shown: long ones cut to ``ID_CHARS`` with the whole id on hover."""
    if value is None:
        return ""
    if len(value) <= ID_CHARS + 1:
        return html.escape(value)
    return _Raw(f'<span title="{html.escape(value)}">{html.escape(value[:ID_CHARS])}…</span>')


def _text(value: Any) -> str:
    """A value as shown: money always with its cents."""
    return format(value, ".2f") if isinstance(value, Decimal) else str(value)


def _details(event: Any) -> str:
    """An event's fields other than its order id, e.g. ``amount 30.00, refund_id R1``: what it says."""
    return ", ".join(
        f"{f.name} {_text(value)}"
        for f in fields(event)
        if f.name != "order_id" and (value := getattr(event, f.name)) is not None
    )


def _cell(value: Any, more: bool) -> str:
    """A table cell: short values on one line, longer text wrapped, so that a table stays narrow."""
    text = value if isinstance(value, _Raw) else html.escape(_text(value), quote=False)
    plain = _text(value)
    wrap = "eventsim-wrap" if len(plain) > 12 and " " in plain and not isinstance(value, _Raw) else "eventsim-nowrap"
    return f'<td class="{wrap}{" eventsim-more" * more}">{text}</td>'


def _table(
    header: Iterable[str], rows: Iterable[Iterable[Any]], row_classes: list[str] | None = None, more: int = 0
) -> str:
    """An HTML table as narrow as its content allows: the essential columns first; the last ``more``
    columns give way in a narrow column, and each row says them on hover."""
    names, lines = list(header), [list(row) for row in rows]
    first_more = len(names) - more
    more_class = ' class="eventsim-more"'
    head = "".join(
        f"<th{more_class if i >= first_more else ''}>{html.escape(h, quote=False)}</th>" for i, h in enumerate(names)
    )
    body = []
    for row, css_class in zip(lines, row_classes or [""] * len(lines)):
        hover = "; ".join(f"{h}: {_plain(_text(v))}" for h, v in zip(names[first_more:], row[first_more:]))
        attributes = (f' class="{css_class}"' if css_class else "") + (f' title="{html.escape(hover)}"' if more else "")
        body.append(f"<tr{attributes}>" + "".join(_cell(v, i >= first_more) for i, v in enumerate(row)) + "</tr>")
    return f'<table class="eventsim-table"><tr>{head}</tr>{"".join(body)}</table>'


def _events_table(events: list[RecordedEvent], later_than: int | None = None) -> str:
    """One row per recorded event, what it is and says first; with ``later_than``, the events after that
    version say "not yet"."""
    header = ["event", "details", "version", "position", "recorded at (UTC)", "caused by"]
    rows = [
        [e.event_type, _details(e.event), e.version, e.position, _utc(e.recorded_at), _short(e.causation_id)]
        for e in events
    ]
    if later_than is None:
        return _table(header, rows, more=3)
    happened = [e.version <= later_than for e in events]
    return _table(
        header[:3] + ["happened?"] + header[3:],
        [row[:3] + ["yes" if now else "not yet"] + row[3:] for row, now in zip(rows, happened)],
        ["" if now else LATER for now in happened],
        more=3,
    )


def _state_table(state: OrderState) -> str:
    """The folded state of an order, as the decider sees it."""
    if not state.placed:
        return "<p><i>no order yet: nothing recorded</i></p>"
    refunds = (
        ", ".join(
            f"{r.refund_id} {r.amount:.2f} ({'paid out' if r.paid else 'requested'})" for r in state.refunds.values()
        )
        or "none"
    )
    return _table(
        ("", ""),
        [
            ("status", state.status),
            ("amount", state.amount),
            ("paid", state.paid),
            ("refunds requested", state.refunds_requested),
            ("refunds paid out", state.refunds_paid),
            ("net", state.net),
            ("refunds", refunds),
        ],
    )


def _behind(read_models: ShopReadModels) -> str:
    runner = read_models.orders
    return f"<p>read model at position {runner.checkpoint} of {runner.store.last_position} (lag {runner.lag})</p>"


def _row_table(order_id: str, row: OrderRow | None, read_models: ShopReadModels) -> str:
    """One order as the read side has it, and how far behind the read side is."""
    if row is None:
        return (
            f"<p><i>order {html.escape(order_id)} is not in the orders read model yet</i>: "
            f"the events that place it are not projected.</p>" + _behind(read_models)
        )
    return _table(
        ("", ""),
        [
            ("status", row.status),
            ("amount", row.amount),
            ("paid", row.paid),
            ("refunds requested", row.refunds_requested),
            ("refunds paid out", row.refunds_paid),
            ("net", row.net),
            ("last version", row.last_version),
        ],
    ) + _behind(read_models)


def _refusal(error: Exception) -> str:
    """An error in plain words; a broken business rule is named as such."""
    if isinstance(error, OrderError):
        text = f"Rejected, nothing recorded: {error.problem}. The rule: {error.rule}."
    else:
        text = f"Not sent: {error}."
    return _rejected(text)


def _rejected(text: str) -> str:
    """Words of a refusal, in the theme's error colour."""
    return f'<span class="eventsim-rejected">{html.escape(text, quote=False)}</span>'


def _amount(text: str, what: str = "amount") -> Decimal:
    """An amount typed in a box, by the domain's own rule (``to_money``); a plain message if not."""
    if not text.strip():
        raise ValueError(f"type {'an' if what[0] in 'aeiou' else 'a'} {what}, such as 19.99")
    try:
        return to_money(text.strip(), what)
    except (TypeError, ValueError) as error:
        raise ValueError(str(error)) from None


def _copy(shop: Shop) -> Shop:
    """A new shop with the same events, envelopes and times, for a panel to change freely.

    Events are appended in log order with their own recorded times (the
    copy's clock is set to each before its append), then the clock moves a
    minute per event.  The copy's event ids are its own.
    """
    clock = SimulatedClock(start=0)
    store = InMemoryEventStore(clock=clock, ids=SeededIds(0))
    for e in shop.store.read_all():
        clock.now = e.recorded_at
        store.append(
            e.stream_id, [e.event], correlation_id=e.correlation_id, causation_id=e.causation_id, actor=e.actor
        )
    clock.now, clock.step = (clock.now + 60, 60)
    return Shop(store, ids=SeededIds(1))


def _fresh_order_id(shop: Shop) -> str:
    """An order id the shop has not used, for a snapshot's own story."""
    used = set(shop.store.stream_ids())
    return next(f"S{n}" for n in count(1) if stream_for(f"S{n}") not in used)


def _sharing(copied: bool, shop: Shop, shared_with: str = "the notebook") -> str:
    if copied:
        return (
            f"This panel works on <b>its own copy</b> of the shop ({len(shop.store)} events): "
            "nothing you do here changes the notebook's shop."
        )
    return f"This panel <b>shares</b> its shop with {shared_with}: what you record here, they see."


# --- time travel -----------------------------------------------------------


class TimeTravel(_Panel):
    """Slide through one order's versions, or type a moment, and see the order as it was then.

    The state shown is ``fold`` of the events up to the cursor.  The later
    events stay in the table ("not yet") and on the timeline (hollow and
    grey): they are recorded, but at that point they had not happened.  The
    slider sits right above the timeline, whose dashed "now" line follows it.
    The timeline is drawn once: a move of the cursor repaints only its
    markers and that line.
    """

    def __init__(self, store: InMemoryEventStore, order_id: str, version: int | None = None):
        self.order_id = order_id
        self.events = store.read_stream(stream_for(order_id))
        if not self.events:
            raise ValueError(f"order {order_id!r} has no events: stream {stream_for(order_id)!r} is empty")
        last = len(self.events)
        if version is not None and not 0 <= version <= last:
            raise ValueError(f"order {order_id!r} has versions 0 to {last}, not {version}")
        version = last if version is None else version
        self._times = [e.recorded_at for e in self.events]
        self.figure = charts.timeline(self.events)
        in_time_order = sorted(self.events, key=lambda e: e.recorded_at)  # as the timeline places its markers
        self._markers = {
            markers: [e.version for e in in_time_order if e.event_type == markers.get_label()]
            for markers in self.figure.axes[0].collections
        }  # one collection per event type
        axes = self.figure.axes[0]
        self._now = axes.axvline(axes.get_xlim()[0], color=NOW, linewidth=1.5, linestyle="--", zorder=3)
        self._now_label = axes.text(
            0,
            1.0,
            "now",
            color=NOW,
            fontsize=charts.FONT,
            ha="center",
            va="bottom",
            transform=axes.get_xaxis_transform(),
        )
        for artist in (self._now, self._now_label):
            artist.set_in_layout(False)  # the layout is the chart's own: the cursor only moves over it
        self._picture = _Picture(self.figure, moving=[*self._markers, self._now, self._now_label])
        self._syncing = False

        self.slider = widgets.IntSlider(
            version,
            min=0,
            max=last,
            description="version",
            tooltip=f"version of order {order_id}: 0 to {last}",
            continuous_update=False,
            style=WORDS,
        )
        self.moment = widgets.Text(
            description="or the moment (UTC)",
            placeholder="2021-08-08 12:00",
            continuous_update=False,
            style=WORDS,
            layout=widgets.Layout(width="300px"),
        )
        self.note = _html("eventsim-note")
        self.state = _html("eventsim-state")
        self.table = _html("eventsim-events")
        self.timeline = _image()
        self.slider.observe(self._on_version, "value")
        self.moment.observe(self._on_moment, "value")
        self.widget = _panel(
            [
                _help(
                    f"The slider picks a <b>version</b>: the order as it was after that many of its {last} "
                    "events (0: before the first). Or type a moment in UTC, 24-hour, as "
                    "<code>2021-08-08 12:00</code>: the version is the number of events recorded at or before it."
                ),
                _row([self.slider, self.moment]),
                self.timeline,
                self.note,
                _row([_column([self.state], "230px"), _column([self.table], "350px")]),
            ],
            "eventsim-time-travel",
        )
        self._on_version({"new": version})

    def _show(self, version: int) -> None:
        state = fold(e.event for e in self.events[:version])
        before = "before the first event" if version == 0 else f"status {state.status}"
        self.state.value = f"<p><b>version {version} of {len(self.events)}</b>: {before}</p>" + _state_table(state)
        self.table.value = _events_table(self.events, later_than=version)
        self._paint(version)
        _show_png(self.timeline, self._picture.png(), self._alt(version))

    def _paint(self, version: int) -> None:
        """The markers after ``version`` hollow, and the "now" line at the moment of ``version``."""
        for markers, versions in self._markers.items():
            charts.paint(markers, [v > version for v in versions])
        x = to_datetime(self._times[version - 1]) if version else to_datetime(self._times[0])
        self._now.set_xdata([mdates.date2num(x)] * 2)
        self._now_label.set_x(mdates.date2num(x))
        self._now.set_visible(version > 0)
        self._now_label.set_visible(version > 0)

    def _alt(self, version: int) -> str:
        happened = [e.event_type for e in self.events[:version]]
        return (
            f"Timeline of order {self.order_id} at version {version} of {len(self.events)}: "
            + (f"happened: {', '.join(happened)}" if happened else "nothing happened yet")
            + (
                f"; not yet: {', '.join(e.event_type for e in self.events[version:])}"
                if version < len(self.events)
                else ""
            )
            + ". The dashed line marks now."
        )

    def _on_version(self, change: dict) -> None:
        """The slider moved: show that version, and the moment its last event was recorded."""
        self._show(change["new"])
        if not self._syncing:
            self._syncing = True
            try:
                version = change["new"]
                self.moment.value = _utc(self._times[version - 1]) if version else ""
                self.note.value = ""
            finally:
                self._syncing = False

    def _on_moment(self, change: dict) -> None:
        """A moment typed: the version is the number of events recorded at or before it."""
        if self._syncing:
            return
        text = change["new"].strip()
        if not text:
            self.note.value = "<i>type a moment such as 2021-08-08 12:00 (UTC), or use the slider</i>"
            return
        if not MOMENT.fullmatch(text):
            self.note.value = _refusal(
                ValueError(f"{text!r} is not a moment: write it as 2021-08-08 12:00 (UTC, 24-hour; seconds optional)")
            )
            return
        try:
            moment = to_timestamp(text)
        except ValueError as error:
            self.note.value = _refusal(ValueError(f"{text!r} is not a moment: {error}"))
            return
        version = bisect_right(self._times, moment)
        self.note.value = f"at {_utc(moment)} UTC, {version} of the order's events were recorded" + (
            ": it was not placed yet" if version == 0 else ""
        )
        self._syncing = True
        try:
            self.slider.value = version  # its callback shows the version; unmoved, that version is shown already
        finally:
            self._syncing = False

    def _static(self) -> tuple[str, Snapshot | None]:
        """The timeline at an earlier version (half way), where hollow markers show what had not happened."""
        last, shown = len(self.events), self.slider.value
        earlier = max(1, last // 2) if last > 1 else last
        self._paint(earlier)
        png = self._picture.png(small=True)
        self._paint(shown)
        state = fold(e.event for e in self.events[:earlier])
        return (
            (
                f"TimeTravel over order {self.order_id} ({last} versions), "
                f"at version {shown}: run the notebook to slide through them."
            ),
            Snapshot(
                png,
                self._alt(earlier),
                f"Snapshot of the time-travel panel at version {earlier} of {last} (status {state.status}): "
                "the hollow grey markers are events recorded later. Run the notebook to move the slider.",
            ),
        )


# --- commands --------------------------------------------------------------

ACTIONS = {
    "place": "place order",
    "pay": "pay",
    "refund": "request refund",
    "confirm": "confirm refund",
    "cancel": "cancel",
    "ship": "ship",
}


class CommandConsole(_Panel):
    """Send commands to a shop; see what was recorded, or which rule said no.

    It works on a copy of ``shop`` (``copy=False``: on ``shop`` itself, and
    says so).  With ``read_models``, the order's read-model row is shown
    beside its stream: in eventual mode it lags until the read models catch
    up; ``read_models`` must read the console's shop, so it implies
    ``copy=False``, and ``shared_with`` says with whom on screen.
    ``on_handled`` holds functions called after every click.
    """

    def __init__(
        self,
        shop: Shop,
        read_models: ShopReadModels | None = None,
        order_id: str = "",
        *,
        copy: bool = True,
        shared_with: str = "the notebook",
    ):
        copy = copy and read_models is None
        self.shop = _copy(shop) if copy else shop
        self.read_models = read_models
        self.order_id = widgets.Text(
            order_id, description="order id", placeholder="e.g. 42", continuous_update=False, style=WORDS
        )
        self.amount = widgets.Text(description="amount", placeholder="e.g. 19.99", style=WORDS)
        self.reason = widgets.Text(description="reason", placeholder="optional", style=WORDS)
        self.refund_id = widgets.Text(description="refund id", placeholder="e.g. R1", style=WORDS)
        self.buttons = {
            action: widgets.Button(description=label, layout=widgets.Layout(width="auto"))
            for action, label in ACTIONS.items()
        }
        for action, button in self.buttons.items():
            button.on_click(lambda _, action=action: self._send(action))
        self.answer = _Answer()
        self.result = self.answer.widget
        self.stream = _html("eventsim-stream")
        self.row = _html("eventsim-row")
        self.on_handled: list[Callable[[], None]] = []
        self._form = 0  # counts changes to the inputs: a new form, a new command id
        for box in (self.order_id, self.amount, self.reason, self.refund_id):
            box.observe(self._on_input, "value")
        sides = [_column([widgets.HTML("<b>write side: the order's stream</b>"), self.stream], "320px")]
        if read_models is not None:
            sides.append(_column([widgets.HTML("<b>read side: its row</b>"), self.row], "200px"))
        #: The inputs, the buttons and the result line: what a panel that holds this console shows of it.
        self.form = widgets.VBox(
            [
                _help(
                    "Each button sends one command for the order id: <i>amount</i> is for place, pay and "
                    "request refund; <i>refund id</i> names the refund to confirm; <i>reason</i> is kept with a "
                    "refund or a cancel. A second click with the same inputs resends the same command (same "
                    "command id): the shop answers it from its record and records nothing twice."
                ),
                _row([self.order_id, self.amount, self.reason, self.refund_id]),
                _row(list(self.buttons.values())),
                self.result,
            ],
            layout=widgets.Layout(max_width="100%", min_width="0"),
        )
        self.widget = _panel(
            [_help(_sharing(copy, self.shop, shared_with)), self.form, _row(sides)], "eventsim-console"
        )
        self.refresh()

    def _on_input(self, change: dict) -> None:
        self._form += 1
        if change["owner"] is self.order_id:
            self.refresh()

    def _command(self, action: str):
        order_id = self.order_id.value.strip()
        if not order_id:
            raise ValueError("type an order id first")
        reason = self.reason.value.strip() or None
        refund_id = self.refund_id.value.strip() or None
        command_id = f"console-{self._form}-{action}"
        match action:
            case "place":
                return PlaceOrder(order_id, _amount(self.amount.value), command_id=command_id)
            case "pay":
                return PayOrder(order_id, _amount(self.amount.value), command_id=command_id)
            case "refund":
                return RequestRefund(order_id, _amount(self.amount.value), reason, refund_id, command_id=command_id)
            case "confirm":
                if refund_id is None:
                    raise ValueError("type the id of the refund to confirm (the order's stream shows it)")
                return ConfirmRefund(order_id, refund_id, command_id=command_id)
            case "cancel":
                return CancelOrder(order_id, reason, command_id=command_id)
            case "ship":
                return ShipOrder(order_id, command_id=command_id)
        raise ValueError(f"unknown action {action!r}")

    def _send(self, action: str) -> None:
        with _busy(self.buttons.values()):
            last = self.shop.store.last_position
            try:
                command = self._command(action)
                recorded = self.shop.handle(command)
            except (OrderError, ValueError, TypeError) as error:
                self.answer(_refusal(error))
            else:
                name = type(command).__name__
                if recorded and recorded[-1].position <= last:
                    self.answer(
                        f"<b>{name}</b> sent again with the same command id "
                        f"({html.escape(command.command_id)}): already recorded, nothing recorded twice."
                    )
                else:
                    self.answer(
                        f"<b>{name}</b> recorded {len(recorded)} event{'s' * (len(recorded) != 1)}:"
                        + _events_table(recorded)
                    )
            self.refresh()
            for callback in self.on_handled:
                callback()

    def refresh(self) -> None:
        """Show the order's stream and state (write side) and its read-model row (read side)."""
        order_id = self.order_id.value.strip()
        if not order_id:
            self.stream.value = "<i>type an order id to see its stream</i>"
            self.row.value = ""
            return
        events = self.shop.store.read_stream(stream_for(order_id))
        self.stream.value = (
            _events_table(events) + _state_table(fold(e.event for e in events))
            if events
            else f"<i>no events for order {html.escape(order_id)} yet: place it first</i>"
        )
        if self.read_models is not None:
            self.row.value = _row_table(order_id, self.read_models.orders.state.get(order_id), self.read_models)

    def _static(self) -> tuple[str, Snapshot | None]:
        """A copy of the console after a refused command: what it says when a rule says no."""
        console = CommandConsole(self.shop)
        order_id = _fresh_order_id(console.shop)
        console.order_id.value, console.amount.value = order_id, "30.00"
        for action in ("place", "pay"):
            console.buttons[action].click()
        console.amount.value = "50.00"
        console.buttons["refund"].click()
        events = console.shop.store.read_stream(stream_for(order_id))
        lines = [
            f"order id {order_id}, amount 50.00: place order, pay (30.00), then request refund (50.00)",
            "",
            _plain(console.result.value),
            "",
            "write side: the order's stream",
            *_text_table(
                ["event", "details", "version"], [[e.event_type, _details(e.event), e.version] for e in events]
            ),
        ]
        return (
            (
                f"CommandConsole on a shop of {len(self.shop.store)} events: run the notebook to send "
                "commands with its buttons."
            ),
            Snapshot(
                _text_picture(lines),
                " ".join(lines),
                f"Snapshot of the command console: order {order_id} placed and paid 30.00, then a refund of "
                "50.00 refused by the rule it breaks, with nothing recorded. Run the notebook to send commands.",
            ),
        )


# --- optimistic concurrency ------------------------------------------------

RACE_ACTIONS = (("ship it", "ship"), ("cancel it", "cancel"), ("refund part of it", "refund"), ("pay for it", "pay"))


class _Clerk:
    """One clerk's copy of the order: the version they loaded, and what they decided on it."""

    def __init__(self, name: str):
        self.name = name
        self.version: int | None = None  # None until loaded
        self.state: OrderState = fold(())
        self.loads = 0
        self.load = widgets.Button(description=f"{name}: load", layout=widgets.Layout(width="auto"))
        self.action = widgets.Dropdown(
            options=RACE_ACTIONS, description="then", style=WORDS, layout=widgets.Layout(width="auto")
        )
        self.amount = widgets.Text(
            description="refund amount", placeholder="e.g. 5.00", style=WORDS, layout=widgets.Layout(width="220px")
        )
        self.save = widgets.Button(description=f"{name}: save", layout=widgets.Layout(width="auto"))
        self.answer = _Answer("<i>not loaded yet</i>")
        self.widget = _column(
            [
                widgets.HTML(f"<b>clerk {name}</b>"),
                _row([self.load, self.action]),
                self.amount,
                self.save,
                self.answer.widget,
            ],
            "240px",
        )
        self.widget.add_class("eventsim-clerk")


class ConcurrencyRace(_Panel):
    """Two clerks load the same order, both act on it, and the second to save loses.

    A save is ``Shop.handle`` with the version the clerk loaded as the
    expected version: the shop's one write path, which would retry by itself
    with no expected version given.  Here the losing clerk sees the
    ``ConcurrencyError`` and loads again, and only then learns whether the
    action still makes sense.  The race runs on a copy of ``shop`` (``copy=False``: on ``shop``).
    Give it a store instead of a shop, as notebook 2 does before the shop is taught, and it makes the shop.
    """

    def __init__(
        self,
        shop: Shop | InMemoryEventStore,
        order_id: str,
        clerks: tuple[str, str] = ("A", "B"),
        *,
        copy: bool = True,
    ):
        if not isinstance(shop, Shop):
            shop = Shop(shop)
        self.shop = _copy(shop) if copy else shop
        self.order_id = order_id
        self.stream_id = stream_for(order_id)
        if not self.shop.store.stream_version(self.stream_id):
            raise ValueError(f"order {order_id!r} has no events: place it before racing on it")
        self.clerks = {name: _Clerk(name) for name in clerks}
        for clerk in self.clerks.values():
            clerk.load.on_click(lambda _, clerk=clerk: self._load(clerk))
            clerk.save.on_click(lambda _, clerk=clerk: self._save(clerk))
            clerk.action.observe(lambda _, clerk=clerk: self._changed(clerk), "value")
            clerk.amount.observe(lambda _, clerk=clerk: self._changed(clerk), "value")
        self.stream = _html("eventsim-stream")
        self.widget = _panel(
            [
                _help(_sharing(copy, self.shop)),
                _help(
                    "Each clerk <b>loads</b> the order (reads its stream and notes the version), picks what to do, "
                    "then <b>saves</b>: the shop records the clerk's events only if the stream is still at the "
                    "version the clerk loaded. Load both, save one, then save the other."
                ),
                _row([c.widget for c in self.clerks.values()]),
                widgets.HTML(f"<b>the stream {html.escape(self.stream_id)}</b>"),
                self.stream,
            ],
            "eventsim-race",
        )
        self._show_stream()

    def _changed(self, clerk: _Clerk) -> None:
        clerk.loads += 1  # another decision: the next save is a new command

    def _load(self, clerk: _Clerk) -> None:
        events = self.shop.store.read_stream(self.stream_id)
        clerk.version = len(events)
        clerk.state = fold(e.event for e in events)
        clerk.loads += 1
        clerk.answer(f"loaded <b>version {clerk.version}</b>: {clerk.state.status}")

    def _command(self, clerk: _Clerk):
        reason = f"clerk {clerk.name}"
        command_id = f"race-{clerk.name}-{clerk.loads}"
        match clerk.action.value:
            case "ship":
                return ShipOrder(self.order_id, command_id=command_id)
            case "cancel":
                return CancelOrder(self.order_id, reason, command_id=command_id)
            case "refund":
                return RequestRefund(
                    self.order_id, _amount(clerk.amount.value, "refund amount"), reason, command_id=command_id
                )
            case "pay":
                return PayOrder(self.order_id, clerk.state.amount, command_id=command_id)
        raise ValueError(f"unknown action {clerk.action.value!r}")

    def _save(self, clerk: _Clerk) -> None:
        if clerk.version is None:
            clerk.answer(_refusal(ValueError("load the order first")))
            return
        with _busy([clerk.load, clerk.save]):
            last = self.shop.store.last_position
            try:
                command = self._command(clerk)
                recorded = self.shop.handle(command, expected_version=clerk.version, actor=f"clerk:{clerk.name}")
            except ConcurrencyError as error:
                clerk.answer(
                    _rejected(
                        f"ConcurrencyError, nothing recorded: you loaded version {error.expected}, but the "
                        f"stream is now at version {error.actual}. Someone saved first; load again to see what "
                        "they did, then decide again."
                    )
                )
            except (OrderError, ValueError, TypeError) as error:
                clerk.answer(_refusal(error))
            else:
                if recorded and recorded[-1].position <= last:
                    clerk.answer("saved already by your first click (same command id): nothing recorded twice")
                else:
                    clerk.version = recorded[-1].version
                    clerk.state = fold((r.event for r in recorded), clerk.state)
                    clerk.answer(
                        f"saved: expected version {recorded[0].version - 1}, recorded "
                        f"{', '.join(r.event_type for r in recorded)}; now at "
                        f"<b>version {clerk.version}</b>: {clerk.state.status}"
                    )
            self._show_stream()

    def _show_stream(self) -> None:
        self.stream.value = _events_table(self.shop.store.read_stream(self.stream_id))

    def _static(self) -> tuple[str, Snapshot | None]:
        """A copy of the race after its conflict: both clerks loaded, the first saved, the second was refused."""
        names = list(self.clerks)
        race = ConcurrencyRace(self.shop, self.order_id, (names[0], names[1]))
        first, second = race.clerks.values()
        state = fold(e.event for e in race.shop.store.read_stream(self.stream_id))
        first.amount.value = second.amount.value = "1.00"
        allowed = []
        for _, action in RACE_ACTIONS:
            first.action.value = action
            if _allowed(race._command(first), state):
                allowed.append(action)
        allowed = allowed or ["ship"]
        for clerk, action in ((first, allowed[0]), (second, allowed[-1])):
            clerk.action.value = action
            clerk.load.click()
        first.save.click()
        second.save.click()
        events = race.shop.store.read_stream(self.stream_id)
        lines = [
            f"clerk {first.name}: loaded, then {allowed[0]}: {_plain(first.answer.widget.value)}",
            f"clerk {second.name}: loaded, then {allowed[-1]}: {_plain(second.answer.widget.value)}",
            "",
            f"the stream {self.stream_id}",
            *_text_table(
                ["event", "details", "version"], [[e.event_type, _details(e.event), e.version] for e in events]
            ),
        ]
        return (
            (
                f"ConcurrencyRace: clerks {' and '.join(self.clerks)} on order {self.order_id}: "
                "run the notebook to load and save as each clerk."
            ),
            Snapshot(
                _text_picture(lines),
                " ".join(lines),
                f"Snapshot of the race after its conflict: clerks {first.name} and {second.name} loaded the same "
                f"version; {first.name} saved first, so {second.name}'s save was refused with a ConcurrencyError "
                "and recorded nothing. Run the notebook to race yourself.",
            ),
        )


def _allowed(command: Any, state: OrderState) -> bool:
    """Whether the rules accept ``command`` on ``state``: a snapshot's clerks pick actions that make sense."""
    try:
        decide(command, state)
    except OrderError:
        return False
    return True


# --- the read side ---------------------------------------------------------


class _IdIndex:
    """The read model's order ids, searchable by any part, newest first, in time independent
    of how many there are.

    The ids are kept in one string, newest last, each after a newline; a
    search is ``str.rfind`` from the end (a C loop over the text) and a
    bisect maps each hit to its id.  New ids are added as the read model
    grows (a dict keeps its keys in the order they were added).
    """

    def __init__(self, rows: dict[str, OrderRow]):
        self.rows = rows
        self.ids: list[str] = []
        self.starts: list[int] = []
        self.chunks: list[str] = []
        self.text = ""

    def _update(self) -> None:
        if len(self.rows) == len(self.ids):
            return
        new = list(islice(self.rows, len(self.ids), None))
        at = len(self.text)
        for order_id in new:
            self.starts.append(at + 1)
            at += len(order_id) + 1
        self.ids += new
        self.text += "".join("\n" + order_id for order_id in new)

    def __len__(self) -> int:
        self._update()
        return len(self.ids)

    def search(self, part: str, limit: int) -> list[str]:
        """Up to ``limit`` ids that contain ``part``: an exact match first, then the newest."""
        self._update()
        if not part:
            return self.ids[-limit:][::-1]
        found = [part] if part in self.rows else []
        end = len(self.text)
        while len(found) < limit:
            hit = self.text.rfind(part, 0, end)
            if hit < 0:
                break
            index = bisect_right(self.starts, hit) - 1
            if self.ids[index] != part:
                found.append(self.ids[index])
            end = self.starts[index] - 1  # on to the ids before this one
        return found


class OrderExplorer(_Panel):
    """Find an order and see it three ways at once: its stream as a table, as a
    timeline, and its row in the orders read model.

    The list of orders is a query, so it comes from the read model: an order
    placed since the last catch-up is not there yet.  The timeline is an
    ``order_age`` chart, whose axes are the same for every order: it is drawn
    once, and a pick moves only its markers.  It only reads: no copy needed.
    """

    def __init__(self, store: InMemoryEventStore, read_models: ShopReadModels):
        self.store = store
        self.read_models = read_models
        self.index = _IdIndex(read_models.orders.state)
        self.search = widgets.Text(
            description="search",
            placeholder="any part of an order id, then Enter",
            continuous_update=False,
            style=WORDS,
            layout=widgets.Layout(width="320px"),
        )
        self.picker = widgets.Dropdown(description="order", style=WORDS, layout=widgets.Layout(width="220px"))
        self.found = _html("eventsim-found")
        self.history = _html("eventsim-history")
        self.timeline = _image()
        self.figure = charts.order_age()
        self._picture = _Picture(self.figure, moving=self.figure.axes[0].collections)
        self.row = _html("eventsim-row")
        self._choosing = False
        self._drawn: tuple[str | None, int] | None = None
        self.search.observe(lambda _: self.refresh(), "value")
        self.picker.observe(self._on_pick, "value")
        self.widget = _panel(
            [
                _help(
                    "Type any part of an order id and press Enter: the list offers the matching orders, the "
                    f"latest placed first (at most {MATCHES}). The list comes from the read model."
                ),
                _row([self.search, self.picker]),
                self.found,
                _row(
                    [
                        _column([widgets.HTML("<b>history (the stream)</b>"), self.history], "320px"),
                        _column([widgets.HTML("<b>read model row</b>"), self.row], "230px"),
                    ]
                ),
                self.timeline,
            ],
            "eventsim-explorer",
        )
        self.refresh()

    def refresh(self) -> None:
        """Offer the orders whose id contains the search text, the latest placed first."""
        part = self.search.value.strip()
        matches = self.index.search(part, MATCHES)
        total = len(self.index)
        if not matches:
            self.found.value = _live(
                _rejected(f"no order matches {part!r}") + f" among the {total} orders in the read model"
                if total
                else "<i>the read model has no orders yet: catch it up first</i>"
            )
        else:
            self.found.value = _live(
                f"{len(matches)}{'+' if len(matches) == MATCHES else ''} of {total} orders "
                + (f"contain {html.escape(repr(part), quote=False)}" if part else "(the latest placed first)")
            )
        current = self.picker.value
        self._choosing = True  # one update below, not one per trait change
        try:
            self.picker.options = matches
            self.picker.value = current if current in matches else (matches[0] if matches else None)
        finally:
            self._choosing = False
        self._show()

    def _on_pick(self, change: dict) -> None:
        if not self._choosing:
            self._show()

    def _show(self) -> None:
        order_id = self.picker.value
        if order_id is None:
            self.row.value = self.history.value = "<i>no order picked</i>"
            _show_png(self.timeline, None)
            self._drawn = None
            return
        events = self.store.read_stream(stream_for(order_id))
        self.row.value = _row_table(order_id, self.read_models.orders.state.get(order_id), self.read_models)
        self.history.value = _events_table(events)
        drawn = (order_id, len(events))  # the same order at the same version: the same picture
        if drawn != self._drawn:
            charts.place_by_age(self.figure, events)
            _show_png(self.timeline, self._picture.png(), self._alt(order_id, events))
            self._drawn = drawn

    @staticmethod
    def _alt(order_id: str, events: list[RecordedEvent]) -> str:
        return f"Order {order_id}'s events by time since it was placed: " + ", ".join(
            f"{e.event_type} after {_age(e.recorded_at - events[0].recorded_at)}" for e in events
        )

    def _static(self) -> tuple[str, Snapshot | None]:
        order_id = self.picker.value
        text = (
            f"OrderExplorer over {len(self.index)} orders, showing {order_id}: "
            "run the notebook to search and pick orders."
        )
        if not self._drawn or order_id is None:
            return text, None
        events = self.store.read_stream(stream_for(order_id))
        lines = [
            f"order {order_id}: its history (the stream)",
            *_text_table(
                ["event", "details", "version"], [[e.event_type, _details(e.event), e.version] for e in events]
            ),
        ]
        return text, Snapshot(
            self._picture.png(small=True),
            self._alt(order_id, events) + ". " + " ".join(lines),
            f"Snapshot of the order explorer showing order {order_id}: its events by time since it was placed. "
            "Run the notebook to search for orders and pick one.",
        )


def _age(seconds: int) -> str:
    """A time since an order was placed, in the largest whole unit: "0 s", "5 min", "3 h", "12 days"."""
    for unit, size in (("days", 86_400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{seconds // size} {unit}"
    return f"{seconds} s"


class LiveDashboard(_Panel):
    """The write side and the read side of one shop, side by side.

    Send commands at the top; below, on the left, the log grows; on the
    right, the orders read model follows.  In eventual mode it lags: the
    events it has not seen are marked in the log, until "catch up" (or
    "apply 1 event") brings it on.  In inline mode the store updates it
    inside every append.  It works on a copy of ``shop`` (``copy=False``: on
    ``shop``) with read models of its own, which start empty: as far behind
    as the log is long.
    """

    def __init__(self, shop: Shop, *, copy: bool = True):
        self.shop = _copy(shop) if copy else shop
        self.store = self.shop.store
        self.read_models = ShopReadModels(self.store)
        self.console = CommandConsole(self.shop, self.read_models, copy=False, shared_with="the read side below")
        self.console.on_handled.append(self._show)
        self.mode = widgets.RadioButtons(
            options=[("eventually consistent", EVENTUAL), ("inline", INLINE)],
            value=self.read_models.mode,
            layout=widgets.Layout(width="auto", max_width="100%"),
        )
        self.buttons = {
            "catch up": widgets.Button(description="catch up"),
            "apply 1 event": widgets.Button(description="apply 1 event"),
        }
        self.buttons["catch up"].on_click(lambda _: self._catch_up(None))
        self.buttons["apply 1 event"].on_click(lambda _: self._catch_up(1))
        self.mode.observe(self._on_mode, "value")
        self.answer = _Answer()
        self.lag = _html("eventsim-lag")
        self.log = _html("eventsim-log")
        self.rows = _html("eventsim-rows")
        write_side = _column([widgets.HTML("<h4>write side: the event log</h4>"), self.log], "320px")
        read_side = _column(
            [
                widgets.HTML("<h4>read side: the orders read model</h4>"),
                self.lag,
                self.mode,
                _row(list(self.buttons.values())),
                self.answer.widget,
                self.rows,
            ],
            "200px",
        )
        self.widget = _panel(
            [
                _help(
                    _sharing(copy, self.shop)
                    + " <i>Eventually consistent</i>: the read model moves only when told to: <i>catch up</i> "
                    "applies every event it has not seen, <i>apply 1 event</i> just the next. <i>Inline</i>: "
                    "every append updates it at once. It starts empty, so it starts "
                    f"{self.read_models.lag} events behind the log."
                ),
                self.console.form,
                _row([write_side, read_side]),
            ],
            "eventsim-dashboard",
        )
        self._show()

    def _on_mode(self, change: dict) -> None:
        self.read_models.mode = change["new"]  # inline catches up first, then follows every append
        self.answer(f"mode: {'inline' if change['new'] == INLINE else 'eventually consistent'}")
        self.refresh()

    def _catch_up(self, max_events: int | None) -> None:
        with _busy(self.buttons.values()):
            moved = self.read_models.catch_up(max_events)
            self.answer(
                f"applied {moved} event{'s' * (moved != 1)}"
                if moved
                else "already caught up: the read model has every event, nothing to apply"
            )
            self.refresh()

    def refresh(self) -> None:
        """Show the store and the read model as they are now, the console's order included."""
        self.console.refresh()
        self._show()

    def _tables(self) -> tuple[list[RecordedEvent], list[bool], dict[str, OrderRow | None]]:
        """The log's tail, whether the read model has seen each of its events, and the rows of their orders."""
        runner = self.read_models.orders
        tail = self.store.read_all(max(1, self.store.last_position - LOG_TAIL + 1))[-LOG_TAIL:]
        seen = [e.position <= runner.checkpoint for e in tail]
        order_ids = dict.fromkeys(e.event.order_id for e in reversed(tail))
        return tail, seen, {order_id: runner.state.get(order_id) for order_id in order_ids}

    def _lag_words(self) -> str:
        runner = self.read_models.orders
        return (
            f"lag: {self.read_models.lag} event{'s' * (self.read_models.lag != 1)} "
            f"(read model at position {runner.checkpoint}, log at {self.store.last_position})"
        )

    def _show(self) -> None:
        for button in self.buttons.values():
            button.disabled = self.read_models.mode == INLINE
        self.lag.value = _live(f"<b>{self._lag_words()}</b>")
        tail, seen, rows = self._tables()
        self.log.value = f"the last {len(tail)} events" + _table(
            ("position", "event", "order", "in read model?", "version", "details"),
            [
                (
                    e.position,
                    e.event_type,
                    _short(e.event.order_id),
                    "yes" if done else "not yet",
                    e.version,
                    _details(e.event),
                )
                for e, done in zip(tail, seen)
            ],
            ["" if done else LATER for done in seen],
            more=2,
        )
        self.rows.value = "their orders, as the read model has them" + _table(
            ("order", "status", "paid", "refunds requested", "last version"),
            [
                (_short(order_id), row.status, row.paid, row.refunds_requested, row.last_version)
                if row
                else (_short(order_id), "not in the read model yet", "", "", "")
                for order_id, row in rows.items()
            ],
            ["" if row else LATER for row in rows.values()],
            more=2,
        )

    def _static(self) -> tuple[str, Snapshot | None]:
        """A copy of the dashboard with lag: caught up, then an order placed and paid that it has not seen."""
        dashboard = LiveDashboard(self.shop)
        dashboard.read_models.catch_up()
        console = dashboard.console
        order_id = _fresh_order_id(dashboard.shop)
        console.order_id.value, console.amount.value = order_id, "25.00"
        for action in ("place", "pay"):
            console.buttons[action].click()
        tail, seen, rows = dashboard._tables()
        lines = [
            f"after catch up, order {order_id} placed and paid: {dashboard._lag_words()}",
            "",
            "write side: the event log (last events)",
            *_text_table(
                ["position", "event", "order", "in read model?"],
                [
                    [e.position, e.event_type, e.event.order_id, "yes" if done else "not yet"]
                    for e, done in zip(tail, seen)
                ],
            ),
            "",
            "read side: their orders in the read model",
            *_text_table(
                ["order", "status", "paid"],
                [[o, row.status, row.paid] if row else [o, "not in the read model yet", ""] for o, row in rows.items()],
            ),
        ]
        return (
            (
                f"LiveDashboard on a shop of {len(self.store)} events, read model lag "
                f"{self.read_models.lag}: run the notebook to send commands and catch up."
            ),
            Snapshot(
                _text_picture(lines),
                " ".join(lines),
                f"Snapshot of the live dashboard with lag: the read model caught up, then order {order_id} was "
                "placed and paid; the log has both events, the read model has neither until it catches up again. "
                "Run the notebook to send commands and catch up.",
            ),
        )


# --- simulation ------------------------------------------------------------

#: The probability sliders: (label, what it means).
CHANCES = {
    "p_pay": ("paid", "the share of placed orders that are paid"),
    "p_cancel": ("cancelled", "the share of orders cancelled (paid or not; a paid one is refunded)"),
    "p_ship": ("shipped", "the share of paid, not cancelled orders that are shipped"),
    "p_refund": ("refund asked", "the share of paid, not cancelled orders with a refund request"),
    "p_full_refund": ("refund is full", "of those refunds, the share for the whole amount (else part)"),
}


class SimulationPanel(_Panel):
    """Choose a workload, run it with a progress bar, and see what it recorded.

    The controls start from ``config``, which also gives every setting they
    do not show: pass the config of a cell above and "run" makes exactly its
    log again.  After a run, ``shop`` holds the simulated shop, to explore
    further.  Running the same settings twice would make the same log, so
    the second click says so instead of queueing the work again.
    """

    def __init__(self, config: SimulationConfig | None = None):
        config = SimulationConfig(orders=200) if config is None else config
        self._base = config
        self.shop: Shop | None = None
        self._last: tuple[SimulationConfig, int] | None = None  # the last run's config and number
        self._runs = count(1)
        self.controls: dict[str, widgets.ValueWidget] = {
            "orders": widgets.IntSlider(
                config.orders, min=10, max=max(20_000, config.orders), step=10, description="orders", style=WORDS
            ),
            "days": widgets.IntSlider(
                config.days, min=1, max=max(90, config.days), description="over days", style=WORDS
            ),
            "seed": widgets.Text(
                str(config.seed), description="seed", style=WORDS, layout=widgets.Layout(width="160px")
            ),
            **{
                name: widgets.FloatSlider(
                    getattr(config, name), min=0, max=1, step=0.05, description=label, style=WORDS
                )
                for name, (label, _) in CHANCES.items()
            },
        }
        self.buttons = {"run": widgets.Button(description="run", button_style="primary")}
        self.buttons["run"].on_click(lambda _: self.run())
        self.progress = widgets.IntProgress(0, min=0, max=1, description="commands handled", style=WORDS)
        self.answer = _Answer("<i>press run to simulate a shop; its charts appear below</i>")
        self.summary = self.answer.widget
        self.activity = _image()
        self.timeline = _image()
        chances = "".join(f"<li><b>{label}</b>: {meaning}</li>" for label, meaning in CHANCES.values())
        self.widget = _panel(
            [
                _row(
                    [
                        _column(list(self.controls.values())[:3], "280px"),
                        _column(list(self.controls.values())[3:], "280px"),
                    ]
                ),
                _help(
                    "<b>orders</b> arrive at random times <b>over days</b>; the <b>seed</b> (a whole number) "
                    "fixes every random choice, so the same settings make the same log. Each order's story "
                    f"is drawn from these chances (0 never, 1 always):<ul style='margin:2px 0'>{chances}</ul>"
                ),
                _row([self.buttons["run"], self.progress]),
                self.summary,
                self.activity,
                self.timeline,
            ],
            "eventsim-simulation",
        )

    def config(self) -> SimulationConfig:
        """The configuration the controls show; ``ValueError`` in plain words if the seed is not a number."""
        seed = self.controls["seed"].value.strip()
        if not WHOLE_NUMBER.fullmatch(seed):
            raise ValueError(f"the seed must be a whole number such as 1, not {seed!r}")
        # A browser may send a slider's value back as 0.05000000000000001: chances are kept to their step.
        values = {
            name: round(control.value, 2) if name in CHANCES else control.value
            for name, control in self.controls.items()
            if name != "seed"
        }
        return replace(self._base, seed=int(seed), **values)

    def _progress(self, done: int, total: int) -> None:
        self.progress.max = total
        self.progress.value = done

    def run(self) -> None:
        try:
            config = self.config()
        except ValueError as error:
            self.answer(_refusal(error))
            return
        if self._last and self._last[0] == config:
            self.answer(
                f"same settings as run {self._last[1]}, so the same log: not run again "
                "(change a setting, or the seed, for another shop)"
            )
            return
        changed = [
            CHANCES[f.name][0] if f.name in CHANCES else ("over days" if f.name == "days" else f.name)
            for f in fields(config)
            if self._last and getattr(config, f.name) != getattr(self._last[0], f.name)
        ]
        previous, number = self._last, next(self._runs)
        self._last = (config, number)  # before the work: a click that arrives meanwhile is a repeat
        with _busy(self.buttons.values()):
            self.buttons["run"].description = "running…"
            try:
                self.progress.value = 0
                self.shop = simulate(config, progress=self._progress)
            except BaseException:
                self._last = previous
                raise
            finally:
                self.buttons["run"].description = "run"
        events = self.shop.store.read_all()
        self.answer(
            f"run {number}: {len(events):,} events in {len(self.shop.store.stream_ids()):,} orders "
            f"over {config.days} days (seed {config.seed})"
            + (f"; changed since run {number - 1}: {', '.join(changed)}" if changed else "")
        )
        if events:
            for image, figure in (
                (self.activity, charts.store_activity(events, bucket="1D")),
                (self.timeline, charts.timeline(events)),
            ):
                _show_png(image, _Picture(figure).png(), charts.alt_text(figure))
        else:
            _show_png(self.activity, None)
            _show_png(self.timeline, None)

    def _static(self) -> tuple[str, Snapshot | None]:
        """The store-activity chart of the settings the panel starts from (the same log "run" makes)."""
        figure = charts.store_activity(simulate(self._base).store.read_all(), bucket="1D")
        return (
            "SimulationPanel: run the notebook to choose orders, days, seed and chances, and simulate.",
            Snapshot(
                charts.png(figure),
                charts.alt_text(figure),
                f"Snapshot of the simulation panel's first chart: the log its starting settings make "
                f"({self._base.orders} orders over {self._base.days} days, seed {self._base.seed}). "
                "Run the notebook to change the settings and simulate again.",
            ),
        )
