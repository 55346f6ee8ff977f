"""The charts draw what they claim: lanes, points, lines and bars checked against the events."""
import io
from datetime import timedelta
from decimal import Decimal

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import matplotlib.text
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure

from eventsim.workbook import charts
from eventsim.clock import SimulatedClock, to_datetime
from eventsim.ids import SeededIds
from eventsim.jsonl import LoggedEvent, read_jsonl, write_jsonl
from eventsim.shop import Shop
from eventsim.shop.commands import (
    CancelOrder,
    ConfirmRefund,
    PayOrder,
    PlaceOrder,
    RequestRefund,
    ShipOrder,
)
from eventsim.shop.events import EVENT_TYPES
from eventsim.shop.order import OrderError, fold
from eventsim.shop.payments import FakePaymentProvider, RefundProcess
from eventsim.store import InMemoryEventStore

HOUR = 3600
DAY = 24 * HOUR
WEEK = 7 * DAY


def new_shop() -> Shop:
    return Shop(clock=SimulatedClock(step=HOUR), ids=SeededIds(1))


def one_order_story() -> list:
    """Placed, paid, refunded in part, shipped, then refunded in full: 7 events, 7 appends."""
    return [PlaceOrder("1001", Decimal("80.00")), PayOrder("1001", Decimal("80.00")),
            RequestRefund("1001", Decimal("30.00")), ConfirmRefund("1001", "R1"), ShipOrder("1001"),
            RequestRefund("1001", Decimal("50.00")), ConfirmRefund("1001", "R2")]


@pytest.fixture(scope="module")
def one_order():
    shop = new_shop()
    for command in one_order_story():
        shop.handle(command)
    return shop.store.read_stream("order-1001")


@pytest.fixture(scope="module")
def fifty_orders():
    """50 orders with four kinds of story, their commands interleaved round-robin.

    Cancelling a paid order appends RefundCreated and OrderCancelled together, at one time.
    """
    shop = new_shop()
    stories = []
    for i in range(50):
        order_id, amount = str(1001 + i), Decimal(10 + i)
        story = [PlaceOrder(order_id, amount), PayOrder(order_id, amount)]
        story += [[ShipOrder(order_id)], [CancelOrder(order_id)],
                  [RequestRefund(order_id, Decimal(5)), ConfirmRefund(order_id, "R1")], []][i % 4]
        stories.append(story)
    for step in range(max(map(len, stories))):
        for story in stories:
            if step < len(story):
                shop.handle(story[step])
    return shop.store.read_all()


def points(fig) -> list[tuple[float, float, tuple]]:
    """(x, y, rgba) of every marker in every scatter of the figure's axes."""
    result = []
    for collection in fig.axes[0].collections:
        colors = collection.get_edgecolors()  # a marker's colour; later ones are hollow, with a grey edge
        for k, (x, y) in enumerate(collection.get_offsets()):
            result.append((float(x), float(y), tuple(colors[k % len(colors)])))
    return result


def legend_texts(fig) -> list[str]:
    return [t.get_text() for t in fig.axes[0].get_legend().get_texts()]


def lane_labels(fig) -> list[str]:
    return [t.get_text() for t in fig.axes[0].get_yticklabels()]


GREY = to_rgba(charts.LATER)


# --- every chart -----------------------------------------------------------

def test_event_style_gives_each_event_type_its_own_colour_and_marker():
    assert list(charts.EVENT_STYLE) == list(EVENT_TYPES)
    assert len({s["color"] for s in charts.EVENT_STYLE.values()}) == len(EVENT_TYPES)
    assert len({s["marker"] for s in charts.EVENT_STYLE.values()}) == len(EVENT_TYPES)
    assert charts.LATER not in {s["color"] for s in charts.EVENT_STYLE.values()}


CHARTS = {
    "timeline": lambda one, log: charts.timeline(log),
    "order_age": lambda one, log: charts.order_age(one),
    "order_state": lambda one, log: charts.order_state(one),
    "store_activity": lambda one, log: charts.store_activity(log),
    "read_model_lag": lambda one, log: charts.read_model_lag([(0, 0, 0), (1, 3, 1), (2, 3, 3)]),
    "replay_cost": lambda one, log: charts.replay_cost([(10, 0.001), (100, 0.01)]),
    "two_clocks": lambda one, log: charts.two_clocks(pd.DataFrame([[0, 1], [2, 3]], index=["a", "b"], columns=["x", "y"])),
}


@pytest.mark.parametrize("name", CHARTS)
def test_each_chart_is_one_new_figure_with_a_title_that_pyplot_does_not_keep(name, one_order, fifty_orders):
    plt.close("all")
    fig = CHARTS[name](one_order, fifty_orders)
    assert isinstance(fig, Figure)
    assert len(fig.axes) == 1
    ax = fig.axes[0]
    assert ax.get_title() and ax.get_xlabel() and ax.get_ylabel()
    assert plt.get_fignums() == []  # closed: Jupyter shows it once, as the cell's value
    fig.savefig(io.BytesIO(), format="png")  # draws without error


@pytest.mark.parametrize("name", ["order_age", "order_state", "store_activity", "read_model_lag", "replay_cost"])
def test_figure_size_is_fixed(name, one_order, fifty_orders):
    small = CHARTS[name](one_order[:3], fifty_orders[:3])
    large = CHARTS[name](one_order, fifty_orders)
    assert tuple(small.get_size_inches()) == tuple(large.get_size_inches())
    assert small.get_size_inches()[0] == charts.WIDTH


@pytest.mark.parametrize("chart", [charts.timeline, charts.order_state, charts.store_activity])
def test_no_events_is_a_clear_error(chart):
    with pytest.raises(ValueError, match=f"{chart.__name__}: no events to draw"):
        chart([])


@pytest.mark.parametrize("chart", [charts.read_model_lag, charts.replay_cost])
def test_no_samples_is_a_clear_error(chart):
    with pytest.raises(ValueError, match=f"{chart.__name__}: no samples to draw"):
        chart([])


# --- timeline --------------------------------------------------------------

def test_timeline_of_one_order_has_one_lane_and_a_marker_per_event(one_order):
    fig = charts.timeline(one_order)
    assert lane_labels(fig) == ["1001"]
    drawn = points(fig)
    assert len(drawn) == len(one_order)
    assert sorted(x for x, _, _ in drawn) == sorted(matplotlib.dates.date2num(to_datetime(e.recorded_at))
                                                    for e in one_order)
    assert {y for _, y, _ in drawn} == {0}
    assert legend_texts(fig) == ["OrderCreated", "OrderPaid", "RefundCreated", "RefundPaid", "OrderShipped",
                                 "an order, first\nto last event"]
    assert "7 events in 1 order," in fig.axes[0].get_title()
    assert tuple(fig.get_size_inches()) == (charts.WIDTH, 2.5)


def one_moment_log() -> list:
    """Three orders placed within one second: every event at one time."""
    shop = Shop(clock=SimulatedClock(step=0), ids=SeededIds(1))
    for order_id in ("1", "2", "3"):
        shop.handle(PlaceOrder(order_id, Decimal(5)))
    return shop.store.read_all()


@pytest.mark.parametrize("events", [lambda one: one[:1], lambda one: one_moment_log()],
                         ids=["one event", "three orders at one second"])
def test_timeline_of_one_moment_shows_the_hours_around_it(one_order, events):
    events = events(one_order)
    moment = matplotlib.dates.date2num(to_datetime(events[0].recorded_at))
    low, high = charts.timeline(events).axes[0].get_xlim()
    hours = (high - low) * 24  # date numbers count days
    assert (low + high) / 2 == pytest.approx(moment), "centred on the moment"
    assert 2 <= hours < 2.5, f"an hour either side and a small margin, not {hours:.0f} hours"


def test_timeline_colours_each_marker_by_its_event_type(one_order):
    drawn = sorted(points(charts.timeline(one_order)))  # by time; one event per hour
    assert [color for _, _, color in drawn] == [to_rgba(charts.EVENT_STYLE[e.event_type]["color"])
                                                 for e in one_order]


def test_timeline_of_fifty_orders_has_a_lane_per_order_in_the_order_they_were_placed(fifty_orders):
    fig = charts.timeline(fifty_orders, max_lanes=50)
    placed = [e.event.order_id for e in fifty_orders if e.event_type == "OrderCreated"]
    assert lane_labels(fig) == placed and len(placed) == 50
    assert fig.axes[0].yaxis_inverted()  # lane 0, the order placed first, at the top
    assert len(points(fig)) == len(fifty_orders)
    assert set(legend_texts(fig)) == set(EVENT_TYPES) | {"an order, first\nto last event"}
    assert f"{len(fifty_orders)} events in 50 orders," in fig.axes[0].get_title()
    assert tuple(fig.get_size_inches()) == (charts.WIDTH, charts.MAX_HEIGHT), "never taller than a screen"


def test_timeline_markers_are_one_collection_per_event_type_in_time_order(fifty_orders):
    """What widgets.TimeTravel relies on to repaint the markers for a cursor."""
    collections = charts.timeline(fifty_orders, max_lanes=50).axes[0].collections
    assert sorted(c.get_label() for c in collections) == sorted(EVENT_TYPES)
    for collection in collections:
        xs = [x for x, _ in collection.get_offsets()]
        assert xs == sorted(xs)
        assert len(xs) == sum(e.event_type == collection.get_label() for e in fifty_orders)


def test_events_recorded_together_are_spread_within_their_lane(fifty_orders):
    """A cancelled paid order gets RefundCreated and OrderCancelled at one time."""
    drawn = points(charts.timeline(fifty_orders))
    ys_at = {}
    for x, y, _ in drawn:
        ys_at.setdefault((round(y), x), []).append(y)
    together = [ys for ys in ys_at.values() if len(ys) > 1]
    assert together, "the sample data should have events appended together"
    for ys in together:
        assert len(set(ys)) == len(ys)
        assert all(abs(y - round(y)) <= 0.2 for y in ys), "on their lane, not half way to the next"


def test_timeline_beyond_max_lanes_draws_the_orders_placed_last_and_says_so(fifty_orders):
    fig = charts.timeline(fifty_orders, max_lanes=10)
    placed = [e.event.order_id for e in fifty_orders if e.event_type == "OrderCreated"]
    assert lane_labels(fig) == placed[-10:]
    assert len(points(fig)) == sum(e.event.order_id in placed[-10:] for e in fifty_orders)
    assert "the last 10 of 50 orders" in fig.axes[0].get_title()


@pytest.mark.parametrize("as_", [int, to_datetime, lambda t: to_datetime(t).isoformat()])
def test_timeline_window_keeps_the_events_recorded_in_it(fifty_orders, as_):
    start, end = fifty_orders[40].recorded_at, fifty_orders[90].recorded_at
    fig = charts.timeline(fifty_orders, window=(as_(start), as_(end)), max_lanes=50)
    inside = [e for e in fifty_orders if start <= e.recorded_at <= end]
    assert 0 < len(inside) < len(fifty_orders)
    assert len(points(fig)) == len(inside)
    assert lane_labels(fig) == list(dict.fromkeys(e.event.order_id for e in inside))
    low, high = fig.axes[0].get_xlim()
    assert low < matplotlib.dates.date2num(to_datetime(start)) < matplotlib.dates.date2num(to_datetime(end)) < high


def test_timeline_window_errors_name_the_window(fifty_orders):
    last = fifty_orders[-1].recorded_at
    with pytest.raises(ValueError, match="no events recorded between"):
        charts.timeline(fifty_orders, window=(last + 1, last + HOUR))
    with pytest.raises(ValueError, match="starts .* after it ends"):
        charts.timeline(fifty_orders, window=(last, last - HOUR))


def test_highlight_until_a_version_greys_the_later_events_of_one_order(one_order):
    fig = charts.timeline(one_order, highlight_until=3)
    drawn = sorted(points(fig))
    assert [color == GREY for _, _, color in drawn] == [e.version > 3 for e in one_order]
    assert legend_texts(fig)[-2] == "after version 3"


def test_highlight_until_a_position_greys_the_later_events_of_many_orders(fifty_orders):
    fig = charts.timeline(fifty_orders, highlight_until=120, max_lanes=50)
    greyed = sum(color == GREY for _, _, color in points(fig))
    assert greyed == sum(e.position > 120 for e in fifty_orders) > 0
    assert legend_texts(fig)[-2] == "after position 120"
    assert tuple(fig.get_size_inches()) == tuple(charts.timeline(fifty_orders, max_lanes=50).get_size_inches())


def test_without_highlight_nothing_is_grey(fifty_orders):
    assert all(color != GREY for _, _, color in points(charts.timeline(fifty_orders)))


def test_highlight_needs_positions(fifty_orders):
    without_positions = [LoggedEvent(e.event, e.recorded_at) for e in fifty_orders]
    assert len(points(charts.timeline(without_positions, max_lanes=50))) == len(fifty_orders)
    with pytest.raises(ValueError, match="needs the position of every event"):
        charts.timeline(without_positions, highlight_until=3)


# --- order_age -------------------------------------------------------------

def ages(fig) -> dict[str, list[tuple[float, float]]]:
    """Event type -> the (x, y) of each of its markers."""
    return {markers.get_label(): [(float(x), float(y)) for x, y in markers.get_offsets()]
            for markers in fig.axes[0].collections}


def without_markers(fig) -> bytes:
    """The pixels of the figure with its markers hidden: all that does not depend on the order."""
    for markers in fig.axes[0].collections:
        markers.set_visible(False)
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    return bytes(canvas.buffer_rgba())


def story_with_gaps(gaps: list[int]) -> list:
    """Order "G": placed, paid after ``gaps[0]`` seconds, then a 1.00 refund requested after each later gap."""
    clock = SimulatedClock()
    shop = Shop(clock=clock, ids=SeededIds(1))
    shop.handle(PlaceOrder("G", Decimal(100)))
    for k, gap in enumerate(gaps):
        clock.advance(gap)
        shop.handle(PayOrder("G", Decimal(100)) if k == 0 else RequestRefund("G", Decimal(1)))
    return shop.store.read_stream("order-G")


def test_order_age_puts_each_event_at_its_time_since_placed_in_the_row_of_its_type(one_order):
    fig = charts.order_age(one_order)
    row = {event_type: k for k, event_type in enumerate(EVENT_TYPES)}
    expected = {event_type: [] for event_type in EVENT_TYPES}  # every type has its collection, maybe empty
    for hours, e in enumerate(one_order):  # recorded an hour apart, the first when the order was placed
        expected[e.event_type].append((hours * HOUR, row[e.event_type]))
    assert ages(fig) == expected
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == list(EVENT_TYPES)
    assert fig.axes[0].yaxis_inverted()  # OrderCreated, always at 0, in the top row
    assert [tuple(markers.get_facecolors()[0]) for markers in fig.axes[0].collections] == \
        [to_rgba(style["color"]) for style in charts.EVENT_STYLE.values()]


def test_order_age_has_the_same_fixed_axes_for_every_order(one_order, fifty_orders):
    cancelled = [e for e in fifty_orders if e.event.order_id == "1002"]  # placed, paid, refunded and cancelled
    figures = [charts.order_age(one_order), charts.order_age(cancelled), charts.order_age()]
    ax = figures[0].axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["0", "1 min", "1 h", "1 day", "3 weeks"]
    assert list(ax.get_xticks()) == [0, 60, HOUR, DAY, 3 * WEEK]
    low, high = ax.get_xlim()
    assert low < 0 and high > 3 * WEEK, "markers at 0 and at 3 weeks are drawn whole"
    assert ax.get_title() == "This order's events, by time since it was placed"
    pixels = {without_markers(fig) for fig in figures}
    assert len(pixels) == 1, "nothing but the markers may depend on the order"


def test_order_age_draws_events_later_than_three_weeks_at_three_weeks():
    fig = charts.order_age(story_with_gaps([HOUR, 3 * WEEK - HOUR, 2 * WEEK]))  # refunds at 3 and 5 weeks
    assert ages(fig)["RefundCreated"] == [(3 * WEEK, 2), (3 * WEEK, 2)]
    assert "later than 3 weeks are drawn at 3 weeks" in fig.axes[0].get_xlabel()


@settings(max_examples=25, deadline=None)
@given(st.lists(st.integers(0, 6 * WEEK), min_size=1, max_size=4))
def test_every_marker_is_at_its_time_since_placed_or_at_three_weeks(gaps):
    fig = charts.order_age(story_with_gaps(gaps))
    since_placed = [sum(gaps[:k + 1]) for k in range(len(gaps))]
    drawn = ages(fig)
    assert drawn["OrderCreated"] == [(0, 0)]
    assert drawn["OrderPaid"] == [(min(since_placed[0], 3 * WEEK), 1)]
    assert drawn["RefundCreated"] == [(min(age, 3 * WEEK), 2) for age in since_placed[1:]]


def test_place_by_age_moves_the_markers_to_another_order(one_order, fifty_orders):
    other = [e for e in fifty_orders if e.event.order_id == "1003"]
    fig = charts.order_age(one_order)
    charts.place_by_age(fig, other)
    assert ages(fig) == ages(charts.order_age(other)) != ages(charts.order_age(one_order))
    charts.place_by_age(fig, [])
    assert all(markers == [] for markers in ages(fig).values())


def test_order_age_refuses_several_orders_and_a_stream_without_its_start(one_order, fifty_orders):
    with pytest.raises(ValueError, match="order_age draws one order, but the events are from orders 1001, 1002"):
        charts.order_age(fifty_orders[:2])
    with pytest.raises(ValueError, match="measures from the order's OrderCreated, but the first event is OrderPaid"):
        charts.order_age(one_order[1:])


# --- order_state -----------------------------------------------------------

def lines(fig) -> dict[str, list[float]]:
    return {line.get_label(): list(line.get_ydata()) for line in fig.axes[0].get_lines()
            if not line.get_label().startswith("_")}


def test_order_state_steps_are_the_fold_of_each_prefix_of_events(one_order):
    drawn = lines(charts.order_state(one_order))
    prefixes = [fold(e.event for e in one_order[:k]) for k in range(len(one_order) + 1)]
    assert drawn["paid"] == [float(s.paid) for s in prefixes]
    assert drawn["refunds requested"] == [float(s.refunds_requested) for s in prefixes]
    assert drawn["refunds paid out"] == [float(s.refunds_paid) for s in prefixes]
    assert drawn["net (paid − refunds requested)"] == [float(s.net) for s in prefixes]


def test_order_state_annotates_each_change_of_status(one_order):
    fig = charts.order_state(one_order)
    texts = [t.get_text().replace(",\n", ", ") for t in fig.axes[0].texts]
    assert texts == [fold(e.event for e in one_order[:k]).status for k in range(1, 8)
                     if k == 1 or fold(e.event for e in one_order[:k]).status !=
                     fold(e.event for e in one_order[:k - 1]).status]
    assert texts == ["placed", "paid", "paid, refund requested", "paid, partially refunded",
                     "shipped, partially refunded", "shipped, refund requested", "shipped, refunded"]
    assert fig.axes[0].get_title() == "Order 1001: money after each event (now shipped, refunded)"
    ticks = [t.get_text() for t in fig.axes[0].get_xticklabels()]
    assert ticks[0] == "start" and ticks[1:] == [f"{e.version}. {e.event_type}" for e in one_order]
    assert "€" in fig.axes[0].get_ylabel()


def test_order_state_refuses_events_of_several_orders(fifty_orders):
    with pytest.raises(ValueError, match="one order, but the events are from orders 1001, 1002"):
        charts.order_state(fifty_orders[:2])


def test_order_state_refuses_a_stream_without_its_beginning(one_order):
    with pytest.raises(ValueError, match="starts at version 3"):
        charts.order_state(one_order[2:])


COMMANDS = st.lists(st.one_of(
    st.builds(PayOrder, st.just("A"), st.just(Decimal(100))),
    st.builds(RequestRefund, st.just("A"), st.integers(1, 60).map(Decimal)),
    st.builds(ConfirmRefund, st.just("A"), st.sampled_from(["R1", "R2", "R3"])),
    st.builds(CancelOrder, st.just("A")),
    st.builds(ShipOrder, st.just("A")),
), max_size=8)


@settings(max_examples=25, deadline=None)
@given(COMMANDS)
def test_order_state_net_line_ends_at_paid_minus_refunds_requested(commands):
    shop = new_shop()
    for command in [PlaceOrder("A", Decimal(100)), *commands]:
        try:
            shop.handle(command)
        except OrderError:
            pass
    drawn = lines(charts.order_state(shop.store.read_stream("order-A")))
    state = shop.state("A")
    assert drawn["net (paid − refunds requested)"][-1] == float(state.paid - state.refunds_requested)
    assert min(drawn["net (paid − refunds requested)"]) >= 0


# --- store_activity --------------------------------------------------------

def stacks(fig) -> dict[str, tuple[list, list, list]]:
    """Event type -> (bucket edges as date numbers, bottoms, tops) of its stacked steps."""
    return {patch.get_label(): tuple(map(list, (patch.get_data().edges, patch.get_data().baseline,
                                                patch.get_data().values)))
            for patch in fig.axes[0].patches}


def test_store_activity_counts_each_type_per_bucket_and_stacks_them(fifty_orders):
    fig = charts.store_activity(fifty_orders, bucket="6h")
    bucket = 6 * HOUR
    first = fifty_orders[0].recorded_at // bucket * bucket
    n = (fifty_orders[-1].recorded_at - first) // bucket + 1  # buckets from the first event's to the last's
    expected = {name: [0] * n for name in EVENT_TYPES}
    for e in fifty_orders:
        expected[e.event_type][(e.recorded_at - first) // bucket] += 1
    drawn = stacks(fig)
    assert list(drawn) == list(EVENT_TYPES) == legend_texts(fig)  # stacked in the one order
    below = [0] * n
    for name, (edges, bottoms, tops) in drawn.items():
        assert edges == pytest.approx([matplotlib.dates.date2num(to_datetime(first + k * bucket))
                                       for k in range(n + 1)])
        assert bottoms == below
        assert [top - bottom for top, bottom in zip(tops, bottoms)] == expected[name]
        below = tops
    assert sum(below) == len(fifty_orders)
    assert "recorded at (UTC), per 6 hours, " in fig.axes[0].get_xlabel()


def test_store_activity_shows_empty_buckets_as_zero():
    clock = SimulatedClock(step=HOUR)
    shop = Shop(clock=clock, ids=SeededIds(1))
    shop.handle(PlaceOrder("1", Decimal(5)))
    clock.advance(4 * HOUR)  # four silent hours
    shop.handle(PlaceOrder("2", Decimal(5)))
    fig = charts.store_activity(shop.store.read_all())
    _, bottoms, tops = stacks(fig)["OrderCreated"]
    assert bottoms == [0] * 6 and tops == [1, 0, 0, 0, 0, 1]
    assert fig.axes[0].get_ylim() == (0, pytest.approx(1.1))


def test_store_activity_reads_a_log_like_a_store(fifty_orders, tmp_path):
    write_jsonl(fifty_orders, tmp_path / "log.jsonl")
    logged = read_jsonl(tmp_path / "log.jsonl")
    assert stacks(charts.store_activity(logged)) == stacks(charts.store_activity(fifty_orders))


@pytest.mark.parametrize("bucket, problem", [("soon", "not a duration"), ("0h", "not a positive duration"),
                                             ("1s", "buckets of 1s are too many to draw")])
def test_store_activity_rejects_bad_buckets(fifty_orders, bucket, problem):
    with pytest.raises(ValueError, match=problem):
        charts.store_activity(fifty_orders, bucket=bucket)


# --- read_model_lag --------------------------------------------------------

LAG = [(0, 0, 0), (1, 4, 0), (2, 6, 3), (3, 6, 6), (4, 9, 7)]


def test_read_model_lag_draws_store_and_checkpoint_and_shades_the_gap():
    fig = charts.read_model_lag(LAG)
    drawn = lines(fig)
    assert drawn["store: last\nposition recorded"] == [s for _, s, _ in LAG]
    assert drawn["read model:\ncheckpoint projected"] == [c for _, _, c in LAG]
    assert len(fig.axes[0].collections) == 1  # the shaded lag
    assert fig.axes[0].get_title() == "Read model lag: at most 4 events behind, 2 at the last sample"
    assert fig.axes[0].get_xlabel() == "step"


def test_read_model_lag_takes_a_dataframe_with_times():
    start = to_datetime(1_628_379_200)
    frame = pd.DataFrame([(start + timedelta(seconds=step), s, c) for step, s, c in LAG],
                         columns=["time", "store_position", "checkpoint"])
    fig = charts.read_model_lag(frame)
    assert lines(fig)["read model:\ncheckpoint projected"] == [c for _, _, c in LAG]
    assert fig.axes[0].get_xlabel() == "time (UTC), 2021-08-07"


@pytest.mark.parametrize("samples, problem", [
    ([(0, 3, 4)], "at step 0 the checkpoint \\(4\\) is ahead of the store \\(3\\)"),
    (pd.DataFrame({"step": [0], "position": [1], "checkpoint": [0]}), "no column store_position"),
    (pd.DataFrame({"store_position": [1], "checkpoint": [0]}), "first column must be the time or step"),
    (pd.DataFrame({"step": [], "store_position": [], "checkpoint": []}), "no samples to draw"),
])
def test_read_model_lag_rejects_impossible_samples(samples, problem):
    with pytest.raises(ValueError, match=problem):
        charts.read_model_lag(samples)


# --- replay_cost -----------------------------------------------------------

def test_replay_cost_draws_milliseconds_and_a_fit_through_the_origin():
    fig = charts.replay_cost([(5000, 0.010), (1000, 0.002), (10000, 0.020)])  # 2 µs per event
    ax = fig.axes[0]
    fit, measured = ax.get_lines()
    assert list(measured.get_xdata()) == [1000, 5000, 10000]
    assert list(measured.get_ydata()) == pytest.approx([2, 10, 20])
    assert list(fit.get_xdata()) == [0, 10000] and list(fit.get_ydata()) == pytest.approx([0, 20])
    assert legend_texts(fig) == ["fit: 2 µs per event", "measured replay"]
    assert ax.get_ylabel() == "time to rebuild (ms)"
    assert ax.get_title() == "Replay cost: 20 ms to rebuild from 10,000 events"
    assert charts.cost_per_event([(5000, 0.010), (1000, 0.002), (10000, 0.020)]) == pytest.approx(2e-6)


@pytest.mark.parametrize("samples, problem", [([(-1, 0.1)], "cannot be negative"),
                                              ([(0, 0.1), (0, 0.2)], "replayed 0 events")])
def test_replay_cost_rejects_samples_it_cannot_fit(samples, problem):
    with pytest.raises(ValueError, match=problem):
        charts.replay_cost(samples)
    with pytest.raises(ValueError, match=problem):
        charts.cost_per_event(samples)


# --- readable at the size shown --------------------------------------------

def story_with_a_failed_payout():
    """Order 1: placed, paid within the minute, a refund paid out on the second attempt, shipped."""
    clock = SimulatedClock(start=1_628_380_800)
    shop = Shop(InMemoryEventStore(clock=clock, ids=SeededIds(1)), ids=SeededIds(2))
    process = RefundProcess(shop, FakePaymentProvider(delay=12 * HOUR, failure_rate=0.5, seed=3), clock)
    shop.handle(PlaceOrder("1", Decimal(100)))
    clock.advance(30)
    shop.handle(PayOrder("1", Decimal(100)))
    clock.advance(HOUR)
    shop.handle(RequestRefund("1", Decimal(30)))
    attempts = []
    while (attempt := process.step()) is not None:
        attempts.append(attempt)
    clock.advance(HOUR)
    shop.handle(ShipOrder("1"))
    return shop.store.read_stream("order-1"), attempts


EVERY_CHART = {**CHARTS, "causation": lambda one, log: charts.causation(*story_with_a_failed_payout())}


@pytest.mark.parametrize("name", EVERY_CHART)
def test_every_text_is_at_least_the_smallest_font_inside_the_figure_and_dark(name, one_order, fifty_orders):
    fig = EVERY_CHART[name](one_order, fifty_orders)
    canvas = FigureCanvasAgg(fig)
    canvas.draw()  # runs the layout
    renderer = canvas.get_renderer()
    texts = [t for t in fig.findobj(matplotlib.text.Text) if t.get_visible() and t.get_text().strip()]
    assert texts
    for t in texts:
        assert t.get_fontsize() >= charts.FONT, f"{t.get_text()!r} is {t.get_fontsize()} pt"
        r, g, b, _ = to_rgba(t.get_color())
        assert max(r, g, b) <= 0.3, f"{t.get_text()!r} is drawn in a light colour"
    box = fig.get_tightbbox(renderer)
    assert box.width <= fig.get_figwidth() + 0.05 and box.height <= fig.get_figheight() + 0.05, \
        "text sticks out of the figure: a notebook would show it shrunk"
    assert fig.get_figheight() <= charts.MAX_HEIGHT


def test_coinciding_markers_of_one_order_stay_apart():
    """Paid 30 s after it was placed: on an axis of a day and more, the two markers would overlap."""
    events, _ = story_with_a_failed_payout()
    drawn = points(charts.timeline(events))
    placed, paid = sorted((x, y) for x, y, _ in drawn)[:2]
    assert placed[1] != paid[1], "spread across the lane"


def test_store_activity_fills_each_type_with_its_own_hatch(fifty_orders):
    fig = charts.store_activity(fifty_orders)
    hatches = [patch.get_hatch() for patch in fig.axes[0].patches]
    assert len(set(hatches)) == len(hatches), "colour is not the only clue"


def test_causation_links_each_command_to_its_events_and_the_refund_through_the_process():
    events, attempts = story_with_a_failed_payout()
    fig = charts.causation(events, attempts)
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.texts if not isinstance(t, matplotlib.text.Annotation)]
    assert labels == ["PlaceOrder", "OrderCreated", "PayOrder", "OrderPaid", "RequestRefund", "RefundCreated",
                      "asks to pay\nout R1", "attempt 1:\nfailed", "attempt 2:\npaid", "ConfirmRefund",
                      "RefundPaid", "ShipOrder", "OrderShipped"]
    arrows = [(a.anncoords.get_text(), a.xycoords.get_text()) for a in ax.texts
              if isinstance(a, matplotlib.text.Annotation)]
    assert ("PayOrder", "OrderPaid") in arrows and ("RefundCreated", "asks to pay\nout R1") in arrows
    assert ("asks to pay\nout R1", "attempt 1:\nfailed") in arrows
    assert ("attempt 1:\nfailed", "attempt 2:\npaid") in arrows
    assert ("attempt 2:\npaid", "ConfirmRefund") in arrows and ("ConfirmRefund", "RefundPaid") in arrows
    assert len(arrows) == 5 + 4  # five commands to their events; the refund through process and provider
    assert [t.get_text() for t in ax.get_xticklabels()] == list(charts.LANES)


# --- two clocks ------------------------------------------------------------

def test_two_clocks_writes_each_cell_where_its_recorded_date_meets_its_business_date():
    grid = pd.DataFrame([["0.00", "20.00"], ["80.00", "100.00"]], index=["known Tue", "known Wed"],
                        columns=["as of Mon", "as of Tue"])
    fig = charts.two_clocks(grid, what="paid", row="known Tue", column="as of Mon")
    ax = fig.axes[0]
    cells = {(round(t.get_position()[1]), round(t.get_position()[0])): t.get_text() for t in ax.texts}
    assert cells == {(0, 0): "0.00", (0, 1): "20.00", (1, 0): "80.00", (1, 1): "100.00"}
    assert [t.get_text() for t in ax.get_yticklabels()] == ["known Tue", "known Wed"]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["as of Mon", "as of Tue"]
    outlines = [(p.get_x(), p.get_y(), p.get_width(), p.get_height()) for p in ax.patches]
    assert outlines == [(-0.5, -0.5, 2, 1), (-0.5, -0.5, 1, 2)]  # the row "known Tue", the column "as of Mon"
    assert "known on known Wed: 80.00, 100.00" in charts.alt_text(fig)


def test_two_clocks_refuses_an_empty_grid_and_an_outline_it_does_not_hold():
    with pytest.raises(ValueError, match="at least one recorded date"):
        charts.two_clocks(pd.DataFrame())
    with pytest.raises(ValueError, match="'Sun' is not a row of the grid"):
        charts.two_clocks(pd.DataFrame([[1]], index=["Mon"], columns=["Mon"]), row="Sun")
