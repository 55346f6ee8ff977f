"""Read models in production (eventsim.subscriptions): a catch-up that hands over to live delivery without a gap
or a duplicate, parked events and the operator's choices, and a blue/green rebuild whose reads are never empty
or half-built. Each property is also run against the naive version it exists to rule out, which must fail it."""
from __future__ import annotations

from decimal import Decimal

import pytest

from eventsim import PayOrder, PlaceOrder, SeededIds, Shop, SimulatedClock
from eventsim.projections import EVENTUAL, INLINE, Projection, ProjectionRunner
from eventsim.subscriptions import BlueGreen, CatchUpSubscription, LiveFeed


def new_shop(orders: int = 0) -> Shop:
    shop = Shop(clock=SimulatedClock(), ids=SeededIds(1))
    for n in range(orders):
        place(shop, n)
    return shop


def place(shop: Shop, n: int) -> None:
    shop.handle(PlaceOrder(f"o{n}", Decimal(10 + n)))


# --- a catch-up that hands over to live delivery ----------------------------------------------------------

def catch_up_while_orders_arrive(subscribe, shop: Shop) -> list[int]:
    """The positions a subscription hands on while 5 orders arrive during its catch-up and 3 after it."""
    seen: list[int] = []
    subscription = subscribe(shop.store, LiveFeed(shop.store), lambda recorded: seen.append(recorded.position))
    for n in range(100, 105):
        subscription.step()
        place(shop, n)
    subscription.run()
    for n in range(200, 203):
        place(shop, n)
    return seen


def test_a_catch_up_hands_over_to_live_delivery_without_a_gap_or_a_duplicate():
    shop = new_shop(10)
    seen = catch_up_while_orders_arrive(lambda store, feed, handler: CatchUpSubscription(store, feed, handler, page=3),
                                        shop)
    assert seen == list(range(1, shop.store.last_position + 1)) == list(range(1, 19))


class CatchesUpToTheEndItFirstSaw(CatchUpSubscription):
    """Naive: reads up to the end of the log as it was when it started, then hands on whatever the feed pushes.

    What is recorded while it catches up lies past that end: never read, and pushed before it listened."""

    def __init__(self, store, feed, handler, page):
        super().__init__(store, feed, handler, page=page)
        self.close()  # it listens only once it has caught up
        self._feed, self._end = feed, store.last_position

    def step(self):
        if self.live:
            return 0
        events = self.store.read_all(self.checkpoint + 1, limit=min(self.page, self._end - self.checkpoint) or 1)
        for recorded in events:
            self._handle(recorded)
        if self.checkpoint >= self._end:
            self.live = True
            self._feed.listen(self._handle)
        return len(events)


class KeepsEverythingPushed(CatchUpSubscription):
    """Naive: listens from the start, but hands on every pushed event, even those the catch-up read."""

    def _on_live(self, recorded):
        if not self.live:
            self._pushed.append(recorded)
        else:
            self._handle(recorded)


@pytest.mark.parametrize("naive, fault", [(CatchesUpToTheEndItFirstSaw, "a gap"), (KeepsEverythingPushed, "duplicates")])
def test_the_handover_check_fails_on_naive_handovers(naive, fault):
    shop = new_shop(10)
    seen = catch_up_while_orders_arrive(lambda store, feed, handler: naive(store, feed, handler, page=3), shop)
    assert seen != list(range(1, shop.store.last_position + 1))
    if fault == "a gap":
        assert len(seen) < shop.store.last_position and len(set(seen)) == len(seen)
    else:
        assert len(seen) > len(set(seen))


def test_an_event_the_feed_never_pushed_is_read_from_the_log():
    shop = new_shop(3)
    feed = LiveFeed(shop.store)
    seen: list[int] = []
    subscription = CatchUpSubscription(shop.store, feed, lambda recorded: seen.append(recorded.position))
    subscription.run()
    subscription.close()
    place(shop, 50)  # pushed while nobody listened (a feed that dropped a message)
    feed.listen(subscription._on_live)
    place(shop, 51)
    assert seen == [1, 2, 3, 4, 5]


def test_a_page_of_zero_events_is_refused_in_words():
    shop = new_shop()
    with pytest.raises(ValueError, match="page is the number of events read at a time"):
        CatchUpSubscription(shop.store, LiveFeed(shop.store), print, page=0)


# --- parked events ------------------------------------------------------------------------------------------

def test_a_poison_event_is_parked_with_its_reason_and_the_rest_go_on():
    shop = new_shop(2)
    shop.handle(PayOrder("o1", Decimal(11)))
    place(shop, 3)
    rows: dict[str, str] = {}
    fixed = False

    def handler(recorded):
        if recorded.event_type == "OrderPaid" and not fixed:
            raise KeyError("no row for the payment's order")
        rows[recorded.event.order_id] = recorded.event_type

    subscription = CatchUpSubscription(shop.store, LiveFeed(shop.store), handler)
    subscription.run()
    (parked,) = subscription.parked
    assert (parked.position, parked.event_type) == (3, "OrderPaid")
    assert "KeyError" in parked.reason and "no row for the payment's order" in parked.reason
    assert subscription.checkpoint == 4 and rows == {"o0": "OrderCreated", "o1": "OrderCreated", "o3": "OrderCreated"}

    assert subscription.retry() == [subscription.parked[0]]  # retried before the fix: still parked, reason kept
    fixed = True
    assert subscription.retry() == [] and rows["o1"] == "OrderPaid"


def test_skipping_a_parked_event_lists_it_and_an_unknown_position_is_refused():
    shop = new_shop(2)

    def handler(recorded):
        if recorded.position == 1:
            raise ValueError("bad data")

    subscription = CatchUpSubscription(shop.store, LiveFeed(shop.store), handler)
    subscription.run()
    with pytest.raises(ValueError, match="no event is parked at position 2; parked: \\[1\\]"):
        subscription.skip(2)
    skipped = subscription.skip(1)
    assert subscription.parked == [] and subscription.skipped == [skipped] and skipped.position == 1
    assert "parked>" in repr(subscription) and "live" in repr(subscription)


# --- blue/green rebuild ---------------------------------------------------------------------------------------

def count_events(state, recorded):
    state[recorded.stream_id] = state.get(recorded.stream_id, 0) + 1
    return state


def count_and_last_type(state, recorded):  # the new shape: a pair per stream
    count, _ = state.get(recorded.stream_id, (0, None))
    state[recorded.stream_id] = (count + 1, recorded.event_type)
    return state


V1 = Projection("events per order", dict, count_events)
V2 = Projection("events and last event per order", dict, count_and_last_type)


class DropAndReplay:
    """The rebuild notebooks 4 and 8 used to teach: throw the read model away, replay into it, in place."""

    def __init__(self, store, projection):
        self.live = ProjectionRunner(store, projection, mode=INLINE)

    @property
    def state(self):
        return self.live.state

    def start(self, projection):
        self.live.mode = EVENTUAL
        self.live = ProjectionRunner(self.live.store, projection)

    def build(self, max_events=None):
        return self.live.catch_up(max_events)

    def switch(self):
        self.live.catch_up()
        self.live.mode = INLINE


def reads_during_a_rebuild(model, shop: Shop) -> list[bool]:
    """For each read made while the model is rebuilt (and orders keep arriving): was the answer complete?

    Complete means: what the version being served computes from every event recorded so far."""
    complete = []

    def read():
        complete.append(model.state == model.live.projection.fold(shop.store.read_all()))

    model.start(V2)
    read()
    for n in range(100, 110):
        model.build(7)
        place(shop, n)
        read()
    model.switch()
    read()
    place(shop, 200)
    read()
    return complete


def test_blue_green_never_answers_from_an_empty_or_half_built_model():
    shop = new_shop(60)
    model = BlueGreen(shop.store, V1)
    complete = reads_during_a_rebuild(model, shop)
    assert all(complete) and len(complete) == 13
    assert model.live.projection is V2 and model.state == V2.fold(shop.store.read_all())


def test_the_same_check_fails_on_a_drop_and_replay_rebuild():
    shop = new_shop(60)
    model = DropAndReplay(shop.store, V1)
    model.build()
    complete = reads_during_a_rebuild(model, shop)
    assert not complete[0]  # the first read after the drop: an empty model
    assert complete.count(False) >= 9  # and half-built ones for the whole replay


def test_the_switch_keeps_following_the_store_and_the_old_version_stops():
    shop = new_shop(5)
    model = BlueGreen(shop.store, V1)
    with pytest.raises(ValueError, match="start\\(projection\\) first"):
        model.build()
    model.start(V2)
    with pytest.raises(ValueError, match="is being built already"):
        model.start(V2)
    assert "building" in repr(model)
    old = model.switch()
    place(shop, 9)
    assert old.mode == EVENTUAL and old.checkpoint == 5
    assert model.live.mode == INLINE and model.state["order-o9"] == (1, "OrderCreated")
