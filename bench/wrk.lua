-- wrk script for bench/run.py: replays request lines and writes a JSON summary.
--
-- Environment:
--   BENCH_ITEMS    file of requests, one per line: METHOD<TAB>PATH[<TAB>JSON BODY]
--   BENCH_AUTH     Authorization header value (optional)
--   BENCH_COOKIES  file of Cookie header values, one per line; each request picks one (optional)
--   BENCH_THREADS  the number of wrk threads (-t), so that threads take disjoint lines
--   BENCH_OUT      where done() writes the JSON summary
-- Each thread walks the lines from its own offset with a stride of BENCH_THREADS, so that
-- POST bodies (unique identifiers) are never sent twice unless the file runs out.

local threads = {}
local counter = 0

function setup(thread)
  thread:set("tid", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

function init(args)
  items = {}
  for line in io.lines(os.getenv("BENCH_ITEMS")) do
    local method, path, body = line:match("^([A-Z]+)\t([^\t]+)\t?(.*)$")
    if method then
      items[#items + 1] = { method, path, body }
    end
  end
  cookies = {}
  local cookie_file = os.getenv("BENCH_COOKIES") or ""
  if cookie_file ~= "" then
    for line in io.lines(cookie_file) do
      if line ~= "" then cookies[#cookies + 1] = line end
    end
  end
  auth = os.getenv("BENCH_AUTH") or ""
  stride = tonumber(os.getenv("BENCH_THREADS") or "1")
  position = tid
  bad = 0
  statuses = {}
  math.randomseed(4242 + tid)
end

function request()
  local item = items[(position % #items) + 1]
  position = position + stride
  local headers = { ["Accept"] = "*/*" }
  if auth ~= "" then headers["Authorization"] = auth end
  if #cookies > 0 then headers["Cookie"] = cookies[math.random(#cookies)] end
  if item[1] == "POST" then
    headers["Content-Type"] = "application/json"
    return wrk.format("POST", item[2], headers, item[3])
  end
  return wrk.format(item[1], item[2], headers)
end

function response(status, headers, body)
  -- 3xx counts as bad too: a redirect to the login page means the session was lost.
  if status >= 300 then bad = bad + 1 end
  local key = tostring(status)
  statuses[key] = (statuses[key] or 0) + 1
end

function done(summary, latency, requests)
  local total_bad, merged = 0, {}
  for _, thread in ipairs(threads) do
    total_bad = total_bad + (thread:get("bad") or 0)
    local s = thread:get("statuses") or {}
    for k, v in pairs(s) do merged[k] = (merged[k] or 0) + v end
  end
  local parts = {}
  for k, v in pairs(merged) do parts[#parts + 1] = string.format('"%s":%d', k, v) end
  local e = summary.errors
  local out = io.open(os.getenv("BENCH_OUT"), "w")
  out:write(string.format(
    '{"requests":%d,"duration_s":%.6f,"p50_ms":%.3f,"p95_ms":%.3f,"p99_ms":%.3f,' ..
    '"max_ms":%.3f,"mean_ms":%.3f,"bad":%d,"socket_errors":%d,"statuses":{%s}}\n',
    summary.requests, summary.duration / 1e6,
    latency:percentile(50) / 1e3, latency:percentile(95) / 1e3, latency:percentile(99) / 1e3,
    latency.max / 1e3, latency.mean / 1e3, total_bad,
    e.connect + e.read + e.write + e.timeout, table.concat(parts, ",")))
  out:close()
end
