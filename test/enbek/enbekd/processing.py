"""Asynchronous processing: a received timesheet becomes PROCESSING at once
and ACCEPTED or REJECTED after the processing delay."""
import heapq
import logging
import threading
import time

from .checks import check_employees
from .model import ACCEPTED, PROCESSING, RECEIVED, REJECTED

log = logging.getLogger("enbekd.processing")


class Processor:
    """Runs the employee checks of received messages on one background
    thread, each message delay seconds after it was scheduled."""

    def __init__(self, store, contracts, delay):
        self._store = store
        self._contracts = contracts
        self._delay = delay
        self._queue = []  # (due monotonic time, sequence, message id)
        self._condition = threading.Condition()
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name="processor", daemon=True)

    def start(self):
        """Start the thread and schedule the messages that a previous run
        left unfinished."""
        pending = self._store.pending()
        for message_id, sequence in pending:
            self.schedule(message_id, sequence)
        if pending:
            log.info("resumed processing of %d messages", len(pending))
        self._thread.start()

    def stop(self):
        with self._condition:
            self._stopping = True
            self._condition.notify()
        self._thread.join()

    def schedule(self, message_id, sequence):
        """Mark a received message PROCESSING and queue its checks."""
        self._store.update_state(message_id, sequence, PROCESSING, [], expected_states=(RECEIVED,))
        with self._condition:
            heapq.heappush(self._queue, (time.monotonic() + self._delay, sequence, message_id))
            self._condition.notify()

    def _run(self):
        while True:
            with self._condition:
                while not self._stopping and (not self._queue or self._queue[0][0] > time.monotonic()):
                    timeout = self._queue[0][0] - time.monotonic() if self._queue else None
                    self._condition.wait(timeout)
                if self._stopping:
                    return
                _, sequence, message_id = heapq.heappop(self._queue)
            try:
                self._process(message_id, sequence)
            except Exception:
                # Keep the thread alive for the other messages.  This one
                # stays PROCESSING, and the log records why.
                log.exception("processing of message %s failed", message_id)

    def _process(self, message_id, sequence):
        record = self._store.get(message_id)
        if record is None or record.sequence != sequence:
            return  # forgotten by a reset
        errors = check_employees(record.bin, record.period, record.employees, self._contracts)
        state = REJECTED if errors else ACCEPTED
        if self._store.update_state(message_id, sequence, state, errors):
            codes = ",".join(sorted({e.code for e in errors})) or "-"
            log.info("message %s %s (%s)", message_id, state, codes)
