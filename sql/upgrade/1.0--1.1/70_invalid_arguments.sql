-- Clear errors for invalid arguments: an infinite period of
-- calendar_missing_years, which made an endless series of years, a
-- submission that delivery_notify cannot find, an empty or overlong path of
-- ingest_file, and long values quoted in errors only by their start.

-- Returns the years from first_day's to last_day's without any row in
-- calendar_day.  Every year has public holidays, so a year without rows is
-- one whose calendar was never entered, and its holidays would count as
-- working days.  A year entered only in part is not detected.  An infinite
-- date is rejected, because the series of years up to it never ends.
CREATE OR REPLACE FUNCTION otan_enbek.calendar_missing_years(first_day date, last_day date)
    RETURNS SETOF integer
    LANGUAGE plpgsql STABLE STRICT
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    IF NOT isfinite(first_day) OR NOT isfinite(last_day) THEN
        RAISE EXCEPTION 'invalid calendar period from % to %', first_day, last_day
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = 'The production calendar has days of finite years only.',
                  HINT = 'Give finite first and last days.';
    END IF;
    RETURN QUERY
    SELECT extract(year FROM y.year_start)::integer
    FROM generate_series(date_trunc('year', first_day::timestamp),
                         date_trunc('year', last_day::timestamp),
                         interval '1 year') AS y(year_start)
    WHERE NOT EXISTS (SELECT FROM otan_enbek.calendar_day c
                      WHERE c.day >= y.year_start::date
                        AND c.day < (y.year_start + interval '1 year')::date)
    ORDER BY y.year_start;
END
$$;

CREATE OR REPLACE FUNCTION otan_enbek.delivery_notify(
    p_org_id integer, p_submission_id bigint, p_kind text,
    p_failures integer DEFAULT NULL)
    RETURNS bigint
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    months CONSTANT text[] := ARRAY['январь', 'февраль', 'март', 'апрель', 'май',
        'июнь', 'июль', 'август', 'сентябрь', 'октябрь', 'ноябрь', 'декабрь'];
    s record;
    in_parts boolean;
    period text;
    document_name text;
    reasons text;
    last_error text;
    subject text;
    body text;
    payload jsonb;
    id bigint;
BEGIN
    SELECT sub.timesheet_id, sub.part_no, sub.part_count, sub.status, sub.attempts,
           sub.response_code, sub.response_message, t.month, t.version,
           t.status AS timesheet_status, o.name, o.bin,
           (SELECT count(*) FROM otan_enbek.submission AS other
            WHERE other.org_id = sub.org_id AND other.timesheet_id = sub.timesheet_id
              AND other.status = 'accepted') AS accepted_parts
    INTO s
    FROM otan_enbek.submission AS sub
    JOIN otan_enbek.timesheet AS t USING (org_id, timesheet_id)
    JOIN otan_enbek.organization AS o USING (org_id)
    WHERE sub.org_id = p_org_id AND sub.submission_id = p_submission_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'submission % of organization % not found',
                coalesce(p_submission_id::text, 'NULL'), coalesce(p_org_id::text, 'NULL')
            USING ERRCODE = 'no_data_found',
                  HINT = 'Pass the org_id and submission_id of a row of otan_enbek.submission.';
    END IF;

    in_parts := s.part_count > 1;
    -- The body adds its own full stop after the error.
    last_error := coalesce(s.response_code || ' ', '')
                  || coalesce(rtrim(s.response_message, '. '), 'нет');
    period := format('%s %s г.', months[extract(month FROM s.month)::integer],
                     extract(year FROM s.month));
    document_name := CASE WHEN in_parts
        THEN format('часть %s из %s табеля № %s (версия %s)',
                    s.part_no, s.part_count, s.timesheet_id, s.version)
        ELSE format('табель № %s (версия %s)', s.timesheet_id, s.version) END;

    CASE p_kind
    WHEN 'submission_accepted' THEN
        subject := CASE WHEN in_parts
            THEN format('Часть %s из %s табеля за %s принята Enbek', s.part_no, s.part_count, period)
            ELSE format('Табель за %s принят Enbek', period) END;
        body := format('Enbek принял %s организации «%s» (БИН %s) за %s Отправка № %s.',
                       document_name, s.name, s.bin, period, p_submission_id);
    WHEN 'submission_returned' THEN
        SELECT string_agg(format('%s (%s)', r.code, r.n), ', ' ORDER BY r.code)
        INTO reasons
        FROM (SELECT code, count(*) AS n FROM otan_enbek.submission_reason
              WHERE org_id = p_org_id AND submission_id = p_submission_id
              GROUP BY code) AS r;
        subject := CASE WHEN in_parts
            THEN format('Часть %s из %s табеля за %s возвращена Enbek на доработку',
                        s.part_no, s.part_count, period)
            ELSE format('Табель за %s возвращён Enbek на доработку', period) END;
        body := format('Enbek вернул %s организации «%s» (БИН %s) за %s Коды причин и их число: %s. Причины по сотрудникам: таблица otan_enbek.submission_reason, отправка № %s. Исправьте данные и отправьте новую версию табеля.',
                       document_name, s.name, s.bin, period,
                       coalesce(reasons, s.response_code), p_submission_id);
    WHEN 'submission_failed' THEN
        subject := CASE WHEN in_parts
            THEN format('Часть %s из %s табеля за %s не доставлена в Enbek',
                        s.part_no, s.part_count, period)
            ELSE format('Табель за %s не доставлен в Enbek', period) END;
        body := format('%s организации «%s» (БИН %s) за %s %s в Enbek, попыток отправки: %s. Последняя ошибка: %s. Отправка № %s. Проверьте настройки otan_enbek (enbek_url, sender_id, ca_file) и отправьте табель заново.',
                       upper(left(document_name, 1)) || substr(document_name, 2),
                       s.name, s.bin, period,
                       CASE WHEN in_parts THEN 'не доставлена' ELSE 'не доставлен' END,
                       s.attempts,
                       last_error,
                       p_submission_id);
    WHEN 'submission_status_unknown' THEN
        IF p_failures IS NULL THEN
            RAISE EXCEPTION 'the number of failed status queries is missing'
                USING ERRCODE = 'null_value_not_allowed',
                      HINT = 'Pass p_failures with kind submission_status_unknown.';
        END IF;
        subject := CASE WHEN in_parts
            THEN format('Результат проверки части %s из %s табеля за %s в Enbek пока неизвестен',
                        s.part_no, s.part_count, period)
            ELSE format('Результат проверки табеля за %s в Enbek пока неизвестен', period) END;
        body := format('Enbek получил %s организации «%s» (БИН %s) за %s Результат проверки пока узнать не удаётся. Неудачных запросов статуса подряд: %s. Последняя ошибка: %s. Отправка № %s. Не отправляйте табель заново: otan_enbek продолжает запрашивать статус и сообщит ответ Enbek. Если ошибка повторяется, проверьте настройки otan_enbek (enbek_url, sender_id, status_service_id, ca_file).',
                       document_name, s.name, s.bin, period, p_failures,
                       last_error,
                       p_submission_id);
    ELSE
        RAISE EXCEPTION 'invalid notification kind "%"', p_kind
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Use submission_accepted, submission_returned, submission_failed or submission_status_unknown.';
    END CASE;

    IF in_parts THEN
        body := body || format(' Статус табеля: %s; принято частей: %s из %s.',
                               CASE s.timesheet_status
                                   WHEN 'accepted' THEN 'принят'
                                   WHEN 'returned' THEN 'возвращён на доработку'
                                   WHEN 'failed' THEN 'не доставлен'
                                   WHEN 'submitted' THEN
                                       CASE p_kind WHEN 'submission_status_unknown'
                                           THEN 'ожидаются ответы Enbek'
                                           ELSE 'ожидаются ответы по другим частям' END
                                   ELSE s.timesheet_status
                               END,
                               s.accepted_parts, s.part_count);
    END IF;

    payload := jsonb_build_object('kind', p_kind, 'org_id', p_org_id,
                                  'submission_id', p_submission_id,
                                  'timesheet_id', s.timesheet_id,
                                  'part_no', s.part_no,
                                  'part_count', s.part_count,
                                  'status', s.status,
                                  'timesheet_status', s.timesheet_status);
    INSERT INTO otan_enbek.notification
        (org_id, kind, submission_id, timesheet_id, subject, body, payload)
    VALUES (p_org_id, p_kind, p_submission_id, s.timesheet_id, subject, body, payload)
    RETURNING notification_id INTO id;
    -- Any role may LISTEN, so the payload names only the notification, which
    -- a listener reads under the row-level security of its organizations.
    PERFORM pg_notify('otan_enbek', jsonb_build_object('notification_id', id)::text);
    RETURN id;
END
$$;

CREATE OR REPLACE FUNCTION otan_enbek.time_zone_check(zone text) RETURNS boolean
    LANGUAGE plpgsql STABLE STRICT
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_timezone_names WHERE name = zone) THEN
        RAISE EXCEPTION 'unknown time zone "%"',
                CASE WHEN length(zone) > 64 THEN left(zone, 64) || '...' ELSE zone END
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = 'The name is not in the server''s tz database.',
                  HINT = 'Use a tz database name such as Asia/Almaty; fixed offsets such as +05 do not follow the country''s changes of time.';
    END IF;
    -- localtime and posixrules follow the server's files, and Factory has
    -- no offset of a place, so none of them names where the devices are.
    -- The tz database also lists copies under posix/ and right/, such as
    -- posix/Factory.
    IF zone ~ '(^|/)(localtime|posixrules|Factory)$' THEN
        RAISE EXCEPTION 'time zone "%" names no place', zone
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = 'localtime and posixrules follow the server''s own time zone files, and Factory has no UTC offset of a place.',
                  HINT = 'Use the tz database name of the place of the devices, such as Asia/Almaty.';
    END IF;
    RETURN otan_enbek.time_zone_abbreviation_check(zone);
END
$$;

CREATE OR REPLACE FUNCTION otan_enbek.ingest_file(source_id integer, format text, path text)
    RETURNS otan_enbek.ingest_batch
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    content bytea;
    utf8_problem text;
BEGIN
    IF path = '' OR octet_length(path) >= 1024 THEN
        RAISE EXCEPTION 'invalid file path "%"',
                CASE WHEN length(path) > 64 THEN left(path, 64) || '...' ELSE path END
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = format('The path is %s bytes long; a path has 1 to 1023 bytes.',
                                  octet_length(path)),
                  HINT = 'Give the absolute path of the file on the database server.';
    END IF;
    content := pg_read_binary_file(path);
    utf8_problem := otan_enbek.invalid_utf8_reason(content);
    IF utf8_problem IS NOT NULL THEN
        RAISE EXCEPTION 'file "%" is not valid UTF-8', path
            USING ERRCODE = 'character_not_in_repertoire',
                  DETAIL = utf8_problem,
                  HINT = 'Exports of Windows programs are often in CP1251: convert the file, for example with iconv -f CP1251 -t UTF-8, or pass convert_from(pg_read_binary_file(path), ''WIN1251'') to otan_enbek.ingest.';
    END IF;
    RETURN otan_enbek.ingest_bytes(source_id, format, content, path);
END
$$;
