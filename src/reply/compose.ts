import { bytes, type ByteString, isAscii } from '../bytes.js';
import { bodyMimeHeaders, encodeHeaderLines, encodeHeaderValue } from './mime.js';
import type { Threading } from './references.js';
import { FIELD_HEADERS, type ReplyFields } from './reply.js';
import type { SourceBody, SourceHeaders } from './source.js';

/** Everything that goes into one reply, expanded and read. */
export interface ReplyParts {
  headers: SourceHeaders;
  threading: Threading;
  /** `--x-loop`: the stamp to add. */
  xLoop: ByteString | undefined;
  body: SourceBody;
  /** The copy of the incoming message (return_message). */
  returned: ByteString | undefined;
  /** Write it safely (SPEC 5): RFC 2047 for 8-bit header text, MIME labels, no empty `headers` line. */
  safe: boolean;
}

/**
 * The reply's bytes, in Exim's order (autoreply.c): From, Reply-To, To, Cc, Bcc,
 * Subject, In-Reply-To, References, Auto-Submitted, then ours (X-Loop, MIME
 * labels), the `headers` option, the source's own lines (a reply file's), an
 * empty line, the body, the returned message. A source that writes its own
 * In-Reply-To, References or Auto-Submitted keeps it.
 */
export function composeReply(p: ReplyParts): ByteString {
  const fields = p.safe ? encodeFields(p.headers.fields) : p.headers.fields;
  const own = p.safe ? p.headers.own.map((h) => ({ name: h.name, value: encodeHeaderValue(h.name, h.value) })) : p.headers.own;
  const writes = (name: string) => own.some((h) => h.name.toLowerCase() === name);
  let head: string = optionHeaderLines(fields);
  if (!writes('in-reply-to')) head += p.threading.inReplyTo;
  if (!writes('references')) head += p.threading.references;
  if (!writes('auto-submitted')) head += 'Auto-Submitted: auto-replied\n';
  if (p.xLoop !== undefined) head += `X-Loop: ${p.xLoop}\n`;
  const ownLines = own.map((h) => `${h.name}: ${h.value}\n`).join('');
  if (p.safe) head += mimeLines(p.body, p.returned, bytes((p.headers.fields.headers ?? '') + '\n' + ownLines));
  head += headersOption(fields.headers, p.safe);
  head += ownLines;
  // all byte strings and ASCII
  return bytes(`${head}\n${p.body.bytes}${p.returned ?? ''}`);
}

/** The header options that are set, in Exim's order: From, Reply-To, To, Cc, Bcc, Subject. */
export function optionHeaderLines(f: ReplyFields): ByteString {
  let out = '';
  for (const [key, name] of FIELD_HEADERS) {
    const v = f[key];
    if (v !== undefined) out += `${name}: ${v}\n`;
  }
  return bytes(out);
}

/** Exim writes `headers` and a newline whatever it holds, so an empty value ends the header block early; the safe way writes nothing then. */
function headersOption(headers: ByteString | undefined, safe: boolean): ByteString {
  if (headers === undefined) return bytes('');
  if (!safe) return bytes(`${headers}\n`);
  const lines = headers.endsWith('\n') ? headers.slice(0, -1) : headers;
  return bytes(lines === '' ? '' : `${lines}\n`);
}

/** Header values with 8-bit text become RFC 2047 words. */
function encodeFields(fields: ReplyFields): ReplyFields {
  const out: ReplyFields = { ...fields };
  for (const [key, name] of FIELD_HEADERS) {
    const v = fields[key];
    if (v !== undefined) out[key] = encodeHeaderValue(name, v);
  }
  if (fields.headers !== undefined) out.headers = encodeHeaderLines(fields.headers);
  return out;
}

/**
 * MIME labels for the body: MIME-Version for a source's own MIME entity; for
 * plain text with 8-bit bytes, Content-Type with its charset and 8bit — judged
 * from our own body, and from the returned copy only when ours is ASCII — each
 * unless the header lines already written set it.
 */
function mimeLines(body: SourceBody, returned: ByteString | undefined, written: ByteString): ByteString {
  if (body.mime) return bytes(/^MIME-Version[ \t]*:/im.test(written) ? '' : 'MIME-Version: 1.0\n');
  const judged = isAscii(body.bytes) ? bytes(body.bytes + (returned ?? '')) : body.bytes;
  return bodyMimeHeaders(judged, written);
}
