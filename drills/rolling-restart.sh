#!/usr/bin/env bash
# Drill: zero-downtime rolling restart. Three janua instances on one PostgreSQL and one Redis
# (same SECRET_KEY, DATABASE_URL, REDIS_URL and key prefix) behind nginx; constant load of
# sign-in, refresh and /me through nginx; the instances are restarted one at a time with SIGTERM
# while the load runs. Passes when no request fails (every answer 200, no connection error),
# every instance exits 0 and is ready again, and every restarted instance serves traffic again.
#
# Usage: drills/rolling-restart.sh      (build first: cargo build --release --bin janua)
#
# nginx (Debian package, installed when missing) runs from a configuration in the temporary
# directory: an upstream with the three instances, passive health checks (max_fails=1,
# fail_timeout=RR_FAIL_TIMEOUT) and `proxy_next_upstream error timeout http_503`, so a connection
# refused by a stopped instance is retried on another one and the instance is skipped for a while.
#
# Passive checks alone are not enough for zero failures: nginx keeps sending new connections to
# a draining instance (its API answers stay 200; only /ready says 503) until its listener closes,
# and a connection the kernel had already queued at that moment is reset. nginx retries a reset
# GET, but never a POST whose request was sent (sign-in, refresh are not idempotent), so the
# client gets a 502 (measured: 1 in 15 restarts; RR_LB=passive reproduces it). Therefore the
# default RR_LB=ready adds what a real load balancer has (Kubernetes endpoints, ALB target
# health): active health checks on /ready. nginx OSS has none, so `drill.py lb-watch` polls every
# instance's /ready every 100 ms and marks a not-ready instance `down` in the upstream (include
# file + nginx reload), and back when ready. SHUTDOWN_DRAIN_SECONDS (RR_DRAIN, 3 s) is far
# longer than that detection (≈ 0.1 s + reload).
#
# Load: drills/drill.py load: RR_WORKERS workers (6), one user each, so every refresh-token chain
# is sequential (a reused refresh token revokes the session by design); a new connection per
# request (RR_KEEPALIVE=1: one keep-alive connection per worker; a reload closes idle
# keep-alive connections, which a client sees as a reset it must retry). Rate limits are off
# (RATE_LIMIT_ENABLED=false) and passwords are right, so neither rate limits nor lockouts trip.
#
# Settings (environment): JANUA_BIN, RR_LB (ready|passive), RR_WORKERS (6), RR_KEEPALIVE (0),
#   RR_DRAIN (3), RR_FAIL_TIMEOUT (2), RR_WARMUP (3 s of load before the first restart),
#   RR_SETTLE (3 s of load after each restart), RR_SHUTDOWN_TIMEOUT (10), RR_READY_TIMEOUT (30),
#   DRILL_KEEP_TMP.
set -euo pipefail

# shellcheck source=drills/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

LB_MODE="${RR_LB:-ready}"
KEEPALIVE="${RR_KEEPALIVE:-0}"
WORKERS="${RR_WORKERS:-6}"
DRAIN="${RR_DRAIN:-3}"
FAIL_TIMEOUT="${RR_FAIL_TIMEOUT:-2}"
WARMUP="${RR_WARMUP:-3}"
SETTLE="${RR_SETTLE:-3}"
SHUTDOWN_TIMEOUT="${RR_SHUTDOWN_TIMEOUT:-10}"
READY_TIMEOUT="${RR_READY_TIMEOUT:-30}"
for n in WORKERS DRAIN FAIL_TIMEOUT WARMUP SETTLE SHUTDOWN_TIMEOUT READY_TIMEOUT; do
    [[ "${!n}" =~ ^[0-9]+$ ]] || drill_die "$n must be a whole number"
done
case "$LB_MODE" in ready | passive) ;; *) drill_die "RR_LB must be ready or passive" ;; esac

drill_init rolling-restart
drill_require nginx nginx
NGINX="$(command -v nginx || echo /usr/sbin/nginx)"
drill_services_start

db_url="$(drill_createdb janua_rolling)"
DRILL_BASE_ENV=(
    DATABASE_URL="$db_url"
    REDIS_URL="$TEST_REDIS_URL"
    REDIS_KEY_PREFIX="drill-rr-$$:"
    SECRET_KEY="$(drill_secret)"
    SHUTDOWN_DRAIN_SECONDS="$DRAIN"
    SHUTDOWN_TIMEOUT_SECONDS="$SHUTDOWN_TIMEOUT"
    RATE_LIMIT_ENABLED=false
    MAX_SESSIONS_PER_IDENTITY=1000
    ENVIRONMENT=development
)
drill_run_janua -- migrate >"$DRILL_TMP/migrate.log" 2>&1 ||
    { cat "$DRILL_TMP/migrate.log" >&2; drill_die "janua migrate failed"; }

names=(a b c)
declare -A port=()
for name in "${names[@]}"; do
    port[$name]="$(drill_free_port)"
    drill_instance_start "$name" "${port[$name]}"
done
for name in "${names[@]}"; do
    drill_wait_status "http://127.0.0.1:${port[$name]}/ready" 200 "$READY_TIMEOUT" "$name" >/dev/null ||
        drill_die "instance $name never became ready"
done
drill_log "instances ready on ports ${port[a]}, ${port[b]}, ${port[c]}"

# nginx in the foreground of its own process (daemon off), everything under $DRILL_TMP/nginx.
ngx="$DRILL_TMP/nginx"
mkdir -p "$ngx/tmp"
chmod 1777 "$ngx/tmp" # nginx workers run as an unprivileged user when started as root
lb_port="$(drill_free_port)"
user_line=""
[[ $EUID -ne 0 ]] || user_line="user nobody nogroup;"
cat >"$ngx/nginx.conf" <<EOF
$user_line
daemon off;
worker_processes 1;
pid $ngx/nginx.pid;
error_log $ngx/error.log warn;
events { worker_connections 1024; }
http {
    log_format drill '\$msec \$status \$request_method \$uri upstream=\$upstream_addr upstream_status=\$upstream_status';
    access_log $ngx/access.log drill;
    client_body_temp_path $ngx/tmp/body;
    proxy_temp_path $ngx/tmp/proxy;
    fastcgi_temp_path $ngx/tmp/fastcgi;
    uwsgi_temp_path $ngx/tmp/uwsgi;
    scgi_temp_path $ngx/tmp/scgi;
    keepalive_requests 1000000;
    upstream janua {
        include $ngx/upstream.conf;
    }
    server {
        listen 127.0.0.1:$lb_port;
        location / {
            proxy_pass http://janua;
            proxy_next_upstream error timeout http_503;
            proxy_next_upstream_tries 3;
            proxy_next_upstream_timeout 10s;
            proxy_connect_timeout 1s;
            proxy_read_timeout 30s;
            proxy_set_header Host \$host;
            proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
        }
    }
}
EOF
server_args="max_fails=1 fail_timeout=${FAIL_TIMEOUT}s"
stop_file="$DRILL_TMP/load.stop"
if [[ $LB_MODE == ready ]]; then
    watch_args=()
    for name in "${names[@]}"; do watch_args+=(--server "127.0.0.1:${port[$name]}"); done
    "$DRILL_PY" "$DRILL_HELPER" lb-watch "$ngx/upstream.conf" "$ngx/nginx.pid" --events "$ngx/watch.log" \
        --stop-file "$stop_file" --server-args "$server_args" --max-seconds 600 "${watch_args[@]}" \
        >"$ngx/watch.out" 2>&1 &
    DRILL_PIDS[watch]=$!
    deadline=$(($(drill_now_ms) + 10000))
    until [[ -s "$ngx/upstream.conf" ]] || (($(drill_now_ms) > deadline)); do sleep 0.05; done
    [[ -s "$ngx/upstream.conf" ]] || drill_die "lb-watch wrote no upstream"
else
    for name in "${names[@]}"; do
        printf 'server 127.0.0.1:%s %s;\n' "${port[$name]}" "$server_args"
    done >"$ngx/upstream.conf"
fi
"$NGINX" -t -q -p "$ngx" -c "$ngx/nginx.conf" 2>"$ngx/test.log" ||
    { cat "$ngx/test.log" >&2; drill_die "nginx -t rejected the configuration"; }
"$NGINX" -p "$ngx" -c "$ngx/nginx.conf" </dev/null >"$ngx/stdout.log" 2>&1 &
DRILL_PIDS[nginx]=$!
lb="http://127.0.0.1:$lb_port"
drill_wait_status "$lb/ready" 200 15 nginx >/dev/null || drill_die "nginx did not come up on $lb"
drill_log "nginx on $lb"

# One user per load worker, created through nginx.
users="$DRILL_TMP/users.jsonl"
drill_py users "$lb" "rr-$$" "$WORKERS" "$users" >/dev/null || drill_die "could not create the load users"

load_out="$DRILL_TMP/load.json"
max_load=$((WARMUP + 3 * (DRAIN + SHUTDOWN_TIMEOUT + READY_TIMEOUT + SETTLE) + 30))
load_args=()
[[ $KEEPALIVE == 1 ]] && load_args+=(--keepalive)
"$DRILL_PY" "$DRILL_HELPER" load "$lb" "$users" "${load_args[@]}" --stop-file "$stop_file" --out "$load_out" --max-seconds "$max_load" \
    >"$DRILL_TMP/load.log" 2>&1 &
load_pid=$!
DRILL_PIDS[load]=$load_pid
sleep "$WARMUP"
kill -0 "$load_pid" 2>/dev/null || { cat "$DRILL_TMP/load.log" >&2; drill_die "the load generator ended early"; }

declare -A exit_code=() stop_ms=() ready_ms=() restarted_at=()
restart_failed=0
for name in "${names[@]}"; do
    drill_log "SIGTERM $name (drain ${DRAIN}s)"
    drill_instance_stop "$name" TERM $((DRAIN + SHUTDOWN_TIMEOUT + 10))
    exit_code[$name]="$DRILL_EXIT"
    stop_ms[$name]="$DRILL_STOP_MS"
    drill_log "$name exited $DRILL_EXIT after ${DRILL_STOP_MS} ms; starting it again"
    t0="$(drill_now_ms)"
    restarted_at[$name]="$t0"
    drill_instance_start "$name" "${port[$name]}"
    if waited="$(drill_wait_status "http://127.0.0.1:${port[$name]}/ready" 200 "$READY_TIMEOUT" "$name")"; then
        ready_ms[$name]=$(($(drill_now_ms) - t0))
        drill_log "$name ready again after ${ready_ms[$name]} ms (polled ${waited} ms)"
    else
        ready_ms[$name]="never"
        restart_failed=1
    fi
    sleep "$SETTLE"
done

touch "$stop_file"
load_status=0
wait "$load_pid" || load_status=$?
DRILL_PIDS[load]=""
[[ -s "$load_out" ]] || { cat "$DRILL_TMP/load.log" >&2; drill_die "the load generator wrote no summary"; }

reloads=0
if [[ $LB_MODE == ready ]]; then
    wait "${DRILL_PIDS[watch]}" 2>/dev/null || true
    DRILL_PIDS[watch]=""
    reloads="$(grep -c ' reloaded ' "$ngx/watch.log" || true)"
fi

# nginx's view: requests per upstream after each restart, and requests nginx retried.
kill -QUIT "${DRILL_PIDS[nginx]}" 2>/dev/null || true
wait "${DRILL_PIDS[nginx]}" 2>/dev/null || true
DRILL_PIDS[nginx]=""
nginx_stats="$("$DRILL_PY" - "$ngx/access.log" "${port[a]}" "${restarted_at[a]:-0}" "${port[b]}" \
    "${restarted_at[b]:-0}" "${port[c]}" "${restarted_at[c]:-0}" <<'EOF'
import sys
log, *pairs = sys.argv[1:]
after = {pairs[i]: int(pairs[i + 1]) / 1000 for i in range(0, len(pairs), 2)}
served_after = {p: 0 for p in after}
total = retried = non200 = 0
for line in open(log):
    parts = line.split()
    if len(parts) < 6:
        continue
    t, status = float(parts[0]), parts[1]
    upstream = parts[4][len("upstream="):]
    total += 1
    if status != "200":
        non200 += 1
    if "," in upstream:
        retried += 1
    last = upstream.split(",")[-1].strip().rsplit(":", 1)[-1]
    if last in after and after[last] and t > after[last]:
        served_after[last] += 1
print(total, retried, non200, *[served_after[p] for p in after])
EOF
)"
read -r ngx_total ngx_retried ngx_non200 served_a served_b served_c <<<"$nginx_stats"
declare -A served_after=([a]="$served_a" [b]="$served_b" [c]="$served_c")

read -r sent failures rps seconds by_op timed_out samples < <("$DRILL_PY" - "$load_out" <<'EOF'
import json, sys
s = json.load(open(sys.argv[1]))
ops = ",".join(f"{k}={v}" for k, v in sorted(s["sent_by_op"].items()))
samples = ";".join(f"{op}:{st}" for _, op, st, _ in s["failure_samples"][:5]) or "-"
print(s["sent"], s["failures"], s["rps"], s["seconds"], ops, s["timed_out"], samples)
EOF
)

drill_check "load ran through all restarts" "LB mode $LB_MODE ($reloads nginx reloads by lb-watch), ${seconds}s, $WORKERS workers, keep-alive $KEEPALIVE, exit $load_status, stopped by bound: $timed_out" \
    "$(drill_bool [ "$load_status" = 0 -a "$timed_out" = False ])"
drill_check "requests sent through nginx" "$sent ($by_op), $rps req/s" "$(drill_bool [ "$sent" -gt 100 ])"
drill_check "failed requests (non-2xx or connection error)" "$failures${samples:+ (first: $samples)}" \
    "$(drill_bool [ "$failures" = 0 ])"
drill_check "nginx: answers other than 200" "$ngx_non200 of $ngx_total; $ngx_retried retried on another instance" \
    "$(drill_bool [ "$ngx_non200" = 0 ])"
for name in "${names[@]}"; do
    drill_check "instance $name: SIGTERM → exit 0" "exit ${exit_code[$name]} after ${stop_ms[$name]} ms (drain ${DRAIN}s)" \
        "$(drill_bool [ "${exit_code[$name]}" = 0 ])"
    drill_check "instance $name: restart → /ready 200" "${ready_ms[$name]} ms" \
        "$(drill_bool [ "${ready_ms[$name]}" != never ])"
    drill_check "instance $name: serves again after restart" "${served_after[$name]} requests via nginx" \
        "$(drill_bool [ "${served_after[$name]:-0}" -gt 0 ])"
done
if ((restart_failed)); then drill_log "at least one instance did not come back"; fi
if [[ "$failures" != 0 ]]; then
    drill_log "failure samples:"
    "$DRILL_PY" -c 'import json,sys; [print(" ", f) for f in json.load(open(sys.argv[1]))["failure_samples"]]' "$load_out" >&2
    tail -n 20 "$ngx/error.log" >&2 || true
fi
drill_finish
