import type { ByteString } from '../bytes.js';
import { sameAddress, withoutDetail } from '../address/list.js';
import type { Rule } from './rule.js';
import { addressesIn, short } from './util.js';

/**
 * Where a personal message names us. Bcc counts (RFC 3834 section 2, RFC 5230
 * section 4.5, and Pigeonhole and Cyrus do the same): a message that still
 * carries a Bcc naming us was meant for us.
 */
const DIRECT = ['To', 'Cc', 'Bcc', 'Resent-To', 'Resent-Cc', 'Resent-Bcc'] as const;

/**
 * A message that does not name us in To, Cc or Bcc reached us by a blind copy, a
 * list or an alias expansion: the sender did not write to us personally (Exim's `personal`
 * test). Only judged when the recipient is known. `alice+tag@` counts as `alice@`
 * when the recipient is given without the tag.
 */
export const notPersonal: Rule<'not-personal'> = {
  name: 'not-personal',
  check({ message, recipient, aliases }) {
    if (!recipient) return undefined;
    const ours = [recipient, ...aliases].filter((a) => a !== '');
    const named = addressesIn(message, DIRECT);
    if (named.some((a) => ours.some((o) => matches(o, a)))) return undefined;
    return aliases.length > 0
      ? `neither ${short(recipient, 80)} nor an alias is in To/Cc/Bcc`
      : `${short(recipient, 80)} not in To/Cc/Bcc`;
  },
};

function matches(ours: ByteString, named: ByteString): boolean {
  if (sameAddress(ours, named)) return true;
  const bare = withoutDetail(named);
  return bare !== undefined && sameAddress(ours, bare);
}
