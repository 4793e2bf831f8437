# shellcheck shell=bash
# Shared helpers for the benchmark and drill scripts in bench/. Source it; do not run it.
#
#   source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
#   bench_require wrk wrk            # command, Debian package (installed with apt-get if missing)
#   bench_start_server               # sets BENCH_PORT, BENCH_URL, BENCH_PID, BENCH_TMP
#   bench_wait_url "$BENCH_URL/health" 30
#   bench_rss_kib "$BENCH_PID"
#   bench_stop_server                # SIGTERM, wait; sets BENCH_SERVER_EXIT
#
# Settings read from the environment:
#   JANUA_BIN          server binary (default: <repo>/target/release/janua)
#   JANUA_ARGS         arguments to it (default: serve)
#   BENCH_START_TIMEOUT seconds to wait for /health after start (default 60)
#   BENCH_STOP_TIMEOUT  seconds to wait for exit after SIGTERM (default 60)
#   BENCH_DATABASE_URL  database instead of a fresh SQLite file (e.g. Postgres from dev-services)
#   BENCH_WRK_POLICY    scheduling policy of the load generator in bench_wrk: batch (default) or
#                       normal
# Any other variable exported by the caller (SECRET_KEY, REDIS_URL, ...) reaches the server.
# Everything binds to 127.0.0.1; the server's output goes to $BENCH_TMP/server.log.

BENCH_REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
JANUA_BIN="${JANUA_BIN:-$BENCH_REPO/target/release/janua}"
JANUA_ARGS="${JANUA_ARGS:-serve}"
BENCH_START_TIMEOUT="${BENCH_START_TIMEOUT:-60}"
BENCH_STOP_TIMEOUT="${BENCH_STOP_TIMEOUT:-60}"
BENCH_TMP=""
BENCH_PID=""
BENCH_PORT=""
BENCH_URL=""
BENCH_SERVER_EXIT=""
BENCH_KEEP_TMP="${BENCH_KEEP_TMP:-0}"

bench_log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
bench_die() {
    bench_log "error: $*"
    exit 1
}

# bench_now_ms: wall-clock milliseconds (EPOCHREALTIME's separator follows the locale).
bench_now_ms() {
    local t="${EPOCHREALTIME//[.,]/}"
    printf '%s\n' $((t / 1000))
}

# bench_require COMMAND PACKAGE: install PACKAGE with apt-get when COMMAND is missing.
bench_require() {
    local cmd="$1" pkg="$2"
    command -v "$cmd" >/dev/null && return 0
    command -v apt-get >/dev/null || bench_die "$cmd is missing; install package $pkg"
    local sudo=()
    [[ $EUID -eq 0 ]] || sudo=(sudo)
    bench_log "installing $pkg"
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$pkg" >&2
    command -v "$cmd" >/dev/null || bench_die "$cmd still missing after installing $pkg"
}

# bench_free_port: a free loopback port. The kernel picks it (bind to port 0), so it can only be
# taken again by a race with another process in the moment before the server binds it.
bench_free_port() {
    if command -v python3 >/dev/null; then
        python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
        return
    fi
    local port attempt
    for attempt in $(seq 1 200); do
        port=$((20000 + RANDOM % 10000))
        # A refused connection means nobody listens there.
        if ! (: <"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            printf '%s\n' "$port"
            return 0
        fi
    done
    bench_die "no free port found after $attempt attempts"
}

# bench_http_status URL: the HTTP status code, or 000 when no response came back.
bench_http_status() {
    curl -s -o /dev/null -w '%{http_code}' --max-time "${2:-2}" "$1" || true
}

# bench_wait_url URL [TIMEOUT_SECONDS]: wait until URL answers 200; fail if the server died.
bench_wait_url() {
    local url="$1" deadline=$((SECONDS + ${2:-$BENCH_START_TIMEOUT}))
    until [[ "$(bench_http_status "$url" 1)" == 200 ]]; do
        if [[ -n "$BENCH_PID" ]] && ! kill -0 "$BENCH_PID" 2>/dev/null; then
            bench_server_log_tail
            bench_die "server exited before $url answered"
        fi
        ((SECONDS < deadline)) || {
            bench_server_log_tail
            bench_die "timed out waiting for $url"
        }
        sleep 0.2
    done
}

bench_server_log_tail() {
    [[ -f "$BENCH_TMP/server.log" ]] || return 0
    bench_log "last lines of $BENCH_TMP/server.log:"
    tail -n 20 "$BENCH_TMP/server.log" >&2
}

# bench_rss_kib PID: resident set size in KiB (VmRSS), or 0 when the process is gone.
bench_rss_kib() {
    awk '/^VmRSS:/ { print $2; found = 1 } END { if (!found) print 0 }' "/proc/$1/status" 2>/dev/null ||
        printf '0\n'
}

# bench_mib KIB: KiB as MiB with one decimal.
bench_mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }

# bench_start_server [VAR=VALUE...]: start the server on a free port with a fresh SQLite database
# in a new temporary directory. Extra VAR=VALUE pairs override the environment for the server.
bench_start_server() {
    [[ -x "$JANUA_BIN" ]] || bench_die "no server binary at $JANUA_BIN (cargo build --release, or set JANUA_BIN)"
    BENCH_TMP="$(mktemp -d -t janua-bench.XXXXXX)"
    BENCH_PORT="$(bench_free_port)"
    BENCH_URL="http://127.0.0.1:$BENCH_PORT"
    local args
    read -r -a args <<<"$JANUA_ARGS"
    bench_log "starting $JANUA_BIN ${args[*]} on $BENCH_URL (log: $BENCH_TMP/server.log)"
    env DATABASE_URL="${BENCH_DATABASE_URL:-sqlite://$BENCH_TMP/janua.db}" HOST=127.0.0.1 PORT="$BENCH_PORT" \
        LOG_LEVEL="${LOG_LEVEL:-warn}" RATE_LIMIT_ENABLED=false "$@" \
        "$JANUA_BIN" "${args[@]}" >"$BENCH_TMP/server.log" 2>&1 </dev/null &
    BENCH_PID=$!
    bench_wait_url "$BENCH_URL/health"
    bench_log "server up (pid $BENCH_PID)"
}

# bench_signal_server [SIGNAL]: send SIGNAL (TERM) to the server without waiting.
bench_signal_server() { kill -"${1:-TERM}" "$BENCH_PID" 2>/dev/null || true; }

# bench_wait_server [TIMEOUT_SECONDS]: wait for the server to exit; sets BENCH_SERVER_EXIT
# (SIGKILLed after the timeout, which yields 137).
bench_wait_server() {
    local deadline=$((SECONDS + ${1:-$BENCH_STOP_TIMEOUT}))
    while kill -0 "$BENCH_PID" 2>/dev/null; do
        if ((SECONDS >= deadline)); then
            bench_log "server still running ${1:-$BENCH_STOP_TIMEOUT}s after SIGTERM; killing it"
            kill -KILL "$BENCH_PID" 2>/dev/null || true
            break
        fi
        sleep 0.1
    done
    BENCH_SERVER_EXIT=0
    wait "$BENCH_PID" 2>/dev/null || BENCH_SERVER_EXIT=$?
    BENCH_PID=""
}

# bench_stop_server: SIGTERM, then wait up to BENCH_STOP_TIMEOUT (see bench_wait_server).
bench_stop_server() {
    [[ -n "$BENCH_PID" ]] || return 0
    bench_signal_server TERM
    bench_wait_server "$BENCH_STOP_TIMEOUT"
    bench_log "server exited with code $BENCH_SERVER_EXIT"
}

# bench_cleanup: for `trap bench_cleanup EXIT`: kill what is left, delete the temporary directory.
bench_cleanup() {
    local pid
    for pid in $(jobs -p); do kill "$pid" 2>/dev/null || true; done
    if [[ -n "$BENCH_PID" ]]; then
        kill -KILL "$BENCH_PID" 2>/dev/null || true
        wait "$BENCH_PID" 2>/dev/null || true
    fi
    if [[ -n "$BENCH_TMP" && "$BENCH_KEEP_TMP" != 1 ]]; then
        rm -rf "$BENCH_TMP"
    fi
}

# bench_wrk ARGS...: wrk with the load generator's scheduling policy (BENCH_WRK_POLICY).
# Under `batch` (SCHED_BATCH, chrt -b 0, no privilege needed) the kernel no longer lets wrk
# preempt a running server thread each time a response wakes it: wrk runs when a server thread
# blocks or its time slice ends, and it still takes its CPU from the same cores. On two shared
# cores the default policy preempts the server's workers about once per request (measured with
# /proc/PID/task/*/status), which measures the co-located load generator rather than the server;
# a client on another machine costs the server no such switches. `normal` runs wrk as is.
bench_wrk() {
    case "${BENCH_WRK_POLICY:-batch}" in
        batch) chrt -b 0 wrk "$@" ;;
        normal) wrk "$@" ;;
        *) bench_die "BENCH_WRK_POLICY must be batch or normal" ;;
    esac
}

# bench_ms VALUE: a wrk latency ("850.00us", "1.23ms", "2.00s") in milliseconds.
bench_ms() {
    awk -v v="$1" 'BEGIN {
        n = v + 0
        if (v ~ /us$/) n /= 1000; else if (v ~ /ms$/) n += 0; else if (v ~ /m$/) n *= 60000;
        else if (v ~ /s$/) n *= 1000
        printf "%.2f", n
    }'
}

# bench_wrk_field FILE FIELD: one value from wrk --latency output. FIELD is one of
# rps, p50, p99 (milliseconds), requests, non2xx, socket_errors (connect+read+write+timeout).
bench_wrk_field() {
    local file="$1" field="$2"
    case "$field" in
        rps) awk '/^Requests\/sec:/ { print $2 }' "$file" ;;
        p50) bench_ms "$(awk '$1 == "50%" { print $2 }' "$file")" ;;
        p99) bench_ms "$(awk '$1 == "99%" { print $2 }' "$file")" ;;
        requests) awk '/ requests in / { print $1 }' "$file" ;;
        non2xx) awk '/Non-2xx or 3xx responses:/ { n = $NF } END { print n + 0 }' "$file" ;;
        socket_errors)
            awk -F'[ ,]+' '/Socket errors:/ { for (i = 1; i < NF; i++) if ($i ~ /^(connect|read|write|timeout)$/) n += $(i + 1) }
                END { print n + 0 }' "$file"
            ;;
        *) bench_die "unknown wrk field $field" ;;
    esac
}
