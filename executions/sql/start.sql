-- name: execution_insert
-- A new pending execution. With an idempotency key this owner already used, nothing: the
-- caller returns the first execution (ON CONFLICT waits for a racing start to commit).
INSERT INTO workflow_executions
    (id, owner_id, workflow_id, version_id, status, input, error, trigger, idempotency_key,
     created_at)
VALUES (%(execution_id)s, %(owner_id)s, %(workflow_id)s, %(version_id)s, 'pending', %(input)s, '',
        %(trigger)s, %(idempotency_key)s, now())
ON CONFLICT (owner_id, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
RETURNING created_at

-- name: execution_nodes_insert
-- The execution's node rows, roots ready now, and its first log line, in one statement.
WITH nodes AS (
    INSERT INTO node_executions
        (execution_id, node_id, node_type, queue, status, attempt, retry_count, max_attempts,
         join_mode, unfinished_parents, fired_parents, next_attempt_at, updated_at, error,
         worker, stale_after_seconds)
    SELECT %(execution_id)s, v.node_id, v.node_type, v.queue,
           CASE WHEN v.parents = 0 THEN 'ready' ELSE 'pending' END, 1, 0, v.max_attempts,
           v.join_mode, v.parents, 0, CASE WHEN v.parents = 0 THEN now() END, now(), '', '',
           v.stale_after_seconds
    FROM unnest(%(node_ids)s::text[], %(node_types)s::text[], %(queues)s::text[],
                %(max_attempts)s::int[], %(join_modes)s::text[], %(parents)s::int[],
                %(stale_after_seconds)s::int[])
         AS v(node_id, node_type, queue, max_attempts, join_mode, parents, stale_after_seconds)
)
INSERT INTO execution_logs (execution_id, created_at, level, event, message)
VALUES (%(execution_id)s, now(), 'info', 'execution_started', %(message)s)
