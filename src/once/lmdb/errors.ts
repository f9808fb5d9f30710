/** One line for an LMDB or system error. */
export function describeLmdbError(e: unknown): string {
  const err = e as { message?: string; code?: string | number };
  const msg = String(err?.message ?? e);
  if (/MDB_MAP_FULL/.test(msg)) return 'database is full (LMDB map full); run "autoreply once prune" or set once_file_size';
  if (/MDB_INVALID|not an LMDB file/i.test(msg)) return 'is not an LMDB database (corrupt, or a file of another program); left untouched';
  if (/MDB_VERSION_MISMATCH/.test(msg)) return 'was written by an incompatible LMDB version; left untouched';
  if (/MDB_CORRUPTED|MDB_PAGE_NOTFOUND|MDB_BAD_TXN|MDB_PANIC/.test(msg))
    return `is corrupt (${msg.split(/[:\n]/)[0]}); left untouched — restore it or move it aside`;
  if (/ENOSPC|No space left/i.test(msg) || err.code === 'ENOSPC' || err.code === 28) return 'disk full (no space left on device)';
  if (/EDQUOT|quota/i.test(msg)) return 'disk quota exceeded';
  if (/EIO\b|Input\/output error/i.test(msg) || err.code === 'EIO' || err.code === 5)
    return 'disk full or I/O error while writing (Input/output error); nothing was recorded';
  if (/EACCES|Permission denied/i.test(msg) || err.code === 13) return 'permission denied';
  if (/EROFS|Read-only file system/i.test(msg)) return 'read-only file system';
  if (/EAGAIN|Resource temporarily unavailable/i.test(msg)) return 'locked by another program';
  return msg.split('\n')[0]!;
}
