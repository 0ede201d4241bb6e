"""The threaded HTTPS server: TLS, routing, fault injection and the access
log."""
import json
import logging
import socket
import socketserver
import ssl
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from . import soap
from .control import PREFIX as CONTROL_PREFIX
from .delivery import Response, fault_response
from .identifiers import mask_identifiers
from .model import SoapFault

log = logging.getLogger("enbekd.server")
access_log = logging.getLogger("enbekd.access")

ENDPOINT = "/bip-sync/"

# Seconds a client may take to finish the TLS handshake, and to send the
# next request on a kept-alive connection.
HANDSHAKE_TIMEOUT = 10
IDLE_TIMEOUT = 30

# Bodies up to this size are read and parsed, so that an oversized message
# still gets its SCSE999 response with its message id.  Larger ones are
# rejected with HTTP 413 without being read.
READ_LIMIT = 16 * 1024 * 1024
CONTROL_READ_LIMIT = 1024 * 1024

# The body of the "malformed" fault: the start of a response, cut off.
MALFORMED_BODY = (
    b'<?xml version="1.0" encoding="utf-8"?>\n'
    b'<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>'
    b'<ns2:SendMessageResponse xmlns:ns2="http://bip.bee.kz/SyncChannel/v10/Types"><response><respons'
)


def build_tls_context(certificate_path, key_path):
    """Return a server TLS context with TLS 1.2 as the minimum version."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(certificate_path, key_path)
    return context


class TlsHttpServer(ThreadingHTTPServer):
    """An HTTPS server with one thread per connection.

    The TLS handshake runs in the connection's thread, not in accept(), so a
    client that connects and sends nothing, or speaks plain HTTP, blocks no
    one.  app provides delivery, control, faults and stopping (an Event set
    at shutdown).
    """

    daemon_threads = True

    def __init__(self, host, port, tls_context, app):
        self.address_family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.tls_context = tls_context
        self.app = app
        super().__init__((host, port), RequestHandler)

    def server_bind(self):
        # HTTPServer.server_bind looks the host name up with getfqdn(), a
        # DNS query that this server has no need for.
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]

    def finish_request(self, request, client_address):
        request.settimeout(HANDSHAKE_TIMEOUT)
        try:
            connection = self.tls_context.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError) as e:
            log.info("TLS handshake with %s failed: %s", client_address[0], e)
            return
        try:
            connection.settimeout(IDLE_TIMEOUT)
            self.RequestHandlerClass(connection, client_address, self)
        finally:
            connection.close()

    def handle_error(self, request, client_address):
        log.warning("connection from %s ended with an error", client_address[0], exc_info=True)


class RequestHandler(BaseHTTPRequestHandler):
    """Serves POST /bip-sync/ and the /_control endpoints, logging one line
    per request."""

    protocol_version = "HTTP/1.1"
    server_version = "enbek-service/1.0"
    sys_version = ""

    def do_POST(self):
        self._dispatch("POST")

    def do_GET(self):
        self._dispatch("GET")

    def version_string(self):
        return self.server_version

    def log_request(self, code="-", size="-"):
        pass  # _dispatch writes the access log line

    def log_message(self, format, *args):
        log.info("%s: %s", self.client_address[0], format % args)

    def _dispatch(self, method):
        started = time.monotonic()
        self._status = None
        self._service_id = None
        self._message_id = None
        self._code = None
        self._reason = None
        try:
            if self.path == ENDPOINT:
                if method == "POST":
                    self._serve_send_message()
                else:
                    self._send_json(405, {"ok": False, "error": f"{ENDPOINT} accepts only POST"},
                                    [("Allow", "POST")])
            elif self.path.startswith(CONTROL_PREFIX):
                self._serve_control(method)
            else:
                self._send_json(404, {"ok": False, "error": f"no endpoint {self.path}; SOAP requests go to {ENDPOINT}"})
        except (BrokenPipeError, ConnectionResetError):
            # Typically a client that timed out while a delay fault held
            # back its response.
            self.close_connection = True
            self._status = "unsent"
            self._code = "client-closed"
        finally:
            duration = (time.monotonic() - started) * 1000
            reason = f" reason={mask_identifiers(self._reason)!r}" if self._reason else ""
            access_log.info(
                "%s %s service=%s message=%s status=%s code=%s %.1fms%s",
                method, self.path, self._service_id or "-", self._message_id or "-",
                self._status or "dropped", self._code or "-", duration, reason,
            )

    # Reading and writing

    def _read_body(self, limit):
        """Return the request body, or None after sending an error response
        or losing the connection."""
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            return self._read_chunked(limit)
        if self.headers.get("Transfer-Encoding"):
            self.close_connection = True
            self._send_json(501, {"ok": False, "error": "only the chunked transfer encoding is supported"})
            return None
        length = self.headers.get("Content-Length")
        if length is None or not length.strip().isdigit():
            self.close_connection = True
            self._send_json(411, {"ok": False, "error": "the request needs a Content-Length"})
            return None
        length = int(length)
        if length > limit:
            self.close_connection = True
            self._send_json(413, {"ok": False, "error": f"the request body is over {limit} bytes"})
            return None
        body = self.rfile.read(length)
        if len(body) < length:
            self.close_connection = True
            self._code = "incomplete-body"
            return None
        return body

    def _read_chunked(self, limit):
        parts = []
        size = 0
        while True:
            line = self.rfile.readline(1024)
            try:
                chunk_size = int(line.split(b";")[0].strip(), 16)
            except ValueError:
                self.close_connection = True
                self._send_json(400, {"ok": False, "error": "invalid chunked encoding"})
                return None
            if chunk_size == 0:
                while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                    pass  # trailers
                return b"".join(parts)
            size += chunk_size
            if size > limit:
                self.close_connection = True
                self._send_json(413, {"ok": False, "error": f"the request body is over {limit} bytes"})
                return None
            parts.append(self.rfile.read(chunk_size))
            self.rfile.readline(1024)

    def _send(self, status, body, content_type, headers=()):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers:
            self.send_header(name, value)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)
        self._status = status

    def _send_json(self, status, value, headers=()):
        self._send(status, json.dumps(value, ensure_ascii=False).encode(), "application/json", headers)

    def _send_response(self, response, headers=()):
        self._code = response.code
        self._reason = response.reason
        self._send(response.status, response.body, "text/xml; charset=utf-8", headers)

    def _drop_connection(self):
        """Close the TCP connection without an HTTP response and without a
        TLS close_notify, as a failing network or proxy would."""
        self.close_connection = True
        self._code = "dropped"
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    # SendMessage with fault injection

    def _serve_send_message(self):
        self.server.app.in_flight.enter()
        try:
            self._serve_counted_send_message()
        finally:
            self.server.app.in_flight.leave()

    def _serve_counted_send_message(self):
        body = self._read_body(READ_LIMIT)
        if body is None:
            return
        self._service_id, self._message_id = soap.peek_request_info(body)
        fault = self.server.app.faults.take(self._service_id)
        mode = fault.mode if fault else None

        if mode == "http503":
            body = soap.build_fault(SoapFault("Server", "the service is temporarily unavailable"))
            self._send_response(Response(503, body, "http503"))
            return
        if mode == "http429":
            message = f"too many requests; retry after {fault.retry_after} seconds"
            body = soap.build_fault(SoapFault("Server", message))
            self._send_response(Response(429, body, "http429"), [("Retry-After", str(fault.retry_after))])
            return
        if mode in ("drop", "malformed") and not fault.process:
            self._fail(mode)
            return

        response = self._respond_to_send_message(body)
        if mode == "delay":
            # The message is already processed, and only the response waits.
            if self.server.app.stopping.wait(fault.delay):
                self._drop_connection()
                return
        if mode in ("drop", "malformed"):
            self._fail(mode)
            return
        self._send_response(response)

    def _fail(self, mode):
        if mode == "drop":
            self._drop_connection()
        else:
            self._code = "malformed"
            self._send(200, MALFORMED_BODY, "text/xml; charset=utf-8")

    def _respond_to_send_message(self, body):
        try:
            content_type = self.headers.get_content_type()
            charset = self.headers.get_content_charset()
            if content_type != "text/xml" or charset not in (None, "utf-8"):
                raise SoapFault.client(
                    f"Content-Type is {self.headers.get('Content-Type')!r}; "
                    "SOAP 1.1 requests must be text/xml; charset=utf-8"
                )
            request = soap.parse_send_message(body)
            self._message_id = request.info.message_id
            return self.server.app.delivery.handle(request, len(body))
        except SoapFault as fault:
            return fault_response(fault)
        except Exception:
            log.exception("request %s failed", self._message_id or "without a message id")
            return fault_response(SoapFault("Server", "internal error of the local Enbek service"))

    # Control

    def _serve_control(self, method):
        body = b""
        if method == "POST":
            body = self._read_body(CONTROL_READ_LIMIT)
            if body is None:
                return
        status, value = self.server.app.control.handle(method, self.path, body)
        self._send_json(status, value)
