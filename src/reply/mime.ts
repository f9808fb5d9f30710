import { angleStart, mailboxSegments } from '../address/list.js';
import { BLANK_CHARS, bytes, type ByteString, isAscii, isUtf8, splitBytes, toBuffer, trimChars } from '../bytes.js';
import { isAddressHeader } from '../message/message.js';

/**
 * MIME help for replies outside `--exim-strict`: Exim refuses header values with
 * bytes >= 0x80; we RFC 2047 encode them instead, and label an 8-bit body.
 *
 * Text that is valid UTF-8 (what `$h_` gives) is labelled UTF-8. Bytes that are
 * not valid UTF-8 (from `$rh_`, or a Latin-1 `file`) are labelled ISO-8859-1: every
 * byte is a character there, and it is the likeliest legacy charset — better than
 * claiming UTF-8 and showing replacement characters.
 */

const MAX_LINE = 78; // RFC 5322 section 2.1.1 "SHOULD"
const MAX_WORD = 75; // RFC 2047 section 2

type Piece =
  | { encode: false; sep: string; text: ByteString }
  | { encode: true; sep: string; text: ByteString; phrase: boolean };

/**
 * The value to write after `Name: `, RFC 2047 encoded when it holds bytes >= 0x80
 * (otherwise returned unchanged). Encoded words carry whole characters only and
 * the result is folded (`\n` + whitespace) so that no line, `Name: ` included,
 * exceeds 78 characters — except an ASCII word longer than a line, which cannot
 * be broken. In address headers (From, To, Cc, Bcc, Reply-To, Sender, Resent-*)
 * only display names are encoded; `<addr>` stays as it is.
 */
export function encodeHeaderValue(name: string, value: ByteString): ByteString {
  if (isAscii(value)) return value;
  const flat = trimChars(bytes(value.replace(/\r?\n(?=[ \t])/g, '')), ' \t\r\n', 'end');
  const charset = isUtf8(flat) ? 'UTF-8' : 'ISO-8859-1';
  const pieces = isAddressHeader(name) ? addressPieces(flat) : textPieces(flat);
  return layout(name.length + 2, pieces, charset);
}

/**
 * The `headers` option: each `Name: value` line (with its continuation lines)
 * whose value is not ASCII gets its value encoded as above; ASCII lines, and
 * lines that are not headers, are left exactly as written.
 */
export function encodeHeaderLines(text: ByteString): ByteString {
  if (isAscii(text)) return text;
  return bytes(
    text
      .split(/\n(?![ \t])/)
      .map((field) => {
        const m = /^([!-9;-~]+)([ \t]*:[ \t]?)([\s\S]*)$/.exec(field);
        if (!m || isAscii(m[3]!)) return field;
        return `${m[1]}${m[2]}${encodeHeaderValue(m[1]!, bytes(m[3]!))}`;
      })
      .join('\n'),
  );
}

/**
 * MIME header lines (each ending in `\n`) to add for a reply body with 8-bit text:
 * MIME-Version, Content-Type text/plain with its charset, Content-Transfer-Encoding
 * 8bit — each only when the `headers` option does not already set it. '' for an
 * ASCII body.
 */
export function bodyMimeHeaders(body: ByteString, headersOption: ByteString): ByteString {
  if (isAscii(body)) return bytes('');
  const has = (n: string) => new RegExp(`^${n}[ \\t]*:`, 'im').test(headersOption);
  const charset = isUtf8(body) ? 'utf-8' : 'iso-8859-1';
  let out = '';
  if (!has('MIME-Version')) out += 'MIME-Version: 1.0\n';
  if (!has('Content-Type')) out += `Content-Type: text/plain; charset=${charset}\n`;
  if (!has('Content-Transfer-Encoding')) out += 'Content-Transfer-Encoding: 8bit\n';
  return bytes(out);
}

/**
 * Unstructured text (Subject and the like): leading and trailing ASCII words stay
 * readable; the stretch from the first to the last word that needs encoding
 * becomes encoded words (the spaces inside it encoded too, since decoders drop
 * whitespace between encoded words). A word that merely looks like an encoded
 * word is encoded so it cannot be mistaken for one.
 */
function textPieces(flat: ByteString): Piece[] {
  const words: { sep: string; text: ByteString; start: number }[] = [];
  const re = /([ \t]*)([^ \t]+)/g;
  for (let m = re.exec(flat); m; m = re.exec(flat)) {
    words.push({ sep: m[1]!, text: bytes(m[2]!), start: m.index + m[1]!.length });
  }
  const needs = (w: string) => !isAscii(w) || w.includes('=?');
  const first = words.findIndex((w) => needs(w.text));
  let last = words.length - 1;
  while (last >= 0 && !needs(words[last]!.text)) last--;
  if (first === -1) return words.map((w) => ({ encode: false, ...w }));
  const pieces: Piece[] = [];
  for (const w of words.slice(0, first)) pieces.push({ encode: false, sep: w.sep, text: w.text });
  const lastWord = words[last]!;
  pieces.push({
    encode: true,
    phrase: false,
    sep: words[first]!.sep,
    text: bytes(flat.slice(words[first]!.start, lastWord.start + lastWord.text.length)),
  });
  for (const w of words.slice(last + 1)) pieces.push({ encode: false, sep: w.sep, text: w.text });
  return pieces;
}

/** An address list: mailboxes split at top-level commas; non-ASCII display names encoded. */
function addressPieces(flat: ByteString): Piece[] {
  const pieces: Piece[] = [];
  const segments = mailboxSegments(flat);
  segments.forEach((seg, i) => {
    const comma = i < segments.length - 1 ? ',' : '';
    const lead = /^[ \t]*/.exec(seg)![0];
    const body = trimChars(bytes(seg.slice(lead.length)), BLANK_CHARS, 'end');
    const sep = i === 0 ? lead : lead || ' ';
    const lt = angleStart(body);
    const display = lt > 0 ? trimChars(bytes(body.slice(0, lt)), BLANK_CHARS, 'end') : bytes('');
    if (lt > 0 && !isAscii(display)) {
      const q = /^"((?:[^"\\]|\\.)*)"$/.exec(display);
      const text = q ? bytes(q[1]!.replace(/\\(.)/g, '$1')) : display;
      pieces.push({ encode: true, phrase: true, sep, text });
      pieces.push({ encode: false, sep: ' ', text: bytes(body.slice(lt) + comma) });
      return;
    }
    // nothing to encode here (or nothing we may encode, like an SMTPUTF8 address)
    const words = splitBytes(bytes(body + comma), /([ \t]+)/);
    let s = sep;
    for (let k = 0; k < words.length; k += 2) {
      if (words[k] !== '') pieces.push({ encode: false, sep: s, text: words[k]! });
      s = words[k + 1] ?? ' ';
    }
  });
  return pieces;
}

/** Lay the pieces out on lines of at most 78 characters, folding at whitespace. */
function layout(prefix: number, pieces: Piece[], charset: string): ByteString {
  let out = '';
  let col = prefix;
  let lineHasText = false;
  const put = (sep: string, text: string) => {
    const canFold = sep !== '' && lineHasText;
    if (canFold && col + sep.length + text.length > MAX_LINE) {
      out += '\n' + sep + text;
      col = sep.length + text.length;
    } else {
      out += sep + text;
      col += sep.length + text.length;
    }
    lineHasText = true;
  };
  for (const p of pieces) {
    if (!p.encode) {
      put(p.sep, p.text);
      continue;
    }
    const chars = charset === 'UTF-8' ? utf8Chars(p.text) : p.text.split('');
    const useB = bLength(chars.join('')) < qLength(chars.join(''), p.phrase);
    const wordLength = (s: string) => charset.length + 7 + (useB ? bLength(s) : qLength(s, p.phrase));
    let sep = p.sep;
    let i = 0;
    while (i < chars.length) {
      // how many characters fit on this line, then on a fresh one
      let n = fit(chars, i, Math.min(MAX_WORD, MAX_LINE - col - sep.length), wordLength);
      if (n === 0 && sep !== '' && lineHasText) {
        out += '\n';
        col = 0;
        n = fit(chars, i, Math.min(MAX_WORD, MAX_LINE - sep.length), wordLength);
      }
      n = Math.max(n, 1); // a line that cannot hold one character: overlong beats losing text
      const chunk = bytes(chars.slice(i, i + n).join(''));
      const word = `=?${charset}?${useB ? 'B' : 'Q'}?${useB ? toBuffer(chunk).toString('base64') : qEncode(chunk, p.phrase)}?=`;
      out += sep + word;
      col += sep.length + word.length;
      lineHasText = true;
      sep = ' ';
      i += n;
    }
  }
  return bytes(out);
}

/** The most characters from `from` whose encoded word is at most `room` long. */
function fit(chars: string[], from: number, room: number, wordLength: (s: string) => number): number {
  let n = 0;
  let text = '';
  while (from + n < chars.length) {
    const next = text + chars[from + n]!;
    if (wordLength(next) > room) break;
    text = next;
    n++;
  }
  return n;
}

/** Whole UTF-8 sequences, so that no encoded word ends inside a character. */
function utf8Chars(s: ByteString): string[] {
  return s.match(/[\x00-\x7f]|[\xc0-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf7][\x80-\xbf]{3}|[\s\S]/g) ?? [];
}

function bLength(s: string): number {
  return Math.ceil(s.length / 3) * 4;
}

/** Characters Q may leave as they are: RFC 2047 5(3) in a phrase, any safe printable in text. */
function qLiteral(c: string, phrase: boolean): boolean {
  return phrase ? /[A-Za-z0-9!*+\-/]/.test(c) : /[!-~]/.test(c) && !/[=?_]/.test(c);
}

function qLength(s: string, phrase: boolean): number {
  let n = 0;
  for (const c of s) n += c === ' ' || qLiteral(c, phrase) ? 1 : 3;
  return n;
}

function qEncode(s: string, phrase: boolean): string {
  let out = '';
  for (const c of s) {
    if (c === ' ') out += '_';
    else if (qLiteral(c, phrase)) out += c;
    else out += '=' + c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0');
  }
  return out;
}
