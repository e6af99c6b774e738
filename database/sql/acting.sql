-- name: acting_user_set
-- Sets the acting user for the rest of the transaction ('' is anonymous).
SELECT set_config('zzyra.user_id', %(user_id)s, true)

-- name: acting_user_get
-- The acting user of this transaction, if any.
SELECT nullif(current_setting('zzyra.user_id', true), '')

-- name: lookup_hint_set
-- Names the one credential row this transaction may look up before authentication.
SELECT set_config(%(setting)s, %(value)s, true)

-- name: acting_user_of_execution
-- Acts as the owner of an execution (a worker running one of its nodes); '' when none.
SELECT set_config('zzyra.user_id', coalesce(zzyra_execution_owner(%(execution_id)s)::text, ''),
                  true)
