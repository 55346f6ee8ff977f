"""Widgets: event sourcing to click, drag and watch in a notebook.

Each class is one interactive panel.  It keeps its logic in Python and its
controls as attributes (``panel.slider``, ``panel.buttons["pay"]``), so a
test or a curious learner can drive it from code exactly as a click would.
``panel.widget`` is the ipywidgets box Jupyter shows; a panel shows itself
when it is a cell's value.

Callbacks read what they need and no more: one stream or one read-model row,
never the whole log, so they stay fast on a store of any size.  Drawing a
chart (matplotlib to PNG) costs far more than anything else here, mostly for
its text, so a panel that shows one chart in many states draws it once and
then redraws only what moves (see ``_Picture``).

The core never imports this module: widgets are a view on the domain.
"""
from __future__ import annotations

import html
import io
from bisect import bisect_right
from dataclasses import fields, replace
from datetime import datetime
from decimal import Decimal
from typing import Any, Callable, Iterable

import ipywidgets as widgets
import matplotlib.image
from matplotlib.artist import Artist
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from . import charts
from .clock import to_datetime, to_timestamp
from .commands import CancelOrder, ConfirmRefund, PayOrder, PlaceOrder, RequestRefund, ShipOrder
from .read_models import history_frame
from .money import to_money
from .order import OrderError, OrderState, decide, fold, initial_state
from .projections import EVENTUAL, INLINE
from .read_models import OrderRow, ShopReadModels
from .shop import Shop, stream_for
from .simulator import SimulationConfig, simulate
from .store import ConcurrencyError, InMemoryEventStore, RecordedEvent

__all__ = ["OrderExplorer", "TimeTravel", "CommandConsole", "LiveDashboard", "ConcurrencyRace",
           "SimulationPanel"]

LATER = 'class="eventsim-later" style="color:#aaa"'  # a row after the time-travel cursor
REJECTED = "color:#b00"
LOG_TAIL = 8  # events the dashboard shows from the end of the log
MATCHES = 50  # order ids the explorer offers at once
DPI = 72  # of every picture: a 10-inch chart is 720 pixels wide, and fewer pixels draw faster


# --- shared pieces ---------------------------------------------------------

class _Panel:
    """A panel displays as its ``widget``."""
    widget: widgets.Box

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.widget._repr_mimebundle_(**kwargs)


def _html(css_class: str) -> widgets.HTML:
    """An HTML widget with a class, so a browser test can find it."""
    box = widgets.HTML()
    box.add_class(css_class)
    return box


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

    def png(self) -> bytes:
        self.canvas.restore_region(self.still)
        for artist in self.moving:
            self.canvas.figure.draw_artist(artist)
        buffer = io.BytesIO()
        matplotlib.image.imsave(buffer, self.canvas.buffer_rgba(), format="png")
        return buffer.getvalue()


def _image() -> widgets.Image:
    return widgets.Image(format="png", layout=widgets.Layout(max_width="100%"))


def _utc(seconds: int) -> str:
    return to_datetime(seconds).strftime("%Y-%m-%d %H:%M:%S")


def _text(value: Any) -> str:
    """A value as shown: money always with its cents."""
    return format(value, ".2f") if isinstance(value, Decimal) else str(value)


def _details(event: Any) -> str:
    """An event's fields other than its order id, e.g. ``amount 30.00, refund_id A1-R1``."""
    return ", ".join(f"{f.name} {_text(value)}" for f in fields(event)
                     if f.name != "order_id" and (value := getattr(event, f.name)) is not None)


def _cell(value: Any) -> str:
    return f"<td>{html.escape(_text(value), quote=False)}</td>"


def _table(header: Iterable[str], rows: Iterable[Iterable[Any]], row_attrs: list[str] | None = None) -> str:
    """An HTML table; ``row_attrs`` gives each row's attributes (class, style)."""
    rows = list(rows)
    head = "".join(f"<th>{html.escape(h, quote=False)}</th>" for h in header)
    body = "".join(f"<tr{' ' + attrs if attrs else ''}>" + "".join(map(_cell, row)) + "</tr>"
                   for row, attrs in zip(rows, row_attrs or [""] * len(rows)))
    return f'<table class="eventsim-table"><tr>{head}</tr>{body}</table>'


def _events_table(events: list[RecordedEvent], later_than: int | None = None) -> str:
    """One row per recorded event; with ``later_than``, the events after that version are greyed."""
    rows = [(e.version, e.position, _utc(e.recorded_at), e.event_type, _details(e.event)) for e in events]
    attrs = [LATER if later_than is not None and e.version > later_than else "" for e in events]
    return _table(("version", "position", "recorded at (UTC)", "event", "details"), rows, attrs)


def _state_table(state: OrderState) -> str:
    """The folded state of an order, as the decider sees it."""
    if not state.placed:
        return "<i>no order: nothing recorded yet</i>"
    refunds = ", ".join(f"{r.refund_id} {r.amount:.2f} ({'paid out' if r.paid else 'requested'})"
                        for r in state.refunds.values()) or "none"
    return _table(("", ""), [("status", state.status), ("amount", state.amount), ("paid", state.paid),
                             ("refunds requested", state.refunds_requested), ("net", state.net),
                             ("refunds", refunds),
                             ("version", state.version)])


def _row_table(row: OrderRow | None, read_models: ShopReadModels) -> str:
    """One order as the read side has it, and how far behind the read side is."""
    behind = (f"read model at position {read_models.orders.checkpoint} of "
              f"{read_models.orders.store.last_position} (lag {read_models.orders.lag})")
    if row is None:
        return f"<i>not in the orders read model</i>: {behind}"
    return _table(("", ""), [("status", row.status), ("amount", row.amount), ("paid", row.paid),
                             ("refunded", row.refunded), ("net", row.net),
                             ("last version", row.last_version)]) + behind


def _rejection(error: Exception) -> str:
    """An error in plain words; a broken business rule is named as such."""
    if isinstance(error, OrderError):
        text = f"Rejected, nothing recorded: {error.problem}. The rule: {error.rule}."
    else:
        text = f"Not sent: {error}."
    return f'<span style="{REJECTED}">{html.escape(text, quote=False)}</span>'


# --- time travel -----------------------------------------------------------

class TimeTravel(_Panel):
    """Slide through one order's versions, or pick a moment, and see the order as it was then.

    The state shown is ``fold`` of the events up to the cursor.  The later
    events stay in the table and on the timeline, greyed out: they are
    recorded, but at that point they had not happened yet.  The timeline,
    ``figure``, is drawn once: a move of the cursor repaints its markers and
    redraws only them.
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
        self._markers = {markers: [e.version for e in in_time_order if e.event_type == markers.get_label()]
                         for markers in self.figure.axes[0].collections}  # one collection per event type
        self._picture = _Picture(self.figure, moving=self._markers)
        self._syncing = False

        self.slider = widgets.IntSlider(version, min=0, max=last, description="version",
                                        continuous_update=False)
        self.moment = widgets.NaiveDatetimePicker(value=self._moment_of(version), description="at (UTC)")
        self.state = _html("eventsim-state")
        self.table = _html("eventsim-events")
        self.timeline = _image()
        self.slider.observe(self._on_version, "value")
        self.moment.observe(self._on_moment, "value")
        self.widget = widgets.VBox([widgets.HBox([self.slider, self.moment]),
                                    widgets.HBox([self.state, self.table]), self.timeline])
        self.widget.add_class("eventsim-time-travel")
        self._show(version)

    def _moment_of(self, version: int) -> datetime | None:
        """When the event at ``version`` was recorded, as a naive UTC datetime for the picker."""
        return to_datetime(self._times[version - 1]).replace(tzinfo=None) if version else None

    def _show(self, version: int) -> None:
        state = fold(e.event for e in self.events[:version])
        self.state.value = (f"<b>version {version} of {len(self.events)}</b>: {state.status}"
                            + _state_table(state))
        self.table.value = _events_table(self.events, later_than=version)
        for markers, versions in self._markers.items():
            color = charts.EVENT_STYLE[markers.get_label()]["color"]
            markers.set_color([charts.LATER if v > version else color for v in versions])
        self.timeline.value = self._picture.png()

    def _on_version(self, change: dict) -> None:
        self._show(change["new"])
        if not self._syncing:
            self._syncing = True
            try:
                self.moment.value = self._moment_of(change["new"])
            finally:
                self._syncing = False

    def _on_moment(self, change: dict) -> None:
        """A moment picked: the version is the number of events recorded at or before it."""
        if self._syncing or change["new"] is None:
            return
        self._syncing = True
        try:
            self.slider.value = bisect_right(self._times, to_timestamp(change["new"]))
        finally:
            self._syncing = False


# --- commands --------------------------------------------------------------

ACTIONS = {"place": "place order", "pay": "pay", "refund": "request refund", "confirm": "confirm refund",
           "cancel": "cancel", "ship": "ship"}


class CommandConsole(_Panel):
    """Send commands to a shop; see what was recorded, or which rule said no.

    With ``read_models``, the order's read-model row is shown beside its
    stream: in eventual mode it lags until the read models catch up.
    ``on_handled`` holds functions called after every command, handled or not.
    """

    def __init__(self, shop: Shop, read_models: ShopReadModels | None = None, order_id: str = ""):
        self.shop = shop
        self.read_models = read_models
        self.order_id = widgets.Text(order_id, description="order id", continuous_update=False)
        self.amount = widgets.Text(description="amount", placeholder="e.g. 19.99")
        self.reason = widgets.Text(description="reason", placeholder="optional")
        self.refund_id = widgets.Text(description="refund id", placeholder="e.g. A1-R1")
        self.buttons = {action: widgets.Button(description=label) for action, label in ACTIONS.items()}
        for action, button in self.buttons.items():
            button.on_click(lambda _, action=action: self._send(action))
        self.result = _html("eventsim-result")
        self.stream = _html("eventsim-stream")
        self.row = _html("eventsim-row")
        self.on_handled: list[Callable[[], None]] = []
        self.order_id.observe(lambda _: self.refresh(), "value")
        sides = [widgets.VBox([widgets.HTML("<b>write side: the order's stream</b>"), self.stream])]
        if read_models is not None:
            sides.append(widgets.VBox([widgets.HTML("<b>read side: its row</b>"), self.row]))
        self.widget = widgets.VBox([
            widgets.HBox([self.order_id, self.amount]), widgets.HBox([self.reason, self.refund_id]),
            widgets.HBox(list(self.buttons.values())), self.result, widgets.HBox(sides)])
        self.widget.add_class("eventsim-console")
        self.refresh()

    def _command(self, action: str):
        order_id = self.order_id.value.strip()
        if not order_id:
            raise ValueError("type an order id first")
        reason = self.reason.value.strip() or None
        refund_id = self.refund_id.value.strip() or None
        match action:
            case "place":
                return PlaceOrder(order_id, to_money(self.amount.value))
            case "pay":
                return PayOrder(order_id, to_money(self.amount.value))
            case "refund":
                return RequestRefund(order_id, to_money(self.amount.value), reason, refund_id)
            case "confirm":
                if refund_id is None:
                    raise ValueError("type the id of the refund to confirm (its stream shows it)")
                return ConfirmRefund(order_id, refund_id)
            case "cancel":
                return CancelOrder(order_id, reason)
            case "ship":
                return ShipOrder(order_id)
        raise ValueError(f"unknown action {action!r}")

    def _send(self, action: str) -> None:
        try:
            command = self._command(action)
            recorded = self.shop.handle(command)
        except (OrderError, ValueError) as error:
            self.result.value = _rejection(error)
        else:
            self.result.value = (f"<b>{type(command).__name__}</b> recorded {len(recorded)} "
                                 f"event{'s' * (len(recorded) != 1)}:" + _events_table(recorded))
        self.refresh()
        for callback in self.on_handled:
            callback()

    def refresh(self) -> None:
        """Show the order's stream and state (write side) and its read-model row (read side)."""
        order_id = self.order_id.value.strip()
        events = self.shop.store.read_stream(stream_for(order_id))
        self.stream.value = (_events_table(events) + _state_table(fold(e.event for e in events))
                             if events else "<i>no events for this order id</i>")
        if self.read_models is not None:
            self.row.value = _row_table(self.read_models.orders.state.get(order_id), self.read_models)


# --- optimistic concurrency ------------------------------------------------

RACE_ACTIONS = ("ship", "cancel", "refund", "pay")


class _Clerk:
    """One clerk's copy of the order: the version they loaded, and what they decided on it."""

    def __init__(self, name: str):
        self.name = name
        self.version: int | None = None  # None until loaded
        self.state: OrderState = initial_state
        self.correlation_id: str | None = None
        self.load = widgets.Button(description=f"{name}: load")
        self.action = widgets.Dropdown(options=RACE_ACTIONS, description="then")
        self.amount = widgets.Text(description="refund", placeholder="amount, to refund")
        self.save = widgets.Button(description=f"{name}: save")
        self.status = _html("eventsim-clerk")
        self.widget = widgets.VBox([widgets.HTML(f"<b>clerk {name}</b>"), self.load, self.action, self.amount,
                                    self.save, self.status])


class ConcurrencyRace(_Panel):
    """Two clerks load the same order, both act on it, and the second to save loses.

    Each save appends with the version its clerk loaded as the expected
    version, exactly as ``Shop.handle`` does; but where the shop retries by
    itself, here the losing clerk sees the ``ConcurrencyError`` and loads
    again, and only then learns whether the action still makes sense.
    """

    def __init__(self, shop: Shop, order_id: str, clerks: tuple[str, str] = ("A", "B")):
        self.store = shop.store
        self.order_id = order_id
        self.stream_id = stream_for(order_id)
        if not self.store.stream_version(self.stream_id):
            raise ValueError(f"order {order_id!r} has no events: place it before racing on it")
        self.clerks = {name: _Clerk(name) for name in clerks}
        for clerk in self.clerks.values():
            clerk.load.on_click(lambda _, clerk=clerk: self._load(clerk))
            clerk.save.on_click(lambda _, clerk=clerk: self._save(clerk))
            clerk.status.value = "<i>not loaded yet</i>"
        self.stream = _html("eventsim-stream")
        self.widget = widgets.VBox([widgets.HBox([c.widget for c in self.clerks.values()]),
                                    widgets.HTML(f"<b>the stream {self.stream_id}</b>"), self.stream])
        self.widget.add_class("eventsim-race")
        self._show_stream()

    def _load(self, clerk: _Clerk) -> None:
        events = self.store.read_stream(self.stream_id)
        clerk.version = len(events)
        clerk.state = fold(e.event for e in events)
        clerk.correlation_id = events[0].correlation_id
        clerk.status.value = f"loaded <b>version {clerk.version}</b>: {clerk.state.status}"

    def _command(self, clerk: _Clerk):
        reason = f"clerk {clerk.name}"
        match clerk.action.value:
            case "ship":
                return ShipOrder(self.order_id)
            case "cancel":
                return CancelOrder(self.order_id, reason)
            case "refund":
                return RequestRefund(self.order_id, to_money(clerk.amount.value), reason)
            case "pay":
                return PayOrder(self.order_id, clerk.state.amount)
        raise ValueError(f"unknown action {clerk.action.value!r}")

    def _save(self, clerk: _Clerk) -> None:
        if clerk.version is None:
            clerk.status.value = _rejection(ValueError("load the order first"))
            return
        try:
            events = decide(self._command(clerk), clerk.state)
            recorded = self.store.append(self.stream_id, events, expected_version=clerk.version,
                                         correlation_id=clerk.correlation_id)
        except ConcurrencyError as error:
            clerk.status.value = (
                f'<span style="{REJECTED}">ConcurrencyError, nothing recorded: you loaded version '
                f"{error.expected}, but the stream is now at version {error.actual}. Someone saved "
                f"first; load again to see what they did, then decide again.</span>")
        except (OrderError, ValueError) as error:
            clerk.status.value = _rejection(error)
        else:
            clerk.version = recorded[-1].version
            clerk.state = fold((r.event for r in recorded), clerk.state)
            clerk.status.value = (f"saved: expected version {recorded[0].version - 1}, recorded "
                                  f"{', '.join(r.event_type for r in recorded)}; now at "
                                  f"<b>version {clerk.version}</b>: {clerk.state.status}")
        self._show_stream()

    def _show_stream(self) -> None:
        self.stream.value = _events_table(self.store.read_stream(self.stream_id))


# --- the read side ---------------------------------------------------------

class OrderExplorer(_Panel):
    """Find an order and see it three ways at once: its stream as a table, as a
    timeline, and its row in the orders read model.

    The list of orders is a query, so it comes from the read model: an order
    placed since the last catch-up is not there yet.  The timeline is an
    ``order_age`` chart, whose axes are the same for every order: it is drawn
    once, and a pick moves only its markers.
    """

    def __init__(self, store: InMemoryEventStore, read_models: ShopReadModels):
        self.store = store
        self.read_models = read_models
        self.search = widgets.Text(description="search", placeholder="order id or its start, then Enter",
                                   continuous_update=False)
        self.picker = widgets.Dropdown(description="order")
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
        self.widget = widgets.VBox([
            widgets.HBox([self.search, self.picker, self.found]),
            widgets.HBox([widgets.VBox([widgets.HTML("<b>read model row</b>"), self.row]),
                          widgets.VBox([widgets.HTML("<b>history (the stream)</b>"), self.history])]),
            self.timeline])
        self.widget.add_class("eventsim-explorer")
        self.refresh()

    def refresh(self) -> None:
        """Offer the orders whose id starts with the search text, the latest placed first."""
        prefix = self.search.value.strip()
        orders = self.read_models.orders.state
        ids = (order_id for order_id in reversed(orders) if order_id.startswith(prefix))
        matches = [order_id for order_id, _ in zip(ids, range(MATCHES))]
        self.found.value = f"{len(matches)}{'+' if len(matches) == MATCHES else ''} found"
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
        events = self.store.read_stream(stream_for(order_id)) if order_id else []
        self.row.value = _row_table(self.read_models.orders.state.get(order_id), self.read_models)
        self.history.value = history_frame(self.store, order_id).to_html(index=False) if events else ""
        drawn = (order_id, len(events))  # the same order at the same version: the same picture
        if drawn != self._drawn:
            charts.place_by_age(self.figure, events)
            self.timeline.value = self._picture.png() if events else b""
            self._drawn = drawn


class LiveDashboard(_Panel):
    """The write side and the read side of one shop, side by side.

    Send commands on the left and watch the log grow; on the right, the
    orders read model follows.  In eventual mode it lags: the events it has
    not seen are marked in the log, until "catch up" (or "apply 1 event")
    brings it on.  In inline mode the store updates it inside every append.
    """

    def __init__(self, shop: Shop, read_models: ShopReadModels | None = None):
        self.store = shop.store
        self.read_models = ShopReadModels(shop.store) if read_models is None else read_models
        self.console = CommandConsole(shop, self.read_models)
        self.console.on_handled.append(self._show)
        self.mode = widgets.ToggleButtons(options=[("eventually consistent", EVENTUAL), ("inline", INLINE)],
                                          value=self.read_models.mode, description="read model")
        self.buttons = {"catch up": widgets.Button(description="catch up"),
                        "apply 1 event": widgets.Button(description="apply 1 event")}
        self.buttons["catch up"].on_click(lambda _: self._catch_up(None))
        self.buttons["apply 1 event"].on_click(lambda _: self._catch_up(1))
        self.mode.observe(self._on_mode, "value")
        self.lag = _html("eventsim-lag")
        self.log = _html("eventsim-log")
        self.rows = _html("eventsim-rows")
        write_side = widgets.VBox([widgets.HTML("<h4>write side: commands and the event log</h4>"),
                                   self.console.widget, self.log])
        read_side = widgets.VBox([widgets.HTML("<h4>read side: the orders read model</h4>"), self.mode,
                                  widgets.HBox(list(self.buttons.values())), self.lag, self.rows])
        self.widget = widgets.HBox([write_side, read_side])
        self.widget.add_class("eventsim-dashboard")
        self._show()

    def _on_mode(self, change: dict) -> None:
        self.read_models.mode = change["new"]  # inline catches up first, then follows every append
        self.refresh()

    def _catch_up(self, max_events: int | None) -> None:
        self.read_models.catch_up(max_events)
        self.refresh()

    def refresh(self) -> None:
        """Show the store and the read model as they are now, the console's order included."""
        self.console.refresh()
        self._show()

    def _show(self) -> None:
        runner = self.read_models.orders
        inline = self.read_models.mode == INLINE
        for button in self.buttons.values():
            button.disabled = inline
        self.lag.value = (f"<b>lag: {self.read_models.lag} event{'s' * (self.read_models.lag != 1)}</b> "
                          f"(checkpoint {runner.checkpoint}, log at {self.store.last_position})")
        tail = self.store.read_all(self.store.last_position - LOG_TAIL + 1)
        attrs = [LATER if e.position > runner.checkpoint else "" for e in tail]
        self.log.value = (f"the last {len(tail)} events in the log; grey: not yet in the read model"
                          + _table(("position", "stream", "version", "event", "details"),
                                   [(e.position, e.stream_id, e.version, e.event_type, _details(e.event))
                                    for e in tail], attrs))
        order_ids = dict.fromkeys(e.event.order_id for e in reversed(tail))
        rows = [runner.state.get(order_id) for order_id in order_ids]
        self.rows.value = _table(("order", "status", "paid", "refunded", "last version"),
                                 [(order_id, row.status, row.paid, row.refunded, row.last_version) if row
                                  else (order_id, "(not in the read model yet)", "", "", "")
                                  for order_id, row in zip(order_ids, rows)])


# --- simulation ------------------------------------------------------------

class SimulationPanel(_Panel):
    """Choose a workload, run it with a progress bar, and see what it recorded.

    The controls start from ``config``, which also gives every setting they
    do not show.  The simulator reports progress every ``PROGRESS_EVERY``
    commands.  After a run, ``shop`` holds the simulated shop, to explore further.
    """

    def __init__(self, config: SimulationConfig = SimulationConfig(orders=200)):
        self._base = config
        self.shop: Shop | None = None
        self.controls = {
            "orders": widgets.IntSlider(config.orders, min=10, max=20_000, step=10, description="orders"),
            "days": widgets.IntSlider(config.days, min=1, max=90, description="days"),
            "seed": widgets.IntText(config.seed, description="seed"),
            **{name: widgets.FloatSlider(getattr(config, name), min=0, max=1, step=0.05, description=name)
               for name in ("p_pay", "p_cancel", "p_ship", "p_refund", "p_full_refund")}}
        self.buttons = {"run": widgets.Button(description="run", button_style="primary")}
        self.buttons["run"].on_click(lambda _: self.run())
        self.progress = widgets.IntProgress(0, min=0, max=1, description="commands")
        self.summary = _html("eventsim-summary")
        self.activity = _image()
        self.timeline = _image()
        self.widget = widgets.VBox([widgets.HBox([widgets.VBox(list(self.controls.values())[:3]),
                                                  widgets.VBox(list(self.controls.values())[3:])]),
                                    widgets.HBox([self.buttons["run"], self.progress]), self.summary,
                                    self.activity, self.timeline])
        self.widget.add_class("eventsim-simulation")

    def config(self) -> SimulationConfig:
        """The configuration the controls show."""
        return replace(self._base, **{name: control.value for name, control in self.controls.items()})

    def _progress(self, done: int, total: int) -> None:
        self.progress.max = total
        self.progress.value = done

    def run(self) -> None:
        config = self.config()
        self.progress.value = 0
        self.shop = simulate(config, progress=self._progress)
        events = self.shop.store.read_all()
        self.summary.value = (f"{len(events):,} events in {len(self.shop.store.stream_ids()):,} orders "
                              f"over {config.days} days (seed {config.seed})")
        self.activity.value = _Picture(charts.store_activity(events, bucket="1D")).png()
        self.timeline.value = _Picture(charts.timeline(events)).png()
