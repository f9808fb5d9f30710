import { bytes, type ByteString, trimChars } from '../bytes.js';
import { findHeaders } from '../message/message.js';
import type { Rule } from './rule.js';
import { splitOutside, stripComments } from '../message/structured.js';
import { headerValue, short } from './util.js';

/**
 * A sender whose SPF or DMARC check failed is probably forged: answering would be
 * backscatter. Only Authentication-Results stamped by our own MTA count (RFC 8601:
 * any other authserv-id may have been written by the sender). `softfail` and
 * `none` are not failures.
 */
export const authFail: Rule<'auth-fail'> = {
  name: 'auth-fail',
  check({ message, settings }) {
    const ours = settings.authservId?.trim();
    if (!ours) return undefined;
    for (const h of findHeaders(message, 'Authentication-Results')) {
      const parsed = parseAuthResults(headerValue(h));
      if (!parsed || parsed.authservId.toLowerCase() !== ours.toLowerCase()) continue;
      const failed = parsed.results.filter((r) => (r.method === 'spf' || r.method === 'dmarc') && r.result === 'fail');
      if (failed.length > 0) {
        return `Authentication-Results from ${short(parsed.authservId, 60)}: ${failed.map((r) => short(r.text, 80)).join(', ')}`;
      }
    }
    return undefined;
  },
};

interface AuthResult {
  method: string;
  result: string;
  /** `spf=fail smtp.mailfrom=x@y` as written, for the reason. */
  text: string;
}

/** `authserv-id [version]; method[/version]=result props; ...` (RFC 8601 section 2.2). */
export function parseAuthResults(value: ByteString): { authservId: ByteString; results: AuthResult[] } | undefined {
  const parts = splitOutside(stripComments(value), ';').map((p) => trimChars(p));
  const id = /^\S+/.exec(parts[0] ?? '')?.[0];
  if (!id) return undefined;
  const results: AuthResult[] = [];
  for (const p of parts.slice(1)) {
    const m = /^([a-z0-9_-]+)(?:\s*\/\s*\d+)?\s*=\s*([a-z0-9_-]+)/i.exec(p);
    if (m) results.push({ method: m[1]!.toLowerCase(), result: m[2]!.toLowerCase(), text: p.replace(/\s+/g, ' ') });
  }
  return { authservId: bytes(id.replace(/^"(.*)"$/, '$1')), results };
}
