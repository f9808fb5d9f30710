import { isSpace } from './chars.js';
import { ExpansionError } from './errors.js';
import { base64Decode } from './text.js';
import { bytes, type ByteString, fromText, toBuffer } from '../bytes.js';

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

/** A decodable encoded word: where it starts and ends, its charset and its decoded bytes. */
interface MimeWord {
  start: number;
  end: number;
  charset: string;
  bytes: ByteString;
}

/**
 * rfc2047.c decode_mimeword(): the next `=?charset?E?data?=` from `from` whose
 * encoding letter is B or Q and whose data decodes (Exim's strict base64 and QP:
 * no blanks, `=` followed by two hex digits). As Exim's check_rfc2047_length
 * (on by default) says, a word longer than 75 characters is not one. A candidate
 * that fails is skipped from just after its `=?`.
 *
 * Exim searches the whole rest of the string for each candidate's `?` and `?=`,
 * which takes quadratic time on a header full of `=?`; since a word is at most 75
 * characters, looking within 75 characters of its start finds the same words.
 */
function nextMimeWord(s: string, from: number): MimeWord | undefined {
  for (let pos = from; ; ) {
    const start = s.indexOf('=?', pos);
    if (start < 0) return undefined;
    pos = start + 2;
    const window = s.slice(start, start + MAX_WORD);
    const q1 = window.indexOf('?', 2);
    const q2 = q1 < 0 ? -1 : window.indexOf('?', q1 + 1);
    const end = q2 < 0 ? -1 : window.indexOf('?=', q2 + 1);
    if (end < 0 || q2 - q1 !== 2) continue;
    const enc = (window[q1 + 1] as string).toUpperCase();
    const data = window.slice(q2 + 1, end);
    const decoded = enc === 'B' ? base64Decode(data) : enc === 'Q' ? qpDecode(data) : undefined;
    if (decoded !== undefined) return { start, end: start + end + 2, charset: window.slice(2, q1), bytes: bytes(decoded) };
  }
}

/** The longest encoded word Exim decodes (the `?=` starts at most 73 characters after `=?`). */
const MAX_WORD = 75;

/** rfc2047_qpdecode(): `_` is a space, `=XX` a byte; blanks or a bad `=` reject the word. */
function qpDecode(data: string): string | undefined {
  let out = '';
  for (let i = 0; i < data.length; i++) {
    const c = data[i] as string;
    if (c === '_') out += ' ';
    else if (c === '=') {
      const hex = data.slice(i + 1, i + 3);
      if (!/^[0-9A-Fa-f]{2}$/.test(hex)) return undefined;
      out += String.fromCharCode(parseInt(hex, 16));
      i += 2;
    } else if (c === ' ' || c === '\t') return undefined;
    else out += c;
  }
  return out;
}

/**
 * rfc2047_decode2(): decodes every encoded word of `s` (byte string), converting
 * each one's bytes with `convert` (none: bytes kept, as for `$bh_`); NULs become
 * `?`; text between words is kept, except whitespace between two decodable words.
 * A string without any decodable word is returned unchanged.
 */
export function decodeMimeWords(s: ByteString, convert?: (data: ByteString, charset: string) => ByteString): ByteString {
  let word = nextMimeWord(s, 0);
  if (!word) return s;
  let out = '';
  let pos = 0;
  while (word) {
    out += s.slice(pos, word.start);
    out += (convert ? convert(word.bytes, word.charset) : word.bytes).replace(/\0/g, '?');
    pos = word.end;
    word = nextMimeWord(s, pos);
    if (word) {
      let p = pos;
      while (isSpace(s[p])) p++;
      if (p === word.start) pos = p;
    }
  }
  return bytes(out + s.slice(pos));
}

/**
 * `${rfc2047d:}`: decodes encoded words into UTF-8 bytes (Exim's headers_charset);
 * a charset iconv cannot open fails the expansion, as in Exim.
 */
export function decodeRfc2047(s: ByteString): ByteString {
  return decodeMimeWords(s, (data, charset) =>
    charset.toUpperCase() === 'UTF-8' ? data : convert(toBuffer(data), charset),
  );
}

/** Charset bytes to UTF-8 bytes (a byte string); an unknown charset fails as iconv does. */
function convert(data: Buffer, charset: string): ByteString {
  const cs = charset.replace(/\*.*$/, ''); // RFC 2231 language suffix
  let decoder: InstanceType<typeof TextDecoder>;
  try {
    decoder = new TextDecoder(cs);
  } catch {
    throw new ExpansionError(
      `iconv_open("UTF-8", "${charset}") failed: Invalid argument (maybe unsupported conversion)`,
    );
  }
  return fromText(decoder.decode(data));
}
