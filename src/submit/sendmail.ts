import { spawn } from 'node:child_process';
import { toBuffer, type ByteString } from '../bytes.js';

/** How the submission program ended. */
export type SubmitResult =
  | { kind: 'accepted' }
  | { kind: 'no-recipients' } // the reply had nobody to go to: Exim's exit 2, Postfix's message
  | { kind: 'failed'; reason: string };

/** The arguments Exim's autoreply gives its child: recipients from the headers, empty envelope sender. */
export const SENDMAIL_ARGS = ['-t', '-oem', '-oi', '-f', '<>'] as const;

/**
 * Exim's sendmail exits 2 when a -t message has no recipients; Postfix's exits 75
 * (EX_TEMPFAIL) with this message, which a retry would never change.
 */
const NO_RECIPIENTS = /No recipient addresses found in message header/;

/**
 * Run `PATH -t -oem -oi -f <>` (never through a shell) with the reply on stdin.
 * Plain node:child_process rather than execa: loading execa costs about as much as
 * starting node itself, paid on every reply, for one spawn that needs none of it.
 */
export function submit(sendmail: string, message: ByteString): Promise<SubmitResult> {
  return new Promise((resolve) => {
    const child = spawn(sendmail, SENDMAIL_ARGS, { stdio: ['pipe', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
    // A child that exits without reading all of its input: its exit status says how it went.
    child.stdin.on('error', () => {});
    child.stdin.end(toBuffer(message));
    child.on('error', (err: NodeJS.ErrnoException) => {
      resolve({ kind: 'failed', reason: `${sendmail} did not run: ${err.code ?? 'could not run'}` });
    });
    child.on('close', (code, signal) => {
      if (code === 0) resolve({ kind: 'accepted' });
      else if (code === 2 || NO_RECIPIENTS.test(stderr)) resolve({ kind: 'no-recipients' });
      else if (code === null) resolve({ kind: 'failed', reason: `${sendmail} did not run: ${signal ?? 'could not run'}` });
      else {
        const said = stderr.split('\n')[0]?.trim();
        resolve({ kind: 'failed', reason: `${sendmail} exited with status ${code}${said ? `: ${said}` : ''}` });
      }
    });
  });
}
