import { resolve } from 'node:path';
import { tempError } from '../../errors.js';
import type { CheckReport, ImportOptions, ImportResult, OnceClaim, OnceEntry, OnceStore, OnceVerdict } from '../store.js';
import { claimEntry, entryStats, mergeEntries, pageOfEntries, pruneBefore, readEntry, removeAll, removeEntry } from './entries.js';
import { verifyLmdbFile } from './file-check.js';
import { dataFileExists, onceFiles, type OnceFiles } from './files.js';
import { loadLmdb } from './load.js';
import { damage, SessionError, withDatabase } from './session.js';
import { type ByteString } from '../../bytes.js';

/**
 * The once database in an LMDB file on this host (SPEC 6). Every operation is
 * one locked session (session.ts): open, check and record (or read), close.
 * Failures are exit 75 with one line naming the file; nothing is ever reset.
 * A file is one mailbox's (or one service's) by configuration, so scopes play
 * no part: every entry is in scope ''.
 */
export class LmdbOnceStore implements OnceStore {
  readonly where: string;
  private readonly files: OnceFiles;

  constructor(
    path: string,
    mode: number,
    private readonly lockTimeoutMs = defaultLockTimeout(),
  ) {
    this.files = onceFiles(resolve(path), mode);
    this.where = this.files.path;
  }

  claim(claim: OnceClaim): Promise<OnceVerdict> {
    return this.use(true, (db) => claimEntry(db, claim), undefined as never);
  }

  get(key: ByteString, _scope = ''): Promise<OnceEntry | undefined> {
    return this.use(false, (db) => readEntry(db, key), undefined, THOROUGH);
  }

  async *entries(order: 'key' | 'time' | 'any', _scope?: string): AsyncIterable<OnceEntry> {
    // one locked session per page, so that deliveries go on while a big list is written out
    let after: Buffer | undefined;
    for (let first = true; ; first = false) {
      const page = await this.use(false, (db) => pageOfEntries(db, order === 'time' ? 'time' : 'key', after, 10_000), { entries: [] }, first);
      yield* page.entries;
      if (page.next === undefined) return;
      after = page.next;
    }
  }

  forget(key: ByteString, _scope = ''): Promise<boolean> {
    if (!this.exists()) return Promise.resolve(false);
    return this.use(true, (db) => removeEntry(db, key), false, THOROUGH);
  }

  prune(beforeMs: number, _scope?: string): Promise<number> {
    if (!this.exists()) return Promise.resolve(0);
    return this.use(true, (db) => pruneBefore(db, beforeMs), 0, THOROUGH);
  }

  clear(_scope?: string): Promise<number> {
    if (!this.exists()) return Promise.resolve(0);
    return this.use(true, (db) => removeAll(db), 0, THOROUGH);
  }

  async import(entries: readonly OnceEntry[], into: ImportOptions): Promise<ImportResult> {
    const { maxBytes } = into;
    const result: ImportResult = { added: 0, updated: 0, skipped: 0 };
    // batches, each its own transaction; at least one, so that a problem with the database shows
    for (let i = 0; i === 0 || i < entries.length; i += IMPORT_BATCH) {
      await this.use(true, (db) => mergeEntries(db, entries.slice(i, i + IMPORT_BATCH), maxBytes, result), undefined, i === 0);
    }
    return result;
  }

  async check(): Promise<CheckReport> {
    if (!this.exists()) return { ok: true, lines: [`${this.where}: does not exist yet (created by the first reply)`] };
    const v = verifyLmdbFile(this.files.path, { lockPath: this.files.lockPath });
    if (v.state === 'damaged') return { ok: false, problem: damage(v.reason), lines: [`${this.where} ${damage(v.reason)}`, ...v.problems.slice(1).map((p) => `  ${p}`)] };
    if (v.state !== 'ok') return { ok: true, lines: [`${this.where}: empty (not initialised yet)`] };
    const stats = await this.use(false, (db) => entryStats(db), { entries: 0, bytes: 0 });
    return {
      ok: true,
      lines: [
        `${this.where}: LMDB database, ${v.fileSize} bytes, page size ${v.pageSize}, ${v.pages.branch + v.pages.leaf + v.pages.overflow} pages in use, ${v.pages.free} free`,
        `${stats.entries} ${stats.entries === 1 ? 'entry' : 'entries'} (${stats.bytes} bytes as once_file_size counts them); every page read, no damage found`,
      ],
    };
  }

  async init(): Promise<void> {
    await loadLmdb();
  }

  async close(): Promise<void> {
    // every session closes what it opened
  }

  private exists(): boolean {
    try {
      return dataFileExists(this.files);
    } catch {
      return true; // let the session report it
    }
  }

  /** One locked session; `thorough`: read every page first (session.ts says why). */
  private async use<T>(write: boolean, fn: Parameters<typeof withDatabase<T>>[3], missing: T, thorough = false): Promise<T> {
    try {
      return await withDatabase(this.files, this.lockTimeoutMs, write, fn, missing, thorough);
    } catch (e) {
      if (e instanceof SessionError) throw tempError(`once database ${this.where}: ${e.message}`);
      throw e;
    }
  }
}

const IMPORT_BATCH = 20_000;
/** The management commands read every page before they change anything (session.ts). */
const THOROUGH = true;

/** How long to wait for the lock: 60 s (as Exim waits for its hints databases), or $AUTOREPLY_ONCE_LOCK_TIMEOUT seconds. */
function defaultLockTimeout(): number {
  const env = process.env.AUTOREPLY_ONCE_LOCK_TIMEOUT;
  if (env && /^\d+(\.\d+)?$/.test(env)) return Number(env) * 1000;
  return 60_000;
}
