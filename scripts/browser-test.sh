#!/usr/bin/env bash
# Headless Chromium through the hosted sign-in page (tests/browser/login.mjs) and the MFA step
# plus a passkey ceremony with a virtual authenticator (tests/browser/mfa.mjs): starts Janua on a
# free loopback port with a throwaway SQLite database, signs a user up through the JSON API,
# then lets Chromium open /api/v1/auth/login, take a screenshot, sign in and check
# /api/v1/auth/session. Loopback only; bounded in time; exits non-zero on any failure.
#
#   scripts/browser-test.sh
#   JANUA_BIN=target/release/janua scripts/browser-test.sh   # use a built binary as is
#   SCREENSHOT_OUT=docs/images/login-page.png scripts/browser-test.sh   # keep the screenshot
#
# Installs what it needs: Debian's chromium (apt, as root) and playwright-core from
# tests/browser/package-lock.json (npm ci; no browser download).
set -euo pipefail
cd "$(dirname "$0")/.."
root="$(pwd)"

if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then
    echo "== installing chromium (apt)" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "chromium is missing: apt-get install chromium (as root)" >&2
    exit 1
  fi
fi

if [ ! -d tests/browser/node_modules/playwright-core ] ||
   [ tests/browser/package-lock.json -nt tests/browser/node_modules/.package-lock.json ]; then
  echo "== npm ci (tests/browser)" >&2
  (cd tests/browser && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 timeout 300 npm ci --no-audit --no-fund --silent)
fi

if [ -z "${JANUA_BIN:-}" ]; then
  echo "== cargo build -p janua --bin janua" >&2
  cargo build -q -p janua --bin janua
  JANUA_BIN="$root/target/debug/janua"
fi

work="$(mktemp -d)"
server_pid=""
cleanup() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

port="$(node -e "const s=require('net').createServer();s.listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")"
base="http://127.0.0.1:$port"
mkdir -p "$work/shots"

echo "== starting janua on $base" >&2
# Passkeys need a domain for their RP ID (browsers refuse IP addresses): the same server is
# also reached as http://localhost:PORT, the WebAuthn origin.
env ENVIRONMENT=development HOST=127.0.0.1 PORT="$port" BASE_URL="$base" \
  WEBAUTHN_RP_ID=localhost WEBAUTHN_ORIGINS="http://localhost:$port" \
  DATABASE_URL="sqlite://$work/janua.db" \
  SECRET_KEY="$(head -c 48 /dev/urandom | base64 | tr -d '\n/+=')" \
  LOG_LEVEL=warn LOG_FORMAT=pretty SHUTDOWN_DRAIN_SECONDS=0 \
  "$JANUA_BIN" serve >"$work/server.log" 2>&1 &
server_pid=$!

for _ in $(seq 1 100); do
  if curl -fsS --max-time 1 "$base/health" >/dev/null 2>&1; then break; fi
  if ! kill -0 "$server_pid" 2>/dev/null; then
    echo "janua exited early:" >&2; cat "$work/server.log" >&2; exit 1
  fi
  sleep 0.2
done
curl -fsS --max-time 2 "$base/health" >/dev/null

email="browser-$(date +%s)@example.com"
password="Browser-Test-Passw0rd!"
curl -fsS --max-time 10 -H 'content-type: application/json' \
  -d "{\"email\":\"$email\",\"password\":\"$password\"}" \
  "$base/api/v1/auth/signup" >/dev/null

status=0
JANUA_URL="$base" JANUA_EMAIL="$email" JANUA_PASSWORD="$password" SCREENSHOT_DIR="$work/shots" \
  timeout 120 node tests/browser/login.mjs || status=$?
JANUA_URL="$base" JANUA_PASSKEY_URL="http://localhost:$port" \
  timeout 120 node tests/browser/mfa.mjs || status=$?

if [ -n "${SCREENSHOT_OUT:-}" ] && [ -f "$work/shots/login-page.png" ]; then
  mkdir -p "$(dirname "$SCREENSHOT_OUT")"
  cp "$work/shots/login-page.png" "$SCREENSHOT_OUT"
  echo "== screenshot copied to $SCREENSHOT_OUT" >&2
fi
if [ "$status" != 0 ]; then
  echo "== server log" >&2; tail -50 "$work/server.log" >&2
fi
exit "$status"
