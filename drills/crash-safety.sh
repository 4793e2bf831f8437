#!/usr/bin/env bash
# Drill: crash safety. One instance; a sign-up storm of CS_CLIENTS (8) concurrent clients with
# unique emails; once CS_KILL_AFTER (60) sign-ups have been answered 2xx the server is SIGKILLed
# mid-storm; then it is started again on the same database and:
#   - every email answered 2xx exists and signs in;
#   - no half-written user exists: every users row of the storm has a password hash and signs
#     in, whether its sign-up was answered 2xx or was in flight at the kill (those may or may not
#     have committed; either way they are whole); no row exists for a sign-up answered with an
#     error, nor for an email never sent.
# Runs once on PostgreSQL (private dev-services) and once on SQLite (a file in the temp dir).
#
# Usage: drills/crash-safety.sh [postgres|sqlite|all]   (default all; build first)
# Settings (environment): JANUA_BIN, CS_CLIENTS (8), CS_KILL_AFTER (60), CS_MAX_SECONDS (30:
#   bound of the storm), DRILL_KEEP_TMP.
set -euo pipefail

# shellcheck source=drills/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

CLIENTS="${CS_CLIENTS:-8}"
KILL_AFTER="${CS_KILL_AFTER:-60}"
MAX_SECONDS="${CS_MAX_SECONDS:-30}"
WHICH="${1:-all}"
case "$WHICH" in postgres | sqlite | all) ;; *) drill_die "usage: $0 [postgres|sqlite|all]" ;; esac

drill_init crash-safety
drill_require sqlite3 sqlite3
[[ "$WHICH" == sqlite ]] || drill_services_start

SECRET="$(drill_secret)"

# storm_drill LABEL DATABASE_URL QUERY_FUNCTION
storm_drill() {
    local label="$1" url="$2" q="$3" port base prefix dir
    dir="$DRILL_TMP/$label"
    mkdir -p "$dir"
    prefix="storm-$label-$$"
    port="$(drill_free_port)"
    base="http://127.0.0.1:$port"
    DRILL_BASE_ENV=(DATABASE_URL="$url" SECRET_KEY="$SECRET" RATE_LIMIT_ENABLED=false
        SHUTDOWN_DRAIN_SECONDS=0 ENVIRONMENT=development)
    drill_instance_start "$label" "$port"
    drill_wait_status "$base/ready" 200 30 "$label" >/dev/null || drill_die "$label: server never became ready"

    "$DRILL_PY" "$DRILL_HELPER" storm "$base" "$prefix" --clients "$CLIENTS" --max-seconds "$MAX_SECONDS" \
        --out "$dir/storm.jsonl" --progress "$dir/progress" >"$dir/storm.log" 2>&1 &
    local storm_pid=$! answered=0 deadline
    DRILL_PIDS[storm-$label]=$storm_pid
    deadline=$(($(drill_now_ms) + MAX_SECONDS * 1000))
    while ((answered < KILL_AFTER)) && (($(drill_now_ms) < deadline)) && kill -0 "$storm_pid" 2>/dev/null; do
        sleep 0.05
        answered="$(cat "$dir/progress" 2>/dev/null || echo 0)"
    done
    drill_log "$label: SIGKILL after $answered sign-ups answered 2xx"
    drill_instance_stop "$label" KILL 10
    local kill_exit="$DRILL_EXIT"
    wait "$storm_pid" || true
    DRILL_PIDS[storm-$label]=""
    drill_log "$label: storm: $(cat "$dir/storm.log")"

    local t0 ready_ms
    t0="$(drill_now_ms)"
    drill_instance_start "$label" "$port"
    if drill_wait_status "$base/ready" 200 30 "$label" >/dev/null; then
        ready_ms=$(($(drill_now_ms) - t0))
    else
        ready_ms=never
    fi
    drill_check "$label: SIGKILL mid-storm, restart → /ready 200" \
        "killed (exit $kill_exit) after $answered answered 2xx; ready again after $ready_ms ms" \
        "$(drill_bool [ "$kill_exit" = 137 -a "$ready_ms" != never -a "$answered" -ge 1 ])"

    # Classify what the clients saw, and what the database holds.
    "$DRILL_PY" - "$dir/storm.jsonl" "$dir" <<'EOF'
import json, sys
out = sys.argv[2]
files = {k: open(f"{out}/{k}.txt", "w") for k in ("ok", "unanswered", "rejected", "attempted")}
for line in open(sys.argv[1]):
    r = json.loads(line)
    files[r["outcome"]].write(r["email"] + "\n")
    files["attempted"].write(r["email"] + "\n")
EOF
    "$q" "SELECT email, CASE WHEN password_hash IS NULL OR password_hash = '' THEN 'nohash' ELSE 'hash' END FROM users WHERE email LIKE '$prefix-%' ORDER BY email" >"$dir/rows.tsv"
    cut -f1 "$dir/rows.tsv" >"$dir/rows.txt"
    local n_ok n_unans n_rej n_rows n_nohash
    n_ok="$(wc -l <"$dir/ok.txt")"
    n_unans="$(wc -l <"$dir/unanswered.txt")"
    n_rej="$(wc -l <"$dir/rejected.txt")"
    n_rows="$(wc -l <"$dir/rows.txt")"
    n_nohash="$(grep -c $'\tnohash$' "$dir/rows.tsv" || true)"

    # Set arithmetic on sorted email lists.
    local missing in_flight rejected_rows stray
    missing="$(comm -23 <(sort "$dir/ok.txt") <(sort "$dir/rows.txt") | wc -l)"
    in_flight="$(comm -12 <(sort "$dir/unanswered.txt") <(sort "$dir/rows.txt") | wc -l)"
    rejected_rows="$(comm -12 <(sort "$dir/rejected.txt") <(sort "$dir/rows.txt") | wc -l)"
    stray="$(comm -23 <(sort "$dir/rows.txt") <(sort "$dir/attempted.txt") | wc -l)"

    local ok_signin rows_signin
    ok_signin="$(drill_py signin-all "$base" "$dir/ok.txt" 2>"$dir/ok-signin.err")" || true
    rows_signin="$(drill_py signin-all "$base" "$dir/rows.txt" 2>"$dir/rows-signin.err")" || true

    drill_check "$label: storm answers" \
        "$((n_ok + n_unans + n_rej)) sign-ups sent by $CLIENTS clients: $n_ok answered 2xx, $n_rej answered non-2xx, $n_unans unanswered (in flight at the kill, or refused after it)" \
        "$(drill_bool [ "$n_ok" -ge 1 -a "$n_rej" = 0 ])"
    drill_check "$label: every sign-up answered 2xx exists and signs in" \
        "$((n_ok - missing)) of $n_ok in users; sign-in $ok_signin" \
        "$(drill_bool [ "$missing" = 0 -a "$ok_signin" = "ok=$n_ok failed=0" ])"
    drill_check "$label: no half-written user" \
        "$n_rows storm rows = $((n_rows - in_flight - rejected_rows - stray)) answered 2xx + $in_flight committed while in flight at the kill + $rejected_rows answered non-2xx + $stray never sent; $n_nohash without password hash; every row signs in: $rows_signin" \
        "$(drill_bool [ "$n_nohash" = 0 -a "$rejected_rows" = 0 -a "$stray" = 0 -a "$rows_signin" = "ok=$n_rows failed=0" ])"
    for f in ok-signin.err rows-signin.err; do
        [[ -s "$dir/$f" ]] && { drill_log "$label $f:"; head -n 5 "$dir/$f" >&2; }
    done
    drill_instance_stop "$label" TERM 20
}

# shellcheck disable=SC2317 # called through storm_drill's QUERY_FUNCTION argument
pg_q() { drill_psql janua_crash "$1"; }
# shellcheck disable=SC2317
sqlite_q() { sqlite3 -batch -noheader -separator $'\t' "$DRILL_TMP/crash.db" "$1"; }

if [[ "$WHICH" != sqlite ]]; then
    storm_drill postgres "$(drill_createdb janua_crash)" pg_q
fi
if [[ "$WHICH" != postgres ]]; then
    storm_drill sqlite "sqlite://$DRILL_TMP/crash.db" sqlite_q
fi
drill_finish
