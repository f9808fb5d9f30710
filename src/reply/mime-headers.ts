import type { ByteString } from '../bytes.js';
import { bodyMimeHeaders, encodeHeaderValue } from './mime.js';
import type { Reply, ReplyFields } from './reply.js';

/** Header option names as they appear in the reply. */
const FIELD_NAMES: Record<Exclude<keyof ReplyFields, 'headers'>, string> = {
  from: 'From',
  reply_to: 'Reply-To',
  to: 'To',
  cc: 'Cc',
  bcc: 'Bcc',
  subject: 'Subject',
};

/** Outside --exim-strict: header values with 8-bit text become RFC 2047 words. */
export function encodeReplyFields(fields: ReplyFields): ReplyFields {
  const out: ReplyFields = { ...fields };
  for (const [key, name] of Object.entries(FIELD_NAMES) as [keyof typeof FIELD_NAMES, string][]) {
    const value = fields[key];
    if (value !== undefined) out[key] = encodeHeaderValue(name, value);
  }
  return out;
}

/** MIME labels for a body with 8-bit text (text, file and returned copy together). */
export function mimeHeaders(reply: Reply, headersOption: ByteString): ByteString {
  return bodyMimeHeaders((reply.text ?? '') + (reply.fileBody ?? '') + (reply.returned ?? ''), headersOption);
}
