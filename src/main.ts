import { bytes, isUtf8, joinLines, toText, trimChars } from './bytes.js';
import { AutoreplyError, EXIT, type ExitCode } from './errors.js';

/**
 * The program: pick the command (commands/), run it, and turn every failure into
 * one line on stderr and a sysexits code. No stack trace ever reaches an MTA.
 */
export async function main(args: string[]): Promise<number> {
  try {
    switch (args[0]) {
      case 'once': {
        const { runOnceCommand } = await import('./commands/once/run.js');
        return await runOnceCommand(args.slice(1));
      }
      case 'check': {
        const { runCheck } = await import('./commands/check/run.js');
        return await runCheck(args.slice(1));
      }
      case 'vacation': {
        if (['on', 'off', 'status'].includes(args[1] ?? '')) return await (await import('./commands/vacation/switch.js')).runVacationSwitch(args.slice(1));
        const { runVacation } = await import('./commands/vacation/run.js');
        return await runVacation(args.slice(1));
      }
      default: {
        const { runDeliver } = await import('./commands/deliver/run.js');
        return await runDeliver(args);
      }
    }
  } catch (err) {
    return report(err);
  }
}

function report(err: unknown): number {
  const failure = describeFailure(err);
  process.stderr.write(`${failure.line}\n`);
  return failure.exitCode;
}

/** The one stderr line and the exit code of a failure. */
export function describeFailure(err: unknown): { line: string; exitCode: ExitCode } {
  if (err instanceof AutoreplyError) return { line: `autoreply: ${oneLine(err.message)}`, exitCode: err.exitCode };
  const e = err as NodeJS.ErrnoException;
  return { line: `autoreply: internal error: ${oneLine(e?.message ?? String(err))}`, exitCode: EXIT.TEMPFAIL };
}

/**
 * A reason on one line, readable: messages quote paths and values from the
 * configuration and the message, which are bytes; UTF-8 bytes are shown as the
 * text they are.
 */
function oneLine(s: string): string {
  const line = trimChars(joinLines(s));
  if (/[^\x00-\xff]/.test(line)) return line; // already text
  return isUtf8(bytes(line)) ? toText(bytes(line)) : line;
}
