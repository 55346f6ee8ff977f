"""How long each widget callback takes on a store of about a million events.

    .venv/bin/python benchmarks/bench_widgets.py [--orders 340000] [--repeat 9]

A callback should answer within one frame (16 ms) whatever the size of the
store: it reads one stream, one read-model row or an index, never the whole
log.  The order explorer finds ids by any part through one string of all
ids (``str.rfind``, a C loop) instead of a Python scan.  Drawing a new chart
would break the frame (matplotlib takes 0.1-0.2 s for any PNG on a small
machine, mostly for its text), so TimeTravel and OrderExplorer each draw
their chart once and then redraw only the markers.  The panels that write
are given the shop itself (``copy=False``): a copy of a million events is
made once, when a panel is shown, and is not a callback.
"""
import argparse
import statistics
import time

import matplotlib

matplotlib.use("Agg")

from eventsim.clock import to_datetime
from eventsim.projections import EVENTUAL, INLINE
from eventsim.shop import stream_for
from eventsim.shop.read_models import ShopReadModels
from eventsim.shop.simulator import SimulationConfig, simulate
from eventsim.workbook.widgets import (
    CommandConsole,
    ConcurrencyRace,
    LiveDashboard,
    OrderExplorer,
    TimeTravel,
)

TARGET_MS = 16  # one frame at 60 Hz


def median_ms(action, repeat, before=lambda: None):
    """The median time of ``action()`` over ``repeat`` runs, each after an untimed ``before()``."""
    times = []
    for _ in range(repeat):
        before()
        start = time.perf_counter()
        action()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def timed_ms(action):
    start = time.perf_counter()
    result = action()
    return result, (time.perf_counter() - start) * 1000


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=340_000,
                        help="simulated orders (340,000 make ~1,000,000 events)")
    parser.add_argument("--repeat", type=int, default=9, help="runs per callback; the median is printed")
    args = parser.parse_args()
    results = []

    def measure(name, action, before=lambda: None):
        results.append((name, median_ms(action, args.repeat, before)))

    shop, ms = timed_ms(lambda: simulate(SimulationConfig(orders=args.orders, seed=1)))
    store = shop.store
    print(f"store: {len(store):,} events in {len(store.stream_ids()):,} streams, simulated in {ms / 1000:.1f} s")
    read_models, ms = timed_ms(lambda: ShopReadModels(store, mode=INLINE))  # inline: catches up at once
    once = [f"read models catching up with the whole store: {ms:.0f} ms"]
    busy = max(store.stream_ids(), key=store.stream_version).removeprefix("order-")
    last = store.stream_version(stream_for(busy))

    travel, ms = timed_ms(lambda: TimeTravel(store, busy, version=0))
    once.append(f"TimeTravel drawing the timeline of order {busy} ({last} events): {ms:.0f} ms")

    def flip():  # version 0 <-> the last version
        travel.slider.value = last - travel.slider.value

    moments = [travel.events[0].recorded_at, travel.events[-1].recorded_at]

    def pick():  # the moment of version 1 <-> the moment of the last version, typed
        moments.reverse()
        travel.moment.value = to_datetime(moments[0]).strftime("%Y-%m-%d %H:%M:%S")

    measure("TimeTravel: move the slider", flip)
    measure("TimeTravel: pick a moment", pick)

    console = CommandConsole(shop, read_models)  # read models of the shop's store: it shares the shop
    numbers = iter(range(10**9))

    def new_order():
        console.order_id.value = f"bench-{next(numbers)}"
        console.amount.value = "10.00"

    measure("CommandConsole: place an order", console.buttons["place"].click, before=new_order)
    measure("CommandConsole: pay it", console.buttons["pay"].click,
            before=lambda: (new_order(), console.buttons["place"].click()))
    measure("CommandConsole: a rejected command", console.buttons["ship"].click, before=new_order)

    race = ConcurrencyRace(shop, busy, copy=False)
    clerk = race.clerks["A"]
    clerk.action.value = "pay"  # the busiest order was paid long ago: the rule says no
    measure("ConcurrencyRace: load", clerk.load.click)
    measure("ConcurrencyRace: save, rule says no", clerk.save.click, before=clerk.load.click)

    explorer = OrderExplorer(store, read_models)
    explorer.search.value = "03395"
    parts = iter(["03", "3395", "9x", "339"] * args.repeat)  # common, rare, none (the whole index), middle
    measure("OrderExplorer: search any part (Enter)", lambda: setattr(explorer.search, "value", next(parts)))
    measure("OrderExplorer: refresh", explorer.refresh)
    explorer.search.value = ""  # the latest orders placed
    picks = iter(explorer.picker.options[1:] * args.repeat)
    measure("OrderExplorer: pick another order", lambda: setattr(explorer.picker, "value", next(picks)))

    dashboard, ms = timed_ms(lambda: LiveDashboard(shop, copy=False))
    _, ms = timed_ms(dashboard.buttons["catch up"].click)
    once.append(f"LiveDashboard's first catch-up over the whole store: {ms:.0f} ms")
    dashboard.console.amount.value = "10.00"

    def place_on_dashboard():
        dashboard.console.order_id.value = f"dash-{next(numbers)}"
        dashboard.console.buttons["place"].click()

    measure("LiveDashboard: place an order (console + refresh)", place_on_dashboard)
    measure("LiveDashboard: apply 1 event", dashboard.buttons["apply 1 event"].click, before=place_on_dashboard)
    measure("LiveDashboard: catch up 5 events", dashboard.buttons["catch up"].click,
            before=lambda: [place_on_dashboard() for _ in range(5)])
    measure("LiveDashboard: switch to inline and back",
            lambda: (setattr(dashboard.mode, "value", INLINE), setattr(dashboard.mode, "value", EVENTUAL)))

    print(f"\nmedian of {args.repeat} runs per callback, target {TARGET_MS} ms:")
    width = max(len(name) for name, _ in results)
    for name, ms in results:
        print(f"  {name:<{width}}  {ms:8.2f} ms{'' if ms < TARGET_MS else '  over target'}")
    print("\nonce, not callbacks:\n  " + "\n  ".join(once))


if __name__ == "__main__":
    main()
