import { accessSync, chmodSync, closeSync, constants, lstatSync, openSync, statfsSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { describeErrno } from './lock.js';

/**
 * The files of an LMDB once database, for `once = /var/spool/autoreply/bob`:
 *   bob        the LMDB data file (one file, no directory)
 *   bob-lock   LMDB's own lock file (reader table)
 *   bob.lock   our flock(2) lock file, which also remembers that the database
 *              was initialised (file-check.ts)
 * All three are created with `mode` exactly, whatever the umask (as Exim does).
 * Every check here throws a FileProblem with a cause worded for the log; the
 * store adds the path.
 */
export class FileProblem extends Error {}

/** Below this much free space the database is not written (see checkFreeSpace). */
const MIN_FREE_BYTES = 256 * 1024;

export interface OnceFiles {
  path: string;
  lockPath: string;
  lmdbLockPath: string;
  mode: number;
}

export function onceFiles(path: string, mode: number): OnceFiles {
  return { path, lockPath: `${path}.lock`, lmdbLockPath: `${path}-lock`, mode };
}

/** Checks that need no lock; whether the data file exists. */
export function preflight(files: OnceFiles, write: boolean): boolean {
  const dir = dirname(files.path);
  let st;
  try {
    st = statSync(dir);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new FileProblem(err.code === 'ENOENT' ? `directory ${dir} does not exist` : `directory ${dir}: ${describeErrno(err)}`);
  }
  if (!st.isDirectory()) throw new FileProblem(`${dir} is not a directory`);
  const exists = dataFileExists(files);
  if (write || exists) {
    try {
      accessSync(dir, constants.W_OK | constants.X_OK);
    } catch {
      if (!exists || !canOpenExisting(files)) throw new FileProblem(`directory ${dir} is not writable`);
    }
  }
  if (write) checkFreeSpace(dir);
  return exists;
}

/** The data file: absent (false), a regular file (true), or a problem. */
export function dataFileExists(files: OnceFiles): boolean {
  let st;
  try {
    st = lstatSync(files.path);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'ENOENT') return false;
    throw new FileProblem(describeErrno(err));
  }
  if (st.isSymbolicLink()) throw new FileProblem('is a symbolic link; refusing to follow it (give the real path)');
  if (!st.isFile()) throw new FileProblem('is not a regular file');
  return true;
}

/** LMDB's lock file: whether it exists (a symbolic link or anything but a file is refused). */
export function lmdbLockExists(files: OnceFiles): boolean {
  let st;
  try {
    st = lstatSync(files.lmdbLockPath);
  } catch {
    return false;
  }
  if (st.isSymbolicLink()) throw new FileProblem(`its lock file ${files.lmdbLockPath} is a symbolic link; refusing to follow it`);
  if (!st.isFile()) throw new FileProblem(`its lock file ${files.lmdbLockPath} is not a regular file`);
  return true;
}

/** Create the empty data file with exactly `mode`; LMDB initialises an empty file. */
export function createDataFile(files: OnceFiles): void {
  try {
    const fd = openSync(files.path, constants.O_RDWR | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, files.mode);
    try {
      chmodSync(files.path, files.mode);
    } finally {
      closeSync(fd);
    }
  } catch (e) {
    throw new FileProblem(`cannot create: ${describeErrno(e as NodeJS.ErrnoException)}`);
  }
}

/** LMDB creates its lock file with the umask applied: give it `mode` like the others. */
export function fixLmdbLockMode(files: OnceFiles): void {
  try {
    chmodSync(files.lmdbLockPath, files.mode);
  } catch {
    // not ours to fail a delivery over
  }
}

/**
 * Refuse to write on a (nearly) full file system. lmdb-js does not survive a
 * commit that fails with ENOSPC cleanly: it prints its own error and can corrupt
 * its heap, so the process would die by a signal instead of deferring. A few
 * hundred KiB is far more than one check-and-record writes.
 */
function checkFreeSpace(dir: string): void {
  let free: number;
  try {
    const fs = statfsSync(dir);
    free = fs.bavail * fs.bsize;
  } catch {
    return; // no figure: let the write itself tell
  }
  if (free < MIN_FREE_BYTES) throw new FileProblem(`disk full (${free} bytes free in ${dir}); nothing was recorded`);
}

function canOpenExisting(files: OnceFiles): boolean {
  try {
    accessSync(files.path, constants.R_OK | constants.W_OK);
    accessSync(files.lockPath, constants.R_OK);
    accessSync(files.lmdbLockPath, constants.R_OK | constants.W_OK);
    return true;
  } catch {
    return false;
  }
}
