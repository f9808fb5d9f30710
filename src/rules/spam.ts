import type { Rule } from './rule.js';
import { headerValue, short } from './util.js';

/**
 * Spam usually has a forged sender, so a reply is backscatter to an innocent
 * third party. SpamAssassin's X-Spam-Flag: YES (and its X-Spam-Status: Yes, ...),
 * and the X-Spam: Yes of Rspamd and others. A forged flag only costs a reply.
 */
export const spam: Rule<'spam'> = {
  name: 'spam',
  check({ message }) {
    for (const h of message.headers) {
      const name = h.name.toLowerCase();
      const v = headerValue(h);
      if (name === 'x-spam-flag' || name === 'x-spam') {
        if (/^yes$/i.test(v)) return `${h.name}: ${v}`;
      } else if (name === 'x-spam-status') {
        if (/^yes\b/i.test(v)) return `${h.name}: ${short(v, 60)}`;
      }
    }
    return undefined;
  },
};
