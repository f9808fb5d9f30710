import { ExpansionError } from './errors.js';

/**
 * parse_quote_2047() as `${rfc2047:}` calls it (charset UTF-8, no folding): when
 * any byte needs encoding, the whole string becomes Q-encoded words of at most
 * ~75 characters separated by a space; otherwise it is returned unchanged.
 * Exim avoids splitting a two-byte sequence between words ("first_byte").
 */
export function encodeRfc2047(s: string, charset = 'UTF-8'): string {
  const head = `=?${charset}?Q?`;
  let out = head;
  // Exim starts counting after the first word's "=?UTF-8?Q?", but later words
  // count theirs: the first word holds about ten more characters.
  let lineOff = head.length;
  let coded = false;
  let firstByte = false;
  for (const c of s) {
    const ch = c.charCodeAt(0);
    if (out.length - lineOff > 67 && !firstByte) {
      out += '?= ';
      lineOff = out.length;
      out += head;
    }
    if (ch < 33 || ch > 126 || '?=()<>@,;:\\".[]_'.includes(c)) {
      if (ch === 32) {
        out += '_';
        firstByte = false;
      } else {
        out += `=${ch.toString(16).toUpperCase().padStart(2, '0')}`;
        coded = true;
        firstByte = !firstByte;
      }
    } else {
      out += c;
      firstByte = false;
    }
  }
  return coded ? `${out}?=` : s;
}

const WORD = /=\?([^?\s]+)\?([QqBb])\?([^?\s]*)\?=/g;

/**
 * `${rfc2047d:}`: decodes encoded words into UTF-8 bytes (Exim's headers_charset);
 * whitespace between two adjacent encoded words is dropped. Text outside encoded
 * words is kept as is.
 */
export function decodeRfc2047(s: string): string {
  let out = '';
  let last = 0;
  let prevWordEnd = -1;
  for (const m of s.matchAll(WORD)) {
    const idx = m.index ?? 0;
    const gap = s.slice(last, idx);
    if (!(prevWordEnd === last && /^[ \t\r\n]*$/.test(gap))) out += gap;
    if (m[0].length > 75) {
      out += m[0];
    } else {
      out += convert(decodeWord(m[2] as string, m[3] as string), m[1] as string);
    }
    last = idx + m[0].length;
    prevWordEnd = last;
  }
  return out + s.slice(last);
}

function decodeWord(enc: string, text: string): Buffer {
  if (enc === 'B' || enc === 'b') {
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text)) throw new ExpansionError(`invalid base64 in RFC 2047 word "${text}"`);
    return Buffer.from(text, 'base64');
  }
  const bytes: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (c === '_') bytes.push(32);
    else if (c === '=' && /^[0-9A-Fa-f]{2}$/.test(text.slice(i + 1, i + 3))) {
      bytes.push(parseInt(text.slice(i + 1, i + 3), 16));
      i += 2;
    } else bytes.push(c.charCodeAt(0) & 0xff);
  }
  return Buffer.from(bytes);
}

/** Charset bytes to UTF-8 bytes (a byte string); an unknown charset fails as iconv does. */
function convert(bytes: Buffer, charset: string): string {
  const cs = charset.replace(/\*.*$/, ''); // RFC 2231 language suffix
  let decoder: InstanceType<typeof TextDecoder>;
  try {
    decoder = new TextDecoder(cs);
  } catch {
    throw new ExpansionError(
      `iconv_open("UTF-8", "${charset}") failed: Invalid argument (maybe unsupported conversion)`,
    );
  }
  return Buffer.from(decoder.decode(bytes), 'utf8').toString('latin1');
}
