-- wrk script of scripts/bench-side-by-side: POST /v1/sessions/{id}/messages over the sessions
-- given after `--` (the API key first, then one path per session), in turn; each session takes a
-- user message, then a priced reply with its latency, and so on; with WRK_IDEMPOTENCY_KEYS=1 in the
-- environment, each request with a fresh Idempotency-Key. Prints the answers that were not 201.
local threads = {}
function setup(thread)
  table.insert(threads, thread)
end
local paths = {}
local sent = 0
function init(args)
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["Authorization"] = "Bearer " .. args[1]
  for k = 2, #args do paths[#paths + 1] = args[k] end
  bad = 0
  run = string.format("%x%x", os.time(), math.floor(os.clock() * 1000000))
  keyed = os.getenv("WRK_IDEMPOTENCY_KEYS") == "1"
end
function request()
  sent = sent + 1
  local path = paths[(sent % #paths) + 1]
  local headers = nil
  if keyed then
    headers = {}
    for name, value in pairs(wrk.headers) do headers[name] = value end
    headers["Idempotency-Key"] = string.format("%s-%d", run, sent)
  end
  if math.floor(sent / #paths) % 2 == 0 then
    return wrk.format(nil, path, headers, '{"content": "What changed in the report since yesterday?"}')
  end
  return wrk.format(nil, path, headers, '{"role": "assistant", "content": "Three sections changed.", '
    .. '"usage": {"model": "gpt-4o", "inputTokens": 1200, "outputTokens": 300, "latencyMs": 900}}')
end
function response(status, headers, body)
  if status ~= 201 then bad = bad + 1 end
end
function done(summary, latency, requests)
  local total = 0
  for _, thread in ipairs(threads) do total = total + thread:get("bad") end
  io.write(string.format("not 201: %d\n", total))
end
