/**
 * The Lua scripts of the once database in Redis. Each runs atomically on the
 * server: nothing else happens between its read and its write.
 *
 * The layout (store.ts builds the names; SCOPE is the mailbox, OnceClaim.scope,
 * as UTF-8, '' when unknown; a scope never contains a NUL: the store refuses one):
 *
 *   PREFIX SCOPE \x00 KEY     an entry: a hash, t = last reply (ms since the
 *                             epoch, an integer in decimal), c = count, n = note
 *                             (UTF-8); it expires `keepMs` after the reply
 *                             (once_repeat, or --once-max-age when that is 0)
 *   PREFIX SCOPE \x01rate     the mailbox's rate history: a hash, field = 10-second
 *                             bucket (floor(ms / 10000)), value = replies in it;
 *                             buckets older than an hour and a minute go when a
 *                             new one starts, and the hash expires an hour and a
 *                             minute after the mailbox's last reply
 *
 * No two names collide: after the prefix, an entry's name has a NUL and the
 * first NUL ends the scope (so the scope and the key are both recovered, and the
 * key may be any bytes at all), while a rate history's name has no NUL and ends
 * in \x01rate after its scope. `SCAN MATCH PREFIX SCOPE \x00*` (glob characters
 * escaped) finds exactly one mailbox's entries, `PREFIX*` every mailbox's.
 *
 * The scripts write nothing before their last check, so that a write refused
 * by the server (a read-only replica, maxmemory) leaves nothing half done.
 */

/** Scripts are sent once per connection (EVAL), then by SHA1 (EVALSHA). */
export const CLAIM_LUA = `-- autoreply once claim, version 2
-- KEYS[1] the entry (PREFIX SCOPE NUL KEY), KEYS[2] the rate history of its mailbox (PREFIX SCOPE \\x01rate)
-- ARGV: now (ms), once_repeat (ms, 0 = never again), max replies per hour (0 = no limit),
--       keep (ms: the entry's time to live, 0 = none), '1' when a note follows, the note
-- Returns {'repeat', t, c, n} | {'rate', replies in the last hour} | {'send', t, c, n} (the entry before, if any)
local now = tonumber(ARGV[1])
local repeat_ms = tonumber(ARGV[2])
local max_per_hour = tonumber(ARGV[3])
local keep = tonumber(ARGV[4])
local prev = redis.call('HMGET', KEYS[1], 't', 'c', 'n')
if prev[1] then
  if repeat_ms <= 0 or now - tonumber(prev[1]) < repeat_ms then
    return {'repeat', prev[1], prev[2] or '1', prev[3]}
  end
end
local rate = nil
if max_per_hour > 0 then
  rate = redis.call('HGETALL', KEYS[2])
  local since = now - 3600000
  local n = 0
  for i = 1, #rate, 2 do
    if (tonumber(rate[i]) + 1) * 10000 > since then n = n + tonumber(rate[i + 1]) end
  end
  if n >= max_per_hour then
    return {'rate', tostring(n)}
  end
end
local count = 1
if prev[1] then count = tonumber(prev[2] or '1') + 1 end
if ARGV[5] == '1' then
  redis.call('HSET', KEYS[1], 't', ARGV[1], 'c', string.format('%d', count), 'n', ARGV[6])
else
  redis.call('HSET', KEYS[1], 't', ARGV[1], 'c', string.format('%d', count))
end
if keep > 0 then
  redis.call('PEXPIRE', KEYS[1], string.format('%d', keep))
else
  redis.call('PERSIST', KEYS[1])
end
local bucket = math.floor(now / 10000)
if redis.call('HINCRBY', KEYS[2], string.format('%d', bucket), 1) == 1 then
  -- a new bucket: drop those older than an hour and a minute
  local oldest = math.floor((now - 3660000) / 10000)
  local fields = redis.call('HKEYS', KEYS[2])
  for i = 1, #fields do
    if tonumber(fields[i]) < oldest then redis.call('HDEL', KEYS[2], fields[i]) end
  end
end
redis.call('PEXPIRE', KEYS[2], 3660000)
if prev[1] then
  return {'send', prev[1], prev[2] or '1', prev[3]}
end
return {'send'}
`;

/**
 * import: the LMDB merge rule, key by key in order (a key given twice merges
 * twice). An entry written gets the time to live its last reply leaves it
 * (last reply + keep - now; an existing longer one is kept, no TTL stays none);
 * one whose time is already over is skipped.
 */
export const MERGE_LUA = `-- autoreply once import, version 2
-- KEYS: entries (each in its own mailbox); ARGV[1] now (ms), ARGV[2] keep (ms, 0 = no expiry),
-- then per key: last reply (ms), count, '1' when a note follows, the note
-- Returns {added, updated, skipped}
local now = tonumber(ARGV[1])
local keep = tonumber(ARGV[2])
local added, updated, skipped = 0, 0, 0
for i = 1, #KEYS do
  local k = KEYS[i]
  local b = 2 + (i - 1) * 4
  local t = tonumber(ARGV[b + 1])
  local c = tonumber(ARGV[b + 2])
  local ttl = t + keep - now
  local prev = redis.call('HMGET', k, 't', 'c')
  if prev[1] and tonumber(prev[1]) >= t then
    if c > tonumber(prev[2] or '1') then redis.call('HSET', k, 'c', string.format('%d', c)) end
    skipped = skipped + 1
  elseif keep > 0 and ttl <= 0 then
    skipped = skipped + 1
  else
    local pttl = redis.call('PTTL', k)
    local pc = 0
    if prev[1] then pc = tonumber(prev[2] or '1') end
    redis.call('HSET', k, 't', ARGV[b + 1], 'c', string.format('%d', math.max(c, pc, 1)))
    if ARGV[b + 3] == '1' then redis.call('HSET', k, 'n', ARGV[b + 4]) end
    if keep > 0 and pttl ~= -1 then
      if pttl > ttl then ttl = pttl end
      redis.call('PEXPIRE', k, string.format('%d', ttl))
    end
    if prev[1] then updated = updated + 1 else added = added + 1 end
  end
end
return {added, updated, skipped}
`;

/**
 * prune and clear: remove the entries (of a batch found by SCAN) whose last
 * reply is before ARGV[1] (judged at the moment of removal), or every entry
 * with ARGV[1] = 'all'. A key that is no hash with a time `t` is not an entry: left alone.
 */
export const PRUNE_LUA = `-- autoreply once prune, version 2
local all = ARGV[1] == 'all'
local before = tonumber(ARGV[1])
local n = 0
for i = 1, #KEYS do
  local t = redis.pcall('HGET', KEYS[i], 't')
  if type(t) == 'string' and tonumber(t) and (all or tonumber(t) < before) then
    redis.call('DEL', KEYS[i])
    n = n + 1
  end
end
return n
`;
