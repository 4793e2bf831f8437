-- Refresh-token rotation chains: each wrk thread owns one connection and one session, and uses
-- the refresh token each response returns for its next request (a reused token would revoke
-- the session). Run with -t N -c N. Tokens come from BENCH_REFRESH_FILE, one per line.
local threads = {}
local thread_count = 0

function setup(thread)
  thread_count = thread_count + 1
  thread:set("index", thread_count)
  table.insert(threads, thread)
end

function init(args)
  local file = io.open(os.getenv("BENCH_REFRESH_FILE"), "r")
  local n = 0
  for line in file:lines() do
    n = n + 1
    if n == index then token = line end
  end
  file:close()
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
end

request = function()
  return wrk.format(nil, "/api/v1/auth/refresh", nil, '{"refresh_token":"' .. token .. '"}')
end

response = function(status, headers, body)
  if status == 200 then
    local next_token = body:match('"refresh_token":"([^"]+)"')
    if next_token then token = next_token end
  end
end
