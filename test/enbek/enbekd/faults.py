"""Fault injection: make the next requests to a service fail in the way
that POST /_control/fault requests."""
import threading
from dataclasses import dataclass

from .model import STATUS_SERVICE, TIMESHEET_SERVICE

MODES = ("http503", "http429", "delay", "drop", "malformed")
SERVICES = {"timesheet": TIMESHEET_SERVICE, "status": STATUS_SERVICE, "any": None}

# Options that only some modes take, with their defaults.
DEFAULT_RETRY_AFTER = 1  # seconds, for http429
DEFAULT_DELAY = 5.0  # seconds, for delay
_OPTIONS = {
    "retry_after": ("http429",),
    "delay": ("delay",),
    "process": ("drop", "malformed"),
}


class FaultError(ValueError):
    """A fault request names an unknown mode, service or option, or an
    invalid value."""


@dataclass
class Fault:
    """A fault that applies to the next `remaining` requests to `service`.

    process, for drop and malformed, makes the service handle the message
    normally before it drops the connection or garbles the response.
    """

    mode: str
    remaining: int
    service: str
    retry_after: int = DEFAULT_RETRY_AFTER
    delay: float = DEFAULT_DELAY
    process: bool = False

    def applies_to(self, service_id):
        return self.service == "any" or SERVICES[self.service] == service_id

    def to_json(self):
        value = {"mode": self.mode, "count": self.remaining, "service": self.service}
        if self.mode == "http429":
            value["retry_after"] = self.retry_after
        if self.mode == "delay":
            value["delay"] = self.delay
        if self.mode in _OPTIONS["process"]:
            value["process"] = self.process
        return value


def _is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def parse_fault(value):
    """Build a Fault from the JSON object of a fault request."""
    if not isinstance(value, dict):
        raise FaultError("the fault must be a JSON object")
    unknown = set(value) - {"mode", "count", "service"} - set(_OPTIONS)
    if unknown:
        raise FaultError(f"unknown fault options {sorted(unknown)}")

    mode = value.get("mode")
    if mode not in MODES:
        raise FaultError(f"mode must be one of {', '.join(MODES)}, not {mode!r}")
    count = value.get("count", 1)
    if not isinstance(count, int) or isinstance(count, bool) or count < 1:
        raise FaultError(f"count must be a positive integer, not {count!r}")
    service = value.get("service", "timesheet")
    if service not in SERVICES:
        raise FaultError(f"service must be one of {', '.join(SERVICES)}, not {service!r}")
    for option, modes in _OPTIONS.items():
        if option in value and mode not in modes:
            raise FaultError(f"{option} applies only to mode {' or '.join(modes)}")

    fault = Fault(mode, count, service)
    if "retry_after" in value:
        retry_after = value["retry_after"]
        if not isinstance(retry_after, int) or isinstance(retry_after, bool) or retry_after < 0:
            raise FaultError(f"retry_after must be a whole number of seconds, not {retry_after!r}")
        fault.retry_after = retry_after
    if "delay" in value:
        delay = value["delay"]
        if not _is_number(delay) or delay <= 0:
            raise FaultError(f"delay must be a positive number of seconds, not {delay!r}")
        fault.delay = float(delay)
    if "process" in value:
        if not isinstance(value["process"], bool):
            raise FaultError(f"process must be true or false, not {value['process']!r}")
        fault.process = value["process"]
    return fault


class FaultInjector:
    """Pending faults, applied first come, first served."""

    def __init__(self):
        self._lock = threading.Lock()
        self._faults = []

    def add(self, fault):
        with self._lock:
            self._faults.append(fault)

    def take(self, service_id):
        """Use up one request of the first pending fault that applies to
        service_id (None when the request names no readable service) and
        return a copy of that fault, or None."""
        with self._lock:
            for fault in self._faults:
                if fault.applies_to(service_id):
                    fault.remaining -= 1
                    if fault.remaining == 0:
                        self._faults.remove(fault)
                    return Fault(**{**fault.__dict__, "remaining": 1})
            return None

    def pending(self):
        with self._lock:
            return [f.to_json() for f in self._faults]

    def reset(self):
        with self._lock:
            self._faults.clear()

    def take_all(self):
        """Forget the pending faults and return them as pending() listed
        them, in one step, so that no request falls between the two."""
        with self._lock:
            pending = [f.to_json() for f in self._faults]
            self._faults.clear()
            return pending
