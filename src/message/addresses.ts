import type { ByteString } from '../bytes.js';
import { findHeaders, type IncomingMessage } from './message.js';

/**
 * Bare addresses from an RFC 5322 address-list header value (To, Cc, From,
 * Reply-To, ...), as written (case kept). Handles display names, quoted strings
 * holding commas, nested comments, groups (`team: a@x, b@y;`), angle addresses
 * with obsolete routes, and encoded words in display names — these are never
 * decoded first, so an encoded comma or `<` cannot invent an address.
 * Empty addresses (`<>`) and empty groups are dropped. Never throws.
 */
export function headerAddresses(raw: ByteString): ByteString[] {
  const out: ByteString[] = [];
  // per mailbox: the text outside comments (an addr-spec when there is no <...>)
  let plain = '';
  let angle: ByteString | undefined;
  let inAngle = false;
  let angleText = '';

  const flush = (): void => {
    const addr = angle !== undefined ? stripRoute(angle) : stripSpace(plain);
    if (addr !== '') out.push(addr);
    plain = '';
    angle = undefined;
  };

  const s = raw;
  let i = 0;
  while (i < s.length) {
    const c = s[i]!;
    if (c === '"') {
      // quoted string: copied whole (with its quotes) into whatever we are reading
      let j = i + 1;
      while (j < s.length && s[j] !== '"') j += s[j] === '\\' ? 2 : 1;
      const q = s.slice(i, Math.min(j + 1, s.length));
      if (inAngle) angleText += q;
      else plain += q;
      i = j + 1;
      continue;
    }
    if (c === '(') {
      i = skipComment(s, i);
      if (!inAngle) plain += ' ';
      continue;
    }
    if (inAngle) {
      if (c === '>') {
        inAngle = false;
        angle = stripSpace(angleText);
      } else {
        angleText += c;
      }
      i++;
      continue;
    }
    if (c === '<') {
      inAngle = true;
      angleText = '';
    } else if (c === ',' || c === ';') {
      flush();
    } else if (c === ':') {
      // a group's display name ends here; what came before was not an address
      plain = '';
      angle = undefined;
    } else {
      plain += c;
    }
    i++;
  }
  if (inAngle) angle = stripSpace(angleText);
  flush();
  return out;
}

/** Every address in every header of these names, in message order. */
export function allHeaderAddresses(msg: IncomingMessage, names: readonly string[]): ByteString[] {
  const out: ByteString[] = [];
  for (const h of msg.headers) {
    if (names.some((n) => n.toLowerCase() === h.name.toLowerCase())) out.push(...headerAddresses(h.raw));
  }
  return out;
}

/** Addresses of the first header of this name only. */
export function firstHeaderAddresses(msg: IncomingMessage, name: string): ByteString[] {
  const h = findHeaders(msg, name)[0];
  return h ? headerAddresses(h.raw) : [];
}

/** Whitespace out (obsolete CFWS around dots and @), except inside quoted strings. */
function stripSpace(s: string): string {
  return s.replace(/("(?:[^"\\]|\\.)*"?)|[ \t\r\n]+/g, (_m, q: string | undefined) => q ?? '');
}

/** Index just past the comment that starts at `start` (nested, with quoted pairs). */
function skipComment(s: string, start: number): number {
  let depth = 0;
  let i = start;
  while (i < s.length) {
    const c = s[i];
    if (c === '\\') i += 2;
    else {
      if (c === '(') depth++;
      else if (c === ')' && --depth === 0) return i + 1;
      i++;
    }
  }
  return s.length;
}

/** `<@relay1,@relay2:user@example.com>` keeps only the address (obsolete source routes). */
function stripRoute(a: ByteString): ByteString {
  const m = /^@[^:"]*:(.*)$/.exec(a);
  return m ? m[1]! : a;
}

/** Local part and domain of a bare address; the local part unquoted. No '@': all local part. */
export function splitAddress(addr: ByteString): { local: ByteString; domain: ByteString } {
  const at = addr.lastIndexOf('@');
  const local = at === -1 ? addr : addr.slice(0, at);
  const domain = at === -1 ? '' : addr.slice(at + 1);
  const unq = /^"(.*)"$/.exec(local);
  return { local: unq ? unq[1]!.replace(/\\(.)/g, '$1') : local, domain };
}

/** Addresses compare case-insensitively (what users and most MTAs expect). */
export function sameAddress(a: ByteString, b: ByteString): boolean {
  return a.toLowerCase() === b.toLowerCase();
}
