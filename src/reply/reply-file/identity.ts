import { createHash } from '../../lazy-crypto.js';
import { basename } from 'node:path';

/**
 * The identity of a reply file in the once database: its file name and a short
 * hash of its absolute path and its exact bytes, e.g. `vacation.txt#3f2a9c81d0e4`.
 *
 * Why both: two reply files answer the same sender independently (PEP remembers
 * "which reply files have been sent to which addresses"), so the path is in it;
 * and an edited reply file is a new message that everybody should get once, so
 * the contents are in it too — editing starts afresh. Files it includes are not
 * hashed: changing a shared footer does not re-send every reply file that uses
 * it. `--handle NAME` replaces all this with a name of the user's choosing, for
 * those who want edits *not* to start afresh.
 */
export function replyFileIdentity(absolutePath: string, bytes: Buffer): string {
  const hash = createHash('sha256').update(absolutePath).update('\0').update(bytes).digest('hex');
  return `${basename(absolutePath).replace(/\s+/g, '_')}#${hash.slice(0, 12)}`;
}

/** A handle may not contain white space: the once key is `HANDLE ADDRESSES`. */
export function validHandle(handle: string): boolean {
  return handle !== '' && !/[\s\x00-\x1f\x7f]/.test(handle);
}
