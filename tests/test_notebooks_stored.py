"""Guard: notebooks are committed executed and normalised.

nbval compares against stored outputs, so a notebook committed without outputs
would pass while testing nothing. `python3 dev.py outputs` regenerates them.
"""
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
TIMING_KEYS = {"execution", "ExecuteTime"}

pytestmark = pytest.mark.notebooks


def test_there_are_notebooks():
    assert NOTEBOOKS, "notebooks/ has no .ipynb files: nbval would pass vacuously"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_outputs_are_stored_in_order(path):
    nb = json.loads(path.read_text())
    code = [c for c in nb["cells"] if c["cell_type"] == "code" and "".join(c["source"]).strip()]
    counts = [c.get("execution_count") for c in code]
    assert code, f"{path.name} has no code cells"
    assert counts == list(range(1, len(code) + 1)), (
        f"{path.name}: execution counts {counts}, expected 1..{len(code)} "
        "(run `python3 dev.py outputs`)")
    assert any(c.get("outputs") for c in code), f"{path.name}: no stored outputs"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_no_widget_state_or_timing_metadata(path):
    nb = json.loads(path.read_text())
    assert "widgets" not in nb.get("metadata", {}), f"{path.name}: metadata.widgets is stored"
    for i, cell in enumerate(nb["cells"]):
        found = TIMING_KEYS & cell.get("metadata", {}).keys()
        assert not found, f"{path.name} cell {i}: timing metadata {sorted(found)}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_nbstripout_verify_passes(path):
    run = subprocess.run([sys.executable, "-m", "nbstripout", "--keep-output", "--keep-count",
                          "--verify", str(path)], capture_output=True, text=True)
    assert run.returncode == 0, (
        f"{path.name} is not normalised (run `python3 dev.py outputs`):\n{run.stdout}{run.stderr}")
