-- Loads the generated events into otan_enbek.skud_event the way an ingest
-- of known credentials stores them: with the employee already resolved.
INSERT INTO otan_enbek.skud_event (org_id, event_id, occurred_at, source_id, external_id,
        device, credential_kind, credential, employee_id, direction)
SELECT 1, e.event_id, e.occurred_at, 1, e.event_id::text, e.device_id::text, 'card',
       e.card_no, c.employee_id, e.direction
FROM bench_event e
LEFT JOIN otan_enbek.credential c
       ON c.org_id = 1 AND c.kind = 'card' AND c.value = e.card_no;
