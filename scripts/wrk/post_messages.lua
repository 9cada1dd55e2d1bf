-- wrk script of scripts/bench-side-by-side: POST /v1/sessions/{id}/messages over the sessions
-- given after `--` (the API key first, then one path per session), in turn; each session takes a
-- user message, then a priced reply with its latency, and so on; with WRK_IDEMPOTENCY_KEYS=1 in the
-- environment, each request with a fresh Idempotency-Key. Prints the answers that were not 201.
local posting = dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "") .. "posting.lua")
setup = posting.setup()
local paths = {}
local sent = 0
function init(args)
  posting.init(args[1])
  for k = 2, #args do paths[#paths + 1] = args[k] end
end
function request()
  sent = sent + 1
  local path = paths[(sent % #paths) + 1]
  local headers = posting.headers(tostring(sent))
  if math.floor(sent / #paths) % 2 == 0 then
    return wrk.format(nil, path, headers, '{"content": "What changed in the report since yesterday?"}')
  end
  -- Replies take 0.2 to 20 s, spread as a day's replies are: each agent's hourly sketch and the
  -- tenant's fill about as many buckets as in real use (a constant latency kept them at one).
  local latency = 200 + (sent * 7919) % 19800
  return wrk.format(nil, path, headers, '{"role": "assistant", "content": "Three sections changed.", '
    .. '"usage": {"model": "gpt-4o", "inputTokens": 1200, "outputTokens": 300, "latencyMs": ' .. latency .. '}}')
end
