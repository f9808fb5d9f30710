import { findHeaders } from '../message/message.js';
import type { Rule } from './rule.js';
import { headerValue, short } from './util.js';

/** Precedence: bulk, list or junk (newsletters, list software, spam-ish senders) asks for no reply. */
export const bulk: Rule<'bulk'> = {
  name: 'bulk',
  check({ message }) {
    for (const h of findHeaders(message, 'Precedence')) {
      const token = /^[^\s;(]*/.exec(headerValue(h))?.[0] ?? '';
      if (/^(bulk|list|junk)$/i.test(token)) return `Precedence: ${short(token, 40)}`;
    }
    return undefined;
  },
};
