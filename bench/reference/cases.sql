-- Checks bench_ref.attendance_v on hand-made punches whose figures are
-- worked out below, and raises an error when a row differs.  bench/run-bench
-- runs it before any timing; everything is rolled back.
BEGIN;

INSERT INTO bench_ref.skud_event (event_id, card_no, device_id, direction, occurred_at)
VALUES
    -- A: a repeat without direction is dropped; the next punch without
    -- direction closes the entry, and the one after it opens a new entry.
    (1, 'A', 1, 'in', '2024-03-04 08:00:00+05'),
    (2, 'A', 11, NULL, '2024-03-04 08:00:20+05'),
    (3, 'A', 11, NULL, '2024-03-04 12:00:00+05'),
    (4, 'A', 11, NULL, '2024-03-04 12:30:00+05'),
    (5, 'A', 1, 'out', '2024-03-04 18:00:00+05'),
    -- B: a night shift whose exit the next morning has no direction.
    (6, 'B', 1, 'in', '2024-03-04 20:10:00+05'),
    (7, 'B', 12, NULL, '2024-03-05 08:05:00+05'),
    -- C: a missing exit, then a punch without direction 24.5 h later,
    -- which is an entry because the open entry is more than 16 h old.
    (8, 'C', 1, 'in', '2024-03-04 08:00:00+05'),
    (9, 'C', 11, NULL, '2024-03-05 08:30:00+05'),
    (10, 'C', 1, 'out', '2024-03-05 17:00:00+05'),
    -- D: repeats in the same direction, and an exit that closes no entry.
    (11, 'D', 1, 'in', '2024-03-04 09:20:00+05'),
    (12, 'D', 1, 'in', '2024-03-04 09:20:30+05'),
    (13, 'D', 1, 'out', '2024-03-04 13:00:00+05'),
    (14, 'D', 1, 'out', '2024-03-04 13:00:10+05'),
    (15, 'D', 1, 'out', '2024-03-04 14:00:00+05'),
    -- E: an exit 30 s after a punch without direction is a repeat of it.
    (16, 'E', 11, NULL, '2024-03-04 10:00:00+05'),
    (17, 'E', 1, 'out', '2024-03-04 10:00:30+05'),
    (18, 'E', 1, 'out', '2024-03-04 19:00:00+05'),
    -- F: late delivery: the event id order differs from the time order.
    (20, 'F', 1, 'in', '2024-03-04 08:50:00+05'),
    (19, 'F', 1, 'out', '2024-03-04 17:55:00+05');

CREATE TEMP TABLE expected (LIKE bench_ref.attendance_day) ON COMMIT DROP;
INSERT INTO expected VALUES
    -- 08:00-12:00 and 12:30-18:00; inside 09:00-18:00: 3 h + 5.5 h
    ('A', '2024-03-04', '2024-03-04 08:00+05', '2024-03-04 18:00+05',
     4, 34200, 30600, 30600, 0, 0, false, 0, 0),
    -- 20:10-08:05; inside 20:00-08:00: 11 h 50 min
    ('B', '2024-03-04', '2024-03-04 20:10+05', '2024-03-05 08:05+05',
     2, 42900, 39300, 42600, 10, 0, true, 0, 0),
    ('C', '2024-03-04', '2024-03-04 08:00+05', NULL,
     1, 0, 0, 0, 0, NULL, false, 0, 1),
    ('C', '2024-03-05', '2024-03-05 08:30+05', '2024-03-05 17:00+05',
     2, 30600, 27000, 28800, 0, 60, false, 0, 0),
    ('D', '2024-03-04', '2024-03-04 09:20+05', '2024-03-04 14:00+05',
     3, 13200, 13200, 13200, 20, 240, false, 1, 0),
    ('E', '2024-03-04', '2024-03-04 10:00+05', '2024-03-04 19:00+05',
     2, 32400, 28800, 28800, 60, 0, false, 0, 0),
    ('F', '2024-03-04', '2024-03-04 08:50+05', '2024-03-04 17:55+05',
     2, 32700, 29100, 32100, 0, 5, false, 0, 0);

DO $$
DECLARE
    differences text;
BEGIN
    SELECT string_agg(side || ': ' || row_text, E'\n' ORDER BY row_text, side)
    INTO differences
    FROM (SELECT 'expected' AS side, e::text AS row_text
          FROM (TABLE expected EXCEPT ALL SELECT * FROM bench_ref.attendance_v) e
          UNION ALL
          SELECT 'computed', c::text
          FROM (SELECT * FROM bench_ref.attendance_v EXCEPT ALL TABLE expected) c) d;
    IF differences IS NOT NULL THEN
        RAISE EXCEPTION 'bench_ref.attendance_v differs from the expected rows'
            USING DETAIL = differences;
    END IF;
END $$;

ROLLBACK;
