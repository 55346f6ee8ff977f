"""What the OpenAPI schema says about each route: bodies, answers, headers and errors.

The models here document responses; the app builds its JSON itself (money as
strings), and the tests check every answer against these schemas.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from pydantic import BaseModel, ConfigDict, Field, JsonValue

from ..ids import MAX_ID_LENGTH, MAX_TEXT_LENGTH
from ..money import MAX_AMOUNT
from ..shop.events import EVENT_TYPES
from ..shop.order import STATUSES

DESCRIPTION = """\
The eventsim shop over HTTP: commands are `POST`s, queries are `GET`s, and no `GET` ever records an event.

* **Optimistic concurrency:** send `If-Match: "<version>"` (the `ETag` of an order) with a command, and it is
  decided against that version or refused with `412`.
* **Idempotency:** send an `Idempotency-Key` (the command id); a retry under the same key gets the first
  response back and records nothing new. The same key with a different request is refused with `422`.
  The first response of a command that was carried out is kept, a refusal by a business rule (`409`,
  `404`) included, as the IETF draft (draft-ietf-httpapi-idempotency-key-header) and Stripe do: a refused
  command stays refused under its key, even once the order would allow it. Refusals are kept by the
  server process (a restart forgets them); what was recorded is kept by the store. Keys are scoped to the
  client named in `Client-Id` (this server has no log-in; behind one, the scope is the authenticated
  client); requests without it share one scope, so use a random UUID there. A request refused before it
  was carried out (a malformed field, a stale `If-Match`) is not kept.
* **Headers** `If-Match`, `Idempotency-Key` and `Client-Id` are given once each; `If-Match` means what RFC 9110 says
  (`*`, lists, weak tags never match). `HEAD` answers wherever `GET` does.
* **Read-your-writes:** the read models are updated a moment after a command (eventually consistent). Send a
  command response's `position` as `minPosition` to a query, and it answers once the read models have got
  there (or `503` with `Retry-After`).
* **Errors** are `application/problem+json` (RFC 9457). `type` is one of `/problems/invalid-request`,
  `invalid-header`, `malformed-json`, `not-found`, `rule-broken` (with the `rule`), `write-conflict`,
  `version-mismatch`, `idempotency-key-reused`, `body-too-large`, `unsupported-media-type`,
  `read-model-behind`, `method-not-allowed`, `internal-error`; `field` names the field, parameter or
  header at fault. A body field or query parameter the request does not take is refused, never ignored.
* **Money** is an exact decimal string in every answer (`"100.00"`); a request may send a JSON number
  (read exactly, never as a float) or such a string.
"""

MONEY_OUT = {"type": "string", "pattern": r"^-?\d+\.\d{2}$", "examples": ["100.00"]}


def _money(*default: None) -> Any:
    return Field(*default, pattern=r"^-?\d+\.\d{2}$", examples=["100.00"], description="exact, to the cent")


class AnyEvent(BaseModel):
    """A recorded event of any domain the store holds: its own fields in camelCase (Decimals as exact strings),
    then its envelope.  ``schemaVersion`` is absent for version 1, as in a JSON line."""

    model_config = ConfigDict(extra="allow")

    eventType: str = Field(description="Its registered type name")
    schemaVersion: int | None = Field(None, ge=2, description="The shape of its fields, when not the first")
    timestamp: int = Field(description="Unix seconds")
    eventId: str
    streamId: str
    version: int = Field(ge=1, description="Its place in its stream")
    position: int = Field(ge=1, description="Its place in the global log")
    correlationId: str | None = None
    causationId: str | None = Field(None, description="The id of the message that caused it")
    actor: str | None = None


class Event(AnyEvent):
    """An order's event in the seed's JSON shape, with its envelope."""

    eventType: str = Field(json_schema_extra={"enum": list(EVENT_TYPES)})
    orderId: str
    amount: str | None = _money(None)
    currency: str | None = None
    customerId: str | None = None
    refundId: str | None = None
    reason: str | None = None
    version: int = Field(ge=1, description="Its place in the order's stream")


class CommandResult(BaseModel):
    """What a command recorded; a retry under the same Idempotency-Key gets the same."""

    orderId: str
    commandId: str
    version: int = Field(description="The order's version right after this command (also the ETag)")
    position: int = Field(description="The global position of its last event: send it as minPosition")
    events: list[Event]


class RefundRow(BaseModel):
    refundId: str | None
    amount: str = _money()
    reason: str | None
    requestedAt: str | None
    paidAt: str | None = Field(description="When the payment provider paid it out; null while awaited")


class Order(BaseModel):
    """One row of the orders read model."""

    orderId: str
    customerId: str | None
    amount: str = _money()
    status: str = Field(json_schema_extra={"enum": list(STATUSES)})
    paid: str = _money()
    refundsRequested: str = _money()
    refundsPaid: str = _money()
    net: str = _money()
    events: int
    lastVersion: int
    createdAt: str | None
    updatedAt: str | None
    refunds: list[RefundRow]


class OrderPage(BaseModel):
    orders: list[Order]
    nextCursor: str | None = Field(description="Send it as cursor for the next page; null on the last")


OrderOrPage = Order | OrderPage


class OrderEvents(BaseModel):
    orderId: str
    events: list[Event]


class RefundState(BaseModel):
    refundId: str
    amount: str = _money()
    paid: bool


class OrderStateOut(BaseModel):
    """An order's state as the decider sees it, at some version or moment."""

    orderId: str
    customerId: str | None
    status: str = Field(json_schema_extra={"enum": ["new", *STATUSES]})
    amount: str = _money()
    paid: str = _money()
    refundsRequested: str = _money()
    refundsPaid: str = _money()
    net: str = _money()
    cancelled: bool
    shipped: bool
    version: int
    refunds: list[RefundState]


class StreamEvents(BaseModel):
    streamId: str
    events: list[AnyEvent]


class EventFeed(BaseModel):
    events: list[AnyEvent]
    lastPosition: int = Field(description="The position of the newest event in the store")


class RevenueDay(BaseModel):
    date: str = Field(description="The UTC day, YYYY-MM-DD")
    ordersPlaced: int
    grossPaid: str = _money()
    refundsPaid: str = _money()
    net: str = _money()


class DailyRevenueOut(BaseModel):
    days: list[RevenueDay]


#: The one example of an error /docs shows, for every error of every route: hand-written, and the very
#: problem the server answers when a refund of 150.00 is asked for order 123456, paid 100.00
#: (tests/test_http.py checks it word for word).
PROBLEM_EXAMPLE: dict[str, JsonValue] = {
    "type": "/problems/rule-broken",
    "title": "A business rule refused the command",
    "status": 409,
    "detail": "order 123456: a refund of 150.00 would bring refunds to 150.00, more than the 100.00 paid",
    "rule": "the refunds of an order never add up to more than was paid",
    "orderId": "123456",
}
#: A request body as /docs shows it, field by field: hand-written, as a client would send it (an example
#: generated from a field's pattern reads like line noise).
BODY_EXAMPLES = {
    "orderId": "123456",
    "amount": "100.00",
    "customerId": "alice",
    "reason": "one cup broken",
    "refundId": "R1",
}


class Problem(BaseModel):
    """An error (RFC 9457), with members of our own saying where and why."""

    model_config = ConfigDict(json_schema_extra={"examples": [PROBLEM_EXAMPLE]})

    type: str
    title: str
    status: int
    detail: str
    field: str | None = Field(None, description="The field, parameter or header at fault")
    rule: str | None = Field(None, description="The business rule that refused the command")
    orderId: str | None = None
    expectedVersion: int | None = None
    currentVersion: int | None = None
    readModelPosition: int | None = None


# --- route documentation -------------------------------------------------------

ERRORS = {
    400: "Malformed: the body is not JSON, or a header (If-Match, Idempotency-Key) is malformed",
    404: "No such order (or refund)",
    409: "A business rule refused the command (`rule` says which), or other writers kept changing the order",
    412: "If-Match named a version the order is no longer at; ETag gives the current one",
    413: "The body is over the size limit",
    415: "The body is not application/json",
    422: "A field, parameter or header is missing, unknown or invalid (`field` names it); "
    "or the Idempotency-Key was used for another request",
    503: "The read models have not reached minPosition in time",
}


def _header(description: str) -> dict[str, Any]:
    return {"description": description, "schema": {"type": "string"}}


ETAG = _header('The order\'s version in quotes, such as `"3"`: send it back in If-Match')
READ_POSITION = _header("The position the read models had reached when they answered")


def _errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    answers: dict[int | str, dict[str, Any]] = {code: {"model": Problem, "description": ERRORS[code]} for code in codes}
    if 412 in answers:
        answers[412]["headers"] = {"ETag": ETAG}
    if 503 in answers:
        answers[503]["headers"] = {
            "Retry-After": _header("Seconds to wait before asking again"),
            "Read-Model-Position": READ_POSITION,
        }
    return answers


_ID = {"type": "string", "minLength": 1, "maxLength": MAX_ID_LENGTH, "pattern": r"^\S(.*\S)?$"}
# An id that becomes a URL segment (/orders/{orderId}): no "/", and not "." or "..".
_URL_ID = {**_ID, "pattern": r"^(?!\.\.?$)[^\s/]([^/]*[^\s/])?$"}
_BODY_KINDS: dict[str, dict[str, Any]] = {
    "id": _ID,
    "order id": _URL_ID,
    "url id": _URL_ID,
    "money": {
        "description": "A JSON number (read exactly, never as a float) or a decimal string; "
        "positive, at most two decimals",
        "oneOf": [
            {"type": "number", "exclusiveMinimum": 0, "maximum": int(MAX_AMOUNT), "multipleOf": 0.01},
            {"type": "string", "pattern": r"^[0-9]{1,13}(\.[0-9]{1,2}0*)?$"},
        ],
        "examples": [100, "19.99"],
    },
    "text": {"type": "string", "maxLength": MAX_TEXT_LENGTH},
    "currency": {"type": "string", "pattern": "^[A-Z]{3}$", "description": "ISO 4217, in capitals", "default": "EUR"},
}


def body_schema(spec: dict[str, tuple[str, bool]]) -> dict[str, Any]:
    """The JSON schema of a command's body, from the same spec the app checks bodies with."""
    properties = {}
    for name, (kind, required) in spec.items():
        schema = _BODY_KINDS[kind]
        properties[name] = schema if required else {"anyOf": [schema, {"type": "null"}]}
    return {
        "type": "object",
        "properties": properties,
        "additionalProperties": False,
        "required": [name for name, (_, required) in spec.items() if required],
    }


def command_docs(spec: dict[str, tuple[str, bool]], *, created: bool = False) -> dict[str, Any]:
    """``responses`` and the request body for a command route."""
    headers = {"ETag": ETAG}
    if created:
        headers["Location"] = _header("The new order's URL")
    ok = {
        "model": CommandResult,
        "headers": headers,
        "description": "Recorded: the events, the order's new version and the global position",
    }
    docs: dict[str, Any] = {"responses": {201 if created else 200: ok, **_errors(400, 404, 409, 412, 413, 415, 422)}}
    if spec:
        required = any(required for _, required in spec.values())
        # Every required field, and the optional ones worth showing (currency is EUR unless given).
        example = {name: BODY_EXAMPLES[name] for name, (_, needed) in spec.items() if needed or name in BODY_EXAMPLES}
        docs["openapi_extra"] = {
            "requestBody": {
                "required": required,
                "content": {"application/json": {"schema": body_schema(spec), "example": example}},
            }
        }
    return docs


def query_docs(model: Any, *, etag: bool = False, read_model: bool = True) -> dict[str, Any]:
    """Documentation of a query: ``read_model=False`` for one that reads the events themselves."""
    headers = {"Read-Model-Position": READ_POSITION} if read_model else {}
    if etag:
        headers["ETag"] = ETAG
    return {"responses": {200: {"model": model, "headers": headers}, **_errors(404, 422, 503)}}


def finish_openapi(app: FastAPI) -> None:
    """Say what the app does where FastAPI's defaults say otherwise.

    Errors are ``application/problem+json``; an optional parameter is either
    absent or a string (FastAPI writes ``anyOf [string, null]``, and a client
    cannot send a null header or query parameter).
    """
    build = app.openapi

    def openapi() -> dict[str, Any]:
        schema = app.openapi_schema
        if schema is None:
            schema = build()  # FastAPI keeps it in app.openapi_schema
            for operations in schema["paths"].values():
                for operation in operations.values():
                    for parameter in operation.get("parameters", []):
                        options = parameter["schema"].pop("anyOf", None)
                        if options:
                            parameter["schema"].update(next(o for o in options if o.get("type") != "null"))
                    for code, answer in operation.get("responses", {}).items():
                        content = answer.get("content", {})
                        if code[0] in "45" and "application/json" in content:
                            content["application/problem+json"] = content.pop("application/json")
            add_links(schema)
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


#: Where an order's routes can go next: a command's answer names the order (and a refund its refund id).
_ORDER_ROUTES = [
    ("get", "/orders/{orderId}"),
    ("get", "/orders/{orderId}/events"),
    ("get", "/orders/{orderId}/state"),
    ("post", "/orders/{orderId}/payments"),
    ("post", "/orders/{orderId}/refunds"),
    ("post", "/orders/{orderId}/cancellation"),
    ("post", "/orders/{orderId}/shipment"),
]


def add_links(schema: dict[str, Any]) -> None:
    """OpenAPI links (3.1, section 4.8.20): from each command's answer to what can be done with its order next.

    A client (or a fuzzer such as schemathesis, statefully) follows them: place an order, then pay it, refund
    it and read it by the id the answer gave, instead of guessing ids that name no order."""
    paths = schema["paths"]
    for path, operations in paths.items():
        for method, operation in operations.items():
            ok = next((operation["responses"][code] for code in ("201", "200") if code in operation["responses"]), None)
            if method != "post" or ok is None:
                continue
            links = {
                paths[target][verb]["operationId"]: {
                    "operationId": paths[target][verb]["operationId"],
                    "parameters": {"orderId": "$response.body#/orderId"},
                }
                for verb, target in _ORDER_ROUTES
            }
            if path == "/orders/{orderId}/refunds":
                payout = paths["/orders/{orderId}/refunds/{refundId}/payout"]["post"]["operationId"]
                links[payout] = {
                    "operationId": payout,
                    "parameters": {
                        "orderId": "$response.body#/orderId",
                        "refundId": "$response.body#/events/0/refundId",
                    },
                }
            ok["links"] = links
