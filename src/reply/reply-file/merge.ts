import type { ReplyFields } from '../reply.js';
import type { RenderedHeader } from './render.js';
import { type ByteString, joinBytes } from '../../bytes.js';

/**
 * A reply file's header lines over the transport options: the header fields the
 * file sets win (`--subject`, `--from`, ...); `To:` defaults to the envelope
 * sender, as PEP replies go; In-Reply-To, References and Auto-Submitted are
 * added as for any reply unless the file writes its own (compose.ts).
 */

/** Reply file headers that are also transport options. */
const FIELD_OF: Record<string, Exclude<keyof ReplyFields, 'headers'>> = {
  from: 'from',
  'reply-to': 'reply_to',
  to: 'to',
  cc: 'cc',
  bcc: 'bcc',
  subject: 'subject',
};
const LIST_FIELDS = new Set(['to', 'cc', 'bcc', 'reply_to']);

export interface MergedHeaders {
  fields: ReplyFields;
  /** The file's other header lines, in the file's order. */
  others: RenderedHeader[];
}

/** The options' fields overridden by the file's header lines. Repeated address headers join into one list. */
export function mergeHeaders(options: ReplyFields, file: RenderedHeader[]): MergedHeaders {
  const fields: ReplyFields = { ...options };
  const others: RenderedHeader[] = [];
  const seen = new Set<string>();
  for (const h of file) {
    const key = FIELD_OF[h.name.toLowerCase()];
    if (key === undefined) {
      others.push(h);
    } else if (!seen.has(key)) {
      seen.add(key);
      fields[key] = h.value;
    } else if (LIST_FIELDS.has(key)) {
      fields[key] = joinBytes([fields[key], h.value].filter((v): v is ByteString => v !== undefined && v !== ''), ', ');
    }
    // a second Subject or From is dropped: a reply has one
  }
  return { fields, others };
}
