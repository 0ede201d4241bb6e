-- One timesheet version signed and queued for the delivery worker.
SELECT count(*) FROM otan_enbek.submit_timesheet(public.concurrency_new_timesheet());
