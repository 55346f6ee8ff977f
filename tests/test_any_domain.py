"""One engine, any domain: a bank account, unknown to the package, on every part of the engine.

The domain below is written as a learner writes one in a notebook cell: its events, commands, state,
``decide`` and ``evolve``, and a ``Domain`` that hands them to the engine.  Nothing in ``eventsim``
knows it; every test runs it through the stores (in memory, SQLite, PostgreSQL), the application
service, JSON lines and copying, upcasters, snapshots, the projection runner and the HTTP feed.
"""
from __future__ import annotations

import dataclasses
import json
import sqlite3
import threading
from dataclasses import dataclass
from decimal import Decimal as D

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from eventsim import Application, CommandIdReused, ConcurrencyError, Domain, Projection, ProjectionRunner
from eventsim.clock import SimulatedClock
from eventsim.copying import copy_log
from eventsim.ids import SeededIds
from eventsim.jsonl import iter_jsonl, loads, read_jsonl, to_json, write_jsonl
from eventsim.registry import register_event
from eventsim.rule_check import check_log
from eventsim.snapshots import InMemorySnapshotStore, Snapshot, Snapshots, SQLiteSnapshotStore, load_state
from eventsim.store import ANY, NO_STREAM, InMemoryEventStore
from eventsim.stores import StoreError, open_store
from eventsim.stores.sql import row_checksum
from eventsim.upcasting import UPCASTERS, Upcaster

# --- the domain, as a learner would write it --------------------------------------------------

@dataclass(frozen=True)
class AccountOpened:
    account_id: str
    owner: str
    overdraft_limit: D = D(0)


@dataclass(frozen=True)
class MoneyDeposited:
    account_id: str
    amount: D


@dataclass(frozen=True)
class MoneyWithdrawn:
    account_id: str
    amount: D
    atm: bool = False
    attempt: int = 1


@dataclass(frozen=True)
class AccountClosed:
    account_id: str
    reason: str | None = None


@dataclass(frozen=True)
class Open:
    account_id: str
    owner: str
    command_id: str | None = None


@dataclass(frozen=True)
class Deposit:
    account_id: str
    amount: D
    command_id: str | None = None


@dataclass(frozen=True)
class Withdraw:
    account_id: str
    amount: D
    atm: bool = False
    command_id: str | None = None


@dataclass(frozen=True)
class Close:
    account_id: str
    command_id: str | None = None


@dataclass(frozen=True)
class Account:
    opened: bool = False
    balance: D = D(0)
    withdrawals: int = 0
    closed: bool = False


class AccountError(Exception):
    pass


def decide(command, state: Account):
    match command:
        case Open():
            if state.opened:
                raise AccountError("already open")
            return [AccountOpened(command.account_id, command.owner)]
        case Deposit():
            if not state.opened or state.closed:
                raise AccountError("no open account")
            return [MoneyDeposited(command.account_id, command.amount)]
        case Withdraw():
            if not state.opened or state.closed:
                raise AccountError("no open account")
            if command.amount > state.balance:
                raise AccountError("insufficient funds")
            return [MoneyWithdrawn(command.account_id, command.amount, command.atm, state.withdrawals + 1)]
        case Close():
            if state.closed:
                raise AccountError("already closed")
            events: list = []
            if state.balance:
                events.append(MoneyWithdrawn(command.account_id, state.balance, attempt=state.withdrawals + 1))
            return [*events, AccountClosed(command.account_id, "closed by the owner")]
    raise TypeError(command)


def evolve(state: Account, event) -> Account:
    match event:
        case AccountOpened():
            return Account(opened=True)
        case MoneyDeposited():
            return dataclasses.replace(state, balance=state.balance + event.amount)
        case MoneyWithdrawn():
            return dataclasses.replace(state, balance=state.balance - event.amount, withdrawals=event.attempt)
        case AccountClosed():
            return dataclasses.replace(state, closed=True)
    return state


BANK = Domain(
    name="bank",
    events=[AccountOpened, MoneyDeposited, MoneyWithdrawn, AccountClosed],
    initial_state=Account(),
    decide=decide,
    evolve=evolve,
    stream_of=lambda command: f"account-{command.account_id}",
    event_stream=lambda event: f"account-{event.account_id}",
)


def balance_projection() -> Projection[dict]:
    def apply(balances: dict, recorded) -> dict:
        event = recorded.event
        if isinstance(event, MoneyDeposited):
            balances[event.account_id] = balances.get(event.account_id, D(0)) + event.amount
        elif isinstance(event, MoneyWithdrawn):
            balances[event.account_id] = balances.get(event.account_id, D(0)) - event.amount
        return balances
    return Projection("balances", dict, apply, frozenset({MoneyDeposited, MoneyWithdrawn}))


# --- fixtures ------------------------------------------------------------------------------

@pytest.fixture
def make_store(any_store_url):
    opened = []

    def make(clock=None, ids=None):
        store = open_store(any_store_url, clock=clock or SimulatedClock(start=1_000, step=10), ids=ids or SeededIds(3))
        opened.append(store)
        return store

    yield make
    for store in opened:
        if not isinstance(store, InMemoryEventStore):
            store.close()


def bank_story(bank: Application) -> None:
    bank.handle(Open("A1", "ann", command_id="open-A1"))
    bank.handle(Deposit("A1", D("100.10"), command_id="dep-A1"))
    bank.handle(Withdraw("A1", D("30.05"), atm=True))
    bank.handle(Open("B2", "bob"))
    bank.handle(Deposit("B2", D("5")))
    bank.handle(Close("A1"))


# --- registration --------------------------------------------------------------------------

def test_an_event_type_must_be_a_frozen_dataclass_of_exact_values():
    @dataclass(frozen=True)
    class Floaty:
        account_id: str
        amount: float

    with pytest.raises(TypeError, match=r"Floaty.amount is float: .*money is a Decimal, never a float"):
        register_event(Floaty)

    @dataclass
    class Mutable:
        account_id: str

    with pytest.raises(TypeError, match="must be a frozen dataclass"):
        register_event(Mutable)
    with pytest.raises(ValueError, match="already registered for test_any_domain.AccountOpened"):
        register_event(MoneyDeposited, "AccountOpened")


def test_a_learners_class_of_the_shops_name_is_refused_not_taken_for_the_shops():
    """Failed before: only the qualified name was compared, so a learner's ``OrderCreated`` in a notebook
    took the shop's type name without a word, and the shop's logs then read as the learner's class."""
    import eventsim.shop  # noqa: F401 -- the shop's events are registered

    namespace: dict = {"__name__": "__main__", "dataclass": dataclass}
    exec("@dataclass(frozen=True)\nclass OrderCreated:\n    table_id: str\n    dish: str\n", namespace)
    with pytest.raises(ValueError, match=r"'OrderCreated' is already registered for eventsim.shop.events.OrderCreated, "
                                         r"so __main__.OrderCreated cannot take it"):
        register_event(namespace["OrderCreated"])
    assert read_jsonl(['{"eventType": "OrderCreated", "orderId": "1", "amount": 5, "timestamp": 1}'])[0].event.amount


@pytest.mark.parametrize("field", ["timestamp", "version", "position", "actor", "event_id", "stream_id",
                                   "event_type", "schema_version", "correlation_id", "causation_id", "line"])
def test_a_field_named_as_the_envelope_is_refused_when_the_type_is_registered(field):
    """Failed before: a ``version`` or ``timestamp`` field was stored, then written twice to a line (which the
    reader refuses) and overwritten by the envelope's in the HTTP feed."""
    cls = dataclasses.make_dataclass("Published", [("doc_id", str), (field, int)], frozen=True)
    with pytest.raises(ValueError, match=rf"Published.{field}: .* is a name of the envelope"):
        register_event(cls)


def test_a_decide_that_does_not_return_a_list_is_named():
    def decide_one(command, state):
        return MoneyDeposited(command.account_id, command.amount)

    single = Application(dataclasses.replace(BANK, decide=decide_one))
    with pytest.raises(TypeError, match=r"bank: decide\(Deposit, state\) returned MoneyDeposited\(.*decide returns a list"):
        single.handle(Deposit("A1", D(1)))
    assert len(single.store) == 0


def test_a_snapshot_of_a_state_not_of_initial_states_class_is_skipped_and_a_bad_one_never_fails_a_command():
    """Failed before: a domain whose initial state is ``None`` saved snapshots of its ``Account`` states, and a
    fresh service then failed every command on the stream while decoding them (TypeError)."""
    nothing_yet = dataclasses.replace(BANK, initial_state=None, decide=lambda command, state: decide(command, state or Account()),
                                      evolve=lambda state, event: evolve(state or Account(), event))
    snapshot_store = InMemorySnapshotStore()
    bank = Application(nothing_yet, snapshots=Snapshots(snapshot_store, every=1))
    bank_story(bank)
    assert snapshot_store.load("account-A1") is None  # not kept: its class is not initial_state's
    snapshot_store.save(Snapshot("account-B2", 2, nothing_yet.state_schema, '{"not": "a state"}'))
    fresh = Application(nothing_yet, bank.store, snapshots=Snapshots(snapshot_store))
    fresh.handle(Deposit("B2", D(1)))
    assert fresh.state("account-B2").balance == D(6) and fresh.snapshots.ignored == 1


def test_a_cell_run_twice_registers_its_class_again_and_both_are_stored(make_store):
    def define():
        @dataclass(frozen=True)
        class Noted:
            note: str
        register_event(Noted, "test_any_domain.Noted")
        return Noted

    first, second = define(), define()
    store = make_store()
    store.append("notes", [first("a"), second("b")])
    assert [r.event.note for r in store.read_all()] == ["a", "b"]


def test_every_store_refuses_an_unregistered_event_naming_it_and_records_nothing(make_store):
    @dataclass(frozen=True)
    class Unknown:
        account_id: str

    store = make_store()
    with pytest.raises(TypeError, match=r"Unknown is not a registered event type: register it"):
        store.append("account-A1", [AccountOpened("A1", "ann"), Unknown("A1")])
    assert store.read_all() == [] and store.stream_version("account-A1") == 0


# --- the store contract, for this domain -----------------------------------------------------

def test_every_store_records_and_reads_back_every_kind_of_field_exactly(make_store):
    store = make_store()
    events = [AccountOpened("A1", "Ann ✓", D("-0.01")), MoneyDeposited("A1", D("99999999999999.99")),
              MoneyWithdrawn("A1", D("0.10"), atm=True, attempt=2**62), AccountClosed("A1")]
    recorded = store.append("account-A1", events, NO_STREAM, correlation_id="c", causation_id="k", actor="ann")
    again = make_store() if not isinstance(store, InMemoryEventStore) else store
    assert [r.event for r in again.read_stream("account-A1")] == events
    withdrawn = again.read_all()[2].event
    assert type(withdrawn.attempt) is int and type(withdrawn.atm) is bool and type(withdrawn.amount) is D
    assert again.read_all() == recorded


def test_every_store_checks_the_expected_version_for_this_domain_too(make_store):
    store = make_store()
    store.append("account-A1", [AccountOpened("A1", "ann")], NO_STREAM)
    with pytest.raises(ConcurrencyError):
        store.append("account-A1", [MoneyDeposited("A1", D(1))], 0)
    store.append("account-A1", [MoneyDeposited("A1", D(1))], 1)
    store.append("account-A1", [MoneyDeposited("A1", D(2))], ANY)
    assert [r.version for r in store.read_stream("account-A1")] == [1, 2, 3]


def test_the_application_service_runs_the_domain_on_every_store(make_store):
    store = make_store()
    bank = Application(BANK, store, ids=SeededIds(9))
    bank_story(bank)
    assert bank.state("account-A1") == Account(opened=True, balance=D(0), withdrawals=2, closed=True)
    assert bank.load("account-B2") == (Account(opened=True, balance=D(5)), 2)
    with pytest.raises(AccountError, match="insufficient funds"):
        bank.handle(Withdraw("B2", D("5.01")))
    assert store.stream_version("account-B2") == 2  # a refused command records nothing

    # idempotency by request fingerprint: the same request again gets the first result back
    assert bank.handle(Deposit("A1", D("100.10"), command_id="dep-A1")) == store.read_stream("account-A1")[1:2]
    with pytest.raises(CommandIdReused):
        bank.handle(Deposit("A1", D("7"), command_id="dep-A1"))
    # a fresh service on the same store folds the streams it has not seen
    assert Application(BANK, make_store() if not isinstance(store, InMemoryEventStore) else store).state(
        "account-A1") == bank.state("account-A1")


def test_time_travel_folds_a_prefix_of_this_domains_stream(make_store):
    bank = Application(BANK, make_store(clock=SimulatedClock(start=1_000, step=10)))
    bank_story(bank)
    assert bank.state_at("account-A1", version=0) == Account()
    assert bank.state_at("account-A1", version=2).balance == D("100.10")
    assert bank.state_at("account-A1", at=1_020) == bank.state_at("account-A1", version=3)
    with pytest.raises(ValueError, match="account-A1 has versions 0 to 5, not 6"):
        bank.state_at("account-A1", version=6)


def test_two_services_on_one_store_retry_on_a_conflict_and_lose_nothing(make_store):
    store = make_store()
    first, second = Application(BANK, store), Application(BANK, store)
    first.handle(Open("A1", "ann"))
    second.handle(Deposit("A1", D(10)))  # second has not seen the deposit... first has not either
    first.handle(Deposit("A1", D(5)))     # first's cached state is behind: it folds what is new, then appends
    assert first.state("account-A1").balance == second.state("account-A1").balance == D(15)
    with pytest.raises(ConcurrencyError):
        second.handle(Deposit("A1", D(1)), expected_version=2)


def test_threads_sharing_one_service_never_lose_a_deposit(make_store):
    store = make_store(clock=SimulatedClock(start=1_000, step=0))
    bank = Application(BANK, store, max_retries=50)
    bank.handle(Open("A1", "ann"))
    threads = [threading.Thread(target=lambda: [bank.handle(Deposit("A1", D(1))) for _ in range(10)])
               for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert bank.state("account-A1").balance == D(40) == Application(BANK, store).state("account-A1").balance


# --- JSON lines, copying, upcasting --------------------------------------------------------------

def test_export_then_copy_into_every_store_keeps_every_event_as_recorded(make_store, tmp_path):
    original = Application(BANK, InMemoryEventStore(clock=SimulatedClock(start=1_000, step=7), ids=SeededIds(4)))
    bank_story(original)
    path = tmp_path / "bank.jsonl"
    write_jsonl(original.store.read_all(), path)
    copy = copy_log(iter_jsonl(path), make_store=make_store)
    assert copy.read_all() == original.store.read_all()  # same ids, times, streams, correlation and causation
    again = tmp_path / "again.jsonl"
    write_jsonl(copy.read_all(), again)
    assert again.read_bytes() == path.read_bytes()
    assert Application(BANK, copy).state("account-A1") == original.state("account-A1")


def test_a_hand_written_line_finds_its_stream_by_the_domains_rule():
    [line] = read_jsonl(['{"eventType": "MoneyDeposited", "accountId": "Z9", "amount": 12.50, "timestamp": 5}'])
    store = copy_log([line])
    assert store.read_stream("account-Z9")[0].event == MoneyDeposited("Z9", D("12.50"))


def test_the_charts_draw_this_domains_streams_as_lanes_and_its_causation():
    """Failed before the charts laid lanes out by stream: they read ``event.order_id`` (AttributeError)."""
    from eventsim.workbook.charts import alt_text, causation, store_activity, timeline

    bank = Application(BANK, clock=SimulatedClock(start=1_000, step=60), ids=SeededIds(9))
    bank_story(bank)
    fig = timeline(bank.store.read_all())
    axes = fig.axes[0]
    assert axes.get_ylabel() == "account id" and [t.get_text() for t in axes.get_yticklabels()] == ["A1", "B2"]
    assert "7 events in 2 accounts, one lane per account" in alt_text(fig)
    assert {t.get_text() for t in axes.get_legend().get_texts()} >= {
        "AccountOpened", "MoneyDeposited", "MoneyWithdrawn", "AccountClosed"}
    # a log that names no streams is laid out by the domain's rule
    lines = [{k: v for k, v in json.loads(to_json(r)).items() if k != "streamId"} for r in bank.store.read_all()]
    logged = read_jsonl([json.dumps(line) for line in lines])
    assert {line.stream_id for line in logged} == {None}
    assert [t.get_text() for t in timeline(logged).axes[0].get_yticklabels()] == ["A1", "B2"]
    activity = store_activity(bank.store.read_all())
    assert {t.get_text() for t in activity.axes[0].get_legend().get_texts()} == {
        "AccountOpened", "MoneyDeposited", "MoneyWithdrawn", "AccountClosed"}
    chart = causation(bank.store.read_stream("account-A1")).axes[0]
    assert [t.get_text() for t in chart.get_xticklabels()] == ["command", "account stream"]
    assert chart.get_title() == "Account A1: who caused what"
    with pytest.raises(ValueError, match="one stream, but the events are from streams account-A1, account-B2"):
        causation(bank.store.read_all())


def test_the_rule_check_re_decides_this_domains_log_with_todays_rules_while_the_copy_folds_it():
    """Last year's bank let accounts go overdrawn; today's refuses.  The copy folds the facts; the check names the line."""

    def command_for(event, state):
        match event:
            case AccountOpened():
                return Open(event.account_id, event.owner)
            case MoneyDeposited():
                return Deposit(event.account_id, event.amount)
            case MoneyWithdrawn():
                return Withdraw(event.account_id, event.amount, event.atm)
        return Close(event.account_id)

    store = InMemoryEventStore(clock=SimulatedClock(start=1_000, step=10), ids=SeededIds(4))
    for n, event in enumerate([AccountOpened("A1", "ann"), MoneyDeposited("A1", D(10)), MoneyWithdrawn("A1", D(50))]):
        store.append("account-A1", [event], causation_id=f"cmd-{n}")
    log = read_jsonl(to_json(r) for r in store.read_all())
    assert Application(BANK, copy_log(log)).state("account-A1").balance == D(-40)
    assert [str(v) for v in check_log(log, BANK, command_for)] == ["line 3: MoneyWithdrawn: insufficient funds"]
    looser = dataclasses.replace(BANK, decide=lambda command, state: decide(command, dataclasses.replace(
        state, balance=state.balance + D(100))))  # an overdraft of 100 allowed
    assert check_log(log, looser, command_for) == []


def test_json_lines_check_each_field_of_this_domain_naming_line_and_field():
    bad = '{"eventType": "MoneyWithdrawn", "accountId": "A1", "amount": 1, "attempt": "two", "timestamp": 5}'
    with pytest.raises(ValueError, match="line 1: MoneyWithdrawn: field 'attempt': must be a whole number"):
        read_jsonl([bad])
    with pytest.raises(ValueError, match="field 'atm': must be true or false"):
        loads('{"eventType": "MoneyWithdrawn", "accountId": "A1", "amount": 1, "atm": 1, "timestamp": 5}')
    with pytest.raises(ValueError, match="field 'amount': 0.001 has digits below the cent"):
        loads('{"eventType": "MoneyDeposited", "accountId": "A1", "amount": 0.001, "timestamp": 5}')


def test_an_upcaster_of_this_domain_reads_its_old_events_from_files_and_from_stores(tmp_path):
    @dataclass(frozen=True)
    class FeeCharged:  # version 2 says which currency; version 1 lines never did
        account_id: str
        amount: D
        currency: str

    register_event(FeeCharged, "test_any_domain.FeeCharged", schema_version=2)

    def add_currency(payload):
        return {**payload, "currency": "CHF"}

    UPCASTERS.add(Upcaster("test_any_domain.FeeCharged", 1, "test_any_domain.FeeCharged", 2, add_currency))
    old = '{"eventType": "test_any_domain.FeeCharged", "accountId": "A1", "amount": 2, "timestamp": 5}'
    assert loads(old).event == FeeCharged("A1", D(2), "CHF")
    store = open_store(str(tmp_path / "fees.db"))
    store.append("fees-A1", [FeeCharged("A1", D(2), "CHF")])
    with sqlite3.connect(tmp_path / "fees.db") as db:  # a row as an older version of the code wrote it
        data = '{"accountId": "A1", "amount": 3}'
        db.execute("INSERT INTO events (position, stream_id, version, event_type, schema_version, data, recorded_at,"
                   " event_id, checksum) VALUES (2, 'fees-A1', 2, 'test_any_domain.FeeCharged', 1, ?, 7, 'old-1', ?)",
                   (data, row_checksum("test_any_domain.FeeCharged", 1, data)))
    assert store.read_all()[1].event == FeeCharged("A1", D(3), "CHF")
    assert '"schemaVersion": 2' in to_json(store.read_all()[1])
    store.close()


# --- snapshots, projections, the HTTP feed ------------------------------------------------------

@pytest.mark.parametrize("kind", ["memory", "sqlite"])
def test_snapshots_of_this_domain_are_used_and_a_stale_shape_is_ignored(kind, tmp_path):
    snapshot_store = InMemorySnapshotStore() if kind == "memory" else SQLiteSnapshotStore(tmp_path / "snap.db")
    bank = Application(BANK, snapshots=Snapshots(snapshot_store, every=3))
    bank_story(bank)
    saved = snapshot_store.load("account-A1")
    assert saved is not None and saved.schema == BANK.state_schema
    assert BANK.decode_state(saved.state) == BANK.fold(r.event for r in bank.store.read_stream("account-A1")[
        :saved.version])
    fresh = Snapshots(snapshot_store)
    assert load_state(BANK, bank.store, "account-A1", fresh) == bank.state("account-A1") and fresh.ignored == 0

    Changed = dataclasses.make_dataclass("Account", [("opened", bool, False), ("vip", bool, False)], frozen=True)
    changed = dataclasses.replace(BANK, initial_state=Changed(), state_schema="")
    assert changed.state_schema != BANK.state_schema
    events = [r.event for r in bank.store.read_stream("account-A1")]
    assert load_state(changed, bank.store, "account-A1", fresh) == changed.fold(events) and fresh.ignored == 1


def test_the_projection_runner_folds_this_domain_from_every_store_and_keeps_its_checkpoint(make_store):
    store = make_store()
    bank = Application(BANK, store)
    bank_story(bank)
    runner = ProjectionRunner(store, balance_projection())
    runner.catch_up()
    assert runner.state == {"A1": D(0), "B2": D(5)} and runner.checkpoint == store.last_position
    bank.handle(Deposit("B2", D("0.50")))
    assert runner.lag == 1
    runner.catch_up()
    assert runner.state["B2"] == D("5.50")
    assert runner.rebuild() == runner.state


def test_the_http_event_feed_serves_this_domains_events():
    from fastapi.testclient import TestClient

    from eventsim.http import create_app
    from eventsim.shop import Shop

    shop = Shop(InMemoryEventStore(clock=SimulatedClock(start=1_000)))
    bank = Application(BANK, shop.store)
    bank_story(bank)
    bank.handle(Deposit("B2", D("0.0125")))  # finer than a cent: a rate, a fuel price
    with TestClient(create_app(shop)) as client:
        feed = client.get("/events").json()["events"]
        stream = client.get("/streams/account-B2/events").json()
        missing = client.get("/streams/account-Z9/events")
        bad = client.get(f"/streams/{'x' * 101}/events")
    assert [e["eventType"] for e in feed][:3] == ["AccountOpened", "MoneyDeposited", "MoneyWithdrawn"]
    assert feed[2]["atm"] is True and feed[1]["amount"] == "100.10"
    # failed before: no streamId in the feed, no stream's events, and 0.0125 rounded to "0.01" without a word
    assert [e["streamId"] for e in feed][:4] == ["account-A1"] * 3 + ["account-B2"]
    assert stream["streamId"] == "account-B2" and [e["version"] for e in stream["events"]] == [1, 2, 3]
    assert stream["events"][-1]["amount"] == "0.0125" and feed[-1]["amount"] == "0.0125"
    assert missing.status_code == 404 and "no stream account-Z9" in missing.json()["detail"]
    assert bad.status_code == 422 and bad.json()["field"] == "streamId"


# --- properties ------------------------------------------------------------------------------

commands = st.lists(st.one_of(
    st.builds(Open, st.sampled_from(["A", "B"]), st.just("ann")),
    st.builds(Deposit, st.sampled_from(["A", "B"]), st.decimals(1, 500, places=2)),
    st.builds(Withdraw, st.sampled_from(["A", "B"]), st.decimals(1, 500, places=2), st.booleans()),
    st.builds(Close, st.sampled_from(["A", "B"])),
), max_size=30)


@settings(deadline=None, max_examples=60)
@given(commands)
def test_rebuilding_equals_the_state_kept_command_by_command_and_a_copy_folds_alike(sequence):
    bank = Application(BANK, InMemoryEventStore(clock=SimulatedClock(start=1_000)))  # states kept in its cache
    for command in sequence:
        try:
            bank.handle(command)
        except AccountError:
            pass
    lines = [to_json(r) for r in bank.store.read_all()]
    copy = copy_log(read_jsonl(lines))
    for account in ("A", "B"):
        stream = f"account-{account}"
        incremental = bank.state(stream)
        rebuilt = BANK.fold(r.event for r in bank.store.read_stream(stream))
        assert incremental == rebuilt == BANK.fold(r.event for r in copy.read_stream(stream))
        assert rebuilt.balance >= 0  # decide never lets a withdrawal overdraw
    assert [json.loads(line) for line in lines] == [json.loads(to_json(r)) for r in copy.read_all()]


def test_a_store_error_names_the_store_not_the_domain(tmp_path):
    junk = tmp_path / "junk.db"
    junk.write_text("not a database")
    with pytest.raises(StoreError, match="not an SQLite database"):
        open_store(str(junk))
