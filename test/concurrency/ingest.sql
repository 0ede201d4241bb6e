-- One ingest of 50 punches drawn from a pool of 134,400 (100 credentials,
-- 28 days, 48 half hours of November 2025), so that sessions often send
-- the same punch at the same time.
SELECT inserted_count FROM otan_enbek.ingest(1, 'csv',
    'occurred_at,credential,direction' || chr(10) ||
    (SELECT string_agg(format('2025-11-%s %s,%s,%s',
                              lpad(p.day::text, 2, '0'),
                              to_char(time '00:00' + p.slot * interval '30 minutes', 'HH24:MI:SS'),
                              p.credential,
                              CASE WHEN p.slot % 2 = 0 THEN 'in' ELSE 'out' END),
                       chr(10))
     FROM (SELECT 1 + floor(random() * 28)::integer AS day,
                  floor(random() * 48)::integer AS slot,
                  1 + floor(random() * 100)::integer AS credential
           FROM generate_series(1, 50)) AS p));
