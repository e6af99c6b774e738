-- Row-level security for the pause ledger (see database/sql/rls.sql for the model): the owner
-- of the execution sees and changes its pauses and events; a listed approver (a user id, or a
-- group the acting user belongs to) reads the approvals that name them; staff read all; the
-- maintenance role reads pauses for the pause scan. Writes always act as the owner.

-- name: rls_pause_tables
-- Policies on workflow_pauses and external_events (dropped first, so a later migration can run
-- this block again to change them, as database/sql/rls.sql's blocks do).
SELECT zzyra_policies_drop(ARRAY['workflow_pauses', 'external_events']);
ALTER TABLE workflow_pauses ENABLE ROW LEVEL SECURITY;
ALTER TABLE workflow_pauses FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON workflow_pauses TO zzyra_app
    USING (owner_id = (SELECT zzyra_acting_user_id()))
    WITH CHECK (owner_id = (SELECT zzyra_acting_user_id()));
CREATE POLICY approver_read ON workflow_pauses FOR SELECT TO zzyra_app
    USING (kind = 'approval' AND (
        approvers -> 'users' @> to_jsonb((SELECT zzyra_acting_user_id()))
        OR EXISTS (SELECT 1 FROM auth_user_groups ug JOIN auth_group g ON g.id = ug.group_id
                   WHERE ug.user_id = (SELECT zzyra_acting_user_id())
                     AND approvers -> 'groups' ? g.name)));
CREATE POLICY operator_read ON workflow_pauses FOR SELECT TO zzyra_app
    USING ((SELECT zzyra_acting_user_is_staff()));
CREATE POLICY maintenance_read ON workflow_pauses FOR SELECT TO zzyra_maintenance
    USING (true);
GRANT SELECT ON workflow_pauses TO zzyra_maintenance;

ALTER TABLE external_events ENABLE ROW LEVEL SECURITY;
ALTER TABLE external_events FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON external_events TO zzyra_app
    USING (owner_id = (SELECT zzyra_acting_user_id()))
    WITH CHECK (owner_id = (SELECT zzyra_acting_user_id()));
CREATE POLICY operator_read ON external_events FOR SELECT TO zzyra_app
    USING ((SELECT zzyra_acting_user_is_staff()));
