-- wrk script for the client_credentials benchmark: every request is the same
-- RFC 6749 §4.4 token request, authenticated with HTTP Basic (§2.3.1).
-- BENCH_BASIC holds base64(urlencode(client_id) ":" urlencode(client_secret)).
local basic = os.getenv("BENCH_BASIC")
if basic == nil or basic == "" then
  error("token.lua: BENCH_BASIC is not set")
end

wrk.method = "POST"
wrk.path = os.getenv("BENCH_PATH") or "/oauth2/token"
wrk.body = "grant_type=client_credentials&scope=accounts%3Aread"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Authorization"] = "Basic " .. basic
wrk.headers["Accept"] = "application/json"
-- BENCH_XFF, when set, claims a client address (run-flood.sh: jeton trusts 127.0.0.1
-- as a proxy, so two wrk runs on one machine look like two addresses).
local xff = os.getenv("BENCH_XFF")
if xff ~= nil and xff ~= "" then
  wrk.headers["X-Forwarded-For"] = xff
end
