import { bytes, type ByteString, SPACE_CHARS, trimChars } from '../bytes.js';
import { configError } from '../errors.js';
import { matchAddressList } from '../address/match.js';
import { findAddressEnd, parseAddress } from '../address/parse.js';
import { ExpansionError } from '../expand/errors.js';
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
    const parsed = parseAddress(bytes(s.slice(pos, end)));
    if ('error' in parsed) break; // a syntax error: leave the rest alone, as Exim does
    let next = end < s.length && s[end] === ',' ? end + 1 : end;
    if (matches(parsed.address, neverMail)) {
      s = bytes(s.slice(0, pos) + s.slice(next));
      next = pos;
    }
    pos = next;
  }
  s = trimChars(s, SPACE_CHARS + ',', 'end');
  return trimChars(s) === '' ? undefined : s;
}

function matches(address: ByteString, neverMail: ByteString): boolean {
  try {
    return matchAddressList(address, neverMail);
  } catch (err) {
    if (err instanceof ExpansionError) throw configError(`never_mail: ${err.message}`);
    throw err;
  }
}
