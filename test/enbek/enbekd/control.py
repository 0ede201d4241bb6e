"""The /_control endpoints that tests use to inject faults, add contracts,
reset the service and inspect the messages, contracts and directory pushes
it received."""
import json
import logging
import urllib.parse

from .contracts import ContractError, parse_contracts
from .faults import FaultError, parse_fault

log = logging.getLogger("enbekd.control")

PREFIX = "/_control/"


class Control:
    """Routes /_control requests.  Each handler returns (HTTP status, JSON
    value)."""

    def __init__(self, store, contracts, faults, in_flight, pushes=None):
        self._store = store
        self._pushes = pushes
        self._contracts = contracts
        self._faults = faults
        self._in_flight = in_flight
        self._routes = {
            ("POST", "fault"): self._add_fault,
            ("GET", "faults"): self._list_faults,
            ("POST", "clear-faults"): self._clear_faults,
            ("POST", "reset"): self._reset,
            ("POST", "contracts"): self._add_contracts,
            ("GET", "messages"): self._list_messages,
            ("GET", "contracts"): self._list_contracts,
            ("GET", "directory"): self._list_pushes,
            ("GET", "health"): self._health,
            ("GET", "in-flight"): self._show_in_flight,
            ("GET", "timesheet"): self._show_timesheet,
        }

    def handle(self, method, path, body):
        """Handle a control request with its raw body and return (HTTP
        status, JSON value)."""
        name, _, query_string = path[len(PREFIX):].partition("?")
        query = {key: values[-1] for key, values in urllib.parse.parse_qs(query_string).items()}
        handler = self._routes.get((method, name))
        if handler is None:
            allowed = [m for (m, n) in self._routes if n == name]
            if allowed:
                return 405, {"ok": False, "error": f"{path} accepts only {', '.join(allowed)}"}
            return 404, {"ok": False, "error": f"no control endpoint {path}"}
        if method == "GET":
            return handler(query)
        try:
            value = json.loads(body) if body.strip() else None
        except ValueError as e:
            return 400, {"ok": False, "error": f"the request body is not valid JSON: {e}"}
        return handler(value)

    def _add_fault(self, value):
        try:
            fault = parse_fault(value)
        except FaultError as e:
            return 400, {"ok": False, "error": str(e)}
        self._faults.add(fault)
        log.info("fault added: %s", json.dumps(fault.to_json()))
        return 200, {"ok": True, "fault": fault.to_json(), "pending": self._faults.pending()}

    def _list_faults(self, _query):
        return 200, {"faults": self._faults.pending()}

    def _clear_faults(self, value):
        if value not in (None, {}):
            return 400, {"ok": False, "error": "clear-faults takes no options"}
        cleared = self._faults.take_all()
        log.info("all faults forgotten: %s", json.dumps(cleared))
        return 200, {"ok": True, "cleared": cleared}

    def _reset(self, value):
        if value not in (None, {}):
            return 400, {"ok": False, "error": "reset takes no options"}
        self._store.reset()
        self._faults.reset()
        self._in_flight.reset()
        if self._pushes is not None:
            self._pushes.reset()
        log.info("all messages and faults forgotten")
        return 200, {"ok": True}

    def _add_contracts(self, value):
        try:
            contracts = parse_contracts(value)
        except ContractError as e:
            return 400, {"ok": False, "error": str(e)}
        self._contracts.add(contracts)
        log.info("%d contracts added", len(contracts))
        return 200, {"ok": True, "added": len(contracts)}

    def _list_messages(self, _query):
        return 200, {"messages": self._store.summaries()}

    def _list_contracts(self, _query):
        return 200, {"contracts": [c.to_json() for c in self._contracts.all()]}

    def _list_pushes(self, _query):
        pushes = self._pushes.summaries() if self._pushes is not None else {}
        return 200, {"directories": pushes}

    def _health(self, _query):
        return 200, {"ok": True}

    def _show_in_flight(self, _query):
        return 200, self._in_flight.snapshot()

    def _show_timesheet(self, query):
        missing = [name for name in ("bin", "period") if not query.get(name)]
        if missing:
            return 400, {"ok": False, "error": f"/_control/timesheet needs the query parameters {' and '.join(missing)}"}
        stored = self._store.stored_timesheet(query["bin"], query["period"])
        if stored is None:
            return 404, {"ok": False,
                         "error": f"no document of employer {query['bin']} for {query['period']} was accepted"}
        return 200, stored.to_json()
