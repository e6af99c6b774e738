-- name: workflow_owner_lock
-- Serialises one owner's workflow creations and renames until the transaction ends.
SELECT pg_advisory_xact_lock(hashtextextended('zzyra.workflow_owner:' || %(owner_id)s::text, 0))
