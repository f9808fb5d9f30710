import { execa } from 'execa';
import { toBuffer, type ByteString } from '../bytes.js';

/** How the submission program ended. */
export type SubmitResult =
  | { kind: 'accepted' }
  | { kind: 'no-recipients' } // exit 2: Exim's child reports it had nobody to send to
  | { kind: 'failed'; reason: string };

/** The arguments Exim's autoreply gives its child: recipients from the headers, empty envelope sender. */
export const SENDMAIL_ARGS = ['-t', '-oem', '-oi', '-f', '<>'] as const;

/** Run `PATH -t -oem -oi -f <>` (never through a shell) with the reply on stdin. */
export async function submit(sendmail: string, message: ByteString): Promise<SubmitResult> {
  const result = await execa(sendmail, [...SENDMAIL_ARGS], {
    input: toBuffer(message),
    reject: false,
    stdout: 'ignore',
    stderr: 'pipe',
    encoding: 'utf8',
    stripFinalNewline: true,
  });
  if (result.exitCode === 0) return { kind: 'accepted' };
  if (result.exitCode === 2) return { kind: 'no-recipients' };
  if (result.failed && result.exitCode === undefined) {
    const cause = result.code ?? result.signal ?? 'could not run';
    return { kind: 'failed', reason: `${sendmail} did not run: ${cause}` };
  }
  const said = String(result.stderr ?? '').split('\n')[0]?.trim();
  return { kind: 'failed', reason: `${sendmail} exited with status ${result.exitCode}${said ? `: ${said}` : ''}` };
}
