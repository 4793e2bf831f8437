#!/usr/bin/env bash
# Drill: a PostgreSQL streaming read replica, then its loss and return.
#
# A primary (the private dev-services PostgreSQL) and a real hot-standby replica made with
# `pg_basebackup -R` (streaming replication, its own data directory and port). One Janua
# instance runs with DATABASE_URL on the primary and DATABASE_REPLICA_URLS on the replica.
#   1. Users sign up (writes: primary). Once the replica has replayed the primary's WAL, the
#      admin user list (a lag-tolerant read) returns every user, the replica served it
#      (`janua_db_lag_tolerant_reads_total{pool="replica"}` grows and the replica shows a
#      `janua` connection in pg_stat_activity), and the replica refuses writes (it is a standby).
#   2. Replay is paused on the replica: the list is stale (replica) while a new user signs in
#      and reads /me at once (read-after-write on the primary); replay resumes, it catches up.
#   3. The replica is stopped (`pg_ctl -m immediate`, a crash). Admin list reads keep answering
#      200 with every user (the primary serves them: `janua_db_replica_fallbacks_total` grows),
#      /ready stays 200 (a replica is never a readiness dependency), sign-ups keep working.
#   4. The replica starts again and catches up; within the dependency watch interval reads go
#      back to it (the replica counter grows again) and it sees the users written while it was
#      down.
#
# Usage: drills/read-replica.sh   (build first: cargo build --release --bin janua)
# Settings (environment): JANUA_BIN, DRILL_KEEP_TMP.
set -euo pipefail

# shellcheck source=drills/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

USERS=5
READS=30
ADMIN_EMAIL=admin@drill.example
ADMIN_PASSWORD='Drill-admin-password-1'

drill_init read-replica
drill_services_start
SECRET="$(drill_secret)"

REPLICA_DIR="$DRILL_TMP/replica"
REPLICA_PORT="$(drill_free_port)"
PRIMARY_PORT="${TEST_DATABASE_URL##*:}"
PRIMARY_PORT="${PRIMARY_PORT%%/*}"

replica_ctl() { drill_as_pg "$PG_BIN/pg_ctl" -D "$REPLICA_DIR/data" "$@"; }
replica_stop() {
    [[ -f "$REPLICA_DIR/data/postmaster.pid" ]] || return 0
    replica_ctl -m "${1:-fast}" -w -t 30 stop >/dev/null 2>&1 || true
}
trap 'replica_stop immediate; drill_cleanup' EXIT

replica_url() { printf 'postgres://postgres@127.0.0.1:%s/%s\n' "$REPLICA_PORT" "$1"; }
replica_psql() { "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -At -d "$(replica_url "$1")" -c "$2"; }

replica_start() {
    replica_ctl -l "$REPLICA_DIR/postgres.log" -w -t 60 start >/dev/null 3>&- ||
        { tail -n 20 "$REPLICA_DIR/postgres.log" >&2; drill_die "replica did not start"; }
}

# wait_replayed: until the replica has replayed everything the primary has written so far.
wait_replayed() {
    local target deadline
    target="$(drill_psql postgres "SELECT pg_current_wal_lsn()")"
    deadline=$(($(drill_now_ms) + 30000))
    until [[ "$(replica_psql postgres "SELECT pg_last_wal_replay_lsn() >= '$target'::pg_lsn" 2>/dev/null)" == t ]]; do
        (($(drill_now_ms) < deadline)) || return 1
        sleep 0.1
    done
}

# metric NAME_WITH_LABELS: the value on /metrics (0 when absent).
metric() {
    curl -s --max-time 5 "$BASE/metrics" | awk -v m="$1" '$1 == m { print $2; found = 1 } END { if (!found) print 0 }'
}
REPLICA_READS='janua_db_lag_tolerant_reads_total{pool="replica"}'
FALLBACKS='janua_db_replica_fallbacks_total'

# list_reads N: N admin user lists; prints "ok=… failed=…" where ok means 200 with every user.
list_reads() {
    local n="$1" expected="$2" ok=0 failed=0 out total
    for _ in $(seq 1 "$n"); do
        out="$(drill_py call GET "$BASE/api/v1/users?per_page=100" --bearer "$TOKEN")"
        total="$(printf '%s' "${out#*$'\t'}" | "$DRILL_PY" -c 'import json,sys
try: print(json.load(sys.stdin).get("total", -1))
except Exception: print(-1)')"
        if [[ "${out%%$'\t'*}" == 200 && "$total" == "$expected" ]]; then
            ok=$((ok + 1))
        else
            failed=$((failed + 1))
            drill_log "list read: ${out:0:200}"
        fi
    done
    printf 'ok=%s failed=%s\n' "$ok" "$failed"
}

# --- the replica --------------------------------------------------------------------------
DB=janua_replica_drill
PRIMARY_URL="$(drill_createdb "$DB")"
mkdir -p "$REPLICA_DIR"
[[ $EUID -ne 0 ]] || chown postgres: "$REPLICA_DIR"
drill_log "pg_basebackup from 127.0.0.1:$PRIMARY_PORT into the replica (port $REPLICA_PORT)"
drill_as_pg "$PG_BIN/pg_basebackup" -h 127.0.0.1 -p "$PRIMARY_PORT" -U postgres \
    -D "$REPLICA_DIR/data" -R -X stream -c fast >"$DRILL_TMP/basebackup.log" 2>&1 ||
    { tail -n 20 "$DRILL_TMP/basebackup.log" >&2; drill_die "pg_basebackup failed"; }
drill_as_pg tee -a "$REPLICA_DIR/data/postgresql.conf" >/dev/null <<EOF

# read-replica drill: the standby's own port and socket directory
port = $REPLICA_PORT
unix_socket_directories = '$REPLICA_DIR'
hot_standby = on
EOF
replica_start
standby="$(replica_psql postgres "SELECT pg_is_in_recovery()")"
drill_check "replica is a streaming hot standby" "pg_is_in_recovery=$standby" \
    "$(drill_bool [ "$standby" = t ])"

# --- Janua on primary + replica -------------------------------------------------------------
PORT="$(drill_free_port)"
BASE="http://127.0.0.1:$PORT"
DRILL_BASE_ENV=(DATABASE_URL="$PRIMARY_URL" DATABASE_REPLICA_URLS="$(replica_url "$DB")"
    SECRET_KEY="$SECRET" RATE_LIMIT_ENABLED=false SHUTDOWN_DRAIN_SECONDS=0
    ENVIRONMENT=development ADMIN_EMAIL="$ADMIN_EMAIL" ADMIN_PASSWORD="$ADMIN_PASSWORD")
drill_instance_start janua "$PORT"
drill_wait_status "$BASE/ready" 200 60 janua >/dev/null || drill_die "janua never became ready"

signup="$(drill_py users "$BASE" replica "$USERS" "$DRILL_TMP/users.jsonl")" || true
drill_check "users sign up (writes go to the primary)" "$signup" \
    "$(drill_bool [ "$signup" = "ok=$USERS failed=0" ])"
TOKEN="$(drill_py call POST "$BASE/api/v1/auth/signin" \
    --json "{\"email\":\"$ADMIN_EMAIL\",\"password\":\"$ADMIN_PASSWORD\"}" |
    cut -f2- | "$DRILL_PY" -c 'import json,sys; b=json.load(sys.stdin); print((b.get("tokens") or b).get("access_token",""))')"
[[ -n "$TOKEN" ]] || drill_die "the bootstrap admin could not sign in"
EXPECTED=$((USERS + 1))

wait_replayed || drill_die "the replica did not catch up within 30 s"
before="$(metric "$REPLICA_READS")"
reads="$(list_reads "$READS" "$EXPECTED")"
after="$(metric "$REPLICA_READS")"
drill_check "admin list reads return every user once replayed" "$reads" \
    "$(drill_bool [ "$reads" = "ok=$READS failed=0" ])"
drill_check "the replica served them" "replica reads $before → $after" \
    "$(drill_bool [ "${after%.*}" -ge $((${before%.*} + READS)) ])"
conns="$(replica_psql postgres "SELECT count(*) FROM pg_stat_activity WHERE datname = '$DB' AND application_name = 'janua'")"
drill_check "Janua holds connections on the replica" "pg_stat_activity: $conns" \
    "$(drill_bool [ "$conns" -ge 1 ])"
refused="$(replica_psql "$DB" "INSERT INTO system_settings (key, value, updated_at) VALUES ('x', '1', now())" 2>&1 || true)"
drill_check "the replica refuses writes" "${refused:0:60}" \
    "$(drill_bool grep -q 'read-only transaction' <<<"$refused")"

# --- lag: replay paused on the replica ------------------------------------------------------
# With replay paused the replica falls behind on purpose: the lag-tolerant list (replica) does
# not show a new user yet, while that user's sign-in and /me (read-after-write) work at once
# because they read the primary.
replica_psql postgres "SELECT pg_wal_replay_pause()" >/dev/null
lagging="$(drill_py users "$BASE" lagging 1 "$DRILL_TMP/users-lag.jsonl")" || true
stale="$(list_reads 5 "$EXPECTED")"
drill_check "with replay paused the list is the replica's (stale by one user)" "$stale" \
    "$(drill_bool [ "$stale" = "ok=5 failed=0" ])"
signin="$(drill_py signin-all "$BASE" "$DRILL_TMP/users-lag.jsonl" 2>/dev/null)" || true
me="$(drill_py me "$BASE" "$DRILL_TMP/users-lag.jsonl" 2>/dev/null)" || true
drill_check "the new user signs in and reads /me at once (primary)" "$lagging; $signin; $me" \
    "$(drill_bool [ "$lagging $signin $me" = "ok=1 failed=0 ok=1 failed=0 ok=1 failed=0" ])"
replica_psql postgres "SELECT pg_wal_replay_resume()" >/dev/null
EXPECTED=$((EXPECTED + 1))
wait_replayed || drill_die "the replica did not catch up after replay resumed"
caught="$(list_reads 5 "$EXPECTED")"
drill_check "after replay resumes the replica lists the new user" "$caught" \
    "$(drill_bool [ "$caught" = "ok=5 failed=0" ])"

# --- replica loss ---------------------------------------------------------------------------
drill_log "stopping the replica (immediate, as a crash)"
replica_stop immediate
fb_before="$(metric "$FALLBACKS")"
start_ms="$(drill_now_ms)"
reads="$(list_reads "$READS" "$EXPECTED")"
took=$(($(drill_now_ms) - start_ms))
fb_after="$(metric "$FALLBACKS")"
drill_check "reads keep answering with the replica down" "$reads in ${took} ms" \
    "$(drill_bool [ "$reads" = "ok=$READS failed=0" ])"
drill_check "the primary took over (fallbacks counted)" "fallbacks $fb_before → $fb_after" \
    "$(drill_bool [ "${fb_after%.*}" -ge 1 ])"
ready="$(drill_http_status "$BASE/ready" 5)"
drill_check "/ready stays 200 without the replica" "$ready" "$(drill_bool [ "$ready" = 200 ])"
more="$(drill_py users "$BASE" during-outage 2 "$DRILL_TMP/users2.jsonl")" || true
drill_check "sign-ups keep working" "$more" "$(drill_bool [ "$more" = "ok=2 failed=0" ])"
EXPECTED=$((EXPECTED + 2))

# --- replica return -------------------------------------------------------------------------
drill_log "starting the replica again"
replica_start
wait_replayed || drill_die "the restarted replica did not catch up within 30 s"
back_before="$(metric "$REPLICA_READS")"
deadline=$(($(drill_now_ms) + 30000))
back_ms=""
start_ms="$(drill_now_ms)"
while (($(drill_now_ms) < deadline)); do
    list_reads 1 "$EXPECTED" >/dev/null
    if [[ "$(metric "$REPLICA_READS")" != "$back_before" ]]; then
        back_ms=$(($(drill_now_ms) - start_ms))
        break
    fi
    sleep 0.5
done
drill_check "reads return to the replica once it answers a ping" "${back_ms:-never} ms" \
    "$(drill_bool [ -n "$back_ms" ])"
reads="$(list_reads 10 "$EXPECTED")"
drill_check "the returned replica has the writes made while it was down" "$reads" \
    "$(drill_bool [ "$reads" = "ok=10 failed=0" ])"

drill_instance_stop janua TERM 30
drill_check "janua stops cleanly" "exit $DRILL_EXIT in ${DRILL_STOP_MS} ms" \
    "$(drill_bool [ "$DRILL_EXIT" = 0 ])"
drill_finish
