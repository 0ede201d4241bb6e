"""The number of SendMessage requests being served at once, and its maximum
since the last reset, so that tests can see how many requests a client
keeps in flight."""
import threading


class InFlight:
    """A thread-safe gauge of requests in progress."""

    def __init__(self):
        self._lock = threading.Lock()
        self._current = 0
        self._maximum = 0

    def enter(self):
        with self._lock:
            self._current += 1
            self._maximum = max(self._maximum, self._current)

    def leave(self):
        with self._lock:
            self._current -= 1

    def snapshot(self):
        """Return {"current": n, "maximum": m}."""
        with self._lock:
            return {"current": self._current, "maximum": self._maximum}

    def reset(self):
        """Forget the maximum.  Requests still in progress stay counted."""
        with self._lock:
            self._maximum = self._current
