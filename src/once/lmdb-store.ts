/**
 * The once database on LMDB (SPEC 6).
 *
 * Files, for `once = /var/spool/autoreply/bob`:
 *   /var/spool/autoreply/bob        the LMDB data file
 *   /var/spool/autoreply/bob-lock   LMDB's own lock file
 *   /var/spool/autoreply/bob.lock   our flock(2) lock file (see below)
 * All three are created with `mode` (exactly, whatever the umask).
 *
 * Exclusivity. lmdb-js bundles an LMDB whose mdb_env_close() still destroys the
 * shared robust mutexes in the lock file when it believes it is the last user
 * (the code removed upstream in LMDB 0.9.32, ITS#10095). With many short-lived
 * processes opening and closing one environment — exactly an MTA delivering a
 * burst — a closing process can take LMDB's exclusive fcntl lock in the instant
 * a newcomer has not yet got its shared one, destroy the write mutex, and leave
 * the newcomer (and the next one, which re-initialises it) running "exclusive"
 * write transactions side by side; lmdb-js also ignores the error code of
 * mdb_txn_begin, so it shows as two processes in the same write transaction
 * number, or as "No transaction to renew". Our own prototypes reproduced both.
 * So we never rely on LMDB's cross-process locking: every use of the database
 * (open, check, record, close) runs while this process holds an exclusive
 * flock(2) on `PATH.lock`. At most one autoreply process has the environment
 * open at any moment; it is therefore always LMDB's "first opener" and
 * (re)initialises the lock region itself. The flock is released by the kernel
 * if the process dies. See flock.ts for how Node takes it.
 *
 * Layout (one LMDB database, binary keys, JSON values):
 *   0x00 'format'     {"program":"autoreply","format":1}   — our marker
 *   0x00 'stats'      {"entries":N,"bytes":B}              — for once_file_size
 *   0x00 'rate'       {"<10s bucket>":count,...}            — recent replies, last ~61 min
 *   0x01 ID           {"t":ms,"c":count,"n"?:note,"k"?:key} — one entry per key
 *   0x02 T(8, BE) ID  1                                     — index by last reply time
 * ID is 0x00 + the key's bytes, or 0x01 + SHA-256 of them for keys over 1000
 * bytes (LMDB keys are limited to ~2 KB); then the full key is kept in "k".
 *
 * once_file_size: each entry is charged what it costs in Exim's own cache file
 * (a time_t of 8 bytes, the key, a NUL: key bytes + 9), so the same figure keeps
 * about as many entries as Exim keeps. When the total goes over the cap, the
 * entries with the oldest last reply are dropped first (never the one just
 * recorded). The LMDB file itself is larger than that figure (B-tree pages and
 * the time index: roughly 3-5 times) and never shrinks; freed pages are reused.
 */
import { lstatSync, statSync, accessSync, constants, chmodSync, closeSync, openSync, fstatSync, readSync, statfsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { RootDatabase } from 'lmdb';
import { tempError, AutoreplyError } from '../errors.js';
import { lockFile, LockError, describeErrno, type HeldLock } from './flock.js';
import type { OnceCheck, OnceDecision, OnceRecord, OnceStore } from './store.js';
import {
  bumpRate,
  decode,
  encode,
  entryCost,
  evictOldest,
  fixStats,
  FORMAT,
  HOUR_MS,
  idOf,
  IDX,
  indexKey,
  keyFromId,
  META_FORMAT,
  META_RATE,
  META_STATS,
  ONE,
  readJson,
  readRecord,
  readStats,
  REC,
  recordKey,
  removeEntry,
  repliesSince,
  toRecord,
  type RawRecord,
  type Stats,
} from './layout.js';
import { describeLmdbError } from './lmdb-errors.js';
import { loadLmdb } from './lmdb-load.js';


/** One entry as the management commands see it. */
export interface OnceEntry extends OnceRecord {
  key: string;
}

export interface OnceStoreOptions {
  /** How long to wait for the lock before giving up (exit 75). Default 60 s (as Exim waits for its hints databases), or $AUTOREPLY_ONCE_LOCK_TIMEOUT seconds. */
  lockTimeoutMs?: number;
}

export interface ImportResult {
  added: number;
  updated: number;
  skipped: number;
}

const DEFAULT_LOCK_TIMEOUT_MS = 60_000;

/** Open the once database at `path` (created on first write with `mode`). */
export async function openOnceStore(path: string, mode: number, options: OnceStoreOptions = {}): Promise<LmdbOnceStore> {
  const store = new LmdbOnceStore(resolve(path), mode, options);
  await loadLmdb();
  return store;
}

function defaultLockTimeout(): number {
  const env = process.env.AUTOREPLY_ONCE_LOCK_TIMEOUT;
  if (env && /^\d+(\.\d+)?$/.test(env)) return Number(env) * 1000;
  return DEFAULT_LOCK_TIMEOUT_MS;
}

export class LmdbOnceStore implements OnceStore {
  readonly lockPath: string;
  private readonly lockTimeoutMs: number;
  private closed = false;

  constructor(
    readonly path: string,
    readonly mode: number,
    options: OnceStoreOptions,
  ) {
    this.lockPath = `${path}.lock`;
    this.lockTimeoutMs = options.lockTimeoutMs ?? defaultLockTimeout();
  }

  private fail(cause: string): AutoreplyError {
    return tempError(`once database ${this.path}: ${cause}`);
  }

  // ---- the transport's operations --------------------------------------------------

  async checkAndRecord(check: OnceCheck): Promise<OnceDecision> {
    return this.session(true, (db) => {
      const id = idOf(check.key);
      const recKey = recordKey(id);
      const prevRaw = readRecord(db, recKey);
      const previous = prevRaw ? toRecord(prevRaw) : undefined;
      if (previous) {
        if (check.repeatMs <= 0) return { send: false, previous };
        if (check.now - previous.lastReply < check.repeatMs) return { send: false, previous };
      }
      const refused = check.refuseAfter?.(repliesSince(db, check.now - HOUR_MS));
      if (refused !== undefined) return { send: false, refused };
      const rec: RawRecord = { t: check.now, c: (prevRaw?.c ?? 0) + 1 };
      const note = check.note ?? prevRaw?.n;
      if (note !== undefined) rec.n = note;
      if (id[0] === 1) rec.k = check.key;
      const stats = readStats(db);
      if (prevRaw) db.removeSync(indexKey(prevRaw.t, id));
      else {
        stats.entries++;
        stats.bytes += entryCost(check.key);
      }
      db.putSync(recKey, encode(rec));
      db.putSync(indexKey(check.now, id), ONE);
      bumpRate(db, check.now);
      if (check.maxBytes > 0 && stats.bytes > check.maxBytes) evictOldest(db, stats, check.maxBytes, id);
      db.putSync(META_STATS, encode(stats));
      return previous ? { send: true, previous } : { send: true };
    });
  }

  async countRepliesSince(sinceMs: number): Promise<number> {
    return this.session(false, (db) => repliesSince(db, sinceMs), 0);
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  // ---- management ---------------------------------------------------------------------

  async get(key: string): Promise<OnceEntry | undefined> {
    return this.session(false, (db) => {
      const raw = readRecord(db, recordKey(idOf(key)));
      return raw ? { key, ...toRecord(raw) } : undefined;
    }, undefined);
  }

  /** Calls `fn` for each entry in key order (or time order), inside one read snapshot. */
  async forEach(fn: (e: OnceEntry) => void, order: 'key' | 'time' = 'key'): Promise<number> {
    return this.session(false, (db) => {
      let n = 0;
      if (order === 'key') {
        for (const { key, value } of db.getRange({ start: Buffer.from([REC]), end: Buffer.from([REC + 1]) })) {
          const raw = decode(value as Buffer) as RawRecord;
          fn({ key: keyFromId((key as Buffer).subarray(1), raw), ...toRecord(raw) });
          n++;
        }
      } else {
        for (const { key } of db.getRange({ start: Buffer.from([IDX]), end: Buffer.from([IDX + 1]) })) {
          const id = (key as Buffer).subarray(9);
          const raw = readRecord(db, recordKey(id));
          if (!raw) continue;
          fn({ key: keyFromId(id, raw), ...toRecord(raw) });
          n++;
        }
      }
      return n;
    }, 0);
  }

  async stats(): Promise<Stats> {
    return this.session(false, (db) => readStats(db), { entries: 0, bytes: 0 });
  }

  /** Remove one entry; true when it existed. */
  async forget(key: string): Promise<boolean> {
    if (!this.exists()) return false;
    return this.session(true, (db) => {
      const id = idOf(key);
      const raw = readRecord(db, recordKey(id));
      if (!raw) return false;
      const stats = readStats(db);
      removeEntry(db, id, raw, stats, key);
      db.putSync(META_STATS, encode(stats));
      return true;
    });
  }

  /** Remove every entry whose last reply is before `cutoffMs`; returns how many. */
  async prune(cutoffMs: number): Promise<number> {
    if (!this.exists()) return 0;
    return this.session(true, (db) => {
      const stats = readStats(db);
      let n = 0;
      for (;;) {
        const batch: Buffer[] = [];
        for (const { key } of db.getRange({ start: Buffer.from([IDX]), end: indexKey(cutoffMs, Buffer.alloc(0)), limit: 10000 })) {
          batch.push(Buffer.from(key as Buffer));
        }
        if (batch.length === 0) break;
        for (const ik of batch) {
          const id = ik.subarray(9);
          const raw = readRecord(db, recordKey(id));
          db.removeSync(ik);
          if (raw) {
            db.removeSync(recordKey(id));
            stats.entries--;
            stats.bytes -= entryCost(keyFromId(id, raw));
            n++;
          }
        }
      }
      fixStats(stats);
      db.putSync(META_STATS, encode(stats));
      return n;
    });
  }

  /** Remove every entry (the rate history too); returns how many entries there were. */
  async clear(): Promise<number> {
    if (!this.exists()) return 0;
    return this.session(true, (db) => {
      const stats = readStats(db);
      let n = 0;
      for (const prefix of [REC, IDX]) {
        for (;;) {
          const batch: Buffer[] = [];
          for (const key of db.getKeys({ start: Buffer.from([prefix]), end: Buffer.from([prefix + 1]), limit: 10000 })) {
            batch.push(Buffer.from(key as Buffer));
          }
          if (batch.length === 0) break;
          for (const k of batch) db.removeSync(k);
          if (prefix === REC) n += batch.length;
        }
      }
      db.removeSync(META_RATE);
      db.putSync(META_STATS, encode({ entries: 0, bytes: 0 }));
      void stats;
      return n;
    });
  }

  /**
   * Merge entries in. An entry already present keeps whichever last reply is
   * later (and the larger count). Entries are written in batches of `batchSize`
   * per transaction.
   */
  async importEntries(entries: Iterable<OnceEntry>, maxBytes = 0, batchSize = 20000): Promise<ImportResult> {
    const result: ImportResult = { added: 0, updated: 0, skipped: 0 };
    let batch: OnceEntry[] = [];
    const flush = async () => {
      const b = batch;
      batch = [];
      await this.session(true, (db) => {
        const stats = readStats(db);
        for (const e of b) {
          const id = idOf(e.key);
          const recKey = recordKey(id);
          const prev = readRecord(db, recKey);
          if (prev && prev.t >= e.lastReply) {
            if (e.count > prev.c) db.putSync(recKey, encode({ ...prev, c: e.count }));
            result.skipped++;
            continue;
          }
          const rec: RawRecord = { t: e.lastReply, c: Math.max(e.count, prev?.c ?? 0, 1) };
          const note = e.note ?? prev?.n;
          if (note !== undefined) rec.n = note;
          if (id[0] === 1) rec.k = e.key;
          if (prev) {
            db.removeSync(indexKey(prev.t, id));
            result.updated++;
          } else {
            stats.entries++;
            stats.bytes += entryCost(e.key);
            result.added++;
          }
          db.putSync(recKey, encode(rec));
          db.putSync(indexKey(rec.t, id), ONE);
        }
        if (maxBytes > 0 && stats.bytes > maxBytes) evictOldest(db, stats, maxBytes, undefined);
        db.putSync(META_STATS, encode(stats));
      });
    };
    let flushed = false;
    for (const e of entries) {
      batch.push(e);
      if (batch.length >= batchSize) {
        await flush();
        flushed = true;
      }
    }
    // Always open the database at least once, so that a problem with it shows.
    if (batch.length > 0 || !flushed) await flush();
    return result;
  }

  // ---- plumbing -----------------------------------------------------------------------------

  private exists(): boolean {
    try {
      lstatSync(this.path);
      return true;
    } catch {
      return false;
    }
  }

  /**
   * Check the paths, take the lock, open the environment, run `fn` (in one write
   * transaction when `write`), close, unlock. A read on a database that does
   * not exist yet returns `missing` without creating anything.
   */
  private async session<T>(write: boolean, fn: (db: RootDatabase) => T, missing?: T): Promise<T> {
    if (this.closed) throw new Error('once store used after close()');
    const { open } = await loadLmdb();
    const existed = this.preflight(write);
    if (!existed && !write) return missing as T;
    let lock: HeldLock;
    try {
      lock = lockFile(this.lockPath, { exclusive: true, timeoutMs: this.lockTimeoutMs, mode: this.mode });
    } catch (e) {
      if (e instanceof LockError) throw this.fail(e.message);
      throw e;
    }
    let db: RootDatabase | undefined;
    try {
      // Re-check under the lock: the file may have been created meanwhile.
      const existsNow = this.checkDataFile();
      if (!existsNow && !write) return missing as T;
      const lmdbLockPath = `${this.path}-lock`;
      const lmdbLockExisted = this.checkLmdbLock(lmdbLockPath);
      if (!existsNow) this.createDataFile();
      else this.checkHeader();
      try {
        db = open(this.path, {
          noSubdir: true,
          keyEncoding: 'binary',
          encoding: 'binary',
          overlappingSync: false,
          compression: false,
          cache: false,
          maxDbs: 1,
          // permissionsMode is read by lmdb-js's native open for the files it creates
          ...({ permissionsMode: this.mode } as object),
        });
      } catch (e) {
        throw this.fail(describeLmdbError(e));
      }
      if (!lmdbLockExisted) {
        try {
          chmodSync(lmdbLockPath, this.mode);
        } catch {
          /* ignore */
        }
      }
      const handle = db;
      this.checkFormat(handle);
      try {
        if (write) {
          return handle.transactionSync(() => {
            if (!readJson(handle, META_FORMAT)) handle.putSync(META_FORMAT, encode(FORMAT));
            return fn(handle);
          });
        }
        return fn(handle);
      } catch (e) {
        if (e instanceof AutoreplyError) throw e;
        throw this.fail(describeLmdbError(e));
      }
    } finally {
      if (db) {
        try {
          await db.close();
        } catch {
          /* nothing useful to do */
        }
      }
      lock.release();
    }
  }

  /** Path checks that need no lock. Returns whether the data file exists. */
  private preflight(write: boolean): boolean {
    const dir = dirname(this.path);
    let st;
    try {
      st = statSync(dir);
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      throw this.fail(err.code === 'ENOENT' ? `directory ${dir} does not exist` : `directory ${dir}: ${describeErrno(err)}`);
    }
    if (!st.isDirectory()) throw this.fail(`${dir} is not a directory`);
    const exists = this.checkDataFile();
    if (write || exists) {
      try {
        accessSync(dir, constants.W_OK | constants.X_OK);
      } catch {
        if (!exists || !this.canOpenExisting()) throw this.fail(`directory ${dir} is not writable`);
      }
    }
    if (write) this.checkFreeSpace(dir);
    return exists;
  }

  /**
   * Refuse to write on a (nearly) full file system. lmdb-js does not survive a
   * commit that fails with ENOSPC cleanly: it prints its own error and can
   * corrupt its heap, so the process would die by a signal instead of deferring.
   * A few hundred KiB is far more than one check-and-record writes.
   */
  private checkFreeSpace(dir: string): void {
    let free: number;
    try {
      const fs = statfsSync(dir);
      free = fs.bavail * fs.bsize;
    } catch {
      return; // no figure: let the write itself tell
    }
    if (free < MIN_FREE_BYTES) throw this.fail(`disk full (${free} bytes free in ${dir}); nothing was recorded`);
  }

  private canOpenExisting(): boolean {
    try {
      accessSync(this.path, constants.R_OK | constants.W_OK);
      accessSync(this.lockPath, constants.R_OK);
      accessSync(`${this.path}-lock`, constants.R_OK | constants.W_OK);
      return true;
    } catch {
      return false;
    }
  }

  /** The data file: absent (false), a regular file (true), or an error. */
  private checkDataFile(): boolean {
    let st;
    try {
      st = lstatSync(this.path);
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      if (err.code === 'ENOENT') return false;
      throw this.fail(describeErrno(err));
    }
    if (st.isSymbolicLink()) throw this.fail('is a symbolic link; refusing to follow it (give the real path)');
    if (!st.isFile()) throw this.fail('is not a regular file');
    return true;
  }

  private checkLmdbLock(p: string): boolean {
    try {
      const st = lstatSync(p);
      if (st.isSymbolicLink()) throw this.fail(`its lock file ${p} is a symbolic link; refusing to follow it`);
      if (!st.isFile()) throw this.fail(`its lock file ${p} is not a regular file`);
      return true;
    } catch (e) {
      if (e instanceof AutoreplyError) throw e;
      return false;
    }
  }

  /** Create the empty data file with exactly `mode`; LMDB initialises an empty file. */
  private createDataFile(): void {
    try {
      const fd = openSync(this.path, constants.O_RDWR | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, this.mode);
      try {
        chmodSync(this.path, this.mode);
      } finally {
        closeSync(fd);
      }
    } catch (e) {
      throw this.fail(`cannot create: ${describeErrno(e as NodeJS.ErrnoException)}`);
    }
  }

  /**
   * Before LMDB maps a file, make sure it is one: LMDB's meta page carries the
   * magic 0xBEEFC0DE right after the page header. A non-empty file without it is
   * corrupt or someone else's; LMDB would refuse it too, but not always with a
   * clear reason.
   */
  private checkHeader(): void {
    let fd: number;
    try {
      fd = openSync(this.path, constants.O_RDONLY | constants.O_NOFOLLOW);
    } catch (e) {
      throw this.fail(`cannot open: ${describeErrno(e as NodeJS.ErrnoException)}`);
    }
    try {
      const size = fstatSync(fd).size;
      if (size === 0) return; // created but never initialised (a crash in between): LMDB initialises it
      const buf = Buffer.alloc(32);
      const n = readHead(fd, buf);
      // 16-byte page header in LMDB 0.9, 24 bytes in the LMDB that lmdb-js bundles
      if (n < 28 || (buf.readUInt32LE(16) !== 0xbeefc0de && buf.readUInt32LE(24) !== 0xbeefc0de)) {
        throw this.fail('is not an LMDB database (corrupt, or a file of another program); left untouched');
      }
    } finally {
      closeSync(fd);
    }
  }

  private checkFormat(db: RootDatabase): void {
    const marker = readJson(db, META_FORMAT) as { program?: string; format?: number } | undefined;
    if (marker) {
      if (marker.program !== FORMAT.program) throw this.fail('was created by another program; left untouched');
      if (marker.format !== FORMAT.format)
        throw this.fail(`has format ${String(marker.format)}, this autoreply understands format ${FORMAT.format}; left untouched`);
      return;
    }
    // No marker: only an empty database is ours to initialise.
    let any = false;
    for (const _ of db.getKeys({ limit: 1 })) any = true;
    if (any) throw this.fail('is an LMDB database created by another program (no autoreply marker); left untouched');
  }
}

function readHead(fd: number, buf: Buffer): number {
  return readSync(fd, buf, 0, buf.length, 0);
}

/** Below this much free space the database is not written (see checkFreeSpace). */
const MIN_FREE_BYTES = 256 * 1024;


export { describeLmdbError, entryCost };
