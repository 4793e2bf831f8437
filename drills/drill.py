#!/usr/bin/env python3
"""HTTP helpers for the drills in drills/ (Python 3 standard library only).

Subcommands (BASE is a URL such as http://127.0.0.1:8000; every command is bounded in time):

  call METHOD URL [--json BODY] [--bearer TOKEN] [--xff IP]
      one request; prints "STATUS<TAB>BODY" (STATUS 000 when no answer came back)
  users BASE PREFIX COUNT OUT [--password P] [--xff IP]
      sign up COUNT users PREFIX-<n>@drill.example; writes one JSON object per line to OUT:
      {"email","status","access_token","refresh_token"}; exit 1 unless all answered 200
  signin-all BASE EMAILS_FILE [--password P] [--xff IP] [--out OUT]
      sign in every email (one per line, or JSON lines with "email"); prints
      "ok=N failed=M" and, on failure, the first failing emails; exit 1 on any failure
  me BASE TOKENS_FILE
      GET /api/v1/auth/me with each access_token of a `users` file; prints "ok=N failed=M"
  load BASE USERS_FILE --stop-file F --out OUT [--max-seconds S] [--workers N]
      rolling-restart load: one worker per user (its own refresh-token chain, its own
      keep-alive connection); loops sign-in (every 25th round), refresh and /me until F exists;
      every non-2xx answer and every connection error is a failure; writes a JSON summary
  storm BASE PREFIX --out OUT --progress P [--clients N] [--max-seconds S]
      sign-up storm: N clients sign up unique emails until the server stops answering (or the
      time bound); records each email as ok (2xx), rejected (other status) or unanswered
      (connection error: the request may or may not have reached the server)
"""

import argparse
import http.client
import json
import os
import sys
import threading
import time
import urllib.parse

PASSWORD = "Drill-Passw0rd!2024"
TIMEOUT = 10.0


class Client:
    """One keep-alive HTTP/1.1 connection; reconnects after errors or `Connection: close`."""

    def __init__(self, base, xff=None, timeout=TIMEOUT, keepalive=True):
        u = urllib.parse.urlsplit(base)
        self.keepalive = keepalive
        self.host, self.port = u.hostname, u.port or 80
        self.xff = xff
        self.timeout = timeout
        self.conn = None

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def request(self, method, path, body=None, bearer=None):
        """Returns (status, parsed JSON or text). Raises OSError/HTTPException on no answer."""
        if self.conn is None:
            self.conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        headers = {"Accept": "application/json"}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        if bearer:
            headers["Authorization"] = "Bearer " + bearer
        if self.xff:
            headers["X-Forwarded-For"] = self.xff
        if not self.keepalive:
            headers["Connection"] = "close"
        try:
            self.conn.request(method, path, body=data, headers=headers)
            resp = self.conn.getresponse()
            raw = resp.read()
        except Exception:
            self.close()
            raise
        if resp.will_close:
            self.close()
        try:
            parsed = json.loads(raw) if raw else None
        except ValueError:
            parsed = raw.decode(errors="replace")
        return resp.status, parsed


def signup(client, email, password):
    return client.request("POST", "/api/v1/auth/signup", {"email": email, "password": password})


def signin(client, email, password):
    return client.request("POST", "/api/v1/auth/signin", {"email": email, "password": password})


def tokens_of(body):
    if isinstance(body, dict) and isinstance(body.get("tokens"), dict):
        return body["tokens"].get("access_token"), body["tokens"].get("refresh_token")
    if isinstance(body, dict) and "access_token" in body:
        return body.get("access_token"), body.get("refresh_token")
    return None, None


def read_emails(path):
    emails = []
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            if line.startswith("{"):
                emails.append(json.loads(line)["email"])
            else:
                emails.append(line)
    return emails


def cmd_call(a):
    u = urllib.parse.urlsplit(a.url)
    c = Client(f"{u.scheme}://{u.netloc}", xff=a.xff, timeout=a.timeout)
    path = u.path + (("?" + u.query) if u.query else "")
    try:
        status, body = c.request(a.method, path, json.loads(a.json) if a.json else None, a.bearer)
    except Exception as e:  # no answer
        print(f"000\t{type(e).__name__}: {e}")
        return 0
    print(f"{status}\t{json.dumps(body) if not isinstance(body, str) else body}")
    return 0


def cmd_users(a):
    c = Client(a.base, xff=a.xff)
    ok = 0
    with open(a.out, "w") as out:
        for n in range(a.count):
            email = f"{a.prefix}-{n}@drill.example"
            try:
                status, body = signup(c, email, a.password)
            except Exception as e:
                status, body = 0, str(e)
            access, refresh = tokens_of(body) if status == 200 else (None, None)
            out.write(json.dumps({"email": email, "status": status, "access_token": access,
                                  "refresh_token": refresh}) + "\n")
            if status == 200:
                ok += 1
            else:
                print(f"sign-up {email}: {status} {body}", file=sys.stderr)
    print(f"ok={ok} failed={a.count - ok}")
    return 0 if ok == a.count else 1


def cmd_signin_all(a):
    c = Client(a.base, xff=a.xff)
    emails = read_emails(a.emails)
    bad = []
    results = []
    for email in emails:
        try:
            status, body = signin(c, email, a.password)
        except Exception as e:
            status, body = 0, f"{type(e).__name__}: {e}"
        access, refresh = tokens_of(body) if status == 200 else (None, None)
        results.append({"email": email, "status": status, "access_token": access,
                        "refresh_token": refresh})
        if status != 200:
            bad.append((email, status, body))
    if a.out:
        with open(a.out, "w") as out:
            for r in results:
                out.write(json.dumps(r) + "\n")
    print(f"ok={len(emails) - len(bad)} failed={len(bad)}")
    for email, status, body in bad[:5]:
        print(f"  {email}: {status} {str(body)[:200]}", file=sys.stderr)
    return 0 if not bad else 1


def cmd_me(a):
    c = Client(a.base)
    ok = bad = 0
    with open(a.tokens) as f:
        for line in f:
            if not line.strip():
                continue
            r = json.loads(line)
            try:
                status, body = c.request("GET", "/api/v1/auth/me", bearer=r["access_token"])
            except Exception as e:
                status, body = 0, str(e)
            if status == 200 and isinstance(body, dict) and body.get("email") == r["email"]:
                ok += 1
            else:
                bad += 1
                print(f"  /me for {r['email']}: {status} {str(body)[:200]}", file=sys.stderr)
    print(f"ok={ok} failed={bad}")
    return 0 if bad == 0 else 1


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.sent = {}
        self.ok = {}
        self.failures = []  # (time, op, status or error)
        self.status_counts = {}

    def record(self, op, status, detail=None):
        with self.lock:
            self.sent[op] = self.sent.get(op, 0) + 1
            key = f"{op}:{status}"
            self.status_counts[key] = self.status_counts.get(key, 0) + 1
            if status == 200:
                self.ok[op] = self.ok.get(op, 0) + 1
            else:
                self.failures.append((round(time.time(), 3), op, status, str(detail)[:200]))


def cmd_load(a):
    with open(a.users) as f:
        users = [json.loads(line) for line in f if line.strip()]
    users = users[: a.workers] if a.workers else users
    stats = Stats()
    deadline = time.monotonic() + a.max_seconds
    stop = threading.Event()
    started = time.time()

    def worker(user):
        c = Client(a.base, keepalive=a.keepalive)
        access = refresh = None
        rounds = 0

        def do(op, method, path, body=None, bearer=None):
            try:
                status, resp = c.request(method, path, body, bearer)
            except Exception as e:  # a connection error is a failure too
                stats.record(op, "conn-error", f"{type(e).__name__}: {e}")
                return None, None
            stats.record(op, status, None if status == 200 else resp)
            return status, resp

        while not stop.is_set():
            if access is None or rounds % 25 == 0:
                status, resp = do("signin", "POST", "/api/v1/auth/signin",
                                  {"email": user["email"], "password": a.password})
                if status == 200:
                    access, refresh = tokens_of(resp)
                else:
                    access = refresh = None
                    time.sleep(0.05)
                    rounds += 1
                    continue
            do("me", "GET", "/api/v1/auth/me", bearer=access)
            status, resp = do("refresh", "POST", "/api/v1/auth/refresh", {"refresh_token": refresh})
            if status == 200:
                access, refresh = tokens_of(resp)
            else:
                # The chain's state is unknown (the server may have rotated it): start a new
                # one with a sign-in rather than risk presenting a used refresh token.
                access = refresh = None
            if access is not None:
                do("me", "GET", "/api/v1/auth/me", bearer=access)
            rounds += 1
        c.close()

    threads = [threading.Thread(target=worker, args=(u,), daemon=True) for u in users]
    for t in threads:
        t.start()
    timed_out = False
    while True:
        if os.path.exists(a.stop_file):
            break
        if time.monotonic() >= deadline:
            timed_out = True
            break
        time.sleep(0.05)
    stop.set()
    for t in threads:
        t.join(timeout=TIMEOUT + 5)
    elapsed = time.time() - started
    sent = sum(stats.sent.values())
    summary = {
        "workers": len(users),
        "seconds": round(elapsed, 2),
        "sent": sent,
        "sent_by_op": stats.sent,
        "ok_by_op": stats.ok,
        "status_counts": stats.status_counts,
        "failures": len(stats.failures),
        "failure_samples": stats.failures[:20],
        "rps": round(sent / elapsed, 1) if elapsed else 0,
        "timed_out": timed_out,
        "started": started,
    }
    with open(a.out, "w") as f:
        json.dump(summary, f, indent=1)
    return 0


def write_upstream(path, servers, ready, server_args):
    lines = []
    for srv in servers:
        state = "" if ready[srv] else " down"
        lines.append(f"server {srv} {server_args}{state};")
    with open(path + ".tmp", "w") as f:
        f.write("\n".join(lines) + "\n")
    os.replace(path + ".tmp", path)


def probe_ready(server, timeout):
    host, port = server.rsplit(":", 1)
    try:
        conn = http.client.HTTPConnection(host, int(port), timeout=timeout)
        conn.request("GET", "/ready", headers={"Connection": "close"})
        status = conn.getresponse().status
        conn.close()
        return status == 200
    except Exception:
        return False


def cmd_lb_watch(a):
    """Active health checks for nginx OSS (which only has passive ones): poll every server's
    /ready; when one changes, mark it `down` (or not) in the upstream include file and reload
    nginx (SIGHUP), as a Kubernetes endpoints controller or consul-template would."""
    import signal
    ready = {srv: probe_ready(srv, 1.0) for srv in a.server}
    write_upstream(a.upstream_file, a.server, ready, a.server_args)
    deadline = time.monotonic() + a.max_seconds
    with open(a.events, "a", buffering=1) as events:
        events.write(f"{time.time():.3f} initial {json.dumps(ready)}\n")
        while not os.path.exists(a.stop_file) and time.monotonic() < deadline:
            time.sleep(a.interval)
            now = {srv: probe_ready(srv, 0.5) for srv in a.server}
            if now == ready:
                continue
            ready = now
            write_upstream(a.upstream_file, a.server, ready, a.server_args)
            try:
                with open(a.nginx_pid_file) as f:
                    os.kill(int(f.read().strip()), signal.SIGHUP)
                result = "reloaded"
            except Exception as e:
                result = f"reload failed: {e}"
            events.write(f"{time.time():.3f} {result} {json.dumps(ready)}\n")
    return 0


def cmd_storm(a):
    lock = threading.Lock()
    records = []  # (email, outcome, status)
    answered = [0]
    stop = threading.Event()
    deadline = time.monotonic() + a.max_seconds

    def client(idx):
        c = Client(a.base, timeout=a.timeout)
        n = 0
        while not stop.is_set() and time.monotonic() < deadline:
            email = f"{a.prefix}-{idx}-{n}@drill.example"
            n += 1
            try:
                status, body = signup(c, email, a.password)
            except Exception as e:
                with lock:
                    records.append((email, "unanswered", f"{type(e).__name__}"))
                # The server is gone (or restarting): this client stops here.
                return
            with lock:
                records.append((email, "ok" if 200 <= status < 300 else "rejected", status))
                if 200 <= status < 300:
                    answered[0] += 1
                    with open(a.progress + ".tmp", "w") as p:
                        p.write(str(answered[0]))
                    os.replace(a.progress + ".tmp", a.progress)

    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(a.clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=max(0.0, deadline - time.monotonic()) + a.timeout + 5)
    stop.set()
    with open(a.out, "w") as f:
        for email, outcome, status in records:
            f.write(json.dumps({"email": email, "outcome": outcome, "status": status}) + "\n")
    counts = {}
    for _, outcome, _ in records:
        counts[outcome] = counts.get(outcome, 0) + 1
    print(" ".join(f"{k}={v}" for k, v in sorted(counts.items())) or "none")
    return 0


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)

    s = sub.add_parser("call")
    s.add_argument("method")
    s.add_argument("url")
    s.add_argument("--json")
    s.add_argument("--bearer")
    s.add_argument("--xff")
    s.add_argument("--timeout", type=float, default=TIMEOUT)
    s.set_defaults(fn=cmd_call)

    s = sub.add_parser("users")
    s.add_argument("base")
    s.add_argument("prefix")
    s.add_argument("count", type=int)
    s.add_argument("out")
    s.add_argument("--password", default=PASSWORD)
    s.add_argument("--xff")
    s.set_defaults(fn=cmd_users)

    s = sub.add_parser("signin-all")
    s.add_argument("base")
    s.add_argument("emails")
    s.add_argument("--password", default=PASSWORD)
    s.add_argument("--xff")
    s.add_argument("--out")
    s.set_defaults(fn=cmd_signin_all)

    s = sub.add_parser("me")
    s.add_argument("base")
    s.add_argument("tokens")
    s.set_defaults(fn=cmd_me)

    s = sub.add_parser("load")
    s.add_argument("base")
    s.add_argument("users")
    s.add_argument("--stop-file", required=True)
    s.add_argument("--out", required=True)
    s.add_argument("--max-seconds", type=float, default=120)
    s.add_argument("--workers", type=int, default=0)
    s.add_argument("--password", default=PASSWORD)
    s.add_argument("--keepalive", action="store_true",
                   help="reuse one connection per worker (default: a new connection per request)")
    s.set_defaults(fn=cmd_load)

    s = sub.add_parser("lb-watch")
    s.add_argument("upstream_file")
    s.add_argument("nginx_pid_file")
    s.add_argument("--events", required=True)
    s.add_argument("--stop-file", required=True)
    s.add_argument("--server", action="append", default=[], help="host:port (repeat)")
    s.add_argument("--server-args", default="max_fails=1 fail_timeout=2s")
    s.add_argument("--interval", type=float, default=0.1)
    s.add_argument("--max-seconds", type=float, default=300)
    s.set_defaults(fn=cmd_lb_watch)

    s = sub.add_parser("storm")
    s.add_argument("base")
    s.add_argument("prefix")
    s.add_argument("--out", required=True)
    s.add_argument("--progress", required=True)
    s.add_argument("--clients", type=int, default=8)
    s.add_argument("--max-seconds", type=float, default=20)
    s.add_argument("--timeout", type=float, default=TIMEOUT)
    s.add_argument("--password", default=PASSWORD)
    s.set_defaults(fn=cmd_storm)

    a = p.parse_args()
    return a.fn(a)


if __name__ == "__main__":
    sys.exit(main())
