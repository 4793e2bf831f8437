#!/usr/bin/env bash
# Builds the baseline binary for bench/audit_webhooks.sh: the checked-out commit (HEAD) with
# bench/patches/no-audit-writes.patch applied, which makes the store's audit_rows::insert_pg /
# insert_sqlite return at once, so no audit_logs and no outbox_events rows are written (and the
# webhook worker finds nothing to dispatch). Everything else is the same code.
#
# The build happens in a scratch git worktree, into its own target directory, so the working
# tree and target/ are untouched. Prints the path of the copied binary.
#
# Usage: bench/build_no_audit_baseline.sh [OUT]   (OUT defaults to /tmp/janua-noaudit-bin)
# Settings: BASELINE_TARGET_DIR (default <repo>/target-noaudit; kept for faster rebuilds,
#   delete it when done), BASELINE_REV (default HEAD).
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="${1:-/tmp/janua-noaudit-bin}"
rev="${BASELINE_REV:-HEAD}"
target="${BASELINE_TARGET_DIR:-$repo/target-noaudit}"
scratch="$(mktemp -d -t janua-noaudit.XXXXXX)"
cleanup() {
    git -C "$repo" worktree remove --force "$scratch/src" 2>/dev/null || true
    rm -rf "$scratch"
}
trap cleanup EXIT

git -C "$repo" worktree add --detach "$scratch/src" "$rev" >&2
git -C "$scratch/src" apply "$repo/bench/patches/no-audit-writes.patch"
(cd "$scratch/src" && CARGO_TARGET_DIR="$target" cargo build --release --locked -p janua >&2)
cp "$target/release/janua" "$out"
printf '%s\n' "$out"
