/**
 * The Lua scripts that make shared budgets and rate limits atomic across instances. Redis runs a script as one
 * command, so a reservation checks every window and every bucket and takes them together, or takes nothing.
 *
 * Units are the local ledger's: integer nano-dollars, epoch milliseconds passed in by the caller (the injected
 * clock; instances are expected to keep NTP time, as every shared limiter does). Limits are -1 for "none".
 *
 * Keys of one agent (every script gets them in this order):
 *   1 total    string   lifetime spend
 *   2 day      string   spend of the local calendar day named in the key (expires two days later)
 *   3 hour     zset     second -> itself: the end (epoch ms) of each second with spend in the rolling hour, which
 *                       counts the second's spend until an hour after it ends, so the hour holds at most 3,600
 *                       entries; an entry from before (a settlement's id -> its time) ages out the same way
 *   4 hamt     hash     second (or earlier, settlement id) -> nanos
 *   5 hsum     string   sum of hamt
 *   6 held     hash     instance id -> nanos held by its open reservations
 *   7 alive    zset     instance id -> lease end (Redis's own clock, ms): holds of an instance that stopped
 *                       renewing are dropped, whatever the instances' clocks say
 *   8 rlreq    hash     request bucket {t = tokens, ts = last refill}
 *   9 rltpm    hash     tokens-per-minute bucket
 *  10 applied  hash     writer (an instance's connection) -> the last settlement number it applied
 *  11 agents   set      every agent with spend or holds, for reading them all
 *  12 minutes  hash     minute (epoch ms / 60000) -> nanos settled in it, for the last hour: lets an instance's
 *                       mirror of the rolling hour age out minute by minute instead of all at once
 * The agent's name is the last argument of every script.
 */

/** A day's key outlives its day by a day, whatever the zone. */
export const DAY_TTL_MS = 49 * 3_600_000;

const COMMON = `
local now = tonumber(ARGV[1])
local agentName = ARGV[#ARGV]
local HOUR = 3600000
local EPS = 1e-9

local function prune()
  local edge = now - HOUR
  while true do
    local old = redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', edge, 'LIMIT', 0, 500)
    if #old == 0 then return end
    local amts = redis.call('HMGET', KEYS[4], unpack(old))
    local sub = 0
    for i = 1, #amts do sub = sub + (tonumber(amts[i]) or 0) end
    redis.call('DECRBY', KEYS[5], sub)
    redis.call('HDEL', KEYS[4], unpack(old))
    redis.call('ZREM', KEYS[3], unpack(old))
  end
end

local function num(key)
  return tonumber(redis.call('GET', key)) or 0
end

local function redisNow()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

-- Sum of live instances' holds; holds of instances whose lease ended are removed.
local function held()
  local h = redis.call('HGETALL', KEYS[6])
  local sum = 0
  local rnow = redisNow()
  for i = 1, #h, 2 do
    local lease = tonumber(redis.call('ZSCORE', KEYS[7], h[i]))
    if lease ~= nil and lease > rnow then
      sum = sum + tonumber(h[i + 1])
    else
      redis.call('HDEL', KEYS[6], h[i])
    end
  end
  return sum
end

-- Windows in report order (total, daily, hourly): the one that frees latest first.
local function committed()
  prune()
  return { num(KEYS[1]), num(KEYS[2]), num(KEYS[5]) }
end

-- A bucket's level now (refilled), and the time it was refilled to.
local function level(key, cap, rate)
  local v = redis.call('HMGET', key, 't', 'ts')
  local t = tonumber(v[1])
  local ts = tonumber(v[2])
  if t == nil or ts == nil then return cap, now end
  if now > ts then
    t = math.min(cap, t + (now - ts) / 1000 * rate)
    ts = now
  end
  return t, ts
end

local function store(key, t, ts, cap, rate)
  redis.call('HSET', key, 't', tostring(t), 'ts', tostring(ts))
  -- An untouched bucket is full again once it refilled from its level (a debt included); then its key can go.
  redis.call('PEXPIRE', key, math.ceil((cap - t) / rate * 1000) + 60000)
end

-- A settlement in the rolling hour: by second (for decisions), as the local ledger counts it, and by minute (for
-- the mirrors). The second is named by its end: the time rounded up to a whole second.
local function addToHour(at, nanos)
  local second = math.ceil(at / 1000) * 1000
  redis.call('ZADD', KEYS[3], second, second)
  redis.call('HINCRBY', KEYS[4], second, nanos)
  redis.call('INCRBY', KEYS[5], nanos)
  redis.call('HINCRBY', KEYS[12], math.floor(at / 60000), nanos)
  redis.call('PEXPIRE', KEYS[12], 2 * HOUR)
end

-- {hour, day, total, held, minute, nanos, minute, nanos…}: the minutes of the rolling hour, the aged ones dropped.
local function spend(heldSum)
  local c = committed()
  local out = { c[3], c[2], c[1], heldSum }
  local m = redis.call('HGETALL', KEYS[12])
  for i = 1, #m, 2 do
    local minute = tonumber(m[i])
    if (minute + 1) * 60000 - 1 + HOUR <= now then
      redis.call('HDEL', KEYS[12], m[i])
    else
      out[#out + 1] = minute
      out[#out + 1] = tonumber(m[i + 1])
    end
  end
  return out
end
`;

/**
 * Admission. ARGV: now, instance, hold, limitTotal, limitDaily, limitHourly, reqCap, reqRate, tpmCap, tpmRate,
 * tokens, dayTtlMs, dayEnd.
 * Returns {1, hour, day, total, held} when admitted;
 * {0, 'rate', 'requests'|'tokens', retryAfterMs} when a bucket is short;
 * {0, 'budget', window (1 total, 2 daily, 3 hourly), cause ('spent'|'reserved'), spent, held, limit, freesAt|-1}.
 */
export const ADMIT = `${COMMON}
local instance = ARGV[2]
local hold = tonumber(ARGV[3])
local limits = { tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6]) }
local reqCap, reqRate = tonumber(ARGV[7]), tonumber(ARGV[8])
local tpmCap, tpmRate = tonumber(ARGV[9]), tonumber(ARGV[10])
local tokens = tonumber(ARGV[11])
local dayEnd = tonumber(ARGV[13])

local tpmLevel, tpmTs
if tpmCap > 0 then
  tpmLevel, tpmTs = level(KEYS[9], tpmCap, tpmRate)
  local need = math.min(tokens, tpmCap)
  if tpmLevel + EPS < need then
    return { 0, 'rate', 'tokens', tostring((need - tpmLevel) / tpmRate * 1000) }
  end
end
local reqLevel, reqTs
if reqCap > 0 then
  reqLevel, reqTs = level(KEYS[8], reqCap, reqRate)
  if reqLevel + EPS < 1 then
    return { 0, 'rate', 'requests', tostring((1 - reqLevel) / reqRate * 1000) }
  end
end

local c = committed()
local h = held()
if hold > 0 then
  for pass = 1, 2 do
    for w = 1, 3 do
      local limit = limits[w]
      local used = c[w]
      if pass == 2 then used = used + h end
      if limit >= 0 and used >= limit then
        local freesAt = -1
        if pass == 1 and w == 3 then
          -- The rolling hour frees when enough of its oldest seconds have aged out. The walk stops after 1000 of
          -- them (a busy agent at its limit must not hold Redis): then the time given is a lower bound.
          local s = c[3]
          local rows = redis.call('ZRANGE', KEYS[3], 0, 999, 'WITHSCORES')
          for i = 1, #rows, 2 do
            s = s - (tonumber(redis.call('HGET', KEYS[4], rows[i])) or 0)
            freesAt = tonumber(rows[i + 1]) + HOUR
            if s < limit then break end
          end
        elseif pass == 1 and w == 2 and limit > 0 then
          freesAt = dayEnd
        end
        local cause = 'spent'
        if pass == 2 then cause = 'reserved' end
        return { 0, 'budget', w, cause, c[w], h, limit, freesAt }
      end
    end
  end
end

if tpmCap > 0 then store(KEYS[9], tpmLevel - tokens, tpmTs, tpmCap, tpmRate) end
if reqCap > 0 then store(KEYS[8], reqLevel - 1, reqTs, reqCap, reqRate) end
if hold > 0 then redis.call('HINCRBY', KEYS[6], instance, hold) end
redis.call('SADD', KEYS[11], agentName)
return { 1, c[3], c[2], c[1], h + hold }
`;

/**
 * Grows a hold when every limited window still fits the whole extension. ARGV: now, instance, add, limitTotal,
 * limitDaily, limitHourly. Returns 1 when granted, 0 when not.
 */
export const EXTEND = `${COMMON}
local instance = ARGV[2]
local add = tonumber(ARGV[3])
local limits = { tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6]) }
local c = committed()
local h = held()
for w = 1, 3 do
  if limits[w] >= 0 and c[w] + h + add > limits[w] then return 0 end
end
redis.call('HINCRBY', KEYS[6], instance, add)
return 1
`;

/**
 * Settlement: the hold goes, the real cost is committed to every window, the tokens bucket is corrected by the
 * difference between the real and the estimated tokens. ARGV: now, instance, hold, cost, dayTtlMs, tpmCap,
 * tpmRate, tokenDiff, writer, number. Returns {hour, day, total, held}.
 *
 * Applied at most once: a writer (one connection of one instance) numbers its settlements in the order it sends
 * them, and Redis runs one connection's commands in that order, so a number at or below the writer's last is one
 * already applied. A settlement whose reply was lost is sent again under its first writer and number.
 */
export const SETTLE = `${COMMON}
local instance = ARGV[2]
local hold = tonumber(ARGV[3])
local cost = tonumber(ARGV[4])
local dayTtl = tonumber(ARGV[5])
local tpmCap, tpmRate = tonumber(ARGV[6]), tonumber(ARGV[7])
local diff = tonumber(ARGV[8])
local writer, number = ARGV[9], tonumber(ARGV[10])
if number <= (tonumber(redis.call('HGET', KEYS[10], writer)) or 0) then return spend(held()) end
redis.call('HSET', KEYS[10], writer, number)
if hold > 0 then
  local left = redis.call('HINCRBY', KEYS[6], instance, -hold)
  if left <= 0 then redis.call('HDEL', KEYS[6], instance) end
end
if cost > 0 then
  addToHour(now, cost)
  redis.call('INCRBY', KEYS[2], cost)
  redis.call('PEXPIRE', KEYS[2], dayTtl)
  redis.call('INCRBY', KEYS[1], cost)
end
if tpmCap > 0 and diff ~= 0 then
  local t, ts = level(KEYS[9], tpmCap, tpmRate)
  store(KEYS[9], math.min(tpmCap, t - diff), ts, tpmCap, tpmRate)
end
redis.call('SADD', KEYS[11], agentName)
return spend(held())
`;

/** Renews an instance's lease on its holds, on Redis's clock. ARGV: now (unused), instance, leaseMs. */
export const LEASE = `${COMMON}
local rnow = redisNow()
redis.call('ZADD', KEYS[7], rnow + tonumber(ARGV[3]), ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[7], '-inf', rnow - tonumber(ARGV[3]))
return 1
`;

/** Spend of one agent: {hour, day, total, held}. ARGV: now. */
export const SPEND = `${COMMON}
return spend(held())
`;

/**
 * Sets an instance's holds to what it knows it holds (after an outage a reply may have been lost with its hold
 * taken). ARGV: now, instance, nanos.
 */
export const SET_HELD = `${COMMON}
local nanos = tonumber(ARGV[3])
if nanos > 0 then redis.call('HSET', KEYS[6], ARGV[2], nanos) else redis.call('HDEL', KEYS[6], ARGV[2]) end
return 1
`;

/**
 * Puts an agent's last known spend back into a Redis that lost it (restarted without persistence): only when its
 * lifetime key is gone, so of several instances seeding at once, the first wins and the others change nothing.
 * The hour's sum comes back as one settlement at `now`. ARGV: now, hour, day (-1 when the day has changed since),
 * total. Returns 1 when it seeded.
 */
export const SEED = `${COMMON}
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('SADD', KEYS[11], agentName)
local hour, day, total = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
redis.call('SET', KEYS[1], total)
if day > 0 then
  redis.call('SET', KEYS[2], day)
  redis.call('PEXPIRE', KEYS[2], ${DAY_TTL_MS})
end
if hour > 0 then addToHour(now, hour) end
return 1
`;
