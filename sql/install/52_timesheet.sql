-- Monthly timesheet (form No. 421) built from attendance_day, the absence
-- table and the production calendar.

-- Form No. 421 code of each documented absence kind.
CREATE FUNCTION otan_enbek.absence_code(kind text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN CASE kind
        WHEN 'vacation' THEN 'О'
        WHEN 'sick_leave' THEN 'Б'
        WHEN 'business_trip' THEN 'К'
        WHEN 'maternity' THEN 'Р'
        WHEN 'state_duty' THEN 'Г'
        WHEN 'leave_with_permission' THEN 'А'
        WHEN 'study_leave' THEN 'ОУ'
    END;
COMMENT ON FUNCTION otan_enbek.absence_code(text) IS
    'Returns the form No. 421 day code of an absence kind: О vacation, Б sick leave, К business trip, Р maternity, Г state duty, А leave with permission, ОУ study leave';

-- Builds the timesheet of an organization for the month that contains the
-- given date and returns its timesheet_id.
--
-- If the latest version for the month has status built, it is rebuilt in
-- place.  If it was submitted, accepted, returned, failed or superseded, a
-- new version is created and the old one stays as it is.
--
-- The month must have started in the organization's time zone, and its
-- year must have rows in calendar_day: without them the month's holidays
-- would count as working days.  Both raise an error.
--
-- Every build computes the month's attendance again, so that the
-- timesheet reflects every event stored by then, the credentials,
-- schedules and calendar as they are then, and days that became final.
--
-- One line per employee employed on some day of the month (contract_start
-- to the earlier of dismissed_on and contract_end, open ends allowed).  Day
-- codes: empty outside employment; a documented absence's code; empty for a
-- day that is not final; on a work day Я with any kept punch, else П (form
-- No. 421 has no separate code for an absence not yet explained, so HR
-- replaces a П by entering the absence); on a weekend, holiday or day off
-- РП with any kept punch, else В.  Hours are the worked hours of Я and РП
-- days, to two decimals.  The latest day_edit of a day comes before all of
-- these: an edit replaces the day's code, hours, overtime and night hours,
-- and day_marks records each edited or approved day.  An approval keeps the
-- figures computed at this build, so it is not a snapshot.
CREATE FUNCTION otan_enbek.build_timesheet(org integer, month date)
    RETURNS integer
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    first_day date;
    last_day date;
    latest_id integer;
    latest_version integer;
    latest_status text;
    sheet_id integer;
    working integer;
    zone text;
    missing_year integer;
BEGIN
    IF org IS NULL OR month IS NULL THEN
        RAISE EXCEPTION 'organization and month must not be null'
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF NOT isfinite(month) THEN
        RAISE EXCEPTION 'invalid timesheet month %', month
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Give any date of the month, such as its first day.';
    ELSIF month < date '0001-01-01' OR month > date '9999-12-31' THEN
        RAISE EXCEPTION 'timesheet month % is out of range', month
            USING ERRCODE = 'datetime_field_overflow',
                  DETAIL = 'Timesheets are built for months of the years 1 to 9999, the years that device logs can carry.',
                  HINT = 'Give any date of the month, such as its first day.';
    END IF;
    SELECT o.time_zone INTO zone
    FROM otan_enbek.organization o
    WHERE o.org_id = build_timesheet.org;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'organization % does not exist', org
            USING ERRCODE = 'undefined_object',
                  HINT = 'Use the org_id of a row of otan_enbek.organization.';
    END IF;
    first_day := date_trunc('month', month::timestamp)::date;
    last_day := (first_day + interval '1 month - 1 day')::date;

    IF first_day > (now() AT TIME ZONE zone)::date THEN
        RAISE EXCEPTION 'timesheet month % has not started yet', to_char(first_day, 'YYYY-MM')
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = format('Its first day, %s, is after today in the organization''s time zone %s.',
                                  to_char(first_day, 'YYYY-MM-DD'), zone),
                  HINT = 'Build the timesheet of a month from its first day on, and submit it after the month ends.';
    END IF;
    missing_year := (SELECT y FROM otan_enbek.calendar_missing_years(first_day, first_day) AS y);
    IF missing_year IS NOT NULL THEN
        RAISE EXCEPTION 'production calendar has no entries for year %', missing_year
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = format('otan_enbek.calendar_day has no holiday, transferred day off or working weekend day of year %s, so the working days of %s cannot be counted.',
                                  missing_year, to_char(first_day, 'YYYY-MM')),
                  HINT = format('Insert the public holidays and transferred days off of year %s, as the government''s decree sets them, into otan_enbek.calendar_day, then build the timesheet again.',
                                missing_year);
    END IF;

    -- Two builds of one organization must not both create a version.
    PERFORM pg_advisory_xact_lock(hashtext('otan_enbek.build_timesheet'), org);

    -- Recomputing every time is the simplest rule that is always right.
    -- Knowing when the stored rows are still valid would mean tracking
    -- every input of compute_attendance: events received late, credentials,
    -- employees' dates and schedules, schedule rules, both calendars,
    -- access points and the organization's settings.  A recompute is one
    -- pass over the month's events: about 45 ms for 100 employees and
    -- 8.5 s for 20,000 on two shared cores (BENCHMARKS.md), once per build.
    PERFORM otan_enbek.compute_attendance(org, first_day, last_day);

    -- Working days of the production calendar on a five-day week.
    SELECT count(*) INTO working
    FROM generate_series(0, last_day - first_day) AS g(i)
    LEFT JOIN otan_enbek.calendar_day c ON c.day = first_day + g.i
    LEFT JOIN otan_enbek.org_calendar_day oc
           ON oc.org_id = build_timesheet.org AND oc.day = first_day + g.i
    WHERE CASE coalesce(oc.kind, c.kind)
              WHEN 'working' THEN true
              WHEN 'holiday' THEN false
              WHEN 'day_off' THEN false
              ELSE extract(isodow FROM first_day + g.i) <= 5
          END;

    SELECT t.timesheet_id, t.version, t.status
      INTO latest_id, latest_version, latest_status
    FROM otan_enbek.timesheet t
    WHERE t.org_id = build_timesheet.org AND t.month = first_day
    ORDER BY t.version DESC
    LIMIT 1
    FOR UPDATE;

    IF latest_status = 'built' THEN
        sheet_id := latest_id;
        DELETE FROM otan_enbek.timesheet_line l
        WHERE l.org_id = build_timesheet.org AND l.timesheet_id = sheet_id;
        UPDATE otan_enbek.timesheet t
        SET working_days = working, norm_hours = working * 8,
            built_at = now(), built_by = current_user
        WHERE t.org_id = build_timesheet.org AND t.timesheet_id = sheet_id;
    ELSE
        INSERT INTO otan_enbek.timesheet (org_id, month, version, status, working_days, norm_hours)
        VALUES (org, first_day, coalesce(latest_version, 0) + 1, 'built', working, working * 8)
        RETURNING timesheet_id INTO sheet_id;
    END IF;

    WITH employed AS (
        SELECT e.*, d.name AS department_name,
               greatest(first_day, e.contract_start) AS employed_from,
               least(last_day, e.dismissed_on, e.contract_end) AS employed_to
        FROM otan_enbek.employee e
        LEFT JOIN otan_enbek.department d
               ON d.org_id = e.org_id AND d.department_id = e.department_id
        WHERE e.org_id = build_timesheet.org
    ), calendar AS (
        SELECT first_day + g.i AS day,
               CASE coalesce(oc.kind, c.kind)
                   WHEN 'working' THEN true
                   WHEN 'holiday' THEN false
                   WHEN 'day_off' THEN false
                   ELSE extract(isodow FROM first_day + g.i) <= 5
               END AS working_day
        FROM generate_series(0, last_day - first_day) AS g(i)
        LEFT JOIN otan_enbek.calendar_day c ON c.day = first_day + g.i
        LEFT JOIN otan_enbek.org_calendar_day oc
               ON oc.org_id = build_timesheet.org AND oc.day = first_day + g.i
    ), day AS (
        SELECT e.employee_id, cal.day, cal.working_day,
               cal.day BETWEEN e.employed_from AND e.employed_to AS employed,
               a.day_kind, a.is_final, a.punch_count, a.worked_sec, a.overtime_sec,
               a.night_sec, ws.week_hours,
               otan_enbek.absence_code(ab.kind) AS absence_code,
               ed.action AS edit_action, ed.day_code AS edit_code, ed.hours AS edit_hours,
               ed.overtime_hours AS edit_overtime_hours, ed.night_hours AS edit_night_hours
        FROM employed e
        CROSS JOIN calendar cal
        LEFT JOIN otan_enbek.attendance_day a
               ON a.org_id = build_timesheet.org AND a.employee_id = e.employee_id
              AND a.work_day = cal.day
        LEFT JOIN otan_enbek.work_schedule ws
               ON ws.org_id = build_timesheet.org AND ws.schedule_id = a.schedule_id
        LEFT JOIN otan_enbek.absence ab
               ON ab.org_id = build_timesheet.org AND ab.employee_id = e.employee_id
              AND cal.day BETWEEN ab.first_day AND ab.last_day
        LEFT JOIN otan_enbek.day_edit_current ed
               ON ed.org_id = build_timesheet.org AND ed.employee_id = e.employee_id
              AND ed.work_day = cal.day
        WHERE e.employed_from <= e.employed_to
    ), coded AS (
        SELECT d.*,
               CASE WHEN NOT d.employed THEN ''
                    WHEN d.edit_action = 'edit' THEN d.edit_code
                    WHEN d.absence_code IS NOT NULL THEN d.absence_code
                    WHEN d.day_kind IS NULL OR NOT d.is_final THEN ''
                    WHEN d.day_kind = 'work' THEN
                         CASE WHEN d.punch_count > 0 THEN 'Я' ELSE 'П' END
                    ELSE CASE WHEN d.punch_count > 0 THEN 'РП' ELSE 'В' END
               END AS code
        FROM day d
    ), valued AS (
        SELECT c.*,
               CASE WHEN c.edit_action = 'edit' AND c.employed THEN c.edit_hours
                    WHEN c.code IN ('Я', 'РП') THEN round(c.worked_sec / 3600.0, 2)
                    ELSE 0 END AS hours,
               CASE WHEN c.edit_action = 'edit' AND c.edit_overtime_hours IS NOT NULL
                         AND c.employed THEN c.edit_overtime_hours * 3600
                    WHEN c.code IN ('Я', 'РП') THEN c.overtime_sec
                    ELSE 0 END AS day_overtime_sec,
               CASE WHEN c.edit_action = 'edit' AND c.edit_night_hours IS NOT NULL
                         AND c.employed THEN c.edit_night_hours * 3600
                    WHEN c.code IN ('Я', 'РП') THEN c.night_sec
                    ELSE 0 END AS day_night_sec,
               CASE WHEN NOT c.employed THEN ''
                    WHEN c.edit_action = 'edit' THEN 'edited'
                    WHEN c.edit_action = 'approve' THEN 'approved'
                    ELSE '' END AS mark,
               CASE WHEN c.employed AND c.working_day
                    THEN round(8 * coalesce(c.week_hours, 40) / 40, 2) ELSE 0 END AS norm
        FROM coded c
    ), absence_count AS (
        SELECT x.employee_id, jsonb_object_agg(x.code, x.days ORDER BY x.code) AS absence_days
        FROM (SELECT v.employee_id, v.code, count(*) AS days
              FROM valued v
              WHERE v.code IN ('П', 'О', 'Б', 'К', 'Р', 'Г', 'А', 'ОУ')
              GROUP BY v.employee_id, v.code) x
        GROUP BY x.employee_id
    ), line AS (
        SELECT v.employee_id,
               array_agg(v.code ORDER BY v.day) AS day_codes,
               array_agg(v.hours ORDER BY v.day) AS day_hours,
               array_agg(v.mark ORDER BY v.day) AS day_marks,
               count(*) FILTER (WHERE v.code IN ('Я', 'РП')) AS days_worked,
               sum(v.hours) AS hours_worked,
               round(coalesce(sum(v.day_overtime_sec), 0) / 3600.0, 2) AS overtime_hours,
               round(coalesce(sum(v.day_night_sec), 0) / 3600.0, 2) AS night_hours,
               coalesce(sum(v.hours) FILTER (WHERE v.code = 'РП'), 0) AS holiday_hours,
               count(*) FILTER (WHERE v.code = 'В') AS days_off,
               sum(v.norm) AS norm_hours
        FROM valued v
        GROUP BY v.employee_id
    )
    INSERT INTO otan_enbek.timesheet_line
        (org_id, timesheet_id, employee_id, line_no, iin, full_name, department, position,
         personnel_no, contract_id, day_codes, day_hours, days_worked, hours_worked,
         overtime_hours, night_hours, holiday_hours, days_off, absence_days, norm_hours,
         day_marks)
    SELECT org, sheet_id, e.employee_id,
           row_number() OVER (ORDER BY e.department_name NULLS LAST, e.last_name,
                                       e.first_name, e.middle_name NULLS FIRST, e.employee_id),
           e.iin, concat_ws(' ', e.last_name, e.first_name, e.middle_name),
           e.department_name, e.position, e.personnel_no, e.contract_id,
           l.day_codes, l.day_hours, l.days_worked, l.hours_worked, l.overtime_hours,
           l.night_hours, l.holiday_hours, l.days_off, coalesce(ac.absence_days, '{}'),
           l.norm_hours, l.day_marks
    FROM employed e
    JOIN line l ON l.employee_id = e.employee_id
    LEFT JOIN absence_count ac ON ac.employee_id = e.employee_id;

    UPDATE otan_enbek.timesheet t
    SET employee_count = (SELECT count(*) FROM otan_enbek.timesheet_line l
                          WHERE l.org_id = build_timesheet.org AND l.timesheet_id = sheet_id)
    WHERE t.org_id = build_timesheet.org AND t.timesheet_id = sheet_id;
    RETURN sheet_id;
END
$$;
COMMENT ON FUNCTION otan_enbek.build_timesheet(integer, date) IS
    'Builds the form No. 421 timesheet of an organization for the month of the given date, rebuilding the latest version in place while its status is built; returns its timesheet_id';
