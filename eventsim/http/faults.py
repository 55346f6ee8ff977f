"""A network that loses answers, to meet retries for real (notebook 9).

``LoseResponses(times=1)`` is an httpx transport: the request reaches the
server and is carried out, but the first ``times`` answers to a ``POST`` are
thrown away and the client sees a timeout instead, as when a connection
drops on the way back.  The client cannot tell whether the command ran.
"""

from __future__ import annotations

import httpx

__all__ = ["LoseResponses"]


class LoseResponses(httpx.BaseTransport):
    """An httpx transport that drops the first ``times`` answers to POSTs after the server has answered."""

    def __init__(self, times: int = 1):
        self.to_lose = times
        self.lost = 0
        self._inner = httpx.HTTPTransport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self._inner.handle_request(request)
        if request.method == "POST" and self.lost < self.to_lose:
            response.read()  # the server has answered; the answer never arrives
            response.close()
            self.lost += 1
            raise httpx.ReadTimeout("timed out waiting for the answer (it was lost on the way back)", request=request)
        return response

    def close(self) -> None:
        self._inner.close()
