import { closeSync, openSync, readSync } from 'node:fs';
import { fromBuffer } from './bytes.js';

/**
 * The most a file named by the configuration may hold: `file` (the body),
 * `${readfile}` and reply-file includes. A reply is a few kilobytes; the cap is
 * there so that a mistake (`${readfile{/dev/zero}}`, a log file named as `file`)
 * ends with a clear error instead of exhausting memory.
 */
export const MAX_FILE_BYTES = 4 * 1024 * 1024;

export class FileTooLargeError extends Error {
  constructor(readonly path: string, readonly limit: number) {
    super(`${path} is larger than ${limit / (1024 * 1024)} MiB`);
  }
}

/**
 * The bytes of a file, read in chunks up to `limit` (never trusting the size
 * fstat gives: devices and /proc files report 0). Throws the fs error
 * (ENOENT, EACCES, EISDIR...) or FileTooLargeError.
 */
export function readFileCapped(path: Buffer | string, limit = MAX_FILE_BYTES): Buffer {
  const fd = openSync(path, 'r');
  try {
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const chunk = Buffer.allocUnsafe(Math.min(64 * 1024, limit + 1 - total));
      const n = readSync(fd, chunk, 0, chunk.length, null);
      if (n === 0) break;
      chunks.push(chunk.subarray(0, n));
      total += n;
      if (total > limit) throw new FileTooLargeError(typeof path === 'string' ? path : fromBuffer(path), limit);
    }
    return Buffer.concat(chunks, total);
  } finally {
    closeSync(fd);
  }
}
