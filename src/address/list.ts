import { bytes, type ByteString } from '../bytes.js';
import { commentEnd, quotedEnd } from '../message/structured.js';
import { findAddressEnd, parseAddressList } from './parse.js';

/**
 * Address lists as the rest of the program uses them, all read by the one
 * parser (parse.ts): groups (`team: a@x, b@y;`), comments (`a@x (Smith, John)`),
 * quoted strings, encoded words in display names (never decoded first, so an
 * encoded comma or `<` cannot invent an address), obsolete routes.
 */

/**
 * The bare addresses of an address-list value (To, Cc, From, an expanded `to`
 * option): `local@domain` with quotes kept and case kept, in order, as Exim's
 * `${addresses:}` finds them; entries that are not addresses are skipped.
 */
export function bareAddresses(value: ByteString): ByteString[] {
  return parseAddressList(value).map((a) => a.address);
}

/** Addresses compare case-insensitively (what users and most MTAs expect). */
export function sameAddress(a: ByteString, b: ByteString): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

/** Local part and domain of a bare address; the local part unquoted. No '@': all local part. */
export function splitAddress(addr: ByteString): { local: ByteString; domain: ByteString } {
  const at = addr.lastIndexOf('@');
  const local = at === -1 ? addr : bytes(addr.slice(0, at));
  const domain = bytes(at === -1 ? '' : addr.slice(at + 1));
  const unq = /^"(.*)"$/.exec(local);
  return { local: unq ? bytes(unq[1]!.replace(/\\(.)/g, '$1')) : local, domain };
}

/** `alice+tag@x` without its `+tag` (sub-addressing, VERP), or undefined when it has none. */
export function withoutDetail(addr: ByteString): ByteString | undefined {
  const { local, domain } = splitAddress(addr);
  const plus = local.indexOf('+');
  if (plus <= 0) return undefined;
  return bytes(domain === '' ? local.slice(0, plus) : `${local.slice(0, plus)}@${domain}`);
}

/**
 * An address-list value cut into its mailboxes, as written (white space and
 * all), at the commas that separate them: for rewriting one mailbox's display
 * name while keeping everything else byte for byte (RFC 2047 encoding).
 */
export function mailboxSegments(value: ByteString): ByteString[] {
  const out: ByteString[] = [];
  let pos = 0;
  for (;;) {
    const end = findAddressEnd(value, pos);
    out.push(bytes(value.slice(pos, end)));
    if (end >= value.length) return out;
    pos = end + 1;
  }
}

/** Where the `<addr>` of a mailbox starts (outside quotes and comments), or -1: `Name <a@x>` → 5. */
export function angleStart(mailbox: ByteString): number {
  for (let p = 0; p < mailbox.length; ) {
    const c = mailbox[p];
    if (c === '"') p = quotedEnd(mailbox, p);
    else if (c === '(') p = commentEnd(mailbox, p);
    else if (c === '<') return p;
    else p++;
  }
  return -1;
}
