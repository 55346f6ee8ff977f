"""Every exercise in the workbook: learner version and solution.

The stored notebooks are the learner versions; nbval already proves they run
to the end with their exercises unanswered.  Here each notebook is executed
once more with every exercise cell replaced by the solution hidden in the
markdown cell after it, and every check must then report the answer correct.
"""
import re
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from eventsim.workbook.diagrams import lifecycle_mermaid
from eventsim.workbook.exercises import CORRECT, PENDING

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
SOLUTION_CODE = re.compile(r"```python\n(.*?)```", re.S)

pytestmark = pytest.mark.notebooks


def tagged(nb, tag):
    return [i for i, cell in enumerate(nb.cells) if tag in cell.metadata.get("tags", [])]


def exercises_with_solutions(nb):
    """(exercise cell index, check cell index, solution code) for each exercise."""
    solutions = tagged(nb, "solution")
    result = []
    for i in tagged(nb, "exercise"):
        solution = next((s for s in solutions if s > i), None)
        assert solution is not None, f"exercise cell {i} has no solution cell after it"
        code = SOLUTION_CODE.search(nb.cells[solution].source)
        assert code, f"solution cell {solution} has no ```python block"
        result.append((i, i + 1, code.group(1)))
    return result


def check_output(cell):
    return "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")


def test_the_workbook_has_enough_exercises():
    counts = {p.name: len(tagged(nbformat.read(p, as_version=4), "exercise")) for p in NOTEBOOKS}
    recap = counts.pop(NOTEBOOKS[-1].name)  # the closing recap: a glossary, no exercises
    assert "recap" in NOTEBOOKS[-1].name and recap == 0, (NOTEBOOKS[-1].name, recap)
    assert sum(counts.values()) >= 15, counts
    # Notebook 11 has one exercise per design lesson of issue 14 (five); the others stay at 2-4.
    assert all(2 <= n <= 5 for n in counts.values()), f"each notebook needs 2-5 exercises: {counts}"


def test_the_lifecycle_diagram_in_notebook_1_is_the_one_the_rules_draw():
    nb = nbformat.read(ROOT / "notebooks" / "01_generating_events.ipynb", as_version=4)
    drawn = [cell.source for cell in nb.cells if "```mermaid\nstateDiagram" in cell.source]
    assert len(drawn) == 1, "notebook 1 should show one lifecycle diagram"
    assert f"```mermaid\n{lifecycle_mermaid()}\n```" in drawn[0], (
        "notebook 1's lifecycle diagram differs from eventsim.workbook.diagrams.lifecycle_mermaid(): paste the new one")


def test_the_recap_glossary_covers_every_notebook_before_it():
    recap = nbformat.read(NOTEBOOKS[-1], as_version=4)
    glossary = next(cell.source for cell in recap.cells if cell.source.startswith("## Glossary"))
    rows = [row for row in glossary.splitlines() if row.startswith("| **")]
    met_in = {n for row in rows for n in re.findall(r"\d+[a-z]?", row.rstrip(" |").rsplit("|", 1)[-1])}
    before = {path.name.split("_")[0].lstrip("0") or "0" for path in NOTEBOOKS[:-1]}  # 01b_... -> 1b, 08c_... -> 8c
    assert met_in == before, f"the glossary's 'met in' column cites notebooks {sorted(met_in)}, not {sorted(before)}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_stored_learner_version_reports_not_answered_yet(path):
    nb = nbformat.read(path, as_version=4)
    for _, check, _ in exercises_with_solutions(nb):
        assert check_output(nb.cells[check]).startswith(PENDING), (
            f"{path.name} cell {check}: an unanswered exercise should report 'not answered yet'")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_every_solution_passes_its_check(path, monkeypatch):
    monkeypatch.setenv("PYTHONHASHSEED", "0")
    nb = nbformat.read(path, as_version=4)
    exercises = exercises_with_solutions(nb)
    for exercise, _, code in exercises:
        nb.cells[exercise].source = code
    NotebookClient(nb, timeout=300, resources={"metadata": {"path": str(path.parent)}}).execute()
    for exercise, check, _ in exercises:
        output = check_output(nb.cells[check])
        assert output.startswith(CORRECT), f"{path.name}: the solution of cell {exercise} fails its check: {output}"
