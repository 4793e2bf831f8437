#!/usr/bin/env bash
# Account throughput on this machine, each figure next to the baseline that bounds it:
#   - sign-in (POST /api/v1/auth/signin) against the raw Argon2id verification rate at the same
#     parameters on the same cores (target ≥ 90 %);
#   - authenticated GET /api/v1/auth/me (target ≥ 10,000 req/s with the in-process cache);
#   - refresh-token rotation (POST /api/v1/auth/refresh), each connection following its own chain.
#
# Usage: cargo build --release && bench/accounts.sh
# Settings: JANUA_BIN, BENCH_DURATION (10 s), BENCH_ROUNDS (3 sign-in runs), BENCH_USERS (64), BENCH_SERVER_ENV (extra server
#   variables, e.g. "JWT_ALGORITHM=ES256"), BENCH_DATABASE_URL (SQLite in a
#   temp dir by default; a postgres:// URL for PostgreSQL), BENCH_REDIS_URL (unset: in-process
#   cache), PASSWORD_HASH_* (the server's defaults: 19456 KiB, 2, 1).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=bench/lib.sh
source "$here/lib.sh"

DURATION="${BENCH_DURATION:-10}"
USERS="${BENCH_USERS:-64}"
ROUNDS="${BENCH_ROUNDS:-3}"
export BENCH_PASSWORD="Bench-Password-123!"
export BENCH_USERS="$USERS"

bench_require curl curl
bench_require wrk wrk
trap bench_cleanup EXIT

# raw_rate: the raw Argon2id verification rate on all cores (the sign-in bound).
raw_rate() {
    local out
    out="$(BENCH_SECONDS="$DURATION" cargo bench -q -p janua-core --bench password_hash 2>/dev/null)"
    bench_log "$(head -n 1 <<<"$out")"
    awk '/^RATE/ { print $2 }' <<<"$out"
}
bench_log "raw Argon2id rate before the server runs (cargo bench -p janua-core --bench password_hash)"
raw_before="$(raw_rate)"

extra=()
[[ -n "${BENCH_REDIS_URL:-}" ]] && extra+=(REDIS_URL="$BENCH_REDIS_URL")
# BENCH_SERVER_ENV: more VAR=VALUE pairs for the server, e.g. "JWT_ALGORITHM=ES256".
if [[ -n "${BENCH_SERVER_ENV:-}" ]]; then
    read -r -a more <<<"$BENCH_SERVER_ENV"
    extra+=("${more[@]}")
fi
bench_start_server SHUTDOWN_DRAIN_SECONDS=1 MAX_SESSIONS_PER_IDENTITY=1000 "${extra[@]}"

bench_log "creating $USERS users"
for ((n = 0; n < USERS; n++)); do
    curl -sf -o /dev/null -H 'content-type: application/json' \
        -d "{\"email\":\"user-$n@bench.example\",\"password\":\"$BENCH_PASSWORD\"}" "$BENCH_URL/api/v1/auth/signup" ||
        bench_die "sign-up $n failed"
done

signin() {
    curl -sf -H 'content-type: application/json' \
        -d "{\"email\":\"user-$1@bench.example\",\"password\":\"$BENCH_PASSWORD\"}" "$BENCH_URL/api/v1/auth/signin"
}

# run NAME WRK_ARGS...: runs wrk, prints "rps p50 p99 errors".
run() {
    local name="$1" out="$BENCH_TMP/$1.txt"
    shift
    wrk -d"${DURATION}s" --timeout 10s --latency "$@" >"$out" 2>&1 || { cat "$out" >&2; bench_die "wrk $name failed"; }
    local errors=$(($(bench_wrk_field "$out" non2xx) + $(bench_wrk_field "$out" socket_errors)))
    printf '%s %s %s %s\n' "$(bench_wrk_field "$out" rps)" "$(bench_wrk_field "$out" p50)" "$(bench_wrk_field "$out" p99)" "$errors"
}

# The machine is shared and its speed drifts: sign-in runs alternate with raw measurements, each
# run is compared with the mean of the raw rates just before and just after it, and the median
# of those ratios is the figure (every round is printed too).
raws=("$raw_before")
signins=()
ratios=()
for ((round = 1; round <= ROUNDS; round++)); do
    bench_log "sign-in round $round/$ROUNDS: wrk -t2 -c8"
    signins+=("$(run signin -t2 -c8 -s "$here/lua/signin.lua" "$BENCH_URL")")
    raws+=("$(raw_rate)")
    ratios+=("$(awk -v s="$(awk '{ print $1 }' <<<"${signins[-1]}")" -v a="${raws[-2]}" -v b="${raws[-1]}" \
        'BEGIN { printf "%.1f", 200 * s / (a + b) }')")
done
median_round="$(for i in "${!ratios[@]}"; do printf '%s %s\n' "${ratios[$i]}" "$i"; done |
    sort -n | awk -v n="$ROUNDS" 'NR == int((n + 1) / 2) { print $2 }')"
read -r signin_rps signin_p50 signin_p99 signin_err <<<"${signins[$median_round]}"
raw_before="${raws[$median_round]}"
raw_after="${raws[$((median_round + 1))]}"
raw_rate="$(awk -v a="$raw_before" -v b="$raw_after" 'BEGIN { printf "%.1f", (a + b) / 2 }')"

access="$(signin 0 | sed -E 's/.*"access_token":"([^"]+)".*/\1/')"
bench_log "me: wrk -t2 -c64"
read -r me_rps me_p50 me_p99 me_err < <(run me -t2 -c64 -H "Authorization: Bearer $access" "$BENCH_URL/api/v1/auth/me")

refresh_file="$BENCH_TMP/refresh-tokens"
for ((n = 1; n <= 8; n++)); do
    printf '%s\n' "$(signin "$n" | sed -E 's/.*"refresh_token":"([^"]+)".*/\1/')" >>"$refresh_file"
done
bench_log "refresh: wrk -t8 -c8 (one rotation chain per connection)"
export BENCH_REFRESH_FILE="$refresh_file"
read -r refresh_rps refresh_p50 refresh_p99 refresh_err < <(run refresh -t8 -c8 -s "$here/lua/refresh.lua" "$BENCH_URL")

rss="$(bench_mib "$(bench_rss_kib "$BENCH_PID")")"
bench_stop_server

ratio="$(awk -v a="$signin_rps" -v b="$raw_rate" 'BEGIN { printf "%.0f", 100 * a / b }')"
rounds_text="$(for i in "${!ratios[@]}"; do printf '%s %% (%s vs %s/%s), ' "${ratios[$i]}" \
    "$(awk '{ print $1 }' <<<"${signins[$i]}")" "${raws[$i]}" "${raws[$((i + 1))]}"; done)"
backend="SQLite"
[[ "${BENCH_DATABASE_URL:-}" == postgres* ]] && backend="PostgreSQL"
cache="in-process"
[[ -n "${BENCH_REDIS_URL:-}" ]] && cache="Redis"
echo "<!-- bench/accounts.sh, $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, $backend, $cache cache, ${DURATION}s per run -->"
echo "| Measure | Req/s | p50 ms | p99 ms | Errors | Baseline | Ratio |"
echo "|---|---:|---:|---:|---:|---|---:|"
echo "| Raw Argon2id verify (m=19456,t=2,p=1, all cores; mean of $raw_before and $raw_after) | $raw_rate | | | | — | |"
echo "| POST /api/v1/auth/signin (median of $ROUNDS rounds) | $signin_rps | $signin_p50 | $signin_p99 | $signin_err | raw Argon2id | ${ratio} % |"
echo "| Sign-in rounds: ${rounds_text%, } | | | | | | |"
echo "| GET /api/v1/auth/me | $me_rps | $me_p50 | $me_p99 | $me_err | target 10,000 | |"
echo "| POST /api/v1/auth/refresh (8 chains) | $refresh_rps | $refresh_p50 | $refresh_p99 | $refresh_err | | |"
echo "| Server RSS after the runs | $rss MiB | | | | | |"
