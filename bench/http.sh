#!/usr/bin/env bash
# Throughput, tail latency and memory of the cheapest endpoints: a floor for every other number.
#
# Usage: bench/http.sh            (build first: cargo build --release)
#   Starts JANUA_BIN on a free loopback port with a fresh SQLite database, waits for /health,
#   measures idle RSS after BENCH_IDLE_SECONDS, runs wrk against each path in BENCH_PATHS while
#   sampling RSS, stops the server with SIGTERM and prints Markdown rows for
#   docs/benchmarks.md on stdout (progress goes to stderr).
#
# Settings (environment): JANUA_BIN (target/release/janua), JANUA_ARGS (serve),
#   BENCH_PATHS ("/health /ready"), BENCH_DURATION seconds per path (10), BENCH_THREADS (2),
#   BENCH_CONNECTIONS (64), BENCH_IDLE_SECONDS (3), BENCH_KEEP_TMP=1 keeps the server log.
set -euo pipefail

# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

PATHS="${BENCH_PATHS:-/health /ready}"
DURATION="${BENCH_DURATION:-10}"
THREADS="${BENCH_THREADS:-2}"
CONNECTIONS="${BENCH_CONNECTIONS:-64}"
IDLE_SECONDS="${BENCH_IDLE_SECONDS:-3}"

[[ "$DURATION" =~ ^[0-9]+$ && "$DURATION" -gt 0 ]] || bench_die "BENCH_DURATION must be whole seconds"

bench_require curl curl
bench_require wrk wrk
trap bench_cleanup EXIT

# A short drain keeps the final stop quick; the drain itself is drilled by bench/drain.sh.
bench_start_server SHUTDOWN_DRAIN_SECONDS="${SHUTDOWN_DRAIN_SECONDS:-1}"
sleep "$IDLE_SECONDS"
idle_kib="$(bench_rss_kib "$BENCH_PID")"
bench_log "idle RSS $(bench_mib "$idle_kib") MiB"

# run_wrk PATH OUTFILE: wrk against PATH; prints the highest RSS (KiB) seen while it ran.
run_wrk() {
    local path="$1" out="$2" wrk_pid peak=0 rss
    wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --timeout 5s --latency \
        "$BENCH_URL$path" >"$out" 2>&1 &
    wrk_pid=$!
    # wrk stops itself after DURATION; the deadline only guards against a hang.
    local deadline=$((SECONDS + DURATION + 30))
    while kill -0 "$wrk_pid" 2>/dev/null; do
        rss="$(bench_rss_kib "$BENCH_PID")"
        ((rss > peak)) && peak=$rss
        if ((SECONDS >= deadline)); then kill -INT "$wrk_pid" 2>/dev/null || true; fi
        sleep 0.5
    done
    wait "$wrk_pid" || { cat "$out" >&2; bench_die "wrk failed against $path"; }
    printf '%s\n' "$peak"
}

rows=()
for path in $PATHS; do
    out="$BENCH_TMP/wrk$(tr '/' '_' <<<"$path").txt"
    bench_log "wrk -t$THREADS -c$CONNECTIONS -d${DURATION}s $path"
    loaded_kib="$(run_wrk "$path" "$out")"
    kill -0 "$BENCH_PID" 2>/dev/null || bench_die "server died under load (see $BENCH_TMP/server.log)"
    rps="$(bench_wrk_field "$out" rps)"
    p50="$(bench_wrk_field "$out" p50)"
    p99="$(bench_wrk_field "$out" p99)"
    errors=$(($(bench_wrk_field "$out" non2xx) + $(bench_wrk_field "$out" socket_errors)))
    bench_log "$path: $rps req/s, p99 $p99 ms, $errors errors, peak RSS $(bench_mib "$loaded_kib") MiB"
    rows+=("| \`GET $path\` | $(printf '%.0f' "$rps") | $p50 | $p99 | $errors | $(bench_mib "$idle_kib") | $(bench_mib "$loaded_kib") |")
done

bench_stop_server
[[ "$BENCH_SERVER_EXIT" == 0 ]] || bench_log "warning: server exit code $BENCH_SERVER_EXIT after SIGTERM"

version="$(HOST=127.0.0.1 PORT=0 timeout 5 "$JANUA_BIN" --version 2>/dev/null </dev/null | head -n 1 || true)"
commit="$(git -C "$BENCH_REPO" rev-parse --short HEAD 2>/dev/null || echo unknown)"
cpu="$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null || true)"
printf '<!-- bench/http.sh %s, %s (commit %s), %s, %s CPUs: %s -->\n' \
    "$(date -u +%Y-%m-%d)" "${version:-janua}" "$commit" "$(uname -sr)" "$(nproc)" "${cpu:-unknown CPU}"
database="${BENCH_DATABASE_URL:-sqlite:}"
printf '<!-- wrk -t%s -c%s -d%ss --latency, loopback, %s, cache %s, LOG_LEVEL=%s, rate limit off -->\n' \
    "$THREADS" "$CONNECTIONS" "$DURATION" "${database%%:*}" "$([[ -n "${REDIS_URL:-}" ]] && echo redis || echo in-process)" "${LOG_LEVEL:-warn}"
printf '| Endpoint | Req/s | p50 (ms) | p99 (ms) | Errors | RSS idle (MiB) | RSS under load (MiB) |\n'
printf '|---|---:|---:|---:|---:|---:|---:|\n'
printf '%s\n' "${rows[@]}"
