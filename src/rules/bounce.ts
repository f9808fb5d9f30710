import { findHeaders } from '../message/message.js';
import type { Rule } from './rule.js';
import { stripComments } from '../message/structured.js';
import { headerValue, short } from './util.js';

/**
 * A delivery status or disposition notification must never be answered (RFC 3464,
 * RFC 8098, RFC 3834 section 2): an empty envelope sender marks it, and so does a
 * `multipart/report` body even when a broken MTA gave it a sender. Any report type
 * counts (feedback and TLS reports are robot mail too), named in the reason.
 */
export const bounce: Rule<'bounce'> = {
  name: 'bounce',
  check({ sender, message }) {
    const env = sender.trim();
    if (env === '' || env === '<>') return 'empty envelope sender';
    for (const h of findHeaders(message, 'Content-Type')) {
      const v = stripComments(headerValue(h));
      if (!/^\s*multipart\s*\/\s*report\b/i.test(v)) continue;
      const type = /;\s*report-type\s*=\s*"?([^";\s]+)/i.exec(v)?.[1];
      return `Content-Type: multipart/report${type ? `; report-type=${short(type, 40)}` : ''}`;
    }
    return undefined;
  },
};
