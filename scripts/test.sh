#!/usr/bin/env bash
# The test command (README, CI): the whole suite on SQLite + the in-process cache, then the
# same suite on PostgreSQL + Redis (+ a 3-node Redis Cluster for the cache contract), started
# as throwaway services by scripts/dev-services.sh and stopped afterwards.
#
#   scripts/test.sh            both passes
#   scripts/test.sh sqlite     only the SQLite pass (no services needed; same as `cargo test`)
#   scripts/test.sh postgres   only the PostgreSQL + Redis pass
set -euo pipefail
cd "$(dirname "$0")/.."

mode="${1:-all}"
# Test threads: the suite starts a server per test; two cores do best with a few in parallel.
export RUST_TEST_THREADS="${RUST_TEST_THREADS:-4}"

run_sqlite() {
  echo "== tests on SQLite + in-process cache" >&2
  env -u TEST_DATABASE_URL -u TEST_REDIS_URL -u TEST_REDIS_CLUSTER_URL -u TEST_REDIS_CLUSTER_NODES \
    cargo test --workspace --all-targets
}

run_postgres() {
  echo "== tests on PostgreSQL + Redis (+ Redis Cluster)" >&2
  local started=0
  if [ -z "${TEST_DATABASE_URL:-}" ] || [ -z "${TEST_REDIS_URL:-}" ]; then
    eval "$(scripts/dev-services.sh start)"
    started=1
  fi
  local status=0
  cargo test --workspace --all-targets || status=$?
  if [ "$started" = 1 ]; then scripts/dev-services.sh stop >&2 || true; fi
  return "$status"
}

case "$mode" in
  all) run_sqlite; run_postgres ;;
  sqlite) run_sqlite ;;
  postgres) run_postgres ;;
  *) echo "usage: $0 [all|sqlite|postgres]" >&2; exit 2 ;;
esac
