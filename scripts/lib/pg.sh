# shellcheck shell=bash
# PostgreSQL helpers for scripts/services.sh. Expects: PG_BIN, PG_USER, PG_DATA_ROOT, LOG_DIR,
# SOCK_DIR. Every server-side binary runs as the `postgres` OS user (Postgres refuses root).

# as_pg CMD...: run a Postgres binary as the postgres OS user. fd 9 (our flock) is closed so a
# daemonised postmaster never inherits it and keeps the lock after we exit.
as_pg() {
  if [[ $(id -u) -eq 0 ]]; then
    runuser -u postgres -- "$@" 9>&-
  else
    "$@" 9>&-
  fi
}

# q PORT DB SQL: one query over TCP, unaligned tuples-only output; fails on any SQL error.
q() {
  PGCONNECT_TIMEOUT=3 "$PG_BIN/psql" -X -At -q -v ON_ERROR_STOP=1 \
    -h 127.0.0.1 -p "$1" -U "$PG_USER" -d "$2" -c "$3" 2>/dev/null
}

pg_running() { as_pg "$PG_BIN/pg_ctl" status -D "$1" >/dev/null 2>&1; }

# pg_alive DIR PORT: running and accepting connections. A postmaster that was just killed can
# still look alive for a moment, and one that is starting up rejects connections: wait up to
# 10 s for either to settle. Returns 1 when it is not running.
pg_alive() {
  local i
  for ((i = 0; i < 20; i++)); do
    pg_running "$1" || return 1
    "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$2" -t 2 && return 0
    sleep 0.5
  done
  pg_running "$1"
}
pg_pid() { head -n 1 "$1/postmaster.pid" 2>/dev/null || true; }
pg_sysid() {
  as_pg "$PG_BIN/pg_controldata" "$1" 2>/dev/null |
    awk -F: '/^Database system identifier/ { gsub(/ /, "", $2); print $2 }'
}

# pg_conf NAME PORT: the settings we own, written to <datadir>/nest-commerce.conf.
pg_conf() {
  cat <<CONF
# Written by scripts/services.sh on every run; local changes belong in postgresql.auto.conf.
listen_addresses = '127.0.0.1'
port = $2
unix_socket_directories = '$SOCK_DIR'
cluster_name = 'nest-commerce-$1'
max_connections = 200
# Small-machine sizing (2 cores, shared with the app and Redis).
shared_buffers = 128MB
effective_cache_size = 512MB
work_mem = 4MB
maintenance_work_mem = 64MB
max_worker_processes = 8
max_parallel_workers_per_gather = 1
# Streaming replication. The slot keeps WAL for a stopped replica, bounded so a dead replica
# cannot fill the disk (its slot is then marked lost and services.sh rebuilds the replica).
wal_level = replica
max_wal_senders = 10
max_replication_slots = 10
max_slot_wal_keep_size = 2GB
wal_keep_size = 64MB
hot_standby = on
hot_standby_feedback = on
wal_receiver_status_interval = 1s
# Reconnect quickly after the primary restarts (tests stop and start it).
wal_retrieve_retry_interval = 1s
timezone = 'UTC'
log_timezone = 'UTC'
log_line_prefix = '%m [%p] %q%u@%d '
CONF
}

# pg_write_conf DIR NAME PORT: (re)writes our include file; returns 0 when it changed.
pg_write_conf() {
  local dir=$1 file=$1/nest-commerce.conf new
  new=$(pg_conf "$2" "$3")
  if ! grep -q "^include_if_exists = 'nest-commerce.conf'" "$dir/postgresql.conf"; then
    printf "\ninclude_if_exists = 'nest-commerce.conf'\n" >>"$dir/postgresql.conf"
  fi
  if [[ -f $file && "$(cat "$file")" == "$new" ]]; then return 1; fi
  printf '%s\n' "$new" >"$file"
  chown postgres:postgres "$file" 2>/dev/null || true
  return 0
}

# pg_hba_write DIR: trust for local socket, loopback, and replication from loopback.
pg_hba_write() {
  cat >"$1/pg_hba.conf" <<HBA
# Written by scripts/services.sh: a local development/test cluster bound to 127.0.0.1 only.
local   all             all                     trust
host    all             all     127.0.0.1/32    trust
host    all             all     ::1/128         trust
local   replication     all                     trust
host    replication     all     127.0.0.1/32    trust
host    replication     all     ::1/128         trust
HBA
}

# pg_start DIR NAME PORT: start with pg_ctl -w. Retries once: after a kill -9 the old backends
# can hold the shared memory segment for a moment.
pg_start() {
  local dir=$1 name=$2 port=$3 log=$LOG_DIR/$2.log try
  for try in 1 2 3; do
    if port_in_use "$port" && ! pg_running "$dir"; then
      if [[ $try -eq 3 ]]; then
        echo "$name: port $port is in use by another process" >&2
        return 1
      fi
      sleep 2
      continue
    fi
    if as_pg "$PG_BIN/pg_ctl" start -D "$dir" -l "$log" -w -t 60 >/dev/null 2>&1; then
      return 0
    fi
    sleep 2
  done
  echo "$name: failed to start; last lines of $log:" >&2
  tail -n 15 "$log" >&2 || true
  return 1
}

# pg_stop DIR [MODE]: returns 0 if it was running and is now stopped, 1 if it was not running.
pg_stop() {
  local dir=$1 mode=${2:-fast}
  [[ -f $dir/PG_VERSION ]] && pg_running "$dir" || return 1
  as_pg "$PG_BIN/pg_ctl" stop -D "$dir" -m "$mode" -w -t 60 >/dev/null 2>&1 ||
    as_pg "$PG_BIN/pg_ctl" stop -D "$dir" -m immediate -w -t 30 >/dev/null 2>&1
  return 0
}

# sql_ident NAME: only plain identifiers are accepted from the URLs (no quoting games).
sql_ident() { [[ $1 =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]]; }
