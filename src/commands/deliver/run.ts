import { deliver } from '../../delivery/deliver.js';
import { readStdin } from '../../message/stdin.js';
import { parseDeliveryArgs, type ParseMode } from './args.js';

/** `autoreply [OPTIONS] < message`: one delivery. */
export async function runDeliver(args: string[], mode: ParseMode = {}): Promise<number> {
  let parsed;
  try {
    parsed = await parseDeliveryArgs(args, process.env, mode);
  } catch (err) {
    await drainStdin();
    throw err;
  }
  if (parsed === 'exit') return 0;
  await deliver(parsed.request, readStdin(), {
    out: (text) => process.stdout.write(text),
    err: (line) => process.stderr.write(line + '\n'),
  });
  return 0;
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
