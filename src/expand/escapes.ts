import { isXDigit } from './chars.js';

const isOctal = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '7';

/**
 * Exim's string_interpret_escape(): `s[pos]` is a backslash. Returns the byte the
 * escape stands for and the index of the last character consumed. Octal takes up
 * to three digits, `\x` up to two hex digits (none gives NUL), `\b \f \n \r \t \v`
 * are C escapes, and any other character stands for itself (`\$`, `\{`, `\\`).
 */
export function interpretEscape(s: string, pos: number): { ch: string; last: number } {
  let p = pos + 1;
  const c = s[p];
  if (c === undefined) return { ch: '\\', last: pos };
  if (isOctal(c)) {
    let v = c.charCodeAt(0) - 48;
    if (isOctal(s[p + 1])) {
      v = v * 8 + s.charCodeAt(++p) - 48;
      if (isOctal(s[p + 1])) v = v * 8 + s.charCodeAt(++p) - 48;
    }
    return { ch: String.fromCharCode(v & 0xff), last: p };
  }
  switch (c) {
    case 'b':
      return { ch: '\b', last: p };
    case 'f':
      return { ch: '\f', last: p };
    case 'n':
      return { ch: '\n', last: p };
    case 'r':
      return { ch: '\r', last: p };
    case 't':
      return { ch: '\t', last: p };
    case 'v':
      return { ch: '\v', last: p };
    case 'x': {
      let v = 0;
      for (let i = 0; i < 2 && isXDigit(s[p + 1]); i++) v = v * 16 + parseInt(s[++p] as string, 16);
      return { ch: String.fromCharCode(v), last: p };
    }
    default:
      return { ch: c, last: p };
  }
}
