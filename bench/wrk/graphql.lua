-- wrk script of the benchmark: POSTs one GraphQL request, over and over, and counts as
-- failed every response that is not 200, or whose body has "errors" or user errors.
--
-- Set through the environment (bench/run does):
--   BENCH_BODY      file holding the JSON body; in it @@N@@ becomes a number unique in
--                   the run (per thread and request) and, with a pool, @@ID@@ and
--                   @@VERSION@@ the pool entry's id and version
--   BENCH_AUTH      a token for "Authorization: Bearer ..." (optional)
--   BENCH_NONCE     a prefix that makes @@N@@ unique across runs
--   BENCH_POOL      file of lines "id<TAB>version<TAB>token" (optional): each request
--                   takes an entry no request in flight holds, with its own token
--   BENCH_POOL_TRACK  "1": read the new version back from the response
--                   ("id":"...","version":N) before the entry is used again, so that
--                   optimistic-concurrency checks pass

local threads = {}
local thread_count = 0

function setup(thread)
  thread:set("tid", thread_count)
  thread_count = thread_count + 1
  table.insert(threads, thread)
end

local body_template, auth, nonce, pool, tracking
local counter, bad, cursor = 0, 0, 0
local busy, index_of = {}, {}
local sample

local function read_file(path)
  local f = assert(io.open(path, "r"))
  local text = f:read("*a")
  f:close()
  return text
end

function init(args)
  body_template = read_file(os.getenv("BENCH_BODY"))
  body_template = body_template:gsub("%s+$", "")
  auth = os.getenv("BENCH_AUTH")
  nonce = os.getenv("BENCH_NONCE") or "0"
  tracking = os.getenv("BENCH_POOL_TRACK") == "1"
  local pool_file = os.getenv("BENCH_POOL")
  if pool_file and pool_file ~= "" then
    pool = {}
    local n = 0
    local threads_total = tonumber(os.getenv("BENCH_THREADS") or "1")
    for line in io.lines(pool_file) do
      local id, version, token = line:match("^([^\t]+)\t([^\t]+)\t?(.*)$")
      if id then
        -- Each thread takes its own share, so that two threads never race on one.
        if n % threads_total == tid then
          table.insert(pool, { id = id, version = tonumber(version), token = token })
          index_of[id] = #pool
        end
        n = n + 1
      end
    end
    assert(#pool > 0, "empty pool for thread " .. tid)
  end
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  if auth and auth ~= "" then
    wrk.headers["Authorization"] = "Bearer " .. auth
  end
  if not body_template:find("@@", 1, true) and not pool then
    wrk.body = body_template
    static = wrk.format()
  end
end

function request()
  if static then
    return static
  end
  counter = counter + 1
  local body = body_template:gsub("@@N@@", nonce .. "t" .. tid .. "n" .. counter)
  local headers = nil
  if pool then
    local entry
    for _ = 1, #pool do
      cursor = cursor % #pool + 1
      if not busy[cursor] then
        entry = pool[cursor]
        break
      end
    end
    -- Every entry in flight (a pool too small): take the next one anyway; a conflict
    -- then shows as a failed response.
    entry = entry or pool[cursor]
    if tracking then
      busy[cursor] = true
    end
    body = body:gsub("@@ID@@", entry.id):gsub("@@VERSION@@", tostring(entry.version))
    if entry.token ~= "" then
      -- wrk.format takes these instead of wrk.headers, not on top of them.
      headers = {}
      for k, v in pairs(wrk.headers) do
        headers[k] = v
      end
      headers["Authorization"] = "Bearer " .. entry.token
    end
  end
  return wrk.format(nil, nil, headers, body)
end

function response(status, headers, body)
  local failed = status ~= 200 or body:find('"errors"', 1, true)
    or body:find('"userErrors":[{', 1, true)
  if failed then
    bad = bad + 1
    if not sample then
      sample = status .. " " .. body:sub(1, 300)
    end
  end
  if pool and tracking then
    local id, version = body:match('"id":"([^"]+)","version":(%d+)')
    local i = id and index_of[id]
    if i then
      pool[i].version = tonumber(version)
      busy[i] = nil
    end
  end
end

function done(summary, latency, requests)
  local failed, first = 0, ""
  for _, thread in ipairs(threads) do
    failed = failed + (thread:get("bad") or 0)
    local s = thread:get("sample")
    if s and first == "" then
      first = s
    end
  end
  local e = summary.errors
  io.write(string.format(
    'RESULT {"requests":%d,"duration_us":%d,"p50_us":%d,"p99_us":%d,"max_us":%d,' ..
    '"failed":%d,"socket_errors":%d,"timeouts":%d,"first_failure":"%s"}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    latency.max, failed, e.connect + e.read + e.write, e.timeout,
    first:gsub('[%c"\\]', " ")))
end
