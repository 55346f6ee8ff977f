"""Blind learner answers for notebook 10 (living with events for years)."""

NB = "10_*.ipynb"

CASES = [
    # ---------------- 10.1 upcaster that leaves its input alone ----------------
    (NB, "check_upcaster", "10.1 mutates the payload it was given and returns it",
     'def upcast_order_created(payload):\n'
     '    payload["currency"] = "EUR"\n'
     '    return payload\n'),
    (NB, "check_upcaster", "10.1 'copies' by assignment (an alias), then mutates",
     'def upcast_order_created(payload):\n'
     '    new_payload = payload\n'
     '    new_payload["currency"] = "EUR"\n'
     '    return new_payload\n'),
    (NB, "check_upcaster", "10.1 update() in place and returns its result (None)",
     'def upcast_order_created(payload):\n'
     '    return payload.update({"currency": "EUR"})\n'),
    (NB, "check_upcaster", "10.1 copies first but returns the result of update() (None)",
     'def upcast_order_created(payload):\n'
     '    return dict(payload).update(currency="EUR")\n'),
    (NB, "check_upcaster", "10.1 rebuilds only the seed's fields (orderId, amount): other v1 fields are dropped",
     'def upcast_order_created(payload):\n'
     '    return {"orderId": payload["orderId"], "amount": payload["amount"], "currency": "EUR"}\n'),
    (NB, "check_upcaster", "10.1 snake_case key by analogy with the Python field names",
     'def upcast_order_created(payload):\n'
     '    return {**payload, "currency_code": "EUR"}\n'),
    (NB, "check_upcaster", "10.1 writes the currency as a symbol / lower case",
     'def upcast_order_created(payload):\n'
     '    return {**payload, "currency": "eur"}\n'),
    (NB, "check_upcaster", "10.1 shape slip: returns (type, payload) like UPCASTERS.upcast does",
     'def upcast_order_created(payload):\n'
     '    return "OrderCreated", {**payload, "currency": "EUR"}\n'),
    (NB, "check_upcaster", "10.1 'normalises' the amount to a float while upgrading",
     'def upcast_order_created(payload):\n'
     '    return {**payload, "amount": float(payload["amount"]), "currency": "EUR"}\n'),
    (NB, "check_upcaster", "10.1 copies through JSON with default=str: the Decimal amount becomes a string",
     'def upcast_order_created(payload):\n'
     '    new = json.loads(json.dumps(dict(payload), default=str))\n'
     '    new["currency"] = "EUR"\n'
     '    return new\n'),
    (NB, "check_upcaster", "10.1 mutates then returns a copy (the copy is right, the input is still changed)",
     'def upcast_order_created(payload):\n'
     '    payload.setdefault("currency", "EUR")\n'
     '    return dict(payload)\n'),

    # ---------------- 10.2 snapshot of an older state shape ----------------
    (NB, "check_snapshot_loader", "10.2 trusts every snapshot, whatever its schema",
     'def load_order(events, snapshot):\n'
     '    if snapshot is None:\n'
     '        return fold(events)\n'
     '    return fold(list(events)[snapshot.version:], state_from_json(snapshot.state))\n'),
    (NB, "check_snapshot_loader", "10.2 compares only the explicit version part of the schema, not the fingerprint",
     'def load_order(events, snapshot):\n'
     '    if snapshot is not None and snapshot.schema.split(":")[0] == STATE_SCHEMA.split(":")[0]:\n'
     '        return fold(list(events)[snapshot.version:], state_from_json(snapshot.state))\n'
     '    return fold(events)\n'),
    (NB, "check_snapshot_loader", "10.2 off by one: skips the first event after the snapshot (version+1 as a 0-based index)",
     'def load_order(events, snapshot):\n'
     '    if snapshot is not None and snapshot.schema == STATE_SCHEMA:\n'
     '        return fold(list(events)[snapshot.version + 1:], state_from_json(snapshot.state))\n'
     '    return fold(events)\n'),
    (NB, "check_snapshot_loader", "10.2 off by one: re-applies the snapshot's last event (version-1 as index)",
     'def load_order(events, snapshot):\n'
     '    if snapshot is not None and snapshot.schema == STATE_SCHEMA:\n'
     '        return fold(list(events)[snapshot.version - 1:], state_from_json(snapshot.state))\n'
     '    return fold(events)\n'),
    (NB, "check_snapshot_loader", "10.2 folds all the events on top of the snapshot (counts them twice)",
     'def load_order(events, snapshot):\n'
     '    if snapshot is not None and snapshot.schema == STATE_SCHEMA:\n'
     '        return fold(events, state_from_json(snapshot.state))\n'
     '    return fold(events)\n'),
    (NB, "check_snapshot_loader", "10.2 returns the snapshot's state alone, forgetting the events after it",
     'def load_order(events, snapshot):\n'
     '    if snapshot is not None and snapshot.schema == STATE_SCHEMA:\n'
     '        return state_from_json(snapshot.state)\n'
     '    return fold(events)\n'),
    (NB, "check_snapshot_loader", "10.2 folds the later events but forgets to start from the snapshot's state",
     'def load_order(events, snapshot):\n'
     '    if snapshot is not None and snapshot.schema == STATE_SCHEMA:\n'
     '        state_from_json(snapshot.state)\n'
     '        return fold(list(events)[snapshot.version:])\n'
     '    return fold(events)\n'),
    (NB, "check_snapshot_loader", "10.2 condition inverted: uses the snapshot only when its schema differs",
     'def load_order(events, snapshot):\n'
     '    if snapshot is not None and snapshot.schema != STATE_SCHEMA:\n'
     '        return fold(list(events)[snapshot.version:], state_from_json(snapshot.state))\n'
     '    return fold(events)\n'),
    (NB, "check_snapshot_loader", "10.2 forgets that the snapshot may be None",
     'def load_order(events, snapshot):\n'
     '    if snapshot.schema == STATE_SCHEMA:\n'
     '        return fold(list(events)[snapshot.version:], state_from_json(snapshot.state))\n'
     '    return fold(events)\n'),
    (NB, "check_snapshot_loader", "10.2 filters on e.version: treats domain events as recorded envelopes",
     'def load_order(events, snapshot):\n'
     '    if snapshot is not None and snapshot.schema == STATE_SCHEMA:\n'
     '        later = [e for e in events if e.version > snapshot.version]\n'
     '        return fold(later, state_from_json(snapshot.state))\n'
     '    return fold(events)\n'),
    (NB, "check_snapshot_loader", "10.2 builds the state straight from the JSON (amounts as text, refunds a list)",
     'from eventsim.shop.order import OrderState\n\n'
     'def load_order(events, snapshot):\n'
     '    if snapshot is not None and snapshot.schema == STATE_SCHEMA:\n'
     '        return fold(list(events)[snapshot.version:], OrderState(**json.loads(snapshot.state)))\n'
     '    return fold(events)\n'),
    (NB, "check_snapshot_loader", "10.2 never uses the snapshot (always the full fold)",
     'def load_order(events, snapshot):\n'
     '    return fold(events)\n'),
    (NB, "check_snapshot_loader", "10.2 stale snapshot: returns the initial state instead of folding all events",
     'def load_order(events, snapshot):\n'
     '    if snapshot is not None and snapshot.schema == STATE_SCHEMA:\n'
     '        return fold(list(events)[snapshot.version:], state_from_json(snapshot.state))\n'
     '    return initial_state\n'),

    # ---------------- 10.3 forget a customer ----------------
    (NB, "check_forget_customer", "10.3 deletes the key only: the read model still holds the plain text",
     'def forget_customer(vault, read_model, customer_id):\n'
     '    return vault.forget(customer_id)\n'),
    (NB, "check_forget_customer", "10.3 redacts the read model only: the sealed data in the log can still be opened",
     'def forget_customer(vault, read_model, customer_id):\n'
     '    for row in read_model.values():\n'
     '        if row["customer_id"] == customer_id:\n'
     '            row["name"] = row["email"] = row["address"] = None\n'),
    (NB, "check_forget_customer", "10.3 partial redaction: name and e-mail, but the address is left",
     'def forget_customer(vault, read_model, customer_id):\n'
     '    vault.forget(customer_id)\n'
     '    for row in read_model.values():\n'
     '        if row["customer_id"] == customer_id:\n'
     '            row["name"] = None\n'
     '            row["email"] = None\n'),
    (NB, "check_forget_customer", "10.3 pops the customer id from the read model (it is keyed by order id)",
     'def forget_customer(vault, read_model, customer_id):\n'
     '    vault.forget(customer_id)\n'
     '    read_model.pop(customer_id, None)\n'),
    (NB, "check_forget_customer", "10.3 rebinds a filtered dict locally: the caller's read model is unchanged",
     'def forget_customer(vault, read_model, customer_id):\n'
     '    vault.forget(customer_id)\n'
     '    read_model = {order_id: row for order_id, row in read_model.items() if row["customer_id"] != customer_id}\n'
     '    return read_model\n'),
    (NB, "check_forget_customer", "10.3 deletes rows while iterating over the dict",
     'def forget_customer(vault, read_model, customer_id):\n'
     '    vault.forget(customer_id)\n'
     '    for order_id, row in read_model.items():\n'
     '        if row["customer_id"] == customer_id:\n'
     '            del read_model[order_id]\n'),
    (NB, "check_forget_customer", "10.3 stops at the customer's first order (the example customer had one)",
     'def forget_customer(vault, read_model, customer_id):\n'
     '    vault.forget(customer_id)\n'
     '    for row in read_model.values():\n'
     '        if row["customer_id"] == customer_id:\n'
     '            row.update(name=None, email=None, address=None)\n'
     '            break\n'),
    (NB, "check_forget_customer", "10.3 blanks the customer id instead of the personal data",
     'def forget_customer(vault, read_model, customer_id):\n'
     '    vault.forget(customer_id)\n'
     '    for row in read_model.values():\n'
     '        if row["customer_id"] == customer_id:\n'
     '            row["customer_id"] = None\n'),
    (NB, "check_forget_customer", "10.3 deletes the customer's orders from the read model (the old solution)",
     'def forget_customer(vault, read_model, customer_id):\n'
     '    vault.forget(customer_id)\n'
     '    for order_id in [o for o, row in read_model.items() if row["customer_id"] == customer_id]:\n'
     '        del read_model[order_id]\n'),
    (NB, "check_forget_customer", "10.3 pops each of the customer's rows, keeping a list of them first",
     'def forget_customer(vault, read_model, customer_id):\n'
     '    vault.forget(customer_id)\n'
     '    theirs = [order_id for order_id, row in read_model.items() if row.get("customer_id") == customer_id]\n'
     '    for order_id in theirs:\n'
     '        read_model.pop(order_id)\n'),
    (NB, "check_forget_customer", "10.3 camelCase row key customerId by analogy with the JSON events",
     'def forget_customer(vault, read_model, customer_id):\n'
     '    vault.forget(customer_id)\n'
     '    for row in read_model.values():\n'
     '        if row.get("customerId") == customer_id:\n'
     '            row.update(name=None, email=None, address=None)\n'),
    (NB, "check_forget_customer", "10.3 hashes the personal data (pseudonymisation, not forgetting)",
     'def forget_customer(vault, read_model, customer_id):\n'
     '    vault.forget(customer_id)\n'
     '    for row in read_model.values():\n'
     '        if row["customer_id"] == customer_id:\n'
     '            for field in ("name", "email", "address"):\n'
     '                row[field] = hashlib.sha256(str(row[field]).encode()).hexdigest()\n'),
    (NB, "check_forget_customer", "10.3 masks the e-mail but keeps its domain and the name's initial",
     'def forget_customer(vault, read_model, customer_id):\n'
     '    vault.forget(customer_id)\n'
     '    for row in read_model.values():\n'
     '        if row["customer_id"] == customer_id:\n'
     '            row["name"] = row["name"][:1] + "."\n'
     '            row["email"] = "***@" + row["email"].split("@")[-1]\n'
     '            row["address"] = None\n'),
]

RIGHT = [
    (NB, "check_upcaster", "10.1 right: dict() with a keyword, the assumed currency named as the module names it",
     'from eventsim.shop.upcasting import ASSUMED_CURRENCY\n\n'
     'def upcast_order_created(payload):\n'
     '    return dict(payload, currency=ASSUMED_CURRENCY)\n'),
    (NB, "check_upcaster", "10.1 right: a comprehension copy, then setdefault on the copy",
     'def upcast_order_created(payload):\n'
     '    upgraded = {key: value for key, value in payload.items()}\n'
     '    upgraded.setdefault("currency", "EUR")\n'
     '    return upgraded\n'),
    (NB, "check_snapshot_loader", "10.2 right: evolve in a loop, counting versions with enumerate",
     'def load_order(events, snapshot):\n'
     '    usable = snapshot is not None and snapshot.schema == STATE_SCHEMA\n'
     '    state = state_from_json(snapshot.state) if usable else initial_state\n'
     '    start = snapshot.version if usable else 0\n'
     '    for number, event in enumerate(events, 1):\n'
     '        if number > start:\n'
     '            state = evolve(state, event)\n'
     '    return state\n'),
    (NB, "check_snapshot_loader", "10.2 right: getattr for None, itertools.islice for the tail",
     'from itertools import islice\n\n'
     'def load_order(events, snapshot):\n'
     '    if getattr(snapshot, "schema", None) != STATE_SCHEMA:\n'
     '        return fold(events)\n'
     '    return fold(islice(events, snapshot.version, None), state_from_json(snapshot.state))\n'),
    (NB, "check_forget_customer", "10.3 right: delete the keys, mark the copies FORGOTTEN as the library's readers do",
     'from eventsim.privacy import FORGOTTEN\n\n'
     'def forget_customer(vault, read_model, customer_id):\n'
     '    deleted = vault.forget(customer_id)\n'
     '    for row in read_model.values():\n'
     '        if row["customer_id"] == customer_id:\n'
     '            for field in ("name", "email", "address"):\n'
     '                row[field] = FORGOTTEN\n'
     '    return deleted\n'),
    (NB, "check_forget_customer", "10.3 right: rows chosen first, fields set to None with dict.fromkeys",
     'def forget_customer(vault, read_model, customer_id):\n'
     '    theirs = [row for row in read_model.values() if row.get("customer_id") == customer_id]\n'
     '    for row in theirs:\n'
     '        row.update(dict.fromkeys(["name", "email", "address"]))\n'
     '    vault.forget(customer_id)\n'),
]
