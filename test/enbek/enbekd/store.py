"""The timesheet messages the service has received, kept in a journal so
that message ids are remembered across a restart."""
import copy
import datetime
import json
import logging
import os
import threading
from dataclasses import dataclass, field

from .model import ACCEPTED, PENDING_STATES, RECEIVED, REJECTED, Error

log = logging.getLogger("enbekd.store")

JOURNAL_NAME = "messages.jsonl"


@dataclass
class MessageRecord:
    """A received timesheet message and what became of it.

    sequence distinguishes a record from an earlier one with the same message
    id that a reset forgot, so that processing scheduled for the old record
    does not touch the new one.  employees contains (iin, contract_id) pairs
    for the checks that run later.  timesheet_id, part and parts come from
    ts:timesheet, and part and parts are None for a whole timesheet or a
    correction in one document.

    counts_as_part is true for a part that passed the checks that run at
    once, so that later parts of its timesheet are checked against it.

    body_sha256 lists the distinct SHA-256 digests of the request bodies
    that carried the message, so a test can check whether a re-send repeated
    the request byte for byte.
    kind is "full" for a timesheetRequest and "correction" for a
    timesheetCorrection.  lines contains the employees' lines of the
    document (for a correction, the added and changed ones with their
    "change"), corrects the message id a correction names, and removed the
    IINs it removes.
    """

    message_id: str
    state: str
    errors: list
    bin: str | None = None
    period: str | None = None
    employees: list = field(default_factory=list)
    send_count: int = 1
    received_at: str = ""
    sequence: int = 0
    timesheet_id: str | None = None
    part: int | None = None
    parts: int | None = None
    counts_as_part: bool = False
    body_sha256: list = field(default_factory=list)
    kind: str = "full"
    version: int | None = None
    lines: list = field(default_factory=list)
    corrects: str | None = None
    removed: list = field(default_factory=list)

    def is_part_of(self, other):
        """Return whether both records are parts of one timesheet or of one
        correction: the same kind, BIN, period and timesheet id."""
        return (self.part is not None and other.part is not None
                and (self.kind, self.bin, self.period, self.timesheet_id)
                == (other.kind, other.bin, other.period, other.timesheet_id))

    def changed_iins(self):
        """Return the IINs the document carries: its employees, and for a
        correction also the removed ones."""
        return [iin for iin, _ in self.employees] + list(self.removed)

    def to_json(self):
        return {
            "messageId": self.message_id,
            "state": self.state,
            "errors": [e.to_json() for e in self.errors],
            "bin": self.bin,
            "period": self.period,
            "employees": [list(e) for e in self.employees],
            "sendCount": self.send_count,
            "receivedAt": self.received_at,
            "sequence": self.sequence,
            "timesheetId": self.timesheet_id,
            "part": self.part,
            "parts": self.parts,
            "countsAsPart": self.counts_as_part,
            "bodySha256": list(self.body_sha256),
            "kind": self.kind,
            "version": self.version,
            "lines": self.lines,
            "corrects": self.corrects,
            "removed": self.removed,
        }

    @classmethod
    def from_json(cls, value):
        return cls(
            message_id=value["messageId"],
            state=value["state"],
            errors=[Error.from_json(e) for e in value["errors"]],
            bin=value["bin"],
            period=value["period"],
            employees=[tuple(e) for e in value["employees"]],
            send_count=value["sendCount"],
            received_at=value["receivedAt"],
            sequence=value["sequence"],
            timesheet_id=value.get("timesheetId"),
            part=value.get("part"),
            parts=value.get("parts"),
            counts_as_part=value.get("countsAsPart", False),
            body_sha256=list(value.get("bodySha256", [])),
            kind=value.get("kind", "full"),
            version=value.get("version"),
            lines=value.get("lines", []),
            corrects=value.get("corrects"),
            removed=value.get("removed", []),
        )

    def summary(self):
        """Return the record as /_control/messages lists it."""
        return {
            "messageId": self.message_id,
            "sendCount": self.send_count,
            "state": self.state,
            "errors": [e.to_json() for e in self.errors],
            "bin": self.bin,
            "period": self.period,
            "employeeCount": len(self.employees),
            "receivedAt": self.received_at,
            "timesheetId": self.timesheet_id,
            "part": self.part,
            "parts": self.parts,
            "bodySha256": list(self.body_sha256),
            "kind": self.kind,
            "version": self.version,
            "corrects": self.corrects,
            "removedCount": len(self.removed),
        }


@dataclass
class StoredTimesheet:
    """The service's copy of an employer's timesheet for a period: the
    accepted documents applied in the order received.

    head contains the message ids that a correction may name: every
    accepted part of the last accepted timesheet or correction (one id when
    it was one document).  lines maps each IIN to its line.  pending_corrections
    contains the message ids of corrections of the head still being checked.
    """

    bin: str
    period: str
    head: list = field(default_factory=list)
    lines: dict = field(default_factory=dict)
    applied: list = field(default_factory=list)
    pending_corrections: list = field(default_factory=list)
    _head_timesheet: tuple | None = None

    def apply(self, record):
        """Apply one accepted document to the copy."""
        self.applied.append(record.message_id)
        document = (record.kind, record.timesheet_id, record.version, record.parts)
        if record.part is not None and document == self._head_timesheet:
            self.head.append(record.message_id)
        else:
            self.head = [record.message_id]
            if record.kind != "correction":
                self.lines = {}
        self._head_timesheet = document if record.part is not None else None
        if record.kind == "correction":
            for line in record.lines:
                self.lines[line["iin"]] = {k: v for k, v in line.items() if k != "change"}
            for iin in record.removed:
                self.lines.pop(iin, None)
            return
        for line in record.lines:
            self.lines[line["iin"]] = line

    def to_json(self):
        return {
            "bin": self.bin,
            "period": self.period,
            "head": self.head,
            "applied": self.applied,
            "pendingCorrections": self.pending_corrections,
            "employees": [self.lines[iin] for iin in sorted(self.lines)],
        }


class MessageStore:
    """Received messages by message id, safe for concurrent use.

    With a state directory, every change appends the whole record to a
    journal, one JSON object a line, and syncs it to disk.  Loading replays
    the journal, and a reset truncates it.  Without a state directory,
    messages live in memory only.
    """

    def __init__(self, state_dir=None):
        self._lock = threading.Lock()
        self._records = {}
        self._next_sequence = 1
        self._journal = None
        if state_dir:
            os.makedirs(state_dir, exist_ok=True)
            path = os.path.join(state_dir, JOURNAL_NAME)
            self._load(path)
            self._rewrite(path)

    def _load(self, path):
        if not os.path.exists(path):
            return
        with open(path, encoding="utf-8") as f:
            for number, line in enumerate(f, 1):
                try:
                    record = MessageRecord.from_json(json.loads(line))
                except (ValueError, KeyError, TypeError) as e:
                    # A line cut short by a crash during a write.
                    log.warning("%s line %d is not a message record and is skipped: %s", path, number, e)
                    continue
                self._records[record.message_id] = record
                self._next_sequence = max(self._next_sequence, record.sequence + 1)
        log.info("loaded %d messages from %s", len(self._records), path)

    def _rewrite(self, path):
        # Compact the journal to one line per message, then append to it.
        temporary = path + ".tmp"
        with open(temporary, "w", encoding="utf-8") as f:
            for record in self._records.values():
                f.write(json.dumps(record.to_json(), ensure_ascii=False) + "\n")
            f.flush()
            os.fsync(f.fileno())
        os.replace(temporary, path)
        self._journal = open(path, "a", encoding="utf-8")

    def _persist(self, record):
        if self._journal is None:
            return
        self._journal.write(json.dumps(record.to_json(), ensure_ascii=False) + "\n")
        self._journal.flush()
        os.fsync(self._journal.fileno())

    def get(self, message_id):
        """Return a copy of the record of message_id, or None."""
        with self._lock:
            record = self._records.get(message_id)
            return copy.deepcopy(record) if record else None

    def count_resend(self, message_id, body_sha256=None):
        """Count one more sending of message_id, with the digest of its
        request body, and return True if it was received before; return
        False for a new message id."""
        with self._lock:
            record = self._records.get(message_id)
            if record is None:
                return False
            record.send_count += 1
            if body_sha256 and body_sha256 not in record.body_sha256:
                record.body_sha256.append(body_sha256)
            self._persist(record)
            return True

    def insert(self, record, check_part=None, check_correction=None):
        """Store a new record and return its sequence number, or count a
        re-send and return None if its message id arrived meanwhile.

        A RECEIVED record that is a part of a timesheet is first checked
        with check_part(record, others), where others are the parts of the
        same timesheet received before.  A RECEIVED correction is checked
        with check_correction(record, copy, corrected), where copy is the
        StoredTimesheet of its employer and period and corrected the record
        it names, or None.  The copy leaves out the other parts of the same
        correction, so each part is checked against the document they all
        correct.  Errors they return make the record REJECTED with
        them.  The checks run under the store's lock, so that two messages
        sent at once are checked against each other.
        """
        with self._lock:
            existing = self._records.get(record.message_id)
            if existing is not None:
                existing.send_count += 1
                for digest in record.body_sha256:
                    if digest not in existing.body_sha256:
                        existing.body_sha256.append(digest)
                self._persist(existing)
                return None
            if record.state == RECEIVED and record.part is not None and check_part is not None:
                others = [r for r in self._records.values()
                          if r.counts_as_part and r.is_part_of(record)]
                errors = check_part(record, sorted(others, key=lambda r: r.sequence))
                if errors:
                    record.state = REJECTED
                    record.errors = list(errors)
            if record.state == RECEIVED and record.kind == "correction" and check_correction is not None:
                stored = self._stored_timesheet(record.bin, record.period, leave_out_parts_of=record)
                errors = check_correction(record, stored, self._records.get(record.corrects))
                if errors:
                    record.state = REJECTED
                    record.errors = list(errors)
            record.counts_as_part = record.state == RECEIVED and record.part is not None
            record.sequence = self._next_sequence
            self._next_sequence += 1
            record.received_at = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="milliseconds")
            self._records[record.message_id] = copy.deepcopy(record)
            self._persist(record)
            return record.sequence

    def update_state(self, message_id, sequence, state, errors, expected_states=PENDING_STATES):
        """Set the state and errors of a record if it is still the record
        with this sequence number and in one of expected_states.  Return
        whether it changed."""
        with self._lock:
            record = self._records.get(message_id)
            if record is None or record.sequence != sequence or record.state not in expected_states:
                return False
            record.state = state
            record.errors = list(errors)
            self._persist(record)
            return True

    def _stored_timesheet(self, bin_, period, leave_out_parts_of=None):
        # The caller holds the lock.  leave_out_parts_of is a record whose
        # sibling parts are left out of the copy.
        stored = StoredTimesheet(bin_, period)
        records = sorted((r for r in self._records.values()
                          if (r.bin, r.period) == (bin_, period)
                          and not (leave_out_parts_of is not None and r.is_part_of(leave_out_parts_of))),
                         key=lambda r: r.sequence)
        for record in records:
            if record.state == ACCEPTED:
                stored.apply(record)
        stored.pending_corrections = [
            r.message_id for r in records
            if r.kind == "correction" and r.state in PENDING_STATES and r.corrects in stored.head
        ]
        return stored

    def stored_timesheet(self, bin_, period):
        """Return the StoredTimesheet of an employer and period, or None when
        no document of it was accepted."""
        with self._lock:
            stored = self._stored_timesheet(bin_, period)
            return stored if stored.applied else None

    def pending(self):
        """Return (message_id, sequence) of every record whose checks have
        not finished."""
        with self._lock:
            return [(r.message_id, r.sequence) for r in self._records.values() if r.state in PENDING_STATES]

    def summaries(self):
        """Return every record as /_control/messages lists it, in the order
        of first receipt."""
        with self._lock:
            records = sorted(self._records.values(), key=lambda r: r.sequence)
            return [r.summary() for r in records]

    def reset(self):
        """Forget every message."""
        with self._lock:
            self._records.clear()
            if self._journal is not None:
                self._journal.truncate(0)
                self._journal.flush()
                os.fsync(self._journal.fileno())

    def close(self):
        with self._lock:
            if self._journal is not None:
                self._journal.close()
                self._journal = None
