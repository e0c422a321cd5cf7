"""The Redis store: jobs shared by worker processes on many machines (``redis://host:6379/0``).

Design. Every store operation is ONE Lua script (``EVALSHA``, reloaded after a restart), so each
state change is atomic on the server with no lock across calls and no client-side read-then-write:
the bound of the queue, the claim, the fenced completion, cancel and supersede, the reclaim of
expired leases. The alternatives the job system must not copy are in docs/jobs-redis.md: a stream
trimmed with ``MAXLEN`` (drops the oldest jobs instead of refusing the new one), reclaim by idle
time (re-runs jobs that are still running), a bare ``PUBLISH`` cancel (lost by a node that is
reconnecting), a heartbeat on the handlers' own thread (starved by a CPU-bound handler).

Leases are on the Redis server's clock (``TIME`` inside the scripts), never on a node's: nodes
whose clocks disagree still agree on when a lease expired. A claim records the lease length; an OS
thread of this store (the *watcher*, with connections of its own) renews the leases of the jobs
this store claimed every ``min(lease/3, 1 s)``, whatever the handlers do on the scheduler's thread,
and learns of cancels two ways: at once from a pub/sub message, and durably from the job's record,
checked on every heartbeat (a node that missed the message while reconnecting still learns within
one heartbeat). What it learns waits in ``_gone`` until the runtime's next ``renew`` call collects
it; the watcher wakes the runtime for it (``on_notice``: the runtime's ``ThreadBridge``), and never
touches the scheduler itself.

A store given a ``clock`` (a test on virtual time) keeps every time on that clock instead, so that
what it does depends on the clock alone, never on real time or a thread's timing: the scripts take
leases and worker registrations from the caller's ``now``, no watcher starts (every ``renew``
reads the job records; the worker registers at claims), and an idle node rechecks after
``idle_recheck`` seconds of the clock.

Latest wins: each key has a sequence (``kseq:<key>``) incremented by every submit with that key;
a job records the value it got. Submit supersedes the key's live job in the same script; claim
skips (supersedes) a queued job whose sequence is behind; completion requires ``state = running``,
``version = token`` and the key's sequence unchanged.

Keys (``P`` is the prefix, ``{gochan:jobs}:`` by default; the braces keep every key in one slot of
a cluster)::

  P job:<id>      hash: the job's fields, plus rseq (its place in the queue), kseq, lost;
                  attempts, version and lost are absent until first incremented (absent: 0)
  P ready:<name>  list: ids of due queued jobs of that name, FIFO (cancelled ones removed lazily)
  P delayed       zset: retries waiting for their run_after (score)
  P running       zset: running jobs by lease deadline (server ms)
  P all           zset: every job by submit order (list, ls), until the retention removes it
  P counts        hash: jobs per state (counts[queued]: the bound);  P seq  orders submits and enqueues
  P live:<key>    the id of the key's live job;  P kseq:<key>  the key's sequence
  P finished      zset: finished jobs by finished_at (the retention removes the oldest)
  P names         set: every name a ready list was made for;  P workers  zset: live workers by expiry
  P wnames:<w>    set: the names worker w handles (expires with it)
  P events        pub/sub channel: "<state> <id>" when a running job is cancelled or superseded;
                  "work -" when work arrives after two claims in a row found none (P idle set)

Invariants (between scripts):
  state(j) = queued   iff  j is in exactly one of ready:<name(j)>, delayed  (ready may also hold stale ids)
  counts[s]           the number of jobs in state s, plus (final s) the jobs in s the retention removed
  live:<k> = j        iff  key(j) = k and state(j) in (queued, running)
  j in running        iff  state(j) = running
  j in finished       iff  state(j) is final (a job the retention removed is in no key at all)

Calls block on the network: the runtime makes them with ``gochan.to_thread`` (``blocking``). Each
OS thread runs the scripts on a connection of its own, without redis-py's pool and per-command
wrappers (half the client's cost of a call); completions made by several threads at once share one
script call (group commit, ``_commit``). While Redis is unreachable, the calls a client makes
(submit, cancel, reads) raise ``StoreUnavailableError`` at once; a worker's calls (claim,
complete, hand back) retry with backoff, so workers ride out a restart.
"""

from __future__ import annotations

import json
import re
import threading
import time
import warnings
import weakref
from collections.abc import Callable, Collection, Mapping, Sequence
from typing import Any, Final, TypeVar, final
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import redis
from redis import exceptions as rexc
from redis.backoff import ExponentialBackoff
from redis.retry import Retry as RedisRetry

from .model import ClaimedJob, JobInfo, Outcome, QueueFullError, Retry, State, StoreUnavailableError
from .store import MAX_LOST

__all__ = ["RedisStore"]

T = TypeVar("T")

_DOWN: Final = (rexc.ConnectionError, rexc.TimeoutError)  # BusyLoadingError (AOF replay) is a ConnectionError
_FIELDS: Final = (
    "name", "payload", "state", "key", "timeout", "retry", "attempts", "version", "worker", "created_at",
    "started_at", "finished_at", "run_after", "result", "error", "progress", "message",
)  # fmt: skip

# -- the scripts ---------------------------------------------------------------------------------
# KEYS[1] is the prefix; every key a script touches is built from it (one slot with the braces).

_LIB: Final = """
local P = KEYS[1]
local function jk(id) return P .. 'job:' .. id end
-- the lease clock in ms: the store's clock when the caller passed it (a store given a clock), else
-- the server's TIME
local function now_ms(given)
  if given ~= '' then return tonumber(given) end
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
-- n jobs (default 1) went from state 'from' (false: none, a submit) to state 'to'
local function count(from, to, n)
  n = n or 1
  if from then redis.call('HINCRBY', P .. 'counts', from, -n) end
  redis.call('HINCRBY', P .. 'counts', to, n)
end
local function nqueued() return tonumber(redis.call('HGET', P .. 'counts', 'queued') or '0') end
-- one command over many arguments (ZADD, ZREM), in chunks (unpack has a limit)
local function each(cmd, key, args)
  for i = 1, #args, 512 do
    redis.call(cmd, key, unpack(args, i, math.min(i + 511, #args)))
  end
end
-- new work: tell the idle nodes (a claim that found nothing, the second in a row, set 'idle'), once
local function wake()
  if redis.call('GET', P .. 'idle') then
    redis.call('DEL', P .. 'idle')
    redis.call('PUBLISH', P .. 'events', 'work -')
  end
end
-- the tail of a name's ready list; a list made anew puts its name in 'names' (the unhandled sweep's)
local function push(id, name)
  if redis.call('RPUSH', P .. 'ready:' .. name, id) == 1 then redis.call('SADD', P .. 'names', name) end
  wake()
end
local function enqueue(id, name)
  redis.call('HSET', jk(id), 'rseq', redis.call('INCR', P .. 'seq'))
  push(id, name)
end
-- queued or running -> a final state, version+1; the key freed; a running job's node told at once
local function finish(id, from, to, now, err)
  local j = jk(id)
  redis.call('HSET', j, 'state', to, 'finished_at', now)
  redis.call('ZADD', P .. 'finished', now, id)
  if err then redis.call('HSET', j, 'error', err) end
  redis.call('HINCRBY', j, 'version', 1)
  if from == 'queued' then
    redis.call('ZREM', P .. 'delayed', id)
  else
    redis.call('ZREM', P .. 'running', id)
    redis.call('PUBLISH', P .. 'events', to .. ' ' .. id)
  end
  count(from, to)
  local k = redis.call('HGET', j, 'key')
  if k and redis.call('GET', P .. 'live:' .. k) == id then redis.call('DEL', P .. 'live:' .. k) end
end
-- retention: delete up to n finished jobs that finished before cutoff ('' for none), and the oldest
-- beyond max finished jobs ('' for no bound); counts still count them (a running total, as the
-- memory store's); a key's sequence goes with its last job when the key has no live job (a later
-- submit starts it again: no job of the key is left to compare)
local function sweep(cutoff, max, n)
  local ids = {}
  if cutoff ~= '' then ids = redis.call('ZRANGEBYSCORE', P .. 'finished', '-inf', '(' .. cutoff, 'LIMIT', 0, n) end
  if max ~= '' and #ids < n then
    local over = redis.call('ZCARD', P .. 'finished') - #ids - tonumber(max)
    if over > 0 then ids = redis.call('ZRANGE', P .. 'finished', 0, #ids + math.min(over, n - #ids) - 1) end
  end
  for _, id in ipairs(ids) do
    local j = jk(id)
    local f = redis.call('HMGET', j, 'state', 'key', 'kseq')
    if f[1] then
      if f[2] and redis.call('EXISTS', P .. 'live:' .. f[2]) == 0
        and redis.call('GET', P .. 'kseq:' .. f[2]) == f[3] then
        redis.call('DEL', P .. 'kseq:' .. f[2])
      end
      redis.call('DEL', j)
    end
    redis.call('ZREM', P .. 'all', id)
    redis.call('ZREM', P .. 'finished', id)
  end
end
local function requeue(id, now)  -- running -> queued (hand back, reclaim), version+1
  local j = jk(id)
  redis.call('HSET', j, 'state', 'queued', 'run_after', now)
  redis.call('HDEL', j, 'worker')
  redis.call('HINCRBY', j, 'version', 1)
  redis.call('ZREM', P .. 'running', id)
  count('running', 'queued')
  enqueue(id, redis.call('HGET', j, 'name'))
end
"""

# ARGV: id name payload key timeout retry created_at run_after capacity  ->  {1, superseded id or ''} | {0} | {-1}
# (attempts, version and lost are absent until first incremented: absent reads as 0)
_SUBMIT: Final = """
local id, name, payload, key = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local j = jk(id)
if redis.call('EXISTS', j) == 1 then
  local f = redis.call('HMGET', j, 'name', 'payload', 'created_at', 'supersedes')
  if f[1] == name and f[2] == payload and f[3] == ARGV[7] then return {1, f[4] or ''} end  -- a retried call
  return {-1}
end
local old, ostate = false, false
if key ~= '' then
  old = redis.call('GET', P .. 'live:' .. key)
  if old then ostate = redis.call('HGET', jk(old), 'state') end
end
if ostate ~= 'queued' and nqueued() >= tonumber(ARGV[9]) then return {0} end
if old then finish(old, ostate, 'superseded', ARGV[7]) end
local seq = redis.call('INCR', P .. 'seq')
local due = tonumber(ARGV[8]) <= tonumber(ARGV[7])
local h = {'HSET', j, 'name', name, 'payload', payload, 'state', 'queued', 'retry', ARGV[6],
  'created_at', ARGV[7], 'run_after', ARGV[8]}
if due then h[#h + 1] = 'rseq'; h[#h + 1] = seq end  -- its place in the queue: the submit's
if ARGV[5] ~= '' then h[#h + 1] = 'timeout'; h[#h + 1] = ARGV[5] end
if key ~= '' then
  h[#h + 1] = 'key'; h[#h + 1] = key
  h[#h + 1] = 'kseq'; h[#h + 1] = redis.call('INCR', P .. 'kseq:' .. key)
  redis.call('SET', P .. 'live:' .. key, id)
end
if old then h[#h + 1] = 'supersedes'; h[#h + 1] = old end
redis.call(unpack(h))
redis.call('ZADD', P .. 'all', seq, id)
count(false, 'queued')
if due then
  push(id, name)
else
  redis.call('ZADD', P .. 'delayed', ARGV[8], id)
  wake()
end
return {1, old or ''}
"""

# ARGV: worker limit lease_ms now tms notice name...  (tms: the lease clock's now in ms, or '' for the
# server's; notice 1: when it finds nothing, the next work is announced, see wake)
#   ->  {earliest retry's run_after or '', then flat id name payload key timeout retry attempts version...}
_CLAIM: Final = """
local worker, limit, now = ARGV[1], tonumber(ARGV[2]), ARGV[4]
-- due retries to their lists (looked for only when the earliest is due: most claims find none)
local due = redis.call('ZRANGE', P .. 'delayed', 0, 0, 'WITHSCORES')
if due[2] and tonumber(due[2]) <= tonumber(now) then
  for _, id in ipairs(redis.call('ZRANGEBYSCORE', P .. 'delayed', '-inf', now, 'LIMIT', 0, 1000)) do
    redis.call('ZREM', P .. 'delayed', id)
    local f = redis.call('HMGET', jk(id), 'state', 'name')
    if f[1] == 'queued' then enqueue(id, f[2]) end
  end
  due = redis.call('ZRANGE', P .. 'delayed', 0, 0, 'WITHSCORES')
end
-- Each name's ready list is read in windows of ids (LRANGE) and cut once at the end (LTRIM) by
-- what this claim went through: l.used ids from its head (taken, or stale and dropped).
local ls = {}
local seen = {}
for i = 7, #ARGV do
  if not seen[ARGV[i]] then
    seen[ARGV[i]] = true
    ls[#ls + 1] = {name = ARGV[i], list = P .. 'ready:' .. ARGV[i], ids = {}, i = 1, used = 0}
  end
end
-- the head of list l: its oldest live queued job and the fields a claim needs (stale ids dropped; a
-- job behind its key's sequence is superseded here); read once, until taken
local function head(l)
  while not l.f do
    if l.i > #l.ids then
      if l.ended then return nil end
      l.ids = redis.call('LRANGE', l.list, l.used, l.used + limit - 1)
      l.i, l.ended = 1, #l.ids < limit
      if #l.ids == 0 then return nil end
    end
    local id = l.ids[l.i]
    local f = redis.call('HMGET', jk(id), 'state', 'rseq', 'key', 'kseq', 'payload', 'timeout', 'retry',
      'version', 'attempts', 'progress', 'message')
    if f[1] == 'queued' and f[3] and redis.call('GET', P .. 'kseq:' .. f[3]) ~= f[4] then
      finish(id, 'queued', 'superseded', now)
    elseif f[1] == 'queued' then
      l.id, l.f, l.rseq = id, f, tonumber(f[2])
    end
    if not l.f then l.i, l.used = l.i + 1, l.used + 1 end
  end
  return l
end
local out = {due[2] or ''}
local lease = nil  -- read at the first job taken (TIME): a claim that finds nothing needs none
local running = {}
while #running < 2 * limit do
  local best = nil
  for _, l in ipairs(ls) do
    if head(l) and (not best or l.rseq < best.rseq) then best = l end
  end
  if not best then break end
  local id, f = best.id, best.f
  best.f, best.i, best.used = nil, best.i + 1, best.used + 1
  local j = jk(id)
  local v, a = tonumber(f[8] or '0') + 1, tonumber(f[9] or '0') + 1
  lease = lease or now_ms(ARGV[5]) + tonumber(ARGV[3])
  redis.call('HSET', j, 'state', 'running', 'worker', worker, 'started_at', now, 'version', v, 'attempts', a)
  if f[10] or f[11] then redis.call('HDEL', j, 'progress', 'message') end
  running[#running + 1] = lease; running[#running + 1] = id
  local n = #out
  out[n + 1], out[n + 2], out[n + 3], out[n + 4] = id, best.name, f[5], f[3] or ''
  out[n + 5], out[n + 6], out[n + 7], out[n + 8] = f[6] or '', f[7], a, v
end
for _, l in ipairs(ls) do
  if l.used > 0 then redis.call('LTRIM', l.list, l.used, -1) end
end
if #running > 0 then
  each('ZADD', P .. 'running', running)
  count('queued', 'running', #running / 2)
elseif ARGV[6] == '1' then
  redis.call('SET', P .. 'idle', 1)
end
return out
"""

# ARGV: extend(0|1) worker names_csv worker_ttl_ms tms, then id token lease_ms triples
#   -> flat {id state} for the jobs not held any more
_RENEW: Final = """
local now = now_ms(ARGV[5])
local out = {}
for i = 6, #ARGV, 3 do
  local id = ARGV[i]
  local f = redis.call('HMGET', jk(id), 'state', 'version')
  if f[1] == 'running' and f[2] == ARGV[i + 1] then
    if ARGV[1] == '1' then redis.call('ZADD', P .. 'running', 'XX', now + tonumber(ARGV[i + 2]), id) end
  else
    table.insert(out, id); table.insert(out, f[1] or 'cancelled')
  end
end
if ARGV[2] ~= '' then  -- the worker's registration: what it handles, for the sweep of unhandled jobs
  redis.call('ZADD', P .. 'workers', now + tonumber(ARGV[4]), ARGV[2])
  local w = P .. 'wnames:' .. ARGV[2]
  redis.call('DEL', w)
  for name in string.gmatch(ARGV[3], '[^,]+') do redis.call('SADD', w, name) end
  if ARGV[5] == '' then redis.call('PEXPIRE', w, tonumber(ARGV[4])) end  -- else the sweep deletes it
end
return out
"""

# ARGV: cutoff keep_finished (retention, see sweep), then groups of 8: id token state result error now
# retry_at capacity  ->  {1 | 0 per group}  (several handlers' completions in one call: see
# RedisStore._commit; each removes up to two jobs past the retention, so removal keeps pace). The
# job records change per group; the running and finished sets and the counts once for the call.
_COMPLETE: Final = """
local finished, ended, by = {}, {}, {}
local function complete(b)
  local id = ARGV[b]
  local j = jk(id)
  local f = redis.call('HMGET', j, 'state', 'version', 'key', 'kseq')
  if f[1] ~= 'running' or f[2] ~= ARGV[b + 1] then return 0 end
  if f[3] and redis.call('GET', P .. 'kseq:' .. f[3]) ~= f[4] then
    finish(id, 'running', 'superseded', ARGV[b + 5])  -- a newer job of the key exists: never a success
    return 0
  end
  local err = ARGV[b + 4]
  if ARGV[b + 6] ~= '' then
    if nqueued() < tonumber(ARGV[b + 7]) then
      redis.call('HSET', j, 'state', 'queued', 'run_after', ARGV[b + 6], 'error', err)
      redis.call('HDEL', j, 'worker')
      redis.call('ZREM', P .. 'running', id)
      redis.call('ZADD', P .. 'delayed', ARGV[b + 6], id)
      wake()
      count('running', 'queued')
      return 1
    end
    err = err .. '; not retried: max capacity reached'
  end
  local state = ARGV[b + 2]
  local h = {'HSET', j, 'state', state, 'finished_at', ARGV[b + 5]}
  if ARGV[b + 3] ~= '' then h[#h + 1] = 'result'; h[#h + 1] = ARGV[b + 3] end
  if err ~= '' then h[#h + 1] = 'error'; h[#h + 1] = err end
  redis.call(unpack(h))
  finished[#finished + 1] = ARGV[b + 5]; finished[#finished + 1] = id
  ended[#ended + 1] = id
  by[state] = (by[state] or 0) + 1
  if f[3] and redis.call('GET', P .. 'live:' .. f[3]) == id then redis.call('DEL', P .. 'live:' .. f[3]) end
  return 1
end
local out = {}
for b = 3, #ARGV, 8 do out[#out + 1] = complete(b) end
if #ended > 0 then
  each('ZADD', P .. 'finished', finished)
  each('ZREM', P .. 'running', ended)
  redis.call('HINCRBY', P .. 'counts', 'running', -#ended)
  for state, n in pairs(by) do redis.call('HINCRBY', P .. 'counts', state, n) end
end
sweep(ARGV[1], ARGV[2], 2 * #out)
return out
"""

# ARGV: id token fraction message  ->  1 | 0
_PROGRESS: Final = """
local f = redis.call('HMGET', jk(ARGV[1]), 'state', 'version')
if f[1] ~= 'running' or f[2] ~= ARGV[2] then return 0 end
redis.call('HSET', jk(ARGV[1]), 'progress', ARGV[3], 'message', ARGV[4])
return 1
"""

# ARGV: id now  ->  1 | 0
_CANCEL: Final = """
local s = redis.call('HGET', jk(ARGV[1]), 'state')
if s ~= 'queued' and s ~= 'running' then return 0 end
finish(ARGV[1], s, 'cancelled', ARGV[2])
return 1
"""

# ARGV: now worker, then id token pairs  ->  the ids handed back
_HAND_BACK: Final = """
local out = {}
for i = 3, #ARGV, 2 do
  local id = ARGV[i]
  local f = redis.call('HMGET', jk(id), 'state', 'version')
  if f[1] == 'running' and f[2] == ARGV[i + 1] then
    redis.call('HINCRBY', jk(id), 'attempts', -1)
    requeue(id, ARGV[1])
    table.insert(out, id)
  end
end
redis.call('ZREM', P .. 'workers', ARGV[2])
redis.call('DEL', P .. 'wnames:' .. ARGV[2])
return out
"""

# ARGV: now max_lost unhandled_after tms cutoff keep_finished  ->  the ids reclaimed or failed
_RECLAIM: Final = """
local now, ms = ARGV[1], now_ms(ARGV[4])
local out = {}
for _, id in ipairs(redis.call('ZRANGEBYSCORE', P .. 'running', '-inf', ms, 'LIMIT', 0, 1000)) do
  local lost = redis.call('HINCRBY', jk(id), 'lost', 1)
  if lost >= tonumber(ARGV[2]) then finish(id, 'running', 'failed', now, 'worker lost') else requeue(id, now) end
  table.insert(out, id)
end
-- queued jobs no live worker handles fail once they waited unhandled_after: a clear error, not a
-- job that waits forever
for _, w in ipairs(redis.call('ZRANGEBYSCORE', P .. 'workers', '-inf', ms)) do
  redis.call('DEL', P .. 'wnames:' .. w)
end
redis.call('ZREMRANGEBYSCORE', P .. 'workers', '-inf', ms)
local live = redis.call('ZRANGE', P .. 'workers', 0, -1)
if #live > 0 then
  local handled, known = {}, {}
  for _, w in ipairs(live) do
    for _, n in ipairs(redis.call('SMEMBERS', P .. 'wnames:' .. w)) do handled[n] = true; known[#known + 1] = n end
  end
  table.sort(known)
  for _, n in ipairs(redis.call('SMEMBERS', P .. 'names')) do
    if not handled[n] then
      local list = P .. 'ready:' .. n
      while true do
        local id = redis.call('LINDEX', list, 0)
        if not id then break end
        local f = redis.call('HMGET', jk(id), 'state', 'run_after')
        if f[1] == 'queued' then
          if tonumber(f[2]) > tonumber(now) - tonumber(ARGV[3]) then break end
          finish(id, 'queued', 'failed', now, 'no worker handles jobs named ' .. n .. ' (the live workers handle: '
            .. table.concat(known, ', ') .. '): register a handler for it on a worker')
          table.insert(out, id)
        end
        redis.call('LPOP', list)
      end
    end
  end
end
sweep(ARGV[5], ARGV[6], 1000)
return out
"""


def _redact(url: str) -> str:
    """The URL without its password (for messages and repr)."""
    return re.sub(r"(//[^:/@]*:)[^@/]*@", r"\1***@", url)


def _f(x: bytes | None) -> float | None:
    return None if x is None else float(x)


def _s(x: bytes | None) -> str | None:
    return None if x is None else x.decode()


@final
class _Default:
    """The type of a parameter left out (None means "no limit" for the retention parameters)."""


_DEFAULT: Final = _Default()


def _opt(text: str | None, kind: Callable[[str], T], default: T) -> T | None:
    """A retention URL parameter: absent -> default; "none" -> None (no limit); else ``kind(text)``."""
    if text is None:
        return default
    return None if text.lower() == "none" else kind(text)


def _split_url(url: str) -> tuple[str, dict[str, str]]:
    """Take this store's own query parameters (prefix, max_payload, ...) out of a redis-py URL."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query)
    own = {"prefix", "max_payload", "unhandled_after", "retention", "keep_finished"}
    mine = {k: v for k, v in query if k in own}
    rest = urlencode([(k, v) for k, v in query if k not in own])
    return urlunsplit(parts._replace(query=rest)), mine


@final
class _Pending:
    """A completion waiting for its batch's script call: its arguments, then its reply (or error)."""

    __slots__ = ("args", "result")

    def __init__(self, args: list[Any]) -> None:
        self.args = args
        self.result: bool | BaseException | None = None


@final
class RedisStore:
    """Jobs in a Redis server, shared by every process that opens it. See :class:`gochan.jobs.store.Store`.

    ``url``: ``redis://[user:password@]host:port/db`` or ``rediss://`` (TLS; redis-py's ``ssl_*``
    query parameters apply), optionally with ``prefix=``, ``max_payload=``, ``unhandled_after=``,
    ``retention=`` and ``keep_finished=`` query parameters for this store. ``max_payload``: the
    largest payload in bytes (JSON text); ``unhandled_after``: seconds after which a queued job that
    no live worker handles fails; ``retention``: seconds a finished job is kept (default one day)
    and ``keep_finished``: how many finished jobs are kept at most (default 1 000 000), the oldest
    removed first — None (URL: ``none``) for no limit; removal happens at completions (two per
    completion at most) and at every worker's reclaim (1 000 at most), so it keeps pace with work,
    and ``counts`` still counts the removed jobs (as the memory store's ``keep_finished``);
    ``reconnect_for``: how long a worker's call (claim, complete, hand back) keeps retrying while
    Redis is unreachable before giving up (the job's lease then decides).

    Raises StoreUnavailableError at once when the server cannot be reached or refuses the
    credentials; warns (RuntimeWarning) when its ``maxmemory-policy`` may evict keys.
    """

    durable = True
    blocking = True

    def __init__(
        self,
        url: str = "redis://127.0.0.1:6379/0",
        *,
        prefix: str | None = None,
        clock: Callable[[], float] | None = None,
        poll_interval: float = 0.01,
        max_payload: int | None = None,
        unhandled_after: float | None = None,
        retention: float | _Default | None = _DEFAULT,
        keep_finished: int | _Default | None = _DEFAULT,
        reconnect_for: float = 60.0,
    ) -> None:
        url, own = _split_url(url)
        self.url = _redact(url)
        self.clock: Callable[[], float] = clock or time.time
        self._clocked = clock is not None  # leases, registrations and idle rechecks on self.clock
        self.poll_interval = poll_interval
        self.prefix = prefix or own.get("prefix", "{gochan:jobs}:")
        self.max_payload = max_payload or int(own.get("max_payload", 1 << 20))
        self.unhandled_after = (
            unhandled_after if unhandled_after is not None else float(own.get("unhandled_after", 60.0))
        )
        self.reconnect_for = reconnect_for
        self.retention: float | None = (
            _opt(own.get("retention"), float, 86_400.0) if isinstance(retention, _Default) else retention
        )
        self.keep_finished: int | None = (
            _opt(own.get("keep_finished"), int, 1_000_000) if isinstance(keep_finished, _Default) else keep_finished
        )
        self._raw_url = url
        self._r = self._client()
        self._keys = [self.prefix]
        self._scripts = {
            name: self._r.register_script(_LIB + body)
            for name, body in (
                ("submit", _SUBMIT), ("claim", _CLAIM), ("renew", _RENEW), ("complete", _COMPLETE),
                ("progress", _PROGRESS), ("cancel", _CANCEL), ("hand_back", _HAND_BACK), ("reclaim", _RECLAIM),
            )
        }  # fmt: skip
        self._mu = threading.Lock()
        self._local = threading.local()  # .conn: this thread's connection for the scripts (_conn)
        self._conns: weakref.WeakSet[Any] = weakref.WeakSet()  # _conn's connections still open, for close()
        self._commits = threading.Condition()  # guards _queue and _committing (see _commit)
        self._queue: list[_Pending] = []
        self._committing = False
        self._held: dict[str, tuple[int, int]] = {}  # claimed here and not completed: id -> (token, lease ms)
        self._gone: dict[str, State] = {}  # held jobs the watcher learned were taken away: id -> state now
        self._worker: str | None = None
        self._names = ""
        self._lease_ms = 30_000
        self._watcher: threading.Thread | None = None
        self._subscribed = threading.Event()
        self._dirty = threading.Event()  # set by the watcher: new work was announced
        self._last_empty: float | None = None  # when the last claim found nothing (clock if _clocked, else monotonic)
        self._noticed = False  # the last claim found nothing and asked for a notice of new work
        self._registered_until = float("-inf")  # _clocked: the clock time to register this worker again
        self._next_due: float | None = None  # the earliest retry's run_after, as the last claim saw it
        self.idle_recheck = 1.0
        self._closed = threading.Event()
        self._notice: Callable[[], None] | None = None  # on_notice's wake-up: called by the watcher
        self._check_server()

    def __repr__(self) -> str:
        return f"RedisStore({self.url!r}, prefix={self.prefix!r})"

    def _client(self) -> redis.Redis:
        return redis.Redis.from_url(
            self._raw_url,
            socket_connect_timeout=2.0,
            socket_timeout=10.0,
            retry=RedisRetry(ExponentialBackoff(cap=0.2, base=0.02), 2),
            retry_on_error=[rexc.ConnectionError, rexc.TimeoutError],
        )

    def _check_server(self) -> None:
        """Connect now: a wrong password or an unreachable server is an error at start, not at the
        first job; a server that may evict keys is a warning."""
        try:
            # Any first: redis-py's stubs type a reply as sync-or-async in some versions, as the value in others.
            reply: Any = self._r.info("memory")
            info: dict[str, Any] = reply
        except (rexc.AuthenticationError, rexc.ResponseError) as e:
            # Servers and client versions word it differently ("NOAUTH Authentication required",
            # "HELLO must be called with the client already authenticated"): what the URL gave decides.
            gave_password = self._r.connection_pool.connection_kwargs.get("password") is not None
            auth_error = isinstance(e, rexc.AuthenticationError) or "NOAUTH" in str(e) or "WRONGPASS" in str(e)
            if auth_error and not gave_password:
                raise StoreUnavailableError(
                    f"jobs: Redis at {self.url} requires a password ({e}): give it in the URL,"
                    " redis://:password@host:port/db"
                ) from None
            if auth_error:
                raise StoreUnavailableError(
                    f"jobs: Redis at {self.url} refused the credentials ({e}): check the user and password in the URL"
                ) from None
            raise
        except _DOWN as e:
            raise self._unavailable(e) from None
        policy = info.get("maxmemory_policy", "noeviction")
        if policy != "noeviction":
            warnings.warn(
                f"jobs: Redis at {self.url} has maxmemory-policy {policy}: when memory runs out it evicts keys,"
                " and an evicted job is lost; set maxmemory-policy noeviction (docs/jobs-redis.md)",
                RuntimeWarning,
                stacklevel=3,
            )

    def _unavailable(self, e: BaseException) -> StoreUnavailableError:
        return StoreUnavailableError(
            f"jobs: the Redis store at {self.url} is unreachable ({e}); nothing was changed:"
            " start Redis or check the URL, then try again"
        )

    def _call(self, script: str, args: list[Any], client: redis.Redis | None = None) -> Any:
        """Run a script once (``EVALSHA``; loaded again after a server restart), on this OS thread's
        own connection or on ``client``'s; StoreUnavailableError when Redis cannot be reached.

        A connection per thread, used directly: redis-py's client takes a pooled connection and
        wraps each command in its retry and health checks, which costs a call more than the round
        trip itself on a local server. The retry is still redis-py's, as configured in _client:
        twice, after 20 and 40 ms."""
        if client is not None:
            try:
                return self._scripts[script](keys=self._keys, args=args, client=client)
            except _DOWN as e:
                raise self._unavailable(e) from None
        return self._call_many(script, [args])[0]

    def _call_many(self, script: str, calls: list[list[Any]]) -> list[Any]:
        """:meth:`_call` for each argument list, pipelined on this thread's connection (one round trip)."""
        s = self._scripts[script]
        conn = self._conn()
        try:  # the connection carries the client's Retry: redis-py retries, disconnecting after each failure
            replies: list[Any] = conn.retry.call_with_retry(
                lambda: self._evalsha_many(conn, s, calls), lambda _e: conn.disconnect()
            )
            return replies
        except _DOWN as e:
            raise self._unavailable(e) from None

    def _evalsha_many(self, conn: Any, s: Any, calls: list[list[Any]]) -> list[Any]:
        """Run the script once per argument list, pipelined: one round trip for all of them."""
        cmds = [conn.pack_command("EVALSHA", s.sha, 1, self.prefix, *args) for args in calls]
        try:
            return self._send_all(conn, cmds)
        except rexc.NoScriptError:  # the server restarted without its script cache: none of them ran
            conn.send_packed_command(conn.pack_command("SCRIPT", "LOAD", s.script), False)
            conn.read_response()
            return self._send_all(conn, cmds)

    @staticmethod
    def _send_all(conn: Any, cmds: list[Any]) -> list[Any]:
        conn.send_packed_command([part for cmd in cmds for part in cmd], False)
        replies: list[Any] = []
        error: BaseException | None = None
        for _ in cmds:  # read every reply, even after an error, so the connection stays in step
            try:
                replies.append(conn.read_response())
            except rexc.ResponseError as e:
                error = error or e
        if error is not None:
            raise error
        return replies

    def _conn(self) -> Any:
        """This OS thread's connection for the scripts: made at its first call, closed by close() or
        when the thread ends (the thread-local goes, and the connection disconnects when collected)."""
        conn = getattr(self._local, "conn", None)
        if conn is None:
            pool = self._r.connection_pool
            conn = self._local.conn = pool.connection_class(**pool.connection_kwargs)
            with self._mu:
                self._conns.add(conn)
        return conn

    def _persist(self, fn: Callable[[], T], default: T) -> T:
        """Retry ``fn`` with backoff while Redis is unreachable, up to ``reconnect_for`` (a worker's call)."""
        deadline = time.monotonic() + self.reconnect_for
        delay = 0.05
        while True:
            try:
                return fn()
            except StoreUnavailableError:
                if time.monotonic() >= deadline or self._closed.is_set():
                    return default
                time.sleep(delay)
                delay = min(1.0, delay * 2)

    # -- the store interface ----------------------------------------------------------------------

    def submit(self, rec: JobInfo, capacity: int) -> str | None:
        old = self.submit_many([rec], capacity)[0]
        if isinstance(old, Exception):
            raise old
        return old

    def submit_many(self, recs: Sequence[JobInfo], capacity: int) -> list[str | Exception | None]:
        out: list[str | Exception | None] = []
        calls: list[list[Any]] = []
        for rec in recs:
            try:
                calls.append(self._submit_args(rec, capacity))
                out.append(None)
            except ValueError as e:  # refused before any call: this job only
                out.append(e)
        replies = iter(self._call_many("submit", calls) if calls else [])
        for i, got in enumerate(out):
            if got is not None:
                continue
            status, *old = next(replies)
            if status == 0:
                out[i] = QueueFullError()
            elif status == -1:
                out[i] = ValueError(f"jobs: a job with id {recs[i].id!r} already exists")
            else:
                out[i] = old[0].decode() or None
        if not self._dirty.is_set():  # set: no claim started since (it clears it first), and it will see these jobs
            self._dirty.set()  # this process's own claims must not wait for the notice
        return out

    def _submit_args(self, rec: JobInfo, capacity: int) -> list[Any]:
        """The submit script's arguments for ``rec``; ValueError for a payload this store refuses."""
        payload = rec.payload_json
        if len(payload) * 4 > self.max_payload:  # else it fits: UTF-8 takes at most 4 bytes a character
            size = len(payload.encode())
            if size > self.max_payload:
                raise ValueError(
                    f"jobs: the payload is {size} bytes, over this store's limit of {self.max_payload} bytes:"
                    " store the data elsewhere and pass a reference, or raise max_payload"
                )
        try:
            json.loads(payload)
        except ValueError as e:
            raise ValueError(f"jobs: the payload must be JSON text: {e}") from None
        timeout = "" if rec.timeout is None else repr(rec.timeout)
        at = repr(rec.created_at)
        after = at if rec.run_after == rec.created_at else repr(rec.run_after)
        return [rec.id, rec.name, payload, rec.key or "", timeout, rec.retry.encode(), at, after, capacity]

    def claim(
        self, worker: str, names: Collection[str], limit: int, lease_until: float, now: float
    ) -> list[ClaimedJob]:
        if limit <= 0 or not names:
            return []
        lease_ms = max(1, round((lease_until - now) * 1000))
        self._watch(worker, names, lease_ms, now)
        if self._nothing_new(now):
            return []
        self._dirty.clear()  # a notice arriving from now on counts for the next claim
        # A notice only from the second claim in a row that finds nothing: a busy node's empty claims
        # (other nodes took the work) would each cost a PUBLISH to every node and a wake-up of each.
        notice = self._clocked or self._last_empty is not None
        args = [worker, limit, lease_ms, repr(now), self._tms(now), "1" if notice else "0", *sorted(names)]
        try:
            due, *flat = self._call("claim", args)
        except StoreUnavailableError:
            self._dirty.set()
            time.sleep(min(0.5, max(self.poll_interval, 0.05)))  # the dispatcher polls again: back off
            return []
        self._next_due = float(due) if due else None
        self._last_empty = None if flat else (now if self._clocked else time.monotonic())
        self._noticed = notice and not flat
        out = []
        for i in range(0, len(flat), 8):
            job_id, name, payload, key, timeout, retry, attempts, version = flat[i : i + 8]
            c = ClaimedJob(
                job_id.decode(), name.decode(), payload.decode(), key.decode() or None,
                float(timeout) if timeout else None, Retry.decode(retry.decode()), int(attempts), int(version),
            )  # fmt: skip
            out.append(c)
        with self._mu:
            for c in out:
                self._held[c.id] = (c.token, lease_ms)
        return out

    def _retention(self, now: float) -> tuple[str, str]:
        """The scripts' retention arguments: the cutoff (finished before it: removed) and the bound."""
        cutoff = "" if self.retention is None else repr(now - self.retention)
        return cutoff, "" if self.keep_finished is None else str(self.keep_finished)

    def _tms(self, now: float) -> str:
        """The lease clock's ``now`` for a script: this store's clock when it was given one, else ''
        (the script reads the server's TIME)."""
        return repr(now * 1000) if self._clocked else ""

    def _nothing_new(self, now: float) -> bool:
        """True when the last claim found nothing and nothing can have changed since: no notice of new
        work (this store's own changes, or pub/sub), no retry due, and less than ``idle_recheck``
        seconds passed (in case a notice was lost) — ``poll_interval`` when the claim asked for no
        notice (the first that found nothing). Spares an idle node a round trip per poll, and a busy
        one a round trip per handler that returns meanwhile.

        A store given a clock hears no pub/sub (it has no watcher): it rechecks after
        ``idle_recheck`` seconds of its clock, so what it claims depends on that clock alone."""
        if self._last_empty is None or self._dirty.is_set():
            return False
        if self._next_due is not None and now >= self._next_due:
            return False
        if self._clocked:
            return now - self._last_empty < self.idle_recheck
        wait = self.idle_recheck if self._noticed and self._subscribed.is_set() else self.poll_interval
        return time.monotonic() - self._last_empty < wait

    def renew(self, worker: str, tokens: Mapping[str, int], lease_until: float | None) -> dict[str, State]:
        with self._mu:
            gone = {i: self._gone.pop(i) for i in tokens if i in self._gone}
        # With a clock there is no watcher: every call reads the records (the durable cancel) and
        # leases are extended on the clock; without, the watcher reads them and this call extends.
        if tokens and (lease_until is not None or self._clocked):
            with self._mu:
                triples = [(i, t, self._held.get(i, (t, self._lease_ms))[1]) for i, t in tokens.items()]
            tms = ""
            if self._clocked and lease_until is not None:
                now = lease_until - self._lease_ms / 1000
                tms = self._tms(now)
                self._registered_until = now + self._lease_ms / 3000
            try:
                gone.update(self._renew(triples, self._r, lease_until is not None, tms))
            except StoreUnavailableError:
                pass  # the watcher keeps trying; the lease decides
        with self._mu:
            for i in gone:
                self._held.pop(i, None)
        return gone

    def _renew(
        self, triples: list[tuple[str, int, int]], client: redis.Redis, extend: bool = True, tms: str = ""
    ) -> dict[str, State]:
        """Extend the leases of ``triples`` (when ``extend``) and register this worker (then too);
        return the jobs of ``triples`` no longer held."""
        reg = [self._worker or "", self._names, self._lease_ms * 3] if extend else ["", "", 0]
        args = ["1" if extend else "0", *reg, tms, *[x for t in triples for x in t]]
        flat = self._call("renew", args, client)
        return {flat[i].decode(): State(flat[i + 1].decode()) for i in range(0, len(flat), 2)}

    def complete(self, job_id: str, token: int, outcome: Outcome, now: float) -> bool:
        return self.complete_many([(job_id, token, outcome)], now)[0]

    def complete_many(self, done: Sequence[tuple[str, int, Outcome]], now: float) -> list[bool]:
        if not done:
            return []
        with self._mu:
            for job_id, _token, _outcome in done:
                self._held.pop(job_id, None)
                self._gone.pop(job_id, None)
        at = repr(now)
        mine = [
            _Pending([
                job_id, token, str(outcome.state), outcome.result_json or "", outcome.error or "", at,
                "" if outcome.retry_at is None else repr(outcome.retry_at), outcome.capacity,
            ])
            for job_id, token, outcome in done
        ]  # fmt: skip
        if any(outcome.retry_at is not None for _i, _t, outcome in done):
            self._dirty.set()  # a retry is due at its retry_at: the next claim must look
        return self._persist(lambda: self._commit(mine), [False] * len(mine))

    def _commit(self, mine: list[_Pending]) -> list[bool]:
        """Record completions; completions that other threads make meanwhile share the script call
        (group commit: a runtime commits the completions of the handlers that finished together in
        one ``to_thread``, and several runtimes or threads may share a store).

        The first caller leads: it takes every completion queued so far, makes the call, hands each
        its reply and wakes them; a caller queued meanwhile waits for the next leader. Raises
        StoreUnavailableError (every completion of the batch) when Redis cannot be reached."""
        for p in mine:
            p.result = None  # a retry after StoreUnavailableError queues them again
        last = mine[-1]
        with self._commits:
            self._queue.extend(mine)
            while self._committing and last.result is None:
                self._commits.wait()
            if last.result is None:
                self._committing = True
                batch, self._queue = self._queue, []
        if last.result is None:
            results: list[bool | BaseException]
            try:
                now = float(batch[0].args[5])
                reply = self._call("complete", [*self._retention(now), *[x for p in batch for x in p.args]])
                results = [bool(r) for r in reply]
            except BaseException as e:  # noqa: BLE001 - every waiter gets the error, none is left waiting
                results = [e] * len(batch)
            with self._commits:
                for p, r in zip(batch, results, strict=True):
                    p.result = r
                self._committing = False
                self._commits.notify_all()
        out: list[bool] = []
        for p in mine:
            if isinstance(p.result, BaseException):
                raise p.result
            out.append(bool(p.result))
        return out

    def progress(self, job_id: str, token: int, fraction: float, message: str) -> bool:
        try:
            return bool(self._call("progress", [job_id, token, repr(fraction), message]))
        except StoreUnavailableError:
            return False

    def cancel(self, job_id: str, now: float) -> bool:
        return bool(self._call("cancel", [job_id, repr(now)]))

    def hand_back(self, worker: str, tokens: Mapping[str, int], now: float) -> list[str]:
        with self._mu:
            for i in tokens:
                self._held.pop(i, None)
        args = [repr(now), worker, *[x for i, t in tokens.items() for x in (i, t)]]
        back: list[bytes] = self._persist(lambda: self._call("hand_back", args), [])
        self._dirty.set()
        return [b.decode() for b in back]

    def reclaim(self, now: float) -> list[str]:
        try:
            args = [repr(now), MAX_LOST, repr(self.unhandled_after), self._tms(now), *self._retention(now)]
            ids = self._call("reclaim", args)
        except StoreUnavailableError:
            return []
        if ids:
            self._dirty.set()
        return [b.decode() for b in ids]

    # -- reads --------------------------------------------------------------------------------------

    def _infos(self, ids: list[bytes]) -> list[JobInfo | None]:
        try:
            pipe = self._r.pipeline(transaction=False)
            for i in ids:
                pipe.hmget(self.prefix + "job:" + i.decode(), list(_FIELDS))
            rows = pipe.execute()
        except _DOWN as e:
            raise self._unavailable(e) from None
        return [None if r[0] is None else self._info(i.decode(), r) for i, r in zip(ids, rows, strict=True)]

    @staticmethod
    def _info(job_id: str, r: list[bytes | None]) -> JobInfo:
        (name, payload, state, key, timeout, retry, attempts, version, worker, created, started, finished,
         run_after, result, error, progress, message) = r  # fmt: skip
        assert name is not None and payload is not None and state is not None and retry is not None
        return JobInfo(
            job_id, name.decode(), payload.decode(), State(state.decode()), _s(key), _f(timeout),
            Retry.decode(retry.decode()), int(attempts or 0), int(version or 0), _s(worker), _f(created) or 0.0,
            _f(started), _f(finished), _f(run_after) or 0.0, _s(result), _s(error), _f(progress), _s(message),
        )  # fmt: skip

    def get(self, job_id: str) -> JobInfo | None:
        return self._infos([job_id.encode()])[0]

    def list(
        self, state: State | None = None, key: str | None = None, limit: int = 1000, offset: int = 0
    ) -> list[JobInfo]:
        out: list[JobInfo] = []
        start, chunk = 0, 500
        while len(out) < offset + limit:
            try:
                page: Any = self._r.zrange(self.prefix + "all", start, start + chunk - 1)  # see _check_server
                ids: list[bytes] = page
            except _DOWN as e:
                raise self._unavailable(e) from None
            if not ids:
                break
            for info in self._infos(ids):
                if info is not None and (state is None or info.state is state) and (key is None or info.key == key):
                    out.append(info)
            start += chunk
        return out[offset : offset + limit]

    def counts(self) -> dict[State, int]:
        try:
            reply: Any = self._r.hgetall(self.prefix + "counts")  # see _check_server
            raw: dict[bytes, bytes] = reply
        except _DOWN as e:
            raise self._unavailable(e) from None
        out = dict.fromkeys(State, 0)
        for s, n in raw.items():
            out[State(s.decode())] = int(n)
        return out

    def close(self) -> None:
        self._closed.set()
        if self._watcher is not None and self._watcher is not threading.current_thread():
            self._watcher.join(5.0)
        self._r.close()
        with self._mu:
            conns = list(self._conns)
        for conn in conns:
            conn.disconnect()

    # -- the watcher: leases and cancels on an OS thread of their own -------------------------------

    def _watch(self, worker: str, names: Collection[str], lease_ms: int, now: float) -> None:
        """Start the watcher at the first claim (a store that only submits needs none).

        A store given a clock (a test on virtual time) starts none: nothing it does may depend on an
        OS thread's timing or on real time. It registers the worker here, every lease/3 of its clock,
        and its ``renew`` reads the records at every call."""
        self._worker, self._names, self._lease_ms = worker, ",".join(sorted(names)), lease_ms
        if self._clocked:
            if now >= self._registered_until:
                self._registered_until = now + lease_ms / 3000
                try:
                    self._renew([], self._r, True, self._tms(now))
                except StoreUnavailableError:
                    self._registered_until = float("-inf")
            return
        if self._watcher is None:
            self._watcher = threading.Thread(
                target=self._watcher_loop, args=(weakref.ref(self),), name="gochan-jobs-redis-watcher", daemon=True
            )
            self._watcher.start()
            self._subscribed.wait(2.0)  # a cancel published from now on reaches us at once

    @staticmethod
    def _watcher_loop(ref: weakref.ReferenceType[RedisStore]) -> None:
        """Renew the held leases every min(lease/3, 1 s) and hear cancels, until close() (or until the
        store is garbage).

        Runs on its own OS thread with its own connections: a handler that never yields cannot
        starve it. Touches only the store's lock-guarded dicts and events, never gochan objects;
        holds the store only between waits, so an unclosed store can still be collected."""
        store = ref()
        assert store is not None
        client, closed, channel = store._client(), store._closed, store.prefix + "events"
        del store
        pubsub = None
        next_beat = 0.0
        backoff = 0.05
        try:
            while not closed.is_set():
                try:
                    if pubsub is None:
                        pubsub = client.pubsub(ignore_subscribe_messages=True)  # type: ignore[no-untyped-call]  # untyped in redis-py
                        pubsub.subscribe(channel)
                        next_beat = 0.0  # messages may have been missed: check the records now
                    wait = max(0.0, min(next_beat - time.monotonic(), 0.25))
                    msg = pubsub.get_message(timeout=wait)
                    store = ref()
                    if store is None:
                        return
                    store._subscribed.set()
                    if msg is not None and msg["type"] == "message":
                        state, _, job_id = msg["data"].decode().partition(" ")
                        if state == "work":
                            store._dirty.set()
                            store._tell()
                        else:
                            store._note_gone({job_id: State(state)})
                    if time.monotonic() >= next_beat:
                        store._beat(client)
                        next_beat = time.monotonic() + min(store._lease_ms / 3000, 1.0)
                    del store
                    backoff = 0.05
                except (*_DOWN, StoreUnavailableError):
                    store = ref()
                    if store is not None:
                        store._subscribed.clear()
                        store._dirty.set()
                    del store
                    if pubsub is not None:
                        pubsub.close()
                        pubsub = None
                    closed.wait(backoff)
                    backoff = min(1.0, backoff * 2)
        finally:
            if pubsub is not None:
                pubsub.close()
            client.close()

    def _beat(self, client: redis.Redis) -> None:
        with self._mu:
            triples = [(i, t, ms) for i, (t, ms) in self._held.items()]
        if triples or self._worker:
            self._note_gone(self._renew(triples, client))

    def _note_gone(self, gone: Mapping[str, State]) -> None:
        noted = False
        with self._mu:
            for job_id, state in gone.items():
                if job_id in self._held:
                    self._gone[job_id] = state
                    noted = True
        if noted:
            self._tell()

    def _tell(self) -> None:
        """Wake the runtime (on_notice), on the watcher's thread."""
        wake = self._notice
        if wake is not None:
            wake()

    def on_notice(self, wake: Callable[[], None] | None) -> bool:
        self._notice = wake
        return not self._clocked  # the watcher hears new work and cancels; a clocked store has none
