-- Tables of the project's attendance reference, in the schema bench_ref so
-- that they can exist beside another baseline's tables in one database.
DROP SCHEMA IF EXISTS bench_ref CASCADE;
CREATE SCHEMA bench_ref;

-- The generated punches.  A CSV row of the generator loads as it is: an
-- empty direction becomes NULL (a door reader that reports none).
CREATE TABLE bench_ref.skud_event (
    event_id    bigint PRIMARY KEY,
    card_no     text NOT NULL,
    device_id   integer,
    direction   text CHECK (direction IN ('in', 'out')),
    occurred_at timestamptz NOT NULL
);
-- The card in byte order (collation "C"), the order the reference sorts
-- by.  PostgreSQL 15 compares text in other collations, C.UTF-8 included,
-- through the C library's strcoll(), which is slower.
CREATE INDEX skud_event_card_time
    ON bench_ref.skud_event (card_no COLLATE "C", occurred_at);

-- The same rows without WAL and without indexes, the cheapest load.
CREATE UNLOGGED TABLE bench_ref.skud_event_unlogged (
    LIKE bench_ref.skud_event INCLUDING DEFAULTS
);

-- One row per card and work day with punches.  A work day is the local
-- date (UTC+05) six hours before the entry that opens an interval, so a
-- night shift belongs to the evening it starts.
CREATE TABLE bench_ref.attendance_day (
    card_no         text,
    work_day        date,
    first_in        timestamptz,  -- earliest entry of the work day
    last_out        timestamptz,  -- latest exit of the work day
    punches         integer,      -- punches kept after de-duplication
    present_sec     integer,      -- total length of the entry-exit pairs
    worked_sec      integer,      -- less a one-hour lunch above six hours
    in_schedule_sec integer,      -- present time inside the schedule
    late_min        integer,      -- first_in after the schedule start
    early_leave_min integer,      -- last_out before the schedule end
    night_shift     boolean,      -- schedule 20:00-08:00, not 09:00-18:00
    missing_in      integer,      -- exits that close no entry
    missing_out     integer,      -- entries that no exit closes
    PRIMARY KEY (card_no, work_day)
);
