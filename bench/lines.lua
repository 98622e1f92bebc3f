-- wrk script for grants whose credential is single-use: every request carries the next
-- unused line of a file (a client assertion, a refresh token), so no line is sent twice.
--
-- Environment:
--   BENCH_LINES    the file, one credential per line (required)
--   BENCH_SKIP     lines already used by earlier runs; this run starts after them
--   BENCH_PREFIX   form body before the line, BENCH_SUFFIX after it
--   BENCH_BASIC    base64 HTTP Basic credentials (optional)
--   BENCH_CONTENT_TYPE  the body's media type (default application/x-www-form-urlencoded)
--   BENCH_PATH     request path (default /oauth2/token)
--   BENCH_THREADS  wrk's -t (default 1)
--
-- With more than one wrk thread, thread i of T takes lines i, i+T, i+2T, ...
--
-- When a thread runs out of lines it stops its event loop (it does not reuse a line),
-- and the figures that wrk prints for the whole duration no longer hold. The script
-- then measures the rate itself: lines sent until the first thread ran out, over the
-- time from the first request to that moment (LuaJIT's ffi reads the monotonic clock).
-- done() prints one machine-readable line:
--   LINES used=<lines consumed> sent=<requests sent before running out> exhausted=<0|1>
--         secs=<seconds until the first thread ran out, else the run> rate=<req/s>
-- used is how far the next run must skip (BENCH_SKIP += used); rate is meaningful
-- only when exhausted=1 (otherwise wrk's Requests/sec, which counts answers, is used).
local ffi = require("ffi")
ffi.cdef [[
typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
int clock_gettime(int clk, bench_timespec *tp);
]]
local ts = ffi.new("bench_timespec")
local function now()
  ffi.C.clock_gettime(1, ts) -- CLOCK_MONOTONIC
  return tonumber(ts.tv_sec) + tonumber(ts.tv_nsec) / 1e9
end

local path = os.getenv("BENCH_PATH") or "/oauth2/token"
local prefix = os.getenv("BENCH_PREFIX") or ""
local suffix = os.getenv("BENCH_SUFFIX") or ""
local basic = os.getenv("BENCH_BASIC")
local headers = {
  ["Content-Type"] = os.getenv("BENCH_CONTENT_TYPE") or "application/x-www-form-urlencoded",
  ["Accept"] = "application/json",
}
if basic ~= nil and basic ~= "" then
  headers["Authorization"] = "Basic " .. basic
end

-- main state: hand each thread its index, collect the counts at the end.
-- wrk sets up and starts each thread before the next, so the thread count comes from
-- the environment, not from counting setup() calls.
local threads = {}
local nthreads = tonumber(os.getenv("BENCH_THREADS") or "1")

function setup(thread)
  thread:set("bench_tid", #threads)
  table.insert(threads, thread)
end

-- thread state
lines = nil
count = 0 -- lines handed out (used) by this thread
sent = 0 -- of which before running out
exhausted = 0
t_first = 0
t_end = 0
local idx = 0
local stopped = false

function init(args)
  local file = os.getenv("BENCH_LINES")
  if file == nil or file == "" then
    error("lines.lua: BENCH_LINES is not set")
  end
  local skip = tonumber(os.getenv("BENCH_SKIP") or "0")
  local me, all = bench_tid or 0, nthreads
  lines = {}
  local n = 0
  for line in io.lines(file) do
    n = n + 1
    if n > skip and (n - skip - 1) % all == me and line ~= "" then
      lines[#lines + 1] = line
    end
  end
end

local filler = nil

function request()
  if idx >= #lines then
    if not stopped then
      stopped = true
      exhausted = 1
      t_end = now()
      wrk.thread:stop()
    end
    -- A harmless request for connections still asking before the loop stops; it is
    -- not counted in the rate that the script reports when lines ran out.
    filler = filler or wrk.format("GET", "/readyz")
    return filler
  end
  idx = idx + 1
  count = idx
  if idx == 2 then
    -- request 1 is consumed by wrk's check of the script before the clock starts.
    t_first = now()
  end
  sent = idx
  return wrk.format("POST", path, headers, prefix .. lines[idx] .. suffix)
end

function done(summary, latency, requests)
  -- Each thread's own rate over its own period (until it ran out, or the whole run),
  -- summed; a run in which no thread ran out gives wrk's own figures back.
  local used, sent_total, ex, rate, secs = 0, 0, 0, 0, summary.duration / 1e6
  for _, t in ipairs(threads) do
    local c = t:get("count") or 0
    local s = t:get("sent") or 0
    used = math.max(used, c * nthreads)
    sent_total = sent_total + s
    local d = summary.duration / 1e6
    if (t:get("exhausted") or 0) == 1 then
      ex = 1
      d = (t:get("t_end") or 0) - (t:get("t_first") or 0)
      secs = math.min(secs, d)
    end
    if d > 0 then
      rate = rate + math.max(s - 1, 0) / d
    end
  end
  io.write(string.format("LINES used=%d sent=%d exhausted=%d secs=%.3f rate=%.1f\n", used, sent_total, ex, secs, rate))
end
