import { closeSync, openSync, writeSync } from 'node:fs';
import { toBuffer, type ByteString } from '../bytes.js';

/**
 * Append one record with a single write() on an O_APPEND descriptor, so that
 * records of concurrent deliveries never interleave. Like Exim, a log that cannot
 * be written does not fail the delivery: the caller gets the reason to report.
 */
export function appendRecord(path: ByteString, record: ByteString, mode: number): string | undefined {
  try {
    const fd = openSync(toBuffer(path), 'a', mode);
    try {
      writeSync(fd, toBuffer(record));
    } finally {
      closeSync(fd);
    }
    return undefined;
  } catch (err) {
    return `cannot write log ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`;
  }
}
