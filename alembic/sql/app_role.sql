-- The application's PostgreSQL role: normal rights on every table, but the audit log is append-only for it
-- (INSERT and SELECT on audit_event; no UPDATE, DELETE or TRUNCATE), and it cannot change the tables of `public`
-- (it creates only the throttle's tables, in its own schema `ledgerbridge_runtime`).
--
-- Run it as the role that owns the schema (the one `ledgerbridge db upgrade` runs as), after the upgrade, and
-- again after each later upgrade (it is idempotent):
--
--   psql "postgresql://ledgerbridge_owner@db.example.com/ledgerbridge" \
--        -v app_role=ledgerbridge_app -v app_password='...' -f alembic/sql/app_role.sql
--
-- `app_password` is optional (leave it out when the server authenticates otherwise, or the role exists).
-- Then run `ledgerbridge web` / `worker` / `serve` with DATABASE_URL naming app_role, never the owner.
\set ON_ERROR_STOP on

\if :{?app_password}
SELECT format('CREATE ROLE %I LOGIN PASSWORD %L', :'app_role', :'app_password')
 WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'app_role') \gexec
\else
SELECT format('CREATE ROLE %I LOGIN', :'app_role')
 WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'app_role') \gexec
\endif

SELECT format('GRANT CONNECT, TEMPORARY ON DATABASE %I TO %I', current_database(), :'app_role') \gexec
GRANT USAGE ON SCHEMA public TO :"app_role";
REVOKE CREATE ON SCHEMA public FROM :"app_role";

-- Every table and sequence as it is now, and those later migrations (run by this owner) create.
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO :"app_role";
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO :"app_role";
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO :"app_role";
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO :"app_role";

-- The shared throttle (pyrate-limiter's PostgresBucket) creates one small table per rate-limit key at run time.
-- Those go in a schema of the app's own, first on its search_path; the app gets no CREATE on `public`.
SELECT format('CREATE SCHEMA IF NOT EXISTS ledgerbridge_runtime AUTHORIZATION %I', :'app_role') \gexec
SELECT format('ALTER ROLE %I IN DATABASE %I SET search_path = ledgerbridge_runtime, public', :'app_role',
              current_database()) \gexec

-- The audit log is append-only; the schema version is the owner's.
REVOKE UPDATE, DELETE, TRUNCATE ON audit_event FROM :"app_role";
REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON alembic_version FROM :"app_role";
