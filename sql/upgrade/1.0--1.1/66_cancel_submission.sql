-- A queued submission that was never sent may be cancelled: the statuses
-- cancelled of submission and timesheet, the event kind cancelled, and the
-- guard that allows queued -> cancelled before the first attempt.

ALTER TABLE otan_enbek.timesheet
    DROP CONSTRAINT timesheet_status_check,
    ADD CONSTRAINT timesheet_status_check
        CHECK (status IN ('built', 'submitted', 'accepted', 'returned', 'failed', 'superseded',
                          'cancelled'));

ALTER TABLE otan_enbek.submission
    DROP CONSTRAINT submission_status_check,
    ADD CONSTRAINT submission_status_check
        CHECK (status IN ('queued', 'sending', 'sent', 'accepted', 'returned', 'failed',
                          'cancelled', 'written'));
COMMENT ON COLUMN otan_enbek.submission.status IS
    'queued: waiting to be sent; sending: claimed by the worker; sent: received by Enbek and being checked; accepted; returned: rejected with reasons; failed: given up after retries; cancelled: withdrawn by cancel_submission before any attempt; written: written to a directory by the profile file for manual upload in the employer''s cabinet, waiting for record_cabinet_answer';

ALTER TABLE otan_enbek.submission_event
    DROP CONSTRAINT submission_event_kind_check,
    ADD CONSTRAINT submission_event_kind_check
        CHECK (kind IN ('created', 'attempt', 'answer', 'status_query',
                        'retry_scheduled', 'accepted', 'returned', 'failed', 'requeued', 'error',
                        'cancelled', 'written'));

-- The signed document and its identity are immutable: only the delivery
-- state may change, and a submission is never deleted.
--
-- The status may change only in these ways, which are the ones the
-- delivery worker makes:
--   queued  -> sending    delivery_claim claims a send
--   sent    -> sending    delivery_claim claims a status query
--   sending -> queued     delivery_record: retry, requeue, interrupted or
--                         release of a send, requeue after state UNKNOWN;
--                         delivery_requeue of a send
--   sending -> sent       delivery_record: sent, resend, or retry,
--                         status_unknown, interrupted or release of a status
--                         query; delivery_requeue of a status query
--   sending -> accepted, returned, failed   delivery_record, and no other
--                         status leads to these
--   queued  -> cancelled  cancel_submission, only before the first attempt
-- and between queued and sent in either direction, which a test or an
-- operator may do by hand: a re-send keeps its message id, so Enbek returns
-- SCSE196 and the status query finds the first copy.  Accepted, returned,
-- failed and cancelled are final, and a final submission changes no column
-- at all: back in delivery it would be sent again, and its attempts and
-- response are the record of the outcome.
CREATE OR REPLACE FUNCTION otan_enbek.submission_guard() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    final_statuses CONSTANT text[] := ARRAY['accepted', 'returned', 'failed', 'cancelled'];
    outcomes CONSTANT text[] := ARRAY['accepted', 'returned', 'failed'];
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'submission % cannot be deleted', OLD.submission_id
            USING ERRCODE = 'integrity_constraint_violation',
                  DETAIL = 'Submissions are the record of what was sent to Enbek.';
    END IF;
    IF (NEW.org_id, NEW.submission_id, NEW.timesheet_id, NEW.part_no, NEW.part_count,
        NEW.profile, NEW.message_id, NEW.service_id, NEW.document, NEW.document_sha256,
        NEW.signature_value, NEW.key_fingerprint, NEW.certificate_serial,
        NEW.certificate_not_after, NEW.created_at, NEW.created_by)
       IS DISTINCT FROM
       (OLD.org_id, OLD.submission_id, OLD.timesheet_id, OLD.part_no, OLD.part_count,
        OLD.profile, OLD.message_id, OLD.service_id, OLD.document, OLD.document_sha256,
        OLD.signature_value, OLD.key_fingerprint, OLD.certificate_serial,
        OLD.certificate_not_after, OLD.created_at, OLD.created_by) THEN
        RAISE EXCEPTION 'the signed content of submission % cannot be changed', OLD.submission_id
            USING ERRCODE = 'integrity_constraint_violation',
                  DETAIL = 'Only the delivery state of a submission may be updated.',
                  HINT = 'Build a new timesheet version and submit it instead.';
    END IF;

    IF OLD.status = ANY (final_statuses) AND NEW.status <> OLD.status THEN
        RAISE EXCEPTION 'submission % cannot change from % to %',
                OLD.submission_id, OLD.status, NEW.status
            USING ERRCODE = 'integrity_constraint_violation',
                  DETAIL = format('Status %s is final: it records how the delivery of this document ended, and a submission in delivery again would be sent to Enbek again.',
                                  OLD.status),
                  HINT = 'A correction is a new version of the timesheet: build the month again with otan_enbek.build_timesheet and submit the new version.';
    ELSIF OLD.status = ANY (final_statuses) AND NEW IS DISTINCT FROM OLD THEN
        RAISE EXCEPTION 'the delivery state of submission % cannot be changed', OLD.submission_id
            USING ERRCODE = 'integrity_constraint_violation',
                  DETAIL = format('Status %s is final, so the submission keeps the attempts, response and times it ended with.',
                                  OLD.status),
                  HINT = 'A correction is a new version of the timesheet: build the month again with otan_enbek.build_timesheet and submit the new version.';
    ELSIF NEW.status = 'cancelled' AND NEW.status <> OLD.status
          AND (OLD.status <> 'queued' OR OLD.attempts > 0) THEN
        RAISE EXCEPTION 'submission % cannot be cancelled', OLD.submission_id
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = format('Its status is %s after %s attempts. Only a queued submission that was never sent can be cancelled, because Enbek may have received any other.',
                                  OLD.status, OLD.attempts),
                  HINT = 'Wait for the outcome of the delivery; a correction is a new version of the timesheet.';
    ELSIF NEW.status = ANY (outcomes) AND NEW.status <> OLD.status
          AND OLD.status <> 'sending'
          AND NOT (OLD.status = 'written' AND NEW.status IN ('accepted', 'returned')) THEN
        RAISE EXCEPTION 'submission % cannot change from % to %',
                OLD.submission_id, OLD.status, NEW.status
            USING ERRCODE = 'integrity_constraint_violation',
                  DETAIL = 'Only the delivery worker sets accepted, returned or failed, when it records the outcome of a request it sent (status sending), and record_cabinet_answer sets accepted or returned for a document written for manual upload (status written).';
    END IF;
    -- Every other change is between queued, sending, sent and written.
    RETURN NEW;
END
$$;
