-- What the POST scripts beside this file share (loaded with dofile): each request's headers —
-- with WRK_IDEMPOTENCY_KEYS=1 in the environment, a fresh Idempotency-Key each — and the count,
-- over every thread, of the answers that were not 201, printed at the end.
local posting = {}
local threads = {}

-- The main state's setup of each thread; `extra` is called with the thread and its number.
function posting.setup(extra)
  return function(thread)
    table.insert(threads, thread)
    if extra then extra(thread, #threads) end
  end
end

-- A thread's init: POST with JSON and `key`.
function posting.init(key)
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["Authorization"] = "Bearer " .. key
  bad = 0
  run = string.format("%x%x", os.time(), math.floor(os.clock() * 1000000))
  keyed = os.getenv("WRK_IDEMPOTENCY_KEYS") == "1"
end

-- The headers of the request named `id` (unique within the thread): wrk's, plus its key.
function posting.headers(id)
  if not keyed then return nil end
  local headers = {}
  for name, value in pairs(wrk.headers) do headers[name] = value end
  headers["Idempotency-Key"] = run .. "-" .. id
  return headers
end

function response(status, headers, body)
  if status ~= 201 then bad = bad + 1 end
end

function done(summary, latency, requests)
  local total = 0
  for _, thread in ipairs(threads) do total = total + thread:get("bad") end
  io.write(string.format("not 201: %d\n", total))
end

return posting
