import { isAlnum, isSpace } from './chars.js';
import { ExpansionError } from './errors.js';
import { type ByteString, toBuffer } from '../bytes.js';

/**
 * string_printing() as `${escape:}` uses it: printable ASCII and tab stay, the C
 * escapes \n \r \b \v \f are written as such, anything else as \ooo octal.
 */
export function escapePrinting(s: string): string {
  let out = '';
  for (const c of s) {
    const code = c.charCodeAt(0);
    if ((code >= 0x20 && code < 0x7f) || c === '\t') out += c;
    else {
      const named: Record<string, string> = { '\n': 'n', '\r': 'r', '\b': 'b', '\v': 'v', '\f': 'f' };
      out += `\\${named[c] ?? code.toString(8).padStart(3, '0')}`;
    }
  }
  return out;
}

/** `${escape8bit:}`: bytes from 127 up, and backslash, as \ooo. */
export function escape8bit(s: string): string {
  let out = '';
  for (const c of s) {
    const code = c.charCodeAt(0);
    out += code < 127 && c !== '\\' ? c : `\\${code.toString(8).padStart(3, '0')}`;
  }
  return out;
}

/**
 * `${quote:}`: quoted (with \ before " and \, and \n \r spelt out) unless every
 * byte is a letter, digit, `_`, `-` or `.`; the empty string is quoted.
 */
export function quote(s: string): string {
  let needs = s === '';
  for (const c of s) if (!isAlnum(c) && !'_-.'.includes(c)) needs = true;
  return needs ? quoteAlways(s) : s;
}

/** `${quote_local_part:}`: quoted only when the string is not a valid dot-atom. */
export function quoteLocalPart(s: string): string {
  let needs = s === '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i] as string;
    if (isAlnum(c) || "!#$%&'*+-/=?^_`{|}~".includes(c)) continue;
    if (c === '.' && i !== 0 && i !== s.length - 1 && s[i - 1] !== '.') continue;
    needs = true;
  }
  return needs ? quoteAlways(s) : s;
}

function quoteAlways(s: string): string {
  let out = '"';
  for (const c of s) {
    if (c === '\n') out += '\\n';
    else if (c === '\r') out += '\\r';
    else out += c === '\\' || c === '"' ? `\\${c}` : c;
  }
  return `${out}"`;
}

export function base64(s: ByteString): string {
  return toBuffer(s).toString('base64');
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/**
 * Exim's b64decode(): strict quanta of four (whitespace ignored), `=` padding only
 * at the very end. Returns undefined for malformed input.
 */
export function base64Decode(code: string): string | undefined {
  let i = 0;
  let out = '';
  const next = (): string | undefined => {
    while (isSpace(code[i])) i++;
    return code[i++];
  };
  const val = (c: string | undefined): number => (c === undefined ? -1 : B64.indexOf(c));
  for (;;) {
    while (isSpace(code[i])) i++;
    if (i >= code.length) return out;
    const x = val(code[i++]);
    if (x < 0) return undefined;
    const y = val(next());
    if (y < 0) return undefined;
    out += String.fromCharCode(((x << 2) | (y >> 4)) & 0xff);
    const c3 = next();
    if (c3 === '=') {
      const c4 = next();
      return c4 === '=' && i >= code.length ? out : undefined;
    }
    const z = val(c3);
    if (z < 0) return undefined;
    out += String.fromCharCode(((y << 4) | (z >> 2)) & 0xff);
    const c4 = next();
    if (c4 === '=') return i >= code.length ? out : undefined;
    const w = val(c4);
    if (w < 0) return undefined;
    out += String.fromCharCode(((z << 6) | w) & 0xff);
  }
}

/** `${hex2b64:}`: an even-length hex string to base64. */
export function hex2b64(s: string): string {
  if (s.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(s)) {
    throw new ExpansionError(`"${s}" is not a hex string`);
  }
  return Buffer.from(s, 'hex').toString('base64');
}
