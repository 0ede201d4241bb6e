#!/usr/bin/perl
# SCSE086 ("message id already used") to a re-send means that Enbek
# recognised the message, like SCSE196: the worker asks its status and
# records no rejection.  An endpoint on 127.0.0.1 closes the connection
# after the first request and answers SCSE086 to every later one.
use strict;
use warnings;

use File::Temp qw(tempdir);
use FindBin;
use lib "$FindBin::Bin/lib";
use OtanSigner;
use OtanTest;
use Test::More;

my $pki = $ENV{OTAN_PKI} or BAIL_OUT('OTAN_PKI is not set');
my $enbek_url = psql('postgres', 'SHOW otan_enbek.enbek_url');

my $db = new_database('otan_t_resend_scse086');
my $setup = setup_organization($db, iins => ['810111300012']);

# The endpoint: the first request gets no answer, the others SCSE086.
my $dir = tempdir(CLEANUP => 1);
my $port = free_port();
open(my $script, '>', "$dir/endpoint.py") or die "cannot write endpoint.py: $!";
print $script <<'PY';
import re, ssl, sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
sys.path.insert(0, sys.argv[3])
from enbekd import soap
requests = [0]
class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
        requests[0] += 1
        if requests[0] == 1:
            self.close_connection = True
            self.connection.shutdown(2)
            return
        ids = re.findall(r"messageId>([0-9a-fA-F-]{36})<", body)
        out = soap.build_response(ids[0], "SCSE086", "message id already used")
        self.send_response(200)
        self.send_header("Content-Type", "text/xml; charset=utf-8")
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)
server = ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler)
context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
context.load_cert_chain(sys.argv[2] + "/server.crt", sys.argv[2] + "/server.key")
server.socket = context.wrap_socket(server.socket, server_side=True)
print("listening", flush=True)
server.serve_forever()
PY
close($script);
my $pid = open(my $endpoint, '-|', '/usr/bin/python3', "$dir/endpoint.py", $port, $pki,
	"$ENV{OTAN_TOP}/test/enbek") or die "cannot start the endpoint: $!";
my $line = <$endpoint>;
like($line // '', qr/listening/, 'the endpoint listens');

set_setting('otan_enbek.enbek_url', "https://127.0.0.1:$port/bip-sync/");
my $sub = add_submission($db, $setup, iins => ['810111300012']);
my $id = $sub->{submission_id};
is(wait_for($db, qq{SELECT count(*) > 0 FROM otan_enbek.submission_event
		WHERE submission_id = $id AND code = 'SCSE086'}, 't'),
	't', 'the re-send is answered with SCSE086');
is(wait_for($db, qq{SELECT count(*) > 0 FROM otan_enbek.submission_event
		WHERE submission_id = $id AND kind IN ('status_query', 'returned')}, 't'),
	't', 'the worker acts on the answer');
isnt(psql($db, "SELECT status FROM otan_enbek.submission WHERE submission_id = $id"),
	'returned', 'SCSE086 to a re-send is not a rejection');
like(event_kinds($db, $id), qr/answer,status_query/,
	'SCSE086 to a re-send is followed by a status query');

kill 'TERM', $pid;
close($endpoint);
reset_setting('otan_enbek.enbek_url', $enbek_url);

done_testing();
