"""Serving the app: ``serve`` for ``eventsim serve``, ``start`` for a server inside a notebook.

Both bind to 127.0.0.1 unless told otherwise: a shop on a laptop is not
meant to be reachable from the network.  Port 0 asks the system for a free
port; the socket is bound before the server starts, so the URL printed or
returned is the one it listens on.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from typing import Self

import uvicorn
from fastapi import FastAPI

from ..shop import Shop
from .app import create_app

__all__ = ["RunningServer", "serve", "start"]

LOCAL = "127.0.0.1"


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP said outright: asyncio turns Nagle's algorithm off only on sockets that say so, and
    # with it on, every response waits about 40 ms for the client's delayed acknowledgement.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        sock.listen(2048)  # listening before the URL is printed: a client that reads it at once can connect
    except (OSError, OverflowError) as error:  # taken, unknown host, no such port (OverflowError: 99999)
        sock.close()
        reason = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
        raise OSError(getattr(error, "errno", None), reason, f"{host}:{port}") from error  # names the address
    sock.set_inheritable(True)
    return sock


def _url(host: str, port: int) -> str:
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def serve(
    shop_or_store_url: Shop | str = "memory:", *, host: str = LOCAL, port: int = 8000, access_log: bool = True
) -> int:
    """Serve until Ctrl-C (or SIGTERM), then stop cleanly; print the URL first.  Returns 0.

    ``access_log`` prints a line per request, as uvicorn does; a benchmark turns it off."""
    sock = _bind(host, port)  # first: an address that cannot be had opens (and creates) no store
    try:
        app = create_app(shop_or_store_url)
    except BaseException:
        sock.close()
        raise
    url = _url(host, sock.getsockname()[1])
    print(f"eventsim serve: {url}  (API docs at {url}/docs; Ctrl-C stops)", flush=True)
    if host not in (LOCAL, "::1", "localhost"):
        print(f"eventsim serve: listening on {host}: other machines can reach this shop", flush=True)
    try:
        uvicorn.Server(uvicorn.Config(app, log_level="info", access_log=access_log)).run(sockets=[sock])
    except KeyboardInterrupt:  # uvicorn has shut down cleanly, then passes Ctrl-C on
        pass
    print("eventsim serve: stopped", flush=True)
    return 0


class RunningServer:
    """A server running in a background thread: ``url``, ``app`` and ``stop()``.

    ``proxy_path`` is where a browser finds it through ``jupyter-server-proxy``
    on Binder or JupyterHub (``None`` elsewhere).
    """

    def __init__(
        self, app: FastAPI, server: uvicorn.Server, thread: threading.Thread, url: str, proxy_path: str | None
    ):
        self.app, self._server, self._thread = app, server, thread
        self.url, self.proxy_path = url, proxy_path

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def stop(self, timeout: float = 10.0) -> None:
        """Ask the server to finish the requests in hand, and wait for it."""
        self._server.should_exit = True
        self._thread.join(timeout)
        if self._thread.is_alive():
            raise TimeoutError(f"the server at {self.url} did not stop within {timeout} s")

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exception: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"<RunningServer {self.url} {'running' if self.running else 'stopped'}>"


def start(app: FastAPI, *, host: str = LOCAL, port: int = 0, timeout: float = 10.0) -> RunningServer:
    """Serve ``app`` from a daemon thread (inside a Jupyter kernel, say) and return once it answers.

    The kernel's own event loop is not touched: the server runs its own in
    its thread.  Access logs are off, so cells print only what they print.
    """
    sock = _bind(host, port)
    port = sock.getsockname()[1]
    prefix = os.environ.get("JUPYTERHUB_SERVICE_PREFIX")  # set on Binder and JupyterHub
    proxy_path = f"{prefix.rstrip('/')}/proxy/{port}" if prefix else None
    config = uvicorn.Config(app, log_level="warning", access_log=False, root_path=proxy_path or "")
    server = uvicorn.Server(config)
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name=f"eventsim server {port}", daemon=True
    )
    thread.start()
    deadline = time.monotonic() + timeout
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            sock.close()
            raise RuntimeError(f"the server on port {port} did not start (see the log above)")
        time.sleep(0.01)
    return RunningServer(app, server, thread, _url(host, port), proxy_path)
