"""The SyncChannel SOAP 1.1 envelope: parsing SendMessage requests and
building SendMessageResponse responses and faults."""
import datetime
import hashlib
import re
from dataclasses import dataclass, field

from lxml import etree

from .model import SoapFault

SOAP_NS = "http://schemas.xmlsoap.org/soap/envelope/"
SYNC_NS = "http://bip.bee.kz/SyncChannel/v10/Types"
TS_NS = "urn:otan-enbek:timesheet:v1"

# Responses carry the time of Kazakhstan (UTC+5 in the whole country since 2024).
KAZAKHSTAN_TIME = datetime.timezone(datetime.timedelta(hours=5))

_DATE_TIME_WITH_OFFSET = re.compile(
    r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})"
)

# The request/requestInfo children that SyncChannel defines.  The first four
# are required; correlationId and sessionId are accepted and ignored.
_REQUIRED_INFO = ("messageId", "serviceId", "messageDate", "sender")
_OPTIONAL_INFO = ("correlationId", "sessionId")


def _parser():
    # A new parser per call, because lxml parsers must not be shared between
    # threads.  No DTDs, entities or network access: requests are untrusted.
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=False,
    )


@dataclass
class RequestInfo:
    """The requestInfo of a SendMessage.  The password is left out of repr()
    so that it cannot reach a log line by accident."""

    message_id: str
    service_id: str
    message_date: datetime.datetime
    sender_id: str
    password: str = field(repr=False)


@dataclass
class SendMessage:
    """A parsed SendMessage: its requestInfo, its requestData/data
    element, which contains the business document, and the whole envelope,
    whose header carries the WS-Security signature."""

    info: RequestInfo
    data: etree._Element
    envelope: etree._Element
    body_sha256: str = ""  # of the HTTP request body, hexadecimal


def _element_children(element, where):
    """Return the element children of element, raising a fault if it also
    contains non-blank text."""
    children = []
    for child in element:
        if isinstance(child.tag, str):
            children.append(child)
        if child.tail and child.tail.strip():
            raise SoapFault.client(f"{where} contains text outside its elements")
    if element.text and element.text.strip():
        raise SoapFault.client(f"{where} contains text outside its elements")
    return children


def _only_child(element, tag, where):
    children = _element_children(element, where)
    if len(children) != 1 or children[0].tag != tag:
        found = ", ".join(etree.QName(c).localname for c in children) or "nothing"
        raise SoapFault.client(f"{where} must contain exactly one {etree.QName(tag).localname}, not {found}")
    return children[0]


def _text_of(element, where):
    if len(element):
        raise SoapFault.client(f"{where} must contain text only")
    return element.text or ""


def parse_xml(body):
    """Parse a request body, raising a soap:Client fault if it is not
    well-formed XML or declares a DTD."""
    try:
        root = etree.fromstring(body, _parser())
    except etree.XMLSyntaxError as e:
        raise SoapFault.client(f"the request is not well-formed XML: {e}") from None
    if root.getroottree().docinfo.doctype:
        raise SoapFault.client("the request must not contain a document type declaration")
    return root


def parse_message_date(text):
    """Parse an ISO 8601 date-time that has an offset or Z."""
    if not _DATE_TIME_WITH_OFFSET.fullmatch(text):
        raise SoapFault.client(
            f"requestInfo/messageDate {text!r} is not an ISO 8601 date-time with an offset, "
            "such as 2026-12-04T16:00:00.000+05:00"
        )
    try:
        return datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise SoapFault.client(f"requestInfo/messageDate {text!r} is not a valid date-time") from None


def _parse_request_info(element):
    where = "requestInfo"
    values = {}
    for child in _element_children(element, where):
        name = child.tag
        if name not in _REQUIRED_INFO + _OPTIONAL_INFO:
            raise SoapFault.client(f"{where} contains the unexpected element {etree.QName(child).text}")
        if name in values:
            raise SoapFault.client(f"{where} contains {name} more than once")
        values[name] = child
    missing = [name for name in _REQUIRED_INFO if name not in values]
    if missing:
        raise SoapFault.client(f"{where} is missing {', '.join(missing)}")

    sender_children = _element_children(values["sender"], f"{where}/sender")
    sender_fields = {c.tag: c for c in sender_children}
    if sorted(c.tag for c in sender_children) != ["password", "senderId"]:
        raise SoapFault.client(f"{where}/sender must contain senderId and password, once each")

    return RequestInfo(
        message_id=_text_of(values["messageId"], f"{where}/messageId").strip(),
        service_id=_text_of(values["serviceId"], f"{where}/serviceId").strip(),
        message_date=parse_message_date(_text_of(values["messageDate"], f"{where}/messageDate").strip()),
        sender_id=_text_of(sender_fields["senderId"], f"{where}/sender/senderId").strip(),
        password=_text_of(sender_fields["password"], f"{where}/sender/password"),
    )


def parse_send_message(body):
    """Parse a request body into a SendMessage, raising a soap:Client fault
    that names the first part of the envelope that is wrong."""
    root = parse_xml(body)
    if root.tag != f"{{{SOAP_NS}}}Envelope":
        raise SoapFault.client(f"the root element must be a SOAP 1.1 Envelope, not {etree.QName(root).text}")

    parts = _element_children(root, "soap:Envelope")
    if parts and parts[0].tag == f"{{{SOAP_NS}}}Header":
        parts = parts[1:]  # wssecurity.py checks the header
    if len(parts) != 1 or parts[0].tag != f"{{{SOAP_NS}}}Body":
        raise SoapFault.client("soap:Envelope must contain an optional soap:Header and one soap:Body")

    send = _only_child(parts[0], f"{{{SYNC_NS}}}SendMessage", "soap:Body")
    request = _only_child(send, "request", "SendMessage")
    request_parts = _element_children(request, "request")
    if [p.tag for p in request_parts] != ["requestInfo", "requestData"]:
        raise SoapFault.client("request must contain requestInfo and requestData, in this order")
    info = _parse_request_info(request_parts[0])
    data = _only_child(request_parts[1], "data", "requestData")
    return SendMessage(info, data, root, hashlib.sha256(body).hexdigest())


def peek_request_info(body):
    """Return (serviceId, messageId) of a request body, each None if it
    cannot be read.  Fault injection and the access log use this before the
    request is validated."""
    try:
        root = parse_xml(body)
    except SoapFault:
        return None, None
    info = root.find(f"{{{SOAP_NS}}}Body/{{{SYNC_NS}}}SendMessage/request/requestInfo")
    if info is None:
        return None, None
    service_id, message_id = info.findtext("serviceId"), info.findtext("messageId")
    return (service_id.strip() if service_id else None, message_id.strip() if message_id else None)


def business_document(data, tags, service_id):
    """Return the one element inside requestData/data, which must have one
    of the given tags (a tag or a tuple of tags)."""
    if isinstance(tags, str):
        tags = (tags,)
    children = _element_children(data, "requestData/data")
    if len(children) != 1 or children[0].tag not in tags:
        expected = " or ".join("ts:" + etree.QName(tag).localname for tag in tags)
        raise SoapFault.client(
            f"requestData/data of service {service_id} must contain exactly one {expected} "
            f"in namespace {TS_NS}"
        )
    return children[0]


def now_in_kazakhstan():
    return datetime.datetime.now(KAZAKHSTAN_TIME)


def format_date_time(moment):
    """Format an aware datetime as 2026-12-04T16:00:01.000+05:00."""
    return moment.astimezone(KAZAKHSTAN_TIME).isoformat(timespec="milliseconds")


def build_timesheet_response(message_id, state, errors):
    """Build the ts:timesheetResponse element of a response."""
    response = etree.Element(f"{{{TS_NS}}}timesheetResponse", nsmap={"ts": TS_NS})
    etree.SubElement(response, f"{{{TS_NS}}}messageId").text = message_id
    etree.SubElement(response, f"{{{TS_NS}}}state").text = state
    for error in errors:
        item = etree.SubElement(response, f"{{{TS_NS}}}error")
        etree.SubElement(item, f"{{{TS_NS}}}code").text = error.code
        etree.SubElement(item, f"{{{TS_NS}}}message").text = error.message
        if error.iin is not None:
            etree.SubElement(item, f"{{{TS_NS}}}iin").text = error.iin
    return response


def build_response(message_id, code, message, document=None):
    """Serialize a SendMessageResponse.  document, if given, goes into
    responseData/data.  Without it the response has no responseData."""
    envelope = etree.Element(f"{{{SOAP_NS}}}Envelope", nsmap={"soap": SOAP_NS})
    body = etree.SubElement(envelope, f"{{{SOAP_NS}}}Body")
    send = etree.SubElement(body, f"{{{SYNC_NS}}}SendMessageResponse", nsmap={"ns2": SYNC_NS})
    response = etree.SubElement(send, "response")
    info = etree.SubElement(response, "responseInfo")
    etree.SubElement(info, "messageId").text = message_id
    etree.SubElement(info, "responseDate").text = format_date_time(now_in_kazakhstan())
    status = etree.SubElement(info, "status")
    etree.SubElement(status, "code").text = code
    etree.SubElement(status, "message").text = message
    if document is not None:
        data = etree.SubElement(etree.SubElement(response, "responseData"), "data")
        data.append(document)
    return etree.tostring(envelope, xml_declaration=True, encoding="utf-8")


def build_fault(fault):
    """Serialize a soap:Fault for a SoapFault."""
    envelope = etree.Element(f"{{{SOAP_NS}}}Envelope", nsmap={"soap": SOAP_NS})
    body = etree.SubElement(envelope, f"{{{SOAP_NS}}}Body")
    element = etree.SubElement(body, f"{{{SOAP_NS}}}Fault")
    etree.SubElement(element, "faultcode").text = f"soap:{fault.kind}"
    etree.SubElement(element, "faultstring").text = fault.message
    return etree.tostring(envelope, xml_declaration=True, encoding="utf-8")
