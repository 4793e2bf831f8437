#!/usr/bin/env bash
# Throwaway backing services for tests and local development: one PostgreSQL, one Redis and a
# three-master Redis Cluster, all on free loopback ports, all state in one temporary directory.
#
# Usage: scripts/dev-services.sh start|stop|status|env|stop-redis|start-redis
#   start        start everything (or reuse the running set) and print the exports below
#   stop         stop everything this script started and delete its temporary directory
#   status       say what runs; exit 0 only when every service is up
#   env          print the exports of the running set
#   stop-redis   stop only the single Redis (outage drills); start-redis brings it back, same port
#
#   eval "$(scripts/dev-services.sh start)"   # sets, and also writes to .dev-services/env:
#     TEST_DATABASE_URL         postgres://postgres@127.0.0.1:PORT/postgres
#     TEST_REDIS_URL            redis://127.0.0.1:PORT
#     TEST_REDIS_CLUSTER_NODES  127.0.0.1:P1,127.0.0.1:P2,127.0.0.1:P3
#     TEST_REDIS_CLUSTER_URL    redis+cluster://127.0.0.1:P1,127.0.0.1:P2,127.0.0.1:P3
#
# Only the exports go to stdout; progress goes to stderr and server logs to files in the
# temporary directory (path in .dev-services/state). Missing postgresql/redis-server packages are
# installed with apt-get. PostgreSQL refuses to run as root, so as root it runs as the `postgres`
# system user. Settings: DEV_SERVICES_TIMEOUT (seconds to wait for each service, 60),
# PG_BIN (PostgreSQL bin directory; default: newest /usr/lib/postgresql/*/bin).
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
STATE_DIR="$REPO/.dev-services"
STATE_FILE="$STATE_DIR/state"
ENV_FILE="$STATE_DIR/env"
TIMEOUT="${DEV_SERVICES_TIMEOUT:-60}"

# Everything written to stdout by default goes to stderr; only `emit` writes to the real stdout
# (fd 3), so `eval "$(dev-services.sh start)"` never evaluates a stray log line. Daemons and
# anything that may spawn one are started with `3>&-`: a server holding fd 3 open would keep the
# caller's $(...) waiting forever.
exec 3>&1 1>&2

log() { printf 'dev-services: %s\n' "$*" >&2; }
die() {
    log "error: $*"
    exit 1
}
emit() { printf '%s\n' "$*" >&3; }

# ---------------------------------------------------------------------------------------------
# Packages and binaries

APT_UPDATED=0
apt_install() {
    local sudo=()
    if [[ $EUID -ne 0 ]]; then
        command -v sudo >/dev/null || die "missing packages ($*) and not root; install them"
        sudo=(sudo)
    fi
    command -v apt-get >/dev/null || die "missing packages ($*) and no apt-get; install them"
    if [[ $APT_UPDATED -eq 0 ]]; then
        log "apt-get update"
        "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2 3>&-
        APT_UPDATED=1
    fi
    log "apt-get install $*"
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >&2 3>&-
}

find_pg_bin() {
    if [[ -n "${PG_BIN:-}" ]]; then
        [[ -x "$PG_BIN/initdb" ]] && printf '%s\n' "$PG_BIN"
        return 0
    fi
    local dir
    dir="$(find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -name bin -type d 2>/dev/null | sort -V | tail -n 1)"
    if [[ -n "$dir" && -x "$dir/initdb" ]]; then
        printf '%s\n' "$dir"
    elif command -v initdb >/dev/null; then
        dirname "$(command -v initdb)"
    fi
}

ensure_binaries() {
    local missing=()
    [[ -n "$(find_pg_bin)" ]] || missing+=(postgresql)
    command -v redis-server >/dev/null && command -v redis-cli >/dev/null || missing+=(redis-server)
    if [[ ${#missing[@]} -gt 0 ]]; then
        apt_install "${missing[@]}"
    fi
    PG_BIN="$(find_pg_bin)"
    [[ -n "$PG_BIN" ]] || die "no PostgreSQL binaries found (set PG_BIN)"
    command -v redis-server >/dev/null || die "redis-server not found"
    if [[ $EUID -eq 0 ]]; then
        id postgres >/dev/null 2>&1 || die "running as root needs a 'postgres' system user"
    fi
}

# as_pg CMD...: run a PostgreSQL tool as a non-root user (PostgreSQL refuses to run as root).
as_pg() {
    if [[ $EUID -eq 0 ]]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

# ---------------------------------------------------------------------------------------------
# Ports

PICKED_PORTS=()

port_in_use() {
    local port="$1"
    if command -v python3 >/dev/null; then
        # The exit status is 0 when the port could be bound, i.e. it is free.
        if python3 - "$port" <<'EOF' 2>/dev/null; then return 1; fi
import socket, sys
s = socket.socket()
s.bind(("127.0.0.1", int(sys.argv[1])))
s.close()
EOF
        return 0
    else
        (: <"/dev/tcp/127.0.0.1/$port") 2>/dev/null
    fi
}

# free_port [NEEDS_BUS]: a random free loopback port not picked before by this run. With
# NEEDS_BUS=1 the port + 10000 (the Redis Cluster bus port) must be free as well.
free_port() {
    local needs_bus="${1:-0}" port attempt p taken
    for attempt in $(seq 1 200); do
        port=$((10000 + RANDOM % 12000)) # bus ports (+10000) stay below the ephemeral range
        taken=0
        for p in "${PICKED_PORTS[@]}"; do
            if [[ $p -eq $port || $p -eq $((port + 10000)) || $((p + 10000)) -eq $port ]]; then taken=1; fi
        done
        [[ $taken -eq 0 ]] || continue
        port_in_use "$port" && continue
        [[ $needs_bus -eq 1 ]] && port_in_use $((port + 10000)) && continue
        PICKED_PORTS+=("$port")
        printf '%s\n' "$port"
        return 0
    done
    die "no free port found after $attempt attempts"
}

# ---------------------------------------------------------------------------------------------
# State

load_state() {
    [[ -f "$STATE_FILE" ]] || return 1
    # shellcheck source=/dev/null
    source "$STATE_FILE"
    [[ -n "${TMP_DIR:-}" && -n "${PG_PORT:-}" && -n "${REDIS_PORT:-}" && -n "${CLUSTER_PORTS:-}" ]]
}

write_state() {
    mkdir -p "$STATE_DIR"
    {
        printf 'TMP_DIR=%q\n' "$TMP_DIR"
        printf 'PG_BIN=%q\n' "$PG_BIN"
        printf 'PG_PORT=%q\n' "$PG_PORT"
        printf 'REDIS_PORT=%q\n' "$REDIS_PORT"
        printf 'CLUSTER_PORTS=%q\n' "$CLUSTER_PORTS"
    } >"$STATE_FILE"
}

exports() {
    local nodes="" port
    for port in $CLUSTER_PORTS; do nodes+="${nodes:+,}127.0.0.1:$port"; done
    printf 'export TEST_DATABASE_URL=postgres://postgres@127.0.0.1:%s/postgres\n' "$PG_PORT"
    printf 'export TEST_REDIS_URL=redis://127.0.0.1:%s\n' "$REDIS_PORT"
    printf 'export TEST_REDIS_CLUSTER_NODES=%s\n' "$nodes"
    printf 'export TEST_REDIS_CLUSTER_URL=redis+cluster://%s\n' "$nodes"
}

pid_alive() { [[ -n "${1:-}" ]] && kill -0 "$1" 2>/dev/null; }
pg_pid() { head -n 1 "$TMP_DIR/pg/data/postmaster.pid" 2>/dev/null || true; }
redis_pid() { cat "$TMP_DIR/$1/redis.pid" 2>/dev/null || true; }

# wait_for DESCRIPTION CMD...: retry CMD every 0.2 s until it succeeds or TIMEOUT expires.
wait_for() {
    local what="$1" deadline=$((SECONDS + TIMEOUT))
    shift
    until "$@" >/dev/null 2>&1; do
        ((SECONDS < deadline)) || die "timed out after ${TIMEOUT}s waiting for $what"
        sleep 0.2
    done
}

# ---------------------------------------------------------------------------------------------
# PostgreSQL

pg_ready() { "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres; }

init_postgres() {
    local dir="$TMP_DIR/pg"
    mkdir -p "$dir"
    [[ $EUID -ne 0 ]] || chown postgres: "$dir"
    log "postgres: initdb"
    as_pg "$PG_BIN/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 \
        --no-sync >"$TMP_DIR/initdb.log" 2>&1 ||
        { tail -n 20 "$TMP_DIR/initdb.log" >&2; die "initdb failed"; }
    cat >>"$dir/data/postgresql.conf" <<EOF

# dev-services.sh: throwaway test server; durability traded for speed
listen_addresses = '127.0.0.1'
port = $PG_PORT
unix_socket_directories = '$dir'
max_connections = 300
fsync = off
synchronous_commit = off
full_page_writes = off
EOF
}

start_postgres() {
    local dir="$TMP_DIR/pg"
    log "postgres: starting on 127.0.0.1:$PG_PORT"
    as_pg "$PG_BIN/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w -t "$TIMEOUT" start >/dev/null 3>&- ||
        { tail -n 20 "$dir/postgres.log" >&2; die "postgres did not start"; }
    wait_for "postgres on port $PG_PORT" pg_ready
}

stop_postgres() {
    [[ -f "$TMP_DIR/pg/data/postmaster.pid" ]] || return 0
    log "postgres: stopping"
    as_pg "$PG_BIN/pg_ctl" -D "$TMP_DIR/pg/data" -m fast -w -t "$TIMEOUT" stop >/dev/null 2>&1 ||
        { pid_alive "$(pg_pid)" && kill -KILL "$(pg_pid)"; } || true
}

# ---------------------------------------------------------------------------------------------
# Redis

redis_ping() { [[ "$(redis-cli -h 127.0.0.1 -p "$1" ping 2>/dev/null)" == PONG ]]; }

# start_redis_server NAME PORT [EXTRA ARGS...]: a daemonized Redis without persistence.
start_redis_server() {
    local name="$1" port="$2" dir="$TMP_DIR/$1"
    shift 2
    mkdir -p "$dir"
    redis-server --bind 127.0.0.1 --port "$port" --dir "$dir" --save '' --appendonly no \
        --daemonize yes --pidfile "$dir/redis.pid" --logfile "$dir/redis.log" "$@" 3>&- ||
        die "redis-server $name failed to launch"
    wait_for "redis $name on port $port" redis_ping "$port"
}

stop_redis_server() {
    local name="$1" port="$2" pid deadline=$((SECONDS + TIMEOUT))
    pid="$(redis_pid "$name")"
    pid_alive "$pid" || return 0
    redis-cli -h 127.0.0.1 -p "$port" shutdown nosave >/dev/null 2>&1 || true
    while pid_alive "$pid"; do
        if ((SECONDS >= deadline)); then
            kill -KILL "$pid" 2>/dev/null || true
            break
        fi
        sleep 0.1
    done
}

start_single_redis() {
    log "redis: starting on 127.0.0.1:$REDIS_PORT"
    start_redis_server redis "$REDIS_PORT"
}

cluster_ok() {
    local info
    info="$(redis-cli -h 127.0.0.1 -p "$1" cluster info 2>/dev/null)" || return 1
    [[ "$info" == *"cluster_state:ok"* && "$info" == *"cluster_known_nodes:3"* &&
        "$info" == *"cluster_slots_ok:16384"* ]]
}

# A restarted node finds its identity and slots in nodes.conf and rejoins the cluster by itself.
start_cluster_node() {
    start_redis_server "cluster-$1" "$1" --cluster-enabled yes \
        --cluster-config-file nodes.conf --cluster-node-timeout 5000
}

wait_cluster_ok() {
    local port
    for port in $CLUSTER_PORTS; do
        wait_for "cluster_state:ok on port $port" cluster_ok "$port"
    done
}

create_cluster() {
    local port addrs=()
    for port in $CLUSTER_PORTS; do
        start_cluster_node "$port"
        addrs+=("127.0.0.1:$port")
    done
    log "redis cluster: creating on ${addrs[*]}"
    redis-cli --cluster create "${addrs[@]}" --cluster-replicas 0 --cluster-yes \
        >"$TMP_DIR/cluster-create.log" 2>&1 ||
        { tail -n 20 "$TMP_DIR/cluster-create.log" >&2; die "redis-cli --cluster create failed"; }
    wait_cluster_ok
}

# ---------------------------------------------------------------------------------------------
# Commands

all_running() {
    local port
    pid_alive "$(pg_pid)" || return 1
    pid_alive "$(redis_pid redis)" || return 1
    for port in $CLUSTER_PORTS; do pid_alive "$(redis_pid "cluster-$port")" || return 1; done
}

cmd_start() {
    if load_state; then
        if all_running; then
            log "already running (state in $TMP_DIR)"
            exports >"$ENV_FILE"
            emit "$(exports)"
            return 0
        fi
        # Restart what is missing on the same ports, in a child process so that a failure there
        # (die, errexit) falls back to a clean start instead of ending this one.
        if [[ -d "$TMP_DIR/pg/data" ]] && "${BASH_SOURCE[0]}" __revive 3>&-; then
            exports >"$ENV_FILE"
            emit "$(exports)"
            return 0
        fi
        log "could not restart the previous set; cleaning up and starting afresh"
        cmd_stop
    fi
    ensure_binaries
    TMP_DIR="$(mktemp -d -t janua-dev-services.XXXXXX)"
    chmod 755 "$TMP_DIR" # the postgres user must reach its data directory inside
    PG_PORT="$(free_port)"
    PICKED_PORTS+=("$PG_PORT") # free_port ran in a subshell; remember its pick here
    REDIS_PORT="$(free_port)"
    PICKED_PORTS+=("$REDIS_PORT")
    local port ports=()
    for _ in 1 2 3; do
        port="$(free_port 1)"
        PICKED_PORTS+=("$port")
        ports+=("$port")
    done
    CLUSTER_PORTS="${ports[*]}"
    write_state
    # A failure below (die exits) leaves a half-started set: take it down on the way out so the
    # next start begins clean.
    trap 'log "start failed; stopping what was started"; cmd_stop' EXIT
    init_postgres
    start_postgres
    start_single_redis
    create_cluster
    trap - EXIT
    exports >"$ENV_FILE"
    log "ready; logs in $TMP_DIR"
    emit "$(exports)"
}

cmd_stop() {
    if ! load_state; then
        log "not running"
        return 0
    fi
    local port
    stop_postgres
    stop_redis_server redis "$REDIS_PORT"
    for port in $CLUSTER_PORTS; do stop_redis_server "cluster-$port" "$port"; done
    case "$TMP_DIR" in
        */janua-dev-services.*) rm -rf "$TMP_DIR" ;;
        *) log "not deleting unexpected directory '$TMP_DIR'" ;;
    esac
    rm -f "$STATE_FILE" "$ENV_FILE"
    log "stopped"
}

cmd_status() {
    load_state || {
        log "not running"
        return 1
    }
    local port ok=0
    line() {
        if pid_alive "$2"; then
            printf '%-22s running  %s (pid %s)\n' "$1" "$3" "$2" >&3
        else
            printf '%-22s stopped  %s\n' "$1" "$3" >&3
            ok=1
        fi
    }
    line postgres "$(pg_pid)" "127.0.0.1:$PG_PORT"
    line redis "$(redis_pid redis)" "127.0.0.1:$REDIS_PORT"
    for port in $CLUSTER_PORTS; do
        line "redis-cluster-node" "$(redis_pid "cluster-$port")" "127.0.0.1:$port"
    done
    printf 'state directory        %s\n' "$TMP_DIR" >&3
    return "$ok"
}

# Works while the single Redis is stopped on purpose, so outage drills can still read the URLs.
cmd_env() {
    load_state || die "not running; use: $0 start"
    all_running || log "warning: not every service is running; see: $0 status"
    emit "$(exports)"
}

# Internal (see cmd_start): bring back whatever of the recorded set has stopped.
cmd_revive() {
    load_state || die "no state to revive"
    local port
    pid_alive "$(pg_pid)" || start_postgres
    pid_alive "$(redis_pid redis)" || start_single_redis
    for port in $CLUSTER_PORTS; do
        pid_alive "$(redis_pid "cluster-$port")" || start_cluster_node "$port"
    done
    wait_cluster_ok
}

cmd_stop_redis() {
    load_state || die "not running; use: $0 start"
    log "redis: stopping 127.0.0.1:$REDIS_PORT"
    stop_redis_server redis "$REDIS_PORT"
}

cmd_start_redis() {
    load_state || die "not running; use: $0 start"
    if pid_alive "$(redis_pid redis)"; then
        log "redis already running on 127.0.0.1:$REDIS_PORT"
        return 0
    fi
    start_single_redis
}

case "${1:-}" in
    start) cmd_start ;;
    stop) cmd_stop ;;
    status) cmd_status ;;
    env) cmd_env ;;
    stop-redis) cmd_stop_redis ;;
    start-redis) cmd_start_redis ;;
    __revive) cmd_revive ;;
    *)
        sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2
        exit 2
        ;;
esac
