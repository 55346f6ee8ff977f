"""The shop's readers of personal data: who placed which order, and a trace people can read.

Both open the sealed data of an ``OrderCreated`` with the customer's key (``eventsim.privacy.Vault``)
and show ``FORGOTTEN`` once the customer was forgotten; never the sealed text.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict
from typing import Any

from ..privacy import FORGOTTEN, PersonalData, Vault
from .events import OrderCreated

__all__ = ["personal_data_rows", "reveal", "trace_rows"]


def reveal(event: Any, vault: Vault) -> PersonalData | str | None:
    """What a reader shows for an event: its personal data, ``FORGOTTEN``, or ``None`` (it has none)."""
    if not isinstance(event, OrderCreated) or event.personal_data is None or event.customer_id is None:
        return None
    return vault.open(event.customer_id, event.personal_data) or FORGOTTEN


def personal_data_rows(events: Iterable[Any], vault: Vault) -> list[dict[str, str | None]]:
    """A read model of who placed which order: one row per ``OrderCreated``, forgotten data as ``FORGOTTEN``.

    ``events`` are domain events or recorded ones (anything with ``.event``).
    """
    rows = []
    for item in events:
        event = getattr(item, "event", item)
        if not isinstance(event, OrderCreated):
            continue
        shown = reveal(event, vault)
        row: dict[str, str | None] = {"order_id": event.order_id, "customer_id": event.customer_id}
        if isinstance(shown, PersonalData):
            row.update(asdict(shown))
        else:
            row.update(dict.fromkeys(("name", "email", "address"), shown))
        rows.append(row)
    return rows


def trace_rows(recorded: Iterable[Any], vault: Vault) -> list[dict[str, Any]]:
    """A trace of recorded events for people to read: each event's fields, with personal data opened,
    or ``FORGOTTEN`` once the customer was forgotten; never the sealed text."""
    rows = []
    for r in recorded:
        fields = {k: v for k, v in asdict(r.event).items() if v is not None and k != "personal_data"}
        shown = reveal(r.event, vault)
        if isinstance(shown, PersonalData):
            fields.update(asdict(shown))
        elif shown == FORGOTTEN:
            fields["personal_data"] = FORGOTTEN
        rows.append({"version": r.version, "event_type": r.event_type, **fields})
    return rows
