-- wrk script for bench/run.py: replays request lines and writes a JSON summary.
--
-- Environment:
--   BENCH_ITEMS       file of requests, one per line:
--                     METHOD<TAB>PATH[<TAB>JSON BODY[<TAB>Header: value]...]
--                     (the body may be empty when headers follow)
--   BENCH_AUTH        Authorization header value (optional)
--   BENCH_COOKIES     file of Cookie header values, one per line; each request picks one (optional)
--   BENCH_THREADS     the number of wrk threads (-t), so that threads take disjoint lines
--   BENCH_NONCE       unique to this wrk run: "{seq}" in a body or header value becomes
--                     NONCE-THREAD-N, different for every request (Idempotency-Key)
--   BENCH_TRACK_ETAG  "1": each thread has one connection (-t = -c), and a line's If-Match
--                     follows the ETag that line's last answer carried (on a 412, the
--                     problem's current_version), so a client edits its own record in turn
--   BENCH_OUT         where done() writes the JSON summary
-- Each thread walks the lines from its own offset with a stride of BENCH_THREADS, so that
-- POST bodies (unique identifiers) are never sent twice unless the file runs out.

local threads = {}
local counter = 0

function setup(thread)
  thread:set("tid", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

local function split(line)
  local out, start = {}, 1
  while true do
    local i = string.find(line, "\t", start, true)
    if not i then
      out[#out + 1] = string.sub(line, start)
      return out
    end
    out[#out + 1] = string.sub(line, start, i - 1)
    start = i + 1
  end
end

function init(args)
  items = {}
  for line in io.lines(os.getenv("BENCH_ITEMS")) do
    local f = split(line)
    if #f >= 2 and f[1]:match("^[A-Z]+$") then
      local extra = {}
      for i = 4, #f do
        local name, value = f[i]:match("^([^:]+):%s*(.*)$")
        if name then extra[#extra + 1] = { name, value } end
      end
      items[#items + 1] = { f[1], f[2], f[3] or "", extra }
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
  nonce = os.getenv("BENCH_NONCE") or "bench"
  track = os.getenv("BENCH_TRACK_ETAG") == "1"
  etags = {}
  position = tid
  sent = 0
  last = nil
  bad = 0
  statuses = {}
  math.randomseed(4242 + tid)
end

local function fill(text, seq)
  if string.find(text, "{seq}", 1, true) then
    return (string.gsub(text, "{seq}", seq))
  end
  return text
end

function request()
  local index = (position % #items) + 1
  local item = items[index]
  position = position + stride
  sent = sent + 1
  last = index
  local seq = nonce .. "-" .. tid .. "-" .. sent
  local headers = { ["Accept"] = "*/*" }
  if auth ~= "" then headers["Authorization"] = auth end
  if #cookies > 0 then headers["Cookie"] = cookies[math.random(#cookies)] end
  for _, h in ipairs(item[4]) do
    local value = h[2]
    if track and h[1] == "If-Match" and etags[index] then value = etags[index] end
    headers[h[1]] = fill(value, seq)
  end
  if item[3] ~= "" then
    headers["Content-Type"] = "application/json"
    return wrk.format(item[1], item[2], headers, fill(item[3], seq))
  end
  return wrk.format(item[1], item[2], headers)
end

function response(status, headers, body)
  -- 3xx counts as bad too: a redirect to the login page means the session was lost.
  if status >= 300 then bad = bad + 1 end
  local key = tostring(status)
  statuses[key] = (statuses[key] or 0) + 1
  if track and last then
    local tag = headers["ETag"] or headers["Etag"] or headers["etag"]
    if status < 300 and tag then
      etags[last] = tag
    elseif status == 412 and body then
      local v = string.match(body, '"current_version"%s*:%s*(%d+)')
      if v then etags[last] = 'W/"' .. v .. '"' end
    end
  end
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
