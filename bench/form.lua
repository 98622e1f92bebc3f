-- wrk script for a request that may be sent any number of times: the same form POST
-- every time (introspection of one access token, a password grant, a client_credentials
-- probe).
--
-- Environment:
--   BENCH_BODY      the form body (required)
--   BENCH_BASIC     base64 HTTP Basic credentials (optional)
--   BENCH_PATH      request path (default /oauth2/token)
--   BENCH_DELAY_MS  pause of each connection between its requests (optional): with it,
--                   c connections send at most c × 1000 / BENCH_DELAY_MS requests a
--                   second, a light load whose latency shows how responsive the server
--                   is while something else loads it. wrk starts a request's clock when
--                   it is sent, so the pause is not part of the latency.
local body = os.getenv("BENCH_BODY")
if body == nil or body == "" then
  error("form.lua: BENCH_BODY is not set")
end

wrk.method = "POST"
wrk.path = os.getenv("BENCH_PATH") or "/oauth2/token"
wrk.body = body
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Accept"] = "application/json"
local basic = os.getenv("BENCH_BASIC")
if basic ~= nil and basic ~= "" then
  wrk.headers["Authorization"] = "Basic " .. basic
end

local pause = tonumber(os.getenv("BENCH_DELAY_MS") or "")
if pause ~= nil and pause > 0 then
  function delay()
    return pause
  end
end
