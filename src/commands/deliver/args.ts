import { version } from '../../version.js';
import type { Argv, Options } from 'yargs';
import { parseLongOptions, type Declared } from './argv.js';
import { bytes, type ByteString, fromText } from '../../bytes.js';
import { configError, usageError } from '../../errors.js';
import { failAsUsage } from '../yargs.js';
import { readConfigFile, type ConfigSetting } from '../../options/config-file.js';
import { DEFAULT_OPTIONS, TRANSPORT_OPTIONS, type TransportOptions } from '../../options/transport-options.js';
import { parseBool, parseInteger, parseOctal, parseSize } from '../../options/values.js';
import { SWITCHABLE } from '../../rules/index.js';
import { EXIM_PROFILE, SAFE_PROFILE } from '../../profile.js';
import type { DeliveryRequest } from '../../delivery/request.js';
import { DEFAULT_MAX_AGE_MS, parseEximTime } from '../../time/exim-time.js';
import { resolveEnvelope } from './envelope-args.js';
import { DEFAULT_SUBMIT_TIMEOUT_S } from '../../submit/sendmail.js';
import { STYLE_GROUP, STYLE_OPTIONS, styleDefaults, styleSettings } from './style-args.js';

const dashed = (name: string) => name.replace(/_/g, '-');

const USAGE = "$0 [OPTIONS] < message\n\nAnswer the message on standard input as Exim's autoreply transport would.";

/** Which command's line is parsed: they share the transport's options. */
export interface ParseMode {
  /** Option values to start from (autoreply vacation). */
  base?: Record<string, ByteString>;
  usage?: string;
  /** Extra options of the command (check --message). */
  extend?: (y: Argv) => Argv;
}

/** The transport's command line: Exim's options, the context options, the safety switches. */
export async function transportParser(args: string[], usage = USAGE): Promise<Argv> {
  const { default: yargs } = await import('yargs');
  const y = yargs(args)
    .scriptName('autoreply')
    .usage(usage)
    .parserConfiguration(PARSER_CONFIGURATION)
    .strict()
    .exitProcess(false)
    .help()
    .version(version())
    .wrap(100)
    .fail(failAsUsage);
  declareOptions(y);
  return y;
}

/** Where options are declared: yargs itself, or the fast path's OptionSpec. */
interface OptionSink {
  option(name: string, opt: Options): OptionSink;
}

/** The options, declared once for both parsers. */
function declareOptions(y: OptionSink): OptionSink {
  for (const [name, def] of Object.entries(TRANSPORT_OPTIONS)) {
    y = y.option(dashed(name), {
      type: 'string',
      group: 'Exim transport options:',
      describe: def.kind === 'bool' ? `${def.help} (yes/no)` : def.help,
      ...(name.includes('_') ? { alias: name } : {}),
    });
  }
  y = y
    .option('config', { type: 'string', describe: 'read transport options from FILE (Exim "name = value" lines)', group: 'Context:' })
    .option('sender', { type: 'string', describe: 'envelope sender (default $SENDER, the From_ line, Return-Path)', group: 'Context:' })
    .option('recipient', { type: 'string', describe: 'whose mailbox this is (default $RECIPIENT, $LOCAL_PART@$DOMAIN)', group: 'Context:' })
    .option('home', { type: 'string', describe: '$home (default $HOME)', group: 'Context:' })
    .option('primary-hostname', { type: 'string', describe: '$primary_hostname (default: the host name)', group: 'Context:' })
    .option('qualify-domain', { type: 'string', describe: '$qualify_domain (default $QUALIFY_DOMAIN, else the host name)', group: 'Context:' })
    .option('sendmail', { type: 'string', describe: 'submission program, run as PATH -t -oem -oi -f <>', group: 'Context:' })
    .option('submit-timeout', { type: 'number', describe: 'stop a submission still running after SECONDS (default 60, 0 = no limit)', group: 'Context:' })
    .option('exim-strict', { type: 'boolean', describe: 'behave exactly as Exim 4.96: no safety rules, no MIME help', group: 'Context:' })
    .option('dry-run', { type: 'boolean', describe: 'print the reply and the decision; send and record nothing', group: 'Context:' })
    .option('json', { type: 'boolean', describe: 'with --dry-run: print one JSON object', group: 'Context:' })
    .option('verbose', { type: 'boolean', describe: 'trace the decision on stderr', group: 'Context:' })
    .option('alias', { type: 'string', array: true, describe: 'another address of the recipient (repeatable)', group: 'Safety rules:' })
    .option('x-loop', { type: 'string', describe: 'refuse messages with X-Loop: ADDR and add it to replies', group: 'Safety rules:' })
    .option('max-recipients', { type: 'number', describe: 'refuse when the reply would go to more addresses (default 5)', group: 'Safety rules:' })
    .option('start', { type: 'string', describe: 'answer only from this date or date-time on', group: 'Safety rules:' })
    .option('end', { type: 'string', describe: 'answer only up to this date or date-time', group: 'Safety rules:' })
    .option('authserv-id', { type: 'string', describe: 'our MTA\'s Authentication-Results id (auth-fail rule)', group: 'Safety rules:' })
    .option('max-replies-per-hour', { type: 'number', describe: 'circuit breaker across all senders (default 100, 0 = none)', group: 'Safety rules:' })
    .option('once-timeout', { type: 'number', describe: 'a shared once server: give up connecting or waiting after SECONDS (default 5)', group: 'Once database:' })
    .option('once-max-age', { type: 'string', describe: 'keep entries this long where they expire (Redis) when once_repeat is 0 (default 365d)', group: 'Once database:' })
    .option('once-password-file', { type: 'string', describe: 'a shared once server: read its password from FILE', group: 'Once database:' });
  for (const [name, opt] of STYLE_OPTIONS) y = y.option(name, { ...opt, group: STYLE_GROUP });
  for (const rule of SWITCHABLE) {
    y = y.option(`allow-${rule}`, { type: 'boolean', describe: `do not apply the ${rule} rule`, group: 'Safety rules:' });
  }
  return y;
}

export type Parsed = Record<string, unknown>;

/**
 * Repeated options are kept as arrays so that every `--alias` counts (`--alias a
 * --alias b`, `--alias=a --alias=b`, `--alias a b`); for every other option the
 * last one given wins (lastWins), as with Exim's own options.
 */
const PARSER_CONFIGURATION = { 'camel-case-expansion': false, 'boolean-negation': true, 'duplicate-arguments-array': true };

/** Options that keep every value given; all others take the last. */
const REPEATABLE = new Set(['alias']);

function lastWins(parsed: Parsed): Parsed {
  for (const [key, v] of Object.entries(parsed)) {
    if (key !== '_' && !REPEATABLE.has(key) && Array.isArray(v)) parsed[key] = v[v.length - 1];
  }
  return parsed;
}

/** The declarations gathered for the fast path (argv.ts). */
class OptionSpec implements OptionSink {
  readonly declared = new Map<string, Declared>();
  /** False when a declaration uses a feature only yargs checks (choices, demandOption...). */
  complete = true;

  option(name: string, opt: Options): this {
    const { type, describe, group, alias, array, ...rest } = opt;
    void describe;
    void group;
    if (Object.keys(rest).length > 0 || (type !== 'string' && type !== 'boolean' && type !== 'number')) {
      this.complete = false;
      return this;
    }
    const names = [name, ...(alias === undefined ? [] : Array.isArray(alias) ? alias : [alias])];
    const d: Declared = { type, array: array === true, names };
    for (const n of names) this.declared.set(n, d);
    return this;
  }
}

let spec: OptionSpec | undefined;

/**
 * The fast path for the command line an MTA runs on every delivery: the very
 * declarations yargs would use, read by argv.ts without loading yargs. Anything
 * unusual (--help, --version, an unknown option, a stray argument) returns
 * undefined and goes to yargs for its checks and messages.
 */
export function quickParse(args: string[]): Parsed | undefined {
  if (spec === undefined) {
    spec = new OptionSpec();
    declareOptions(spec);
  }
  if (!spec.complete) return undefined;
  return parseLongOptions(args, spec.declared);
}

/** The full yargs: help, version, strict checks and their messages. */
async function yargsParse(args: string[], mode: ParseMode): Promise<Parsed | 'exit'> {
  let helped = false;
  const parser = (mode.extend ?? ((y: Argv) => y))(await transportParser(args, mode.usage));
  const parsed = (await parser.parseAsync(args, {}, (_err, _argv, out) => {
    if (out) {
      helped = true;
      process.stdout.write(out + '\n');
    }
  })) as Parsed;
  return helped ? 'exit' : parsed;
}

/** Parse the command line into the request of one delivery. */
export async function parseDeliveryArgs(
  args: string[],
  env: NodeJS.ProcessEnv,
  mode: ParseMode = {},
): Promise<{ request: DeliveryRequest; parsed: Parsed } | 'exit'> {
  const given = (mode.extend ? undefined : quickParse(args)) ?? (await yargsParse(args, mode));
  if (given === 'exit') return 'exit';
  const parsed = lastWins(given);
  if ((parsed._ as unknown[]).length > 0) throw usageError(`unexpected argument: ${String((parsed._ as unknown[])[0])}`);

  // base defaults, then the config file, then flags
  const raw: Record<string, ByteString | undefined> = { ...(mode.base ?? {}), ...styleDefaults(parsed) };
  if (typeof parsed.config === 'string') {
    for (const s of readConfigFile(parsed.config)) applySetting(raw, s, parsed.config);
  }
  for (const name of Object.keys(TRANSPORT_OPTIONS)) {
    const v = parsed[dashed(name)];
    if (v === false) raw[name] = bytes('false');
    else if (typeof v === 'string') raw[name] = fromText(v);
  }
  const options = toOptions(raw);
  const style = styleSettings(parsed, options);
  const strict = parsed['exim-strict'] === true;

  const envelope = resolveEnvelope(
    {
      ...(typeof parsed.sender === 'string' ? { sender: parsed.sender } : {}),
      ...(typeof parsed.recipient === 'string' ? { recipient: parsed.recipient } : {}),
      ...(typeof parsed.home === 'string' ? { home: parsed.home } : {}),
      ...(typeof parsed['primary-hostname'] === 'string' ? { primaryHostname: parsed['primary-hostname'] } : {}),
      ...(typeof parsed['qualify-domain'] === 'string' ? { qualifyDomain: parsed['qualify-domain'] } : {}),
    },
    env,
  );

  const num = (name: string, dflt: number) => {
    const v = parsed[name];
    if (v === undefined) return dflt;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw usageError(`--${name} takes a whole number`);
    return v;
  };
  const date = async (name: 'start' | 'end') => {
    const v = parsed[name];
    if (typeof v !== 'string') return undefined;
    const { parseScheduleBound } = await import('../../rules/schedule-parse.js'); // date-fns' parser: only when used
    return parseScheduleBound(v, name);
  };
  const start = await date('start');
  const end = await date('end');
  const request: DeliveryRequest = {
    profile: strict ? EXIM_PROFILE : SAFE_PROFILE,
    options,
    source: style.source,
    ...(style.handle !== undefined ? { handle: style.handle } : {}),
    envelope,
    rules: {
      ...(typeof parsed['x-loop'] === 'string' ? { xLoop: fromText(parsed['x-loop']) } : {}),
      ...(typeof parsed['authserv-id'] === 'string' ? { authservId: fromText(parsed['authserv-id']) } : {}),
      ...(start ? { start } : {}),
      ...(end ? { end } : {}),
      maxRecipients: num('max-recipients', 5),
      maxRepliesPerHour: num('max-replies-per-hour', 100),
    },
    aliases: aliasesOf(parsed.alias),
    allowed: new Set(SWITCHABLE.filter((r) => parsed[`allow-${r}`] === true)),
    submission: {
      program: sendmailOf(parsed.sendmail),
      timeoutMs: secondsOf(parsed['submit-timeout'], 'submit-timeout', DEFAULT_SUBMIT_TIMEOUT_S) * 1000,
    },
    once: {
      timeoutMs: secondsOf(parsed['once-timeout'], 'once-timeout', 5, { zero: false }) * 1000,
      maxAgeMs: maxAgeOf(parsed['once-max-age']),
      ...(typeof parsed['once-password-file'] === 'string' ? { passwordFile: parsed['once-password-file'] } : {}),
    },
    report: { dryRun: parsed['dry-run'] === true, json: parsed.json === true, verbose: parsed.verbose === true },
    fireAndForget: style.fireAndForget,
    environment: env,
  };
  return { request, parsed };
}

/** Every `--alias` given, in whichever form (repeated, several after one flag). */
function aliasesOf(v: unknown): ByteString[] {
  const list = Array.isArray(v) ? v : v === undefined ? [] : [v];
  return list.filter((a): a is string => typeof a === 'string' && a !== '').map(fromText);
}

/** `--once-max-age`: an Exim time; default one year (a vacation database must not grow without bound). */
function maxAgeOf(v: unknown): number {
  if (v === undefined) return DEFAULT_MAX_AGE_MS;
  const seconds = typeof v === 'string' ? parseEximTime(v) : undefined;
  if (seconds === undefined || seconds <= 0) throw usageError('--once-max-age takes an Exim time such as 30d or 365d');
  return seconds * 1000;
}

function sendmailOf(v: unknown): string {
  if (v === undefined) return '/usr/sbin/sendmail';
  if (typeof v !== 'string' || v.trim() === '') throw usageError('--sendmail needs the path of the submission program');
  return v;
}

/** A number of seconds; 0 only where it means "no limit" (--submit-timeout). */
function secondsOf(v: unknown, name: string, dflt: number, { zero = true } = {}): number {
  if (v === undefined) return dflt;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || (!zero && v === 0)) throw usageError(`--${name} takes a number of seconds${zero ? '' : ' greater than 0'}`);
  return v;
}

function applySetting(raw: Record<string, ByteString | undefined>, s: ConfigSetting, file: string): void {
  if (!(s.name in TRANSPORT_OPTIONS)) throw configError(`${file} line ${s.line}: unknown option "${s.name}"`);
  raw[s.name] = s.value ?? bytes('true');
}

/** Typed transport options from their text, with a clear error for a bad value. */
export function toOptions(raw: Record<string, ByteString | undefined>): TransportOptions {
  const options: TransportOptions = { ...DEFAULT_OPTIONS };
  const o = options as unknown as Record<string, unknown>;
  for (const [name, text] of Object.entries(raw)) {
    if (text === undefined) continue;
    const def = TRANSPORT_OPTIONS[name as keyof TransportOptions];
    const bad = (what: string) => configError(`option ${name}: "${text}" is not ${what}`);
    switch (def.kind) {
      case 'string':
        o[name] = text;
        break;
      case 'bool': {
        const b = parseBool(text);
        if (b === undefined) throw bad('true/false/yes/no');
        o[name] = b;
        break;
      }
      case 'size': {
        const n = parseSize(text);
        if (n === undefined) throw bad('a size (100K, 1M or bytes)');
        o[name] = n;
        break;
      }
      case 'octal': {
        const n = parseOctal(text);
        if (n === undefined) throw bad('an octal mode such as 0600');
        o[name] = n;
        break;
      }
      case 'int': {
        const n = parseInteger(text);
        if (n === undefined) throw bad('a whole number');
        o[name] = n;
        break;
      }
    }
  }
  return options;
}
