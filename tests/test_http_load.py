"""Load, bounded in count and time: 16 concurrent clients against ``eventsim serve`` in another process.

Each client sends commands to orders of its own and to the same few shared
orders, with and without If-Match.  Afterwards the store must hold exactly
the events of the successful responses (none lost, none twice), every 409
and 412 must be a real conflict (another client's command changed the order
first), and every order must still keep the rules.
"""
from __future__ import annotations

import random
import threading
import time
from collections import Counter, defaultdict
from decimal import Decimal

import httpx
import pytest
from http_helpers import all_events, eventsim_serve

CLIENTS = 16
OWN_ORDERS = 8       # per client: place, pay, refund 1.00
SHARED_COMMANDS = 12  # per client, on the shared orders
SHARED = ["S1", "S2", "S3"]
SHIP_RULE = "cancel only before shipping; ship once"


@pytest.mark.parametrize("store", ["memory:", "SQLite"])
def test_sixteen_clients_lose_nothing_duplicate_nothing_and_conflict_only_for_real(store, tmp_path):
    # SQLite is what `eventsim serve` opens by default: its write lock must never show as a 5xx.
    with eventsim_serve(str(tmp_path / "shop.db") if store == "SQLite" else store) as (url, _):
        with httpx.Client(base_url=url, timeout=30) as setup:
            for order_id in SHARED:
                assert setup.post("/orders", json={"orderId": order_id, "amount": 1000},
                                  headers={"Idempotency-Key": f"setup-place-{order_id}"}).status_code == 201
                assert setup.post(f"/orders/{order_id}/payments", json={"amount": 1000},
                                  headers={"Idempotency-Key": f"setup-pay-{order_id}"}).status_code == 200
        answers: list[dict] = []
        errors: list[BaseException] = []

        def send(client, key, method_path, body=None, if_match=None):
            headers = {"Idempotency-Key": key} | ({"If-Match": f'"{if_match}"'} if if_match is not None else {})
            started = time.monotonic()
            response = client.post(method_path, json=body, headers=headers)
            answers.append({"key": key, "path": method_path, "status": response.status_code, "body": response.json(),
                            "if_match": if_match, "started": started, "ended": time.monotonic()})
            return response

        def run(number):
            rng = random.Random(number)
            try:
                with httpx.Client(base_url=url, timeout=30) as client:
                    for i in range(OWN_ORDERS):
                        order_id = f"C{number}-{i}"
                        assert send(client, f"{order_id}-place", "/orders",
                                    {"orderId": order_id, "amount": "10.00"}).status_code == 201
                        assert send(client, f"{order_id}-pay", f"/orders/{order_id}/payments",
                                    {"amount": 10}).status_code == 200
                        assert send(client, f"{order_id}-refund", f"/orders/{order_id}/refunds",
                                    {"amount": "1.00"}).status_code == 200
                    for i in range(SHARED_COMMANDS):
                        order_id = rng.choice(SHARED)
                        key = f"c{number}-{i}"
                        version = None
                        if rng.random() < 0.5:  # read the order, then write expecting that version
                            version = client.get(f"/orders/{order_id}/events").json()["events"][-1]["version"]
                        if rng.random() < 0.15:
                            send(client, key, f"/orders/{order_id}/shipment", if_match=version)
                        else:
                            send(client, key, f"/orders/{order_id}/refunds", {"amount": "1.00"}, if_match=version)
            except Exception as error:  # noqa: BLE001  # reported by the main thread
                errors.append(error)

        started = time.monotonic()
        threads = [threading.Thread(target=run, args=(n,)) for n in range(CLIENTS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
        assert not errors, errors
        assert time.monotonic() - started < 120
        with httpx.Client(base_url=url, timeout=30) as reader:
            events = all_events(reader)
            last = events[-1]["position"]
            orders = {order_id: reader.get(f"/orders/{order_id}", params={"minPosition": last}).json()
                      for order_id in {e["orderId"] for e in events}}

    assert len(answers) == CLIENTS * (3 * OWN_ORDERS + SHARED_COMMANDS)
    statuses = Counter(a["status"] for a in answers)
    assert set(statuses) <= {200, 201, 409, 412}, statuses

    # Nothing lost, nothing twice: the store holds exactly the events of the successful answers.
    assert len({e["eventId"] for e in events}) == len(events)
    answered = [e for a in answers if a["status"] < 300 for e in a["body"]["events"]]
    recorded = [e for e in events if not e["causationId"].startswith("setup-")]
    assert sorted(answered, key=lambda e: e["position"]) == recorded
    assert [e["position"] for e in events] == sorted({e["position"] for e in events})

    # Every 412 and 409 is a real conflict: another client's command changed the order while this one was sent.
    succeeded = {a["key"]: a for a in answers if a["status"] < 300}
    by_order_version = {(e["orderId"], e["version"]): e for e in events}
    for answer in answers:
        if answer["status"] == 412:
            problem = answer["body"]
            assert problem["currentVersion"] > problem["expectedVersion"] == answer["if_match"]
            winner = by_order_version[(problem["orderId"], problem["expectedVersion"] + 1)]["causationId"]
            assert winner != answer["key"]
            assert succeeded[winner]["started"] < answer["ended"], "the conflicting write came before the answer"
        elif answer["status"] == 409:
            problem = answer["body"]
            assert problem["type"] in ("/problems/rule-broken", "/problems/write-conflict"), problem
            if problem["type"] == "/problems/rule-broken":
                assert problem["rule"] == SHIP_RULE and answer["path"].endswith("/shipment")
            shipped = [e for e in events if e["orderId"] == problem["orderId"] and e["eventType"] == "OrderShipped"]
            rivals = [a for a in succeeded.values() if f"/orders/{problem['orderId']}/" in a["path"]
                      and a["key"] != answer["key"] and a["started"] < answer["ended"]]
            assert rivals and (problem["type"] == "/problems/write-conflict" or len(shipped) == 1)
    assert statuses[412] > 0, "the shared orders should have produced some stale If-Match"

    # The rules still hold in every order, and the read model agrees with the store.
    streams = defaultdict(list)
    for event in events:
        streams[event["orderId"]].append(event)
    for order_id, stream in streams.items():
        types = Counter(e["eventType"] for e in stream)
        assert [e["version"] for e in stream] == list(range(1, len(stream) + 1)), order_id
        assert stream[0]["eventType"] == "OrderCreated" and types["OrderCreated"] == 1
        assert types["OrderPaid"] <= 1 and types["OrderShipped"] <= 1
        refunds = sum(Decimal(e["amount"]) for e in stream if e["eventType"] == "RefundCreated")
        assert refunds <= Decimal(stream[0]["amount"])
        row = orders[order_id]
        assert Decimal(row["refundsRequested"]) == refunds and row["lastVersion"] == len(stream)
        assert row["events"] == len(stream)
