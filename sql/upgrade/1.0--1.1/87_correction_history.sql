-- The history of a month's timesheet: every version and every submission
-- of it, full or correction (69_correction.sql).  This part follows
-- 81_org_access.sql, whose organization predicate the reader's view uses.

-- Every version of every month and each submission of it, with what the
-- submission carried and Enbek's response.  A document sent in parts has
-- one row per part.  A version never submitted has one row with NULL
-- submission columns.
CREATE VIEW otan_enbek.timesheet_history AS
SELECT t.org_id, t.month, t.version, t.timesheet_id, t.status AS timesheet_status,
       t.built_at, t.employee_count,
       s.submission_id, s.part_no, s.part_count, s.document_kind AS kind, s.message_id,
       b.message_id AS corrects_message_id, bt.version AS corrects_version,
       (ev.detail->>'employee_count')::integer AS changed_employee_count,
       s.status AS submission_status, s.response_code, s.created_at, s.finished_at,
       r.reasons
FROM otan_enbek.timesheet AS t
LEFT JOIN otan_enbek.submission AS s
       ON s.org_id = t.org_id AND s.timesheet_id = t.timesheet_id
LEFT JOIN otan_enbek.submission AS b
       ON b.org_id = s.org_id AND b.submission_id = s.corrects_submission_id
LEFT JOIN otan_enbek.timesheet AS bt
       ON bt.org_id = b.org_id AND bt.timesheet_id = b.timesheet_id
LEFT JOIN otan_enbek.submission_event AS ev
       ON ev.org_id = s.org_id AND ev.submission_id = s.submission_id
      AND ev.event_no = 1 AND s.document_kind = 'correction'
LEFT JOIN LATERAL (
    SELECT jsonb_agg(jsonb_build_object('code', sr.code, 'message', sr.message,
                                        'iin', sr.iin, 'employee_id', sr.employee_id)
                     ORDER BY sr.reason_no) AS reasons
    FROM otan_enbek.submission_reason AS sr
    WHERE sr.org_id = s.org_id AND sr.submission_id = s.submission_id
) AS r ON true;
ALTER VIEW otan_enbek.timesheet_history SET (security_invoker = true);
COMMENT ON VIEW otan_enbek.timesheet_history IS
    'Every version of each month''s timesheet and every submission of it: full or correction, the accepted document a correction refers to, the delivery status and Enbek''s reasons';
COMMENT ON COLUMN otan_enbek.timesheet_history.kind IS
    'full or correction; NULL for a version that was never submitted';
COMMENT ON COLUMN otan_enbek.timesheet_history.corrects_message_id IS
    'Message id of the accepted document that a correction refers to';
COMMENT ON COLUMN otan_enbek.timesheet_history.corrects_version IS
    'Timesheet version of the accepted document that a correction refers to';
COMMENT ON COLUMN otan_enbek.timesheet_history.changed_employee_count IS
    'Number of employees a correction, or this part of it, carries (added, changed and removed); NULL for a full document';
COMMENT ON COLUMN otan_enbek.timesheet_history.reasons IS
    'Reasons Enbek gave for returning the document, as a JSON array of code, message, iin and employee_id';

-- The history for readers: the same rows, with each reason's IIN masked
-- and without Enbek's messages, which may name an IIN in full.
CREATE VIEW otan_enbek.reader_timesheet_history WITH (security_barrier) AS
SELECT t.org_id, t.month, t.version, t.timesheet_id, t.status AS timesheet_status,
       t.built_at, t.employee_count,
       s.submission_id, s.part_no, s.part_count, s.document_kind AS kind, s.message_id,
       b.message_id AS corrects_message_id, bt.version AS corrects_version,
       (ev.detail->>'employee_count')::integer AS changed_employee_count,
       s.status AS submission_status, s.response_code, s.created_at, s.finished_at,
       r.reasons
FROM otan_enbek.timesheet AS t
LEFT JOIN otan_enbek.submission AS s
       ON s.org_id = t.org_id AND s.timesheet_id = t.timesheet_id
LEFT JOIN otan_enbek.submission AS b
       ON b.org_id = s.org_id AND b.submission_id = s.corrects_submission_id
LEFT JOIN otan_enbek.timesheet AS bt
       ON bt.org_id = b.org_id AND bt.timesheet_id = b.timesheet_id
LEFT JOIN otan_enbek.submission_event AS ev
       ON ev.org_id = s.org_id AND ev.submission_id = s.submission_id
      AND ev.event_no = 1 AND s.document_kind = 'correction'
LEFT JOIN LATERAL (
    SELECT jsonb_agg(jsonb_build_object('code', sr.code,
                                        'iin_masked', otan_enbek.mask_iin(sr.iin),
                                        'employee_id', sr.employee_id)
                     ORDER BY sr.reason_no) AS reasons
    FROM otan_enbek.submission_reason AS sr
    WHERE sr.org_id = s.org_id AND sr.submission_id = s.submission_id
) AS r ON true
WHERE (SELECT otan_enbek.sees_every_org())
   OR t.org_id = ANY ((SELECT otan_enbek.visible_org_ids())::integer[]);
COMMENT ON VIEW otan_enbek.reader_timesheet_history IS
    'Every version and submission of the timesheets of the organizations the caller may see, with the IINs of the reasons masked and without Enbek''s messages';
COMMENT ON COLUMN otan_enbek.reader_timesheet_history.reasons IS
    'Reasons Enbek gave for returning the document, as a JSON array of code, iin_masked and employee_id';

GRANT SELECT ON otan_enbek.reader_timesheet_history
    TO otan_enbek_admin, otan_enbek_operator, otan_enbek_reader;
GRANT SELECT ON otan_enbek.timesheet_history TO otan_enbek_admin, otan_enbek_operator;
