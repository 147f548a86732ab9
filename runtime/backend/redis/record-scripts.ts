/**
 * Lua scripts for records: each write, its index moves and its change
 * message happen atomically, so a listener never sees a change the store
 * does not hold, and a stale writer cannot reopen a final record.
 */

/**
 * KEYS: record, all index, function index, final index, 5 status indexes (STATUS_ORDER).
 * ARGV: mode ('create' | 'patch'), id, createdAt, now, status, json (whole record
 * or the fields to change), channel, functionName, identity JSON ('' for none),
 * reply ('record' | 'code').
 * Returns, when written, the change message (the record as written) if ARGV[10]
 * is 'record', else 1 (most writers do not read it back: no reply to send and
 * parse); 0 already exists (create), -1 record is final (patch), -2 record
 * missing (patch).
 *
 * One HMGET reads all a patch needs (status, record, identity), and a create
 * writes its hash in one HSET: every event runs this twice (accepted, final),
 * so each call it saves is one fewer per event on the Redis everyone shares.
 */
export const PUT_RECORD_LUA = `
local statusKeys = { QUEUED = 5, RUNNING = 6, SUCCEEDED = 7, FAILED = 8, EXPIRED = 9 }
local final = { SUCCEEDED = true, FAILED = true, EXPIRED = true }
local json, identity
if ARGV[1] == 'create' then
  if redis.call('HGET', KEYS[1], 'status') then return 0 end
  json = ARGV[6]
  if ARGV[9] ~= '' then
    identity = ARGV[9]
    redis.call('HSET', KEYS[1], 'json', json, 'status', ARGV[5], 'fn', ARGV[8], 'identity', identity)
  else
    redis.call('HSET', KEYS[1], 'json', json, 'status', ARGV[5], 'fn', ARGV[8])
  end
  redis.call('ZADD', KEYS[2], ARGV[3], ARGV[2])
  redis.call('ZADD', KEYS[3], ARGV[3], ARGV[2])
else
  local stored = redis.call('HMGET', KEYS[1], 'status', 'json', 'identity')
  local old = stored[1]
  if not old then return -2 end
  if final[old] then return -1 end
  local record = cjson.decode(stored[2])
  for k, v in pairs(cjson.decode(ARGV[6])) do record[k] = v end
  -- A success is the final outcome (as in Lambda): a patch only adds fields, so the error an earlier
  -- attempt left while retrying is dropped here, where every writer of a SUCCEEDED record passes.
  if ARGV[5] == 'SUCCEEDED' then record.error = nil end
  json = cjson.encode(record)
  identity = stored[3]
  if old ~= ARGV[5] then redis.call('ZREM', KEYS[statusKeys[old]], ARGV[2]) end
  redis.call('HSET', KEYS[1], 'json', json, 'status', ARGV[5])
end
redis.call('ZADD', KEYS[statusKeys[ARGV[5]]], ARGV[3], ARGV[2])
if final[ARGV[5]] then redis.call('ZADD', KEYS[4], ARGV[4], ARGV[2]) end
local message = '{"record":' .. json
if identity then message = message .. ',"identity":' .. identity end
message = message .. '}'
redis.call('PUBLISH', ARGV[7], message)
if ARGV[10] == 'record' then return message end
return 1
`;

/**
 * KEYS: final index, all index, 5 status indexes.
 * ARGV: cutoff (exclusive), record key prefix, function index prefix, batch size.
 * Returns how many records were deleted.
 */
export const PRUNE_RECORDS_LUA = `
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', '(' .. ARGV[1], 'LIMIT', 0, tonumber(ARGV[4]))
for _, id in ipairs(ids) do
  local key = ARGV[2] .. id
  local fn = redis.call('HGET', key, 'fn')
  if fn then redis.call('ZREM', ARGV[3] .. fn, id) end
  redis.call('DEL', key)
  for i = 1, 7 do redis.call('ZREM', KEYS[i], id) end
end
return #ids
`;

/**
 * KEYS: record, all index, function index, 5 status indexes. ARGV: id.
 * Undoes a create whose queue job could not be added.
 */
export const DELETE_RECORD_LUA = `
redis.call('DEL', KEYS[1])
for i = 2, 8 do redis.call('ZREM', KEYS[i], ARGV[1]) end
return 1
`;
