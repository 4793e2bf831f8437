"""Check the Grafana dashboard and the Prometheus rules against what Janua really exports.

1. Start a copy of the janua binary on a free loopback port with a throwaway SQLite database,
   send a few requests (including enough to trip the global rate limit) and scrape /metrics.
2. Collect every PromQL expression: recording and alerting rules in janua_rules.yml and every
   dashboard target (Grafana variables replaced by neutral values).
3. Each expression must parse (promql-parser, and `promtool check rules` on a temporary rules
   file, i.e. Prometheus' own parser), and every metric it names must be exported by the live
   server, or be one of the allowed names below.

usage: metrics_check.py JANUA_BIN RULES_FILE DASHBOARD_JSON
"""
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

import promql_parser
import yaml

# Series that the server declares but records only once the capability runs (API.md section 2,
# docs/capabilities/operations.md "appear once the corresponding capability has recorded an
# event"), so a fresh server cannot show them yet. Remove a name from here once it appears in
# a fresh scrape, so that this list only ever holds the not-yet-recorded ones.
DECLARED_NOT_YET_RECORDED = {
    "janua_auth_attempts_total",
    "janua_tokens_issued_total",
    "janua_mfa_verifications_total",
    "janua_webhook_deliveries_total",
    "janua_password_hash_seconds",  # histogram: _bucket/_sum/_count
    "janua_jobs_pending",
    "janua_mail_sent_total",
}
# janua_rate_limited_total is also recorded only on the first 429: the scrape provokes one, so
# it must be in the live scrape and is not allowed here.
# Series Prometheus itself adds to every target.
PROMETHEUS_SYNTHETIC = {"up", "scrape_duration_seconds", "scrape_samples_scraped"}
HISTOGRAM_SUFFIXES = ("_bucket", "_sum", "_count")
GRAFANA_VARS = [
    (re.compile(r"\$__rate_interval|\$__interval|\$\{__rate_interval\}"), "5m"),
    (re.compile(r"\$\{?[A-Za-z_][A-Za-z0-9_]*(:[a-z]+)?\}?"), ".*"),
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode()


def scrape(janua_bin: str) -> set[str]:
    tmp = tempfile.mkdtemp(prefix="janua-metrics-")
    port = free_port()
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "DATABASE_URL": f"sqlite://{tmp}/j.db",
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "LOG_LEVEL": "warn",
        "ENVIRONMENT": "development",
        "SHUTDOWN_DRAIN_SECONDS": "0",
        "SHUTDOWN_TIMEOUT_SECONDS": "2",
        # Low enough that the requests below trip it and record janua_rate_limited_total.
        "RATE_LIMIT_GLOBAL": "3/minute",
    }
    log = open(os.path.join(tmp, "server.log"), "w")
    proc = subprocess.Popen([janua_bin, "serve"], env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 60
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"janua exited early ({proc.returncode}); log in {tmp}/server.log")
            try:
                if get(base + "/health")[0] == 200:
                    break
            except OSError:
                pass
            if time.time() > deadline:
                raise RuntimeError("janua did not answer /health within 60 s")
            time.sleep(0.2)
        statuses = [get(base + path)[0] for path in ["/ready", "/", "/api/v1/health", "/no-such-route", "/", "/", "/"]]
        status, body = get(base + "/metrics")
        if status != 200:
            raise RuntimeError(f"/metrics answered {status}")
        print(f"     scraped {base}/metrics after requests answered {statuses}")
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
    names = set()
    for line in body.splitlines():
        if line.startswith("# TYPE ") or line.startswith("# HELP "):
            names.add(line.split()[2])
        elif line and not line.startswith("#"):
            names.add(re.split(r"[{ ]", line, maxsplit=1)[0])
    return names


def expressions(rules_file: str, dashboard_file: str) -> list[tuple[str, str]]:
    found = []
    for group in yaml.safe_load(open(rules_file))["groups"]:
        for rule in group["rules"]:
            found.append((f"rule {rule.get('record') or rule.get('alert')}", rule["expr"]))
    dashboard = json.load(open(dashboard_file))
    panels = list(dashboard.get("panels", []))
    for panel in panels:
        panels.extend(panel.get("panels", []))  # rows
        for target in panel.get("targets", []):
            expr = target.get("expr", "")
            for pattern, replacement in GRAFANA_VARS:
                expr = pattern.sub(replacement, expr)
            found.append((f"panel '{panel.get('title')}' {target.get('refId')}", expr))
    for var in dashboard.get("templating", {}).get("list", []):
        query = var.get("query")
        query = query.get("query") if isinstance(query, dict) else query
        match = re.fullmatch(r"label_values\((.+),\s*\w+\)", query or "")
        if match:
            found.append((f"variable ${var['name']}", match.group(1)))
    return found


def metric_names(expr) -> set[str]:
    names = set()

    def visit(node):
        if isinstance(node, promql_parser.VectorSelector):
            if node.name:
                names.add(node.name)
            for matcher in getattr(node.matchers, "matchers", []) or []:
                if matcher.name == "__name__":
                    names.add(matcher.value)
        return True

    promql_parser.walk(expr, visit)
    return names


def promtool_parses(exprs: list[tuple[str, str]]) -> list[str]:
    rules = {"groups": [{"name": "expression-check", "rules": [{"record": f"check:expr_{i}", "expr": e} for i, (_, e) in enumerate(exprs)]}]}
    with tempfile.NamedTemporaryFile("w", suffix=".yml", delete=False) as f:
        yaml.safe_dump(rules, f)
    result = subprocess.run(["promtool", "check", "rules", f.name], capture_output=True, text=True)
    os.unlink(f.name)
    return [] if result.returncode == 0 else [result.stdout + result.stderr]


def main() -> int:
    janua_bin, rules_file, dashboard_file = sys.argv[1:4]
    exported = scrape(janua_bin)
    base_exported = {n[: -len(s)] for n in exported for s in HISTOGRAM_SUFFIXES if n.endswith(s)} | exported
    print(f"     live /metrics exports {len(exported)} series names: {', '.join(sorted(exported))}")
    recorded_names = set()
    for group in yaml.safe_load(open(rules_file))["groups"]:
        recorded_names |= {r["record"] for r in group["rules"] if "record" in r}

    stale = sorted(n for n in DECLARED_NOT_YET_RECORDED if n in base_exported)
    if stale:
        print(f"note now exported by a fresh server, drop from DECLARED_NOT_YET_RECORDED: {', '.join(stale)}")

    failures = []
    exprs = expressions(rules_file, dashboard_file)
    for where, expr in exprs:
        try:
            parsed = promql_parser.parse(expr)
        except Exception as err:  # noqa: BLE001
            failures.append(f"{where}: does not parse: {err}")
            continue
        for name in sorted(metric_names(parsed)):
            base = name
            for suffix in HISTOGRAM_SUFFIXES:
                if name.endswith(suffix) and name[: -len(suffix)] in base_exported | DECLARED_NOT_YET_RECORDED:
                    base = name[: -len(suffix)]
            if name in exported or base in base_exported or name in recorded_names or name in PROMETHEUS_SYNTHETIC:
                continue
            if base in DECLARED_NOT_YET_RECORDED:
                continue
            failures.append(f"{where}: metric {name} is not exported by janua")
    failures += promtool_parses(exprs)
    for failure in failures:
        print(f"FAIL {failure}")
    print(f"{'ok  ' if not failures else 'FAIL'} {len(exprs)} PromQL expressions (rules + dashboard) parse and name exported metrics")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
