import type { Argv } from 'yargs';
import { AutoreplyError, usageError } from '../errors.js';

/** For yargs' .fail(): a parse problem is a usage error (exit 64, one line), never yargs' own exit. */
export function failAsUsage(msg: string, err: Error | undefined): never {
  throw err ?? usageError(msg);
}

/**
 * The parser of a command with subcommands (`autoreply once`, `autoreply vacation`):
 * strict, no version, help at 100 columns, parse problems as usage errors. yargs is
 * loaded here, on the paths that need it. `repeatable`: a repeated option gives
 * an array (vacation's --alias) instead of its last value.
 */
export async function subcommandParser(argv: string[], scriptName: string, usage: string, repeatable: boolean): Promise<Argv> {
  const { default: yargs } = await import('yargs');
  return yargs(argv)
    .scriptName(scriptName)
    .usage(usage)
    .parserConfiguration({ 'camel-case-expansion': false, 'duplicate-arguments-array': repeatable })
    .strict()
    .exitProcess(false)
    .version(false)
    .help()
    .wrap(100)
    .fail(failAsUsage);
}

/**
 * Parses a command's arguments with its yargs parser (exitProcess(false), .fail(failAsUsage)).
 * Returns the help or version text yargs produced instead of running a command, or undefined;
 * every error that is not already ours becomes a usage error.
 */
export async function parseCommand(parser: Argv, argv: string[]): Promise<string | undefined> {
  let text = '';
  try {
    await parser.parseAsync(argv, {}, (_err, _args, out) => {
      if (out) text = `${out}\n`;
    });
  } catch (e) {
    if (e instanceof AutoreplyError) throw e;
    throw usageError((e as Error).message ?? String(e));
  }
  return text === '' ? undefined : text;
}
