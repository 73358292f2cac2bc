#!/usr/bin/env bash
# Local services without Docker: a PostgreSQL 15 primary, a streaming replica of it, Redis, and
# (with REDIS_CACHE_URL) the cache's own evicting Redis.
#
#   bash scripts/services.sh [up]          create/start whatever is missing (idempotent)
#   bash scripts/services.sh status        state of primary, replica (with replay lag), redis
#   bash scripts/services.sh stop-replica | start-replica
#   bash scripts/services.sh pause-replay | resume-replay
#   bash scripts/services.sh down          stop our primary + replica (never a Redis)
#   bash scripts/services.sh reset --yes   down, then delete our data root
#
# Config: environment, else .env, else .env.example (DB_PRIMARY_URL, DB_REPLICA_URL, REDIS_URL,
# REDIS_CACHE_URL, REDIS_CACHE_MAXMEMORY, PG_DATA_ROOT). Only data under PG_DATA_ROOT that this script created is ever touched; the
# Debian system cluster (5432) is left alone.
set -euo pipefail

SCRIPT_DIR=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd -- "$SCRIPT_DIR/.." && pwd) # read by env_load
export REPO_ROOT
# shellcheck source-path=SCRIPTDIR
source "$SCRIPT_DIR/lib/env.sh"
# shellcheck source-path=SCRIPTDIR
source "$SCRIPT_DIR/lib/pg.sh"

die() { echo "services: error: $*" >&2; exit 1; }

# ---------------------------------------------------------------- config
env_load DB_PRIMARY_URL "postgres://postgres@127.0.0.1:5433/commerce"
env_load DB_REPLICA_URL "postgres://postgres@127.0.0.1:5434/commerce"
env_load REDIS_URL "redis://127.0.0.1:6379/0"
env_load REDIS_CACHE_URL ""
env_load REDIS_CACHE_MAXMEMORY "256mb"
env_load PG_DATA_ROOT "/var/lib/postgresql/nest-commerce"

P_HOST="" R_HOST="" RD_HOST="" RD_PASSWORD="" RD_USER="" RD_SCHEME=""
parse_url "$DB_PRIMARY_URL" P || die "cannot parse DB_PRIMARY_URL"
P_PORT=${P_PORT:-5432} P_DB=${P_PATH:-postgres}
PG_USER=${P_USER:-postgres}
if [[ -n $DB_REPLICA_URL ]]; then
  parse_url "$DB_REPLICA_URL" R || die "cannot parse DB_REPLICA_URL"
  R_PORT=${R_PORT:-5432}
  [[ $R_PORT != "$P_PORT" ]] || die "DB_REPLICA_URL and DB_PRIMARY_URL use the same port $P_PORT"
else
  R_PORT="" R_HOST=""
fi
parse_url "$REDIS_URL" RD || die "cannot parse REDIS_URL"
RD_HOST=${RD_HOST:-127.0.0.1} RD_PORT=${RD_PORT:-6379} RD_PATH=${RD_PATH:-0}
RC_HOST="" RC_PORT="" RC_PATH="" RC_PASSWORD="" RC_USER="" RC_SCHEME=""
if [[ -n $REDIS_CACHE_URL ]]; then
  parse_url "$REDIS_CACHE_URL" RC || die "cannot parse REDIS_CACHE_URL"
  RC_HOST=${RC_HOST:-127.0.0.1} RC_PORT=${RC_PORT:-6379} RC_PATH=${RC_PATH:-0}
  [[ "$RC_HOST:$RC_PORT" != "$RD_HOST:$RD_PORT" ]] || die "REDIS_CACHE_URL must name another server than REDIS_URL (the cache one evicts)"
fi

PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
PRIMARY_DIR=$PG_DATA_ROOT/primary
REPLICA_DIR=$PG_DATA_ROOT/replica
LOG_DIR=$PG_DATA_ROOT/log
SOCK_DIR=$PG_DATA_ROOT/run
MARKER=$PG_DATA_ROOT/.created-by-services-sh
SLOT=nest_commerce_replica_${R_PORT:-0}

CHANGES=0
say() { echo "$*"; }
did() { echo "$*"; CHANGES=$((CHANGES + 1)); }

# ---------------------------------------------------------------- tools
APT_UPDATED=0
apt_best_effort() {
  [[ $(id -u) -eq 0 ]] || { echo "tools: $* missing and not root; install it by hand" >&2; return 1; }
  if [[ $APT_UPDATED -eq 0 ]]; then
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null 2>&1 || true
    APT_UPDATED=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null 2>&1
}

ensure_pg_tools() {
  if [[ -x $PG_BIN/postgres && -x $PG_BIN/pg_basebackup && -x $PG_BIN/psql ]]; then return 0; fi
  if apt_best_effort postgresql-15; then did "tools: installed postgresql-15"; fi
  [[ -x $PG_BIN/postgres ]] || die "PostgreSQL 15 binaries not found in $PG_BIN"
}

ensure_redis_tools() {
  command -v redis-cli >/dev/null 2>&1 && command -v redis-server >/dev/null 2>&1 && return 0
  if apt_best_effort redis-server; then did "tools: installed redis-server"; fi
  command -v redis-cli >/dev/null 2>&1 || die "redis-cli not found"
}

# ---------------------------------------------------------------- data root
ensure_data_root() {
  if [[ -e $PG_DATA_ROOT && ! -f $MARKER ]]; then
    if [[ -n $(ls -A "$PG_DATA_ROOT" 2>/dev/null) ]]; then
      die "$PG_DATA_ROOT exists and was not created by services.sh; refusing to touch it (set PG_DATA_ROOT)"
    fi
  fi
  if [[ ! -f $MARKER ]]; then
    id postgres >/dev/null 2>&1 || useradd --system --home-dir /var/lib/postgresql --shell /bin/bash postgres
    mkdir -p "$PG_DATA_ROOT"
    echo "created by scripts/services.sh; 'services.sh reset --yes' deletes this directory" >"$MARKER"
    did "data: created $PG_DATA_ROOT"
  fi
  mkdir -p "$LOG_DIR" "$SOCK_DIR"
  if [[ $(id -u) -eq 0 ]]; then chown postgres:postgres "$PG_DATA_ROOT" "$LOG_DIR" "$SOCK_DIR"; fi
  chmod 700 "$PG_DATA_ROOT"
}

have_data_root() { [[ -f $MARKER ]]; }

# ---------------------------------------------------------------- primary
check_local() {
  is_local_host "$2" || die "$1 host '$2' is not local; services.sh only provisions 127.0.0.1"
}

ensure_primary() {
  check_local primary "$P_HOST"
  local created=0
  if [[ ! -f $PRIMARY_DIR/PG_VERSION ]]; then
    created=1
    [[ -z $(ls -A "$PRIMARY_DIR" 2>/dev/null) ]] ||
      die "$PRIMARY_DIR is not empty but holds no cluster; inspect it or run 'services.sh reset --yes'"
    local locale=C
    if locale -a 2>/dev/null | grep -qix 'c.utf-\?8'; then locale=C.UTF-8; fi
    mkdir -p "$PRIMARY_DIR"
    [[ $(id -u) -ne 0 ]] || chown postgres:postgres "$PRIMARY_DIR"
    chmod 700 "$PRIMARY_DIR"
    as_pg "$PG_BIN/initdb" -D "$PRIMARY_DIR" -U "$PG_USER" --auth=trust --encoding=UTF8 \
      --locale="$locale" >"$LOG_DIR/initdb.log" 2>&1 || { cat "$LOG_DIR/initdb.log" >&2; die "initdb failed"; }
    pg_hba_write "$PRIMARY_DIR"
    chown postgres:postgres "$PRIMARY_DIR/pg_hba.conf" 2>/dev/null || true
    did "primary: created (initdb in $PRIMARY_DIR)"
  fi
  [[ $(cat "$PRIMARY_DIR/PG_VERSION") == 15 ]] || die "$PRIMARY_DIR is not a PostgreSQL 15 cluster"

  local conf_changed=0
  if pg_write_conf "$PRIMARY_DIR" primary "$P_PORT"; then conf_changed=1; fi
  if pg_alive "$PRIMARY_DIR" "$P_PORT"; then
    if [[ $conf_changed -eq 1 ]]; then
      as_pg "$PG_BIN/pg_ctl" restart -D "$PRIMARY_DIR" -l "$LOG_DIR/primary.log" -m fast -w -t 60 >/dev/null
      did "primary: config changed, restarted on $P_PORT"
    else
      say "primary: already running on $P_PORT (pid $(pg_pid "$PRIMARY_DIR"))"
    fi
  else
    [[ $conf_changed -eq 0 || $created -eq 1 ]] || did "primary: config updated ($PRIMARY_DIR/nest-commerce.conf)"
    pg_start "$PRIMARY_DIR" primary "$P_PORT" || die "primary did not start"
    did "primary: started on $P_PORT (log $LOG_DIR/primary.log)"
  fi
  local rec
  rec=$(q "$P_PORT" postgres "SELECT pg_is_in_recovery()") || die "primary on $P_PORT does not answer (see $LOG_DIR/primary.log)"
  [[ $rec == f ]] || die "primary on $P_PORT is in recovery; it is not a primary"

  sql_ident "$P_DB" || die "database name '$P_DB' must be a plain identifier"
  if [[ $(q "$P_PORT" postgres "SELECT 1 FROM pg_database WHERE datname = '$P_DB'") == 1 ]]; then
    say "primary: database $P_DB exists"
  else
    q "$P_PORT" postgres "CREATE DATABASE \"$P_DB\"" >/dev/null || die "CREATE DATABASE $P_DB failed"
    did "primary: database $P_DB created"
  fi
}

# ---------------------------------------------------------------- replica
slot_state() { q "$P_PORT" postgres "SELECT coalesce(wal_status, 'reserved') FROM pg_replication_slots WHERE slot_name = '$SLOT'"; }

ensure_slot() {
  local state
  state=$(slot_state)
  if [[ $state == lost ]]; then
    q "$P_PORT" postgres "SELECT pg_drop_replication_slot('$SLOT')" >/dev/null
    state=""
    did "primary: replication slot $SLOT had lost its WAL, dropped"
  fi
  if [[ -z $state ]]; then
    q "$P_PORT" postgres "SELECT pg_create_physical_replication_slot('$SLOT', true)" >/dev/null
    did "primary: replication slot $SLOT created"
    return 1 # a new slot: any existing replica has to be rebuilt from it
  fi
  say "primary: replication slot $SLOT exists"
}

# drop_stale_slots [KEEP]: inactive slots this script made for another replica port (or for a
# replica that is now disabled) would pin WAL on the primary; they are ours, so they go.
drop_stale_slots() {
  local slot
  for slot in $(q "$P_PORT" postgres "SELECT slot_name FROM pg_replication_slots
      WHERE slot_name LIKE 'nest\_commerce\_replica\_%' AND NOT active AND slot_name <> '${1-}'"); do
    q "$P_PORT" postgres "SELECT pg_drop_replication_slot('$slot')" >/dev/null &&
      did "primary: dropped unused replication slot $slot"
  done
}

# replica_problem: why the existing replica data dir cannot be reused ("" = reusable).
replica_problem() {
  [[ -e $REPLICA_DIR ]] || { echo missing; return; }
  [[ -f $REPLICA_DIR/PG_VERSION && -f $REPLICA_DIR/global/pg_control ]] || { echo "incomplete data dir"; return; }
  [[ -f $REPLICA_DIR/standby.signal ]] || { echo "no standby.signal (promoted?)"; return; }
  local p r
  p=$(pg_sysid "$PRIMARY_DIR") r=$(pg_sysid "$REPLICA_DIR")
  [[ -n $r ]] || { echo "unreadable pg_control"; return; }
  [[ $p == "$r" ]] || { echo "belongs to another primary (system id $r, primary $p)"; return; }
  grep -q "port=$P_PORT " "$REPLICA_DIR/postgresql.auto.conf" 2>/dev/null ||
    { echo "its primary_conninfo points to another port than $P_PORT"; return; }
}

replica_streaming() {
  [[ $(q "$P_PORT" postgres "SELECT count(*) FROM pg_replication_slots s
        JOIN pg_stat_replication r ON r.pid = s.active_pid
        WHERE s.slot_name = '$SLOT' AND r.state = 'streaming'") == 1 ]]
}

wait_streaming() {
  local i
  for ((i = 0; i < 40; i++)); do
    replica_streaming && return 0
    sleep 0.5
  done
  return 1
}

# build_replica REASON: (re)create the replica with pg_basebackup from the primary's slot.
build_replica() {
  local reason=$1
  pg_stop "$REPLICA_DIR" immediate || true
  case $REPLICA_DIR in "$PG_DATA_ROOT"/?*) rm -rf -- "$REPLICA_DIR" ;; *) die "bad replica dir $REPLICA_DIR" ;; esac
  mkdir -p "$REPLICA_DIR"
  [[ $(id -u) -ne 0 ]] || chown postgres:postgres "$REPLICA_DIR"
  chmod 700 "$REPLICA_DIR"
  as_pg "$PG_BIN/pg_basebackup" -h 127.0.0.1 -p "$P_PORT" -U "$PG_USER" -D "$REPLICA_DIR" \
    -R -X stream -S "$SLOT" -c fast >"$LOG_DIR/basebackup.log" 2>&1 ||
    { cat "$LOG_DIR/basebackup.log" >&2; die "pg_basebackup failed"; }
  pg_write_conf "$REPLICA_DIR" replica "$R_PORT" || true
  if [[ $reason == missing ]]; then
    did "replica: created (pg_basebackup from $P_PORT, slot $SLOT)"
  else
    did "replica: recreated ($reason)"
  fi
}

start_replica_checked() {
  if pg_alive "$REPLICA_DIR" "$R_PORT"; then
    say "replica: already running on $R_PORT (pid $(pg_pid "$REPLICA_DIR"))"
  else
    pg_start "$REPLICA_DIR" replica "$R_PORT" || return 1
    did "replica: started on $R_PORT (log $LOG_DIR/replica.log)"
  fi
  [[ $(q "$R_PORT" postgres "SELECT pg_is_in_recovery()") == t ]] || return 1
  wait_streaming
}

ensure_replica() {
  if [[ -z $DB_REPLICA_URL ]]; then
    drop_stale_slots
    say "replica: disabled (DB_REPLICA_URL is empty)"
    return 0
  fi
  check_local replica "$R_HOST"
  local problem="" new_slot=0
  ensure_slot || new_slot=1
  problem=$(replica_problem)
  [[ -n $problem || $new_slot -eq 0 ]] || problem="its replication slot was recreated"
  [[ -z $problem ]] || build_replica "$problem"
  if pg_write_conf "$REPLICA_DIR" replica "$R_PORT" && pg_running "$REPLICA_DIR"; then
    as_pg "$PG_BIN/pg_ctl" restart -D "$REPLICA_DIR" -l "$LOG_DIR/replica.log" -m fast -w -t 60 >/dev/null
    did "replica: config changed, restarted on $R_PORT"
  fi
  if ! start_replica_checked; then
    # A replica that will not start, is not in recovery or does not stream is rebuilt once.
    build_replica "not streaming from the primary"
    start_replica_checked || die "replica on $R_PORT does not stream from the primary (see $LOG_DIR/replica.log)"
  fi
  drop_stale_slots "$SLOT"
  # A paused replay is left paused: a test may have paused it on purpose (resume-replay undoes it).
  if [[ $(q "$R_PORT" postgres "SELECT pg_is_wal_replay_paused()") == t ]]; then
    say "replica: in recovery, streaming from $P_PORT via slot $SLOT; replay PAUSED (run resume-replay)"
  else
    wait_caught_up
    say "replica: in recovery, streaming from $P_PORT via slot $SLOT"
  fi
}

# wait_caught_up: the replica has replayed everything the primary had written when we asked.
wait_caught_up() {
  local target i
  target=$(q "$P_PORT" postgres "SELECT pg_current_wal_lsn()")
  for ((i = 0; i < 40; i++)); do
    [[ $(q "$R_PORT" postgres "SELECT pg_last_wal_replay_lsn() >= '$target'::pg_lsn") == t ]] && return 0
    sleep 0.5
  done
  echo "replica: warning: not caught up with $target after 20 s" >&2
}

# ---------------------------------------------------------------- redis
# rcli_at PFX ARGS...: redis-cli on the parts of the URL parsed under PFX (RD: REDIS_URL, RC:
# REDIS_CACHE_URL); its -u mishandles "redis://:password@host".
rcli_at() {
  local p=$1; shift
  local host=${p}_HOST port=${p}_PORT db=${p}_PATH pw=${p}_PASSWORD user=${p}_USER scheme=${p}_SCHEME
  local args=(-h "${!host}" -p "${!port}" -n "${!db:-0}")
  [[ -z ${!pw} ]] || args+=(--no-auth-warning -a "${!pw}")
  [[ -z ${!user} ]] || args+=(--user "${!user}")
  [[ ${!scheme} != rediss ]] || args+=(--tls)
  timeout 5 redis-cli "${args[@]}" "$@"
}
rcli() { rcli_at RD "$@"; }
redis_ping_at() { [[ $(rcli_at "$1" ping 2>/dev/null) == PONG ]]; }
redis_ping() { redis_ping_at RD; }

# ensure_redis_at PFX LABEL [redis-server args...]: a local redis-server for that URL, unless one answers.
ensure_redis_at() {
  local p=$1 label=$2; shift 2
  local hv=${p}_HOST pv=${p}_PORT pwv=${p}_PASSWORD
  local host=${!hv} port=${!pv} password=${!pwv}
  if command -v redis-cli >/dev/null 2>&1 && redis_ping_at "$p"; then
    say "$label: already running at $host:$port"
    return 0
  fi
  is_local_host "$host" || die "$label at $host:$port is not reachable and not local"
  ensure_redis_tools
  if redis_ping_at "$p"; then say "$label: already running at $host:$port"; return 0; fi
  port_in_use "$port" && die "port $port answers but not as the $label of its URL (wrong password?)"
  mkdir -p /var/lib/redis /var/log/redis
  local logfile=/var/log/redis/ci.log args=("$@")
  [[ $port == 6379 ]] || logfile=/var/log/redis/nest-commerce-$port.log
  [[ -z $password ]] || args+=(--requirepass "$password")
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port "$port" --save "" \
    --appendonly no --dir /var/lib/redis --logfile "$logfile" "${args[@]}" </dev/null >/dev/null 2>&1 9>&- ||
    die "redis-server failed to start (see $logfile)"
  local i
  for ((i = 0; i < 50; i++)); do
    if redis_ping_at "$p"; then did "$label: started on $host:$port (log $logfile)"; return 0; fi
    sleep 0.1
  done
  die "$label on $port did not answer PING (see $logfile)"
}

ensure_redis() { ensure_redis_at RD redis; }

# The cache's own server (REDIS_CACHE_URL): evicts least-recently-used keys at its limit, so cached
# values make room while the main server (carts, limits, locks, queues) never evicts.
ensure_cache_redis() {
  [[ -n $REDIS_CACHE_URL ]] || return 0
  ensure_redis_at RC "cache redis" --maxmemory "$REDIS_CACHE_MAXMEMORY" --maxmemory-policy allkeys-lru
  local policy
  policy=$(rcli_at RC config get maxmemory-policy 2>/dev/null | tail -n 1 | tr -d '\r')
  [[ $policy == allkeys-* ]] || echo "cache redis: warning: maxmemory-policy is '${policy:-unknown}', not allkeys-lru: cached values are not evicted at the limit" >&2
}

# ---------------------------------------------------------------- commands
require_primary_running() {
  if ! { have_data_root && [[ -f $PRIMARY_DIR/PG_VERSION ]] && pg_running "$PRIMARY_DIR"; }; then
    die "primary is not running; run 'bash scripts/services.sh up'"
  fi
}
require_replica_configured() {
  [[ -n $DB_REPLICA_URL ]] || die "no replica configured (DB_REPLICA_URL is empty)"
}
require_replica_running() {
  require_replica_configured
  if ! { [[ -f $REPLICA_DIR/PG_VERSION ]] && pg_running "$REPLICA_DIR"; }; then
    die "replica is not running; run 'bash scripts/services.sh start-replica'"
  fi
}

cmd_up() {
  ensure_pg_tools
  ensure_data_root
  ensure_primary
  ensure_replica
  ensure_redis
  ensure_cache_redis
  if [[ $CHANGES -eq 0 ]]; then say "services: up, nothing changed"; else say "services: up, $CHANGES change(s)"; fi
}

cmd_status() {
  if ! have_data_root || [[ ! -f $PRIMARY_DIR/PG_VERSION ]]; then
    say "primary: not created ($PRIMARY_DIR)"
  elif pg_running "$PRIMARY_DIR"; then
    say "primary: running on $P_PORT (pid $(pg_pid "$PRIMARY_DIR"), data $PRIMARY_DIR)"
  else
    say "primary: stopped (data $PRIMARY_DIR)"
  fi
  if [[ -z $DB_REPLICA_URL ]]; then
    say "replica: disabled (DB_REPLICA_URL is empty)"
  elif [[ ! -f $REPLICA_DIR/PG_VERSION ]]; then
    say "replica: not created ($REPLICA_DIR)"
  elif ! pg_running "$REPLICA_DIR"; then
    say "replica: stopped (data $REPLICA_DIR)"
  else
    local rec paused delay state
    rec=$(q "$R_PORT" postgres "SELECT CASE WHEN pg_is_in_recovery() THEN 'in recovery' ELSE 'NOT in recovery' END" || echo "not answering")
    paused=$(q "$R_PORT" postgres "SELECT CASE WHEN pg_is_wal_replay_paused() THEN 'paused' ELSE 'running' END" || echo "?")
    delay=$(q "$R_PORT" postgres "SELECT coalesce(round(extract(epoch FROM now() - pg_last_xact_replay_timestamp()))::text || ' s', 'n/a')" || echo "?")
    state=$(q "$P_PORT" postgres "SELECT r.state || ', replay lag ' || pg_wal_lsn_diff(pg_current_wal_lsn(), r.replay_lsn) || ' bytes'
             FROM pg_replication_slots s JOIN pg_stat_replication r ON r.pid = s.active_pid
             WHERE s.slot_name = '$SLOT'" || true)
    say "replica: running on $R_PORT (pid $(pg_pid "$REPLICA_DIR")), $rec, ${state:-not connected to the primary}, replay $paused, last replayed transaction $delay ago"
  fi
  if ! command -v redis-cli >/dev/null 2>&1; then
    say "redis: redis-cli not installed"
  elif redis_ping; then
    local ver
    ver=$(rcli info server 2>/dev/null | tr -d '\r' | awk -F: '/^redis_version/ {print $2}')
    say "redis: running at $RD_HOST:$RD_PORT (redis $ver)"
  else
    say "redis: not reachable at $RD_HOST:$RD_PORT"
  fi
  if [[ -n $REDIS_CACHE_URL ]] && command -v redis-cli >/dev/null 2>&1; then
    if redis_ping_at RC; then
      say "cache redis: running at $RC_HOST:$RC_PORT ($(rcli_at RC config get maxmemory-policy 2>/dev/null | tail -n 1 | tr -d '\r'))"
    else
      say "cache redis: not reachable at $RC_HOST:$RC_PORT"
    fi
  fi
}

cmd_stop_replica() {
  if [[ -z $DB_REPLICA_URL ]]; then say "replica: disabled (DB_REPLICA_URL is empty), nothing to stop"; return 0; fi
  if pg_stop "$REPLICA_DIR" fast; then say "replica: stopped"; else say "replica: already stopped"; fi
}

cmd_start_replica() {
  require_replica_configured
  require_primary_running
  ensure_replica
}

cmd_pause_replay() {
  require_replica_running
  if [[ $(q "$R_PORT" postgres "SELECT pg_is_wal_replay_paused()") == t ]]; then
    say "replica: replay already paused"
  else
    q "$R_PORT" postgres "SELECT pg_wal_replay_pause()" >/dev/null
    say "replica: replay paused"
  fi
}

cmd_resume_replay() {
  require_replica_running
  if [[ $(q "$R_PORT" postgres "SELECT pg_is_wal_replay_paused()") == t ]]; then
    q "$R_PORT" postgres "SELECT pg_wal_replay_resume()" >/dev/null
    say "replica: replay resumed"
  else
    say "replica: replay already running"
  fi
}

cmd_down() {
  if ! have_data_root; then say "services: nothing to stop (no data root created by services.sh at $PG_DATA_ROOT)"; return 0; fi
  if pg_stop "$REPLICA_DIR" fast; then say "replica: stopped"; else say "replica: already stopped"; fi
  if pg_stop "$PRIMARY_DIR" fast; then say "primary: stopped"; else say "primary: already stopped"; fi
  say "redis: left running (not managed by down)"
}

cmd_reset() {
  [[ ${1-} == --yes ]] || die "reset deletes $PG_DATA_ROOT; run 'services.sh reset --yes' to confirm"
  cmd_down
  if have_data_root; then
    rm -rf -- "$PG_DATA_ROOT"
    say "data: deleted $PG_DATA_ROOT"
  fi
}

usage() { sed -n '2,13p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }

cmd=${1:-up}
[[ $# -eq 0 ]] || shift
case $cmd in
  -h | --help | help) usage; exit 0 ;;
  status) cmd_status; exit 0 ;;
esac

# One run at a time per data root: tests may call stop-replica/up from parallel workers.
LOCK=${TMPDIR:-/tmp}/nest-commerce-services.$(printf '%s' "$PG_DATA_ROOT" | cksum | cut -d' ' -f1).lock
exec 9>"$LOCK"
flock -w 300 9 || die "another services.sh run holds $LOCK"

case $cmd in
  up) cmd_up ;;
  stop-replica) cmd_stop_replica ;;
  start-replica) cmd_start_replica ;;
  pause-replay) cmd_pause_replay ;;
  resume-replay) cmd_resume_replay ;;
  down) cmd_down ;;
  reset) cmd_reset "$@" ;;
  *) usage >&2; die "unknown command '$cmd'" ;;
esac
