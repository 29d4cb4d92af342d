-- Shared by the load scripts (loaded with dofile): counts responses that are not a success
-- in each thread, and prints one machine-readable line in done().
--
-- A response counts as an error when its status is not the expected one (2xx, or 302 for
-- redirects) or, when `check_body` is on, when its body contains "errors" (a GraphQL error
-- answered 200 is not a result). wrk's own socket errors (connect, read, write, timeout) are
-- reported beside it; benches/run fails a row on either.

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

errors = 0
responses = 0

function count(status, body, expected_status, check_body)
  responses = responses + 1
  local ok
  if expected_status then
    ok = status == expected_status
  else
    ok = status >= 200 and status < 300
  end
  if ok and check_body and body and string.find(body, '"errors"', 1, true) then
    ok = false
  end
  if not ok then
    errors = errors + 1
    if errors <= 3 then
      io.stderr:write(string.format("bad response %d: %s\n", status, string.sub(body or "", 1, 300)))
    end
  end
end

function done(summary, latency, requests)
  local errors, responses = 0, 0
  for _, thread in ipairs(threads) do
    errors = errors + (thread:get("errors") or 0)
    responses = responses + (thread:get("responses") or 0)
  end
  local e = summary.errors
  local socket = e.connect + e.read + e.write + e.timeout
  local seconds = summary.duration / 1e6
  io.write(string.format(
    "BENCH requests=%d responses=%d errors=%d socket_errors=%d status_errors=%d rps=%.1f p50_us=%d p99_us=%d max_us=%d\n",
    summary.requests, responses, errors, socket, e.status, summary.requests / seconds,
    latency:percentile(50), latency:percentile(99), latency.max))
end
