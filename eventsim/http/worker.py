"""The projection worker: the server's read models, caught up in a thread of their own.

A command's response does not wait for the read models.  The worker applies
new events a moment later, so a query sent right after a command may not see
it yet: the read side is eventually consistent, as in any real deployment.
A client that must read its own write sends the position from the command's
response (``minPosition``); ``wait_for`` holds the query until the read models
have reached it, for a bounded time.
"""

from __future__ import annotations

import logging
import threading
import time

from ..shop.read_models import ShopReadModels
from ..store import InMemoryEventStore

__all__ = ["ProjectionWorker"]

logger = logging.getLogger(__name__)

BATCH = 1_000  # events applied per hold of the lock: queries wait for one batch at most


class ProjectionWorker:
    """Keeps ``read_models`` caught up with ``store`` from a daemon thread.

    It works when woken (after each command, and whenever a query waits for
    a position) and every ``poll`` seconds (for writes by other processes).
    After a pass that applied events it rests ``rest`` seconds, so under load
    it reads the events of that moment in one batch rather than one read of
    the store per command.  Read ``read_models`` only while holding ``lock``.
    ``pause()`` stops it, as a crashed consumer would stop, so the lag can be
    seen; ``resume()`` starts it again.
    """

    def __init__(self, store: InMemoryEventStore, *, poll: float = 0.2, rest: float = 0.005):
        self.store = store
        self.read_models = ShopReadModels(store)
        self.lock = threading.Condition()
        self.poll, self.rest = poll, rest
        self.error: BaseException | None = None
        self._wake = threading.Event()
        self._paused = False
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="projection worker", daemon=True)

    def start(self) -> None:
        self._thread.start()

    @property
    def position(self) -> int:
        """The position of the last event every read model has applied (0: none yet)."""
        return self.read_models.orders.checkpoint

    @property
    def paused(self) -> bool:
        return self._paused

    def wake(self) -> None:
        self._wake.set()

    def pause(self) -> None:
        """Stop applying events (after the batch in hand) until ``resume()``."""
        with self.lock:
            self._paused = True

    def resume(self) -> None:
        with self.lock:
            self._paused = False
        self.wake()

    def close(self) -> None:
        self._closed = True
        self.wake()
        if self._thread.is_alive():
            self._thread.join()

    def wait_for(self, position: int, timeout: float) -> bool:
        """Whether the read models reach ``position`` within ``timeout`` seconds.  Hold ``lock``."""
        if self.position >= position:
            return True
        self.wake()
        return (
            self.lock.wait_for(lambda: self.position >= position or self.error is not None, timeout)
            and self.error is None
        )

    def _run(self) -> None:
        while not self._closed:
            self._wake.wait(self.poll)
            self._wake.clear()
            try:
                applied = 0
                while not self._closed:
                    with self.lock:
                        if self._paused:
                            break
                        # The three read models move together, so one checkpoint speaks for all.
                        moved = self.read_models.catch_up(BATCH)
                        self.lock.notify_all()
                    applied += moved
                    if moved < BATCH:
                        break
                if applied:
                    time.sleep(self.rest)
            except Exception as error:  # a projection bug: stop here rather than skip an event
                logger.exception("the projection worker stopped at position %d", self.position)
                with self.lock:
                    self.error = error
                    self.lock.notify_all()
                return

    def __repr__(self) -> str:
        state = "failed" if self.error else "paused" if self._paused else "running"
        return f"<ProjectionWorker {state} at position {self.position} of {self.store.last_position}>"
