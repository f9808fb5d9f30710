/**
 * The command line an MTA runs on every delivery, read without loading yargs or
 * yargs-parser (together a good part of a delivery's start-up): the long options
 * declared for yargs, in the forms yargs reads them — `--name value`,
 * `--name=value`, `--no-name`, a boolean with an optional true/false, a repeated
 * option collected into an array, an array option taking the words that follow.
 * Anything else (a short option, an unknown one, a stray word, `--`, a value
 * yargs would read differently) returns undefined, and yargs reads the line
 * instead, with its checks and messages. commands/deliver/args.test.ts holds
 * the two to the same results.
 */

export type OptionType = 'string' | 'boolean' | 'number';

export interface Declared {
  type: OptionType;
  array: boolean;
  /** The option's name and its aliases: yargs sets every one of them. */
  names: string[];
}

export type Parsed = Record<string, unknown> & { _: (string | number)[] };

const NUMBER = /^-?(?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?$/i;

/** Parsed options by every name (as yargs-parser with duplicate-arguments-array), or undefined. */
export function parseLongOptions(args: readonly string[], declared: ReadonlyMap<string, Declared>): Parsed | undefined {
  const out: Parsed = { _: [] };
  const set = (d: Declared, value: unknown) => {
    for (const n of d.names) {
      const prev = out[n];
      out[n] = prev === undefined ? value : Array.isArray(prev) && (d.array || Array.isArray(value)) ? [...prev, ...[value].flat()] : [prev, value].flat();
    }
  };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (!arg.startsWith('--') || arg === '--') return undefined;
    const eq = arg.indexOf('=');
    const name = eq < 0 ? arg.slice(2) : arg.slice(2, eq);
    const inline = eq < 0 ? undefined : arg.slice(eq + 1);
    let d = declared.get(name);
    if (d === undefined && name.startsWith('no-') && inline === undefined) {
      d = declared.get(name.slice(3));
      if (d === undefined || d.array) return undefined;
      set(d, false);
      continue;
    }
    if (d === undefined) return undefined;
    const next = args[i + 1];
    const takesNext = next !== undefined && (!next.startsWith('-') || next === '' || (d.type === 'number' && NUMBER.test(next)));
    switch (d.type) {
      case 'boolean': {
        const v = inline ?? (next === 'true' || next === 'false' ? (i++, next) : undefined);
        if (v === undefined) set(d, true);
        else if (v === 'true' || v === 'false') set(d, v === 'true');
        else return undefined;
        break;
      }
      case 'number': {
        const v = inline ?? (takesNext ? args[++i]! : undefined);
        if (v === undefined || !NUMBER.test(v)) return undefined;
        set(d, Number(v));
        break;
      }
      case 'string': {
        if (d.array && inline === undefined) {
          // an array option takes every word up to the next option
          const values: string[] = [];
          while (args[i + 1] !== undefined && !args[i + 1]!.startsWith('-')) values.push(args[++i]!);
          if (values.length === 0) return undefined;
          set(d, values);
        } else {
          set(d, inline ?? (takesNext ? args[++i]! : ''));
        }
        break;
      }
    }
  }
  return out;
}
