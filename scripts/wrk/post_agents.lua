-- wrk script of scripts/bench (TENANTS=…) and scripts/bench-side-by-side: POST /v1/agents with a
-- fresh name each time; thread i sends with the i-th API key given after `--` (one tenant per
-- thread); with WRK_IDEMPOTENCY_KEYS=1 in the environment, each request with a fresh
-- Idempotency-Key. Prints the answers that were not 201.
local posting = dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "") .. "posting.lua")
setup = posting.setup(function(thread, number) thread:set("tid", number) end)
local sent = 0
function init(args)
  posting.init(args[tid])
end
function request()
  sent = sent + 1
  local id = string.format("%d-%d", tid, sent)
  return wrk.format(nil, nil, posting.headers(id), string.format('{"name":"wrk-%s-%s"}', run, id))
end
