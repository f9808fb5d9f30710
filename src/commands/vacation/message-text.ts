import { format } from 'date-fns/format';
import { bytes, type ByteString, fromText, splitBytes, toText } from '../../bytes.js';
import type { Envelope } from '../../delivery/envelope.js';
import { expand } from '../../expand/index.js';
import { expansionContext } from '../../expand/variables.js';
import { parseMessage } from '../../message/reader.js';

/**
 * ~/.vacation.msg, the body of the reply: Exim's vacation `file`, expanded line
 * by line (file_expand), so `$h_subject:` and `${if ...}` work in it; a line
 * that does not expand is sent as written (Exim's rule), which `on` warns about.
 */

/** The text `on` writes when it is given none and finds none: it names the user and, with --end, the return. */
export function defaultMessage(p: { fullName: string; name: string; end?: { at: Date; dateOnly: boolean } }): ByteString {
  const until = p.end ? ` until ${format(p.end.at, p.end.dateOnly ? 'EEEE d MMMM yyyy' : "EEEE d MMMM yyyy, HH:mm")}` : '';
  const away = until ? `I am away${until} and not reading my mail.` : 'I am away and not reading my mail at the moment.';
  return fromText(
    [
      away,
      'Your message ${if def:h_subject: {"$h_subject:" }}will be read when I am back.',
      '',
      'Best regards,',
      p.fullName || p.name,
      '',
    ].join('\n'),
  );
}

/** The first line with text on it, as text, shortened for one line of `status`. */
export function firstLine(text: ByteString, max = 72): string {
  const line = toText(splitBytes(text, '\n').find((l) => l.trim() !== '') ?? bytes('')).trim();
  return line.length > max ? `${line.slice(0, max - 3)}...` : line;
}

/** A line of the message that does not expand. */
export interface LineProblem {
  line: number;
  problem: string;
}

const SAMPLE = bytes('From: Sample Sender <sender@example.org>\nTo: you@example.com\nSubject: A sample message\nMessage-ID: <sample.1@example.org>\n\nHello.\n');

/** Expand every line against a sample message, as a delivery will; the lines that fail. */
export function expansionProblems(text: ByteString, home: string, user: string): LineProblem[] {
  const envelope: Envelope = {
    sender: bytes('sender@example.org'),
    // as before: the name as it is (fromText would be right; only a non-ASCII name differs)
    recipient: bytes(`${user}@example.com`),
    localPart: fromText(user),
    domain: bytes('example.com'),
    localPartPrefix: bytes(''),
    localPartSuffix: bytes(''),
    home: fromText(home),
    eximId: bytes(''),
    primaryHostname: bytes('localhost'),
    qualifyDomain: bytes('localhost'),
  };
  const ctx = expansionContext(parseMessage(SAMPLE), envelope, new Date(), false, {});
  const problems: LineProblem[] = [];
  const lines = (text.match(/[^\n]*\n|[^\n]+$/g) ?? []).map(bytes);
  lines.forEach((line, i) => {
    try {
      expand(line, ctx);
    } catch (err) {
      problems.push({ line: i + 1, problem: toText(bytes((err as Error).message)) });
    }
  });
  return problems;
}
