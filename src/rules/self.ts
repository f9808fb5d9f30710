import { sameAddress } from '../address/list.js';
import type { Rule } from './rule.js';
import { senderAndFrom, short } from './util.js';

/** Mail from ourselves (or one of our aliases) gets no reply: it would answer our own reply. */
export const self: Rule<'self'> = {
  name: 'self',
  check(input) {
    const ours = [...(input.recipient ? [input.recipient] : []), ...input.aliases].filter((a) => a !== '');
    for (const { label, address } of senderAndFrom(input)) {
      const hit = ours.find((o) => sameAddress(o, address));
      if (hit === undefined) continue;
      const what = hit === input.recipient ? 'the recipient' : 'an alias of the recipient';
      return `${label} ${short(address)} is ${what}`;
    }
    return undefined;
  },
};
