"""Labour contracts registered with Enbek, against which employees are
checked."""
import datetime
import json
import os
import re
import threading
from dataclasses import dataclass

_TWELVE_DIGITS = re.compile(r"\d{12}")
_FIELDS = {"bin", "iin", "contractId", "start", "end"}
# Fields a contract may leave out, with the value it then has.  The
# working-hours code is one of ESUTD's dictionary D_WORKING_HOURS: 1 normal,
# 2 reduced, 3 part-time, 4 shorter, 5 flexible.
_OPTIONAL_FIELDS = {"position": None, "workingHours": 1}
WORKING_HOURS_CODES = (1, 2, 3, 4, 5)


class ContractError(ValueError):
    """A contract in a seed file or a control request is invalid."""


@dataclass(frozen=True)
class Contract:
    """A labour contract between an employer (BIN) and an employee (IIN),
    valid from start to end inclusive; end None means open-ended."""

    bin: str
    iin: str
    contract_id: str
    start: datetime.date
    end: datetime.date | None
    position: str | None = None
    working_hours: int = 1

    def covers(self, first_day, last_day):
        """Return whether the contract is in force on at least one day from
        first_day to last_day."""
        return self.start <= last_day and (self.end is None or self.end >= first_day)

    def to_json(self):
        return {
            "bin": self.bin,
            "iin": self.iin,
            "contractId": self.contract_id,
            "start": self.start.isoformat(),
            "end": self.end.isoformat() if self.end else None,
            "position": self.position,
            "workingHours": self.working_hours,
        }


def _parse_date(value, field, position):
    if not isinstance(value, str):
        raise ContractError(f"contract {position}: {field} must be a date as YYYY-MM-DD, not {value!r}")
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise ContractError(f"contract {position}: {field} {value!r} is not a date as YYYY-MM-DD") from None


def parse_contract(value, position):
    """Build a Contract from its JSON object, raising ContractError that
    names the contract's position and the invalid field."""
    if not isinstance(value, dict):
        raise ContractError(f"contract {position} must be a JSON object")
    unknown = set(value) - _FIELDS - set(_OPTIONAL_FIELDS)
    missing = _FIELDS - set(value)
    if unknown:
        raise ContractError(f"contract {position}: unknown fields {sorted(unknown)}")
    if missing:
        raise ContractError(f"contract {position}: missing fields {sorted(missing)}")
    for field in ("bin", "iin"):
        if not isinstance(value[field], str) or not _TWELVE_DIGITS.fullmatch(value[field]):
            raise ContractError(f"contract {position}: {field} must be 12 digits, not {value[field]!r}")
    contract_id = value["contractId"]
    if not isinstance(contract_id, str) or not contract_id.strip():
        raise ContractError(f"contract {position}: contractId must be a non-empty string")
    start = _parse_date(value["start"], "start", position)
    end = None if value["end"] is None else _parse_date(value["end"], "end", position)
    if end is not None and end < start:
        raise ContractError(f"contract {position}: end {end} is before start {start}")
    job = value.get("position", _OPTIONAL_FIELDS["position"])
    if job is not None and (not isinstance(job, str) or not job.strip()):
        raise ContractError(f"contract {position}: position must be a non-empty string or null")
    working_hours = value.get("workingHours", _OPTIONAL_FIELDS["workingHours"])
    if isinstance(working_hours, bool) or working_hours not in WORKING_HOURS_CODES:
        raise ContractError(
            f"contract {position}: workingHours must be a code of D_WORKING_HOURS, 1 to 5, not {working_hours!r}"
        )
    return Contract(value["bin"], value["iin"], contract_id, start, end, job, working_hours)


def parse_contracts(value):
    """Build Contracts from a JSON list of contract objects."""
    if not isinstance(value, list):
        raise ContractError("contracts must be a JSON list of objects")
    return [parse_contract(item, position) for position, item in enumerate(value, 1)]


def load_contracts_file(path):
    """Read the seeded contracts from a JSON file."""
    with open(path, encoding="utf-8") as f:
        try:
            value = json.load(f)
        except json.JSONDecodeError as e:
            raise ContractError(f"{path} is not valid JSON: {e}") from None
    return parse_contracts(value)


class ContractRegistry:
    """The contracts known to the service: the seeded ones and those added
    through /_control/contracts.  Added contracts are kept in added_path,
    when given, so that they survive a restart."""

    def __init__(self, seeded, added_path=None):
        self._lock = threading.Lock()
        self._seeded = list(seeded)
        self._added_path = added_path
        self._added = []
        if added_path and os.path.exists(added_path):
            with open(added_path, encoding="utf-8") as f:
                self._added = parse_contracts(json.load(f))

    def add(self, contracts):
        """Register more contracts and persist them."""
        with self._lock:
            self._added.extend(contracts)
            if self._added_path:
                _write_json_atomically(self._added_path, [c.to_json() for c in self._added])

    def find(self, bin_, iin):
        """Return the contracts between the employer and the employee."""
        with self._lock:
            return [c for c in self._seeded + self._added if c.bin == bin_ and c.iin == iin]

    def all(self):
        """Return every contract, the seeded ones first."""
        with self._lock:
            return self._seeded + self._added

    def of_employer(self, bin_):
        """Return the employer's contracts in the order they were registered."""
        with self._lock:
            return [c for c in self._seeded + self._added if c.bin == bin_]


def _write_json_atomically(path, value):
    temporary = path + ".tmp"
    with open(temporary, "w", encoding="utf-8") as f:
        json.dump(value, f, ensure_ascii=False, indent=1)
        f.flush()
        os.fsync(f.fileno())
    os.replace(temporary, path)
