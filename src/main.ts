import { joinLines, trimChars } from './bytes.js';
import { AutoreplyError, EXIT } from './errors.js';

/**
 * The program: pick the subcommand, run it, and turn every failure into one line
 * on stderr and a sysexits code. No stack trace ever reaches an MTA.
 */
export async function main(args: string[]): Promise<number> {
  try {
    switch (args[0]) {
      case 'once': {
        const { runOnceCommand } = await import('./once/commands.js');
        return await runOnceCommand(args.slice(1));
      }
      case 'check': {
        const { runCheck } = await import('./cli/check.js');
        return await runCheck(args.slice(1));
      }
      case 'vacation': {
        const { runTransport } = await import('./cli/run-transport.js');
        return await runTransport(args.slice(1), 'vacation');
      }
      default: {
        const { runTransport } = await import('./cli/run-transport.js');
        return await runTransport(args, 'transport');
      }
    }
  } catch (err) {
    return report(err);
  }
}

export function report(err: unknown): number {
  if (err instanceof AutoreplyError) {
    process.stderr.write(`autoreply: ${oneLine(err.message)}\n`);
    return err.exitCode;
  }
  const e = err as NodeJS.ErrnoException;
  process.stderr.write(`autoreply: internal error: ${oneLine(e?.message ?? String(err))}\n`);
  return EXIT.TEMPFAIL;
}

const oneLine = (s: string) => trimChars(joinLines(s));
