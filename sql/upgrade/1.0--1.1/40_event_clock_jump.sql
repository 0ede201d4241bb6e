ALTER TABLE otan_enbek.skud_event
    ADD COLUMN clock_jump_sec integer CHECK (clock_jump_sec > 0);
COMMENT ON COLUMN otan_enbek.skud_event.clock_jump_sec IS
    'Seconds by which the event''s time is before the latest earlier record of the same device and credential in its ZKTeco log or Hikvision list, when more than 60: the device''s clock was set back; NULL otherwise';
