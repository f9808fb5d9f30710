import type LibMime from 'libmime';
import { bytes, type ByteString, fromText, isAscii, toBuffer, trimChars } from '../bytes.js';
import { lazyRequire } from '../lazy.js';
import type { HeaderForm } from '../expand/context.js';
import { decodeMimeWords } from '../expand/rfc2047.js';
import { findHeaders, isAddressHeader, type IncomingMessage } from './message.js';

/**
 * Header values the way Exim's expander reads them (expand.c find_header):
 * raw values are concatenated untouched; trimmed values are joined with ",\n" for
 * address headers and "\n" for any other, then RFC 2047 words are decoded.
 */


/** Exim trims with isspace(): space, \t, \n, \v, \f, \r. */
const trim = (s: ByteString) => trimChars(s);

/** Exim's header_insert_maxlen: what a header variable inserts is cut at 64 KiB. */
export const HEADER_INSERT_MAXLEN = 64 * 1024;

/** The value of a header in one of Exim's three forms, or undefined when absent. */
export function headerValue(msg: IncomingMessage, name: string, form: HeaderForm): ByteString | undefined {
  const fields = findHeaders(msg, name);
  if (fields.length === 0) return undefined;
  return joinFields(
    fields.map((f) => f.raw),
    form,
    isAddressHeader(name) ? ',\n' : '\n',
  );
}

/**
 * `$message_headers` (decoded bytes, no charset conversion, as Exim passes no
 * charset) and `$message_headers_raw`: every header line as find_header() with no
 * name gives them.
 */
export function allHeaders(msg: IncomingMessage, raw: boolean): ByteString {
  return joinFields(
    msg.headers.map((h) => bytes(`${h.name}:${h.raw}`)),
    raw ? 'raw' : 'bytes',
    '\n',
  );
}

/**
 * find_header()'s joining: raw values concatenated; others trimmed and joined with
 * `joiner`, then RFC 2047 decoded; the joined text cut at HEADER_INSERT_MAXLEN
 * (before decoding, as Exim does).
 */
function joinFields(values: ByteString[], form: HeaderForm, joiner: string): ByteString {
  let joined = '';
  for (const value of values) {
    const v = form === 'raw' ? value : trim(value);
    const take = Math.min(v.length, HEADER_INSERT_MAXLEN - joined.length);
    if (form === 'raw') joined += v.slice(0, take);
    else if (take > 0) joined += (joined === '' ? '' : joiner) + v.slice(0, take);
    if (joined.length >= HEADER_INSERT_MAXLEN) break;
  }
  const out = bytes(joined);
  return form === 'raw' ? out : decodeEncodedWords(out, form === 'decoded');
}

/**
 * libmime and its charset tables (iconv-lite, encoding-japanese: over 1 MB) are
 * loaded only for a header that has an encoded word, not on every delivery; a plain
 * require keeps this function synchronous (the bundle leaves libmime in node_modules).
 */
let libmime: typeof LibMime | undefined;
const loadLibmime = () => (libmime ??= lazyRequire<typeof LibMime>('libmime'));

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
  return decodeMimeWords(value, (bytes, charset) => {
    const cs = charset.toUpperCase().replace(/\*.*$/, '');
    // the common charsets need no tables: UTF-8 and ASCII are copied (Exim skips
    // iconv when the charsets are the same), Latin-1 bytes are its code points
    if (cs === 'UTF-8' || (cs === 'US-ASCII' && isAscii(bytes))) return bytes;
    if (cs === 'ISO-8859-1' || cs === 'LATIN1') return fromText(bytes);
    const mime = loadLibmime(); // outside the conversion: a missing libmime is not a bad word
    try {
      return fromText(mime.decodeWord(charset, 'B', toBuffer(bytes).toString('base64')));
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
  if (value === undefined) return bytes('');
  return trim(bytes(value.replace(/\n/g, ' ')));
}
