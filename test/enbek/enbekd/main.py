"""Command line, start-up and shutdown of the local Enbek service."""
import argparse
import datetime
import ipaddress
import logging
import os
import signal
import sys
import threading
import time
from types import SimpleNamespace

from .contracts import ContractError, ContractRegistry, load_contracts_file
from .control import Control
from .delivery import DeliveryService
from .directory import DirectoryPushStore, DirectoryService
from .document import DocumentSchema
from .faults import FaultInjector
from .inflight import InFlight
from .processing import Processor
from .server import ENDPOINT, TlsHttpServer, build_tls_context
from .signature import SignatureVerifier
from .store import MessageStore

log = logging.getLogger("enbekd")

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_CONTRACTS = os.path.join(HERE, "..", "contracts.json")
SCHEMA_PATH = os.path.normpath(os.path.join(HERE, "..", "..", "..", "src", "delivery", "timesheet-v1.xsd"))
DIRECTORY_SCHEMA_PATH = os.path.join(os.path.dirname(SCHEMA_PATH), "directory-v1.xsd")
CONTRACTS_FILE_NAME = "contracts-added.json"


class UtcFormatter(logging.Formatter):
    """Log lines that start with the UTC time in ISO 8601, milliseconds
    included."""

    converter = time.gmtime

    def formatTime(self, record, datefmt=None):
        return time.strftime("%Y-%m-%dT%H:%M:%S", self.converter(record.created)) + f".{int(record.msecs):03d}Z"


def parse_arguments(argv):
    parser = argparse.ArgumentParser(
        prog="enbek-service",
        description="Local stand-in for Enbek's SOAP endpoint, for tests and the demo.",
    )
    parser.add_argument("--host", default="127.0.0.1",
                        help="loopback IP address to listen on (default 127.0.0.1); other addresses are rejected")
    parser.add_argument("--port", type=int, default=0,
                        help="TCP port to listen on; 0 (the default) picks a free port")
    parser.add_argument("--pki", required=True, metavar="DIR",
                        help="directory written by test/harness/make-pki: server.crt, server.key and ca.crt")
    parser.add_argument("--sender-id", required=True, help="the senderId that requests must carry")
    parser.add_argument("--sender-password-file", required=True, metavar="FILE",
                        help="file whose first line is the sender password that requests must carry")
    parser.add_argument("--contracts", default=DEFAULT_CONTRACTS, metavar="FILE",
                        help='JSON list of {"bin", "iin", "contractId", "start", "end"} seeded at start '
                             "(default: contracts.json next to enbek-service)")
    parser.add_argument("--state-dir", metavar="DIR",
                        help="directory that keeps received messages across restarts; "
                             "without it they are kept in memory only")
    parser.add_argument("--processing-delay", type=float, default=1.0, metavar="SECONDS",
                        help="seconds between receipt of a timesheet and the end of its checks (default 1.0)")
    parser.add_argument("--max-size", type=int, default=102400, metavar="BYTES",
                        help="largest request body accepted, in bytes; larger ones get SCSE999 (default 102400)")
    args = parser.parse_args(argv)

    try:
        address = ipaddress.ip_address(args.host)
    except ValueError:
        parser.error(f"--host {args.host!r} is not an IP address; use a loopback address such as 127.0.0.1 or ::1")
    if not address.is_loopback:
        parser.error(f"--host {args.host} is not a loopback address; this test service listens only on "
                     "127.0.0.0/8 or ::1")
    if not 0 <= args.port <= 65535:
        parser.error(f"--port {args.port} is not a TCP port number")
    if args.processing_delay < 0:
        parser.error("--processing-delay must not be negative")
    if args.max_size < 1:
        parser.error("--max-size must be a positive number of bytes")
    return args


def read_password(path):
    """Return the first line of a password file, without its line end."""
    with open(path, encoding="utf-8") as f:
        password = f.readline().rstrip("\r\n")
    if not password:
        raise ValueError(f"the sender password file {path} is empty")
    return password


def build_service(args):
    """Create the server and everything it serves, from the parsed
    arguments."""
    def clock():
        return datetime.datetime.now(datetime.timezone.utc)

    store = MessageStore(args.state_dir)
    added_contracts = os.path.join(args.state_dir, CONTRACTS_FILE_NAME) if args.state_dir else None
    contracts = ContractRegistry(load_contracts_file(args.contracts), added_contracts)
    processor = Processor(store, contracts, args.processing_delay)
    faults = FaultInjector()
    in_flight = InFlight()
    verifier = SignatureVerifier(os.path.join(args.pki, "ca.crt"), clock)
    pushes = DirectoryPushStore()
    directory = DirectoryService(schema_path=DIRECTORY_SCHEMA_PATH, verifier=verifier,
                                 contracts=contracts, pushes=pushes, clock=clock)
    delivery = DeliveryService(
        sender_id=args.sender_id,
        sender_password=read_password(args.sender_password_file),
        max_size=args.max_size,
        schema=DocumentSchema(SCHEMA_PATH),
        verifier=verifier,
        store=store,
        processor=processor,
        clock=clock,
        directory=directory,
    )
    app = SimpleNamespace(
        delivery=delivery,
        control=Control(store, contracts, faults, in_flight, pushes),
        faults=faults,
        in_flight=in_flight,
        stopping=threading.Event(),
    )
    tls = build_tls_context(os.path.join(args.pki, "server.crt"), os.path.join(args.pki, "server.key"))
    server = TlsHttpServer(args.host, args.port, tls, app)
    return server, processor, store


def main(argv=None):
    args = parse_arguments(sys.argv[1:] if argv is None else argv)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(UtcFormatter("%(asctime)s %(name)s %(levelname)s: %(message)s"))
    logging.basicConfig(level=logging.INFO, handlers=[handler])

    try:
        server, processor, store = build_service(args)
    except (OSError, ValueError, ContractError) as e:
        # OSError covers missing files and a port in use; ValueError an
        # empty password file or a key that does not match its certificate.
        log.error("cannot start: %s", e)
        return 1

    # SIGTERM and SIGINT are blocked here, so the threads started below
    # inherit the mask, and sigwait takes them.  A handler that set a
    # threading.Event could hang, because the signal can interrupt the main
    # thread while it holds the event's lock in Event.wait.
    stop_signals = {signal.SIGTERM, signal.SIGINT}
    signal.pthread_sigmask(signal.SIG_BLOCK, stop_signals)

    processor.start()
    serving = threading.Thread(target=server.serve_forever, name="server", daemon=True)
    serving.start()
    host, port = server.server_address[:2]
    url_host = f"[{host}]" if ":" in host else host
    if not args.state_dir:
        log.info("no --state-dir: received messages are kept in memory only")
    log.info("serving %s with a processing delay of %.1f s and a size limit of %d bytes",
             ENDPOINT, args.processing_delay, args.max_size)
    print(f"listening on https://{url_host}:{port}", flush=True)

    signal.sigwait(stop_signals)
    log.info("stopping")
    server.app.stopping.set()
    server.shutdown()
    server.server_close()
    processor.stop()
    store.close()
    return 0
