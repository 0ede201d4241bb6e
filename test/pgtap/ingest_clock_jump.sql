-- A device whose clock was set back: ingest records how far behind each
-- later record is, and the days of those events are flagged clock_jump_back
-- by compute_attendance, by refresh_attendance and in explain_attendance.
BEGIN;
SELECT plan(16);

SET LOCAL timezone = 'Asia/Almaty';
SET LOCAL client_min_messages = warning;
INSERT INTO otan_enbek.organization (org_id, bin, name)
SELECT 4751, b, 'Clock'
FROM (SELECT '0904400047' || lpad(k::text, 2, '0') AS b FROM generate_series(0, 99) k) c
WHERE otan_enbek.is_valid_bin(c.b)
ORDER BY c.b LIMIT 1;
INSERT INTO otan_enbek.source (org_id, source_id, name) VALUES (4751, 4751, 'Gate');
INSERT INTO otan_enbek.work_schedule (org_id, schedule_id, name) VALUES (4751, 1, 'Day 09-18');
INSERT INTO otan_enbek.work_schedule_rule (org_id, schedule_id, day_no, start_time, end_time)
SELECT 4751, 1, d, '09:00', '18:00' FROM generate_series(1, 5) d;
UPDATE otan_enbek.organization SET default_schedule_id = 1 WHERE org_id = 4751;
INSERT INTO otan_enbek.employee (org_id, employee_id, iin, last_name, first_name)
VALUES (4751, 1, '830313300084', 'Abenova', 'Aigerim'),
       (4751, 2, '830313300094', 'Bekov', 'Arman');
INSERT INTO otan_enbek.credential (org_id, employee_id, kind, value)
VALUES (4751, 1, 'person', '1'), (4751, 2, 'person', '2');

CREATE FUNCTION pg_temp.zk(pin integer, t timestamp, state integer) RETURNS text
LANGUAGE sql AS $$
    SELECT format(E'%s\t%s\t1\t%s\t1\t0', pin, to_char(t, 'YYYY-MM-DD HH24:MI:SS'), state)
$$;
-- The log of one reader in the order it wrote it.  After employee 1's entry
-- at 08:55 on Tuesday its clock goes back to Monday 18:10, and it writes
-- Tuesday's exit at 18:00 once its time has passed 08:55 again.  On
-- Wednesday two records are 30 s out of order, which is not a jump.
CREATE TEMP TABLE log (line_no integer, line text);
INSERT INTO log
VALUES (1, pg_temp.zk(1, '2026-02-02 08:58', 0)),
       (2, pg_temp.zk(1, '2026-02-02 17:40', 1)),
       (3, pg_temp.zk(1, '2026-02-03 08:55', 0)),
       (4, pg_temp.zk(1, '2026-02-02 18:10', 1)),
       (5, pg_temp.zk(1, '2026-02-03 18:00', 1)),
       (6, pg_temp.zk(1, '2026-02-04 09:00:30', 0)),
       (7, pg_temp.zk(1, '2026-02-04 09:00:00', 0));
CREATE FUNCTION pg_temp.content() RETURNS text LANGUAGE sql AS $$
    SELECT string_agg(line, E'\n' ORDER BY line_no) FROM log
$$;

SELECT is((SELECT array_agg(p.clock_jump_sec ORDER BY p.record_no)
           FROM otan_enbek.parse_events('zkteco', pg_temp.content()) p),
          '{NULL,NULL,NULL,53100,NULL,NULL,NULL}'::integer[],
          'parse_events: the record after the jump');
SELECT is((SELECT count(p.clock_jump_sec)
           FROM otan_enbek.parse_events('csv',
                    E'event_id,card_no,device_id,direction,occurred_at\n'
                    || E'1,1,7,in,2026-02-03 08:55:00+05\n'
                    || E'2,1,7,out,2026-02-02 18:10:00+05\n') p),
          0::bigint, 'parse_events: csv order is not watched');
SELECT is((SELECT array_agg(p.clock_jump_sec ORDER BY p.record_no)
           FROM otan_enbek.parse_events('hikvision', $json$
{"AcsEvent": {"InfoList": [
  {"major": 5, "minor": 75, "time": "2026-02-05T09:00:00+05:00", "employeeNoString": "1",
   "doorNo": 1, "cardReaderNo": 1, "serialNo": 1},
  {"major": 5, "minor": 75, "time": "2026-02-05T18:00:00+05:00", "employeeNoString": "1",
   "doorNo": 1, "cardReaderNo": 1, "serialNo": 2},
  {"major": 5, "minor": 75, "time": "2026-02-05T08:00:00+05:00", "employeeNoString": "2",
   "doorNo": 2, "cardReaderNo": 1, "serialNo": 3},
  {"major": 5, "minor": 75, "time": "2026-02-05T08:00:00+05:00", "employeeNoString": "1",
   "doorNo": 1, "cardReaderNo": 1, "serialNo": 4}]}}
$json$) p),
          '{NULL,NULL,NULL,36000}'::integer[],
          'parse_events: hikvision, by reader');
-- An export grouped by person: each person's records are in order.
SELECT is((SELECT count(p.clock_jump_sec)
           FROM otan_enbek.parse_events('zkteco',
                    pg_temp.zk(1, '2026-02-02 08:58', 0) || E'\n'
                    || pg_temp.zk(1, '2026-02-02 18:03', 1) || E'\n'
                    || pg_temp.zk(2, '2026-02-02 08:40', 0) || E'\n'
                    || pg_temp.zk(2, '2026-02-02 17:50', 1)) p),
          0::bigint, 'parse_events: a log grouped by person');

SELECT ok(otan_enbek.ensure_event_partitions('2026-02-01', '2026-02-28') >= 0,
          'the partitions of February exist');
SELECT is((SELECT inserted_count FROM otan_enbek.ingest(4751, 'zkteco', pg_temp.content())),
          7, 'ingest stores every record');
SELECT is((SELECT array_agg(e.clock_jump_sec ORDER BY e.line_no)
           FROM otan_enbek.skud_event e WHERE e.org_id = 4751),
          '{NULL,NULL,NULL,53100,NULL,NULL,NULL}'::integer[],
          'ingest stores how far behind the record is');

SELECT otan_enbek.compute_attendance(4751, '2026-02-01', '2026-02-28');
CREATE FUNCTION pg_temp.flagged() RETURNS date[] LANGUAGE sql AS $$
    SELECT array_agg(work_day ORDER BY work_day)
    FROM otan_enbek.attendance_day
    WHERE org_id = 4751 AND 'clock_jump_back' = ANY (anomalies)
$$;
SELECT is(pg_temp.flagged(), '{2026-02-02}'::date[],
          'compute_attendance flags the day of the event');
SELECT ok((SELECT anomalies[array_upper(anomalies, 1)] = 'clock_jump_back'
           FROM otan_enbek.attendance_day
           WHERE org_id = 4751 AND employee_id = 1 AND work_day = '2026-02-02'),
          'the flag follows the engine''s flags');
SELECT is((SELECT count(*) FROM otan_enbek.explain_attendance(4751, 1, '2026-02-02') x
           WHERE x.step = 'flag' AND x.detail LIKE '%clock was set back%'),
          1::bigint, 'explain_attendance names the flag');

-- A second log of the same reader: Thursday 08:00 after 18:00.
-- A trigger on skud_event makes ingest store it by its SQL statement
-- instead of streaming it.
DELETE FROM otan_enbek.attendance_pending WHERE org_id = 4751;
CREATE FUNCTION pg_temp.nothing() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RETURN NULL;
END
$$;
CREATE TRIGGER nothing AFTER INSERT ON otan_enbek.skud_event
    FOR EACH STATEMENT EXECUTE FUNCTION pg_temp.nothing();
SELECT is((SELECT inserted_count FROM otan_enbek.ingest(4751, 'zkteco',
               pg_temp.zk(1, '2026-02-05 09:00', 0) || E'\n'
               || pg_temp.zk(1, '2026-02-05 18:00', 1) || E'\n'
               || pg_temp.zk(1, '2026-02-05 08:00', 0))),
          3, 'a second log is stored');
DROP TRIGGER nothing ON otan_enbek.skud_event;
SELECT is((SELECT clock_jump_sec FROM otan_enbek.skud_event
           WHERE org_id = 4751 AND employee_id = 1 AND occurred_at = '2026-02-05 08:00'),
          36000, 'the SQL statement stores how far behind the record is');
SELECT otan_enbek.refresh_attendance(4751);
SELECT is(pg_temp.flagged(), '{2026-02-02,2026-02-05}'::date[],
          'refresh_attendance flags the day');
CREATE TEMP TABLE refreshed AS
SELECT * FROM otan_enbek.attendance_day WHERE org_id = 4751;
SELECT otan_enbek.compute_attendance(4751, '2026-02-01', '2026-02-28');
SELECT is((SELECT count(*) FROM (SELECT employee_id, work_day, anomalies FROM refreshed
                                 EXCEPT
                                 SELECT employee_id, work_day, anomalies
                                 FROM otan_enbek.attendance_day WHERE org_id = 4751) d),
          0::bigint, 'refresh gives the flags of a full computation');

-- The flag stays when another step rewrites the day's flags.
UPDATE otan_enbek.work_schedule SET heavy_work = true WHERE org_id = 4751;
SELECT otan_enbek.refresh_attendance(4751);
SELECT is(pg_temp.flagged(), '{2026-02-02,2026-02-05}'::date[],
          'a refresh after a schedule change keeps the flags');
SELECT is((SELECT count(*) FROM otan_enbek.attendance_day
           WHERE org_id = 4751 AND work_day = '2026-02-05' AND employee_id = 1
             AND 'clock_jump_back' = ANY (anomalies)),
          1::bigint, 'the day of the record behind the clock is flagged');

SELECT * FROM finish();
ROLLBACK;
