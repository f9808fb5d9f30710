import { closeSync, constants, fchmodSync, fsyncSync, linkSync, lstatSync, openSync, readSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { AutoreplyError, configError, tempError } from '../../errors.js';
import { MAX_FILE_BYTES } from '../../files.js';
import { type ByteString, fromBuffer, toBuffer } from '../../bytes.js';

/**
 * The few file operations `autoreply vacation on|off` makes in a home folder,
 * so that mail arriving meanwhile always finds a whole ~/.forward (the old one
 * or the new one, never half of one) and nothing is followed through a
 * symbolic link: new contents go to a fresh temporary file (O_EXCL|O_NOFOLLOW,
 * mode set with fchmod, whatever the umask), synced, and renamed over the old.
 * Failures are one line naming the file (exit 75: an I/O problem, try again;
 * 78 for a file autoreply will not touch).
 */

/** A file as read: its bytes (one char per byte) and permission bits. */
export interface ReadFile {
  text: ByteString;
  mode: number;
}

const reason = (err: unknown) => (err as NodeJS.ErrnoException).code ?? String(err);

/** A regular file's contents, undefined when it does not exist; a link or anything else is refused. */
export function readRegular(path: string): ReadFile | undefined {
  let st;
  try {
    st = lstatSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw tempError(`cannot look at ${path}: ${reason(err)}`);
  }
  if (st.isSymbolicLink()) throw configError(`${path} is a symbolic link: autoreply does not edit files through links`);
  if (!st.isFile()) throw configError(`${path} is not a regular file`);
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (err) {
    throw tempError(`cannot read ${path}: ${reason(err)}`);
  }
  try {
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const chunk = Buffer.alloc(64 * 1024);
      const n = readSync(fd, chunk, 0, chunk.length, null);
      if (n === 0) break;
      chunks.push(chunk.subarray(0, n));
      total += n;
      if (total > MAX_FILE_BYTES) throw configError(`${path} is larger than ${MAX_FILE_BYTES / (1024 * 1024)} MiB`);
    }
    return { text: fromBuffer(Buffer.concat(chunks)), mode: st.mode & 0o7777 };
  } catch (err) {
    if (err instanceof AutoreplyError) throw err;
    throw tempError(`cannot read ${path}: ${reason(err)}`);
  } finally {
    closeSync(fd);
  }
}

/** Does anything (a file, a link, ...) exist at `path`? */
export function exists(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

/** A fresh file `path` with these bytes and exactly `mode`; fails when the name is taken. */
function createExclusive(path: string, bytes: Buffer, mode: number): void {
  const fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, mode);
  try {
    fchmodSync(fd, mode);
    for (let off = 0; off < bytes.length; ) off += writeSync(fd, bytes, off);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Replace (or create) `path` with `text` (one char per byte) in one rename. */
export function writeAtomically(path: string, text: ByteString, mode: number): void {
  const tmp = `${dirname(path)}/.${basename(path)}.autoreply-new-${process.pid}`;
  try {
    createExclusive(tmp, toBuffer(text), mode);
    renameSync(tmp, path);
  } catch (err) {
    try {
      unlinkSync(tmp);
    } catch {
      // not created, or already renamed
    }
    throw tempError(`cannot write ${path}: ${reason(err)}`);
  }
  syncFolder(dirname(path));
}

/**
 * Keep `from` as `to` (which must not exist): a hard link — the very file, its
 * bytes, mode, owner and times — or, where links are not allowed (a file the
 * user does not own under protected_hardlinks, a file system without them), a
 * copy with the same bytes and mode.
 */
export function keepAs(from: string, to: string, copy: ReadFile): void {
  try {
    linkSync(from, to);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw configError(`cannot keep ${from} as ${to}: ${to} exists`);
    try {
      createExclusive(to, toBuffer(copy.text), copy.mode);
    } catch (err2) {
      throw tempError(`cannot keep ${from} as ${to}: ${reason(err2)}`);
    }
  }
  syncFolder(dirname(to));
}

/** `from` takes the place of `to` (rename). */
export function moveOver(from: string, to: string): void {
  try {
    renameSync(from, to);
  } catch (err) {
    throw tempError(`cannot move ${from} to ${to}: ${reason(err)}`);
  }
  syncFolder(dirname(to));
}

export function remove(path: string): void {
  try {
    unlinkSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw tempError(`cannot remove ${path}: ${reason(err)}`);
  }
  syncFolder(dirname(path));
}

/** Make a rename or unlink durable (best effort: not every file system lets a folder be synced). */
function syncFolder(dir: string): void {
  try {
    const fd = openSync(dir, constants.O_RDONLY | constants.O_DIRECTORY);
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // not supported here
  }
}
