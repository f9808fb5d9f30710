/**
 * One delivery run in this process — the command line parsed as bin/autoreply
 * parses it, the message fed as stdin would be, the exit code and the one
 * stderr line as main() gives them — for tests of decisions and replies, where
 * starting a process proves nothing more. The submission program is still a
 * real program (helpers/cli.ts fakeSendmail), so tests see its exact input.
 */
import { parseDeliveryArgs } from '../../src/commands/deliver/args.js';
import { VACATION_DEFAULTS, VACATION_USAGE } from '../../src/commands/vacation/run.js';
import { deliver } from '../../src/delivery/deliver.js';
import { resetRegexBudget } from '../../src/expand/regex-limit.js';
import { describeFailure } from '../../src/main.js';
import type { Run } from './cli.js';

export interface InProcessOptions {
  /** The clock of the delivery (default: now). */
  now?: Date;
}

/** `autoreply ARGS < input` (or `autoreply vacation ARGS`), in process, with only `env` as the environment (plus PATH). */
export async function deliverRun(args: string[], input: string | Buffer = '', env: Record<string, string> = {}, opts: InProcessOptions = {}): Promise<Run> {
  resetRegexBudget();
  const out: Buffer[] = [];
  let stderr = '';
  const output = {
    out: (text: string | Buffer) => void out.push(typeof text === 'string' ? Buffer.from(text, 'utf8') : Buffer.from(text)),
    err: (line: string) => void (stderr += `${line}\n`),
  };
  const vacation = args[0] === 'vacation';
  let code = 0;
  try {
    const parsed = await parseDeliveryArgs(vacation ? args.slice(1) : args, { PATH: '/usr/local/bin:/usr/bin:/bin', ...env }, vacation ? { base: VACATION_DEFAULTS, usage: VACATION_USAGE } : {});
    if (parsed !== 'exit') await deliver(parsed.request, chunksOf(typeof input === 'string' ? Buffer.from(input, 'latin1') : input), output, opts.now);
  } catch (err) {
    const failure = describeFailure(err);
    stderr += `${failure.line}\n`;
    code = failure.exitCode;
  }
  return { code, stdout: Buffer.concat(out).toString('latin1'), stderr };
}

async function* chunksOf(data: Buffer): AsyncGenerator<Buffer> {
  for (let i = 0; i < data.length; i += 65536) yield data.subarray(i, i + 65536);
}
