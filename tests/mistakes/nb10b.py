"""Learner answers for notebook 10b (projections in production).

Not written blind: the engineer who wrote the checks wrote these too, from the mistakes the notebook's prose
invites (a projection that reads the event's own time looks like one that reads the clock; a live event is
trusted to be the next one).
"""

NB = "10b_*.ipynb"

_KEYS = [
    "counts the orders in each status",
    "sends the customer a thank-you e-mail on OrderPaid",
    "marks an order overdue when it was placed more than 7 days before the clock's time now",
    "converts each amount to dollars at the rate a web service gives when the event is applied",
    "gives each row a new random id (uuid4)",
    "gives each row the id of the event that created it",
    "keeps each order's placing time from its event's recorded time",
    "adds each paid amount to its customer's total",
]
_RIGHT = ["SAFE", "UNSAFE", "UNSAFE", "UNSAFE", "UNSAFE", "SAFE", "SAFE", "SAFE"]


def _replay(*values):
    return "replay = {\n" + "".join(f"    {k!r}: {v},\n" for k, v in zip(_KEYS, values)) + "}\n"


def _flip(index):
    values = list(_RIGHT)
    values[index] = "SAFE" if values[index] == "UNSAFE" else "UNSAFE"
    return _replay(*values)


_GOOD_ON_LIVE = (
    "def on_live(recorded, checkpoint, read_log, handle):\n"
    "    if recorded.position <= checkpoint:\n"
    "        return checkpoint\n"
    "    for event in read_log(checkpoint + 1):\n"
    "        if event.position > recorded.position:\n"
    "            break\n"
    "        handle(event)\n"
    "        checkpoint = event.position\n"
    "    return checkpoint\n"
)

CASES = [
    (NB, "check_replay_safe", "10b.1 the e-mail is 'only a notification', so safe", _flip(1)),
    (NB, "check_replay_safe", "10b.1 the recorded time is 'a time', so unsafe like the clock", _flip(6)),
    (NB, "check_replay_safe", "10b.1 the exchange rate is 'reference data', so safe", _flip(3)),
    (NB, "check_replay_safe", "10b.1 a uuid4 is 'just an id', so safe", _flip(4)),
    (NB, "check_replay_safe", "10b.1 the clock's 'now' is fine for a report", _flip(2)),
    (NB, "check_replay_safe", "10b.1 everything unsafe ('replays are dangerous')", _replay(*["UNSAFE"] * 8)),
    (NB, "check_replay_safe", "10b.1 quoted names", _replay(*[f"'{v}'" for v in _RIGHT])),

    (NB, "check_on_live", "10b.2 hands on every pushed event (no check against the checkpoint)",
     "def on_live(recorded, checkpoint, read_log, handle):\n"
     "    handle(recorded)\n"
     "    return recorded.position\n"),
    (NB, "check_on_live", "10b.2 trusts the feed: drops repeats, never reads the log",
     "def on_live(recorded, checkpoint, read_log, handle):\n"
     "    if recorded.position > checkpoint:\n"
     "        handle(recorded)\n"
     "        return recorded.position\n"
     "    return checkpoint\n"),
    (NB, "check_on_live", "10b.2 counts positions from the checkpoint (no gaps in positions assumed)",
     "def on_live(recorded, checkpoint, read_log, handle):\n"
     "    if recorded.position <= checkpoint:\n"
     "        return checkpoint\n"
     "    missed = read_log(checkpoint + 1)[:recorded.position - checkpoint]\n"
     "    for event in missed:\n"
     "        handle(event)\n"
     "    return recorded.position\n"),
    (NB, "check_on_live", "10b.2 reads the whole log from the start on every push",
     "def on_live(recorded, checkpoint, read_log, handle):\n"
     "    for event in read_log(1):\n"
     "        if event.position <= recorded.position:\n"
     "            handle(event)\n"
     "    return recorded.position\n"),
    (NB, "check_on_live", "10b.2 forgets to return the checkpoint",
     "def on_live(recorded, checkpoint, read_log, handle):\n"
     "    if recorded.position > checkpoint:\n"
     "        for event in read_log(checkpoint + 1):\n"
     "            if event.position <= recorded.position:\n"
     "                handle(event)\n"),
]

RIGHT = [
    (NB, "check_replay_safe", "10b.1 right: the solution", _replay(*_RIGHT)),
    (NB, "check_on_live", "10b.2 right: the solution", _GOOD_ON_LIVE),
    (NB, "check_on_live", "10b.2 right: a comprehension of what lies between, then one loop",
     "def on_live(recorded, checkpoint, read_log, handle):\n"
     "    between = [e for e in read_log(checkpoint + 1) if e.position <= recorded.position]\n"
     "    for event in between:\n"
     "        handle(event)\n"
     "    return between[-1].position if between else checkpoint\n"),
    (NB, "check_on_live", "10b.2 right: what lies before the pushed event from the log, then the pushed event",
     "def on_live(recorded, checkpoint, read_log, handle):\n"
     "    if recorded.position <= checkpoint:\n"
     "        return checkpoint\n"
     "    for event in read_log(checkpoint + 1):\n"
     "        if event.position < recorded.position:\n"
     "            handle(event)\n"
     "    handle(recorded)\n"
     "    return recorded.position\n"),
]
