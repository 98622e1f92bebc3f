-- wrk script of the scale harness (bench/run-scale.sh): every request is the next line
-- of a file that `scale lines` wrote, "Basic credentials<TAB>form body" (empty
-- credentials: the body carries them), so each request can be another client's.
--
-- Environment:
--   BENCH_LINES    the file (required)
--   BENCH_SKIP     lines already used by earlier runs; this run starts after them
--   BENCH_CYCLE    1: start over at the end of the file (credentials that may be sent
--                  again: client secrets, tokens to introspect); otherwise every line
--                  is sent once (assertions, refresh tokens) and a thread that runs out
--                  stops, as in lines.lua
--   BENCH_PATH     request path (default /oauth2/token)
--   BENCH_THREADS  wrk's -t (default 1)
--
-- done() prints the LINES summary line of lines.lua (used, sent, exhausted, secs, rate).
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
local cycle = os.getenv("BENCH_CYCLE") == "1"
local plain = { ["Content-Type"] = "application/x-www-form-urlencoded", ["Accept"] = "application/json" }
local by_basic = {}

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
      local tab = line:find("\t", 1, true)
      if tab == nil then
        error("scale.lua: line " .. n .. " has no tab")
      end
      local basic, form = line:sub(1, tab - 1), line:sub(tab + 1)
      local headers = plain
      if basic ~= "" then
        -- one header table per client, not per line: Zipf lines repeat the popular ones
        headers = by_basic[basic]
        if headers == nil then
          headers = { ["Content-Type"] = plain["Content-Type"], ["Accept"] = plain["Accept"], ["Authorization"] = "Basic " .. basic }
          by_basic[basic] = headers
        end
      end
      lines[#lines + 1] = { headers, form }
    end
  end
end

local filler = nil

function request()
  if cycle and idx >= #lines and #lines > 0 then
    idx = 0
  end
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
  local l = lines[idx]
  return wrk.format("POST", path, l[1], l[2])
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
