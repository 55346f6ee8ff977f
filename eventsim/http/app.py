"""The shop over HTTP: commands are POSTs, queries are GETs (CQRS with FastAPI).

HTTP's own mechanisms carry the event-sourcing ideas:

* ``If-Match: "<version>"`` is optimistic concurrency: the command is decided
  against that version of the order or not at all (``412``).  The header means
  what RFC 9110 (section 13.1.1) says: ``*`` is any version of an order that
  exists, a list matches if one of its tags does, and a weak tag (``W/"3"``)
  never matches, since If-Match compares strongly.  An order with no events
  has the tag ``"0"``;
* ``Idempotency-Key`` is the command id: a retry gets the first response again,
  and records nothing new.  Keys are scoped to the client that names itself in
  ``Client-Id`` (a stand-in for the identity a log-in would give), so two
  clients that pick the same key never get each other's answers; requests
  without a ``Client-Id`` share one scope.  The first response *of a command that was carried
  out*, an error included: a command a rule refused is refused again under its
  key, even once the order would allow it, as the IETF draft
  (draft-ietf-httpapi-idempotency-key-header) and Stripe
  (https://docs.stripe.com/api/idempotent_requests) keep the first executed
  response.  A request refused before it was carried out (a malformed field, a
  stale If-Match) is not kept;
* a header given twice (two ``If-Match`` or two ``Idempotency-Key`` lines) is
  refused, as a query parameter given twice is: it has no one meaning;
* ``HEAD`` answers wherever ``GET`` does, with the same headers and no body;
* the position in a command's response, sent back as ``minPosition``, is
  read-your-writes against read models that a worker keeps up to date a
  moment later (eventually consistent);
* ``GET /events`` (the global feed) and ``GET /streams/{streamId}/events``
  serve the events of every domain the store holds, not only the shop's:
  each with its ``streamId``, and its ``schemaVersion`` when not the first.

Bodies are JSON in the seed article's camelCase.  Money goes out as exact
decimal strings (``"100.00"``) and comes in as a JSON number or such a string;
JSON numbers are read as ``Decimal`` straight from the text, never as floats.
Every error is ``application/problem+json`` (RFC 9457) naming the field,
header or rule at fault, and records nothing.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, fields
from decimal import MAX_EMAX, MAX_PREC, MIN_EMIN, Context, Decimal
from functools import cache
from itertools import islice
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Depends, FastAPI, Header, Path, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from fastapi_offline import FastAPIOffline
from starlette.exceptions import HTTPException as StarletteHTTPException

from ..clock import to_timestamp
from ..ids import MAX_ID_LENGTH, check_id, check_stream_id, check_text
from ..money import to_money
from ..registry import event_type
from ..shop import CommandIdReused, Shop
from ..shop.commands import (
    CancelOrder,
    Command,
    ConfirmRefund,
    PayOrder,
    PlaceOrder,
    RequestRefund,
    ShipOrder,
    fingerprint,
)
from ..shop.history import state_at_time, state_at_version
from ..shop.order import (
    STATUSES,
    InvalidAmount,
    OrderError,
    OrderNotFound,
    OrderState,
    UnknownRefund,
)
from ..shop.read_models import OrderQueries
from ..shop.streams import stream_for
from ..store import ConcurrencyError, RecordedEvent
from ..stores import open_store
from . import schemas
from .worker import ProjectionWorker

__all__ = ["PROBLEM_JSON", "create_app", "event_json", "state_json"]

logger = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"
CENT = Decimal("0.01")
#: Commands refused under an Idempotency-Key whose answers this process keeps (the newest; see ``create_app``).
REFUSALS_KEPT = 10_000


# --- problems (RFC 9457) ---------------------------------------------------


class Problem(Exception):
    """An error the client can act on, sent as ``application/problem+json``.

    ``kind`` names the problem type (``/problems/<kind>``); ``extra`` adds
    members such as the ``field`` or ``rule`` at fault.
    """

    def __init__(
        self,
        status: int,
        kind: str,
        title: str,
        detail: str,
        *,
        headers: dict[str, str] | None = None,
        where: str | None = None,
        **extra: Any,
    ):
        super().__init__(detail)
        self.status, self.kind, self.title, self.detail = status, kind, title, detail
        self.headers = headers or {}
        self.extra = extra if where is None else {**extra, "in": where}  # body, query, path or header

    def response(self) -> JSONResponse:
        body = {
            "type": f"/problems/{self.kind}",
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
            **self.extra,
        }
        return JSONResponse(body, status_code=self.status, headers=self.headers, media_type=PROBLEM_JSON)


def key_reused(key: str | None) -> Problem:
    """A key sent again with another request: it says so in words, never the first request's fields (they
    may be another client's)."""
    return Problem(
        422,
        "idempotency-key-reused",
        "The Idempotency-Key was used for another request",
        f"the Idempotency-Key {key} was already used for a different request; this one was not carried out "
        "and nothing was recorded: give a new request a new key",
        field="Idempotency-Key",
        where="header",
    )


def version_mismatch(order_id: str, condition: list[str], current: int) -> Problem:
    """412: the order is not at a version If-Match names (``condition``, see ``if_match_condition``)."""
    wanted = (
        "an existing order"
        if condition == ["*"]
        else " or ".join(condition)
        if condition
        else "a weak tag, which If-Match never matches"
    )
    one = len(condition) == 1 and re.fullmatch("[0-9]{1,18}", condition[0])
    single: dict[str, Any] = {"expectedVersion": int(condition[0])} if one else {}
    return Problem(
        412,
        "version-mismatch",
        "The order has changed",
        f"order {order_id} is at version {current}, not {wanted}: "
        "read it again, decide again, and send the new version in If-Match",
        headers={"ETag": f'"{current}"'},
        **{"orderId": order_id, **single, "currentVersion": current},
    )


class HeadAsGet:
    """``HEAD`` wherever there is ``GET``: the GET's status and headers, without its body (RFC 9110, 9.3.2).

    FastAPI routes a ``GET`` route for ``GET`` only; this ASGI middleware runs
    a ``HEAD`` as a ``GET`` and drops the body on its way out.  It marks the
    request (``MARK``), so that a 405 names the method the client sent."""

    MARK = "eventsim.head"

    def __init__(self, app: Any):
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def without_body(message: Any) -> None:
            if message["type"] == "http.response.body":
                message = {**message, "body": b""}
            await send(message)

        await self.app({**scope, "method": "GET", self.MARK: True}, receive, without_body)


def invalid(field: str, detail: str, *, where: str = "body", status: int | None = None) -> Problem:
    """A field, parameter or header that is missing or wrong: 400 for a header, 422 for the rest."""
    status = status or (400 if where == "header" else 422)
    kind, title = (
        ("invalid-header", "A header is malformed")
        if where == "header"
        else ("invalid-request", "A field of the request is missing or invalid")
    )
    return Problem(status, kind, title, detail, field=field, where=where)


# --- JSON out ----------------------------------------------------------------


def money(amount: Decimal) -> str:
    """A Decimal for JSON: an exact decimal string (a JSON number reads back as a float), to the cent
    at least (``"100.00"``); one with finer digits (a rate, say) keeps them all, never rounded."""
    if amount.as_tuple().exponent < -2:  # type: ignore[operator]  # finite: a store holds no NaN
        return format(amount, "f")
    return format(amount.quantize(CENT, context=_WIDE), "f")


_WIDE = Context(prec=MAX_PREC, Emax=MAX_EMAX, Emin=MIN_EMIN)  # quantizing never fails for want of digits


@cache  # a handful of field names, converted for every event of every response
def _camel(name: str) -> str:
    return re.sub(r"_([a-z])", lambda m: m.group(1).upper(), name)


def event_json(recorded: RecordedEvent) -> dict[str, Any]:
    """A recorded event of any domain in the seed's JSON shape, plus its envelope; Decimals as exact strings."""
    body: dict[str, Any] = {"eventType": recorded.event_type}
    for f in fields(recorded.event):
        value = getattr(recorded.event, f.name)
        if value is not None:
            body[_camel(f.name)] = money(value) if isinstance(value, Decimal) else value
    if (schema_version := event_type(recorded.event).schema_version) != 1:  # absent means 1, as in a JSON line
        body["schemaVersion"] = schema_version
    body.update(
        timestamp=recorded.recorded_at,
        eventId=recorded.event_id,
        streamId=recorded.stream_id,
        version=recorded.version,
        position=recorded.position,
    )
    for name in ("correlation_id", "causation_id", "actor"):
        if getattr(recorded, name) is not None:
            body[_camel(name)] = getattr(recorded, name)
    return body


def state_json(order_id: str, state: OrderState, version: int) -> dict[str, Any]:
    """An order's state (as the decider sees it) at ``version`` of its stream, for JSON."""
    return {
        "orderId": order_id,
        "customerId": state.customer_id,
        "status": state.status,
        "amount": money(state.amount),
        "paid": money(state.paid),
        "refundsRequested": money(state.refunds_requested),
        "refundsPaid": money(state.refunds_paid),
        "net": money(state.net),
        "cancelled": state.cancelled,
        "shipped": state.shipped,
        "version": version,
        "refunds": [
            {"refundId": r.refund_id, "amount": money(r.amount), "paid": r.paid}
            for r in sorted(state.refunds.values(), key=lambda r: r.number)
        ],
    }


def command_result(recorded: list[RecordedEvent]) -> dict[str, Any]:
    """A command's response: built from its recorded events only, so a retry gets the same body."""
    last = recorded[-1]
    return {
        "orderId": last.event.order_id,
        "commandId": last.causation_id,
        "version": last.version,
        "position": last.position,
        "events": [event_json(r) for r in recorded],
    }


# --- JSON in -----------------------------------------------------------------

ORDER_ID, URL_ID, ID, MONEY, TEXT, CURRENCY = "order id", "url id", "id", "money", "text", "currency"
# Each command's body: field -> (kind, required).
PLACE_BODY = {
    "orderId": (ORDER_ID, True),
    "amount": (MONEY, True),
    "customerId": (ID, False),
    "currency": (CURRENCY, False),
}
PAY_BODY = {"amount": (MONEY, True)}
REFUND_BODY = {"amount": (MONEY, True), "reason": (TEXT, False), "refundId": (URL_ID, False)}
CANCEL_BODY = {"reason": (TEXT, False)}
NO_BODY: dict[str, tuple[str, bool]] = {}
# A decimal string: digits, a point and digits, a sign.  Its value is then checked as a JSON number's is
# (``to_money``): "0.001" and 0.001 are refused with the same words, whichever way they were spelt.
MONEY_TEXT = re.compile(r"-?[0-9]{1,64}(\.[0-9]{1,64})?")
CURRENCY_CODE = re.compile(r"[A-Z]{3}")


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number JSON allows")


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        name = next(k for i, (k, _) in enumerate(pairs) if k in dict(pairs[:i]))
        raise ValueError(f"the field {name!r} appears twice")
    return result


async def read_body(request: Request, max_bytes: int) -> dict[str, Any]:
    """The request's JSON object (empty when there is no body); a ``Problem`` otherwise."""
    length = request.headers.get("content-length")
    if length is not None and length.isdigit() and int(length) > max_bytes:
        raise _too_large(max_bytes)
    body = bytearray()
    async for chunk in request.stream():  # counted as it arrives: a chunked body has no length
        body += chunk
        if len(body) > max_bytes:
            raise _too_large(max_bytes)
    if not body:
        return {}
    media_type = request.headers.get("content-type", "").partition(";")[0].strip().lower()
    if media_type != "application/json" and not media_type.endswith("+json"):
        raise Problem(
            415,
            "unsupported-media-type",
            "The body is not JSON",
            f"send the body as application/json, not {media_type or 'without a Content-Type'}",
            headers={"Accept-Post": "application/json"},
        )
    try:
        value = json.loads(
            body.decode("utf-8"), parse_float=Decimal, parse_constant=_reject_constant, object_pairs_hook=_object
        )
    except (ValueError, RecursionError) as error:  # UnicodeDecodeError and JSONDecodeError are ValueErrors
        reason = "it is nested too deeply" if isinstance(error, RecursionError) else str(error)
        raise Problem(
            400, "malformed-json", "The body is not valid JSON", f"the body could not be read as JSON: {reason}"
        ) from None
    if not isinstance(value, dict):
        raise Problem(
            422,
            "invalid-request",
            "A field of the request is missing or invalid",
            f"the body must be a JSON object, not {type(value).__name__}",
            field="",
            where="body",
        )
    return value


def _too_large(max_bytes: int) -> Problem:
    return Problem(413, "body-too-large", "The body is too large", f"a request body here is at most {max_bytes} bytes")


def check_url_segment(value: str, name: str) -> str:
    """An id that becomes part of a URL (``/orders/{orderId}``), so that the resource it names can be reached.

    A ``/`` would split it into two segments (``%2F`` reaches the app decoded), and clients resolve ``.`` and
    ``..`` away: an order placed under such an id could never be read or paid."""
    if "/" in value or value in (".", ".."):
        raise ValueError(f"{name} {value!r} cannot be part of a URL: here an id holds no '/' and is not '.' or '..'")
    return value


def parse_fields(body: dict[str, Any], spec: dict[str, tuple[str, bool]]) -> dict[str, Any]:
    """The body's fields checked against ``spec``: ids are ids, money is exact, text is short."""
    for name in body:
        if name not in spec:
            allowed = ", ".join(spec) or "no fields"
            raise invalid(name, f"{name!r} is not a field of this request (it takes {allowed})")
    values: dict[str, Any] = {}
    for name, (kind, required) in spec.items():
        value = body.get(name)
        if value is None:
            if required:
                raise invalid(name, f"{name} is required")
            continue
        try:
            if kind == MONEY:
                if isinstance(value, str) and not MONEY_TEXT.fullmatch(value):
                    raise ValueError(f'{name} "{value[:20]}" is not a decimal string such as "19.99"')
                if not isinstance(value, (int, Decimal, str)) or isinstance(value, bool):
                    raise ValueError(f"{name} must be a number or a decimal string, not {type(value).__name__}")
                values[name] = to_money(value, name)
            elif kind == ORDER_ID:
                stream_for(check_url_segment(check_id(value, name), name))  # an order's id, not a stream's
                values[name] = value
            elif kind == URL_ID:
                values[name] = check_url_segment(check_id(value, name), name)
            elif kind == ID:
                values[name] = check_id(value, name)
            elif kind == CURRENCY:
                if not isinstance(value, str) or not CURRENCY_CODE.fullmatch(value):  # "eur" is refused, not uppercased
                    shown = json.dumps(value, default=str)[:20]
                    raise ValueError(f'{name} is an ISO 4217 code in capitals such as "EUR", not {shown}')
                values[name] = value
            else:
                values[name] = check_text(value, name)
        except (TypeError, ValueError) as error:
            raise invalid(name, str(error)) from None
        except ArithmeticError:  # 1e999999999: beyond what Decimal arithmetic holds (to_money's abs overflows)
            raise invalid(name, f"{name} {str(value)[:20]} is not an amount") from None
    return values


def _query_parameters(dependant: Any) -> set[str]:
    """The names of the query parameters a route takes, its dependencies' included."""
    names = {parameter.alias for parameter in dependant.query_params}
    for dependency in dependant.dependencies:
        names |= _query_parameters(dependency)
    return names


async def single_query_values(request: Request) -> None:
    """Refuse a query parameter the route does not take, or one given twice.

    A misspelt ``minposition`` would otherwise be ignored, and a stale answer would look
    like a fresh one; ``?limit=5&limit=500`` has no one meaning.  ``async`` although it
    awaits nothing: FastAPI runs a plain ``def`` dependency in its thread pool, and this
    one runs for every request."""
    names = [name for name, _ in request.query_params.multi_items()]
    route = request.scope.get("route")
    if isinstance(route, APIRoute):
        known = _query_parameters(route.dependant)
        unknown = next((name for name in names if name not in known), None)
        if unknown is not None:
            takes = f"it takes {', '.join(sorted(known))}" if known else "it takes none"
            raise invalid(unknown, f"{unknown!r} is not a query parameter of {route.path} ({takes})", where="query")
    repeated = next((name for name in names if names.count(name) > 1), None)
    if repeated is not None:
        raise invalid(
            repeated,
            f"the query parameter {repeated} is given {names.count(repeated)} times; give it once",
            where="query",
        )


async def single_header_values(request: Request) -> None:
    """Refuse ``If-Match`` or ``Idempotency-Key`` given on two header lines.

    HTTP would join two ``If-Match`` lines into one list, but a client that
    sends two has most likely added one header where it meant to replace it:
    which one was meant, the server cannot know.  Two keys name two commands."""
    for name in ("If-Match", "Idempotency-Key", "Client-Id"):
        count = len(request.headers.getlist(name))
        if count > 1:
            raise invalid(name, f"the header {name} is given {count} times; give it once", where="header")


#: An entity-tag (RFC 9110, section 8.8.3): optionally weak (W/), then opaque characters in double quotes.
_ENTITY_TAG = r'(W/)?"([\x21\x23-\x7e\x80-\xff]*)"'
_TAG_LIST = re.compile(rf"[ \t]*{_ENTITY_TAG}[ \t]*(,[ \t]*{_ENTITY_TAG}[ \t]*)*")


def if_match_condition(value: str | None) -> list[str] | None:
    """The strong tags of an ``If-Match`` header, ``["*"]`` for ``*``, or ``None`` without one.

    Weak tags are dropped here: If-Match compares strongly (RFC 9110, section
    13.1.1), and a weak tag matches nothing, so a header of weak tags only is a
    condition no order meets.  A header that is not ``*`` or a list of
    entity-tags is malformed: 400."""
    if value is None:
        return None
    if value.strip(" \t") == "*":
        return ["*"]
    if not _TAG_LIST.fullmatch(value):
        raise invalid(
            "If-Match",
            'If-Match is *, or one or more entity tags such as "3" (an ETag of this server), separated by commas',
            where="header",
        )
    return [tag for weak, tag in re.findall(_ENTITY_TAG, value) if not weak]


def meets(condition: list[str], version: int) -> bool:
    """Whether an order at ``version`` (0: no events) meets an If-Match condition (``if_match_condition``)."""
    return (condition == ["*"] and version > 0) or str(version) in condition


def path_order_id(order_id: str) -> str:
    """The order id from the URL, checked as an id (and not a stream id)."""
    try:
        stream_for(check_id(order_id, "orderId"))
    except (TypeError, ValueError) as error:
        raise invalid("orderId", str(error), where="path") from None
    return order_id


# --- parameters and headers as OpenAPI documents them ------------------------

OrderIdPath = Annotated[
    str,
    Path(
        alias="orderId",
        min_length=1,
        max_length=MAX_ID_LENGTH,
        description="The order's id, e.g. 123456",
        examples=["123456"],
    ),
]
IfMatch = Annotated[
    str | None,
    Header(
        alias="If-Match",
        max_length=1000,
        # Documented, not enforced by FastAPI: a malformed header is refused by ``if_match_condition`` in words.
        json_schema_extra={"pattern": r'^(\*|(W/)?"[!#-~]*"([ \t]*,[ \t]*(W/)?"[!#-~]*")*)$'},
        description='Optimistic concurrency: a version in quotes, such as `"3"` (an ETag from this server). '
        "The command is decided against that version of the order, and refused with 412 if the order has moved on. "
        'As RFC 9110 defines it: `*` matches any existing order, a list (`"2", "3"`) matches if one tag '
        'does, a weak tag (`W/"3"`) never matches. An order with no events is at `"0"`. Give it once. '
        "Without it the server re-reads and retries when another writer got there first.",
    ),
]
IdempotencyKeyHeader = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        pattern=f"^[!-~]{{1,{MAX_ID_LENGTH}}}$",
        description="The command id: up to 64 visible ASCII characters, such as a UUID. "
        "Send the same key when retrying (after a timeout, say): the first "
        "response comes back (a refusal by a business rule too) and nothing is recorded twice. "
        "A different request under a used key is refused with 422. Keys are scoped to the `Client-Id`: "
        "another client's key never answers for yours. Give it once.",
    ),
]
ClientId = Annotated[
    str | None,
    Header(
        alias="Client-Id",
        pattern=f"^[!-~]{{1,{MAX_ID_LENGTH}}}$",
        description="Who is calling, up to 64 visible ASCII characters: the scope of its Idempotency-Keys. "
        "This server has no log-in, so a client names itself; behind a log-in the scope would be the "
        "authenticated client. Without it, keys share one scope with every other client that sends none. "
        "Give it once.",
    ),
]


@dataclass(frozen=True)
class Key:
    """An Idempotency-Key as the client sent it, and the command id it stands for in that client's scope."""

    given: str
    command_id: str


def scoped_key(idempotency_key: IdempotencyKeyHeader = None, client_id: ClientId = None) -> Key | None:
    """The command id of a key in its client's scope.

    Without a ``Client-Id`` the key itself is the command id (one shared
    scope).  With one, a digest of the client and the key, marked by a space,
    which no header key can hold: two clients' equal keys name two commands,
    and no key sent without a ``Client-Id`` can name either."""
    if idempotency_key is None:
        return None
    if client_id is None:
        return Key(idempotency_key, idempotency_key)
    digest = hashlib.sha256(f"{client_id}\n{idempotency_key}".encode()).hexdigest()[:40]
    return Key(idempotency_key, f"client {digest}")


IdempotencyKey = Annotated[Key | None, Depends(scoped_key)]
MinPosition = Annotated[
    int | None,
    Query(
        alias="minPosition",
        ge=0,
        le=2**63 - 1,
        description="Read-your-writes: answer only once the read model has applied the event at this "
        "position (a command response's `position`). Waits a bounded time, else 503.",
    ),
]


# --- the app -----------------------------------------------------------------


def create_app(
    shop_or_store_url: Shop | str = "memory:",
    *,
    max_wait: float = 2.0,
    max_body_bytes: int = 16_384,
    cors_origins: list[str] | None = None,
    poll: float = 0.2,
) -> FastAPI:
    """A FastAPI app serving one shop: give it a ``Shop`` or a store URL.

    ``max_wait`` is how long a query with ``minPosition`` waits for the read
    models (seconds); ``max_body_bytes`` the largest body accepted;
    ``cors_origins`` the origins a browser page may call it from (none unless
    given).  Under an ``Idempotency-Key``, a command refused by a business
    rule is answered the same way when sent again, for as long as this process
    runs (``refused`` below says why not longer).  The projection worker
    (``app.state.worker``) runs while the app is served.
    """
    shop = shop_or_store_url if isinstance(shop_or_store_url, Shop) else Shop(open_store(shop_or_store_url))
    store = shop.store
    worker = ProjectionWorker(store, poll=poll)
    # Command id (a key in its client's scope) -> (what the command asked for, the answer) of a command a
    # business rule refused.  A command carried out is remembered by the store (its CommandRecord, with its
    # events), durably; a refusal recorded nothing, and no event could say it, so it is remembered here: by
    # this process, the newest REFUSALS_KEPT of them, until it stops.
    refused: OrderedDict[str, tuple[str, Problem]] = OrderedDict()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        worker.start()
        try:
            yield
        finally:
            worker.close()

    app = FastAPIOffline(
        title="eventsim shop",
        version="1.0",
        description=schemas.DESCRIPTION,
        lifespan=lifespan,
        dependencies=[Depends(single_query_values), Depends(single_header_values)],
    )
    app.add_middleware(HeadAsGet)
    app.state.shop, app.state.worker = shop, worker
    if cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=cors_origins,
            allow_methods=["GET", "HEAD", "POST"],
            allow_headers=["Content-Type", "If-Match", "Idempotency-Key", "Client-Id"],
            expose_headers=["ETag", "Location", "Retry-After", "Read-Model-Position"],
        )

    @app.exception_handler(Problem)
    async def on_problem(request: Request, problem: Problem) -> JSONResponse:
        return problem.response()

    @app.exception_handler(RequestValidationError)
    async def on_invalid(request: Request, error: RequestValidationError) -> JSONResponse:
        first = error.errors()[0]
        where, *path = first.get("loc", ("request",))
        field = ".".join(map(str, path))
        detail = f"{field}: {first.get('msg', 'invalid')}" if field else str(first.get("msg", "invalid"))
        return invalid(field, detail, where=str(where), status=400 if where == "header" else 422).response()

    @app.exception_handler(StarletteHTTPException)
    async def on_http_error(request: Request, error: StarletteHTTPException) -> JSONResponse:
        kinds = {404: ("not-found", "No such resource"), 405: ("method-not-allowed", "Method not allowed")}
        kind, title = kinds.get(error.status_code, ("http-error", "The request cannot be served"))
        method = "HEAD" if request.scope.get(HeadAsGet.MARK) else request.method
        detail = f"{method} {request.url.path}: {error.detail}"
        headers = dict(error.headers or {})
        if error.status_code == 405:  # every method the path takes, not only those of the first route found
            methods = {
                m
                for route in app.routes
                if isinstance(route, APIRoute) and route.path_regex.fullmatch(request.url.path)
                for m in route.methods or ()
            }
            headers["Allow"] = ", ".join(sorted(methods | ({"HEAD"} if "GET" in methods else set())))
        return Problem(error.status_code, kind, title, detail, headers=headers).response()

    @app.exception_handler(Exception)
    async def on_bug(request: Request, error: Exception) -> JSONResponse:
        logger.exception("%s %s failed", request.method, request.url.path)
        return Problem(
            500,
            "internal-error",
            "Internal server error",
            "the server failed to answer; nothing about the failure is sent to clients",
        ).response()

    # --- commands -----------------------------------------------------------

    def handle(command: Command, expected_version: int | None) -> list[RecordedEvent]:
        """Decide and record, on the event loop's own thread: one command at a time.

        The hop to a thread and back costs more CPU than an append to SQLite
        with its default ``synchronous=NORMAL`` (no sync to disk per commit),
        so on one machine this is the fastest way to serve it.  The price:
        while a command is handled the server answers nothing else, so a store
        that is slow to answer (another process holding SQLite's write lock, a
        distant PostgreSQL, a sync to disk per commit) holds up every request;
        and appends never overlap, so the SQL stores' group commit never forms
        a group here.  A server facing PostgreSQL under load would hand
        commands to a pool of threads instead, so that their appends share
        commits (``benchmarks/bench_stores.py`` measures that).
        """
        try:
            recorded = shop.handle(command, expected_version=expected_version)
        except ConcurrencyError:
            if command.command_id is None or store.command_record(command.command_id) is None:
                raise
            recorded = shop.handle(command)  # the same key won a race: answer as for a retry
        worker.wake()
        return recorded

    async def run(
        request: Request,
        spec: dict[str, tuple[str, bool]],
        make: Callable[[dict[str, Any], str | None], Command],
        if_match: str | None,
        key: Key | None,
        *,
        created: bool = False,
    ) -> JSONResponse:
        condition = if_match_condition(if_match)
        values = parse_fields(await read_body(request, max_body_bytes), spec)
        command_id = None if key is None else key.command_id
        command = make(values, command_id)
        if key is not None and key.command_id in refused:  # carried out and refused: its first answer again
            fingerprint_then, problem = refused[key.command_id]
            if fingerprint_then != fingerprint(command):
                raise key_reused(key.given)
            raise problem.with_traceback(None)  # the one kept answer: no traceback piles up on it per retry
        expected = None
        if condition is not None:
            current = store.stream_version(stream_for(command.order_id))
            if meets(condition, current):
                expected = current  # decided against that version, or refused with 412 if it moves on meanwhile
            elif command_id is None or store.command_record(command_id) is None:  # a retry carried out: its answer
                raise version_mismatch(command.order_id, condition, current)
        try:
            recorded = handle(command, expected)
        except CommandIdReused:
            raise key_reused(None if key is None else key.given) from None
        except ConcurrencyError as error:
            if expected is None:
                raise Problem(
                    409,
                    "write-conflict",
                    "The order kept changing",
                    f"order {command.order_id}: other writers changed it on every attempt; send the command again",
                    orderId=command.order_id,
                ) from None
            raise version_mismatch(command.order_id, [str(expected)], error.actual) from None
        except OrderError as error:
            problem = refusal(error)
            if command_id is not None:
                refused[command_id] = (fingerprint(command), problem)
                while len(refused) > REFUSALS_KEPT:
                    refused.popitem(last=False)
            raise problem from None
        result = command_result(recorded)
        headers = {"ETag": f'"{result["version"]}"'}
        if created:
            # Percent-encoded: a header is Latin-1, an order id any text (a "ü" or an emoji).
            headers["Location"] = f"/orders/{quote(result['orderId'], safe='')}"
        return JSONResponse(result, status_code=201 if created else 200, headers=headers)

    def refusal(error: OrderError) -> Problem:
        """The answer to a command a business rule refused."""
        if isinstance(error, InvalidAmount):
            return Problem(
                422,
                "invalid-request",
                "A field of the request is missing or invalid",
                f"order {error.order_id}: {error.problem}",
                field="amount",
                rule=error.rule,
                orderId=error.order_id,
                where="body",
            )
        if isinstance(error, (OrderNotFound, UnknownRefund)):
            return Problem(
                404,
                "not-found",
                "No such resource",
                f"order {error.order_id}: {error.problem}",
                rule=error.rule,
                orderId=error.order_id,
            )
        return Problem(
            409,
            "rule-broken",
            "A business rule refused the command",
            f"order {error.order_id}: {error.problem}",
            rule=error.rule,
            orderId=error.order_id,
        )

    command_docs = schemas.command_docs

    @app.post("/orders", status_code=201, tags=["commands"], **command_docs(PLACE_BODY, created=True))
    async def place_order(
        request: Request, if_match: IfMatch = None, idempotency_key: IdempotencyKey = None
    ) -> JSONResponse:
        """Place an order (PlaceOrder): the seed's `POST /orders {"orderId": "123456", "amount": 100}`."""
        return await run(
            request,
            PLACE_BODY,
            lambda v, key: PlaceOrder(
                v["orderId"], v["amount"], v.get("customerId"), command_id=key, currency=v.get("currency", "EUR")
            ),
            if_match,
            idempotency_key,
            created=True,
        )

    @app.post("/orders/{orderId}/payments", tags=["commands"], **command_docs(PAY_BODY))
    async def pay_order(
        request: Request, order_id: OrderIdPath, if_match: IfMatch = None, idempotency_key: IdempotencyKey = None
    ) -> JSONResponse:
        """Pay the order's full amount (PayOrder)."""
        order_id = path_order_id(order_id)
        return await run(
            request, PAY_BODY, lambda v, key: PayOrder(order_id, v["amount"], command_id=key), if_match, idempotency_key
        )

    @app.post("/orders/{orderId}/refunds", tags=["commands"], **command_docs(REFUND_BODY))
    async def request_refund(
        request: Request, order_id: OrderIdPath, if_match: IfMatch = None, idempotency_key: IdempotencyKey = None
    ) -> JSONResponse:
        """Ask for money back (RequestRefund); without `refundId` the order's next `R<n>` is used."""
        order_id = path_order_id(order_id)
        return await run(
            request,
            REFUND_BODY,
            lambda v, key: RequestRefund(order_id, v["amount"], v.get("reason"), v.get("refundId"), command_id=key),
            if_match,
            idempotency_key,
        )

    @app.post("/orders/{orderId}/refunds/{refundId}/payout", tags=["commands"], **command_docs(NO_BODY))
    async def confirm_refund(
        request: Request,
        order_id: OrderIdPath,
        refund_id: Annotated[
            str, Path(alias="refundId", min_length=1, max_length=MAX_ID_LENGTH, description="e.g. R1")
        ],
        if_match: IfMatch = None,
        idempotency_key: IdempotencyKey = None,
    ) -> JSONResponse:
        """The payment provider's callback: the refund was paid out (ConfirmRefund)."""
        order_id = path_order_id(order_id)
        try:
            check_id(refund_id, "refundId")
        except ValueError as error:
            raise invalid("refundId", str(error), where="path") from None
        return await run(
            request,
            NO_BODY,
            lambda v, key: ConfirmRefund(order_id, refund_id, command_id=key),
            if_match,
            idempotency_key,
        )

    @app.post("/orders/{orderId}/cancellation", tags=["commands"], **command_docs(CANCEL_BODY))
    async def cancel_order(
        request: Request, order_id: OrderIdPath, if_match: IfMatch = None, idempotency_key: IdempotencyKey = None
    ) -> JSONResponse:
        """Cancel the order (CancelOrder); what was paid is refunded with it."""
        order_id = path_order_id(order_id)
        return await run(
            request,
            CANCEL_BODY,
            lambda v, key: CancelOrder(order_id, v.get("reason"), command_id=key),
            if_match,
            idempotency_key,
        )

    @app.post("/orders/{orderId}/shipment", tags=["commands"], **command_docs(NO_BODY))
    async def ship_order(
        request: Request, order_id: OrderIdPath, if_match: IfMatch = None, idempotency_key: IdempotencyKey = None
    ) -> JSONResponse:
        """Ship the order (ShipOrder)."""
        order_id = path_order_id(order_id)
        return await run(
            request, NO_BODY, lambda v, key: ShipOrder(order_id, command_id=key), if_match, idempotency_key
        )

    # --- queries: they read, never write --------------------------------------

    @contextmanager
    def read_models(min_position: int | None) -> Iterator[OrderQueries]:
        """The read models' queries, once they have reached ``min_position``; hold them briefly."""
        with worker.lock:
            if min_position is not None and min_position > store.last_position:
                raise invalid(
                    "minPosition",
                    f"position {min_position} has not been recorded; the last is "
                    f"{store.last_position}: send a position from a response",
                    where="query",
                )
            if worker.error is not None or not worker.wait_for(min_position or 0, max_wait):
                behind = (
                    "the read models stopped after a failure"
                    if worker.error is not None
                    else f"the read models did not reach position {min_position} within {max_wait:g} s"
                )
                raise Problem(
                    503,
                    "read-model-behind",
                    "The read models are behind",
                    f"{behind}; they are at position {worker.position}: try again shortly",
                    headers={"Retry-After": "1", "Read-Model-Position": str(worker.position)},
                    readModelPosition=worker.position,
                )
            yield worker.read_models.queries()

    def read_answer(body: Any, *, etag: int | None = None) -> JSONResponse:
        headers = {"Read-Model-Position": str(worker.position)}
        if etag is not None:
            headers["ETag"] = f'"{etag}"'
        return JSONResponse(body, headers=headers)

    def one_order(queries: OrderQueries, order_id: str) -> JSONResponse:
        order = queries.order(order_id)
        if order is None:
            raise Problem(
                404,
                "not-found",
                "No such resource",
                f"no order {order_id} in the read model (a new order appears once the read model "
                "has caught up: send minPosition to wait for it)",
                orderId=order_id,
            )
        return read_answer(order, etag=order["lastVersion"])

    @app.get("/orders", tags=["queries"], **schemas.query_docs(schemas.OrderOrPage, etag=True))
    def find_orders(
        order_id: Annotated[
            str | None,
            Query(
                alias="orderId", min_length=1, max_length=MAX_ID_LENGTH, description="The seed's query: one order by id"
            ),
        ] = None,
        status: Annotated[
            str | None, Query(description="Only orders in this status", json_schema_extra={"enum": list(STATUSES)})
        ] = None,
        customer_id: Annotated[str | None, Query(alias="customerId", min_length=1, max_length=MAX_ID_LENGTH)] = None,
        limit: Annotated[int, Query(ge=1, le=100, description="Orders per page")] = 20,
        cursor: Annotated[str | None, Query(max_length=20, description="`nextCursor` of the page before")] = None,
        min_position: MinPosition = None,
    ) -> JSONResponse:
        """With `orderId`: that order (the seed's `GET /orders?orderId=123456`). Otherwise a page of
        orders in the order they were placed, filtered by `status` and `customerId`."""
        if order_id is not None:
            others = [
                name
                for name, value in (("status", status), ("customerId", customer_id), ("cursor", cursor))
                if value is not None
            ]
            if others:
                raise invalid(
                    others[0],
                    f"orderId names one order; {others[0]} pages through many: send one or the other",
                    where="query",
                )
            order_id = check_query_id(order_id, "orderId")
            with read_models(min_position) as queries:
                return one_order(queries, order_id)
        if status is not None and status not in STATUSES:
            raise invalid("status", f"unknown status {status!r}; one of: {', '.join(STATUSES)}", where="query")
        if customer_id is not None:
            customer_id = check_query_id(customer_id, "customerId")
        if cursor is not None and not re.fullmatch(r"[0-9]{1,18}", cursor):  # ASCII digits: str.isdigit takes "٣"
            raise invalid("cursor", "cursor is the nextCursor of a page, as it was sent", where="query")
        start = int(cursor or 0)
        with read_models(min_position) as queries:
            rows = worker.read_models.orders.state
            page: list[dict[str, Any] | None] = []  # never None: every row is an order
            scanned, more = start, False
            for row in islice(rows.values(), start, None):
                if (status is None or row.status == status) and (customer_id is None or row.customer_id == customer_id):
                    if len(page) == limit:
                        more = True
                        break
                    page.append(queries.order(row.order_id))
                scanned += 1
            return read_answer({"orders": page, "nextCursor": str(scanned) if more else None})

    @app.get("/orders/{orderId}", tags=["queries"], **schemas.query_docs(schemas.Order, etag=True))
    def get_order(order_id: OrderIdPath, min_position: MinPosition = None) -> JSONResponse:
        """One order from the orders read model; its ETag is the order's version there."""
        order_id = path_order_id(order_id)
        with read_models(min_position) as queries:
            return one_order(queries, order_id)

    def order_events(order_id: str) -> list[RecordedEvent]:
        events = store.read_stream(stream_for(order_id))
        if not events:
            raise Problem(404, "not-found", "No such resource", f"no order {order_id}", orderId=order_id)
        return events

    @app.get("/orders/{orderId}/events", tags=["queries"], **schemas.query_docs(schemas.OrderEvents, read_model=False))
    def get_order_events(order_id: OrderIdPath) -> JSONResponse:
        """The trace: the order's events from the store, oldest first, in the seed's JSON shape."""
        order_id = path_order_id(order_id)
        return JSONResponse({"orderId": order_id, "events": [event_json(r) for r in order_events(order_id)]})

    @app.get(
        "/orders/{orderId}/state",
        tags=["queries"],
        **schemas.query_docs(schemas.OrderStateOut, etag=True, read_model=False),
    )
    def get_order_state(
        order_id: OrderIdPath,
        version: Annotated[
            int | None, Query(ge=0, le=2**63 - 1, description="The state right after this version")
        ] = None,
        at: Annotated[
            str | None,
            Query(
                max_length=40,
                description="The state at this moment: an ISO 8601 time (naive means UTC) or Unix seconds",
            ),
        ] = None,
    ) -> JSONResponse:
        """Time travel: the order's state at a version or a moment, folded from its events."""
        order_id = path_order_id(order_id)
        events = order_events(order_id)
        if version is not None and at is not None:
            raise invalid("at", "send version or at, not both", where="query")
        if version is not None:
            if version > len(events):
                raise invalid(
                    "version", f"order {order_id} has versions 0 to {len(events)}, not {version}", where="query"
                )
            state = state_at_version(store, order_id, version)
        elif at is not None:
            try:
                moment = int(at) if re.fullmatch(r"-?\d{1,15}", at) else to_timestamp(at)
            except (ValueError, OverflowError) as error:
                raise invalid(
                    "at", f"at {at!r} is not an ISO 8601 time or Unix seconds ({error})", where="query"
                ) from None
            state = state_at_time(store, order_id, moment)
            version = sum(1 for r in events if r.recorded_at <= moment)
        else:  # the state now: its version is the order's, fresh from the events, an ETag for If-Match
            state = state_at_version(store, order_id, len(events))
            return JSONResponse(state_json(order_id, state, len(events)), headers={"ETag": f'"{len(events)}"'})
        return JSONResponse(state_json(order_id, state, version))

    @app.get("/events", tags=["queries"], **schemas.query_docs(schemas.EventFeed, read_model=False))
    def get_events(
        after: Annotated[int, Query(ge=0, le=2**63 - 1, description="Events after this position")] = 0,
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    ) -> JSONResponse:
        """The global feed, in position order: what another service follows (positions may have gaps)."""
        events = store.read_all(after + 1, limit)
        return JSONResponse({"events": [event_json(r) for r in events], "lastPosition": store.last_position})

    @app.get(
        "/streams/{streamId}/events", tags=["queries"], **schemas.query_docs(schemas.StreamEvents, read_model=False)
    )
    def get_stream_events(
        stream_id: Annotated[str, Path(alias="streamId", min_length=1, description="A stream's id, e.g. order-123456")],
    ) -> JSONResponse:
        """One stream's events, of any domain the store holds, oldest first: what its aggregate folds."""
        try:
            check_stream_id(stream_id)
        except (TypeError, ValueError) as error:
            raise invalid("streamId", str(error), where="path") from None
        events = store.read_stream(stream_id)
        if not events:
            raise Problem(404, "not-found", "No such resource", f"no stream {stream_id}", streamId=stream_id)
        return JSONResponse({"streamId": stream_id, "events": [event_json(r) for r in events]})

    @app.get("/revenue/daily", tags=["queries"], **schemas.query_docs(schemas.DailyRevenueOut))
    def daily_revenue(min_position: MinPosition = None) -> JSONResponse:
        """Revenue per UTC day, from the daily revenue read model."""
        with read_models(min_position):
            days = sorted(worker.read_models.daily_revenue.state.days.values(), key=lambda d: d.date)
            return read_answer(
                {
                    "days": [
                        {
                            "date": d.date.isoformat(),
                            "ordersPlaced": d.orders_placed,
                            "grossPaid": money(d.gross_paid),
                            "refundsPaid": money(d.refunds_paid),
                            "net": money(d.net),
                        }
                        for d in days
                    ]
                }
            )

    schemas.finish_openapi(app)
    return app


def check_query_id(value: str, name: str) -> str:
    try:
        return check_id(value, name)
    except ValueError as error:
        raise invalid(name, str(error), where="query") from None
