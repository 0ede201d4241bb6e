-- Directory import, continued: mapping the lines of a directory file to
-- employees, departments and credentials, the import functions, the
-- conflict report, the job step, and the privileges of the directory
-- import.

-- Maps each line of pg_temp.directory_line to an employee: by IIN when the
-- line has a valid one, else by personnel number.  A line whose IIN and
-- personnel number name different employees is not mapped.  A line
-- without a match creates an employee when create_employees is true and
-- the line has a valid IIN, a last name and a first name.  Records the
-- conflicts and returns the numbers of lines matched and of employees
-- created.
CREATE FUNCTION otan_enbek.directory_map_lines(org integer, import bigint,
        create_employees boolean, OUT matched integer, OUT created integer)
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    line record;
    iin_valid boolean;
    by_iin integer;
    by_personnel_no integer[];
    employee integer;
    problem text;
BEGIN
    matched := 0;
    created := 0;
    FOR line IN SELECT * FROM pg_temp.directory_line ORDER BY line_no LOOP
        IF line.skipped THEN
            PERFORM otan_enbek.directory_add_conflict(org, import, line.line_no, 'invalid_line',
                NULL, NULL, NULL, NULL, line.problem);
            CONTINUE;
        END IF;

        iin_valid := line.iin IS NOT NULL AND otan_enbek.is_valid_iin(line.iin);
        IF line.iin IS NULL THEN
            PERFORM otan_enbek.directory_add_conflict(org, import, line.line_no, 'missing_iin',
                NULL, NULL, line.personnel_no, NULL,
                'The person has no IIN; the line is mapped by personnel number when it has one.');
        ELSIF NOT iin_valid THEN
            PERFORM otan_enbek.directory_add_conflict(org, import, line.line_no, 'invalid_iin',
                NULL, line.iin, line.personnel_no, NULL,
                'The IIN fails its check digit or does not start with a valid birth date; the line is mapped by personnel number when it has one.');
        END IF;

        by_iin := NULL;
        IF iin_valid THEN
            SELECT e.employee_id INTO by_iin FROM otan_enbek.employee e
            WHERE e.org_id = org AND e.iin = line.iin;
        END IF;
        by_personnel_no := ARRAY(SELECT e.employee_id FROM otan_enbek.employee e
                                 WHERE e.org_id = org AND e.personnel_no = line.personnel_no
                                 ORDER BY e.employee_id);
        problem := CASE
            WHEN by_iin IS NOT NULL AND cardinality(by_personnel_no) > 0
                 AND by_iin <> ALL (by_personnel_no)
            THEN format('The IIN is that of employee %s, but the personnel number is that of employee %s.',
                        by_iin, array_to_string(by_personnel_no, ', '))
            WHEN by_iin IS NULL AND cardinality(by_personnel_no) > 1
            THEN format('Employees %s have the same personnel number.',
                        array_to_string(by_personnel_no, ', '))
        END;
        employee := coalesce(by_iin, by_personnel_no[1]);
        IF problem IS NOT NULL THEN
            employee := NULL;
            PERFORM otan_enbek.directory_add_conflict(org, import, line.line_no, 'ambiguous_match',
                NULL, line.iin, line.personnel_no, NULL, problem);
        ELSIF employee IS NULL AND create_employees AND iin_valid
              AND line.last_name IS NOT NULL AND line.first_name IS NOT NULL THEN
            INSERT INTO otan_enbek.employee (org_id, iin, last_name, first_name, middle_name,
                                             personnel_no, position)
            VALUES (org, line.iin, line.last_name, line.first_name, line.middle_name,
                    line.personnel_no, line.position)
            RETURNING employee_id INTO employee;
            created := created + 1;
        ELSIF employee IS NULL THEN
            PERFORM otan_enbek.directory_add_conflict(org, import, line.line_no, 'no_employee',
                NULL, line.iin, line.personnel_no, NULL,
                CASE WHEN iin_valid OR line.personnel_no IS NOT NULL
                     THEN 'No employee of the organization has the IIN or the personnel number.'
                     ELSE 'The line has neither a valid IIN nor a personnel number to map it by.' END);
        ELSE
            matched := matched + 1;
            -- Fill in a personnel number that the employee lacks.
            UPDATE otan_enbek.employee e SET personnel_no = line.personnel_no
            WHERE e.org_id = org AND e.employee_id = employee
              AND e.personnel_no IS NULL AND line.personnel_no IS NOT NULL;
        END IF;

        UPDATE pg_temp.directory_line AS l
        SET employee_id = employee,
            skipped = employee IS NULL,
            person_key = coalesce('employee:' || employee,
                                  CASE WHEN iin_valid THEN 'iin:' || line.iin END,
                                  'personnel_no:' || line.personnel_no,
                                  'line:' || line.line_no)
        WHERE l.line_no = line.line_no;
    END LOOP;
END
$$;

-- Creates the departments that the mapped lines name and the organization
-- lacks, and moves each mapped employee to the department of its last
-- line.  Returns the numbers of departments created and employees moved.
CREATE FUNCTION otan_enbek.directory_assign_departments(org integer,
        OUT created integer, OUT moved integer)
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    INSERT INTO otan_enbek.department (org_id, name, code)
    SELECT DISTINCT ON (l.department) org, l.department, l.department_code
    FROM pg_temp.directory_line l
    WHERE NOT l.skipped AND l.department IS NOT NULL
      AND NOT EXISTS (SELECT FROM otan_enbek.department d
                      WHERE d.org_id = org AND d.name = l.department)
    ORDER BY l.department, l.line_no;
    GET DIAGNOSTICS created = ROW_COUNT;

    UPDATE otan_enbek.employee e
    SET department_id = d.department_id
    FROM (SELECT DISTINCT ON (l.employee_id) l.employee_id, l.department
          FROM pg_temp.directory_line l
          WHERE NOT l.skipped AND l.department IS NOT NULL
          ORDER BY l.employee_id, l.line_no DESC) l
    JOIN otan_enbek.department d ON d.org_id = org AND d.name = l.department
    WHERE e.org_id = org AND e.employee_id = l.employee_id
      AND e.department_id IS DISTINCT FROM d.department_id;
    GET DIAGNOSTICS moved = ROW_COUNT;
END
$$;

-- Gives the mapped employees the cards (kind card) or person ids (kind
-- person) of their lines.  A value on lines of two different people in
-- the file is given to no one.  A value assigned to another employee
-- today or later is not given either, and one that the employee has
-- already is left as it is.  A value whose earlier holders all gave it up is given
-- from the day after the last one did.  Records the conflicts
-- and returns the number of credentials added.
CREATE FUNCTION otan_enbek.directory_assign_credentials(org integer, import bigint,
        source integer, credential_kind text)
    RETURNS integer
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    conflict_kind text := CASE credential_kind WHEN 'card' THEN 'card_on_two_people'
                                               ELSE 'person_id_on_two_people' END;
    noun text := CASE credential_kind WHEN 'card' THEN 'card' ELSE 'person id' END;
    today date := (SELECT (now() AT TIME ZONE o.time_zone)::date
                   FROM otan_enbek.organization o WHERE o.org_id = org);
    line record;
    added integer;
BEGIN
    CREATE TEMP TABLE directory_value ON COMMIT DROP AS
    SELECT l.line_no, l.employee_id, l.iin, l.personnel_no, l.skipped, l.person_key,
           CASE credential_kind WHEN 'card' THEN l.card ELSE l.person_id END AS value
    FROM pg_temp.directory_line l
    WHERE l.person_key IS NOT NULL;
    DELETE FROM pg_temp.directory_value v WHERE v.value IS NULL;
    CREATE INDEX ON pg_temp.directory_value (value);
    ANALYZE pg_temp.directory_value;

    -- One value on two people of the file.
    FOR line IN
        SELECT v.*, (SELECT string_agg(o.line_no::text, ', ' ORDER BY o.line_no)
                     FROM pg_temp.directory_value o
                     WHERE o.value = v.value AND o.person_key <> v.person_key) AS other_lines
        FROM pg_temp.directory_value v
        WHERE EXISTS (SELECT FROM pg_temp.directory_value o
                      WHERE o.value = v.value AND o.person_key <> v.person_key)
        ORDER BY v.line_no
    LOOP
        PERFORM otan_enbek.directory_add_conflict(org, import, line.line_no, conflict_kind,
            line.employee_id, line.iin, line.personnel_no, line.value,
            format('The %s is also on %s %s, of another person; it was given to no one.',
                   noun, CASE WHEN strpos(line.other_lines, ',') > 0 THEN 'lines' ELSE 'line' END,
                   line.other_lines));
        UPDATE pg_temp.directory_value v SET skipped = true WHERE v.value = line.value;
    END LOOP;

    -- The earlier holders of each value, looked up for all lines in one
    -- statement.
    CREATE TEMP TABLE directory_holder ON COMMIT DROP AS
    SELECT v.line_no, v.employee_id, v.iin, v.personnel_no, v.value, h.*
    FROM (SELECT DISTINCT ON (v.employee_id, v.value) v.*
          FROM pg_temp.directory_value v
          WHERE NOT v.skipped
          ORDER BY v.employee_id, v.value, v.line_no) v
    CROSS JOIN LATERAL (
        SELECT bool_or(c.employee_id = v.employee_id)
                   FILTER (WHERE c.valid_to IS NULL OR c.valid_to >= today) AS held_already,
               min(c.employee_id)
                   FILTER (WHERE (c.valid_to IS NULL OR c.valid_to >= today)
                           AND c.employee_id <> v.employee_id) AS current_holder,
               max(c.valid_to) AS last_day
        FROM otan_enbek.credential c
        WHERE c.org_id = org AND c.kind = credential_kind AND c.value = v.value
          AND (c.source_id IS NULL OR source IS NULL OR c.source_id = source)) AS h;

    FOR line IN
        SELECT * FROM pg_temp.directory_holder h
        WHERE h.current_holder IS NOT NULL
        ORDER BY h.line_no
    LOOP
        PERFORM otan_enbek.directory_add_conflict(org, import, line.line_no, conflict_kind,
            line.employee_id, line.iin, line.personnel_no, line.value,
            format('The %s is assigned to employee %s. Set valid_to on that credential before assigning the %s to employee %s.',
                   noun, line.current_holder, noun, line.employee_id));
    END LOOP;

    INSERT INTO otan_enbek.credential (org_id, employee_id, source_id, kind, value, valid_from)
    SELECT org, h.employee_id, source, credential_kind, h.value, h.last_day + 1
    FROM pg_temp.directory_holder h
    WHERE h.current_holder IS NULL AND NOT coalesce(h.held_already, false)
    ORDER BY h.line_no;
    GET DIAGNOSTICS added = ROW_COUNT;
    DROP TABLE pg_temp.directory_holder;
    DROP TABLE pg_temp.directory_value;
    RETURN added;
END
$$;

-- Imports the text of a directory file.  import_directory and
-- import_directory_file call it.  The whole import is one statement of the
-- caller's transaction, so an error leaves nothing of it behind.
CREATE FUNCTION otan_enbek.directory_import_text(org integer, content text, source_id integer,
        create_employees boolean, file_name text)
    RETURNS otan_enbek.directory_import
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    result otan_enbek.directory_import;
    mapped record;
    departments record;
    credentials integer;
BEGIN
    IF org IS NULL OR content IS NULL THEN
        RAISE EXCEPTION 'organization and content must not be null'
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF NOT EXISTS (SELECT FROM otan_enbek.organization o WHERE o.org_id = org) THEN
        RAISE EXCEPTION 'organization % does not exist', org
            USING ERRCODE = 'undefined_object',
                  HINT = 'Use the org_id of a row of otan_enbek.organization.';
    END IF;
    IF directory_import_text.source_id IS NOT NULL
       AND NOT EXISTS (SELECT FROM otan_enbek.source s
                       WHERE s.org_id = org AND s.source_id = directory_import_text.source_id) THEN
        RAISE EXCEPTION 'source % does not belong to organization %',
                directory_import_text.source_id, org
            USING ERRCODE = 'foreign_key_violation',
                  HINT = 'Pass a source_id of the organization, or NULL for cards valid at every source.';
    END IF;

    PERFORM otan_enbek.directory_read_lines(content);
    INSERT INTO otan_enbek.directory_import (org_id, source_id, file_name, line_count)
    VALUES (org, directory_import_text.source_id, file_name,
            (SELECT count(*) FROM pg_temp.directory_line))
    RETURNING * INTO result;

    mapped := otan_enbek.directory_map_lines(org, result.import_id,
                                             coalesce(create_employees, false));
    departments := otan_enbek.directory_assign_departments(org);
    credentials :=
        otan_enbek.directory_assign_credentials(org, result.import_id, result.source_id, 'card')
        + otan_enbek.directory_assign_credentials(org, result.import_id, result.source_id,
                                                  'person');
    UPDATE otan_enbek.directory_import AS i
    SET matched_count = mapped.matched,
        created_count = mapped.created,
        department_count = departments.created,
        moved_count = departments.moved,
        credential_count = credentials,
        conflict_count = (SELECT count(*) FROM otan_enbek.directory_conflict c
                          WHERE c.org_id = org AND c.import_id = result.import_id)
    WHERE i.org_id = org AND i.import_id = result.import_id
    RETURNING * INTO result;
    DROP TABLE pg_temp.directory_line;
    RETURN result;
END
$$;
REVOKE ALL ON FUNCTION otan_enbek.directory_import_text(integer, text, integer, boolean, text)
    FROM PUBLIC;

CREATE FUNCTION otan_enbek.import_directory(org integer, content text,
        source_id integer DEFAULT NULL, create_employees boolean DEFAULT false)
    RETURNS otan_enbek.directory_import
    LANGUAGE sql
    SET search_path = pg_catalog, pg_temp
    AS $$
    SELECT * FROM otan_enbek.directory_import_text($1, $2, $3, $4, NULL)
$$;
COMMENT ON FUNCTION otan_enbek.import_directory(integer, text, integer, boolean) IS
    'Imports persons, cards and departments from the text of a CSV file, mapping lines to employees by IIN or personnel number; returns the import with its counts, and its conflicts are in directory_conflict';

-- Reads a file on the database server, so only superusers and members of
-- pg_read_server_files may call it (pg_read_file checks that).
CREATE FUNCTION otan_enbek.import_directory_file(org integer, path text,
        source_id integer DEFAULT NULL, create_employees boolean DEFAULT false)
    RETURNS otan_enbek.directory_import
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
                  HINT = 'Convert the file to UTF-8, for example with iconv -f CP1251 -t UTF-8.';
    END IF;
    RETURN otan_enbek.directory_import_text(org, convert_from(content, 'UTF8'), source_id,
                                            create_employees, path);
END
$$;
COMMENT ON FUNCTION otan_enbek.import_directory_file(integer, text, integer, boolean) IS
    'Imports persons, cards and departments from a CSV file on the database server (superusers and pg_read_server_files only); returns the import with its counts';

-- The newest import of each organization with its conflicts, for review.
CREATE VIEW otan_enbek.directory_conflict_report AS
SELECT c.org_id, c.import_id, i.file_name, i.imported_at, c.line_no, c.kind,
       c.employee_id, c.masked_iin, c.personnel_no, c.credential, c.detail
FROM otan_enbek.directory_conflict c
JOIN otan_enbek.directory_import i ON i.org_id = c.org_id AND i.import_id = c.import_id
WHERE i.import_id = (SELECT max(n.import_id) FROM otan_enbek.directory_import n
                     WHERE n.org_id = c.org_id);
ALTER VIEW otan_enbek.directory_conflict_report SET (security_invoker = true);
COMMENT ON VIEW otan_enbek.directory_conflict_report IS
    'Conflicts of the newest directory import of each organization, by line; older imports keep theirs in directory_conflict';

-- Step of the directory_import kind of job_run.
CREATE FUNCTION otan_enbek.step_directory_import(org integer, target jsonb) RETURNS jsonb
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    result otan_enbek.directory_import;
BEGIN
    result := otan_enbek.import_directory_file(org, target->>'path',
                                               (target->>'source_id')::integer,
                                               coalesce((target->>'create_employees')::boolean,
                                                        false));
    RETURN jsonb_build_object('import_id', result.import_id,
                              'lines', result.line_count,
                              'matched', result.matched_count,
                              'created', result.created_count,
                              'credentials', result.credential_count,
                              'departments', result.department_count,
                              'moved', result.moved_count,
                              'conflicts', result.conflict_count);
END
$$;

CREATE FUNCTION otan_enbek.run_directory_import(org integer, path text,
        source_id integer DEFAULT NULL, create_employees boolean DEFAULT false)
    RETURNS otan_enbek.job_run
    LANGUAGE sql
    SET search_path = pg_catalog, pg_temp
    AS $$
    SELECT * FROM otan_enbek.run_job(
        'directory_import', $1, NULL, NULL,
        jsonb_build_object('path', $2, 'source_id', $3, 'create_employees', $4))
$$;
COMMENT ON FUNCTION otan_enbek.run_directory_import(integer, text, integer, boolean) IS
    'Imports a directory file on the database server with import_directory_file and records the run in job_run';

COMMENT ON FUNCTION otan_enbek.step_directory_import(integer, jsonb) IS
    'Step of the directory_import kind: imports the file named by target (path, source_id, create_employees) and returns the counts';
COMMENT ON FUNCTION otan_enbek.directory_read_lines(text) IS
    'Reads the lines of a directory file into the temporary table directory_line and returns its delimiter; raises an error for an invalid header';
COMMENT ON FUNCTION otan_enbek.directory_add_conflict(integer, bigint, integer, text, integer, text, text, text, text) IS
    'Records a conflict of a directory import under its next number, with the IIN masked';
COMMENT ON FUNCTION otan_enbek.directory_map_lines(integer, bigint, boolean) IS
    'Maps the lines of the current directory import to employees by IIN or personnel number and records the conflicts';
COMMENT ON FUNCTION otan_enbek.directory_assign_departments(integer) IS
    'Creates the departments that the current directory import names and moves its mapped employees to them';
COMMENT ON FUNCTION otan_enbek.directory_assign_credentials(integer, bigint, integer, text) IS
    'Gives the cards or person ids of the current directory import to its mapped employees and records the values on two people';
COMMENT ON FUNCTION otan_enbek.directory_import_text(integer, text, integer, boolean, text) IS
    'Imports the text of a directory file for import_directory and import_directory_file';

SELECT pg_catalog.pg_extension_config_dump('otan_enbek.directory_import', '');
SELECT pg_catalog.pg_extension_config_dump('otan_enbek.directory_import_import_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('otan_enbek.directory_conflict', '');

-- The conflicts quote personnel numbers and card numbers, so readers get
-- none of this.  An import changes employees and credentials, which only
-- the administrator may, and an operator reads the results of its
-- organizations.  Row-level security comes from the privileges part, and
-- import_directory_file, like ingest_file, is left to superusers.
GRANT SELECT ON otan_enbek.directory_import, otan_enbek.directory_conflict,
    otan_enbek.directory_conflict_report TO otan_enbek_operator;
-- job_step names every step, and PostgreSQL checks EXECUTE on each
-- function of its CASE expression, so an operator needs the step too.
GRANT EXECUTE ON FUNCTION
    otan_enbek.directory_columns(),
    otan_enbek.directory_split_line(text, text),
    otan_enbek.directory_header(text),
    otan_enbek.step_directory_import(integer, jsonb)
    TO otan_enbek_admin, otan_enbek_operator;
GRANT EXECUTE ON FUNCTION
    otan_enbek.directory_read_lines(text),
    otan_enbek.directory_add_conflict(integer, bigint, integer, text, integer, text, text,
                                      text, text),
    otan_enbek.directory_map_lines(integer, bigint, boolean),
    otan_enbek.directory_assign_departments(integer),
    otan_enbek.directory_assign_credentials(integer, bigint, integer, text),
    otan_enbek.directory_import_text(integer, text, integer, boolean, text),
    otan_enbek.import_directory(integer, text, integer, boolean),
    otan_enbek.run_directory_import(integer, text, integer, boolean)
    TO otan_enbek_admin;
