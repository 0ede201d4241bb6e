-- The error of explain_attendance for a day without a row gives the
-- reason in its detail.  A day outside the employment dates has no row
-- when it has no punches, or when it lies in a calendar month without a
-- day of the employment, even with punches.
BEGIN;
SELECT plan(6);

SET LOCAL timezone = 'Asia/Almaty';
SET LOCAL client_min_messages = warning;
INSERT INTO otan_enbek.organization (org_id, bin, name) VALUES (4709, '090440004706', 'Explain outside');
INSERT INTO otan_enbek.source (org_id, source_id, name) VALUES (4709, 4709, 'Gate');
INSERT INTO otan_enbek.work_schedule (org_id, schedule_id, name) VALUES (4709, 1, 'Day 09-18');
INSERT INTO otan_enbek.work_schedule_rule (org_id, schedule_id, day_no, start_time, end_time)
SELECT 4709, 1, d, '09:00', '18:00' FROM generate_series(1, 5) d;
UPDATE otan_enbek.organization SET default_schedule_id = 1 WHERE org_id = 4709;
-- dismissed on 10 February 2026
INSERT INTO otan_enbek.employee (org_id, employee_id, iin, last_name, first_name, dismissed_on)
VALUES (4709, 1, '810111300012', 'Abenova', 'Aigerim', '2026-02-10');
INSERT INTO otan_enbek.credential (org_id, employee_id, kind, value)
VALUES (4709, 1, 'person', '1');
-- punches on 2 March, in a month without a day of the employment
SELECT otan_enbek.ingest(4709, 'zkteco',
       E'1\t2026-03-02 09:00:00\t1\t0\t1\t0\n1\t2026-03-02 18:00:00\t1\t1\t1\t0');

-- the SQLSTATE and DETAIL of the error of explain_attendance
CREATE FUNCTION pg_temp.explain_error(day date) RETURNS text[]
LANGUAGE plpgsql AS $$
DECLARE
    state text;
    detail text;
BEGIN
    PERFORM * FROM otan_enbek.explain_attendance(4709, 1, day);
    RETURN NULL;
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, detail = PG_EXCEPTION_DETAIL;
    RETURN ARRAY[state, detail];
END
$$;

SELECT otan_enbek.compute_attendance(4709, '2026-02-01', '2026-03-31');
SELECT is((SELECT count(*) FROM otan_enbek.attendance_day
           WHERE org_id = 4709 AND work_day = '2026-03-02'),
          0::bigint, 'punched day after dismissal month has no row');

SELECT is((pg_temp.explain_error('2026-02-12'))[1], 'P0002',
          'day without punches: no data found');
SELECT is((pg_temp.explain_error('2026-02-12'))[2],
          'The day is outside the employee''s employment dates and has no punches.',
          'day without punches: detail names missing punches');
SELECT is((pg_temp.explain_error('2026-03-02'))[1], 'P0002',
          'punched day in other month: no data found');
SELECT is((pg_temp.explain_error('2026-03-02'))[2],
          'The day is outside the employee''s employment dates, in a calendar month without a day of the employment. Such a day gets no row, even with punches.',
          'punched day in other month: detail names the month');
SELECT is((pg_temp.explain_error('2026-02-09')), NULL, 'employed day is explained');

SELECT * FROM finish();
ROLLBACK;
