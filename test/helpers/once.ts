/**
 * `autoreply once ...` run in this process: the same parsing, store and output
 * as bin/autoreply, the exit code and stderr line as main() gives them.
 */
import { runOnceCommand } from '../../src/commands/once/run.js';
import { describeFailure } from '../../src/main.js';

export interface OnceRun {
  status: number;
  stdout: string;
  stderr: string;
}

export async function onceRun(args: string[], input: string | Buffer = ''): Promise<OnceRun> {
  let stdout = '';
  let stderr = '';
  let status: number;
  try {
    status = await runOnceCommand(args, {
      out: async (text) => void (stdout += text),
      err: (line) => void (stderr += `${line}\n`),
      stdin: () => (typeof input === 'string' ? Buffer.from(input, 'utf8') : input),
    });
  } catch (err) {
    const failure = describeFailure(err);
    stderr += `${failure.line}\n`;
    status = failure.exitCode;
  }
  return { status, stdout, stderr };
}
