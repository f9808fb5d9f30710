import { bytes, type ByteString } from '../bytes.js';
import { todLog } from '../time/tod.js';
import type { ReplyFields } from '../reply/reply.js';

/**
 * Records of the `log` file, in Exim's format: a `YYYY-MM-DD HH:MM:SS` line, then
 * indented lines. Continuation lines of folded values are written as they are,
 * not indented, as Exim does.
 */

const stamp = todLog;

export function sentRecord(now: Date, f: ReplyFields): ByteString {
  let out = `${stamp(now)}\n`;
  if (f.from !== undefined) out += `  From: ${f.from}\n`;
  if (f.to !== undefined) out += `  To: ${f.to}\n`;
  if (f.cc !== undefined) out += `  Cc: ${f.cc}\n`;
  if (f.bcc !== undefined) out += `  Bcc: ${f.bcc}\n`;
  if (f.subject !== undefined) out += `  Subject: ${f.subject}\n`;
  if (f.headers !== undefined) out += `  ${f.headers}\n`;
  return bytes(out);
}

/** Suppressed by the once database; Exim cuts the address at 200 characters. */
export function previouslySentRecord(now: Date, to: ByteString): ByteString {
  return bytes(`${stamp(now)}\n  previously sent to ${to.slice(0, 200)}\n`);
}

/** Refused by a safety rule (not in Exim: its transport has no such rules). */
export function notSentRecord(now: Date, to: ByteString, rule: string): ByteString {
  return bytes(`${stamp(now)}\n  not sent to ${to.slice(0, 200)}: ${rule}\n`);
}
