"""Learner answers for notebook 06b (processes and deadlines).

The 6b.1 answers are the blind ones written for exercise 6.4 of notebook 6, where this exercise was before.
The 6b.2 answers were written by the engineer who wrote its check, not blind: each is a mistake the
exercise's prompt invites (no command id, a deadline from the wrong clock, state kept outside the dict, ...).
"""

NB6B = "06b_*.ipynb"

CASES = [
    # ---------------- 6b.1 ship when paid ----------------
    (NB6B, "check_reaction", "6b.1 no command id: the second delivery of OrderPaid is refused (already shipped)",
     'def ship_when_paid(recorded):\n'
     '    if recorded.event_type == "OrderPaid":\n'
     '        return [ShipOrder(recorded.event.order_id)]\n'
     '    return []\n'),
    (NB6B, "check_reaction", "6b.1 a fresh random command id each time: a repeat is not recognised",
     'import uuid\n\n'
     'def ship_when_paid(recorded):\n'
     '    if recorded.event_type == "OrderPaid":\n'
     '        return [ShipOrder(recorded.event.order_id, command_id=str(uuid.uuid4()))]\n'
     '    return []\n'),
    (NB6B, "check_reaction", "6b.1 command id built from the event's version: every OrderPaid is version 2, so ids collide across orders",
     'def ship_when_paid(recorded):\n'
     '    if recorded.event_type == "OrderPaid":\n'
     '        return [ShipOrder(recorded.event.order_id, command_id=f"ship-{recorded.version}")]\n'
     '    return []\n'),
    (NB6B, "check_reaction", "6b.1 one constant command id for every shipment",
     'def ship_when_paid(recorded):\n'
     '    if recorded.event_type == "OrderPaid":\n'
     '        return [ShipOrder(recorded.event.order_id, command_id="ship-when-paid")]\n'
     '    return []\n'),
    (NB6B, "check_reaction", "6b.1 remembers only the last event id it saw (dedup works only if repeats are adjacent)",
     '_last_seen = None\n\n'
     'def ship_when_paid(recorded):\n'
     '    global _last_seen\n'
     '    if recorded.event_id == _last_seen:\n'
     '        return []\n'
     '    _last_seen = recorded.event_id\n'
     '    if recorded.event_type == "OrderPaid":\n'
     '        return [ShipOrder(recorded.event.order_id)]\n'
     '    return []\n'),
    (NB6B, "check_reaction", "6b.1 keeps shipped order ids in a module-level set (in-memory dedup, lost on restart, shared between shops)",
     '_shipped = set()\n\n'
     'def ship_when_paid(recorded):\n'
     '    if recorded.event_type == "OrderPaid" and recorded.event.order_id not in _shipped:\n'
     '        _shipped.add(recorded.event.order_id)\n'
     '        return [ShipOrder(recorded.event.order_id)]\n'
     '    return []\n'),
    (NB6B, "check_reaction", "6b.1 matches any event whose type contains 'Paid', so RefundPaid also ships",
     'def ship_when_paid(recorded):\n'
     '    if "Paid" in recorded.event_type:\n'
     '        order_id = recorded.event.order_id\n'
     '        return [ShipOrder(order_id, command_id=f"ship-{order_id}")]\n'
     '    return []\n'),
    (NB6B, "check_reaction", "6b.1 isinstance on the envelope instead of the domain event: never ships",
     'from eventsim.shop.events import OrderPaid\n\n'
     'def ship_when_paid(recorded):\n'
     '    if isinstance(recorded, OrderPaid):\n'
     '        return [ShipOrder(recorded.order_id, command_id=f"ship-{recorded.order_id}")]\n'
     '    return []\n'),
    (NB6B, "check_reaction", "6b.1 uses the stream id as the order id",
     'def ship_when_paid(recorded):\n'
     '    if recorded.event_type == "OrderPaid":\n'
     '        return [ShipOrder(recorded.stream_id, command_id=f"ship-{recorded.stream_id}")]\n'
     '    return []\n'),
    (NB6B, "check_reaction", "6b.1 shape slip: returns the command itself, not a list, and None otherwise",
     'def ship_when_paid(recorded):\n'
     '    if recorded.event_type == "OrderPaid":\n'
     '        return ShipOrder(recorded.event.order_id, command_id=f"ship-{recorded.event.order_id}")\n'),
    (NB6B, "check_reaction", "6b.1 reacts to OrderCreated ('an order was paid' read as 'placed and paid')",
     'def ship_when_paid(recorded):\n'
     '    if recorded.event_type == "OrderCreated":\n'
     '        return [ShipOrder(recorded.event.order_id, command_id=f"ship-{recorded.event.order_id}")]\n'
     '    return []\n'),

    # ---------------- 6b.2 a process manager with a deadline ----------------
    (NB6B, "check_deadline_process", "6b.2 no command id: the timer fires twice and the second cancellation is refused",
     'def remember(deadlines, recorded):\n'
     '    order_id = recorded.event.order_id\n'
     '    if recorded.event_type == "OrderCreated":\n'
     '        return {**deadlines, order_id: recorded.recorded_at + PAY_WITHIN}\n'
     '    if recorded.event_type in ("OrderPaid", "OrderCancelled"):\n'
     '        return {o: d for o, d in deadlines.items() if o != order_id}\n'
     '    return deadlines\n\n'
     'def due(deadlines, now):\n'
     '    return [CancelOrder(o, "unpaid") for o, d in deadlines.items() if d <= now]\n'),
    (NB6B, "check_deadline_process", "6b.2 forgets that a payment ends the wait: a paid order is cancelled",
     'def remember(deadlines, recorded):\n'
     '    order_id = recorded.event.order_id\n'
     '    if recorded.event_type == "OrderCreated":\n'
     '        return {**deadlines, order_id: recorded.recorded_at + PAY_WITHIN}\n'
     '    if recorded.event_type == "OrderCancelled":\n'
     '        return {o: d for o, d in deadlines.items() if o != order_id}\n'
     '    return deadlines\n\n'
     'def due(deadlines, now):\n'
     '    return [CancelOrder(o, "unpaid", command_id=f"cancel-{o}") for o, d in deadlines.items() if d <= now]\n'),
    (NB6B, "check_deadline_process", "6b.2 forgets the customer's own cancellation: cancels a cancelled order",
     'def remember(deadlines, recorded):\n'
     '    order_id = recorded.event.order_id\n'
     '    if recorded.event_type == "OrderCreated":\n'
     '        return {**deadlines, order_id: recorded.recorded_at + PAY_WITHIN}\n'
     '    if recorded.event_type == "OrderPaid":\n'
     '        return {o: d for o, d in deadlines.items() if o != order_id}\n'
     '    return deadlines\n\n'
     'def due(deadlines, now):\n'
     '    return [CancelOrder(o, "unpaid", command_id=f"cancel-{o}") for o, d in deadlines.items() if d <= now]\n'),
    (NB6B, "check_deadline_process", "6b.2 24 hours written as 24 * 60 * 59 seconds: an early deadline",
     'def remember(deadlines, recorded):\n'
     '    order_id = recorded.event.order_id\n'
     '    if recorded.event_type == "OrderCreated":\n'
     '        return {**deadlines, order_id: recorded.recorded_at + 24 * 60 * 59}\n'
     '    if recorded.event_type in ("OrderPaid", "OrderCancelled"):\n'
     '        return {o: d for o, d in deadlines.items() if o != order_id}\n'
     '    return deadlines\n\n'
     'def due(deadlines, now):\n'
     '    return [CancelOrder(o, "unpaid", command_id=f"cancel-{o}") for o, d in deadlines.items() if d <= now]\n'),
    (NB6B, "check_deadline_process", "6b.2 the deadline from the wall clock (time.time()), not from recorded_at",
     'import time\n\n'
     'def remember(deadlines, recorded):\n'
     '    order_id = recorded.event.order_id\n'
     '    if recorded.event_type == "OrderCreated":\n'
     '        return {**deadlines, order_id: int(time.time()) + PAY_WITHIN}\n'
     '    if recorded.event_type in ("OrderPaid", "OrderCancelled"):\n'
     '        return {o: d for o, d in deadlines.items() if o != order_id}\n'
     '    return deadlines\n\n'
     'def due(deadlines, now):\n'
     '    return [CancelOrder(o, "unpaid", command_id=f"cancel-{o}") for o, d in deadlines.items() if d <= now]\n'),
    (NB6B, "check_deadline_process", "6b.2 skips events by id in a set of its own: a restarted process skips what it must hear again",
     '_heard = set()\n\n'
     'def remember(deadlines, recorded):\n'
     '    if recorded.event_id in _heard:\n'
     '        return deadlines\n'
     '    _heard.add(recorded.event_id)\n'
     '    order_id = recorded.event.order_id\n'
     '    if recorded.event_type == "OrderCreated":\n'
     '        return {**deadlines, order_id: recorded.recorded_at + PAY_WITHIN}\n'
     '    if recorded.event_type in ("OrderPaid", "OrderCancelled"):\n'
     '        return {o: d for o, d in deadlines.items() if o != order_id}\n'
     '    return deadlines\n\n'
     'def due(deadlines, now):\n'
     '    return [CancelOrder(o, "unpaid", command_id=f"cancel-{o}") for o, d in deadlines.items() if d <= now]\n'),
    (NB6B, "check_deadline_process", "6b.2 changes the dict in place and returns nothing",
     'def remember(deadlines, recorded):\n'
     '    order_id = recorded.event.order_id\n'
     '    if recorded.event_type == "OrderCreated":\n'
     '        deadlines[order_id] = recorded.recorded_at + PAY_WITHIN\n'
     '    elif recorded.event_type in ("OrderPaid", "OrderCancelled"):\n'
     '        deadlines.pop(order_id, None)\n\n'
     'def due(deadlines, now):\n'
     '    return [CancelOrder(o, "unpaid", command_id=f"cancel-{o}") for o, d in deadlines.items() if d <= now]\n'),
    (NB6B, "check_deadline_process", "6b.2 a repeated OrderCreated toggles the deadline off (counts deliveries)",
     'def remember(deadlines, recorded):\n'
     '    order_id = recorded.event.order_id\n'
     '    if recorded.event_type == "OrderCreated":\n'
     '        if order_id in deadlines:\n'
     '            return {o: d for o, d in deadlines.items() if o != order_id}\n'
     '        return {**deadlines, order_id: recorded.recorded_at + PAY_WITHIN}\n'
     '    if recorded.event_type in ("OrderPaid", "OrderCancelled"):\n'
     '        return {o: d for o, d in deadlines.items() if o != order_id}\n'
     '    return deadlines\n\n'
     'def due(deadlines, now):\n'
     '    return [CancelOrder(o, "unpaid", command_id=f"cancel-{o}") for o, d in deadlines.items() if d <= now]\n'),
    (NB6B, "check_deadline_process", "6b.2 due returns the events it expects (OrderCancelled), not commands",
     'from eventsim.shop.events import OrderCancelled\n\n'
     'def remember(deadlines, recorded):\n'
     '    order_id = recorded.event.order_id\n'
     '    if recorded.event_type == "OrderCreated":\n'
     '        return {**deadlines, order_id: recorded.recorded_at + PAY_WITHIN}\n'
     '    if recorded.event_type in ("OrderPaid", "OrderCancelled"):\n'
     '        return {o: d for o, d in deadlines.items() if o != order_id}\n'
     '    return deadlines\n\n'
     'def due(deadlines, now):\n'
     '    return [OrderCancelled(o, "unpaid") for o, d in deadlines.items() if d <= now]\n'),
]

RIGHT = [
    (NB6B, "check_reaction", "6b.1 right: the OrderPaid event's own id as the command id (one per fact)",
     'def ship_when_paid(recorded):\n'
     '    if recorded.event_type != "OrderPaid":\n'
     '        return []\n'
     '    return [ShipOrder(recorded.event.order_id, command_id=f"ship-{recorded.event_id}")]\n'),
    (NB6B, "check_reaction", "6b.1 right: pattern matching on the domain event, id derived from the order (like confirm_command_id)",
     'from eventsim.shop.events import OrderPaid\n\n'
     'def ship_when_paid(recorded):\n'
     '    match recorded.event:\n'
     '        case OrderPaid(order_id=order_id):\n'
     '            return [ShipOrder(order_id, command_id=f"ship-{order_id}")]\n'
     '    return []\n'),
    (NB6B, "check_deadline_process", "6b.2 right: changes the dict in place and returns it, strict < in due",
     'def remember(deadlines, recorded):\n'
     '    order_id = recorded.event.order_id\n'
     '    if recorded.event_type == "OrderCreated":\n'
     '        deadlines[order_id] = recorded.recorded_at + PAY_WITHIN\n'
     '    elif recorded.event_type in ("OrderPaid", "OrderCancelled"):\n'
     '        deadlines.pop(order_id, None)\n'
     '    return deadlines\n\n'
     'def due(deadlines, now):\n'
     '    return [CancelOrder(o, command_id=f"unpaid-{o}") for o, d in deadlines.items() if d < now]\n'),
    (NB6B, "check_deadline_process", "6b.2 right: pattern matching on the domain events",
     'from eventsim.shop.events import OrderCancelled, OrderCreated, OrderPaid\n\n'
     'def remember(deadlines, recorded):\n'
     '    match recorded.event:\n'
     '        case OrderCreated(order_id=o):\n'
     '            return deadlines | {o: recorded.recorded_at + PAY_WITHIN}\n'
     '        case OrderPaid(order_id=o) | OrderCancelled(order_id=o):\n'
     '            return {k: v for k, v in deadlines.items() if k != o}\n'
     '    return deadlines\n\n'
     'def due(deadlines, now):\n'
     '    return [CancelOrder(o, "not paid in time", command_id=f"cancel-unpaid-{o}")\n'
     '            for o, d in sorted(deadlines.items()) if now >= d]\n'),
]
