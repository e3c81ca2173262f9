-- wrk's script for bench/orders.py: `POST /api/orders`, every request for a ticket that no
-- request has bought yet, signed in as one of the benchmark's buyers (an RS256 access token in
-- `Authorization: Bearer`), with the headers the gateway adds.
--
-- Its one argument is a file the benchmark writes before each run, one item a line:
--   threads N      wrk's threads: each takes its own slice of the ticket ids
--   host NAME      the Host header (the public host the service allows)
--   token JWT      a buyer's access token (one line each; the requests take them in turn)
--   UUID           a ticket id no order holds yet (every other line)
--
-- At the end one line `BENCH {...}`, the keys bench/http_reads.py reads, where "status" counts
-- every answer that is not 201 Created (wrk's own count is of those >= 400 only), and
-- "exhausted" the requests sent after a thread's slice ran out (its ids are then used again,
-- and answered 400: a run with any is no result).

local headers = {
  ["Content-Type"] = "application/json",
  ["X-Forwarded-For"] = "203.0.113.7",
  ["X-Forwarded-Proto"] = "https",
}
local ids, tokens = {}, {}
local position = 1
local made, threads = 0, {}

-- Globals, so that done() can read each thread's count (thread:get).
not_created = 0
exhausted = 0

function setup(thread)
  thread:set("number", made)
  made = made + 1
  threads[#threads + 1] = thread
end

function init(args)
  local count, every = 1, {}
  for line in io.lines(args[1]) do
    local key, value = line:match("^(%a+) (.+)$")
    if key == "threads" then
      count = tonumber(value)
    elseif key == "host" then
      headers["Host"] = value
    elseif key == "token" then
      tokens[#tokens + 1] = value
    else
      every[#every + 1] = line
    end
  end
  local slice = math.floor(#every / count)
  for index = number * slice + 1, (number + 1) * slice do
    ids[#ids + 1] = every[index]
  end
  math.randomseed(os.time() + number)
end

function request()
  if position > #ids then
    exhausted = exhausted + 1
    position = 1
  end
  local ticket = ids[position]
  position = position + 1
  headers["Authorization"] = "Bearer " .. tokens[position % #tokens + 1]
  headers["X-Request-ID"] = string.format("%08x%08x%08x%08x", math.random(0, 0x7fffffff),
    math.random(0, 0x7fffffff), math.random(0, 0x7fffffff), math.random(0, 0x7fffffff))
  return wrk.format("POST", "/api/orders", headers, '{"ticketId": "' .. ticket .. '"}')
end

function response(status, _headers, _body)
  if status ~= 201 then
    not_created = not_created + 1
  end
end

function done(summary, latency, _requests)
  local others, short = 0, 0
  for _, thread in ipairs(threads) do
    others = others + thread:get("not_created")
    short = short + thread:get("exhausted")
  end
  local errors = summary.errors
  local fields = {
    requests = summary.requests, duration_us = summary.duration, bytes = summary.bytes,
    p50_us = latency:percentile(50), p90_us = latency:percentile(90),
    p99_us = latency:percentile(99), max_us = latency.max, connect = errors.connect,
    read = errors.read, write = errors.write, status = others, timeout = errors.timeout,
    exhausted = short,
  }
  local parts = {}
  for key, value in pairs(fields) do
    parts[#parts + 1] = string.format('"%s": %d', key, value)
  end
  io.write("BENCH {" .. table.concat(parts, ", ") .. "}\n")
end
