"""The instructors' command line: happy paths, and every kind of bad input as one clear line."""
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
from eventsim.order import RefundExceedsPayment, fold
from eventsim.simulator import SimulationConfig, simulate

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
    assert main(["replay", str(log_path)]) == 0
    out = capsys.readouterr().out
    states = states_of(log_path)

    assert out.startswith(f"{log_path}: {len(read_jsonl(log_path))} events of {ORDERS} orders")
    rows = dict(re.findall(r"^(placed|paid|partially refunded|refunded|cancelled|shipped|total) +(\d+) ",
                           out, re.M))
    expected = Counter(s.status for s in states.values())
    assert {status: int(n) for status, n in rows.items() if status != "total" and int(n)} == expected
    assert int(rows["total"]) == ORDERS
    total_net = re.search(r"^total .* (-?\d+\.\d\d)$", out, re.M).group(1)
    assert total_net == f"{sum(s.net for s in states.values()):.2f}"
    days = {log.recorded_at // 86_400 for log in read_jsonl(log_path)
            if log.event_type in ("OrderCreated", "OrderPaid", "RefundCreated")}
    assert len(re.findall(r"^\d{4}-\d\d-\d\d ", out, re.M)) == len(days)


def test_replay_reads_seed_style_lines(tmp_path, capsys):
    path = tmp_path / "seed.jsonl"
    path.write_text(
        f'{{"eventType": "OrderCreated", "orderId": "123456", "amount": 100, "timestamp": {T}}}\n'
        f'{{"eventType": "OrderPaid", "orderId": "123456", "timestamp": {T + 60}}}\n'
        f'{{"eventType": "RefundCreated", "orderId": "123456", "amount": 40, "timestamp": {T + 120}}}\n')
    assert main(["replay", str(path)]) == 0
    row = r"^partially refunded +1 +100\.00 +100\.00 +40\.00 +60\.00$"  # orders amount paid refunded net
    assert re.search(row, capsys.readouterr().out, re.M)


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
    "money as a string": ([created(amount='"100"')], 1, "field 'amount': must be a number"),
    "blank lines still count": ([created(), "", paid("nope")], 3, "no such order"),
    "payment before the order": ([paid(), created()], 1, "OrderPaid: order 123456: no such order"),
    "refund larger than payment": ([created(), paid(), refund("100.01")], 3, RefundExceedsPayment.rule),
}


@pytest.mark.parametrize("command", ["replay", "trace"])
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


def test_a_byte_that_is_not_utf8_is_named_by_its_line(tmp_path, capsys):
    path = tmp_path / "binary.jsonl"
    path.write_bytes(created().encode() + b"\n" + paid().encode() + b"\n\xff\xfe\n")
    assert main(["replay", str(path)]) == 2
    err = capsys.readouterr().err
    assert err == f"eventsim replay: {path}: line 3: not UTF-8 text (byte 0xff)\n"


@pytest.mark.parametrize("name", ["missing.jsonl", "."])
def test_an_input_that_is_no_file_is_one_line(name, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["replay", name]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("eventsim replay: ") and repr(name) in err


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
    assert main(["simulate", "--orders", "5", "--out", str(out)]) == 2
    assert "No space left on device" in capsys.readouterr().err
    assert out.read_text() == "the old log\n"
    assert [p.name for p in tmp_path.iterdir()] == ["events.jsonl"]


@pytest.mark.parametrize("argv", [["simulate", "--orders", "-3", "--out", "x.jsonl"],
                                  ["simulate", "--customers", "0", "--out", "x.jsonl"]])
def test_simulate_refuses_a_workload_that_makes_no_sense(argv, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("eventsim simulate: need orders >= 0")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("argv", [[], ["simulate"], ["trace", "events.jsonl"], ["fly"]])
def test_a_usage_error_exits_2_with_usage(argv, capsys):
    assert main(argv) == 2
    assert "usage: eventsim" in capsys.readouterr().err


def test_help_exits_0(capsys):
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    assert all(command in out for command in ("simulate", "trace", "replay"))


def test_python_m_eventsim_runs_the_command_line(log_path):
    ok = subprocess.run([sys.executable, "-m", "eventsim", "replay", str(log_path)],
                        capture_output=True, text=True, timeout=120)
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.startswith(f"{log_path}: ") and "revenue per day" in ok.stdout
