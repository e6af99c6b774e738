-- name: audit_append_only
-- Refuses UPDATE, DELETE and TRUNCATE on audit_logs except on the owner's maintenance path.
CREATE OR REPLACE FUNCTION zzyra_audit_logs_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    -- The path: a role that is (a member of) the table's owner AND says so for this session
    -- or transaction. A setting alone is not enough, since any role may set it.
    IF coalesce(current_setting('zzyra.audit_maintenance', true), '') = 'on'
       AND pg_has_role(current_user,
                       (SELECT relowner FROM pg_class WHERE oid = TG_RELID), 'MEMBER') THEN
        IF TG_LEVEL = 'ROW' THEN
            RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
        END IF;
        RETURN NULL;
    END IF;
    RAISE EXCEPTION 'audit_logs is append-only: % refused for role %', TG_OP, current_user
        USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER audit_logs_append_only_rows BEFORE UPDATE OR DELETE ON audit_logs
    FOR EACH ROW EXECUTE FUNCTION zzyra_audit_logs_append_only();
CREATE TRIGGER audit_logs_append_only_truncate BEFORE TRUNCATE ON audit_logs
    FOR EACH STATEMENT EXECUTE FUNCTION zzyra_audit_logs_append_only();
-- Logical replication and change capture see whole old rows (there should be none to see).
ALTER TABLE audit_logs REPLICA IDENTITY FULL;

-- name: audit_insert
-- Appends one record; no RETURNING, so a record the writer may not read back still lands.
INSERT INTO audit_logs
    (created_at, action, actor_id, subject_user_id, target_type, target_id, detail)
VALUES (now(), %(action)s, %(actor_id)s, %(subject_user_id)s, %(target_type)s, %(target_id)s,
        %(detail)s)

-- name: audit_day
-- Every record of one UTC day, in the order they were written.
SELECT id, created_at, action, actor_id, subject_user_id, target_type, target_id, detail::text
FROM audit_logs
WHERE created_at >= %(day_start)s AND created_at < %(day_end)s
ORDER BY id
