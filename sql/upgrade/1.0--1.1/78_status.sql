-- Views for the administrator (the runs of today, recent errors,
-- submissions that wait or failed, attendance anomalies) and status(), which
-- sums them up in psql.

CREATE VIEW otan_enbek.run_today AS
SELECT DISTINCT ON (r.org_id, r.kind)
       r.org_id, r.kind, r.run_id AS last_run_id, r.trigger, r.status,
       r.started_at, r.finished_at, r.first_day, r.last_day, r.counts,
       r.error_message, r.error_hint,
       count(*) OVER w AS runs,
       count(*) FILTER (WHERE r.status = 'failed') OVER w AS failed_runs
FROM otan_enbek.job_run r
LEFT JOIN otan_enbek.organization o ON o.org_id = r.org_id
WHERE r.started_at >= timezone(coalesce(o.time_zone, 'UTC'),
                               date_trunc('day', timezone(coalesce(o.time_zone, 'UTC'), now())))
WINDOW w AS (PARTITION BY r.org_id, r.kind)
ORDER BY r.org_id, r.kind, r.started_at DESC, r.run_id DESC;
COMMENT ON VIEW otan_enbek.run_today IS
    'Last run of each organization and kind since midnight in the organization''s time zone, with the number of runs and failed runs since then';

CREATE VIEW otan_enbek.recent_error AS
SELECT r.run_id, r.org_id, r.kind, r.trigger, r.first_day, r.last_day, r.target,
       r.started_at, r.error_sqlstate, r.error_message, r.error_detail, r.error_hint,
       r.run_by
FROM otan_enbek.job_run r
WHERE r.status = 'failed' AND r.started_at >= now() - interval '7 days';
COMMENT ON VIEW otan_enbek.recent_error IS
    'Failed runs of the last 7 days with the error''s message, detail and hint';

-- Submissions of the newest version of each month that are still in
-- delivery, wait for manual upload (written), or did not end with
-- acceptance.
CREATE VIEW otan_enbek.submission_attention AS
SELECT s.org_id, s.timesheet_id, s.month, s.version, s.part_no, s.part_count,
       s.submission_id, s.status, s.attempts, s.created_at, s.next_attempt_at,
       s.last_event, s.last_code, s.last_message, s.reasons
FROM otan_enbek.submission_overview s
WHERE s.status IN ('queued', 'sending', 'sent', 'written', 'returned', 'failed')
  AND s.version = (SELECT max(t.version) FROM otan_enbek.timesheet t
                   WHERE t.org_id = s.org_id AND t.month = s.month);
COMMENT ON VIEW otan_enbek.submission_attention IS
    'Submissions of the newest timesheet version of each month that wait for delivery or for manual upload (written), or were returned or failed';

CREATE VIEW otan_enbek.anomaly_review AS
SELECT d.org_id, d.employee_id,
       concat_ws(' ', e.last_name, e.first_name, e.middle_name) AS full_name,
       d.work_day, d.anomalies, d.first_in, d.last_out, d.punch_count, d.is_final
FROM otan_enbek.attendance_day d
JOIN otan_enbek.employee e ON e.org_id = d.org_id AND e.employee_id = d.employee_id
WHERE d.anomalies <> '{}'
  AND d.work_day >= (date_trunc('month', now()) - interval '1 month')::date;
COMMENT ON VIEW otan_enbek.anomaly_review IS
    'Days of this and the previous month whose punches the attendance engine flagged, such as an entry without an exit';

-- One row per fact, by organization (NULL for the whole database).
CREATE FUNCTION otan_enbek.status()
    RETURNS TABLE (org_id integer, area text, state text, summary text)
    LANGUAGE sql VOLATILE
    SET search_path = pg_catalog, pg_temp
    AS $$
SELECT NULL::integer, 'delivery worker', d.worker_state,
       format('%s queued, %s awaiting an answer from Enbek', d.queued, d.sent)
FROM otan_enbek.delivery_status() d
UNION ALL
SELECT p.org_id, 'running ' || p.command, coalesce(p.phase, 'starting'),
       format('run %s: %s of %s %s (%s%%) since %s', p.run_id, p.done,
              coalesce(p.total::text, '?'), coalesce(p.unit, ''),
              coalesce(p.percent::text, '?'), to_char(p.started_at, 'HH24:MI:SS'))
FROM otan_enbek.progress p
UNION ALL
SELECT r.org_id, 'today ' || r.kind, r.status,
       CASE WHEN r.status = 'failed'
            THEN format('run %s: %s', r.last_run_id, r.error_message)
            ELSE format('run %s: %s', r.last_run_id, r.counts)
       END
       || format(' (%s runs, %s failed)', r.runs, r.failed_runs)
FROM otan_enbek.run_today r
UNION ALL
SELECT e.org_id, 'errors in 7 days', 'failed',
       format('%s failed runs; last: run %s (%s), %s', e.n, e.run_id, e.kind, e.error_message)
FROM (SELECT DISTINCT ON (x.org_id) x.org_id, x.run_id, x.kind, x.error_message,
             count(*) OVER (PARTITION BY x.org_id) AS n
      FROM otan_enbek.recent_error x
      ORDER BY x.org_id, x.started_at DESC) e
UNION ALL
SELECT s.org_id, 'submissions', s.status,
       format('%s parts of %s', count(*),
              string_agg(DISTINCT to_char(s.month, 'YYYY-MM'), ', '))
FROM otan_enbek.submission_attention s
GROUP BY s.org_id, s.status
UNION ALL
SELECT u.org_id, 'unmatched credentials', 'review',
       format('%s credentials in %s events', count(*), sum(u.event_count))
FROM otan_enbek.unmatched_credential u
GROUP BY u.org_id
UNION ALL
SELECT a.org_id, 'anomalies', 'review',
       format('%s days of %s employees since %s', count(*), count(DISTINCT a.employee_id),
              to_char(min(a.work_day), 'YYYY-MM-DD'))
FROM otan_enbek.anomaly_review a
GROUP BY a.org_id
ORDER BY 1 NULLS FIRST, 2, 3
$$;
COMMENT ON FUNCTION otan_enbek.status() IS
    'Dashboard for psql: the delivery worker, runs in progress, today''s runs, errors of 7 days, submissions that need attention, unmatched credentials and anomalies';
