-- POST one GraphQL request body over and over: the body is read from the file named by
-- BENCH_BODY (JSON), with `Authorization: Bearer $BENCH_TOKEN` when that is set. Every
-- response must be 2xx without "errors" in its body.
--   BENCH_BODY=body.json [BENCH_TOKEN=...] wrk -s benches/wrk/graphql.lua http://host:port/graphql

local dir = debug.getinfo(1, "S").source:sub(2):match("(.*/)") or "./"
dofile(dir .. "report.lua")

local file = assert(io.open(assert(os.getenv("BENCH_BODY"), "BENCH_BODY not set"), "rb"))
wrk.method = "POST"
wrk.body = file:read("*a")
file:close()
wrk.headers["Content-Type"] = "application/json"
local token = os.getenv("BENCH_TOKEN")
if token and token ~= "" then
  wrk.headers["Authorization"] = "Bearer " .. token
end

function response(status, headers, body)
  count(status, body, nil, true)
end
