"""Blind learner answers for notebook 04 (projections)."""

NB = "04_*.ipynb"

_RIGHT_41 = {
    "orders placed on a day": "OrderCreated",
    "money in on a day": "OrderPaid",
    "refunds customers asked for (the support team's list)": "RefundCreated",
    "money out on a day": "RefundPaid",
}


def _q(d):
    return {k: repr(v) for k, v in d.items()}


_Q = _q(_RIGHT_41)


def _answer(**override):
    d = dict(_Q)
    d.update(override)
    return "listens_to = {\n" + "".join(f"    {k!r}: {v},\n" for k, v in d.items()) + "}\n"


K_PLACED = "orders placed on a day"
K_IN = "money in on a day"
K_ASKED = "refunds customers asked for (the support team's list)"
K_OUT = "money out on a day"

CASES = [
    # ---- 4.1 which fact? -----------------------------------------------------------------------
    (NB, "check_which_fact",
     "4.1 money out = RefundCreated: the intent taken for the fact (the very point of the section)",
     _answer(**{K_OUT: "'RefundCreated'"})),
    (NB, "check_which_fact",
     "4.1 money in = OrderCreated: placing an order taken for being paid",
     _answer(**{K_IN: "'OrderCreated'"})),
    (NB, "check_which_fact",
     "4.1 orders placed = PlaceOrder: the command's name instead of the event's",
     _answer(**{K_PLACED: "'PlaceOrder'"})),
    (NB, "check_which_fact",
     "4.1 support list and money out swapped (RefundPaid / RefundCreated)",
     _answer(**{K_ASKED: "'RefundPaid'", K_OUT: "'RefundCreated'"})),
    (NB, "check_which_fact",
     "4.1 money out = OrderCancelled: 'a cancellation gives the money back'",
     _answer(**{K_OUT: "'OrderCancelled'"})),
    (NB, "check_which_fact",
     "4.1 money out as a list of both refund events (hedging)",
     _answer(**{K_OUT: "['RefundCreated', 'RefundPaid']"})),
    (NB, "check_which_fact",
     "4.1 the event classes themselves instead of their names as strings",
     '''from eventsim import OrderCreated, OrderPaid, RefundCreated, RefundPaid
listens_to = {
    "orders placed on a day": OrderCreated,
    "money in on a day": OrderPaid,
    "refunds customers asked for (the support team's list)": RefundCreated,
    "money out on a day": RefundPaid,
}
'''),
    (NB, "check_which_fact",
     "4.1 keys shortened by the learner ('money out' instead of the full question)",
     '''listens_to = {
    "orders placed": "OrderCreated",
    "money in": "OrderPaid",
    "refunds asked for": "RefundCreated",
    "money out": "RefundPaid",
}
'''),
    (NB, "check_which_fact",
     "4.1 money in = OrderShipped: 'revenue is recognised on shipment' (accounting habit)",
     _answer(**{K_IN: "'OrderShipped'"})),
    # ---- 4.2 customer spend ----------------------------------------------------------------------
    (NB, "check_customer_spend",
     "4.2 refunds subtracted on RefundPaid (paid out) instead of RefundCreated: 4.1's lesson over-applied",
     '''def customer_spend(state, recorded):
    orders = state.setdefault("_orders", {})
    refunds = state.setdefault("_refunds", {})
    event = recorded.event
    if recorded.event_type == "OrderCreated":
        orders[event.order_id] = (event.customer_id, event.amount)
    elif recorded.event_type == "OrderPaid":
        customer, amount = orders[event.order_id]
        state[customer] = state.get(customer, Decimal(0)) + amount
    elif recorded.event_type == "RefundCreated":
        refunds[(event.order_id, event.refund_id)] = event.amount
    elif recorded.event_type == "RefundPaid":
        customer, _ = orders[event.order_id]
        state[customer] = state.get(customer, Decimal(0)) - refunds.pop((event.order_id, event.refund_id))
    return state
'''),
    (NB, "check_customer_spend",
     "4.2 spend added on OrderCreated (placed, not paid): unpaid and cancelled orders count",
     '''def customer_spend(state, recorded):
    orders = state.setdefault("_orders", {})
    event = recorded.event
    if recorded.event_type == "OrderCreated":
        orders[event.order_id] = event.customer_id
        state[event.customer_id] = state.get(event.customer_id, Decimal(0)) + event.amount
    elif recorded.event_type == "RefundCreated":
        customer = orders[event.order_id]
        state[customer] = state[customer] - event.amount
    return state
'''),
    (NB, "check_customer_spend",
     "4.2 returns nothing for the event types it ignores (falls off the end): state becomes None",
     '''def customer_spend(state, recorded):
    orders = state.setdefault("_orders", {})
    event = recorded.event
    if recorded.event_type == "OrderCreated":
        orders[event.order_id] = (event.customer_id, event.amount)
        return state
    if recorded.event_type == "OrderPaid":
        customer, amount = orders[event.order_id]
        state[customer] = state.get(customer, Decimal(0)) + amount
        return state
    if recorded.event_type == "RefundCreated":
        customer, _ = orders[event.order_id]
        state[customer] = state.get(customer, Decimal(0)) - event.amount
        return state
'''),
    (NB, "check_customer_spend",
     "4.2 refunds never subtracted (gross spend)",
     '''def customer_spend(state, recorded):
    orders = state.setdefault("_orders", {})
    event = recorded.event
    if recorded.event_type == "OrderCreated":
        orders[event.order_id] = (event.customer_id, event.amount)
    elif recorded.event_type == "OrderPaid":
        customer, amount = orders[event.order_id]
        state[customer] = state.get(customer, Decimal(0)) + amount
    return state
'''),
    (NB, "check_customer_spend",
     "4.2 a refund subtracts the whole order amount (the remembered amount) instead of the refund's",
     '''def customer_spend(state, recorded):
    orders = state.setdefault("_orders", {})
    event = recorded.event
    if recorded.event_type == "OrderCreated":
        orders[event.order_id] = (event.customer_id, event.amount)
    elif recorded.event_type in ("OrderPaid", "RefundCreated"):
        customer, amount = orders[event.order_id]
        sign = 1 if recorded.event_type == "OrderPaid" else -1
        state[customer] = state.get(customer, Decimal(0)) + sign * amount
    return state
'''),
    (NB, "check_customer_spend",
     "4.2 float money: amounts converted with float() 'to add them up'",
     '''def customer_spend(state, recorded):
    orders = state.setdefault("_orders", {})
    event = recorded.event
    if recorded.event_type == "OrderCreated":
        orders[event.order_id] = (event.customer_id, float(event.amount))
    elif recorded.event_type == "OrderPaid":
        customer, amount = orders[event.order_id]
        state[customer] = state.get(customer, 0.0) + amount
    elif recorded.event_type == "RefundCreated":
        customer, _ = orders[event.order_id]
        state[customer] = state.get(customer, 0.0) - float(event.amount)
    return state
'''),
    (NB, "check_customer_spend",
     "4.2 cancellation also subtracts what was paid: double counts, since cancelling a paid order already records a RefundCreated",
     '''def customer_spend(state, recorded):
    orders = state.setdefault("_orders", {})
    event = recorded.event
    if recorded.event_type == "OrderCreated":
        orders[event.order_id] = {"customer": event.customer_id, "amount": event.amount, "paid": False}
    elif recorded.event_type == "OrderPaid":
        order = orders[event.order_id]
        order["paid"] = True
        state[order["customer"]] = state.get(order["customer"], Decimal(0)) + order["amount"]
    elif recorded.event_type == "RefundCreated":
        customer = orders[event.order_id]["customer"]
        state[customer] = state.get(customer, Decimal(0)) - event.amount
    elif recorded.event_type == "OrderCancelled":
        order = orders[event.order_id]
        if order["paid"]:
            state[order["customer"]] -= order["amount"]
    return state
'''),
    (NB, "check_customer_spend",
     "4.2 per-order spend: keyed by order id instead of customer id",
     '''def customer_spend(state, recorded):
    orders = state.setdefault("_orders", {})
    event = recorded.event
    if recorded.event_type == "OrderCreated":
        orders[event.order_id] = event.amount
    elif recorded.event_type == "OrderPaid":
        state[event.order_id] = state.get(event.order_id, Decimal(0)) + orders[event.order_id]
    elif recorded.event_type == "RefundCreated":
        state[event.order_id] = state.get(event.order_id, Decimal(0)) - event.amount
    return state
'''),
    (NB, "check_customer_spend",
     "4.2 the order lookup kept under 'orders' (no underscore): shows up as a customer",
     '''def customer_spend(state, recorded):
    orders = state.setdefault("orders", {})
    event = recorded.event
    if recorded.event_type == "OrderCreated":
        orders[event.order_id] = (event.customer_id, event.amount)
    elif recorded.event_type == "OrderPaid":
        customer, amount = orders[event.order_id]
        state[customer] = state.get(customer, Decimal(0)) + amount
    elif recorded.event_type == "RefundCreated":
        customer, _ = orders[event.order_id]
        state[customer] = state.get(customer, Decimal(0)) - event.amount
    return state
'''),
    (NB, "check_customer_spend",
     "4.2 the order lookup kept in a module-level dict outside the state: survives a rebuild, shared by runs",
     '''ORDERS = {}


def customer_spend(state, recorded):
    event = recorded.event
    if recorded.event_type == "OrderCreated":
        ORDERS.setdefault(event.order_id, (event.customer_id, event.amount))
    elif recorded.event_type == "OrderPaid":
        customer, amount = ORDERS[event.order_id]
        state[customer] = state.get(customer, Decimal(0)) + amount
    elif recorded.event_type == "RefundCreated":
        customer, _ = ORDERS[event.order_id]
        state[customer] = state.get(customer, Decimal(0)) - event.amount
    return state
'''),
    (NB, "check_customer_spend",
     "4.2 the refund added instead of subtracted (sign slip)",
     '''def customer_spend(state, recorded):
    orders = state.setdefault("_orders", {})
    event = recorded.event
    if recorded.event_type == "OrderCreated":
        orders[event.order_id] = (event.customer_id, event.amount)
    elif recorded.event_type == "OrderPaid":
        customer, amount = orders[event.order_id]
        state[customer] = state.get(customer, Decimal(0)) + amount
    elif recorded.event_type == "RefundCreated":
        customer, _ = orders[event.order_id]
        state[customer] = state.get(customer, Decimal(0)) + event.amount
    return state
'''),
    (NB, "check_customer_spend",
     "4.2 hard-coded: the customers' totals read off the orders table above, ignoring the events",
     '''def customer_spend(state, recorded):
    state.update({"alice": Decimal("60"), "carol": Decimal("0"), "dan": Decimal("250")})
    return state
'''),
]

RIGHT = [
    (NB, "check_which_fact",
     "4.1 right, names taken from the event classes (__name__)",
     '''from eventsim import OrderCreated, OrderPaid, RefundCreated, RefundPaid
listens_to = {
    "orders placed on a day": OrderCreated.__name__,
    "money in on a day": OrderPaid.__name__,
    "refunds customers asked for (the support team's list)": RefundCreated.__name__,
    "money out on a day": RefundPaid.__name__,
}
'''),
    (NB, "check_which_fact",
     "4.1 right, dict(zip(...)) in another key order",
     '''listens_to = dict(zip(
    ["money out on a day", "money in on a day", "orders placed on a day",
     "refunds customers asked for (the support team's list)"],
    ["RefundPaid", "OrderPaid", "OrderCreated", "RefundCreated"],
))
'''),
    (NB, "check_customer_spend",
     "4.2 right, pure: returns new dicts, never changes the state it is given; every customer with an order appears (0 if nothing paid)",
     '''from eventsim import OrderCreated, OrderPaid, RefundCreated


def customer_spend(state, recorded):
    event = recorded.event
    orders = state.get("_orders", {})
    if isinstance(event, OrderCreated):
        customer = event.customer_id
        return {**state, customer: state.get(customer, Decimal("0")),
                "_orders": {**orders, event.order_id: (customer, event.amount)}}
    if isinstance(event, OrderPaid):
        customer, amount = orders[event.order_id]
        return {**state, customer: state.get(customer, Decimal("0")) + amount}
    if isinstance(event, RefundCreated):
        customer, _ = orders[event.order_id]
        return {**state, customer: state.get(customer, Decimal("0")) - event.amount}
    return state
'''),
    (NB, "check_customer_spend",
     "4.2 right, in place with match on the event; a customer appears once something is paid",
     '''from eventsim import OrderCreated, OrderPaid, RefundCreated


def customer_spend(state, recorded):
    orders = state.setdefault("_orders", {})
    match recorded.event:
        case OrderCreated(order_id=order_id, customer_id=customer, amount=amount):
            orders[order_id] = {"customer": customer, "amount": amount}
        case OrderPaid(order_id=order_id):
            order = orders[order_id]
            state[order["customer"]] = state.get(order["customer"], Decimal("0.00")) + order["amount"]
        case RefundCreated(order_id=order_id, amount=amount):
            customer = orders[order_id]["customer"]
            state[customer] = state.get(customer, Decimal("0.00")) - amount
    return state
'''),
]

if __name__ == "__main__":
    import ast
    for row in CASES + RIGHT:
        ast.parse(row[3])
    print(len(CASES), "cases,", len(RIGHT), "right: all parse")
