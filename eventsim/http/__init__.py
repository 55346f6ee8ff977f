"""The shop over HTTP (notebook 9): a FastAPI app and the ways to serve it.

    from eventsim.http import create_app, start
    server = start(create_app(shop))        # in a notebook: a background server on a free port
    server.url, server.stop()

``eventsim serve`` serves one from the command line.
"""

from .app import create_app
from .server import RunningServer, serve, start

__all__ = ["RunningServer", "create_app", "serve", "start"]
