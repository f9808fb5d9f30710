import type { ByteString } from '../bytes.js';
import { findHeaders } from '../message/message.js';
import type { Rule } from './rule.js';
import { headerValue, short, stripComments } from './util.js';

/**
 * A sender whose SPF or DMARC check failed is probably forged: answering would be
 * backscatter. Only Authentication-Results stamped by our own MTA count (RFC 8601:
 * any other authserv-id may have been written by the sender). `softfail` and
 * `none` are not failures.
 */
export const authFail: Rule = {
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
  const parts = splitOutsideQuotes(stripComments(value), ';').map((p) => p.trim());
  const id = /^\S+/.exec(parts[0] ?? '')?.[0];
  if (!id) return undefined;
  const results: AuthResult[] = [];
  for (const p of parts.slice(1)) {
    const m = /^([a-z0-9_-]+)(?:\s*\/\s*\d+)?\s*=\s*([a-z0-9_-]+)/i.exec(p);
    if (m) results.push({ method: m[1]!.toLowerCase(), result: m[2]!.toLowerCase(), text: p.replace(/\s+/g, ' ') });
  }
  return { authservId: id.replace(/^"(.*)"$/, '$1'), results };
}

function splitOutsideQuotes(s: string, sep: string): string[] {
  const out: string[] = [];
  let cur = '';
  let q = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === '\\' && q) {
      cur += c + (s[i + 1] ?? '');
      i++;
    } else {
      if (c === '"') q = !q;
      if (c === sep && !q) {
        out.push(cur);
        cur = '';
      } else cur += c;
    }
  }
  out.push(cur);
  return out;
}
