"""Blind learner answers for notebook 06 (tracing and time travel)."""

NB = "06_*.ipynb"

CASES = [
    # ---------------- 6.1 status at version 3 ----------------
    (NB, "check_status_at_v3", "6.1 assigns the whole OrderState, not its status string (type slip)",
     'status_at_v3 = state_at_version(shop.store, "123456", 3)\n'),
    (NB, "check_status_at_v3", "6.1 off by one: thinks versions are 0-based like list indices, asks for version 2",
     'status_at_v3 = state_at_version(shop.store, "123456", 2).status\n'),
    (NB, "check_status_at_v3", "6.1 off by one the other way: asks for version 4 (\"after v3\")",
     'status_at_v3 = state_at_version(shop.store, "123456", 4).status\n'),
    (NB, "check_status_at_v3", "6.1 gives the event type recorded at version 3 instead of the order's status",
     'stream = shop.store.read_stream("order-123456")\n'
     'status_at_v3 = stream[2].event_type\n'),
    (NB, "check_status_at_v3", "6.1 uses the current state (no time travel): shop.state gives today's status",
     'status_at_v3 = shop.state("123456").status\n'),
    (NB, "check_status_at_v3", "6.1 indexes the stream with the version number (versions treated as positions in a 0-based list)",
     'from eventsim.shop.order import fold\n'
     'stream = shop.store.read_stream("order-123456")\n'
     'status_at_v3 = fold(r.event for r in stream[:4]).status\n'),
    (NB, "check_status_at_v3", "6.1 keeps only the refund part of the status (partial string copied from the table)",
     'status_at_v3 = state_at_version(shop.store, "123456", 3).status.split(", ")[-1]\n'),
    (NB, "check_status_at_v3", "6.1 copies the wrong line of the printed output (v2's status)",
     'status_at_v3 = "paid"\n'),
    (NB, "check_status_at_v3", "6.1 uses state_at_time with the 3rd moment from the time-travel cell instead of a version",
     'status_at_v3 = state_at_time(shop.store, "123456", "2021-08-10T12:00:00").status\n'),

    # ---------------- 6.2 command that caused RefundPaid ----------------
    (NB, "check_refund_paid_cause", "6.2 gives the RefundPaid event's own id instead of its causation id",
     'stream = shop.store.read_stream("order-123456")\n'
     'refund_paid_cause = next(r for r in stream if r.event_type == "RefundPaid").event_id\n'),
    (NB, "check_refund_paid_cause", "6.2 goes one link too far: the RefundCreated event that caused the ConfirmRefund command",
     'stream = shop.store.read_stream("order-123456")\n'
     'paid = next(r for r in stream if r.event_type == "RefundPaid")\n'
     'refund_paid_cause = shop.store.command_record(paid.causation_id).causation_id\n'),
    (NB, "check_refund_paid_cause", "6.2 thinks 'who caused the refund' is the RequestRefund command: RefundCreated's causation id",
     'stream = shop.store.read_stream("order-123456")\n'
     'refund_paid_cause = next(r for r in stream if r.event_type == "RefundCreated").causation_id\n'),
    (NB, "check_refund_paid_cause", "6.2 confuses correlation and causation",
     'stream = shop.store.read_stream("order-123456")\n'
     'refund_paid_cause = next(r for r in stream if r.event_type == "RefundPaid").correlation_id\n'),
    (NB, "check_refund_paid_cause", "6.2 answers with who sent it (the actor) rather than the command id",
     'stream = shop.store.read_stream("order-123456")\n'
     'refund_paid_cause = next(r for r in stream if r.event_type == "RefundPaid").actor\n'),
    (NB, "check_refund_paid_cause", "6.2 indexes the stream by version 4 as if versions were 0-based positions (gets OrderShipped)",
     'stream = shop.store.read_stream("order-123456")\n'
     'refund_paid_cause = stream[4].causation_id\n'),
    (NB, "check_refund_paid_cause", "6.2 assumes RefundPaid is the last event of the order",
     'refund_paid_cause = shop.store.read_stream("order-123456")[-1].causation_id\n'),
    (NB, "check_refund_paid_cause", "6.2 shape slip: a list of causation ids instead of the id",
     'refund_paid_cause = [r.causation_id for r in shop.store.read_stream("order-123456") if r.event_type == "RefundPaid"]\n'),
    (NB, "check_refund_paid_cause", "6.2 shape slip: a pandas Series from the history frame instead of the string",
     'refund_paid_cause = history.loc[history["event_type"] == "RefundPaid", "causation_id"]\n'),
    (NB, "check_refund_paid_cause", "6.2 copies the id from the output but drops the 'confirm-' prefix, taking it for a bare uuid",
     'refund_paid_cause = "d9957d34-a479-5ca9-927c-c7f8b698a868"\n'),
    (NB, "check_refund_paid_cause", "6.2 returns the CommandRecord object instead of its id",
     'stream = shop.store.read_stream("order-123456")\n'
     'paid = next(r for r in stream if r.event_type == "RefundPaid")\n'
     'refund_paid_cause = shop.store.command_record(paid.causation_id)\n'),

    # ---------------- 6.3 compensate an overcharge ----------------
    (NB, "check_fix_order", "6.3 refunds the correct price (70) instead of the difference (20): net ends at 20",
     'def fix_order(shop):\n'
     '    return shop.handle(RequestRefund("C", Decimal("70"), reason="price should have been 70"))\n'),
    (NB, "check_fix_order", "6.3 uses compensate back to version 1 (placed): refunds everything, net 0",
     'def fix_order(shop):\n'
     '    return compensate(shop, "C", to_version=1, reason="overcharged")\n'),
    (NB, "check_fix_order", "6.3 uses compensate to version 0: cancels the whole order",
     'def fix_order(shop):\n'
     '    return compensate(shop, "C", to_version=0, reason="overcharged")\n'),
    (NB, "check_fix_order", "6.3 compensates to version 2 (the payment) thinking that 'keeps' the payment: nothing happens",
     'def fix_order(shop):\n'
     '    return compensate(shop, "C", to_version=2, reason="overcharged")\n'),
    (NB, "check_fix_order", "6.3 builds the compensating command but forgets to handle it",
     'def fix_order(shop):\n'
     '    return RequestRefund("C", Decimal("20"), reason="price should have been 70")\n'),
    (NB, "check_fix_order", "6.3 float money for the refund amount",
     'def fix_order(shop):\n'
     '    return shop.handle(RequestRefund("C", 90.0 - 70.0, reason="overcharged"))\n'),
    (NB, "check_fix_order", "6.3 tries to 'edit' the order: cancel it and place it again at 70",
     'def fix_order(shop):\n'
     '    from eventsim import CancelOrder\n'
     '    shop.handle(CancelOrder("C", reason="wrong price"))\n'
     '    return shop.handle(PlaceOrder("C", Decimal("70")))\n'),
    (NB, "check_fix_order", "6.3 appends a corrected OrderCreated straight to the store (rewriting instead of compensating)",
     'def fix_order(shop):\n'
     '    from eventsim.shop.events import OrderCreated\n'
     '    version = shop.store.stream_version("order-C")\n'
     '    return shop.store.append("order-C", [OrderCreated("C", Decimal("70"))], expected_version=version)\n'),
    (NB, "check_fix_order", "6.3 uses the stream id as the order id",
     'def fix_order(shop):\n'
     '    return shop.handle(RequestRefund("order-C", Decimal("20"), reason="overcharged"))\n'),
    (NB, "check_fix_order", "6.3 'negative payment' of 20 instead of a refund",
     'def fix_order(shop):\n'
     '    return shop.handle(PayOrder("C", Decimal("-20")))\n'),
    (NB, "check_fix_order", "6.3 requests the refund and confirms it himself (the shop pretends the provider paid)",
     'def fix_order(shop):\n'
     '    shop.handle(RequestRefund("C", Decimal("20"), reason="overcharged"))\n'
     '    return shop.handle(ConfirmRefund("C", "R1"))\n'),

]

RIGHT = [
    (NB, "check_status_at_v3", "6.1 right: folds the first three events by hand",
     'from eventsim.shop.order import fold\n'
     'status_at_v3 = fold(r.event for r in shop.store.read_stream("order-123456")[:3]).status\n'),
    (NB, "check_status_at_v3", "6.1 right: keyword arguments and a looked-up stream version",
     'v3 = state_at_version(store=shop.store, order_id="123456", version=3)\n'
     'status_at_v3 = str(v3.status)\n'),
    (NB, "check_refund_paid_cause", "6.2 right: the fixed confirmation id the refund process uses",
     'refund_paid_cause = confirm_command_id("123456", "R1")\n'),
    (NB, "check_refund_paid_cause", "6.2 right: from the history frame, taking the single value",
     'refund_paid_cause = history.loc[history["event_type"] == "RefundPaid", "causation_id"].iloc[0]\n'),
    (NB, "check_fix_order", "6.3 right: the difference computed from the order's state, reason given",
     'def fix_order(shop):\n'
     '    overcharge = shop.state("C").paid - Decimal("70")\n'
     '    return shop.handle(RequestRefund("C", overcharge, reason="price should have been 70"))\n'),
    (NB, "check_fix_order", "6.3 right: an int amount (the money type accepts ints), keyword arguments, no reason",
     'def fix_order(shop):\n'
     '    return shop.handle(RequestRefund(order_id="C", amount=20))\n'),
]
