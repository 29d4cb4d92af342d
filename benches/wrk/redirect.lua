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

-- A browser's User-Agent, varied over 997 versions: wrk's own is counted as a bot (stored, left
-- out of the rollups), while a person's click also updates the day's rollup and visitors. With
-- one client address, each version is another visitor, so most clicks are a new visitor of
-- their link's day, as most real clicks are.
local browser = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 " ..
  "(KHTML, like Gecko) Chrome/131.0.%d.0 Safari/537.36"
local VERSIONS = 997

local i, sent = 0, 0
function init(args)
  i = (offset or 0) % #codes
end

function request()
  i = i % #codes + 1
  sent = sent + 1
  return wrk.format("GET", codes[i], { ["User-Agent"] = string.format(browser, sent % VERSIONS) })
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
