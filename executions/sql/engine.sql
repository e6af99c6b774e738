-- A node's start and end and an execution's end are clock_timestamp(), not now(): several
-- nodes may run in one transaction (pure nodes), and now() is the same for all its statements.

-- name: execution_lock
-- Serialises the transitions of one execution, so exactly one of them sees "nothing left".
SELECT status, error, cancel_requested_at IS NOT NULL FROM workflow_executions
WHERE id = %(execution_id)s FOR UPDATE

-- name: execution_mark_running
-- The first claimed node starts the execution: at the start of the transaction that claimed
-- it (now()), so never after that node's own started_at.
UPDATE workflow_executions SET status = 'running', started_at = now()
WHERE id = %(execution_id)s AND status = 'pending'

-- name: node_claim
-- Claims one attempt of a ready node; a duplicate or stale message matches nothing.
UPDATE node_executions
SET status = 'running', started_at = clock_timestamp(), heartbeat_at = now(), updated_at = now(),
    worker = %(worker)s
-- The row by its key first: otherwise a generic plan may AND the key with the node_ready_due
-- index, which then reads every ready node in the ledger, so claims slow down as a backlog grows.
WHERE id = (SELECT n.id FROM node_executions n
            WHERE n.execution_id = %(execution_id)s AND n.node_id = %(node_id)s)
  AND attempt = %(attempt)s AND status = 'ready' AND next_attempt_at <= now()
  -- An execution an operator paused starts nothing; its ready nodes are published on resume.
  AND NOT EXISTS (SELECT 1 FROM workflow_executions e WHERE e.id = execution_id AND e.status = 'paused')
-- (jsonb comes back as text through Django's connection; json is parsed by psycopg)
RETURNING id, (SELECT e.input::json FROM workflow_executions e WHERE e.id = execution_id),
          (SELECT e.version_id FROM workflow_executions e WHERE e.id = execution_id)

-- name: node_state
-- Where a node stands, to tell an early message from a stale one.
SELECT status, attempt, next_attempt_at, queue FROM node_executions
WHERE execution_id = %(execution_id)s AND node_id = %(node_id)s

-- name: node_outputs
-- The recorded outputs of some nodes of one execution.
SELECT n.node_id, o.output::json
FROM node_executions n JOIN node_outputs o ON o.node_execution_id = n.id
WHERE n.execution_id = %(execution_id)s AND n.node_id = ANY(%(node_ids)s)

-- name: node_input_insert
-- Records what one attempt runs with.
INSERT INTO node_inputs (node_execution_id, attempt, config, parents, created_at)
VALUES (%(node_execution_id)s, %(attempt)s, %(config)s, %(parents)s, now())
ON CONFLICT (node_execution_id, attempt) DO NOTHING

-- name: node_mark_succeeded
-- Finishes a running attempt; a late result from an older attempt matches nothing.
UPDATE node_executions
SET status = 'succeeded', completed_at = clock_timestamp(), updated_at = now(), error = '',
    duration_ms = (extract(epoch FROM clock_timestamp() - started_at) * 1000)::bigint
WHERE id = %(node_execution_id)s AND status = 'running' AND attempt = %(attempt)s
RETURNING id

-- name: node_output_insert
-- Stores the one output of a node.
INSERT INTO node_outputs (node_execution_id, attempt, output, created_at)
VALUES (%(node_execution_id)s, %(attempt)s, %(output)s, now())

-- name: node_mark_failed
-- Fails a running attempt for good.
UPDATE node_executions
SET status = 'failed', completed_at = clock_timestamp(), updated_at = now(), error = %(error)s,
    duration_ms = (extract(epoch FROM clock_timestamp() - started_at) * 1000)::bigint
WHERE id = %(node_execution_id)s AND status = 'running' AND attempt = %(attempt)s
RETURNING id

-- name: node_mark_retrying
-- Hands a failed attempt back as the next attempt, due at next_attempt_at.
UPDATE node_executions
SET status = 'ready', attempt = attempt + 1, retry_count = retry_count + 1,
    next_attempt_at = %(next_attempt_at)s, relayed_at = NULL, updated_at = now(),
    error = %(error)s, worker = ''
WHERE id = %(node_execution_id)s AND status = 'running' AND attempt = %(attempt)s
RETURNING attempt

-- name: children_count_parent
-- One parent of each child is done; fired says whether its edge fired.
UPDATE node_executions c
SET unfinished_parents = c.unfinished_parents - 1, fired_parents = c.fired_parents + v.fired
FROM unnest(%(node_ids)s::text[], %(fired)s::int[]) AS v(node_id, fired)
WHERE c.execution_id = %(execution_id)s AND c.node_id = v.node_id AND c.status = 'pending'
RETURNING c.node_id, c.unfinished_parents, c.fired_parents, c.join_mode

-- name: nodes_mark_ready
-- Children whose join is satisfied become ready now.
UPDATE node_executions
SET status = 'ready', next_attempt_at = now(), updated_at = now()
WHERE execution_id = %(execution_id)s AND node_id = ANY(%(node_ids)s) AND status = 'pending'
RETURNING node_id, attempt, queue

-- name: nodes_mark_skipped
-- Children reachable only through branches that did not fire.
UPDATE node_executions
SET status = 'skipped', completed_at = now(), updated_at = now()
WHERE execution_id = %(execution_id)s AND node_id = ANY(%(node_ids)s) AND status = 'pending'

-- name: nodes_cancel_waiting
-- Nothing new starts (and no pause waits) in a failed or cancelled execution.
UPDATE node_executions
SET status = 'cancelled', completed_at = now(), updated_at = now()
WHERE execution_id = %(execution_id)s AND status IN ('pending', 'ready', 'paused')
  AND (%(node_ids)s::text[] IS NULL OR node_id = ANY(%(node_ids)s))

-- name: execution_record_failure
-- The first failure names the execution's error; later ones keep it.
UPDATE workflow_executions SET error = %(error)s WHERE id = %(execution_id)s AND error = ''

-- name: execution_progress
-- How many nodes are still to run or waiting on a pause, and whether any failed.
SELECT count(*) FILTER (WHERE status IN ('pending', 'ready', 'running', 'paused')),
       count(*) FILTER (WHERE status = 'failed')
FROM node_executions WHERE execution_id = %(execution_id)s

-- name: execution_finalize
-- Ends the execution once nothing is left to run.
UPDATE workflow_executions
SET status = %(status)s, output = %(output)s, completed_at = clock_timestamp(),
    started_at = coalesce(started_at, clock_timestamp()),
    duration_ms = (extract(epoch FROM clock_timestamp() - coalesce(started_at, created_at)) * 1000)::bigint
WHERE id = %(execution_id)s AND status IN ('running', 'paused')
RETURNING duration_ms

-- name: execution_finalize_cancelled
-- Ends a cancelled execution once its running nodes have stopped.
UPDATE workflow_executions
SET status = 'cancelled', completed_at = clock_timestamp(), started_at = coalesce(started_at, clock_timestamp()),
    duration_ms = (extract(epoch FROM clock_timestamp() - coalesce(started_at, created_at)) * 1000)::bigint
WHERE id = %(execution_id)s AND status IN ('pending', 'running', 'paused')
RETURNING duration_ms

-- name: nodes_relay_take
-- Ready nodes due for a while and not relayed lately: their message may never have gone out
-- (a crash after commit, the broker down) or may have been lost. Stamped as they are taken,
-- so each is relayed at most once per period; SKIP LOCKED lets concurrent relays share.
UPDATE node_executions n SET relayed_at = now()
FROM (
    SELECT id FROM node_executions
    WHERE status = 'ready'
      AND next_attempt_at < now() - make_interval(secs => %(grace_seconds)s)
      AND (relayed_at IS NULL OR relayed_at < now() - make_interval(secs => %(period_seconds)s))
      -- An operator's hold starts nothing; its ready nodes are published on resume.
      AND NOT EXISTS (
          SELECT 1 FROM workflow_executions e WHERE e.id = execution_id AND e.status = 'paused'
      )
    ORDER BY next_attempt_at
    LIMIT %(limit)s
    FOR UPDATE SKIP LOCKED
) due
WHERE n.id = due.id
RETURNING n.execution_id, n.node_id, n.attempt, n.queue, n.next_attempt_at

-- name: nodes_relay_release
-- Runs the relay could not hand to the broker: taken again on the next pass.
UPDATE node_executions n SET relayed_at = NULL
FROM unnest(%(execution_ids)s::uuid[], %(node_ids)s::text[], %(attempts)s::int[])
     AS v(execution_id, node_id, attempt)
WHERE n.execution_id = v.execution_id AND n.node_id = v.node_id AND n.attempt = v.attempt
  AND n.status = 'ready'

-- name: nodes_heartbeat
-- One UPDATE per worker process refreshes every node it is running.
UPDATE node_executions SET heartbeat_at = now()
WHERE id = ANY(%(node_execution_ids)s) AND status = 'running'

-- name: nodes_cancel_requested
-- Which of these running nodes belong to an execution that was cancelled.
SELECT n.id FROM node_executions n JOIN workflow_executions e ON e.id = n.execution_id
WHERE n.id = ANY(%(node_execution_ids)s) AND e.cancel_requested_at IS NOT NULL

-- name: nodes_stale
-- Running nodes whose worker stopped heartbeating; SKIP LOCKED lets two sweepers share work.
SELECT id, execution_id, node_id, attempt, max_attempts, queue, heartbeat_at
FROM node_executions
WHERE status = 'running' AND heartbeat_at < now() - make_interval(secs => stale_after_seconds)
ORDER BY heartbeat_at
LIMIT %(limit)s
FOR UPDATE SKIP LOCKED

-- name: node_take_back
-- The sweeper hands a lost attempt back as the next attempt, due now.
UPDATE node_executions
SET status = 'ready', attempt = attempt + 1, retry_count = retry_count + 1,
    next_attempt_at = now(), relayed_at = NULL, updated_at = now(),
    error = %(error)s, worker = ''
WHERE id = %(node_execution_id)s AND status = 'running' AND attempt = %(attempt)s
RETURNING attempt

-- name: node_mark_cancelled
-- A running attempt aborted because its execution was cancelled.
UPDATE node_executions
SET status = 'cancelled', completed_at = clock_timestamp(), updated_at = now(), error = %(error)s,
    duration_ms = (extract(epoch FROM clock_timestamp() - started_at) * 1000)::bigint
WHERE id = %(node_execution_id)s AND status = 'running' AND attempt = %(attempt)s
RETURNING id

-- name: execution_request_cancel
-- Records the cancellation once; a finished execution matches nothing.
UPDATE workflow_executions
SET cancel_requested_at = coalesce(cancel_requested_at, now()),
    cancelled_by_id = coalesce(cancelled_by_id, %(actor_id)s)
WHERE id = %(execution_id)s AND status IN ('pending', 'running', 'paused')
RETURNING id
