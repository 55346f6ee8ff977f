"""Id sources: callables that return a new unique id on each call.

Inject ``SeededIds(seed)`` wherever output must be the same on every run
(tests, notebooks, the simulator); ``random_ids`` is the default elsewhere.
"""
from __future__ import annotations

import random
import uuid

__all__ = ["random_ids", "SeededIds"]


def random_ids() -> str:
    """A random UUID4 string."""
    return str(uuid.uuid4())


class SeededIds:
    """UUID4-shaped ids from a seeded generator: the same seed gives the same ids."""

    def __init__(self, seed: int = 0):
        self._random = random.Random(seed)

    def __call__(self) -> str:
        return str(uuid.UUID(int=self._random.getrandbits(128), version=4))
