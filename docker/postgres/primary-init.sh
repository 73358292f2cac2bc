#!/bin/bash
# Runs once, from /docker-entrypoint-initdb.d, when the official postgres:15 image initialises an
# empty data volume. Prepares streaming replication for postgres-replica:
#   - a REPLICATION login role (its password from REPLICATION_PASSWORD),
#   - a pg_hba line letting it connect for replication (the image's default "host all all all"
#     line does not cover the pseudo-database "replication"),
#   - a physical replication slot, so the primary keeps WAL the replica has not received yet.
# No `set -u`: the image may source this file instead of executing it.
set -e

: "${REPLICATION_USER:=replicator}"
: "${REPLICATION_SLOT:=replica_slot}"
if [ -z "${REPLICATION_PASSWORD:-}" ]; then
  echo "primary-init: REPLICATION_PASSWORD is not set" >&2
  exit 1
fi

psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
  -v repl_user="$REPLICATION_USER" -v repl_password="$REPLICATION_PASSWORD" -v slot="$REPLICATION_SLOT" <<'SQL'
SELECT format('CREATE ROLE %I WITH REPLICATION LOGIN PASSWORD %L', :'repl_user', :'repl_password')
WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'repl_user') \gexec
SELECT pg_create_physical_replication_slot(:'slot', true)
WHERE NOT EXISTS (SELECT 1 FROM pg_replication_slots WHERE slot_name = :'slot');
SQL

hba_line="host replication ${REPLICATION_USER} all scram-sha-256"
grep -qxF "$hba_line" "$PGDATA/pg_hba.conf" || echo "$hba_line" >>"$PGDATA/pg_hba.conf"
echo "primary-init: role ${REPLICATION_USER}, slot ${REPLICATION_SLOT} and pg_hba entry ready"
