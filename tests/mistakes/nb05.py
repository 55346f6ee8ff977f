"""Blind learner answers for notebook 05 (consistency and queries)."""

NB = "05_*.ipynb"

CASES = [
    # ---- 5.1 make it idempotent --------------------------------------------------------------
    (NB, "check_count_paid",
     "5.1 < instead of <=: the very event at the checkpoint, delivered again, is counted twice",
     '''def count_paid(state, recorded):
    if recorded.position < state.get("checkpoint", 0):
        return state
    if recorded.event_type == "OrderPaid":
        state["paid"] = state.get("paid", 0) + 1
    state["checkpoint"] = recorded.position
    return state
'''),
    (NB, "check_count_paid",
     "5.1 only an immediate repeat is ignored (== checkpoint): an older event delivered late is counted again",
     '''def count_paid(state, recorded):
    if recorded.position == state.get("checkpoint"):
        return state
    if recorded.event_type == "OrderPaid":
        state["paid"] = state.get("paid", 0) + 1
    state["checkpoint"] = recorded.position
    return state
'''),
    (NB, "check_count_paid",
     "5.1 assumes positions have no gaps: only checkpoint + 1 is accepted, so a gap stops the count",
     '''def count_paid(state, recorded):
    if recorded.position != state.get("checkpoint", 0) + 1:
        return state
    if recorded.event_type == "OrderPaid":
        state["paid"] = state.get("paid", 0) + 1
    state["checkpoint"] = recorded.position
    return state
'''),
    (NB, "check_count_paid",
     "5.1 the stream's version used as the checkpoint instead of the global position",
     '''def count_paid(state, recorded):
    if recorded.version <= state.get("checkpoint", 0):
        return state
    if recorded.event_type == "OrderPaid":
        state["paid"] = state.get("paid", 0) + 1
    state["checkpoint"] = recorded.version
    return state
'''),
    (NB, "check_count_paid",
     "5.1 checkpoint written before the comparison: every event looks like a repeat, nothing is counted",
     '''def count_paid(state, recorded):
    state["checkpoint"] = recorded.position
    if recorded.position <= state["checkpoint"]:
        return state
    if recorded.event_type == "OrderPaid":
        state["paid"] = state.get("paid", 0) + 1
    return state
'''),
    (NB, "check_count_paid",
     "5.1 bare return on a repeat: the state becomes None",
     '''def count_paid(state, recorded):
    if recorded.position <= state.get("checkpoint", 0):
        return
    if recorded.event_type == "OrderPaid":
        state["paid"] = state.get("paid", 0) + 1
    state["checkpoint"] = recorded.position
    return state
'''),
    (NB, "check_count_paid",
     "5.1 compares with the checkpoint but never moves it",
     '''def count_paid(state, recorded):
    if recorded.position <= state.get("checkpoint", 0):
        return state
    if recorded.event_type == "OrderPaid":
        state["paid"] = state.get("paid", 0) + 1
    return state
'''),
    (NB, "check_count_paid",
     "5.1 state['checkpoint'] read without a default: KeyError on the very first event of an empty state",
     '''def count_paid(state, recorded):
    if recorded.position <= state["checkpoint"]:
        return state
    if recorded.event_type == "OrderPaid":
        state["paid"] = state.get("paid", 0) + 1
    state["checkpoint"] = recorded.position
    return state
'''),
    (NB, "check_count_paid",
     "5.1 checkpoint kept in a module-level variable, not in the state: a second run (or rebuild) counts nothing",
     '''last_position = 0


def count_paid(state, recorded):
    global last_position
    if recorded.position <= last_position:
        return state
    if recorded.event_type == "OrderPaid":
        state["paid"] = state.get("paid", 0) + 1
    last_position = recorded.position
    return state
'''),
    (NB, "check_count_paid",
     "5.1 the recorded time used as the checkpoint: events recorded in the same second (one append) are dropped",
     '''def count_paid(state, recorded):
    if recorded.recorded_at <= state.get("checkpoint", 0):
        return state
    if recorded.event_type == "OrderPaid":
        state["paid"] = state.get("paid", 0) + 1
    state["checkpoint"] = recorded.recorded_at
    return state
'''),
    (NB, "check_count_paid",
     "5.1 checkpoint only moved on OrderPaid: the count is right, but state['checkpoint'] is not the last position applied",
     '''def count_paid(state, recorded):
    if recorded.event_type == "OrderPaid" and recorded.position > state.get("checkpoint", 0):
        state["paid"] = state.get("paid", 0) + 1
        state["checkpoint"] = recorded.position
    return state
'''),
    (NB, "check_count_paid",
     "5.1 dedupe by a set of seen event ids instead of a checkpoint (no state['checkpoint'] kept, grows forever)",
     '''def count_paid(state, recorded):
    seen = state.setdefault("seen", set())
    if recorded.event_id in seen:
        return state
    seen.add(recorded.event_id)
    if recorded.event_type == "OrderPaid":
        state["paid"] = state.get("paid", 0) + 1
    return state
'''),
    (NB, "check_count_paid",
     "5.1 'fixed' by counting distinct orders paid (a set of order ids), no checkpoint",
     '''def count_paid(state, recorded):
    if recorded.event_type == "OrderPaid":
        orders = state.setdefault("orders", set())
        orders.add(recorded.event.order_id)
        state["paid"] = len(orders)
    return state
'''),
    # ---- 5.2 ask the read side ---------------------------------------------------------------
    (NB, "check_cancelled_ids",
     "5.2 bypasses the read side: folds the notebook's store (fresher than the lagging read model)",
     '''def cancelled_ids(queries):
    from eventsim import fold
    from eventsim.shop.streams import order_id_of
    ids = []
    for stream_id in store.stream_ids():
        state = fold(r.event for r in store.read_stream(stream_id))
        if state.status == "cancelled":
            ids.append(order_id_of(stream_id))
    return sorted(ids)
'''),
    (NB, "check_cancelled_ids",
     "5.2 catches up the notebook's own read models inside the query and answers from them, ignoring the queries given",
     '''def cancelled_ids(queries):
    read_models.catch_up()
    fresh = read_models.queries()
    return sorted(fresh.orders_by_status("cancelled")["order_id"])
'''),
    (NB, "check_cancelled_ids",
     "5.2 asks the write side: shop.state() for each order id in the read model",
     '''def cancelled_ids(queries):
    ids = []
    for stream_id in shop.store.stream_ids():
        order_id = stream_id.removeprefix("order-")
        if shop.state(order_id).status == "cancelled":
            ids.append(order_id)
    return sorted(ids)
'''),
    (NB, "check_cancelled_ids",
     "5.2 startswith('cancelled'): also takes 'cancelled, refund requested' and the like",
     '''from eventsim.shop.order import STATUSES


def cancelled_ids(queries):
    ids = []
    for status in STATUSES:
        if status.startswith("cancelled"):
            ids.extend(queries.orders_by_status(status)["order_id"])
    return sorted(ids)
'''),
    (NB, "check_cancelled_ids",
     "5.2 not sorted: relies on the read model's order (already 2, 3, 6 here)",
     '''def cancelled_ids(queries):
    return list(queries.orders_by_status("cancelled")["order_id"])
'''),
    (NB, "check_cancelled_ids",
     "5.2 returns the pandas Series, not a list",
     '''def cancelled_ids(queries):
    return queries.orders_by_status("cancelled")["order_id"].sort_values()
'''),
    (NB, "check_cancelled_ids",
     "5.2 ids converted to int ('they are numbers')",
     '''def cancelled_ids(queries):
    return sorted(int(order_id) for order_id in queries.orders_by_status("cancelled")["order_id"])
'''),
    (NB, "check_cancelled_ids",
     "5.2 hard-coded from the table printed above",
     '''def cancelled_ids(queries):
    return ["2", "3", "6"]
'''),
    (NB, "check_cancelled_ids",
     "5.2 loops over order ids 1..7 (the ones this notebook placed) with queries.order()",
     '''def cancelled_ids(queries):
    ids = []
    for number in range(1, 8):
        order = queries.order(str(number))
        if order is not None and order["status"] == "cancelled":
            ids.append(str(number))
    return ids
'''),
    (NB, "check_cancelled_ids",
     "5.2 a set instead of a sorted list",
     '''def cancelled_ids(queries):
    return set(queries.orders_by_status("cancelled")["order_id"])
'''),
    (NB, "check_cancelled_ids",
     "5.2 the whole DataFrame of cancelled orders instead of their ids",
     '''def cancelled_ids(queries):
    return queries.orders_by_status("cancelled").sort_values("order_id")
'''),
    (NB, "check_cancelled_ids",
     "5.2 status capitalised ('Cancelled') and the ValueError swallowed into an empty answer",
     '''def cancelled_ids(queries):
    try:
        return sorted(queries.orders_by_status("Cancelled")["order_id"])
    except ValueError:
        return []
'''),
]

RIGHT = [
    (NB, "check_count_paid",
     "5.1 right, pure: returns a new dict, the repeat test written as 'not past the checkpoint'",
     '''def count_paid(state, recorded):
    checkpoint = state.get("checkpoint", 0)
    if not recorded.position > checkpoint:
        return state
    paid = state.get("paid", 0) + (1 if recorded.event_type == "OrderPaid" else 0)
    return {**state, "paid": paid, "checkpoint": recorded.position}
'''),
    (NB, "check_count_paid",
     "5.1 right, in place with setdefault and an isinstance test on the event",
     '''from eventsim import OrderPaid


def count_paid(state, recorded):
    state.setdefault("checkpoint", 0)
    if recorded.position > state["checkpoint"]:
        if isinstance(recorded.event, OrderPaid):
            state["paid"] = state.get("paid", 0) + 1
        state["checkpoint"] = recorded.position
    return state
'''),
    (NB, "check_cancelled_ids",
     "5.2 right, sorted with pandas and turned into a list of str",
     '''def cancelled_ids(queries):
    frame = queries.orders_by_status("cancelled")
    return frame.sort_values("order_id")["order_id"].astype(str).tolist()
'''),
    (NB, "check_cancelled_ids",
     "5.2 right, a list comprehension over the rows, then sorted()",
     '''def cancelled_ids(queries):
    rows = queries.orders_by_status("cancelled").itertuples()
    return sorted([str(row.order_id) for row in rows])
'''),
]

if __name__ == "__main__":
    import ast
    for row in CASES + RIGHT:
        ast.parse(row[3])
    print(len(CASES), "cases,", len(RIGHT), "right: all parse")
