"""Blind learner answers for notebook 01 (generating events)."""

NB = "01_*.ipynb"

CASES = [
    # ---- 1.1 write an event by hand ---------------------------------------------
    (NB, "check_shipped_json",
     "1.1 a JSON string (json.dumps) instead of the dict asked for: 'events travel as JSON lines'",
     '''import json
shipped = json.dumps({"eventType": "OrderShipped", "orderId": "123456", "timestamp": 1628409200})
'''),
    (NB, "check_shipped_json",
     "1.1 the command's name as eventType (ShipOrder): mixing up command and event",
     '''shipped = {"eventType": "ShipOrder", "orderId": "123456", "timestamp": 1628409200}
'''),
    (NB, "check_shipped_json",
     "1.1 snake_case keys copied from the Python dataclass fields instead of the camelCase JSON shape",
     '''shipped = {"event_type": "OrderShipped", "order_id": "123456", "timestamp": 1628409200}
'''),
    (NB, "check_shipped_json",
     "1.1 order id as a number (123456) because it looks like one",
     '''shipped = {"eventType": "OrderShipped", "orderId": 123456, "timestamp": 1628409200}
'''),
    (NB, "check_shipped_json",
     "1.1 timestamp as a string of digits (quoted like the other values)",
     '''shipped = {"eventType": "OrderShipped", "orderId": "123456", "timestamp": "1628409200"}
'''),
    (NB, "check_shipped_json",
     "1.1 timestamp in milliseconds (JavaScript habit) instead of Unix seconds",
     '''shipped = {"eventType": "OrderShipped", "orderId": "123456", "timestamp": 1628409200000}
'''),
    (NB, "check_shipped_json",
     "1.1 timestamp as an ISO date string instead of Unix seconds",
     '''shipped = {"eventType": "OrderShipped", "orderId": "123456", "timestamp": "2021-08-08T07:53:20Z"}
'''),
    (NB, "check_shipped_json",
     "1.1 copy-paste from the RefundCreated example line: wrong timestamp (1628399200)",
     '''shipped = {"eventType": "OrderShipped", "orderId": "123456", "timestamp": 1628399200}
'''),
    (NB, "check_shipped_json",
     "1.1 extra amount field copied from the OrderCreated example (OrderShipped has no amount)",
     '''shipped = {"eventType": "OrderShipped", "orderId": "123456", "amount": 100, "timestamp": 1628409200}
'''),
    (NB, "check_shipped_json",
     "1.1 the domain event object instead of its JSON dict",
     '''shipped = OrderShipped("123456")
'''),
    (NB, "check_shipped_json",
     "1.1 timestamp forgotten: 'when it was recorded is the envelope, not the event'",
     '''shipped = {"eventType": "OrderShipped", "orderId": "123456"}
'''),
    (NB, "check_shipped_json",
     "1.1 'type' key instead of eventType",
     '''shipped = {"type": "OrderShipped", "orderId": "123456", "timestamp": 1628409200}
'''),
    # ---- 1.2 an order's story as events --------------------------------------------
    (NB, "check_story",
     "1.2 adds RefundPaid: learner thinks a refund 'happens' in one go, though the provider has not paid it",
     '''from eventsim import RefundPaid
story = [
    OrderCreated("A1", Decimal("42.50"), customer_id="carol"),
    OrderPaid("A1"),
    RefundCreated("A1", Decimal("2.50"), refund_id="R1", reason="late"),
    RefundPaid("A1", refund_id="R1"),
]
'''),
    (NB, "check_story",
     "1.2 refund_id and reason swapped by positional arguments (RefundCreated(order, amount, 'late', 'R1'))",
     '''story = [
    OrderCreated("A1", Decimal("42.50"), "carol"),
    OrderPaid("A1"),
    RefundCreated("A1", Decimal("2.50"), "late", "R1"),
]
'''),
    (NB, "check_story",
     "1.2 customer forgotten on OrderCreated",
     '''story = [
    OrderCreated("A1", Decimal("42.50")),
    OrderPaid("A1"),
    RefundCreated("A1", Decimal("2.50"), refund_id="R1", reason="late"),
]
'''),
    (NB, "check_story",
     "1.2 refund id and reason left out: 'they are optional'",
     '''story = [
    OrderCreated("A1", Decimal("42.50"), customer_id="carol"),
    OrderPaid("A1"),
    RefundCreated("A1", Decimal("2.50")),
]
'''),
    (NB, "check_story",
     "1.2 refund amount written as what is left (42.50 - 2.50 = 40) instead of the refund",
     '''story = [
    OrderCreated("A1", Decimal("42.50"), customer_id="carol"),
    OrderPaid("A1"),
    RefundCreated("A1", Decimal("40.00"), refund_id="R1", reason="late"),
]
'''),
    (NB, "check_story",
     "1.2 commands instead of events (PlaceOrder, PayOrder, RequestRefund)",
     '''from eventsim import PayOrder, PlaceOrder, RequestRefund
story = [
    PlaceOrder("A1", Decimal("42.50"), customer_id="carol"),
    PayOrder("A1", Decimal("42.50")),
    RequestRefund("A1", Decimal("2.50"), reason="late", refund_id="R1"),
]
'''),
    (NB, "check_story",
     "1.2 JSON dicts (the shape of exercise 1.1) instead of domain events",
     '''story = [
    {"eventType": "OrderCreated", "orderId": "A1", "customerId": "carol", "amount": Decimal("42.50")},
    {"eventType": "OrderPaid", "orderId": "A1"},
    {"eventType": "RefundCreated", "orderId": "A1", "refundId": "R1", "amount": Decimal("2.50"), "reason": "late"},
]
'''),
    (NB, "check_story",
     "1.2 float money: amounts written as 42.50 and 2.50 (the event refuses them, the cell raises)",
     '''story = [
    OrderCreated("A1", 42.50, customer_id="carol"),
    OrderPaid("A1"),
    RefundCreated("A1", 2.50, refund_id="R1", reason="late"),
]
'''),
    (NB, "check_story",
     "1.2 order of events wrong: paid listed before created (learner lists 'what matters' first)",
     '''story = [
    OrderPaid("A1"),
    OrderCreated("A1", Decimal("42.50"), customer_id="carol"),
    RefundCreated("A1", Decimal("2.50"), refund_id="R1", reason="late"),
]
'''),
    (NB, "check_story",
     "1.2 recorded envelopes from a scratch shop instead of the domain events",
     '''from eventsim import PayOrder, PlaceOrder, RequestRefund, Shop
_scratch = Shop()
_scratch.handle(PlaceOrder("A1", Decimal("42.50"), customer_id="carol"))
_scratch.handle(PayOrder("A1", Decimal("42.50")))
_scratch.handle(RequestRefund("A1", Decimal("2.50"), reason="late", refund_id="R1"))
story = _scratch.store.read_all()
'''),
    (NB, "check_story",
     "1.2 a tuple instead of a list and the wrong order id (the notebook's 123456 by habit)",
     '''story = (
    OrderCreated("123456", Decimal("42.50"), customer_id="carol"),
    OrderPaid("123456"),
    RefundCreated("123456", Decimal("2.50"), refund_id="R1", reason="late"),
)
'''),
    # ---- 1.3 what happened in the simulation? -----------------------------------------
    (NB, "check_type_counts",
     "1.3 classic counting off-by-one: first sighting sets 0 instead of 1",
     '''counts = {}
for recorded in log:
    if recorded.event_type not in counts:
        counts[recorded.event_type] = 0
    else:
        counts[recorded.event_type] += 1
'''),
    (NB, "check_type_counts",
     "1.3 keys are the event classes, not their type names",
     '''from collections import Counter
counts = Counter(type(recorded.event) for recorded in log)
'''),
    (NB, "check_type_counts",
     "1.3 shape slip: most_common() gives a list of pairs, not a dict",
     '''from collections import Counter
counts = Counter(recorded.event_type for recorded in log).most_common()
'''),
    (NB, "check_type_counts",
     "1.3 counts per stream (order) instead of per event type",
     '''from collections import Counter
counts = Counter(recorded.stream_id for recorded in log)
'''),
    (NB, "check_type_counts",
     "1.3 only the four events printed above counted (log[:4] left over from the printing cell)",
     '''from collections import Counter
counts = Counter(recorded.event_type for recorded in log[:4])
'''),
    (NB, "check_type_counts",
     "1.3 hard-coded from a run of the simulation: right for this seed only",
     '''counts = {"OrderCreated": 40, "OrderPaid": 36, "OrderShipped": 31,
          "OrderCancelled": 6, "RefundCreated": 10, "RefundPaid": 10}
'''),
    (NB, "check_type_counts",
     "1.3 counts orders that had each type (set of streams), not events: a second refund on one order is lost",
     '''from collections import defaultdict
_orders = defaultdict(set)
for recorded in log:
    _orders[recorded.event_type].add(recorded.stream_id)
counts = {event_type: len(streams) for event_type, streams in _orders.items()}
'''),
    (NB, "check_type_counts",
     "1.3 lower-cased type names ('ordercreated') to 'normalise' them",
     '''from collections import Counter
counts = Counter(recorded.event_type.lower() for recorded in log)
'''),
    (NB, "check_type_counts",
     "1.3 pandas value_counts left as a Series (not a dict)",
     '''import pandas as pd
counts = pd.Series([recorded.event_type for recorded in log]).value_counts()
'''),
    (NB, "check_type_counts",
     "1.3 counts the whole store again after re-running simulate into the same variable name: new shop, different config",
     '''from collections import Counter
shop = simulate(SimulationConfig(orders=40, customers=10, seed=2, days=7))
counts = Counter(recorded.event_type for recorded in shop.store.read_all())
'''),
]

RIGHT = [
    (NB, "check_shipped_json",
     "1.1 right, parsed from a JSON line with json.loads",
     '''import json
shipped = json.loads('{"eventType": "OrderShipped", "orderId": "123456", "timestamp": 1628409200}')
'''),
    (NB, "check_shipped_json",
     "1.1 right, dict() with keywords in another order",
     '''shipped = dict(timestamp=1628409200, orderId="123456", eventType="OrderShipped")
'''),
    (NB, "check_story",
     "1.2 right, events taken from a scratch shop's recorded envelopes (.event)",
     '''from eventsim import PayOrder, PlaceOrder, RequestRefund, Shop
_scratch = Shop()
_scratch.handle(PlaceOrder("A1", Decimal("42.50"), customer_id="carol"))
_scratch.handle(PayOrder("A1", Decimal("42.50")))
_scratch.handle(RequestRefund("A1", Decimal("2.50"), reason="late", refund_id="R1"))
story = [recorded.event for recorded in _scratch.store.read_all()]
'''),
    (NB, "check_story",
     "1.2 right, keywords everywhere and amounts written without trailing zero (Decimal('42.5'))",
     '''story = [
    OrderCreated(order_id="A1", amount=Decimal("42.5"), customer_id="carol"),
    OrderPaid(order_id="A1"),
    RefundCreated(order_id="A1", amount=Decimal("2.5"), refund_id="R1", reason="late"),
]
'''),
    (NB, "check_type_counts",
     "1.3 right, a plain dict with get()",
     '''counts = {}
for recorded in log:
    counts[recorded.event_type] = counts.get(recorded.event_type, 0) + 1
'''),
    (NB, "check_type_counts",
     "1.3 right, class names via type(...).__name__ and a dict comprehension",
     '''_names = [type(recorded.event).__name__ for recorded in log]
counts = {name: _names.count(name) for name in set(_names)}
'''),
]

if __name__ == "__main__":
    import ast
    for row in CASES + RIGHT:
        ast.parse(row[3])
    print(len(CASES), "cases,", len(RIGHT), "right: all parse")
