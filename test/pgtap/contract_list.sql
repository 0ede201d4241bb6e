-- Reading Enbek's contract list: the contracts of the response to this
-- request, and an error that names the contract for anything that the
-- stored contracts cannot hold, so that a list read in part never
-- replaces them.
BEGIN;
SELECT plan(12);

CREATE FUNCTION pg_temp.response(message_id text, contracts text) RETURNS xml
    LANGUAGE sql IMMUTABLE AS $$
SELECT format('<dir:contractListResponse xmlns:dir="urn:otan-enbek:directory:v1">'
              '<dir:messageId>%s</dir:messageId><dir:bin>050440000012</dir:bin>%s'
              '</dir:contractListResponse>', message_id, contracts)::xml
$$;

CREATE FUNCTION pg_temp.contract(id text, iin text, hours text, start_date text,
                                 end_date text DEFAULT NULL) RETURNS text
    LANGUAGE sql IMMUTABLE AS $$
SELECT format('<dir:contract><dir:iin>%s</dir:iin><dir:contractId>%s</dir:contractId>'
              '<dir:position>Teacher</dir:position><dir:workingHours>%s</dir:workingHours>'
              '<dir:start>%s</dir:start>%s</dir:contract>',
              iin, id, hours, start_date,
              CASE WHEN end_date IS NOT NULL THEN format('<dir:end>%s</dir:end>', end_date) END)
$$;

-- Returns the error of reading a list with one contract, as
-- "SQLSTATE: detail".
CREATE FUNCTION pg_temp.list_error(contract text) RETURNS text
    LANGUAGE plpgsql AS $$
DECLARE
    state text;
    detail text;
BEGIN
    PERFORM otan_enbek.contract_list_rows(
        pg_temp.response('00000000-0000-0000-0000-000000000001', contract),
        '00000000-0000-0000-0000-000000000001');
    RETURN NULL;
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, detail = PG_EXCEPTION_DETAIL;
    RETURN state || ': ' || detail;
END
$$;

SELECT results_eq(
    $$ SELECT contract_id, iin, "position", working_hours_code, start_date, end_date
       FROM otan_enbek.contract_list_rows(
           pg_temp.response('00000000-0000-0000-0000-000000000001',
               pg_temp.contract('C-1', '810111300012', '1', '2024-01-01')
               || pg_temp.contract('C-2', '820212300023', '3', '2024-01-01', '2024-12-31')),
           '00000000-0000-0000-0000-000000000001') $$,
    $$ VALUES ('C-1', '810111300012', 'Teacher', 1::smallint, '2024-01-01'::date, NULL::date),
              ('C-2', '820212300023', 'Teacher', 3::smallint, '2024-01-01'::date,
               '2024-12-31'::date) $$,
    'a list is read in order, with open-ended and ended contracts');
SELECT is_empty(
    $$ SELECT * FROM otan_enbek.contract_list_rows(
           pg_temp.response('00000000-0000-0000-0000-000000000001', ''),
           '00000000-0000-0000-0000-000000000001') $$,
    'an employer without contracts has an empty list');
SELECT throws_ok(
    $$ SELECT * FROM otan_enbek.contract_list_rows(
           pg_temp.response('00000000-0000-0000-0000-000000000002', ''),
           '00000000-0000-0000-0000-000000000001') $$,
    '08P01', 'the contract list of Enbek is not the response to request 00000000-0000-0000-0000-000000000001',
    'a response to another request is rejected');
SELECT throws_ok(
    $$ SELECT * FROM otan_enbek.contract_list_rows(
           '<dir:directoryPushResponse xmlns:dir="urn:otan-enbek:directory:v1"><dir:messageId>00000000-0000-0000-0000-000000000001</dir:messageId></dir:directoryPushResponse>'::xml,
           '00000000-0000-0000-0000-000000000001') $$,
    '08P01', NULL, 'another kind of response is rejected');

SELECT is(pg_temp.list_error(pg_temp.contract('', '810111300012', '1', '2024-01-01')),
          '08P01: Contract 1 of the list: it has no dir:contractId.', 'a contract without id');
SELECT is(pg_temp.list_error(pg_temp.contract('C-1', '81011130001', '1', '2024-01-01')),
          '08P01: Contract 1 of the list: its dir:iin is not 12 digits.', 'an IIN of 11 digits');
SELECT is(pg_temp.list_error(pg_temp.contract('C-1', '810111300012', '6', '2024-01-01')),
          '08P01: Contract 1 of the list: its dir:workingHours is not a D_WORKING_HOURS code from 1 to 5.',
          'a working-hours code of 6');
SELECT is(pg_temp.list_error(pg_temp.contract('C-1', '810111300012', '1', '01.01.2024')),
          '08P01: Contract 1 of the list: its dir:start is not a date as YYYY-MM-DD.',
          'a start date in another format');
SELECT is(pg_temp.list_error(pg_temp.contract('C-1', '810111300012', '1', '2024-02-30')),
          '08P01: Contract 1 of the list: a date of it does not exist.', 'a day that does not exist');
SELECT is(pg_temp.list_error(pg_temp.contract('C-1', '810111300012', '1', '2024-01-01', 'never')),
          '08P01: Contract 1 of the list: its dir:end is not a date as YYYY-MM-DD.',
          'an end that is not a date');
SELECT is(pg_temp.list_error(pg_temp.contract('C-1', '810111300012', '1', '2024-01-01', '2023-12-31')),
          '08P01: Contract 1 of the list: it ends before it starts.', 'an end before the start');
SELECT is(pg_temp.list_error(pg_temp.contract('C-1', '810111300012', '1', '2024-01-01')
                             || pg_temp.contract('C-2', '810111300012', 'x', '2024-01-01')),
          '08P01: Contract 2 of the list: its dir:workingHours is not a D_WORKING_HOURS code from 1 to 5.',
          'the error names the position of the contract');

SELECT * FROM finish();
ROLLBACK;
