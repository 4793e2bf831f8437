#!/usr/bin/env bash
# Drill: SIGTERM under load. While the server drains (SHUTDOWN_DRAIN_SECONDS), /ready must answer
# 503, /health 200, and every request must still succeed; then the server must exit 0.
#
# Usage: bench/drain.sh           (build first: cargo build --release)
#   1. start JANUA_BIN with SHUTDOWN_DRAIN_SECONDS=DRAIN_SECONDS (3) and a fresh SQLite database;
#   2. run wrk against /health; after DRAIN_TERM_AFTER seconds (2) send SIGTERM;
#   3. during the drain window, poll /ready (expect 503) and /health (expect 200) with curl;
#   4. stop wrk (SIGINT, it then prints its totals) DRAIN_MARGIN_MS (300) before the drain ends,
#      so it only counts requests made while the listener must still accept: connection errors
#      after the listener closes are expected and are not a failure;
#   5. wait for the exit and check its code and that it came no earlier than the drain allows.
#   Exit status 0 when every check passes, 1 otherwise; a Markdown summary goes to stdout.
#
# Settings (environment): JANUA_BIN, JANUA_ARGS (see bench/lib.sh), DRAIN_SECONDS (3),
#   DRAIN_TERM_AFTER (2), DRAIN_MARGIN_MS (300), DRAIN_READY_GRACE_MS (200: time allowed for
#   /ready to flip after SIGTERM), BENCH_THREADS (2), BENCH_CONNECTIONS (32),
#   SHUTDOWN_TIMEOUT_SECONDS (30, passed to the server and bounds the wait for its exit).
set -euo pipefail

# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DRAIN_SECONDS="${DRAIN_SECONDS:-3}"
TERM_AFTER="${DRAIN_TERM_AFTER:-2}"
MARGIN_MS="${DRAIN_MARGIN_MS:-300}"
READY_GRACE_MS="${DRAIN_READY_GRACE_MS:-200}"
THREADS="${BENCH_THREADS:-2}"
CONNECTIONS="${BENCH_CONNECTIONS:-32}"
SHUTDOWN_TIMEOUT="${SHUTDOWN_TIMEOUT_SECONDS:-30}"

for n in DRAIN_SECONDS TERM_AFTER MARGIN_MS READY_GRACE_MS SHUTDOWN_TIMEOUT; do
    [[ "${!n}" =~ ^[0-9]+$ ]] || bench_die "$n must be a whole number"
done
((DRAIN_SECONDS * 1000 > MARGIN_MS + READY_GRACE_MS)) ||
    bench_die "DRAIN_SECONDS too short for DRAIN_MARGIN_MS + DRAIN_READY_GRACE_MS"

bench_require curl curl
bench_require wrk wrk
trap bench_cleanup EXIT

bench_start_server SHUTDOWN_DRAIN_SECONDS="$DRAIN_SECONDS" SHUTDOWN_TIMEOUT_SECONDS="$SHUTDOWN_TIMEOUT"
[[ "$(bench_http_status "$BENCH_URL/ready")" == 200 ]] ||
    bench_die "/ready is not 200 before SIGTERM; the drill needs a ready server"

# Load: wrk's own duration is only a bound; it is stopped with SIGINT before the drain ends.
wrk_out="$BENCH_TMP/wrk.txt"
wrk -t"$THREADS" -c"$CONNECTIONS" -d"$((TERM_AFTER + DRAIN_SECONDS + 5))s" --timeout 2s \
    "$BENCH_URL/health" >"$wrk_out" 2>&1 &
wrk_pid=$!
sleep "$TERM_AFTER"
kill -0 "$wrk_pid" 2>/dev/null || { cat "$wrk_out" >&2; bench_die "wrk ended early"; }

term_ms="$(bench_now_ms)"
bench_log "SIGTERM (drain ${DRAIN_SECONDS}s)"
bench_signal_server TERM
window_end_ms=$((term_ms + DRAIN_SECONDS * 1000 - MARGIN_MS))

ready_503=0 ready_bad=0 ready_early=0 health_ok=0 health_bad=0 last_health_ok_ms=0
bad_codes=()
while :; do
    now="$(bench_now_ms)"
    ((now < window_end_ms)) || break
    # Keep every probe inside the window: it must complete before the listener may close.
    max_time="$(awk -v ms=$((window_end_ms - now)) 'BEGIN { t = ms / 1000; printf "%.3f", (t > 1 ? 1 : t) }')"
    code="$(bench_http_status "$BENCH_URL/ready" "$max_time")"
    if [[ "$code" == 503 ]]; then
        ready_503=$((ready_503 + 1))
    elif ((now < term_ms + READY_GRACE_MS)); then
        ready_early=$((ready_early + 1)) # readiness may take a moment to flip
    elif [[ "$code" != 000 || "$(bench_now_ms)" -lt "$window_end_ms" ]]; then
        ready_bad=$((ready_bad + 1))
        bad_codes+=("/ready:$code")
    fi
    now="$(bench_now_ms)"
    ((now < window_end_ms)) || break
    max_time="$(awk -v ms=$((window_end_ms - now)) 'BEGIN { t = ms / 1000; printf "%.3f", (t > 1 ? 1 : t) }')"
    code="$(bench_http_status "$BENCH_URL/health" "$max_time")"
    if [[ "$code" == 200 ]]; then
        health_ok=$((health_ok + 1))
        last_health_ok_ms="$(bench_now_ms)"
    elif [[ "$code" != 000 || "$(bench_now_ms)" -lt "$window_end_ms" ]]; then
        health_bad=$((health_bad + 1))
        bad_codes+=("/health:$code")
    fi
done

kill -INT "$wrk_pid" 2>/dev/null || true
wrk_ok=1
wait "$wrk_pid" || wrk_ok=0
bench_log "load stopped $(($(bench_now_ms) - term_ms)) ms after SIGTERM; waiting for exit"

bench_wait_server $((DRAIN_SECONDS + SHUTDOWN_TIMEOUT + 10))
exit_after_ms=$(($(bench_now_ms) - term_ms))
exit_code="$BENCH_SERVER_EXIT"

requests="$(bench_wrk_field "$wrk_out" requests)"
non2xx="$(bench_wrk_field "$wrk_out" non2xx)"
socket_errors="$(bench_wrk_field "$wrk_out" socket_errors)"

failures=0
check() { # check DESCRIPTION MEASURED PASS(0/1)
    local verdict=pass
    if [[ "$3" != 1 ]]; then
        verdict=FAIL
        failures=$((failures + 1))
    fi
    printf '| %s | %s | %s |\n' "$1" "$2" "$verdict"
}

printf '<!-- bench/drain.sh %s: drain %ss, SIGTERM after %ss of wrk -t%s -c%s on /health -->\n' \
    "$(date -u +%Y-%m-%d)" "$DRAIN_SECONDS" "$TERM_AFTER" "$THREADS" "$CONNECTIONS"
printf '| Check | Measured | Result |\n|---|---|---|\n'
check "wrk finished and reported" "$([[ $wrk_ok == 1 ]] && echo yes || echo no)" "$wrk_ok"
check "load requests until drain end - ${MARGIN_MS} ms all 2xx" \
    "${requests:-?} requests, $non2xx non-2xx, $socket_errors socket errors" \
    "$([[ -n "$requests" && $non2xx == 0 && $socket_errors == 0 ]] && echo 1 || echo 0)"
check "/ready during drain is 503" "$ready_503 × 503, $ready_bad other, $ready_early before ${READY_GRACE_MS} ms" \
    "$([[ $ready_503 -gt 0 && $ready_bad == 0 ]] && echo 1 || echo 0)"
check "/health during drain is 200" \
    "$health_ok × 200, $health_bad other, last 200 at +$((last_health_ok_ms > 0 ? last_health_ok_ms - term_ms : 0)) ms" \
    "$([[ $health_ok -gt 0 && $health_bad == 0 ]] && echo 1 || echo 0)"
check "exit no earlier than the drain" "exited +${exit_after_ms} ms after SIGTERM" \
    "$((exit_after_ms >= DRAIN_SECONDS * 1000 - MARGIN_MS ? 1 : 0))"
check "exit code 0" "$exit_code" "$([[ $exit_code == 0 ]] && echo 1 || echo 0)"

if ((${#bad_codes[@]} > 0)); then
    bench_log "unexpected probe answers (000 = no response): ${bad_codes[*]:0:20}"
fi
if ((failures > 0)); then
    bench_log "drill FAILED ($failures checks); wrk output:"
    cat "$wrk_out" >&2
    bench_server_log_tail
    exit 1
fi
bench_log "drill passed"
