#!/usr/bin/env bash
# Run the operational drills one after another (CI entry point; about 2.5 minutes in all).
#
# Usage: drills/run-all.sh [DRILL...]     (default: every drill; build first:
#        cargo build --release --bin janua, or set JANUA_BIN)
#   DRILL is one of rolling-restart, redis-loss, crash-safety, backup-restore, read-replica.
# Each drill runs under `timeout DRILL_TIMEOUT` (300 s; SIGTERM lets it clean up, SIGKILL 15 s
# later). Every drill's own report (Markdown table and "N passed, M failed") is printed as it
# finishes; a summary table and a final "N passed, M failed" line (counting drills) follow.
# Exit status 0 only when every drill passed.
set -euo pipefail

DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
TIMEOUT="${DRILL_TIMEOUT:-300}"
ALL=(rolling-restart redis-loss crash-safety backup-restore read-replica)
if [[ $# -gt 0 ]]; then
    drills=("$@")
else
    drills=("${ALL[@]}")
fi
for d in "${drills[@]}"; do
    [[ -x "$DIR/$d.sh" ]] || { echo "run-all: unknown drill '$d' (known: ${ALL[*]})" >&2; exit 2; }
done

log_dir="$(mktemp -d -t janua-drills-run-all.XXXXXX)"
trap 'rm -rf "$log_dir"' EXIT
passed=0 failed=0 rows=()
start_all=$SECONDS
for d in "${drills[@]}"; do
    echo "== drill: $d" >&2
    start=$SECONDS
    rc=0
    # Progress (stderr) goes to the terminal/CI log as it happens; the report to stdout.
    timeout --signal=TERM --kill-after=15 "$TIMEOUT" "$DIR/$d.sh" >"$log_dir/$d.out" || rc=$?
    cat "$log_dir/$d.out"
    summary="$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$log_dir/$d.out" | tail -n 1 || true)"
    [[ $rc == 124 ]] && summary="timed out after ${TIMEOUT}s"
    if [[ $rc == 0 ]]; then
        passed=$((passed + 1))
        verdict=pass
    else
        failed=$((failed + 1))
        verdict="FAIL (exit $rc)"
    fi
    rows+=("| $d | ${summary:-no report} | $((SECONDS - start)) s | $verdict |")
done

printf '\n## Drills (%s, %s s in all)\n\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$((SECONDS - start_all))"
printf '| Drill | Checks | Time | Result |\n|---|---|---|---|\n'
printf '%s\n' "${rows[@]}"
printf '\n%s passed, %s failed\n' "$passed" "$failed"
((failed == 0))
