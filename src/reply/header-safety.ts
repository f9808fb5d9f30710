import { bytes, type ByteString, splitBytes } from '../bytes.js';
import type { Expanded } from '../expand/context.js';
import { dataSpans } from '../expand/out.js';

/**
 * What keeps a reply's header block ours outside `--exim-strict` (SPEC 5): only
 * newlines written in the configuration separate header lines, no control
 * character or raw 8-bit byte is written, and no line exceeds RFC 5322's 998
 * characters. A reply that could only be written otherwise is not sent — the
 * rule `malformed` — because `sendmail -t` reads its recipients from these very
 * lines: a `Bcc:` line forged by message data would mail a third party.
 */

/** RFC 5322 section 2.1.1: a line MUST be at most 998 characters. */
export const MAX_LINE = 998;
/** Where long lines are folded to: the RFC's SHOULD. */
const FOLD_AT = 78;

/**
 * Where message data would end a line of the `headers` option: a CR, a NUL or
 * another control character, or a newline not followed by a blank (a newline
 * followed by one only folds the line, which is harmless), inside a stretch of
 * the value that came from the message. Newlines written in the configuration
 * are the option's own. undefined when there is none.
 */
export function dataLineBreak(v: Expanded): string | undefined {
  for (const [from, to] of dataSpans(v)) {
    for (let i = from; i < to; i++) {
      const c = v.value.charCodeAt(i);
      if (c >= 0x20 && c !== 0x7f) continue;
      if (c === 0x09) continue;
      if (c === 0x0a && (v.value[i + 1] === ' ' || v.value[i + 1] === '\t')) continue;
      return c === 0x0a
        ? 'message data would start a header line of its own'
        : `message data holds control character ${c} for a header line`;
    }
  }
  return undefined;
}

/**
 * The reply with its header block made safe to submit, or why it cannot be:
 * a control character (tab and the newlines aside) or a byte >= 128 anywhere in
 * the header block (8-bit text has been RFC 2047 encoded by then, so what is left
 * is an address that cannot be written in ASCII, or the like), or a line longer
 * than 998 characters that cannot be folded at a blank. Lines longer than that
 * are folded (at blanks, to about 78 characters); shorter ones are left alone.
 */
export function safeHeaderBlock(reply: ByteString): { reply: ByteString } | { problem: string } {
  const end = reply.indexOf('\n\n');
  const block = end < 0 ? reply : bytes(reply.slice(0, end + 1));
  const lines = splitBytes(block, '\n');
  if (lines[lines.length - 1] === '') lines.pop();
  let changed = false;
  let field = '';
  for (let n = 0; n < lines.length; n++) {
    const line = lines[n]!;
    if (line[0] !== ' ' && line[0] !== '\t') field = fieldName(line);
    for (let i = 0; i < line.length; i++) {
      const c = line.charCodeAt(i);
      if ((c < 0x20 && c !== 0x09) || c === 0x7f) return { problem: `control character ${c} in the ${field} header` };
      if (c >= 0x80) return { problem: `a byte that is not ASCII (${c}) in the ${field} header, which cannot be written as it is` };
    }
    if (line.length > MAX_LINE) {
      const folded = fold(line);
      if (folded === undefined) return { problem: `the ${field} header has a line of ${line.length} characters that cannot be folded` };
      lines[n] = folded;
      changed = true;
    }
  }
  if (!changed) return { reply };
  return { reply: bytes(lines.join('\n') + '\n' + (end < 0 ? '' : reply.slice(end + 1))) };
}

function fieldName(line: ByteString): string {
  const colon = line.indexOf(':');
  const name = colon > 0 ? line.slice(0, Math.min(colon, 60)) : line.slice(0, 30);
  return name.replace(/[^\x21-\x7e]/g, '?');
}

/**
 * A long line folded at blanks (each fold is a newline before the blank),
 * aiming at FOLD_AT characters per line; undefined when a stretch without blanks
 * is longer than MAX_LINE. The first blank after the field name is not a fold
 * point, so no line holds only the name.
 */
function fold(line: ByteString): ByteString | undefined {
  const colon = line.indexOf(':');
  let out = '';
  let start = 0; // start of the current output line in `line`
  let lastBlank = -1; // last fold point on the current line
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if ((c === ' ' || c === '\t') && i > colon + 1 && i > start && line[i - 1] !== ' ' && line[i - 1] !== '\t') lastBlank = i;
    if (i - start >= FOLD_AT && lastBlank > start) {
      out += line.slice(start, lastBlank) + '\n';
      start = lastBlank;
      lastBlank = -1;
    }
    if (i - start >= MAX_LINE) return undefined;
  }
  return bytes(out + line.slice(start));
}
