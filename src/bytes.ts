import { isUtf8 as isUtf8Buffer } from 'node:buffer';
/**
 * Exim works on bytes, and so do we: every string that holds message data,
 * configuration text or an expansion result is a *byte string* — one JavaScript
 * character per byte (code points 0-255, Node's 'latin1' encoding). That keeps
 * lengths, hashes, the non-printing check and the reply bytes identical to Exim's,
 * whatever the charset of the data. Convert only at the edges.
 */
declare const BYTES: unique symbol;
/**
 * A string the compiler knows holds bytes. The brand exists only at compile time
 * (at run time it is an ordinary string), so a ByteString can be used wherever a
 * string is read, but a plain string becomes one only through this module: from raw
 * bytes (fromBuffer), from text Node decoded (fromText), or through bytes() below.
 * Buffer's 'latin1' encoding is used here and nowhere else.
 */
export type ByteString = string & { readonly [BYTES]: true };

/**
 * Marks a string as a byte string, without converting it: the one escape hatch,
 * free at run time. Legitimate only for
 * - ASCII text: literals and constants, numbers and dates formatted by us, names
 *   we chose (ASCII is the same bytes in every encoding);
 * - the result of string operations on byte strings whose other operands are ASCII
 *   or byte strings: slice, concatenation and template literals, replace, split and
 *   join, toLowerCase (which keeps 0-255 within 0-255), a regular-expression match.
 *   None of these creates a character above 0xFF.
 * Never for text Node decoded from bytes (argv, environment, file names, a decoded
 * MIME word, a file read as UTF-8): that is fromText.
 */
export function bytes(s: string): ByteString {
  return s as ByteString;
}

/** The pieces of a byte string split at `sep` (an ASCII string or a regular expression). */
export function splitBytes(s: ByteString, sep: string | RegExp, limit?: number): ByteString[] {
  return s.split(sep, limit) as ByteString[];
}

/** Byte strings joined with `sep` (ASCII or a byte string). */
export function joinBytes(parts: readonly ByteString[], sep = ''): ByteString {
  return parts.join(sep) as ByteString;
}

/** Raw bytes to a byte string. */
export function fromBuffer(buf: Buffer): ByteString {
  return buf.toString('latin1') as ByteString;
}

/** A byte string back to raw bytes (for writing to a file, a pipe, a hash). */
export function toBuffer(s: ByteString): Buffer {
  return Buffer.from(s, 'latin1');
}

/** Text as Node decoded it (argv, environment, decoded MIME words) to its UTF-8 bytes. */
export function fromText(s: string): ByteString {
  return Buffer.from(s, 'utf8').toString('latin1') as ByteString;
}

/** A byte string holding UTF-8 to readable text (for messages shown to people). */
export function toText(s: ByteString): string {
  return toBuffer(s).toString('utf8');
}

/** True when every byte (or character, of any string) is 7-bit ASCII. */
export function isAscii(s: string): boolean {
  return !/[\x80-\xff]/.test(s);
}

/** C's isspace() set, the one Exim trims with: space, \t, \n, \v, \f, \r. */
export const SPACE_CHARS = ' \t\n\v\f\r';
/** Blanks within a header line. */
export const BLANK_CHARS = ' \t';

/**
 * `s` without the characters of `set` at its ends. A loop on purpose: a regular
 * expression such as /[ \t]+$/ takes quadratic time on a long run of blanks that
 * does not end the string, and message data can hold a megabyte of them. And
 * JavaScript's own trim() also removes byte 0xA0, which in a byte string is
 * often the last byte of a UTF-8 character.
 */
export function trimChars(s: ByteString, set?: string, ends?: 'both' | 'start' | 'end'): ByteString;
export function trimChars(s: string, set?: string, ends?: 'both' | 'start' | 'end'): string;
export function trimChars(s: string, set = SPACE_CHARS, ends: 'both' | 'start' | 'end' = 'both'): string {
  let a = 0;
  let b = s.length;
  if (ends !== 'end') while (a < b && set.includes(s[a]!)) a++;
  if (ends !== 'start') while (b > a && set.includes(s[b - 1]!)) b--;
  return a === 0 && b === s.length ? s : s.slice(a, b);
}

/**
 * A folded header value on one line: every newline with the blanks around it
 * becomes one space (linear, unlike /[ \t]*\n[ \t]*\/g on a long run of blanks).
 */
export function joinLines(s: ByteString, join?: string): ByteString;
export function joinLines(s: string, join?: string): string;
export function joinLines(s: string, join = ' '): string {
  if (!s.includes('\n')) return s;
  const lines = s.split('\n');
  return lines.map((l, i) => trimChars(l, BLANK_CHARS + '\r', i === 0 ? 'end' : i === lines.length - 1 ? 'start' : 'both')).join(join);
}

/** True when the byte string is well-formed UTF-8. */
export function isUtf8(s: ByteString): boolean {
  return isAscii(s) || isUtf8Buffer(toBuffer(s));
}

/**
 * The byte string as text when it is UTF-8, else with its bytes escaped as JSON
 * does (`\u00e9`): for showing keys and notes to a person without guessing.
 */
export function displayText(s: ByteString): string {
  return isUtf8(s) ? toText(s) : JSON.stringify(s).slice(1, -1);
}
