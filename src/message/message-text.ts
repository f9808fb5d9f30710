import { bytes, type ByteString, fromBuffer, fromText, toBuffer } from '../bytes.js';
import { readFileCapped } from '../files.js';
import type { IncomingMessage } from './message.js';

/**
 * The incoming message's text as a reader sees it (issue 13, "quoting the
 * message"), for acknowledgements that quote what was received. Beyond Exim:
 * not available under --exim-strict, where these names are unknown variables
 * like any other.
 *
 *   $message_text   the text: the text/plain part (or, when there is none, the
 *                   HTML part turned into text), transfer encoding and charset
 *                   decoded, as UTF-8; CRLF made LF, control characters (tab
 *                   aside) dropped, leading and trailing blank lines dropped,
 *                   no final newline; at most TEXT_LIMIT bytes.
 *   $message_quote  its first QUOTE_LINES lines, each prefixed with "> " (an
 *                   empty line with ">" alone), no final newline.
 *   {quote}         the same in a reply file's body; {quote N}: the first N lines.
 *
 * Decoding MIME takes mailparser (simpleParser, whose `.text` is the text/plain
 * part or its own html-to-text conversion of the HTML part), which is a chunk of
 * its own (dist/autoreply-quote.cjs, message/quote.ts) loaded only by deliveries
 * that use one of the names: a cheap scan of the configured strings before the
 * message is read decides (wantsMessageText in delivery/deliver.ts), since the
 * expander is synchronous. The text is then decoded once, before anything is
 * expanded, and kept here for the message; unprepared, it is empty.
 *
 * Bounded: mailparser sees the header block and at most TEXT_INPUT_LIMIT bytes
 * of the body (a delivery that uses the text keeps that much of the body), and a
 * message mailparser cannot read gives an empty text, never a failure.
 */

/** Body bytes given to mailparser at most (a 100 MB message is cut here: its text comes first). */
export const TEXT_INPUT_LIMIT = 1024 * 1024;
/** `$message_text` is at most this many bytes of UTF-8, cut at a character boundary. */
export const TEXT_LIMIT = 64 * 1024;
/** Lines of `$message_quote` and of `{quote}` without a number. */
export const QUOTE_LINES = 20;
/** The largest N of `{quote N}`. */
export const MAX_QUOTE_LINES = 100000;

/** Where a configured string names the text (a cheap test; a false alarm only costs a parse). */
const NAMES_TEXT = /message_(?:text|quote)/;

const texts = new WeakMap<IncomingMessage, ByteString>();

/** The decoded text of a prepared message ('' when not prepared, or when it has none). */
export function messageTextOf(msg: IncomingMessage): ByteString {
  return texts.get(msg) ?? bytes('');
}

/** Whether prepareMessageText has run for this message. */
export function messageTextReady(msg: IncomingMessage): boolean {
  return texts.has(msg);
}

/**
 * The first `lines` lines of a text, each as "> line" (">" alone for an empty
 * line), joined by newlines, without a final newline; '' for an empty text.
 */
export function quoteLines(text: ByteString, lines: number): ByteString {
  if (text === '') return text;
  return bytes(
    text
      .split('\n', lines)
      .map((l) => (l === '' ? '>' : `> ${l}`))
      .join('\n'),
  );
}

/** Whether any string among the option values names `$message_text` or `$message_quote`. */
export function optionsNameMessageText(options: object): boolean {
  return Object.values(options).some((v) => typeof v === 'string' && NAMES_TEXT.test(v));
}

/** Whether a `file` read with file_expand names them; an unreadable file does not (the body step reports it). */
export function fileNamesMessageText(path: ByteString): boolean {
  try {
    return NAMES_TEXT.test(fromBuffer(readFileCapped(toBuffer(path))));
  } catch {
    return false;
  }
}

/** Decode the message's text with mailparser (loaded now, from its chunk) and keep it for the message. */
export async function prepareMessageText(msg: IncomingMessage): Promise<void> {
  if (texts.has(msg)) return;
  let text = '';
  try {
    const { decodeMessageText } = await import('./quote.js');
    text = await decodeMessageText(toBuffer(bytes(`${msg.headerBlock}\n${msg.bodyKept.slice(0, TEXT_INPUT_LIMIT)}`)));
  } catch {
    // a message mailparser cannot read quotes as nothing
  }
  texts.set(msg, tidyText(text));
}

/** Decoded text (as mailparser gives it) to the bytes of `$message_text`. */
export function tidyText(text: string): ByteString {
  const lines = text
    .replace(/\r\n?/g, '\n')
    .replace(/[\x00-\x08\x0b-\x1f\x7f]/g, '')
    .split('\n');
  let a = 0;
  let b = lines.length;
  while (a < b && blank(lines[a]!)) a++;
  while (b > a && blank(lines[b - 1]!)) b--;
  // TEXT_LIMIT characters are at least TEXT_LIMIT bytes
  const utf8 = fromText(lines.slice(a, b).join('\n').slice(0, TEXT_LIMIT));
  if (utf8.length <= TEXT_LIMIT) return utf8;
  // cut at a character boundary: not before a UTF-8 continuation byte
  let end = TEXT_LIMIT;
  while (end > 0 && (utf8.charCodeAt(end) & 0xc0) === 0x80) end--;
  return bytes(utf8.slice(0, end));
}

function blank(line: string): boolean {
  for (let i = 0; i < line.length; i++) if (line[i] !== ' ' && line[i] !== '\t') return false;
  return true;
}
