"""The layout shows the design: the engine names no domain, the shop depends on the engine only,
and the learning aids sit at the edge, where nothing in the engine or the shop depends on them.

Failed before the shop's rooms moved into ``eventsim/shop/``: ``eventsim/snapshots.py`` imported the
order domain (``ORDERS`` as a default) and ``eventsim/upcasting.py`` held the shop's ``add_currency``.
"""
import ast
import re
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "eventsim"
ENGINE = sorted(p for p in PACKAGE.glob("*.py") if p.name not in {"__init__.py", "__main__.py", "cli.py"})
ENGINE += sorted((PACKAGE / "stores").glob("*.py"))
SHOP = sorted((PACKAGE / "shop").glob("*.py"))
#: Words of the shop's domain, which the engine's code (not its docstrings' examples) never uses.
SHOP_WORDS = {"order", "orders", "refund", "refunds", "shop", "payment"}


def imported(path: Path) -> set[str]:
    """Every eventsim module ``path`` imports, as a dotted name."""
    here = ["eventsim", *path.relative_to(PACKAGE).with_suffix("").parts]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = here[: len(here) - node.level] if path.name != "__init__.py" else here[: len(here) - node.level]
                module = ".".join([*base, *(node.module.split(".") if node.module else [])])
            else:
                module = node.module or ""
            found |= {f"{module}.{alias.name}" for alias in node.names} | {module}
        elif isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
    return {name for name in found if name.startswith("eventsim")}


def names_in_code(path: Path) -> set[str]:
    """The words of ``path``'s identifiers, and the shop's event names in its strings (``"OrderCreated"``);
    docstrings and prose in messages (an SQL ``ORDER BY``, "in order") are left out."""
    tree = ast.parse(path.read_text())
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and node.body and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant)
    }
    words = set()
    for node in ast.walk(tree):
        text = None
        if isinstance(node, ast.Name):
            text = node.id
        elif isinstance(node, ast.Attribute):
            text = node.attr
        elif isinstance(node, ast.arg):
            text = node.arg
        elif isinstance(node, ast.FunctionDef | ast.ClassDef):
            text = node.name
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
            code = re.sub(r"--[^\n]*", "", node.value)  # an SQL comment is prose: its example may be an order's
            text = " ".join(re.findall(r"\b(?:Order|Refund|Shop|order(?=Id))\w*", code))
        if text:
            spaced = re.sub(r"([a-z])([A-Z])", r"\1 \2", text).replace("_", " ")
            words |= {word.lower() for word in "".join(c if c.isalnum() else " " for c in spaced).split()}
    return words


@pytest.mark.parametrize("path", ENGINE, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_the_engine_imports_neither_a_domain_nor_the_workbook(path):
    outside = {name for name in imported(path) if name.startswith(("eventsim.shop", "eventsim.workbook"))}
    assert not outside, f"{path.name} imports {sorted(outside)}"


@pytest.mark.parametrize("path", ENGINE, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_the_engines_code_names_no_order(path):
    assert not names_in_code(path) & SHOP_WORDS, f"{path.name} names {sorted(names_in_code(path) & SHOP_WORDS)}"


@pytest.mark.parametrize("path", SHOP, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_the_shop_depends_on_the_engine_never_on_the_workbook_or_an_entry_point(path):
    outside = {name for name in imported(path) if name.startswith(("eventsim.workbook", "eventsim.http", "eventsim.cli"))}
    assert not outside, f"{path.name} imports {sorted(outside)}"


def test_the_checks_find_what_they_look_for(tmp_path):
    """Each check can fail: an engine module that imports the shop and names an order is caught."""
    sneaky = PACKAGE / "_sneaky_test_module.py"
    assert not sneaky.exists()
    sneaky.write_text('from .shop.order import ORDERS\n\ndef load(order_id):\n    """An order."""\n    return ORDERS\n')
    try:
        assert "eventsim.shop.order.ORDERS" in imported(sneaky)
        assert {"order", "orders"} <= names_in_code(sneaky)
    finally:
        sneaky.unlink()
