"""The workbook teaches in order: no notebook's code uses an eventsim name that a later notebook teaches.

``TAUGHT`` is kept by hand, from the notebooks' prose: every eventsim name that a notebook's code uses sits
under the one notebook that explains it. Notebooks are named without their number, so renumbering them
changes nothing here; their order is that of their file names. A notebook may use a name taught by itself or
by an earlier notebook; a name used but missing from the table fails too, so that a new name gets a place.
The exercises' checks (``eventsim.workbook.exercises``, ``eventsim.*_exercises``) are tools, not lessons, and are left out.
"""
import ast
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))

pytestmark = pytest.mark.notebooks

TAUGHT = {
    "start_here": {  # the commands in "Commands, events, read models" and exercise 0.1; the tools of "A first taste"
        "PlaceOrder", "PayOrder", "RequestRefund", "CancelOrder", "ShipOrder", "SimulatedClock", "SeededIds",
        "overview",
    },
    "generating_events": {
        "OrderCreated", "OrderPaid", "RefundCreated", "RefundPaid", "OrderCancelled", "OrderShipped",
        "to_json", "loads", "EventFormatError", "lifecycle_table", "lifecycle_diagram", "simulate", "SimulationConfig", "SimulationPanel",
        "timeline",
    },
    "modelling_events": {"event_model_diagram"},
    "storing_events": {
        "InMemoryEventStore", "RecordedEvent", "stream_for", "order_id_of", "NO_STREAM", "ANY", "ConcurrencyError",
        "ConcurrencyRace", "log_diagram",
    },
    "processing_commands": {
        "Shop", "decide", "evolve", "fold", "initial_state", "OrderError", "InvalidAmount", "OrderAlreadyPaid",
        "OrderNotPaid", "RefundExceedsPayment", "ConfirmRefund", "CommandConsole", "order_state", "sequence_diagram",
        "decider_diagram",
    },
    "projections": {"Projection", "ProjectionRunner", "ShopReadModels", "store_activity", "to_timestamp"},
    "consistency_and_queries": {"INLINE", "EVENTUAL", "LiveDashboard", "OrderQueries"},
    "tracing_and_time_travel": {
        "history_frame", "history_jsonl", "state_at_version", "state_at_time", "events_by_command",
        "correlation_id_of", "correlated_events", "causation", "compensate", "RefundProcess", "FakePaymentProvider", "confirm_command_id",
        "OrderExplorer", "TimeTravel", "register_event", "two_clocks", "to_datetime",
    },
    "processes_and_deadlines": {"UnpaidOrders", "refund_messages", "REFUND_LANES"},
    "trade_offs_measured": {
        "cost_per_event", "replay_cost", "read_model_lag", "orders_projection", "Domain", "Application", "open_store",
        "Snapshots", "InMemorySnapshotStore",
    },
    "from_memory_to_a_database": {"SQLReadModels", "read_sql", "crash_diagram", "checkpoint_diagram", "StoreError"},
    "gaps_and_rules_across_streams": {"GapWatch", "gap_diagram"},
    "partitions_and_public_events": {"Topic", "Consumer", "COMPACT", "OffsetOutOfRange", "partitions_diagram"},
    "cqrs_over_http": {"create_app", "start", "LoseResponses", "if_match_diagram", "min_position_diagram"},
    "living_with_events": {
        "Upcaster", "Upcasters", "UPCASTERS", "add_currency", "SchemaVersionError", "read_jsonl", "write_jsonl",
        "copy_log", "check_log", "ORDERS", "SQLiteEventStore", "Snapshot", "SQLiteSnapshotStore", "STATE_SCHEMA", "state_to_json",
        "state_from_json", "load_state", "PersonalData", "Vault", "SQLiteKeyStore", "personal_data_rows", "trace_rows",
        "upcaster_diagram", "crypto_shredding_diagram",
    },
    "projections_in_production": {"BlueGreen", "CatchUpSubscription", "LiveFeed"},
    "designing_with_events": set(),
    "recap": set(),
}

#: Names a notebook shows before they are taught, on purpose. Notebook 0's "A first taste" runs one order through
#: the shop before anything is explained, and says that notebook 3 opens the shop up. Nothing else may.
FIRST_TASTE = {"start_here": {"Shop"}}


def slug(path: Path) -> str:
    """``04_projections.ipynb`` -> ``projections``: a notebook's name without its number."""
    return path.stem.split("_", 1)[1]


def is_module(dotted: str) -> bool:
    """Whether ``eventsim.shop.history`` (say) is a module of the package rather than a name inside one."""
    path = ROOT.joinpath(*dotted.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def eventsim_names(sources: list[str]) -> set[str]:
    """Every eventsim name the code cells use: imported from eventsim, or read as an attribute of an eventsim module."""
    used, modules = set(), set()
    for source in sources:
        lines = [line for line in source.splitlines() if not line.lstrip().startswith(("%", "!"))]  # IPython magics
        for node in ast.walk(ast.parse("\n".join(lines))):
            if isinstance(node, ast.Import):
                modules |= {alias.asname or alias.name for alias in node.names if alias.name.startswith("eventsim")}
            elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "eventsim":
                if node.module.split(".")[-1].endswith("exercises"):
                    continue
                for alias in node.names:
                    if is_module(f"{node.module}.{alias.name}"):
                        modules.add(alias.asname or alias.name)
                    else:
                        used.add(alias.name)
            elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in modules:
                if not node.attr.startswith("__"):
                    used.add(node.attr)
    return used


def forward_references(notebooks: list[tuple[str, list[str]]]) -> list[str]:
    """What is wrong with the order of ``notebooks`` (name, code cells), each problem as a sentence."""
    order = [name for name, _ in notebooks]
    taught_in = {item: name for name, items in TAUGHT.items() for item in items}
    problems = []
    for name, sources in notebooks:
        for used in sorted(eventsim_names(sources)):
            teacher = taught_in.get(used)
            if teacher is None:
                problems.append(f"{name} uses {used}, which no notebook teaches: add it to TAUGHT")
            elif teacher not in order:
                problems.append(f"{name} uses {used}, taught by {teacher}, which is not a notebook")
            elif order.index(teacher) > order.index(name) and used not in FIRST_TASTE.get(name, ()):
                problems.append(f"{name} uses {used} before {teacher} teaches it")
    return problems


def code_cells(path: Path) -> list[str]:
    return [cell.source for cell in nbformat.read(path, as_version=4).cells if cell.cell_type == "code"]


def test_every_notebook_has_a_row_and_every_row_a_notebook():
    assert [slug(p) for p in NOTEBOOKS] == list(TAUGHT), "TAUGHT lists the notebooks in their order"
    names = [item for items in TAUGHT.values() for item in items]
    assert len(names) == len(set(names)), "a name is taught in one notebook only"


def test_no_notebook_uses_what_a_later_notebook_teaches():
    problems = forward_references([(slug(p), code_cells(p)) for p in NOTEBOOKS])
    assert not problems, "\n".join(problems)


def test_the_first_taste_is_still_a_taste():
    """Each name allowed early is used there, and taught later: the allowance cannot outlive its reason."""
    order = [slug(p) for p in NOTEBOOKS]
    for name, allowed in FIRST_TASTE.items():
        used = eventsim_names(code_cells(NOTEBOOKS[order.index(name)]))
        for item in allowed:
            teacher = next(n for n, items in TAUGHT.items() if item in items)
            assert item in used and order.index(teacher) > order.index(name), (name, item)


def test_a_forward_reference_is_found():
    """Notebook 2 once ran a shop (and so decide) before notebook 3 taught it: the check names that."""
    workbook = [("storing_events", ["from eventsim import InMemoryEventStore, Shop\nstore = InMemoryEventStore()"]),
                ("processing_commands", ["import eventsim as es\nes.decide", "from eventsim import Shop"])]
    assert forward_references(workbook) == ["storing_events uses Shop before processing_commands teaches it"]
    workbook[0][1].append("from eventsim.shop import order\norder.decide")
    assert forward_references(workbook)[0] == "storing_events uses Shop before processing_commands teaches it"
    assert "storing_events uses decide before processing_commands teaches it" in forward_references(workbook)
    assert forward_references([("recap", ["from eventsim import Nonesuch"])]) == [
        "recap uses Nonesuch, which no notebook teaches: add it to TAUGHT"]
