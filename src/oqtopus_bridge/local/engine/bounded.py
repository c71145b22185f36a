"""A worker's least-recently-used cache per device object, bounded by count and estimated bytes.

The prepared programs (`.prepared`) and the structure templates (`.structure`) keep what a
program costs to parse and transpile, keyed by the program (or its skeleton), the device and the
settings. An entry matches only the device object it was made for: a worker keeps each device it
was sent, and an edited device arrives as a new object. The bound on estimated bytes keeps a few
very large programs from holding the worker's memory; an entry larger than the bound is not kept.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable
from typing import Generic, TypeVar

from ..devices import Device

__all__ = ["DeviceCache"]

V = TypeVar("V")


class DeviceCache(Generic[V]):
    """Entries ``key -> value`` for one device object each, the least recently used dropped first.

    Thread-safe. ``max_entries`` and ``max_bytes`` may be changed on the instance.

    Args:
        max_entries: Entries kept at most.
        max_bytes: Estimated bytes kept at most (each entry's size is the caller's estimate).
    """

    def __init__(self, max_entries: int, max_bytes: int) -> None:
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self.entries: OrderedDict[Hashable, tuple[Device, V, int]] = OrderedDict()
        self.size = 0
        self._lock = threading.Lock()

    def lookup(self, key: Hashable, device: Device) -> tuple[bool, V | None]:
        """``(True, value)`` if ``key`` is kept for this very ``device``, else ``(False, None)``."""
        with self._lock:
            hit = self.entries.get(key)
            if hit is None or hit[0] is not device:
                return False, None
            self.entries.move_to_end(key)
            return True, hit[1]

    def store(self, key: Hashable, device: Device, value: V, size: int) -> None:
        """Keep ``value`` (of ``size`` estimated bytes), dropping the least recently used."""
        with self._lock:
            old = self.entries.pop(key, None)
            self.size -= old[2] if old is not None else 0
            if size <= self.max_bytes:
                self.entries[key] = (device, value, size)
                self.size += size
            while len(self.entries) > self.max_entries or self.size > self.max_bytes:
                self.size -= self.entries.popitem(last=False)[1][2]

    def clear(self) -> None:
        """Drop every entry."""
        with self._lock:
            self.entries.clear()
            self.size = 0
