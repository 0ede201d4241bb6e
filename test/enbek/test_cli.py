"""The command line of enbek-service: loopback addresses only, start-up
errors, IPv6 and a clean stop."""
import json
import os
import subprocess
import tempfile
import unittest

from enbek_testlib import SENDER_ID, SERVICE, WAIT_LIMIT, ServiceProcess, pki, pki_file


def run_service(*options):
    """Run enbek-service with options that make it exit at once, and
    return (exit code, stderr)."""
    command = [SERVICE, "--pki", pki(), "--sender-id", SENDER_ID,
               "--sender-password-file", pki_file("sender.pass"), *options]
    result = subprocess.run(command, capture_output=True, text=True, timeout=WAIT_LIMIT)
    return result.returncode, result.stderr


class CommandLineTest(unittest.TestCase):

    def test_any_address_rejected(self):
        code, stderr = run_service("--host", "0.0.0.0")
        self.assertEqual(code, 2)
        self.assertIn("--host 0.0.0.0 is not a loopback address", stderr)

    def test_other_host_rejected(self):
        # A documentation address (RFC 5737): rejected before any socket is
        # opened.
        code, stderr = run_service("--host", "192.0.2.1")
        self.assertEqual(code, 2)
        self.assertIn("not a loopback address", stderr)

    def test_host_name_rejected(self):
        code, stderr = run_service("--host", "localhost")
        self.assertEqual(code, 2)
        self.assertIn("is not an IP address", stderr)

    def test_missing_password_file(self):
        code, stderr = run_service("--sender-password-file", "/nonexistent/sender.pass")
        self.assertEqual(code, 1)
        self.assertIn("cannot start", stderr)
        self.assertIn("/nonexistent/sender.pass", stderr)

    def test_empty_password_file(self):
        with tempfile.NamedTemporaryFile("w") as empty:
            code, stderr = run_service("--sender-password-file", empty.name)
        self.assertEqual(code, 1)
        self.assertIn("is empty", stderr)

    def test_invalid_contracts_file(self):
        with tempfile.NamedTemporaryFile("w", suffix=".json") as contracts:
            contracts.write('[{"bin": "050440000012"}]')
            contracts.flush()
            code, stderr = run_service("--contracts", contracts.name)
        self.assertEqual(code, 1)
        self.assertIn("contract 1: missing fields", stderr)

    def test_seeded_contracts(self):
        # The seed that the README documents and the suites rely on.
        with open(os.path.join(os.path.dirname(SERVICE), "contracts.json")) as f:
            seeded = json.load(f)
        jobs = [("Teacher", 1), ("Teacher", 3), ("Cook", 1), ("Guard", 5)]
        open_ended = [
            {"bin": "050440000012", "iin": iin, "contractId": f"C-2024-000{n}", "start": "2024-01-01", "end": None,
             "position": jobs[n - 1][0], "workingHours": jobs[n - 1][1]}
            for n, iin in enumerate(["810111300012", "820212300023", "830313300034", "840414300045"], 1)
        ]
        ended = {"bin": "050440000012", "iin": "850515300056", "contractId": "C-2024-0005",
                 "start": "2024-01-01", "end": "2024-12-31", "position": "Cleaner", "workingHours": 1}
        self.assertEqual(seeded, open_ended + [ended])

    def test_ipv6_loopback(self):
        service = ServiceProcess(host="::1").start()
        try:
            self.assertTrue(service.base_url.startswith("https://[::1]:"))
            self.assertEqual(service.control("GET", "health"), (200, {"ok": True}))
        finally:
            service.stop()

    def test_sigterm_stops_cleanly(self):
        service = ServiceProcess().start()
        self.assertEqual(service.stop(), 0)
        self.assertIn("stopping", service.log())


if __name__ == "__main__":
    unittest.main()
