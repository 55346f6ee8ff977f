"""The widgets, driven from Python as a learner would drive them with the mouse.

Each test sets a control's value or clicks a button, then checks what
changed: the store, the read model, and the text or picture on show.
tests/test_browser.py checks that the same panels render in a real browser.
"""
import base64
import re
from decimal import Decimal
from pathlib import Path

import ipywidgets
import matplotlib
import matplotlib.dates as mdates
import nbformat
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure
from nbclient import NotebookClient

from eventsim.workbook import charts, widgets
from eventsim.clock import SimulatedClock, to_datetime
from eventsim.ids import SeededIds
from eventsim.projections import EVENTUAL, INLINE
from eventsim.shop import Shop, stream_for
from eventsim.shop.commands import PayOrder, PlaceOrder, RequestRefund, ShipOrder
from eventsim.shop.order import OrderAlreadyShipped, WrongPaymentAmount, fold
from eventsim.shop.read_models import ShopReadModels
from eventsim.shop.simulator import SimulationConfig, simulate
from eventsim.store import InMemoryEventStore
from eventsim.workbook.widgets import (
    CommandConsole,
    ConcurrencyRace,
    LiveDashboard,
    OrderExplorer,
    SimulationPanel,
    TimeTravel,
)

matplotlib.use("Agg")

HOUR = 3600
PNG = b"\x89PNG\r\n\x1a\n"
GREY = to_rgba(charts.LATER)


def new_shop() -> Shop:
    return Shop(InMemoryEventStore(clock=SimulatedClock(step=HOUR), ids=SeededIds(1)), ids=SeededIds(2))


@pytest.fixture
def shop():
    """Order A1: placed, paid, partly refunded, shipped (versions 1-4, an hour apart)."""
    shop = new_shop()
    for command in (PlaceOrder("A1", Decimal("100.00"), "C1"), PayOrder("A1", Decimal("100.00")),
                    RequestRefund("A1", Decimal("30.00")), ShipOrder("A1")):
        shop.handle(command)
    return shop


def sketch(events, kwargs) -> Figure:
    """Stands in for a chart: a tiny figure naming what it was asked to draw, so different charts differ.

    A chart takes matplotlib 0.1-0.3 s to draw; a sketch, a few milliseconds.
    """
    figure = Figure(figsize=(4, 0.3))
    figure.add_subplot().set_axis_off()
    figure.text(0, 0.2, repr((len(events), sorted(kwargs.items()))))
    return figure


@pytest.fixture
def real_charts():
    """Ask for this to draw with matplotlib instead of sketching."""


@pytest.fixture(autouse=True)
def drawn(request, monkeypatch):
    """The charts drawn during a test, as (chart name, keyword arguments)."""
    calls = []
    for name in ("timeline", "store_activity"):
        real = getattr(charts, name)

        def chart(events, _name=name, _real=real, **kwargs):
            calls.append((_name, kwargs))
            return _real(events, **kwargs) if "real_charts" in request.fixturenames else sketch(events, kwargs)

        monkeypatch.setattr(charts, name, chart)
    return calls


def later_rows(html: str) -> int:
    """Rows marked as not happened (or not projected) yet: in words, not only in grey."""
    return html.count(">not yet</td>")


def text(html: str) -> str:
    """The visible text of an HTML fragment, spaces squeezed."""
    inline = re.sub(r"</?(b|i|span|code)( [^>]*)?>", "", html)
    return " ".join(re.sub(r"<[^>]+>", " ", inline).split())


def shown(panel) -> str:
    """The visible text of every HTML part of a panel."""
    found, boxes = [], [panel.widget]
    while boxes:
        box = boxes.pop(0)
        found.append(box)
        boxes.extend(getattr(box, "children", ()))
    return " ".join(text(w.value) for w in found if isinstance(w, ipywidgets.HTML) and "<style>" not in w.value)


def answer_number(html: str) -> int:
    return int(re.search(r"<b>#(\d+)</b>", html).group(1))


# --- shared pieces ---------------------------------------------------------

def contrast(color: str, background: str = "#ffffff") -> float:
    def luminance(hex_color):
        channels = [int(hex_color[i:i + 2], 16) / 255 for i in (1, 3, 5)]
        r, g, b = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * r + 0.7152 * g + 0.0722 * b
    high, low = sorted([luminance(color), luminance(background)], reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_greyed_rows_and_refusals_meet_wcag_aa_contrast_in_the_light_and_the_dark_theme():
    # JupyterLab's page background: white in the light theme, --jp-layout-color0 #111111 in the dark one.
    for theme, background in (("true", "#ffffff"), ("false", "#111111")):
        rule = re.search(rf'data-jp-theme-light="{theme}"\] \.eventsim-panel {{([^}}]*)}}', widgets.STYLE).group(1)
        colours = dict(re.findall(r"--eventsim-(\w+): (#[0-9a-f]{6})", rule))
        assert set(colours) == {"muted", "error"}
        for name, colour in colours.items():
            assert contrast(colour, background) >= 4.5, (theme, name, colour)
    assert contrast(charts.LATER) >= 4.5


def test_long_ids_are_shortened_with_the_whole_id_on_hover():
    uuid = "8c1f3a52-77b0-4c3e-9d7e-0a4be0d3c1f2"
    assert widgets._short(uuid) == f'<span title="{uuid}">8c1f3a52-7…</span>'
    assert widgets._short("000123") == "000123"
    assert widgets._short('<b>"x"</b>' * 3).startswith('<span title="&lt;b&gt;&quot;x&quot;')


def test_a_tables_secondary_columns_give_way_in_a_narrow_column_and_stay_on_hover():
    table = widgets._table(("event", "position", "caused by"), [("OrderPaid", 7, "cmd-1")], more=2)
    assert '<th>event</th><th class="eventsim-more">position</th>' in table
    assert '<tr title="position: 7; caused by: cmd-1">' in table
    assert "overflow" not in table, "no table scrolls in a box of its own: it fits the column"
    assert f"@container (max-width: {widgets.NARROW_PX}px) {{ .eventsim-table .eventsim-more {{ display: none; }} }}" \
        in widgets.STYLE


def test_a_chart_is_drawn_with_the_pixels_it_is_shown_with(shop, real_charts):
    panel = TimeTravel(shop.store, "A1")
    png = panel.timeline.png
    width = int.from_bytes(png[16:20], "big")
    assert width == widgets.CHART_PX
    assert f'.eventsim-chart img {{ width: {widgets.CHART_PX}px; max-width: 100%;' in widgets.STYLE
    assert panel.timeline.value.startswith('<img alt="Timeline of order A1 at version 4 of 4: happened: OrderCreated')
    pixels_per_metre = int.from_bytes(png[png.index(b"pHYs") + 4:][:4], "big")
    assert round(pixels_per_metre * 0.0254) == round(widgets.DPI), "the PNG says the dpi it was drawn at"
    # Text of charts.FONT points, drawn at DPI and shown CHART_PX wide, is at least 10 CSS px.
    assert charts.FONT * widgets.DPI / 72 >= 10


# --- TimeTravel ------------------------------------------------------------

def test_time_travel_starts_at_the_current_state(shop, real_charts):
    panel = TimeTravel(shop.store, "A1")
    assert (panel.slider.min, panel.slider.max, panel.slider.value) == (0, 4, 4)
    assert shop.state("A1").status == "shipped, refund requested"
    assert "version 4 of 4: status shipped, refund requested" in text(panel.state.value)
    assert later_rows(panel.table.value) == 0
    assert panel.timeline.png.startswith(PNG) and panel.timeline.layout.display is None


def test_each_version_shows_the_fold_of_its_prefix_and_says_which_events_had_not_happened(shop):
    panel = TimeTravel(shop.store, "A1", version=0)
    events = shop.store.read_stream(stream_for("A1"))
    statuses = []
    for version in range(5):
        panel.slider.value = version
        expected = fold(e.event for e in events[:version])
        statuses.append(expected.status)
        assert f"version {version} of 4" in panel.state.value
        if version:
            assert f"net {expected.net:.2f}" in text(panel.state.value)
        else:
            assert "version 0 of 4: before the first event no order yet" in text(panel.state.value)
        assert later_rows(panel.table.value) == 4 - version
        assert panel.table.value.count(widgets.LATER) == 4 - version
    assert statuses == ["new", "placed", "paid", "paid, refund requested", "shipped, refund requested"]


def test_the_timeline_is_drawn_once_and_the_cursor_hollows_the_later_markers(shop, drawn, real_charts):
    panel = TimeTravel(shop.store, "A1", version=1)
    version_at = {mdates.date2num(to_datetime(e.recorded_at)): e.version  # an hour apart: one event per x
                  for e in shop.store.read_stream(stream_for("A1"))}
    pictures = {}
    white = to_rgba("white")
    for version in (1, 3, 0, 4, 1, 3):
        panel.slider.value = version
        markers = [(version_at[x], tuple(face), tuple(edge)) for collection in panel.figure.axes[0].collections
                   for (x, _), face, edge in zip(collection.get_offsets(), collection.get_facecolors(),
                                                 collection.get_edgecolors())]
        assert sorted(v for v, _, _ in markers) == [1, 2, 3, 4], "every event keeps its marker"
        assert all((face == white and edge == GREY) == (v > version) for v, face, edge in markers), version
        picture = panel.timeline.png
        assert picture.startswith(PNG) and picture == pictures.setdefault(version, picture)
    assert len(set(pictures.values())) == 4, "each version its own picture"
    assert drawn == [("timeline", {})], "one chart for every version: the slider only repaints its markers"


def test_the_slider_fills_in_the_moment_and_a_typed_moment_moves_the_slider(shop):
    panel = TimeTravel(shop.store, "A1", version=2)
    second = shop.store.read_stream(stream_for("A1"))[1].recorded_at
    assert panel.moment.value == to_datetime(second).strftime("%Y-%m-%d %H:%M:%S"), "UTC, 24-hour"
    panel.moment.value = to_datetime(second + HOUR // 2).strftime("%Y-%m-%d %H:%M")  # between versions 2 and 3
    assert panel.slider.value == 2 and "2 of the order's events were recorded" in panel.note.value
    panel.moment.value = to_datetime(second + HOUR).strftime("%Y-%m-%d %H:%M:%S")  # when version 3 was recorded
    assert panel.slider.value == 3
    panel.moment.value = to_datetime(second - 2 * HOUR).strftime("%Y-%m-%d %H:%M")  # before the order existed
    assert panel.slider.value == 0 and "it was not placed yet" in panel.note.value


def test_a_typed_moment_renders_the_picture_once(shop, monkeypatch):
    """Rendering the PNG is most of a callback's time: typing a moment that moves the slider
    renders once (the slider's own callback shows the version), as moving the slider does."""
    panel = TimeTravel(shop.store, "A1", version=0)
    second = shop.store.read_stream(stream_for("A1"))[1].recorded_at
    renders = []
    render = panel._picture.png
    monkeypatch.setattr(panel._picture, "png", lambda: renders.append(1) or render())
    panel.moment.value = to_datetime(second).strftime("%Y-%m-%d %H:%M:%S")
    assert panel.slider.value == 2 and len(renders) == 1
    panel.moment.value = to_datetime(second + 60).strftime("%Y-%m-%d %H:%M:%S")  # still version 2
    assert panel.slider.value == 2 and len(renders) == 1, "nothing new to show"


@pytest.mark.parametrize("typed, message", [
    ("", "type a moment such as 2021-08-08 12:00 (UTC), or use the slider"),
    ("8/8/2021 3:00 PM", "is not a moment: write it as 2021-08-08 12:00"),
    ("2021-02-30 10:00", "is not a moment: day is out of range"),
    ("2021-08-08 10:00+02:00", "is not a moment: write it as"),
])
def test_a_moment_that_cannot_be_read_gets_a_plain_message_and_moves_nothing(shop, typed, message):
    panel = TimeTravel(shop.store, "A1", version=2)
    panel.moment.value = "2021-08-08 00:00"  # a change, so that the cleared box is a change too
    panel.slider.value = 2
    panel.moment.value = typed
    assert message in panel.note.value and panel.slider.value == 2


@settings(max_examples=30, deadline=None)
@given(offset=st.integers(-3 * HOUR, 6 * HOUR))
def test_a_moment_selects_the_events_recorded_at_or_before_it(offset):
    shop = new_shop()
    shop.handle(PlaceOrder("A1", Decimal(5)))
    shop.handle(PayOrder("A1", Decimal(5)))
    shop.handle(ShipOrder("A1"))
    events = shop.store.read_stream(stream_for("A1"))
    panel = TimeTravel(shop.store, "A1", version=0)
    moment = events[0].recorded_at + offset
    panel.moment.value = to_datetime(moment).strftime("%Y-%m-%d %H:%M:%S")
    assert panel.slider.value == sum(e.recorded_at <= moment for e in events)


def test_events_recorded_at_one_moment_keep_their_own_versions():
    shop = Shop(InMemoryEventStore(clock=SimulatedClock(step=0), ids=SeededIds(1)), ids=SeededIds(2))
    shop.handle(PlaceOrder("S1", Decimal(5)))
    shop.handle(PayOrder("S1", Decimal(5)))
    panel = TimeTravel(shop.store, "S1", version=1)
    assert panel.slider.value == 1 and "version 1 of 2" in panel.state.value, \
        "showing version 1's moment must not move the slider to version 2, recorded at the same second"
    panel.moment.value = to_datetime(shop.store.read_stream(stream_for("S1"))[0].recorded_at + 1).isoformat()[:19]
    assert panel.slider.value == 2, "both events were recorded at the moment before"


def test_time_travel_names_what_is_wrong(shop):
    with pytest.raises(ValueError, match="order 'Z9' has no events"):
        TimeTravel(shop.store, "Z9")
    with pytest.raises(ValueError, match="versions 0 to 4, not 5"):
        TimeTravel(shop.store, "A1", version=5)


# --- CommandConsole --------------------------------------------------------

def test_the_console_works_on_its_own_copy_and_says_so(shop):
    before = shop.store.read_all()
    console = CommandConsole(shop, order_id="B7")
    assert "its own copy" in shown(console)
    copied = console.shop.store.read_all()
    assert [(e.stream_id, e.version, e.event, e.recorded_at, e.causation_id, e.correlation_id) for e in copied] \
        == [(e.stream_id, e.version, e.event, e.recorded_at, e.causation_id, e.correlation_id) for e in before]
    console.amount.value = "19.99"
    console.buttons["place"].click()
    assert shop.store.read_all() == before, "the notebook's shop is untouched"
    assert console.shop.store.read_stream(stream_for("B7"))[0].recorded_at > before[-1].recorded_at
    shared = CommandConsole(shop, order_id="B8", copy=False)
    assert shared.shop is shop and "shares" in shown(shared)


def test_a_click_records_the_command_and_shows_its_events():
    console = CommandConsole(new_shop(), order_id="B7")
    store = console.shop.store
    console.amount.value = "19.99"
    console.buttons["place"].click()
    [recorded] = store.read_stream(stream_for("B7"))
    assert recorded.event.amount == Decimal("19.99") and isinstance(recorded.event.amount, Decimal)
    assert "PlaceOrder" in console.result.value and "OrderCreated" in console.result.value
    assert "OrderCreated" in console.stream.value and "placed" in console.stream.value
    console.buttons["pay"].click()
    assert [e.event_type for e in store.read_stream(stream_for("B7"))] == ["OrderCreated", "OrderPaid"]
    assert "OrderPaid" in console.result.value and "OrderCreated" not in console.result.value


def test_a_double_click_is_a_retry_of_the_same_command_never_a_refusal():
    console = CommandConsole(new_shop(), order_id="B7")
    console.amount.value = "19.99"
    console.buttons["place"].click()
    first = console.result.value
    console.buttons["place"].click()
    assert len(console.shop.store) == 1, "recorded once"
    assert "Rejected" not in console.result.value and "already recorded, nothing recorded twice" in \
        console.result.value
    assert answer_number(console.result.value) == answer_number(first) + 1, "the answer visibly changed"
    console.amount.value = "19.990"  # an edit: a new command, which the rules refuse
    console.buttons["place"].click()
    assert "Rejected, nothing recorded" in console.result.value and len(console.shop.store) == 1


def test_buttons_are_disabled_while_a_command_is_handled(shop):
    console = CommandConsole(shop, order_id="A1")
    seen = []
    real = console.shop.handle
    console.shop.handle = lambda command: (seen.append([b.disabled for b in console.buttons.values()]),
                                           real(command))[1]
    console.buttons["ship"].click()
    assert seen == [[True] * len(widgets.ACTIONS)]
    assert not any(b.disabled for b in console.buttons.values())


def test_a_broken_rule_is_shown_in_plain_words_and_nothing_is_recorded(shop):
    console = CommandConsole(shop, order_id="A1")
    store = console.shop.store
    before = len(store)
    console.buttons["cancel"].click()
    assert len(store) == before
    assert "Rejected, nothing recorded: cannot cancel a shipped order" in console.result.value
    assert OrderAlreadyShipped.rule in console.result.value
    console.order_id.value = "N1"
    console.amount.value = "10"
    console.buttons["place"].click()
    console.amount.value = "9.99"
    console.buttons["pay"].click()
    assert WrongPaymentAmount.rule in console.result.value and "paid 9.99 but the order is for 10.00" in \
        console.result.value
    assert console.shop.state("N1").status == "placed"


@pytest.mark.parametrize("order_id, amount, action, message", [
    ("", "5", "place", "type an order id first"),
    ("A1", "1.234", "refund", "below the cent"),
    ("A1", "ten", "refund", "is not a number"),
    ("A1", "", "refund", "type an amount, such as 19.99"),
    ("A2", "9" * 401, "place", "is 401 characters long, not an amount"),
    ("A2", "1" + "0" * 13, "place", "is more than the most an amount can be"),
    ("A1", "", "confirm", "type the id of the refund to confirm"),
])
def test_input_that_cannot_make_a_command_is_not_sent(shop, order_id, amount, action, message):
    console = CommandConsole(shop, order_id=order_id)
    console.amount.value = amount
    before = len(console.shop.store)
    console.buttons[action].click()
    assert ("Not sent" in console.result.value or "Rejected" in console.result.value) and \
        message in console.result.value, console.result.value
    assert len(console.shop.store) == before


def test_confirming_a_refund_by_its_id(shop):
    console = CommandConsole(shop, order_id="A1")
    assert "R1" in console.stream.value, "the stream shows the refund id to confirm"
    console.refund_id.value = "R1"
    console.buttons["confirm"].click()
    assert console.shop.store.read_stream(stream_for("A1"))[-1].event_type == "RefundPaid"
    console.refund_id.value = " R1"  # an edit: a new command id, so the rule answers
    console.refund_id.value = "R1"
    console.buttons["confirm"].click()
    assert "is already paid" in console.result.value


def test_the_read_model_row_lags_in_eventual_mode_and_not_inline():
    shop = new_shop()
    read_models = ShopReadModels(shop.store, mode=EVENTUAL)
    console = CommandConsole(shop, read_models, order_id="E1")
    assert console.shop is shop, "read models of the shop's store: the console shares it"
    console.amount.value = "3"
    console.buttons["place"].click()
    assert "order E1 is not in the orders read model yet" in text(console.row.value)
    assert "(lag 1)" in console.row.value
    read_models.mode = INLINE
    console.buttons["pay"].click()
    assert "(lag 0)" in console.row.value and "status paid" in text(console.row.value)


def test_every_click_gets_a_new_answer_number(shop):
    console = CommandConsole(shop, order_id="A1")
    seen = []
    console.on_handled.append(lambda: seen.append(console.result.value))
    for _ in range(3):
        console.buttons["ship"].click()  # rejected each time: already shipped
    assert [answer_number(value) for value in seen] == [1, 2, 3] and all("Rejected" in v for v in seen)


# --- ConcurrencyRace -------------------------------------------------------

def race_shop(*commands) -> Shop:
    shop = new_shop()
    for command in commands:
        shop.handle(command)
    return shop


def test_the_second_clerk_to_save_loses_then_reloads_and_meets_the_rule():
    shop = race_shop(PlaceOrder("R1", Decimal(50)), PayOrder("R1", Decimal(50)))
    race = ConcurrencyRace(shop, "R1")
    store = race.shop.store
    a, b = race.clerks["A"], race.clerks["B"]
    a.load.click()
    b.load.click()
    assert a.version == b.version == 2 and "version 2" in b.answer.widget.value
    a.action.value = "ship"
    a.save.click()
    assert store.stream_version(stream_for("R1")) == 3
    assert "now at <b>version 3</b>: shipped" in a.answer.widget.value
    assert store.read_stream(stream_for("R1"))[-1].actor == "clerk:A"
    b.action.value = "cancel"
    b.save.click()
    assert store.stream_version(stream_for("R1")) == 3, "the losing save recorded nothing"
    assert "ConcurrencyError" in b.answer.widget.value
    assert "you loaded version 2, but the stream is now at version 3" in b.answer.widget.value
    b.load.click()
    b.save.click()
    assert store.stream_version(stream_for("R1")) == 3
    assert "cannot cancel a shipped order" in b.answer.widget.value
    assert race.stream.value.count("<tr") == 1 + 3  # header and three events
    assert shop.store.stream_version(stream_for("R1")) == 2, "the notebook's shop is untouched"


def test_a_save_goes_through_the_shops_one_write_path(monkeypatch):
    race = ConcurrencyRace(race_shop(PlaceOrder("R3", Decimal(50))), "R3")
    calls = []
    real = Shop.handle
    monkeypatch.setattr(Shop, "handle", lambda self, command, **kw: (calls.append((command, kw)),
                                                                     real(self, command, **kw))[1])
    a = race.clerks["A"]
    a.load.click()
    a.action.value = "pay"
    a.save.click()
    [(command, kwargs)] = calls
    assert isinstance(command, PayOrder) and kwargs == {"expected_version": 1, "actor": "clerk:A"}


def test_a_double_click_on_save_records_once_and_never_answers_with_a_refusal():
    race = ConcurrencyRace(race_shop(PlaceOrder("R4", Decimal(50)), PayOrder("R4", Decimal(50))), "R4")
    a = race.clerks["A"]
    a.load.click()
    a.action.value = "ship"
    a.save.click()
    a.save.click()
    assert race.shop.store.stream_version(stream_for("R4")) == 3
    assert "saved already by your first click" in a.answer.widget.value
    assert answer_number(a.answer.widget.value) == 3


def test_a_clerk_who_saved_can_decide_again_without_reloading():
    race = ConcurrencyRace(race_shop(PlaceOrder("R2", Decimal(50))), "R2")
    a = race.clerks["A"]
    a.load.click()
    a.action.value = "pay"
    a.save.click()
    a.action.value = "refund"
    a.amount.value = "20"
    a.save.click()
    assert [e.event_type for e in race.shop.store.read_stream(stream_for("R2"))] == [
        "OrderCreated", "OrderPaid", "RefundCreated"]
    assert "version 3" in a.answer.widget.value and "RefundCreated" in race.stream.value


def test_race_needs_a_loaded_order(shop):
    race = ConcurrencyRace(shop, "A1")
    race.clerks["B"].save.click()
    assert "load the order first" in race.clerks["B"].answer.widget.value
    with pytest.raises(ValueError, match="order 'nope' has no events"):
        ConcurrencyRace(shop, "nope")


# --- OrderExplorer ---------------------------------------------------------

def test_the_explorer_lists_what_the_read_model_knows(shop):
    read_models = ShopReadModels(shop.store)
    explorer = OrderExplorer(shop.store, read_models)
    assert explorer.picker.options == () and explorer.picker.value is None
    assert "the read model has no orders yet: catch it up first" in explorer.found.value
    assert explorer.timeline.layout.display == "none", "no chart, no broken image"
    read_models.catch_up()
    explorer.refresh()
    assert explorer.picker.options == ("A1",) and explorer.picker.value == "A1"
    shop.handle(PlaceOrder("A2", Decimal(1)))
    explorer.refresh()
    assert explorer.picker.options == ("A1",), "A2 is recorded, but not yet projected"
    read_models.catch_up()
    explorer.refresh()
    assert explorer.picker.options == ("A2", "A1") and explorer.picker.value == "A1", "choice kept"


def markers(figure) -> dict[str, list[tuple[float, float]]]:
    return {collection.get_label(): [tuple(xy) for xy in collection.get_offsets()]
            for collection in figure.axes[0].collections}


def test_picking_an_order_updates_history_timeline_and_row_together(shop, drawn):
    shop.handle(PlaceOrder("B1", Decimal(7)))
    read_models = ShopReadModels(shop.store, mode=INLINE)
    explorer = OrderExplorer(shop.store, read_models)
    assert explorer.picker.value == "B1"
    b1 = (explorer.history.value, explorer.timeline.png, explorer.row.value)
    explorer.picker.value = "A1"
    assert explorer.history.value.count("</tr>") == 1 + 4
    for event_type in ("OrderCreated", "OrderPaid", "RefundCreated", "OrderShipped"):
        assert event_type in explorer.history.value
    assert "status shipped, refund requested" in text(explorer.row.value)
    assert explorer.timeline.png.startswith(PNG)
    a1 = (explorer.history.value, explorer.timeline.png, explorer.row.value)
    assert all(old != new for old, new in zip(b1, a1)), "all three views should change together"


def test_the_explorer_draws_its_chart_once_and_moves_the_markers_for_each_order(shop, drawn):
    shop.handle(PlaceOrder("B1", Decimal(7)))
    explorer = OrderExplorer(shop.store, ShopReadModels(shop.store, mode=INLINE))
    figure = explorer.figure
    pictures = {}
    for order_id in ("B1", "A1", "B1", "A1"):
        explorer.picker.value = order_id
        events = shop.store.read_stream(stream_for(order_id))
        assert markers(figure) == markers(charts.order_age(events)), f"{order_id}'s events, where order_age puts them"
        picture = explorer.timeline.png
        assert picture.startswith(PNG) and picture == pictures.setdefault(order_id, picture), \
            f"{order_id} looks the same every time it is picked"
    assert pictures["A1"] != pictures["B1"]
    assert explorer.figure is figure and drawn == [], "no new chart for a pick: not even a timeline"


def test_search_finds_ids_by_any_part_the_latest_first_and_says_when_nothing_matches():
    shop = new_shop()
    for n in range(1, 121):
        shop.handle(PlaceOrder(f"{n:06d}", Decimal(1)))
    explorer = OrderExplorer(shop.store, ShopReadModels(shop.store, mode=INLINE))
    assert len(explorer.picker.options) == widgets.MATCHES and "50+ of 120 orders" in explorer.found.value
    assert explorer.picker.options[0] == "000120", "the latest placed first"
    explorer.search.value = "7"
    assert explorer.picker.options[:4] == ("000117", "000107", "000097", "000087")
    assert len(explorer.picker.options) == 21 and "21 of 120 orders contain '7'" in explorer.found.value
    explorer.search.value = "000017"
    assert explorer.picker.options[0] == "000017", "an exact id first"
    explorer.search.value = "x"
    assert explorer.picker.options == () and "no order matches 'x'" in explorer.found.value
    assert "no order picked" in explorer.history.value and explorer.timeline.layout.display == "none"


@settings(max_examples=60, deadline=None)
@given(ids=st.lists(st.text("ab1-", min_size=1, max_size=5), unique=True, max_size=30),
       part=st.text("ab1-", max_size=3), limit=st.integers(1, 8))
def test_the_id_index_finds_what_a_scan_finds(ids, part, limit):
    rows = dict.fromkeys(ids[:len(ids) // 2])
    index = widgets._IdIndex(rows)
    index.search(part, limit)  # indexes the first half
    rows.update(dict.fromkeys(ids[len(ids) // 2:]))  # the read model grows
    scan = [order_id for order_id in reversed(ids) if part in order_id]
    exact = [part] if part in rows else []
    expected = (exact + [order_id for order_id in scan if order_id != part])[:limit]
    assert index.search(part, limit) == expected


# --- LiveDashboard ---------------------------------------------------------

def lag_shown(dashboard) -> int:
    return int(re.search(r"lag: (\d+) event", dashboard.lag.value).group(1))


def test_the_dashboard_starts_behind_on_its_own_copy_and_shows_the_lag_until_caught_up(shop):
    before = shop.store.read_all()
    dashboard = LiveDashboard(shop)
    assert dashboard.read_models.mode == EVENTUAL and lag_shown(dashboard) == 4
    assert "starts 4 events behind" in shown(dashboard)
    assert later_rows(dashboard.log.value) == 4, "every logged event is marked as not projected"
    dashboard.console.order_id.value = "D1"
    dashboard.console.amount.value = "12"
    dashboard.console.buttons["place"].click()
    dashboard.console.buttons["pay"].click()
    assert lag_shown(dashboard) == 6 and later_rows(dashboard.log.value) == 6
    assert "D1" in dashboard.rows.value and "not in the read model yet" in dashboard.rows.value
    dashboard.buttons["apply 1 event"].click()
    assert lag_shown(dashboard) == 5 and dashboard.read_models.orders.checkpoint == 1
    assert "applied 1 event" in dashboard.answer.widget.value
    dashboard.buttons["catch up"].click()
    assert lag_shown(dashboard) == 0 and later_rows(dashboard.log.value) == 0
    assert "not in the read model yet" not in dashboard.rows.value
    assert dashboard.read_models.orders.state["D1"].status == "paid"
    dashboard.buttons["catch up"].click()
    assert "already caught up" in dashboard.answer.widget.value and answer_number(dashboard.answer.widget.value) == 3
    assert shop.store.read_all() == before, "the notebook's shop is untouched"


def test_inline_mode_keeps_the_read_model_current(shop):
    dashboard = LiveDashboard(shop)
    dashboard.mode.value = INLINE
    assert dashboard.read_models.mode == INLINE and lag_shown(dashboard) == 0
    assert all(button.disabled for button in dashboard.buttons.values())
    dashboard.console.order_id.value = "D2"
    dashboard.console.amount.value = "5"
    dashboard.console.buttons["place"].click()
    assert lag_shown(dashboard) == 0 and dashboard.read_models.orders.state["D2"].status == "placed"
    dashboard.mode.value = EVENTUAL
    dashboard.console.buttons["pay"].click()
    assert lag_shown(dashboard) == 1 and not any(button.disabled for button in dashboard.buttons.values())
    assert "status placed" in text(dashboard.console.row.value), "the row lags too"
    dashboard.mode.value = INLINE
    assert "status paid" in text(dashboard.console.row.value), "switching refreshed the console"


def test_the_log_shows_only_its_tail():
    shop = new_shop()
    for n in range(20):
        shop.handle(PlaceOrder(f"T{n}", Decimal(1)))
    dashboard = LiveDashboard(shop)
    assert dashboard.log.value.count("<tr") == 1 + widgets.LOG_TAIL
    assert ">T19<" in dashboard.log.value and ">T11<" not in dashboard.log.value


# --- SimulationPanel -------------------------------------------------------

def test_a_simulation_run_reports_progress_and_draws_what_it_recorded(real_charts):
    panel = SimulationPanel(SimulationConfig(orders=30, days=3, seed=7, customers=4))
    assert panel.shop is None and panel.activity.layout.display == "none" and "press run" in panel.summary.value
    panel.controls["p_cancel"].value = 0.5
    assert panel.config() == SimulationConfig(orders=30, days=3, seed=7, customers=4, p_cancel=0.5)
    panel.buttons["run"].click()
    store = panel.shop.store
    # Every planned command recorded events; payouts (RefundPaid) come from the refund process instead.
    commands = len({e.causation_id for e in store.read_all() if e.event_type != "RefundPaid"})
    assert panel.progress.value == panel.progress.max == commands
    assert f"run 1: {len(store):,} events in 30 orders over 3 days (seed 7)" in panel.summary.value
    assert panel.activity.png.startswith(PNG) and panel.timeline.png.startswith(PNG)
    assert panel.activity.layout.display is None
    assert any(e.event_type == "OrderCancelled" for e in store.read_all())
    assert len({e.event.customer_id for e in store.read_all() if e.event_type == "OrderCreated"}) <= 4


def test_the_panel_reproduces_the_log_of_its_config_and_does_not_run_the_same_settings_twice(monkeypatch):
    config = SimulationConfig(orders=20, customers=5, seed=1, days=7)
    panel = SimulationPanel(config)
    panel.buttons["run"].click()
    expected = simulate(config).store.read_all()
    assert [(e.stream_id, e.event, e.recorded_at) for e in panel.shop.store.read_all()] == \
        [(e.stream_id, e.event, e.recorded_at) for e in expected]
    runs = []
    monkeypatch.setattr(widgets, "simulate", lambda *a, **k: runs.append(a))
    panel.buttons["run"].click()
    panel.buttons["run"].click()
    assert runs == [] and "same settings as run 1, so the same log: not run again" in panel.summary.value
    assert answer_number(panel.summary.value) == 3


@pytest.mark.parametrize("seed", ["3.7", "", "-1", "1e3", "seven", "1 2"])
def test_a_seed_that_is_not_a_whole_number_is_refused_in_plain_words(seed, monkeypatch):
    panel = SimulationPanel()
    monkeypatch.setattr(widgets, "simulate", lambda *a, **k: pytest.fail("must not run"))
    panel.controls["seed"].value = seed
    panel.buttons["run"].click()
    assert f"the seed must be a whole number such as 1, not {seed!r}" in panel.summary.value


def test_every_control_is_labelled_in_words_and_explained():
    panel = SimulationPanel()
    labels = [control.description for control in panel.controls.values()]
    assert not [label for label in labels if "_" in label], "no code names"
    explained = shown(panel)
    for label, meaning in widgets.CHANCES.values():
        assert f"{label}: {meaning}" in explained


# --- a saved notebook ------------------------------------------------------

def test_panels_display_as_their_widget_and_leave_a_picture_or_a_line_for_readers_without_a_kernel(shop):
    panel = TimeTravel(shop.store, "A1")
    bundle = panel._repr_mimebundle_()
    assert bundle["application/vnd.jupyter.widget-view+json"]["model_id"] == panel.widget.model_id
    assert bundle["text/plain"].startswith("TimeTravel over order A1 (4 versions)")
    picture = re.fullmatch(r"!\[([^\]]+)\]\(data:image/png;base64,([^)]+)\)\n\n\*(.+)\*", bundle["text/markdown"])
    alt, png, caption = picture.groups()
    assert alt.startswith("Timeline of order A1 at version 2 of 4: happened: OrderCreated, OrderPaid; not yet:")
    assert base64.b64decode(png).startswith(PNG) and "image/png" not in bundle, "one picture, with its alt text"
    assert caption.startswith("Snapshot of the time-travel panel at version 2 of 4")
    assert panel.slider.value == 4 and "version 4 of 4" in panel.state.value, "the snapshot moved nothing"
    captions = {
        CommandConsole: "refused by the rule it breaks",
        ConcurrencyRace: "B's save was refused with a ConcurrencyError",
        LiveDashboard: "the log has both events, the read model has neither",
        SimulationPanel: "the log its starting settings make",
    }
    for other in (CommandConsole(shop), ConcurrencyRace(shop, "A1"), LiveDashboard(shop), SimulationPanel()):
        bundle = other._repr_mimebundle_()
        assert "run the notebook" in bundle["text/plain"] and "Box(" not in bundle["text/plain"]
        assert bundle["text/markdown"].startswith("![") and captions[type(other)] in bundle["text/markdown"]
    assert len(shop.store) == 4, "the snapshots played on copies"


# --- playing with a panel never changes what the notebook prints -----------

ROOT = Path(__file__).resolve().parents[1]
WIDGET_NOTEBOOKS = sorted(p for p in (ROOT / "notebooks").glob("*.ipynb")
                          if "eventsim.workbook.widgets import" in p.read_text())
# Sent to the kernel right after a cell that shows a panel, with the panel as `_`: what a restless learner does.
PLAY = '''
import ipywidgets as _widgets

def _play(panel):
    """Fill every box, move every slider to its least, pick every option, click every button twice."""
    found, boxes = [], [panel.widget]
    while boxes:
        box = boxes.pop(0)
        found.append(box)
        boxes.extend(getattr(box, "children", ()))
    typed = {"order id": "1", "amount": "5", "refund amount": "1", "reason": "test", "refund id": "R1",
             "search": "1", "seed": "3"}
    for w in found:
        if isinstance(w, _widgets.Text) and w.description in typed:
            w.value = typed[w.description]
        elif isinstance(w, (_widgets.IntSlider, _widgets.FloatSlider)):
            w.value = w.min
    for w in found:
        if isinstance(w, (_widgets.Dropdown, _widgets.RadioButtons)):
            for option in w.options:
                w.value = option[1] if isinstance(option, tuple) else option
                for button in (b for b in found if isinstance(b, _widgets.Button)):
                    button.click()
                    button.click()
    for button in (b for b in found if isinstance(b, _widgets.Button)):
        button.click()
        button.click()
    return len(found)

_play(_)
'''


def comparable(outputs) -> list:
    """What nbval compares in strict mode: text, HTML and streams (not images, not stderr)."""
    kept = []
    for output in outputs:
        if output.get("output_type") == "stream" and output.get("name") == "stdout":
            kept.append(("stdout", output["text"]))
        elif output.get("output_type") in ("execute_result", "display_data"):
            kept.append(tuple(output["data"].get(kind) for kind in ("text/plain", "text/html")))
        elif output.get("output_type") == "error":
            kept.append(("error", output["ename"], output["evalue"]))
    return kept


@pytest.mark.parametrize("path", WIDGET_NOTEBOOKS, ids=lambda p: p.stem)
def test_playing_with_every_panel_then_running_on_reproduces_the_stored_outputs(path, monkeypatch):
    """Issue 9 §2: a learner clicks everything a panel offers, then runs the next cells."""
    monkeypatch.setenv("PYTHONHASHSEED", "0")
    notebook = nbformat.read(path, as_version=4)
    stored = [comparable(cell.get("outputs", [])) for cell in notebook.cells]
    client = NotebookClient(notebook, timeout=300, resources={"metadata": {"path": str(path.parent)}})
    played = []
    with client.setup_kernel():
        for index, cell in enumerate(notebook.cells):
            if cell.cell_type != "code":
                continue
            client.execute_cell(cell, index)
            if "eventsim.workbook.widgets import" in cell.source:
                play = nbformat.v4.new_code_cell(PLAY)
                client.execute_cell(play, index)
                errors = [o for o in play.outputs if o.get("output_type") == "error"]
                assert not errors, f"playing with the panel of cell {index} raised {errors[0]['evalue']}"
                played.append(index)
                continue
            tags = cell.metadata.get("tags", [])
            if "nbval-ignore-output" in tags or "raises-exception" in tags:
                continue
            assert comparable(cell.outputs) == stored[index], \
                f"cell {index} prints something else after the panels were played with:\n{cell.source[:200]}"
    assert played, "the notebook shows a panel"
