import { isAscii, type ByteString } from '../bytes.js';
import { bodyMimeHeaders, encodeHeaderLines, encodeHeaderValue } from './mime.js';
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
  if (fields.headers !== undefined) out.headers = encodeHeaderLines(fields.headers);
  return out;
}

/**
 * MIME labels for a body with 8-bit text. The charset is judged from our own
 * text and file; the returned copy of the incoming message (whatever its
 * charset) only decides when ours is plain ASCII.
 */
export function mimeHeaders(reply: Reply, headersOption: ByteString): ByteString {
  const own = (reply.text ?? '') + (reply.fileBody ?? '');
  return bodyMimeHeaders(isAscii(own) ? own + (reply.returned ?? '') : own, headersOption);
}
