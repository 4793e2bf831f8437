#!/usr/bin/env bash
# Audit and webhook costs on this machine:
#   - sign-in throughput (POST /api/v1/auth/signin) of this build against a baseline build
#     without audit writes (JANUA_BASE_BIN: the same commit with
#     bench/patches/no-audit-writes.patch applied, built by bench/build_no_audit_baseline.sh),
#     alternating runs, with fast hashing (which exposes the database writes) and with the
#     default Argon2id parameters (what production sees); target: < 10 % loss. Besides req/s,
#     each run reports the server's CPU time per sign-in (utime + stime from /proc/PID/stat
#     over the wrk run, divided by the requests served), which is steadier than req/s on a
#     shared machine;
#   - webhook delivery throughput: BENCH_EVENTS outbox events inserted in one transaction,
#     fanned out, signed and POSTed to a local receiver (bench/webhook_receiver.py) by the
#     server's worker; the rate is events delivered per second, first insert to last arrival.
#
# Usage: cargo build --release && JANUA_BASE_BIN="$(bench/build_no_audit_baseline.sh)" bench/audit_webhooks.sh
# Settings: JANUA_BIN, JANUA_BASE_BIN (unset: the sign-in comparison is skipped),
#   BENCH_DURATION (10 s per run), BENCH_ROUNDS (2 alternations), BENCH_USERS (64),
#   BENCH_MODES ("fast default": which hashing settings the sign-in comparison runs),
#   BENCH_EVENTS (2000), BENCH_DATABASE_URL (SQLite in a temp dir by default; postgres://…).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=bench/lib.sh
source "$here/lib.sh"

DURATION="${BENCH_DURATION:-10}"
ROUNDS="${BENCH_ROUNDS:-2}"
USERS="${BENCH_USERS:-64}"
EVENTS="${BENCH_EVENTS:-2000}"
export BENCH_PASSWORD="Bench-Password-123!"
export BENCH_USERS="$USERS"
CURRENT_BIN="$JANUA_BIN"
FAST_HASH=(PASSWORD_HASH_MEMORY_KIB=1024 PASSWORD_HASH_ITERATIONS=1)

bench_require curl curl
bench_require wrk wrk
bench_require python3 python3
receiver_pid=""
cleanup() {
    [[ -n "$receiver_pid" ]] && kill "$receiver_pid" 2>/dev/null || true
    bench_cleanup
}
trap cleanup EXIT

# fresh_database: on PostgreSQL, points BENCH_DATABASE_URL at a new empty database (dropped by
# drop_database), so every run starts from the same empty state as a fresh SQLite file.
base_database_url="${BENCH_DATABASE_URL:-}"
fresh_database() {
    [[ "$base_database_url" == postgres* ]] || return 0
    bench_require psql postgresql-client
    local db="janua_bench_$$_$RANDOM"
    psql -q "$base_database_url" -c "CREATE DATABASE $db" || bench_die "cannot create database $db"
    BENCH_DATABASE_URL="${base_database_url%/*}/$db"
}
drop_database() {
    [[ "$base_database_url" == postgres* && "$BENCH_DATABASE_URL" != "$base_database_url" ]] || return 0
    psql -q "$base_database_url" -c "DROP DATABASE IF EXISTS ${BENCH_DATABASE_URL##*/}" || true
    BENCH_DATABASE_URL="$base_database_url"
}

# cpu_ticks PID: the process's utime + stime so far, in clock ticks.
cpu_ticks() { awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$1/stat"; }
CLK_TCK="$(getconf CLK_TCK)"

# signin_rps BIN [VAR=VALUE...]: a fresh server from BIN, USERS accounts, one wrk run; prints
# "rps cpu_ms_per_request".
signin_rps() {
    local bin="$1"
    shift
    fresh_database
    JANUA_BIN="$bin" bench_start_server SHUTDOWN_DRAIN_SECONDS=1 MAX_SESSIONS_PER_IDENTITY=100000 "$@"
    for ((n = 0; n < USERS; n++)); do
        curl -sf -o /dev/null -H 'content-type: application/json' \
            -d "{\"email\":\"user-$n@bench.example\",\"password\":\"$BENCH_PASSWORD\"}" "$BENCH_URL/api/v1/auth/signup" ||
            bench_die "sign-up $n failed"
    done
    local out="$BENCH_TMP/signin.txt"
    local ticks_before
    ticks_before="$(cpu_ticks "$BENCH_PID")"
    wrk -t2 -c8 -d"${DURATION}s" --timeout 10s --latency -s "$here/lua/signin.lua" "$BENCH_URL" >"$out" 2>&1 ||
        bench_die "wrk failed"
    local errors=$(($(bench_wrk_field "$out" non2xx) + $(bench_wrk_field "$out" socket_errors)))
    ((errors == 0)) || bench_die "sign-in run had $errors errors"
    local ticks=$(($(cpu_ticks "$BENCH_PID") - ticks_before))
    printf '%s %s\n' "$(bench_wrk_field "$out" rps)" \
        "$(awk -v t="$ticks" -v hz="$CLK_TCK" -v n="$(bench_wrk_field "$out" requests)" 'BEGIN { printf "%.3f", 1000 * t / hz / n }')"
    bench_stop_server
    drop_database
    [[ "$BENCH_KEEP_TMP" == 1 ]] || rm -rf "$BENCH_TMP"
    BENCH_TMP=""
}

mean() { awk '{ s += $1; n++ } END { printf "%.1f", s / n }'; }
mean3() { awk '{ s += $1; n++ } END { printf "%.3f", s / n }'; }

comparison_rows=()
if [[ -n "${JANUA_BASE_BIN:-}" ]]; then
    for mode in ${BENCH_MODES:-fast default}; do
        settings=()
        [[ "$mode" == fast ]] && settings=("${FAST_HASH[@]}")
        base_runs=()
        audit_runs=()
        base_cpu=()
        audit_cpu=()
        for ((r = 1; r <= ROUNDS; r++)); do
            bench_log "sign-in, $mode hashing, round $r: baseline"
            read -r rps cpu < <(signin_rps "$JANUA_BASE_BIN" "${settings[@]}")
            base_runs+=("$rps")
            base_cpu+=("$cpu")
            bench_log "sign-in, $mode hashing, round $r: with audit"
            read -r rps cpu < <(signin_rps "$CURRENT_BIN" "${settings[@]}")
            audit_runs+=("$rps")
            audit_cpu+=("$cpu")
        done
        base="$(printf '%s\n' "${base_runs[@]}" | mean)"
        audit="$(printf '%s\n' "${audit_runs[@]}" | mean)"
        bcpu="$(printf '%s\n' "${base_cpu[@]}" | mean3)"
        acpu="$(printf '%s\n' "${audit_cpu[@]}" | mean3)"
        loss="$(awk -v a="$audit" -v b="$base" 'BEGIN { printf "%.1f", 100 * (b - a) / b }')"
        extra="$(awk -v a="$acpu" -v b="$bcpu" 'BEGIN { printf "%+.1f", 100 * (a - b) / b }')"
        comparison_rows+=("| Sign-in, $mode hashing | ${base_runs[*]} (mean $base) | ${audit_runs[*]} (mean $audit) | $loss % | $bcpu | $acpu | $extra % |")
    done
fi

# Delivery throughput.
receiver_port="$(bench_free_port)"
python3 "$here/webhook_receiver.py" "$receiver_port" &
receiver_pid=$!
bench_wait_url "http://127.0.0.1:$receiver_port/count"
fresh_database
JANUA_BIN="$CURRENT_BIN" bench_start_server SHUTDOWN_DRAIN_SECONDS=1 WEBHOOK_ALLOW_PRIVATE_URLS=true \
    WEBHOOK_POLL_INTERVAL_MS=50 ADMIN_EMAIL=root@bench.example ADMIN_PASSWORD=Bench-Admin-Password-1 "${FAST_HASH[@]}"
admin="$(curl -sf -H 'content-type: application/json' \
    -d '{"email":"root@bench.example","password":"Bench-Admin-Password-1"}' "$BENCH_URL/api/v1/auth/signin" |
    sed -E 's/.*"access_token":"([^"]+)".*/\1/')"
curl -sf -o /dev/null -H 'content-type: application/json' -H "authorization: Bearer $admin" \
    -d "{\"url\":\"http://127.0.0.1:$receiver_port/hook\",\"events\":[\"*\"]}" "$BENCH_URL/api/v1/webhooks" ||
    bench_die "cannot create the endpoint"
sleep 1
bench_log "inserting $EVENTS outbox events in one transaction"
start_ms="$(bench_now_ms)"
if [[ "${BENCH_DATABASE_URL:-}" == postgres* ]]; then
    psql -q "$BENCH_DATABASE_URL" -c "INSERT INTO outbox_events (id, event_type, data, occurred_at) \
        SELECT gen_random_uuid(), 'user.updated', jsonb_build_object('n', i), now() FROM generate_series(1, $EVENTS) i"
else
    sqlite3 -cmd '.timeout 10000' "$BENCH_TMP/janua.db" "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $EVENTS) \
        INSERT INTO outbox_events (id, event_type, data, occurred_at) \
        SELECT lower(hex(randomblob(4)) || '-' || hex(randomblob(2)) || '-7' || substr(hex(randomblob(2)), 2) || '-8' \
        || substr(hex(randomblob(2)), 2) || '-' || hex(randomblob(6))), 'user.updated', json_object('n', i), \
        strftime('%Y-%m-%dT%H:%M:%f000Z', 'now') FROM n"
fi
deadline=$((SECONDS + 300))
while :; do
    read -r count _first last < <(curl -sf "http://127.0.0.1:$receiver_port/count")
    ((count >= EVENTS)) && break
    ((SECONDS < deadline)) || bench_die "only $count of $EVENTS delivered in 300 s"
    sleep 0.2
done
elapsed_ms=$((last - start_ms))
rate="$(awk -v n="$EVENTS" -v ms="$elapsed_ms" 'BEGIN { printf "%.0f", n * 1000 / ms }')"
rss="$(bench_mib "$(bench_rss_kib "$BENCH_PID")")"
bench_stop_server
drop_database

backend="SQLite"
[[ "$base_database_url" == postgres* ]] && backend="PostgreSQL"
echo "<!-- bench/audit_webhooks.sh, $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg), $backend, ${DURATION}s per sign-in run, $ROUNDS rounds -->"
if ((${#comparison_rows[@]} > 0)); then
    echo "| Measure | Baseline req/s (no audit) | With audit req/s | Throughput loss | Baseline CPU ms/req | With audit CPU ms/req | CPU per request |"
    echo "|---|---|---|---:|---:|---:|---:|"
    printf '%s\n' "${comparison_rows[@]}"
    echo
fi
echo "| Webhook delivery | Events | Seconds | Deliveries/s | Server RSS after |"
echo "|---|---:|---:|---:|---:|"
echo "| $EVENTS events → 1 endpoint on 127.0.0.1 | $EVENTS | $(awk -v ms="$elapsed_ms" 'BEGIN { printf "%.2f", ms / 1000 }') | $rate | $rss MiB |"
