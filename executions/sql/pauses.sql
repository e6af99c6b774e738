-- name: node_mark_paused
-- A running attempt asked to wait: it holds no worker until its pause is resumed.
UPDATE node_executions
SET status = 'paused', updated_at = now(), heartbeat_at = NULL
WHERE id = %(node_execution_id)s AND status = 'running' AND attempt = %(attempt)s
RETURNING id

-- name: node_mark_resumed
-- A paused node is resumed with its output.
UPDATE node_executions
SET status = 'succeeded', completed_at = now(), updated_at = now(), error = '',
    duration_ms = (extract(epoch FROM now() - started_at) * 1000)::bigint
WHERE id = %(node_execution_id)s AND status = 'paused'
RETURNING node_id, attempt

-- name: node_mark_pause_failed
-- A paused node ends in failure (an expiry with no edge to follow).
UPDATE node_executions
SET status = 'failed', completed_at = now(), updated_at = now(), error = %(error)s,
    duration_ms = (extract(epoch FROM now() - started_at) * 1000)::bigint
WHERE id = %(node_execution_id)s AND status = 'paused'
RETURNING node_id, attempt

-- name: execution_mark_paused
-- Nothing is ready or running and a node waits on a pause: the execution is paused.
UPDATE workflow_executions e SET status = 'paused'
WHERE e.id = %(execution_id)s AND e.status = 'running'
  AND EXISTS (SELECT 1 FROM node_executions n WHERE n.execution_id = e.id AND n.status = 'paused')
  AND NOT EXISTS (SELECT 1 FROM node_executions n
                  WHERE n.execution_id = e.id AND n.status IN ('ready', 'running'))

-- name: execution_mark_held
-- An operator pauses an execution: nothing new starts until it is resumed.
UPDATE workflow_executions SET status = 'paused'
WHERE id = %(execution_id)s AND status IN ('pending', 'running')
RETURNING id

-- name: execution_mark_resumed
-- A paused execution with ready or running nodes runs again, unless an operator holds it.
UPDATE workflow_executions e SET status = 'running', started_at = coalesce(e.started_at, now())
WHERE e.id = %(execution_id)s AND e.status = 'paused'
  AND NOT EXISTS (SELECT 1 FROM workflow_pauses p
                  WHERE p.execution_id = e.id AND p.kind = 'operator' AND p.resumed_at IS NULL)
  AND EXISTS (SELECT 1 FROM node_executions n
              WHERE n.execution_id = e.id AND n.status IN ('ready', 'running'))

-- name: nodes_ready
-- The ready nodes of one execution, to publish when an operator resumes it.
SELECT node_id, attempt, queue, next_attempt_at FROM node_executions
WHERE execution_id = %(execution_id)s AND status = 'ready'

-- name: pause_insert
-- The pause a node (or an operator) is waiting on.
INSERT INTO workflow_pauses
    (execution_id, owner_id, node_execution_id, node_id, kind, reason, context, approvers,
     event_key, resume_at, expires_at, created_by_id, created_at, decision, resume_data,
     resumed_via)
SELECT e.id, e.owner_id, %(node_execution_id)s, %(node_id)s, %(kind)s, %(reason)s,
       %(context)s, %(approvers)s, %(event_key)s, %(resume_at)s, %(expires_at)s,
       %(created_by_id)s, now(), '', 'null'::jsonb, ''
FROM workflow_executions e WHERE e.id = %(execution_id)s
RETURNING id

-- name: pause_mark_resumed
-- Exactly one resume wins: a pause is closed only while it is still open.
UPDATE workflow_pauses
SET resumed_at = now(), resumed_by_id = %(resumed_by_id)s, decision = %(decision)s,
    resume_data = %(resume_data)s, resumed_via = %(resumed_via)s
WHERE id = %(pause_id)s AND execution_id = %(execution_id)s AND resumed_at IS NULL
RETURNING node_execution_id, kind

-- name: pauses_close_cancelled
-- Pauses whose node was cancelled (its execution failed or was cancelled) are closed.
UPDATE workflow_pauses p
SET resumed_at = now(), decision = 'cancelled', resumed_via = 'engine'
FROM node_executions n
WHERE p.execution_id = %(execution_id)s AND p.resumed_at IS NULL
  AND n.id = p.node_execution_id AND n.status = 'cancelled'

-- name: pauses_close_open
-- An execution that ended closes what is still open (an operator's hold).
UPDATE workflow_pauses
SET resumed_at = now(), decision = %(decision)s, resumed_via = 'engine'
WHERE execution_id = %(execution_id)s AND resumed_at IS NULL

-- name: execution_open_hold
-- The operator's hold on an execution, if one is open.
SELECT id FROM workflow_pauses
WHERE execution_id = %(execution_id)s AND kind = 'operator' AND resumed_at IS NULL
