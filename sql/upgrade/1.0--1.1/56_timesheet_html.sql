-- Printable timesheet: one HTML document per timesheet in the layout of
-- form No. 421, for printing on A4 landscape and signing by hand.

-- Escapes text for HTML element content and quoted attribute values.
CREATE FUNCTION otan_enbek.html_escape(value text) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN replace(replace(replace(replace(replace(value, '&', '&amp;'), '<', '&lt;'),
                                   '>', '&gt;'), '"', '&quot;'), '''', '&#39;');
COMMENT ON FUNCTION otan_enbek.html_escape(text) IS
    'Returns the text with &, <, >, " and '' replaced by HTML character references';

-- Builds the HTML of a timesheet.  It has a header with the organization,
-- BIN, departments and period, and a row per employee with the code and
-- hours of each day and the totals.  A total row, the legend, the edited and
-- approved days with their reasons, and a signatures block follow.  The
-- document has its CSS inline and loads nothing, so it prints the same
-- offline.
--
-- The reasons shown are those of the latest edit of each marked day entered
-- before the timesheet was built, the edit the build used.
CREATE FUNCTION otan_enbek.timesheet_html(org integer, timesheet_id integer)
    RETURNS text
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    html text;
BEGIN
    IF org IS NULL OR timesheet_id IS NULL THEN
        RAISE EXCEPTION 'organization and timesheet must not be null'
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    PERFORM otan_enbek.require_org_visible(org);
    IF NOT EXISTS (SELECT FROM otan_enbek.timesheet t
                   WHERE t.org_id = timesheet_html.org
                     AND t.timesheet_id = timesheet_html.timesheet_id) THEN
        RAISE EXCEPTION 'timesheet % of organization % does not exist', timesheet_id, org
            USING ERRCODE = 'no_data_found',
                  HINT = 'Use the org_id and timesheet_id of a row of otan_enbek.timesheet, such as the value build_timesheet returned.';
    END IF;

    WITH sheet AS (
        SELECT t.*, o.name AS org_name, o.bin, o.time_zone,
               (t.month + interval '1 month - 1 day')::date AS last_day,
               extract(day FROM t.month + interval '1 month - 1 day')::integer AS day_count
        FROM otan_enbek.timesheet t
        JOIN otan_enbek.organization o ON o.org_id = t.org_id
        WHERE t.org_id = timesheet_html.org AND t.timesheet_id = timesheet_html.timesheet_id
    ), calendar AS (
        -- Working days as build_timesheet counts them, to shade the others.
        SELECT g.n,
               CASE coalesce(oc.kind, c.kind)
                   WHEN 'working' THEN true
                   WHEN 'holiday' THEN false
                   WHEN 'day_off' THEN false
                   ELSE extract(isodow FROM s.month + g.n - 1) <= 5
               END AS working_day
        FROM sheet s
        CROSS JOIN generate_series(1, s.day_count) AS g(n)
        LEFT JOIN otan_enbek.calendar_day c ON c.day = s.month + g.n - 1
        LEFT JOIN otan_enbek.org_calendar_day oc
               ON oc.org_id = s.org_id AND oc.day = s.month + g.n - 1
    ), line AS (
        SELECT l.*,
               lag(l.department) OVER (ORDER BY l.line_no) AS previous_department,
               row_number() OVER (ORDER BY l.line_no) = 1 AS first_line
        FROM otan_enbek.timesheet_line l
        WHERE l.org_id = timesheet_html.org AND l.timesheet_id = timesheet_html.timesheet_id
    ), day_cell AS (
        SELECT l.employee_id,
               string_agg(
                   format('<td class="%s"><span class="code">%s%s</span><span class="hours">%s</span></td>',
                          concat_ws(' ', 'day',
                                    CASE WHEN NOT cal.working_day THEN 'off' END,
                                    CASE d.mark WHEN 'edited' THEN 'edited'
                                                WHEN 'approved' THEN 'approved' END),
                          otan_enbek.html_escape(coalesce(d.code, '')),
                          CASE d.mark WHEN 'edited' THEN '<sup>*</sup>'
                                      WHEN 'approved' THEN '<sup>&#10003;</sup>'
                                      ELSE '' END,
                          CASE WHEN d.code IN ('Я', 'РП') OR d.hours <> 0
                               THEN trim_scale(d.hours)::text ELSE '' END),
                   '' ORDER BY d.n) AS cells
        FROM line l
        CROSS JOIN LATERAL unnest(l.day_codes, l.day_hours, l.day_marks)
                           WITH ORDINALITY AS d(code, hours, mark, n)
        JOIN calendar cal ON cal.n = d.n
        GROUP BY l.employee_id
    ), absence_text AS (
        SELECT l.employee_id,
               string_agg(format('%s&nbsp;%s', otan_enbek.html_escape(a.key), a.value), ', '
                          ORDER BY a.key) AS absences
        FROM line l
        CROSS JOIN LATERAL jsonb_each_text(l.absence_days) AS a(key, value)
        GROUP BY l.employee_id
    ), body_rows AS (
        SELECT string_agg(
                   CASE WHEN l.first_line OR l.department IS DISTINCT FROM l.previous_department
                        THEN format('<tr class="department"><td colspan="%s">%s</td></tr>',
                                    (SELECT s.day_count FROM sheet s) + 10,
                                    otan_enbek.html_escape(coalesce(l.department,
                                                                    'Без подразделения')))
                        ELSE '' END
                   || format('<tr class="employee"><td class="number">%s</td>'
                             '<td class="name">%s<div class="position">%s</div></td>'
                             '<td class="personnel">%s</td>%s'
                             '<td class="total">%s</td><td class="total">%s</td>'
                             '<td class="total">%s</td><td class="total">%s</td>'
                             '<td class="total">%s</td><td class="total">%s</td>'
                             '<td class="absences">%s</td></tr>',
                             l.line_no,
                             otan_enbek.html_escape(l.full_name),
                             otan_enbek.html_escape(coalesce(l.position, '')),
                             otan_enbek.html_escape(coalesce(l.personnel_no, '')),
                             coalesce(dc.cells, ''),
                             l.days_worked, to_char(l.hours_worked, 'FM9999990.00'),
                             to_char(l.overtime_hours, 'FM9999990.00'),
                             to_char(l.night_hours, 'FM9999990.00'),
                             to_char(l.holiday_hours, 'FM9999990.00'),
                             l.days_off, coalesce(ab.absences, '')),
                   '' ORDER BY l.line_no) AS rows_html,
               count(*) AS employees,
               coalesce(sum(l.days_worked), 0) AS days_worked,
               coalesce(sum(l.hours_worked), 0) AS hours_worked,
               coalesce(sum(l.overtime_hours), 0) AS overtime_hours,
               coalesce(sum(l.night_hours), 0) AS night_hours,
               coalesce(sum(l.holiday_hours), 0) AS holiday_hours,
               coalesce(sum(l.days_off), 0) AS days_off,
               string_agg(DISTINCT l.department, ', ') AS departments
        FROM line l
        LEFT JOIN day_cell dc ON dc.employee_id = l.employee_id
        LEFT JOIN absence_text ab ON ab.employee_id = l.employee_id
    ), marked_day AS (
        SELECT l.line_no, l.full_name, s.month + d.n::integer - 1 AS work_day, d.mark,
               ed.day_code, ed.hours, ed.reason, ed.edited_by, ed.edited_at
        FROM line l
        CROSS JOIN sheet s
        CROSS JOIN LATERAL unnest(l.day_marks) WITH ORDINALITY AS d(mark, n)
        LEFT JOIN LATERAL (
            SELECT e.day_code, e.hours, e.reason, e.edited_by, e.edited_at
            FROM otan_enbek.day_edit e
            WHERE e.org_id = l.org_id AND e.employee_id = l.employee_id
              AND e.work_day = s.month + d.n::integer - 1
              AND e.edited_at <= s.built_at
            ORDER BY e.edit_id DESC
            LIMIT 1
        ) ed ON true
        WHERE d.mark IN ('edited', 'approved')
    ), edit_rows AS (
        SELECT string_agg(
                   format('<tr><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td>'
                          '<td>%s</td><td>%s</td></tr>',
                          m.line_no, otan_enbek.html_escape(m.full_name),
                          to_char(m.work_day, 'DD.MM.YYYY'),
                          CASE m.mark
                              WHEN 'edited' THEN format('исправлен: %s, %s ч',
                                                        otan_enbek.html_escape(m.day_code),
                                                        trim_scale(m.hours))
                              ELSE 'утвержден' END,
                          otan_enbek.html_escape(coalesce(m.reason, '')),
                          otan_enbek.html_escape(coalesce(m.edited_by::text, '')),
                          coalesce(to_char(m.edited_at AT TIME ZONE s.time_zone,
                                           'DD.MM.YYYY HH24:MI'), '')),
                   '' ORDER BY m.line_no, m.work_day) AS rows_html
        FROM marked_day m
        CROSS JOIN sheet s
    )
    SELECT concat(
        '<!DOCTYPE html>', E'\n',
        '<html lang="ru"><head><meta charset="utf-8">',
        format('<title>Табель учета рабочего времени: %s, %s</title>',
               otan_enbek.html_escape(s.org_name), to_char(s.month, 'MM.YYYY')),
        '<style>
@page { size: A4 landscape; margin: 8mm; }
html { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
body { font-family: "DejaVu Sans", "Liberation Sans", Arial, sans-serif; font-size: 7pt; color: #000; margin: 0; }
@media screen { body { margin: 8mm; } }
.form-id { text-align: right; font-size: 6.5pt; }
h1 { font-size: 11pt; text-align: center; margin: 1mm 0 2mm; }
.header { display: flex; flex-wrap: wrap; gap: 1mm 8mm; margin-bottom: 2mm; }
.header .field b { font-weight: normal; color: #444; }
table.sheet { width: 100%; border-collapse: collapse; table-layout: fixed; }
table.sheet th, table.sheet td { border: 0.5pt solid #000; padding: 0.3mm 0.4mm; text-align: center; vertical-align: middle; overflow: hidden; }
table.sheet thead { display: table-header-group; }
table.sheet tr { break-inside: avoid; }
table.sheet th { font-weight: normal; font-size: 6pt; background: #f0f0f0; }
table.sheet th.off, table.sheet td.off { background: #e0e0e0; }
table.sheet td.name { text-align: left; }
table.sheet td.day { font-size: 6pt; line-height: 1.2; padding: 0.3mm 0; }
table.sheet td.edited { outline: 0.8pt dashed #000; outline-offset: -1.2pt; font-weight: bold; }
table.sheet td.total { font-size: 6.5pt; }
table.sheet td.absences { font-size: 5.5pt; }
table.sheet tr.department td { text-align: left; font-weight: bold; background: #f7f7f7; }
table.sheet tfoot td { font-weight: bold; }
.position { font-size: 5.5pt; color: #333; }
td.day .code, td.day .hours { display: block; white-space: nowrap; min-height: 2.4mm; }
td.day .hours { border-top: 0.3pt solid #999; }
sup { font-size: 5pt; line-height: 0; }
.legend { margin-top: 2mm; font-size: 6pt; }
table.edits { border-collapse: collapse; margin-top: 2mm; font-size: 6pt; break-inside: avoid; }
table.edits th, table.edits td { border: 0.5pt solid #000; padding: 0.3mm 1mm; text-align: left; }
.signatures { display: flex; gap: 10mm; margin-top: 6mm; break-inside: avoid; }
.signature { flex: 1; }
.signature .line { border-bottom: 0.5pt solid #000; height: 6mm; }
.signature .caption { font-size: 5.5pt; display: flex; justify-content: space-between; }
</style></head><body>',
        '<div class="form-id">Форма № 421</div>',
        '<h1>ТАБЕЛЬ УЧЕТА РАБОЧЕГО ВРЕМЕНИ</h1>',
        '<div class="header">',
        format('<div class="field"><b>Организация:</b> %s</div>', otan_enbek.html_escape(s.org_name)),
        format('<div class="field"><b>БИН:</b> %s</div>', otan_enbek.html_escape(s.bin)),
        format('<div class="field"><b>Структурное подразделение:</b> %s</div>',
               otan_enbek.html_escape(coalesce(b.departments, 'все работники'))),
        format('<div class="field"><b>Отчетный период:</b> с %s по %s</div>',
               to_char(s.month, 'DD.MM.YYYY'), to_char(s.last_day, 'DD.MM.YYYY')),
        format('<div class="field"><b>Табель:</b> № %s, версия %s, статус %s</div>',
               s.timesheet_id, s.version, otan_enbek.html_escape(s.status)),
        format('<div class="field"><b>Рабочих дней:</b> %s, <b>норма часов:</b> %s</div>',
               s.working_days, to_char(s.norm_hours, 'FM9999990.00')),
        '</div>',
        '<table class="sheet"><colgroup><col style="width:6mm"><col style="width:37mm">',
        '<col style="width:11mm">',
        repeat('<col>', s.day_count),
        '<col style="width:9mm"><col style="width:11mm"><col style="width:10mm">',
        '<col style="width:11mm"><col style="width:10mm"><col style="width:9mm">',
        '<col style="width:15mm"></colgroup>',
        '<thead><tr><th rowspan="2">№ п/п</th><th rowspan="2">Фамилия, имя, отчество, должность</th>',
        '<th rowspan="2">Таб. №</th>',
        format('<th colspan="%s">Отметки о явках и неявках на работу по числам месяца (код / часы)</th>',
               s.day_count),
        '<th colspan="7">Итого за месяц</th></tr><tr>',
        (SELECT string_agg(format('<th%s>%s</th>',
                                  CASE WHEN NOT cal.working_day THEN ' class="off"' ELSE '' END,
                                  cal.n), '' ORDER BY cal.n)
         FROM calendar cal),
        '<th>Дней отра&shy;ботано</th><th>Часов отра&shy;ботано</th><th>Сверх&shy;урочные, ч</th>',
        '<th>Ночные, ч</th><th>Празд&shy;ничные, ч</th><th>Выход&shy;ные дни</th>',
        '<th>Неявки, дней по кодам</th></tr></thead>',
        '<tbody>', b.rows_html, '</tbody>',
        format('<tfoot><tr class="totals"><td colspan="%s" class="name">Итого: работников %s</td>',
               s.day_count + 3, b.employees),
        format('<td class="total">%s</td><td class="total">%s</td><td class="total">%s</td>',
               b.days_worked, to_char(b.hours_worked, 'FM9999990.00'),
               to_char(b.overtime_hours, 'FM9999990.00')),
        format('<td class="total">%s</td><td class="total">%s</td><td class="total">%s</td>',
               to_char(b.night_hours, 'FM9999990.00'), to_char(b.holiday_hours, 'FM9999990.00'),
               b.days_off),
        '<td></td></tr></tfoot></table>',
        '<div class="legend">Коды: Я – явка, В – выходной или праздничный день, ',
        'РП – работа в выходной или праздничный день, П – неявка без документа, О – отпуск, ',
        'Б – болезнь, К – командировка, Р – отпуск по беременности и родам, ',
        'Г – государственные обязанности, А – отпуск с разрешения работодателя, ',
        'ОУ – учебный отпуск. Серым выделены нерабочие дни. ',
        '<sup>*</sup> – день исправлен кадровой службой, ',
        '<sup>&#10003;</sup> – день утвержден кадровой службой (причины ниже).</div>',
        CASE WHEN e.rows_html IS NOT NULL THEN concat(
            '<table class="edits"><thead><tr><th>№ п/п</th><th>Работник</th><th>Дата</th>',
            '<th>Отметка</th><th>Причина</th><th>Кем</th><th>Когда</th></tr></thead><tbody>',
            e.rows_html, '</tbody></table>') END,
        '<div class="signatures">',
        (SELECT string_agg(format('<div class="signature"><div>%s</div><div class="line"></div>'
                                  '<div class="caption"><span>должность</span><span>подпись</span>'
                                  '<span>расшифровка подписи</span></div></div>', r.title),
                           '' ORDER BY r.n)
         FROM (VALUES (1, 'Ответственное лицо'),
                      (2, 'Руководитель структурного подразделения'),
                      (3, 'Работник кадровой службы')) AS r(n, title)),
        '</div>',
        format('<div class="legend">Табель построен %s (%s). Дата подписания: «___» ____________ 20___ г.</div>',
               to_char(s.built_at AT TIME ZONE s.time_zone, 'DD.MM.YYYY HH24:MI'),
               otan_enbek.html_escape(s.time_zone)),
        '</body></html>', E'\n')
    INTO html
    FROM sheet s
    CROSS JOIN body_rows b
    CROSS JOIN edit_rows e;
    RETURN html;
END
$$;
COMMENT ON FUNCTION otan_enbek.timesheet_html(integer, integer) IS
    'Returns the timesheet as a self-contained HTML document in the layout of form No. 421, for printing on A4 landscape';

-- Looks the timesheet up by its id alone, which identifies one timesheet
-- unless ids were given by hand in several organizations.
CREATE FUNCTION otan_enbek.timesheet_html(timesheet_id integer)
    RETURNS text
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    orgs integer[];
BEGIN
    IF timesheet_id IS NULL THEN
        RAISE EXCEPTION 'timesheet must not be null'
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    SELECT array_agg(t.org_id ORDER BY t.org_id) INTO orgs
    FROM otan_enbek.timesheet t
    WHERE t.timesheet_id = timesheet_html.timesheet_id;
    IF orgs IS NULL THEN
        PERFORM otan_enbek.require_timesheet_access(timesheet_id);
        RAISE EXCEPTION 'timesheet % does not exist', timesheet_id
            USING ERRCODE = 'no_data_found',
                  HINT = 'Use the timesheet_id of a row of otan_enbek.timesheet, such as the value build_timesheet returned.';
    ELSIF cardinality(orgs) > 1 THEN
        RAISE EXCEPTION 'timesheet id % exists in several organizations', timesheet_id
            USING ERRCODE = 'ambiguous_parameter',
                  DETAIL = format('Organizations %s each have a timesheet with this id.',
                                  array_to_string(orgs, ', ')),
                  HINT = 'Call otan_enbek.timesheet_html(org_id, timesheet_id).';
    END IF;
    RETURN otan_enbek.timesheet_html(orgs[1], timesheet_id);
END
$$;
COMMENT ON FUNCTION otan_enbek.timesheet_html(integer) IS
    'Returns the timesheet with this id as a self-contained HTML document in the layout of form No. 421';

GRANT EXECUTE ON FUNCTION otan_enbek.html_escape(text),
                          otan_enbek.timesheet_html(integer, integer),
                          otan_enbek.timesheet_html(integer)
    TO otan_enbek_admin, otan_enbek_operator;
