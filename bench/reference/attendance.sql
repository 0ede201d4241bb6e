-- The project's attendance reference: daily figures per card from
-- bench_ref.skud_event, in plain set-based SQL (window functions, no loop).
-- bench/run-bench times it against otan_enbek when no other baseline is
-- given, and beside that baseline when one is.
--
-- Rules, for punches in local time at UTC+05 (the bench month is March 2024
-- in Asia/Almaty):
--
-- 1. De-duplication.  A punch is dropped when it comes at most 60 s after
--    the card's previous punch (kept or not) and both have the same
--    direction, or either has none.
-- 2. Direction.  A kept punch without direction is an exit when the card's
--    previous kept punch is a reported entry at most 16 h earlier, and an
--    entry otherwise.
-- 3. Pairing.  A kept entry pairs with the card's next kept punch when that
--    is an exit at most 16 h later.  An entry left unpaired counts in
--    missing_out, an exit that closes no entry in missing_in.  Only pairs
--    add present time.
-- 4. Work day.  An interval (a pair, or one unpaired punch) belongs to the
--    local date of its first punch less 6 h, so that a night shift and its
--    breaks after midnight stay on the evening's date.
-- 5. Schedule.  09:00-18:00, or 20:00-08:00 of the next morning when the
--    day's first entry is at 15:00 or later.  late_min and early_leave_min
--    compare the first entry and the last exit with it, in whole minutes.
--    in_schedule_sec is present time inside it.  worked_sec is present time
--    less a one-hour lunch when present time exceeds 6 h.
--
-- For punches that all have a direction and whole-second times, these are
-- the rules of the baseline that bench/run-bench reads from BASELINE_DIR,
-- and run-bench checks that the two give the same rows.
--
-- How it is made fast:
-- - Times are integer local seconds t (epoch + 18,000, rounded to the
--   second), so the rules are integer arithmetic.  Day number d covers
--   [d * 86400, (d + 1) * 86400).  Punches of one card in the same second
--   are taken in event id order.  Sorting by t instead of occurred_at keeps
--   the sorted rows narrower, about 7% less CPU time on the large set.
-- - The card is sorted in byte order (COLLATE "C"), which groups the cards
--   as any deterministic collation does but compares without strcoll().
-- - Every window and the final grouping use one order, (card, d, t,
--   event id).  d (from each punch's own time) grows with time, so adding
--   it changes nothing in the order, but it lets the work days be grouped
--   from the sorted rows without a second sort or a hash table.
-- - Direction and pairing need the neighbours of a kept punch only (two
--   before, one after), so they take one window pass over the kept rows.
CREATE VIEW bench_ref.attendance_v AS
WITH punch AS (
    SELECT card_no COLLATE "C" AS card_no, event_id, t,
           (t - 21600) / 86400 AS d,
           CASE direction WHEN 'in' THEN true WHEN 'out' THEN false END AS is_in
    FROM (SELECT card_no, event_id, direction,
                 date_part('epoch', occurred_at)::bigint + 18000 AS t
          FROM bench_ref.skud_event) e
), flagged AS (
    SELECT card_no, d, event_id, t, is_in,
           coalesce(t - lag(t) OVER w <= 60
                    AND (is_in IS NULL OR lag(is_in) OVER w IS NULL
                         OR is_in = lag(is_in) OVER w), false) AS repeated
    FROM punch
    WINDOW w AS (PARTITION BY card_no ORDER BY d, t, event_id)
), kept AS (
    -- reported direction and time of the neighbours among kept punches
    SELECT card_no, d, t, is_in,
           lag(is_in) OVER w AS prev_in, lag(t) OVER w AS prev_t,
           lag(is_in, 2) OVER w AS prev2_in, lag(t, 2) OVER w AS prev2_t,
           lead(is_in) OVER w AS next_in, lead(t) OVER w AS next_t
    FROM flagged
    WHERE NOT repeated
    WINDOW w AS (PARTITION BY card_no ORDER BY d, t, event_id)
), resolved AS (
    -- rule 2 applied to the punch and to its two neighbours
    SELECT card_no, d, t, next_t, prev_t,
           coalesce(is_in, NOT coalesce(prev_in AND t - prev_t <= 57600, false))
               AS entry,
           coalesce(prev_in, NOT coalesce(prev2_in AND prev_t - prev2_t <= 57600, false))
               AS prev_entry,
           coalesce(next_in, NOT coalesce(is_in AND next_t - t <= 57600, false))
               AS next_entry
    FROM kept
), interval AS (
    -- one row per pair or unpaired punch: an exit that closes the previous
    -- entry is already counted with that entry
    SELECT card_no, d, t, next_t, entry,
           coalesce(entry AND NOT next_entry AND next_t - t <= 57600, false) AS paired
    FROM resolved
    WHERE entry OR NOT coalesce(prev_entry AND t - prev_t <= 57600, false)
), day AS (
    SELECT card_no, d,
           min(t) FILTER (WHERE entry) AS first_in,
           max(CASE WHEN paired THEN next_t WHEN NOT entry THEN t END) AS last_out,
           count(*) + count(*) FILTER (WHERE paired) AS punches,
           coalesce(sum(next_t - t) FILTER (WHERE paired), 0) AS present,
           sum(greatest(0, least(next_t, d * 86400 + 64800)
                           - greatest(t, d * 86400 + 32400))) FILTER (WHERE paired)
               AS inside_day,
           sum(greatest(0, least(next_t, d * 86400 + 115200)
                           - greatest(t, d * 86400 + 72000))) FILTER (WHERE paired)
               AS inside_night,
           count(*) FILTER (WHERE NOT entry) AS missing_in,
           count(*) FILTER (WHERE entry AND NOT paired) AS missing_out
    FROM interval
    GROUP BY card_no, d
), shift AS (
    SELECT day.*, n.night,
           d * 86400 + CASE WHEN night THEN 72000 ELSE 32400 END AS shift_start,
           d * 86400 + CASE WHEN night THEN 115200 ELSE 64800 END AS shift_end
    FROM day,
         LATERAL (SELECT coalesce(first_in - d * 86400 >= 54000, false) AS night) n
)
SELECT card_no::text AS card_no,
       date '1970-01-01' + d::integer AS work_day,
       to_timestamp(first_in - 18000) AS first_in,
       to_timestamp(last_out - 18000) AS last_out,
       punches::integer AS punches,
       present::integer AS present_sec,
       (present - CASE WHEN present > 21600 THEN 3600 ELSE 0 END)::integer AS worked_sec,
       coalesce(CASE WHEN night THEN inside_night ELSE inside_day END, 0)::integer
           AS in_schedule_sec,
       -- greatest() skips NULL, so a day without entry or exit needs the test
       (CASE WHEN first_in IS NOT NULL
             THEN greatest(0, first_in - shift_start) / 60 END)::integer AS late_min,
       (CASE WHEN last_out IS NOT NULL
             THEN greatest(0, shift_end - last_out) / 60 END)::integer AS early_leave_min,
       night AS night_shift,
       missing_in::integer AS missing_in,
       missing_out::integer AS missing_out
FROM shift;
