"""Blind learner answers for notebook 09 (CQRS over HTTP)."""

NB = "09_*.ipynb"

CASES = [
    # ---------------- 9.1 read your own write ----------------
    (NB, "check_place_and_read", "9.1 reads at once, no minPosition: the lagging read model answers 404",
     'def place_and_read(client):\n'
     '    client.post("/orders", json={"orderId": "777", "amount": "19.99"})\n'
     '    return client.get("/orders/777").json()\n'),
    (NB, "check_place_and_read", "9.1 sends the order's version (1) as minPosition instead of the global position",
     'def place_and_read(client):\n'
     '    placed = client.post("/orders", json={"orderId": "777", "amount": "19.99"})\n'
     '    return client.get("/orders/777", params={"minPosition": placed.json()["version"]}).json()\n'),
    (NB, "check_place_and_read", "9.1 uses the ETag (a version) as minPosition",
     'def place_and_read(client):\n'
     '    placed = client.post("/orders", json={"orderId": "777", "amount": "19.99"})\n'
     '    version = int(placed.headers["ETag"].strip(\'"\'))\n'
     '    return client.get("/orders/777", params={"minPosition": version}).json()\n'),
    (NB, "check_place_and_read", "9.1 waits a fixed half second instead of asking for the position",
     'import time\n\n'
     'def place_and_read(client):\n'
     '    client.post("/orders", json={"orderId": "777", "amount": "19.99"})\n'
     '    time.sleep(0.5)\n'
     '    return client.get("/orders/777").json()\n'),
    (NB, "check_place_and_read", "9.1 snake_case query parameter min_position (the Python name), refused by the server",
     'def place_and_read(client):\n'
     '    placed = client.post("/orders", json={"orderId": "777", "amount": "19.99"})\n'
     '    return client.get("/orders/777", params={"min_position": placed.json()["position"]}).json()\n'),
    (NB, "check_place_and_read", "9.1 sends minPosition as a header instead of a query parameter",
     'def place_and_read(client):\n'
     '    placed = client.post("/orders", json={"orderId": "777", "amount": "19.99"})\n'
     '    return client.get("/orders/777", headers={"minPosition": str(placed.json()["position"])}).json()\n'),
    (NB, "check_place_and_read", "9.1 returns the command's answer (the POST's JSON) instead of reading the order",
     'def place_and_read(client):\n'
     '    placed = client.post("/orders", json={"orderId": "777", "amount": "19.99"})\n'
     '    return placed.json()\n'),
    (NB, "check_place_and_read", "9.1 reads the order's events (not the read model) to dodge the lag",
     'def place_and_read(client):\n'
     '    client.post("/orders", json={"orderId": "777", "amount": "19.99"})\n'
     '    return client.get("/orders/777/events").json()\n'),
    (NB, "check_place_and_read", "9.1 returns the response object, not its JSON",
     'def place_and_read(client):\n'
     '    placed = client.post("/orders", json={"orderId": "777", "amount": "19.99"})\n'
     '    return client.get("/orders/777", params={"minPosition": placed.json()["position"]})\n'),
    (NB, "check_place_and_read", "9.1 snake_case body field order_id (the Python command's name): 422, nothing placed",
     'def place_and_read(client):\n'
     '    placed = client.post("/orders", json={"order_id": "777", "amount": "19.99"})\n'
     '    position = placed.json().get("position", 0)\n'
     '    return client.get("/orders/777", params={"minPosition": position}).json()\n'),
    (NB, "check_place_and_read", "9.1 writes the amount with a decimal comma",
     'def place_and_read(client):\n'
     '    placed = client.post("/orders", json={"orderId": "777", "amount": "19,99"})\n'
     '    position = placed.json().get("position", 0)\n'
     '    return client.get("/orders/777", params={"minPosition": position}).json()\n'),
    (NB, "check_place_and_read", "9.1 places order 777 with an int id (type slip): refused",
     'def place_and_read(client):\n'
     '    placed = client.post("/orders", json={"orderId": 777, "amount": "19.99"})\n'
     '    position = placed.json().get("position", 0)\n'
     '    return client.get("/orders/777", params={"minPosition": position}).json()\n'),
    (NB, "check_place_and_read", "9.1 hard-codes minPosition 1 (what the notebook's first order got)",
     'def place_and_read(client):\n'
     '    client.post("/orders", json={"orderId": "777", "amount": "19.99"})\n'
     '    return client.get("/orders/777", params={"minPosition": 1}).json()\n'),

    # ---------------- 9.2 retry without paying twice ----------------
    (NB, "check_refund_with_retry", "9.2 retries without any Idempotency-Key: the refund is recorded twice",
     'def refund_with_retry(client, order_id, key):\n'
     '    try:\n'
     '        return client.post(f"/orders/{order_id}/refunds", json={"amount": "5.00"})\n'
     '    except httpx.TimeoutException:\n'
     '        return client.post(f"/orders/{order_id}/refunds", json={"amount": "5.00"})\n'),
    (NB, "check_refund_with_retry", "9.2 sends the key only on the retry (the first attempt got a server-made id)",
     'def refund_with_retry(client, order_id, key):\n'
     '    try:\n'
     '        return client.post(f"/orders/{order_id}/refunds", json={"amount": "5.00"})\n'
     '    except httpx.TimeoutException:\n'
     '        return client.post(f"/orders/{order_id}/refunds", json={"amount": "5.00"},\n'
     '                           headers={"Idempotency-Key": key})\n'),
    (NB, "check_refund_with_retry", "9.2 a new key for the retry ('it is a new attempt')",
     'def refund_with_retry(client, order_id, key):\n'
     '    try:\n'
     '        return client.post(f"/orders/{order_id}/refunds", json={"amount": "5.00"},\n'
     '                           headers={"Idempotency-Key": key})\n'
     '    except httpx.TimeoutException:\n'
     '        return client.post(f"/orders/{order_id}/refunds", json={"amount": "5.00"},\n'
     '                           headers={"Idempotency-Key": key + "-retry"})\n'),
    (NB, "check_refund_with_retry", "9.2 misspelt header X-Idempotency-Key: ignored, the refund is paid twice",
     'def refund_with_retry(client, order_id, key):\n'
     '    headers = {"X-Idempotency-Key": key}\n'
     '    try:\n'
     '        return client.post(f"/orders/{order_id}/refunds", json={"amount": "5.00"}, headers=headers)\n'
     '    except httpx.TimeoutException:\n'
     '        return client.post(f"/orders/{order_id}/refunds", json={"amount": "5.00"}, headers=headers)\n'),
    (NB, "check_refund_with_retry", "9.2 puts the key in the JSON body instead of a header",
     'def refund_with_retry(client, order_id, key):\n'
     '    body = {"amount": "5.00", "idempotencyKey": key}\n'
     '    try:\n'
     '        return client.post(f"/orders/{order_id}/refunds", json=body)\n'
     '    except httpx.TimeoutException:\n'
     '        return client.post(f"/orders/{order_id}/refunds", json=body)\n'),
    (NB, "check_refund_with_retry", "9.2 catches the wrong exception (ConnectError): the timeout escapes",
     'def refund_with_retry(client, order_id, key):\n'
     '    headers = {"Idempotency-Key": key}\n'
     '    try:\n'
     '        return client.post(f"/orders/{order_id}/refunds", json={"amount": "5.00"}, headers=headers)\n'
     '    except httpx.ConnectError:\n'
     '        return client.post(f"/orders/{order_id}/refunds", json={"amount": "5.00"}, headers=headers)\n'),
    (NB, "check_refund_with_retry", "9.2 swallows the timeout and gives up (no retry)",
     'def refund_with_retry(client, order_id, key):\n'
     '    try:\n'
     '        return client.post(f"/orders/{order_id}/refunds", json={"amount": "5.00"},\n'
     '                           headers={"Idempotency-Key": key})\n'
     '    except httpx.TimeoutException:\n'
     '        return None\n'),
    (NB, "check_refund_with_retry", "9.2 retries but returns the variable of the lost first attempt (UnboundLocalError)",
     'def refund_with_retry(client, order_id, key):\n'
     '    headers = {"Idempotency-Key": key}\n'
     '    try:\n'
     '        response = client.post(f"/orders/{order_id}/refunds", json={"amount": "5.00"}, headers=headers)\n'
     '    except httpx.TimeoutException:\n'
     '        client.post(f"/orders/{order_id}/refunds", json={"amount": "5.00"}, headers=headers)\n'
     '    return response\n'),
    (NB, "check_refund_with_retry", "9.2 looks at the events before retrying and returns that GET's answer instead of the refund's",
     'def refund_with_retry(client, order_id, key):\n'
     '    try:\n'
     '        return client.post(f"/orders/{order_id}/refunds", json={"amount": "5.00"})\n'
     '    except httpx.TimeoutException:\n'
     '        events = client.get(f"/orders/{order_id}/events")\n'
     '        if any(e["eventType"] == "RefundCreated" for e in events.json()["events"]):\n'
     '            return events\n'
     '        return client.post(f"/orders/{order_id}/refunds", json={"amount": "5.00"})\n'),
    (NB, "check_refund_with_retry", "9.2 uses the key as the refundId in the body instead of a header",
     'def refund_with_retry(client, order_id, key):\n'
     '    try:\n'
     '        return client.post(f"/orders/{order_id}/refunds", json={"amount": "5.00", "refundId": key})\n'
     '    except httpx.TimeoutException:\n'
     '        return client.post(f"/orders/{order_id}/refunds", json={"amount": "5.00", "refundId": key})\n'),
    (NB, "check_refund_with_retry", "9.2 retries up to 3 times, the key only on the first attempt (a retry helper that drops headers)",
     'def refund_with_retry(client, order_id, key):\n'
     '    headers = {"Idempotency-Key": key}\n'
     '    for attempt in range(3):\n'
     '        try:\n'
     '            return client.post(f"/orders/{order_id}/refunds", json={"amount": "5.00"}, headers=headers)\n'
     '        except httpx.TimeoutException:\n'
     '            headers = {}\n'),

    # ---------------- 9.3 ship only what you saw ----------------
    (NB, "check_ship_if_unchanged", "9.3 no If-Match: ships whatever happened since",
     'def ship_if_unchanged(client, order_id, etag):\n'
     '    return client.post(f"/orders/{order_id}/shipment").status_code\n'),
    (NB, "check_ship_if_unchanged", "9.3 If-None-Match (the caching header) instead of If-Match",
     'def ship_if_unchanged(client, order_id, etag):\n'
     '    return client.post(f"/orders/{order_id}/shipment", headers={"If-None-Match": etag}).status_code\n'),
    (NB, "check_ship_if_unchanged", "9.3 sends the ETag back in an ETag request header",
     'def ship_if_unchanged(client, order_id, etag):\n'
     '    return client.post(f"/orders/{order_id}/shipment", headers={"ETag": etag}).status_code\n'),
    (NB, "check_ship_if_unchanged", "9.3 confuses the two headers: the ETag as Idempotency-Key",
     'def ship_if_unchanged(client, order_id, etag):\n'
     '    return client.post(f"/orders/{order_id}/shipment", headers={"Idempotency-Key": str(etag)}).status_code\n'),
    (NB, "check_ship_if_unchanged", "9.3 check-then-act against the read model, then ships without If-Match",
     'def ship_if_unchanged(client, order_id, etag):\n'
     '    current = client.get(f"/orders/{order_id}").headers.get("ETag")\n'
     '    if current is not None and current != etag:\n'
     '        return 412\n'
     '    return client.post(f"/orders/{order_id}/shipment").status_code\n'),
    (NB, "check_ship_if_unchanged", "9.3 strips the quotes off the ETag: malformed If-Match",
     'def ship_if_unchanged(client, order_id, etag):\n'
     '    return client.post(f"/orders/{order_id}/shipment",\n'
     '                       headers={"If-Match": str(etag).strip(\'"\')}).status_code\n'),
    (NB, "check_ship_if_unchanged", "9.3 on 412 re-reads and retries with the new ETag (decides for the clerk)",
     'def ship_if_unchanged(client, order_id, etag):\n'
     '    response = client.post(f"/orders/{order_id}/shipment", headers={"If-Match": etag})\n'
     '    if response.status_code == 412:\n'
     '        response = client.post(f"/orders/{order_id}/shipment", headers={"If-Match": response.headers["ETag"]})\n'
     '    return response.status_code\n'),
    (NB, "check_ship_if_unchanged", "9.3 returns the response, not the status code",
     'def ship_if_unchanged(client, order_id, etag):\n'
     '    return client.post(f"/orders/{order_id}/shipment", headers={"If-Match": etag})\n'),
    (NB, "check_ship_if_unchanged", "9.3 returns whether it succeeded (a bool) instead of the status code",
     'def ship_if_unchanged(client, order_id, etag):\n'
     '    return client.post(f"/orders/{order_id}/shipment", headers={"If-Match": etag}).is_success\n'),
    (NB, "check_ship_if_unchanged", "9.3 hard-codes If-Match \"2\" copied from the notebook",
     'def ship_if_unchanged(client, order_id, etag):\n'
     '    return client.post(f"/orders/{order_id}/shipment", headers={"If-Match": \'"2"\'}).status_code\n'),
    (NB, "check_ship_if_unchanged", "9.3 plural endpoint /shipments",
     'def ship_if_unchanged(client, order_id, etag):\n'
     '    return client.post(f"/orders/{order_id}/shipments", headers={"If-Match": etag}).status_code\n'),
    (NB, "check_ship_if_unchanged", "9.3 puts the version in the JSON body",
     'def ship_if_unchanged(client, order_id, etag):\n'
     '    return client.post(f"/orders/{order_id}/shipment", json={"expectedVersion": etag}).status_code\n'),
    (NB, "check_ship_if_unchanged", "9.3 raise_for_status: a 412 becomes an exception instead of a returned code",
     'def ship_if_unchanged(client, order_id, etag):\n'
     '    response = client.post(f"/orders/{order_id}/shipment", headers={"If-Match": etag})\n'
     '    response.raise_for_status()\n'
     '    return response.status_code\n'),
]

RIGHT = [
    (NB, "check_place_and_read", "9.1 right: minPosition from the answer, and waits out a 503 with Retry-After",
     'import time\n\n'
     'def place_and_read(client):\n'
     '    placed = client.post("/orders", json={"orderId": "777", "amount": "19.99"})\n'
     '    position = placed.json()["position"]\n'
     '    for _ in range(20):\n'
     '        answer = client.get("/orders/777", params={"minPosition": position})\n'
     '        if answer.status_code != 503:\n'
     '            break\n'
     '        time.sleep(float(answer.headers.get("Retry-After", "1")))\n'
     '    return answer.json()\n'),
    (NB, "check_place_and_read", "9.1 right: follows the Location header, minPosition in the URL, JSON-number amount",
     'import time\n'
     'from decimal import Decimal\n\n'
     'def place_and_read(client):\n'
     '    placed = client.post("/orders", content=json.dumps({"orderId": "777", "amount": 19.99}),\n'
     '                         headers={"Content-Type": "application/json"})\n'
     '    url = f"{placed.headers[\'Location\']}?minPosition={placed.json()[\'position\']}"\n'
     '    answer = client.get(url)\n'
     '    while answer.status_code == 503:\n'
     '        time.sleep(0.2)\n'
     '        answer = client.get(url)\n'
     '    return answer.json()\n'),
    (NB, "check_refund_with_retry", "9.2 right: a loop that resends the same request, key and all",
     'def refund_with_retry(client, order_id, key):\n'
     '    request = dict(json={"amount": "5.00"}, headers={"Idempotency-Key": key})\n'
     '    while True:\n'
     '        try:\n'
     '            return client.post(f"/orders/{order_id}/refunds", **request)\n'
     '        except httpx.TimeoutException:\n'
     '            continue\n'),
    (NB, "check_refund_with_retry", "9.2 right: int amount (same fingerprint as 5.00), lower-case header name, base TransportError class",
     'def refund_with_retry(client, order_id, key):\n'
     '    url = "/orders/" + order_id + "/refunds"\n'
     '    try:\n'
     '        response = client.post(url, json={"amount": 5}, headers={"idempotency-key": key})\n'
     '    except httpx.TransportError:\n'
     '        response = client.post(url, json={"amount": 5}, headers={"idempotency-key": key})\n'
     '    return response\n'),
    (NB, "check_ship_if_unchanged", "9.3 right: quotes the ETag only if it is not quoted yet",
     'def ship_if_unchanged(client, order_id, etag):\n'
     '    tag = str(etag)\n'
     '    if not tag.startswith(\'"\'):\n'
     '        tag = f\'"{tag}"\'\n'
     '    response = client.post(f"/orders/{order_id}/shipment", headers={"If-Match": tag})\n'
     '    return response.status_code\n'),
    (NB, "check_ship_if_unchanged", "9.3 right: client.request with a lower-case header name and httpx.Headers",
     'def ship_if_unchanged(client, order_id, etag):\n'
     '    value = etag if isinstance(etag, str) and etag.startswith(\'"\') else \'"%s"\' % etag\n'
     '    headers = httpx.Headers({"if-match": value})\n'
     '    return int(client.request("POST", "/orders/%s/shipment" % order_id, headers=headers).status_code)\n'),
]
