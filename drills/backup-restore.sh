#!/usr/bin/env bash
# Drill: backup and restore.
#
# PostgreSQL: server S1 on a database; users sign up (their access tokens are minted now, by
#   S1); `pg_dump --format=custom` (as the postgres user, while S1 serves) → one more user signs
#   up after the dump → a fresh database → `pg_restore --no-owner --exit-on-error` →
#   `janua migrate` against it (must succeed: nothing to apply) and `migrate --status` → S1 is
#   stopped → S2 starts on the restored database with the same SECRET_KEY (generated signing
#   keys are stored encrypted under it): every user signs in, every token minted by S1 before
#   the backup verifies (GET /me 200), and the post-dump user does not exist.
# SQLite: server S3 on a database file; users sign up; while S3 serves a light sign-up stream,
#   `sqlite3 janua.db ".backup copy.db"` (SQLite's online backup API; WAL-safe) →
#   `PRAGMA integrity_check` → `janua migrate` on the copy → S4 starts on the copy (S3 still
#   running): every user signs in and every old token verifies.
#
# Usage: drills/backup-restore.sh [postgres|sqlite|all]   (default all; build first)
# Settings (environment): JANUA_BIN, DRILL_KEEP_TMP.
set -euo pipefail

# shellcheck source=drills/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

USERS=5
WHICH="${1:-all}"
case "$WHICH" in postgres | sqlite | all) ;; *) drill_die "usage: $0 [postgres|sqlite|all]" ;; esac

drill_init backup-restore
drill_require sqlite3 sqlite3
[[ "$WHICH" == sqlite ]] || drill_services_start
SECRET="$(drill_secret)"

# start_server NAME DATABASE_URL: start and wait for /ready; sets SERVER_URL (not printed:
# a $(...) subshell would lose the PID that cleanup needs).
SERVER_URL=""
start_server() {
    local name="$1" url="$2" port
    port="$(drill_free_port)"
    DRILL_BASE_ENV=(DATABASE_URL="$url" SECRET_KEY="$SECRET" RATE_LIMIT_ENABLED=false
        SHUTDOWN_DRAIN_SECONDS=0 ENVIRONMENT=development)
    drill_instance_start "$name" "$port"
    drill_wait_status "http://127.0.0.1:$port/ready" 200 30 "$name" >/dev/null ||
        drill_die "$name never became ready"
    SERVER_URL="http://127.0.0.1:$port"
}

# verify LABEL BASE USERS_FILE: users sign in and their old tokens verify on BASE.
verify() {
    local label="$1" base="$2" users="$3" signin me
    signin="$(drill_py signin-all "$base" "$users" 2>"$DRILL_TMP/$label-signin.err")" || true
    me="$(drill_py me "$base" "$users" 2>"$DRILL_TMP/$label-me.err")" || true
    drill_check "$label: users sign in on the restored server" "$signin" \
        "$(drill_bool [ "$signin" = "ok=$USERS failed=0" ])"
    drill_check "$label: tokens minted before the backup verify (GET /me)" "$me" \
        "$(drill_bool [ "$me" = "ok=$USERS failed=0" ])"
    for f in "$label-signin.err" "$label-me.err"; do
        [[ -s "$DRILL_TMP/$f" ]] && { drill_log "$f:"; head -n 5 "$DRILL_TMP/$f" >&2; }
    done
    return 0
}

postgres_drill() {
    local src dst s1 s2 users="$DRILL_TMP/pg-users.jsonl" dump="$DRILL_TMP/janua.dump" t0 dump_ms
    src="$(drill_createdb janua_backup_src)"
    DRILL_BASE_ENV=(DATABASE_URL="$src" SECRET_KEY="$SECRET")
    drill_run_janua -- migrate >"$DRILL_TMP/migrate-src.log" 2>&1 ||
        { cat "$DRILL_TMP/migrate-src.log" >&2; drill_die "janua migrate (source) failed"; }
    start_server s1 "$src"
    s1="$SERVER_URL"
    drill_py users "$s1" "pg-backup-$$" "$USERS" "$users" >/dev/null || drill_die "sign-ups on S1 failed"

    # pg_dump runs as the postgres user; its output is written by this shell (the temporary
    # directory need not be writable by postgres).
    t0="$(drill_now_ms)"
    local pg_host pg_port dump_rc=0
    pg_host=127.0.0.1
    pg_port="${TEST_DATABASE_URL##*:}"
    pg_port="${pg_port%%/*}"
    drill_as_pg "$PG_BIN/pg_dump" --format=custom --compress=6 --no-owner -h "$pg_host" -p "$pg_port" \
        -U postgres -d janua_backup_src >"$dump" 2>"$DRILL_TMP/pg_dump.err" || dump_rc=$?
    dump_ms=$(($(drill_now_ms) - t0))
    local entries
    entries="$("$PG_BIN/pg_restore" --list "$dump" 2>/dev/null | grep -vc '^;' || true)"
    drill_check "postgres: pg_dump --format=custom while S1 serves" \
        "exit $dump_rc, $(stat -c %s "$dump") bytes, $entries TOC entries, ${dump_ms} ms" \
        "$(drill_bool [ "$dump_rc" = 0 -a "$entries" -gt 0 ])"

    local late
    late="$(drill_py call POST "$s1/api/v1/auth/signup" \
        --json '{"email":"after-dump-'$$'@drill.example","password":"Drill-Passw0rd!2024"}')"
    drill_log "sign-up after the dump answered ${late%%$'\t'*}"

    dst="$(drill_createdb janua_restored)"
    t0="$(drill_now_ms)"
    local restore_rc=0
    drill_as_pg "$PG_BIN/pg_restore" --no-owner --exit-on-error -h "$pg_host" -p "$pg_port" -U postgres \
        -d janua_restored <"$dump" 2>"$DRILL_TMP/pg_restore.err" || restore_rc=$?
    drill_check "postgres: pg_restore into a fresh database" \
        "exit $restore_rc in $(($(drill_now_ms) - t0)) ms; users rows $(drill_psql janua_restored 'SELECT count(*) FROM users')" \
        "$(drill_bool [ "$restore_rc" = 0 ])"
    [[ $restore_rc == 0 ]] || cat "$DRILL_TMP/pg_restore.err" >&2

    DRILL_BASE_ENV=(DATABASE_URL="$dst" SECRET_KEY="$SECRET")
    local migrate_rc=0 status_rc=0 status_out
    drill_run_janua -- migrate >"$DRILL_TMP/migrate-restored.log" 2>&1 || migrate_rc=$?
    status_out="$(drill_run_janua -- migrate --status 2>&1)" || status_rc=$?
    drill_check "postgres: janua migrate on the restored database (no-op)" \
        "migrate exit $migrate_rc; migrate --status exit $status_rc: $(printf '%s' "$status_out" | tr '\n' ' ' | cut -c1-160)" \
        "$(drill_bool [ "$migrate_rc" = 0 -a "$status_rc" = 0 ])"
    [[ $migrate_rc == 0 ]] || cat "$DRILL_TMP/migrate-restored.log" >&2

    drill_instance_stop s1 TERM 20
    start_server s2 "$dst"
    s2="$SERVER_URL"
    verify postgres "$s2" "$users"
    local late_code
    late_code="$(drill_py call POST "$s2/api/v1/auth/signin" \
        --json '{"email":"after-dump-'$$'@drill.example","password":"Drill-Passw0rd!2024"}')"
    late_code="${late_code%%$'\t'*}"
    drill_check "postgres: the user signed up after the dump is not in the restore" "sign-in $late_code" \
        "$(drill_bool [ "$late_code" = 401 ])"
    drill_instance_stop s2 TERM 20
}

sqlite_drill() {
    local live="$DRILL_TMP/live.db" copy="$DRILL_TMP/copy.db" s3 s4 users="$DRILL_TMP/sqlite-users.jsonl"
    start_server s3 "sqlite://$live"
    s3="$SERVER_URL"
    drill_py users "$s3" "sqlite-backup-$$" "$USERS" "$users" >/dev/null || drill_die "sign-ups on S3 failed"

    # Writes continue while the backup runs.
    "$DRILL_PY" "$DRILL_HELPER" storm "$s3" "sqlite-writer-$$" --clients 2 --max-seconds 4 \
        --out "$DRILL_TMP/writer.jsonl" --progress "$DRILL_TMP/writer.progress" >"$DRILL_TMP/writer.log" 2>&1 &
    DRILL_PIDS[writer]=$!
    local deadline=$(($(drill_now_ms) + 10000))
    until [[ -s "$DRILL_TMP/writer.progress" ]] || (($(drill_now_ms) >= deadline)); do sleep 0.05; done
    local t0 backup_rc=0 backup_ms
    t0="$(drill_now_ms)"
    sqlite3 "$live" ".timeout 10000" ".backup '$copy'" 2>"$DRILL_TMP/backup.err" || backup_rc=$?
    backup_ms=$(($(drill_now_ms) - t0))
    local during
    during="$(cat "$DRILL_TMP/writer.progress" 2>/dev/null || echo 0)"
    wait "${DRILL_PIDS[writer]}" || true
    DRILL_PIDS[writer]=""
    local integrity
    integrity="$(sqlite3 "$copy" 'PRAGMA integrity_check' 2>&1 | head -n 3 | tr '\n' ' ')"
    drill_check "sqlite: online .backup while the server takes sign-ups" \
        "exit $backup_rc in ${backup_ms} ms ($during concurrent sign-ups answered when it ended); integrity_check: ${integrity% }; users rows in copy $(sqlite3 "$copy" 'SELECT count(*) FROM users')" \
        "$(drill_bool [ "$backup_rc" = 0 -a "${integrity% }" = ok ])"
    [[ $backup_rc == 0 ]] || cat "$DRILL_TMP/backup.err" >&2

    DRILL_BASE_ENV=(DATABASE_URL="sqlite://$copy" SECRET_KEY="$SECRET")
    local migrate_rc=0
    drill_run_janua -- migrate >"$DRILL_TMP/migrate-copy.log" 2>&1 || migrate_rc=$?
    drill_check "sqlite: janua migrate on the copy (no-op)" "exit $migrate_rc" "$(drill_bool [ "$migrate_rc" = 0 ])"

    start_server s4 "sqlite://$copy"
    s4="$SERVER_URL"
    verify sqlite "$s4" "$users"
    drill_instance_stop s4 TERM 20
    drill_instance_stop s3 TERM 20
}

[[ "$WHICH" == sqlite ]] || postgres_drill
[[ "$WHICH" == postgres ]] || sqlite_drill
drill_finish
