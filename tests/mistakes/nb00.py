"""Blind learner answers for notebook 00 (start here)."""

NB = "00_*.ipynb"

CASES = [
    # ---- 0.1 event or command? -------------------------------------------------
    (NB, "check_event_or_command",
     "0.1 RefundCreated labelled a command: 'create a refund' reads like an instruction, the learner misses the past tense",
     '''answer = {
    "OrderPaid": "event",
    "PayOrder": "command",
    "RefundCreated": "command",
    "CancelOrder": "command",
    "OrderShipped": "event",
}
'''),
    (NB, "check_event_or_command",
     "0.1 CancelOrder labelled an event: cancelling 'is something that happens to an order'",
     '''answer = {
    "OrderPaid": "event",
    "PayOrder": "command",
    "RefundCreated": "event",
    "CancelOrder": "event",
    "OrderShipped": "event",
}
'''),
    (NB, "check_event_or_command",
     "0.1 everything swapped: learner thinks the 'Order...' names are the requests sent to the order",
     '''answer = {
    "OrderPaid": "command",
    "PayOrder": "event",
    "RefundCreated": "command",
    "CancelOrder": "event",
    "OrderShipped": "command",
}
'''),
    (NB, "check_event_or_command",
     "0.1 shape slip: booleans 'is it an event?' instead of the labels",
     '''answer = {
    "OrderPaid": True,
    "PayOrder": False,
    "RefundCreated": True,
    "CancelOrder": False,
    "OrderShipped": True,
}
'''),
    (NB, "check_event_or_command",
     "0.1 one entry left as ... (learner filled four and ran the check)",
     '''answer = {
    "OrderPaid": "event",
    "PayOrder": "command",
    "RefundCreated": "event",
    "CancelOrder": ...,
    "OrderShipped": "event",
}
'''),
    (NB, "check_event_or_command",
     "0.1 a key dropped: learner rewrote the dict and forgot OrderShipped",
     '''answer = {
    "OrderPaid": "event",
    "PayOrder": "command",
    "RefundCreated": "event",
    "CancelOrder": "command",
}
'''),
    (NB, "check_event_or_command",
     "0.1 shape slip: a list of labels in the order shown instead of a dict",
     '''answer = ["event", "command", "event", "command", "event"]
'''),
    (NB, "check_event_or_command",
     "0.1 own vocabulary: 'fact'/'request' (the words used in the explanation) instead of 'event'/'command'",
     '''answer = {
    "OrderPaid": "fact",
    "PayOrder": "request",
    "RefundCreated": "fact",
    "CancelOrder": "request",
    "OrderShipped": "fact",
}
'''),
    (NB, "check_event_or_command",
     "0.1 OrderShipped labelled a command: shipping is something the clerk is asked to do",
     '''answer = {
    "OrderPaid": "event",
    "PayOrder": "command",
    "RefundCreated": "event",
    "CancelOrder": "command",
    "OrderShipped": "command",
}
'''),
    # ---- 0.2 state is computed --------------------------------------------------
    (NB, "check_predicted_net",
     "0.2 forgot the extra refund of 20: reads the net printed above (100 - 50)",
     '''from decimal import Decimal
predicted_net = Decimal("50")
'''),
    (NB, "check_predicted_net",
     "0.2 only the new refund counted: 'the first refund was already handled' (100 - 20)",
     '''from decimal import Decimal
predicted_net = Decimal("80")
'''),
    (NB, "check_predicted_net",
     "0.2 conceptual: refunds only requested, not paid out, so the learner thinks net is still the full 100",
     '''from decimal import Decimal
predicted_net = Decimal("100")
'''),
    (NB, "check_predicted_net",
     "0.2 answered the total refunded (50 + 20) instead of the net",
     '''from decimal import Decimal
predicted_net = Decimal("70")
'''),
    (NB, "check_predicted_net",
     "0.2 sign slip: refunds added to what was paid (100 + 50 + 20 - ...)",
     '''from decimal import Decimal
predicted_net = Decimal("170")
'''),
    (NB, "check_predicted_net",
     "0.2 right number but a float: money as 30.0",
     '''predicted_net = 30.0
'''),
    (NB, "check_predicted_net",
     "0.2 right number as a string",
     '''predicted_net = "30"
'''),
    (NB, "check_predicted_net",
     "0.2 negative: learner computes refunds minus payment (70 - 100)",
     '''from decimal import Decimal
predicted_net = Decimal("-30")
'''),
    (NB, "check_predicted_net",
     "0.2 side effect: learner ignores 'without running code' and actually requests the refund on the shared shop",
     '''from decimal import Decimal
shop.handle(RequestRefund("123456", Decimal("20"), reason="damaged"))
predicted_net = shop.state("123456").net
'''),
]

RIGHT = [
    (NB, "check_event_or_command",
     "0.1 right, computed from the registry of event types (EVENT_TYPES)",
     '''from eventsim import EVENT_TYPES
answer = {name: ("event" if name in EVENT_TYPES else "command")
          for name in ["OrderPaid", "PayOrder", "RefundCreated", "CancelOrder", "OrderShipped"]}
'''),
    (NB, "check_event_or_command",
     "0.1 right, dict() with keyword arguments in a different key order",
     '''answer = dict(
    CancelOrder="command",
    OrderShipped="event",
    PayOrder="command",
    RefundCreated="event",
    OrderPaid="event",
)
'''),
    (NB, "check_predicted_net",
     "0.2 right, written as an exact Decimal sum",
     '''from decimal import Decimal
predicted_net = Decimal("100") - Decimal("50") - Decimal("20")
'''),
    (NB, "check_predicted_net",
     "0.2 right, Decimal with cents",
     '''from decimal import Decimal
predicted_net = Decimal("30.00")
'''),
]

if __name__ == "__main__":
    import ast
    for row in CASES + RIGHT:
        ast.parse(row[3])
    print(len(CASES), "cases,", len(RIGHT), "right: all parse")
