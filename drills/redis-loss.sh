#!/usr/bin/env bash
# Drill: Redis Cluster sharing and Redis loss.
#
# Part 1, Redis Cluster: instances A and B on one PostgreSQL and the 3-node Redis Cluster
# (REDIS_URL=redis+cluster://…, same REDIS_KEY_PREFIX) with RATE_LIMIT_GLOBAL=6/minute:
#   - requests alternating between A and B from one client IP get 429 once the *shared* budget
#     of 6 is spent (per-instance budgets would allow 12);
#   - a sign-out on A makes the access token fail on B at once, and the refresh token too.
#   The client IP comes from X-Forwarded-For (TRUSTED_PROXIES=127.0.0.1/32), one IP per check,
#   so the low global limit of one check does not spill into the next.
# Part 2, single Redis loss: instance C on the same PostgreSQL and the single Redis:
#   - `dev-services.sh stop-redis` → C's /ready turns 503 naming the cache, /health stays 200;
#   - existing users still sign in (the database is fine; rate limits fail open by design), and
#     A (on the cluster) stays ready;
#   - `start-redis` → C's /ready is 200 again within DRILL_RECOVERY_TIMEOUT; nothing was lost:
#     the same users (and one signed up during the outage, if that was accepted) sign in and the
#     users table holds the same rows.
#
# Usage: drills/redis-loss.sh      (build first: cargo build --release --bin janua)
# Settings (environment): JANUA_BIN, DRILL_OUTAGE_TIMEOUT (15 s for /ready to turn 503),
#   DRILL_RECOVERY_TIMEOUT (30 s for /ready to return), DRILL_KEEP_TMP.
set -euo pipefail

# shellcheck source=drills/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

OUTAGE_TIMEOUT="${DRILL_OUTAGE_TIMEOUT:-15}"
RECOVERY_TIMEOUT="${DRILL_RECOVERY_TIMEOUT:-30}"
USERS=5

drill_init redis-loss
drill_require redis-cli redis-tools
drill_services_start

db="janua_redis"
db_url="$(drill_createdb "$db")"
DRILL_BASE_ENV=(
    DATABASE_URL="$db_url"
    SECRET_KEY="$(drill_secret)"
    TRUSTED_PROXIES=127.0.0.1/32
    RATE_LIMIT_ENABLED=true
    SHUTDOWN_DRAIN_SECONDS=0
    ENVIRONMENT=development
)
drill_run_janua -- migrate >"$DRILL_TMP/migrate.log" 2>&1 ||
    { cat "$DRILL_TMP/migrate.log" >&2; drill_die "janua migrate failed"; }

prefix="drill-rl-$$:"
pa="$(drill_free_port)" pb="$(drill_free_port)" pc="$(drill_free_port)"
A="http://127.0.0.1:$pa" B="http://127.0.0.1:$pb" C="http://127.0.0.1:$pc"
drill_instance_start a "$pa" REDIS_URL="$TEST_REDIS_CLUSTER_URL" REDIS_KEY_PREFIX="$prefix" RATE_LIMIT_GLOBAL=6/minute
drill_instance_start b "$pb" REDIS_URL="$TEST_REDIS_CLUSTER_URL" REDIS_KEY_PREFIX="$prefix" RATE_LIMIT_GLOBAL=6/minute
drill_instance_start c "$pc" REDIS_URL="$TEST_REDIS_URL" REDIS_KEY_PREFIX="drill-single-$$:" \
    RATE_LIMIT_GLOBAL=1000/minute RATE_LIMIT_SIGNUP=100/minute
for name in a b c; do
    url=$A
    [[ $name == b ]] && url=$B
    [[ $name == c ]] && url=$C
    drill_wait_status "$url/ready" 200 30 "$name" >/dev/null || drill_die "instance $name never became ready"
done

# json_field JSON EXPR: a value from a JSON document (EXPR indexes `d`, e.g. d["checks"]).
json_field() {
    "$DRILL_PY" -c 'import json, sys
try:
    d = json.loads(sys.argv[1])
    print(eval(sys.argv[2], {"d": d}))
except Exception:
    print("?")' "$1" "$2"
}
call() { drill_py call "$@"; }
status_of() { printf '%s\n' "${1%%$'\t'*}"; }
body_of() { printf '%s\n' "${1#*$'\t'}"; }

backend_a="$(json_field "$(body_of "$(call GET "$A/ready")")" 'd["checks"]["cache"].get("backend")')"

# --- Part 1a: shared rate limit -------------------------------------------------------------
ip1=198.51.100.7
allowed=0 limited_a=0 limited_b=0 other=0 seq=""
for i in $(seq 1 12); do
    url=$A
    ((i % 2 == 0)) && url=$B
    code="$(status_of "$(call GET "$url/" --xff "$ip1")")"
    seq+="$code "
    case "$code" in
        429) if [[ $url == "$A" ]]; then limited_a=$((limited_a + 1)); else limited_b=$((limited_b + 1)); fi ;;
        2??) allowed=$((allowed + 1)) ;;
        *) other=$((other + 1)) ;;
    esac
done
# Where the counter lives: the key is in one of the three cluster nodes.
key_nodes=""
IFS=, read -r -a cluster_nodes <<<"$TEST_REDIS_CLUSTER_NODES"
for node in "${cluster_nodes[@]}"; do
    n="$(redis-cli -h "${node%:*}" -p "${node#*:}" --scan --pattern "${prefix}*global*" 2>/dev/null | wc -l)"
    ((n > 0)) && key_nodes+="${key_nodes:+,}$node"
done
drill_check "cluster: A and B share RATE_LIMIT_GLOBAL=6/minute" \
    "12 alternating requests: $allowed allowed, 429 on A $limited_a, on B $limited_b, other $other (${seq% }); cache backend $backend_a; counter on node ${key_nodes:-?}" \
    "$(drill_bool [ "$allowed" = 6 -a "$limited_a" -gt 0 -a "$limited_b" -gt 0 -a "$other" = 0 ])"

# --- Part 1b: shared revocation -------------------------------------------------------------
ip2=198.51.100.8
signup="$(call POST "$A/api/v1/auth/signup" --xff "$ip2" \
    --json '{"email":"revoke-'$$'@drill.example","password":"Drill-Passw0rd!2024"}')"
access="$(json_field "$(body_of "$signup")" 'd["tokens"]["access_token"]')"
refresh="$(json_field "$(body_of "$signup")" 'd["tokens"]["refresh_token"]')"
me_before="$(status_of "$(call GET "$B/api/v1/auth/me" --bearer "$access" --xff "$ip2")")"
signout="$(status_of "$(call POST "$A/api/v1/auth/signout" --bearer "$access" --xff "$ip2")")"
me_after="$(status_of "$(call GET "$B/api/v1/auth/me" --bearer "$access" --xff "$ip2")")"
refresh_after="$(status_of "$(call POST "$B/api/v1/auth/refresh" --xff "$ip2" \
    --json '{"refresh_token":"'"$refresh"'"}')")"
drill_check "cluster: sign-out on A revokes the access token on B at once" \
    "sign-up on A $(status_of "$signup"); /me on B before $me_before; sign-out on A $signout; /me on B, next request after the sign-out, $me_after" \
    "$(drill_bool [ "$(status_of "$signup")" = 200 -a "$me_before" = 200 -a "$signout" = 200 -a "$me_after" = 401 ])"
drill_check "cluster: the signed-out session's refresh token fails on B" "$refresh_after" \
    "$(drill_bool [ "$refresh_after" = 401 ])"

# --- Part 2: single Redis loss --------------------------------------------------------------
users="$DRILL_TMP/users.jsonl"
drill_py users "$C" "loss-$$" "$USERS" "$users" --xff 198.51.100.9 >/dev/null ||
    drill_die "could not create users on C"
rows_before="$(drill_psql "$db" "SELECT count(*) FROM users")"

drill_log "stopping the single Redis"
drill_svc stop-redis 2>>"$DRILL_TMP/services.log"
t_stop="$(drill_now_ms)"
if waited="$(drill_wait_status "$C/ready" 503 "$OUTAGE_TIMEOUT")"; then
    ready_503="503 after ${waited} ms"
    ok_503=1
else
    ready_503="still $(drill_http_status "$C/ready") after ${OUTAGE_TIMEOUT}s"
    ok_503=0
fi
ready_body="$(body_of "$(call GET "$C/ready")")"
cache_status="$(json_field "$ready_body" 'd["checks"]["cache"]["status"]')"
db_status="$(json_field "$ready_body" 'd["checks"]["database"]["status"]')"
drill_check "Redis down: /ready on C turns 503 naming the cache" \
    "$ready_503; checks: cache $cache_status, database $db_status" \
    "$(drill_bool [ "$ok_503" = 1 -a "$cache_status" != ok -a "$db_status" = ok ])"
health="$(drill_http_status "$C/health")"
drill_check "Redis down: /health on C stays 200" "$health" "$(drill_bool [ "$health" = 200 ])"

outage_signin="$(drill_py signin-all "$C" "$users" --xff 198.51.100.10 --out "$DRILL_TMP/outage-tokens.jsonl" 2>"$DRILL_TMP/outage-signin.err")" || true
drill_check "Redis down: existing users sign in on C (rate limits fail open)" "$outage_signin of $USERS" \
    "$(drill_bool [ "$outage_signin" = "ok=$USERS failed=0" ])"
outage_me="$(drill_py me "$C" "$DRILL_TMP/outage-tokens.jsonl" 2>"$DRILL_TMP/outage-me.err")" || true
drill_check "Redis down: /me with the new tokens on C" "$outage_me" \
    "$(drill_bool [ "$outage_me" = "ok=$USERS failed=0" ])"
a_ready="$(drill_http_status "$A/ready")"
drill_check "Redis down: A (on the cluster) stays ready" "$a_ready" "$(drill_bool [ "$a_ready" = 200 ])"
outage_signup="$(call POST "$C/api/v1/auth/signup" --xff 198.51.100.11 \
    --json '{"email":"outage-'$$'@drill.example","password":"Drill-Passw0rd!2024"}')"
outage_signup_code="$(status_of "$outage_signup")"
drill_log "sign-up during the outage answered $outage_signup_code"

drill_log "starting the single Redis again"
drill_svc start-redis 2>>"$DRILL_TMP/services.log"
t_start="$(drill_now_ms)"
if waited="$(drill_wait_status "$C/ready" 200 "$RECOVERY_TIMEOUT" c)"; then
    recovery="200 after ${waited} ms (outage $((t_start - t_stop)) ms)"
    ok_recovery=1
else
    recovery="still $(drill_http_status "$C/ready") after ${RECOVERY_TIMEOUT}s"
    ok_recovery=0
fi
drill_check "Redis back: /ready on C returns to 200 within ${RECOVERY_TIMEOUT}s" "$recovery" "$ok_recovery"

expected_rows="$rows_before"
emails="$DRILL_TMP/emails.txt"
"$DRILL_PY" -c 'import json,sys; [print(json.loads(l)["email"]) for l in open(sys.argv[1]) if l.strip()]' "$users" >"$emails"
if [[ "$outage_signup_code" == 200 ]]; then
    expected_rows=$((rows_before + 1))
    printf 'outage-%s@drill.example\n' "$$" >>"$emails"
fi
after_signin="$(drill_py signin-all "$C" "$emails" --xff 198.51.100.12 2>"$DRILL_TMP/after-signin.err")" || true
rows_after="$(drill_psql "$db" "SELECT count(*) FROM users")"
no_hash="$(drill_psql "$db" "SELECT count(*) FROM users WHERE password_hash IS NULL")"
drill_check "Redis back: no data lost" \
    "users rows before outage $rows_before, after $rows_after (sign-up during outage: $outage_signup_code); sign-ins $after_signin; rows without password hash $no_hash" \
    "$(drill_bool [ "$rows_after" = "$expected_rows" -a "$after_signin" = "ok=$(wc -l <"$emails") failed=0" -a "$no_hash" = 0 ])"

for f in outage-signin.err outage-me.err after-signin.err; do
    [[ -s "$DRILL_TMP/$f" ]] && { drill_log "$f:"; cat "$DRILL_TMP/$f" >&2; }
done
drill_finish
