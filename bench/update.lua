-- wrk script for P1: thread N drives plan N; each request flips one product between running
-- and success (a real change every time). The plans and token come from bench/plans.json.
local plans = nil
local counter = 0
-- `index` is a global on purpose: setup() sets it in each thread's own Lua state. (A local here
-- would be the same 0 in every thread, and all threads would drive one plan.)
index = 0

function setup(thread)
  counter = counter + 1
  thread:set("index", counter)
end

function init(args)
  local file = io.open(os.getenv("FLETCHER_BENCH_PLANS"), "r")
  local text = file:read("*a")
  file:close()
  -- one line per plan: "<dataset> <product>"
  plans = {}
  for line in text:gmatch("[^\n]+") do
    local dataset, product = line:match("(%S+) (%S+)")
    table.insert(plans, {dataset = dataset, product = product})
  end
  flip = false
end

function request()
  local plan = plans[((index - 1) % #plans) + 1]
  flip = not flip
  local state = flip and "running" or "success"
  local body = '[{"id": "' .. plan.product .. '", "state": "' .. state .. '"}]'
  return wrk.format("PUT", "/api/data_product/" .. plan.dataset .. "/update", {
    ["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer " .. os.getenv("FLETCHER_BENCH_TOKEN"),
    ["Prefer"] = "return=minimal",
  }, body)
end

function response(status, headers, body)
  if status ~= 200 then
    io.stderr:write("unexpected status " .. status .. ": " .. body .. "\n")
  end
end
