import type { Rule } from './rule.js';
import { stripComments } from '../message/structured.js';
import { headerValue, short } from './util.js';

/**
 * Answering an automatic message is how mail loops start (RFC 3834). Besides
 * Auto-Submitted, Microsoft's X-Auto-Response-Suppress asks not to send
 * out-of-office or automatic replies, and older responders mark their mail with
 * X-Autoreply / X-Autorespond.
 */
export const autoSubmitted: Rule<'auto-submitted'> = {
  name: 'auto-submitted',
  check({ message }) {
    for (const h of message.headers) {
      const name = h.name.toLowerCase();
      if (name === 'auto-submitted') {
        // first token only: `auto-replied (vacation)` and `auto-generated; owner-email=...`
        const token = /^[^\s;]*/.exec(stripComments(headerValue(h)).trim())?.[0] ?? '';
        if (token.toLowerCase() !== 'no') return `Auto-Submitted: ${short(token || '(empty)', 60)}`;
      } else if (name === 'x-auto-response-suppress') {
        const values = headerValue(h)
          .split(/[\s,;]+/)
          .filter((t) => /^(all|oof|autoreply)$/i.test(t));
        if (values.length > 0) return `X-Auto-Response-Suppress: ${values.join(', ')}`;
      } else if (name === 'x-autoreply' || name === 'x-autorespond') {
        return `${h.name}: ${short(headerValue(h), 60)}`;
      }
    }
    return undefined;
  },
};
