"""The widgets, driven from Python as a learner would drive them with the mouse.

Each test sets a control's value or clicks a button, then checks what
changed: the store, the read model, and the text or picture on show.
tests/test_browser.py checks that the same panels render in a real browser.
"""
import re
from datetime import timedelta
from decimal import Decimal

import matplotlib
import matplotlib.dates as mdates
import pytest
from hypothesis import given, settings, strategies as st
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure

from eventsim import charts, widgets
from eventsim.clock import SimulatedClock, to_datetime
from eventsim.commands import PayOrder, PlaceOrder, RequestRefund, ShipOrder
from eventsim.ids import SeededIds
from eventsim.order import OrderAlreadyShipped, WrongPaymentAmount, fold
from eventsim.projections import EVENTUAL, INLINE
from eventsim.read_models import ShopReadModels
from eventsim.shop import Shop, stream_for
from eventsim.simulator import SimulationConfig
from eventsim.store import InMemoryEventStore
from eventsim.widgets import (CommandConsole, ConcurrencyRace, LiveDashboard, OrderExplorer, SimulationPanel,
                              TimeTravel)

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
    return html.count('class="eventsim-later"')


def text(html: str) -> str:
    """The visible text of an HTML fragment."""
    return re.sub(r"<[^>]+>", " ", html)


# --- TimeTravel ------------------------------------------------------------

def test_time_travel_starts_at_the_current_state(shop, real_charts):
    panel = TimeTravel(shop.store, "A1")
    assert (panel.slider.min, panel.slider.max, panel.slider.value) == (0, 4, 4)
    assert "version 4 of 4" in panel.state.value
    assert shop.state("A1").status == "partially refunded"
    assert "partially refunded" in panel.state.value
    assert later_rows(panel.table.value) == 0
    assert bytes(panel.timeline.value).startswith(PNG)


def test_each_version_shows_the_fold_of_its_prefix_and_greys_the_rest(shop):
    panel = TimeTravel(shop.store, "A1", version=0)
    events = shop.store.read_stream(stream_for("A1"))
    statuses = []
    for version in range(5):
        panel.slider.value = version
        expected = fold(e.event for e in events[:version])
        statuses.append(expected.status)
        assert f"version {version} of 4" in panel.state.value
        if version:
            assert f"<td>net</td><td>{expected.net:.2f}</td>" in panel.state.value
        else:
            assert "nothing recorded yet" in panel.state.value
        assert later_rows(panel.table.value) == 4 - version
    assert statuses == ["new", "placed", "paid", "partially refunded", "partially refunded"]


def test_the_timeline_is_drawn_once_and_the_cursor_greys_the_later_markers(shop, drawn, real_charts):
    panel = TimeTravel(shop.store, "A1", version=1)
    version_at = {mdates.date2num(to_datetime(e.recorded_at)): e.version  # an hour apart: one event per x
                  for e in shop.store.read_stream(stream_for("A1"))}
    pictures = {}
    for version in (1, 3, 0, 4, 1, 3):
        panel.slider.value = version
        markers = [(version_at[x], tuple(color)) for collection in panel.figure.axes[0].collections
                   for (x, _), color in zip(collection.get_offsets(), collection.get_facecolors())]
        assert sorted(v for v, _ in markers) == [1, 2, 3, 4], "every event keeps its marker"
        assert all((color == GREY) == (v > version) for v, color in markers), f"at version {version}"
        picture = bytes(panel.timeline.value)
        assert picture.startswith(PNG) and picture == pictures.setdefault(version, picture)
    assert len(set(pictures.values())) == 4, "each version its own picture"
    assert drawn == [("timeline", {})], "one chart for every version: the slider only repaints its markers"


def test_the_slider_moves_the_moment_and_the_moment_moves_the_slider(shop):
    panel = TimeTravel(shop.store, "A1", version=2)
    second = shop.store.read_stream(stream_for("A1"))[1].recorded_at
    assert panel.moment.value == to_datetime(second).replace(tzinfo=None)
    panel.moment.value = to_datetime(second + HOUR // 2).replace(tzinfo=None)  # between versions 2 and 3
    assert panel.slider.value == 2
    assert panel.moment.value == to_datetime(second + HOUR // 2).replace(tzinfo=None), "kept as picked"
    panel.moment.value = to_datetime(second + HOUR).replace(tzinfo=None)  # exactly when version 3 was recorded
    assert panel.slider.value == 3
    panel.moment.value = to_datetime(second - 2 * HOUR).replace(tzinfo=None)  # before the order existed
    assert panel.slider.value == 0 and "nothing recorded yet" in panel.state.value


@settings(max_examples=30, deadline=None)
@given(offset=st.integers(-3 * HOUR, 6 * HOUR))
def test_a_moment_selects_the_events_recorded_at_or_before_it(offset):
    shop = new_shop()
    shop.handle(PlaceOrder("A1", Decimal("5")))
    shop.handle(PayOrder("A1", Decimal("5")))
    shop.handle(ShipOrder("A1"))
    events = shop.store.read_stream(stream_for("A1"))
    panel = TimeTravel(shop.store, "A1", version=0)
    moment = events[0].recorded_at + offset
    panel.moment.value = to_datetime(moment).replace(tzinfo=None)
    assert panel.slider.value == sum(e.recorded_at <= moment for e in events)


def test_events_recorded_at_one_moment_keep_their_own_versions():
    shop = Shop(InMemoryEventStore(clock=SimulatedClock(step=0), ids=SeededIds(1)), ids=SeededIds(2))
    shop.handle(PlaceOrder("S1", Decimal("5")))
    shop.handle(PayOrder("S1", Decimal("5")))
    panel = TimeTravel(shop.store, "S1", version=1)
    assert panel.slider.value == 1 and "version 1 of 2" in panel.state.value, \
        "showing version 1's moment must not move the slider to version 2, recorded at the same second"
    panel.moment.value = panel.moment.value + timedelta(seconds=1)
    assert panel.slider.value == 2, "both events were recorded at the moment before"


def test_time_travel_names_what_is_wrong(shop):
    with pytest.raises(ValueError, match="order 'Z9' has no events"):
        TimeTravel(shop.store, "Z9")
    with pytest.raises(ValueError, match="versions 0 to 4, not 5"):
        TimeTravel(shop.store, "A1", version=5)


# --- CommandConsole --------------------------------------------------------

def test_a_click_records_the_command_and_shows_its_events():
    shop = new_shop()
    console = CommandConsole(shop, order_id="B7")
    console.amount.value = "19.99"
    console.buttons["place"].click()
    [recorded] = shop.store.read_stream(stream_for("B7"))
    assert recorded.event.amount == Decimal("19.99") and isinstance(recorded.event.amount, Decimal)
    assert "PlaceOrder" in console.result.value and "OrderCreated" in console.result.value
    assert "OrderCreated" in console.stream.value and "placed" in console.stream.value
    console.buttons["pay"].click()
    assert [e.event_type for e in shop.store.read_stream(stream_for("B7"))] == ["OrderCreated", "OrderPaid"]
    assert "OrderPaid" in console.result.value and "OrderCreated" not in console.result.value


def test_a_broken_rule_is_shown_in_plain_words_and_nothing_is_recorded(shop):
    console = CommandConsole(shop, order_id="A1")
    before = len(shop.store)
    console.buttons["cancel"].click()
    assert len(shop.store) == before
    assert "Rejected, nothing recorded: cannot cancel a shipped order" in console.result.value
    assert OrderAlreadyShipped.rule in console.result.value
    console.order_id.value = "N1"
    console.amount.value = "10"
    console.buttons["place"].click()
    console.amount.value = "9.99"
    console.buttons["pay"].click()
    assert WrongPaymentAmount.rule in console.result.value and "paid 9.99 but the order is for 10" in \
        console.result.value
    assert shop.state("N1").status == "placed"


@pytest.mark.parametrize("order_id, amount, action, message", [
    ("", "5", "place", "type an order id first"),
    ("A1", "1.234", "refund", "has more than two decimal places"),
    ("A1", "ten", "refund", "is not a number"),
    ("A1", "", "confirm", "type the id of the refund to confirm"),
])
def test_input_that_cannot_make_a_command_is_not_sent(shop, order_id, amount, action, message):
    console = CommandConsole(shop, order_id=order_id)
    console.amount.value = amount
    before = len(shop.store)
    console.buttons[action].click()
    assert "Not sent" in console.result.value and message in console.result.value
    assert len(shop.store) == before


def test_confirming_a_refund_by_its_id(shop):
    console = CommandConsole(shop, order_id="A1")
    assert "R1" in console.stream.value, "the stream shows the refund id to confirm"
    console.refund_id.value = "R1"
    console.buttons["confirm"].click()
    assert shop.store.read_stream(stream_for("A1"))[-1].event_type == "RefundPaid"
    console.buttons["confirm"].click()
    assert "refund A1-R1 is already paid" in console.result.value


def test_the_read_model_row_lags_in_eventual_mode_and_not_inline():
    shop = new_shop()
    read_models = ShopReadModels(shop.store, mode=EVENTUAL)
    console = CommandConsole(shop, read_models, order_id="E1")
    console.amount.value = "3"
    console.buttons["place"].click()
    assert "not in the orders read model" in console.row.value and "(lag 1)" in console.row.value
    read_models.mode = INLINE
    console.buttons["pay"].click()
    assert "(lag 0)" in console.row.value and "<td>status</td><td>paid</td>" in console.row.value


def test_on_handled_runs_after_every_click_accepted_or_not(shop):
    console = CommandConsole(shop, order_id="A1")
    seen = []
    console.on_handled.append(lambda: seen.append(console.result.value))
    console.buttons["ship"].click()  # rejected: already shipped
    console.buttons["cancel"].click()  # rejected too
    assert len(seen) == 2 and all("Rejected" in value for value in seen)


# --- ConcurrencyRace -------------------------------------------------------

def test_the_second_clerk_to_save_loses_then_reloads_and_meets_the_rule():
    shop = new_shop()
    shop.handle(PlaceOrder("R1", Decimal("50")))
    shop.handle(PayOrder("R1", Decimal("50")))
    race = ConcurrencyRace(shop, "R1")
    a, b = race.clerks["A"], race.clerks["B"]
    a.load.click()
    b.load.click()
    assert a.version == b.version == 2 and "version 2" in b.status.value
    a.action.value = "ship"
    a.save.click()
    assert shop.store.stream_version(stream_for("R1")) == 3
    assert "now at <b>version 3</b>: shipped" in a.status.value
    b.action.value = "cancel"
    b.save.click()
    assert shop.store.stream_version(stream_for("R1")) == 3, "the losing save recorded nothing"
    assert "ConcurrencyError" in b.status.value
    assert "you loaded version 2, but the stream is now at version 3" in b.status.value
    b.load.click()
    b.save.click()
    assert shop.store.stream_version(stream_for("R1")) == 3
    assert "cannot cancel a shipped order" in b.status.value
    assert race.stream.value.count("<tr>") == 1 + 3  # header and three events


def test_a_clerk_who_saved_can_save_again_without_reloading():
    shop = new_shop()
    shop.handle(PlaceOrder("R2", Decimal("50")))
    race = ConcurrencyRace(shop, "R2")
    a = race.clerks["A"]
    a.load.click()
    a.action.value = "pay"
    a.save.click()
    a.action.value = "refund"
    a.amount.value = "20"
    a.save.click()
    assert [e.event_type for e in shop.store.read_stream(stream_for("R2"))] == [
        "OrderCreated", "OrderPaid", "RefundCreated"]
    assert "version 3" in a.status.value and "RefundCreated" in race.stream.value


def test_race_needs_a_loaded_order(shop):
    race = ConcurrencyRace(shop, "A1")
    race.clerks["B"].save.click()
    assert "load the order first" in race.clerks["B"].status.value
    with pytest.raises(ValueError, match="order 'nope' has no events"):
        ConcurrencyRace(shop, "nope")


# --- OrderExplorer ---------------------------------------------------------

def test_the_explorer_lists_what_the_read_model_knows(shop):
    read_models = ShopReadModels(shop.store)
    explorer = OrderExplorer(shop.store, read_models)
    assert explorer.picker.options == () and explorer.picker.value is None
    read_models.catch_up()
    explorer.refresh()
    assert explorer.picker.options == ("A1",) and explorer.picker.value == "A1"
    shop.handle(PlaceOrder("A2", Decimal("1")))
    explorer.refresh()
    assert explorer.picker.options == ("A1",), "A2 is recorded, but not yet projected"
    read_models.catch_up()
    explorer.refresh()
    assert explorer.picker.options == ("A2", "A1") and explorer.picker.value == "A1", "choice kept"


def markers(figure) -> dict[str, list[tuple[float, float]]]:
    return {collection.get_label(): [tuple(xy) for xy in collection.get_offsets()]
            for collection in figure.axes[0].collections}


def test_picking_an_order_updates_history_timeline_and_row_together(shop, drawn):
    shop.handle(PlaceOrder("B1", Decimal("7")))
    read_models = ShopReadModels(shop.store, mode=INLINE)
    explorer = OrderExplorer(shop.store, read_models)
    assert explorer.picker.value == "B1"
    b1 = (explorer.history.value, explorer.timeline.value, explorer.row.value)
    explorer.picker.value = "A1"
    assert explorer.history.value.count("</tr>") == 1 + 4
    for event_type in ("OrderCreated", "OrderPaid", "RefundCreated", "OrderShipped"):
        assert event_type in explorer.history.value
    assert "<td>status</td><td>partially refunded</td>" in explorer.row.value
    assert bytes(explorer.timeline.value).startswith(PNG)
    a1 = (explorer.history.value, explorer.timeline.value, explorer.row.value)
    assert all(old != new for old, new in zip(b1, a1)), "all three views should change together"


def test_the_explorer_draws_its_chart_once_and_moves_the_markers_for_each_order(shop, drawn):
    shop.handle(PlaceOrder("B1", Decimal("7")))
    explorer = OrderExplorer(shop.store, ShopReadModels(shop.store, mode=INLINE))
    figure = explorer.figure
    pictures = {}
    for order_id in ("B1", "A1", "B1", "A1"):
        explorer.picker.value = order_id
        events = shop.store.read_stream(stream_for(order_id))
        assert markers(figure) == markers(charts.order_age(events)), f"{order_id}'s events, where order_age puts them"
        picture = bytes(explorer.timeline.value)
        assert picture.startswith(PNG) and picture == pictures.setdefault(order_id, picture), \
            f"{order_id} looks the same every time it is picked"
    assert pictures["A1"] != pictures["B1"]
    assert explorer.figure is figure and drawn == [], "no new chart for a pick: not even a timeline"


def test_search_filters_by_the_start_of_the_id():
    shop = new_shop()
    for n in range(120):
        shop.handle(PlaceOrder(f"{'X' if n % 2 else 'Y'}{n:03d}", Decimal("1")))
    explorer = OrderExplorer(shop.store, ShopReadModels(shop.store, mode=INLINE))
    assert len(explorer.picker.options) == widgets.MATCHES and "50+ found" in explorer.found.value
    assert explorer.picker.options[0] == "X119", "the latest placed first"
    explorer.search.value = "Y11"
    assert explorer.picker.options == ("Y118", "Y116", "Y114", "Y112", "Y110")
    assert explorer.picker.value == "Y118" and "5 found" in explorer.found.value
    explorer.search.value = "nothing"
    assert explorer.picker.options == () and explorer.history.value == "" and explorer.timeline.value == b""


# --- LiveDashboard ---------------------------------------------------------

def lag_shown(dashboard) -> int:
    return int(re.search(r"lag: (\d+) event", dashboard.lag.value).group(1))


def test_the_dashboard_shows_the_lag_until_caught_up(shop):
    dashboard = LiveDashboard(shop)
    assert dashboard.read_models.mode == EVENTUAL and lag_shown(dashboard) == 4
    assert later_rows(dashboard.log.value) == 4, "every logged event is marked as not projected"
    dashboard.console.order_id.value = "D1"
    dashboard.console.amount.value = "12"
    dashboard.console.buttons["place"].click()
    dashboard.console.buttons["pay"].click()
    assert lag_shown(dashboard) == 6 and later_rows(dashboard.log.value) == 6
    assert "D1" in dashboard.rows.value and "not in the read model yet" in dashboard.rows.value
    dashboard.buttons["apply 1 event"].click()
    assert lag_shown(dashboard) == 5 and dashboard.read_models.orders.checkpoint == 1
    dashboard.buttons["catch up"].click()
    assert lag_shown(dashboard) == 0 and later_rows(dashboard.log.value) == 0
    assert "not in the read model yet" not in dashboard.rows.value
    assert dashboard.read_models.orders.state["D1"].status == "paid"


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
    assert "<td>status</td><td>placed</td>" in dashboard.console.row.value, "the row lags too"
    dashboard.mode.value = INLINE
    assert "<td>status</td><td>paid</td>" in dashboard.console.row.value, "switching refreshed the console"


def test_the_log_shows_only_its_tail():
    shop = new_shop()
    for n in range(20):
        shop.handle(PlaceOrder(f"T{n}", Decimal("1")))
    dashboard = LiveDashboard(shop, ShopReadModels(shop.store, mode=INLINE))
    assert dashboard.log.value.count("<tr>") == 1 + widgets.LOG_TAIL
    assert "order-T19" in dashboard.log.value and "order-T11" not in dashboard.log.value


# --- SimulationPanel -------------------------------------------------------

def test_a_simulation_run_reports_progress_and_draws_what_it_recorded(real_charts):
    panel = SimulationPanel(SimulationConfig(orders=30, days=3, seed=7, customers=4))
    assert panel.shop is None and panel.activity.value == b""
    panel.controls["p_cancel"].value = 0.5
    assert panel.config() == SimulationConfig(orders=30, days=3, seed=7, customers=4, p_cancel=0.5)
    panel.buttons["run"].click()
    store = panel.shop.store
    # Every planned command recorded events; payouts (RefundPaid) come from the refund process instead.
    commands = len({e.causation_id for e in store.read_all() if e.event_type != "RefundPaid"})
    assert panel.progress.value == panel.progress.max == commands
    assert f"{len(store):,} events in 30 orders over 3 days (seed 7)" in panel.summary.value
    assert bytes(panel.activity.value).startswith(PNG) and bytes(panel.timeline.value).startswith(PNG)
    assert any(e.event_type == "OrderCancelled" for e in store.read_all())
    assert len({e.event.customer_id for e in store.read_all() if e.event_type == "OrderCreated"}) <= 4


def test_panels_display_as_their_widget(shop):
    panel = TimeTravel(shop.store, "A1")
    bundle = panel._repr_mimebundle_()
    assert bundle["application/vnd.jupyter.widget-view+json"]["model_id"] == panel.widget.model_id
