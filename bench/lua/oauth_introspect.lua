-- POSTs RFC 7662 introspection requests for one token, with HTTP Basic client authentication.
-- Env: BENCH_BASIC, BENCH_TOKEN (the token), BENCH_INTROSPECT_PATH (/api/v1/oauth/introspect).
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Authorization"] = "Basic " .. os.getenv("BENCH_BASIC")
wrk.path = os.getenv("BENCH_INTROSPECT_PATH") or "/api/v1/oauth/introspect"
wrk.body = "token=" .. os.getenv("BENCH_TOKEN")
