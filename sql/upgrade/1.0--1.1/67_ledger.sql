-- The ledger of submissions (see sql/install/66_ledger.sql): two columns at
-- the end of submission, filled for the submissions of 1.0 in the order they
-- were created, and the guard that keeps them unchanged.

ALTER TABLE otan_enbek.submission
    ADD COLUMN ledger_no bigint,
    ADD COLUMN previous_sha256 bytea;

-- The guard forbids changing any column but the delivery state, so it is
-- off while the new columns are filled.
ALTER TABLE otan_enbek.submission DISABLE TRIGGER submission_immutable;
UPDATE otan_enbek.submission AS s
SET ledger_no = l.ledger_no, previous_sha256 = l.previous_sha256
FROM (SELECT x.org_id, x.submission_id,
             row_number() OVER w AS ledger_no,
             lag(x.document_sha256) OVER w AS previous_sha256
      FROM otan_enbek.submission AS x
      WINDOW w AS (PARTITION BY x.org_id ORDER BY x.submission_id)) AS l
WHERE s.org_id = l.org_id AND s.submission_id = l.submission_id;
ALTER TABLE otan_enbek.submission ENABLE TRIGGER submission_immutable;

ALTER TABLE otan_enbek.submission
    ALTER COLUMN ledger_no SET NOT NULL,
    ADD CONSTRAINT submission_org_id_ledger_no_key UNIQUE (org_id, ledger_no);
COMMENT ON COLUMN otan_enbek.submission.ledger_no IS
    'Position of the submission in its organization''s ledger, from 1, without gaps; set at insert';
COMMENT ON COLUMN otan_enbek.submission.previous_sha256 IS
    'document_sha256 of the previous submission of the ledger; NULL for the first; otan_enbek.verify_ledger checks the chain';

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
        NEW.certificate_not_after, NEW.created_at, NEW.created_by, NEW.ledger_no,
        NEW.previous_sha256)
       IS DISTINCT FROM
       (OLD.org_id, OLD.submission_id, OLD.timesheet_id, OLD.part_no, OLD.part_count,
        OLD.profile, OLD.message_id, OLD.service_id, OLD.document, OLD.document_sha256,
        OLD.signature_value, OLD.key_fingerprint, OLD.certificate_serial,
        OLD.certificate_not_after, OLD.created_at, OLD.created_by, OLD.ledger_no,
        OLD.previous_sha256) THEN
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
-- The ledger of submissions: each organization's submissions form a chain
-- in the order they were created.  Every row keeps the SHA-256 of its signed
-- document (document_sha256) and that of the row before it
-- (previous_sha256).  A changed document, a changed digest, a deleted row or
-- a row slipped in between therefore breaks the chain at that point, and
-- verify_ledger names the first broken link.  The newest row is the weak
-- point: a change of its document together with its digest is detected only
-- once the next submission links to it.  An administrator who needs more
-- keeps the output of verify_ledger outside the database.

-- Links a new submission to the newest one of its organization.  The
-- advisory lock orders concurrent inserts of one organization.  Each
-- statement of this function takes a fresh snapshot under READ COMMITTED, so
-- the query after the lock reads the row that the previous holder
-- committed.  NOTE: no test runs an insert under REPEATABLE READ, so the
-- error for it below is checked by reading only.  Rows of one INSERT statement see the rows inserted before
-- them by the same statement.
CREATE FUNCTION otan_enbek.submission_ledger_link() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    previous record;
BEGIN
    IF current_setting('transaction_isolation') <> 'read committed' THEN
        RAISE EXCEPTION 'submissions must be created under READ COMMITTED'
            USING ERRCODE = 'feature_not_supported',
                  DETAIL = format('The ledger links a submission to the newest committed one of its organization, which a %s snapshot may not show.',
                                  current_setting('transaction_isolation')),
                  HINT = 'Submit the timesheet in a READ COMMITTED transaction.';
    END IF;
    PERFORM pg_advisory_xact_lock(hashtext('otan_enbek.submission_ledger'), NEW.org_id);
    SELECT s.ledger_no, s.document_sha256 INTO previous
    FROM otan_enbek.submission AS s
    WHERE s.org_id = NEW.org_id
    ORDER BY s.ledger_no DESC
    LIMIT 1;
    NEW.ledger_no := coalesce(previous.ledger_no, 0) + 1;
    NEW.previous_sha256 := previous.document_sha256;
    RETURN NEW;
END
$$;
CREATE TRIGGER submission_ledger
    BEFORE INSERT ON otan_enbek.submission
    FOR EACH ROW EXECUTE FUNCTION otan_enbek.submission_ledger_link();

-- One row per organization: the number of submissions checked, and the
-- first broken link with what is wrong there, or NULLs when the chain is
-- intact.
CREATE FUNCTION otan_enbek.verify_ledger(org integer DEFAULT NULL)
    RETURNS TABLE (org_id integer, submissions bigint, broken_ledger_no bigint,
                   submission_id bigint, problem text)
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
#variable_conflict use_column
BEGIN
-- An organization the caller may not see raises an error rather than
-- returning no row, which would look like an intact chain.
IF verify_ledger.org IS NOT NULL THEN
    PERFORM otan_enbek.require_org_visible(verify_ledger.org);
END IF;
RETURN QUERY
WITH chain AS (
    SELECT s.org_id, s.submission_id, s.ledger_no, s.previous_sha256, s.document_sha256,
           sha256(convert_to(s.document, getdatabaseencoding())) AS computed_sha256,
           lag(s.ledger_no) OVER w AS prior_ledger_no,
           lag(s.document_sha256) OVER w AS prior_sha256
    FROM otan_enbek.submission AS s
    WHERE verify_ledger.org IS NULL OR s.org_id = verify_ledger.org
    WINDOW w AS (PARTITION BY s.org_id ORDER BY s.ledger_no)
), checked AS (
    SELECT c.*,
           CASE
               WHEN c.ledger_no <> coalesce(c.prior_ledger_no, 0) + 1 THEN
                   format('ledger number %s follows %s: the submissions between them are missing',
                          c.ledger_no, coalesce(c.prior_ledger_no, 0))
               WHEN c.document_sha256 IS DISTINCT FROM c.computed_sha256 THEN
                   'the signed document does not match its document_sha256: it was changed after it was signed'
               WHEN c.previous_sha256 IS DISTINCT FROM c.prior_sha256 THEN
                   'previous_sha256 does not match the document_sha256 of the previous submission: that submission or this link was changed'
           END AS problem
    FROM chain AS c
)
SELECT k.org_id, count(*),
       (array_agg(k.ledger_no ORDER BY k.ledger_no) FILTER (WHERE k.problem IS NOT NULL))[1],
       (array_agg(k.submission_id ORDER BY k.ledger_no) FILTER (WHERE k.problem IS NOT NULL))[1],
       (array_agg(k.problem ORDER BY k.ledger_no) FILTER (WHERE k.problem IS NOT NULL))[1]
FROM checked AS k
GROUP BY k.org_id
ORDER BY k.org_id;
END
$$;
COMMENT ON FUNCTION otan_enbek.verify_ledger(integer) IS
    'Checks the hash chain of the submissions of one organization, or of all the caller may see: returns the number checked and the first broken link with what is wrong there, or NULLs when the chain is intact; raises insufficient_privilege for an organization the caller may not see';

GRANT EXECUTE ON FUNCTION otan_enbek.verify_ledger(integer)
    TO otan_enbek_admin, otan_enbek_operator;
