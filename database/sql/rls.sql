-- Row-level security: every table holding tenant or user data has RLS enabled AND forced, and
-- explicit policies per role. No policy means no row. The acting user is
-- current_setting('zzyra.user_id'), set per transaction (database/acting.py); operators are
-- staff users and get explicit read policies, never a bypass.
-- Helpers are called as scalar subqueries, `(SELECT zzyra_acting_user_id())`, so they are
-- evaluated once per statement (an InitPlan) rather than once per row. Ownership through a
-- parent row is a correlated scalar subquery on the parent's primary key: one index probe per
-- row. (An EXISTS there let the planner hash every row the user owns, once per statement, a
-- cost that grows with the user's history; a scalar subquery cannot be planned that way.)
-- Each policy block first drops the policies of its tables, so a later migration can run it
-- again to change them.

-- name: rls_functions
-- Helpers the policies share; the SECURITY DEFINER ones read past RLS for one narrow fact.
CREATE OR REPLACE FUNCTION zzyra_acting_user_id() RETURNS bigint
LANGUAGE sql STABLE AS $$
    SELECT nullif(current_setting('zzyra.user_id', true), '')::bigint
$$;
-- Whether the acting user is active staff. A definer function, so a policy on auth_user can
-- ask without recursing into auth_user's own policies.
CREATE OR REPLACE FUNCTION zzyra_acting_user_is_staff() RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT coalesce(
        (SELECT is_staff AND is_active FROM auth_user WHERE id = zzyra_acting_user_id()), false)
$$;
-- Whose execution this is: a worker acts as the owner of the execution its message names.
-- PL/pgSQL, not SQL: it keeps its query plan for the session, where a SQL function that cannot
-- be inlined (a definer's) plans its query again on every call, twice per node run.
CREATE OR REPLACE FUNCTION zzyra_execution_owner(execution uuid) RETURNS bigint
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    RETURN (SELECT owner_id FROM workflow_executions WHERE id = execution);
END $$;
-- Drops every policy on the given tables (the blocks below then create them again).
CREATE OR REPLACE FUNCTION zzyra_policies_drop(tables text[]) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE policy record;
BEGIN
    FOR policy IN SELECT policyname, tablename FROM pg_policies
                  WHERE schemaname = 'public' AND tablename = ANY(tables) LOOP
        EXECUTE format('DROP POLICY %I ON %I', policy.policyname, policy.tablename);
    END LOOP;
END $$;
REVOKE ALL ON FUNCTION zzyra_policies_drop(text[]) FROM PUBLIC;
REVOKE ALL ON FUNCTION zzyra_acting_user_is_staff(), zzyra_execution_owner(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION zzyra_acting_user_is_staff(), zzyra_execution_owner(uuid)
    TO zzyra_app, zzyra_maintenance;

-- name: rls_engine_tables
-- Workflows, versions, executions, nodes, inputs, outputs and logs: the owner's rows only.
SELECT zzyra_policies_drop(ARRAY['workflows', 'workflow_versions', 'workflow_executions',
    'node_executions', 'node_inputs', 'node_outputs', 'execution_logs', 'node_logs']);
ALTER TABLE workflows ENABLE ROW LEVEL SECURITY;
ALTER TABLE workflows FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON workflows TO zzyra_app
    USING (owner_id = (SELECT zzyra_acting_user_id()))
    WITH CHECK (owner_id = (SELECT zzyra_acting_user_id()));
CREATE POLICY operator_read ON workflows FOR SELECT TO zzyra_app
    USING ((SELECT zzyra_acting_user_is_staff()));

ALTER TABLE workflow_versions ENABLE ROW LEVEL SECURITY;
ALTER TABLE workflow_versions FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON workflow_versions TO zzyra_app
    USING ((SELECT w.owner_id FROM workflows w WHERE w.id = workflow_id)
           = (SELECT zzyra_acting_user_id()))
    WITH CHECK ((SELECT w.owner_id FROM workflows w WHERE w.id = workflow_id)
                = (SELECT zzyra_acting_user_id()));
CREATE POLICY operator_read ON workflow_versions FOR SELECT TO zzyra_app
    USING ((SELECT zzyra_acting_user_is_staff()));

ALTER TABLE workflow_executions ENABLE ROW LEVEL SECURITY;
ALTER TABLE workflow_executions FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON workflow_executions TO zzyra_app
    USING (owner_id = (SELECT zzyra_acting_user_id()))
    WITH CHECK (owner_id = (SELECT zzyra_acting_user_id()));
CREATE POLICY operator_read ON workflow_executions FOR SELECT TO zzyra_app
    USING ((SELECT zzyra_acting_user_is_staff()));
CREATE POLICY maintenance_read ON workflow_executions FOR SELECT TO zzyra_maintenance
    USING (true);

ALTER TABLE node_executions ENABLE ROW LEVEL SECURITY;
ALTER TABLE node_executions FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON node_executions TO zzyra_app
    USING ((SELECT e.owner_id FROM workflow_executions e WHERE e.id = execution_id)
           = (SELECT zzyra_acting_user_id()))
    WITH CHECK ((SELECT e.owner_id FROM workflow_executions e WHERE e.id = execution_id)
                = (SELECT zzyra_acting_user_id()));
CREATE POLICY operator_read ON node_executions FOR SELECT TO zzyra_app
    USING ((SELECT zzyra_acting_user_is_staff()));
CREATE POLICY maintenance_read ON node_executions FOR SELECT TO zzyra_maintenance
    USING (true);
CREATE POLICY maintenance_update ON node_executions FOR UPDATE TO zzyra_maintenance
    USING (true) WITH CHECK (true);

ALTER TABLE node_inputs ENABLE ROW LEVEL SECURITY;
ALTER TABLE node_inputs FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON node_inputs TO zzyra_app
    USING ((SELECT e.owner_id FROM node_executions n
            JOIN workflow_executions e ON e.id = n.execution_id WHERE n.id = node_execution_id)
           = (SELECT zzyra_acting_user_id()))
    WITH CHECK ((SELECT e.owner_id FROM node_executions n
                 JOIN workflow_executions e ON e.id = n.execution_id
                 WHERE n.id = node_execution_id)
                = (SELECT zzyra_acting_user_id()));
CREATE POLICY operator_read ON node_inputs FOR SELECT TO zzyra_app
    USING ((SELECT zzyra_acting_user_is_staff()));

ALTER TABLE node_outputs ENABLE ROW LEVEL SECURITY;
ALTER TABLE node_outputs FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON node_outputs TO zzyra_app
    USING ((SELECT e.owner_id FROM node_executions n
            JOIN workflow_executions e ON e.id = n.execution_id WHERE n.id = node_execution_id)
           = (SELECT zzyra_acting_user_id()))
    WITH CHECK ((SELECT e.owner_id FROM node_executions n
                 JOIN workflow_executions e ON e.id = n.execution_id
                 WHERE n.id = node_execution_id)
                = (SELECT zzyra_acting_user_id()));
CREATE POLICY operator_read ON node_outputs FOR SELECT TO zzyra_app
    USING ((SELECT zzyra_acting_user_is_staff()));

ALTER TABLE execution_logs ENABLE ROW LEVEL SECURITY;
ALTER TABLE execution_logs FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON execution_logs TO zzyra_app
    USING ((SELECT e.owner_id FROM workflow_executions e WHERE e.id = execution_id)
           = (SELECT zzyra_acting_user_id()))
    WITH CHECK ((SELECT e.owner_id FROM workflow_executions e WHERE e.id = execution_id)
                = (SELECT zzyra_acting_user_id()));
CREATE POLICY operator_read ON execution_logs FOR SELECT TO zzyra_app
    USING ((SELECT zzyra_acting_user_is_staff()));

ALTER TABLE node_logs ENABLE ROW LEVEL SECURITY;
ALTER TABLE node_logs FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON node_logs TO zzyra_app
    USING ((SELECT e.owner_id FROM workflow_executions e WHERE e.id = execution_id)
           = (SELECT zzyra_acting_user_id()))
    WITH CHECK ((SELECT e.owner_id FROM workflow_executions e WHERE e.id = execution_id)
                = (SELECT zzyra_acting_user_id()));
CREATE POLICY operator_read ON node_logs FOR SELECT TO zzyra_app
    USING ((SELECT zzyra_acting_user_is_staff()));
-- Partitions are tables of their own: forced RLS without a policy hides them from direct use.
DO $$
DECLARE partition text;
BEGIN
    FOR partition IN
        SELECT child.relname FROM pg_inherits
        JOIN pg_class child ON child.oid = inhrelid JOIN pg_class parent ON parent.oid = inhparent
        WHERE parent.relname IN ('execution_logs', 'node_logs')
    LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', partition);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', partition);
    END LOOP;
END $$;

-- name: rls_audit_table
-- Users read the records about them; anyone may append a record of their own (or anonymous).
SELECT zzyra_policies_drop(ARRAY['audit_logs']);
ALTER TABLE audit_logs ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit_logs FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_read ON audit_logs FOR SELECT TO zzyra_app
    USING (actor_id = (SELECT zzyra_acting_user_id())
           OR subject_user_id = (SELECT zzyra_acting_user_id()));
CREATE POLICY tenant_append ON audit_logs FOR INSERT TO zzyra_app
    WITH CHECK (actor_id IS NULL OR actor_id = (SELECT zzyra_acting_user_id()));
CREATE POLICY operator_read ON audit_logs FOR SELECT TO zzyra_app
    USING ((SELECT zzyra_acting_user_is_staff()));
CREATE POLICY maintenance_read ON audit_logs FOR SELECT TO zzyra_maintenance USING (true);

-- name: rls_django_tables
-- Django's tables with user data: users, their groups and permissions, tokens, sessions and
-- the admin log. Before anyone is authenticated, a transaction may see only the one row
-- whose credential the client presented (database/acting.py lookup_hint_set).
SELECT zzyra_policies_drop(ARRAY['auth_user', 'auth_user_groups', 'auth_user_user_permissions',
    'authtoken_token', 'django_session', 'django_admin_log']);
ALTER TABLE auth_user ENABLE ROW LEVEL SECURITY;
ALTER TABLE auth_user FORCE ROW LEVEL SECURITY;
CREATE POLICY self ON auth_user TO zzyra_app
    USING (id = (SELECT zzyra_acting_user_id()))
    WITH CHECK (id = (SELECT zzyra_acting_user_id()));
CREATE POLICY login_lookup ON auth_user FOR SELECT TO zzyra_app
    USING (username = current_setting('zzyra.login_username', true));
CREATE POLICY signup ON auth_user FOR INSERT TO zzyra_app
    WITH CHECK (username = current_setting('zzyra.login_username', true));
CREATE POLICY token_lookup ON auth_user FOR SELECT TO zzyra_app
    USING (id IN (SELECT user_id FROM authtoken_token
                  WHERE key = current_setting('zzyra.token_key', true)));
CREATE POLICY operator ON auth_user TO zzyra_app
    USING ((SELECT zzyra_acting_user_is_staff()))
    WITH CHECK ((SELECT zzyra_acting_user_is_staff()));

ALTER TABLE auth_user_groups ENABLE ROW LEVEL SECURITY;
ALTER TABLE auth_user_groups FORCE ROW LEVEL SECURITY;
CREATE POLICY self_read ON auth_user_groups FOR SELECT TO zzyra_app
    USING (user_id = (SELECT zzyra_acting_user_id()));
CREATE POLICY operator ON auth_user_groups TO zzyra_app
    USING ((SELECT zzyra_acting_user_is_staff()))
    WITH CHECK ((SELECT zzyra_acting_user_is_staff()));

ALTER TABLE auth_user_user_permissions ENABLE ROW LEVEL SECURITY;
ALTER TABLE auth_user_user_permissions FORCE ROW LEVEL SECURITY;
CREATE POLICY self_read ON auth_user_user_permissions FOR SELECT TO zzyra_app
    USING (user_id = (SELECT zzyra_acting_user_id()));
CREATE POLICY operator ON auth_user_user_permissions TO zzyra_app
    USING ((SELECT zzyra_acting_user_is_staff()))
    WITH CHECK ((SELECT zzyra_acting_user_is_staff()));

ALTER TABLE authtoken_token ENABLE ROW LEVEL SECURITY;
ALTER TABLE authtoken_token FORCE ROW LEVEL SECURITY;
CREATE POLICY self ON authtoken_token TO zzyra_app
    USING (user_id = (SELECT zzyra_acting_user_id()))
    WITH CHECK (user_id = (SELECT zzyra_acting_user_id()));
CREATE POLICY token_lookup ON authtoken_token FOR SELECT TO zzyra_app
    USING (key = current_setting('zzyra.token_key', true));
CREATE POLICY operator_read ON authtoken_token FOR SELECT TO zzyra_app
    USING ((SELECT zzyra_acting_user_is_staff()));

ALTER TABLE django_session ENABLE ROW LEVEL SECURITY;
ALTER TABLE django_session FORCE ROW LEVEL SECURITY;
CREATE POLICY own_session ON django_session TO zzyra_app
    USING (session_key = current_setting('zzyra.session_key', true))
    WITH CHECK (session_key = current_setting('zzyra.session_key', true));

ALTER TABLE django_admin_log ENABLE ROW LEVEL SECURITY;
ALTER TABLE django_admin_log FORCE ROW LEVEL SECURITY;
CREATE POLICY operator ON django_admin_log TO zzyra_app
    USING ((SELECT zzyra_acting_user_is_staff()))
    WITH CHECK ((SELECT zzyra_acting_user_is_staff())
                AND user_id = (SELECT zzyra_acting_user_id()));
