"""Run catalogue answers inside a notebook and print each verdict as a JSON line.

usage: python run_in_notebooks.py CATALOGUE.py   (from anywhere; the notebooks are ../../notebooks)

The notebook's code cells before an exercise run once, in this process; each answer then runs in a forked
child (so no answer sees another's side effects), followed by the exercise's check cell, whose printed
line is the verdict. Much faster than a kernel per answer, with the same namespace a learner has.
"""
from __future__ import annotations

import contextlib
import io
import json
import os
import runpy
import select
import signal
import sys
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"


def _in_child(namespace: dict, answer: str, check_cell: str, timeout: float) -> str:
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: run the answer and the check, send back what they printed
        os.close(read)
        out = io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
            try:
                exec(compile(answer, "<answer>", "exec"), namespace)
            except BaseException as error:  # noqa: BLE001 - the learner's cell failed; the check still runs
                print(f"(the answer's cell raised {type(error).__name__}: {error})")
            try:
                exec(compile(check_cell, "<check>", "exec"), namespace)
            except BaseException as error:  # noqa: BLE001
                print(f"THE CHECK CELL RAISED {type(error).__name__}: {error}")
        os.write(write, out.getvalue().encode())
        os._exit(0)
    os.close(write)
    data, deadline = b"", time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([read], [], [], left)[0]:
            os.kill(pid, signal.SIGKILL)
            data += b" TIMED OUT"
            break
        chunk = os.read(read, 65536)
        if not chunk:
            break
        data += chunk
    os.close(read)
    os.waitpid(pid, 0)
    return data.decode(errors="replace")


def main(catalogue: str) -> None:
    rows = runpy.run_path(catalogue)
    answers = [("wrong", *row) for row in rows["CASES"]] + [("right", *row) for row in rows.get("RIGHT", [])]
    notebook = json.loads(next(NOTEBOOKS.glob(answers[0][1])).read_text())
    cells = [("".join(c["source"]), c["cell_type"]) for c in notebook["cells"]]
    planned: dict[int, list] = {}
    for kind, _, check, label, code in answers:
        at = next(i for i, (source, type_) in enumerate(cells) if type_ == "code" and f"{check}(" in source)
        exercise_cell = max(i for i in range(at) if cells[i][1] == "code")
        planned.setdefault(exercise_cell, []).append((kind, check, label, code, cells[at][0]))
    os.chdir(NOTEBOOKS)
    namespace: dict = {"__name__": "__main__"}
    done = 0
    for exercise_cell in sorted(planned):
        for source, type_ in cells[done:exercise_cell]:
            if type_ == "code":
                with contextlib.redirect_stdout(io.StringIO()):
                    exec(compile(source, "<cell>", "exec"), namespace)
        done = exercise_cell
        for kind, check, label, code, check_cell in planned[exercise_cell]:
            output = _in_child(namespace, code, check_cell, timeout=120)
            print(json.dumps({"kind": kind, "check": check, "label": label, "output": output}), flush=True)


if __name__ == "__main__":
    main(sys.argv[1])
