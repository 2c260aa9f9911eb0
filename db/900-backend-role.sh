#!/bin/sh
# The back end's own login role (docker-compose.yml): rows only -- SELECT, INSERT,
# UPDATE, DELETE on the tables and nextval on the sequences; it cannot create, alter or
# drop anything, nor read other databases. Kubernetes does the same in k8s/21-db-scripts.yaml.
#
# Runs once from /docker-entrypoint-initdb.d on the first start, after db/*.sql (the
# file names sort after them). Idempotent, so it also upgrades an existing volume
# (docs/containers.md "Upgrading a volume"):
#   docker-compose exec -T db sh /docker-entrypoint-initdb.d/900-backend-role.sh
# Environment: BACKEND_DB_USER, BACKEND_DB_PASSWORD (from .env), POSTGRES_USER and
# POSTGRES_DB (the image's). Without BACKEND_DB_USER it does nothing.
if [ -z "${BACKEND_DB_USER:-}" ]; then
	echo "900-backend-role: BACKEND_DB_USER not set; no back-end role created" >&2
else
	: "${BACKEND_DB_PASSWORD:?900-backend-role: BACKEND_DB_PASSWORD must be set}"
	echo "900-backend-role: login role $BACKEND_DB_USER for database ${POSTGRES_DB:-postgres}" >&2
	psql -v ON_ERROR_STOP=1 --no-psqlrc -q --username "${POSTGRES_USER:-postgres}" \
	    --dbname "${POSTGRES_DB:-${POSTGRES_USER:-postgres}}" \
	    --set=role="$BACKEND_DB_USER" --set=pw="$BACKEND_DB_PASSWORD" \
	    --set=owner="${POSTGRES_USER:-postgres}" <<'SQL'
SELECT format('CREATE ROLE %I LOGIN', :'role')
 WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'role')
\gexec
ALTER ROLE :"role" WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION
    PASSWORD :'pw';
SELECT format('GRANT CONNECT ON DATABASE %I TO %I', current_database(), :'role')
\gexec
-- PostgreSQL before 15 let every role create tables in public.
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO :"role";
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO :"role";
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO :"role";
-- Tables and sequences that later schema files (applied by the owner) create.
ALTER DEFAULT PRIVILEGES FOR ROLE :"owner" IN SCHEMA public
    GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO :"role";
ALTER DEFAULT PRIVILEGES FOR ROLE :"owner" IN SCHEMA public
    GRANT USAGE, SELECT ON SEQUENCES TO :"role";
SQL
fi
