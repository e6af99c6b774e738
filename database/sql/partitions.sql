-- Monthly partitions of execution_logs and node_logs. Schema blocks run once from migrations;
-- the functions are SECURITY DEFINER (owned by the migrating owner role) so the maintenance role
-- can create and drop partitions without owning the tables. Bounds are computed in UTC.

-- name: logs_partition_tables
-- Rebuilds both log tables as range-partitioned by created_at, keeping rows, ids and index names.
CREATE TABLE execution_logs_partitioned (
    id bigint NOT NULL,
    created_at timestamptz NOT NULL,
    level varchar(8) NOT NULL,
    event varchar(64) NOT NULL,
    message text NOT NULL,
    execution_id uuid NOT NULL,
    CONSTRAINT execution_logs_partitioned_pkey PRIMARY KEY (id, created_at)
) PARTITION BY RANGE (created_at);
CREATE TABLE node_logs_partitioned (
    id bigint NOT NULL,
    node_id varchar(200) NOT NULL,
    attempt integer NOT NULL CONSTRAINT node_logs_attempt_check CHECK (attempt >= 0),
    created_at timestamptz NOT NULL,
    level varchar(8) NOT NULL,
    message text NOT NULL,
    execution_id uuid NOT NULL,
    CONSTRAINT node_logs_partitioned_pkey PRIMARY KEY (id, created_at)
) PARTITION BY RANGE (created_at);
-- A row for a month without a partition lands here; zzyra_log_partitions_ensure moves it out.
CREATE TABLE execution_logs_default PARTITION OF execution_logs_partitioned DEFAULT;
CREATE TABLE node_logs_default PARTITION OF node_logs_partitioned DEFAULT;
INSERT INTO execution_logs_partitioned (id, created_at, level, event, message, execution_id)
    SELECT id, created_at, level, event, message, execution_id FROM execution_logs;
INSERT INTO node_logs_partitioned (id, node_id, attempt, created_at, level, message, execution_id)
    SELECT id, node_id, attempt, created_at, level, message, execution_id FROM node_logs;
-- Identity columns on partitioned tables need PostgreSQL 17; an owned sequence works on 15+.
CREATE SEQUENCE execution_logs_partitioned_id_seq OWNED BY execution_logs_partitioned.id;
CREATE SEQUENCE node_logs_partitioned_id_seq OWNED BY node_logs_partitioned.id;
SELECT setval('execution_logs_partitioned_id_seq', coalesce(max(id), 0) + 1, false)
    FROM execution_logs_partitioned;
SELECT setval('node_logs_partitioned_id_seq', coalesce(max(id), 0) + 1, false)
    FROM node_logs_partitioned;
DROP TABLE execution_logs;
DROP TABLE node_logs;
ALTER TABLE execution_logs_partitioned RENAME TO execution_logs;
ALTER TABLE node_logs_partitioned RENAME TO node_logs;
ALTER TABLE execution_logs RENAME CONSTRAINT execution_logs_partitioned_pkey TO execution_logs_pkey;
ALTER TABLE node_logs RENAME CONSTRAINT node_logs_partitioned_pkey TO node_logs_pkey;
ALTER SEQUENCE execution_logs_partitioned_id_seq RENAME TO execution_logs_id_seq;
ALTER SEQUENCE node_logs_partitioned_id_seq RENAME TO node_logs_id_seq;
ALTER TABLE execution_logs ALTER COLUMN id SET DEFAULT nextval('execution_logs_id_seq');
ALTER TABLE node_logs ALTER COLUMN id SET DEFAULT nextval('node_logs_id_seq');
-- The index names Django's migration state knows.
CREATE INDEX execution_log_by_execution ON execution_logs (execution_id, created_at);
CREATE INDEX execution_logs_created_at_1af50244 ON execution_logs (created_at);
CREATE INDEX execution_logs_execution_id_db73cb9e ON execution_logs (execution_id);
CREATE INDEX node_log_by_node ON node_logs (execution_id, node_id, created_at);
CREATE INDEX node_logs_created_at_d3a213bd ON node_logs (created_at);
CREATE INDEX node_logs_execution_id_513c10aa ON node_logs (execution_id);

-- name: logs_partition_functions
-- zzyra_log_partition_create / _ensure / _drop_before: partition upkeep for the beat jobs.
CREATE OR REPLACE FUNCTION zzyra_log_partition_create(parent text, month date)
RETURNS text LANGUAGE plpgsql SECURITY DEFINER
SET search_path = public, pg_temp SET "TimeZone" = 'UTC' AS $$
DECLARE
    first_day date := date_trunc('month', month)::date;
    next_first_day date := (date_trunc('month', month) + interval '1 month')::date;
    partition text := format('%s_p%s', parent, to_char(month, 'YYYYMM'));
    default_partition text := parent || '_default';
BEGIN
    IF parent NOT IN ('execution_logs', 'node_logs') THEN
        RAISE EXCEPTION 'zzyra_log_partition_create: % is not a partitioned log table', parent;
    END IF;
    IF to_regclass(partition) IS NOT NULL THEN
        RETURN NULL;
    END IF;
    -- Rows written while the month had no partition wait in the default one: move them, with
    -- writers to the default partition held off so attaching finds none left behind.
    EXECUTE format('LOCK TABLE %I IN SHARE ROW EXCLUSIVE MODE', default_partition);
    EXECUTE format('CREATE TABLE %I (LIKE %I INCLUDING DEFAULTS INCLUDING CONSTRAINTS)',
                   partition, parent);
    EXECUTE format('WITH moved AS (DELETE FROM %I WHERE created_at >= %L AND created_at < %L'
                   ' RETURNING *) INSERT INTO %I SELECT * FROM moved',
                   default_partition, first_day, next_first_day, partition);
    EXECUTE format('ALTER TABLE %I ATTACH PARTITION %I FOR VALUES FROM (%L) TO (%L)',
                   parent, partition, first_day, next_first_day);
    -- Partitions are tables of their own: forced RLS with no policy keeps direct reads empty.
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', partition);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', partition);
    RETURN partition;
END $$;

CREATE OR REPLACE FUNCTION zzyra_log_partitions_ensure(months_ahead integer)
RETURNS SETOF text LANGUAGE plpgsql SECURITY DEFINER
SET search_path = public, pg_temp SET "TimeZone" = 'UTC' AS $$
DECLARE
    parent text;
    month date;
    created text;
BEGIN
    FOREACH parent IN ARRAY ARRAY['execution_logs', 'node_logs'] LOOP
        FOR month IN
            SELECT (date_trunc('month', now()) + step * interval '1 month')::date
            FROM generate_series(0, months_ahead) AS step
            UNION
            -- Months that were missing when a row was written: give them their partition.
            SELECT DISTINCT date_trunc('month', created_at)::date
            FROM (SELECT created_at FROM execution_logs_default WHERE parent = 'execution_logs'
                  UNION ALL
                  SELECT created_at FROM node_logs_default WHERE parent = 'node_logs') AS strays
        LOOP
            created := zzyra_log_partition_create(parent, month);
            IF created IS NOT NULL THEN
                RETURN NEXT created;
            END IF;
        END LOOP;
    END LOOP;
END $$;

CREATE OR REPLACE FUNCTION zzyra_log_partitions_drop_before(cutoff timestamptz)
RETURNS SETOF text LANGUAGE plpgsql SECURITY DEFINER
SET search_path = public, pg_temp SET "TimeZone" = 'UTC' AS $$
DECLARE
    partition record;
BEGIN
    FOR partition IN
        SELECT child.relname AS name
        FROM pg_inherits
        JOIN pg_class child ON child.oid = pg_inherits.inhrelid
        JOIN pg_class parent ON parent.oid = pg_inherits.inhparent
        WHERE parent.relname IN ('execution_logs', 'node_logs')
          AND child.relname ~ '_p[0-9]{6}$'
          -- Only months that ended before the cutoff: whole partitions, never some rows.
          AND to_date(right(child.relname, 6), 'YYYYMM') + interval '1 month' <= cutoff
        ORDER BY child.relname
    LOOP
        EXECUTE format('DROP TABLE %I', partition.name);
        RETURN NEXT partition.name;
    END LOOP;
END $$;

REVOKE ALL ON FUNCTION zzyra_log_partition_create(text, date) FROM PUBLIC;
REVOKE ALL ON FUNCTION zzyra_log_partitions_ensure(integer) FROM PUBLIC;
REVOKE ALL ON FUNCTION zzyra_log_partitions_drop_before(timestamptz) FROM PUBLIC;

-- name: log_partitions_ensure
-- Creates this month's and the next months' partitions, and those rows in a default need.
SELECT partition FROM zzyra_log_partitions_ensure(%(months_ahead)s) AS partition

-- name: log_partitions_drop_before
-- Drops every monthly log partition whose month ended before the cutoff.
SELECT partition FROM zzyra_log_partitions_drop_before(%(cutoff)s) AS partition
