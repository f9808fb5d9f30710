import type { ByteString } from '../bytes.js';

/** The expanded header options of a reply; unset ones are absent. */
export interface ReplyFields {
  from?: ByteString;
  reply_to?: ByteString;
  to?: ByteString;
  cc?: ByteString;
  bcc?: ByteString;
  subject?: ByteString;
  /** Extra header lines, newline separated, written after Auto-Submitted. */
  headers?: ByteString;
}

/** The header options as they are written, in Exim's order. */
export const FIELD_HEADERS = [
  ['from', 'From'],
  ['reply_to', 'Reply-To'],
  ['to', 'To'],
  ['cc', 'Cc'],
  ['bcc', 'Bcc'],
  ['subject', 'Subject'],
] as const satisfies readonly (readonly [keyof ReplyFields, string])[];
