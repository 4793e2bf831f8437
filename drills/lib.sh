# shellcheck shell=bash
# shellcheck disable=SC2034  # DRILL_EXIT, DRILL_STOP_MS, PG_BIN… are read by the drills
# Shared helpers for the operational drills in drills/. Source it; do not run it.
#
#   source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
#   drill_init rolling-restart        # temp dir, cleanup trap, binary check
#   drill_services_start              # private PostgreSQL + Redis + Redis Cluster (TEST_* vars)
#   drill_createdb NAME               # prints postgres://…/NAME
#   drill_instance_start a PORT VAR=VALUE...   # janua serve; log in $DRILL_TMP/a.log
#   drill_wait_status URL 200 30      # bounded polling, no fixed sleeps
#   drill_instance_stop a TERM 30     # sets DRILL_EXIT (exit code) and DRILL_STOP_MS
#   drill_check "description" "measured" 0|1
#   drill_finish                      # result table, "N passed, M failed", exit status
#
# Every drill is bounded in time, binds to 127.0.0.1 only, and on exit (normal, failure or
# signal) kills what it started (by PID) and deletes its temporary directory. Backing services
# come from a private copy of scripts/dev-services.sh, so a drill never touches a developer's
# running set (`.dev-services/` in the repository) and stopping "its" Redis affects no one else.
#
# Settings (environment):
#   JANUA_BIN        server binary (default: <repo>/target/release/janua)
#   DRILL_KEEP_TMP   1 = keep the temporary directory (logs) for inspection
#   DRILL_PY         Python 3 interpreter (default python3)

DRILL_REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DRILL_DIR="$DRILL_REPO/drills"
JANUA_BIN="${JANUA_BIN:-target/release/janua}"
[[ "$JANUA_BIN" == /* ]] || JANUA_BIN="$DRILL_REPO/$JANUA_BIN"
DRILL_PY="${DRILL_PY:-python3}"
DRILL_HELPER="$DRILL_DIR/drill.py"
DRILL_KEEP_TMP="${DRILL_KEEP_TMP:-0}"
DRILL_NAME=""
DRILL_TMP=""
DRILL_SVC_DIR=""
DRILL_PASSED=0
DRILL_FAILED=0
DRILL_ROWS=()
DRILL_EXIT=""
DRILL_STOP_MS=""
declare -A DRILL_PIDS=()

drill_log() { printf '[%s] %s: %s\n' "$(date +%H:%M:%S)" "${DRILL_NAME:-drill}" "$*" >&2; }
drill_die() {
    drill_log "error: $*"
    exit 1
}

# drill_now_ms: wall-clock milliseconds.
drill_now_ms() {
    local t="${EPOCHREALTIME//[.,]/}"
    printf '%s\n' $((t / 1000))
}

# drill_require COMMAND PACKAGE: install the Debian PACKAGE when COMMAND is missing.
drill_require() {
    local cmd="$1" pkg="$2"
    command -v "$cmd" >/dev/null && return 0
    [[ -x "/usr/sbin/$cmd" ]] && return 0
    command -v apt-get >/dev/null || drill_die "$cmd is missing; install package $pkg"
    local sudo=()
    [[ $EUID -eq 0 ]] || sudo=(sudo)
    drill_log "installing $pkg"
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$pkg" >/dev/null 2>&1 || {
        "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
        "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$pkg" >&2
    }
    command -v "$cmd" >/dev/null || [[ -x "/usr/sbin/$cmd" ]] || drill_die "$cmd still missing after installing $pkg"
}

# drill_init NAME: temporary directory, cleanup trap, checks that the binary exists.
drill_init() {
    DRILL_NAME="$1"
    [[ -x "$JANUA_BIN" ]] || drill_die "no server binary at $JANUA_BIN (cargo build --release --bin janua, or set JANUA_BIN)"
    command -v "$DRILL_PY" >/dev/null || drill_require python3 python3
    drill_require curl curl
    DRILL_TMP="$(mktemp -d -t "janua-drill-$1.XXXXXX")"
    chmod 755 "$DRILL_TMP"
    trap drill_cleanup EXIT
    trap 'drill_log "interrupted"; exit 130' INT TERM
    drill_log "temporary directory $DRILL_TMP; binary $JANUA_BIN"
}

# drill_cleanup: kill every process this drill started (by PID), stop the private backing
# services, delete the temporary directory. Runs from the EXIT trap.
drill_cleanup() {
    local name pid
    set +e
    for name in "${!DRILL_PIDS[@]}"; do
        pid="${DRILL_PIDS[$name]}"
        [[ -n "$pid" ]] || continue
        if [[ $name == nginx ]]; then
            # The master takes its workers down on SIGTERM; SIGKILL would orphan them.
            kill -TERM "$pid" 2>/dev/null
            for _ in $(seq 1 30); do
                kill -0 "$pid" 2>/dev/null || break
                sleep 0.1
            done
        fi
        kill -KILL "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
    done
    for pid in $(jobs -p); do
        kill -KILL "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
    done
    if [[ -n "$DRILL_SVC_DIR" && -x "$DRILL_SVC_DIR/scripts/dev-services.sh" ]]; then
        "$DRILL_SVC_DIR/scripts/dev-services.sh" stop >/dev/null 2>&1
    fi
    if [[ -n "$DRILL_TMP" && -d "$DRILL_TMP" ]]; then
        if [[ "$DRILL_KEEP_TMP" == 1 ]]; then
            drill_log "kept $DRILL_TMP"
        else
            rm -rf "$DRILL_TMP"
        fi
    fi
}

# drill_free_port: a free loopback port chosen by the kernel.
drill_free_port() {
    "$DRILL_PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# drill_secret: a random 64-character SECRET_KEY.
drill_secret() { "$DRILL_PY" -c 'import secrets; print(secrets.token_hex(32))'; }

# ---------------------------------------------------------------------------------------------
# Backing services (a private copy of scripts/dev-services.sh)

# drill_svc CMD: run the private dev-services copy (start, stop, stop-redis, start-redis, env).
drill_svc() { "$DRILL_SVC_DIR/scripts/dev-services.sh" "$@"; }

drill_services_start() {
    DRILL_SVC_DIR="$DRILL_TMP/services"
    mkdir -p "$DRILL_SVC_DIR/scripts"
    cp "$DRILL_REPO/scripts/dev-services.sh" "$DRILL_SVC_DIR/scripts/"
    drill_log "starting private PostgreSQL, Redis and Redis Cluster"
    local exports
    exports="$(drill_svc start 2>"$DRILL_TMP/services.log")" ||
        { tail -n 20 "$DRILL_TMP/services.log" >&2; drill_die "dev-services.sh start failed"; }
    eval "$exports"
    [[ -n "${TEST_DATABASE_URL:-}" && -n "${TEST_REDIS_URL:-}" && -n "${TEST_REDIS_CLUSTER_URL:-}" ]] ||
        drill_die "dev-services.sh did not export the TEST_* variables"
    # pg_dump/pg_restore/psql of the same major version as the server.
    PG_BIN="$(find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -name bin -type d 2>/dev/null | sort -V | tail -n 1)"
    [[ -n "$PG_BIN" ]] || PG_BIN="$(dirname "$(command -v psql)")"
    drill_log "services up: $TEST_DATABASE_URL, $TEST_REDIS_URL, $TEST_REDIS_CLUSTER_URL"
}

# drill_as_pg CMD...: run a PostgreSQL client tool as the postgres system user when root.
drill_as_pg() {
    if [[ $EUID -eq 0 ]] && id postgres >/dev/null 2>&1; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

# drill_pg_url NAME: the URL of database NAME on the private PostgreSQL.
drill_pg_url() { printf '%s/%s\n' "${TEST_DATABASE_URL%/*}" "$1"; }

# drill_psql DBNAME SQL: one value (or rows, tab-separated) from psql.
drill_psql() {
    "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -At -F $'\t' -d "$(drill_pg_url "$1")" -c "$2"
}

# drill_createdb NAME: create an empty database; prints its URL.
drill_createdb() {
    drill_psql postgres "CREATE DATABASE \"$1\"" >/dev/null || drill_die "CREATE DATABASE $1 failed"
    drill_pg_url "$1"
}

# ---------------------------------------------------------------------------------------------
# Janua instances

DRILL_BASE_ENV=()

# drill_instance_start NAME PORT [VAR=VALUE...]: start `janua serve` on 127.0.0.1:PORT with
# DRILL_BASE_ENV plus the extra settings; output appended to $DRILL_TMP/NAME.log.
drill_instance_start() {
    local name="$1" port="$2"
    shift 2
    {
        printf '\n===== start %s on port %s at %s\n' "$name" "$port" "$(date +%T.%N)"
    } >>"$DRILL_TMP/$name.log"
    env HOST=127.0.0.1 PORT="$port" LOG_LEVEL="${LOG_LEVEL:-info}" LOG_FORMAT=pretty NO_COLOR=1 \
        "${DRILL_BASE_ENV[@]}" "$@" "$JANUA_BIN" serve >>"$DRILL_TMP/$name.log" 2>&1 </dev/null &
    DRILL_PIDS[$name]=$!
}

drill_instance_pid() { printf '%s\n' "${DRILL_PIDS[$1]:-}"; }

drill_instance_log_tail() {
    [[ -f "$DRILL_TMP/$1.log" ]] || return 0
    drill_log "last lines of $1.log:"
    tail -n "${2:-15}" "$DRILL_TMP/$1.log" >&2
}

# drill_http_status URL [MAX_TIME]: the status code, 000 when nothing came back.
drill_http_status() {
    curl -s -o /dev/null -w '%{http_code}' --max-time "${2:-2}" "$1" || true
}

# drill_wait_status URL CODE TIMEOUT [INSTANCE]: poll every 0.1 s until URL answers CODE;
# returns 1 on timeout or when INSTANCE's process died. Prints the wait in ms.
drill_wait_status() {
    local url="$1" want="$2" timeout="$3" name="${4:-}" start deadline
    start="$(drill_now_ms)"
    deadline=$((start + timeout * 1000))
    while [[ "$(drill_http_status "$url" 1)" != "$want" ]]; do
        if [[ -n "$name" ]] && ! kill -0 "${DRILL_PIDS[$name]:-0}" 2>/dev/null; then
            drill_log "$name exited while waiting for $url to answer $want"
            drill_instance_log_tail "$name"
            return 1
        fi
        if (($(drill_now_ms) >= deadline)); then
            drill_log "timed out after ${timeout}s waiting for $url to answer $want"
            return 1
        fi
        sleep 0.1
    done
    printf '%s\n' $(($(drill_now_ms) - start))
}

# drill_instance_stop NAME SIGNAL TIMEOUT: signal the instance and wait for its exit (SIGKILL
# after TIMEOUT seconds). Sets DRILL_EXIT (exit status; 128+n for a signal) and DRILL_STOP_MS.
drill_instance_stop() {
    local name="$1" sig="$2" timeout="$3" pid start
    pid="${DRILL_PIDS[$name]:-}"
    DRILL_EXIT="" DRILL_STOP_MS=""
    [[ -n "$pid" ]] || return 0
    start="$(drill_now_ms)"
    kill -"$sig" "$pid" 2>/dev/null || true
    while kill -0 "$pid" 2>/dev/null; do
        if (($(drill_now_ms) - start >= timeout * 1000)); then
            drill_log "$name still running ${timeout}s after SIG$sig; killing it"
            kill -KILL "$pid" 2>/dev/null || true
            break
        fi
        sleep 0.05
    done
    DRILL_EXIT=0
    wait "$pid" 2>/dev/null || DRILL_EXIT=$?
    DRILL_STOP_MS=$(($(drill_now_ms) - start))
    DRILL_PIDS[$name]=""
}

# drill_run_janua VAR=VALUE... -- ARGS...: a one-off janua command (migrate, doctor, …).
drill_run_janua() {
    local envs=()
    while [[ $# -gt 0 && "$1" != -- ]]; do
        envs+=("$1")
        shift
    done
    shift
    env LOG_LEVEL=warn NO_COLOR=1 "${DRILL_BASE_ENV[@]}" "${envs[@]}" "$JANUA_BIN" "$@"
}

# drill_py ARGS...: the Python helper (drills/drill.py), in the foreground. In the background
# call `"$DRILL_PY" "$DRILL_HELPER" ARGS... &` directly: `drill_py ... &` would fork a subshell,
# $! would be its PID, and killing it would orphan the Python process.
drill_py() { "$DRILL_PY" "$DRILL_HELPER" "$@"; }

# ---------------------------------------------------------------------------------------------
# Results

# drill_check DESCRIPTION MEASURED PASS: PASS is 1 (or "yes"/"true") for a pass.
drill_check() {
    local verdict=pass
    case "$3" in
        1 | yes | true) DRILL_PASSED=$((DRILL_PASSED + 1)) ;;
        *)
            verdict=FAIL
            DRILL_FAILED=$((DRILL_FAILED + 1))
            ;;
    esac
    DRILL_ROWS+=("| $1 | $2 | $verdict |")
    drill_log "$verdict: $1 — $2"
}

# drill_bool EXPRESSION...: prints 1 when the arithmetic/test expression holds, else 0.
drill_bool() { if "$@"; then echo 1; else echo 0; fi; }

# drill_finish: print the Markdown result table and the summary line; exit 1 on any failure.
drill_finish() {
    printf '\n### %s (%s)\n\n' "$DRILL_NAME" "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
    printf '| Check | Measured | Result |\n|---|---|---|\n'
    printf '%s\n' "${DRILL_ROWS[@]}"
    printf '\n%s passed, %s failed\n' "$DRILL_PASSED" "$DRILL_FAILED"
    if ((DRILL_FAILED > 0)); then
        drill_log "FAILED (logs: $DRILL_TMP; set DRILL_KEEP_TMP=1 to keep them)"
        exit 1
    fi
    drill_log "passed"
    exit 0
}
