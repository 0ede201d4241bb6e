-- The text of the notifications for HR.  The period «ноябрь 2025 г.» ends
-- with the full stop of its abbreviation, which also ends the sentence.  So
-- no subject or body has two full stops in a row, for any kind, whole or in
-- parts, even when the last error ends with a full stop.
BEGIN;
SELECT plan(14);

INSERT INTO otan_enbek.organization (org_id, bin, name)
    OVERRIDING SYSTEM VALUE VALUES (9401, '050440000012', 'School No. 7');
INSERT INTO otan_enbek.timesheet (org_id, timesheet_id, month, version, status,
                                  working_days, norm_hours)
    OVERRIDING SYSTEM VALUE
    VALUES (9401, 411, '2025-11-01', 1, 'accepted', 20, 160),
           (9401, 412, '2025-11-01', 2, 'submitted', 20, 160);
-- Submission 421 is timesheet 411 sent whole, 422 and 423 the parts of 412.
INSERT INTO otan_enbek.submission
    (org_id, submission_id, timesheet_id, part_no, part_count, message_id, service_id,
     document, document_sha256, signature_value, key_fingerprint, certificate_serial,
     certificate_not_after, status, attempts, response_code, response_message)
OVERRIDING SYSTEM VALUE
VALUES (9401, 421, 411, 1, 1, gen_random_uuid(), 'OTAN_TIMESHEET_V1', '<ts:timesheetRequest/>',
        '\x00', 'sig', 'fp', '1001', '2030-01-01', 'accepted', 1, 'SCSS001', 'Accepted.'),
       (9401, 422, 412, 1, 2, gen_random_uuid(), 'OTAN_TIMESHEET_V1', '<ts:timesheetRequest/>',
        '\x00', 'sig', 'fp', '1001', '2030-01-01', 'sent', 2, NULL, 'Service unavailable.'),
       (9401, 423, 412, 2, 2, gen_random_uuid(), 'OTAN_TIMESHEET_V1', '<ts:timesheetRequest/>',
        '\x00', 'sig', 'fp', '1001', '2030-01-01', 'sent', 2, 'SCSE012', 'Rejected.');

-- Every kind for the whole timesheet and for a part.
SELECT is(count(otan_enbek.delivery_notify(9401, s.submission_id, k.kind, 3)), 8::bigint,
          'eight notifications')
FROM (VALUES (421), (422)) AS s (submission_id),
     (VALUES ('submission_accepted'), ('submission_returned'), ('submission_failed'),
             ('submission_status_unknown')) AS k (kind);
SELECT is(array_agg(n.kind || ' ' || n.submission_id ORDER BY n.notification_id), NULL,
          'no subject has two full stops in a row')
FROM otan_enbek.notification AS n
WHERE n.org_id = 9401 AND n.subject LIKE '%..%';
SELECT is(array_agg(n.kind || ' ' || n.submission_id ORDER BY n.notification_id), NULL,
          'no body has two full stops in a row')
FROM otan_enbek.notification AS n
WHERE n.org_id = 9401 AND n.body LIKE '%..%';
SELECT is(array_agg(n.kind || ' ' || n.submission_id ORDER BY n.notification_id), NULL,
          'every body ends with one full stop')
FROM otan_enbek.notification AS n
WHERE n.org_id = 9401 AND n.body !~ '[^.]\.$';

-- The whole texts of the timesheet sent whole.
SELECT is((SELECT body FROM otan_enbek.notification
           WHERE submission_id = 421 AND kind = 'submission_accepted'),
          'Enbek принял табель № 411 (версия 1) организации «School No. 7» (БИН 050440000012) '
          'за ноябрь 2025 г. Отправка № 421.',
          'body of an acceptance');
SELECT is((SELECT body FROM otan_enbek.notification
           WHERE submission_id = 421 AND kind = 'submission_returned'),
          'Enbek вернул табель № 411 (версия 1) организации «School No. 7» (БИН 050440000012) '
          'за ноябрь 2025 г. Коды причин и их число: SCSS001. '
          'Причины по сотрудникам: таблица otan_enbek.submission_reason, отправка № 421. '
          'Исправьте данные и отправьте новую версию табеля.',
          'body of a return');
SELECT is((SELECT body FROM otan_enbek.notification
           WHERE submission_id = 421 AND kind = 'submission_failed'),
          'Табель № 411 (версия 1) организации «School No. 7» (БИН 050440000012) '
          'за ноябрь 2025 г. не доставлен в Enbek, попыток отправки: 1. '
          'Последняя ошибка: SCSS001 Accepted. Отправка № 421. '
          'Проверьте настройки otan_enbek (enbek_url, sender_id, ca_file) и отправьте табель заново.',
          'body of a failure: the full stop of the error is not doubled');
SELECT is((SELECT subject FROM otan_enbek.notification
           WHERE submission_id = 421 AND kind = 'submission_accepted'),
          'Табель за ноябрь 2025 г. принят Enbek', 'subject of an acceptance');

-- The texts of a part.
SELECT is((SELECT body FROM otan_enbek.notification
           WHERE submission_id = 422 AND kind = 'submission_accepted'),
          'Enbek принял часть 1 из 2 табеля № 412 (версия 2) организации «School No. 7» '
          '(БИН 050440000012) за ноябрь 2025 г. Отправка № 422. '
          'Статус табеля: ожидаются ответы по другим частям; принято частей: 0 из 2.',
          'body of an accepted part');
SELECT alike((SELECT body FROM otan_enbek.notification
              WHERE submission_id = 422 AND kind = 'submission_failed'),
             '%за ноябрь 2025 г. не доставлена в Enbek, попыток отправки: 2. '
             'Последняя ошибка: Service unavailable. Отправка № 422.%',
             'body of a failed part');
SELECT alike((SELECT body FROM otan_enbek.notification
              WHERE submission_id = 422 AND kind = 'submission_returned'),
             '%за ноябрь 2025 г. Коды причин и их число:%',
             'body of a returned part');
SELECT alike((SELECT body FROM otan_enbek.notification
              WHERE submission_id = 422 AND kind = 'submission_status_unknown'),
             '%за ноябрь 2025 г. Результат проверки пока узнать не удаётся.%',
             'body of a part whose outcome is unknown');
SELECT is((SELECT subject FROM otan_enbek.notification
           WHERE submission_id = 422 AND kind = 'submission_returned'),
          'Часть 1 из 2 табеля за ноябрь 2025 г. возвращена Enbek на доработку',
          'subject of a returned part');
SELECT is((SELECT subject FROM otan_enbek.notification
           WHERE submission_id = 422 AND kind = 'submission_status_unknown'),
          'Результат проверки части 1 из 2 табеля за ноябрь 2025 г. в Enbek пока неизвестен',
          'subject of a part whose outcome is unknown');

SELECT * FROM finish();
ROLLBACK;
