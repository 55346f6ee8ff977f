"""The blind mistake catalogues (tests/mistakes/nbNN.py), run inside the notebooks a learner works in.

People playing learners, who had read the notebooks but neither the checks nor the solutions, wrote for
each exercise the wrong answers they found plausible and right answers in their own spelling. Each runs
in the notebook's own context (its fixture, its names, its store), as tests/mistakes/run_in_notebooks.py
explains. Every wrong answer must be refused with a one-line hint that passes on no Python error text and
no whole state; every right answer must be accepted.
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

MISTAKES = Path(__file__).parent / "mistakes"
CATALOGUES = sorted(MISTAKES.glob("nb[0-9][0-9]*.py"))  # nb06b.py, nb08c.py: notebooks 6b and 8c
CORRECT, WRONG, PENDING = "✅", "❌", "⏳"

# Python's own messages, which never reach a learner.
RAW = re.compile(r"object has no attribute|not iterable|must support iteration|unsupported operand|"
                 r"takes \d+ positional|Traceback|NoneType|OrderState\(|RecordedEvent\(")

#: Wrong answers a check accepts on purpose: the label's start, and why.
ACCEPTED_ON_PURPOSE = {
    "1.3 hard-coded": "1.3 asks for a value computed from the notebook's log; the right numbers are the answer",
    "1.3 counts orders that had each type": "1.3 asks for a value of the notebook's log, where no order has a "
    "type twice: it is the right value there (the method is wrong, and a value cannot show it)",
    "2.2 hard-coded positions": "2.2 asks for a value of the notebook's store; those events are the answer",
    "4.1 the event classes themselves": "a class names its event type as well as its name does",
    "11.3 the expiry carries no amount": "the solution calls the expiry's unused amount optional",
}


def verdicts(catalogue: Path) -> list[dict]:
    done = subprocess.run([sys.executable, str(MISTAKES / "run_in_notebooks.py"), str(catalogue)],
                          capture_output=True, text=True, timeout=900,
                          env={**os.environ, "PYTHONHASHSEED": "0", "EVENTSIM_DB": ""})
    assert done.returncode == 0, done.stderr[-2000:]
    return [json.loads(line) for line in done.stdout.splitlines()]


@pytest.mark.skipif(not hasattr(os, "fork"), reason="the runner forks a child per answer")
@pytest.mark.parametrize("catalogue", CATALOGUES, ids=[c.stem for c in CATALOGUES])
def test_every_blind_mistake_is_refused_and_every_right_answer_accepted(catalogue):
    problems = []
    for v in verdicts(catalogue):
        out, label = v["output"].strip(), v["label"]
        if v["kind"] == "wrong" and out.startswith("(the answer's cell raised"):
            continue  # the learner's own cell stops with eventsim's error, before any check runs
        on_purpose = any(label.startswith(start) for start in ACCEPTED_ON_PURPOSE)
        if v["kind"] == "right" and not out.startswith(CORRECT):
            problems.append(f"right answer refused: {label}\n    {out}")
        elif v["kind"] == "wrong" and out.startswith(CORRECT) != on_purpose:
            problems.append(f"wrong answer {'accepted' if not on_purpose else 'no longer accepted'}: {label}\n    {out}")
        elif v["kind"] == "wrong" and not out.startswith((WRONG, PENDING, CORRECT)):
            problems.append(f"no verdict for: {label}\n    {out}")
        if RAW.search(out) or "THE CHECK CELL RAISED" in out or out.count("\n") or len(out) > 700:
            problems.append(f"a hint that is not one line in the learner's words: {label}\n    {out}")
    assert not problems, "\n".join(problems)


def test_every_exercise_has_at_least_five_blind_mistakes():
    import runpy

    per_exercise: dict[str, int] = {}
    for catalogue in CATALOGUES:
        for _, _, label, _ in runpy.run_path(str(catalogue))["CASES"]:
            per_exercise[label.split()[0]] = per_exercise.get(label.split()[0], 0) + 1
    assert per_exercise and min(per_exercise.values()) >= 5, per_exercise
