import { describeNetworkError, oneLine, seconds } from '../url.js';

/**
 * A failure of the PostgreSQL client or server in an administrator's words,
 * without the password: the server's own message where it has a good one
 * ('password authentication failed for user "app"', 'database "mail" does not
 * exist'), words for the network, TLS and timeouts otherwise.
 */
export function describePgError(err: unknown, ctx: { timeoutMs: number; password?: string | undefined; connecting: boolean; tls: string; rootCert?: string | undefined }): string {
  const e = (err ?? {}) as { code?: unknown; message?: unknown; severity?: unknown; cause?: unknown };
  const code = typeof e.code === 'string' ? e.code : '';
  const msg = typeof e.message === 'string' ? e.message : String(err);
  let out: string | undefined;
  if (/^[0-9A-Z]{5}$/.test(code) && typeof e.severity === 'string') out = describeSqlState(code, msg, ctx);
  const tlsHint = { ca: ctx.rootCert, option: 'sslrootcert' };
  out ??= describeNetworkError(e, tlsHint);
  if (out === undefined && e.cause && typeof e.cause === 'object') out = describeNetworkError(e.cause as { code?: unknown }, tlsHint);
  if (out === undefined) {
    if (/timeout expired|connection timeout/i.test(msg) || code === 'ETIMEDOUT')
      out = ctx.connecting ? `timed out after ${seconds(ctx.timeoutMs)} connecting` : `timed out after ${seconds(ctx.timeoutMs)}`;
    else if (/Query read timeout/i.test(msg)) out = `timed out after ${seconds(ctx.timeoutMs)} waiting for the server`;
    else if (/does not support SSL/i.test(msg)) out = `the server does not accept TLS (sslmode=${ctx.tls})`;
    else if (/client password must be a string|password must be a string|no password/i.test(msg))
      out = 'the server asks for a password and none was given (URL, --once-password-file, PGPASSWORD or ~/.pgpass)';
    else if (/Connection terminated|Client has encountered a connection error|ended by the server|Connection closed/i.test(msg))
      out = 'the server closed the connection';
    else out = oneLine(msg) || 'unknown error';
  }
  return scrub(out, ctx.password);
}

function describeSqlState(code: string, msg: string, ctx: { timeoutMs: number }): string {
  switch (code) {
    case '57014':
      return `timed out after ${seconds(ctx.timeoutMs)} (the server cancelled the statement)`;
    case '25006':
      return 'the server is a read-only standby';
    case '57P01':
    case '57P02':
    case '57P03':
      return oneLine(msg); // terminating connection due to administrator command; the database system is starting up / shutting down
    default:
      return oneLine(msg);
  }
}

/** The password never appears, whatever a message may quote. */
export function scrub(s: string, password: string | undefined): string {
  if (!password || password.length < 1) return s;
  return s.split(password).join('***');
}

/** SQLSTATEs of a missing table (42P01) or function (42883). */
export const isMissingObject = (err: unknown) => {
  const code = (err as { code?: unknown } | null)?.code;
  return code === '42P01' || code === '42883';
};

export const isPermissionDenied = (err: unknown) => (err as { code?: unknown } | null)?.code === '42501';

/** SQLSTATE 42703: a column that does not exist (a table of an older autoreply lacks "scope"). */
export const isUndefinedColumn = (err: unknown) => (err as { code?: unknown } | null)?.code === '42703';
