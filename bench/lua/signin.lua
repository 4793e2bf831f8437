-- POSTs sign-ins for the users bench/accounts.sh created (user-<n>@bench.example), round robin,
-- so no single account hits the per-identity session limit every time.
local users = tonumber(os.getenv("BENCH_USERS") or "64")
local password = os.getenv("BENCH_PASSWORD")
local counter = 0
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
request = function()
  counter = counter + 1
  local n = counter % users
  local body = string.format('{"email":"user-%d@bench.example","password":"%s"}', n, password)
  return wrk.format(nil, "/api/v1/auth/signin", nil, body)
end
