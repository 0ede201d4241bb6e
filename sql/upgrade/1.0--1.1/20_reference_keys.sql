-- organization and work_schedule refer to each other, and department refers
-- to itself, so pg_dump cannot order their rows.  These checks wait for the
-- end of the transaction, so that a restore in one transaction loads them.

ALTER TABLE otan_enbek.organization
    ALTER CONSTRAINT organization_org_id_default_schedule_id_fkey
    DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE otan_enbek.department
    ALTER CONSTRAINT department_org_id_parent_id_fkey
    DEFERRABLE INITIALLY DEFERRED;
