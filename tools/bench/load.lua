-- wrk script of the bench: `wrk -s load.lua URL -- METHOD PATH BODY_KIND [HEADER...]`.
-- BODY_KIND: "none", "item" (a new item with a unique name per request) or a literal
-- form body for logins. Prints one line for tools/bench to read:
--   BENCH <requests> <duration_us> <p50_us> <p99_us> <errors>
local body_kind
local counter = 0
local nonce = tostring(os.time()) .. tostring(math.random(1000000))

function init(args)
  wrk.method = args[1]
  wrk.path = args[2]
  body_kind = args[3]
  for i = 4, #args do
    local name, value = args[i]:match("^([^:]+):%s*(.*)$")
    wrk.headers[name] = value
  end
  if body_kind == "item" then
    wrk.headers["Content-Type"] = "application/json"
  elseif body_kind ~= "none" then
    wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
    wrk.body = body_kind
  end
end

function request()
  if body_kind == "item" then
    counter = counter + 1
    local body = string.format('{"name": "bench %s %d", "quantity": %d}', nonce, counter, counter % 1000)
    return wrk.format(nil, nil, nil, body)
  end
  return wrk.format()
end

function done(summary, latency, requests)
  local e = summary.errors
  local errors = e.connect + e.read + e.write + e.status + e.timeout
  io.write(string.format("BENCH %d %d %d %d %d\n", summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(99), errors))
end
