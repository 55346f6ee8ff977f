"""A throwaway PostgreSQL server for the store tests, started once per test session.

The server runs from a temporary directory on a free port and is stopped (and
its files removed) when the session ends.  As root, ``initdb`` and ``pg_ctl``
run as the ``postgres`` user (``initdb`` refuses root).  Without the server
binaries the PostgreSQL tests skip with a message saying how to install them,
except when ``CI`` is set: there they fail, so a CI run never passes without
having tested PostgreSQL.
"""
import glob
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from pathlib import Path

import pytest

INSTALL_HINT = "install them: apt-get install postgresql"


def postgres_bindir() -> Path | None:
    """The newest installed PostgreSQL server's bin directory, or None."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PostgresServer:
    """A PostgreSQL cluster in ``root``; ``url`` reaches its ``postgres`` database."""

    def __init__(self, bindir: Path):
        self.bindir = bindir
        self.root = Path(tempfile.mkdtemp(prefix="eventsim-pg-"))
        self.data = self.root / "data"
        self.port = free_port()
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres")

    def run(self, tool: str, *args: str) -> None:
        command = [str(self.bindir / tool), *args]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        result = subprocess.run(command, check=False, capture_output=True, text=True, timeout=120)
        if result.returncode:
            log = (self.root / "log").read_text() if (self.root / "log").exists() else ""
            raise RuntimeError(f"{tool} failed ({result.returncode}): {result.stderr or result.stdout}\n{log}")

    def init(self) -> None:
        # --no-sync: the cluster's template files need not reach the disk; the server itself runs with fsync on.
        self.run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "--no-sync")

    def start(self) -> None:
        self.run("pg_ctl", "-D", str(self.data), "-l", str(self.root / "log"), "-w", "start", "-o",
                 f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c max_connections=50")

    def stop(self, mode: str = "fast") -> None:
        self.run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")

    def remove(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_server():
    """The session's PostgreSQL server (skips, or fails under CI, without the binaries)."""
    bindir = postgres_bindir()
    if bindir is None:
        reason = f"PostgreSQL server binaries not found ({INSTALL_HINT})"
        if os.environ.get("CI"):
            pytest.fail(f"CI is set, so PostgreSQL tests must run, but {reason}")
        pytest.skip(reason)
    server = PostgresServer(bindir)
    try:
        server.init()
        server.start()
        yield server
    finally:
        try:
            server.stop("immediate")
        except RuntimeError:
            pass  # not running (a failed start, or a test stopped it)
        server.remove()


@pytest.fixture
def postgres_url(postgres_server):
    """A URL whose connections work in a fresh schema of their own: every test starts empty."""
    import psycopg

    schema = f"test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgres_server.url, autocommit=True) as connection:
        connection.execute(f"CREATE SCHEMA {schema}")
    yield f"{postgres_server.url}?options=-csearch_path%3D{schema}"
    try:
        with psycopg.connect(postgres_server.url, autocommit=True) as connection:
            connection.execute(f"DROP SCHEMA {schema} CASCADE")
    except psycopg.OperationalError:
        pass  # the server is down: a test stopped it, and the session fixture cleans up



def _new_store_url(kind, request, tmp_path):
    if kind == "memory":
        return "memory:"
    if kind == "sqlite":
        return str(tmp_path / "store.db")
    return request.getfixturevalue("postgres_url")  # a PostgreSQL schema of its own


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request, tmp_path):
    """A new, empty store on each database."""
    return _new_store_url(request.param, request, tmp_path)


@pytest.fixture(params=["memory", "sqlite", "postgres"])
def any_store_url(request, tmp_path):
    """A new, empty store of every kind: in memory, then on each database."""
    return _new_store_url(request.param, request, tmp_path)
