"""Every notebook reads without a kernel: where a diagram or a panel stands, its stored output is a picture.

GitHub and nbviewer show a saved notebook as nbconvert renders it: no kernel, no widgets, no Mermaid inside
an ``.ipynb``.  This test renders each notebook to HTML as they do (nbconvert, no execution) and checks, cell
by cell, that:

- every cell that shows a panel (``eventsim.workbook.widgets``), a chart (``eventsim.workbook.charts``) or a diagram
  (``eventsim.workbook.diagrams``) has a stored ``<img>`` with alt text, and a panel's picture a caption;
- every Mermaid diagram has such a picture in one of the two cells after it;
- no stored picture anywhere lacks alt text.
"""
import ast
import html
import re
from pathlib import Path

import nbformat
import pytest
from nbconvert import HTMLExporter

from eventsim.workbook import charts, diagrams, widgets

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
PICTURE_MAKERS = set(widgets.__all__) | set(charts.__all__) | set(diagrams.__all__)
IMAGE = re.compile(r"<img\b[^>]*>")
NO_ALT = "No description has been provided for this image"  # what nbconvert writes for a bare PNG

pytestmark = pytest.mark.notebooks


def shown_call(source: str) -> str | None:
    """The eventsim name called by a cell's last expression (what the cell shows), or None."""
    try:
        body = ast.parse(source).body
    except SyntaxError:
        return None
    if not body or not isinstance(body[-1], ast.Expr) or not isinstance(body[-1].value, ast.Call):
        return None
    function = body[-1].value.func
    name = function.id if isinstance(function, ast.Name) else getattr(function, "attr", None)
    return name if name in PICTURE_MAKERS else None


def cells_as_html(path: Path) -> tuple[list, dict[str, str]]:
    """The notebook's cells, and the HTML nbconvert renders for each (by cell id), from stored outputs only."""
    notebook = nbformat.read(path, as_version=4)
    body, _ = HTMLExporter().from_notebook_node(notebook)
    parts = re.split(r'id="cell-id=([^"]+)"', body)
    return notebook.cells, dict(zip(parts[1::2], parts[2::2]))


def pictures(fragment: str) -> list[tuple[str, str]]:
    """(src start, alt) of each image in a cell's rendered HTML."""
    found = []
    for tag in IMAGE.findall(fragment):
        src = re.search(r"""src=["']([^"']{0,40})""", tag)
        alt = re.search(r"""alt=(?:"([^"]*)"|'([^']*)')""", tag)
        found.append((src.group(1) if src else "", html.unescape(alt.group(1) or alt.group(2) or "") if alt else ""))
    return found


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_a_reader_without_a_kernel_sees_a_picture_wherever_a_diagram_or_a_panel_stands(path):
    cells, rendered = cells_as_html(path)
    problems = []
    for index, cell in enumerate(cells):
        where = f"{path.stem} cell {index}"
        fragment = rendered.get(cell.get("id", ""), "")
        if not fragment:
            problems.append(f"{where}: nbconvert rendered no cell with id {cell.get('id')!r}")
            continue
        for src, alt in pictures(fragment):
            if src.startswith("data:image") and alt.strip() in ("", NO_ALT):
                problems.append(f"{where}: a stored picture without alt text")
        if cell.cell_type == "code" and (name := shown_call(cell.source)):
            stored = [alt for src, alt in pictures(fragment) if src.startswith("data:image/png;base64,")]
            if not stored:
                problems.append(f"{where}: {name}(...) has no stored picture")
            elif name in widgets.__all__ and "Snapshot of the" not in fragment:
                problems.append(f"{where}: the picture of {name} has no caption")
        if cell.cell_type == "markdown" and "```mermaid" in cell.source:
            after = [rendered.get(c.get("id", ""), "") for c in cells[index + 1:index + 3] if c.cell_type == "code"]
            if not any(src.startswith("data:image/png") for fragment in after for src, _ in pictures(fragment)):
                problems.append(f"{where}: a Mermaid diagram with no stored picture in the two cells after it")
    assert not problems, "\n".join(problems)


def test_the_check_finds_a_panel_or_a_diagram_without_its_picture(tmp_path):
    """Negative control: the same notebook with one picture's output removed fails."""
    notebook = nbformat.read(ROOT / "notebooks" / "02_storing_events.ipynb", as_version=4)
    shown = [cell for cell in notebook.cells if cell.cell_type == "code" and shown_call(cell.source)]
    assert shown, "notebook 2 shows a panel and a diagram"
    shown[0].outputs = []
    broken = tmp_path / "02_storing_events.ipynb"
    nbformat.write(notebook, broken)
    with pytest.raises(AssertionError, match="has no stored picture"):
        test_a_reader_without_a_kernel_sees_a_picture_wherever_a_diagram_or_a_panel_stands(broken)
