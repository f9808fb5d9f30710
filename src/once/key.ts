import { bytes, type ByteString, joinBytes } from '../bytes.js';
import { bareAddresses } from '../address/list.js';

/**
 * The once database key of a reply (SPEC 6) — the one function both a delivery
 * and `autoreply once show/forget` use, so that a command finds exactly the
 * entry a delivery wrote.
 *
 * - Normally: the bare addresses of `to`, lower-cased, without duplicates,
 *   sorted, joined with a comma; so "Bob <B@x>, a@y", "a@Y,b@x" and
 *   "team: a@y, b@x;" share one entry, and a new display name or comment earns
 *   no new reply.
 * - `exact` (--exim-strict, or `once --raw`): the `to` string exactly, as Exim
 *   keys its database.
 * - A reply file or `--handle` names the reply: `IDENTITY ADDRESSES`, so that
 *   two replies answer one sender independently.
 */
export function onceKeyFor(to: ByteString, opts: { exact?: boolean; identity?: string | undefined } = {}): ByteString {
  const recipients = opts.exact ? to : normalised(bareAddresses(to));
  // The identity is text (a file name, --handle) put in as it is, not through
  // fromText: a non-ASCII one is keyed by its code points, as it always was
  // (changing that would re-key existing entries).
  return opts.identity === undefined ? recipients : bytes(`${opts.identity} ${recipients}`);
}

function normalised(addresses: readonly ByteString[]): ByteString {
  const set = new Set<ByteString>();
  for (const a of addresses) {
    const t = bytes(a.toLowerCase());
    if (t !== '') set.add(t);
  }
  return joinBytes([...set].sort(), ',');
}
