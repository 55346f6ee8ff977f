"""Forgetting a customer in an immutable log: crypto-shredding.

Events are never edited or deleted, yet a customer may ask to be forgotten.
So personal data (name, e-mail, shipping address) is never recorded as plain
text.  It is sealed with a key of that customer's own (AES-256-GCM, from the
``cryptography`` library) and only the sealed text goes into an event (the shop's ``OrderCreated``;
its readers are in ``eventsim.shop.privacy``).
The keys live in a key store of their own, apart from the events.  Forgetting
a customer deletes their keys: every copy of the sealed text, in every store
and every exported log, becomes noise that nobody can open, and the events
around it still replay.

    vault = Vault(SQLiteKeyStore("keys.db"))
    sealed = vault.seal("alice", PersonalData("Alice", "alice@example.org", "1 Main St"))
    shop.handle(PlaceOrder("123", Decimal(100), "alice", personal_data=sealed))
    vault.forget("alice")       # from now on vault.open(...) gives None, and readers show FORGOTTEN

What this does not cover: the plain text anywhere it went besides the store
(e-mails sent, logs of the web server, spreadsheets, other services); backups
of the key store, which keep the key until they expire (keep them short-lived
and say so in your retention policy); and the customer id itself, which stays
in every event, so it must be a meaningless id, never an e-mail address.
"""

from __future__ import annotations

import base64
import json
import os
import sqlite3
import threading
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from .ids import check_id

__all__ = [
    "FORGOTTEN",
    "InMemoryKeyStore",
    "KeyStore",
    "PersonalData",
    "PostgresKeyStore",
    "SQLiteKeyStore",
    "Vault",
]

#: What a reader shows in place of a forgotten customer's data.
FORGOTTEN = "(forgotten)"

_PREFIX = "pd1"  # the sealed format's version: "pd1.<key id>.<nonce + ciphertext, base64url>"
_NONCE = 12  # bytes: AES-GCM's standard nonce, random for every seal
_MAX_FIELD = 500  # characters in one field of personal data


@dataclass(frozen=True, slots=True)
class PersonalData:
    """What the shop must be able to forget about a customer."""

    name: str
    email: str
    address: str

    def __post_init__(self) -> None:
        for field, value in asdict(self).items():
            if not isinstance(value, str):
                raise TypeError(f"{field} is a str, not {type(value).__name__}")
            if len(value) > _MAX_FIELD:
                raise ValueError(f"{field} is {len(value)} characters long; at most {_MAX_FIELD}")


class KeyStore(Protocol):
    """Where customers' keys live, apart from the events.  ``key_id`` names one key of a customer."""

    def current(self, customer_id: str) -> tuple[str, bytes] | None: ...
    def add(self, customer_id: str, key_id: str, key: bytes) -> None: ...
    def get(self, customer_id: str, key_id: str) -> bytes | None: ...
    def forget(self, customer_id: str) -> int: ...


class InMemoryKeyStore:
    """Keys in a dict: for tests and the notebook.  A process that ends forgets everyone."""

    def __init__(self) -> None:
        self._keys: dict[str, dict[str, bytes]] = {}

    def current(self, customer_id: str) -> tuple[str, bytes] | None:
        keys = self._keys.get(customer_id)
        return next(reversed(keys.items())) if keys else None

    def add(self, customer_id: str, key_id: str, key: bytes) -> None:
        self._keys.setdefault(customer_id, {})[key_id] = key

    def get(self, customer_id: str, key_id: str) -> bytes | None:
        return self._keys.get(customer_id, {}).get(key_id)

    def forget(self, customer_id: str) -> int:
        return len(self._keys.pop(customer_id, {}))


class _SQLKeyStore:
    """The SQL both databases share; ``_run`` executes one statement in its own transaction."""

    _P = "?"
    _CREATE = (
        "CREATE TABLE IF NOT EXISTS customer_keys (customer_id TEXT NOT NULL, key_id TEXT NOT NULL,"
        " key {blob} NOT NULL, added INTEGER NOT NULL, PRIMARY KEY (customer_id, key_id))"
    )

    def _run(self, sql: str, params: Iterable[Any] = ()) -> list[tuple]:
        raise NotImplementedError

    def current(self, customer_id: str) -> tuple[str, bytes] | None:
        rows = self._run(
            f"SELECT key_id, key FROM customer_keys WHERE customer_id = {self._P} ORDER BY added DESC LIMIT 1",
            (customer_id,),
        )
        return (rows[0][0], bytes(rows[0][1])) if rows else None

    def add(self, customer_id: str, key_id: str, key: bytes) -> None:
        p = self._P
        self._run(
            f"INSERT INTO customer_keys (customer_id, key_id, key, added) VALUES ({p}, {p}, {p},"
            " (SELECT coalesce(max(added), 0) + 1 FROM customer_keys))",
            (customer_id, key_id, key),
        )

    def get(self, customer_id: str, key_id: str) -> bytes | None:
        p = self._P
        rows = self._run(
            f"SELECT key FROM customer_keys WHERE customer_id = {p} AND key_id = {p}", (customer_id, key_id)
        )
        return bytes(rows[0][0]) if rows else None


class SQLiteKeyStore(_SQLKeyStore):
    """Keys in an SQLite file of their own (not the events' file: it is backed up and kept differently).

    A deleted key must not linger in the file: ``secure_delete`` overwrites
    deleted rows with zeros, and the rollback journal (not WAL, which would
    keep the old page until a checkpoint) is removed at each commit.
    """

    def __init__(self, path: str | os.PathLike[str]):
        self.path = Path(path)
        self._lock = threading.Lock()
        self._connection = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self._connection.execute("PRAGMA journal_mode=DELETE")
        self._connection.execute("PRAGMA secure_delete=ON")
        self._connection.execute("PRAGMA synchronous=FULL")  # a forgotten key stays forgotten after a crash
        self._connection.execute(self._CREATE.format(blob="BLOB"))

    def _run(self, sql: str, params: Iterable[Any] = ()) -> list[tuple]:
        with self._lock, self._connection:
            return self._connection.execute(sql, tuple(params)).fetchall()

    def forget(self, customer_id: str) -> int:
        with self._lock, self._connection:
            return self._connection.execute("DELETE FROM customer_keys WHERE customer_id = ?", (customer_id,)).rowcount

    def close(self) -> None:
        self._connection.close()


class PostgresKeyStore(_SQLKeyStore):
    """Keys in a PostgreSQL table; give it a database (or at least a role) apart from the events.

    ``forget`` deletes the rows, then ``VACUUM FULL`` rewrites the table so
    the key is not left in its files.  PostgreSQL's write-ahead log and any
    base backup or replica still hold it until they are recycled: a key store
    on PostgreSQL forgets only as fast as its WAL archive and backups expire.
    """

    _P = "%s"

    def __init__(self, url: str):
        import psycopg  # only those who use PostgreSQL need psycopg

        self._lock = threading.Lock()
        self._connection = psycopg.connect(url, autocommit=True)
        self._connection.execute(self._CREATE.format(blob="BYTEA"))

    def _run(self, sql: str, params: Iterable[Any] = ()) -> list[tuple]:
        with self._lock, self._connection.transaction():
            cursor = self._connection.execute(sql, tuple(params))
            return cursor.fetchall() if cursor.description else []

    def forget(self, customer_id: str) -> int:
        with self._lock:
            count = self._connection.execute(
                "DELETE FROM customer_keys WHERE customer_id = %s", (customer_id,)
            ).rowcount
            self._connection.execute("VACUUM FULL customer_keys")
            return count

    def close(self) -> None:
        self._connection.close()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Vault:
    """Seals and opens customers' personal data with their keys; forgets customers.

    The sealed text names the key it was sealed with and is bound to the
    customer (the customer id is authenticated with it), so it cannot be
    moved to another customer's order.  ``random_bytes`` makes keys and
    nonces; only a test or a notebook that must print the same every time
    passes a seeded one.
    """

    def __init__(self, keys: KeyStore, *, random_bytes: Callable[[int], bytes] = os.urandom):
        self.keys = keys
        self._random = random_bytes

    def seal(self, customer_id: str, data: PersonalData) -> str:
        """The sealed text of ``data``, with the customer's key (made now if they have none)."""
        check_id(customer_id, "customer_id")
        if not isinstance(data, PersonalData):
            raise TypeError(f"seal PersonalData, not {type(data).__name__}")
        current = self.keys.current(customer_id)
        if current is None:
            current = (self._random(8).hex(), self._random(32))
            self.keys.add(customer_id, *current)
        key_id, key = current
        nonce = self._random(_NONCE)
        plain = json.dumps(asdict(data), ensure_ascii=False, separators=(",", ":")).encode()
        sealed = AESGCM(key).encrypt(nonce, plain, self._aad(customer_id, key_id))
        return f"{_PREFIX}.{key_id}.{_b64(nonce + sealed)}"

    def open(self, customer_id: str, sealed: str) -> PersonalData | None:
        """The personal data, or ``None`` if the customer was forgotten (their key is gone).

        ``ValueError`` if ``sealed`` is not sealed text of this customer (tampered, or moved).
        """
        key_id, body = self._parts(sealed)
        key = self.keys.get(customer_id, key_id)
        if key is None:
            return None
        raw = _unb64(body)
        try:
            plain = AESGCM(key).decrypt(raw[:_NONCE], raw[_NONCE:], self._aad(customer_id, key_id))
        except InvalidTag:
            raise ValueError(
                f"sealed personal data does not open with customer {customer_id!r}'s key: "
                "it was changed, or it belongs to another customer"
            ) from None
        return PersonalData(**json.loads(plain))

    def forget(self, customer_id: str) -> int:
        """Delete every key of the customer; return how many.  Nothing can open their data again."""
        check_id(customer_id, "customer_id")
        return self.keys.forget(customer_id)

    @staticmethod
    def _aad(customer_id: str, key_id: str) -> bytes:
        return f"eventsim personal data|{customer_id}|{key_id}".encode()

    @staticmethod
    def _parts(sealed: str) -> tuple[str, str]:
        parts = sealed.split(".") if isinstance(sealed, str) else []
        if len(parts) != 3 or parts[0] != _PREFIX:
            raise ValueError(f"not sealed personal data: {sealed!r:.40}")
        return parts[1], parts[2]
