-- wrk script for the Candescent client_credentials benchmark: the same token request as
-- token.lua, in Candescent's dialect (docs/dialects/candescent.md): its path, and its
-- transactionId and institutionId headers. BENCH_BASIC as in token.lua; BENCH_FI is the
-- institution id (or alias) to send.
local basic = os.getenv("BENCH_BASIC")
local fi = os.getenv("BENCH_FI")
if basic == nil or basic == "" or fi == nil or fi == "" then
  error("candescent.lua: BENCH_BASIC and BENCH_FI must be set")
end

wrk.method = "POST"
wrk.path = os.getenv("BENCH_PATH") or "/candescent/oauth2/v1/token"
wrk.body = "grant_type=client_credentials&scope=accounts%3Aread"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Authorization"] = "Basic " .. basic
wrk.headers["Accept"] = "application/json"
wrk.headers["transactionId"] = "3f2b8c1e-9d4a-4f6b-8e2a-1c5d7e9f0a3b"
wrk.headers["institutionId"] = fi
