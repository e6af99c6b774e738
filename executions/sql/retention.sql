-- Retention of execution payloads. The function is SECURITY DEFINER (owned by the migrating
-- owner role) so the maintenance role can prune every tenant's old payloads without owning
-- or being granted the tables.

-- name: payloads_prune_function
-- zzyra_execution_payloads_prune: finished executions completed before `cutoff` keep their
-- record (statuses, attempts, timings, errors, logs until their own retention) but lose their
-- payloads: node inputs and outputs are deleted, the execution's input and output cleared.
CREATE OR REPLACE FUNCTION zzyra_execution_payloads_prune(cutoff timestamptz, batch integer)
RETURNS integer LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    pruned integer;
BEGIN
    CREATE TEMP TABLE IF NOT EXISTS zzyra_pruning (id uuid PRIMARY KEY) ON COMMIT DROP;
    TRUNCATE zzyra_pruning;
    INSERT INTO zzyra_pruning
        SELECT id FROM workflow_executions
        WHERE status IN ('succeeded', 'failed', 'cancelled') AND completed_at < cutoff
          AND payloads_pruned_at IS NULL
        ORDER BY completed_at
        LIMIT batch
        FOR UPDATE SKIP LOCKED;
    DELETE FROM node_inputs i USING node_executions n, zzyra_pruning p
        WHERE i.node_execution_id = n.id AND n.execution_id = p.id;
    DELETE FROM node_outputs o USING node_executions n, zzyra_pruning p
        WHERE o.node_execution_id = n.id AND n.execution_id = p.id;
    UPDATE workflow_executions e
        SET input = '{}'::jsonb, output = NULL, payloads_pruned_at = now()
        FROM zzyra_pruning p WHERE e.id = p.id;
    GET DIAGNOSTICS pruned = ROW_COUNT;
    RETURN pruned;
END $$;
REVOKE ALL ON FUNCTION zzyra_execution_payloads_prune(timestamptz, integer) FROM PUBLIC;
DO $$ BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'zzyra_maintenance') THEN
        GRANT EXECUTE ON FUNCTION zzyra_execution_payloads_prune(timestamptz, integer)
            TO zzyra_maintenance;
    END IF;
END $$;

-- name: payloads_prune
-- One batch of pruning; returns how many executions lost their payloads.
SELECT zzyra_execution_payloads_prune(%(cutoff)s, %(batch)s)
