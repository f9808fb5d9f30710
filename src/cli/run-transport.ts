import { readStdin } from '../message/reader.js';
import { deliver } from '../transport.js';
import { parseTransportArgs, VACATION_DEFAULTS } from './transport-args.js';

/** `autoreply [OPTIONS] < message` and `autoreply vacation [OPTIONS] < message`. */
export async function runTransport(args: string[], mode: 'transport' | 'vacation'): Promise<number> {
  const parsed = await parseTransportArgs(args, process.env, mode === 'vacation' ? { base: VACATION_DEFAULTS } : {});
  if (parsed === 'exit') return 0;
  const { settings } = parsed;
  const outcome = await deliver(settings, readStdin(), {
    out: (text) => process.stdout.write(text),
    err: (line) => process.stderr.write(line + '\n'),
  });
  return outcome.exitCode;
}
