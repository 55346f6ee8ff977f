"""The instructors' command line: happy paths, and every kind of bad input as one clear line."""
import gc
import json
import re
import subprocess
import sys
from collections import Counter
from decimal import Decimal

import pytest

from eventsim import cli
from eventsim.cli import main
from eventsim.jsonl import read_jsonl, write_jsonl
from eventsim.shop.order import STATUSES, RefundExceedsPayment, fold
from eventsim.shop.simulator import SimulationConfig, simulate

ORDERS, SEED = 200, 5
T = 1_628_379_200


@pytest.fixture(scope="module")
def log_path(tmp_path_factory):
    path = tmp_path_factory.mktemp("cli") / "events.jsonl"
    assert main(["simulate", "--orders", str(ORDERS), "--seed", str(SEED), "--out", str(path)]) == 0
    return path


def states_of(path) -> dict:
    events = {}
    for logged in read_jsonl(path):
        events.setdefault(logged.event.order_id, []).append(logged.event)
    return {order_id: fold(order_events) for order_id, order_events in events.items()}


def test_simulate_writes_the_simulator_log_and_reports_it(tmp_path, capsys):
    out = tmp_path / "events.jsonl"
    assert main(["simulate", "--orders", "50", "--seed", "3", "--days", "2", "--customers", "7",
                 "--out", str(out)]) == 0
    expected = tmp_path / "expected.jsonl"
    count = write_jsonl(simulate(SimulationConfig(orders=50, seed=3, days=2, customers=7)).store.read_all(),
                        expected)
    assert out.read_bytes() == expected.read_bytes()
    captured = capsys.readouterr()
    assert captured.out.startswith(f"wrote {count} events of 50 orders to {out} in ")
    assert re.search(r"simulating: ([\d,]+) of \1 commands\n$", captured.err)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["events.jsonl", "expected.jsonl"]  # no leftovers


def test_trace_prints_the_order_history_then_its_state(log_path, capsys):
    lines_by_order = {}
    for text in log_path.read_text().splitlines():
        lines_by_order.setdefault(json.loads(text)["orderId"], []).append(text)
    order_id = max(lines_by_order, key=lambda o: len(lines_by_order[o]))  # the longest story

    assert main(["trace", str(log_path), order_id]) == 0

    *history, state = capsys.readouterr().out.splitlines()
    assert history == lines_by_order[order_id]
    state = json.loads(state)
    expected = states_of(log_path)[order_id]
    assert (state["orderId"], state["status"]) == (order_id, expected.status)
    assert Decimal(state["net"]) == expected.net


def test_replay_summarises_the_read_models(log_path, capsys):
    assert main(["import", str(log_path)]) == 0
    out = capsys.readouterr().out
    states = states_of(log_path)

    assert out.startswith(f"{log_path}: {len(read_jsonl(log_path))} events of {ORDERS} orders")
    names = "|".join(re.escape(status) for status in (*STATUSES, "total"))
    rows = dict(re.findall(rf"^({names}) +(\d+) ", out, re.MULTILINE))
    expected = Counter(s.status for s in states.values())
    assert {status: int(n) for status, n in rows.items() if status != "total"} == expected  # only those seen
    assert int(rows["total"]) == ORDERS
    total_net = re.search(r"^total .* (-?\d+\.\d\d)$", out, re.MULTILINE).group(1)
    assert total_net == f"{sum(s.net for s in states.values()):.2f}"
    days = {log.recorded_at // 86_400 for log in read_jsonl(log_path)
            if log.event_type in ("OrderCreated", "OrderPaid", "RefundPaid")}
    assert len(re.findall(r"^\d{4}-\d\d-\d\d ", out, re.MULTILINE)) == len(days)


def test_replay_reads_seed_style_lines(tmp_path, capsys):
    path = tmp_path / "seed.jsonl"
    path.write_text(
        f'{{"eventType": "OrderCreated", "orderId": "123456", "amount": 100, "timestamp": {T}}}\n'
        f'{{"eventType": "OrderPaid", "orderId": "123456", "timestamp": {T + 60}}}\n'
        f'{{"eventType": "RefundCreated", "orderId": "123456", "amount": 40, "timestamp": {T + 120}}}\n')
    assert main(["import", str(path)]) == 0
    row = r"^paid, refund requested +1 +100\.00 +100\.00 +40\.00 +0\.00 +60\.00$"  # orders amount paid requested paid out net
    assert re.search(row, capsys.readouterr().out, re.MULTILINE)


def created(amount="100"):
    return f'{{"eventType": "OrderCreated", "orderId": "123456", "amount": {amount}, "timestamp": {T}}}'


def paid(order_id="123456"):
    return f'{{"eventType": "OrderPaid", "orderId": "{order_id}", "timestamp": {T + 60}}}'


def refund(amount):
    return f'{{"eventType": "RefundCreated", "orderId": "123456", "amount": {amount}, "timestamp": {T + 99}}}'


BAD_LOGS = {
    "malformed line": ([created(), '{"eventType": "OrderPaid", "orderId": '], 2, "not valid JSON"),
    "unknown event type": ([created(), paid(), f'{{"eventType": "Lost", "orderId": "1", "timestamp": {T}}}'],
                           3, "unknown event type 'Lost'"),
    "missing field": ([f'{{"eventType": "OrderCreated", "orderId": "1", "timestamp": {T}}}'], 1,
                      "field 'amount': missing"),
    "money that is no number": ([created(amount='"100 EUR"')], 1, "field 'amount': must be a decimal string"),
    "blank lines still count": (["", created(amount="1.001")], 2, "digits below the cent"),
}

#: Logs every store can record (events are facts), which today's rules would not have decided.
SHIPPED = f'{{"eventType": "OrderShipped", "orderId": "123456", "timestamp": {T + 120}}}'
RULE_BREAKS = {
    "cash on delivery, under last year's rules": ([created(), "", SHIPPED], 3, "cannot ship an unpaid order"),
    "refund larger than payment": ([created(), paid(), refund("100.01")], 3, RefundExceedsPayment.rule),
}


def test_a_read_model_that_cannot_fold_a_line_is_one_line_naming_it(tmp_path, capsys):
    path = tmp_path / "broken.jsonl"
    path.write_text("\n".join([created(), paid("nope")]) + "\n")
    assert main(["import", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "OrderPaid at position 2" in err and "never created" in err


@pytest.mark.parametrize("case", RULE_BREAKS)
def test_a_log_todays_rules_refuse_is_imported_as_recorded_and_check_names_its_line(case, tmp_path, capsys):
    lines, line_number, problem = RULE_BREAKS[case]
    path = tmp_path / "facts.jsonl"
    path.write_text("\n".join(lines) + "\n")

    assert main(["import", str(path)]) == 0  # a copy folds the facts; it never re-decides them
    assert f"{sum(1 for line in lines if line)} events" in capsys.readouterr().out

    assert main(["check", str(path)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith(f"{path}: line {line_number}: ") and problem in out[0]
    assert out[-1] == f"{path}: 1 line today's rules would refuse"


def test_check_names_every_line_todays_rules_refuse_not_only_the_first(tmp_path, capsys):
    path = tmp_path / "facts.jsonl"
    early_payment = paid().replace(str(T + 60), str(T))
    path.write_text("\n".join([early_payment, created(), paid("nope"), refund("500"), SHIPPED]) + "\n")
    assert main(["check", str(path)]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(":")[1] for line in lines[:-1]] == [" line 1", " line 3", " line 4", " line 5"]
    assert lines[-1].endswith(": 4 lines today's rules would refuse")


def test_check_of_a_log_the_rules_would_decide_says_so_and_exits_0(log_path, capsys):
    assert main(["check", str(log_path)]) == 0
    assert capsys.readouterr().out == f"{log_path}: every line is one today's rules would record\n"


@pytest.mark.parametrize("command", ["import", "trace"])
@pytest.mark.parametrize("case", BAD_LOGS)
def test_bad_input_is_one_line_naming_the_line_and_the_problem(case, command, tmp_path, capsys):
    lines, line_number, problem = BAD_LOGS[case]
    path = tmp_path / "bad.jsonl"
    path.write_text("\n".join(lines) + "\n")
    argv = [command, str(path)] + (["123456"] if command == "trace" else [])

    assert main(argv) == 2

    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.count("\n") == 1 and "Traceback" not in captured.err
    assert captured.err.startswith(f"eventsim {command}: {path}: line {line_number}: ")
    assert problem in captured.err


def test_import_names_the_first_bad_line_when_a_later_one_is_not_json(tmp_path, capsys):
    """Each line is checked as it is read: a bad amount on line 2 is reported, not the broken JSON
    further down."""
    path = tmp_path / "bad.jsonl"
    path.write_text("\n".join([created(), refund("1.001"), paid(), "{not json"]) + "\n")
    assert main(["import", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"eventsim import: {path}: line 2: RefundCreated: ") and "below the cent" in err


def test_a_byte_that_is_not_utf8_is_named_by_its_line(tmp_path, capsys):
    path = tmp_path / "binary.jsonl"
    path.write_bytes(created().encode() + b"\n" + paid().encode() + b"\n\xff\xfe\n")
    assert main(["import", str(path)]) == 2
    err = capsys.readouterr().err
    assert err == f"eventsim import: {path}: line 3: not UTF-8 text (byte 0xff)\n"


@pytest.mark.parametrize("name, problem", [("missing.jsonl", "No such file or directory"),
                                           (".", "Is a directory")])
def test_an_input_that_is_no_file_is_one_line_naming_it(name, problem, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["import", name]) == 2
    assert capsys.readouterr().err == f"eventsim import: {name}: {problem}\n"


def test_trace_of_an_unknown_order_is_one_line(log_path, capsys):
    assert main(["trace", str(log_path), "no-such-order"]) == 2
    assert capsys.readouterr().err == f"eventsim trace: {log_path}: no order 'no-such-order'\n"


def test_simulate_into_a_missing_directory_writes_nothing(tmp_path, capsys):
    assert main(["simulate", "--orders", "5", "--out", str(tmp_path / "nowhere" / "events.jsonl")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "there is no directory" in err
    assert list(tmp_path.iterdir()) == []


def test_simulate_that_fails_while_writing_keeps_the_old_file(tmp_path, monkeypatch, capsys):
    out = tmp_path / "events.jsonl"
    out.write_text("the old log\n")

    def disk_full(events, path):
        with open(path, "w") as file:
            file.write("half a l")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(cli, "write_jsonl", disk_full)
    assert main(["simulate", "--orders", "5", "--out", str(out), "--force"]) == 2
    assert "No space left on device" in capsys.readouterr().err
    assert out.read_text() == "the old log\n"
    assert [p.name for p in tmp_path.iterdir()] == ["events.jsonl"]


@pytest.mark.parametrize(("argv", "said"), [
    (["simulate", "--orders", "-3", "--out", "x.jsonl"], "argument --orders: -3 is too few: at least 0"),
    (["simulate", "--customers", "0", "--out", "x.jsonl"], "argument --customers: 0 is too few: at least 1"),
    (["simulate", "--days", "٣", "--out", "x.jsonl"], "argument --days: '٣' is not a whole number")])
def test_simulate_refuses_a_workload_that_makes_no_sense(argv, said, tmp_path, monkeypatch, capsys):
    """The usage error names the option the user gave (it spoke of payout_delay, not an option of the command)."""
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.splitlines()[-1] == f"eventsim simulate: error: {said}" and "payout_delay" not in err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("argv", [[], ["simulate"], ["trace", "events.jsonl"], ["fly"]])
def test_a_usage_error_exits_2_with_usage(argv, capsys):
    assert main(argv) == 2
    assert "usage: eventsim" in capsys.readouterr().err


def test_help_exits_0(capsys):
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    assert all(command in out for command in ("simulate", "trace", "import", "check"))


def test_python_m_eventsim_runs_the_command_line(log_path):
    ok = subprocess.run([sys.executable, "-m", "eventsim", "import", str(log_path)],
                        capture_output=True, text=True, timeout=120, check=False)
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.startswith(f"{log_path}: ") and "revenue per day" in ok.stdout


# --- hostile input: one line naming the file, the line and the problem, never a traceback ----------

def order_line(amount="100", timestamp=f"{T}"):
    return f'{{"eventType": "OrderCreated", "orderId": "123456", "amount": {amount}, "timestamp": {timestamp}}}'


HOSTILE = {  # name: (the file's bytes, the line, the problem)
    "an integer of 5,000 digits": ((created() + "\n" + order_line(amount="9" * 5000) + "\n").encode(), 2,
                                   "not valid JSON (Exceeds the limit (4300 digits) for integer string conversion"),
    "timestamp 1e20": ((order_line(timestamp="1e20") + "\n").encode(), 1,
                       "OrderCreated: field 'timestamp': must be a whole number (digits only), not 1E+20"),
    "timestamp 10**20": ((order_line(timestamp=str(10**20)) + "\n").encode(), 1,
                         "field 'timestamp': 100000000000000000000 is out of range"),
    "100,000 nested brackets": ((created() + "\n" + "[" * 100_000 + "]" * 100_000 + "\n").encode(), 2,
                                "not valid JSON (nested too deeply)"),
    "bytes that are not UTF-8": (created().encode() + b"\r" + paid().encode() + b"\r\xff\xfe\r", 3,
                                 "not UTF-8 text (byte 0xff)"),
    "amount 1e30": ((order_line(amount="1e30") + "\n").encode(), 1,
                    "OrderCreated: field 'amount': 1e+30 is more than the most an amount can be, 1,000,000,000,000"),
    "amount 1e1000000": ((order_line(amount="1e1000000") + "\n").encode(), 1,
                         "field 'amount': 1e+1000000 is more than the most an amount can be"),
    "a duplicate event id": ((created().replace("}", ', "eventId": "e1"}') + "\n"
                              + paid().replace("}", ', "eventId": "e1"}') + "\n").encode(), 2,
                             "OrderPaid: event id 'e1' is the id of line 1 too"),
    "time going back": ((paid().replace("123456", "9") + "\n" + created() + "\n").encode(), 2,
                        "timestamp 1628379200 is earlier than line 1's 1628379260"),
}


@pytest.mark.parametrize("command", ["import", "trace"])
@pytest.mark.parametrize("case", HOSTILE)
def test_hostile_input_is_one_line_naming_file_line_and_problem(case, command, tmp_path, capsys):
    data, line_number, problem = HOSTILE[case]
    path = tmp_path / "hostile.jsonl"
    path.write_bytes(data)
    assert main([command, str(path)] + (["123456"] if command == "trace" else [])) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith(f"eventsim {command}: {path}: line {line_number}: ")
    assert problem in captured.err
    assert captured.err.count("\n") == 1 and len(captured.err) < 400


def test_time_going_back_between_orders_is_refused(tmp_path, capsys):
    path = tmp_path / "back.jsonl"
    path.write_text(order_line(timestamp=f"{T + 5}") + "\n" + order_line(timestamp=f"{T}").replace("123456", "7")
                    + "\n")
    assert main(["import", str(path)]) == 2
    assert capsys.readouterr().err == (f"eventsim import: {path}: line 2: OrderCreated: timestamp {T} is earlier "
                                       f"than line 1's {T + 5}: a log lists events in the order they were "
                                       f"recorded\n")


@pytest.mark.parametrize("case", ["100,000 nested brackets", "timestamp 10**20", "bytes that are not UTF-8"])
def test_no_traceback_from_the_installed_command_either(case, tmp_path):
    data, line_number, problem = HOSTILE[case]
    path = tmp_path / "hostile.jsonl"
    path.write_bytes(data)
    run = subprocess.run([sys.executable, "-m", "eventsim", "import", str(path)],
                         capture_output=True, text=True, timeout=120, check=False)
    assert run.returncode == 2 and run.stdout == ""
    assert run.stderr.startswith(f"eventsim import: {path}: line {line_number}: ") and problem in run.stderr
    assert run.stderr.count("\n") == 1 and "Traceback" not in run.stderr


@pytest.mark.parametrize("newline, bom", [("\r", b""), ("\r\n", b""), ("\n", b"\xef\xbb\xbf")])
def test_the_cli_reads_what_the_library_reads(newline, bom, tmp_path, capsys):
    path = tmp_path / "seed.jsonl"
    path.write_bytes(bom + newline.join([created(), paid(), refund("40")]).encode() + newline.encode())
    assert len(read_jsonl(path)) == 3
    assert main(["import", str(path)]) == 0
    assert capsys.readouterr().out.startswith(f"{path}: 3 events of 1 orders")


def test_the_largest_amount_replays_and_traces(tmp_path, capsys):
    path = tmp_path / "big.jsonl"
    path.write_text("\n".join([created("1000000000000.00"), paid(), refund("999999999999.99")]) + "\n")
    assert main(["import", str(path)]) == 0
    out = capsys.readouterr().out
    assert re.search(r"^paid, refund requested +1 +1000000000000\.00 +1000000000000\.00 +999999999999\.99 +0\.00 +0\.01$",
                     out, re.MULTILINE)
    assert main(["trace", str(path), "123456"]) == 0
    state = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert Decimal(state["net"]) == Decimal("0.01")


def test_an_empty_log_is_summarised_as_empty(tmp_path, capsys):
    path = tmp_path / "empty.jsonl"
    path.write_text("\n\n")
    assert main(["import", str(path)]) == 0
    assert capsys.readouterr().out.startswith(f"{path}: 0 events of 0 orders")


def test_ctrl_c_is_one_line_and_status_130(monkeypatch, log_path, capsys):
    def interrupted(path):
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "load", interrupted)
    assert main(["import", str(log_path)]) == 130
    assert capsys.readouterr().err == "eventsim import: interrupted\n"


def test_running_out_of_memory_is_one_line_with_status_1(monkeypatch, log_path, capsys):
    def too_big(path):
        raise MemoryError

    monkeypatch.setattr(cli, "load", too_big)
    assert main(["import", str(log_path)]) == 1
    assert capsys.readouterr().err == f"eventsim import: {log_path}: not enough memory for this log\n"


def test_a_bug_is_one_line_too_with_status_1(monkeypatch, log_path, capsys):
    def broken(path):
        raise RuntimeError("something eventsim did not expect")

    monkeypatch.setattr(cli, "load", broken)
    assert main(["trace", str(log_path), "1"]) == 1
    assert capsys.readouterr().err == (f"eventsim trace: {log_path}: unexpected RuntimeError: something eventsim "
                                       f"did not expect (a bug in eventsim: please report it)\n")


def test_simulate_into_a_directory_is_one_line(tmp_path, capsys):
    assert main(["simulate", "--orders", "5", "--out", str(tmp_path)]) == 2
    assert capsys.readouterr().err == f"eventsim simulate: {tmp_path}: is a directory; give a file name\n"
    assert list(tmp_path.iterdir()) == []


def test_a_simulated_log_imported_and_written_again_is_the_same_file(log_path, tmp_path):
    again = tmp_path / "again.jsonl"
    write_jsonl(cli.load(str(log_path)).read_all(), again)
    assert again.read_bytes() == log_path.read_bytes()


def test_simulate_import_and_trace_pause_the_cycle_collector_and_switch_it_back_on(
        monkeypatch, log_path, tmp_path, capsys):
    """The collector is off while the log is simulated, replayed and summarised, on again after, even after a
    refused line."""
    seen = []
    real_copy, real_summarise, real_simulate = cli.copy_log, cli.summarise, cli.simulate

    def watched_simulate(config, **options):
        seen.append(("simulate", gc.isenabled()))
        return real_simulate(config, **options)

    def watched_copy(log, **options):
        seen.append(("copy", gc.isenabled()))
        return real_copy(log, **options)

    def watched_summarise(*args):
        seen.append(("summarise", gc.isenabled()))
        return real_summarise(*args)

    monkeypatch.setattr(cli, "copy_log", watched_copy)
    monkeypatch.setattr(cli, "summarise", watched_summarise)
    monkeypatch.setattr(cli, "simulate", watched_simulate)
    assert main(["simulate", "--orders", "3", "--out", str(tmp_path / "three.jsonl")]) == 0
    assert gc.isenabled()
    assert main(["import", str(log_path)]) == 0
    assert gc.isenabled()
    assert main(["trace", str(log_path), "000001"]) == 0
    assert gc.isenabled()
    bad = tmp_path / "bad.jsonl"
    bad.write_text(log_path.read_text(encoding="utf-8").splitlines()[1] * 2 + "\n", encoding="utf-8")  # not JSON
    assert main(["import", str(bad)]) == 2
    assert "line 1: not valid JSON" in capsys.readouterr().err
    assert gc.isenabled()
    assert seen == [("simulate", False), ("copy", False), ("summarise", False), ("copy", False), ("copy", False)]


def test_an_import_leaves_no_reference_cycles_behind(log_path):
    """Why pausing the collector is safe: what an import makes is freed by reference counting alone
    (an import that made cycles would pile them up, unseen, until the collector ran again)."""
    gc.collect()
    gc.disable()
    try:
        store = cli.load(str(log_path))
        assert len(store) > ORDERS
        del store
        assert gc.collect() == 0
    finally:
        gc.enable()


def test_a_simulation_makes_no_reference_cycles_while_it_runs():
    """Why pausing the collector for ``eventsim simulate`` is safe: nothing it made is unreachable before it
    ends (the shop and its history, a cycle themselves, are freed when the command's process ends)."""
    gc.collect()
    gc.disable()
    try:
        shop = cli.simulate(SimulationConfig(orders=ORDERS, seed=SEED))
        assert len(shop.store) > ORDERS
        assert gc.collect() == 0
    finally:
        gc.enable()


def test_what_a_paused_command_leaves_to_the_collector_does_not_grow_with_the_log(log_path, tmp_path, capsys):
    """The summary's few cycles (pandas' own) are the same for a log four times as long."""
    short = tmp_path / "short.jsonl"
    assert main(["simulate", "--orders", str(ORDERS // 4), "--seed", str(SEED), "--out", str(short)]) == 0
    left = []
    for path in (log_path, short, log_path):  # the first run also warms pandas' caches
        gc.collect()
        gc.disable()
        try:
            assert main(["import", str(path)]) == 0
            left.append(gc.collect())
        finally:
            gc.enable()
    assert left[1] == left[2]


def test_a_command_reading_for_more_than_two_seconds_shows_how_far_it_has_got(log_path, tmp_path, capsys,
                                                                                monkeypatch):
    """Issue 27: progress for anything over two seconds (failed before: import, check and export said nothing
    until they were done)."""
    events = len(log_path.read_text().splitlines())
    assert main(["import", str(log_path)]) == 0
    assert capsys.readouterr().err == ""  # quick: quiet
    monkeypatch.setattr(cli, "PROGRESS_AFTER", 0)  # as if two seconds had passed already
    monkeypatch.setattr(cli, "PROGRESS_EVERY", 100)
    store = tmp_path / "shop.db"
    for command in (["import", str(log_path)], ["check", str(log_path)], ["import", str(log_path), "--db", str(store)],
                    ["export", "--db", str(store), "--out", str(tmp_path / "again.jsonl")]):
        main(command)
        err = capsys.readouterr().err
        counts = [int(n.replace(",", "")) for n in re.findall(r"\r\w[^\r\n]*: ([\d,]+) events", err)]
        assert counts[:3] == [100, 200, 300] and counts[-1] == events and err.endswith(" events\n"), (command, err)
