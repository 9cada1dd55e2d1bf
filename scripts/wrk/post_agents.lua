-- wrk script of scripts/bench (TENANTS=…) and scripts/bench-side-by-side: POST /v1/agents with a
-- fresh name each time; thread i sends with the i-th API key given after `--` (one tenant per
-- thread); with WRK_IDEMPOTENCY_KEYS=1 in the environment, each request with a fresh
-- Idempotency-Key. Prints the answers that were not 201.
local threads = {}
local count = 0
function setup(thread)
  count = count + 1
  thread:set("tid", count)
  table.insert(threads, thread)
end
function init(args)
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["Authorization"] = "Bearer " .. args[tid]
  bad = 0
  sent = 0
  run = string.format("%x%x", os.time(), math.floor(os.clock() * 1000000))
  keyed = os.getenv("WRK_IDEMPOTENCY_KEYS") == "1"
end
function request()
  sent = sent + 1
  local headers = nil
  if keyed then
    headers = {}
    for name, value in pairs(wrk.headers) do headers[name] = value end
    headers["Idempotency-Key"] = string.format("%s-%d-%d", run, tid, sent)
  end
  return wrk.format(nil, nil, headers, string.format('{"name":"wrk-%s-%d-%d"}', run, tid, sent))
end
function response(status, headers, body)
  if status ~= 201 then bad = bad + 1 end
end
function done(summary, latency, requests)
  local total = 0
  for _, thread in ipairs(threads) do total = total + thread:get("bad") end
  io.write(string.format("not 201: %d\n", total))
end
