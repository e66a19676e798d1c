#!/bin/sh
# Runs once, on an empty data directory (postgres image: /docker-entrypoint-initdb.d/), or by
# tests/ops/test_compose_entrypoints.py against a local server (PG* variables).
#
# Two login roles, neither a superuser: RH_OWNER_ROLE owns the database and its tables (the
# migrate service connects as it), RH_APP_ROLE owns nothing (api and worker connect as it;
# `audit_harden_db` grants it INSERT/SELECT on the audit tables and DML on the others).
set -eu
: "${RH_DB_NAME:=referral_hub}" "${RH_OWNER_ROLE:=rh_owner}" "${RH_APP_ROLE:=rh_app}"
owner_pw="$(cat "$RH_OWNER_PASSWORD_FILE")"
app_pw="$(cat "$RH_APP_PASSWORD_FILE")"
export PGDATABASE="${PGDATABASE:-postgres}"
if [ -n "${POSTGRES_USER:-}" ]; then export PGUSER="$POSTGRES_USER"; fi

psql -v ON_ERROR_STOP=1 -q \
  -v owner="$RH_OWNER_ROLE" -v app="$RH_APP_ROLE" -v db="$RH_DB_NAME" \
  -v owner_pw="$owner_pw" -v app_pw="$app_pw" <<'SQL'
CREATE ROLE :"owner" LOGIN PASSWORD :'owner_pw' NOSUPERUSER NOCREATEDB NOCREATEROLE;
CREATE ROLE :"app" LOGIN PASSWORD :'app_pw' NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS;
CREATE DATABASE :"db" OWNER :"owner";
REVOKE ALL ON DATABASE :"db" FROM PUBLIC;
GRANT CONNECT, TEMPORARY ON DATABASE :"db" TO :"app";
SQL

psql -v ON_ERROR_STOP=1 -q -d "$RH_DB_NAME" -v owner="$RH_OWNER_ROLE" -v app="$RH_APP_ROLE" <<'SQL'
ALTER SCHEMA public OWNER TO :"owner";
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO :"app";
SQL
echo "roles $RH_OWNER_ROLE (owner) and $RH_APP_ROLE (application) ready on $RH_DB_NAME"
