-- Edges of the clock jump watch: a record that ingest rejects as more than
-- a day in the future does not mark the valid records after it, and the
-- readers of one Hikvision controller share its clock.
BEGIN;
SELECT plan(8);

SET LOCAL timezone = 'Asia/Almaty';
SET LOCAL client_min_messages = warning;
INSERT INTO otan_enbek.organization (org_id, bin, name)
SELECT 4752, b, 'Clock edges'
FROM (SELECT '0904400047' || lpad(k::text, 2, '0') AS b FROM generate_series(0, 99) k) c
WHERE otan_enbek.is_valid_bin(c.b)
ORDER BY c.b LIMIT 1;
INSERT INTO otan_enbek.source (org_id, source_id, name) VALUES (4752, 4752, 'Gate');
INSERT INTO otan_enbek.employee (org_id, employee_id, iin, last_name, first_name)
VALUES (4752, 1, '830313300084', 'Abenova', 'Aigerim');
INSERT INTO otan_enbek.credential (org_id, employee_id, kind, value)
VALUES (4752, 1, 'person', '1');

CREATE FUNCTION pg_temp.zk(pin integer, t timestamp, state integer) RETURNS text
LANGUAGE sql AS $$
    SELECT format(E'%s\t%s\t1\t%s\t1\t0', pin, to_char(t, 'YYYY-MM-DD HH24:MI:SS'), state)
$$;
-- A reader whose clock runs years ahead for one record and is then right
-- again.  Ingest rejects that record, and the records after it keep their
-- valid times.
CREATE FUNCTION pg_temp.content() RETURNS text LANGUAGE sql AS $$
    SELECT pg_temp.zk(1, '2026-02-02 08:58', 0) || E'\n'
        || pg_temp.zk(1, now()::timestamp + interval '3 years', 0) || E'\n'
        || pg_temp.zk(1, '2026-02-02 18:00', 1) || E'\n'
        || pg_temp.zk(1, '2026-02-03 09:00', 0)
$$;

SELECT is((SELECT count(p.clock_jump_sec)
           FROM otan_enbek.parse_events('zkteco', pg_temp.content()) p),
          0::bigint, 'parse_events: a future record marks nothing');
SELECT is((SELECT count(p.clock_jump_sec)
           FROM otan_enbek.parse_events('hikvision', $json$
{"AcsEvent": {"InfoList": [
  {"major": 5, "minor": 75, "time": "2026-02-05T09:00:00+05:00", "employeeNoString": "1",
   "doorNo": 1, "cardReaderNo": 1, "serialNo": 1},
  {"major": 5, "minor": 75, "time": "2090-02-05T09:00:00+05:00", "employeeNoString": "1",
   "doorNo": 1, "cardReaderNo": 1, "serialNo": 2},
  {"major": 5, "minor": 75, "time": "2026-02-05T18:00:00+05:00", "employeeNoString": "1",
   "doorNo": 1, "cardReaderNo": 1, "serialNo": 3}]}}
$json$) p),
          0::bigint, 'parse_events: a future time with an offset marks nothing');

SELECT ok(otan_enbek.ensure_event_partitions('2026-02-01', '2026-02-28') >= 0,
          'the partitions of February exist');
SELECT is((SELECT row(inserted_count, duplicate_count, rejected_count)::text
           FROM otan_enbek.ingest(4752, 'zkteco', pg_temp.content())),
          '(3,0,1)', 'ingest rejects the future record');
SELECT is((SELECT count(e.clock_jump_sec) FROM otan_enbek.skud_event e
           WHERE e.org_id = 4752),
          0::bigint, 'the stored events are not marked');

-- One controller with an entry reader and an exit reader: its clock goes
-- back after the entry at 09:00, and the exit reader writes 08:30.
CREATE FUNCTION pg_temp.readers() RETURNS text LANGUAGE sql AS $$
    SELECT $json$
{"AcsEvent": {"InfoList": [
  {"major": 5, "minor": 75, "time": "2026-02-06T09:00:00+05:00", "employeeNoString": "1",
   "doorNo": 1, "cardReaderNo": 1, "serialNo": 11},
  {"major": 5, "minor": 75, "time": "2026-02-06T08:30:00+05:00", "employeeNoString": "1",
   "doorNo": 1, "cardReaderNo": 2, "serialNo": 12},
  {"major": 5, "minor": 75, "time": "2026-02-06T12:00:30+05:00", "employeeNoString": "1",
   "doorNo": 2, "cardReaderNo": 1, "serialNo": 13},
  {"major": 5, "minor": 75, "time": "2026-02-06T12:00:00+05:00", "employeeNoString": "1",
   "doorNo": 1, "cardReaderNo": 2, "serialNo": 14}]}}
$json$
$$;
SELECT is((SELECT array_agg(p.clock_jump_sec ORDER BY p.record_no)
           FROM otan_enbek.parse_events('hikvision', pg_temp.readers()) p),
          '{NULL,1800,NULL,NULL}'::integer[],
          'parse_events: a jump between readers of one controller');
SELECT is((SELECT inserted_count FROM otan_enbek.ingest(4752, 'hikvision', pg_temp.readers())),
          4, 'ingest stores the readers'' records');
SELECT is((SELECT array_agg(e.clock_jump_sec ORDER BY e.line_no)
           FROM otan_enbek.skud_event e
           WHERE e.org_id = 4752 AND e.occurred_at >= '2026-02-06'),
          '{NULL,1800,NULL,NULL}'::integer[],
          'ingest marks the record behind the other reader');

SELECT * FROM finish();
ROLLBACK;
