import { bytes, type ByteString } from '../bytes.js';

/**
 * The lexical pieces of RFC 5322 structured header values that several readers
 * share: white space and (nested) comments, quoted strings. Addresses
 * (address/parse.ts), message ids (reply/references.ts) and the safety rules'
 * structured headers (Auto-Submitted, Content-Type, Authentication-Results) all
 * read values through these, so that a comment or a quoted string means the same
 * thing everywhere.
 */

/** C's isspace(), the white space Exim's parsers skip: space, \t \n \v \f \r. */
export const isWhite = (c: string | undefined): boolean =>
  c === ' ' || c === '\t' || c === '\n' || c === '\v' || c === '\f' || c === '\r';

/**
 * Exim's skip_comment() (parse.c): the position after white space and comments
 * starting at `pos`. Comments nest; a backslash quotes the next character; an
 * unterminated comment runs to the end.
 */
export function skipCfws(s: ByteString, pos: number): number {
  let p = pos;
  for (;;) {
    while (isWhite(s[p])) p++;
    if (s[p] !== '(') return p;
    p = commentEnd(s, p);
  }
}

/** The position just after the comment that starts at `start` (an open parenthesis). */
export function commentEnd(s: ByteString, start: number): number {
  let level = 0;
  for (let p = start; p < s.length; p++) {
    const c = s[p];
    if (c === '\\') p++;
    else if (c === '(') level++;
    else if (c === ')' && --level === 0) return p + 1;
  }
  return s.length;
}

/** The position just after the quoted string that starts at `start` (a double quote); the end when unterminated. */
export function quotedEnd(s: ByteString, start: number): number {
  for (let p = start + 1; p < s.length; p++) {
    const c = s[p];
    if (c === '\\') p++;
    else if (c === '"') return p + 1;
  }
  return s.length;
}

/** The value with comments replaced by one space each (quoted strings kept whole), for reading structured headers. */
export function stripComments(v: ByteString): ByteString {
  let out = '';
  let from = 0;
  for (let p = 0; p < v.length; ) {
    const c = v[p];
    if (c === '"') p = quotedEnd(v, p);
    else if (c === '(') {
      out += v.slice(from, p) + ' ';
      p = from = commentEnd(v, p);
    } else p++;
  }
  return bytes(out + v.slice(from));
}

/** The value split at `sep` where it is outside quoted strings and comments. */
export function splitOutside(v: ByteString, sep: string): ByteString[] {
  const out: ByteString[] = [];
  let from = 0;
  for (let p = 0; p < v.length; ) {
    const c = v[p];
    if (c === '"') p = quotedEnd(v, p);
    else if (c === '(') p = commentEnd(v, p);
    else if (c === sep) {
      out.push(bytes(v.slice(from, p)));
      from = ++p;
    } else p++;
  }
  out.push(bytes(v.slice(from)));
  return out;
}
