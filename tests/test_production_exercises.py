"""Notebook 10b's exercise checks (projections in production), fed the mistakes a learner is likely to make."""
from __future__ import annotations

import pytest

from eventsim.workbook import exercises as ex
from test_exercise_mistakes import assert_correct, assert_pending, assert_wrong

# --- 10b.1 safe to replay? ---------------------------------------------------------------------

SAFE_ANSWERS = {what: safe for what, (safe, _) in ex._PROJECTIONS.items()}


def test_replay_safe_solution_and_placeholder(capsys):
    assert_correct(capsys, ex.check_replay_safe, SAFE_ANSWERS)
    assert_pending(capsys, ex.check_replay_safe, {what: ... for what in SAFE_ANSWERS})


@pytest.mark.parametrize("what, concept", [
    ("sends the customer a thank-you e-mail on OrderPaid", "once per rebuild"),
    ("marks an order overdue when it was placed more than 7 days before the clock's time now", "'now'"),
    ("gives each row a new random id (uuid4)", "random"),
    ("converts each amount to dollars at the rate a web service gives when the event is applied", "web service"),
    ("keeps each order's placing time from its event's recorded time", "reads only the event"),
])
def test_replay_safe_each_slip_gets_the_hint_of_its_kind_without_naming_it(capsys, what, concept):
    flipped = ex.UNSAFE if SAFE_ANSWERS[what] == ex.SAFE else ex.SAFE
    assert_wrong(capsys, ex.check_replay_safe, {**SAFE_ANSWERS, what: flipped}, concept=concept, never=(what,))


def test_replay_safe_words_outside_the_two_are_refused(capsys):
    assert_wrong(capsys, ex.check_replay_safe, {**SAFE_ANSWERS, "gives each row a new random id (uuid4)": "no"},
                 concept="SAFE or UNSAFE")


# --- 10b.2 hand over to live delivery ------------------------------------------------------------

def solution(recorded, checkpoint, read_log, handle):
    if recorded.position <= checkpoint:
        return checkpoint
    for event in read_log(checkpoint + 1):
        if event.position > recorded.position:
            break
        handle(event)
        checkpoint = event.position
    return checkpoint


def hands_on_everything(recorded, checkpoint, read_log, handle):
    handle(recorded)
    return recorded.position


def trusts_the_feed(recorded, checkpoint, read_log, handle):
    if recorded.position <= checkpoint:
        return checkpoint
    handle(recorded)
    return recorded.position


def counts_positions(recorded, checkpoint, read_log, handle):
    if recorded.position <= checkpoint:
        return checkpoint
    log = read_log(checkpoint + 1)
    for i in range(recorded.position - checkpoint):
        handle(log[i])
    return recorded.position


def handles_the_pushed_one_twice(recorded, checkpoint, read_log, handle):
    if recorded.position <= checkpoint:
        return checkpoint
    for event in read_log(checkpoint + 1):
        if event.position > recorded.position:
            break
        handle(event)
    handle(recorded)
    return recorded.position


def returns_nothing(recorded, checkpoint, read_log, handle):
    solution(recorded, checkpoint, read_log, handle)


def test_on_live_solution_and_placeholder(capsys):
    assert_correct(capsys, ex.check_on_live, solution)
    assert_pending(capsys, ex.check_on_live, lambda recorded, checkpoint, read_log, handle: ...)


@pytest.mark.parametrize("answer, concept", [
    (hands_on_everything, "drop it"),
    (trusts_the_feed, "read them from the log first"),
    (counts_positions, "never count positions"),
    (handles_the_pushed_one_twice, "twice"),
    (returns_nothing, "return the new checkpoint"),
])
def test_on_live_mistakes_are_refused(capsys, answer, concept):
    assert_wrong(capsys, ex.check_on_live, answer, concept=concept)
