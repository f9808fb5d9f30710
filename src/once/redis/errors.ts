import { describeNetworkError, oneLine, seconds } from '../url.js';

/**
 * A failure of the Redis client or server in an administrator's words, without
 * the password. ioredis rejects its promises with "Connection is closed." when
 * connecting fails; the store passes the first 'error' event instead, which
 * has the cause (ECONNREFUSED, WRONGPASS, a TLS code).
 */
export function describeRedisError(
  err: unknown,
  ctx: { timeoutMs: number; password?: string | undefined; connecting: boolean; username?: string | undefined; db: number; ca?: string | undefined },
): string {
  const e = (err ?? {}) as { code?: unknown; message?: unknown };
  const msg = typeof e.message === 'string' ? e.message : String(err);
  const words = describeNetworkError(e, { ca: ctx.ca, option: 'ca' }) ?? describeReply(msg, ctx);
  return scrub(words, ctx.password);
}

function describeReply(msg: string, ctx: { timeoutMs: number; connecting: boolean; username?: string | undefined; db: number; password?: string | undefined }): string {
  const word = msg.split(' ', 1)[0] ?? '';
  const user = ctx.username ?? 'default';
  switch (word) {
    case 'WRONGPASS':
      return `authentication failed for user "${user}" (wrong password, or no such user, or the user is disabled)`;
    case 'NOAUTH':
      return ctx.password === undefined
        ? 'the server requires a password and none was given (URL or --once-password-file)'
        : 'the server requires authentication (NOAUTH)';
    case 'READONLY':
      return 'the server is a read-only replica (give the primary)';
    case 'NOPERM':
      return `permission denied for user "${user}": ${oneLine(msg.slice(7))}`;
    case 'OOM':
      return 'the server is out of memory (maxmemory reached; nothing was recorded)';
    case 'LOADING':
      return 'the server is loading its data';
    case 'MISCONF':
      return 'the server refuses writes: it cannot save to disk (MISCONF)';
    case 'BUSY':
      return 'the server is busy running a script';
    case 'WRONGTYPE':
      return 'a key under the prefix holds something other than an autoreply entry (WRONGTYPE)';
    case 'CROSSSLOT':
    case 'MOVED':
    case 'ASK':
    case 'CLUSTERDOWN':
      return `Redis Cluster is not supported (${word})`;
    case 'NOSCRIPT':
      return 'the server lost the script (NOSCRIPT)';
  }
  if (/DB index is out of range/i.test(msg)) return `database ${ctx.db} does not exist (DB index is out of range)`;
  if (/ETIMEDOUT|timed out|Socket timeout/i.test(msg))
    return ctx.connecting ? `timed out after ${seconds(ctx.timeoutMs)} connecting` : `timed out after ${seconds(ctx.timeoutMs)} waiting for the server`;
  if (/Connection is closed|Stream isn't writeable|Connection ended|socket closed/i.test(msg)) return 'the server closed the connection';
  if (/unknown command/i.test(msg)) return oneLine(msg);
  return oneLine(msg) || 'unknown error';
}

function scrub(s: string, password: string | undefined): string {
  return password ? s.split(password).join('***') : s;
}
