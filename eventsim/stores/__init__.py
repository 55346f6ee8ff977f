"""Durable event stores, and one way to open any store from a URL.

    open_store("memory:")                                   # InMemoryEventStore
    open_store("shop.db")  or  open_store("sqlite:///shop.db")   # SQLiteEventStore (a file)
    open_store("postgresql://user@host:5432/dbname")        # PostgresEventStore

All three keep one contract (``tests/test_store_contract.py`` runs the same
tests on each).  psycopg is imported only when a PostgreSQL URL is opened.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..clock import system_clock
from ..ids import random_ids
from ..store import InMemoryEventStore
from .sql import SCHEMA_VERSION, StoreError
from .sqlite import SQLiteEventStore

__all__ = ["SCHEMA_VERSION", "PostgresEventStore", "SQLiteEventStore", "StoreError", "open_store"]


def __getattr__(name: str) -> Any:  # PostgresEventStore without importing psycopg up front
    if name == "PostgresEventStore":
        from .postgres import PostgresEventStore

        return PostgresEventStore
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def open_store(
    url: str | os.PathLike[str], *, clock: Callable[[], int] = system_clock, ids: Callable[[], str] = random_ids
) -> Any:
    """The store that ``url`` names: ``memory:``, an SQLite file (a path or ``sqlite:///path``),
    or a ``postgresql://`` (``postgres://``) URL.  ``ValueError`` for anything else, a PostgreSQL
    key=value connection string too (it would otherwise make an SQLite file of that name)."""
    if isinstance(url, Path):
        return SQLiteEventStore(url, clock=clock, ids=ids)
    if not isinstance(url, str):
        raise TypeError(f"a store URL is a str or a path, not {type(url).__name__}")
    scheme, sep, rest = url.partition(":")
    scheme = scheme.lower() if sep else ""
    if url == "memory:":
        return InMemoryEventStore(clock=clock, ids=ids)
    if scheme in ("postgresql", "postgres"):
        from .postgres import PostgresEventStore

        return PostgresEventStore(url, clock=clock, ids=ids)
    if scheme == "sqlite":
        if not rest.startswith("///") or len(rest) == 3:
            raise ValueError(f"store URL {url!r}: an SQLite URL is sqlite:///relative/path or sqlite:////absolute/path")
        return SQLiteEventStore(rest[3:], clock=clock, ids=ids)
    if len(scheme) > 1 or not url.strip():  # a one-letter "scheme" is a Windows drive: C:\shop.db
        raise ValueError(
            f"store URL {url!r}: use memory:, a file path or sqlite:///path for SQLite, "
            "or postgresql://user@host/dbname"
        )
    if _LIBPQ_KEYWORDS.match(url):  # not a file name somebody meant: a new SQLite file would be made by that name
        raise ValueError(
            f"store URL {url!r} is a PostgreSQL connection string (key=value); "
            "give it as a URL: postgresql://user@host:port/dbname"
        )
    return SQLiteEventStore(url, clock=clock, ids=ids)


# A libpq connection string ("host=localhost dbname=shop"): its first word is one of libpq's own keywords.
_LIBPQ_KEYWORDS = re.compile(r"\s*(host|hostaddr|port|dbname|user|password|service|sslmode)\s*=")
