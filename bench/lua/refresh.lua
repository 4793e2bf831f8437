-- Refresh-token rotation chains: each wrk thread owns one connection and one session, and uses
-- the refresh token each response returns for its next request (a reused token would revoke
-- the session). Run with -t N -c N. Tokens come from BENCH_REFRESH_FILE, one per line.
local tokens = {}
local next_index = 0

function setup(thread)
  if #tokens == 0 then
    local file = assert(io.open(os.getenv("BENCH_REFRESH_FILE"), "r"))
    for line in file:lines() do
      if #line > 0 then table.insert(tokens, line) end
    end
    file:close()
  end
  next_index = next_index + 1
  thread:set("token", tokens[next_index])
end

function init(args)
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
