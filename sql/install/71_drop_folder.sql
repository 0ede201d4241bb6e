-- Drop folders: a directory on the database server per source, from which
-- the pull job imports every complete file, one ingest batch per file, and
-- then moves the file to the subdirectory done/ or failed/.

ALTER TABLE otan_enbek.source
    ADD COLUMN drop_dir text
        CHECK (drop_dir ~ '^/' AND drop_dir !~ '/$' AND octet_length(drop_dir) < 900),
    ADD COLUMN drop_format text
        CHECK (drop_format IN ('zkteco', 'hikvision', 'csv'));
COMMENT ON COLUMN otan_enbek.source.drop_dir IS
    'Absolute path of the drop folder on the database server, read by the pull job; only a superuser or a member of pg_read_server_files may set it';
COMMENT ON COLUMN otan_enbek.source.drop_format IS
    'Format of the files of the drop folder; NULL means default_format';

-- The directory names a server path that the pull job, running as the
-- owner of the extension, reads and whose files it moves.  The table is
-- granted to otan_enbek_admin whole, so a column privilege cannot protect
-- drop_dir.  This trigger rejects a new drop_dir from every role that is
-- neither a superuser nor a member of pg_read_server_files.
CREATE FUNCTION otan_enbek.source_check_drop_dir() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND NEW.drop_dir IS NOT DISTINCT FROM OLD.drop_dir THEN
        RETURN NEW;
    ELSIF TG_OP = 'INSERT' AND NEW.drop_dir IS NULL THEN
        RETURN NEW;
    END IF;
    IF NOT (SELECT r.rolsuper FROM pg_roles r WHERE r.rolname = current_user)
       AND NOT pg_has_role(current_user, 'pg_read_server_files', 'MEMBER') THEN
        RAISE EXCEPTION 'permission denied to set the drop folder of source %', NEW.source_id
            USING ERRCODE = 'insufficient_privilege',
                  DETAIL = format('Role "%s" is neither a superuser nor a member of pg_read_server_files, and drop_dir names a directory on the database server.',
                                  current_user),
                  HINT = 'Ask a superuser to set otan_enbek.source.drop_dir.';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER source_check_drop_dir
    BEFORE INSERT OR UPDATE OF drop_dir ON otan_enbek.source
    FOR EACH ROW EXECUTE FUNCTION otan_enbek.source_check_drop_dir();

CREATE FUNCTION otan_enbek.drop_move_at_commit(path text, subdirectory text) RETURNS text
    LANGUAGE C VOLATILE STRICT
    AS 'MODULE_PATHNAME', 'otan_enbek_drop_move_at_commit';
REVOKE EXECUTE ON FUNCTION otan_enbek.drop_move_at_commit(text, text) FROM PUBLIC;
COMMENT ON FUNCTION otan_enbek.drop_move_at_commit(text, text) IS
    'Queues the move of a drop folder file into its subdirectory done or failed, carried out when the transaction commits (superusers only); returns the new path';

-- Imports the complete files of the drop folder of one source, in file
-- name order, one batch per file, and returns {"files": [...], "skipped": n}
-- with one entry per file.  A file is still being written, and skipped,
-- while its name ends in .tmp or .part, starts with a dot, or it was
-- modified in the last 60 seconds.  A file whose records are all rejected,
-- or that ingest rejects whole with an error (invalid UTF-8, an unreadable
-- format), goes to failed/ and the others to done/.  A missing or
-- unreadable folder raises an error, which step_pull records for this
-- source alone.
--
-- The run is one transaction, so a file cannot be moved when its batch is
-- committed, as a COMMIT per file would allow: run_job must roll back a
-- failed step and keep its log row.  drop_move_at_commit therefore queues
-- each move, and the queue is carried out only after the commit.  A crash
-- between the commit and the rename leaves the file in place, and the next
-- pull counts its events as duplicates.  Nothing is lost, because a file
-- leaves the folder only after its events are committed, and a rolled-back
-- pull moves nothing.
CREATE FUNCTION otan_enbek.pull_drop_folder(source_id integer) RETURNS jsonb
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    quiet_seconds constant integer := 60;
    file record;
    batch otan_enbek.ingest_batch;
    moved_to text;
    message text;
    files jsonb := '[]';
    skipped integer := 0;
BEGIN
    FOR file IN
        SELECT s.source_id, coalesce(s.drop_format, s.default_format) AS format,
               d.name, s.drop_dir || '/' || d.name AS path, st.modification
        FROM otan_enbek.source s
        CROSS JOIN LATERAL pg_ls_dir(s.drop_dir) AS d(name)
        CROSS JOIN LATERAL pg_stat_file(s.drop_dir || '/' || d.name, true) AS st
        WHERE s.source_id = pull_drop_folder.source_id AND s.drop_dir IS NOT NULL
          AND NOT st.isdir
        ORDER BY d.name COLLATE "C"
    LOOP
        IF file.name ~ '(\.tmp|\.part)$' OR file.name LIKE '.%'
           OR file.modification > clock_timestamp() - make_interval(secs => quiet_seconds) THEN
            skipped := skipped + 1;
            CONTINUE;
        END IF;
        batch := NULL;
        message := NULL;
        BEGIN
            batch := otan_enbek.ingest_file(file.source_id, file.format, file.path);
            moved_to := CASE WHEN batch.read_count > 0
                                  AND batch.rejected_count = batch.read_count
                             THEN 'failed' ELSE 'done' END;
            PERFORM otan_enbek.drop_move_at_commit(file.path, moved_to);
        EXCEPTION
            WHEN insufficient_privilege THEN
                RAISE;
            WHEN OTHERS THEN
                GET STACKED DIAGNOSTICS message = MESSAGE_TEXT;
                batch := NULL;
                moved_to := 'failed';
                PERFORM otan_enbek.drop_move_at_commit(file.path, moved_to);
        END;
        files := files || jsonb_build_object(
            'source_id', file.source_id, 'file', file.name, 'moved_to', moved_to,
            'batch_id', batch.batch_id, 'inserted', coalesce(batch.inserted_count, 0),
            'duplicates', coalesce(batch.duplicate_count, 0),
            'rejected', coalesce(batch.rejected_count, 0), 'error', message);
    END LOOP;
    RETURN jsonb_build_object('files', files, 'skipped', skipped);
END
$$;
COMMENT ON FUNCTION otan_enbek.pull_drop_folder(integer) IS
    'Stores the complete files of a source''s drop folder, one batch per file, queues their moves to done/ or failed/ and returns an entry per file and the number of files skipped';
