-- wrk script for the AbbeyCross benchmark: every request is the same AbbeyCross token
-- request, {"client_id","client_secret"} as JSON (specs/abbeycross.md).
-- BENCH_BODY holds the JSON body.
local body = os.getenv("BENCH_BODY")
if body == nil or body == "" then
  error("abbeycross.lua: BENCH_BODY is not set")
end

wrk.method = "POST"
wrk.path = os.getenv("BENCH_PATH") or "/abbeycross/v1/oauth/token"
wrk.body = body
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Accept"] = "application/json"
