import { bytes, type ByteString, displayText, fromBuffer } from '../../bytes.js';
import { AutoreplyError, EXIT, type ExitCode } from '../../errors.js';
import type { OnceEntry, OnceStore } from '../../once/store.js';
import { entryToJson, parseEximCacheFile, parseExportLines, type EximCacheOptions } from '../../once/transfer.js';

/**
 * What `autoreply once ...` does with a store, whichever backend it is: the same
 * output for an LMDB file, PostgreSQL or Redis. Output goes through `io`, which
 * waits for the reader of a long listing.
 */
export interface OnceIo {
  out(text: string): Promise<void>;
  err(line: string): void;
  /** Write out what is buffered (at the end). */
  flush?(): Promise<void>;
  /** Standard input, all of it (`import` without a file). */
  stdin(): Buffer;
}

/** `show` and `forget` exit 1 when there is no such entry. */
export const NO_ENTRY = 1;

/**
 * Which mailbox's entries: on a shared server each mailbox (the envelope
 * recipient of its deliveries) has its own (OnceClaim.scope); `--recipient`
 * names one, and without it list, prune, clear and export take them all. An
 * LMDB file has only one.
 */
export type Scope = string | undefined;

export async function list(store: OnceStore, io: OnceIo, scope: Scope, how: { json: boolean; byTime: boolean }): Promise<ExitCode> {
  let first = true;
  if (how.json) await io.out('[');
  for await (const e of store.entries(how.byTime ? 'time' : 'key', scope)) {
    await io.out(how.json ? `${first ? '\n' : ',\n'}${JSON.stringify(entryToJson(e))}` : listLine(e));
    first = false;
  }
  if (how.json) await io.out(first ? ']\n' : '\n]\n');
  return EXIT.OK;
}

export async function show(store: OnceStore, io: OnceIo, scope: Scope, key: ByteString, json: boolean): Promise<ExitCode | typeof NO_ENTRY> {
  const e = await store.get(key, scope ?? '');
  if (!e) {
    io.err(`autoreply: no entry for ${displayText(key)} in ${store.where}`);
    return NO_ENTRY;
  }
  await io.out(json ? JSON.stringify(entryToJson(e)) + '\n' : listLine(e));
  return EXIT.OK;
}

export async function forget(store: OnceStore, io: OnceIo, scope: Scope, key: ByteString): Promise<ExitCode | typeof NO_ENTRY> {
  if (await store.forget(key, scope ?? '')) return EXIT.OK;
  io.err(`autoreply: no entry for ${displayText(key)} in ${store.where}`);
  return NO_ENTRY;
}

export async function prune(store: OnceStore, io: OnceIo, scope: Scope, olderThanSeconds: number, now = Date.now()): Promise<ExitCode> {
  const n = await store.prune(now - olderThanSeconds * 1000, scope);
  await io.out(`pruned ${n} ${n === 1 ? 'entry' : 'entries'}\n`);
  return EXIT.OK;
}

export async function clear(store: OnceStore, io: OnceIo, scope: Scope): Promise<ExitCode> {
  const n = await store.clear(scope);
  await io.out(`cleared ${n} ${n === 1 ? 'entry' : 'entries'}\n`);
  return EXIT.OK;
}

export async function exportEntries(store: OnceStore, io: OnceIo, scope: Scope): Promise<ExitCode> {
  for await (const e of store.entries('any', scope)) await io.out(JSON.stringify(entryToJson(e)) + '\n');
  return EXIT.OK;
}

export type ImportFormat = 'auto' | 'jsonl' | 'exim-cache';

/** Entries from an export (JSON lines) or Exim's once_file_size cache file, merged in. */
export async function importEntries(
  store: OnceStore,
  io: OnceIo,
  data: Buffer,
  from: string,
  how: { format: ImportFormat; maxBytes: number; keepMs: number; scope: string } & EximCacheOptions,
): Promise<ExitCode> {
  let format = how.format;
  if (format === 'auto') format = data.length === 0 || fromBuffer(data).trimStart()[0] === '{' ? 'jsonl' : 'exim-cache';
  let entries: OnceEntry[];
  try {
    entries = format === 'jsonl' ? parseExportLines(data.toString('utf8')) : parseEximCacheFile(data, how);
  } catch (e) {
    throw new AutoreplyError(EXIT.DATAERR, `${from}: ${(e as Error).message}`);
  }
  const r = await store.import(entries, { maxBytes: how.maxBytes, keepMs: how.keepMs, scope: how.scope });
  await io.out(`imported ${r.added + r.updated} of ${entries.length} (${r.added} new, ${r.updated} updated, ${r.skipped} already newer)\n`);
  return EXIT.OK;
}

/** `check`: what the database looks like; exit 75 when it is damaged or unusable (as a delivery would). */
export async function check(store: OnceStore, io: OnceIo): Promise<ExitCode> {
  const r = await store.check();
  for (const line of r.lines) await io.out(`${line}\n`);
  if (!r.ok) throw new AutoreplyError(EXIT.TEMPFAIL, `once database ${store.where}: ${r.problem ?? 'not usable'}`);
  return EXIT.OK;
}

export async function init(store: OnceStore, io: OnceIo): Promise<ExitCode> {
  await store.init();
  await io.out(`${store.where}: ready\n`);
  return EXIT.OK;
}

/** `2025-01-31T12:00:00Z      2  alice@example.org  Re: hello` */
export function listLine(e: OnceEntry): string {
  const time = new Date(e.lastReply).toISOString().replace(/\.\d{3}Z$/, 'Z');
  const note = e.note === undefined ? '' : `  ${e.note.replace(/[\x00-\x1f\x7f]+/g, ' ')}`;
  // NOTE: the scope is text, shown as if it were bytes (as before: a non-ASCII scope is escaped)
  const scope = e.scope ? `${displayText(bytes(e.scope))}: ` : '';
  return `${time}  ${String(e.count).padStart(5)}  ${scope}${displayText(e.key)}${note}\n`;
}
