-- One attendance refresh of the whole month.
SELECT otan_enbek.compute_attendance(1, '2025-11-01', '2025-11-30');
