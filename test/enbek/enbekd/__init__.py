"""The local Enbek service: a strict stand-in for Enbek's SOAP endpoint.

The modules follow the path of a request.  server handles TLS and HTTP,
faults injects faults, soap parses and builds the SyncChannel envelope, and
delivery runs the checks that a message gets before the response.  document
and signature validate the timesheet document, and checks contains the
business rules.  store and processing keep messages and run their asynchronous
checks, and control serves the /_control endpoints for tests.
"""
