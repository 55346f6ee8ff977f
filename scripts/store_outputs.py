"""Re-execute notebooks in place and store normalised outputs.

Run through `python3 dev.py outputs [NOTEBOOK ...]`: the notebooks named, or every notebooks/*.ipynb. Each notebook is executed top to bottom
with nbclient (cwd notebooks/, PYTHONHASHSEED=0 in the kernel, no timing
metadata), then normalised as `nbstripout --keep-output --keep-count` would:
outputs and execution counts stay, widget state and timing metadata go.
tests/test_notebooks_stored.py checks the result.
"""
import os
import subprocess
import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"


def coalesced(outputs):
    """Join consecutive stream outputs of the same name: where a print is split depends on timing."""
    joined = []
    for output in outputs:
        if (output.output_type == "stream" and joined and joined[-1].output_type == "stream"
                and joined[-1].name == output.name):
            joined[-1].text += output.text
        else:
            joined.append(output)
    return joined


def main(args):
    paths = [Path(arg).resolve() for arg in args] or sorted(NOTEBOOKS.glob("*.ipynb"))
    missing = [str(p) for p in paths if not p.is_file()]
    if missing:
        sys.exit(f"no such notebook: {', '.join(missing)}")
    if not paths:
        sys.exit(f"no notebooks in {NOTEBOOKS}")
    os.environ["PYTHONHASHSEED"] = "0"  # inherited by the kernels started below
    for path in paths:
        print(f"executing {path.relative_to(ROOT)}", flush=True)
        nb = nbformat.read(path, as_version=4)
        NotebookClient(nb, timeout=600, record_timing=False,
                       resources={"metadata": {"path": str(NOTEBOOKS)}}).execute()
        for cell in nb.cells:
            if cell.cell_type == "code":
                cell.outputs = coalesced(cell.outputs)
        nbformat.write(nb, path)
    subprocess.run([sys.executable, "-m", "nbstripout", "--keep-output", "--keep-count",
                    *map(str, paths)], check=True)
    print(f"stored outputs of {len(paths)} notebook(s)")


if __name__ == "__main__":
    main(sys.argv[1:])
