import { bytes, type ByteString } from '../bytes.js';
import { findHeaders, type IncomingMessage } from '../message/message.js';
import { skipCfws as skipWhiteAndComments } from '../message/structured.js';

/**
 * Threading headers, built as Exim's moan_write_references() does: the incoming
 * References (or, failing that, In-Reply-To) re-parsed into ids — comments
 * dropped, parsing stops at the first id without a domain — keeping the first and
 * the latest eleven, then the incoming Message-ID appended as received.
 */

/** Exim keeps at most this many ids from the incoming chain. */
const MAX_REFERENCED = 12;

/** The id of the incoming message: its Message-ID, or Resent-Message-ID when resent. */
function incomingMessageId(msg: IncomingMessage): ByteString | undefined {
  const resent = msg.headers.some((h) => /^resent-/i.test(h.name));
  const field = resent
    ? (findHeaders(msg, 'resent-message-id')[0] ?? findHeaders(msg, 'message-id')[0])
    : findHeaders(msg, 'message-id')[0];
  // raw text after the colon, leading white space skipped, trailing newline kept
  return field === undefined ? undefined : bytes(field.raw.replace(/^[ \t\n\v\f\r]+/, ''));
}

/** The threading header lines of a reply, each with its newline, or ''. */
export interface Threading {
  inReplyTo: ByteString;
  references: ByteString;
}

/**
 * In-Reply-To and References for a reply to `msg`. `exact`: as Exim writes them
 * (the Message-ID value copied as received, comments and all). Otherwise only
 * well-formed ids go in, so nothing else of the incoming header — a stray CR, a
 * second line — can reach the reply; a header with no id left is omitted, and
 * References is kept within RFC 5322's 998 characters.
 */
export function threadingHeaders(msg: IncomingMessage, exact: boolean): Threading {
  const raw = incomingMessageId(msg);
  if (exact) return { inReplyTo: bytes(raw === undefined ? '' : `In-Reply-To: ${raw}`), references: referencesLine(msg, raw, 0) };
  const id = raw === undefined ? undefined : parseMessageIds(raw)[0];
  return {
    inReplyTo: bytes(id === undefined ? '' : `In-Reply-To: ${id}\n`),
    references: referencesLine(msg, id === undefined ? undefined : bytes(`${id}\n`), 998, true),
  };
}

/** The `References:` line (with its newline), or '' when there is nothing to refer to. */
function referencesLine(msg: IncomingMessage, messageId: ByteString | undefined, maxLength: number, omitEmpty = false): ByteString {
  const chain = findHeaders(msg, 'references')[0] ?? findHeaders(msg, 'in-reply-to')[0];
  if (!chain && messageId === undefined) return bytes('');
  let ids = chain ? keepFirstAndLatest(parseMessageIds(chain.raw)) : [];
  if (maxLength > 0) ids = fitLength(ids, messageId, maxLength);
  if (omitEmpty && ids.length === 0 && messageId === undefined) return bytes('');
  const head = 'References:' + ids.map((id) => ' ' + id).join('');
  return bytes(messageId === undefined ? head + '\n' : `${head} ${messageId}`);
}

function keepFirstAndLatest(ids: ByteString[]): ByteString[] {
  if (ids.length <= MAX_REFERENCED) return ids;
  return [ids[0]!, ...ids.slice(ids.length - (MAX_REFERENCED - 1))];
}

/** Drop ids after the first until the line fits `max` characters (RFC 5322's 998). */
function fitLength(ids: ByteString[], messageId: ByteString | undefined, max: number): ByteString[] {
  const length = (list: ByteString[]) =>
    'References:'.length + list.reduce((n, id) => n + 1 + id.length, 0) + (messageId ? 1 + messageId.trimEnd().length : 0);
  const kept = [...ids];
  while (kept.length > 1 && length(kept) > max) kept.splice(1, 1);
  if (kept.length === 1 && length(kept) > max) kept.length = 0;
  return kept;
}

/**
 * Message ids in a header value, as Exim's parse_message_id() reads them:
 * `<local@domain>` with comments and white space around, rebuilt without them.
 */
export function parseMessageIds(value: ByteString): ByteString[] {
  const ids: ByteString[] = [];
  let pos = 0;
  const skipCfws = () => {
    pos = skipWhiteAndComments(value, pos);
  };
  const atom = /[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~]+/y;
  const readDotAtomOrQuoted = (): string | undefined => {
    skipCfws();
    if (value[pos] === '"') {
      const m = /"(?:[^"\\]|\\.)*"/y;
      m.lastIndex = pos;
      const q = m.exec(value);
      if (!q) return undefined;
      pos += q[0].length;
      return q[0];
    }
    let out = '';
    for (;;) {
      skipCfws();
      atom.lastIndex = pos;
      const a = atom.exec(value);
      if (!a) return out === '' ? undefined : out;
      out += a[0];
      pos += a[0].length;
      skipCfws();
      if (value[pos] !== '.') return out;
      out += '.';
      pos++;
    }
  };
  for (;;) {
    skipCfws();
    if (pos >= value.length || value[pos] !== '<') break;
    pos++;
    const local = readDotAtomOrQuoted();
    skipCfws();
    if (local === undefined || value[pos] !== '@') break;
    pos++;
    skipCfws();
    let domain: string | undefined;
    if (value[pos] === '[') {
      const end = value.indexOf(']', pos);
      if (end === -1) break;
      domain = value.slice(pos, end + 1);
      pos = end + 1;
    } else domain = readDotAtomOrQuoted();
    skipCfws();
    if (domain === undefined || value[pos] !== '>') break;
    pos++;
    ids.push(bytes(`<${local}@${domain}>`)); // pieces of the byte string value
  }
  return ids;
}
