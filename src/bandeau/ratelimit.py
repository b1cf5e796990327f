"""How many decisions one client may send: fixed one-minute windows, counted in memory."""

from __future__ import annotations

import threading
import time

__all__ = ["RateLimiter"]


class RateLimiter:
    """Fixed one-minute windows per client address, in memory (per process)."""

    def __init__(self, per_minute: int) -> None:
        self.per_minute = per_minute
        self._window = 0
        self._counts: dict[str, int] = {}
        self._lock = threading.Lock()

    def hit(self, client: str) -> bool:
        """Count one decision from `client`; False when it is over the limit."""
        if self.per_minute <= 0:
            return True
        window = int(time.time() // 60)
        with self._lock:
            if window != self._window:
                self._window, self._counts = window, {}
            n = self._counts.get(client, 0) + 1
            self._counts[client] = n
        return n <= self.per_minute
