import { readStdin } from '../message/reader.js';
import { deliver } from '../transport.js';
import { parseTransportArgs, VACATION_DEFAULTS } from './transport-args.js';

const VACATION = {
  base: VACATION_DEFAULTS,
  usage:
    '$0 vacation [OPTIONS] < message\n\nExim\'s filter "vacation" command: reply once a week per sender with ~/.vacation.msg ' +
    '(subject "On vacation", once database ~/.vacation, log ~/.vacation.log); every option below may override.',
};

/** `autoreply [OPTIONS] < message` and `autoreply vacation [OPTIONS] < message`. */
export async function runTransport(args: string[], mode: 'transport' | 'vacation'): Promise<number> {
  let parsed;
  try {
    parsed = await parseTransportArgs(args, process.env, mode === 'vacation' ? VACATION : {});
  } catch (err) {
    await drainStdin();
    throw err;
  }
  if (parsed === 'exit') return 0;
  const { settings } = parsed;
  const outcome = await deliver(settings, readStdin(), {
    out: (text) => process.stdout.write(text),
    err: (line) => process.stderr.write(line + '\n'),
  });
  return outcome.exitCode;
}

/**
 * A run that fails before reading its input still reads it all: an MTA writing
 * the message into a pipe nobody reads sees a write error instead of our reason.
 * Not from a terminal, where nobody is writing and it would wait forever.
 */
async function drainStdin(): Promise<void> {
  if (process.stdin.isTTY) return;
  try {
    for await (const chunk of readStdin()) void chunk;
  } catch {
    // nothing more to read
  }
}
