/**
 * `autoreply once SUBCOMMAND --once DATABASE ...`: look after a once database,
 * an LMDB file or a shared server (the same output for each).
 *
 *   list [--json] [--by-time]   every entry: last reply, count, key, note
 *   show ADDR                   one entry (exit 1 when there is none)
 *   forget ADDR                 remove one entry, so the next message is answered (exit 1 when none)
 *   prune --older-than TIME     remove entries whose last reply is older than TIME (Exim time: 30d, 2w)
 *   clear                       remove every entry
 *   export                      JSON lines on stdout
 *   import [FILE]               JSON lines, or Exim's once_file_size cache file; merges
 *   check                       the state of the database (every page of an LMDB file)
 *   init                        create what a server needs (the PostgreSQL table)
 *
 * ADDR becomes a key exactly as a delivery makes it (once/key.ts): the same
 * function, with --raw for a key given verbatim and --handle / --reply-file for
 * the reply's identity. Each subcommand uses the database as deliveries do (the
 * same lock for an LMDB file), so it is safe while mail flows.
 */
import { readFileSync } from 'node:fs';
import type { Argv } from 'yargs';
import { type ByteString, fromText } from '../../bytes.js';
import { AutoreplyError, EXIT, usageError } from '../../errors.js';
import { onceKeyFor } from '../../once/key.js';
import { openOnceStore } from '../../once/open.js';
import type { OnceStore } from '../../once/store.js';
import { loadReplyFile } from '../../reply/reply-file/load.js';
import { DEFAULT_MAX_AGE_MS, parseEximTime } from '../../time/exim-time.js';
import * as act from './actions.js';
import { parseCommand, subcommandParser } from '../yargs.js';

type Args = Record<string, unknown>;
type Job = (store: OnceStore, io: act.OnceIo, a: Args) => Promise<number>;

/** Run `autoreply once ...` (argv = the words after `once`); returns the exit code. */
export async function runOnceCommand(argv: string[], io: act.OnceIo = processIo()): Promise<number> {
  let chosen: { job: Job; args: Args } | undefined;
  const choose = (job: Job) => (a: Args) => {
    chosen = { job, args: a };
  };
  const database = (y: Argv) =>
    y
      .option('once', { type: 'string', describe: 'the database: a path (LMDB) or a postgresql:// or redis:// URL', demandOption: 'give the database with --once', requiresArg: true })
      .option('mode', { type: 'string', describe: 'octal mode for files created (default 0600)', requiresArg: true })
      .option('once-timeout', { type: 'number', describe: 'a server: give up connecting or waiting after SECONDS (default 5)' })
      .option('once-password-file', { type: 'string', describe: 'a server: read its password from FILE' })
      .option('recipient', { type: 'string', describe: "a server: this mailbox's entries (default: every mailbox's; show and forget: those without one)" });
  const keyed = (y: Argv) =>
    y
      .positional('addr', { type: 'string', describe: 'the recipient address(es), as the key was made from them' })
      .option('raw', { type: 'boolean', describe: 'use ADDR as the exact key (databases written with --exim-strict)' })
      .option('handle', { type: 'string', describe: 'the reply was named with --handle NAME' })
      .option('reply-file', { type: 'string', describe: 'the reply was written from this reply file' });

  const usage = '$0 <command> --once DATABASE [options]\n\nLook after a once database (whom autoreply has answered, and when).';
  const parser = (await subcommandParser(argv, 'autoreply once', usage, false))
    .command(
      'list',
      'list every entry: last reply (UTC), number of replies, key, note',
      (y) =>
        database(y)
          .option('json', { type: 'boolean', describe: 'print one JSON array' })
          .option('by-time', { type: 'boolean', describe: 'oldest reply first (default: by key)' }),
      choose((s, o, a) => act.list(s, o, scopeOf(a), { json: a.json === true, byTime: a['by-time'] === true })),
    )
    .command(
      'show <addr>',
      'show the entry for ADDR (exit 1 when there is none)',
      (y) => keyed(database(y)).option('json', { type: 'boolean', describe: 'print JSON' }),
      choose((s, o, a) => act.show(s, o, scopeOf(a), keyOf(a), a.json === true)),
    )
    .command(
      'forget <addr>',
      'remove the entry for ADDR, so that the next message from it is answered (exit 1 when there is none)',
      (y) => keyed(database(y)),
      choose((s, o, a) => act.forget(s, o, scopeOf(a), keyOf(a))),
    )
    .command(
      'prune',
      'remove entries whose last reply is older than TIME',
      (y) => database(y).option('older-than', { type: 'string', describe: 'Exim time: 30d, 2w, 12h, 5d4h', demandOption: 'give --older-than TIME', requiresArg: true }),
      choose((s, o, a) => act.prune(s, o, scopeOf(a), eximTime(a['older-than'], '--older-than'))),
    )
    .command('clear', 'remove every entry', (y) => database(y), choose((s, o, a) => act.clear(s, o, scopeOf(a))))
    .command(
      'export',
      'write every entry as JSON lines ({"key","lastReply","count","note"}) on stdout',
      (y) => database(y),
      choose((s, o, a) => act.exportEntries(s, o, scopeOf(a))),
    )
    .command(
      'import [file]',
      "merge entries from FILE (default stdin): JSON lines as written by export, or Exim's once_file_size cache file",
      (y) =>
        database(y)
          .positional('file', { type: 'string', describe: 'file to read (default: standard input)' })
          .option('format', { choices: ['auto', 'jsonl', 'exim-cache'] as const, default: 'auto', describe: 'input format' })
          .option('time-size', { type: 'number', choices: [4, 8], default: 8, describe: 'exim-cache: bytes of time_t on the machine that wrote it' })
          .option('big-endian', { type: 'boolean', describe: 'exim-cache: written on a big-endian machine' })
          .option('raw-keys', { type: 'boolean', describe: 'exim-cache: keep the to strings as keys verbatim (for --exim-strict)' })
          .option('once-file-size', { type: 'number', default: 0, describe: 'cap an LMDB database at this many bytes while importing' })
          .option('once-max-age', { type: 'string', describe: 'a server that expires entries (Redis): keep each this long after its last reply (default 365d)' }),
      choose((s, o, a) => {
        const file = a.file === undefined || a.file === '-' ? undefined : String(a.file);
        const from = file ?? 'standard input';
        let data: Buffer;
        try {
          data = file === undefined ? o.stdin() : readFileSync(file);
        } catch (e) {
          throw new AutoreplyError(EXIT.DATAERR, `cannot read ${from}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
        }
        return act.importEntries(s, o, data, from, {
          format: a.format as act.ImportFormat,
          maxBytes: Number(a['once-file-size'] ?? 0),
          keepMs: a['once-max-age'] === undefined ? DEFAULT_MAX_AGE_MS : eximTime(a['once-max-age'], '--once-max-age') * 1000,
          scope: scopeOf(a) ?? '',
          timeSize: Number(a['time-size'] ?? 8) as 4 | 8,
          bigEndian: a['big-endian'] === true,
          rawKeys: a['raw-keys'] === true,
        });
      }),
    )
    .command('check', 'report the state of the database: readable, damaged, how many entries', (y) => database(y), choose((s, o) => act.check(s, o)))
    .command('init', 'create what the database needs (the table of a PostgreSQL server)', (y) => database(y), choose((s, o) => act.init(s, o)))
    .demandCommand(1, 'name a subcommand: list, show, forget, prune, clear, export, import, check or init');

  const help = await parseCommand(parser, argv);
  if (help !== undefined) {
    await io.out(help);
    await io.flush?.();
    return EXIT.OK;
  }
  if (!chosen) {
    throw usageError('name a subcommand: list, show, forget, prune, clear, export, import, check or init');
  }
  const store = await openOnceStore(fromText(String(chosen.args.once ?? '')), { ...accessOf(chosen.args), env: process.env });
  try {
    return await chosen.job(store, io, chosen.args);
  } finally {
    await io.flush?.();
    await store.close();
  }
}

/** `--recipient`: the mailbox whose entries (lower case, as deliveries record it). */
function scopeOf(a: Args): string | undefined {
  return typeof a.recipient === 'string' ? a.recipient.toLowerCase() : undefined;
}

/** The key for ADDR, as a delivery makes it: normalised unless --raw, prefixed by the reply's identity. */
function keyOf(a: Args): ByteString {
  const addr = fromText(String(a.addr));
  let identity: string | undefined;
  if (typeof a.handle === 'string') identity = a.handle;
  else if (typeof a['reply-file'] === 'string') identity = loadReplyFile(a['reply-file']).identity;
  return onceKeyFor(addr, { exact: a.raw === true, identity });
}

function accessOf(a: Args): { mode: number; timeoutMs: number; passwordFile?: string } {
  const once = String(a.once ?? '');
  if (once === '') throw usageError('give the database with --once');
  let mode = 0o600;
  if (a.mode !== undefined) {
    const m = String(a.mode);
    if (!/^[0-7]{1,4}$/.test(m)) throw usageError(`--mode must be octal, like 0600 (got "${m}")`);
    mode = parseInt(m, 8);
  }
  const timeout = a['once-timeout'] === undefined ? 5 : Number(a['once-timeout']);
  if (!Number.isFinite(timeout) || timeout <= 0) throw usageError('--once-timeout takes a number of seconds');
  return { mode, timeoutMs: timeout * 1000, ...(typeof a['once-password-file'] === 'string' ? { passwordFile: a['once-password-file'] } : {}) };
}

function eximTime(v: unknown, flag: string): number {
  const spec = String(v);
  const seconds = parseEximTime(spec);
  if (seconds === undefined) throw usageError(`${flag}: "${spec}" is not an Exim time (like 30d, 2w, 12h, 5d4h)`);
  return seconds;
}

/** stdout with back-pressure (a million lines must not pile up in memory), stderr by line. */
function processIo(): act.OnceIo {
  let buffered = '';
  const flush = async () => {
    const chunk = buffered;
    buffered = '';
    if (!process.stdout.write(chunk)) await new Promise<void>((r) => process.stdout.once('drain', () => r()));
  };
  return {
    out: async (text) => {
      buffered += text;
      if (buffered.length >= 65536) await flush();
    },
    flush,
    stdin: () => readFileSync(0),
    err: (line) => {
      if (buffered) {
        process.stdout.write(buffered);
        buffered = '';
      }
      process.stderr.write(line + '\n');
    },
  };
}
