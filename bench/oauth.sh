#!/usr/bin/env bash
# OAuth provider throughput on this machine, each figure next to what bounds or compares it:
#   - client_credentials tokens/s for an RS256, an ES256 and an EdDSA client, against the raw
#     signing rate of the same algorithm on the same cores (cargo bench --bench jwt_sign). The
#     machine is shared and its speed drifts, so each algorithm runs BENCH_ROUNDS rounds that
#     alternate with raw measurements: each round is compared with the mean of the raw rates
#     just before and just after it, the median round is the figure, and every round is printed;
#   - introspection req/s (RS256 access token, in-process cache);
#   - discovery and JWKS req/s (served from memory);
#   - the same client_credentials and introspection load against panva's oidc-provider (npm,
#     installed into bench/oidc-provider/node_modules, not committed), configured the same way,
#     in the same run window.
#
# Usage: cargo build --release && bench/oauth.sh
# Settings: JANUA_BIN, BENCH_DURATION (10 s per run), BENCH_ROUNDS (3), BENCH_RAW_SECONDS (4),
#   BENCH_CONNECTIONS (32), BENCH_THREADS (2),
#   BENCH_SKIP_OIDC_PROVIDER=1 (Janua only), BENCH_DATABASE_URL, BENCH_REDIS_URL,
#   BENCH_WRK_POLICY (batch: wrk does not preempt the servers on each response; see bench/lib.sh).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=bench/lib.sh
source "$here/lib.sh"

DURATION="${BENCH_DURATION:-10}"
CONNECTIONS="${BENCH_CONNECTIONS:-32}"
THREADS="${BENCH_THREADS:-2}"
ROUNDS="${BENCH_ROUNDS:-3}"
RAW_SECONDS="${BENCH_RAW_SECONDS:-4}"
ADMIN_EMAIL_BENCH="bench-admin@bench.example"
ADMIN_PASSWORD_BENCH="Bench-Admin-Password-123!"
NODE_PID=""

bench_require curl curl
bench_require wrk wrk
bench_require chrt util-linux
bench_require python3 python3
cleanup() {
    [[ -n "$NODE_PID" ]] && kill "$NODE_PID" 2>/dev/null || true
    bench_cleanup
}
trap cleanup EXIT

json_field() { python3 -c "import json,sys; print(json.load(sys.stdin)[sys.argv[1]])" "$1"; }
basic() { printf '%s:%s' "$1" "$2" | base64 -w0; }

# raw_rate ALG: tokens/s of the signing benchmark for one algorithm on all cores.
raw_rate() {
    BENCH_SECONDS="$RAW_SECONDS" BENCH_ALGS="$1" cargo bench -q -p janua-core --bench jwt_sign 2>/dev/null |
        awk '/^RATE/ { print $3 }'
}

# run NAME WRK_ARGS...: wrk; prints "rps p50 p99 errors".
run() {
    local name="$1" out="$BENCH_TMP/$1.txt"
    shift
    bench_wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --timeout 10s --latency "$@" >"$out" 2>&1 ||
        { cat "$out" >&2; bench_die "wrk $name failed"; }
    local errors=$(($(bench_wrk_field "$out" non2xx) + $(bench_wrk_field "$out" socket_errors)))
    printf '%s %s %s %s\n' "$(bench_wrk_field "$out" rps)" "$(bench_wrk_field "$out" p50)" \
        "$(bench_wrk_field "$out" p99)" "$errors"
}

bench_log "building the signing benchmark (cargo bench -p janua-core --bench jwt_sign)"
cargo bench -q -p janua-core --bench jwt_sign --no-run 2>/dev/null || bench_die "the signing benchmark does not build"

extra=()
[[ -n "${BENCH_REDIS_URL:-}" ]] && extra+=(REDIS_URL="$BENCH_REDIS_URL")
bench_start_server SHUTDOWN_DRAIN_SECONDS=1 ADMIN_EMAIL="$ADMIN_EMAIL_BENCH" \
    ADMIN_PASSWORD="$ADMIN_PASSWORD_BENCH" ISSUER="http://127.0.0.1:$BENCH_PORT" "${extra[@]}"
admin_token="$(curl -sf -H 'content-type: application/json' \
    -d "{\"email\":\"$ADMIN_EMAIL_BENCH\",\"password\":\"$ADMIN_PASSWORD_BENCH\"}" \
    "$BENCH_URL/api/v1/auth/signin" | python3 -c 'import json,sys; print(json.load(sys.stdin)["tokens"]["access_token"])')"

declare -A janua_basic
for alg in RS256 ES256 EdDSA; do
    created="$(curl -sf -H 'content-type: application/json' -H "authorization: Bearer $admin_token" \
        -d "{\"name\":\"bench-$alg\",\"grant_types\":[\"client_credentials\"],\"allowed_scopes\":[\"api\"],\"signing_alg\":\"$alg\"}" \
        "$BENCH_URL/api/v1/oauth/clients")" || bench_die "creating the $alg client failed"
    janua_basic[$alg]="$(basic "$(json_field client_id <<<"$created")" "$(json_field client_secret <<<"$created")")"
done

declare -A rows raw_rows
for alg in RS256 ES256 EdDSA; do
    raws=("$(raw_rate "$alg")")
    runs=()
    ratios=()
    for ((round = 1; round <= ROUNDS; round++)); do
        bench_log "janua client_credentials $alg, round $round/$ROUNDS: wrk -t$THREADS -c$CONNECTIONS"
        runs+=("$(BENCH_BASIC="${janua_basic[$alg]}" run "janua-cc-$alg" -s "$here/lua/oauth_token.lua" "$BENCH_URL")")
        raws+=("$(raw_rate "$alg")")
        ratios+=("$(awk -v s="$(awk '{ print $1 }' <<<"${runs[-1]}")" -v a="${raws[-2]}" -v b="${raws[-1]}" \
            'BEGIN { printf "%.1f", 200 * s / (a + b) }')")
        bench_log "$alg round $round: ${ratios[-1]} % (${runs[-1]%% *} tokens/s; raw ${raws[-2]} before, ${raws[-1]} after)"
    done
    median="$(for i in "${!ratios[@]}"; do printf '%s %s\n' "${ratios[$i]}" "$i"; done |
        sort -n | awk -v n="$ROUNDS" 'NR == int((n + 1) / 2) { print $2 }')"
    rows[janua_$alg]="${runs[$median]}"
    raw_rows[$alg]="${raws[$median]} ${raws[$((median + 1))]}"
    rows[rounds_$alg]="${ratios[*]}"
done
token="$(curl -sf -H "authorization: Basic ${janua_basic[RS256]}" -d grant_type=client_credentials \
    "$BENCH_URL/api/v1/oauth/token" | json_field access_token)"
active="$(curl -sf -H "authorization: Basic ${janua_basic[RS256]}" --data-urlencode "token=$token" \
    "$BENCH_URL/api/v1/oauth/introspect" | json_field active)"
[[ "$active" == True ]] || bench_die "introspection did not find the token active"
bench_log "janua introspection"
rows[janua_introspect]="$(BENCH_BASIC="${janua_basic[RS256]}" BENCH_TOKEN="$token" \
    run janua-introspect -s "$here/lua/oauth_introspect.lua" "$BENCH_URL")"
bench_log "janua discovery and JWKS, and /health as the floor of the request path"
rows[janua_discovery]="$(run janua-discovery "$BENCH_URL/.well-known/openid-configuration")"
rows[janua_jwks]="$(run janua-jwks "$BENCH_URL/.well-known/jwks.json")"
rows[janua_health]="$(run janua-health "$BENCH_URL/health")"
rss="$(bench_mib "$(bench_rss_kib "$BENCH_PID")")"
bench_stop_server

if [[ "${BENCH_SKIP_OIDC_PROVIDER:-0}" != 1 ]]; then
    bench_require node nodejs
    bench_require npm npm
    if [[ ! -d "$here/oidc-provider/node_modules/oidc-provider" ]]; then
        bench_log "installing oidc-provider into bench/oidc-provider/node_modules"
        npm install --prefix "$here/oidc-provider" --no-audit --no-fund --loglevel=error >&2
    fi
    node_port="$(bench_free_port)"
    node_url="http://127.0.0.1:$node_port"
    PORT="$node_port" node "$here/oidc-provider/server.mjs" >"$BENCH_TMP/oidc-provider.log" 2>&1 &
    NODE_PID=$!
    bench_wait_url "$node_url/.well-known/openid-configuration" 30
    op_version="$(node -p "require('$here/oidc-provider/node_modules/oidc-provider/package.json').version")"
    for alg in RS256 ES256 EdDSA opaque; do
        secret="bench-secret-$alg-0123456789abcdef0123456789"
        b="$(basic "bench-$alg" "$secret")"
        if [[ "$alg" == opaque ]]; then
            op_token="$(curl -sf -H "authorization: Basic $b" -d grant_type=client_credentials -d scope=api \
                "$node_url/token" | json_field access_token)"
            active="$(curl -sf -H "authorization: Basic $b" --data-urlencode "token=$op_token" \
                "$node_url/token/introspection" | json_field active)"
            [[ "$active" == True ]] || bench_die "oidc-provider introspection did not find its token active"
            bench_log "oidc-provider introspection (opaque token)"
            rows[op_introspect]="$(BENCH_BASIC="$b" BENCH_TOKEN="$op_token" BENCH_INTROSPECT_PATH=/token/introspection \
                run op-introspect -s "$here/lua/oauth_introspect.lua" "$node_url")"
        else
            bench_log "oidc-provider client_credentials $alg"
            rows[op_$alg]="$(BENCH_BASIC="$b" BENCH_TOKEN_PATH=/token run "op-cc-$alg" -s "$here/lua/oauth_token.lua" "$node_url")"
        fi
    done
    kill "$NODE_PID" 2>/dev/null || true
    wait "$NODE_PID" 2>/dev/null || true
    NODE_PID=""
fi

rps() { awk '{ print $1 }' <<<"$1"; }
pct() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.0f %%", 100 * a / b; else print "" }'; }
times() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.1f×", a / b; else print "" }'; }
row() { # label, "rps p50 p99 err", baseline label, ratio
    read -r r p50 p99 err <<<"$2"
    printf '| %s | %.0f | %s | %s | %s | %s | %s |\n' "$1" "$r" "$p50" "$p99" "$err" "$3" "$4"
}

backend="SQLite"
[[ "${BENCH_DATABASE_URL:-}" == postgres* ]] && backend="PostgreSQL"
cache="in-process"
[[ -n "${BENCH_REDIS_URL:-}" ]] && cache="Redis"
echo "<!-- bench/oauth.sh, $(date -u +%Y-%m-%dT%H:%MZ), commit $(git -C "$BENCH_REPO" rev-parse --short HEAD 2>/dev/null || echo unknown), $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg), $backend, $cache cache, wrk -t$THREADS -c$CONNECTIONS -d${DURATION}s (scheduling policy ${BENCH_WRK_POLICY:-batch}), Janua RSS after the runs $rss MiB -->"
echo "| Measure | Req/s | p50 ms | p99 ms | Errors | Compared with | Ratio |"
echo "|---|---:|---:|---:|---:|---|---:|"
for alg in RS256 ES256 EdDSA; do
    read -r before after <<<"${raw_rows[$alg]}"
    raw="$(awk -v a="$before" -v b="$after" 'BEGIN { printf "%.0f", (a + b) / 2 }')"
    printf '| Raw %s signing, all cores, around the median round (%.0f before, %.0f after) | %s | | | | | |\n' \
        "$alg" "$before" "$after" "$raw"
    rounds="${rows[rounds_$alg]}"
    row "Janua client_credentials, $alg client (median round; rounds: ${rounds// / %, } %)" \
        "${rows[janua_$alg]}" "raw $alg signing" "$(pct "$(rps "${rows[janua_$alg]}")" "$raw")"
    if [[ -n "${rows[op_$alg]:-}" ]]; then
        row "oidc-provider $op_version client_credentials, $alg" "${rows[op_$alg]}" "Janua $alg" \
            "Janua $(times "$(rps "${rows[janua_$alg]}")" "$(rps "${rows[op_$alg]}")")"
    fi
done
row "Janua introspection (RS256 JWT)" "${rows[janua_introspect]}" "target 20,000" ""
if [[ -n "${rows[op_introspect]:-}" ]]; then
    row "oidc-provider $op_version introspection (opaque)" "${rows[op_introspect]}" "Janua introspection" \
        "Janua $(times "$(rps "${rows[janua_introspect]}")" "$(rps "${rows[op_introspect]}")")"
fi
row "Janua GET /.well-known/openid-configuration" "${rows[janua_discovery]}" "target 50,000" ""
row "Janua GET /.well-known/jwks.json" "${rows[janua_jwks]}" "target 50,000" ""
row "Janua GET /health (request-path floor, same window)" "${rows[janua_health]}" "" ""
