"""Learner answers for notebook 1b (modelling events).

Not written blind: the engineer who wrote the check wrote these too, from the mistakes the notebook's prose
invites (a webhook "records an event" so it looks like a state change; a timer looks like an outside system).
"""

NB = "01b_*.ipynb"

_KEYS = [
    "a customer presses 'Place order' and the order is recorded",
    "the clerk's screen lists the paid orders waiting to ship",
    "each requested refund is paid out by the refund process, with nobody pressing a button",
    "the payment provider's webhook 'payout.succeeded' becomes our ConfirmRefund",
    "the finance team's daily revenue report",
    "a clerk marks a paid order as shipped",
    "an order still unpaid after 24 hours is cancelled by a scheduled job",
    "the bank's statement line for a customer's transfer becomes PayOrder",
]
_RIGHT = ["STATE_CHANGE", "STATE_VIEW", "AUTOMATION", "TRANSLATION", "STATE_VIEW", "STATE_CHANGE", "AUTOMATION",
          "TRANSLATION"]


def _answers(*values):
    body = "".join(f"    {k!r}: {v},\n" for k, v in zip(_KEYS, values))
    return f"answers = {{\n{body}}}\n"


def _with(**changes):
    values = list(_RIGHT)
    for index, value in changes.items():
        values[int(index[1:])] = value
    return _answers(*values)


CASES = [
    (NB, "check_patterns", "1b.1 the webhook records an event, so it is a state change",
     _with(i3="STATE_CHANGE")),
    (NB, "check_patterns", "1b.1 the scheduled job is 'the clock, an outside system': a translation",
     _with(i6="TRANSLATION")),
    (NB, "check_patterns", "1b.1 the bank statement starts a process: an automation",
     _with(i7="AUTOMATION")),
    (NB, "check_patterns", "1b.1 the clerk's list is where shipping starts: a state change",
     _with(i1="STATE_CHANGE")),
    (NB, "check_patterns", "1b.1 the revenue report is 'the finance team's screen': a state change",
     _with(i4="STATE_CHANGE")),
    (NB, "check_patterns", "1b.1 marking as shipped happens on a screen: a state view",
     _with(i5="STATE_VIEW")),
    (NB, "check_patterns", "1b.1 automation and translation swapped everywhere",
     _answers("STATE_CHANGE", "STATE_VIEW", "TRANSLATION", "AUTOMATION", "STATE_VIEW", "STATE_CHANGE",
              "TRANSLATION", "AUTOMATION")),
    (NB, "check_patterns", "1b.1 everything changes state",
     _answers(*["STATE_CHANGE"] * 8)),
    (NB, "check_patterns", "1b.1 the pattern names as quoted strings",
     _answers(*[f"'{v}'" for v in _RIGHT])),
    (NB, "check_patterns", "1b.1 a slice left out",
     "answers = {\n" + "".join(f"    {k!r}: {v},\n" for k, v in list(zip(_KEYS, _RIGHT))[:7]) + "}\n"),
]

CASES += [
    (NB, "check_paid_fields", "1b.2 the order id is 'in the stream name already'",
     'paid_fields = {"amount", "currency"}\n'),
    (NB, "check_paid_fields", "1b.2 the amount without its currency",
     'paid_fields = {"orderId", "amount"}\n'),
    (NB, "check_paid_fields", "1b.2 the customer's e-mail, so finance can send a receipt",
     'paid_fields = {"orderId", "amount", "currency", "customerEmail"}\n'),
    (NB, "check_paid_fields", "1b.2 the new status, so readers need not work it out",
     'paid_fields = {"orderId", "amount", "currency", "status"}\n'),
    (NB, "check_paid_fields", "1b.2 everything offered ('more is safer')",
     'paid_fields = set(PAID_FIELDS)\n'),
    (NB, "check_paid_fields", "1b.2 a running total for the report",
     'paid_fields = {"orderId", "totalPaidSoFar", "currency"}\n'),
    (NB, "check_paid_fields", "1b.2 snake_case names",
     'paid_fields = {"order_id", "amount", "currency"}\n'),
    (NB, "check_paid_fields", "1b.2 one string instead of a set",
     'paid_fields = "orderId, amount, currency"\n'),
]

RIGHT = [
    (NB, "check_patterns", "1b.1 right: the solution", _answers(*_RIGHT)),
    (NB, "check_patterns", "1b.1 right: built with dict(zip(...))",
     f"keys = {_KEYS!r}\n"
     "answers = dict(zip(keys, [STATE_CHANGE, STATE_VIEW, AUTOMATION, TRANSLATION, STATE_VIEW, STATE_CHANGE,\n"
     "                          AUTOMATION, TRANSLATION]))\n"),
    (NB, "check_paid_fields", "1b.2 right: the three, as a list", 'paid_fields = ["orderId", "amount", "currency"]\n'),
    (NB, "check_paid_fields", "1b.2 right: with the payment reference",
     'paid_fields = {"orderId", "amount", "currency", "paymentReference"}\n'),
]
