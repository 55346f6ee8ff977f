"""Blind learner answers for notebook 02 (storing events)."""

NB = "02_*.ipynb"

CASES = [
    # ---- 2.1 your first stream ----------------------------------------------------------
    (NB, "check_first_stream",
     "2.1 no expected version at all (defaults to ANY): an existing order 9 is silently appended to",
     '''def open_order_9(store):
    return store.append("order-9", [OrderCreated("9", Decimal("12.50"), "zoe"), OrderPaid("9")])
'''),
    (NB, "check_first_stream",
     "2.1 check-then-act: reads the version first and quietly does nothing if the stream exists",
     '''def open_order_9(store):
    if store.stream_version("order-9") == 0:
        return store.append("order-9", [OrderCreated("9", Decimal("12.50"), "zoe"), OrderPaid("9")])
    return []
'''),
    (NB, "check_first_stream",
     "2.1 swallows the refusal: catches ConcurrencyError and returns None, so the caller never hears of it",
     '''def open_order_9(store):
    try:
        return store.append("order-9", [OrderCreated("9", Decimal("12.50"), "zoe"), OrderPaid("9")],
                            expected_version=NO_STREAM)
    except ConcurrencyError:
        return None
'''),
    (NB, "check_first_stream",
     "2.1 two appends, only the first guarded (second with ANY): not one atomic append of both events",
     '''def open_order_9(store):
    first = store.append("order-9", [OrderCreated("9", Decimal("12.50"), "zoe")], expected_version=NO_STREAM)
    second = store.append("order-9", [OrderPaid("9")], expected_version=ANY)
    return first + second
'''),
    (NB, "check_first_stream",
     "2.1 expected_version=1: learner thinks 'the version of the first event I write'",
     '''def open_order_9(store):
    return store.append("order-9", [OrderCreated("9", Decimal("12.50"), "zoe"), OrderPaid("9")],
                        expected_version=1)
'''),
    (NB, "check_first_stream",
     "2.1 stream id '9' (the order id) instead of 'order-9'",
     '''def open_order_9(store):
    return store.append("9", [OrderCreated("9", Decimal("12.50"), "zoe"), OrderPaid("9")],
                        expected_version=NO_STREAM)
'''),
    (NB, "check_first_stream",
     "2.1 stream id used as the order id inside the events ('order-9')",
     '''def open_order_9(store):
    return store.append("order-9", [OrderCreated("order-9", Decimal("12.50"), "zoe"), OrderPaid("order-9")],
                        expected_version=NO_STREAM)
'''),
    (NB, "check_first_stream",
     "2.1 forgot the OrderPaid event",
     '''def open_order_9(store):
    return store.append("order-9", [OrderCreated("9", Decimal("12.50"), "zoe")], expected_version=NO_STREAM)
'''),
    (NB, "check_first_stream",
     "2.1 expected version passed as the string 'NO_STREAM' (not the constant)",
     '''def open_order_9(store):
    return store.append("order-9", [OrderCreated("9", Decimal("12.50"), "zoe"), OrderPaid("9")],
                        expected_version="NO_STREAM")
'''),
    (NB, "check_first_stream",
     "2.1 customer forgotten: OrderCreated('9', Decimal('12.50')) without 'zoe'",
     '''def open_order_9(store):
    return store.append("order-9", [OrderCreated("9", Decimal("12.50")), OrderPaid("9")],
                        expected_version=NO_STREAM)
'''),
    (NB, "check_first_stream",
     "2.1 paid recorded first: events in the wrong order",
     '''def open_order_9(store):
    return store.append("order-9", [OrderPaid("9"), OrderCreated("9", Decimal("12.50"), "zoe")],
                        expected_version=NO_STREAM)
'''),
    # ---- 2.2 reading part of a stream ----------------------------------------------------
    (NB, "check_later_events",
     "2.2 off by one: from_version=3 ('after version 2')",
     '''later_events = store.read_stream("order-1", from_version=3)
'''),
    (NB, "check_later_events",
     "2.2 whole stream: from_version=1, the learner thinks 'after the first' is the default",
     '''later_events = store.read_stream("order-1", from_version=1)
'''),
    (NB, "check_later_events",
     "2.2 slicing off by one: [2:] treating versions as 0-based indexes",
     '''later_events = store.read_stream("order-1")[2:]
'''),
    (NB, "check_later_events",
     "2.2 positions mistaken for versions: the global log from position 2 (includes order-2's events)",
     '''later_events = store.read_all(from_position=2)
'''),
    (NB, "check_later_events",
     "2.2 domain events, not the recorded envelopes the store returns",
     '''later_events = [r.event for r in store.read_stream("order-1", from_version=2)]
'''),
    (NB, "check_later_events",
     "2.2 order id instead of stream id: read_stream('1') (empty list)",
     '''later_events = store.read_stream("1", from_version=2)
'''),
    (NB, "check_later_events",
     "2.2 the envelopes() DataFrame instead of the list",
     '''later_events = envelopes(store.read_stream("order-1", from_version=2))
'''),
    (NB, "check_later_events",
     "2.2 hard-coded positions copied from the table printed above (2 and 4)",
     '''later_events = [r for r in store.read_all() if r.position in (2, 4)]
'''),
    (NB, "check_later_events",
     "2.2 only the last event of the stream",
     '''later_events = store.read_stream("order-1")[-1]
'''),
    (NB, "check_later_events",
     "2.2 version filter with > 2 (strictly after version 2)",
     '''later_events = [r for r in store.read_stream("order-1") if r.version > 2]
'''),
    # ---- 2.3 append, or try again ----------------------------------------------------------
    (NB, "check_append_checked",
     "2.3 check-then-act: compares the version itself, then appends with no expected version (the race the text warns of)",
     '''def append_checked(store, stream_id, events, seen_version):
    if store.stream_version(stream_id) != seen_version:
        return False
    store.append(stream_id, events)
    return True
'''),
    (NB, "check_append_checked",
     "2.3 'try again' taken literally: on conflict reload the version and append anyway",
     '''def append_checked(store, stream_id, events, seen_version):
    try:
        store.append(stream_id, events, expected_version=seen_version)
    except ConcurrencyError:
        store.append(stream_id, events, expected_version=store.stream_version(stream_id))
    return True
'''),
    (NB, "check_append_checked",
     "2.3 check first, then append with the expected version but no try: the race raises instead of returning False",
     '''def append_checked(store, stream_id, events, seen_version):
    if store.stream_version(stream_id) != seen_version:
        return False
    store.append(stream_id, events, expected_version=seen_version)
    return True
'''),
    (NB, "check_append_checked",
     "2.3 swallows every error (except Exception): a bad event also says 'conflict'",
     '''def append_checked(store, stream_id, events, seen_version):
    try:
        store.append(stream_id, events, expected_version=seen_version)
        return True
    except Exception:
        return False
'''),
    (NB, "check_append_checked",
     "2.3 off by one: expected_version=seen_version + 1 ('the version after mine')",
     '''def append_checked(store, stream_id, events, seen_version):
    try:
        store.append(stream_id, events, expected_version=seen_version + 1)
        return True
    except ConcurrencyError:
        return False
'''),
    (NB, "check_append_checked",
     "2.3 expected version forgotten: always True",
     '''def append_checked(store, stream_id, events, seen_version):
    try:
        store.append(stream_id, events)
        return True
    except ConcurrencyError:
        return False
'''),
    (NB, "check_append_checked",
     "2.3 returns the recorded events instead of True (truthy, but not the bool asked for)",
     '''def append_checked(store, stream_id, events, seen_version):
    try:
        return store.append(stream_id, events, expected_version=seen_version)
    except ConcurrencyError:
        return False
'''),
    (NB, "check_append_checked",
     "2.3 catches ValueError (guessing the exception's family): ConcurrencyError escapes",
     '''def append_checked(store, stream_id, events, seen_version):
    try:
        store.append(stream_id, events, expected_version=seen_version)
        return True
    except ValueError:
        return False
'''),
    (NB, "check_append_checked",
     "2.3 one append per event, each with its own expected version: not all-or-nothing",
     '''def append_checked(store, stream_id, events, seen_version):
    version = seen_version
    try:
        for event in events:
            store.append(stream_id, [event], expected_version=version)
            version += 1
        return True
    except ConcurrencyError:
        return False
'''),
    (NB, "check_append_checked",
     "2.3 True and False inverted (True meaning 'there was a conflict')",
     '''def append_checked(store, stream_id, events, seen_version):
    try:
        store.append(stream_id, events, expected_version=seen_version)
        return False
    except ConcurrencyError:
        return True
'''),
    (NB, "check_append_checked",
     "2.3 seen_version 0 mapped to ANY ('nothing seen, nothing to check')",
     '''def append_checked(store, stream_id, events, seen_version):
    expected = ANY if seen_version == 0 else seen_version
    try:
        store.append(stream_id, events, expected_version=expected)
        return True
    except ConcurrencyError:
        return False
'''),
]

RIGHT = [
    (NB, "check_first_stream",
     "2.1 right, stream name from stream_for and events built first",
     '''from eventsim.shop.streams import stream_for


def open_order_9(store):
    events = [OrderCreated(order_id="9", amount=Decimal("12.50"), customer_id="zoe"), OrderPaid(order_id="9")]
    return store.append(stream_for("9"), events, expected_version=NO_STREAM)
'''),
    (NB, "check_first_stream",
     "2.1 right, expected version as the third positional argument, events from a generator",
     '''def open_order_9(store):
    return store.append("order-9", (e for e in (OrderCreated("9", Decimal("12.5"), "zoe"), OrderPaid("9"))),
                        NO_STREAM)
'''),
    (NB, "check_later_events",
     "2.2 right, whole stream sliced after the first event",
     '''later_events = store.read_stream("order-1")[1:]
'''),
    (NB, "check_later_events",
     "2.2 right, filtered from the global log by stream and version",
     '''later_events = [r for r in store.read_all() if r.stream_id == "order-1" and r.version >= 2]
'''),
    (NB, "check_append_checked",
     "2.3 right, contextlib.suppress and expected version positional",
     '''import contextlib


def append_checked(store, stream_id, events, seen_version):
    with contextlib.suppress(ConcurrencyError):
        store.append(stream_id, events, seen_version)
        return True
    return False
'''),
    (NB, "check_append_checked",
     "2.3 right, seen_version 0 spelled NO_STREAM, try/except/else",
     '''def append_checked(store, stream_id, events, seen_version):
    expected = NO_STREAM if seen_version == 0 else seen_version
    try:
        store.append(stream_id, list(events), expected_version=expected)
    except ConcurrencyError:
        return False
    else:
        return True
'''),
]

if __name__ == "__main__":
    import ast
    for row in CASES + RIGHT:
        ast.parse(row[3])
    print(len(CASES), "cases,", len(RIGHT), "right: all parse")
