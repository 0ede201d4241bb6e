"""Status codes, message states and the errors that responses carry."""
from dataclasses import dataclass

# Status codes of the SyncChannel response (responseInfo/status/code).
SCSS001 = "SCSS001"  # processed, or received and being checked
SCSE001 = "SCSE001"  # signature or certificate invalid, or an authentication key
SCSE012 = "SCSE012"  # no contract of the employer for the IIN
SCSE043 = "SCSE043"  # employer BIN fails its check digit
SCSE045 = "SCSE045"  # IIN fails its check digit
SCSE046 = "SCSE046"  # employer BIN differs from the BIN in the certificate
SCSE059 = "SCSE059"  # date in the future
SCSE087 = "SCSE087"  # message id malformed or different from the document's
SCSE196 = "SCSE196"  # message id already received
SCSE211 = "SCSE211"  # no contract covering the period
SCSE301 = "SCSE301"  # part numbering or ts:corrects differs from another part of the document
SCSE302 = "SCSE302"  # employee already in another part of the document
SCSE311 = "SCSE311"  # a correction names no accepted document of the employer and period
SCSE312 = "SCSE312"  # a correction names an accepted document that is not the latest
SCSE313 = "SCSE313"  # a correction adds, changes or removes an employee against the stored copy
SCSE999 = "SCSE999"  # request over the size limit

# States of a timesheet message (ts:state).
RECEIVED = "RECEIVED"
PROCESSING = "PROCESSING"
ACCEPTED = "ACCEPTED"
REJECTED = "REJECTED"
UNKNOWN = "UNKNOWN"

PENDING_STATES = (RECEIVED, PROCESSING)

# Service ids served by the endpoint.
TIMESHEET_SERVICE = "OTAN_TIMESHEET_V1"
STATUS_SERVICE = "OTAN_TIMESHEET_STATUS_V1"


@dataclass(frozen=True)
class Error:
    """One ts:error of a response: a status code, a message and the IIN of
    the employee the error is about, if any."""

    code: str
    message: str
    iin: str | None = None

    def to_json(self):
        return {"code": self.code, "message": self.message, "iin": self.iin}

    @classmethod
    def from_json(cls, value):
        return cls(value["code"], value["message"], value.get("iin"))


class SoapFault(Exception):
    """A request that cannot be taken at all, which gets HTTP 500 and a
    soap:Fault.  kind is "Client" (do not retry unchanged) or "Server"
    (transient)."""

    def __init__(self, kind, message):
        super().__init__(message)
        self.kind = kind
        self.message = message

    @classmethod
    def client(cls, message):
        return cls("Client", message)
