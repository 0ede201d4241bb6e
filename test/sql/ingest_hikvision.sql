-- Hikvision ISAPI AcsEvent search responses: passes and other events,
-- credentials, directions, offsets, duplicates, rejects, unreadable JSON.
CREATE EXTENSION IF NOT EXISTS otan_enbek;
BEGIN;
\set ON_ERROR_ROLLBACK on
\set SHOW_CONTEXT never
SET LOCAL TimeZone = 'UTC';
SET LOCAL DateStyle = 'ISO, YMD';

INSERT INTO otan_enbek.organization (bin, name, time_zone)
VALUES ('050440000012', 'School No. 1', 'Asia/Almaty') RETURNING org_id AS org \gset
INSERT INTO otan_enbek.source (org_id, name, default_format)
VALUES (:org, 'main entrance', 'hikvision') RETURNING source_id AS src \gset

CREATE TEMP VIEW last_rejects AS
SELECT r.line_no, r.reason
FROM otan_enbek.ingest_reject r
WHERE r.batch_id = (SELECT max(batch_id) FROM otan_enbek.ingest_batch)
ORDER BY r.line_no;

-- Entry 1: a card pass with attendanceStatus checkIn.  2: a face pass
-- (minor 75) with checkOut and a UTC time.  3: a fingerprint pass (minor
-- 38) with breakOut and a negative offset.  4: overtimeIn; the card number
-- is ignored because there is an employee number.  5: "undefined" status,
-- employee number as a number (older firmware), no offset (a local time of
-- Asia/Almaty).  6: a card only.  7: a denied card (minor 9): stored, not
-- attendance.  8: a door alarm (major 2) without credential: stored, not
-- attendance.  9: a remote door opening (major 3).  10: repeats 1 (a
-- duplicate).  11: a pass without serialNo gets a derived id.  Unknown
-- members are ignored.
SELECT read_count, inserted_count, duplicate_count, rejected_count,
       unknown_credential_count, non_attendance_count
FROM otan_enbek.ingest(:src, NULL, $json$
{
  "AcsEvent": {
    "searchID": "1", "responseStatusStrg": "OK", "numOfMatches": 11, "totalMatches": 11,
    "InfoList": [
      {"major": 5, "minor": 1, "time": "2024-03-04T08:55:00+05:00", "cardNo": "3110012",
       "employeeNoString": "1001", "doorNo": 1, "cardReaderNo": 1, "serialNo": 100,
       "attendanceStatus": "checkIn", "currentVerifyMode": "cardOrFace"},
      {"major": 5, "minor": 75, "time": "2024-03-04T13:00:00Z", "employeeNoString": "1001",
       "doorNo": 1, "cardReaderNo": 2, "serialNo": 101, "attendanceStatus": "checkOut"},
      {"major": 5, "minor": 38, "time": "2024-03-04T06:10:00-03:00", "employeeNoString": "1002",
       "doorNo": 2, "cardReaderNo": 1, "serialNo": 102, "attendanceStatus": "breakOut"},
      {"major": 5, "minor": 1, "time": "2024-03-04T19:00:00+05:00", "cardNo": "3110013",
       "employeeNoString": "1002", "doorNo": 2, "serialNo": 103, "attendanceStatus": "overtimeIn"},
      {"major": 5, "minor": 1, "time": "2024-03-04T20:00:00", "employeeNo": 1003,
       "cardReaderNo": 2, "serialNo": 104, "attendanceStatus": "undefined"},
      {"major": 5, "minor": 1, "time": "2024-03-04T20:05:00+05:00", "cardNo": "3110099",
       "doorNo": 1, "cardReaderNo": 1, "serialNo": 105},
      {"major": 5, "minor": 9, "time": "2024-03-04T20:06:00+05:00", "cardNo": "9999999",
       "doorNo": 1, "cardReaderNo": 1, "serialNo": 106},
      {"major": 2, "minor": 39, "time": "2024-03-04T20:07:00+05:00", "doorNo": 1, "serialNo": 107},
      {"major": 3, "minor": 1024, "time": "2024-03-04T20:08:00+05:00", "doorNo": 1, "serialNo": 108,
       "remoteHostAddr": "10.0.0.5", "extra": {"nested": [1, 2, {"deep": null}]}},
      {"major": 5, "minor": 1, "time": "2024-03-04T08:55:00+05:00", "cardNo": "3110012",
       "employeeNoString": "1001", "doorNo": 1, "cardReaderNo": 1, "serialNo": 100,
       "attendanceStatus": "checkIn", "currentVerifyMode": "cardOrFace"},
      {"major": 5, "minor": 1, "time": "2024-03-04T21:00:00+05:00", "employeeNoString": "1\u0030\u00304",
       "doorNo": 1, "cardReaderNo": 1}
    ]
  }
}
$json$);

SELECT line_no, external_id, occurred_at, device, credential_kind, credential,
       direction, device_state, counts_for_attendance
FROM otan_enbek.skud_event
WHERE source_id = :src
ORDER BY line_no;

-- The raw text of an event is its JSON object.
SELECT raw FROM otan_enbek.skud_event WHERE source_id = :src AND line_no = 6;

-- The unknown pass credentials are listed; the denied card and the alarm
-- are not, because they do not count for attendance.
SELECT credential_kind, credential, event_count, devices
FROM otan_enbek.unmatched_credential
WHERE source_id = :src
ORDER BY credential_kind, credential;

-- Each reason for a rejected entry, numbered by its position in InfoList.
SELECT read_count, inserted_count, duplicate_count, rejected_count
FROM otan_enbek.ingest(:src, 'hikvision', format($json$
{"AcsEvent": {"InfoList": [
  {"major": 5, "minor": 1, "time": "2024-03-05T08:00:00+05:00", "employeeNoString": "1001", "serialNo": 200},
  42,
  {"major": 5, "minor": 1, "employeeNoString": "1001", "serialNo": 202},
  {"major": 5, "minor": 1, "time": "2024-03-05 8:00", "employeeNoString": "1001", "serialNo": 203},
  {"major": "5", "minor": 1, "time": "2024-03-05T08:00:00+05:00", "employeeNoString": "1001", "serialNo": 204},
  {"minor": 1, "time": "2024-03-05T08:00:00+05:00", "employeeNoString": "1001", "serialNo": 205},
  {"major": 5, "minor": -1, "time": "2024-03-05T08:00:00+05:00", "employeeNoString": "1001", "serialNo": 206},
  {"major": 5, "minor": 1, "time": "2024-03-05T08:00:00+05:00", "serialNo": 207},
  {"major": 5, "minor": 1, "time": "2024-03-05T08:00:00+05:00", "cardNo": "%s", "serialNo": 208},
  {"major": 5, "minor": 1, "time": "2024-03-05T08:00:00+05:00", "employeeNoString": "10\u000101", "serialNo": 209},
  {"major": 5, "minor": 1, "time": "2024-03-05T08:00:00+05:00", "employeeNoString": 1001, "serialNo": 210},
  {"major": 5, "minor": 1, "time": "2024-03-05T08:00:00+05:00", "employeeNoString": "1001", "serialNo": 1.5},
  {"major": 5, "minor": 1, "time": "2024-03-05T08:00:00+05:00", "employeeNoString": "1001", "doorNo": true, "serialNo": 212},
  {"major": 5, "minor": 1, "time": "2024-03-05T08:00:00+05:00", "employeeNoString": "1001", "serialNo": 213, "picture": "%s"},
  {"major": 5, "minor": 1, "time": "2000-01-01T08:00:00+05:00", "employeeNoString": "1001", "serialNo": 214},
  {"major": 5, "minor": 1, "time": "2099-01-01T08:00:00+05:00", "employeeNoString": "1001", "serialNo": 215},
  {"major": 5, "minor": 1, "time": "2024-03-05T08:00:00+19:00", "employeeNoString": "1001", "serialNo": 216}
]}}
$json$, repeat('7', 65), repeat('p', 8200)));
SELECT * FROM last_rejects;

-- The same response again inserts nothing.
SELECT read_count, inserted_count, duplicate_count, rejected_count
FROM otan_enbek.ingest(:src, 'hikvision',
    '{"AcsEvent": {"InfoList": [{"major": 5, "minor": 1, "time": "2024-03-05T08:00:00+05:00", "employeeNoString": "1001", "serialNo": 200}]}}');

-- A search without matches has no InfoList: no records.
SELECT read_count, inserted_count
FROM otan_enbek.ingest(:src, 'hikvision',
    E'\uFEFF{"AcsEvent": {"searchID": "2", "responseStatusStrg": "NO MATCH", "numOfMatches": 0, "totalMatches": 0}}');

-- Content that is not a search response raises an error and stores nothing.
SELECT count(*) AS batches_before FROM otan_enbek.ingest_batch WHERE source_id = :src;
SELECT * FROM otan_enbek.ingest(:src, 'hikvision', '{"AcsEvent": {"InfoList": [{"major": 5,}]}}');
SELECT * FROM otan_enbek.ingest(:src, 'hikvision', '{"AcsEvent": {}} trailing');
SELECT * FROM otan_enbek.ingest(:src, 'hikvision', '{"AcsEvent": {"InfoList": ["\x"]}}');
SELECT * FROM otan_enbek.ingest(:src, 'hikvision', '{"AcsEvent": {"InfoList": ["\ud800"]}}');
SELECT * FROM otan_enbek.ingest(:src, 'hikvision', '{"AcsEvent": {"InfoList": [01]}}');
SELECT * FROM otan_enbek.ingest(:src, 'hikvision', E'{"AcsEvent": {"InfoList": ["tab\there"]}}');
SELECT * FROM otan_enbek.ingest(:src, 'hikvision',
    '{"AcsEvent": {"InfoList": [' || repeat('[', 40) || repeat(']', 40) || ']}}');
SELECT * FROM otan_enbek.ingest(:src, 'hikvision', '[{"AcsEvent": {}}]');
SELECT * FROM otan_enbek.ingest(:src, 'hikvision',
    '{"statusCode": 4, "statusString": "Invalid Operation", "subStatusCode": "notSupport"}');
SELECT * FROM otan_enbek.ingest(:src, 'hikvision', '{"AcsEvent": {"InfoList": {}}}');
SELECT * FROM otan_enbek.ingest(:src, 'hikvision', '');
SELECT count(*) AS batches_after FROM otan_enbek.ingest_batch WHERE source_id = :src;

-- An empty time is rejected like a missing one, not stored as a time
-- whose fields are all zero.
SELECT read_count, inserted_count, rejected_count
FROM otan_enbek.ingest(:src, 'hikvision',
    '{"AcsEvent": {"InfoList": [{"major": 5, "minor": 1, "time": "", "employeeNoString": "1001", "serialNo": 300}]}}');
SELECT * FROM last_rejects;
ROLLBACK;
