"""Restart & Run All, twice in a row: every notebook runs here once, in a fresh kernel from
notebooks/ as a learner's Jupyter would, and then again under nbval (notebooks/ is collected
after tests/).  A notebook that leaves a file, a server or a database behind that its next run
trips over fails one of the two; this run also fails on any error a cell raises."""
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("[0-9][0-9]*_*.ipynb"))  # 08c_... too


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_a_notebook_runs_from_the_top_and_leaves_nothing_its_next_run_trips_over(path, monkeypatch):
    monkeypatch.setenv("PYTHONHASHSEED", "0")  # the kernel inherits it, as under nbval
    before = set(path.parent.iterdir())
    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=600, resources={"metadata": {"path": str(path.parent)}}).execute()
    errors = [output for cell in nb.cells for output in cell.get("outputs", []) if output.output_type == "error"]
    assert not errors, errors[0].get("ename")
    left = {p.name for p in set(path.parent.iterdir()) - before if not p.name.startswith(".")}
    assert not left, f"{path.name} left {sorted(left)} in notebooks/"
