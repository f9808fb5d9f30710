import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { toBuffer, type ByteString } from '../bytes.js';
import { startChild } from '../child/start.js';

/** How the submission program ended. */
export type SubmitResult =
  | { kind: 'accepted' }
  | { kind: 'no-recipients' } // the reply had nobody to go to: Exim's exit 2, Postfix's message
  | { kind: 'failed'; reason: string };

/** The arguments Exim's autoreply gives its child: recipients from the headers, empty envelope sender. */
export const SENDMAIL_ARGS = ['-t', '-oem', '-oi', '-f', '<>'] as const;

/** `--submit-timeout` default: a submission still running after this long is stopped. */
export const DEFAULT_SUBMIT_TIMEOUT_S = 60;
/** After TERM, how long the child gets to finish before KILL. */
const KILL_GRACE_MS = 5000;

/**
 * Exim's sendmail exits 2 when a -t message has no recipients; Postfix's exits 75
 * (EX_TEMPFAIL) with this message, which a retry would never change.
 */
const NO_RECIPIENTS = /No recipient addresses found in message header/;

/** Signals an MTA (or a person) stops us with: the child goes first. */
const STOP_SIGNALS = ['SIGTERM', 'SIGINT', 'SIGHUP'] as const;

/**
 * Why the submission program cannot be started, or undefined when it looks
 * runnable. Checked before the once database is touched, so that a wrong path
 * defers without recording a reply that was never sent.
 */
export function submissionProgramProblem(program: string, path = process.env.PATH ?? '/usr/bin:/bin'): string | undefined {
  const candidates = program.includes('/') ? [program] : path.split(delimiter).filter(Boolean).map((d) => join(d, program));
  let last = 'not found';
  for (const c of candidates) {
    try {
      if (!statSync(c).isFile()) {
        last = 'not a file';
        continue;
      }
      accessSync(c, constants.X_OK);
      return undefined;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      last = code === 'ENOENT' || code === 'ENOTDIR' ? 'not found' : code === 'EACCES' ? 'not executable' : (code ?? String(err));
    }
  }
  return `submission program ${program}: ${last}`;
}

/**
 * Run `PATH -t -oem -oi -f <>` (never through a shell) with the reply on stdin.
 * A child still running after `timeoutMs` (0: no limit) is stopped with TERM,
 * then KILL, and the submission has failed. If we are told to stop meanwhile
 * (the MTA's own timeout), the child is stopped first, then we stop by the same
 * signal, so that no submission outlives the delivery that started it.
 * How the child is started (and why not execa, nor node:child_process when it can
 * be helped: start-up) is child/start.ts's business.
 */
export async function submit(sendmail: string, message: ByteString, timeoutMs = DEFAULT_SUBMIT_TIMEOUT_S * 1000): Promise<SubmitResult> {
  const child = startChild(sendmail, SENDMAIL_ARGS, toBuffer(message));
  let timedOut = false;
  const timers: NodeJS.Timeout[] = [];
  const onSignal = (signal: NodeJS.Signals) => {
    child.kill('SIGTERM');
    release();
    process.kill(process.pid, signal);
  };
  const release = () => {
    for (const t of timers) clearTimeout(t);
    for (const s of STOP_SIGNALS) process.removeListener(s, onSignal);
  };
  for (const s of STOP_SIGNALS) process.once(s, onSignal);
  if (timeoutMs > 0) {
    timers.push(
      setTimeout(() => {
        timedOut = true;
        child.kill('SIGTERM');
        timers.push(setTimeout(() => child.kill('SIGKILL'), KILL_GRACE_MS));
      }, timeoutMs),
    );
  }
  const end = await child.ended;
  release();
  if ('error' in end) return { kind: 'failed', reason: `${sendmail} did not run: ${end.error.code ?? 'could not run'}` };
  if (timedOut) return { kind: 'failed', reason: `${sendmail} did not finish within ${timeoutMs / 1000} s and was stopped` };
  if (end.status === 0) return { kind: 'accepted' };
  if (end.status === 2 || NO_RECIPIENTS.test(end.stderr)) return { kind: 'no-recipients' };
  if (end.status === null) return { kind: 'failed', reason: `${sendmail} was killed by ${end.signal ?? 'a signal'}` };
  const said = end.stderr.split('\n')[0]?.trim();
  return { kind: 'failed', reason: `${sendmail} exited with status ${end.status}${said ? `: ${said}` : ''}` };
}
