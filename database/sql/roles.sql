-- Roles and grants. Roles are cluster-wide: a DBA may create them by hand (docs/database.md);
-- the migration creates them when the migrating role may (CI, the embedded server, dev).

-- name: roles_ensure
-- Creates zzyra_app and zzyra_maintenance when missing: no login, no BYPASSRLS, owning nothing.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'zzyra_app') THEN
        CREATE ROLE zzyra_app NOLOGIN NOBYPASSRLS NOINHERIT;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'zzyra_maintenance') THEN
        CREATE ROLE zzyra_maintenance NOLOGIN NOBYPASSRLS NOINHERIT;
    END IF;
EXCEPTION WHEN insufficient_privilege THEN
    RAISE EXCEPTION 'roles zzyra_app and zzyra_maintenance are missing and % may not create '
                    'them; create them as docs/database.md shows, then migrate again',
                    current_user;
END $$;
-- The migrating role must be able to SET ROLE to both (a superuser always can).
DO $$
BEGIN
    IF NOT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
        EXECUTE format('GRANT zzyra_app, zzyra_maintenance TO %I', current_user);
    END IF;
EXCEPTION WHEN insufficient_privilege THEN
    RAISE NOTICE 'could not grant zzyra_app and zzyra_maintenance to %: see docs/database.md',
                 current_user;
END $$;
