"""Blind learner answers for notebook 08 (from memory to a database)."""

NB = "08_*.ipynb"

_K1 = "refuse a PayOrder that raced another for the same order"
_K2 = "read one order's events to decide a refund"
_K3 = "tell the warehouse service that an order was paid"
_K4 = "tell the analytics team's own system of every order placed, paid, refunded or cancelled; it must not read our database"


_HEADER = "from eventsim.workbook.database_exercises import AS_STORED, BUS, STORE, TRANSLATED, UPCAST\n\n"


def _answers(a1, a2, a3, a4, header=_HEADER, published="TRANSLATED"):
    return (header + "answers = {\n"
            f"    {_K1!r}: {a1},\n"
            f"    {_K2!r}: {a2},\n"
            f"    {_K3!r}: {a3},\n"
            f"    {_K4!r}: {a4},\n"
            "}\n"
            f"published = {published}\n")


CASES = [
    # ---------------- 8.1 event counts in SQL ----------------
    (NB, "check_event_counts", "8.1 forgets ORDER BY (SQLite happens to return groups sorted, so it looks right)",
     'event_counts_sql = "SELECT event_type, COUNT(*) AS events FROM events GROUP BY event_type"\n'),
    (NB, "check_event_counts", "8.1 orders by the count, most frequent first, instead of by event_type",
     'event_counts_sql = "SELECT event_type, COUNT(*) AS events FROM events GROUP BY event_type ORDER BY events DESC"\n'),
    (NB, "check_event_counts", "8.1 no alias: the count column is called COUNT(*) instead of events",
     'event_counts_sql = "SELECT event_type, COUNT(*) FROM events GROUP BY event_type ORDER BY event_type"\n'),
    (NB, "check_event_counts", "8.1 names the count column 'count' / event_count by habit",
     'event_counts_sql = "SELECT event_type, COUNT(*) AS event_count FROM events GROUP BY event_type ORDER BY event_type"\n'),
    (NB, "check_event_counts", "8.1 forgets GROUP BY: SQLite accepts the bare column and returns one row",
     'event_counts_sql = "SELECT event_type, COUNT(*) AS events FROM events ORDER BY event_type"\n'),
    (NB, "check_event_counts", "8.1 counts distinct streams (orders having that event) instead of events",
     'event_counts_sql = ("SELECT event_type, COUNT(DISTINCT stream_id) AS events FROM events "\n'
     '                    "GROUP BY event_type ORDER BY event_type")\n'),
    (NB, "check_event_counts", "8.1 'the version counts the events': MAX(version) per type",
     'event_counts_sql = "SELECT event_type, MAX(version) AS events FROM events GROUP BY event_type ORDER BY event_type"\n'),
    (NB, "check_event_counts", "8.1 groups by type and stream: one row per type per order",
     'event_counts_sql = ("SELECT event_type, COUNT(*) AS events FROM events "\n'
     '                    "GROUP BY event_type, stream_id ORDER BY event_type")\n'),
    (NB, "check_event_counts", "8.1 hard-codes the counts read off the notebook's table (works only on this data)",
     'counts = read_sql(store, "SELECT event_type FROM events")["event_type"].value_counts().sort_index()\n'
     'event_counts_sql = " UNION ALL ".join(\n'
     '    f"SELECT \'{t}\' AS event_type, {n} AS events" for t, n in counts.items()\n'
     ')\n'),
    (NB, "check_event_counts", "8.1 type slip: assigns the DataFrame the query returns, not the query text",
     'event_counts_sql = read_sql(store, "SELECT event_type, COUNT(*) AS events FROM events GROUP BY event_type ORDER BY event_type")\n'),
    (NB, "check_event_counts", "8.1 orders descending by event_type",
     'event_counts_sql = "SELECT event_type, COUNT(*) AS events FROM events GROUP BY event_type ORDER BY event_type DESC"\n'),
    (NB, "check_event_counts", "8.1 counts rows of the orders read-model table by status instead of the events table",
     'event_counts_sql = "SELECT status AS event_type, COUNT(*) AS events FROM orders GROUP BY status ORDER BY status"\n'),
    (NB, "check_event_counts", "8.1 SQLite-only: reads the type out of the JSON with json_extract (fails on PostgreSQL jsonb, and data has no eventType)",
     'event_counts_sql = ("SELECT json_extract(data, \'$.eventType\') AS event_type, COUNT(*) AS events "\n'
     '                    "FROM events GROUP BY 1 ORDER BY 1")\n'),

    # ---------------- 8.2 crash in the middle of a batch ----------------
    (NB, "check_checkpoint_after_crash", "8.2 counts the batch being written as done (checkpoint 220, 80 left)",
     'checkpoint_after_restart = 220\napplied_by_next_catch_up = 80\n'),
    (NB, "check_checkpoint_after_crash", "8.2 thinks the whole catch_up was one transaction: back to 120, 180 to apply",
     'checkpoint_after_restart = 120\napplied_by_next_catch_up = 180\n'),
    (NB, "check_checkpoint_after_crash", "8.2 right checkpoint, but thinks the next catch_up applies only one batch",
     'checkpoint_after_restart = 170\napplied_by_next_catch_up = 50\n'),
    (NB, "check_checkpoint_after_crash", "8.2 checkpoint as the next position to read (171)",
     'checkpoint_after_restart = 171\napplied_by_next_catch_up = 130\n'),
    (NB, "check_checkpoint_after_crash", "8.2 off by one counting 171..300 (300 - 171)",
     'checkpoint_after_restart = 170\napplied_by_next_catch_up = 300 - 171\n'),
    (NB, "check_checkpoint_after_crash", "8.2 off by one the other way (inclusive count 300 - 170 + 1)",
     'checkpoint_after_restart = 170\napplied_by_next_catch_up = 300 - 170 + 1\n'),
    (NB, "check_checkpoint_after_crash", "8.2 thinks the events of the half-written batch were kept, only the checkpoint lost (re-applies 171-220 on top)",
     'checkpoint_after_restart = 170\napplied_by_next_catch_up = 130 + 50\n'),
    (NB, "check_checkpoint_after_crash", "8.2 thinks the crash lost the checkpoint entirely: rebuild from 0",
     'checkpoint_after_restart = 0\napplied_by_next_catch_up = 300\n'),
    (NB, "check_checkpoint_after_crash", "8.2 type slip: numbers as strings",
     'checkpoint_after_restart = "170"\napplied_by_next_catch_up = "130"\n'),
    (NB, "check_checkpoint_after_crash", "8.2 answers the part of the batch written before the kill: half way, 195",
     'checkpoint_after_restart = 195\napplied_by_next_catch_up = 105\n'),

    # ---------------- 8.3 store or bus ----------------
    (NB, "check_store_or_bus", "8.3 everything through Kafka: 'Kafka is our event log'",
     _answers("BUS", "BUS", "BUS", "BUS")),
    (NB, "check_store_or_bus", "8.3 everything in the store: 'the store already has all the events'",
     _answers("STORE", "STORE", "STORE", "STORE")),
    (NB, "check_store_or_bus", "8.3 the race is Kafka's job (ordering per partition sounds like concurrency control)",
     _answers("BUS", "STORE", "BUS", "BUS")),
    (NB, "check_store_or_bus", "8.3 reading an order's events from Kafka (the topic has them)",
     _answers("STORE", "BUS", "BUS", "BUS")),
    (NB, "check_store_or_bus", "8.3 the warehouse reads the store directly; only analytics gets the bus",
     _answers("STORE", "STORE", "STORE", "BUS")),
    (NB, "check_store_or_bus", "8.3 analytics 'reads every event' so it gets the store, missing 'must not read our database'",
     _answers("STORE", "STORE", "BUS", "STORE")),
    (NB, "check_store_or_bus", "8.3 type slip: the strings 'STORE'/'BUS' instead of the imported constants",
     _answers("'STORE'", "'STORE'", "'BUS'", "'BUS'")),
    (NB, "check_store_or_bus", "8.3 right idea but one key retyped with a different apostrophe/wording (key missing)",
     _HEADER +
     "answers = {\n"
     f"    {_K1!r}: STORE,\n"
     "    \"read one order\u2019s events to decide a refund\": STORE,\n"
     f"    {_K3!r}: BUS,\n"
     f"    {_K4!r}: BUS,\n"
     "}\n"
     "published = TRANSLATED\n"),
    (NB, "check_store_or_bus", "8.3 tasks right; publishes the domain events as stored ('they are already facts')",
     _answers("STORE", "STORE", "BUS", "BUS", published="AS_STORED")),
    (NB, "check_store_or_bus", "8.3 tasks right; publishes the upcast domain events ('today's shape is clean')",
     _answers("STORE", "STORE", "BUS", "BUS", published="UPCAST")),
    (NB, "check_store_or_bus", "8.3 tasks right; published typed as text in quotes",
     _answers("STORE", "STORE", "BUS", "BUS", published="'TRANSLATED'")),
    (NB, "check_store_or_bus", "8.3 tasks right; published answered with BUS, the place instead of the content",
     _answers("STORE", "STORE", "BUS", "BUS", published="BUS")),
    (NB, "check_store_or_bus", "8.3 booleans: True for 'in the store', False for the bus",
     _answers("True", "True", "False", "False")),
]

RIGHT = [
    (NB, "check_event_counts", "8.1 right: lower case, positional GROUP BY/ORDER BY, COUNT of a column",
     'event_counts_sql = """\n'
     'select event_type, count(position) as events\n'
     'from events\n'
     'group by 1\n'
     'order by 1\n'
     '"""\n'),
    (NB, "check_event_counts", "8.1 right: restricted to order streams with a % inside LIKE",
     'event_counts_sql = ("SELECT event_type, COUNT(*) AS events FROM events "\n'
     '                    "WHERE stream_id LIKE \'order-%\' "\n'
     '                    "GROUP BY event_type ORDER BY event_type ASC")\n'),
    (NB, "check_checkpoint_after_crash", "8.2 right: worked out by arithmetic",
     'first_batch_end = 120 + 50  # committed with its checkpoint\n'
     'checkpoint_after_restart = first_batch_end\n'
     'applied_by_next_catch_up = 300 - checkpoint_after_restart\n'),
    (NB, "check_checkpoint_after_crash", "8.2 right: simulated batch by batch",
     'checkpoint, end, size = 120, 300, 50\n'
     'committed = checkpoint + size           # batch 1 (121-170) commits\n'
     'checkpoint_after_restart = committed    # batch 2 (171-220) is rolled back\n'
     'applied_by_next_catch_up = sum(min(size, end - p) for p in range(committed, end, size))\n'),
    (NB, "check_store_or_bus", "8.3 right: built from two lists of tasks",
     _HEADER +
     f"store_tasks = [{_K1!r}, {_K2!r}]\n"
     f"bus_tasks = [{_K3!r}, {_K4!r}]\n"
     "answers = {**dict.fromkeys(store_tasks, STORE), **dict.fromkeys(bus_tasks, BUS)}\n"
     "published = TRANSLATED\n"),
    (NB, "check_store_or_bus", "8.3 right: the plain dict, keys in another order",
     _answers("STORE", "STORE", "BUS", "BUS").replace("answers = {\n", "answers = dict(sorted({\n").replace("\n}\n", "\n}.items()))\n")),
]
