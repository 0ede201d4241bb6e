-- The streaming ingest converts local times and local dates as the SQL
-- expressions local_time AT TIME ZONE zone and (occurred_at AT TIME ZONE
-- zone)::date do.  Two zones are checked: one with summer time
-- (Europe/Berlin), and one whose name is also a time zone abbreviation
-- (EST), which takes another path in ingest_events.
BEGIN;
SELECT plan(10);

INSERT INTO otan_enbek.organization (bin, name, time_zone)
VALUES ('050440000012', 'School in Berlin', 'Europe/Berlin') RETURNING org_id AS berlin \gset
INSERT INTO otan_enbek.organization (bin, name, time_zone)
VALUES ('090440004210', 'School in EST', 'EST') RETURNING org_id AS est \gset
INSERT INTO otan_enbek.source (org_id, name) VALUES (:berlin, 'gate') RETURNING source_id AS berlin_src \gset
INSERT INTO otan_enbek.source (org_id, name) VALUES (:est, 'gate') RETURNING source_id AS est_src \gset
INSERT INTO otan_enbek.employee (org_id, iin, last_name, first_name)
SELECT org, '810111300012', 'Abenova', 'Aigerim' FROM unnest(ARRAY[:berlin, :est]) AS org;
INSERT INTO otan_enbek.credential (org_id, employee_id, kind, value)
SELECT org_id, employee_id, 'card', '7' FROM otan_enbek.employee
WHERE org_id IN (:berlin, :est);

-- A time in winter, one in the hour that Berlin skips in spring, one just
-- after midnight in summer (the day before in UTC) and one late in the
-- evening (the next day in UTC for EST).
CREATE TEMP TABLE local_time (at timestamp);
INSERT INTO local_time VALUES
    ('2024-01-15 08:00:00'), ('2024-03-31 02:30:00'),
    ('2024-07-01 00:15:00'), ('2024-07-01 23:50:00');
CREATE TEMP TABLE file AS
SELECT E'occurred_at,card_no,direction\n' ||
       string_agg(to_char(at, 'YYYY-MM-DD HH24:MI:SS') || ',7,in', E'\n' ORDER BY at)
           AS content
FROM local_time;

CREATE TEMP TABLE zone_case AS
SELECT o.org_id, o.time_zone, b.inserted_count
FROM otan_enbek.organization o
JOIN otan_enbek.source s ON s.org_id = o.org_id
CROSS JOIN file
CROSS JOIN LATERAL otan_enbek.ingest(s.source_id, 'csv', file.content) AS b
WHERE o.org_id IN (:berlin, :est);

SELECT is(z.inserted_count, 4, z.time_zone || ': every event is stored')
FROM zone_case z ORDER BY z.time_zone;

SELECT set_eq(format('SELECT occurred_at FROM otan_enbek.skud_event WHERE org_id = %s',
                     z.org_id),
              format('SELECT at AT TIME ZONE %L FROM local_time', z.time_zone),
              z.time_zone || ': occurred_at is the local time AT TIME ZONE')
FROM zone_case z ORDER BY z.time_zone;

SELECT is((SELECT count(*) FROM otan_enbek.skud_event e
           WHERE e.org_id = z.org_id AND e.employee_id IS NOT NULL),
          4::bigint, z.time_zone || ': the card resolves to its employee')
FROM zone_case z ORDER BY z.time_zone;

SELECT set_eq(format('SELECT work_day FROM otan_enbek.attendance_pending WHERE org_id = %s',
                     z.org_id),
              format('SELECT (occurred_at AT TIME ZONE %L)::date
                      FROM otan_enbek.skud_event WHERE org_id = %s',
                     z.time_zone, z.org_id),
              z.time_zone || ': the marked days are the local dates of the events')
FROM zone_case z ORDER BY z.time_zone;

SELECT set_eq(format('SELECT work_day FROM otan_enbek.attendance_pending WHERE org_id = %s',
                     z.org_id),
              ARRAY[date '2024-01-15', date '2024-03-31', date '2024-07-01'],
              z.time_zone || ': the marked days are the dates of the file')
FROM zone_case z ORDER BY z.time_zone;

SELECT * FROM finish();
ROLLBACK;
