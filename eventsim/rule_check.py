"""Check a log against today's rules: which lines would a domain's rules refuse now?

This is not how a log is loaded.  Events are facts: a copy records them as
they are (``eventsim.copying``), and rebuilding state folds them with
``evolve``, which never refuses one.  But a log from elsewhere (a hand-written
seed, another system, last year's code) may hold events that today's rules
would not decide: an order shipped unpaid under last year's cash-on-delivery
rules, a refund above a limit introduced since.  ``check_log`` says where.

Each append of the log (the lines one command recorded in one stream) is
taken back to the command that would record it (the domain's
``command_for(event, state)``, e.g. ``OrderPaid`` <- ``PayOrder``) and decided
against the state folded from the lines before it.  Where the rules refuse,
or decide other events, the line is reported; then the log's own events are
folded, as recorded, and the check goes on, so every such line is named, not
just the first.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, fields
from typing import Any

from .copying import Line, appends
from .domain import Domain
from .registry import event_type_name

__all__ = ["RuleViolation", "check_log"]

#: The command that would record an event, given the state before it.
CommandFor = Callable[[Any, Any], Any]


@dataclass(frozen=True, slots=True)
class RuleViolation:
    """A line that today's rules would not record: which line, which event, and why."""

    line: int
    event_type: str
    problem: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.event_type}: {self.problem}"


def _matches(line: Any, decided: Any) -> str | None:
    """Why the event the rules recorded is not the line's event, or ``None`` if it is
    (a field the line leaves out takes what the rules give it)."""
    if type(line) is not type(decided):
        return f"the rules record {event_type_name(decided)} here"
    for f in fields(line):
        given = getattr(line, f.name)
        if given is not None and given != getattr(decided, f.name):
            return f"the rules record {f.name} {getattr(decided, f.name)}, the line has {given}"
    return None


def _verdict(group: list[Line], state: Any, domain: Domain, command_for: CommandFor) -> RuleViolation | None:
    """Why today's rules would not record these lines in ``state``, or ``None`` if they would."""
    last = group[-1]
    event = last.logged.event
    try:
        decided = list(domain.decide(command_for(event, state), state))
    except Exception as refused:  # noqa: BLE001 -- whatever decide raises is its refusal, reported with its words
        return RuleViolation(last.number, event_type_name(event), str(refused))
    if len(decided) != len(group):
        names = " and ".join(event_type_name(e) for e in decided) or "nothing"
        return RuleViolation(
            last.number, event_type_name(event), f"the rules would record {names} here, not these {len(group)} line(s)"
        )
    for line, expected in zip(group, decided):
        if line.logged.event != expected:
            problem = _matches(line.logged.event, expected)
            if problem:
                return RuleViolation(line.number, event_type_name(line.logged.event), problem)
    return None


def check_log(log: Iterable[Any], domain: Domain, command_for: CommandFor) -> list[RuleViolation]:
    """Every line of ``log`` that ``domain``'s rules would refuse today, in order; an empty list if none.

    ``log`` is what ``read_jsonl`` or ``iter_jsonl`` gives (or a store's ``read_all()``).
    ``command_for(event, state)`` is the command that would record ``event`` in ``state``.  A line
    that no store could record as it stands raises ``LogError`` (``eventsim.copying``).
    """
    states: dict[str, Any] = {}
    violations = []
    for group in appends(log):
        state = states.get(group[0].stream_id, domain.initial_state)
        violation = _verdict(group, state, domain, command_for)
        if violation is not None:
            violations.append(violation)
        state = domain.fold((line.logged.event for line in group), state)  # facts, whatever the verdict
        states[group[0].stream_id] = state
    return violations
