/**
 * `autoreply once SUBCOMMAND --once PATH ...`: look after a once database.
 *
 *   list [--json] [--by-time]   every entry: last reply, count, key, note
 *   show ADDR                   one entry (exit 1 when there is none)
 *   forget ADDR                 remove one entry, so the next message is answered (exit 1 when none)
 *   prune --older-than TIME     remove entries whose last reply is older than TIME (Exim time: 30d, 2w)
 *   clear                       remove every entry
 *   export                      JSON lines on stdout
 *   import [FILE]               JSON lines, or Exim's once_file_size cache file; merges
 *
 * Every subcommand takes the same exclusive lock as a delivery, so it is safe to
 * run while mail flows (deliveries wait for it; a long `list` of a huge database
 * can make them defer and retry).
 */
import { readFileSync } from 'node:fs';
import yargs, { type Argv } from 'yargs';
import { AutoreplyError, EXIT, usageError } from '../errors.js';
import { parseEximTime } from '../time/exim-time.js';
import { onceKey } from './key.js';
import { openOnceStore, type LmdbOnceStore, type OnceEntry } from './lmdb-store.js';
import { parseExportLines, parseEximCacheFile, entryToJson, bareAddressesOf } from './transfer.js';

interface Job {
  run: () => Promise<number>;
}

const NO_ENTRY = 1;

/** Run `autoreply once ...` (argv = the words after `once`); returns the exit code. */
export async function runOnceCommand(argv: string[]): Promise<number> {
  let job: Job | undefined;
  let helpShown = false;
  const onceOpt = (y: Argv) =>
    y
      .option('once', { type: 'string', describe: 'path of the once database', demandOption: 'give the database with --once PATH', requiresArg: true })
      .option('mode', { type: 'string', describe: 'octal mode for files created (default 0600)', requiresArg: true });
  const keyOpt = (y: Argv) =>
    y
      .positional('addr', { type: 'string', describe: 'the recipient address(es), as the key was made from them' })
      .option('raw', { type: 'boolean', describe: 'use ADDR as the exact key (databases written with --exim-strict)' });

  const parser = yargs(argv)
    .scriptName('autoreply once')
    .usage('$0 <command> --once PATH [options]\n\nLook after a once database (whom autoreply has answered, and when).')
    .parserConfiguration({ 'camel-case-expansion': false, 'duplicate-arguments-array': false })
    .strict()
    .exitProcess(false)
    .version(false)
    .help()
    .wrap(100)
    .command(
      'list',
      'list every entry: last reply (UTC), number of replies, key, note',
      (y) =>
        onceOpt(y)
          .option('json', { type: 'boolean', describe: 'print one JSON array' })
          .option('by-time', { type: 'boolean', describe: 'oldest reply first (default: by key)' }),
      (a) => {
        job = { run: () => list(a) };
      },
    )
    .command(
      'show <addr>',
      'show the entry for ADDR (exit 1 when there is none)',
      (y) => keyOpt(onceOpt(y)).option('json', { type: 'boolean', describe: 'print JSON' }),
      (a) => {
        job = { run: () => show(a) };
      },
    )
    .command(
      'forget <addr>',
      'remove the entry for ADDR, so that the next message from it is answered (exit 1 when there is none)',
      (y) => keyOpt(onceOpt(y)),
      (a) => {
        job = { run: () => forget(a) };
      },
    )
    .command(
      'prune',
      'remove entries whose last reply is older than TIME',
      (y) => onceOpt(y).option('older-than', { type: 'string', describe: 'Exim time: 30d, 2w, 12h, 5d4h', demandOption: 'give --older-than TIME', requiresArg: true }),
      (a) => {
        job = { run: () => prune(a) };
      },
    )
    .command(
      'clear',
      'remove every entry',
      (y) => onceOpt(y),
      (a) => {
        job = { run: () => clear(a) };
      },
    )
    .command(
      'export',
      'write every entry as JSON lines ({"key","lastReply","count","note"}) on stdout',
      (y) => onceOpt(y),
      (a) => {
        job = { run: () => exportCmd(a) };
      },
    )
    .command(
      'import [file]',
      "merge entries from FILE (default stdin): JSON lines as written by export, or Exim's once_file_size cache file",
      (y) =>
        onceOpt(y)
          .positional('file', { type: 'string', describe: 'file to read (default: standard input)' })
          .option('format', { choices: ['auto', 'jsonl', 'exim-cache'] as const, default: 'auto', describe: 'input format' })
          .option('time-size', { type: 'number', choices: [4, 8], default: 8, describe: 'exim-cache: bytes of time_t on the machine that wrote it' })
          .option('big-endian', { type: 'boolean', describe: 'exim-cache: written on a big-endian machine' })
          .option('raw-keys', { type: 'boolean', describe: 'exim-cache: keep the to strings as keys verbatim (for --exim-strict)' }),
      (a) => {
        job = { run: () => importCmd(a) };
      },
    )
    .demandCommand(1, 'name a subcommand: list, show, forget, prune, clear, export or import')
    .fail((msg, err) => {
      throw err ?? usageError(msg);
    });

  try {
    const parsed = await parser.parseAsync();
    helpShown = Boolean((parsed as Record<string, unknown>).help);
  } catch (e) {
    if (e instanceof AutoreplyError) throw e;
    throw usageError((e as Error).message ?? String(e));
  }
  if (!job) {
    if (helpShown) return EXIT.OK;
    throw usageError('name a subcommand: list, show, forget, prune, clear, export or import');
  }
  return job.run();
}

type Args = Record<string, unknown>;

async function storeFor(a: Args): Promise<LmdbOnceStore> {
  const path = String(a.once ?? '');
  if (!path) throw usageError('give the database with --once PATH');
  let mode = 0o600;
  if (a.mode !== undefined) {
    const m = String(a.mode);
    if (!/^[0-7]{1,4}$/.test(m)) throw usageError(`--mode must be octal, like 0600 (got "${m}")`);
    mode = parseInt(m, 8);
  }
  return openOnceStore(path, mode);
}

/** The key for ADDR: normalised like the transport does (SPEC 6), unless --raw. */
export function keyForArg(addr: string, raw: boolean): string {
  const bytes = Buffer.from(addr, 'utf8').toString('latin1');
  return raw ? bytes : onceKey(bareAddressesOf(bytes));
}

/** Buffered stdout that respects back-pressure (a million lines should not pile up in memory). */
class Out {
  private buf = '';
  write(s: string): void | Promise<void> {
    this.buf += s;
    if (this.buf.length >= 65536) return this.flush();
  }
  async flush(): Promise<void> {
    if (!this.buf) return;
    const chunk = this.buf;
    this.buf = '';
    if (!process.stdout.write(chunk)) await new Promise<void>((r) => process.stdout.once('drain', () => r()));
  }
}

function textOf(s: string): string {
  const b = Buffer.from(s, 'latin1');
  const t = b.toString('utf8');
  return Buffer.from(t, 'utf8').equals(b) ? t : JSON.stringify(s).slice(1, -1);
}

function listLine(e: OnceEntry): string {
  const time = new Date(e.lastReply).toISOString().replace(/\.\d{3}Z$/, 'Z');
  return `${time}  ${String(e.count).padStart(5)}  ${textOf(e.key)}${e.note !== undefined ? `  ${textOf(e.note)}` : ''}\n`;
}

async function list(a: Args): Promise<number> {
  const store = await storeFor(a);
  // The store calls back synchronously inside one read snapshot; collect lines and
  // write them out afterwards in chunks.
  const lines: string[] = [];
  const json = Boolean(a.json);
  await store.forEach(
    (e) => {
      lines.push(json ? JSON.stringify(entryToJson(e)) : listLine(e));
    },
    a['by-time'] ? 'time' : 'key',
  );
  const out = new Out();
  if (json) {
    await out.write('[');
    for (let i = 0; i < lines.length; i++) await out.write((i ? ',\n' : '\n') + lines[i]);
    await out.write(lines.length ? '\n]\n' : ']\n');
  } else {
    for (const l of lines) await out.write(l);
  }
  await out.flush();
  return EXIT.OK;
}

async function show(a: Args): Promise<number> {
  const store = await storeFor(a);
  const key = keyForArg(String(a.addr), Boolean(a.raw));
  const e = await store.get(key);
  if (!e) {
    process.stderr.write(`autoreply: no entry for ${textOf(key)} in ${store.path}\n`);
    return NO_ENTRY;
  }
  process.stdout.write(a.json ? JSON.stringify(entryToJson(e)) + '\n' : listLine(e));
  return EXIT.OK;
}

async function forget(a: Args): Promise<number> {
  const store = await storeFor(a);
  const key = keyForArg(String(a.addr), Boolean(a.raw));
  if (!(await store.forget(key))) {
    process.stderr.write(`autoreply: no entry for ${textOf(key)} in ${store.path}\n`);
    return NO_ENTRY;
  }
  return EXIT.OK;
}

async function prune(a: Args): Promise<number> {
  const spec = String(a['older-than']);
  const seconds = parseEximTime(spec);
  if (seconds === undefined) throw usageError(`--older-than: "${spec}" is not an Exim time (like 30d, 2w, 12h, 5d4h)`);
  const store = await storeFor(a);
  const n = await store.prune(Date.now() - seconds * 1000);
  process.stdout.write(`pruned ${n} ${n === 1 ? 'entry' : 'entries'}\n`);
  return EXIT.OK;
}

async function clear(a: Args): Promise<number> {
  const store = await storeFor(a);
  const n = await store.clear();
  process.stdout.write(`cleared ${n} ${n === 1 ? 'entry' : 'entries'}\n`);
  return EXIT.OK;
}

async function exportCmd(a: Args): Promise<number> {
  const store = await storeFor(a);
  const lines: string[] = [];
  await store.forEach((e) => {
    lines.push(JSON.stringify(entryToJson(e)) + '\n');
  });
  const out = new Out();
  for (const l of lines) await out.write(l);
  await out.flush();
  return EXIT.OK;
}

async function importCmd(a: Args): Promise<number> {
  const file = a.file === undefined || a.file === '-' ? undefined : String(a.file);
  let data: Buffer;
  try {
    data = readFileSync(file ?? 0);
  } catch (e) {
    throw new AutoreplyError(EXIT.DATAERR, `cannot read ${file ?? 'standard input'}: ${(e as Error).message}`);
  }
  let format = String(a.format ?? 'auto');
  if (format === 'auto') {
    const first = data.toString('latin1').trimStart()[0];
    format = data.length === 0 || first === '{' ? 'jsonl' : 'exim-cache';
  }
  let entries: OnceEntry[];
  try {
    entries =
      format === 'jsonl'
        ? parseExportLines(data.toString('utf8'))
        : parseEximCacheFile(data, {
            timeSize: Number(a['time-size'] ?? 8) as 4 | 8,
            bigEndian: Boolean(a['big-endian']),
            rawKeys: Boolean(a['raw-keys']),
          });
  } catch (e) {
    throw new AutoreplyError(EXIT.DATAERR, `${file ?? 'standard input'}: ${(e as Error).message}`);
  }
  const store = await storeFor(a);
  const r = await store.importEntries(entries);
  process.stdout.write(`imported ${r.added + r.updated} of ${entries.length} (${r.added} new, ${r.updated} updated, ${r.skipped} already newer)\n`);
  return EXIT.OK;
}
