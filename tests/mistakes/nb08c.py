"""Learner answers for notebook 08c (partitions and public events): exercise 8c.1.

Not written blind: the author of the check wrote them, from the mistakes the notebook warns of (a checkpoint
of offsets, one checkpoint for all partitions, a dedup by what a message says, the last message wins, floats).
"""

NB = "08c_*.ipynb"

_ADD = ('    if event["type"] == "order.refunded":\n'
        '        state["refunded"][event["orderId"]] = state["refunded"].get(event["orderId"], Decimal(0)) '
        '+ Decimal(event["amount"])\n')
_LATEST_BY_SEQUENCE = ('    newest = state.setdefault("sequence", {})\n'
                       '    if event["sequence"] > newest.get(event["orderId"], 0):\n'
                       '        newest[event["orderId"]] = event["sequence"]\n'
                       '        state["latest"][event["orderId"]] = event["type"]\n'
                       '    return state\n')

CASES = [
    (NB, "check_public_consumer", "8c.1 no inbox at all: every delivery counts",
     "def receive(state, message):\n    event = message.value\n" + _ADD + _LATEST_BY_SEQUENCE),
    (NB, "check_public_consumer", "8c.1 notebook 5's checkpoint, with offsets: one number for all partitions",
     "def receive(state, message):\n    event = message.value\n"
     "    if message.offset <= state.get('checkpoint', -1):\n        return state\n"
     "    state['checkpoint'] = message.offset\n" + _ADD + _LATEST_BY_SEQUENCE),
    (NB, "check_public_consumer", "8c.1 a checkpoint per partition (right for redelivery, not for the relay's copies)",
     "def receive(state, message):\n    event = message.value\n    done = state.setdefault('committed', {})\n"
     "    if message.offset < done.get(message.partition, 0):\n        return state\n"
     "    done[message.partition] = message.offset + 1\n" + _ADD + _LATEST_BY_SEQUENCE),
    (NB, "check_public_consumer", "8c.1 inbox of (partition, offset): the relay's second copy has a new offset",
     "def receive(state, message):\n    event = message.value\n    seen = state.setdefault('seen', set())\n"
     "    if (message.partition, message.offset) in seen:\n        return state\n"
     "    seen.add((message.partition, message.offset))\n" + _ADD + _LATEST_BY_SEQUENCE),
    (NB, "check_public_consumer", "8c.1 inbox of offsets only",
     "def receive(state, message):\n    event = message.value\n    seen = state.setdefault('seen', set())\n"
     "    if message.offset in seen:\n        return state\n    seen.add(message.offset)\n" + _ADD + _LATEST_BY_SEQUENCE),
    (NB, "check_public_consumer", "8c.1 dedup by what the message says (two equal refunds look like one)",
     "def receive(state, message):\n    event = message.value\n    seen = state.setdefault('seen', set())\n"
     "    key = (event['orderId'], event['type'], event.get('amount'))\n"
     "    if key in seen:\n        return state\n    seen.add(key)\n" + _ADD + _LATEST_BY_SEQUENCE),
    (NB, "check_public_consumer", "8c.1 inbox right, but the last message delivered wins",
     "def receive(state, message):\n    event = message.value\n    inbox = state.setdefault('inbox', set())\n"
     "    if event['messageId'] in inbox:\n        return state\n    inbox.add(event['messageId'])\n" + _ADD
     + "    state['latest'][event['orderId']] = event['type']\n    return state\n"),
    (NB, "check_public_consumer", "8c.1 the inbox kept outside the state, shared by every delivery",
     "INBOX = set()\n\n\ndef receive(state, message):\n    event = message.value\n"
     "    if event['messageId'] in INBOX:\n        return state\n    INBOX.add(event['messageId'])\n"
     + _ADD + _LATEST_BY_SEQUENCE),
    (NB, "check_public_consumer", "8c.1 amounts added as floats",
     "def receive(state, message):\n    event = message.value\n    inbox = state.setdefault('inbox', set())\n"
     "    if event['messageId'] in inbox:\n        return state\n    inbox.add(event['messageId'])\n"
     "    if event['type'] == 'order.refunded':\n"
     "        state['refunded'][event['orderId']] = state['refunded'].get(event['orderId'], 0) + float(event['amount'])\n"
     + _LATEST_BY_SEQUENCE),
    (NB, "check_public_consumer", "8c.1 forgets to return the state",
     "def receive(state, message):\n    event = message.value\n    inbox = state.setdefault('inbox', set())\n"
     "    if event['messageId'] not in inbox:\n        inbox.add(event['messageId'])\n"
     "        if event['type'] == 'order.refunded':\n"
     "            state['refunded'][event['orderId']] = state['refunded'].get(event['orderId'], Decimal(0)) "
     "+ Decimal(event['amount'])\n"),
]

RIGHT = [
    (NB, "check_public_consumer", "8c.1 right: the notebook's solution",
     "def receive(state, message):\n    event = message.value\n    inbox = state.setdefault('inbox', set())\n"
     "    if event['messageId'] in inbox:\n        return state\n    inbox.add(event['messageId'])\n"
     + _ADD + _LATEST_BY_SEQUENCE),
    (NB, "check_public_consumer", "8c.1 right: everything recomputed from the messages kept by id",
     "def receive(state, message):\n    kept = state.setdefault('messages', {})\n"
     "    kept[message.value['messageId']] = message.value\n"
     "    state['refunded'] = {}\n    state['latest'] = {}\n    newest = {}\n"
     "    for event in kept.values():\n"
     "        order = event['orderId']\n"
     "        if event['type'] == 'order.refunded':\n"
     "            state['refunded'][order] = state['refunded'].get(order, Decimal(0)) + Decimal(event['amount'])\n"
     "        if event['sequence'] > newest.get(order, 0):\n"
     "            newest[order] = event['sequence']\n            state['latest'][order] = event['type']\n"
     "    return state\n"),
]

CASES += [
    (NB, "check_public_consumer", "8c.1 per order, only the highest sequence applied (the notebook's cheaper idea)",
     "def receive(state, message):\n    event = message.value\n    newest = state.setdefault('sequence', {})\n"
     "    if event['sequence'] <= newest.get(event['orderId'], 0):\n        return state\n"
     "    newest[event['orderId']] = event['sequence']\n"
     "    state['latest'][event['orderId']] = event['type']\n" + _ADD + "    return state\n"),
]

_S = [
    "one order's messages reach a consumer in the order they were produced",
    "messages of two different orders reach a consumer in the order they were produced",
    "a topic keeps every message for ever unless told otherwise",
    "a compacted topic keeps an order's whole history",
    "an idempotent producer stops two clerks from both refunding the same money",
    "a consumer's committed offset in partition 0 says nothing about partition 1",
]


def _promises(*values):
    return "promises = {\n" + "".join(f"    {s!r}: {v},\n" for s, v in zip(_S, values)) + "}\n"


CASES += [
    (NB, "check_topic_promises", "8c.2 'Kafka keeps everything in order, for ever'",
     _promises("True", "True", "True", "True", "False", "True")),
    (NB, "check_topic_promises", "8c.2 the idempotent producer 'prevents duplicates', so it stops the double refund",
     _promises("True", "False", "False", "False", "True", "True")),
    (NB, "check_topic_promises", "8c.2 compaction 'just saves space', history kept",
     _promises("True", "False", "False", "True", "False", "True")),
    (NB, "check_topic_promises", "8c.2 one global offset: partition 0's checkpoint covers partition 1",
     _promises("True", "False", "False", "False", "False", "False")),
    (NB, "check_topic_promises", "8c.2 everything False: 'a bus promises nothing'",
     _promises("False", "False", "False", "False", "False", "False")),
    (NB, "check_topic_promises", "8c.2 texts 'True'/'False' in quotes",
     _promises("'True'", "'False'", "'False'", "'False'", "'False'", "'True'")),
]

RIGHT += [
    (NB, "check_topic_promises", "8c.2 right: built from the list of true statements",
     f"true = [{_S[0]!r}, {_S[5]!r}]\n"
     f"promises = {{s: s in true for s in {_S!r}}}\n"),
]
