import { findHeaders } from '../message/message.js';
import { decodeEncodedWords } from '../message/header-values.js';
import type { Rule } from './rule.js';
import { headerValue, short } from './util.js';

/** The subject tag of Misfin auto-replies, and of ours in `--mailbox` mode. */
export const AUTO_REPLY_TAG = '[Auto-Reply]';

/**
 * Misfin's loop prevention: a message whose subject contains `[Auto-Reply]` is
 * never answered. Misfin replies carry no Auto-Submitted header, so without this
 * two mailboxes with auto-reply on (ours and a Misfin server's, or two of ours
 * behind a gateway that drops headers) would answer each other for ever. The
 * tag is matched case-insensitively, in the decoded subject too.
 */
export const autoReplySubject: Rule<'auto-reply-subject'> = {
  name: 'auto-reply-subject',
  check({ message }) {
    for (const h of findHeaders(message, 'subject')) {
      const v = decodeEncodedWords(headerValue(h), false);
      if (v.toLowerCase().includes(AUTO_REPLY_TAG.toLowerCase())) return `Subject: ${short(v, 60)}`;
    }
    return undefined;
  },
};
