import { bareAddresses, sameAddress } from '../address/list.js';
import { findHeaders } from '../message/message.js';
import type { Rule } from './rule.js';
import { headerValue, short } from './util.js';
import { trimChars } from '../bytes.js';

/**
 * `X-Loop: ADDR` is the procmail/SmartList convention: whoever processed a message
 * stamps it, and refuses it when it comes back. With `--x-loop` set we refuse a
 * message that already carries our stamp (bare or as `<ADDR>` / `Name <ADDR>`).
 */
export const loop: Rule<'loop'> = {
  name: 'loop',
  check({ message, settings }) {
    const ours = settings.xLoop === undefined ? undefined : trimChars(settings.xLoop);
    if (!ours) return undefined;
    for (const h of findHeaders(message, 'X-Loop')) {
      const v = headerValue(h);
      if (sameAddress(v, ours) || bareAddresses(v).some((a) => sameAddress(a, ours))) {
        return `X-Loop: ${short(v, 80)}`;
      }
    }
    return undefined;
  },
};
