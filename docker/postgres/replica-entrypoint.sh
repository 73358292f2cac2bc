#!/bin/bash
# Entrypoint of postgres-replica (official postgres:15 image). On an empty data volume it waits
# for the primary and clones it with pg_basebackup -R (writes standby.signal + primary_conninfo)
# -X stream -S <slot>; then it execs postgres as a hot standby streaming from the primary.
# The image's own entrypoint is bypassed on purpose: it would initdb a fresh, unrelated cluster.
set -euo pipefail

: "${PRIMARY_HOST:=postgres-primary}"
: "${PRIMARY_PORT:=5432}"
: "${REPLICATION_USER:=replicator}"
: "${REPLICATION_SLOT:=replica_slot}"
: "${REPLICATION_PASSWORD:?REPLICATION_PASSWORD must be set}"
: "${PGDATA:=/var/lib/postgresql/data}"
export PGDATA

# Postgres refuses to run as root: fix the volume's ownership, then re-exec as postgres.
if [ "$(id -u)" = 0 ]; then
  mkdir -p "$PGDATA"
  chown postgres:postgres "$PGDATA"
  chmod 700 "$PGDATA"
  exec gosu postgres "$0" "$@"
fi

if [ ! -s "$PGDATA/PG_VERSION" ]; then
  echo "replica: waiting for ${PRIMARY_HOST}:${PRIMARY_PORT}"
  until pg_isready -q -h "$PRIMARY_HOST" -p "$PRIMARY_PORT" -U "$REPLICATION_USER"; do sleep 1; done
  export PGPASSWORD=$REPLICATION_PASSWORD
  # The volume is this replica's own: a half-finished earlier clone is discarded.
  find "$PGDATA" -mindepth 1 -delete
  for attempt in 1 2 3 4 5; do
    if pg_basebackup -h "$PRIMARY_HOST" -p "$PRIMARY_PORT" -U "$REPLICATION_USER" -D "$PGDATA" \
      -R -X stream -S "$REPLICATION_SLOT" -c fast; then
      break
    fi
    [ "$attempt" -lt 5 ] || { echo "replica: pg_basebackup failed" >&2; exit 1; }
    find "$PGDATA" -mindepth 1 -delete
    sleep 3
  done
  unset PGPASSWORD
  chmod 700 "$PGDATA"
  echo "replica: cloned from ${PRIMARY_HOST}:${PRIMARY_PORT} via slot ${REPLICATION_SLOT}"
fi

# Default command: postgres with its arguments from docker-compose.yml.
if [ "$#" -eq 0 ] || [ "${1:0:1}" = "-" ]; then set -- postgres "$@"; fi
exec "$@"
