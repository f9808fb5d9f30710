import type { RootDatabase } from 'lmdb';
import { encode, FORMAT, isEmpty, META_FORMAT, readJson } from './entries.js';
import { describeLmdbError } from './errors.js';
import { checkLmdbFile, clearInitMarker, ensureInitMarker, verifyLmdbFile, type LmdbFileState } from './file-check.js';
import { createDataFile, dataFileExists, FileProblem, fixLmdbLockMode, lmdbLockExists, preflight, type OnceFiles } from './files.js';
import { loadLmdb } from './load.js';
import { lockFile, LockError, type HeldLock } from './lock.js';

/**
 * One use of the database: take our lock, check the data file, open the LMDB
 * environment, run `fn` (in one write transaction when `write`), close, unlock.
 *
 * Why our own lock around everything. lmdb-js bundles an LMDB whose
 * mdb_env_close() still destroys the shared robust mutexes in the lock file when
 * it believes it is the last user (removed upstream in LMDB 0.9.32, ITS#10095).
 * With many short-lived processes opening and closing one environment — an MTA
 * delivering a burst — a closing process can destroy the write mutex in the
 * instant a newcomer has the file open but not yet its shared lock, and the
 * newcomer then runs an "exclusive" write transaction beside another; lmdb-js
 * also ignores mdb_txn_begin's error code. Holding an exclusive flock(2) on
 * PATH.lock across the whole open–close span makes every process LMDB's only
 * user. The kernel drops the lock when a process dies: no stale locks.
 *
 * Why check the file first (file-check.ts): lmdb-js 3.5 crashes the process on
 * any failure of mdb_env_open, and LMDB's memory map faults on a truncated file;
 * nothing LMDB would refuse may reach open().
 *
 * Why `thorough` (the management commands that walk, rewrite or empty the whole
 * database): the cheap check sees the meta and root pages only, and damage deeper
 * in the tree makes LMDB abort (SIGABRT), fault (SIGBUS) or print to stderr while
 * a cursor runs over it. A delivery reads one path from root to leaf and cannot
 * afford reading the whole file; `once list/prune/clear/export/import/forget`
 * can: they read every page first (verifyLmdbFile) and refuse a damaged file.
 *
 * A read on a database that does not exist returns `missing` without creating
 * anything. Failures are thrown as SessionError with a cause for the log.
 */
export class SessionError extends Error {}

export async function withDatabase<T>(
  files: OnceFiles,
  lockTimeoutMs: number,
  write: boolean,
  fn: (db: RootDatabase) => T,
  missing: T,
  thorough = false,
): Promise<T> {
  const { open } = await loadLmdb();
  const existed = guarded(() => preflight(files, write));
  if (!existed && !write) return missing;
  let lock: HeldLock;
  try {
    lock = lockFile(files.lockPath, { exclusive: true, timeoutMs: lockTimeoutMs, mode: files.mode });
  } catch (e) {
    if (e instanceof LockError) throw new SessionError(e.message);
    throw e;
  }
  let db: RootDatabase | undefined;
  try {
    const state = guarded((): LmdbFileState => {
      if (!dataFileExists(files)) return { state: 'absent' };
      if (!thorough) return checkLmdbFile(files.path, { lockPath: files.lockPath });
      const v = verifyLmdbFile(files.path, { lockPath: files.lockPath, maxProblems: 1 });
      return v.state === 'ok' ? { state: 'ok', pageSize: v.pageSize, lastPage: v.lastPage, txnId: v.txnId } : v;
    });
    if (state.state === 'damaged') throw new SessionError(`${damage(state.reason)}; left untouched (restore it, or move it aside to start afresh)`);
    if (state.state !== 'ok' && !write) return missing;
    if (state.state === 'absent') {
      guarded(() => {
        clearInitMarker(files.lockPath);
        createDataFile(files);
      });
    }
    const lmdbLockExisted = guarded(() => lmdbLockExists(files));
    try {
      db = open(files.path, {
        noSubdir: true,
        keyEncoding: 'binary',
        encoding: 'binary',
        overlappingSync: false,
        compression: false,
        cache: false,
        maxDbs: 1,
        // permissionsMode is read by lmdb-js's native open for the files it creates
        ...({ permissionsMode: files.mode } as object),
      });
    } catch (e) {
      throw new SessionError(describeLmdbError(e));
    }
    if (!lmdbLockExisted) fixLmdbLockMode(files);
    const handle = db;
    try {
      checkFormat(handle);
      if (!write) return fn(handle);
      const result = handle.transactionSync(() => {
        if (readJson(handle, META_FORMAT) === undefined) handle.putSync(META_FORMAT, encode(FORMAT));
        return fn(handle);
      });
      try {
        ensureInitMarker(files.lockPath);
      } catch {
        // the marker only guards against a truncation going unnoticed later
      }
      return result;
    } catch (e) {
      if (e instanceof SessionError) throw e;
      throw new SessionError(describeLmdbError(e));
    }
  } finally {
    if (db) {
      try {
        await db.close();
      } catch {
        // nothing useful to do
      }
    }
    lock.release();
  }
}

/** Our marker, or an empty database: anything else is another program's LMDB database. */
function checkFormat(db: RootDatabase): void {
  const marker = readJson(db, META_FORMAT) as { program?: string; format?: number } | undefined;
  if (marker) {
    if (marker.program !== FORMAT.program) throw new SessionError('was created by another program; left untouched');
    if (marker.format !== FORMAT.format) {
      throw new SessionError(`has format ${String(marker.format)}, this autoreply understands format ${FORMAT.format}; left untouched`);
    }
    return;
  }
  if (!isEmpty(db)) throw new SessionError('is an LMDB database created by another program (no autoreply marker); left untouched');
}

/** File checks report FileProblem; anything from the system (EIO...) is worded too. */
function guarded<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof FileProblem) throw new SessionError(e.message);
    if (e instanceof SessionError) throw e;
    const err = e as NodeJS.ErrnoException;
    throw new SessionError(err.code ? describeLmdbError(err) : String(err));
  }
}

/** file-check.ts's reason as a predicate of "once database PATH ...". */
export function damage(reason: string): string {
  if (/^(not |truncated|empty|an encrypted)/.test(reason)) return `is ${reason}`;
  if (reason.startsWith('written')) return `was ${reason}`;
  return `is damaged: ${reason}`;
}
