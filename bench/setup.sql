-- Benchmark organization: one employee and one card credential per card
-- number of the generated events, a day schedule 09:00-18:00 with lunch
-- 13:00-14:00, and a night schedule 20:00-08:00 with a break 00:00-01:00
-- for the employees whose entries are in the evening.
--
-- psql variables: :csv is the events file (read by the server).
\set ON_ERROR_STOP 1

CREATE EXTENSION IF NOT EXISTS otan_enbek;

TRUNCATE otan_enbek.skud_event, otan_enbek.attendance_day, otan_enbek.credential,
         otan_enbek.employee_schedule, otan_enbek.work_schedule_rule,
         otan_enbek.access_point, otan_enbek.source, otan_enbek.employee,
         otan_enbek.work_schedule, otan_enbek.organization CASCADE;

INSERT INTO otan_enbek.organization (org_id, bin, name, time_zone)
VALUES (1, '050440000012', 'Benchmark school', 'Asia/Almaty');
INSERT INTO otan_enbek.source (org_id, source_id, name) VALUES (1, 1, 'Generated turnstiles');
INSERT INTO otan_enbek.work_schedule (org_id, schedule_id, name)
VALUES (1, 1, 'Day 09-18'), (1, 2, 'Night 20-08');
INSERT INTO otan_enbek.work_schedule_rule (org_id, schedule_id, day_no, start_time,
        end_time, break_start, break_end)
SELECT 1, 1, d, time '09:00', time '18:00', time '13:00', time '14:00'
FROM generate_series(1, 5) d
UNION ALL
SELECT 1, 2, d, time '20:00', time '08:00', time '00:00', time '01:00'
FROM generate_series(1, 5) d;
UPDATE otan_enbek.organization SET default_schedule_id = 1 WHERE org_id = 1;

DROP TABLE IF EXISTS bench_event;
CREATE UNLOGGED TABLE bench_event (
    event_id    bigint,
    card_no     text,
    device_id   int,
    direction   text,
    occurred_at timestamptz
);
COPY bench_event FROM :'csv' (FORMAT csv, HEADER);

-- Valid IINs: a birth date, century digit 3 and a serial, with the check
-- digit found by trying each of the ten.
CREATE TEMP TABLE card AS
SELECT card_no, row_number() OVER (ORDER BY card_no)::integer AS employee_id,
       count(*) FILTER (WHERE direction = 'in' AND
                              extract(hour FROM occurred_at AT TIME ZONE 'Asia/Almaty') >= 15)
           > count(*) FILTER (WHERE direction = 'in') / 2 AS night
FROM bench_event
GROUP BY card_no;

INSERT INTO otan_enbek.employee (org_id, employee_id, iin, last_name, first_name, schedule_id)
SELECT 1, c.employee_id, i.iin, 'Employee', c.card_no, CASE WHEN c.night THEN 2 END
FROM card c
JOIN (SELECT row_number() OVER (ORDER BY n) AS employee_id, iin
      FROM (SELECT n, (SELECT p || d FROM generate_series(0, 9) d
                       WHERE otan_enbek.is_valid_iin(p || d) LIMIT 1) AS iin
            FROM (SELECT n, to_char(date '1970-01-01' + (n / 5000)::integer, 'YYMMDD') || '3'
                             || lpad((n % 5000)::text, 4, '0') AS p
                  FROM generate_series(0, (SELECT count(*) * 2 FROM card)) n) x) y
      WHERE iin IS NOT NULL) i USING (employee_id);

INSERT INTO otan_enbek.credential (org_id, employee_id, kind, value)
SELECT 1, employee_id, 'card', card_no FROM card;

SELECT otan_enbek.ensure_event_partitions(min(occurred_at), max(occurred_at)) AS partitions
FROM bench_event;
