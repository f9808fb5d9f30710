import type { ByteString } from '../bytes.js';
import { extractAddress, matchAddressList } from '../expand/address.js';
import type { ReplyFields } from './reply.js';

/**
 * never_mail: drop matching addresses from To, Cc and Bcc, editing the header
 * text in place as Exim's check_never_mail() does (an address is removed with
 * the comma after it; a trailing comma and white space are trimmed). Returns the
 * edited fields, or undefined when no recipient is left.
 */
export function removeNeverMail(fields: ReplyFields, neverMail: ByteString): Partial<ReplyFields> | undefined {
  const out: Partial<ReplyFields> = {};
  for (const key of ['to', 'cc', 'bcc'] as const) {
    const value = fields[key];
    if (value === undefined) continue;
    const edited = editList(value, neverMail);
    if (edited === undefined) delete fields[key];
    out[key] = edited;
  }
  if (out.to === undefined && out.cc === undefined && out.bcc === undefined) return undefined;
  return out;
}

function editList(list: ByteString, neverMail: ByteString): ByteString | undefined {
  let s = list;
  let pos = 0;
  while (pos < s.length) {
    const end = findAddressEnd(s, pos);
    const address = extractAddress(s.slice(pos, end));
    if (address === undefined) break; // a syntax error: leave the rest alone
    let next = end < s.length && s[end] === ',' ? end + 1 : end;
    if (address !== '' && matchAddressList(address, neverMail)) {
      s = s.slice(0, pos) + s.slice(next);
      next = pos;
    }
    pos = next;
  }
  s = s.replace(/[\s,]+$/, '');
  return /^\s*$/.test(s) ? undefined : s;
}

/** Where the address starting at `from` ends: the next comma outside quotes, comments and <>. */
export function findAddressEnd(s: ByteString, from: number): number {
  let depth = 0; // comment nesting
  let angle = false;
  for (let i = from; i < s.length; i++) {
    const c = s[i];
    if (c === '\\') i++;
    else if (c === '"' && depth === 0) {
      for (i++; i < s.length && s[i] !== '"'; i++) if (s[i] === '\\') i++;
    } else if (c === '(') depth++;
    else if (c === ')' && depth > 0) depth--;
    else if (depth === 0 && c === '<') angle = true;
    else if (depth === 0 && c === '>') angle = false;
    else if (depth === 0 && !angle && c === ',') return i;
  }
  return s.length;
}
