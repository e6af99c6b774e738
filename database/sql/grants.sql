-- Grants to the application and maintenance roles (run by the owner in a migration).

-- name: grants
-- The application role may read and write rows (RLS decides which); the maintenance role
-- only what the relay, the sweeper's search, the heartbeat, partition upkeep and the audit
-- export touch (the sweeper's take-back itself runs as the execution's owner).
GRANT USAGE ON SCHEMA public TO zzyra_app, zzyra_maintenance;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO zzyra_app;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO zzyra_app;
-- Tables added by later migrations get the same grants, and must get policies too (the
-- catalog test fails on a table without forced row-level security).
ALTER DEFAULT PRIVILEGES IN SCHEMA public
    GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO zzyra_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO zzyra_app;
-- The audit trail is append-only for everyone but the owner's maintenance path.
REVOKE UPDATE, DELETE, TRUNCATE ON audit_logs FROM zzyra_app;
GRANT SELECT, UPDATE ON node_executions TO zzyra_maintenance;
GRANT SELECT ON workflow_executions, audit_logs TO zzyra_maintenance;
GRANT EXECUTE ON FUNCTION zzyra_log_partitions_ensure(integer),
                          zzyra_log_partitions_drop_before(timestamptz) TO zzyra_maintenance;
