//! The Redis layout of presence (see `presence`): key names, and the Lua scripts that change it
//! atomically, timed by Redis's own clock.

use std::sync::LazyLock;

use uuid::Uuid;

/// The sorted set of live instances.
pub const INSTANCES_KEY: &str = "vertechie:presence:instances";

pub fn user_key(user: Uuid) -> String {
    format!("vertechie:presence:user:{user}")
}

pub fn room_key(room: Uuid) -> String {
    format!("vertechie:presence:room:{room}")
}

pub fn instance_key(instance: Uuid) -> String {
    format!("vertechie:presence:instance:{instance}")
}

/// The entry of `user` in an instance's set.
pub fn user_entry(user: Uuid) -> String {
    format!("u:{user}")
}

/// The entry of `user` watching `room` in an instance's set.
pub fn room_entry(room: Uuid, user: Uuid) -> String {
    format!("r:{room}:{user}")
}

/// Dead instances claimed per heartbeat.
pub(crate) const REAP_BATCH: usize = 10;
/// Entries refreshed per script call.
pub(crate) const REFRESH_CHUNK: usize = 500;

const LUA_PRELUDE: &str = r"
local function clock()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local function touch(key, member, exp, now)
  redis.call('ZADD', key, exp, member)
  if redis.call('PTTL', key) < exp - now then
    redis.call('PEXPIRE', key, exp - now)
  end
end
local function has_prefix(key, prefix)
  for _, m in ipairs(redis.call('ZRANGE', key, 0, -1)) do
    if string.sub(m, 1, #prefix) == prefix then return true end
  end
  return false
end
";

fn script(body: &str) -> redis::Script {
    redis::Script::new(&format!("{LUA_PRELUDE}\n{body}"))
}

/// KEYS: user key, instance set, instances. ARGV: instance, ttl ms, entry. → live entries.
pub(crate) static USER_UP: LazyLock<redis::Script> = LazyLock::new(|| {
    script(
        r"
local now = clock()
local ttl = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
touch(KEYS[1], ARGV[1], now + ttl, now)
redis.call('SADD', KEYS[2], ARGV[3])
redis.call('PEXPIRE', KEYS[2], ttl * 20)
redis.call('ZADD', KEYS[3], now + ttl, ARGV[1])
return redis.call('ZCARD', KEYS[1])
",
    )
});

/// KEYS: user key, instance set. ARGV: instance, entry. → live entries left.
pub(crate) static USER_DOWN: LazyLock<redis::Script> = LazyLock::new(|| {
    script(
        r"
local now = clock()
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('SREM', KEYS[2], ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
return redis.call('ZCARD', KEYS[1])
",
    )
});

/// KEYS: room key, instance set, instances. ARGV: instance, ttl ms, user, entry.
/// → 1 when the user was not watching the room from any instance before.
pub(crate) static ROOM_UP: LazyLock<redis::Script> = LazyLock::new(|| {
    script(
        r"
local now = clock()
local ttl = tonumber(ARGV[2])
local prefix = ARGV[3] .. ':'
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local had = has_prefix(KEYS[1], prefix)
touch(KEYS[1], prefix .. ARGV[1], now + ttl, now)
redis.call('SADD', KEYS[2], ARGV[4])
redis.call('PEXPIRE', KEYS[2], ttl * 20)
redis.call('ZADD', KEYS[3], now + ttl, ARGV[1])
if had then return 0 end
return 1
",
    )
});

/// KEYS: room key, instance set. ARGV: instance, user, entry.
/// → 1 when the user no longer watches the room from any instance.
pub(crate) static ROOM_DOWN: LazyLock<redis::Script> = LazyLock::new(|| {
    script(
        r"
local now = clock()
local prefix = ARGV[2] .. ':'
redis.call('ZREM', KEYS[1], prefix .. ARGV[1])
redis.call('SREM', KEYS[2], ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if has_prefix(KEYS[1], prefix) then return 0 end
return 1
",
    )
});

/// KEYS: user keys. → live entries of each.
pub(crate) static ONLINE: LazyLock<redis::Script> = LazyLock::new(|| {
    script(
        r"
local now = clock()
local out = {}
for i, k in ipairs(KEYS) do out[i] = redis.call('ZCOUNT', k, '(' .. now, '+inf') end
return out
",
    )
});

/// KEYS: room key. → live members (`{user}:{instance}`).
pub(crate) static ROOM_ONLINE: LazyLock<redis::Script> = LazyLock::new(|| {
    script(
        r"
return redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. clock(), '+inf')
",
    )
});

/// KEYS: instances, instance set, data keys (n). ARGV: instance, ttl ms, n, members (n),
/// entries (n). → 1 when the instance had been dropped from the live instances meanwhile.
pub(crate) static REFRESH: LazyLock<redis::Script> = LazyLock::new(|| {
    script(
        r"
local now = clock()
local ttl = tonumber(ARGV[2])
local n = tonumber(ARGV[3])
local added = redis.call('ZADD', KEYS[1], now + ttl, ARGV[1])
for i = 1, n do
  touch(KEYS[2 + i], ARGV[3 + i], now + ttl, now)
  redis.call('SADD', KEYS[2], ARGV[3 + n + i])
end
redis.call('PEXPIRE', KEYS[2], ttl * 20)
return added
",
    )
});

/// KEYS: instances. ARGV: max, lease ms. → instances whose entry expired, now leased to the
/// caller: their expiry moves a lease ahead, so no other instance claims them meanwhile, and if
/// the caller dies while cleaning up, another takes over when the lease runs out.
pub(crate) static CLAIM_DEAD: LazyLock<redis::Script> = LazyLock::new(|| {
    script(
        r"
local now = clock()
local dead = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, tonumber(ARGV[1]))
for _, d in ipairs(dead) do redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), d) end
return dead
",
    )
});
