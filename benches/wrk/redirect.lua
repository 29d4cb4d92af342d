-- GET /r/{code}, rotating over the codes in the file named by BENCH_CODES (one per line, e.g.
-- the manifest's link_codes); each thread starts at a different place. Every response must be
-- a 302. Paced mode (only when oha is unavailable): BENCH_DELAY_MS makes each connection wait
-- that long before its next request, so C connections send about C * 1000 / BENCH_DELAY_MS
-- requests per second (a closed loop: see BENCHMARKS.md).
--   BENCH_CODES=codes.txt wrk -s benches/wrk/redirect.lua http://host:port

local dir = debug.getinfo(1, "S").source:sub(2):match("(.*/)") or "./"
dofile(dir .. "report.lua")

local codes = {}
local codes_file = assert(os.getenv("BENCH_CODES"), "BENCH_CODES not set")
for line in io.lines(codes_file) do
  if line ~= "" then
    table.insert(codes, "/r/" .. line)
  end
end
assert(#codes > 0, "no link codes")

local base_setup = setup
local next_id = 0
function setup(thread)
  thread:set("offset", next_id * 7919)
  next_id = next_id + 1
  base_setup(thread)
end

local i = 0
function init(args)
  i = (offset or 0) % #codes
end

function request()
  i = i % #codes + 1
  return wrk.format("GET", codes[i])
end

local pace = tonumber(os.getenv("BENCH_DELAY_MS") or "")
if pace and pace > 0 then
  function delay()
    return pace
  end
end

function response(status, headers, body)
  count(status, body, 302, false)
end
