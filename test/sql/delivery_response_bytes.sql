-- Responses whose bytes are not UTF-8, as a gateway's error page in CP1251
-- can be.  The worker passes the HTTP body to libxml2 as it came, but SQL
-- text in a UTF8 database cannot hold such bytes, so this test runs in a
-- SQL_ASCII database, where delivery_judge_response gets them unchanged.
-- libxml2 quotes some of the input's bytes in its error message.  Each
-- response must read as malformed, whose verdict is transient (retried),
-- and never raise an error; the problem shows those bytes as \xNN.
CREATE DATABASE otan_regress_sql_ascii TEMPLATE template0 ENCODING 'SQL_ASCII'
    LC_COLLATE 'C' LC_CTYPE 'C';
\c otan_regress_sql_ascii
SET client_min_messages = warning;
CREATE EXTENSION otan_enbek;
RESET client_min_messages;

SELECT name, v->>'verdict' AS verdict, v->'detail'->>'problem' AS problem
FROM (VALUES
    ('byte 0xff after a tag start',
     E'<\xff s'),
    ('CP1251 text in a tag name',
     E'<html><body><\xce\xf8\xe8\xe1\xea\xe0 502</body></html>'),
    ('CP1251 text in a SOAP element',
     E'<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><\xf2\xe5\xea\xf1\xf2 \xee\xf8\xe8\xe1\xea\xe8</soap:Body></soap:Envelope>')
) AS t (name, body),
LATERAL (SELECT otan_enbek.delivery_judge_response('send', 502, body,
    '22222222-2222-4222-8222-222222222222'::uuid,
    '22222222-2222-4222-8222-222222222222'::uuid) AS v) AS j;

\c otan_regress
DROP DATABASE otan_regress_sql_ascii;
