-- POSTs client_credentials token requests with HTTP Basic client authentication.
-- Env: BENCH_BASIC (base64 of client_id:client_secret), BENCH_TOKEN_PATH (/api/v1/oauth/token),
-- BENCH_SCOPE (api).
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Authorization"] = "Basic " .. os.getenv("BENCH_BASIC")
wrk.path = os.getenv("BENCH_TOKEN_PATH") or "/api/v1/oauth/token"
wrk.body = "grant_type=client_credentials&scope=" .. (os.getenv("BENCH_SCOPE") or "api")
