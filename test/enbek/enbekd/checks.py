"""Business checks of a timesheet: those that run before the response
(employer, dates) and those that run after the processing delay
(employees)."""
import calendar
import datetime

from .identifiers import has_valid_check_digit
from .model import (
    ACCEPTED,
    SCSE012,
    SCSE043,
    SCSE045,
    SCSE046,
    SCSE059,
    SCSE211,
    SCSE301,
    SCSE302,
    SCSE311,
    SCSE312,
    SCSE313,
    Error,
)
from .signature import certificate_bin
from .soap import KAZAKHSTAN_TIME

# A message date this far ahead of the service's clock still counts as now,
# to allow for clocks that differ a little.
CLOCK_TOLERANCE = datetime.timedelta(minutes=5)


def check_message_date(message_date, now):
    """Return SCSE059 if requestInfo/messageDate is in the future."""
    if message_date > now + CLOCK_TOLERANCE:
        return Error(
            SCSE059,
            f"requestInfo/messageDate {message_date.isoformat()} is in the future; "
            f"the service's time is {now.astimezone(KAZAKHSTAN_TIME).isoformat(timespec='seconds')}",
        )
    return None


def check_employer(timesheet, certificate, message_date, now):
    """Return the first error of the checks that run before the response, in
    the order
    SCSE043 (BIN check digit), SCSE046 (BIN of the certificate), SCSE059
    (message date or period in the future), or None."""
    if not has_valid_check_digit(timesheet.bin):
        return Error(SCSE043, f"the employer BIN {timesheet.bin} fails its check digit")

    signer_bin = certificate_bin(certificate)
    if signer_bin is None:
        return Error(SCSE046, "the signing certificate carries no BIN (OU=BIN...) of an organization")
    if signer_bin != timesheet.bin:
        return Error(
            SCSE046,
            f"the employer BIN {timesheet.bin} differs from the BIN {signer_bin} of the signing certificate",
        )

    error = check_message_date(message_date, now)
    if error:
        return error
    today = now.astimezone(KAZAKHSTAN_TIME).date()
    if timesheet.year_month > (today.year, today.month):
        return Error(
            SCSE059,
            f"the period {timesheet.period} is after the current month {today:%Y-%m}",
        )
    return None


def check_employees(bin_, period, employees, contracts):
    """Return one error per problem with an employee: SCSE045 for an IIN
    that fails its check digit, SCSE012 when the employer has no contract
    for the IIN, SCSE211 when no contract covers the period.

    employees is a list of (iin, contract_id) pairs.  When an employee names
    a contractId, only the contract with that id counts.
    """
    year, month = (int(part) for part in period.split("-"))
    first_day = datetime.date(year, month, 1)
    last_day = datetime.date(year, month, calendar.monthrange(year, month)[1])

    errors = []
    for iin, contract_id in employees:
        if not has_valid_check_digit(iin):
            errors.append(Error(SCSE045, "the IIN fails its check digit", iin))
            continue
        found = contracts.find(bin_, iin)
        if contract_id is not None:
            found = [c for c in found if c.contract_id == contract_id]
            if not found:
                errors.append(Error(
                    SCSE012,
                    f"no contract {contract_id} of employer {bin_} is registered for this IIN",
                    iin,
                ))
                continue
        if not found:
            errors.append(Error(SCSE012, f"no contract of employer {bin_} is registered for this IIN", iin))
        elif not any(c.covers(first_day, last_day) for c in found):
            errors.append(Error(
                SCSE211,
                f"no contract of employer {bin_} for this IIN is in force in {period}",
                iin,
            ))
    return errors


def check_part(part, others):
    """Return the errors of a part of a timesheet or correction against the
    parts of the same document taken before (others, in the order received).

    Returns SCSE301 when its parts differs from another part's, another part
    has its number, or another part of a correction names a different
    corrected message.  Otherwise returns one SCSE302 per employee that
    another part has.  The employees of a correction part are the added,
    changed and removed ones.
    """
    kind = "correction" if part.kind == "correction" else "timesheet"
    timesheet = f"{kind} {part.timesheet_id} of {part.period}"
    for other in others:
        if other.corrects != part.corrects:
            return [Error(
                SCSE301,
                f"ts:corrects names message {part.corrects}, but message {other.message_id} "
                f"of {timesheet} names {other.corrects}",
            )]
        if other.parts != part.parts:
            return [Error(
                SCSE301,
                f"ts:timesheet/@parts is {part.parts}, but message {other.message_id} "
                f"of {timesheet} has parts={other.parts}",
            )]
    for other in others:
        if other.part == part.part:
            return [Error(
                SCSE301,
                f"part {part.part} of {timesheet} was received before in message {other.message_id}",
            )]

    part_of_iin = {iin: other for other in others for iin in other.changed_iins()}
    errors = []
    for iin in part.changed_iins():
        other = part_of_iin.get(iin)
        if other is not None:
            errors.append(Error(
                SCSE302,
                f"the employee is also in part {other.part} of {timesheet} (message {other.message_id})",
                iin,
            ))
    return errors


def check_correction(correction, stored, corrected):
    """Return the errors of a correction against the service's copy of its
    employer's timesheet for the period (stored) and the record of the
    message it names (corrected, None when unknown).

    SCSE311 when the named message is unknown, not accepted, or of another
    employer or period.  SCSE312 when it is not the latest accepted document
    of that timesheet, or another correction of it is still being checked.
    Otherwise one SCSE313 per employee that is added but already in the
    copy, or changed or removed but not in it.
    """
    named = correction.corrects
    where = f"employer {correction.bin} and period {correction.period}"
    if corrected is None:
        return [Error(SCSE311, f"ts:corrects names message {named}, which was never received")]
    if (corrected.bin, corrected.period) != (correction.bin, correction.period):
        return [Error(
            SCSE311,
            f"ts:corrects names message {named} of employer {corrected.bin} and period "
            f"{corrected.period}, not of {where}",
        )]
    if corrected.state != ACCEPTED:
        return [Error(SCSE311, f"ts:corrects names message {named}, which is {corrected.state}, not ACCEPTED")]
    if named not in stored.head:
        return [Error(
            SCSE312,
            f"ts:corrects names message {named}, but the latest accepted document of {where} "
            f"is {', '.join(stored.head)}",
        )]
    if stored.pending_corrections:
        return [Error(
            SCSE312,
            f"correction {stored.pending_corrections[0]} of message {named} is still being checked; "
            "send the next correction after its outcome",
        )]

    errors = []
    for line in correction.lines:
        iin = line["iin"]
        if line["change"] == "added" and iin in stored.lines:
            errors.append(Error(SCSE313, f"the employee is added, but the timesheet of {where} has a line for them", iin))
        elif line["change"] == "changed" and iin not in stored.lines:
            errors.append(Error(SCSE313, f"the employee's line is changed, but the timesheet of {where} has none", iin))
    for iin in correction.removed:
        if iin not in stored.lines:
            errors.append(Error(SCSE313, f"the employee is removed, but the timesheet of {where} has no line for them", iin))
    return errors
