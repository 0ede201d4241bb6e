"""The SendMessage endpoint: authentication, the checks a timesheet gets at
once, and status queries."""
import hmac
import logging
from dataclasses import dataclass

from . import soap
from .checks import check_correction, check_employer, check_message_date, check_part
from .document import parse_status_request, parse_timesheet, standalone_copy, ts
from .directory import SERVICES as DIRECTORY_SERVICES
from .identifiers import is_valid_message_id
from .model import (
    RECEIVED,
    REJECTED,
    SCSE001,
    SCSE087,
    SCSE196,
    SCSE999,
    SCSS001,
    STATUS_SERVICE,
    TIMESHEET_SERVICE,
    UNKNOWN,
    Error,
    SoapFault,
)
from .signature import SignatureRejected
from .store import MessageRecord
from .wssecurity import verify_body_signature

log = logging.getLogger("enbekd.delivery")


@dataclass
class Response:
    """An HTTP response to a SendMessage, with what the access log shows."""

    status: int
    body: bytes
    code: str  # the SCSS/SCSE status code, or the fault code
    reason: str | None = None  # the first error or the fault string


def fault_response(fault):
    return Response(500, soap.build_fault(fault), f"soap:{fault.kind}", fault.message)


class DeliveryService:
    """Responds to SendMessage requests of the timesheet and status service
    ids, and passes those of the directory service ids to directory."""

    def __init__(self, *, sender_id, sender_password, max_size, schema, verifier,
                 store, processor, clock, directory=None):
        self._sender_id = sender_id
        self._sender_password = sender_password
        self._max_size = max_size
        self._schema = schema
        self._verifier = verifier
        self._store = store
        self._processor = processor
        self._clock = clock
        self._directory = directory

    def handle(self, request, body_size):
        """Return the response to a parsed SendMessage of body_size bytes."""
        info = request.info
        verify_body_signature(request.envelope, self._verifier)
        self._authenticate(info)
        if info.service_id == TIMESHEET_SERVICE:
            return self._deliver(request, body_size)
        if info.service_id == STATUS_SERVICE:
            return self._report_status(request)
        if self._directory is not None and info.service_id in DIRECTORY_SERVICES:
            return self._respond_directory(request)
        raise SoapFault.client(
            f"unknown serviceId {info.service_id!r}; this endpoint serves "
            f"{', '.join((TIMESHEET_SERVICE, STATUS_SERVICE) + DIRECTORY_SERVICES)}"
        )

    def _respond_directory(self, request):
        """Respond to a contract list or a directory push."""
        message_id = request.info.message_id
        code, message, document = self._directory.handle(request)
        reason = None if code == SCSS001 else message
        return Response(200, soap.build_response(message_id, code, message, document), code, reason)

    def _authenticate(self, info):
        # Compare both in constant time, and never reveal which one is wrong.
        id_ok = hmac.compare_digest(info.sender_id.encode(), self._sender_id.encode())
        password_ok = hmac.compare_digest(info.password.encode(), self._sender_password.encode())
        if not (id_ok and password_ok):
            log.warning("authentication failed for senderId %r", info.sender_id)
            raise SoapFault.client(
                f"authentication failed for senderId {info.sender_id!r}: the sender id or password is wrong"
            )

    def _deliver(self, request, body_size):
        """Run the checks a timesheet gets at once, in the order of the
        contract, with the checks of a part against the other parts of its
        timesheet last.  The message is recorded unless its id is malformed
        or the request gets a soap:Client fault."""
        info = request.info
        message_id = info.message_id
        if not is_valid_message_id(message_id):
            error = Error(SCSE087, f"requestInfo/messageId {message_id!r} is not 32 to 45 Latin letters, digits or '-'")
            return self._respond_timesheet(message_id, REJECTED, [error])
        if self._store.count_resend(message_id, request.body_sha256):
            return self._respond_resend(message_id)
        if body_size > self._max_size:
            error = Error(SCSE999, f"the request is {body_size} bytes, over the limit of {self._max_size} bytes")
            return self._record(MessageRecord(message_id, REJECTED, [error], body_sha256=[request.body_sha256]))

        document = soap.business_document(
            request.data, (ts("timesheetRequest"), ts("timesheetCorrection")), info.service_id)
        document_message_id = document.findtext(ts("messageId"))
        if document_message_id is not None and document_message_id != message_id:
            error = Error(
                SCSE087,
                f"requestInfo/messageId {message_id} differs from the document's ts:messageId {document_message_id!r}",
            )
            return self._record(MessageRecord(message_id, REJECTED, [error], body_sha256=[request.body_sha256]))

        document = standalone_copy(document)
        timesheet = parse_timesheet(document, self._schema)
        record = MessageRecord(
            message_id, RECEIVED, [], timesheet.bin, timesheet.period,
            [(e.iin, e.contract_id) for e in timesheet.employees],
            timesheet_id=timesheet.timesheet_id, part=timesheet.part, parts=timesheet.parts,
            body_sha256=[request.body_sha256],
            kind=timesheet.kind, version=timesheet.version, lines=list(timesheet.lines),
            corrects=timesheet.corrects, removed=list(timesheet.removed),
        )
        try:
            certificate = self._verifier.verify(document)
        except SignatureRejected as e:
            return self._reject(record, Error(SCSE001, str(e)))
        error = check_employer(timesheet, certificate, info.message_date, self._clock())
        if error:
            return self._reject(record, error)
        return self._record(record)

    def _reject(self, record, error):
        record.state = REJECTED
        record.errors = [error]
        return self._record(record)

    def _record(self, record):
        """Store a new record, checking a part against the other parts of
        its timesheet and a correction against the stored copy it corrects,
        and respond with its state.  Respond SCSE196 if the same message id
        was stored meanwhile."""
        sequence = self._store.insert(record, check_part, check_correction)
        if sequence is None:
            return self._respond_resend(record.message_id)
        if record.state == RECEIVED:
            self._processor.schedule(record.message_id, sequence)
        return self._respond_timesheet(record.message_id, record.state, record.errors)

    def _respond_timesheet(self, message_id, state, errors):
        if errors:
            code, message = errors[0].code, errors[0].message
        else:
            code, message = SCSS001, "the message was received; its checks follow and its status can be queried"
        document = soap.build_timesheet_response(message_id, state, errors)
        reason = message if errors else None
        return Response(200, soap.build_response(message_id, code, message, document), code, reason)

    def _respond_resend(self, message_id):
        message = f"the message {message_id} was received before; query its status instead of sending it again"
        return Response(200, soap.build_response(message_id, SCSE196, message), SCSE196, message)

    def _report_status(self, request):
        """Respond to a status query with the state and errors of the
        timesheet message it names."""
        info = request.info
        if not is_valid_message_id(info.message_id):
            message = f"requestInfo/messageId {info.message_id!r} is not 32 to 45 Latin letters, digits or '-'"
            return Response(200, soap.build_response(info.message_id, SCSE087, message), SCSE087, message)
        error = check_message_date(info.message_date, self._clock())
        if error:
            response = soap.build_response(info.message_id, error.code, error.message)
            return Response(200, response, error.code, error.message)

        document = soap.business_document(request.data, ts("statusRequest"), info.service_id)
        queried_message_id = parse_status_request(standalone_copy(document), self._schema)
        record = self._store.get(queried_message_id)
        if record is None:
            state, errors = UNKNOWN, []
            code, message = SCSS001, f"no message {queried_message_id} was received"
        else:
            state, errors = record.state, record.errors
            if errors:
                code, message = errors[0].code, errors[0].message
            else:
                code, message = SCSS001, f"the message {queried_message_id} is {state}"
        document = soap.build_timesheet_response(queried_message_id, state, errors)
        return Response(200, soap.build_response(info.message_id, code, message, document), code)
