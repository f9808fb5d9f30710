import { createRequire } from 'node:module';
import type LibMime from 'libmime';
import { fromText, type ByteString } from '../bytes.js';
import type { HeaderForm } from '../expand/context.js';
import { decodeMimeWords } from '../expand/rfc2047.js';
import { findHeaders, type IncomingMessage } from './message.js';

/**
 * Header values the way Exim's expander reads them (expand.c find_header):
 * raw values are concatenated untouched; trimmed values are joined with ",\n" for
 * address headers and "\n" for any other, then RFC 2047 words are decoded.
 */

/** Headers Exim types as address lists (receive.c), Resent- forms included. */
const ADDRESS_HEADERS = new Set(['from', 'to', 'cc', 'bcc', 'reply-to', 'sender']);

function isAddressHeader(name: string): boolean {
  const lc = name.toLowerCase();
  return ADDRESS_HEADERS.has(lc.startsWith('resent-') ? lc.slice(7) : lc);
}

/** Exim's isspace(): space, \t, \n, \v, \f, \r. */
const trim = (s: ByteString) => s.replace(/^[ \t\n\v\f\r]+|[ \t\n\v\f\r]+$/g, '');

/** The value of a header in one of Exim's three forms, or undefined when absent. */
export function headerValue(msg: IncomingMessage, name: string, form: HeaderForm): ByteString | undefined {
  const fields = findHeaders(msg, name);
  if (fields.length === 0) return undefined;
  if (form === 'raw') return fields.map((f) => f.raw).join('');
  const joiner = isAddressHeader(name) ? ',\n' : '\n';
  const joined = fields.map((f) => trim(f.raw)).join(joiner);
  return decodeEncodedWords(joined, form === 'decoded');
}

/**
 * libmime and its charset tables (iconv-lite, encoding-japanese: over 1 MB) are
 * loaded only for a header that has an encoded word, not on every delivery; a plain
 * require keeps this function synchronous (the bundle leaves libmime in node_modules).
 */
let libmime: typeof LibMime | undefined;
const loadLibmime = () => (libmime ??= createRequire(import.meta.url)('libmime') as typeof LibMime);

/**
 * RFC 2047 decoding as Exim's find_header() does it (rfc2047_decode2, see
 * decodeMimeWords): words longer than 75 characters or not strictly B/Q-decodable
 * stay as they are; whitespace between two decoded words is dropped. With
 * `toUtf8`, each word is converted from its charset to UTF-8 (`$h_`; a UTF-8 word
 * is copied unchecked, like Exim, which skips iconv when the charsets are the
 * same); without, the decoded bytes are kept as they are (`$bh_`).
 */
export function decodeEncodedWords(value: ByteString, toUtf8: boolean): ByteString {
  if (!value.includes('=?')) return value;
  if (!toUtf8) return decodeMimeWords(value);
  const mime = loadLibmime(); // outside the conversion: a missing libmime is not a bad word
  return decodeMimeWords(value, (bytes, charset) => {
    if (charset.toUpperCase() === 'UTF-8') return bytes;
    try {
      return fromText(mime.decodeWord(charset, 'B', Buffer.from(bytes, 'latin1').toString('base64')));
    } catch {
      return bytes; // iconv could not convert: Exim keeps the bytes
    }
  });
}

/**
 * `$reply_address`: Reply-To, or From when Reply-To is missing or empty; raw,
 * trimmed, newlines turned into spaces (expand.c vtype_reply).
 */
export function replyAddress(msg: IncomingMessage): ByteString {
  let value = headerValue(msg, 'reply-to', 'raw');
  if (value === undefined || trim(value) === '') value = headerValue(msg, 'from', 'raw');
  if (value === undefined) return '';
  return trim(value.replace(/\n/g, ' '));
}
