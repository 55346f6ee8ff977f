"""Notebook 8's checks: each wrong answer gets ❌ and a hint about the concept, the solution ✅,
the placeholder "not answered yet"."""
import re
from decimal import Decimal as D

import pytest

from eventsim.clock import SimulatedClock
from eventsim.ids import SeededIds
from eventsim.shop import Shop
from eventsim.shop.commands import PayOrder, PlaceOrder, RequestRefund, ShipOrder
from eventsim.shop.sql_read_models import read_sql
from eventsim.stores import open_store
from eventsim.workbook.database_exercises import (
    AS_STORED,
    BUS,
    STORE,
    TASKS,
    TRANSLATED,
    UPCAST,
    check_checkpoint_after_crash,
    check_event_counts,
    check_public_consumer,
    PROMISES,
    check_store_or_bus,
    check_topic_promises,
)


def filled(url):
    store = open_store(url, clock=SimulatedClock(), ids=SeededIds(1))
    shop = Shop(store, ids=SeededIds(2))
    for n in range(1, 4):
        shop.handle(PlaceOrder(f"A{n}", D("10.00")))
        shop.handle(PayOrder(f"A{n}", D("10.00")))
    shop.handle(ShipOrder("A1"))
    return store


@pytest.fixture
def store(tmp_path):
    store = filled(str(tmp_path / "shop.db"))
    yield store
    store.close()


def reported(check, *answers, capsys):
    check(*answers)
    return capsys.readouterr().out


SOLUTION_8_1 = "SELECT event_type, count(*) AS events FROM events GROUP BY event_type ORDER BY event_type"


@pytest.mark.parametrize("wrong, hint", [
    (lambda s: read_sql(s, SOLUTION_8_1), "the text of your query, a str, not a DataFrame"),
    ("SELECT event_type, count(*) FROM events GROUP BY event_type ORDER BY event_type", "name them event_type"),
    ("SELECT 'OrderCreated' AS event_type, count(DISTINCT stream_id) AS events FROM events", "these count streams"),
    ("SELECT event_type, max(version) AS events FROM events GROUP BY event_type ORDER BY event_type",
     "once per event"),
    ("SELECT event_type, count(*) AS events FROM events GROUP BY event_type ORDER BY event_type DESC",
     "what your ORDER BY sorts by"),
    ("SELECT event_type, count(*) AS events FROM events GROUP BY event_type",  # SQLite's GROUP BY sorts
     "without ORDER BY a database promises no order"),
    ("SELECT event_type, count(*) AS events FROM event GROUP BY event_type", "the database refused the query"),
])
def test_8_1_wrong_answers_get_a_hint(store, wrong, hint, capsys):
    out = reported(check_event_counts, store, wrong(store) if callable(wrong) else wrong, capsys=capsys)
    assert out.startswith("❌ Exercise 8.1") and hint in out


def test_8_1_a_missing_order_by_is_refused_though_sqlite_happens_to_sort(store, capsys):
    no_order_by = "SELECT event_type, count(*) AS events FROM events GROUP BY event_type"
    assert list(read_sql(store, no_order_by)["event_type"]) == sorted(read_sql(store, no_order_by)["event_type"])
    out = reported(check_event_counts, store, no_order_by, capsys=capsys)
    assert out.startswith("❌ Exercise 8.1") and "ORDER BY" in out and "event_type" not in out


def test_8_1_counting_the_orders_that_have_each_type_is_not_counting_events(store, capsys):
    shop = Shop(store, ids=SeededIds(3))
    for amount in ("1.00", "2.00"):  # two refunds of one order: a type twice in one stream, as in notebook 8
        shop.handle(RequestRefund("A2", D(amount)))
    per_type = "SELECT event_type, count(DISTINCT stream_id) AS events FROM events GROUP BY event_type ORDER BY event_type"
    out = reported(check_event_counts, store, per_type, capsys=capsys)
    assert out.startswith("❌ Exercise 8.1") and "orders" in out and "count(*)" in out
    assert reported(check_event_counts, store, SOLUTION_8_1, capsys=capsys).startswith("✅")


def test_8_1_solution_and_placeholder(store, capsys):
    assert reported(check_event_counts, store, SOLUTION_8_1, capsys=capsys).startswith("✅")
    assert reported(check_event_counts, store, SOLUTION_8_1.lower(), capsys=capsys).startswith("✅")
    assert "not answered yet" in reported(check_event_counts, store, ..., capsys=capsys)


def test_8_1_the_solution_is_right_and_a_missing_order_by_refused_on_postgresql(postgres_url, capsys):
    store = filled(postgres_url)
    assert reported(check_event_counts, store, SOLUTION_8_1, capsys=capsys).startswith("✅")
    no_order_by = "SELECT event_type, count(*) AS events FROM events GROUP BY event_type"
    assert reported(check_event_counts, store, no_order_by, capsys=capsys).startswith("❌ Exercise 8.1")
    # A % is SQL here, not a driver's placeholder (it was refused before: the text went as a template).
    with_percent = ("SELECT event_type, count(*) AS events FROM events WHERE event_type LIKE '%' "
                    "GROUP BY event_type ORDER BY event_type -- 100% of the events")
    assert reported(check_event_counts, store, with_percent, capsys=capsys).startswith("✅")
    store.close()


def test_8_1_a_wrong_order_by_is_not_called_a_missing_one(store, capsys):
    descending = "SELECT event_type, count(*) AS events FROM events GROUP BY event_type ORDER BY event_type DESC"
    out = reported(check_event_counts, store, descending, capsys=capsys)
    assert out.startswith("❌ Exercise 8.1") and "what your ORDER BY sorts by" in out and "without" not in out


@pytest.mark.parametrize("wrong, hint", [
    ((220, 80), "the kill undid both"),
    ((120, 180), "the first batch committed"),
    ((0, 300), "the first batch committed"),
    ((150, 150), "where the last committed batch ended"),
    ((170, 80), "read_all(checkpoint + 1)"),
    ((170, 131), "already in the tables"),
    ((170, 50), "does not stop after the batch that was undone"),
    ((170, "130"), "whole numbers"),
    ((True, 130), "whole numbers"),
])
def test_8_2_wrong_answers_get_a_hint(wrong, hint, capsys):
    out = reported(check_checkpoint_after_crash, *wrong, capsys=capsys)
    assert out.startswith("❌ Exercise 8.2") and hint in out


@pytest.mark.parametrize("wrong", [(220, 80), (120, 180), (0, 300), (150, 150), (170, 80), (170, 131), (170, 50)])
def test_8_2_hints_point_at_the_idea_never_at_a_number(wrong, capsys):
    hint = reported(check_checkpoint_after_crash, *wrong, capsys=capsys).partition("not yet.")[2]
    assert not re.search(r"\d\d", hint), hint  # no 50, 120, 170, 300 ...: the learner counts


def test_8_2_solution_and_placeholder(capsys):
    assert reported(check_checkpoint_after_crash, 170, 130, capsys=capsys).startswith("✅")
    assert "not answered yet" in reported(check_checkpoint_after_crash, 170, ..., capsys=capsys)


def test_8_3_every_wrong_classification_gets_its_own_hint(capsys):
    assert reported(check_store_or_bus, dict(TASKS), TRANSLATED, capsys=capsys).startswith("✅")
    for task, where in TASKS.items():  # the hint explains both places, and never names the one task off
        out = reported(check_store_or_bus, TASKS | {task: BUS if where == STORE else STORE}, TRANSLATED, capsys=capsys)
        assert out.startswith("❌ Exercise 8.3") and repr(task) not in out and "1 of the 4 tasks" in out
        assert "append-if-at-version-N" in out and "outbox" in out
    assert "keep the dictionary" in reported(check_store_or_bus, {"x": STORE}, TRANSLATED, capsys=capsys)
    assert "STORE or BUS" in reported(check_store_or_bus, dict.fromkeys(TASKS, "kafka"), TRANSLATED, capsys=capsys)
    for typed in ("STORE", "store", "BUS"):
        out = reported(check_store_or_bus, TASKS | {next(iter(TASKS)): typed}, TRANSLATED, capsys=capsys)
        assert out.startswith("❌ Exercise 8.3") and f"the text {typed!r}, in quotes" in out
    assert "not answered yet" in reported(check_store_or_bus, dict.fromkeys(TASKS, ...), TRANSLATED, capsys=capsys)
    assert "not answered yet" in reported(check_store_or_bus, dict(TASKS), ..., capsys=capsys)


def test_8_3_publishing_domain_events_is_refused_with_the_reason(capsys):
    stored = reported(check_store_or_bus, dict(TASKS), AS_STORED, capsys=capsys)
    assert stored.startswith("❌ Exercise 8.3") and "contract" in stored
    upcast = reported(check_store_or_bus, dict(TASKS), UPCAST, capsys=capsys)
    assert upcast.startswith("❌ Exercise 8.3") and "today's shape" in upcast
    for typed in ("TRANSLATED", BUS):
        assert reported(check_store_or_bus, dict(TASKS), typed, capsys=capsys).startswith("❌ Exercise 8.3")


def test_8_3_the_analytics_task_says_why_a_subscription_on_our_store_is_out():
    analytics = next(task for task in TASKS if "analytics" in task)
    assert TASKS[analytics] == BUS and "must not read our database" in analytics


# --- 8c.2: what a topic promises ---------------------------------------------------------------

def test_8c_2_the_true_answers_pass(capsys):
    assert reported(check_topic_promises, dict(PROMISES), capsys=capsys).startswith("✅ Exercise 8c.2")


@pytest.mark.parametrize("flipped", list(PROMISES))
def test_8c_2_one_statement_answered_the_other_way_is_named(flipped, capsys):
    answers = {**PROMISES, flipped: not PROMISES[flipped]}
    out = reported(check_topic_promises, answers, capsys=capsys)
    assert out.startswith("❌ Exercise 8c.2") and "1 of the" in out and repr(flipped) in out


@pytest.mark.parametrize("answers, hint", [
    ({statement: True for statement in PROMISES}, "not right"),  # "a topic promises everything"
    ({statement: False for statement in PROMISES}, "not right"),  # "a bus promises nothing"
    ({statement: str(true) for statement, true in PROMISES.items()}, "with True or False, without quotes"),
    (dict(list(PROMISES.items())[1:]), "keep the dictionary as given"),
    ([True] * len(PROMISES), "keep the dictionary as given"),
])
def test_8c_2_wrong_answers_get_a_hint(answers, hint, capsys):
    out = reported(check_topic_promises, answers, capsys=capsys)
    assert out.startswith("❌ Exercise 8c.2") and hint in out
