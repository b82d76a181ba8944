-- wrk script for bench/reads.py: GETs with ember's noauth token header.
-- Arguments after "--": token, path, [file of ids]. With a file each request is path .. a random id.
-- done() prints one line "BENCH {json}" that bench/reads.py parses.

local thread_count = 0
function setup(thread)
  thread_count = thread_count + 1
  thread:set("seed", thread_count)
end

local prepared = {}

function init(args)
  wrk.headers["X-Auth-Token"] = args[1]
  local path, ids_file = args[2], args[3]
  if ids_file then
    for id in io.lines(ids_file) do
      prepared[#prepared + 1] = wrk.format("GET", path .. id)
    end
  else
    prepared[1] = wrk.format("GET", path)
  end
  math.randomseed(os.time() * 100 + (seed or 0))
end

function request()
  return prepared[math.random(#prepared)]
end

function done(summary, latency, _)
  local e = summary.errors
  io.write(string.format(
    'BENCH {"requests": %d, "duration_us": %d, "status_errors": %d, "socket_errors": %d, ' ..
    '"p50_us": %d, "p99_us": %d}\n',
    summary.requests, summary.duration, e.status, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(99)))
end
