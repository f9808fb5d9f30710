import type { ByteString } from '../bytes.js';
import { optionHeaderLines } from '../reply/build.js';
import { bodyMimeHeaders } from '../reply/mime.js';
import type { ReplyFields } from '../reply/reply.js';
import type { RenderedHeader } from './render.js';

/**
 * Putting a reply built from a reply file together. The header fields the file
 * sets win over the transport options (`--subject`, `--from`, ...); `To:`
 * defaults to the envelope sender, as PEP replies go; In-Reply-To, References
 * and Auto-Submitted are added as for any reply unless the file writes its own.
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
      fields[key] = [fields[key], h.value].filter((v) => v !== undefined && v !== '').join(', ');
    }
    // a second Subject or From is dropped: a reply has one
  }
  return { fields, others };
}

export interface ReplyFileReply {
  fields: ReplyFields;
  others: RenderedHeader[];
  /** `In-Reply-To:` and `References:` lines (with newline) or ''. */
  inReplyTo: ByteString;
  references: ByteString;
  /** Extra lines (X-Loop), each ending in a newline. */
  extraHeaders: ByteString;
  body: ByteString;
  /** The file sets Content-Type: the body is a MIME entity kept as written. */
  mime: boolean;
  /** `return_message` copy, for a reply file that is not MIME. */
  returned?: ByteString;
}

export function buildReplyFileReply(r: ReplyFileReply): ByteString {
  const f = r.fields;
  const has = (name: string) => r.others.some((h) => h.name.toLowerCase() === name);
  let out = optionHeaderLines(f);
  if (!has('in-reply-to')) out += r.inReplyTo;
  if (!has('references')) out += r.references;
  if (!has('auto-submitted')) out += 'Auto-Submitted: auto-replied\n';
  out += r.extraHeaders;
  if (f.headers !== undefined && f.headers !== '') out += `${f.headers.replace(/\n$/, '')}\n`;
  const fileHeaders = r.others.map((h) => `${h.name}: ${h.value}\n`).join('');
  out += fileHeaders;
  let body = r.body;
  if (!r.mime && body !== '' && !body.endsWith('\n')) body += '\n';
  if (!r.mime && r.returned !== undefined) body += r.returned;
  const written = (f.headers ?? '') + '\n' + fileHeaders;
  if (r.mime) {
    if (!/^MIME-Version[ \t]*:/im.test(written)) out += 'MIME-Version: 1.0\n';
  } else {
    out += bodyMimeHeaders(body, written);
  }
  return `${out}\n${body}`;
}
